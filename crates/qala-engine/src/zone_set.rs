//! A zone scheme resolved against the served layers: zone polygons in UTM 43N, their
//! roles (centre / middle / periphery), and the rule that puts a point in one zone.

use geo::indexed::IntervalTreeMultiPolygon;
use geo::{Area, BooleanOps, BoundingRect, Contains, Distance, Euclidean, Intersects, Length};
use geo_types::{Coord, Geometry, Line, LineString, MultiLineString, MultiPolygon, Point, Polygon, Rect};
use rstar::primitives::Line as RLine;
use rstar::{AABB, RTree};

use crate::indicator_def::Names;
use crate::layer::LayerData;
use crate::zone_scheme::{
    CENTRE_MAX_MEAN_DISTANCE_M, NEAREST_ZONE_FALLBACK_M, PERIPHERY_MIN_MEAN_DISTANCE_M, RING_VERTICES,
};
use crate::{EngineError, ZoneRole};

/// One zone: its polygon in UTM 43N and a point-in-polygon index.
pub(crate) struct Zone {
    pub id: String,
    pub names: Names,
    pub role: ZoneRole,
    pub geom: MultiPolygon<f64>,
    pub bbox: Option<Rect<f64>>,
    pub area_m2: f64,
    itree: IntervalTreeMultiPolygon<f64>,
    /// The segments of every ring, for the distance of a point outside (see
    /// [`Zone::distance_within`]).
    edges: RTree<RLine<[f64; 2]>>,
    /// A part without an exterior ring: `geo` puts every point at distance 0 from it.
    empty_part: bool,
}

impl Zone {
    pub fn new(id: String, names: Names, geom: MultiPolygon<f64>) -> Zone {
        Zone {
            id,
            names,
            role: ZoneRole::Middle,
            bbox: geom.bounding_rect(),
            area_m2: geom.unsigned_area(),
            itree: IntervalTreeMultiPolygon::new(&geom),
            edges: RTree::bulk_load(
                geom.0
                    .iter()
                    .flat_map(|poly| std::iter::once(poly.exterior()).chain(poly.interiors()))
                    .flat_map(LineString::lines)
                    .map(|l| RLine::new([l.start.x, l.start.y], [l.end.x, l.end.y]))
                    .collect(),
            ),
            empty_part: geom.0.iter().any(|poly| poly.exterior().0.is_empty()),
            geom,
        }
    }

    /// `Euclidean.distance(p, geom)` for a point `p` outside the zone (it neither lies in
    /// nor touches it) when that distance is at most `d`, else `None`. The same figure to
    /// the bit: `geo` takes the minimum over every ring segment of the point-segment
    /// distance, and the nearest segment is among those whose box reaches within `d` of
    /// `p`; only those are measured.
    fn distance_within(&self, p: Point<f64>, d: f64) -> Option<f64> {
        if self.empty_part {
            return Some(0.0);
        }
        let near = AABB::from_corners([p.x() - d, p.y() - d], [p.x() + d, p.y() + d]);
        let min = self
            .edges
            .locate_in_envelope_intersecting(&near)
            .map(|l| Euclidean.distance(&p, &Line::new(Coord::from(l.from), Coord::from(l.to))))
            .fold(f64::MAX, f64::min);
        (min <= d).then_some(min)
    }

    fn bbox_within(&self, p: Point<f64>, d: f64) -> bool {
        self.bbox.is_some_and(|b| {
            p.x() >= b.min().x - d && p.x() <= b.max().x + d && p.y() >= b.min().y - d && p.y() <= b.max().y + d
        })
    }

    /// Area (m²) of polygon geometry `g` inside the zone.
    pub fn area_inside(&self, g: &Geometry<f64>) -> f64 {
        let Some(mp) = as_multipolygon(g) else { return 0.0 };
        if !bboxes_meet(self.bbox, mp.bounding_rect()) {
            return 0.0;
        }
        self.geom.intersection(&mp).unsigned_area()
    }

    /// Length (m) of line geometry `g` inside the zone.
    pub fn length_inside(&self, g: &Geometry<f64>) -> f64 {
        let mls = match g {
            Geometry::LineString(l) => MultiLineString(vec![l.clone()]),
            Geometry::MultiLineString(m) => m.clone(),
            _ => return 0.0,
        };
        if !bboxes_meet(self.bbox, mls.bounding_rect()) {
            return 0.0;
        }
        Euclidean.length(&self.geom.clip(&mls, false))
    }
}

