//! A zone scheme resolved against the served layers: zone polygons in UTM 43N, their
//! roles (centre / middle / periphery), and the rule that puts a point in one zone.

use geo::indexed::IntervalTreeMultiPolygon;
use geo::{Area, BooleanOps, BoundingRect, Contains, Distance, Euclidean, Intersects, Length};
use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Point, Polygon, Rect};

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
            geom,
        }
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
}

impl ZoneSet {
    /// The zone holding `p`: the first zone (in order) covering it, else the nearest zone
    /// within [`NEAREST_ZONE_FALLBACK_M`], else none.
    pub fn assign(&self, p: Point<f64>) -> Option<usize> {
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
            let d = Euclidean.distance(&p, &z.geom);
            if d <= NEAREST_ZONE_FALLBACK_M && best.is_none_or(|(_, bd)| d < bd) {
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
