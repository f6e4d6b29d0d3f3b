//! Load that used to look like an outage (issue 11): many concurrent uploads, a read pool
//! with no free connection, and a client guessing tokens.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::http::Method;
use qala_server::{AppState, ServerConfig};

use super::binary::{http, serve_with};
use super::http::{App, multipart};
use crate::common::{fresh_db, qala_ok};

fn lanes(n: usize) -> Vec<u8> {
    let lon = 76.90 + n as f64 * 0.001;
    serde_json::to_vec(&serde_json::json!({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": format!("lane {n}"), "status": "existing", "facility": "protected"},
         "geometry": {"type": "LineString", "coordinates": [[lon, 43.23], [lon + 0.01, 43.24]]}}]}))
    .unwrap()
}

fn multipart_bytes(name: &str, content: &[u8]) -> (String, Vec<u8>) {
    let boundary = "qalaPressure9f2c";
    let mut b = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/geo+json\r\n\r\n"
    )
    .into_bytes();
    b.extend_from_slice(content);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), b)
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

/// Many uploads at once to one layer, with one slot and a queue of two: each is loaded or
/// refused with 429 and Retry-After; none is a 503, reads answer throughout and `/health`
/// stays ok.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_uploads_are_queued_or_refused_never_an_outage() {
    let db = fresh_db().await;
    let admin = qala_ok(&db, &["token", "create", "--role", "admin"]).trim().to_owned();
    let server = serve_with(&db.url, &["--upload-concurrency", "1", "--upload-queue", "2"]);
    let port = server.port;
    let auth = std::sync::Arc::new(format!("Bearer {admin}"));
    let upload = move |n: usize| {
        let (ct, body) = multipart_bytes(&format!("lanes-{n}.geojson"), &lanes(n));
        let r = http(
            port,
            "POST",
            "/layers/lanes/versions?kind=bike_lane",
            &[("content-type", &ct), ("authorization", &auth)],
            &body,
        );
        r.unwrap_or_else(|| panic!("upload {n}: connection failed"))
    };
    assert_eq!(upload(0).status, 201);

    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !done.load(Ordering::Relaxed) {
                let h = http(port, "GET", "/health", &[], b"").expect("health");
                seen.push(("health", h.status, h.json()["status"].as_str().unwrap_or("").to_owned()));
                let i = http(port, "GET", "/collections/lanes/items?limit=5", &[], b"").expect("items");
                seen.push((
                    "items",
                    i.status,
                    i.header("x-qala-source").unwrap_or("database").to_owned(),
                ));
                std::thread::sleep(Duration::from_millis(20));
            }
            seen
        })
    };
    let started = std::time::Instant::now();
    let uploads: Vec<_> = (1..=24)
        .map(|n| {
            let upload = upload.clone();
            std::thread::spawn(move || upload(n))
        })
        .collect();
    let results: Vec<_> = uploads.into_iter().map(|t| t.join().unwrap()).collect();
    done.store(true, Ordering::Relaxed);
    let reads = reader.join().unwrap();
    let elapsed = started.elapsed();

    let count = |s: u16| results.iter().filter(|r| r.status == s).count();
    let (created, unchanged, refused) = (count(201), count(200), count(429));
    eprintln!(
        "24 concurrent uploads in {elapsed:?}: {created} created, {unchanged} unchanged, {refused} refused; {} reads",
        reads.len()
    );
    for r in &results {
        assert!(
            matches!(r.status, 200 | 201 | 429),
            "{}: {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
        if r.status == 429 {
            assert_eq!(r.json()["code"], "upload_queue_full");
            assert!(
                r.header("retry-after")
                    .is_some_and(|s| s.parse::<u64>().is_ok_and(|s| s > 0))
            );
        }
    }
    assert!(
        refused > 0,
        "the queue never filled: {created} created, {unchanged} unchanged"
    );
    assert!(created > 0);
    assert!(!reads.is_empty());
    for (what, status, detail) in &reads {
        assert_eq!(*status, 200, "{what}");
        if *what == "health" {
            assert_eq!(detail, "ok", "/health said {detail} during the uploads");
        }
    }
    let m = String::from_utf8(http(port, "GET", "/metrics", &[], b"").unwrap().body).unwrap();
    assert_eq!(metric(&m, "qala_uploads_refused_total"), refused as f64);
    assert_eq!(metric(&m, "qala_database_up"), 1.0);
    // Once the queue drained, uploads are taken again; every created upload is a version.
    assert_eq!(upload(99).status, 201);
    let v = http(port, "GET", "/layers/lanes/versions", &[], b"").unwrap().json();
    assert_eq!(v.as_array().unwrap().len(), created + 2);
    drop(server);
}

