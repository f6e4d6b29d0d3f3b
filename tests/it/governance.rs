//! Figures a city can publish (issue 10): inputs by role bound on purpose, definitions as
//! versioned data, norm variants, editions recomputed byte-identically from their pins,
//! and the reference SQL checking what `/indicators` serves over HTTP.

use axum::body::Body;
use axum::http::Method;
use serde_json::{Value as Json, json};

use crate::common::{fresh_db, qala, qala_ok, repo};
use crate::server::http::App;

fn city_value(db: &qala_store::testdb::TestDb, id: &str) -> f64 {
    let out = qala_ok(db, &["indicators", "--indicator", id, "--format", "json"]);
    let v: Json = serde_json::from_str(&out).unwrap();
    v[0]["city"]["value"].as_f64().unwrap()
}

/// 60 bus stops spread over the city, in a layer the city never bound.
fn stray_stops() -> Vec<u8> {
    let features: Vec<Json> = (0..60)
        .map(|i| {
            let (x, y) = (76.80 + f64::from(i % 10) * 0.03, 43.18 + f64::from(i / 10) * 0.03);
            json!({"type": "Feature", "properties": {"name": format!("test stop {i}"), "category": "bus_stop"},
                   "geometry": {"type": "Point", "coordinates": [x, y]}})
        })
        .collect();
    serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features})).unwrap()
}

