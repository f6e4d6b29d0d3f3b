//! An R-tree over geometries in metric coordinates (UTM 43N): nearest-k, within-distance
//! and bbox queries, each answered exactly (the tree only prunes by bounding box).

use geo::{BoundingRect, Distance, Euclidean, Intersects};
use geo_types::{Geometry, Point, Rect};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use std::sync::OnceLock;

type Entry = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// Geometries (metric coordinates) and an R-tree of their bounding boxes.
///
/// ```
/// use geo_types::{Geometry, Point, point};
/// use qala_engine::SpatialIndex;
/// let idx = SpatialIndex::new(vec![
///     Geometry::Point(point!(x: 0.0, y: 0.0)),
///     Geometry::Point(point!(x: 100.0, y: 0.0)),
/// ]);
/// let near = idx.within_distance(Point::new(10.0, 0.0), 50.0);
/// assert_eq!(near, vec![0]);
/// assert_eq!(idx.nearest_k(Point::new(90.0, 0.0), 1), vec![(1, 10.0)]);
/// ```
pub struct SpatialIndex {
    geoms: Vec<Geometry<f64>>,
    /// Built on the first query: most layers of a city are only ever read feature by feature
    /// (fellings and plantings are placed in zones, never searched around a point), and the
    /// tree of the 2.1 million trees of the benchmark city took ~100 MB.
    tree: OnceLock<RTree<Entry>>,
}

impl SpatialIndex {
    /// Indexes `geoms`; result indices are positions in this vector. Empty geometries are
    /// kept (so indices stay aligned) but never found.
    pub fn new(geoms: Vec<Geometry<f64>>) -> SpatialIndex {
        SpatialIndex {
            geoms,
            tree: OnceLock::new(),
        }
    }

    /// The R-tree of the geometries' bounding boxes, bulk-loaded on first use.
    fn tree(&self) -> &RTree<Entry> {
        self.tree.get_or_init(|| {
            let entries: Vec<Entry> = self
                .geoms
                .iter()
                .enumerate()
                .filter_map(|(i, g)| {
                    let r = g.bounding_rect()?;
                    Some(GeomWithData::new(
                        Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                        i as u32,
                    ))
                })
                .collect();
            RTree::bulk_load(entries)
        })
    }

    pub fn len(&self) -> usize {
        self.geoms.len()
    }

    pub fn is_empty(&self) -> bool {
        self.geoms.is_empty()
    }

    pub fn geometry(&self, i: usize) -> Option<&Geometry<f64>> {
        self.geoms.get(i)
    }

    pub fn geometries(&self) -> &[Geometry<f64>] {
        &self.geoms
    }

    /// Candidates whose bounding box comes within `r` of `p` (a superset of the answer).
    fn candidates(&self, p: Point<f64>, r: f64) -> impl Iterator<Item = usize> + '_ {
        let env = AABB::from_corners([p.x() - r, p.y() - r], [p.x() + r, p.y() + r]);
        self.tree()
            .locate_in_envelope_intersecting(&env)
            .map(|e| e.data as usize)
    }

    /// Exact Euclidean distance from `p` to geometry `i` (0 inside a polygon).
    pub fn distance(&self, i: usize, p: Point<f64>) -> f64 {
        match &self.geoms[i] {
            Geometry::Point(q) => Euclidean.distance(p, *q),
            g => Euclidean.distance(&p, g),
        }
    }

    /// Indices of the geometries within `r` metres of `p` (distance ≤ r), ascending.
    pub fn within_distance(&self, p: Point<f64>, r: f64) -> Vec<usize> {
        let mut out: Vec<usize> = self.candidates(p, r).filter(|&i| self.distance(i, p) <= r).collect();
        out.sort_unstable();
        out
    }

    /// Whether any geometry accepted by `keep` lies within `r` metres of `p`.
    pub fn any_within(&self, p: Point<f64>, r: f64, keep: impl Fn(usize) -> bool) -> bool {
        self.candidates(p, r).any(|i| keep(i) && self.distance(i, p) <= r)
    }

    /// The `k` nearest geometries to `p` with their distances, nearest first (ties by index).
    pub fn nearest_k(&self, p: Point<f64>, k: usize) -> Vec<(usize, f64)> {
        let mut best: Vec<(usize, f64)> = Vec::with_capacity(k + 1);
        if k == 0 {
            return best;
        }
        // The tree yields boxes by increasing box distance, a lower bound of the exact
        // distance: once a box is farther than the k-th exact distance, we are done.
        for (e, d2) in self.tree().nearest_neighbor_iter_with_distance_2(&[p.x(), p.y()]) {
            if best.len() == k && d2.sqrt() > best[k - 1].1 {
                break;
            }
            let i = e.data as usize;
            let d = self.distance(i, p);
            best.push((i, d));
            best.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            best.truncate(k);
        }
        best
    }

    /// The nearest geometry accepted by `keep` and its exact distance (ties by index);
    /// `None` when `keep` accepts none.
    ///
    /// ```
    /// use geo_types::{Geometry, Point, point};
    /// use qala_engine::SpatialIndex;
    /// let idx = SpatialIndex::new(vec![
    ///     Geometry::Point(point!(x: 0.0, y: 0.0)),
    ///     Geometry::Point(point!(x: 100.0, y: 0.0)),
    /// ]);
    /// assert_eq!(idx.nearest_where(Point::new(10.0, 0.0), |i| i == 1), Some((1, 90.0)));
    /// assert_eq!(idx.nearest_where(Point::new(10.0, 0.0), |_| false), None);
    /// ```
    pub fn nearest_where(&self, p: Point<f64>, keep: impl Fn(usize) -> bool) -> Option<(usize, f64)> {
        let mut best: Option<(usize, f64)> = None;
        for (e, d2) in self.tree().nearest_neighbor_iter_with_distance_2(&[p.x(), p.y()]) {
            if best.is_some_and(|(_, bd)| d2.sqrt() > bd) {
                break;
            }
            let i = e.data as usize;
            if !keep(i) {
                continue;
            }
            let d = self.distance(i, p);
            if best.is_none_or(|(bi, bd)| d < bd || (d == bd && i < bi)) {
                best = Some((i, d));
            }
        }
        best
    }

    /// Indices of the geometries intersecting `rect` (boundary included), ascending.
    pub fn intersecting(&self, rect: Rect<f64>) -> Vec<usize> {
        let env = AABB::from_corners([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]);
        let poly = rect.to_polygon();
        let mut out: Vec<usize> = self
            .tree()
            .locate_in_envelope_intersecting(&env)
            .map(|e| e.data as usize)
            .filter(|&i| self.geoms[i].intersects(&poly))
            .collect();
        out.sort_unstable();
        out
    }
}