/// A read pool with no free connection is busy, not down: token checks answer 503
/// `server_busy` with Retry-After (or use a token checked before), items come from memory,
/// `/health` stays ok, and uploads keep their own pool.
#[tokio::test(flavor = "multi_thread")]
async fn a_busy_read_pool_is_not_an_outage() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let admin = qala_ok(&db, &["token", "create", "--role", "admin"]).trim().to_owned();
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_millis(300))
        .connect(&db.url)
        .await
        .unwrap();
    let state = AppState::load(pool.clone(), ServerConfig::default()).await.unwrap();
    let app = App {
        router: qala_server::router(state.clone()),
        state,
    };
    let auth = format!("Bearer {admin}");
    let held = pool.acquire().await.unwrap();

    let r = app.get_with("/layers", &[("authorization", &auth)]).await;
    r.assert_error(503, "server_busy");
    assert_eq!(r.header("retry-after"), Some("2"));
    let items = app.get("/collections/services/items?limit=3").await;
    assert_eq!(items.status, 200);
    assert_eq!(items.header("x-qala-source"), Some("memory"));
    assert!(app.state.db_up(), "a busy pool marked the database down");
    assert_eq!(app.get("/health").await.json()["status"], "ok");

    // Once checked, the token keeps reading while the pool is busy; uploads have a pool of
    // their own.
    drop(held);
    assert_eq!(app.get_with("/layers", &[("authorization", &auth)]).await.status, 200);
    let held = pool.acquire().await.unwrap();
    assert_eq!(app.get_with("/layers", &[("authorization", &auth)]).await.status, 200);
    let (ct, body) = multipart("lanes.geojson", &lanes(1));
    let r = app
        .send(
            Method::POST,
            "/layers/lanes/versions?kind=bike_lane",
            &[("content-type", &ct), ("authorization", &auth)],
            body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert!(app.state.db_up());
    assert_eq!(app.get("/health").await.json()["status"], "ok");
    drop(held);
}

/// Wrong tokens from one address: 401s up to the limit, then 429 with Retry-After for every
/// token request from that address (checked before the database is asked), while other
/// addresses go on; both counters in `/metrics`.
#[tokio::test(flavor = "multi_thread")]
async fn failed_auth_is_throttled_per_address() {
    let db = fresh_db().await;
    let admin = qala_ok(&db, &["token", "create", "--role", "admin"]).trim().to_owned();
    let app = App::new(&db).await;
    let (a, b): (SocketAddr, SocketAddr) = (
        "198.51.100.7:5000".parse().unwrap(),
        "198.51.100.8:5000".parse().unwrap(),
    );
    let get = |from: SocketAddr, token: String| {
        let app = &app;
        async move {
            let auth = format!("Bearer {token}");
            app.send_from(from, Method::GET, "/layers", &[("authorization", &auth)], Body::empty())
                .await
        }
    };
    for i in 0..20 {
        get(a, format!("qala_wrong{i}"))
            .await
            .assert_error(401, "invalid_token");
    }
    let r = get(a, "qala_wrong_again".into()).await;
    r.assert_error(429, "too_many_failed_auth");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    // Even the right token, from that address.
    get(a, admin.clone()).await.assert_error(429, "too_many_failed_auth");
    // Requests without a token are not affected, nor are other addresses.
    assert_eq!(
        app.send_from(a, Method::GET, "/layers", &[], Body::empty())
            .await
            .status,
        200
    );
    assert_eq!(get(b, admin.clone()).await.status, 200);
    let m = String::from_utf8(app.get("/metrics").await.body).unwrap();
    assert_eq!(metric(&m, "qala_auth_failures_total"), 20.0);
    assert_eq!(metric(&m, "qala_auth_throttled_total"), 2.0);
    // Refused before any database lookup: with the pool closed it is still a 429.
    app.state.pool.close().await;
    get(a, admin).await.assert_error(429, "too_many_failed_auth");
}