/// Loads [`stray_stops`] into `layer` (a service layer) with `qala ingest`.
fn load_stray_stops(db: &qala_store::testdb::TestDb, layer: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stops.geojson");
    std::fs::write(&file, stray_stops()).unwrap();
    qala_ok(
        db,
        &["ingest", file.to_str().unwrap(), "--layer", layer, "--kind", "service"],
    );
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn an_upload_changes_no_published_figure_until_an_admin_binds_it() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let before = city_value(&db, "stops_500m");
    let gap_before = city_value(&db, "wayfinding_route_gap");

    // A test file of stops under another name: every published figure stays as it was.
    load_stray_stops(&db, "test-stops");
    assert_eq!(
        city_value(&db, "stops_500m"),
        before,
        "an unbound upload moved stops_500m"
    );
    assert_eq!(city_value(&db, "wayfinding_route_gap"), gap_before);
    let out: Json = serde_json::from_str(&qala_ok(
        &db,
        &["indicators", "--indicator", "stops_500m", "--format", "json"],
    ))
    .unwrap();
    let inputs: Vec<&String> = out[0]["layer_versions"].as_object().unwrap().keys().collect();
    assert_eq!(inputs, ["districts", "population", "services", "transit-stops"]);

    // Bad bindings change nothing and say why.
    for (args, says) in [
        (vec!["buses", "test-stops"], "unknown input role"),
        (vec!["population", "test-stops"], "service layer"),
        (vec!["bus_stops", "no-such-layer"], "no-such-layer"),
        (vec!["population", "population", "districts"], "exactly one"),
    ] {
        let mut a = vec!["indicators", "bind"];
        a.extend(args.iter().copied());
        let o = qala(&db, &a);
        assert!(!o.status.success(), "{args:?} was accepted");
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    let o = qala(
        &db,
        &["indicators", "bind", "schools", "services", "--where", "colour=red"],
    );
    assert!(stderr(&o).contains("colour"), "{}", stderr(&o));
    let history = qala_ok(&db, &["indicators", "bindings", "--history"]);
    assert_eq!(history.matches("bus_stops").count(), 1, "{history}");

    // Bound on purpose: the figure moves, and the history says who and why.
    qala_ok(
        &db,
        &[
            "indicators",
            "bind",
            "bus_stops",
            "services",
            "transit-stops",
            "test-stops",
            "--where",
            "category=bus_stop,brt_stop",
            "--note",
            "test stops",
        ],
    );
    let after = city_value(&db, "stops_500m");
    assert!(after > before, "binding the stops changed nothing: {before} -> {after}");
    let history = qala_ok(&db, &["indicators", "bindings", "--history"]);
    assert!(history.contains("test stops"), "{history}");
    assert_eq!(history.matches("bus_stops").count(), 2, "{history}");
}

#[tokio::test]
async fn norm_variants_and_definition_versions() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let json_of = |args: &[&str]| -> Json { serde_json::from_str(&qala_ok(&db, args)).unwrap() };
    let national = json_of(&["indicators", "--indicator", "green_m2_per_resident", "--format", "json"]);
    let city = json_of(&[
        "indicators",
        "--indicator",
        "green_m2_per_resident",
        "--norm",
        "city",
        "--format",
        "json",
    ]);
    assert_eq!(national[0]["indicator"]["norm"]["at_least"], 10.0);
    assert_eq!(city[0]["indicator"]["norm"]["at_least"], 4.8);
    assert_eq!(city[0]["indicator"]["norm_variant"], "city");
    // Same value, another gap.
    assert_eq!(national[0]["city"]["value"], city[0]["city"]["value"]);
    let v = national[0]["city"]["value"].as_f64().unwrap();
    assert!((city[0]["city"]["gap_to_norm"].as_f64().unwrap() - (v - 4.8)).abs() < 1e-9);
    let o = qala(
        &db,
        &["indicators", "--indicator", "green_m2_per_resident", "--norm", "mine"],
    );
    assert!(stderr(&o).contains("national, city, critics"), "{}", stderr(&o));

    // A changed radius is a new definition version; results name it.
    let mut defs: Vec<Json> =
        serde_json::from_str(&std::fs::read_to_string(repo().join("sql/indicators/definitions.json")).unwrap())
            .unwrap();
    let stops = defs.iter_mut().find(|d| d["id"] == "stops_500m").unwrap();
    stops["measure"]["radius_m"] = json!(400.0);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("defs.json");
    std::fs::write(&file, serde_json::to_string(&defs).unwrap()).unwrap();
    let out = qala_ok(&db, &["indicators", "definitions", "--load", file.to_str().unwrap()]);
    assert!(out.contains("stops_500m v2: new_version"), "{out}");
    assert!(out.contains("school_500m v1: unchanged"), "{out}");
    // The shipped file, as seeded on a fresh database and loaded again: every other
    // definition is still version 1, translations and all.
    assert_eq!(
        out.lines().filter(|l| l.ends_with(" v1: unchanged")).count(),
        defs.len() - 1,
        "{out}"
    );
    let r = json_of(&["indicators", "--indicator", "stops_500m", "--format", "json"]);
    assert_eq!(r[0]["indicator"]["version"], 2);
    assert_eq!(r[0]["indicator"]["measure"]["radius_m"], 400.0);
    let history = qala_ok(&db, &["indicators", "definitions", "--history", "stops_500m"]);
    assert!(history.contains("400") && history.contains("500"), "{history}");

    // Changed words only (a better translation) are a new version, said to be one of wording.
    let school = defs.iter_mut().find(|d| d["id"] == "school_500m").unwrap();
    school["descriptions"]["ru"] = json!("Доля жителей, у которых школа не дальше 500 м");
    std::fs::write(&file, serde_json::to_string(&defs).unwrap()).unwrap();
    let out = qala_ok(&db, &["indicators", "definitions", "--load", file.to_str().unwrap()]);
    assert!(out.contains("school_500m v2: new_wording"), "{out}");
    assert!(out.contains("stops_500m v2: unchanged"), "{out}");
    let r = json_of(&["indicators", "--indicator", "school_500m", "--format", "json"]);
    assert_eq!(r[0]["indicator"]["version"], 2);
    assert_eq!(
        r[0]["indicator"]["descriptions"]["ru"],
        "Доля жителей, у которых школа не дальше 500 м"
    );

    // Bad definition files are refused whole.
    for (field, value, says) in [
        ("radius_m", json!(-5.0), "radius_m"),
        ("type", json!("teleport"), "unknown formula"),
    ] {
        let mut bad = defs.clone();
        bad[2]["measure"][field] = value;
        std::fs::write(&file, serde_json::to_string(&bad).unwrap()).unwrap();
        let o = qala(&db, &["indicators", "definitions", "--load", file.to_str().unwrap()]);
        assert!(!o.status.success());
        assert!(stderr(&o).contains(says), "{}", stderr(&o));
    }
    let mut bad = defs.clone();
    bad[0]["norm_variants"][2]["source"] = json!("");
    std::fs::write(&file, serde_json::to_string(&bad).unwrap()).unwrap();
    assert!(
        stderr(&qala(
            &db,
            &["indicators", "definitions", "--load", file.to_str().unwrap()]
        ))
        .contains("no source")
    );
    let r = json_of(&["indicators", "--indicator", "stops_500m", "--format", "json"]);
    assert_eq!(r[0]["indicator"]["version"], 2, "a refused file changed a definition");
}

