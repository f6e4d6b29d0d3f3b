//! The engine's access indicator, zone assignment and zone sums against brute force, on a
//! seeded synthetic city near Almaty (WGS84 input, as the store delivers it).

use geo::{Centroid, Distance, Euclidean, Intersects};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use qala_core::{Feature, LayerKind, Value};
use qala_engine::{AccessQuery, Engine, EngineOptions, FieldEquals, Projector, SourceLayer, ZoneScheme};

fn square(x: f64, y: f64, w: f64, h: f64) -> MultiPolygon<f64> {
    MultiPolygon(vec![Polygon::new(
        LineString::from(vec![(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]),
        vec![],
    )])
}

pub(crate) fn feature(row: u64, geometry: Geometry<f64>, values: Vec<Value>) -> Feature {
    Feature {
        row,
        geometry,
        values,
        props: serde_json::Map::new(),
    }
}

pub(crate) fn layer(slug: &str, kind: LayerKind, features: Vec<Feature>) -> SourceLayer {
    SourceLayer {
        slug: slug.into(),
        kind,
        layer_version_id: 1,
        features: features.into(),
    }
}

pub(crate) const X0: f64 = 76.85;
pub(crate) const Y0: f64 = 43.20;
pub(crate) const D: f64 = 0.05;

/// Four districts in a 2×2 grid, the city boundary around them, population cells and
/// services at the given lon/lat offsets.
pub(crate) fn city(cells: &[(f64, f64, u32)], services: &[(f64, f64, bool)]) -> Vec<SourceLayer> {
    let mut districts = Vec::new();
    for (i, (dx, dy)) in [(0.0, 0.0), (D, 0.0), (0.0, D), (D, D)].into_iter().enumerate() {
        let id = i as i64 + 1;
        districts.push(feature(
            id as u64,
            Geometry::MultiPolygon(square(X0 + dx, Y0 + dy, D, D)),
            vec![
                Value::Int(id),
                Value::Text(format!("kk{id}")),
                Value::Text(format!("ru{id}")),
                Value::Text(format!("d{id}")),
                Value::Null,
                Value::Null,
            ],
        ));
    }
    let boundary = vec![feature(
        1,
        Geometry::MultiPolygon(square(X0, Y0, 2.0 * D, 2.0 * D)),
        vec![Value::Null],
    )];
    let cell = 0.002;
    let pop = cells
        .iter()
        .enumerate()
        .map(|(i, (x, y, r))| {
            feature(
                i as u64 + 1,
                Geometry::MultiPolygon(square(X0 + x - cell / 2.0, Y0 + y - cell / 2.0, cell, cell)),
                vec![Value::Float(f64::from(*r))],
            )
        })
        .collect();
    let svc = services
        .iter()
        .enumerate()
        .map(|(i, (x, y, school))| {
            feature(
                i as u64 + 1,
                Geometry::Point(Point::new(X0 + x, Y0 + y)),
                vec![
                    Value::Text(if *school { "school" } else { "pharmacy" }.into()),
                    Value::Null,
                    Value::Null,
                ],
            )
        })
        .collect();
    vec![
        layer("districts", LayerKind::District, districts),
        layer("city-boundary", LayerKind::CityBoundary, boundary),
        layer("population", LayerKind::PopulationCell, pop),
        layer("services", LayerKind::Service, svc),
    ]
}

/// Brute force: each cell's UTM centroid, its district (first covering, else nearest
/// within 250 m), and whether a school lies within `r`.
fn brute(cells: &[(f64, f64, u32)], services: &[(f64, f64, bool)], r: f64) -> (Vec<f64>, Vec<f64>) {
    let fwd = Projector::to_utm().unwrap();
    let proj = |g: Geometry<f64>| fwd.geometry(&g).unwrap();
    let districts: Vec<Geometry<f64>> = [(0.0, 0.0), (D, 0.0), (0.0, D), (D, D)]
        .into_iter()
        .map(|(dx, dy)| proj(Geometry::MultiPolygon(square(X0 + dx, Y0 + dy, D, D))))
        .collect();
    let schools: Vec<Point<f64>> = services
        .iter()
        .filter(|s| s.2)
        .map(|(x, y, _)| fwd.coord(Coord { x: X0 + x, y: Y0 + y }).unwrap().into())
        .collect();
    let (mut num, mut den) = (vec![0.0; 4], vec![0.0; 4]);
    let cell = 0.002;
    for (x, y, res) in cells {
        let g = proj(Geometry::MultiPolygon(square(
            X0 + x - cell / 2.0,
            Y0 + y - cell / 2.0,
            cell,
            cell,
        )));
        let c = g.centroid().unwrap();
        let zone = districts.iter().position(|d| d.intersects(&c)).or_else(|| {
            districts
                .iter()
                .enumerate()
                .map(|(i, d)| (i, Euclidean.distance(&c, d)))
                .filter(|(_, d)| *d <= 250.0)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, _)| i)
        });
        if let Some(z) = zone {
            den[z] += f64::from(*res);
            if schools.iter().any(|s| Euclidean.distance(c, *s) <= r) {
                num[z] += f64::from(*res);
            }
        }
    }
    (num, den)
}

