//! Hostile input at the HTTP boundary (issue 11): parameters that used to reach PostgreSQL or
//! PROJ and come back as 500s, links built from the Host header, error bodies that were not
//! JSON or not from the catalogue, and the token rules of `POST /tokens`.

use axum::body::Body;
use axum::http::Method;
use qala_server::ServerConfig;
use qala_server::error::Code;

use super::http::{App, Resp};
use crate::common::{fresh_db, qala, qala_ok};

/// Asserts a JSON error whose code is in the catalogue with exactly this status.
fn assert_catalogue(r: &Resp, status: u16) -> String {
    assert_eq!(r.status.as_u16(), status, "{}", String::from_utf8_lossy(&r.body));
    assert!(
        r.header("content-type")
            .is_some_and(|t| t.starts_with("application/json")),
        "{:?}",
        r.headers
    );
    let j = r.json();
    let code = j["code"].as_str().unwrap_or_else(|| panic!("no code: {j}"));
    let c = Code::from_code(code).unwrap_or_else(|| panic!("{code} is not in the catalogue"));
    assert_eq!(c.status().as_u16(), status, "{code}");
    assert!(j["message"].as_str().is_some_and(|m| !m.is_empty()), "{j}");
    code.to_owned()
}

/// Bad input that used to reach the database or PROJ is a 400, both while the database
/// answers and while items come from memory.
#[tokio::test(flavor = "multi_thread")]
async fn nul_bytes_and_boxes_outside_a_crs_are_400_on_both_paths() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    let bad = [
        ("/collections/bike-lanes/items?status=%00", "invalid_parameter"),
        ("/collections/bike-lanes/items?status=planned%00x", "invalid_parameter"),
        ("/collections/bike-lanes/items?%00=1", "invalid_parameter"),
        (
            "/collections/bike-lanes/items?bbox=1e30,1e30,2e30,2e30&bbox-crs=EPSG:32643",
            "invalid_bbox",
        ),
        (
            "/collections/bike-lanes/items?bbox=-1e9,0,1e9,1e8&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/32643",
            "invalid_bbox",
        ),
        ("/collections/bike-lanes/items/1?crs=%00", "invalid_parameter"),
    ];
    for memory in [false, true] {
        if memory {
            // As the database check does when PostgreSQL stops answering.
            app.state.mark_db_down(&std::io::Error::other("test: database down"));
        }
        for (uri, code) in bad {
            let r = app.get(uri).await;
            assert_eq!(assert_catalogue(&r, 400), code, "{uri} (memory: {memory})");
        }
        // A box inside the UTM zone still answers, from where it should.
        let ok = app
            .get("/collections/bike-lanes/items?bbox=600000,4750000,650000,4800000&bbox-crs=EPSG:32643&limit=3")
            .await;
        assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
        assert_eq!(ok.header("x-qala-source") == Some("memory"), memory);
        assert_eq!(ok.json()["features"].as_array().unwrap().len(), 3);
    }
}

fn all_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| all_strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| all_strings(x, out)),
        _ => {}
    }
}