#[tokio::test(flavor = "multi_thread")]
async fn editions_freeze_figures_and_recompute_byte_identically_from_their_pins() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let out = qala_ok(
        &db,
        &[
            "indicators",
            "publish",
            "--title",
            "test edition",
            "--as-of",
            "2026-06-30",
        ],
    );
    assert!(out.contains("edition 1 published"), "{out}");
    let out = qala_ok(&db, &["indicators", "editions", "--verify", "1"]);
    assert!(out.contains("byte-identical"), "{out}");

    // No edition is published while a bound layer is loading a new version.
    let pool = db.pool().await.unwrap();
    sqlx::query(
        "INSERT INTO layer_version (layer_id, version, created_by, source_name, source_sha256, source_crs, status)
         SELECT layer_id, 99, 'test', 'x.geojson', repeat('0', 64), 'EPSG:4326', 'loading' FROM layer WHERE slug = 'bike-lanes'",
    )
    .execute(&pool)
    .await
    .unwrap();
    let o = qala(&db, &["indicators", "publish"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("bike-lanes") && stderr(&o).contains("loading"),
        "{}",
        stderr(&o)
    );
    sqlx::query("DELETE FROM layer_version WHERE status = 'loading'")
        .execute(&pool)
        .await
        .unwrap();
    let editions: i64 = sqlx::query_scalar("SELECT count(*) FROM indicator_edition")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(editions, 1, "a refused publish made an edition");

    // A new version of a bound layer changes live figures, not the edition.
    load_stray_stops(&db, "transit-stops");
    let app = App::new(&db).await;
    let live = app.get("/indicators/stops_500m").await.json();
    let frozen = app.get("/indicators/stops_500m?edition=1").await.json();
    assert_ne!(live["city"]["value"], frozen["city"]["value"]);
    assert_eq!(frozen["edition"]["edition_id"], 1);
    let latest = app.get("/indicators/stops_500m?edition=latest").await.json();
    assert_eq!(latest["city"], frozen["city"]);
    assert!(
        frozen["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["slug"] == "transit-stops" && i["served"] == false),
        "the edition's transit-stops version is no longer served: {}",
        frozen["inputs"]
    );
    let out = qala_ok(&db, &["indicators", "editions", "--verify", "1"]);
    assert!(out.contains("byte-identical"), "{out}");
    let ed = app.get("/editions/1").await.json();
    assert_eq!(ed["title"], "test edition");
    assert_eq!(ed["results"]["districts"]["straight"].as_array().unwrap().len(), 39);
    assert_eq!(ed["results"]["rings"]["network"].as_array().unwrap().len(), 9);
    app.get("/editions/99").await.assert_error(404, "edition_not_found");
    app.get("/editions/x").await.assert_error(400, "invalid_parameter");
    app.get("/indicators/stops_500m?edition=99")
        .await
        .assert_error(404, "edition_not_found");

    // Publishing over HTTP is an admin's; the public reads.
    let admin = qala_ok(&db, &["token", "create", "--role", "admin"]).trim().to_owned();
    let planner = qala_ok(&db, &["token", "create", "--role", "planner"])
        .trim()
        .to_owned();
    let publish = |token: Option<String>| {
        let app = &app;
        async move {
            let auth = token.map(|t| format!("Bearer {t}"));
            let mut h = vec![("content-type", "application/json")];
            if let Some(a) = &auth {
                h.push(("authorization", a.as_str()));
            }
            app.send(Method::POST, "/editions", &h, Body::from(r#"{"title":"q4"}"#))
                .await
        }
    };
    publish(None).await.assert_error(401, "unauthorized");
    publish(Some(planner)).await.assert_error(403, "forbidden");
    let r = publish(Some(admin)).await;
    assert_eq!(r.status.as_u16(), 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["edition_id"], 2);
    // Published from the server's engine in memory: the same bytes as from the pins.
    let out = qala_ok(&db, &["indicators", "editions", "--verify", "2"]);
    assert!(out.contains("byte-identical"), "{out}");
    let list = app.get("/editions").await.json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["edition_id"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_figure_read_from_an_internal_layer_is_shown_only_to_those_who_may_read_it() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    // Metro stations only in an internal layer, bound by an admin.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("metro.geojson");
    let metro = json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "M1", "category": "metro_station"},
         "geometry": {"type": "Point", "coordinates": [76.9455, 43.2380]}}]});
    std::fs::write(&file, metro.to_string()).unwrap();
    qala_ok(
        &db,
        &[
            "ingest",
            file.to_str().unwrap(),
            "--layer",
            "metro-plan",
            "--kind",
            "service",
        ],
    );
    let pool = db.pool().await.unwrap();
    sqlx::query("UPDATE layer SET visibility = 'internal' WHERE slug = 'metro-plan'")
        .execute(&pool)
        .await
        .unwrap();
    let app = App::new(&db).await;
    // Unbound: no public figure names or uses it.
    let public = app.get("/indicators/metro_1km").await.json();
    assert!(!public.to_string().contains("metro-plan"), "{public}");
    let bindings = app.get("/bindings").await.json();
    assert!(!bindings.to_string().contains("metro-plan"));

    qala_ok(&db, &["indicators", "bind", "metro_stations", "metro-plan"]);
    app.state.sync().await.unwrap();
    for _ in 0..200 {
        if app.state.engine().and_then(|e| e.bindings().cloned()) == Some(app.state.governance().bindings.clone()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let r = app.get("/indicators/metro_1km").await;
    r.assert_error(403, "forbidden");
    assert!(!r.json().to_string().contains("metro-plan"));
    let bindings = app.get("/bindings").await.json();
    assert!(!bindings.to_string().contains("metro-plan"), "{bindings}");
    // Other figures stay public.
    assert_eq!(app.get("/indicators/stops_500m").await.status.as_u16(), 200);
    let planner = qala_ok(&db, &["token", "create", "--role", "planner"])
        .trim()
        .to_owned();
    let auth = format!("Bearer {planner}");
    let r = app.get_with("/indicators/metro_1km", &[("authorization", &auth)]).await;
    assert_eq!(r.status.as_u16(), 200, "{}", String::from_utf8_lossy(&r.body));
    let j = r.json();
    assert!(j["layer_versions"].get("metro-plan").is_some(), "{j}");
    // The provenance says what is synthetic, from the catalogue.
    let caveat = &j["caveats"][0];
    assert_eq!(caveat["code"], "synthetic_inputs");
    assert!(caveat["layers"].as_array().unwrap().iter().any(|l| l == "population"));
    assert!(
        j["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["slug"] == "metro-plan" && i["synthetic"] == false)
    );
}

/// The oracle checks what users see: every default indicator served by `/indicators` over
/// HTTP (the server's engine, built from its tile memory) equals the reference SQL run on
/// the layer versions the city bound — districts, rings and historic, straight and on foot.
/// The low-stress access definitions ride on pgRouting networks of their own, checked over
/// HTTP by `lts::low_stress_connectivity_agrees_with_pgrouting_zone_by_zone`.
#[tokio::test(flavor = "multi_thread")]
async fn every_figure_served_over_http_agrees_with_the_reference_sql() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    for _ in 0..400 {
        if app.state.engine().is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let today = chrono::Utc::now().date_naive().to_string();
    let all = app.get("/indicators").await.json();
    let defs: Vec<&Json> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !["low_stress_access", "profile_access"].contains(&d["measure"]["type"].as_str().unwrap()))
        .collect();
    let ids = defs
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect::<Vec<_>>()
        .join(",");
    let dir = repo().join("sql").join("reference");
    for distance in ["straight", "network"] {
        for zones in ["districts", "rings", "historic"] {
            let mut served = Vec::new();
            for d in &defs {
                let id = d["id"].as_str().unwrap();
                let access = d["measure"]["type"] == "access";
                let mode = if access { distance } else { "straight" };
                let r = app
                    .get(&format!("/indicators/{id}?zones={zones}&distance={mode}"))
                    .await;
                assert_eq!(r.status.as_u16(), 200, "{id}: {}", String::from_utf8_lossy(&r.body));
                served.push(r.json());
            }
            let reference: Json = serde_json::from_str(&qala_ok(
                &db,
                &[
                    "indicators",
                    "--indicator",
                    &ids,
                    "--zones",
                    zones,
                    "--distance",
                    distance,
                    "--as-of",
                    &today,
                    "--reference",
                    dir.to_str().unwrap(),
                ],
            ))
            .unwrap();
            crate::engine::assert_agree(&format!("{zones}/{distance} over HTTP"), &served, &reference);
        }
    }
}

/// After a new version of a bound layer, the server re-indexes only that layer; every
/// figure then equals the one a freshly started server (whole engine built) gives.
#[tokio::test(flavor = "multi_thread")]
async fn the_incrementally_updated_engine_equals_a_freshly_built_one() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    let wait_for = |app: &App, slug: &'static str, version: Option<i64>| {
        let state = app.state.clone();
        async move {
            for _ in 0..600 {
                if let Some(e) = state.engine()
                    && version.is_none_or(|v| e.layer_versions().get(slug) == Some(&v))
                {
                    return e;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            panic!("the engine did not pick up {slug} {version:?}");
        }
    };
    let before = wait_for(&app, "transit-stops", None).await;
    load_stray_stops(&db, "transit-stops");
    app.state.sync().await.unwrap();
    let v = app
        .state
        .layer_info("transit-stops")
        .unwrap()
        .summary
        .layer_version_id
        .unwrap();
    let after = wait_for(&app, "transit-stops", Some(v)).await;
    assert!(!std::sync::Arc::ptr_eq(&before, &after));
    let fresh = App::new(&db).await;
    wait_for(&fresh, "transit-stops", Some(v)).await;
    let defs = app.get("/indicators").await.json();
    for d in defs.as_array().unwrap() {
        let id = d["id"].as_str().unwrap();
        for zones in ["districts", "rings"] {
            let uri = format!("/indicators/{id}?zones={zones}");
            let (a, b) = (app.get(&uri).await.json(), fresh.get(&uri).await.json());
            assert_eq!(a, b, "{uri}: incremental vs fresh engine");
        }
    }
    let walk = "/indicators/stops_500m?distance=network";
    assert_eq!(app.get(walk).await.json(), fresh.get(walk).await.json());
}
