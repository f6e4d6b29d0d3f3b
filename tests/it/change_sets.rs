//! End-to-end tests of change sets (`qala ingest --mode append|upsert|delete`), their
//! preview (`--dry-run`), `--set`, `--skip-invalid`, and the bad inputs that must change
//! nothing. The files are in `fixtures/changes`; `bike-lanes` starts with the
//! lanes `qala fixtures load` generated (`n` below, read before any change).

use serde_json::Value as Json;
use sqlx::PgPool;

use crate::common::{qala, repo};
use crate::ingest::loaded_db;

fn ch(name: &str) -> String {
    repo()
        .join("fixtures/changes")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// (served lanes, versions) of `bike-lanes`.
async fn lanes(pool: &PgPool) -> (i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM bike_lane_current WHERE layer_slug = 'bike-lanes'),
                (SELECT count(*) FROM layer_version JOIN layer USING (layer_id) WHERE slug = 'bike-lanes')",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

/// The served status of the lane named `name`, if there is one.
async fn status_of(pool: &PgPool, name: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT status FROM bike_lane_current WHERE layer_slug = 'bike-lanes' AND name = $1")
        .bind(name)
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Runs `qala ingest FILE --layer bike-lanes ARGS`: (exit ok, stdout, stderr).
fn ingest(db: &qala_store::testdb::TestDb, file: &str, args: &[&str]) -> (bool, String, String) {
    let path = ch(file);
    let mut all = vec!["ingest", path.as_str(), "--layer", "bike-lanes"];
    all.extend_from_slice(args);
    let out = qala(db, &all);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The preview map's features of a dry-run report, counted by kind of change.
fn changes_of(report: &Json) -> Vec<(String, usize)> {
    let mut by: std::collections::BTreeMap<String, usize> = Default::default();
    for f in report["change"]["geometries"]["features"]
        .as_array()
        .expect("preview geometries")
    {
        *by.entry(f["properties"]["change"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    by.into_iter().collect()
}

fn ok(r: (bool, String, String)) -> String {
    assert!(r.0, "qala ingest failed:\n{}\n{}", r.1, r.2);
    r.1
}

#[tokio::test]
async fn append_upsert_delete_are_new_versions_and_rollback_restores_the_generated_lanes() {
    let (db, pool) = loaded_db().await;
    let n = lanes(&pool).await.0;
    assert!(n > 0, "the fixtures have synthetic lanes");
    assert_eq!(lanes(&pool).await, (n, 1));

    // The preview: counts and samples, nothing written.
    let preview = ok(ingest(
        &db,
        "lanes_new.geojson",
        &["--mode", "append", "--key", "name", "--dry-run", "--json"],
    ));
    let report: Json = serde_json::from_str(&preview).unwrap();
    assert_eq!(report["status"], "dry_run");
    assert_eq!(report["change"]["added"], 3);
    assert_eq!(report["change"]["added_sample"][0]["key"], "Change lane A");
    assert_eq!(lanes(&pool).await, (n, 1), "a dry run writes nothing");
    // ... and the geometries that change, for the preview map.
    assert_eq!(changes_of(&report), vec![("added".into(), 3)]);
    let g = &report["change"]["geometries"];
    assert_eq!(g["truncated"], false);
    assert_eq!(g["features"][0]["geometry"]["type"], "MultiLineString", "{g}");
    assert_eq!(g["features"][0]["properties"]["key"], "Change lane A");
    // A replace by the same file: its 3 added, the n served removed.
    let replace: Json = serde_json::from_str(&ok(ingest(
        &db,
        "lanes_new.geojson",
        &["--mode", "replace", "--dry-run", "--json"],
    )))
    .unwrap();
    assert_eq!(
        changes_of(&replace),
        vec![("added".into(), 3), ("removed".into(), n as usize)]
    );

    let out = ok(ingest(&db, "lanes_new.geojson", &["--mode", "append"]));
    assert!(out.contains("3 added, 0 changed, 0 removed"), "{out}");
    assert_eq!(lanes(&pool).await, (n + 3, 2));
    let stored: Json = sqlx::query_scalar(
        "SELECT v.report FROM layer_version v JOIN layer l USING (layer_id) WHERE l.slug = 'bike-lanes' AND v.version = 2",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(stored["change"]["mode"], "append");
    assert_eq!(stored["change"]["added"], 3);

    let preview: Json = serde_json::from_str(&ok(ingest(
        &db,
        "lanes_upsert.geojson",
        &["--mode", "upsert", "--key", "name", "--dry-run", "--json"],
    )))
    .unwrap();
    assert_eq!(
        changes_of(&preview),
        vec![("added".into(), 1), ("changed".into(), 1)],
        "an upsert's preview: the changed lane drawn with its new geometry, not as removed"
    );
    let id_of = |name: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT bike_lane_id FROM bike_lane_current WHERE name = $1")
                .bind(name)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let id_before = id_of("Change lane A").await;
    let out = ok(ingest(
        &db,
        "lanes_upsert.geojson",
        &["--mode", "upsert", "--key", "name"],
    ));
    assert_eq!(
        id_of("Change lane A").await,
        id_before,
        "a changed feature keeps its id"
    );
    assert!(out.contains("1 added, 1 changed, 0 removed"), "{out}");
    assert_eq!(lanes(&pool).await, (n + 4, 3));
    assert_eq!(
        status_of(&pool, "Change lane A").await,
        ["existing"],
        "changed in place"
    );
    assert_eq!(status_of(&pool, "Change lane D").await, ["planned"], "added");

    let preview: Json = serde_json::from_str(&ok(ingest(
        &db,
        "lanes_delete.geojson",
        &["--mode", "delete", "--key", "name", "--dry-run", "--json"],
    )))
    .unwrap();
    assert_eq!(changes_of(&preview), vec![("removed".into(), 2)]);
    let out = ok(ingest(
        &db,
        "lanes_delete.geojson",
        &["--mode", "delete", "--key", "name"],
    ));
    assert!(out.contains("0 added, 0 changed, 2 removed"), "{out}");
    assert!(
        out.contains("\"Change lane B\""),
        "the sample names the removed lanes: {out}"
    );
    assert_eq!(lanes(&pool).await, (n + 2, 4));
    assert!(status_of(&pool, "Change lane B").await.is_empty());

    let history: Json = serde_json::from_str(&crate::common::qala_ok(
        &db,
        &["layer", "versions", "bike-lanes", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(
        history[0]["change"],
        serde_json::json!({"mode": "delete", "added": 0, "changed": 0, "removed": 2}),
        "the history keeps each change's counts"
    );
    assert_eq!(history[2]["change"]["mode"], "append");

    crate::common::qala_ok(&db, &["layer", "rollback", "bike-lanes", "--to", "1"]);
    assert_eq!(lanes(&pool).await.0, n, "rollback serves the generated lanes again");
}

#[tokio::test]
async fn a_delete_that_matches_nothing_makes_no_version() {
    let (db, pool) = loaded_db().await;
    let n = lanes(&pool).await.0;
    let out = ok(ingest(
        &db,
        "lanes_delete_nothing.geojson",
        &["--mode", "delete", "--key", "name"],
    ));
    assert!(out.contains("0 removed") && out.contains("no new version"), "{out}");
    assert_eq!(lanes(&pool).await, (n, 1));
    // An appended file is not "this file" for a replace: replacing with it serves its 3.
    ok(ingest(&db, "lanes_new.geojson", &["--mode", "append"]));
    let out = ok(ingest(&db, "lanes_new.geojson", &[]));
    assert!(out.contains(&format!("3 added, 0 changed, {} removed", n + 3)), "{out}");
    assert_eq!(lanes(&pool).await, (3, 3));
}

#[tokio::test]
async fn a_delete_needs_only_the_keys_a_one_column_csv_or_features_without_geometry() {
    let (db, pool) = loaded_db().await;
    let n = lanes(&pool).await.0;
    let gone = "SELECT count(*) FROM bike_lane_current WHERE layer_slug = 'bike-lanes' AND name IN ('ул. Саина', 'ул. Джандосова')";
    let before: i64 = sqlx::query_scalar(gone).fetch_one(&pool).await.unwrap();
    assert!(before > 0, "the fixture's plan has lanes on the two streets");

    // GeoJSON features with a name and no geometry: a preview, then nothing written.
    let preview: Json = serde_json::from_str(&ok(ingest(
        &db,
        "lanes_delete_keys.geojson",
        &["--mode", "delete", "--key", "name", "--dry-run", "--json"],
    )))
    .unwrap();
    assert_eq!(changes_of(&preview), vec![("removed".into(), before as usize)]);
    assert_eq!(lanes(&pool).await, (n, 1));

    // A CSV of one column, as a spreadsheet exports a list of names (GDAL 3.6 alone would
    // not open it), with a Windows line end and a trailing blank line.
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("gone.csv");
    std::fs::write(&keys, "name\r\nул. Саина\r\nул. Джандосова\r\n\r\n").unwrap();
    let out = crate::common::qala_ok(
        &db,
        &[
            "ingest",
            keys.to_str().unwrap(),
            "--layer",
            "bike-lanes",
            "--mode",
            "delete",
            "--key",
            "name",
        ],
    );
    assert!(out.contains(&format!("0 added, 0 changed, {before} removed")), "{out}");
    assert_eq!(lanes(&pool).await, (n - before, 2));
    let after: i64 = sqlx::query_scalar(gone).fetch_one(&pool).await.unwrap();
    assert_eq!(after, 0);

    // A row without its key is refused by its row; nothing changes.
    std::fs::write(&keys, "name,note\nул. Жансугурова,\n,no name here\n").unwrap();
    let out = qala(
        &db,
        &[
            "ingest",
            keys.to_str().unwrap(),
            "--layer",
            "bike-lanes",
            "--mode",
            "delete",
            "--key",
            "name",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("feature 2: name") && stderr.contains("the key value is missing"),
        "{stderr}"
    );
    assert_eq!(lanes(&pool).await, (n - before, 2));

    crate::common::qala_ok(&db, &["layer", "rollback", "bike-lanes", "--to", "1"]);
    assert_eq!(lanes(&pool).await.0, n);
}

#[tokio::test]
async fn bad_change_sets_name_the_problem_and_change_nothing() {
    let (db, pool) = loaded_db().await;
    let n = lanes(&pool).await.0;
    let cases: &[(&str, &[&str], &str)] = &[
        ("lanes_upsert.geojson", &["--mode", "upsert"], "--key FIELD"),
        (
            "lanes_upsert.geojson",
            &["--mode", "delete", "--key", "colour"],
            "no field \"colour\"",
        ),
        (
            "lanes_duplicate_key.geojson",
            &["--mode", "upsert", "--key", "name"],
            "name = \"Change lane A\" is not unique in the file: rows 1 and 3",
        ),
    ];
    for (file, args, says) in cases {
        let (success, _, err) = ingest(&db, file, args);
        assert!(!success, "{file} {args:?} must fail");
        assert!(err.contains(says), "{file} {args:?}: {err}");
        assert!(err.contains(file), "the message names the file: {err}");
        assert_eq!(lanes(&pool).await, (n, 1), "{file} {args:?} changed the layer");
    }
    // Upsert and delete change a served layer; append may create one.
    for mode in ["upsert", "delete"] {
        let path = ch("lanes_upsert.geojson");
        let out = qala(
            &db,
            &["ingest", &path, "--layer", "new-lanes", "--mode", mode, "--key", "name"],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains("does not exist"), "{mode}: {err}");
    }
    let layers = || sqlx::query_scalar::<_, i64>("SELECT count(*) FROM layer WHERE slug = 'new-lanes'");
    assert_eq!(layers().fetch_one(&pool).await.unwrap(), 0);
    let path = ch("lanes_new.geojson");
    crate::common::qala_ok(
        &db,
        &[
            "ingest",
            &path,
            "--layer",
            "new-lanes",
            "--kind",
            "bike_lane",
            "--mode",
            "append",
        ],
    );
    assert_eq!(layers().fetch_one(&pool).await.unwrap(), 1);
}

#[tokio::test]
async fn features_without_geometry_are_refused_with_a_hint_or_skipped_deliberately() {
    let (db, pool) = loaded_db().await;
    let n = lanes(&pool).await.0;
    let (success, _, err) = ingest(&db, "lanes_no_geometry.geojson", &["--mode", "append"]);
    assert!(!success);
    assert!(
        err.contains("feature has no geometry (hint: remove it, give it one, or load the rest with --skip-invalid)"),
        "{err}"
    );
    assert_eq!(lanes(&pool).await, (n, 1));
    let out = ok(ingest(
        &db,
        "lanes_no_geometry.geojson",
        &["--mode", "append", "--skip-invalid", "--json"],
    ));
    let report: Json = serde_json::from_str(&out).unwrap();
    assert_eq!(report["skipped"], 2);
    assert_eq!(report["change"]["added"], 2);
    assert_eq!(report["problems"][0]["row"], 2);
    assert_eq!(lanes(&pool).await, (n + 2, 2));
}

#[tokio::test]
async fn set_gives_every_feature_a_constant_and_numeric_csv_text_is_stored_as_a_number() {
    let (db, pool) = loaded_db().await;
    let path = ch("hospitals_no_category.csv");
    let args = ["ingest", path.as_str(), "--layer", "services", "--mode", "append"];
    let out = qala(&db, &args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("category = \"\": required value is missing"), "{err}");
    assert!(err.contains("one of: school, kindergarten, clinic, hospital"), "{err}");
    assert!(
        err.contains("--set category=VALUE") && !err.contains("\"null\""),
        "{err}"
    );
    let mut with_set = args.to_vec();
    with_set.extend(["--set", "category=hospital"]);
    crate::common::qala_ok(&db, &with_set);
    let (hospitals, capacity): (i64, i64) = sqlx::query_as(
        "SELECT count(*), sum(capacity)::bigint FROM service_current
         WHERE layer_slug = 'services' AND category = 'hospital'
           AND name IN ('City hospital No. 4', 'City hospital No. 7', 'Children''s hospital No. 2')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((hospitals, capacity), (3, 250 + 310 + 120));
}

/// The same change sets over HTTP: `POST /layers/{slug}/versions?mode=…&key=…&dry_run=true`.
#[tokio::test(flavor = "multi_thread")]
async fn change_sets_over_http_preview_then_commit_and_refuse_bad_modes() {
    use axum::http::Method;

    use crate::server::http::{App, multipart};
    let (db, pool) = loaded_db().await;
    let admin = crate::common::qala_ok(&db, &["token", "create", "--role", "admin"])
        .trim()
        .to_owned();
    let auth = format!("Bearer {admin}");
    let app = App::new(&db).await;
    let file = std::fs::read(ch("lanes_new.geojson")).unwrap();
    let post = |query: &'static str| {
        let (ct, body) = multipart("lanes_new.geojson", &file);
        let (app, auth) = (&app, auth.clone());
        async move {
            app.send(
                Method::POST,
                &format!("/layers/bike-lanes/versions{query}"),
                &[("content-type", ct.as_str()), ("authorization", auth.as_str())],
                body,
            )
            .await
        }
    };
    let before = lanes(&pool).await;
    let r = post("?mode=append&dry_run=true").await;
    assert_eq!(r.status.as_u16(), 200, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    assert_eq!(j["status"], "dry_run", "{j}");
    assert_eq!(j["change"]["added"], 3, "{j}");
    assert_eq!(lanes(&pool).await, before, "a dry run wrote something");

    post("?mode=upsert").await.assert_error(400, "key_required");
    post("?mode=merge").await.assert_error(400, "invalid_parameter");
    assert_eq!(lanes(&pool).await, before, "a refused upload wrote something");

    post("?mode=append&dry_run=true&progress=../../x")
        .await
        .assert_error(400, "invalid_parameter");
    post("?mode=append&dry_run=true&progress=short")
        .await
        .assert_error(400, "invalid_parameter");

    // Followed: the features the server checked, under the client's id, for that token only.
    let r = post("?mode=append&progress=e2e-upload-0001").await;
    assert_eq!(r.status.as_u16(), 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["change"]["added"], 3);
    assert_eq!(lanes(&pool).await, (before.0 + 3, before.1 + 1));
    let get = |path: String, auth: Option<String>| {
        let app = &app;
        async move {
            let headers: Vec<(&str, &str)> = auth.as_deref().map(|a| vec![("authorization", a)]).unwrap_or_default();
            app.get_with(&path, &headers).await
        }
    };
    let p = get("/layers/bike-lanes/uploads/e2e-upload-0001".into(), Some(auth.clone())).await;
    assert_eq!(p.status.as_u16(), 200, "{}", String::from_utf8_lossy(&p.body));
    assert_eq!(p.json()["done"], true);
    assert_eq!(p.json()["features"], 3);
    get("/layers/bike-lanes/uploads/e2e-upload-0001".into(), None)
        .await
        .assert_error(401, "unauthorized");
    get("/layers/bike-lanes/uploads/never-sent-0001".into(), Some(auth.clone()))
        .await
        .assert_error(404, "not_found");
    get("/layers/roads/uploads/e2e-upload-0001".into(), Some(auth.clone()))
        .await
        .assert_error(404, "not_found");
    let other = crate::common::qala_ok(&db, &["token", "create", "--role", "admin"])
        .trim()
        .to_owned();
    get(
        "/layers/bike-lanes/uploads/e2e-upload-0001".into(),
        Some(format!("Bearer {other}")),
    )
    .await
    .assert_error(404, "not_found");

    // `writable` says which layers this caller may change.
    let mapper = crate::common::qala_ok(&db, &["token", "create", "--role", "mapper", "--layer", "bike-lanes"])
        .trim()
        .to_owned();
    let layers = get("/layers".into(), Some(format!("Bearer {mapper}"))).await.json();
    let writable: Vec<&str> = layers
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["writable"] == true)
        .map(|l| l["slug"].as_str().unwrap())
        .collect();
    assert_eq!(writable, ["bike-lanes"]);
    let public = get("/layers".into(), None).await.json();
    assert!(
        public.as_array().unwrap().iter().all(|l| l["writable"] == false),
        "the public may change nothing"
    );
}
