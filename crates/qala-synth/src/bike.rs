//! Bike lanes along real streets, and benchmark-scale building footprints.

use geo::{Euclidean, Length, MapCoords};
use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Rect};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::SynthError;
use crate::metric::{CityMetric, Metric};
use crate::out::{OutFeature, props};

fn weighted<'a, T>(rng: &mut ChaCha8Rng, items: &'a [(T, f64)]) -> &'a T {
    let total: f64 = items.iter().map(|i| i.1).sum();
    let mut x = rng.gen_range(0.0..total);
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1].0
}

/// `n` lanes on main streets: nearer the centre more are built, further out more are planned.
pub fn lanes(city: &CityMetric, rng: &mut ChaCha8Rng, n: usize) -> Vec<OutFeature> {
    let mut candidates: Vec<usize> = city
        .roads
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            matches!(
                r.highway.as_str(),
                "primary" | "secondary" | "tertiary" | "residential" | "unclassified"
            )
        })
        .filter(|(_, r)| Euclidean.length(&r.geom) > 250.0 && r.district.is_some())
        .map(|(i, _)| i)
        .collect();
    let mut out = Vec::new();
    let facilities = [
        ("protected", 3.0),
        ("painted", 4.0),
        ("shared_street", 1.5),
        ("off_street_path", 1.5),
    ];
    while out.len() < n && !candidates.is_empty() {
        let i = candidates.swap_remove(rng.gen_range(0..candidates.len()));
        let road = &city.roads[i];
        // Main streets first: minor streets are taken only one time in four.
        if matches!(road.highway.as_str(), "residential" | "unclassified") && rng.gen_range(0..4) != 0 {
            continue;
        }
        let km = city.dist_to_centre(road.geom.0[0]) / 1000.0;
        let p_existing = (0.6 - 0.05 * km).clamp(0.1, 0.6);
        let x: f64 = rng.r#gen();
        let status = if x < p_existing {
            "existing"
        } else if x < p_existing + 0.15 {
            "under_construction"
        } else {
            "planned"
        };
        let facility = *weighted(rng, &facilities);
        let planned_year = match status {
            "existing" => json!(null),
            "under_construction" => json!(2026),
            _ => json!(rng.gen_range(2027..=2030)),
        };
        out.push(OutFeature {
            geometry: Geometry::MultiLineString(MultiLineString(vec![road.geom_deg.clone()])),
            properties: props(&[
                ("name", json!(road.name)),
                ("status", json!(status)),
                ("facility", json!(facility)),
                ("planned_year", planned_year),
                ("synthetic", json!(true)),
            ]),
        });
    }
    out
}

/// `n` small rectangular footprints beside real streets (benchmark scale), as features and
/// as metric polygons (the population surface weighs them too).
pub fn buildings(
    city: &CityMetric,
    m: &Metric,
    rng: &mut ChaCha8Rng,
    n: usize,
) -> Result<(Vec<OutFeature>, Vec<geo_types::Polygon<f64>>), SynthError> {
    let roads: Vec<&LineString<f64>> = city
        .roads
        .iter()
        .filter(|r| r.district.is_some())
        .map(|r| &r.geom)
        .collect();
    if roads.is_empty() {
        return Err(SynthError::BadInput("no streets inside the districts".into()));
    }
    let kinds = ["apartments", "house", "residential", "commercial", "school", "yes"];
    let mut out = Vec::with_capacity(n);
    let mut metric = Vec::with_capacity(n);
    for _ in 0..n {
        let road = roads[rng.gen_range(0..roads.len())];
        let seg = road.0.len() - 1;
        let k = rng.gen_range(0..seg);
        let (a, b) = (road.0[k], road.0[k + 1]);
        let t: f64 = rng.r#gen();
        let side = if rng.r#gen::<bool>() { 1.0 } else { -1.0 };
        let offset = rng.gen_range(15.0..60.0) * side;
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len = (dx * dx + dy * dy).sqrt().max(1e-9);
        let c = Coord {
            x: a.x + dx * t - dy / len * offset,
            y: a.y + dy * t + dx / len * offset,
        };
        let (w, h) = (rng.gen_range(8.0..40.0), rng.gen_range(8.0..30.0));
        let rect = Rect::new(
            Coord {
                x: c.x - w / 2.0,
                y: c.y - h / 2.0,
            },
            Coord {
                x: c.x + w / 2.0,
                y: c.y + h / 2.0,
            },
        )
        .to_polygon();
        let deg = rect.try_map_coords(|c| m.to_deg(c))?;
        metric.push(rect);
        out.push(OutFeature {
            geometry: Geometry::MultiPolygon(MultiPolygon(vec![deg])),
            properties: props(&[
                ("building", json!(kinds[rng.gen_range(0..kinds.len())])),
                ("levels", json!(rng.gen_range(1..=16))),
                ("synthetic", json!(true)),
            ]),
        });
    }
    Ok((out, metric))
}
