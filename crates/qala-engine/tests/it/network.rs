//! Access along the street network: a hand-made river with one bridge, a motorway barrier,
//! and on a seeded random street grid, network access never exceeds straight access.

use geo::Centroid;
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Polygon};
use qala_core::{LayerKind, Value};
use qala_engine::{AccessQuery, DistanceMode, Engine, EngineOptions, FieldEquals, Projector, SourceLayer, ZoneScheme};
use rand::{Rng, SeedableRng};

use crate::access::{X0, Y0, city, feature, layer};

/// The UTM centroid of the population cell `city` makes at offset (x, y).
fn cell_centroid_utm(x: f64, y: f64) -> Coord<f64> {
    let c = 0.002;
    let sq = MultiPolygon(vec![Polygon::new(
        LineString::from(vec![
            (X0 + x - c / 2.0, Y0 + y - c / 2.0),
            (X0 + x + c / 2.0, Y0 + y - c / 2.0),
            (X0 + x + c / 2.0, Y0 + y + c / 2.0),
            (X0 + x - c / 2.0, Y0 + y + c / 2.0),
            (X0 + x - c / 2.0, Y0 + y - c / 2.0),
        ]),
        vec![],
    )]);
    let g = Projector::to_utm()
        .unwrap()
        .geometry(&Geometry::MultiPolygon(sq))
        .unwrap();
    g.centroid().unwrap().0
}

/// A road layer from UTM lines (converted to WGS84 as the store delivers them).
fn roads(lines: &[(&str, Vec<(f64, f64)>)]) -> SourceLayer {
    let inv = Projector::to_wgs84().unwrap();
    let features = lines
        .iter()
        .enumerate()
        .map(|(i, (highway, pts))| {
            let ls = LineString::from(pts.clone());
            let g = inv.geometry(&Geometry::LineString(ls)).unwrap();
            feature(i as u64 + 1, g, vec![Value::Text((*highway).into()), Value::Null])
        })
        .collect();
    layer("roads", LayerKind::Road, features)
}

fn schools(r: f64, distance: DistanceMode) -> AccessQuery {
    AccessQuery {
        layer: "services".into(),
        radius_m: r,
        filter: vec![FieldEquals::parse("category=school").unwrap()],
        distance,
    }
}

/// One cell on the south bank, a school 100 m north across the river; the only bridge is
/// 400 m east: 100 m straight, 900 m on foot. A motorway straight across is no way.
fn river_city(direct: &str) -> Engine {
    let c = cell_centroid_utm(0.02, 0.02);
    let at = |dx: f64, dy: f64| (c.x + dx, c.y + dy);
    let school = Projector::to_wgs84()
        .unwrap()
        .coord(Coord { x: c.x, y: c.y + 100.0 })
        .unwrap();
    // Second cell: far from every street.
    let mut layers = city(
        &[(0.02, 0.02, 100), (0.07, 0.07, 50)],
        &[(school.x - X0, school.y - Y0, true)],
    );
    layers.push(roads(&[
        ("residential", vec![at(0.0, 0.0), at(400.0, 0.0)]),
        ("footway", vec![at(400.0, 0.0), at(400.0, 100.0)]),
        ("residential", vec![at(400.0, 100.0), at(0.0, 100.0)]),
        (direct, vec![at(0.0, 0.0), at(0.0, 100.0)]),
    ]));
    Engine::from_layers(layers, EngineOptions::default()).unwrap()
}

#[test]
fn a_river_with_one_bridge_cuts_off_who_is_near_as_the_crow_flies() {
    let e = river_city("motorway");
    let stats = e.street_network().unwrap();
    assert_eq!((stats.nodes, stats.edges, stats.components), (4, 3, 1));
    assert_eq!((stats.walkable_ways, stats.barrier_ways), (3, 1));
    let d1 = |r: &qala_engine::IndicatorResult| r.zones[0].numerator;

    let straight = e
        .access(&schools(500.0, DistanceMode::Straight), &ZoneScheme::Districts)
        .unwrap();
    let network = e
        .access(&schools(500.0, DistanceMode::Network), &ZoneScheme::Districts)
        .unwrap();
    assert_eq!(d1(&straight), 100.0, "100 m as the crow flies");
    assert_eq!(d1(&network), 0.0, "900 m on foot");
    assert_eq!(straight.distance, Some(DistanceMode::Straight));
    assert!(straight.severance.is_none());
    assert_eq!(network.distance, Some(DistanceMode::Network));
    let sev = network.severance.as_ref().unwrap();
    assert_eq!(sev.zones[0].value.straight, Some(1.0));
    assert_eq!(sev.zones[0].value.network, Some(0.0));
    assert_eq!(sev.zones[0].value.gap, Some(1.0));
    assert_eq!(sev.zones[0].value.residents_cut_off, 100.0);
    assert_eq!(sev.city.residents_cut_off, 100.0);
    assert_eq!((sev.off_network_cells, sev.off_network_residents), (1, 50.0));

    // The walk is 900 m: covered at 910 m, not at 890 m.
    let at = |r: f64| {
        d1(&e
            .access(&schools(r, DistanceMode::Network), &ZoneScheme::Districts)
            .unwrap())
    };
    assert_eq!(at(890.0), 0.0);
    assert_eq!(at(910.0), 100.0);

    // A footbridge straight across makes the walk 100 m.
    let e = river_city("footway");
    assert_eq!(e.street_network().unwrap().edges, 4);
    assert_eq!(at_engine(&e, 110.0), 100.0);
    assert_eq!(at_engine(&e, 90.0), 0.0);
}

