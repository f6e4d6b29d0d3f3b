//! The population surface and the historic-centre polygon.

use std::collections::BTreeMap;

use geo::{Area, BooleanOps, Centroid, ConvexHull, Euclidean, Length, MapCoords, Validation};
use geo_types::{Coord, Geometry, LineString, MultiPolygon, Polygon, Rect};
use serde_json::json;

use crate::SynthError;
use crate::metric::{CityMetric, Metric};
use crate::out::{OutFeature, props};

/// A hand-drawn outline of the old Verny grid around Panfilov Park and the Green Bazaar.
pub fn historic_centre() -> OutFeature {
    let ring: Vec<Coord<f64>> = [
        (76.9330, 43.2560),
        (76.9420, 43.2665),
        (76.9560, 43.2672),
        (76.9668, 43.2618),
        (76.9655, 43.2475),
        (76.9560, 43.2418),
        (76.9400, 43.2425),
        (76.9330, 43.2490),
        (76.9330, 43.2560),
    ]
    .iter()
    .map(|&(x, y)| Coord { x, y })
    .collect();
    OutFeature {
        geometry: Geometry::MultiPolygon(MultiPolygon(vec![Polygon::new(LineString(ring), vec![])])),
        properties: props(&[
            ("name", json!("Historic centre (synthetic outline)")),
            ("synthetic", json!(true)),
        ]),
    }
}

/// Road classes that carry no residents beside them.
fn is_residential_street(highway: &str) -> bool {
    !matches!(
        highway,
        "motorway"
            | "motorway_link"
            | "trunk"
            | "trunk_link"
            | "track"
            | "path"
            | "steps"
            | "cycleway"
            | "footway"
            | "bridleway"
            | "construction"
            | "proposed"
    )
}

/// Each district's official population spread over the grid cells of the district, in
/// proportion to building footprint area plus 5 m² per metre of street in the cell, as
/// whole residents (largest-remainder rounding, so each district sums exactly).
pub fn surface(
    city: &CityMetric,
    extra_buildings: &[Polygon<f64>],
    m: &Metric,
    cell: f64,
) -> Result<Vec<OutFeature>, SynthError> {
    if !(cell.is_finite() && cell >= 20.0) {
        return Err(SynthError::BadInput(format!(
            "cell size {cell} m is too small (minimum 20 m)"
        )));
    }
    let key = |c: Coord<f64>| ((c.x / cell).floor() as i64, (c.y / cell).floor() as i64);
    let mut weights: Vec<BTreeMap<(i64, i64), f64>> = vec![BTreeMap::new(); city.districts.len()];
    for b in city.buildings.iter().chain(extra_buildings) {
        let Some(c) = b.centroid() else { continue };
        if let Some(d) = city.district_of(c.0) {
            *weights[d].entry(key(c.0)).or_default() += b.unsigned_area();
        }
    }
    for r in &city.roads {
        if !is_residential_street(&r.highway) {
            continue;
        }
        for seg in r.geom.lines() {
            let mid = Coord {
                x: (seg.start.x + seg.end.x) / 2.0,
                y: (seg.start.y + seg.end.y) / 2.0,
            };
            if let Some(d) = city.district_of(mid) {
                *weights[d].entry(key(mid)).or_default() += 5.0 * Euclidean.length(&seg);
            }
        }
    }
    let mut out = Vec::new();
    for (di, d) in city.districts.iter().enumerate() {
        let w = &weights[di];
        let total: f64 = w.values().sum();
        if total <= 0.0 {
            return Err(SynthError::BadInput(format!(
                "district {} has no buildings or streets to place residents on",
                d.name_en
            )));
        }
        // Largest remainder: floor shares, then hand the rest out by descending remainder.
        let mut shares: Vec<((i64, i64), i64, f64)> = w
            .iter()
            .map(|(k, wi)| {
                let exact = d.population as f64 * wi / total;
                (*k, exact.floor() as i64, exact - exact.floor())
            })
            .collect();
        let assigned: i64 = shares.iter().map(|s| s.1).sum();
        let mut order: Vec<usize> = (0..shares.len()).collect();
        order.sort_by(|&a, &b| shares[b].2.total_cmp(&shares[a].2).then(shares[a].0.cmp(&shares[b].0)));
        for &i in order.iter().take((d.population - assigned).max(0) as usize) {
            shares[i].1 += 1;
        }
        for ((ix, iy), residents, _) in shares {
            if residents == 0 {
                continue;
            }
            let square = Rect::new(
                Coord {
                    x: ix as f64 * cell,
                    y: iy as f64 * cell,
                },
                Coord {
                    x: (ix + 1) as f64 * cell,
                    y: (iy + 1) as f64 * cell,
                },
            )
            .to_polygon();
            let clipped = MultiPolygon(vec![square]).intersection(&d.geom);
            if clipped.0.is_empty() {
                continue;
            }
            let deg = clipped.try_map_coords(|c| m.to_deg(c))?;
            let deg = round7(&deg);
            // Rounding to 1 cm can, rarely, fold a sliver; its hull is valid and nearly equal.
            let deg = if deg.is_valid() {
                deg
            } else {
                MultiPolygon(vec![deg.convex_hull()])
            };
            out.push(OutFeature {
                geometry: Geometry::MultiPolygon(deg),
                properties: props(&[
                    ("residents", json!(residents)),
                    ("akimat_id", json!(d.akimat_id)),
                    ("cell", json!(format!("{ix}:{iy}"))),
                ]),
            });
        }
    }
    Ok(out)
}

fn round7(mp: &MultiPolygon<f64>) -> MultiPolygon<f64> {
    mp.map_coords(|c| Coord {
        x: (c.x * 1e7).round() / 1e7,
        y: (c.y * 1e7).round() / 1e7,
    })
}
