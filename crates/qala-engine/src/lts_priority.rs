//! Gap-closing priorities: which planned lane segment connects the most residents to the
//! centre's low-stress island, per kilometre.
//!
//! Rules (docs/lts.md):
//! - the base network is the `under_construction` scenario (lanes built or being built);
//!   a candidate is a street way at LTS ≤ 2 in the `plan` scenario but not in the base
//!   (it becomes low-stress only thanks to a planned lane);
//! - a cell belongs to the base island of the nearest base low-stress edge within
//!   [`crate::SNAP_M`] of its centroid; the centre's island is that of the base low-stress
//!   edge nearest Republic Square;
//! - each candidate is judged alone against the base: it newly connects the residents of
//!   every base island it touches (shares a node with) other than the centre's, when it
//!   touches the centre's island; otherwise none. Ranked by residents newly connected per km;
//! - missing links, found automatically: a street way at LTS ≥ 3 in both the base and the
//!   plan, at most [`MISSING_LINK_MAX_M`] long, that touches two or more base islands; judged
//!   and ranked with the planned segments by the same rule (as if it were made low-stress).
//!   Single ways only: chains of several high-stress ways are not searched.

use std::collections::BTreeSet;

use qala_core::LayerKind;
use serde::Serialize;

use crate::EngineError;
use crate::engine::Engine;
use crate::lts_network::{LOW_STRESS_MAX, LtsScenario, way_length_m};
use crate::street_graph::{SNAP_M, StreetGraph};

/// The longest street way searched as a missing link, metres.
pub const MISSING_LINK_MAX_M: f64 = 300.0;

/// Where a candidate comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PrioritySource {
    /// A planned lane makes the way low-stress.
    Planned,
    /// A short high-stress way between two islands that no lane of the plan calms.
    MissingLink,
}

impl PrioritySource {
    fn name(self) -> &'static str {
        match self {
            PrioritySource::Planned => "planned",
            PrioritySource::MissingLink => "missing_link",
        }
    }
}

/// One candidate segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LtsPriority {
    pub rank: usize,
    pub source: PrioritySource,
    /// Source row in the roads layer.
    pub row: u64,
    pub name: Option<String>,
    pub highway: Option<String>,
    /// LTS in the base and with the planned lane.
    pub lts_base: u8,
    pub lts_plan: u8,
    pub facility: String,
    pub length_km: f64,
    pub residents_newly_connected: f64,
    pub residents_per_km: f64,
    /// Base islands the segment touches (with at least one street).
    pub islands_touched: usize,
    pub touches_centre_island: bool,
}

/// The ranking, best first.
#[derive(Debug, Clone, Serialize)]
pub struct LtsPriorities {
    pub base: LtsScenario,
    pub with: LtsScenario,
    pub ruleset: String,
    pub ruleset_version: u32,
    /// Residents in the centre's base island.
    pub centre_island_residents: f64,
    pub priorities: Vec<LtsPriority>,
}

/// CSV header of [`LtsPriorities::to_csv`].
pub const PRIORITY_CSV_HEADER: &str = "rank,row,name,highway,lts_base,lts_plan,facility,length_km,residents_newly_connected,residents_per_km,islands_touched,touches_centre_island,source";

impl LtsPriorities {
    /// One line per candidate; names quoted.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(PRIORITY_CSV_HEADER);
        out.push('\n');
        let q = |s: &Option<String>| format!("\"{}\"", s.as_deref().unwrap_or("").replace('"', "\"\""));
        for p in &self.priorities {
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{:.4},{},{:.2},{},{},{}\n",
                p.rank,
                p.row,
                q(&p.name),
                q(&p.highway),
                p.lts_base,
                p.lts_plan,
                p.facility,
                p.length_km,
                p.residents_newly_connected,
                p.residents_per_km,
                p.islands_touched,
                p.touches_centre_island,
                p.source.name()
            ));
        }
        out
    }
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        parent[x as usize] = parent[parent[x as usize] as usize];
        x = parent[x as usize];
    }
    x
}