fn bboxes_meet(a: Option<Rect<f64>>, b: Option<Rect<f64>>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => {
            a.min().x <= b.max().x && b.min().x <= a.max().x && a.min().y <= b.max().y && b.min().y <= a.max().y
        }
        _ => false,
    }
}

pub(crate) fn as_multipolygon(g: &Geometry<f64>) -> Option<MultiPolygon<f64>> {
    match g {
        Geometry::Polygon(p) => Some(MultiPolygon(vec![p.clone()])),
        Geometry::MultiPolygon(m) => Some(m.clone()),
        Geometry::Rect(r) => Some(MultiPolygon(vec![r.to_polygon()])),
        Geometry::GeometryCollection(gc) => {
            let polys: Vec<Polygon<f64>> = gc.iter().filter_map(as_multipolygon).flat_map(|m| m.0).collect();
            (!polys.is_empty()).then_some(MultiPolygon(polys))
        }
        _ => None,
    }
}

/// The zones of one scheme, in order (the order breaks ties on shared borders).
pub(crate) struct ZoneSet {
    pub scheme: String,
    pub zones: Vec<Zone>,
    /// The zone of every population cell (`None`: outside every zone).
    pub cell_zone: Vec<Option<u32>>,
    pub grid: Option<ZoneGrid>,
    /// Zones of the fellings and plantings, computed on first use.
    pub planting_zones: std::sync::OnceLock<(PointZones, PointZones)>,
    /// Areas / lengths of selected features per zone, by selector (see `compute`).
    pub clipped: std::sync::Mutex<std::collections::HashMap<String, Vec<f64>>>,
}

/// The zone of each point of a list (`None`: outside every zone).
pub(crate) type PointZones = Vec<Option<u32>>;

/// A coarse grid over the zones: a grid cell no zone boundary crosses lies wholly inside
/// one zone (or outside all), so its points need no polygon test. Millions of tree points
/// are assigned this way; cells on boundaries fall back to the exact test.
pub(crate) struct ZoneGrid {
    x0: f64,
    y0: f64,
    cell: f64,
    nx: usize,
    ny: usize,
    /// Zone index, or `UNKNOWN` (a boundary crosses the cell, or no zone covers it).
    cells: Vec<u32>,
}

const UNKNOWN: u32 = u32::MAX;
/// Grid cells along the longer side of the zones' bounding box.
const GRID_SIDE: f64 = 512.0;

impl ZoneGrid {
    fn build(zs: &ZoneSet) -> Option<ZoneGrid> {
        let mut bb: Option<Rect<f64>> = None;
        for z in &zs.zones {
            if let Some(r) = z.bbox {
                bb = Some(match bb {
                    None => r,
                    Some(b) => Rect::new(
                        Coord {
                            x: b.min().x.min(r.min().x),
                            y: b.min().y.min(r.min().y),
                        },
                        Coord {
                            x: b.max().x.max(r.max().x),
                            y: b.max().y.max(r.max().y),
                        },
                    ),
                });
            }
        }
        let bb = bb?;
        let cell = (bb.width().max(bb.height()) / GRID_SIDE).max(1.0);
        let nx = (bb.width() / cell).ceil() as usize + 1;
        let ny = (bb.height() / cell).ceil() as usize + 1;
        let mut g = ZoneGrid {
            x0: bb.min().x,
            y0: bb.min().y,
            cell,
            nx,
            ny,
            cells: vec![0; nx * ny],
        };
        // Mark every cell a boundary segment's box touches, one cell wider for rounding.
        for z in &zs.zones {
            for poly in &z.geom.0 {
                for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
                    for seg in ring.lines() {
                        let (ax, ay) = g.index_unclamped(seg.start);
                        let (bx, by) = g.index_unclamped(seg.end);
                        let (x_lo, x_hi) = (ax.min(bx) - 1, ax.max(bx) + 1);
                        let (y_lo, y_hi) = (ay.min(by) - 1, ay.max(by) + 1);
                        for iy in y_lo.max(0)..=y_hi.min(g.ny as i64 - 1) {
                            for ix in x_lo.max(0)..=x_hi.min(g.nx as i64 - 1) {
                                g.cells[iy as usize * g.nx + ix as usize] = UNKNOWN;
                            }
                        }
                    }
                }
            }
        }
        for iy in 0..ny {
            for ix in 0..nx {
                let k = iy * nx + ix;
                if g.cells[k] == UNKNOWN {
                    continue;
                }
                let centre = Point::new(g.x0 + (ix as f64 + 0.5) * cell, g.y0 + (iy as f64 + 0.5) * cell);
                g.cells[k] = zs.covering(centre).map_or(UNKNOWN, |z| z as u32);
            }
        }
        Some(g)
    }

    fn index_unclamped(&self, c: Coord<f64>) -> (i64, i64) {
        (
            ((c.x - self.x0) / self.cell).floor() as i64,
            ((c.y - self.y0) / self.cell).floor() as i64,
        )
    }

    fn lookup(&self, p: Point<f64>) -> Option<usize> {
        let (ix, iy) = self.index_unclamped(p.0);
        if ix < 0 || iy < 0 || ix as usize >= self.nx || iy as usize >= self.ny {
            return None;
        }
        let v = self.cells[iy as usize * self.nx + ix as usize];
        (v != UNKNOWN).then_some(v as usize)
    }
}