fn at_engine(e: &Engine, r: f64) -> f64 {
    e.access(&schools(r, DistanceMode::Network), &ZoneScheme::Districts)
        .unwrap()
        .zones[0]
        .numerator
}

#[test]
fn network_mode_needs_roads_and_applies_to_access_only() {
    let e = Engine::from_layers(
        city(&[(0.01, 0.01, 10)], &[(0.01, 0.011, true)]),
        EngineOptions::default(),
    )
    .unwrap();
    let err = e
        .access(&schools(500.0, DistanceMode::Network), &ZoneScheme::Districts)
        .unwrap_err();
    assert_eq!(
        (err.code(), err.kind()),
        ("missing_roads", qala_core::ErrorKind::Conflict)
    );
    // Straight mode is unchanged without roads.
    assert_eq!(
        e.access(&schools(500.0, DistanceMode::Straight), &ZoneScheme::Districts)
            .unwrap()
            .zones[0]
            .numerator,
        10.0
    );
    let e = river_city("motorway");
    let err = e
        .compute_in("planting_survival_1y", &ZoneScheme::Districts, DistanceMode::Network)
        .unwrap_err();
    assert_eq!(err.code(), "not_access_indicator");
}

#[test]
fn what_if_on_foot_removing_the_school_across_the_bridge_and_adding_one_on_this_bank() {
    let e = river_city("motorway");
    let school = |r: &qala_engine::WhatIfResult| {
        r.indicators
            .iter()
            .find(|i| i.indicator == "school_500m")
            .map(|i| (i.zones[0].delta.before, i.zones[0].delta.after))
            .unwrap()
    };
    // The only school is 100 m away as the crow flies, 900 m on foot.
    let remove: qala_engine::Change =
        serde_json::from_str(r#"{"layer":"services","action":"remove","source_row":1}"#).unwrap();
    let straight = e.what_if(&remove, &ZoneScheme::Districts).unwrap();
    assert_eq!(school(&straight), (Some(1.0), Some(0.0)));
    let walk = e
        .what_if_in(&remove, &ZoneScheme::Districts, DistanceMode::Network)
        .unwrap();
    assert_eq!(school(&walk), (Some(0.0), Some(0.0)), "900 m on foot: nothing to lose");
    // A school 200 m east along this bank.
    let c = cell_centroid_utm(0.02, 0.02);
    let p = Projector::to_wgs84()
        .unwrap()
        .coord(Coord { x: c.x + 200.0, y: c.y })
        .unwrap();
    let add: qala_engine::Change = serde_json::from_value(serde_json::json!({
        "layer": "services", "action": "add",
        "geometry": {"type": "Point", "coordinates": [p.x, p.y]},
        "attributes": {"category": "school"}
    }))
    .unwrap();
    let walk = e
        .what_if_in(&add, &ZoneScheme::Districts, DistanceMode::Network)
        .unwrap();
    assert_eq!(school(&walk), (Some(0.0), Some(1.0)));
    assert_eq!(walk.cells_recomputed, 1, "only the cell within reach");
}

/// What-if on foot equals computing from scratch with the change applied.
#[test]
fn network_what_if_equals_a_rebuilt_engine() {
    let (layers, services) = random_city(23);
    let e = Engine::from_layers(layers, EngineOptions::default()).unwrap();
    let walk_share = |e: &Engine| {
        e.compute_in("school_500m", &ZoneScheme::Districts, DistanceMode::Network)
            .unwrap()
            .zones
            .iter()
            .map(|z| z.value)
            .collect::<Vec<_>>()
    };
    let after = |r: &qala_engine::WhatIfResult| {
        let i = r.indicators.iter().find(|i| i.indicator == "school_500m").unwrap();
        i.zones.iter().map(|z| z.delta.after).collect::<Vec<_>>()
    };
    // Remove each of the first few schools.
    for row in 1..=4u64 {
        let change: qala_engine::Change =
            serde_json::from_value(serde_json::json!({"layer": "services", "action": "remove", "source_row": row}))
                .unwrap();
        let got = e
            .what_if_in(&change, &ZoneScheme::Districts, DistanceMode::Network)
            .unwrap();
        // The same seeded city again, without that school.
        let (mut rebuilt, _) = random_city(23);
        let svc = rebuilt.iter_mut().find(|l| l.slug == "services").unwrap();
        let kept: Vec<_> = std::mem::replace(&mut svc.features, Vec::new().into())
            .into_iter()
            .filter(|f| f.row != row)
            .collect();
        svc.features = kept.into();
        let want = walk_share(&Engine::from_layers(rebuilt, EngineOptions::default()).unwrap());
        assert_eq!(after(&got), want, "remove row {row}");
    }
    // Add one in the middle of the grid.
    let (x, y) = (X0 + 0.02, Y0 + 0.02);
    let change: qala_engine::Change = serde_json::from_value(serde_json::json!({
        "layer": "services", "action": "add",
        "geometry": {"type": "Point", "coordinates": [x, y]},
        "attributes": {"category": "school"}
    }))
    .unwrap();
    let got = e
        .what_if_in(&change, &ZoneScheme::Districts, DistanceMode::Network)
        .unwrap();
    let mut more = services.clone();
    more.push((0.02, 0.02, true));
    let (mut rebuilt, _) = random_city(23);
    let svc = rebuilt.iter_mut().find(|l| l.slug == "services").unwrap();
    *svc = city(&[], &more).into_iter().find(|l| l.slug == "services").unwrap();
    let want = walk_share(&Engine::from_layers(rebuilt, EngineOptions::default()).unwrap());
    assert_eq!(after(&got), want, "add a school");
}

/// A 200 m street grid over district 1 with a fifth of the segments missing (blocks,
/// rivers) and some trunk roads; 300 cells and 15 schools, seeded.
fn random_city(seed: u64) -> (Vec<SourceLayer>, Vec<(f64, f64, bool)>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let origin = cell_centroid_utm(0.0, 0.0);
    let mut lines = Vec::new();
    for i in 0..20 {
        for j in 0..20 {
            let (x, y) = (origin.x + 200.0 * f64::from(i), origin.y + 200.0 * f64::from(j));
            for (dx, dy) in [(200.0, 0.0), (0.0, 200.0)] {
                if rng.gen_bool(0.8) {
                    let kind = if rng.gen_bool(0.05) { "trunk" } else { "residential" };
                    lines.push((kind, vec![(x, y), (x + dx, y + dy)]));
                }
            }
        }
    }
    let cells: Vec<(f64, f64, u32)> = (0..300)
        .map(|_| {
            (
                rng.gen_range(0.0..0.045),
                rng.gen_range(0.0..0.045),
                rng.gen_range(1..500),
            )
        })
        .collect();
    let services: Vec<(f64, f64, bool)> = (0..15)
        .map(|_| (rng.gen_range(0.0..0.045), rng.gen_range(0.0..0.045), true))
        .collect();
    let mut layers = city(&cells, &services);
    layers.push(roads(&lines));
    (layers, services)
}

#[test]
fn on_a_random_street_grid_network_access_never_exceeds_straight_access() {
    let (layers, _) = random_city(11);
    let e = Engine::from_layers(layers, EngineOptions::default()).unwrap();
    for r in [150.0, 400.0, 800.0, 1500.0] {
        let s = e
            .access(&schools(r, DistanceMode::Straight), &ZoneScheme::Districts)
            .unwrap();
        let n = e
            .access(&schools(r, DistanceMode::Network), &ZoneScheme::Districts)
            .unwrap();
        let sev = n.severance.as_ref().unwrap();
        for ((a, b), z) in s.zones.iter().zip(&n.zones).zip(&sev.zones) {
            assert!(
                b.numerator <= a.numerator,
                "r {r} zone {}: network {} > straight {}",
                a.zone,
                b.numerator,
                a.numerator
            );
            assert_eq!(z.value.straight, a.value);
            assert_eq!(z.value.network, b.value);
            assert!(z.value.gap.is_none_or(|g| g >= 0.0));
        }
        assert!(sev.city.gap.unwrap() >= 0.0);
        if r >= 800.0 {
            assert!(n.city.numerator > 0.0, "r {r}: somebody walks to a school");
        }
    }
}

#[test]
fn csv_rows_carry_the_mode_the_straight_value_and_the_gap() {
    let e = river_city("motorway");
    let net = e
        .access(&schools(500.0, DistanceMode::Network), &ZoneScheme::Districts)
        .unwrap();
    let straight = e
        .access(&schools(500.0, DistanceMode::Straight), &ZoneScheme::Districts)
        .unwrap();
    let csv = qala_engine::IndicatorResult::to_csv(&[net, straight]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], qala_engine::CSV_HEADER);
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(lines.len(), 1 + 2 * (4 + 3));
    let col = |line: &str, name: &str| -> String {
        // The indicator id holds no comma; the names of these zones neither.
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len(), "{line}");
        cells[header.iter().position(|h| *h == name).unwrap()].to_owned()
    };
    // Network rows: district 1 is 100 % near a school as the crow flies, 0 % on foot.
    let d1 = lines[1];
    assert_eq!(col(d1, "distance"), "network");
    assert_eq!(col(d1, "value"), "0");
    assert_eq!(col(d1, "straight_value"), "1");
    assert_eq!(col(d1, "severance_gap"), "1");
    let city = lines[7];
    assert_eq!(col(city, "zone"), "CITY");
    assert_eq!(col(city, "role"), "group");
    // Straight rows: the mode, no severance columns.
    let s1 = lines[8];
    assert_eq!(col(s1, "distance"), "straight");
    assert_eq!(col(s1, "value"), "1");
    assert_eq!(col(s1, "straight_value"), "");
    assert_eq!(col(s1, "severance_gap"), "");
}
