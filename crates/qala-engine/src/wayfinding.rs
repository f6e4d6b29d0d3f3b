//! Wayfinding: the longest stretch of each route without a sign.

use geo::{Distance, Euclidean, Length, LineLocatePoint};
use geo_types::{Coord, Geometry, LineString, Point};
use qala_core::LayerKind;

use crate::EngineError;
use crate::compute::{Aggregation, ZoneFigures};
use crate::engine::Engine;
use crate::indicator_def::LayerSelector;
use crate::project::Projector;
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
/// route, then the longest distance between consecutive positions including both ends, and
/// where it runs (from, to: m from the start).
fn longest_gap(route: &[&LineString<f64>], signs: &[Point<f64>], snap_m: f64) -> (f64, usize, f64, (f64, f64)) {
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
    let (gap, span) = pos
        .windows(2)
        .map(|w| (w[1] - w[0], (w[0], w[1])))
        .fold((0.0, (0.0, 0.0)), |best, g| if g.0 > best.0 { g } else { best });
    (total, n, gap, span)
}

/// The stretch of `route` from `from_m` to `to_m` along it (parts taken in order), one line
/// per part it crosses.
fn stretch(route: &[&LineString<f64>], from_m: f64, to_m: f64) -> Vec<Vec<Coord<f64>>> {
    let mut out = Vec::new();
    let mut at = 0.0;
    for part in route {
        let mut line: Vec<Coord<f64>> = Vec::new();
        for seg in part.lines() {
            let len = Euclidean.length(&seg);
            let (a, b) = (at, at + len);
            at = b;
            if b <= from_m || a >= to_m || len <= 0.0 {
                continue;
            }
            let point = |m: f64| {
                let f = ((m - a) / len).clamp(0.0, 1.0);
                Coord {
                    x: seg.start.x + f * (seg.end.x - seg.start.x),
                    y: seg.start.y + f * (seg.end.y - seg.start.y),
                }
            };
            for c in [point(from_m.max(a)), point(to_m.min(b))] {
                if line.last() != Some(&c) {
                    line.push(c);
                }
            }
        }
        if line.len() >= 2 {
            out.push(line);
        }
    }
    out
}

/// The stretch as a GeoJSON MultiLineString in WGS84 (`None` if it cannot be projected).
fn stretch_geojson(route: &[&LineString<f64>], span: (f64, f64), inv: &Projector) -> Option<serde_json::Value> {
    let lines = stretch(route, span.0, span.1)
        .into_iter()
        .map(|l| {
            l.into_iter()
                .map(|c| inv.coord(c).map(|w| [w.x, w.y]))
                .collect::<Result<Vec<_>, _>>()
        })
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    Some(serde_json::json!({"type": "MultiLineString", "coordinates": lines}))
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
    let inv = Projector::to_wgs84()?;
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
            let (length_m, count, gap, span) = longest_gap(&route, &signs, snap_m);
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
                gap_wgs84: stretch_geojson(&route, span, &inv),
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

#[cfg(test)]
mod tests {
    use geo_types::{Coord, LineString, Point};

    #[test]
    fn the_longest_gap_is_located_and_cut_out_of_the_route() {
        // Two parts: 0→1000 m east, then 1000 m north from (1000, 0); one sign at 300 m.
        let a = LineString::from(vec![(0.0, 0.0), (1000.0, 0.0)]);
        let b = LineString::from(vec![(1000.0, 0.0), (1000.0, 1000.0)]);
        let route = vec![&a, &b];
        let (total, n, gap, span) = super::longest_gap(&route, &[Point::new(300.0, 5.0)], 30.0);
        assert_eq!((total, n, gap, span), (2000.0, 1, 1700.0, (300.0, 2000.0)));
        let cut = super::stretch(&route, span.0, span.1);
        assert_eq!(
            cut,
            vec![
                vec![Coord { x: 300.0, y: 0.0 }, Coord { x: 1000.0, y: 0.0 }],
                vec![Coord { x: 1000.0, y: 0.0 }, Coord { x: 1000.0, y: 1000.0 }],
            ]
        );
        // A stretch inside one segment.
        assert_eq!(
            super::stretch(&route, 100.0, 200.0),
            vec![vec![Coord { x: 100.0, y: 0.0 }, Coord { x: 200.0, y: 0.0 }]]
        );
    }
}
