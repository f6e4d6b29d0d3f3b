//! Roles and tokens, uploads, versions, rollback, hidden layers, CORS, and new versions
//! reaching the tiles.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Method;
use qala_tiles::mvt_decode::decode;

use super::http::{App, Resp, multipart, tile_at};
use crate::common::{fresh_db, qala_ok};

fn lanes(status: &str, lon0: f64) -> Vec<u8> {
    let features: Vec<serde_json::Value> = (0..5)
        .map(|i| {
            let y = 43.23 + f64::from(i) * 0.002;
            serde_json::json!({"type": "Feature", "properties": {"name": format!("lane {i}"), "status": status, "facility": "protected"},
                "geometry": {"type": "LineString", "coordinates": [[lon0, y], [lon0 + 0.01, y]]}})
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({"type": "FeatureCollection", "features": features})).unwrap()
}

async fn upload(app: &App, uri: &str, token: Option<&str>, name: &str, content: &[u8]) -> Resp {
    let (ct, body) = multipart(name, content);
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut h = vec![("content-type", ct.as_str())];
    if let Some(a) = &auth {
        h.push(("authorization", a.as_str()));
    }
    app.send(Method::POST, uri, &h, body).await
}

async fn post_json(app: &App, uri: &str, token: Option<&str>, body: serde_json::Value) -> Resp {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut h = vec![("content-type", "application/json")];
    if let Some(a) = &auth {
        h.push(("authorization", a.as_str()));
    }
    app.send(Method::POST, uri, &h, Body::from(body.to_string())).await
}

fn tile_ids(r: &Resp) -> Vec<u64> {
    decode(&r.body)
        .unwrap()
        .iter()
        .flat_map(|l| l.features.iter().filter_map(|f| f.id))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn roles_tokens_uploads_versions_and_rollback() {
    let db = fresh_db().await;
    let token = |args: &[&str]| {
        let mut a = vec!["token", "create"];
        a.extend_from_slice(args);
        qala_ok(&db, &a).trim().to_owned()
    };
    let admin = token(&["--role", "admin"]);
    let mapper = token(&["--role", "mapper", "--layer", "lanes"]);
    let other_mapper = token(&["--role", "mapper", "--layer", "green-spaces"]);
    let planner = token(&["--role", "planner"]);
    assert!(admin.starts_with("qala_") && admin.len() == 69);
    // the database keeps only the hash
    let pool = db.pool().await.unwrap();
    let stored: Vec<String> = sqlx::query_scalar("SELECT token_sha256 FROM api_token")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 4);
    assert!(!stored.iter().any(|h| h == &admin));
    assert!(stored.contains(&qala_server::auth::token_hash(&admin)));

    let app = App::new(&db).await;
    let uri = "/layers/lanes/versions?kind=bike_lane";
    // no token, a mapper creating a layer, a wrong scheme, an unknown token
    upload(&app, uri, None, "lanes.geojson", &lanes("existing", 76.93))
        .await
        .assert_error(401, "unauthorized");
    upload(&app, uri, Some(&mapper), "lanes.geojson", &lanes("existing", 76.93))
        .await
        .assert_error(403, "forbidden");
    upload(&app, uri, Some("qala_0000"), "lanes.geojson", &lanes("existing", 76.93))
        .await
        .assert_error(401, "invalid_token");
    let basic = app
        .send(
            Method::GET,
            "/layers",
            &[("authorization", "Basic YTpi")],
            Body::empty(),
        )
        .await;
    basic.assert_error(401, "invalid_token");

    // the admin creates the layer: version 1
    let r = upload(&app, uri, Some(&admin), "lanes.geojson", &lanes("existing", 76.93)).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let rep = r.json();
    assert_eq!(rep["status"], "loaded");
    assert_eq!(rep["version"], 1);
    assert_eq!(rep["features_loaded"], 5);
    assert_eq!(rep["source_name"], "lanes.geojson");
    let t1 = tile_at(15, 76.935, 43.234);
    let v1_tile = app.get(&format!("/tiles/lanes/{t1}.mvt")).await;
    let v1_ids = tile_ids(&v1_tile);
    assert!(!v1_ids.is_empty(), "version 1's lanes cross this tile");

    // the same file again: unchanged, 200
    let r = upload(
        &app,
        "/layers/lanes/versions",
        Some(&mapper),
        "lanes.geojson",
        &lanes("existing", 76.93),
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"], "unchanged");

    // bad features: 422 with the report, nothing loaded
    let r = upload(
        &app,
        "/layers/lanes/versions",
        Some(&mapper),
        "bad.geojson",
        &lanes("open", 76.93),
    )
    .await;
    r.assert_error(422, "invalid_features");
    let j = r.json();
    assert_eq!(j["report"]["problems"][0]["field"], "status", "{j}");
    assert_eq!(app.get("/layers/lanes").await.json()["version"], 1);

    // the granted mapper uploads version 2, moved east; the tile changes at once
    let r = upload(
        &app,
        "/layers/lanes/versions",
        Some(&mapper),
        "lanes-v2.geojson",
        &lanes("planned", 76.95),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["version"], 2);
    let v2_tile = app.get(&format!("/tiles/lanes/{t1}.mvt")).await;
    assert!(
        tile_ids(&v2_tile).is_empty(),
        "version 1's lanes are gone from this tile"
    );
    assert_ne!(v2_tile.header("etag"), v1_tile.header("etag"));
    let versions = app.get("/layers/lanes/versions").await.json();
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(
        versions[0]["created_by"].as_str().unwrap().split(':').next(),
        Some("token")
    );

    // another mapper may not touch it; nor may the public roll back
    upload(
        &app,
        "/layers/lanes/versions",
        Some(&other_mapper),
        "x.geojson",
        &lanes("planned", 76.9),
    )
    .await
    .assert_error(403, "forbidden");
    post_json(&app, "/layers/lanes/rollback", None, serde_json::json!({"version": 1}))
        .await
        .assert_error(401, "unauthorized");
    post_json(
        &app,
        "/layers/lanes/rollback",
        Some(&mapper),
        serde_json::json!({"version": 9}),
    )
    .await
    .assert_error(404, "version_not_found");
    post_json(
        &app,
        "/layers/lanes/rollback",
        Some(&mapper),
        serde_json::json!({"to": 1}),
    )
    .await
    .assert_error(400, "invalid_body");
    let r = post_json(
        &app,
        "/layers/lanes/rollback",
        Some(&mapper),
        serde_json::json!({"version": 1}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(tile_ids(&app.get(&format!("/tiles/lanes/{t1}.mvt")).await), v1_ids);

    // A version switched outside the server (the CLI) reaches the tiles within 1 s, through NOTIFY
    let follower = tokio::spawn(app.state.clone().follow_versions());
    tokio::time::sleep(Duration::from_millis(300)).await;
    qala_ok(&db, &["layer", "rollback", "lanes", "--to", "2"]);
    let started = Instant::now();
    loop {
        if tile_ids(&app.get(&format!("/tiles/lanes/{t1}.mvt")).await).is_empty() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "the new version was not served within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    follower.abort();

    // A hidden layer answers exactly like a missing one, except to planners and admins
    sqlx::query("UPDATE layer SET visibility = 'internal' WHERE slug = 'lanes'")
        .execute(&pool)
        .await
        .unwrap();
    app.state.sync().await.unwrap();
    let hidden = app.get("/collections/lanes").await;
    let missing = app.get("/collections/lanez").await;
    hidden.assert_error(404, "layer_not_found");
    assert_eq!(
        hidden.json()["message"].as_str().unwrap().replace("lanes", "X"),
        missing.json()["message"].as_str().unwrap().replace("lanez", "X")
    );
    app.get(&format!("/tiles/lanes/{t1}.mvt"))
        .await
        .assert_error(404, "layer_not_found");
    assert!(
        !app.get("/layers")
            .await
            .json()
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["slug"] == "lanes")
    );
    let auth = format!("Bearer {planner}");
    let seen = app
        .get_with("/collections/lanes/items", &[("authorization", &auth)])
        .await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.json()["features"].as_array().unwrap().len(), 5);
    let t = app
        .get_with(
            &format!("/tiles/lanes/{}.mvt", tile_at(15, 76.955, 43.234)),
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(t.header("cache-control"), Some("private, max-age=60"));
    assert!(!tile_ids(&t).is_empty());
    // a planner has no upload grant
    upload(
        &app,
        "/layers/lanes/versions",
        Some(&planner),
        "x.geojson",
        &lanes("planned", 76.9),
    )
    .await
    .assert_error(403, "forbidden");

    // tokens over HTTP: admins only
    post_json(
        &app,
        "/tokens",
        Some(&planner),
        serde_json::json!({"role": "mapper", "layers": ["lanes"]}),
    )
    .await
    .assert_error(403, "forbidden");
    let r = post_json(
        &app,
        "/tokens",
        Some(&admin),
        serde_json::json!({"role": "mapper", "layers": ["lanes"]}),
    )
    .await;
    assert_eq!(r.status, 201);
    let new_token = r.json()["token"].as_str().unwrap().to_owned();
    // revoked tokens stop working
    let id = r.json()["id"].as_i64().unwrap().to_string();
    qala_ok(&db, &["token", "revoke", &id]);
    upload(
        &app,
        "/layers/lanes/versions",
        Some(&new_token),
        "x.geojson",
        &lanes("planned", 76.9),
    )
    .await
    .assert_error(401, "invalid_token");

    // CORS: open for reads, not for writes
    let get = app.get_with("/layers", &[("origin", "https://example.org")]).await;
    assert_eq!(get.header("access-control-allow-origin"), Some("*"));
    let pre = app
        .send(
            Method::OPTIONS,
            "/layers/lanes/versions",
            &[
                ("origin", "https://example.org"),
                ("access-control-request-method", "POST"),
                ("access-control-request-headers", "authorization"),
            ],
            Body::empty(),
        )
        .await;
    let allowed = pre.header("access-control-allow-methods").unwrap_or("");
    assert!(!allowed.contains("POST"), "{allowed}");
    assert!(
        !pre.header("access-control-allow-headers")
            .unwrap_or("")
            .contains("authorization")
    );
}