impl ZoneSet {
    pub fn new(scheme: String, zones: Vec<Zone>) -> ZoneSet {
        let mut zs = ZoneSet {
            scheme,
            zones,
            cell_zone: Vec::new(),
            grid: None,
            planting_zones: std::sync::OnceLock::new(),
            clipped: std::sync::Mutex::new(std::collections::HashMap::new()),
        };
        zs.grid = ZoneGrid::build(&zs);
        zs
    }

    /// The first zone (in order) whose interior holds `p`.
    fn covering(&self, p: Point<f64>) -> Option<usize> {
        self.zones
            .iter()
            .position(|z| z.bbox_within(p, 0.0) && z.itree.contains(&p))
    }

    /// [`ZoneSet::assign`] for many points, on every core.
    pub fn assign_all(&self, points: &[Option<Point<f64>>]) -> Vec<Option<u32>> {
        crate::par::map(points, |p| p.and_then(|p| self.assign(p)).map(|z| z as u32))
    }

    /// The zone holding `p`: the first zone (in order) covering it, else the nearest zone
    /// within [`NEAREST_ZONE_FALLBACK_M`], else none.
    pub fn assign(&self, p: Point<f64>) -> Option<usize> {
        if let Some(z) = self.grid.as_ref().and_then(|g| g.lookup(p)) {
            return Some(z);
        }
        if let Some(i) = self
            .zones
            .iter()
            .position(|z| z.bbox_within(p, 0.0) && z.itree.contains(&p))
        {
            return Some(i);
        }
        if let Some(i) = self
            .zones
            .iter()
            .position(|z| z.bbox_within(p, 0.0) && z.geom.intersects(&p))
        {
            return Some(i);
        }
        let mut best: Option<(usize, f64)> = None;
        for (i, z) in self.zones.iter().enumerate() {
            if !z.bbox_within(p, NEAREST_ZONE_FALLBACK_M) {
                continue;
            }
            // p touches no zone here (the tests above), as distance_within needs.
            if let Some(d) = z.distance_within(p, NEAREST_ZONE_FALLBACK_M)
                && best.is_none_or(|(_, bd)| d < bd)
            {
                best = Some((i, d));
            }
        }
        best.map(|(i, _)| i)
    }

    /// Sets each zone's role from its residents' mean distance from `centre`.
    pub fn roles_by_mean_distance(&mut self, cells: &[Point<f64>], residents: &[f64], centre: Point<f64>) {
        let mut sum = vec![(0.0f64, 0.0f64); self.zones.len()];
        for (c, z) in self.cell_zone.iter().enumerate() {
            if let Some(z) = z {
                let s = &mut sum[*z as usize];
                s.0 += residents[c] * Euclidean.distance(cells[c], centre);
                s.1 += residents[c];
            }
        }
        for (z, (wd, w)) in self.zones.iter_mut().zip(sum) {
            z.role = if w <= 0.0 {
                ZoneRole::Middle
            } else if wd / w <= CENTRE_MAX_MEAN_DISTANCE_M {
                ZoneRole::Centre
            } else if wd / w >= PERIPHERY_MIN_MEAN_DISTANCE_M {
                ZoneRole::Periphery
            } else {
                ZoneRole::Middle
            };
        }
    }

