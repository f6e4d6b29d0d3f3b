//! Level of traffic stress and low-stress islands on a hand-made street: two quiet
//! residential streets joined only by an avenue; a protected lane along the avenue joins
//! them, but only in the scenarios that count its status.

use geo_types::{Coord, Geometry, LineString, MultiLineString};
use qala_core::{LayerKind, Value};
use qala_engine::{Change, Engine, EngineOptions, LtsScenario, LtsSegmentQuery, Projector, SourceLayer, ZoneScheme};

use crate::access::{X0, Y0, city, feature, layer};

fn wgs84(pts: &[(f64, f64)]) -> Geometry<f64> {
    let inv = Projector::to_wgs84().unwrap();
    inv.geometry(&Geometry::LineString(LineString::from(pts.to_vec())))
        .unwrap()
}

/// West street (0–500 m), avenue (500–900 m), east street (900–1500 m), along y = 0 from
/// the first cell's centroid, a school on the west street; a lane with `status` beside the
/// avenue, `off_m` from it.
fn street_city(status: &str, off_m: f64) -> Engine {
    street_city_with(&[(status, off_m)], 400.0)
}

/// [`street_city`] with a protected lane beside the avenue per (status, offset), and the
/// avenue `avenue_m` long (the east street starts where it ends).
fn street_city_with(lanes: &[(&str, f64)], avenue_m: f64) -> Engine {
    Engine::from_layers(street_city_layers(lanes, avenue_m), EngineOptions::default()).unwrap()
}

fn street_city_layers(lanes: &[(&str, f64)], avenue_m: f64) -> Vec<SourceLayer> {
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
    let mut layers = city(
        &[(0.02, 0.02, 100), (east_cell.x - X0, east_cell.y - Y0, 40)],
        &[(0.02, 0.02, true)],
    );
    let roads: Vec<_> = [
        ("residential", vec![at(0.0), at(250.0), at(500.0)]),
        ("primary", vec![at(500.0), at(500.0 + avenue_m)]),
        ("residential", vec![at(500.0 + avenue_m), at(1500.0)]),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, (h, pts))| feature(i as u64 + 1, wgs84(&pts), vec![Value::Text(h.into()), Value::Null]))
    .collect();
    layers.push(layer("roads", LayerKind::Road, roads));
    let lanes: SourceLayer = layer(
        "bike-lanes",
        LayerKind::BikeLane,
        lanes
            .iter()
            .enumerate()
            .map(|(i, (status, off_m))| {
                let lane = match wgs84(&[(c.x + 500.0, c.y + off_m), (c.x + 900.0, c.y + off_m)]) {
                    Geometry::LineString(l) => Geometry::MultiLineString(MultiLineString(vec![l])),
                    g => g,
                };
                feature(
                    i as u64 + 1,
                    lane,
                    vec![
                        Value::Text("Avenue lane".into()),
                        Value::Text((*status).into()),
                        Value::Text("protected".into()),
                        Value::Null,
                    ],
                )
            })
            .collect(),
    );
    layers.push(lanes);
    layers
}

