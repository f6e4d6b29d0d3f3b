//! End-to-end tests of street-network access (`--distance network`, `distance=network`) on
//! the Almaty fixtures, checked against pgRouting (`qala indicators --reference sql/reference
//! --distance network`: `network_graph.sql`, `network/<id>.sql`, `network_access.sql`, the
//! same graph and snap rules, shortest walks by `pgr_drivingDistance`).
//!
//! Tolerance: residents covered agree exactly (inequality to 1e-9, summation order). Both sides snap the same UTM coordinates (same PROJ) to
//! the same 0.01 m grid and add the same lengths; they could differ only for a cell whose
//! walk is within a few ulps of the radius, or a grid coordinate exactly halfway between two
//! grid points (Rust rounds half away from zero, PostgreSQL half to even). Neither occurs on
//! the fixtures.

use serde_json::Value as Json;

use crate::common::{fresh_db, ids_but_low_stress, qala, qala_ok, repo};
use crate::server::http::App;

fn f(v: &Json) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn network_json(db: &qala_store::testdb::TestDb, id: &str) -> Json {
    let out = qala_ok(
        db,
        &[
            "indicators",
            "--indicator",
            id,
            "--zones",
            "districts",
            "--distance",
            "network",
            "--format",
            "json",
        ],
    );
    let mut v: Vec<Json> = serde_json::from_str(&out).unwrap();
    v.remove(0)
}

