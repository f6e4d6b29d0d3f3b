//! The walkable street graph built from a roads layer (UTM 43N), snapping to it and a
//! bounded multi-source Dijkstra over it.
//!
//! Rules (the reference SQL `sql/reference/network_access.sql` follows the same ones):
//! - a road is walkable unless its `highway` is one of [`BARRIER_HIGHWAYS`] (motorways and
//!   trunk roads: the `road` kind has no sidewalk/foot field, so they are barriers; people
//!   cross them only where a walkable way shares a node with them);
//! - every vertex of a walkable way is snapped to a 0.01 m grid ([`NODE_GRID_M`]); vertices
//!   with the same snapped coordinates are one node, so ways that share an OSM node connect;
//! - each pair of consecutive vertices is an undirected edge weighted by the length between
//!   the snapped coordinates (edges of zero length are dropped);
//! - a point joins the graph at the nearest point of the nearest edge, if that edge is within
//!   [`SNAP_M`]; farther points are "not reachable by street".

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use geo_types::{Coord, Geometry, Point};
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};
use serde::Serialize;

/// Grid the vertices are snapped to, so that ways sharing a node share it exactly.
pub const NODE_GRID_M: f64 = 0.01;
/// Farthest a cell centroid or a feature may be from a walkable street to join the network.
pub const SNAP_M: f64 = 250.0;
/// `highway` values that are barriers for walking.
pub const BARRIER_HIGHWAYS: &[&str] = &["motorway", "motorway_link", "trunk", "trunk_link"];

type SegmentEntry = GeomWithData<Line<[f64; 2]>, u32>;

/// Size of a street graph, for reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GraphStats {
    pub nodes: usize,
    pub edges: usize,
    /// Connected components (an isolated part of the network is its own component).
    pub components: usize,
    /// Ways used / ways left out as barriers.
    pub walkable_ways: usize,
    pub barrier_ways: usize,
}

/// Where a point joins the graph: on `edge`, `along_m` from the edge's first node, after
/// walking `offset_m` straight to it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Snap {
    pub edge: u32,
    pub along_m: f64,
    pub offset_m: f64,
}

/// A street graph and where each population cell joins it (`None`: farther than
/// [`SNAP_M`] from every kept street).
pub(crate) struct SnappedGraph {
    pub graph: StreetGraph,
    pub cell_snap: Vec<Option<Snap>>,
}

/// The engine's cached street graphs, by the ways they keep. Networks whose rules keep the
/// same ways share one graph and one snapping of the cells: the walking graph and the walk
/// profile, and the step-free and elderly profiles, which differ only in distance. A graph
/// depends on nothing but the road geometries and the kept ways, so sharing it changes no
/// figure. Only the cached networks use it (a handful of masks); checks with edited rules
/// build their own graph.
#[derive(Default)]
pub(crate) struct GraphCache(Mutex<Vec<GraphSlot>>);

type GraphSlot = (String, Vec<bool>, Arc<OnceLock<Arc<SnappedGraph>>>);

impl GraphCache {
    /// A copy sharing the graphs built so far, for an engine with the same roads and cells.
    pub(crate) fn share(&self) -> GraphCache {
        GraphCache(Mutex::new(
            self.0.lock().unwrap_or_else(PoisonError::into_inner).clone(),
        ))
    }

    /// The graph of `roads`' ways kept by `walkable`, with `cells` snapped onto it; built
    /// by the first caller while later ones for the same ways wait for it.
    pub(crate) fn get(
        &self,
        roads: &str,
        ways: &[Geometry<f64>],
        walkable: Vec<bool>,
        cells: &[Point<f64>],
    ) -> Arc<SnappedGraph> {
        let slot = {
            let mut all = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            match all.iter().find(|(r, w, _)| r == roads && *w == walkable) {
                Some((_, _, slot)) => slot.clone(),
                None => {
                    let slot = Arc::new(OnceLock::new());
                    all.push((roads.to_owned(), walkable.clone(), slot.clone()));
                    slot
                }
            }
        };
        slot.get_or_init(|| Arc::new(SnappedGraph::new(ways, &walkable, cells)))
            .clone()
    }
}