/// [`street_city`]'s layers without the population layer.
fn street_city_without_population() -> Engine {
    let layers = street_city_layers(&[("existing", 10.0)], 400.0)
        .into_iter()
        .filter(|l| l.kind != LayerKind::PopulationCell);
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
    assert_eq!(a.source, qala_engine::PrioritySource::Planned);
    let csv = p.to_csv();
    assert!(csv.starts_with(qala_engine::PRIORITY_CSV_HEADER));
    assert_eq!(
        csv.lines().nth(1).unwrap(),
        "1,2,\"\",\"primary\",4,1,protected,0.4000,100,250.00,2,true,planned",
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

/// The lane's line in lon/lat, `off_m` north of the avenue.
fn avenue_lane_json(off_m: f64) -> serde_json::Value {
    let c = Projector::to_utm()
        .unwrap()
        .coord(Coord {
            x: X0 + 0.02,
            y: Y0 + 0.02,
        })
        .unwrap();
    let g = wgs84(&[(c.x + 500.0, c.y + off_m), (c.x + 900.0, c.y + off_m)]);
    let Geometry::LineString(l) = g else { unreachable!() };
    serde_json::json!({"type": "LineString", "coordinates": l.0.iter().map(|p| [p.x, p.y]).collect::<Vec<_>>()})
}

fn change(v: serde_json::Value) -> Change {
    serde_json::from_value(v).unwrap()
}

/// Each low-stress indicator's after-values of `r`, zone by zone, equal `real`'s figures.
fn assert_after_is(r: &qala_engine::WhatIfResult, real: &Engine) {
    let mut n = 0;
    for d in r.indicators.iter().filter(|d| d.indicator.starts_with("lts2_")) {
        let want = real.compute(&d.indicator, &ZoneScheme::Districts).unwrap();
        assert_eq!(d.zones.len(), want.zones.len());
        for (z, w) in d.zones.iter().zip(&want.zones) {
            assert_eq!(
                (z.zone.as_str(), z.delta.after),
                (w.zone.as_str(), w.value),
                "{}",
                d.indicator
            );
        }
        assert_eq!(d.city.after, want.city.value, "{}", d.indicator);
        n += 1;
    }
    assert_eq!(n, 12, "four destinations in three scenarios");
}

#[test]
fn what_if_an_existing_lane_along_the_avenue_equals_building_it() {
    let e = street_city("planned", 3.0);
    let c = change(serde_json::json!({
        "layer": "bike-lanes", "action": "add", "geometry": avenue_lane_json(3.0),
        "attributes": {"status": "existing", "facility": "protected"}
    }));
    let r = e.what_if(&c, &ZoneScheme::Districts).unwrap();
    // The east cell (40 of 140 residents) now rides to the school in every scenario but
    // the plan, where the planned lane already joined it.
    let school = |s: &str| {
        r.indicators
            .iter()
            .find(|d| d.indicator == format!("lts2_school_2km_{s}"))
            .unwrap()
    };
    assert_eq!(
        (school("existing").city.before, school("existing").city.after),
        (Some(100.0 / 140.0), Some(1.0))
    );
    assert_eq!(school("under_construction").city.after, Some(1.0));
    assert_eq!(school("plan").city.delta, Some(0.0));
    assert_eq!(r.lts.len(), 3, "an existing lane counts in every scenario");
    let existing = &r.lts[0];
    assert_eq!((existing.islands_before, existing.islands_after), (2, 1));
    assert_eq!(
        existing
            .ways
            .iter()
            .map(|w| (w.row, w.lts_before, w.lts_after))
            .collect::<Vec<_>>(),
        vec![(2, 4, 1)]
    );
    assert!(r.lts[2].ways.is_empty(), "the plan had the avenue at LTS 1 already");
    // The what-if equals the engine with the lane loaded, zone by zone.
    assert_after_is(&r, &street_city_with(&[("planned", 3.0), ("existing", 3.0)], 400.0));

    // A planned lane touches the plan only; removing the planned lane undoes the plan's link.
    let r = e
        .what_if(
            &change(serde_json::json!({
                "layer": "bike-lanes", "action": "add", "geometry": avenue_lane_json(3.0),
                "attributes": {"status": "planned", "facility": "painted"}
            })),
            &ZoneScheme::Districts,
        )
        .unwrap();
    assert_eq!(
        r.lts.iter().map(|s| s.scenario).collect::<Vec<_>>(),
        vec![LtsScenario::Plan]
    );
    let r = e
        .what_if(
            &change(serde_json::json!({"layer": "bike-lanes", "action": "remove", "source_row": 1})),
            &ZoneScheme::Districts,
        )
        .unwrap();
    let plan = r
        .indicators
        .iter()
        .find(|d| d.indicator == "lts2_school_2km_plan")
        .unwrap();
    assert_eq!((plan.city.before, plan.city.after), (Some(1.0), Some(100.0 / 140.0)));
    assert_eq!(r.lts[0].ways[0].lts_after, 4);
}

#[test]
fn what_if_a_faster_west_street_cuts_the_school_off() {
    let e = street_city("existing", 3.0);
    let speed = |kmh: serde_json::Value| {
        e.what_if(
            &change(
                serde_json::json!({"layer": "roads", "action": "set_max_speed", "source_row": 1, "max_speed_kmh": kmh}),
            ),
            &ZoneScheme::Districts,
        )
    };
    let r = speed(serde_json::json!(60)).unwrap();
    assert_eq!(r.lts.len(), 3, "a street's speed counts in every scenario");
    assert_eq!(
        r.lts[0]
            .ways
            .iter()
            .map(|w| (w.row, w.lts_before, w.lts_after))
            .collect::<Vec<_>>(),
        vec![(1, 2, 4)],
        "mixed traffic faster than 50 km/h"
    );
    let school = r
        .indicators
        .iter()
        .find(|d| d.indicator == "lts2_school_2km_existing")
        .unwrap();
    assert_eq!((school.city.before, school.city.after), (Some(1.0), Some(0.0)));
    assert!(
        r.indicators.iter().all(|d| d.indicator.starts_with("lts2_")),
        "a speed changes only the cycling figures"
    );
    // 30 km/h makes it calmer (LTS 1) and connects the same people.
    let r = speed(serde_json::json!(30.0)).unwrap();
    assert_eq!(r.lts[0].ways[0].lts_after, 1);
    assert!(r.indicators.iter().all(|d| d.city.delta == Some(0.0)));

    // Bad input: a clear error with a stable code, nothing computed.
    let code = |r: Result<qala_engine::WhatIfResult, qala_engine::EngineError>| r.unwrap_err().code();
    for bad in [
        serde_json::json!(0),
        serde_json::json!(-30),
        serde_json::json!("fast"),
        serde_json::json!(500),
    ] {
        assert_eq!(code(speed(bad)), "invalid_max_speed");
    }
    let w = |v: serde_json::Value| e.what_if(&change(v), &ZoneScheme::Districts);
    assert_eq!(
        code(w(
            serde_json::json!({"layer": "roads", "action": "set_max_speed", "source_row": 99, "max_speed_kmh": 30})
        )),
        "feature_not_found"
    );
    assert_eq!(
        code(w(
            serde_json::json!({"layer": "services", "action": "set_max_speed", "source_row": 1, "max_speed_kmh": 30})
        )),
        "invalid_change"
    );
    let lane = |geometry: serde_json::Value, attributes: serde_json::Value| {
        w(serde_json::json!({"layer": "bike-lanes", "action": "add", "geometry": geometry, "attributes": attributes}))
    };
    let ok = serde_json::json!({"status": "existing", "facility": "protected"});
    let err = lane(avenue_lane_json(40.0), ok.clone()).unwrap_err();
    assert_eq!(err.code(), "lane_off_street");
    assert!(err.to_string().contains("the nearest way is 40 m away"), "{err}");
    assert_eq!(
        code(lane(
            serde_json::json!({"type": "Point", "coordinates": [76.87, 43.22]}),
            ok
        )),
        "wrong_geometry_type"
    );
    assert_eq!(
        code(lane(
            avenue_lane_json(3.0),
            serde_json::json!({"status": "dreamed", "facility": "protected"})
        )),
        "invalid_change"
    );
    assert_eq!(
        code(lane(avenue_lane_json(3.0), serde_json::json!({"status": "existing"}))),
        "invalid_change"
    );
}

#[test]
fn a_short_avenue_between_two_islands_is_a_missing_link_and_a_long_one_is_not() {
    // The lane 40 m off the avenue matches nothing: the avenue stays at LTS 4 in every
    // scenario, a high-stress way between the two islands.
    let short = street_city_with(&[("planned", 40.0)], 250.0).lts_priorities().unwrap();
    assert_eq!(short.priorities.len(), 1, "{short:?}");
    let m = &short.priorities[0];
    assert_eq!(m.source, qala_engine::PrioritySource::MissingLink);
    assert_eq!((m.row, m.lts_base, m.lts_plan, m.islands_touched), (2, 4, 4, 2));
    assert!(m.touches_centre_island);
    assert_eq!(m.residents_newly_connected, 100.0);
    assert!((m.residents_per_km - 400.0).abs() < 1e-6, "{m:?}");
    assert!(short.to_csv().lines().nth(1).unwrap().ends_with(",2,true,missing_link"));
    // 400 m is longer than the 300 m searched.
    assert_eq!(qala_engine::MISSING_LINK_MAX_M, 300.0);
    let long = street_city_with(&[("planned", 40.0)], 400.0).lts_priorities().unwrap();
    assert!(long.priorities.is_empty(), "{long:?}");
}

#[test]
fn compute_all_equals_each_definition_computed_alone_on_a_fresh_engine() {
    // compute_all shares the work among the cores and builds the shared networks first;
    // every figure must still be the one a definition gets alone, to the last bit.
    let scheme = ZoneScheme::Districts;
    let all = street_city("existing", 10.0).compute_all(&scheme).unwrap();
    let ids: Vec<String> = street_city("existing", 10.0)
        .definitions()
        .iter()
        .map(|d| d.id.clone())
        .collect();
    assert_eq!(all.len(), ids.len());
    assert!(ids.iter().any(|id| id.starts_with("lts2_")) && ids.iter().any(|id| id.starts_with("step_free_")));
    for (r, id) in all.iter().zip(&ids) {
        let alone = street_city("existing", 10.0).compute(id, &scheme).unwrap();
        assert_eq!(
            serde_json::to_string(r).unwrap(),
            serde_json::to_string(&alone).unwrap(),
            "{id}"
        );
    }
}

#[test]
fn without_a_population_layer_every_indicator_says_so_and_the_networks_still_build() {
    let engine = street_city_without_population();
    let e = engine.compute_all(&ZoneScheme::Districts).unwrap_err();
    assert_eq!(e.code(), "no_population", "{e}");
    for id in [
        "lts2_school_2km_existing",
        "step_free_school_500m",
        "elderly_school_500m",
    ] {
        let e = engine.compute(id, &ZoneScheme::Districts).unwrap_err();
        assert_eq!(e.code(), "no_population", "{id}: {e}");
    }
    // The networks themselves need no residents: islands and graph sizes are still there.
    let islands = engine.lts_islands(LtsScenario::Existing).unwrap();
    assert!(!islands.islands.is_empty());
    assert!(engine.street_network().unwrap().edges > 0);
}
