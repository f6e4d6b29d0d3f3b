//! End-to-end tests of the engine work: `qala indicators` on the Almaty fixtures, checked
//! against the plain PostGIS SQL of `sql/reference` (the independent oracle).
//!
//! Tolerances: counts, residents and shares must agree to 1e-9 relative (they are sums of
//! whole residents and trees; only the summation order differs). Areas and lengths inside
//! zones agree to 1e-6 relative: the engine clips with geo's i_overlay, PostGIS with GEOS,
//! and the two place intersection vertices differently in the last bits (observed ≤ 3e-7).
//! Route gaps are distances along lines (geo vs ST_LineLocatePoint), also 1e-6 relative.

use std::collections::BTreeMap;
use std::process::Output;

use serde_json::Value as Json;

use crate::common::{fresh_db, ids_but_low_stress, qala, qala_ok, repo};

const AS_OF: &str = "2026-06-30";
/// Indicators measured by clipping areas or lines to zones (see the module comment).
const CLIPPED: &[&str] = &["green_m2_per_resident", "bike_km_per_10k", "bike_km_per_km2"];

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1.0)
}

fn engine_json(db: &qala_store::testdb::TestDb, zones: &str) -> Vec<Json> {
    let out = qala_ok(
        db,
        &["indicators", "--zones", zones, "--format", "json", "--as-of", AS_OF],
    );
    serde_json::from_str(&out).unwrap()
}

fn reference_json(db: &qala_store::testdb::TestDb, ids: &str, zones: &str) -> Json {
    let dir = repo().join("sql").join("reference");
    let out = qala_ok(
        db,
        &[
            "indicators",
            "--indicator",
            ids,
            "--zones",
            zones,
            "--reference",
            dir.to_str().unwrap(),
            "--as-of",
            AS_OF,
        ],
    );
    serde_json::from_str(&out).unwrap()
}

fn f(v: &Json) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

pub(crate) fn assert_agree(zones: &str, engine: &[Json], reference: &Json) {
    let refs = reference["indicators"].as_array().unwrap();
    assert_eq!(
        refs.len(),
        engine.len(),
        "every default indicator has reference SQL ({zones})"
    );
    for e in engine {
        let id = e["indicator"]["id"].as_str().unwrap();
        let r = refs
            .iter()
            .find(|r| r["indicator"] == id)
            .unwrap_or_else(|| panic!("no reference result for {id}"));
        let rel = if CLIPPED.contains(&id) { 1e-6 } else { 1e-9 };
        let ez = e["zones"].as_array().unwrap();
        let rz = r["zones"].as_array().unwrap();
        assert_eq!(ez.len(), rz.len(), "{id}/{zones}: zone count");
        for (a, b) in ez.iter().zip(rz) {
            let zone = a["zone"].as_str().unwrap();
            assert_eq!(a["zone"], b["zone"], "{id}/{zones}: zone order");
            assert_eq!(a["role"], b["role"], "{id}/{zones}/{zone}: role");
            for field in ["numerator", "denominator"] {
                assert!(
                    close(f(&a[field]), f(&b[field]), rel),
                    "{id}/{zones}/{zone}: {field} engine {} vs SQL {}",
                    a[field],
                    b[field]
                );
            }
        }
        match (&e["inequality"], &r["inequality"]) {
            (Json::Null, Json::Null) => {}
            (ei, ri) => {
                for (ef, rf) in [
                    ("gini", "gini"),
                    ("theil_t", "theil_t"),
                    ("theil_between", "theil_between"),
                ] {
                    match (&ei[ef], &ri[rf]) {
                        (Json::Null, Json::Null) => {}
                        (a, b) => assert!((f(a) - f(b)).abs() < 1e-9, "{id}/{zones}: {ef} engine {a} vs SQL {b}"),
                    }
                }
            }
        }
    }
}

/// Every default definition but the low-stress ones ([`ids_but_low_stress`]).
#[tokio::test]
async fn every_default_indicator_agrees_with_the_reference_sql_for_districts_rings_and_historic() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let ids = ids_but_low_stress(&db);
    for zones in ["districts", "rings", "historic"] {
        let engine: Vec<Json> = serde_json::from_str(&qala_ok(
            &db,
            &[
                "indicators",
                "--indicator",
                &ids,
                "--zones",
                zones,
                "--format",
                "json",
                "--as-of",
                AS_OF,
            ],
        ))
        .unwrap();
        let reference = reference_json(&db, &ids, zones);
        assert_agree(zones, &engine, &reference);

        // The flow matrix "felled in A -> planted in B" is the same.
        let flows = |v: &Json| -> BTreeMap<(String, String), f64> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|x| {
                    let k = |s: &Json| s.as_str().unwrap_or("outside").to_owned();
                    ((k(&x["from_zone"]), k(&x["to_zone"])), f(&x["trees"]))
                })
                .collect()
        };
        let delivered = engine
            .iter()
            .find(|e| e["indicator"]["id"] == "planting_delivered_ratio")
            .unwrap();
        assert_eq!(flows(&delivered["flows"]), flows(&reference["flows"]), "{zones}: flows");
        assert!(
            !flows(&delivered["flows"]).is_empty(),
            "the fixtures have compensation flows"
        );

        // Route gaps agree route by route.
        let gap = engine
            .iter()
            .find(|e| e["indicator"]["id"] == "wayfinding_route_gap")
            .unwrap();
        let routes = gap["routes"].as_array().unwrap();
        let ref_routes = reference["routes"].as_array().unwrap();
        assert_eq!(routes.len(), ref_routes.len());
        for (a, b) in routes.iter().zip(ref_routes) {
            assert_eq!(a["source_row"], b["source_row"]);
            assert_eq!(a["zone"], b["zone"]);
            assert!(
                close(f(&a["longest_gap_m"]), f(&b["longest_gap_m"]), 1e-6),
                "{a} vs {b}"
            );
            assert!(close(f(&a["length_m"]), f(&b["length_m"]), 1e-6), "{a} vs {b}");
        }
    }
}