/// Every link of every document starts with the configured public URL (or is relative),
/// whatever Host and X-Forwarded-* say.
#[tokio::test(flavor = "multi_thread")]
async fn links_come_from_the_public_url_not_the_host_header() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let evil = [
        ("host", "evil.example"),
        ("x-forwarded-host", "evil2.example"),
        ("x-forwarded-proto", "https"),
        ("forwarded", "host=evil3.example;proto=https"),
        ("accept", "application/json"),
    ];
    let docs = [
        "/",
        "/?f=json",
        "/collections",
        "/collections/services",
        "/collections/services/queryables",
        "/collections/services/items?limit=2",
        "/collections/services/items/1",
        "/tiles/services,districts.json",
        "/api",
    ];
    for public in [Some("https://maps.example.kz/"), None] {
        let config = ServerConfig {
            public_url: public.map(|p| qala_server::links::public_url(p).unwrap()),
            ..ServerConfig::default()
        };
        let app = App::with_config(&db, config).await;
        let mut links = 0;
        for uri in docs {
            let r = app.get_with(uri, &evil).await;
            assert_eq!(r.status, 200, "{uri}: {}", String::from_utf8_lossy(&r.body));
            let text = String::from_utf8_lossy(&r.body);
            assert!(!text.contains("evil"), "{uri} names the Host header: {text}");
            let mut strings = Vec::new();
            all_strings(&r.json(), &mut strings);
            for s in strings
                .iter()
                .filter(|s| (s.starts_with("http://") || s.starts_with("https://")) && !s.contains("opengis.net"))
            {
                let allowed = public
                    .is_some_and(|_| s == "https://maps.example.kz" || s.starts_with("https://maps.example.kz/"))
                    || s.starts_with("https://geojson.org/")
                    || s.starts_with("https://json-schema.org/");
                assert!(allowed, "{uri}: link {s}");
                links += 1;
            }
            let j = r.json();
            for l in j["links"].as_array().into_iter().flatten() {
                let href = l["href"].as_str().unwrap();
                match public {
                    Some(_) => assert!(href.starts_with("https://maps.example.kz/"), "{uri}: {href}"),
                    None => assert!(href.starts_with('/'), "{uri}: {href}"),
                }
            }
        }
        if public.is_some() {
            assert!(links > 10, "only {links} absolute links seen");
        }
        let tj = app.get_with("/tiles/services.json", &evil).await.json();
        let v = app.state.tiles.layer("services").unwrap().version_id;
        let want = match public {
            Some(_) => format!("https://maps.example.kz/tiles/services@{v}/{{z}}/{{x}}/{{y}}.mvt"),
            None => format!("/tiles/services@{v}/{{z}}/{{x}}/{{y}}.mvt"),
        };
        assert_eq!(tj["tiles"][0], want);
    }
}

/// What the framework answers by itself (405, 404, 413, 414, 415, 431, rejected paths,
/// queries and bodies) is JSON from the catalogue too.
#[tokio::test(flavor = "multi_thread")]
async fn every_error_is_json_from_the_catalogue() {
    let db = fresh_db().await;
    let app = App::new(&db).await;

    let r = app.send(Method::DELETE, "/layers", &[], Body::empty()).await;
    assert_eq!(assert_catalogue(&r, 405), "method_not_allowed");
    let allow = r.header("allow").unwrap_or_default();
    assert_eq!(allow, "GET,HEAD");
    let r = app.send(Method::PUT, "/layers/x/versions", &[], Body::empty()).await;
    assert_eq!(assert_catalogue(&r, 405), "method_not_allowed");
    assert_eq!(r.header("allow"), Some("POST,GET,HEAD"));
    let r = app.send(Method::POST, "/tiles/x/1/2/3.mvt", &[], Body::empty()).await;
    assert_eq!(assert_catalogue(&r, 405), "method_not_allowed");
    assert_eq!(r.header("allow"), Some("GET,HEAD"));
    // Compressed or not, the body is JSON.
    let mut r = app
        .send(Method::POST, "/health", &[("accept-encoding", "gzip")], Body::empty())
        .await;
    if r.header("content-encoding") == Some("gzip") {
        let mut plain = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&r.body[..]), &mut plain).unwrap();
        r.body = plain;
    }
    assert_eq!(assert_catalogue(&r, 405), "method_not_allowed");

    assert_eq!(assert_catalogue(&app.get("/no/such/thing").await, 404), "not_found");
    let long = format!("/collections?x={}", "a".repeat(9000));
    assert_eq!(assert_catalogue(&app.get(&long).await, 414), "uri_too_long");
    let many: Vec<(String, String)> = (0..80).map(|i| (format!("x-h{i}"), "v".into())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        assert_catalogue(&app.get_with("/health", &many).await, 431),
        "headers_too_large"
    );
    let big = "b".repeat(40 << 10);
    assert_eq!(
        assert_catalogue(&app.get_with("/health", &[("x-big", &big)]).await, 431),
        "headers_too_large"
    );

    // JSON bodies: too large, wrong type, malformed.
    let huge = format!("{{\"change\": \"{}\"}}", "x".repeat(2 << 20));
    let r = app
        .send(
            Method::POST,
            "/whatif",
            &[("content-type", "application/json")],
            Body::from(huge),
        )
        .await;
    assert_eq!(assert_catalogue(&r, 413), "payload_too_large");
    let r = app
        .send(
            Method::POST,
            "/whatif",
            &[("content-type", "text/plain")],
            Body::from("{}"),
        )
        .await;
    assert_eq!(assert_catalogue(&r, 415), "unsupported_media_type");
    let r = app
        .send(
            Method::POST,
            "/whatif",
            &[("content-type", "application/json")],
            Body::from("{"),
        )
        .await;
    assert_eq!(assert_catalogue(&r, 400), "invalid_body");
    // A path segment that is not UTF-8, a query the upload cannot take.
    assert_eq!(
        assert_catalogue(&app.get("/layers/%FF%FE").await, 400),
        "invalid_request"
    );
    let r = app
        .send(Method::POST, "/layers/lanes/versions?kind=a&kind=b", &[], Body::empty())
        .await;
    assert_eq!(r.status.as_u16() / 100, 4);
    assert_catalogue(&r, r.status.as_u16());
}

