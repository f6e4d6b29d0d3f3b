//! Wayfinding: the longest stretch of each route without a sign.

use geo::{Distance, Euclidean, Length, LineLocatePoint};
use geo_types::{Geometry, LineString, Point};
use qala_core::LayerKind;

use crate::EngineError;
use crate::compute::{Aggregation, ZoneFigures};
use crate::engine::Engine;
use crate::indicator_def::LayerSelector;
use crate::result::RouteGap;
use crate::zone_set::ZoneSet;

fn parts(g: &Geometry<f64>) -> Vec<&LineString<f64>> {
    match g {
        Geometry::LineString(l) => vec![l],
        Geometry::MultiLineString(m) => m.0.iter().collect(),
        _ => Vec::new(),
    }
}

/// Positions (m from the start, parts taken in order) of the signs within `snap_m` of the
/// route, then the longest distance between consecutive positions including both ends.
fn longest_gap(route: &[&LineString<f64>], signs: &[Point<f64>], snap_m: f64) -> (f64, usize, f64) {
    let lengths: Vec<f64> = route.iter().map(|l| Euclidean.length(*l)).collect();
    let total: f64 = lengths.iter().sum();
    let mut pos = vec![0.0, total];
    let mut n = 0;
    for s in signs {
        let mut best: Option<(usize, f64)> = None;
        for (k, l) in route.iter().enumerate() {
            let d = Euclidean.distance(s, *l);
            if d <= snap_m && best.is_none_or(|(_, bd)| d < bd) {
                best = Some((k, d));
            }
        }
        if let Some((k, _)) = best {
            let before: f64 = lengths[..k].iter().sum();
            let frac = route[k].line_locate_point(s).unwrap_or(0.0);
            pos.push(before + frac * lengths[k]);
            n += 1;
        }
    }
    pos.sort_by(f64::total_cmp);
    let gap = pos.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max);
    (total, n, gap)
}

pub(crate) fn figures(
    engine: &Engine,
    zs: &ZoneSet,
    signs_sel: &LayerSelector,
    snap_m: f64,
) -> Result<(ZoneFigures, Vec<RouteGap>), EngineError> {
    let mut signs = Vec::new();
    for s in engine.selected(signs_sel)? {
        let l = s.layer;
        for (i, g) in l.index.geometries().iter().enumerate() {
            if let Geometry::Point(p) = g
                && l.passes(&s.filter, i)
            {
                signs.push(*p);
            }
        }
    }
    let n = zs.zones.len();
    let mut num = vec![0.0f64; n];
    let mut den = vec![0.0; n];
    let mut routes = Vec::new();
    for l in engine.role_layers("wayfinding_routes", LayerKind::WayfindingRoute) {
        for (i, g) in l.index.geometries().iter().enumerate() {
            let route = parts(g);
            let Some(start) = route.first().and_then(|p| p.0.first()) else {
                continue;
            };
            let zone = zs.assign(Point::from(*start));
            let (length_m, count, gap) = longest_gap(&route, &signs, snap_m);
            if let Some(z) = zone {
                num[z] = num[z].max(gap);
                den[z] += 1.0;
            }
            routes.push(RouteGap {
                layer: l.slug.clone(),
                source_row: l.rows[i],
                name: l.text("name", i),
                zone: zone.map(|z| zs.zones[z].id.clone()),
                length_m,
                signs: count,
                longest_gap_m: gap,
            });
        }
    }
    Ok((
        ZoneFigures {
            num,
            den,
            agg: Aggregation::Max,
        },
        routes,
    ))
}