impl SnappedGraph {
    pub(crate) fn new(ways: &[Geometry<f64>], walkable: &[bool], cells: &[Point<f64>]) -> SnappedGraph {
        let graph = StreetGraph::new(ways, walkable);
        let cell_snap = graph.snap_all(cells);
        SnappedGraph { graph, cell_snap }
    }
}

/// An undirected graph of walkable street segments.
pub struct StreetGraph {
    nodes: Vec<[f64; 2]>,
    /// (from node, to node, length m).
    edges: Vec<(u32, u32, f64)>,
    /// The way (index into the input) each edge comes from.
    edge_way: Vec<u32>,
    /// CSR adjacency: node n's (neighbour, length) pairs are `adj[start[n]..start[n + 1]]`.
    start: Vec<usize>,
    adj: Vec<(u32, f64)>,
    segments: RTree<SegmentEntry>,
    stats: GraphStats,
}

fn grid_key(c: Coord<f64>) -> (i64, i64) {
    ((c.x / NODE_GRID_M).round() as i64, (c.y / NODE_GRID_M).round() as i64)
}

impl StreetGraph {
    /// Builds the graph from line geometries (metric coordinates); `walkable[i]` says whether
    /// way `i` is used. Non-line geometries are ignored.
    ///
    /// ```
    /// use geo_types::{Geometry, LineString};
    /// use qala_engine::StreetGraph;
    /// let a = Geometry::LineString(LineString::from(vec![(0.0, 0.0), (100.0, 0.0)]));
    /// let b = Geometry::LineString(LineString::from(vec![(100.0, 0.0), (100.0, 50.0)]));
    /// let c = Geometry::LineString(LineString::from(vec![(500.0, 0.0), (600.0, 0.0)]));
    /// let g = StreetGraph::new(&[a, b, c], &[true, true, true]);
    /// let s = g.stats();
    /// assert_eq!((s.nodes, s.edges, s.components), (5, 3, 2));
    /// ```
    pub fn new(ways: &[Geometry<f64>], walkable: &[bool]) -> StreetGraph {
        let mut ids: HashMap<(i64, i64), u32> = HashMap::new();
        let mut nodes: Vec<[f64; 2]> = Vec::new();
        let mut edges: Vec<(u32, u32, f64)> = Vec::new();
        let mut edge_way: Vec<u32> = Vec::new();
        let (mut walkable_ways, mut barrier_ways) = (0, 0);
        let mut node = |c: Coord<f64>| -> u32 {
            let k = grid_key(c);
            *ids.entry(k).or_insert_with(|| {
                nodes.push([k.0 as f64 * NODE_GRID_M, k.1 as f64 * NODE_GRID_M]);
                (nodes.len() - 1) as u32
            })
        };
        for (i, g) in ways.iter().enumerate() {
            let lines: Vec<&geo_types::LineString<f64>> = match g {
                Geometry::LineString(l) => vec![l],
                Geometry::MultiLineString(m) => m.0.iter().collect(),
                _ => continue,
            };
            if !walkable.get(i).copied().unwrap_or(false) {
                barrier_ways += 1;
                continue;
            }
            walkable_ways += 1;
            for l in lines {
                let ns: Vec<u32> = l.0.iter().map(|c| node(*c)).collect();
                for w in ns.windows(2) {
                    if w[0] != w[1] {
                        edges.push((w[0], w[1], 0.0));
                        edge_way.push(i as u32);
                    }
                }
            }
        }
        for e in &mut edges {
            let (a, b) = (nodes[e.0 as usize], nodes[e.1 as usize]);
            e.2 = (a[0] - b[0]).hypot(a[1] - b[1]);
        }
        let mut degree = vec![0usize; nodes.len() + 1];
        for &(a, b, _) in &edges {
            degree[a as usize] += 1;
            degree[b as usize] += 1;
        }
        let mut start = vec![0usize; nodes.len() + 1];
        for n in 0..nodes.len() {
            start[n + 1] = start[n] + degree[n];
        }
        let mut fill = start.clone();
        let mut adj = vec![(0u32, 0.0f64); start[nodes.len()]];
        for &(a, b, len) in &edges {
            adj[fill[a as usize]] = (b, len);
            fill[a as usize] += 1;
            adj[fill[b as usize]] = (a, len);
            fill[b as usize] += 1;
        }
        let segments = RTree::bulk_load(
            edges
                .iter()
                .enumerate()
                .map(|(i, &(a, b, _))| GeomWithData::new(Line::new(nodes[a as usize], nodes[b as usize]), i as u32))
                .collect(),
        );
        let mut graph = StreetGraph {
            nodes,
            edges,
            edge_way,
            start,
            adj,
            segments,
            stats: GraphStats {
                nodes: 0,
                edges: 0,
                components: 0,
                walkable_ways,
                barrier_ways,
            },
        };
        graph.stats.nodes = graph.nodes.len();
        graph.stats.edges = graph.edges.len();
        graph.stats.components = graph.components();
        graph
    }