#[tokio::test]
async fn district_and_ring_populations_add_up_to_the_city_and_the_periphery_is_worse_served() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    for zones in ["districts", "rings", "historic"] {
        let results = engine_json(&db, zones);
        let stops = results.iter().find(|r| r["indicator"]["id"] == "stops_500m").unwrap();
        let sum: f64 = stops["zones"]
            .as_array()
            .unwrap()
            .iter()
            .map(|z| f(&z["residents"]))
            .sum();
        assert_eq!(sum, 2_161_695.0, "{zones}: zones partition the city's residents");
        assert_eq!(f(&stops["city"]["residents"]), 2_161_695.0);
        // Almaty's centre-periphery imbalance shows: a service gap below 1.
        let gap = f(&stops["service_gap"]);
        assert!(gap > 0.0 && gap < 1.0, "{zones}: service gap {gap}");
        let share = f(&stops["inequality"]["theil_between_share"]);
        assert!((0.0..=1.0).contains(&share));
    }
    let rings = engine_json(&db, "rings");
    let ids: Vec<&str> = rings[0]["zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["zone"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["0-3km", "3-7km", "7-12km", "12km+"]);
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn bad_requests_get_clear_errors() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);

    let o = qala(&db, &["indicators", "--access", "no-such-layer", "--radius-m", "300"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("unknown layer \"no-such-layer\""), "{}", stderr(&o));

    let o = qala(&db, &["indicators", "--access", "services", "--radius-m", "-5"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("radius must be"), "{}", stderr(&o));

    let o = qala(
        &db,
        &[
            "indicators",
            "--access",
            "services",
            "--radius-m",
            "300",
            "--where",
            "colour=red",
        ],
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no attribute \"colour\""), "{}", stderr(&o));

    let o = qala(&db, &["indicators", "--indicator", "happiness"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("unknown indicator \"happiness\""), "{}", stderr(&o));

    let o = qala(&db, &["indicators", "--zones", "rings:7,3"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("ring bands must be increasing"), "{}", stderr(&o));

    let o = qala(&db, &["indicators", "--zones", "bike-lanes"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("zones need polygons"), "{}", stderr(&o));

    // A planner's zone layer whose zones overlap is refused, naming the two zones.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("zones.geojson");
    std::fs::write(
        &file,
        r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"name":"west"},"geometry":{"type":"Polygon","coordinates":[[[76.90,43.22],[76.95,43.22],[76.95,43.26],[76.90,43.26],[76.90,43.22]]]}},
 {"type":"Feature","properties":{"name":"east"},"geometry":{"type":"Polygon","coordinates":[[[76.93,43.22],[76.98,43.22],[76.98,43.26],[76.93,43.26],[76.93,43.22]]]}}]}"#,
    )
    .unwrap();
    qala_ok(
        &db,
        &[
            "ingest",
            file.to_str().unwrap(),
            "--layer",
            "planner-zones",
            "--kind",
            "generic",
        ],
    );
    let o = qala(
        &db,
        &["indicators", "--zones", "planner-zones", "--indicator", "stops_500m"],
    );
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("overlap") && e.contains("\"1\"") && e.contains("\"2\""),
        "{e}"
    );
}

