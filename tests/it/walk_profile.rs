//! Step-free and elderly walking (`profile_access` definitions, docs/walk_profiles.md) on the
//! Almaty fixtures, served over HTTP, checked against pgRouting on the same graph with the same
//! barriers (`walk_profile/<id>.sql`, `walk_profile_graph.sql`, `network_access.sql`) on every
//! zone scheme of the reference (districts, rings, historic): residents who reach, zone by
//! zone, exactly; the inequality to 1e-9. The able-bodied share served beside each is the
//! network share of the matching walking indicator. And two wiring properties: without barrier
//! rules the step-free coverage is the walk's, cell by cell; a synthetic flight of steps on the
//! only way to a stop cuts the step-free walk there.

use std::time::Instant;

use qala_engine::{LayerSelector, WalkProfile, WalkProfileRules};
use serde_json::Value as Json;

use crate::common::{fresh_db, qala_ok, repo};
use crate::server::http::App;

fn f(v: &Json) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

async fn ready(app: &App, uri: &str) -> crate::server::http::Resp {
    let mut r = app.get(uri).await;
    for _ in 0..300 {
        if r.status != 503 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        r = app.get(uri).await;
    }
    r
}

/// The walking indicator a profile indicator stands beside.
fn walk_twin(id: &str) -> &'static str {
    match id.split_once('_').map(|(_, rest)| rest.trim_start_matches("free_")) {
        Some("school_500m") => "school_500m",
        Some("clinic_1km") => "clinic_1km",
        Some("green_300m") => "green_300m_who",
        Some("stops_500m") => "stops_500m",
        other => panic!("no walking twin for {id} ({other:?})"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn profile_access_agrees_with_pgrouting_on_every_scheme() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    let dir = repo().join("sql").join("reference");
    let defs = ready(&app, "/indicators").await.json();
    let ids: Vec<String> = defs
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["measure"]["type"] == "profile_access")
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        ids.len(),
        8,
        "schools, clinics, parks, stops x step-free, elderly: {ids:?}"
    );
    for zones in ["districts", "rings", "historic"] {
        let t = Instant::now();
        let reference: Json = serde_json::from_str(&qala_ok(
            &db,
            &[
                "indicators",
                "--indicator",
                &ids.join(","),
                "--zones",
                zones,
                "--reference",
                dir.to_str().unwrap(),
            ],
        ))
        .unwrap();
        let ref_s = t.elapsed().as_secs_f64();
        let refs = reference["indicators"].as_array().unwrap();
        assert_eq!(refs.len(), ids.len());
        let mut engine_s = 0.0;
        for id in &ids {
            let t = Instant::now();
            let r = ready(&app, &format!("/indicators/{id}?zones={zones}")).await;
            engine_s += t.elapsed().as_secs_f64();
            assert_eq!(r.status, 200, "{id}: {}", String::from_utf8_lossy(&r.body));
            let served = r.json();
            let rr = refs.iter().find(|x| x["indicator"] == id.as_str()).unwrap();
            let (ez, rz) = (served["zones"].as_array().unwrap(), rr["zones"].as_array().unwrap());
            assert_eq!(ez.len(), rz.len(), "{id}/{zones}: zones");
            assert!(!ez.is_empty());
            for (a, b) in ez.iter().zip(rz) {
                assert_eq!(a["zone"], b["zone"], "{id}/{zones}: zone order");
                for field in ["numerator", "denominator"] {
                    assert_eq!(f(&a[field]), f(&b[field]), "{id}/{zones}/{}: {field}", a["zone"]);
                }
            }
            for field in ["gini", "theil_t", "theil_between"] {
                match (&served["inequality"][field], &rr["inequality"][field]) {
                    (Json::Null, Json::Null) => {}
                    (a, b) => assert!((f(a) - f(b)).abs() < 1e-9, "{id}/{zones}: {field} {a} vs {b}"),
                }
            }
            // Beside it: the able-bodied walk, which is the walking twin on foot.
            let wp = &served["walk_profile"];
            let twin = ready(
                &app,
                &format!("/indicators/{}?zones={zones}&distance=network", walk_twin(id)),
            )
            .await
            .json();
            let wz = wp["zones"].as_array().unwrap();
            assert_eq!(wz.len(), ez.len());
            for ((p, e), t) in wz.iter().zip(ez).zip(twin["zones"].as_array().unwrap()) {
                assert_eq!(p["zone"], e["zone"]);
                match (&p["walk"], &t["value"]) {
                    (Json::Null, Json::Null) => {}
                    (a, b) => assert_eq!(f(a), f(b), "{id}/{zones}/{}: walk share = {}", p["zone"], walk_twin(id)),
                }
                match (&p["profile"], &e["value"]) {
                    (Json::Null, Json::Null) => {}
                    (a, b) => assert_eq!(f(a), f(b), "{id}/{zones}/{}: profile share = value", p["zone"]),
                }
                if let (Json::Number(_), Json::Number(_)) = (&p["walk"], &p["profile"]) {
                    assert!((f(&p["gap"]) - (f(&p["walk"]) - f(&p["profile"]))).abs() < 1e-12);
                }
            }
            let city = &wp["city"];
            eprintln!(
                "{zones} {id}: walk {:.4}, profile {:.4}, gap {:.2} pp, residents cut off {:.0}, barrier ways {}",
                f(&city["walk"]),
                f(&city["profile"]),
                f(&city["gap"]) * 100.0,
                f(&city["residents_cut_off"]),
                wp["barrier_ways"]
            );
            if id.starts_with("elderly_") {
                assert!(f(&city["gap"]) > 0.0, "{id}: a shorter walk reaches fewer");
                let sf = id.replacen("elderly_", "step_free_", 1);
                let sfr = ready(&app, &format!("/indicators/{sf}?zones={zones}")).await.json();
                assert!(
                    f(&served["city"]["numerator"]) <= f(&sfr["city"]["numerator"]),
                    "{id} <= {sf}"
                );
                assert_eq!(f(&wp["profile_radius_m"]), f(&wp["walk_radius_m"]) * 0.67);
            } else {
                assert_eq!(f(&wp["profile_radius_m"]), f(&wp["walk_radius_m"]));
            }
            assert!(wp["barrier_ways"].as_u64().unwrap() > 0, "the fixtures have steps");
        }
        let ref_ms: f64 = refs.iter().map(|r| f(&r["elapsed_ms"])).sum();
        eprintln!(
            "{zones}: engine over HTTP {engine_s:.2} s for 8 (+ twins), reference {ref_ms:.0} ms in SQL ({ref_s:.1} s with setup)"
        );
    }
    // The barriers as GeoJSON: the fixtures' steps, each with its reason.
    let r = ready(&app, "/networks/walk/barriers?profile=step_free").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let b = r.json();
    let feats = b["features"].as_array().unwrap();
    assert_eq!(b["total"].as_u64().unwrap() as usize, feats.len());
    assert!(!feats.is_empty());
    // The fixtures' steps, and the ways the (synthetic) elevation model makes steeper than 5 %.
    let (mut steps, mut steep) = (0, 0);
    for x in feats {
        let why = x["properties"]["barrier"].as_str().unwrap();
        if why == "highway=steps" {
            assert_eq!(x["properties"]["highway"], "steps", "{x}");
            steps += 1;
        } else {
            assert!(why.starts_with("gradient ") && why.ends_with(" % > 5 %"), "{x}");
            steep += 1;
        }
        assert!(x["geometry"]["coordinates"].is_array());
    }
    assert!(steps > 0 && steep > 0, "{steps} steps and {steep} steep ways");
    let walk = ready(&app, "/networks/walk/barriers?profile=walk").await.json();
    assert_eq!(walk["total"], 0, "the walk has no barriers beyond motorways");
    app.get("/networks/walk/barriers?profile=wheelchair")
        .await
        .assert_error(400, "invalid_walk_profile");
    app.get("/networks/walk/barriers?mode=x")
        .await
        .assert_error(400, "unknown_parameter");
}

