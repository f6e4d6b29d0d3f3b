//! Level of traffic stress and low-stress islands on a hand-made street: two quiet
//! residential streets joined only by an avenue; a protected lane along the avenue joins
//! them, but only in the scenarios that count its status.

use geo_types::{Coord, Geometry, LineString, MultiLineString};
use qala_core::{LayerKind, Value};
use qala_engine::{Engine, EngineOptions, LtsScenario, LtsSegmentQuery, Projector, SourceLayer};

use crate::access::{X0, Y0, city, feature, layer};

fn wgs84(pts: &[(f64, f64)]) -> Geometry<f64> {
    let inv = Projector::to_wgs84().unwrap();
    inv.geometry(&Geometry::LineString(LineString::from(pts.to_vec())))
        .unwrap()
}

/// West street (0–500 m), avenue (500–900 m), east street (900–1500 m), along y = 0 from
/// the first cell's centroid; a lane with `status` beside the avenue, `off_m` from it.
fn street_city(status: &str, off_m: f64) -> Engine {
    let fwd = Projector::to_utm().unwrap();
    let c = fwd
        .coord(Coord {
            x: X0 + 0.02,
            y: Y0 + 0.02,
        })
        .unwrap();
    let at = |dx: f64| (c.x + dx, c.y);
    let east_cell = Projector::to_wgs84()
        .unwrap()
        .coord(Coord {
            x: c.x + 1400.0,
            y: c.y,
        })
        .unwrap();
    let mut layers = city(&[(0.02, 0.02, 100), (east_cell.x - X0, east_cell.y - Y0, 40)], &[]);
    let roads: Vec<_> = [
        ("residential", vec![at(0.0), at(250.0), at(500.0)]),
        ("primary", vec![at(500.0), at(900.0)]),
        ("residential", vec![at(900.0), at(1500.0)]),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (h, pts))| feature(i as u64 + 1, wgs84(&pts), vec![Value::Text(h.into()), Value::Null]))
    .collect();
    layers.push(layer("roads", LayerKind::Road, roads));
    let lane = match wgs84(&[(c.x + 500.0, c.y + off_m), (c.x + 900.0, c.y + off_m)]) {
        Geometry::LineString(l) => Geometry::MultiLineString(MultiLineString(vec![l])),
        g => g,
    };
    let lanes: SourceLayer = layer(
        "bike-lanes",
        LayerKind::BikeLane,
        vec![feature(
            1,
            lane,
            vec![
                Value::Text("Avenue lane".into()),
                Value::Text(status.into()),
                Value::Text("protected".into()),
                Value::Null,
            ],
        )],
    );
    layers.push(lanes);
    Engine::from_layers(layers, EngineOptions::default()).unwrap()
}