/// `POST /tokens` keeps the CLI's rules, and a token without the right role is 403, not 401.
#[tokio::test(flavor = "multi_thread")]
async fn token_rules_match_the_cli_and_roles_get_403() {
    let db = fresh_db().await;
    let token = |role: &str| qala_ok(&db, &["token", "create", "--role", role]).trim().to_owned();
    let (admin, public, planner) = (token("admin"), token("public"), token("planner"));
    let app = App::new(&db).await;
    let post = |tok: Option<String>, body: serde_json::Value| {
        let app = &app;
        async move {
            let auth = tok.map(|t| format!("Bearer {t}"));
            let mut h = vec![("content-type", "application/json")];
            if let Some(a) = &auth {
                h.push(("authorization", a.as_str()));
            }
            app.send(Method::POST, "/tokens", &h, Body::from(body.to_string()))
                .await
        }
    };
    let mapper = serde_json::json!({"role": "mapper", "layers": []});
    assert_eq!(
        assert_catalogue(&post(Some(admin.clone()), mapper).await, 400),
        "invalid_grant"
    );
    let out = qala(&db, &["token", "create", "--role", "mapper"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least one layer"));
    let ok = serde_json::json!({"role": "mapper", "layers": ["lanes"]});
    assert_eq!(post(Some(admin), ok.clone()).await.status, 201);

    assert_eq!(assert_catalogue(&post(None, ok.clone()).await, 401), "unauthorized");
    for t in [public.clone(), planner] {
        assert_eq!(assert_catalogue(&post(Some(t), ok.clone()).await, 403), "forbidden");
    }
    let (ct, body) = super::http::multipart("x.geojson", b"{}");
    let auth = format!("Bearer {public}");
    let r = app
        .send(
            Method::POST,
            "/layers/lanes/versions?kind=bike_lane",
            &[("content-type", &ct), ("authorization", &auth)],
            body,
        )
        .await;
    assert_eq!(assert_catalogue(&r, 403), "forbidden");
}

/// The server's upload limits are its own settings (`qala serve --max-…`): a file past one
/// is refused with the limit named, and the layer stays as it was.
#[tokio::test(flavor = "multi_thread")]
async fn uploads_obey_the_servers_limits() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let admin = qala_ok(&db, &["token", "create", "--role", "admin"]).trim().to_owned();
    let mut config = ServerConfig::default();
    config.upload_limits.max_features = 2;
    let app = App::with_config(&db, config).await;
    let before = app.get("/layers/bike-lanes").await.json()["version"].clone();
    let lanes: Vec<serde_json::Value> = (0..3)
        .map(|i| {
            let y = 43.23 + f64::from(i) * 0.002;
            serde_json::json!({"type": "Feature", "properties": {"name": format!("lane {i}"), "status": "planned", "facility": "protected"},
                "geometry": {"type": "LineString", "coordinates": [[76.90, y], [76.91, y]]}})
        })
        .collect();
    let file = serde_json::to_vec(&serde_json::json!({"type": "FeatureCollection", "features": lanes})).unwrap();
    let (ct, body) = super::http::multipart("lanes.geojson", &file);
    let auth = format!("Bearer {admin}");
    let r = app
        .send(
            Method::POST,
            "/layers/bike-lanes/versions",
            &[("content-type", ct.as_str()), ("authorization", auth.as_str())],
            body,
        )
        .await;
    assert_eq!(assert_catalogue(&r, 400), "too_many_features");
    assert!(r.json()["message"].as_str().unwrap().contains('2'), "{}", r.json());
    assert_eq!(app.get("/layers/bike-lanes").await.json()["version"], before);
}