/// Without barrier rules the step-free graph is the walking graph: the coverage equals the
/// able-bodied walk's (network.rs) cell by cell, for every destination. With the shipped
/// rules the elderly coverage is a subset of the step-free one (same graph, shorter walk).
#[tokio::test(flavor = "multi_thread")]
async fn without_barriers_step_free_equals_the_walk() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let app = App::new(&db).await;
    ready(&app, "/indicators").await;
    let mut e = app.state.engine();
    for _ in 0..300 {
        if e.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        e = app.state.engine();
    }
    let e = e.unwrap();
    let shipped = WalkProfileRules::shipped().unwrap();
    let mut open: Json = serde_json::from_str(qala_engine::DEFAULT_WALK_PROFILES_JSON).unwrap();
    for p in open["profiles"].as_array_mut().unwrap() {
        p["barriers"] = serde_json::json!([]);
        p["max_gradient_pct"] = Json::Null;
    }
    let open = WalkProfileRules::parse(&open.to_string()).unwrap();
    for (role, radius) in [("schools", 500.0), ("clinics", 1000.0), ("bus_stops", 500.0)] {
        let sel = LayerSelector {
            role: Some(role.into()),
            ..LayerSelector::default()
        };
        let walk = e.walk_coverage(&sel, radius).unwrap();
        let open_sf = e
            .walk_profile_coverage_with(&open, WalkProfile::StepFree, &sel, radius)
            .unwrap();
        assert_eq!(walk.len(), open_sf.len());
        assert!(walk.iter().any(|c| *c), "{role}: someone reaches");
        assert!(*walk == open_sf, "{role}: without barriers step-free is the walk");
        // With the shipped rules: the elderly walk is the step-free graph over a shorter
        // distance, so it reaches a subset of the step-free cells.
        let sf = e
            .walk_profile_coverage_with(&shipped, WalkProfile::StepFree, &sel, radius)
            .unwrap();
        let old = e
            .walk_profile_coverage_with(&shipped, WalkProfile::Elderly, &sel, radius)
            .unwrap();
        assert!(
            old.iter().zip(&sf).all(|(o, s)| !o || *s),
            "{role}: elderly reaches only where step-free does"
        );
        assert!(old.iter().filter(|c| **c).count() < sf.iter().filter(|c| **c).count());
        let differ = sf.iter().zip(walk.iter()).filter(|(s, w)| s != w).count();
        eprintln!(
            "{role}: cells where step-free and walk differ: {differ} of {}",
            sf.len()
        );
    }
}

