//! Who reaches what on the low-stress cycling network: access along the streets at
//! LTS ≤ 2 of a scenario (`lts_network.rs`), beside the same access on all streets (the
//! walking graph of `network.rs`).
//!
//! Rules (the reference SQL `sql/reference/lts_graph.sql` follows the same ones):
//! - a cell joins the low-stress graph at the nearest low-stress edge within
//!   [`crate::SNAP_M`] of its centroid, a feature at each of its vertices likewise;
//! - the ride is cell → its edge, along low-stress streets, edge → feature, at most
//!   `radius_m` in all (the walking graph's rules, on another edge set);
//! - "all streets" is the walking graph: every way but motorways and trunk roads.

use std::sync::Arc;

use serde::Serialize;

use crate::compute::{access_figures, coverage_key, value_of};
use crate::engine::Engine;
use crate::indicator_def::LayerSelector;
use crate::lts_network::{LOW_STRESS_MAX, LtsNetwork, LtsScenario};
use crate::street_graph::{Sources, cell_distance};
use crate::zone_set::ZoneSet;
use crate::{EngineError, ZoneRole};

/// Low-stress and all-streets shares of one zone or group.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LowStressValue {
    /// Share of residents within reach on every street (the walking graph).
    pub all_streets: Option<f64>,
    /// Share within reach on the streets at LTS ≤ `max_lts`.
    pub low_stress: Option<f64>,
    /// all_streets − low_stress: the share that reaches only by riding in traffic.
    pub gap: Option<f64>,
    /// Residents who reach on all streets but not on the low-stress ones.
    pub residents_only_in_traffic: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ZoneLowStress {
    pub zone: String,
    pub role: ZoneRole,
    #[serde(flatten)]
    pub value: LowStressValue,
}

/// The low-stress figures beside the all-streets ones, per zone and group.
#[derive(Debug, Clone, Serialize)]
pub struct LowStress {
    pub scenario: LtsScenario,
    pub max_lts: u8,
    pub radius_m: f64,
    pub zones: Vec<ZoneLowStress>,
    pub centre: LowStressValue,
    pub periphery: LowStressValue,
    pub city: LowStressValue,
    /// Zoned residents farther than the snap distance from every low-stress street.
    pub residents_off_network: f64,
}

/// Whether each population cell reaches a selected feature within `radius_m` on the
/// low-stress network of `scenario`; cached like the other coverages.
pub(crate) fn low_stress_coverage(
    engine: &Engine,
    sel: &LayerSelector,
    radius_m: f64,
    scenario: LtsScenario,
) -> Result<Arc<Vec<bool>>, EngineError> {
    let key = format!("lts:{}|{}", scenario.name(), coverage_key(sel, radius_m));
    engine.cached_coverage(key, || {
        engine.population()?;
        let (net, _) = engine.lts_network(scenario)?;
        coverage_on(engine, &net, sel, radius_m)
    })
}

/// Whether each population cell reaches a selected feature within `radius_m` on `net`
/// (uncached: the what-if calls it on an edited network).
pub(crate) fn coverage_on(
    engine: &Engine,
    net: &LtsNetwork,
    sel: &LayerSelector,
    radius_m: f64,
) -> Result<Vec<bool>, EngineError> {
    let mut src = Sources::new();
    for s in engine.selected(sel)? {
        let l = s.layer;
        for (i, g) in l.index.geometries().iter().enumerate() {
            if l.passes(&s.filter, i) {
                src.add(&net.graph, g, radius_m);
            }
        }
    }
    let dist = net.graph.dijkstra(&src.seeds, radius_m);
    Ok(net
        .cell_snap
        .iter()
        .map(|s| s.is_some_and(|s| s.offset_m <= radius_m && cell_distance(&net.graph, s, &dist, &src) <= radius_m))
        .collect())
}

/// All-streets vs low-stress shares per zone, centre, periphery and city.
pub(crate) fn comparison(
    engine: &Engine,
    zs: &ZoneSet,
    radius_m: f64,
    scenario: LtsScenario,
    all_streets: &[bool],
    low_stress: &[bool],
) -> Result<LowStress, EngineError> {
    let (net, _) = engine.lts_network(scenario)?;
    let pop = engine.population()?;
    let a = access_figures(engine, zs, all_streets)?;
    let l = access_figures(engine, zs, low_stress)?;
    let value = |an: f64, ln: f64, den: f64| {
        let all = value_of(a.agg, an, den);
        let low = value_of(l.agg, ln, den);
        LowStressValue {
            all_streets: all,
            low_stress: low,
            gap: all.zip(low).map(|(x, y)| x - y),
            residents_only_in_traffic: (an - ln).max(0.0),
        }
    };
    let zones = zs
        .zones
        .iter()
        .enumerate()
        .map(|(i, z)| ZoneLowStress {
            zone: z.id.clone(),
            role: z.role,
            value: value(a.num[i], l.num[i], a.den[i]),
        })
        .collect();
    let group = |keep: &dyn Fn(ZoneRole) -> bool| {
        let (mut an, mut ln, mut den) = (0.0, 0.0, 0.0);
        for (i, z) in zs.zones.iter().enumerate() {
            if keep(z.role) {
                an += a.num[i];
                ln += l.num[i];
                den += a.den[i];
            }
        }
        value(an, ln, den)
    };
    let off = zs
        .cell_zone
        .iter()
        .enumerate()
        .filter(|(c, z)| z.is_some() && net.cell_snap.get(*c).is_none_or(Option::is_none))
        .map(|(c, _)| pop.residents[c])
        .sum();
    Ok(LowStress {
        scenario,
        max_lts: LOW_STRESS_MAX,
        radius_m,
        zones,
        centre: group(&|r| r == ZoneRole::Centre),
        periphery: group(&|r| r == ZoneRole::Periphery),
        city: group(&|_| true),
        residents_off_network: off,
    })
}