    /// Refuses zones that overlap by more than `tolerance_m2` (shared borders digitised
    /// twice overlap by slivers of float noise).
    pub fn check_overlaps(&self, tolerance_m2: f64) -> Result<(), EngineError> {
        for (i, a) in self.zones.iter().enumerate() {
            for b in &self.zones[i + 1..] {
                if !bboxes_meet(a.bbox, b.bbox) {
                    continue;
                }
                let overlap = a.geom.intersection(&b.geom).unsigned_area();
                if overlap > tolerance_m2 {
                    return Err(EngineError::OverlappingZones {
                        scheme: self.scheme.clone(),
                        a: a.id.clone(),
                        b: b.id.clone(),
                        overlap_m2: overlap,
                    });
                }
            }
        }
        Ok(())
    }
}

/// The regular polygon the rings use for a circle of `radius_m` around `c` (vertex k at
/// angle 2πk/n); the reference SQL builds the same one.
pub(crate) fn ring_circle(c: Coord<f64>, radius_m: f64) -> Polygon<f64> {
    let n = RING_VERTICES;
    let mut pts: Vec<Coord<f64>> = (0..n)
        .map(|k| {
            let a = 2.0 * std::f64::consts::PI * (k as f64) / (n as f64);
            Coord {
                x: c.x + radius_m * a.cos(),
                y: c.y + radius_m * a.sin(),
            }
        })
        .collect();
    pts.push(pts[0]);
    Polygon::new(LineString(pts), vec![])
}

/// The union of a polygon layer's polygons.
pub(crate) fn layer_union(layer: &LayerData) -> MultiPolygon<f64> {
    let polys: Vec<MultiPolygon<f64>> = layer.index.geometries().iter().filter_map(as_multipolygon).collect();
    geo::unary_union(polys.iter())
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    use super::*;

    /// The old rule, measuring every zone whole: what `assign` must still answer.
    fn assign_measuring_whole_zones(zs: &ZoneSet, p: Point<f64>) -> Option<usize> {
        if let Some(i) = zs.zones.iter().position(|z| z.geom.intersects(&p)) {
            return Some(i);
        }
        let mut best: Option<(usize, f64)> = None;
        for (i, z) in zs.zones.iter().enumerate() {
            let d = Euclidean.distance(&p, &z.geom);
            if d <= NEAREST_ZONE_FALLBACK_M && best.is_none_or(|(_, bd)| d < bd) {
                best = Some((i, d));
            }
        }
        best.map(|(i, _)| i)
    }

    #[test]
    fn the_nearest_zone_fallback_measures_only_near_segments_and_gets_the_same_zone() {
        // Two rings with a hole between them, and a square beside them with a hole: points
        // in the hole, in the gaps and outside everything, near and far.
        let c = Coord {
            x: 500_000.0,
            y: 4_800_000.0,
        };
        let inner = MultiPolygon(vec![ring_circle(c, 2000.0)]);
        let outer = MultiPolygon(vec![ring_circle(c, 5000.0)]).difference(&MultiPolygon(vec![ring_circle(c, 2100.0)]));
        let hole = LineString::from(vec![
            (506_000.0, 4_799_000.0),
            (506_400.0, 4_799_000.0),
            (506_400.0, 4_799_400.0),
            (506_000.0, 4_799_000.0),
        ]);
        let square = MultiPolygon(vec![Polygon::new(
            LineString::from(vec![
                (505_200.0, 4_798_000.0),
                (508_000.0, 4_798_000.0),
                (508_000.0, 4_801_000.0),
                (505_200.0, 4_801_000.0),
                (505_200.0, 4_798_000.0),
            ]),
            vec![hole],
        )]);
        let zone = |id: &str, g: MultiPolygon<f64>| Zone::new(id.into(), Names::same(id), g);
        let zs = ZoneSet::new(
            "test".into(),
            vec![zone("inner", inner), zone("outer", outer), zone("square", square)],
        );
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut fallbacks = 0;
        for _ in 0..20_000 {
            let p = Point::new(
                c.x + rng.gen_range(-6000.0..9000.0),
                c.y + rng.gen_range(-6000.0..6000.0),
            );
            let want = assign_measuring_whole_zones(&zs, p);
            assert_eq!(zs.assign(p), want, "{p:?}");
            if zs.zones.iter().all(|z| !z.geom.intersects(&p)) {
                fallbacks += 1;
                for z in &zs.zones {
                    let d = Euclidean.distance(&p, &z.geom);
                    let within = (d <= NEAREST_ZONE_FALLBACK_M).then_some(d);
                    assert_eq!(z.distance_within(p, NEAREST_ZONE_FALLBACK_M), within, "{p:?} {}", z.id);
                }
            }
        }
        assert!(fallbacks > 1000, "only {fallbacks} points outside every zone");
    }
}