    /// Nodes, edges, components, ways used and left out.
    pub fn stats(&self) -> GraphStats {
        self.stats
    }

    fn neighbours(&self, n: usize) -> &[(u32, f64)] {
        &self.adj[self.start[n]..self.start[n + 1]]
    }

    fn components(&self) -> usize {
        self.component_labels().1
    }

    /// The connected component of every node (numbered from 0 in order of their lowest
    /// node) and how many there are.
    pub(crate) fn component_labels(&self) -> (Vec<u32>, usize) {
        const NONE: u32 = u32::MAX;
        let mut label = vec![NONE; self.nodes.len()];
        let mut count = 0;
        let mut stack = Vec::new();
        for s in 0..self.nodes.len() {
            if label[s] != NONE {
                continue;
            }
            label[s] = count as u32;
            stack.push(s);
            while let Some(n) = stack.pop() {
                for &(m, _) in self.neighbours(n) {
                    if label[m as usize] == NONE {
                        label[m as usize] = count as u32;
                        stack.push(m as usize);
                    }
                }
            }
            count += 1;
        }
        (label, count)
    }

    /// The way (index into the ways the graph was built from) of edge `e`.
    pub(crate) fn way_of_edge(&self, e: u32) -> u32 {
        self.edge_way[e as usize]
    }

    /// The nearest edge to `p` among those `keep` accepts, and its distance (unbounded).
    pub(crate) fn nearest_edge_where(&self, p: Point<f64>, keep: impl Fn(u32) -> bool) -> Option<(u32, f64)> {
        if !(p.x().is_finite() && p.y().is_finite()) {
            return None;
        }
        let q = [p.x(), p.y()];
        self.segments
            .nearest_neighbor_iter_with_distance_2(&q)
            .find(|(e, _)| keep(e.data))
            .map(|(e, d2)| (e.data, d2.sqrt()))
    }

