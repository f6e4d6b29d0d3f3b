//! `SpatialIndex` against a brute-force scan: within-distance, nearest-k and bbox queries on
//! random points, lines and polygons (metric coordinates), fixed seeds.

use geo::{BoundingRect, Distance, Euclidean, Intersects};
use geo_types::{Coord, Geometry, LineString, Point, Polygon, Rect};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use qala_engine::SpatialIndex;

fn config() -> Config {
    Config {
        cases: 64,
        rng_seed: RngSeed::Fixed(20_260_630),
        ..Config::default()
    }
}

/// Integer-metre coordinates, so that exact ties and points on edges happen.
fn coord() -> impl Strategy<Value = Coord<f64>> {
    (0i32..2_000, 0i32..2_000).prop_map(|(x, y)| Coord {
        x: f64::from(x),
        y: f64::from(y),
    })
}

fn geometry() -> impl Strategy<Value = Geometry<f64>> {
    prop_oneof![
        coord().prop_map(|c| Geometry::Point(Point::from(c))),
        (coord(), coord(), coord()).prop_map(|(a, b, c)| Geometry::LineString(LineString(vec![a, b, c]))),
        (coord(), 1i32..300, 1i32..300).prop_map(|(c, w, h)| {
            let (w, h) = (f64::from(w), f64::from(h));
            Geometry::Polygon(Polygon::new(
                LineString(vec![
                    c,
                    Coord { x: c.x + w, y: c.y },
                    Coord { x: c.x + w, y: c.y + h },
                    Coord { x: c.x, y: c.y + h },
                    c,
                ]),
                vec![],
            ))
        }),
    ]
}

fn dist(g: &Geometry<f64>, p: Point<f64>) -> f64 {
    Euclidean.distance(&p, g)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn within_distance_equals_a_brute_force_scan(
        geoms in prop::collection::vec(geometry(), 0..60),
        probes in prop::collection::vec((coord(), 0i32..400), 1..20),
    ) {
        let idx = SpatialIndex::new(geoms.clone());
        for (c, r) in probes {
            let p = Point::from(c);
            let r = f64::from(r);
            let brute: Vec<usize> = (0..geoms.len()).filter(|&i| dist(&geoms[i], p) <= r).collect();
            prop_assert_eq!(idx.within_distance(p, r), brute.clone());
            prop_assert_eq!(idx.any_within(p, r, |_| true), !brute.is_empty());
            // A filter only removes answers.
            prop_assert_eq!(idx.any_within(p, r, |i| i % 2 == 0), brute.iter().any(|i| i % 2 == 0));
        }
    }

    #[test]
    fn nearest_k_equals_sorting_every_distance(
        geoms in prop::collection::vec(geometry(), 0..60),
        probe in coord(),
        k in 0usize..8,
    ) {
        let idx = SpatialIndex::new(geoms.clone());
        let p = Point::from(probe);
        let mut brute: Vec<(usize, f64)> = (0..geoms.len()).map(|i| (i, dist(&geoms[i], p))).collect();
        brute.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        brute.truncate(k);
        let got = idx.nearest_k(p, k);
        prop_assert_eq!(got.len(), brute.len());
        // Distances equal in order; with ties, the index set may differ only among equals.
        for (g, b) in got.iter().zip(&brute) {
            prop_assert_eq!(g.1, b.1);
            prop_assert_eq!(dist(&geoms[g.0], p), g.1);
        }
    }

    #[test]
    fn bbox_query_equals_a_brute_force_scan(
        geoms in prop::collection::vec(geometry(), 0..60),
        a in coord(),
        b in coord(),
    ) {
        let idx = SpatialIndex::new(geoms.clone());
        let rect = Rect::new(a, b);
        let poly = rect.to_polygon();
        let brute: Vec<usize> = (0..geoms.len()).filter(|&i| geoms[i].intersects(&poly)).collect();
        prop_assert_eq!(idx.intersecting(rect), brute);
    }
}

#[test]
fn an_empty_index_answers_nothing() {
    let idx = SpatialIndex::new(Vec::new());
    let p = Point::new(0.0, 0.0);
    assert!(idx.is_empty());
    assert!(idx.within_distance(p, 1e6).is_empty());
    assert!(!idx.any_within(p, 1e6, |_| true));
    assert!(idx.nearest_k(p, 3).is_empty());
    let r = Rect::new(Coord { x: -1.0, y: -1.0 }, Coord { x: 1.0, y: 1.0 });
    assert!(idx.intersecting(r).is_empty());
}

#[test]
fn a_point_exactly_at_the_radius_is_within_it() {
    let idx = SpatialIndex::new(vec![Geometry::Point(Point::new(300.0, 0.0))]);
    assert_eq!(idx.within_distance(Point::new(0.0, 0.0), 300.0), vec![0]);
    assert!(idx.within_distance(Point::new(0.0, 0.0), 299.999).is_empty());
    // Inside a polygon the distance is 0.
    let sq = Geometry::Polygon(Polygon::new(
        LineString::from(vec![(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0), (0.0, 0.0)]),
        vec![],
    ));
    assert!(sq.bounding_rect().is_some());
    let idx = SpatialIndex::new(vec![sq]);
    assert_eq!(idx.within_distance(Point::new(5.0, 5.0), 0.0), vec![0]);
}