#[tokio::test]
async fn a_planner_zone_layer_and_an_ad_hoc_access_query_work_end_to_end() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("zones.geojson");
    std::fs::write(
        &file,
        r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"name":"west"},"geometry":{"type":"Polygon","coordinates":[[[76.85,43.20],[76.93,43.20],[76.93,43.28],[76.85,43.28],[76.85,43.20]]]}},
 {"type":"Feature","properties":{"name":"east"},"geometry":{"type":"Polygon","coordinates":[[[76.93,43.20],[77.01,43.20],[77.01,43.28],[76.93,43.28],[76.93,43.20]]]}}]}"#,
    )
    .unwrap();
    qala_ok(
        &db,
        &[
            "ingest",
            file.to_str().unwrap(),
            "--layer",
            "two-halves",
            "--kind",
            "generic",
        ],
    );
    let out = qala_ok(
        &db,
        &[
            "indicators",
            "--zones",
            "two-halves",
            "--access",
            "services",
            "--radius-m",
            "800",
            "--where",
            "category=pharmacy",
            "--format",
            "json",
        ],
    );
    let r: Vec<Json> = serde_json::from_str(&out).unwrap();
    let zones = r[0]["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 2);
    assert_eq!(zones[0]["names"]["en"], "west");
    // A wider radius never covers fewer residents.
    let wider = qala_ok(
        &db,
        &[
            "indicators",
            "--zones",
            "two-halves",
            "--access",
            "services",
            "--radius-m",
            "2000",
            "--where",
            "category=pharmacy",
            "--format",
            "json",
        ],
    );
    let w: Vec<Json> = serde_json::from_str(&wider).unwrap();
    for (a, b) in zones.iter().zip(w[0]["zones"].as_array().unwrap()) {
        assert!(f(&b["numerator"]) >= f(&a["numerator"]));
        assert!(f(&a["residents"]) > 0.0);
    }
    // CSV has one row per zone plus centre, periphery and city.
    let csv = qala_ok(
        &db,
        &[
            "indicators",
            "--zones",
            "two-halves",
            "--indicator",
            "school_500m",
            "--format",
            "csv",
        ],
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("indicator,version,scheme,zone"));
    assert_eq!(lines.len(), 1 + 2 + 3);
}

#[tokio::test]
async fn what_if_a_new_bus_stop_raises_stop_access_only_where_it_is() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let dir = tempfile::tempdir().unwrap();
    let change = dir.path().join("stop.json");
    // Nauryzbay, far from the existing stops.
    std::fs::write(
        &change,
        r#"{"layer":"transit-stops","action":"add","geometry":{"type":"Point","coordinates":[76.83,43.19]},"attributes":{"category":"bus_stop"}}"#,
    )
    .unwrap();
    let out = qala_ok(
        &db,
        &[
            "indicators",
            "--what-if",
            change.to_str().unwrap(),
            "--zones",
            "districts",
            "--format",
            "json",
        ],
    );
    let r: Json = serde_json::from_str(&out).unwrap();
    assert!(r["cells_recomputed"].as_u64().unwrap() > 0);
    assert!(r["cells_recomputed"].as_u64().unwrap() < 200, "only cells within reach");
    let stops = r["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == "stops_500m")
        .expect("stops_500m is affected");
    assert!(f(&stops["city"]["delta"]) > 0.0);
    let changed: Vec<&Json> = stops["zones"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|z| f(&z["delta"]) != 0.0)
        .collect();
    assert_eq!(changed.len(), 1, "one district gains: {changed:?}");
    assert!(f(&changed[0]["delta"]) > 0.0);
    // Metro access does not change for a bus stop.
    let metro = r["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == "metro_1km")
        .unwrap();
    assert_eq!(f(&metro["city"]["delta"]), 0.0);

    // Removing a feature that is not there is a clear error.
    std::fs::write(
        &change,
        r#"{"layer":"transit-stops","action":"remove","source_row":99999}"#,
    )
    .unwrap();
    let o = qala(&db, &["indicators", "--what-if", change.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no feature at source row 99999"), "{}", stderr(&o));
}

#[tokio::test]
async fn a_new_layer_version_is_announced_and_read_back_for_the_engine() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let before = qala_store::read::served_versions(&pool).await.unwrap();
    let mut listener = qala_store::read::VersionListener::connect(&pool).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stops.geojson");
    std::fs::write(
        &file,
        r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"category":"bus_stop","name":"New stop"},"geometry":{"type":"Point","coordinates":[76.83,43.19]}}]}"#,
    )
    .unwrap();
    qala_ok(&db, &["ingest", file.to_str().unwrap(), "--layer", "transit-stops"]);

    let change = tokio::time::timeout(std::time::Duration::from_secs(20), listener.next())
        .await
        .expect("a NOTIFY within 20 s")
        .unwrap();
    assert_eq!(change.slug, "transit-stops");
    let after = qala_store::read::served_versions(&pool).await.unwrap();
    assert_ne!(before["transit-stops"], after["transit-stops"]);
    assert_eq!(after["transit-stops"].1, change.layer_version_id.unwrap());
    assert_eq!(
        before["districts"], after["districts"],
        "other layers keep their version"
    );

    // The engine's reader sees exactly the new version's rows, typed.
    let layer = qala_store::read::read_layer(&pool, "transit-stops").await.unwrap();
    assert_eq!(layer.layer_version_id, change.layer_version_id.unwrap());
    assert_eq!(layer.features.len(), 1);
    assert_eq!(layer.features[0].values[0], qala_core::Value::Text("bus_stop".into()));
    let all = qala_store::read::read_served_layers(&pool, None).await.unwrap();
    assert_eq!(all.len(), after.len());
    let pop = all.iter().find(|l| l.slug == "population").unwrap();
    let residents: f64 = pop
        .features
        .iter()
        .map(|f| match f.values[0] {
            qala_core::Value::Float(r) => r,
            _ => panic!("residents is a float"),
        })
        .sum();
    assert_eq!(residents, 2_161_695.0);
}
