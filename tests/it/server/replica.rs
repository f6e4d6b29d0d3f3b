//! `--read-database-url`: syncs read the served layers through the read pool once it has
//! replayed the primary's writes. Here the read URL names the same server (not a standby,
//! so nothing to wait for); a real streaming replica is exercised by bench/fleet/run.sh.

use axum::http::Method;
use qala_server::{AppState, ServerConfig};

use super::http::{App, multipart};
use crate::common::{fresh_db, qala_ok};

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_through_a_server_with_a_read_pool_is_served_when_answered() {
    let db = fresh_db().await;
    let admin = qala_ok(&db, &["token", "create", "--role", "admin"]).trim().to_owned();
    let primary = db.pool().await.unwrap();
    let read = db.pool().await.unwrap();
    let state = AppState::load_with_replica(primary.clone(), Some(read), ServerConfig::default())
        .await
        .unwrap();
    assert!(state.replica.is_some());
    let app = App {
        router: qala_server::router(state.clone()),
        state,
    };
    let lanes = serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "lane", "status": "existing", "facility": "protected"},
         "geometry": {"type": "LineString", "coordinates": [[76.93, 43.23], [76.94, 43.23]]}}]});
    let (ct, body) = multipart("lanes.geojson", lanes.to_string().as_bytes());
    let auth = format!("Bearer {admin}");
    let r = app
        .send(
            Method::POST,
            "/layers/lanes/versions?kind=bike_lane",
            &[("content-type", ct.as_str()), ("authorization", auth.as_str())],
            body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let current: i64 = sqlx::query_scalar("SELECT current_version_id FROM layer WHERE slug = 'lanes'")
        .fetch_one(&primary)
        .await
        .unwrap();
    // Read back at once, before any notification could have arrived: the uploader's own sync.
    assert_eq!(app.state.tiles.layer("lanes").map(|d| d.version_id), Some(current));
    let tj = app.get("/tiles/lanes.json").await.json();
    assert_eq!(tj["tiles"][0], format!("/tiles/lanes@{current}/{{z}}/{{x}}/{{y}}.mvt"));
    assert_eq!(app.get("/layers/lanes").await.json()["feature_count"], 1);
}