fn offset() -> impl Strategy<Value = f64> {
    // Inside the city, sometimes just outside it (the 250 m fallback), sometimes on a border.
    prop_oneof![
        8 => (0u32..=1000).prop_map(|v| f64::from(v) * 2.0 * D / 1000.0),
        1 => Just(D),
        1 => (0u32..20).prop_map(|v| -0.0005 - f64::from(v) * 0.0002),
    ]
}

proptest! {
    #![proptest_config(Config { cases: 24, rng_seed: RngSeed::Fixed(43_238), ..Config::default() })]

    #[test]
    fn access_per_district_equals_brute_force(
        cells in prop::collection::vec((offset(), offset(), 0u32..500), 0..120),
        services in prop::collection::vec((offset(), offset(), any::<bool>()), 0..25),
        radius in 0u32..3000,
    ) {
        let r = f64::from(radius);
        let engine = Engine::from_layers(city(&cells, &services), EngineOptions::default()).unwrap();
        let q = AccessQuery {
            layer: "services".into(),
            radius_m: r,
            filter: vec![FieldEquals::parse("category=school").unwrap()],
            distance: Default::default(),
        };
        let got = engine.access(&q, &ZoneScheme::Districts).unwrap();
        let (num, den) = brute(&cells, &services, r);
        prop_assert_eq!(got.zones.len(), 4);
        for (i, z) in got.zones.iter().enumerate() {
            prop_assert_eq!(z.numerator, num[i], "zone {}", z.zone);
            prop_assert_eq!(z.denominator, den[i], "zone {}", z.zone);
        }
        // Zone sums: the city is the sum of its districts; rings partition the same residents.
        let total: f64 = den.iter().sum();
        prop_assert_eq!(got.city.residents, total);
        let rings = engine.access(&q, &"rings:1,2,4".parse().unwrap()).unwrap();
        let ring_total: f64 = rings.zones.iter().map(|z| z.residents).sum();
        // The districts tile the city boundary and both schemes use the same rule (cover,
        // else nearest within 250 m), so the rings hold exactly the districts' residents.
        prop_assert_eq!(ring_total, total);
    }
}

#[test]
fn empty_layers_give_zero_access_not_an_error() {
    let cells = [(0.01, 0.01, 100), (0.07, 0.07, 50)];
    let engine = Engine::from_layers(city(&cells, &[]), EngineOptions::default()).unwrap();
    let r = engine.compute("school_500m", &ZoneScheme::Districts).unwrap();
    assert_eq!(r.city.residents, 150.0);
    assert_eq!(r.city.value, Some(0.0));
    assert_eq!(
        r.inequality.as_ref().unwrap().gini,
        None,
        "no one covered: Gini undefined"
    );
    // No bike lanes at all: 0 km, a value of 0, not a failure.
    let b = engine.compute("bike_km_per_10k", &ZoneScheme::Districts).unwrap();
    assert_eq!(b.city.numerator, 0.0);
}

#[test]
fn bad_requests_are_refused_with_stable_codes() {
    let engine = Engine::from_layers(city(&[(0.01, 0.01, 1)], &[]), EngineOptions::default()).unwrap();
    let q = |layer: &str, r: f64| AccessQuery {
        layer: layer.into(),
        radius_m: r,
        filter: vec![],
        distance: Default::default(),
    };
    let e = engine.access(&q("nope", 100.0), &ZoneScheme::Districts).unwrap_err();
    assert_eq!((e.code(), e.kind()), ("unknown_layer", qala_core::ErrorKind::NotFound));
    for r in [-1.0, f64::NAN, f64::INFINITY, 1e9] {
        let e = engine.access(&q("services", r), &ZoneScheme::Districts).unwrap_err();
        assert_eq!(
            (e.code(), e.kind()),
            ("invalid_radius", qala_core::ErrorKind::InvalidInput)
        );
    }
    let e = engine.zones(&ZoneScheme::Historic).unwrap_err();
    assert_eq!(e.code(), "missing_layer");
}

#[test]
fn zones_come_back_in_wgs84_with_names_and_roles() {
    let engine = Engine::from_layers(city(&[(0.01, 0.01, 10)], &[]), EngineOptions::default()).unwrap();
    let zones = engine.zones(&ZoneScheme::Districts).unwrap();
    assert_eq!(zones.zones.len(), 4);
    let first = &zones.zones[0];
    assert_eq!(first.names.en, "d1");
    let c = first.geometry_wgs84.0[0].exterior().0[0];
    assert!((c.x - X0).abs() < 1e-9 && (c.y - Y0).abs() < 1e-9, "{c:?}");
    let gj = zones.to_geojson();
    assert_eq!(gj["features"].as_array().unwrap().len(), 4);
    assert_eq!(gj["features"][0]["properties"]["name_en"], "d1");
}