/// A synthetic flight of steps (and a footway tagged wheelchair=no) as the only joins between
/// two streets: loaded as the roads layer, both are listed as barriers and the step-free graph
/// falls in two pieces where the walking graph is one.
#[tokio::test(flavor = "multi_thread")]
async fn a_synthetic_flight_of_steps_cuts_the_step_free_walk() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    // Two parallel streets 200 m apart joined by a flight of steps and a footway tagged
    // wheelchair=no; we check the graph and the barriers.
    let roads = |joiner: &str| {
        serde_json::json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"highway": "residential", "name": "A"},
             "geometry": {"type": "LineString", "coordinates": [[77.10, 43.20], [77.105, 43.20], [77.107, 43.20], [77.11, 43.20]]}},
            {"type": "Feature", "properties": {"highway": "residential", "name": "B"},
             "geometry": {"type": "LineString", "coordinates": [[77.10, 43.2018], [77.105, 43.2018], [77.107, 43.2018], [77.11, 43.2018]]}},
            {"type": "Feature", "properties": {"highway": joiner, "name": "J"},
             "geometry": {"type": "LineString", "coordinates": [[77.105, 43.20], [77.105, 43.2018]]}},
            {"type": "Feature", "properties": {"highway": "footway", "name": "K", "wheelchair": "no"},
             "geometry": {"type": "LineString", "coordinates": [[77.107, 43.20], [77.107, 43.2018]]}}
        ]})
    };
    let path = dir.path().join("roads.geojson");
    std::fs::write(&path, roads("steps").to_string()).unwrap();
    // The city's layers, and the roads role bound to the synthetic layer alone.
    qala_ok(&db, &["fixtures", "load"]);
    qala_ok(
        &db,
        &[
            "ingest",
            path.to_str().unwrap(),
            "--layer",
            "synth-roads",
            "--kind",
            "road",
        ],
    );
    qala_ok(&db, &["indicators", "bind", "roads", "synth-roads"]);
    let app = App::new(&db).await;
    let r = ready(&app, "/networks/walk/barriers?profile=step_free").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let b = r.json();
    assert_eq!(b["total"], 2, "{b}");
    assert_eq!(b["features"][0]["properties"]["name"], "J");
    assert_eq!(b["features"][0]["properties"]["barrier"], "highway=steps");
    // A way's own wheelchair=no tag (kept in the road's attributes) is a barrier too.
    assert_eq!(b["features"][1]["properties"]["name"], "K");
    assert_eq!(b["features"][1]["properties"]["barrier"], "wheelchair=no");
    // The two joiners cut the graph in two for the step-free profile, not for the walk.
    assert_eq!(b["graph"]["components"], 2, "{}", b["graph"]);
    let w = ready(&app, "/networks/walk/barriers?profile=walk").await.json();
    assert_eq!(w["graph"]["components"], 1, "{}", w["graph"]);
    assert_eq!(w["total"], 0);
}
