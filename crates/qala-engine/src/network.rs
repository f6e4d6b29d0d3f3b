//! Access along the street network and the severance gap (straight share − network share).

use std::sync::Arc;

use geo::BoundingRect;
use geo_types::Geometry;
use qala_core::LayerKind;
use rstar::AABB;

use crate::compute::{access_figures, coverage_key, value_of};
use crate::engine::Engine;
use crate::indicator_def::LayerSelector;
use crate::layer::LayerData;
use crate::result::{Severance, SeveranceValue, ZoneSeverance};
use crate::street_graph::{BARRIER_HIGHWAYS, SNAP_M, SnappedGraph, Sources, cell_distance};
use crate::zone_set::ZoneSet;
use crate::{EngineError, ZoneRole};

/// The street graph and where each population cell joins it; built on first use.
pub(crate) struct Network {
    /// `cell_snap` `None`: the cell is farther than [`SNAP_M`] from any walkable street.
    pub shared: Arc<SnappedGraph>,
    pub roads: String,
}

impl Network {
    /// The graph from the first `road` layer (`roads` preferred); `None` without one.
    pub fn build(engine: &Engine) -> Option<Network> {
        let roads = engine.role_layer("roads", LayerKind::Road, "roads")?;
        let walkable: Vec<bool> = (0..roads.len())
            .map(|i| {
                roads
                    .str_ref("highway", i)
                    .is_none_or(|h| !BARRIER_HIGHWAYS.contains(&h))
            })
            .collect();
        Some(Network {
            shared: engine.street_graph(roads, walkable),
            roads: roads.slug.clone(),
        })
    }
}

/// Whether each population cell is within `radius_m` of a selected feature walking along
/// streets; cached per (selector, radius) like straight coverage.
pub(crate) fn network_coverage(
    engine: &Engine,
    sel: &LayerSelector,
    radius_m: f64,
) -> Result<Arc<Vec<bool>>, EngineError> {
    engine.cached_coverage(format!("network|{}", coverage_key(sel, radius_m)), || {
        engine.population()?;
        let net = engine.network()?;
        let src = sources(engine, &net, sel, radius_m, None)?;
        let dist = net.shared.graph.dijkstra(&src.seeds, radius_m);
        Ok((0..net.shared.cell_snap.len())
            .map(|c| walks_within(&net, c, &dist, &src, radius_m))
            .collect())
    })
}

/// Where the selected features join the graph, leaving out feature `skip` (a layer and
/// an index in it; what-if's removal).
fn sources(
    engine: &Engine,
    net: &Network,
    sel: &LayerSelector,
    radius_m: f64,
    skip: Option<(&LayerData, usize)>,
) -> Result<Sources, EngineError> {
    let mut src = Sources::new();
    for s in engine.selected(sel)? {
        let l = s.layer;
        for (i, g) in l.index.geometries().iter().enumerate() {
            let skipped = skip.is_some_and(|(sl, si)| std::ptr::eq(sl, l) && si == i);
            if !skipped && l.passes(&s.filter, i) {
                src.add(&net.shared.graph, g, radius_m);
            }
        }
    }
    Ok(src)
}

fn walks_within(net: &Network, cell: usize, dist: &[f64], src: &Sources, radius_m: f64) -> bool {
    net.shared
        .cell_snap
        .get(cell)
        .copied()
        .flatten()
        .is_some_and(|s| s.offset_m <= radius_m && cell_distance(&net.shared.graph, s, dist, src) <= radius_m)
}

/// The cells within `radius_m` walking of `geom` alone, ascending (what-if's reach).
pub(crate) fn cells_within_walk(
    engine: &Engine,
    geom: &Geometry<f64>,
    radius_m: f64,
) -> Result<Vec<usize>, EngineError> {
    let net = engine.network()?;
    let pop = engine.population()?;
    let mut src = Sources::new();
    src.add(&net.shared.graph, geom, radius_m);
    let Some(bb) = geom.bounding_rect() else {
        return Ok(Vec::new());
    };
    if src.seeds.is_empty() {
        return Ok(Vec::new());
    }
    let dist = net.shared.graph.dijkstra(&src.seeds, radius_m);
    // Walking is never shorter than the straight line: only cells within straight reach.
    let env = AABB::from_corners(
        [bb.min().x - radius_m, bb.min().y - radius_m],
        [bb.max().x + radius_m, bb.max().y + radius_m],
    );
    let mut cells: Vec<usize> = pop
        .tree
        .locate_in_envelope(&env)
        .map(|c| c.data as usize)
        .filter(|&c| walks_within(&net, c, &dist, &src, radius_m))
        .collect();
    cells.sort_unstable();
    Ok(cells)
}

/// For `cells`, whether each is within `radius_m` walking of a selected feature other than
/// `skip`.
pub(crate) fn walk_covered_without(
    engine: &Engine,
    sel: &LayerSelector,
    radius_m: f64,
    skip: (&LayerData, usize),
    cells: &[usize],
) -> Result<Vec<bool>, EngineError> {
    let net = engine.network()?;
    let src = sources(engine, &net, sel, radius_m, Some(skip))?;
    let dist = net.shared.graph.dijkstra(&src.seeds, radius_m);
    Ok(cells
        .iter()
        .map(|&c| walks_within(&net, c, &dist, &src, radius_m))
        .collect())
}

/// Straight vs network shares per zone, centre, periphery and city.
pub(crate) fn severance(
    engine: &Engine,
    zs: &ZoneSet,
    radius_m: f64,
    straight: &[bool],
    network: &[bool],
) -> Result<Severance, EngineError> {
    let net = engine.network()?;
    let pop = engine.population()?;
    let s = access_figures(engine, zs, straight)?;
    let n = access_figures(engine, zs, network)?;
    let value = |sn: f64, nn: f64, den: f64| {
        let straight = value_of(s.agg, sn, den);
        let network = value_of(n.agg, nn, den);
        SeveranceValue {
            straight,
            network,
            gap: straight.zip(network).map(|(a, b)| a - b),
            residents_cut_off: sn - nn,
        }
    };
    let zones = zs
        .zones
        .iter()
        .enumerate()
        .map(|(i, z)| ZoneSeverance {
            zone: z.id.clone(),
            role: z.role,
            value: value(s.num[i], n.num[i], s.den[i]),
        })
        .collect();
    let group = |keep: &dyn Fn(ZoneRole) -> bool| {
        let (mut sn, mut nn, mut den) = (0.0, 0.0, 0.0);
        for (i, z) in zs.zones.iter().enumerate() {
            if keep(z.role) {
                sn += s.num[i];
                nn += n.num[i];
                den += s.den[i];
            }
        }
        value(sn, nn, den)
    };
    let (mut off_cells, mut off_residents) = (0, 0.0);
    for (c, z) in zs.cell_zone.iter().enumerate() {
        if z.is_some() && net.shared.cell_snap.get(c).is_none_or(Option::is_none) {
            off_cells += 1;
            off_residents += pop.residents[c];
        }
    }
    Ok(Severance {
        roads_layer: net.roads.clone(),
        graph: net.shared.graph.stats(),
        snap_m: SNAP_M,
        radius_m,
        zones,
        centre: group(&|r| r == ZoneRole::Centre),
        periphery: group(&|r| r == ZoneRole::Periphery),
        city: group(&|_| true),
        off_network_cells: off_cells,
        off_network_residents: off_residents,
    })
}
