//! PostgreSQL stops under a running server and comes back: tiles and features keep being
//! served from memory meanwhile, what needs the database says so (503), and after the
//! restart a new upload is served without restarting qala.
//!
//! Runs its own cluster in a temporary directory: the shared test cluster is never stopped.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::time::{Duration, Instant};

use axum::http::Method;
use qala_server::{AppState, ServerConfig};
use qala_store::EmbeddedPostgres;
use qala_tiles::mvt_decode::decode;

use super::http::{App, Resp, multipart, tile_at};
use crate::common::{qala_bin, repo};

const CENTRE: (f64, f64) = qala_core::REPUBLIC_SQUARE_WGS84;

fn qala_on(url: &str, args: &[&str]) -> String {
    let out = Command::new(qala_bin())
        .args(args)
        .current_dir(repo())
        .env("DATABASE_URL", url)
        .env("QALA_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "qala {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Bike lanes around the centre, named after `tag`.
fn lanes(tag: &str, n: i32) -> Vec<u8> {
    let features: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let y = CENTRE.1 - 0.01 + f64::from(i) * 0.001;
            serde_json::json!({"type": "Feature", "properties": {"name": format!("{tag} {i}"), "status": "existing", "facility": "protected"},
                "geometry": {"type": "LineString", "coordinates": [[CENTRE.0 - 0.01, y], [CENTRE.0 + 0.01, y]]}})
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({"type": "FeatureCollection", "features": features})).unwrap()
}

async fn upload(app: &App, token: &str, content: &[u8]) -> Resp {
    let (ct, body) = multipart("lanes.geojson", content);
    let auth = format!("Bearer {token}");
    app.send(
        Method::POST,
        "/layers/lanes/versions?kind=bike_lane",
        &[("content-type", ct.as_str()), ("authorization", auth.as_str())],
        body,
    )
    .await
}

fn tile_ids(r: &Resp) -> Vec<u64> {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    decode(&r.body)
        .unwrap()
        .iter()
        .flat_map(|l| l.features.iter().filter_map(|f| f.id))
        .collect()
}

fn names(r: &Resp) -> Vec<String> {
    r.json()["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["properties"]["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Polls `check` every 100 ms until it holds, at most `limit`.
async fn wait_for(what: &str, limit: Duration, mut check: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serves_from_memory_while_postgres_restarts() {
    let home = tempfile::tempdir().unwrap();
    // The cluster runs as `postgres` when the tests run as root: it must reach its data.
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let h = home.path().to_owned();
    let pg = tokio::task::spawn_blocking(move || EmbeddedPostgres::ensure_running(&h))
        .await
        .unwrap()
        .unwrap();
    let url = pg.url();
    qala_on(&url, &["fixtures", "load", "--quiet"]);
    let admin = qala_on(&url, &["token", "create", "--role", "admin"]);
    let unused = qala_on(&url, &["token", "create", "--role", "planner"]);

    let pool = qala_store::connect(&url, 4).await.unwrap();
    let state = AppState::load(pool, ServerConfig::default()).await.unwrap();
    let app = App {
        router: qala_server::router(state.clone()),
        state: state.clone(),
    };
    let background = tokio::spawn(state.clone().keep_in_step());
    let r = upload(&app, &admin, &lanes("before", 5)).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let tile = format!("/tiles/lanes,green-spaces/{}.mvt", tile_at(14, CENTRE.0, CENTRE.1));
    let before_tile = tile_ids(&app.get(&tile).await);
    assert!(!before_tile.is_empty());
    let page = "/collections/green-spaces/items?limit=5";
    let db_page = app.get(page).await;
    assert_eq!(db_page.status, 200);
    assert_eq!(db_page.header("x-qala-source"), None);

    // PostgreSQL stops.
    let stopper = pg.clone();
    tokio::task::spawn_blocking(move || stopper.stop())
        .await
        .unwrap()
        .unwrap();
    // A request racing the outage's detection (checked every second) is not held longer.
    let started = Instant::now();
    let racing = app.get(page).await;
    assert_eq!(racing.status, 200, "{}", String::from_utf8_lossy(&racing.body));
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    wait_for("health says degraded", Duration::from_secs(5), async || {
        app.get("/health").await.json()["status"] == "degraded"
    })
    .await;
    let h = app.get("/health").await;
    assert_eq!(h.status, 200);
    assert_eq!(h.json()["database"], "unavailable");
    assert!(String::from_utf8_lossy(&app.get("/metrics").await.body).contains("\nqala_database_up 0\n"));

    // Tiles, collections and items answer from memory, quickly.
    let started = Instant::now();
    assert_eq!(tile_ids(&app.get(&tile).await), before_tile);
    let uncached = format!("/tiles/green-spaces/{}.mvt", tile_at(13, CENTRE.0, CENTRE.1));
    assert!(!tile_ids(&app.get(&uncached).await).is_empty());
    assert_eq!(app.get("/collections").await.status, 200);
    let mem_page = app.get(page).await;
    assert_eq!(mem_page.status, 200, "{}", String::from_utf8_lossy(&mem_page.body));
    assert_eq!(mem_page.header("x-qala-source"), Some("memory"));
    let (dj, mj) = (db_page.json(), mem_page.json());
    assert_eq!(dj["features"].as_array().unwrap().len(), 5);
    for (d, m) in dj["features"]
        .as_array()
        .unwrap()
        .iter()
        .zip(mj["features"].as_array().unwrap())
    {
        assert_eq!(d["id"], m["id"]);
        assert_eq!(d["properties"], m["properties"]);
    }
    assert_eq!(dj["links"][2]["href"], mj["links"][2]["href"], "the same next link");
    let next = mj["links"][2]["href"].as_str().unwrap().replace("http://qala.test", "");
    let next_page = app.get(&next).await;
    assert_eq!(next_page.status, 200);
    assert_eq!(next_page.header("x-qala-source"), Some("memory"));
    let first_ids: Vec<i64> = mj["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    let next_ids: Vec<i64> = next_page.json()["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    assert!(!next_ids.is_empty() && next_ids[0] > *first_ids.last().unwrap());
    let one = app
        .get(&format!("/collections/green-spaces/items/{}", first_ids[0]))
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.header("x-qala-source"), Some("memory"));
    let bbox = app
        .get(&format!(
            "/collections/districts/items?bbox={},{},{},{}",
            CENTRE.0 - 0.001,
            CENTRE.1 - 0.001,
            CENTRE.0 + 0.001,
            CENTRE.1 + 0.001
        ))
        .await;
    assert_eq!(bbox.json()["numberReturned"], 1, "the district at the centre");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "seven reads from memory took {:?}",
        started.elapsed()
    );

    // What needs the database says so at once.
    let started = Instant::now();
    upload(&app, &admin, &lanes("during", 3))
        .await
        .assert_error(503, "database_unavailable");
    app.get("/layers/lanes/versions")
        .await
        .assert_error(503, "database_unavailable");
    // A token checked before the outage keeps reading; one never seen cannot be checked.
    let seen = format!("Bearer {admin}");
    let r = app.get_with("/collections", &[("authorization", seen.as_str())]).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let unseen = format!("Bearer {unused}");
    app.get_with("/collections", &[("authorization", unseen.as_str())])
        .await
        .assert_error(503, "database_unavailable");
    assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
    let metrics = String::from_utf8_lossy(&app.get("/metrics").await.body).into_owned();
    assert!(
        metrics.contains("\nqala_items_from_memory_total 5\n"),
        "the racing page, first page, next page, one item, bbox: {metrics}"
    );

    // PostgreSQL comes back; qala notices by itself and serves a new upload.
    let h = home.path().to_owned();
    tokio::task::spawn_blocking(move || EmbeddedPostgres::ensure_running(&h))
        .await
        .unwrap()
        .unwrap();
    wait_for("health says ok", Duration::from_secs(15), async || {
        app.get("/health").await.json()["status"] == "ok"
    })
    .await;
    let r = upload(&app, &admin, &lanes("after", 7)).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    wait_for(
        "the new version in items and tiles",
        Duration::from_secs(5),
        async || {
            let items = app.get("/collections/lanes/items").await;
            let n = names(&items);
            n.len() == 7 && n.iter().all(|s| s.starts_with("after")) && items.header("x-qala-source").is_none() && {
                let ids = tile_ids(&app.get(&tile).await);
                ids.len() > before_tile.len()
            }
        },
    )
    .await;

    background.abort();
    app.state.pool.close().await;
    tokio::task::spawn_blocking(move || pg.stop()).await.unwrap().unwrap();
}
