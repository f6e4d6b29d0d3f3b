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

/// `GET /access/cells`: each population cell's distance to the nearest school, from the
/// engine's R-tree, against PostGIS ST_Distance to the nearest school (UTM 43N).
#[tokio::test(flavor = "multi_thread")]
async fn access_cells_distances_agree_with_postgis_st_distance() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    app.state.rebuild_engine().await;
    let r = app.get("/access/cells?indicator=school_500m").await;
    assert_eq!(r.status.as_u16(), 200, "{}", String::from_utf8_lossy(&r.body));
    let v = r.json();
    assert_eq!(v["radius_m"], 500.0);
    let cells = v["cells"].as_array().unwrap();

    let pool = db.pool().await.unwrap();
    let rows: Vec<(f64, f64, f64)> = sqlx::query_as(
        "WITH c AS (SELECT ST_Centroid(ST_Transform(geom, 32643)) AS pt FROM population_cell_current
                    WHERE layer_slug = 'population'),
              s AS (SELECT ST_Transform(geom, 32643) AS g FROM service_current
                    WHERE layer_slug = 'services' AND category = 'school')
         SELECT ST_X(ST_Transform(c.pt, 4326)), ST_Y(ST_Transform(c.pt, 4326)),
                (SELECT MIN(ST_Distance(c.pt, s.g)) FROM s)::float8
         FROM c",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(cells.len(), rows.len(), "one answer per population cell");
    assert!(rows.len() > 1000, "{} cells", rows.len());
    let key = |lon: f64, lat: f64| ((lon * 1e4).round() as i64, (lat * 1e4).round() as i64);
    let oracle: HashMap<(i64, i64), f64> = rows.iter().map(|(x, y, d)| (key(*x, *y), *d)).collect();
    let (mut far, mut near) = (0, 0);
    for c in cells {
        let (lon, lat) = (c["lon"].as_f64().unwrap(), c["lat"].as_f64().unwrap());
        let want = oracle[&key(lon, lat)];
        let got = c["distance_m"].as_f64().unwrap();
        assert!(
            (got - want).abs() < 0.5,
            "cell {lon},{lat}: API {got} m, PostGIS {want} m"
        );
        if got > 500.0 { far += 1 } else { near += 1 }
    }
    assert!(far > 0 && near > 0, "both sides of 500 m: {near} near, {far} far");

    // Bad input: a 4xx JSON error naming the problem, never a 500.
    for (q, status, code) in [
        ("/access/cells", 400, "invalid_parameter"),
        (
            "/access/cells?indicator=green_m2_per_resident",
            400,
            "invalid_parameter",
        ),
        ("/access/cells?indicator=nope", 404, "unknown_indicator"),
        (
            "/access/cells?indicator=school_500m&zones=districts",
            400,
            "unknown_parameter",
        ),
        ("/access/cells?indicator=%3Cscript%3E", 404, "unknown_indicator"),
    ] {
        let r = app.get(q).await;
        assert_eq!(r.status.as_u16(), status, "{q}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["code"], code, "{q}");
    }
}

/// The wayfinding route gaps carry their geometry: a stretch of the route (every vertex on
/// it, per PostGIS) as long as the gap the indicator reports.
#[tokio::test(flavor = "multi_thread")]
async fn route_gaps_carry_their_stretch_of_the_route() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    app.state.rebuild_engine().await;
    let v = app.get("/indicators/wayfinding_route_gap").await.json();
    let routes = v["routes"].as_array().unwrap();
    assert!(!routes.is_empty(), "{v}");
    let pool = db.pool().await.unwrap();
    for r in routes {
        let gap_m = r["longest_gap_m"].as_f64().unwrap();
        let geom = r["gap_wgs84"].to_string();
        assert_eq!(r["gap_wgs84"]["type"], "MultiLineString", "{r}");
        let (len_m, off_m): (f64, f64) = sqlx::query_as(
            "WITH g AS (SELECT ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), 32643) AS g),
                  w AS (SELECT ST_Transform(geom, 32643) AS w FROM wayfinding_route_current
                        WHERE layer_slug = $2 AND source_row = $3)
             SELECT ST_Length(g.g)::float8,
                    (SELECT MAX(ST_Distance((dp).geom, w.w)) FROM ST_DumpPoints(g.g) dp)::float8
             FROM g, w",
        )
        .bind(&geom)
        .bind(r["layer"].as_str().unwrap())
        .bind(r["source_row"].as_i64().unwrap())
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(
            (len_m - gap_m).abs() <= 0.01 * gap_m + 1.0,
            "{}: geometry {len_m} m, gap {gap_m} m",
            r["name"]
        );
        assert!(off_m < 1.0, "{}: a vertex {off_m} m off the route", r["name"]);
    }
}