impl Engine {
    /// Planned segments ranked by residents newly connected to the centre's low-stress
    /// island per km (see the module rules).
    ///
    /// Errors: `missing_roads`.
    pub fn lts_priorities(&self) -> Result<LtsPriorities, EngineError> {
        let (base, rules) = self.lts_network(LtsScenario::UnderConstruction)?;
        let (plan, _) = self.lts_network(LtsScenario::Plan)?;
        let roads = self
            .role_layer("roads", LayerKind::Road, "roads")
            .ok_or(EngineError::MissingRoads)?;
        let base_low: Vec<bool> = base.segments.iter().map(|s| s.lts <= LOW_STRESS_MAX).collect();
        let plan_low: Vec<bool> = plan.segments.iter().map(|s| s.lts <= LOW_STRESS_MAX).collect();
        let geoms = roads.index.geometries();
        let missing: Vec<bool> = (0..geoms.len())
            .map(|w| {
                base.segments[w].lts > LOW_STRESS_MAX
                    && plan.segments[w].lts > LOW_STRESS_MAX
                    && way_length_m(&geoms[w]) <= MISSING_LINK_MAX_M
            })
            .collect();
        // Missing-link candidates' edges join the graph; they are in no base island.
        let union: Vec<bool> = (0..geoms.len())
            .map(|w| base_low[w] || plan_low[w] || missing[w])
            .collect();
        let g = StreetGraph::new(roads.index.geometries(), &union);
        let n_edges = g.stats().edges as u32;
        let is_base = |e: u32| base_low[g.way_of_edge(e) as usize];
        // Base islands over the union graph's nodes.
        let mut parent: Vec<u32> = (0..g.node_count() as u32).collect();
        let mut has_street = vec![false; g.node_count()];
        for e in 0..n_edges {
            if is_base(e) {
                let (a, b, _) = g.edge(e);
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                parent[ra as usize] = rb;
            }
        }
        for e in 0..n_edges {
            if is_base(e) {
                let r = find(&mut parent, g.edge(e).0);
                has_street[r as usize] = true;
            }
        }
        let mut residents = vec![0.0f64; g.node_count()];
        if let Some(p) = self.population.as_ref() {
            for (c, pt) in p.points.iter().enumerate() {
                if let Some((e, d)) = g.nearest_edge_where(*pt, is_base)
                    && d <= SNAP_M
                {
                    let r = find(&mut parent, g.edge(e).0);
                    residents[r as usize] += p.residents[c];
                }
            }
        }
        let centre = g
            .nearest_edge_where(self.centre_utm, is_base)
            .map(|(e, _)| find(&mut parent, g.edge(e).0));
        // Nodes of each candidate way.
        let mut nodes_of: std::collections::BTreeMap<usize, BTreeSet<u32>> = Default::default();
        for e in 0..n_edges {
            let w = g.way_of_edge(e) as usize;
            if (plan_low[w] && !base_low[w]) || missing[w] {
                let (a, b, _) = g.edge(e);
                nodes_of.entry(w).or_default().extend([a, b]);
            }
        }
        let mut priorities: Vec<LtsPriority> = nodes_of
            .into_iter()
            .filter_map(|(w, nodes)| {
                let comps: BTreeSet<u32> = nodes
                    .iter()
                    .map(|&n| find(&mut parent, n))
                    .filter(|r| has_street[*r as usize])
                    .collect();
                // A missing link joins two islands or is none.
                if missing[w] && comps.len() < 2 {
                    return None;
                }
                let touches = centre.is_some_and(|c| comps.contains(&c));
                let newly: f64 = if touches {
                    comps
                        .iter()
                        .filter(|r| Some(**r) != centre)
                        .map(|r| residents[*r as usize])
                        .sum()
                } else {
                    0.0
                };
                let length_km = way_length_m(&roads.index.geometries()[w]) / 1000.0;
                Some(LtsPriority {
                    rank: 0,
                    source: if missing[w] {
                        PrioritySource::MissingLink
                    } else {
                        PrioritySource::Planned
                    },
                    row: roads.rows[w],
                    name: roads.text("name", w),
                    highway: roads.text("highway", w),
                    lts_base: base.segments[w].lts,
                    lts_plan: plan.segments[w].lts,
                    facility: plan.segments[w].facility.clone(),
                    length_km,
                    residents_newly_connected: newly,
                    residents_per_km: if length_km > 0.0 { newly / length_km } else { 0.0 },
                    islands_touched: comps.len(),
                    touches_centre_island: touches,
                })
            })
            .collect();
        priorities.sort_by(|a, b| {
            b.residents_per_km
                .total_cmp(&a.residents_per_km)
                .then(b.residents_newly_connected.total_cmp(&a.residents_newly_connected))
                .then(a.row.cmp(&b.row))
        });
        for (i, p) in priorities.iter_mut().enumerate() {
            p.rank = i + 1;
        }
        Ok(LtsPriorities {
            base: LtsScenario::UnderConstruction,
            with: LtsScenario::Plan,
            ruleset: rules.id.clone(),
            ruleset_version: rules.version,
            centre_island_residents: centre.map_or(0.0, |c| residents[c as usize]),
            priorities,
        })
    }
}
