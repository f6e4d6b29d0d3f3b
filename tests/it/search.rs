//! `GET /search` over the Almaty fixtures in real PostGIS: the same street found from Kazakh,
//! Russian and Latin spellings; a result's box holds every segment the database has under its
//! name; districts by their Kazakh names; and bad input (500 characters, script text, nothing,
//! a bad limit, an unknown parameter) a clear 4xx or an empty list, never a 500.

use crate::common::{fresh_db, qala_ok};
use crate::server::http::App;

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn search(app: &App, q: &str) -> serde_json::Value {
    let r = app.get(&format!("/search?q={}", enc(q))).await;
    assert_eq!(r.status.as_u16(), 200, "{q}: {}", String::from_utf8_lossy(&r.body));
    r.json()
}

#[tokio::test(flavor = "multi_thread")]
async fn search_finds_streets_places_and_districts_in_any_spelling() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;

    // One street, four spellings: Latin, Russian genitive, Kazakh with the street-type word, Kazakh Latin.
    let mut tops = Vec::new();
    for q in ["Abay", "Абая", "Абай даңғылы", "abai avenue"] {
        let r = search(&app, q).await;
        let top = &r["results"][0];
        assert_eq!(top["kind"], "street", "{q}: {r}");
        assert!(top["name"].as_str().unwrap().contains("Абая"), "{q}: {r}");
        tops.push(top["id"].as_i64().unwrap());
    }
    assert!(
        tops.windows(2).all(|w| w[0] == w[1]),
        "same street for every spelling: {tops:?}"
    );

    // The result's box holds every segment the database serves under that name (the oracle:
    // OGC items filtered by name, read from PostGIS), and merges at least as many segments.
    let r = search(&app, "Abay").await;
    let top = &r["results"][0];
    let name = top["name"].as_str().unwrap();
    let bbox: Vec<f64> = serde_json::from_value(top["bbox"].clone()).unwrap();
    let items = app
        .get(&format!("/collections/roads/items?limit=10000&name={}", enc(name)))
        .await
        .json();
    let feats = items["features"].as_array().unwrap();
    assert!(!feats.is_empty(), "{name}: {items}");
    assert!(
        top["segments"].as_u64().unwrap() >= feats.len() as u64,
        "{top} vs {} items",
        feats.len()
    );
    let eps = 1e-5;
    for f in feats {
        for line in f["geometry"]["coordinates"].as_array().unwrap() {
            let pts: Vec<Vec<f64>> = serde_json::from_value(line.clone())
                .unwrap_or_else(|_| vec![serde_json::from_value(line.clone()).unwrap()]);
            for p in pts {
                assert!(
                    p[0] >= bbox[0] - eps && p[0] <= bbox[2] + eps && p[1] >= bbox[1] - eps && p[1] <= bbox[3] + eps,
                    "{p:?} outside {bbox:?}"
                );
            }
        }
    }
    let (lon, lat) = (top["lon"].as_f64().unwrap(), top["lat"].as_f64().unwrap());
    assert!(
        (76.7..77.2).contains(&lon) && (43.1..43.4).contains(&lat),
        "{lon} {lat}"
    );

    // Kazakh letters and Cyrillic ↔ Latin: Достық / Dostyk / Dostyq.
    for q in ["достық", "Dostyk", "Dostyq"] {
        let r = search(&app, q).await;
        assert!(r["results"][0]["name"].as_str().unwrap().contains("Достык"), "{q}: {r}");
    }

    // Districts by their Kazakh, Russian or English name, with the names in every language.
    for q in ["Алмалы", "Almaly", "Алмалинский"] {
        let r = search(&app, q).await;
        let top = &r["results"][0];
        assert_eq!(top["kind"], "district", "{q}: {r}");
        assert_eq!(top["names"]["kk"], "Алмалы ауданы", "{q}: {r}");
        assert_eq!(top["names"]["en"], "Almaly", "{q}: {r}");
    }

    // Services by name (OSM stops and clinics), and the limit.
    let r = app.get(&format!("/search?q={}&limit=2", enc("Толе би"))).await.json();
    assert_eq!(r["count"], 2, "{r}");
    assert_eq!(r["results"].as_array().unwrap().len(), 2);

    // Bad input: a clear answer, never a 500.
    let long = "ә".repeat(500);
    app.get(&format!("/search?q={}", enc(&long)))
        .await
        .assert_error(400, "invalid_parameter");
    for q in [
        "<script>alert(1)</script>",
        "",
        "   ",
        "!!!",
        "'; DROP TABLE road; --",
        "zzzzqqqq",
    ] {
        let r = search(&app, q).await;
        assert_eq!(r["count"], 0, "{q:?}: {r}");
        assert_eq!(r["results"], serde_json::json!([]), "{q:?}");
    }
    assert_eq!(app.get("/search").await.json()["count"], 0);
    app.get("/search?q=abai&limit=0")
        .await
        .assert_error(400, "invalid_limit");
    app.get("/search?q=abai&limit=51")
        .await
        .assert_error(400, "invalid_limit");
    app.get("/search?q=abai&limit=x")
        .await
        .assert_error(400, "invalid_limit");
    app.get("/search?q=abai&where=1")
        .await
        .assert_error(400, "unknown_parameter");
    app.get("/search?q=abai&f=xml")
        .await
        .assert_error(400, "invalid_parameter");
    app.get("/search?q=%ZZ").await.assert_error(400, "invalid_parameter");
    app.get("/search?q=a&q=b").await.assert_error(400, "invalid_parameter");
    // the roads table is still there after the "DROP TABLE" query above
    assert!(search(&app, "Abay").await["count"].as_u64().unwrap() > 0);
}