#[tokio::test]
async fn every_access_indicator_on_foot_agrees_with_pgrouting_on_districts() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let ids = ids_but_low_stress(&db);
    let engine: Vec<Json> = serde_json::from_str(&qala_ok(
        &db,
        &[
            "indicators",
            "--indicator",
            &ids,
            "--zones",
            "districts",
            "--distance",
            "network",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let dir = repo().join("sql").join("reference");
    let reference: Json = serde_json::from_str(&qala_ok(
        &db,
        &[
            "indicators",
            "--indicator",
            &ids,
            "--zones",
            "districts",
            "--distance",
            "network",
            "--reference",
            dir.to_str().unwrap(),
        ],
    ))
    .unwrap();
    assert_eq!(reference["distance"], "network");
    let walked: Vec<&Json> = engine.iter().filter(|e| e["distance"] == "network").collect();
    assert_eq!(walked.len(), 9, "every default access indicator walks");
    for e in walked {
        let id = e["indicator"]["id"].as_str().unwrap();
        let r = reference["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["indicator"] == id)
            .unwrap_or_else(|| panic!("no pgRouting result for {id}"));
        let (ez, rz) = (e["zones"].as_array().unwrap(), r["zones"].as_array().unwrap());
        assert_eq!(ez.len(), rz.len(), "{id}: zone count");
        for (a, b) in ez.iter().zip(rz) {
            let zone = a["zone"].as_str().unwrap();
            assert_eq!(a["zone"], b["zone"], "{id}: zone order");
            for field in ["numerator", "denominator"] {
                assert_eq!(
                    f(&a[field]),
                    f(&b[field]),
                    "{id}/{zone}: {field} engine {} vs pgRouting {}",
                    a[field],
                    b[field]
                );
            }
        }
        for field in ["gini", "theil_t", "theil_between"] {
            match (&e["inequality"][field], &r["inequality"][field]) {
                (Json::Null, Json::Null) => {}
                (a, b) => assert!((f(a) - f(b)).abs() < 1e-9, "{id}: {field} engine {a} vs pgRouting {b}"),
            }
        }
    }
    let stops = engine.iter().find(|e| e["indicator"]["id"] == "stops_500m").unwrap();
    assert!(f(&stops["city"]["numerator"]) > 0.0, "somebody walks to a stop");
}

#[tokio::test]
async fn qala_indicators_distance_network_shows_the_severance_gap() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let r = network_json(&db, "stops_500m");
    let sev = &r["severance"];
    let g = &sev["graph"];
    assert!(f(&g["nodes"]) > 1000.0 && f(&g["edges"]) > 1000.0, "{g}");
    assert!(f(&g["barrier_ways"]) > 0.0, "motorways/trunks are barriers: {g}");
    let zones = r["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 8);
    let mut any_gap = false;
    for (z, s) in zones.iter().zip(sev["zones"].as_array().unwrap()) {
        let zone = z["zone"].as_str().unwrap();
        assert_eq!(s["zone"], z["zone"]);
        let (straight, network, gap) = (f(&s["straight"]), f(&s["network"]), f(&s["gap"]));
        assert!(network <= straight, "{zone}: network {network} > straight {straight}");
        assert!(gap >= 0.0, "{zone}: gap {gap}");
        assert!((gap - (straight - network)).abs() < 1e-12);
        assert_eq!(
            f(&z["value"]),
            network,
            "{zone}: the result's figures are the network ones"
        );
        any_gap |= gap > 0.0;
    }
    assert!(any_gap, "walking cuts somebody off somewhere");
    assert!(f(&sev["city"]["gap"]) > 0.0);
    // Straight mode is unchanged and says so.
    let out = qala_ok(&db, &["indicators", "--indicator", "stops_500m", "--format", "json"]);
    let s: Vec<Json> = serde_json::from_str(&out).unwrap();
    assert_eq!(s[0]["distance"], "straight");
    assert!(s[0].get("severance").is_none());
    assert_eq!(s[0]["city"]["value"], sev["city"]["straight"]);

    // Table: straight, network and gap columns with units.
    let table = qala_ok(
        &db,
        &["indicators", "--indicator", "stops_500m", "--distance", "network"],
    );
    for want in [
        "straight ≤ 500 m",
        "network ≤ 500 m",
        "severance gap",
        " pp",
        " %",
        "street network",
    ] {
        assert!(table.contains(want), "table lacks {want:?}:\n{table}");
    }
    // CSV: the mode, the straight value and the gap on every row.
    let csv = qala_ok(
        &db,
        &[
            "indicators",
            "--indicator",
            "stops_500m",
            "--distance",
            "network",
            "--format",
            "csv",
        ],
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].ends_with(",distance,straight_value,severance_gap"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 1 + 8 + 3);
    assert!(lines[1..].iter().all(|l| l.contains(",network,")), "{csv}");

    // Bad mode, network on an indicator without distance: clear errors.
    let bad = qala(&db, &["indicators", "--distance", "crow"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("straight or network"), "{err}");
    let bad = qala(
        &db,
        &[
            "indicators",
            "--indicator",
            "planting_survival_1y",
            "--distance",
            "network",
        ],
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("access indicators only"));
    let dir = tempfile::tempdir().unwrap();
    let change = dir.path().join("stop.json");
    // On a residential street in the west, 900 m from every stop.
    std::fs::write(
        &change,
        r#"{"layer":"transit-stops","action":"add","geometry":{"type":"Point","coordinates":[76.8027122,43.2315159]},"attributes":{"category":"bus_stop"}}"#,
    )
    .unwrap();
    // What-if on foot: before is the network figure; the new stop brings residents within
    // a 500 m walk, recomputing only the cells within that walk.
    let out = qala_ok(
        &db,
        &[
            "indicators",
            "--what-if",
            change.to_str().unwrap(),
            "--distance",
            "network",
            "--format",
            "json",
        ],
    );
    let w: Json = serde_json::from_str(&out).unwrap();
    let stops = w["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["indicator"] == "stops_500m")
        .unwrap();
    assert_eq!(stops["city"]["before"], r["city"]["value"]);
    assert!(f(&stops["city"]["delta"]) > 0.0, "{stops}");
    assert!(
        f(&w["cells_recomputed"]) > 0.0 && f(&w["cells_recomputed"]) < 100.0,
        "{}",
        w["cells_recomputed"]
    );
}

/// The HTTP API with network distances: straight stays the default; bad modes are 400s;
/// `distance=network` gives the severance gap (needs the server's engine to hold roads).
#[tokio::test(flavor = "multi_thread")]
async fn http_distance_modes_and_the_severance_gap() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    // The engine is built in the background: 503 until it is.
    let mut r = app.get("/indicators/stops_500m?distance=straight").await;
    for _ in 0..100 {
        if r.status != 503 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        r = app.get("/indicators/stops_500m?distance=straight").await;
    }
    let body = r.json();
    assert_eq!(r.status, 200, "{body}");
    assert_eq!(body["distance"], "straight");
    assert!(body.get("severance").is_none());
    let r = app.get("/indicators/stops_500m?distance=crow").await;
    r.assert_error(400, "invalid_distance_mode");
    assert!(r.json()["message"].as_str().unwrap().contains("straight or network"));
    app.get("/access?layer=services&radius_m=500&distance=walk")
        .await
        .assert_error(400, "invalid_distance_mode");
    app.get("/indicators/planting_survival_1y?distance=network")
        .await
        .assert_error(400, "not_access_indicator");

    let r = app.get("/indicators/stops_500m?zones=districts&distance=network").await;
    let body = r.json();
    assert_eq!(r.status, 200, "{body}");
    assert_eq!(body["distance"], "network");
    let city = &body["severance"]["city"];
    assert!(f(&city["network"]) <= f(&city["straight"]), "{city}");
    assert!(f(&city["gap"]) > 0.0);
    assert_eq!(body["city"]["value"], city["network"]);
    let school = "/access?layer=services&radius_m=800&where=category=school&distance=network";
    let csv = app.get(&format!("{school}&format=csv")).await;
    assert_eq!(csv.status, 200);
    let csv = String::from_utf8(csv.body).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with("distance,straight_value,severance_gap"), "{header}");
    assert!(csv.lines().skip(1).all(|l| l.contains(",network,")), "{csv}");
    let r = app.get(school).await;
    let body = r.json();
    assert_eq!(r.status, 200, "{body}");
    assert_eq!(body["distance"], "network");
    assert!(body["severance"]["zones"].as_array().is_some_and(|z| z.len() == 8));
}