#[test]
fn an_avenue_splits_the_low_stress_network_until_its_lane_is_built() {
    let e = street_city("planned", 3.0);
    let existing = e.lts_islands(LtsScenario::Existing).unwrap();
    assert_eq!(existing.ruleset, "lts_mekuria_2012");
    assert_eq!(
        existing.ways_by_lts,
        [0, 2, 0, 1],
        "two residential streets at 2, the avenue at 4"
    );
    assert_eq!(existing.islands.len(), 2);
    let (a, b) = (&existing.islands[0], &existing.islands[1]);
    assert_eq!((a.id, b.id), (1, 2));
    assert!(
        (a.length_km - 0.6).abs() < 1e-6 && (b.length_km - 0.5).abs() < 1e-6,
        "{existing:?}"
    );
    assert_eq!(
        (a.residents, b.residents),
        (40.0, 100.0),
        "each cell reaches its own island"
    );
    assert!((existing.low_stress_km - 1.1).abs() < 1e-6);

    // Under construction does not count a planned lane; the whole plan does.
    assert_eq!(e.lts_islands(LtsScenario::UnderConstruction).unwrap().islands.len(), 2);
    let plan = e.lts_islands(LtsScenario::Plan).unwrap();
    assert_eq!(plan.ways_by_lts, [1, 2, 0, 0]);
    assert_eq!(plan.islands.len(), 1);
    assert!((plan.islands[0].length_km - 1.5).abs() < 1e-6);
    assert_eq!(plan.islands[0].residents, 140.0);

    // Segments: the reason names the rule and the assumed inputs; the avenue's lane.
    let page = e
        .lts_segments(&LtsSegmentQuery {
            scenario: LtsScenario::Plan,
            bbox_wgs84: None,
            limit: 2,
            offset: 1,
        })
        .unwrap();
    assert_eq!((page.total, page.offset, page.segments.len()), (3, 1, 2));
    let avenue = &page.segments[0];
    assert_eq!(
        (avenue.row, avenue.lts.lts, avenue.lts.rule.as_str()),
        (2, 1, "separated_facility")
    );
    assert_eq!(avenue.lts.facility, "protected");
    assert_eq!(avenue.lane_status.as_deref(), Some("planned"));
    assert_eq!(avenue.island, Some(1));
    assert!((avenue.length_m - 400.0).abs() < 1e-6);
    let west = &e
        .lts_segments(&LtsSegmentQuery {
            scenario: LtsScenario::Existing,
            bbox_wgs84: None,
            limit: 10,
            offset: 0,
        })
        .unwrap()
        .segments[0];
    assert_eq!(west.lts.lts, 2);
    assert_eq!(
        west.reason,
        "mixed_local_calm; assumed max_speed_kmh=40, lanes=2, oneway=no (default_residential)"
    );
    assert_eq!(west.island, Some(2));
    let geo = page.to_geojson();
    assert_eq!(geo["features"][0]["properties"]["rule"], "separated_facility");
    assert_eq!(geo["features"][0]["geometry"]["type"], "LineString");

    // A bbox around the east end holds the east street only.
    let fwd = Projector::to_utm().unwrap();
    let c = fwd
        .coord(Coord {
            x: X0 + 0.02,
            y: Y0 + 0.02,
        })
        .unwrap();
    let inv = Projector::to_wgs84().unwrap();
    let lo = inv
        .coord(Coord {
            x: c.x + 1200.0,
            y: c.y - 50.0,
        })
        .unwrap();
    let hi = inv
        .coord(Coord {
            x: c.x + 1300.0,
            y: c.y + 50.0,
        })
        .unwrap();
    let east = e
        .lts_segments(&LtsSegmentQuery {
            scenario: LtsScenario::Existing,
            bbox_wgs84: Some([lo.x, lo.y, hi.x, hi.y]),
            limit: 10,
            offset: 0,
        })
        .unwrap();
    assert_eq!(east.segments.iter().map(|s| s.row).collect::<Vec<_>>(), vec![3]);
}

#[test]
fn an_existing_lane_joins_the_islands_now_and_a_lane_off_the_street_does_not() {
    let e = street_city("existing", 3.0);
    assert_eq!(e.lts_islands(LtsScenario::Existing).unwrap().islands.len(), 1);
    // 40 m off the avenue (beyond the 15 m match distance): not along it.
    let e = street_city("existing", 40.0);
    let existing = e.lts_islands(LtsScenario::Existing).unwrap();
    assert_eq!(existing.islands.len(), 2);
    assert_eq!(existing.ways_by_lts, [0, 2, 0, 1]);
}

#[test]
fn the_planned_avenue_lane_connects_the_west_street_to_the_centre_island() {
    // Republic Square lies east of this city: the east street is the centre's island.
    let e = street_city("planned", 3.0);
    let p = e.lts_priorities().unwrap();
    assert_eq!(p.centre_island_residents, 40.0);
    assert_eq!(p.priorities.len(), 1, "{p:?}");
    let a = &p.priorities[0];
    assert_eq!((a.rank, a.row, a.lts_base, a.lts_plan), (1, 2, 4, 1));
    assert_eq!(a.facility, "protected");
    assert!(a.touches_centre_island);
    assert_eq!((a.islands_touched, a.residents_newly_connected), (2, 100.0));
    assert!((a.length_km - 0.4).abs() < 1e-9 && (a.residents_per_km - 250.0).abs() < 1e-6);
    let csv = p.to_csv();
    assert!(csv.starts_with(qala_engine::PRIORITY_CSV_HEADER));
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("1,2,\"\",\"primary\",4,1,protected,0.4000,100,250.00,2,true"),
        "{csv}"
    );
    // A lane already built is no candidate.
    assert!(
        street_city("existing", 3.0)
            .lts_priorities()
            .unwrap()
            .priorities
            .is_empty()
    );
}