    /// Where `p` joins the graph (nearest point of the nearest edge), if within `SNAP_M`.
    pub(crate) fn snap(&self, p: Point<f64>) -> Option<Snap> {
        // A cell whose centroid could not be computed joins nothing.
        if !(p.x().is_finite() && p.y().is_finite()) {
            return None;
        }
        let q = [p.x(), p.y()];
        let e = self.segments.nearest_neighbor(&q)?;
        let (a, b) = (e.geom().from, e.geom().to);
        let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 {
            (((q[0] - a[0]) * dx + (q[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (fx, fy) = (a[0] + t * dx, a[1] + t * dy);
        let offset_m = (q[0] - fx).hypot(q[1] - fy);
        if offset_m > SNAP_M {
            return None;
        }
        let edge = e.data;
        let len = self.edges[edge as usize].2;
        Some(Snap {
            edge,
            along_m: t * len,
            offset_m,
        })
    }

    /// [`StreetGraph::snap`] for many points, on every core.
    pub(crate) fn snap_all(&self, points: &[Point<f64>]) -> Vec<Option<Snap>> {
        crate::par::map(points, |p| self.snap(*p))
    }

    /// The two nodes of an edge and its length.
    pub(crate) fn edge(&self, e: u32) -> (u32, u32, f64) {
        self.edges[e as usize]
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Shortest distances from several sources, each with a starting cost: `seeds` are
    /// (node, cost). Nodes farther than `limit_m` stay `f64::INFINITY`.
    pub(crate) fn dijkstra(&self, seeds: &[(u32, f64)], limit_m: f64) -> Vec<f64> {
        let mut dist = vec![f64::INFINITY; self.nodes.len()];
        let mut heap = BinaryHeap::new();
        for &(n, c) in seeds {
            if c <= limit_m && c < dist[n as usize] {
                dist[n as usize] = c;
                heap.push(Visit(c, n));
            }
        }
        while let Some(Visit(d, n)) = heap.pop() {
            if d > dist[n as usize] {
                continue;
            }
            for &(m, len) in self.neighbours(n as usize) {
                let nd = d + len;
                if nd <= limit_m && nd < dist[m as usize] {
                    dist[m as usize] = nd;
                    heap.push(Visit(nd, m));
                }
            }
        }
        dist
    }
}

/// A heap entry: smallest distance first.
struct Visit(f64, u32);

impl PartialEq for Visit {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Visit {}
impl PartialOrd for Visit {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Visit {
    fn cmp(&self, o: &Self) -> Ordering {
        o.0.total_cmp(&self.0).then(o.1.cmp(&self.1))
    }
}

/// Where features join the graph: starting costs at nodes and, per edge, the positions of
/// features that snapped onto it (for cells on the same edge, which need not pass a node).
pub(crate) struct Sources {
    pub seeds: Vec<(u32, f64)>,
    /// edge -> (along_m, offset_m) of each access point on it.
    pub on_edge: HashMap<u32, Vec<(f64, f64)>>,
}

impl Sources {
    pub fn new() -> Sources {
        Sources {
            seeds: Vec::new(),
            on_edge: HashMap::new(),
        }
    }

    /// Adds every access point of `g` (a point; the vertices of a line or of a polygon's
    /// rings) that joins the graph within `limit_m`.
    pub fn add(&mut self, graph: &StreetGraph, g: &Geometry<f64>, limit_m: f64) {
        for c in access_points(g) {
            let Some(s) = graph.snap(Point::from(c)) else { continue };
            if s.offset_m > limit_m {
                continue;
            }
            let (a, b, len) = graph.edge(s.edge);
            self.seeds.push((a, s.offset_m + s.along_m));
            self.seeds.push((b, s.offset_m + (len - s.along_m)));
            self.on_edge.entry(s.edge).or_default().push((s.along_m, s.offset_m));
        }
    }
}

/// The points a feature is reached at: the point itself, or every vertex.
pub(crate) fn access_points(g: &Geometry<f64>) -> Vec<Coord<f64>> {
    use geo::CoordsIter;
    g.coords_iter().collect()
}

/// The walk from a cell (joined at `s`) to the nearest source, given node distances.
pub(crate) fn cell_distance(graph: &StreetGraph, s: Snap, dist: &[f64], src: &Sources) -> f64 {
    let (a, b, len) = graph.edge(s.edge);
    let mut best = (dist[a as usize] + s.along_m).min(dist[b as usize] + (len - s.along_m));
    if let Some(points) = src.on_edge.get(&s.edge) {
        for &(along, off) in points {
            best = best.min(off + (along - s.along_m).abs());
        }
    }
    s.offset_m + best
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use geo_types::LineString;
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed};
    use rand::{Rng, SeedableRng};

    use super::*;

    fn line(pts: &[(f64, f64)]) -> Geometry<f64> {
        Geometry::LineString(LineString::from(pts.to_vec()))
    }

    #[test]
    fn networks_keeping_the_same_ways_share_one_graph_and_one_snapping() {
        let ways = [line(&[(0.0, 0.0), (100.0, 0.0)]), line(&[(100.0, 0.0), (100.0, 80.0)])];
        let cells = [Point::new(50.0, 10.0), Point::new(110.0, 40.0)];
        let cache = GraphCache::default();
        let all = cache.get("roads", &ways, vec![true, true], &cells);
        let again = cache.get("roads", &ways, vec![true, true], &cells);
        let fewer = cache.get("roads", &ways, vec![true, false], &cells);
        let other_roads = cache.get("roads-2", &ways, vec![true, true], &cells);
        assert!(Arc::ptr_eq(&all, &again));
        assert!(!Arc::ptr_eq(&all, &fewer) && !Arc::ptr_eq(&all, &other_roads));
        // The same graph and snaps as building it alone.
        let alone = SnappedGraph::new(&ways, &[true, false], &cells);
        assert_eq!(fewer.cell_snap, alone.cell_snap);
        assert_eq!(fewer.graph.stats(), alone.graph.stats());
        assert_eq!(
            fewer.cell_snap[1].map(|s| s.edge),
            Some(0),
            "the second way is not kept"
        );
        // An engine with the same roads and cells takes over the graphs built so far.
        assert!(Arc::ptr_eq(
            &cache.share().get("roads", &ways, vec![true, true], &cells),
            &all
        ));
    }

    /// Network distance from `p` to the nearest of `features`.
    fn walk(g: &StreetGraph, features: &[Geometry<f64>], p: Point<f64>, limit: f64) -> f64 {
        let mut src = Sources::new();
        for f in features {
            src.add(g, f, limit);
        }
        let dist = g.dijkstra(&src.seeds, limit);
        let d = g.snap(p).map_or(f64::INFINITY, |s| cell_distance(g, s, &dist, &src));
        if d <= limit { d } else { f64::INFINITY }
    }

    #[test]
    fn a_river_with_one_bridge_makes_100_m_a_900_m_walk() {
        // South bank y = 0, north bank y = 100, one bridge at x = 400.
        let g = StreetGraph::new(
            &[
                line(&[(0.0, 0.0), (400.0, 0.0)]),
                line(&[(400.0, 0.0), (400.0, 100.0)]),
                line(&[(400.0, 100.0), (0.0, 100.0)]),
            ],
            &[true, true, true],
        );
        assert_eq!(g.stats().components, 1);
        let school = Geometry::Point(Point::new(0.0, 100.0));
        let home = Point::new(0.0, 0.0);
        let d = walk(&g, std::slice::from_ref(&school), home, 2_000.0);
        assert!((d - 900.0).abs() < 1e-9, "walk {d}");
        // Bounded: beyond the limit the walk is not found.
        assert!(walk(&g, std::slice::from_ref(&school), home, 899.0).is_infinite());
        // A cell beside the bridge walks 10 m to the street, then along it.
        let d = walk(&g, &[school], Point::new(390.0, 50.0), 2_000.0);
        assert!((d - (10.0 + 50.0 + 400.0)).abs() < 1e-9, "walk {d}");
    }

    #[test]
    fn a_motorway_is_not_walked_but_a_crossing_node_is() {
        // Two streets meet the motorway at the same node (a level crossing).
        let ways = [
            line(&[(0.0, 0.0), (0.0, 100.0)]),
            line(&[(-500.0, 100.0), (500.0, 100.0)]),
            line(&[(0.0, 100.0), (0.0, 200.0)]),
        ];
        let g = StreetGraph::new(&ways, &[true, false, true]);
        let s = g.stats();
        assert_eq!((s.nodes, s.edges, s.components, s.barrier_ways), (3, 2, 1, 1));
        let d = walk(
            &g,
            &[Geometry::Point(Point::new(0.0, 200.0))],
            Point::new(0.0, 0.0),
            1e4,
        );
        assert!((d - 200.0).abs() < 1e-9);
        // Along the motorway there is no way: a point beside its far end is 250+ m off.
        assert!(g.snap(Point::new(500.0, 100.0)).is_none());
    }

    #[test]
    fn a_cell_and_a_stop_on_the_same_block_need_not_pass_a_corner() {
        let g = StreetGraph::new(&[line(&[(0.0, 0.0), (300.0, 0.0)])], &[true]);
        let d = walk(
            &g,
            &[Geometry::Point(Point::new(160.0, 5.0))],
            Point::new(140.0, -5.0),
            100.0,
        );
        assert!((d - 30.0).abs() < 1e-9, "walk {d}");
    }

    /// A random graph: `n` nodes on a 1 km square, edges between random pairs.
    fn random_graph(seed: u64, n: usize, m: usize) -> (Vec<[f64; 2]>, Vec<(usize, usize)>, StreetGraph) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let pts: Vec<[f64; 2]> = (0..n)
            .map(|_| [rng.gen_range(0.0..1000.0), rng.gen_range(0.0..1000.0)])
            .collect();
        let pairs: Vec<(usize, usize)> = (0..m)
            .map(|_| (rng.gen_range(0..n), rng.gen_range(0..n)))
            .filter(|(a, b)| a != b)
            .collect();
        let ways: Vec<Geometry<f64>> = pairs
            .iter()
            .map(|&(a, b)| line(&[(pts[a][0], pts[a][1]), (pts[b][0], pts[b][1])]))
            .collect();
        let walkable = vec![true; ways.len()];
        (pts, pairs, StreetGraph::new(&ways, &walkable))
    }

    proptest! {
        #![proptest_config(Config { cases: 64, rng_seed: RngSeed::Fixed(4), ..Config::default() })]

        /// Bounded multi-source Dijkstra equals Floyd–Warshall all-pairs shortest paths.
        #[test]
        fn dijkstra_equals_all_pairs_brute_force(seed in 0u64..10_000, n in 2usize..24, m in 0usize..60, limit in 100.0f64..3000.0) {
            let (_, _, g) = random_graph(seed, n, m);
            let k = g.node_count();
            let mut fw = vec![vec![f64::INFINITY; k]; k];
            for (i, row) in fw.iter_mut().enumerate() {
                row[i] = 0.0;
            }
            for e in 0..g.stats().edges {
                let (a, b, len) = g.edge(e as u32);
                let (a, b) = (a as usize, b as usize);
                fw[a][b] = fw[a][b].min(len);
                fw[b][a] = fw[b][a].min(len);
            }
            for via in 0..k {
                for i in 0..k {
                    for j in 0..k {
                        let d = fw[i][via] + fw[via][j];
                        if d < fw[i][j] {
                            fw[i][j] = d;
                        }
                    }
                }
            }
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0x5eed);
            let seeds: Vec<(u32, f64)> = (0..3.min(k))
                .map(|_| (rng.gen_range(0..k) as u32, rng.gen_range(0.0..200.0)))
                .collect();
            let got = g.dijkstra(&seeds, limit);
            for (n, d) in got.iter().enumerate() {
                let want = seeds.iter().map(|&(s, c)| c + fw[s as usize][n]).fold(f64::INFINITY, f64::min);
                if want <= limit {
                    prop_assert!((d - want).abs() <= 1e-9 * want.max(1.0), "node {n}: {d} vs {want}");
                } else {
                    prop_assert!(d.is_infinite(), "node {n}: {d} beyond the limit {limit}");
                }
            }
        }

        /// Walking along streets is never shorter than the straight line.
        #[test]
        fn network_distance_is_never_shorter_than_straight(seed in 0u64..10_000, n in 2usize..40, m in 1usize..80) {
            let (_, _, g) = random_graph(seed, n, m);
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed ^ 0xce11);
            let features: Vec<Geometry<f64>> = (0..4)
                .map(|i| {
                    let (x, y) = (rng.gen_range(0.0..1000.0), rng.gen_range(0.0..1000.0));
                    if i % 2 == 0 {
                        Geometry::Point(Point::new(x, y))
                    } else {
                        line(&[(x, y), (x + 60.0, y + 30.0), (x + 10.0, y + 90.0)])
                    }
                })
                .collect();
            for _ in 0..30 {
                let p = Point::new(rng.gen_range(0.0..1000.0), rng.gen_range(0.0..1000.0));
                let net = walk(&g, &features, p, 1e6);
                let straight = features
                    .iter()
                    .map(|f| geo::Distance::distance(&geo::Euclidean, &p, f))
                    .fold(f64::INFINITY, f64::min);
                prop_assert!(net + 1e-9 >= straight, "cell {p:?}: network {net} < straight {straight}");
            }
        }
    }
}
