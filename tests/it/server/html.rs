//! The OGC API's HTML pages in Kazakh, Russian and English, and the CSV and GeoPackage
//! downloads of items (issue 12 item 6), over layers uploaded into a fresh database: JSON
//! clients still get JSON, browsers get pages, user data is escaped, a download holds what
//! the same filter matches, and a hidden or missing layer is the same 404 in every format.

use std::process::Command;

use axum::http::Method;
use serde_json::{Value, json};

use super::http::{App, Resp, multipart};
use crate::common::{fresh_db, qala_ok};

const FIREFOX: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
const SCRIPT: &str = "<script>alert('x')</script>";
const QUOTED: &str = "Abai \"avenue\", east";
const LANES: i64 = 30;

fn lanes() -> Vec<u8> {
    let statuses = ["existing", "planned", "under_construction"];
    let features: Vec<Value> = (0..LANES)
        .map(|i| {
            let y = 43.23 + i as f64 * 0.002;
            let name = match i {
                0 => SCRIPT.to_owned(),
                1 => QUOTED.to_owned(),
                _ => format!("lane {i}"),
            };
            let status = statuses[(i % 3) as usize];
            let mut p = json!({"name": name, "status": status, "facility": "protected"});
            if status == "planned" {
                p["planned_year"] = json!(2030);
            }
            json!({"type": "Feature", "properties": p,
                   "geometry": {"type": "LineString", "coordinates": [[76.93, y], [76.94, y + 0.001]]}})
        })
        .collect();
    serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features})).unwrap()
}

fn parks() -> Vec<u8> {
    let features: Vec<Value> = (0..3)
        .map(|i| {
            let x = 76.9 + f64::from(i) * 0.01;
            json!({"type": "Feature", "properties": {"name": format!("park {i}"), "category": "park", "public_access": i != 1},
                   "geometry": {"type": "Polygon", "coordinates": [[[x, 43.2], [x + 0.005, 43.2], [x + 0.005, 43.205], [x, 43.2]]]}})
        })
        .collect();
    serde_json::to_vec(&json!({"type": "FeatureCollection", "features": features})).unwrap()
}

