//! Tile URLs that name layer versions: TileJSON hands out the current versions' URL
//! (revalidated on every use), such tiles are immutable, and after an upload the old URL
//! never answers the new tile — it redirects to the new URL, which serves it.

use axum::http::Method;
use qala_tiles::mvt_decode::decode;

use super::http::{App, Resp, multipart, tile_at};
use crate::common::{fresh_db, qala_ok};

fn lanes(lon0: f64) -> Vec<u8> {
    let features: Vec<serde_json::Value> = (0..5)
        .map(|i| {
            let y = 43.23 + f64::from(i) * 0.002;
            serde_json::json!({"type": "Feature", "properties": {"name": format!("lane {i}"), "status": "existing", "facility": "protected"},
                "geometry": {"type": "LineString", "coordinates": [[lon0, y], [lon0 + 0.01, y]]}})
        })
        .collect();
    serde_json::to_vec(&serde_json::json!({"type": "FeatureCollection", "features": features})).unwrap()
}

async fn upload(app: &App, token: &str, content: &[u8]) -> Resp {
    let (ct, body) = multipart("lanes.geojson", content);
    let auth = format!("Bearer {token}");
    let h = [("content-type", ct.as_str()), ("authorization", auth.as_str())];
    let r = app
        .send(Method::POST, "/layers/lanes/versions?kind=bike_lane", &h, body)
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r
}

fn tile_ids(r: &Resp) -> Vec<u64> {
    decode(&r.body)
        .unwrap()
        .iter()
        .flat_map(|l| l.features.iter().filter_map(|f| f.id))
        .collect()
}

/// The tile URL template of a TileJSON, filled in at `zxy`.
fn tile_url(tilejson: &serde_json::Value, zxy: &str) -> String {
    let mut parts = zxy.split('/');
    let (z, x, y) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    tilejson["tiles"][0]
        .as_str()
        .unwrap()
        .replace("{z}", z)
        .replace("{x}", x)
        .replace("{y}", y)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_moves_tilejson_to_new_immutable_urls_and_the_old_ones_never_serve_it() {
    let db = fresh_db().await;
    let admin = qala_ok(&db, &["token", "create", "--role", "admin"]).trim().to_owned();
    let app = App::new(&db).await;
    upload(&app, &admin, &lanes(76.93)).await;
    let v1 = app.state.tiles.layer("lanes").unwrap().version_id;
    let at = tile_at(15, 76.935, 43.234);

    // TileJSON names version 1; it is revalidated on every use.
    let tj1 = app.get("/tiles/lanes.json").await;
    assert_eq!(tj1.status, 200);
    assert_eq!(tj1.header("cache-control"), Some("no-cache"));
    assert_eq!(tj1.header("content-type"), Some("application/json"));
    let etag1 = tj1.header("etag").unwrap().to_owned();
    let old_url = tile_url(&tj1.json(), &at);
    assert_eq!(old_url, format!("/tiles/lanes@{v1}/{at}.mvt"));
    let again = app.get_with("/tiles/lanes.json", &[("if-none-match", &etag1)]).await;
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());

    // Its tile is immutable; the bare URL stays short-lived.
    let t1 = app.get(&old_url).await;
    assert_eq!(t1.status, 200);
    assert_eq!(t1.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(t1.header("content-type"), Some("application/vnd.mapbox-vector-tile"));
    let v1_ids = tile_ids(&t1);
    assert!(!v1_ids.is_empty(), "version 1's lanes cross this tile");
    let bare = app.get(&format!("/tiles/lanes/{at}.mvt")).await;
    assert_eq!(bare.header("cache-control"), Some("public, max-age=60"));
    assert_eq!(tile_ids(&bare), v1_ids);

    // Version 2 moves the lanes east: out of this tile.
    upload(&app, &admin, &lanes(76.95)).await;
    let v2 = app.state.tiles.layer("lanes").unwrap().version_id;
    assert_ne!(v1, v2);
    let tj2 = app.get_with("/tiles/lanes.json", &[("if-none-match", &etag1)]).await;
    assert_eq!(tj2.status, 200, "the old ETag no longer matches");
    assert_ne!(tj2.header("etag"), Some(etag1.as_str()));
    let new_url = tile_url(&tj2.json(), &at);
    assert_eq!(new_url, format!("/tiles/lanes@{v2}/{at}.mvt"));

    // The old URL never answers the new tile: it redirects, uncached, to the new URL.
    let old = app.get(&old_url).await;
    assert_eq!(old.status, 302, "{}", String::from_utf8_lossy(&old.body));
    assert_eq!(old.header("location"), Some(new_url.as_str()));
    assert_eq!(old.header("cache-control"), Some("no-store"));
    assert!(old.body.is_empty());
    let t2 = app.get(&new_url).await;
    assert_eq!(t2.status, 200);
    assert_eq!(t2.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert!(tile_ids(&t2).is_empty(), "version 2's lanes are east of this tile");
    assert_ne!(t1.header("etag"), t2.header("etag"));
    let east = tile_at(15, 76.955, 43.234);
    assert!(!tile_ids(&app.get(&format!("/tiles/lanes@{v2}/{east}.mvt")).await).is_empty());

    // Versions that are not the layer's, and bad ones.
    app.get(&format!("/tiles/lanes@{}/{at}.mvt", v2 + 1000))
        .await
        .assert_error(404, "version_not_found");
    for bad in ["lanes@x", "lanes@0", "lanes@-3", "lanes@"] {
        app.get(&format!("/tiles/{bad}/{at}.mvt"))
            .await
            .assert_error(400, "invalid_tile");
    }
    app.get(&format!("/tiles/lanes@{v2}.json"))
        .await
        .assert_error(400, "invalid_tile");

    // The database serves version 1 again but this instance has not re-read it yet (as a
    // replica of a fleet that heard of the rollback last): version 1's URL is pending, not
    // answered with version 2's tile; version 2's URL still serves version 2.
    let pool = db.pool().await.unwrap();
    sqlx::query("UPDATE layer SET current_version_id = $1 WHERE slug = 'lanes'")
        .bind(v1)
        .execute(&pool)
        .await
        .unwrap();
    let pending = app.get(&old_url).await;
    pending.assert_error(503, "layer_version_pending");
    assert_eq!(pending.header("retry-after"), Some("1"));
    assert!(tile_ids(&app.get(&new_url).await).is_empty());
    app.state.sync().await.unwrap();
    let back = app.get(&old_url).await;
    assert_eq!(back.status, 200);
    assert_eq!(tile_ids(&back), v1_ids);
    assert_eq!(app.get(&new_url).await.header("location"), Some(old_url.as_str()));
    let tj3 = app.get("/tiles/lanes.json").await.json();
    assert_eq!(tile_url(&tj3, &at), old_url);
}
