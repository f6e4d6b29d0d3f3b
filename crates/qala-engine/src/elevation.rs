//! Ground elevation from the layer bound to the `elevation` role (cells of a DEM, one per
//! pixel, with `elevation_m`), and the gradient of a street way over it.
//!
//! Rules (docs/lts.md; `sql/reference/lts_stress.sql` follows the same ones):
//! - a cell stands for its UTM 43N centroid;
//! - the height at a point is the inverse-distance-weighted mean (weights 1/d²) of the
//!   [`ELEVATION_K`] cells whose centroids are nearest it, counting only those within
//!   [`ELEVATION_REACH_M`]; a point within 1 mm of a centroid takes that cell's height; a
//!   point with no cell in reach has no height;
//! - the climb of a way is the sum over its lines of |height at the last vertex − height at
//!   the first|, its length the sum of their lengths (UTM), its gradient 100 × climb /
//!   length; a way with a line end without a height, or of zero length, has no gradient.
//!   So the gradient is per way, end to end: a way that rises and falls back scores low.

use geo::{Centroid, Euclidean, Length};
use geo_types::{Coord, Geometry, LineString};
use qala_core::LayerKind;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::engine::Engine;
use crate::layer::LayerData;
use crate::lts_ruleset::Gradient;

/// Cells whose heights make a point's height.
pub const ELEVATION_K: usize = 4;
/// Farthest a cell centroid counts for a point, metres: a DEM that does not reach a street
/// gives it no gradient rather than a guess.
pub const ELEVATION_REACH_M: f64 = 200.0;

/// The cells of an elevation layer as points with heights.
pub(crate) struct ElevationSurface {
    tree: RTree<GeomWithData<[f64; 2], (u32, f64)>>,
}

impl ElevationSurface {
    pub fn from_layer(l: &LayerData) -> ElevationSurface {
        let pts = l
            .index
            .geometries()
            .iter()
            .enumerate()
            .filter_map(|(i, g)| {
                let c = g.centroid()?;
                let z = l.float("elevation_m", i)?;
                (c.x().is_finite() && z.is_finite()).then(|| GeomWithData::new([c.x(), c.y()], (i as u32, z)))
            })
            .collect();
        ElevationSurface {
            tree: RTree::bulk_load(pts),
        }
    }

    /// The height at a UTM point, metres (see the module rules).
    pub fn at(&self, p: Coord<f64>) -> Option<f64> {
        let q = [p.x, p.y];
        let mut near: Vec<(f64, u32, f64)> = self
            .tree
            .nearest_neighbor_iter_with_distance_2(&q)
            .take_while(|(_, d2)| *d2 <= ELEVATION_REACH_M * ELEVATION_REACH_M)
            .take(ELEVATION_K)
            .map(|(e, d2)| (d2.sqrt(), e.data.0, e.data.1))
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let first = near.first()?;
        if first.0 < 1e-3 {
            return Some(first.2);
        }
        let (mut num, mut den) = (0.0, 0.0);
        for (d, _, z) in &near {
            let w = 1.0 / (d * d);
            num += w * z;
            den += w;
        }
        Some(num / den)
    }

    /// The gradient of a way (UTM), if every line end has a height.
    pub fn gradient(&self, g: &Geometry<f64>) -> Option<Gradient> {
        let lines: Vec<&LineString<f64>> = match g {
            Geometry::LineString(l) => vec![l],
            Geometry::MultiLineString(m) => m.0.iter().collect(),
            _ => return None,
        };
        let (mut climb, mut length) = (0.0, 0.0);
        for l in lines {
            let (Some(a), Some(b)) = (l.0.first(), l.0.last()) else {
                continue;
            };
            climb += (self.at(*b)? - self.at(*a)?).abs();
            length += Euclidean.length(l);
        }
        (length > 0.0).then(|| Gradient {
            pct: 100.0 * climb / length,
            climb_m: climb,
            length_m: length,
        })
    }
}

impl Engine {
    /// The layer bound to the `elevation` role. Only a binding counts: without one (or
    /// without bindings at all) the stress analysis has no slope, whatever layers exist.
    pub(crate) fn elevation_layer(&self) -> Option<&LayerData> {
        let bound = self
            .options
            .bindings
            .as_ref()?
            .layers("elevation")
            .first()?
            .slug
            .clone();
        self.layers
            .iter()
            .find(|l| l.slug == bound && l.kind == LayerKind::Elevation)
            .map(|l| &**l)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use geo_types::{MultiLineString, coord, line_string};

    use super::*;

    fn surface(cells: &[([f64; 2], f64)]) -> ElevationSurface {
        ElevationSurface {
            tree: RTree::bulk_load(
                cells
                    .iter()
                    .enumerate()
                    .map(|(i, (p, z))| GeomWithData::new(*p, (i as u32, *z)))
                    .collect(),
            ),
        }
    }

    #[test]
    fn heights_are_inverse_distance_weighted_over_the_four_nearest_cells_in_reach() {
        // A 100 m grid of centroids on a plane rising 5 m per 100 m northwards.
        let cells: Vec<([f64; 2], f64)> = (0..10)
            .flat_map(|i| (0..10).map(move |j| ([50.0 + 100.0 * i as f64, 50.0 + 100.0 * j as f64], 5.0 * j as f64)))
            .collect();
        let s = surface(&cells);
        // On a centroid: its own height.
        assert_eq!(s.at(coord! {x: 450.0, y: 350.0}), Some(15.0));
        // Halfway between four centroids: their mean.
        assert!((s.at(coord! {x: 400.0, y: 400.0}).unwrap() - 17.5).abs() < 1e-9);
        // Nearer the northern pair: weighted towards them.
        let z = s.at(coord! {x: 400.0, y: 420.0}).unwrap();
        assert!(z > 17.5 && z < 20.0, "{z}");
        // Beyond the reach of every centroid: no height.
        assert_eq!(s.at(coord! {x: 50.0, y: -300.0}), None);
        // A way up the plane: 300 m rising 15 m = 5 %, whatever its direction.
        let up = Geometry::MultiLineString(MultiLineString(vec![
            line_string![(x: 450.0, y: 350.0), (x: 450.0, y: 650.0)],
        ]));
        let g = s.gradient(&up).unwrap();
        assert!(
            (g.pct - 5.0).abs() < 1e-9 && (g.climb_m - 15.0).abs() < 1e-9 && g.length_m == 300.0,
            "{g:?}"
        );
        let down = Geometry::LineString(line_string![(x: 450.0, y: 650.0), (x: 450.0, y: 350.0)]);
        assert!((s.gradient(&down).unwrap().pct - 5.0).abs() < 1e-9);
        // Across it: flat. Off the DEM at one end: no gradient.
        let across = Geometry::LineString(line_string![(x: 150.0, y: 350.0), (x: 850.0, y: 350.0)]);
        assert_eq!(s.gradient(&across).unwrap().pct, 0.0);
        let off = Geometry::LineString(line_string![(x: 450.0, y: 350.0), (x: 450.0, y: -400.0)]);
        assert_eq!(s.gradient(&off), None);
    }
}