async fn upload(app: &App, uri: &str, token: &str, name: &str, content: &[u8]) {
    let (ct, body) = multipart(name, content);
    let auth = format!("Bearer {token}");
    let r = app
        .send(
            Method::POST,
            uri,
            &[("content-type", &ct), ("authorization", &auth)],
            body,
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
}

fn text(r: &Resp) -> String {
    String::from_utf8(r.body.clone()).unwrap()
}

/// A page: 200, HTML, in `lang`, JSON alternate, no script anywhere.
fn assert_page(r: &Resp, lang: &str, uri: &str) -> String {
    assert_eq!(r.status, 200, "{uri}: {}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"), "{uri}");
    let t = text(r);
    assert!(t.contains(&format!("<html lang=\"{lang}\">")), "{uri} not in {lang}");
    assert!(t.contains(r#"<link rel="alternate" type="application/json""#), "{uri}");
    for l in ["kk", "ru", "en"] {
        assert!(t.contains(&format!(r#"hreflang="{l}""#)), "{uri}: no switch to {l}");
    }
    assert!(!t.to_lowercase().contains("<script"), "{uri}: unescaped script");
    t
}

/// RFC 4180 records (quoted fields may hold commas, quotes and line breaks).
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = s.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(field.is_empty() && row.is_empty(), "the last record has no CRLF");
    rows
}

/// `ogrinfo -so -al` of a GeoPackage answer.
fn ogrinfo(r: &Resp) -> String {
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("application/geopackage+sqlite3"));
    assert!(r.body.starts_with(b"SQLite format 3\0"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("download.gpkg");
    std::fs::write(&path, &r.body).unwrap();
    let out = Command::new("ogrinfo")
        .args(["-so", "-al"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_in_three_languages_and_downloads() {
    let db = fresh_db().await;
    let admin = qala_ok(&db, &["token", "create", "--role", "admin"]).trim().to_owned();
    let app = App::new(&db).await;
    upload(
        &app,
        "/layers/lanes/versions?kind=bike_lane",
        &admin,
        "lanes.geojson",
        &lanes(),
    )
    .await;
    upload(
        &app,
        "/layers/parks/versions?kind=green_space",
        &admin,
        "parks.geojson",
        &parks(),
    )
    .await;
    let pool = db.pool().await.unwrap();
    sqlx::query(
        "UPDATE layer SET title_kk = 'Велосипед жолдары', title_ru = 'Велодорожки', title_en = 'Bike lanes',
                synthetic = true, licence = 'CC BY 4.0', attribution = 'qala <tests>' WHERE slug = 'lanes'",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("UPDATE layer SET title_kk = 'Саябақтар', title_ru = 'Парки', title_en = 'Parks' WHERE slug = 'parks'")
        .execute(&pool)
        .await
        .unwrap();
    app.state.sync().await.unwrap();

    // Each page in each language, by lang= and by Accept-Language.
    let words = [
        ("kk", "kk-KZ,kk;q=0.9", "Қабаттар", "Велосипед жолдары", "Синтетикалық"),
        ("ru", "ru-RU,ru;q=0.9,en;q=0.8", "Слои", "Велодорожки", "Синтетические"),
        ("en", "de-DE,de;q=0.9", "Layers", "Bike lanes", "Synthetic"),
    ];
    let items_json = app.get("/collections/lanes/items?limit=100").await.json();
    let script_id = items_json["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["name"] == SCRIPT)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    for (lang, accept_language, layers, title, synthetic) in words {
        for by_query in [true, false] {
            let get = |path: &str| {
                let (uri, h) = if by_query {
                    let sep = if path.contains('?') { '&' } else { '?' };
                    (format!("{path}{sep}lang={lang}"), vec![("accept", FIREFOX)])
                } else {
                    (
                        path.to_owned(),
                        vec![("accept", FIREFOX), ("accept-language", accept_language)],
                    )
                };
                let app = &app;
                async move { (app.get_with(&uri, &h).await, uri) }
            };
            let (r, uri) = get("/?f=html").await;
            let t = assert_page(&r, lang, &uri);
            assert!(
                t.contains(layers) && t.contains("/api") && t.contains("/conformance"),
                "{uri}"
            );

            let (r, uri) = get("/collections").await;
            let t = assert_page(&r, lang, &uri);
            assert!(t.contains(&format!("<h1>{layers}</h1>")), "{uri}");
            assert!(t.contains(title) && t.contains("Parks") == (lang == "en"), "{uri}");
            assert!(
                t.contains(&format!(r#"<span class="synthetic">{synthetic}</span>"#)),
                "{uri}"
            );
            assert!(t.contains("qala &lt;tests&gt;") && t.contains("CC BY 4.0"), "{uri}");

            let (r, uri) = get("/collections/lanes").await;
            let t = assert_page(&r, lang, &uri);
            assert!(t.contains(&format!("<title>{title}</title>")), "{uri}");
            assert!(t.contains(r#"class="note""#) && t.contains(synthetic), "{uri}");
            assert!(
                t.contains(r#"<svg xmlns="http://www.w3.org/2000/svg""#) && t.contains(r#"role="img""#),
                "{uri}"
            );
            assert!(t.contains("°") && t.contains("planned_year"), "{uri}");
            for href in [
                "/collections/lanes/items?f=json&amp;limit=30",
                "/collections/lanes/items?f=csv",
                "/collections/lanes/items?f=gpkg",
            ] {
                assert!(t.contains(&format!(r#"href="{href}""#)), "{uri}: no {href}");
            }

            let (r, uri) = get("/collections/lanes/items?limit=10").await;
            let t = assert_page(&r, lang, &uri);
            assert!(t.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"), "{uri}");
            assert!(t.contains("Abai &quot;avenue&quot;, east"), "{uri}");
            assert_eq!(t.matches("<tr><td><a href=").count(), 10, "{uri}");
            assert!(t.contains(r#"rel="next""#) && t.contains("after="), "{uri}");
            assert!(t.contains("<svg"), "{uri}");

            let (r, uri) = get(&format!("/collections/lanes/items/{script_id}")).await;
            let t = assert_page(&r, lang, &uri);
            assert!(t.contains("&lt;script&gt;") && t.contains("<svg"), "{uri}");
        }
    }
    // lang= carries on through the links; the switcher offers the others.
    let t = text(&app.get("/collections?f=html&lang=ru").await);
    assert!(t.contains(r#"href="/collections/lanes?lang=ru""#), "{t}");
    assert!(t.contains(r#"href="/collections?f=html&amp;lang=kk""#), "{t}");
    // Locale number formatting: 30 is too small to group, so check the JSON link's count.
    let t = text(&app.get("/collections/lanes?f=html&lang=ru").await);
    assert!(t.contains("<dd>30</dd>"), "{t}");

    // JSON clients: no Accept, JSON, */*, GDAL's and f=json over a browser's Accept.
    for (uri, accept) in [
        ("/collections", None),
        ("/collections", Some("application/json")),
        ("/collections", Some("*/*")),
        (
            "/collections/lanes",
            Some("application/geo+json, application/json;q=0.9"),
        ),
        ("/collections/lanes?f=json", Some(FIREFOX)),
        ("/collections/lanes/items?limit=2", None),
        ("/collections/lanes/items?f=json&lang=kk", Some(FIREFOX)),
        (&format!("/collections/lanes/items/{script_id}") as &str, Some("*/*")),
    ] {
        let h: Vec<(&str, &str)> = accept.map(|a| ("accept", a)).into_iter().collect();
        let r = app.get_with(uri, &h).await;
        assert_eq!(r.status, 200, "{uri}");
        let ct = r.header("content-type").unwrap_or("");
        assert!(
            ct == "application/json" || ct == "application/geo+json",
            "{uri} {accept:?}: {ct}"
        );
        r.json();
    }
    let landing = app.get_with("/", &[("accept", "application/json")]).await.json();
    assert!(
        landing["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "alternate" && l["type"] == "text/html")
    );
    let page = app.get("/collections/lanes/items?limit=2&f=json").await.json();
    assert!(page["links"].as_array().unwrap().iter().any(|l| l["rel"] == "alternate"
        && l["type"] == "text/html"
        && l["href"] == "/collections/lanes/items?limit=2&f=html"));
    let c = app.get("/collections/lanes").await.json();
    assert!(
        c["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "alternate" && l["type"] == "text/html" && l["href"] == "/collections/lanes?f=html")
    );

    // CSV: the same matches as the JSON items, RFC 4180, data unescaped.
    for filter in [
        "status=planned",
        "filter=status%3D%27existing%27",
        "bbox=76.9,43.2,77.0,43.25",
        "",
    ] {
        let matched = app
            .get(&format!("/collections/lanes/items?limit=1&{filter}"))
            .await
            .json()["numberMatched"]
            .as_i64()
            .unwrap();
        let r = app.get(&format!("/collections/lanes/items?f=csv&{filter}")).await;
        assert_eq!(r.status, 200, "{filter}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
        assert_eq!(
            r.header("content-disposition"),
            Some("attachment; filename=\"lanes.csv\"")
        );
        let rows = parse_csv(&text(&r));
        assert_eq!(
            rows[0][..6],
            ["id", "wkt", "name", "status", "facility", "planned_year"],
            "{filter}"
        );
        assert_eq!(rows.len() as i64 - 1, matched, "{filter}");
        assert!(
            rows[1..]
                .iter()
                .all(|r| r.len() == rows[0].len() && r[1].starts_with("MULTILINESTRING (("))
        );
        if filter.is_empty() {
            assert_eq!(matched, LANES);
            assert!(rows.iter().any(|r| r[2] == SCRIPT) && rows.iter().any(|r| r[2] == QUOTED));
        }
    }
    // A download's limit may pass the page limit; the cap is documented.
    let r = app.get("/collections/lanes/items?f=csv&limit=20000").await;
    assert_eq!(parse_csv(&text(&r)).len() as i64, LANES + 1);
    app.get("/collections/lanes/items?f=csv&limit=100001")
        .await
        .assert_error(400, "invalid_limit");

    // GeoPackage: opens with GDAL, the kind's field types, the same counts.
    let info = ogrinfo(&app.get("/collections/lanes/items?f=gpkg").await);
    assert!(info.contains(&format!("Feature Count: {LANES}")), "{info}");
    assert!(info.contains("Geometry: Multi Line String"), "{info}");
    assert!(info.contains("EPSG\",4326") || info.contains("WGS 84"), "{info}");
    for field in ["id: Integer64", "name: String", "planned_year: Integer64"] {
        assert!(info.contains(field), "no {field}: {info}");
    }
    let planned = app.get("/collections/lanes/items?status=planned").await.json()["numberMatched"]
        .as_i64()
        .unwrap();
    let info = ogrinfo(&app.get("/collections/lanes/items?f=gpkg&status=planned").await);
    assert!(info.contains(&format!("Feature Count: {planned}")), "{info}");
    let info = ogrinfo(&app.get("/collections/parks/items?f=gpkg").await);
    assert!(
        info.contains("Feature Count: 3") && info.contains("public_access: Integer(Boolean)"),
        "{info}"
    );

    // Missing and hidden layers: the same 404 in every format; a bad f or lang: 400.
    sqlx::query("UPDATE layer SET visibility = 'internal' WHERE slug = 'parks'")
        .execute(&pool)
        .await
        .unwrap();
    app.state.sync().await.unwrap();
    for slug in ["nope", "parks"] {
        for uri in [
            format!("/collections/{slug}?f=html"),
            format!("/collections/{slug}/items?f=html"),
            format!("/collections/{slug}/items?f=csv"),
            format!("/collections/{slug}/items?f=gpkg"),
            format!("/collections/{slug}/items/1?f=html"),
        ] {
            app.get_with(&uri, &[("accept", FIREFOX)])
                .await
                .assert_error(404, "layer_not_found");
        }
    }
    let auth = format!("Bearer {admin}");
    let r = app
        .get_with("/collections/parks/items?f=csv", &[("authorization", &auth)])
        .await;
    assert_eq!(parse_csv(&text(&r)).len(), 4);
    assert!(!text(&app.get("/collections?f=html").await).contains("Parks"));
    for uri in [
        "/collections?f=xml",
        "/collections/lanes?f=csv",
        "/collections/lanes/items?f=pdf",
        "/collections/lanes/items/1?f=gpkg",
        "/collections/lanes/items?f=html&lang=de",
        "/collections?lang=xx",
        "/?f=html&lang=fr",
    ] {
        app.get_with(uri, &[("accept", FIREFOX)])
            .await
            .assert_error(400, "invalid_parameter");
    }
}

/// Every fixture layer's page: a preview map of bounded size, capped (and saying so) for
/// layers above 2,000 features; the items page of each in Russian.
#[tokio::test(flavor = "multi_thread")]
async fn every_fixture_layer_has_a_small_page_with_a_map() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    let cols = app.get("/collections").await.json();
    // The layers (the residents' proposals are a read-only JSON collection, not a layer).
    for c in cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["qala:kind"] != "proposal")
    {
        let id = c["id"].as_str().unwrap();
        let count = c["qala:featureCount"].as_i64().unwrap();
        let uri = format!("/collections/{id}?f=html");
        let r = app.get(&uri).await;
        let t = assert_page(&r, "en", &uri);
        if std::env::var_os("QALA_KEEP_PAGES").is_some() {
            std::fs::write(std::env::temp_dir().join(format!("qala-{id}.html")), &t).unwrap();
        }
        assert!(t.len() < 400_000, "{uri}: {} bytes", t.len());
        if count > 0 {
            assert!(t.contains(r#"role="img""#), "{uri}: no map");
        }
        assert_eq!(
            t.contains(r#"class="capped""#),
            count > 2_000,
            "{uri} ({count} features)"
        );
        let uri = format!("/collections/{id}/items?f=html&lang=ru&limit=50");
        assert_page(&app.get(&uri).await, "ru", &uri);
        // Whole-layer downloads of every kind hold every feature.
        let csv = app.get(&format!("/collections/{id}/items?f=csv")).await;
        let rows = parse_csv(&text(&csv));
        assert_eq!(rows.len() as i64, count + 1, "{id}.csv");
        let mut header = rows[0].clone();
        header.sort();
        header.dedup();
        assert_eq!(header.len(), rows[0].len(), "{id}.csv repeats a column name");
        let info = ogrinfo(&app.get(&format!("/collections/{id}/items?f=gpkg")).await);
        assert!(info.contains(&format!("Feature Count: {count}\n")), "{id}.gpkg: {info}");
    }
}
