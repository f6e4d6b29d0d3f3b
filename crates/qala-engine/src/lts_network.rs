//! Stress per street segment and the low-stress islands (connected components of the
//! streets at LTS ≤ [`LOW_STRESS_MAX`]) for a scenario of the bike-lane plan.
//!
//! Rules (docs/lts.md; the reference SQL follows the same ones):
//! - every way of the roads layer gets one [`SegmentLts`] from the ruleset; the roads kind
//!   carries `highway` only, so max speed, lanes and one-way come from the default rows and
//!   are listed as assumed;
//! - a bike lane of the scenario runs along a way when the points at 10 %, 50 % and 90 % of
//!   each of the way's lines are within [`LANE_MATCH_M`] of a lane; the way then has the
//!   facility of the lane nearest its middle;
//! - the low-stress graph is the street graph of the ways at LTS ≤ 2 (same node grid and
//!   edges as the walking graph); an island is one of its connected components, numbered
//!   1, 2, … by length, longest first;
//! - a population cell reaches the island its centroid snaps onto (nearest low-stress edge
//!   within [`crate::SNAP_M`]);
//! - where a layer is bound to the `elevation` role, every way gets its gradient
//!   (`elevation.rs`) and the ruleset's slope rules may raise its stress.

use std::str::FromStr;

use geo::{BoundingRect, Euclidean, InterpolatableLine, Length};
use geo_types::{Geometry, LineString, Point};
use qala_core::LayerKind;
use rstar::RTree;
use rstar::primitives::{GeomWithData, Line};
use serde::Serialize;

use std::sync::Arc;

use geo_types::Coord;

use crate::EngineError;
use crate::engine::Engine;
use crate::lts_ruleset::{Gradient, LtsRuleset, RoadTags, SegmentLts};
use crate::project::Projector;
use crate::street_graph::{Snap, StreetGraph};

/// The highest stress of the low-stress network.
pub const LOW_STRESS_MAX: u8 = 2;
/// How far a bike lane may lie from a street to count as running along it.
pub const LANE_MATCH_M: f64 = 15.0;

/// Which bike lanes count: those built, those built or being built, or the whole plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LtsScenario {
    #[default]
    Existing,
    /// Existing and under construction.
    UnderConstruction,
    /// Every lane: existing, under construction and planned.
    Plan,
}

impl LtsScenario {
    pub const ALL: [LtsScenario; 3] = [LtsScenario::Existing, LtsScenario::UnderConstruction, LtsScenario::Plan];

    pub fn name(self) -> &'static str {
        match self {
            LtsScenario::Existing => "existing",
            LtsScenario::UnderConstruction => "under_construction",
            LtsScenario::Plan => "plan",
        }
    }

    /// The lane statuses the scenario counts.
    pub fn statuses(self) -> &'static [&'static str] {
        match self {
            LtsScenario::Existing => &["existing"],
            LtsScenario::UnderConstruction => &["existing", "under_construction"],
            LtsScenario::Plan => &["existing", "under_construction", "planned"],
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl FromStr for LtsScenario {
    type Err = EngineError;

    /// ```
    /// use qala_engine::LtsScenario;
    /// assert_eq!("plan".parse::<LtsScenario>().unwrap(), LtsScenario::Plan);
    /// assert_eq!("invalid_lts_scenario", "built".parse::<LtsScenario>().unwrap_err().code());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LtsScenario::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| EngineError::InvalidLtsScenario(s.to_owned()))
    }
}

/// One low-stress island.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LtsIsland {
    /// 1 = the longest.
    pub id: u32,
    pub length_km: f64,
    /// Street ways (whole or in part) in the island.
    pub ways: usize,
    /// Residents of the cells that join the low-stress network on this island.
    pub residents: f64,
    pub cells: usize,
}

/// The islands of one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct LtsIslands {
    pub scenario: LtsScenario,
    pub ruleset: String,
    pub ruleset_version: u32,
    pub max_lts: u8,
    pub roads_layer: String,
    /// Ways per LTS 1..4.
    pub ways_by_lts: [usize; 4],
    pub low_stress_km: f64,
    /// Residents whose cell joins no low-stress street within the snap distance.
    pub residents_off_network: f64,
    pub islands: Vec<LtsIsland>,
}

/// The stress network of one scenario, built on first use.
pub(crate) struct LtsNetwork {
    pub segments: Vec<SegmentLts>,
    /// Status of the lane matched to each way, if any.
    pub lane_status: Vec<Option<String>>,
    pub cell_snap: Vec<Option<Snap>>,
    /// The street graph of the ways at LTS ≤ [`LOW_STRESS_MAX`].
    pub graph: StreetGraph,
    /// Island id of each way (its first low-stress edge), `None` above LTS 2.
    pub island_of_way: Vec<Option<u32>>,
    pub islands: Vec<LtsIsland>,
    pub roads: String,
    /// lon/lat bounds of each way (min lon, min lat, max lon, max lat), for bbox queries.
    pub bounds_wgs84: Vec<[f64; 4]>,
}

type LaneEntry = GeomWithData<Line<[f64; 2]>, (u32, u32)>;

/// Points at 10 %, 50 % and 90 % along each line of a way.
fn samples(g: &Geometry<f64>) -> Vec<Point<f64>> {
    let lines: Vec<&LineString<f64>> = match g {
        Geometry::LineString(l) => vec![l],
        Geometry::MultiLineString(m) => m.0.iter().collect(),
        _ => Vec::new(),
    };
    lines
        .into_iter()
        .flat_map(|l| {
            [0.1, 0.5, 0.9]
                .into_iter()
                .filter_map(|f| l.point_at_ratio_from_start(&Euclidean, f))
        })
        .collect()
}

/// A change to the cycling network applied in memory for a what-if (`lts_what_if.rs`):
/// a lane added or removed, a street way's max speed set. The default changes nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct LtsEdit {
    /// A lane added (UTM), with its status and facility.
    pub added_lane: Option<AddedLane>,
    /// A lane taken away: (its layer's slug, its feature index).
    pub removed_lane: Option<(String, usize)>,
    /// A street way (index in the roads layer) and its new max speed, km/h.
    pub max_speed: Option<(usize, f64)>,
}

#[derive(Debug, Clone)]
pub(crate) struct AddedLane {
    pub geom_utm: Geometry<f64>,
    pub status: String,
    pub facility: String,
}

/// The lane data of an added lane in a [`LaneEntry`].
const ADDED: u32 = u32::MAX;

impl LtsNetwork {
    fn build(engine: &Engine, rules: &LtsRuleset, scenario: LtsScenario) -> Result<LtsNetwork, EngineError> {
        let mut net = LtsNetwork::build_with(engine, rules, scenario, &LtsEdit::default())?;
        let roads = engine
            .role_layer("roads", LayerKind::Road, "roads")
            .ok_or(EngineError::MissingRoads)?;
        net.bounds_wgs84 = bounds_wgs84(roads.index.geometries())?;
        Ok(net)
    }

    /// The network of `scenario` with `edit` applied; `bounds_wgs84` is left empty (the
    /// what-if reads no bbox).
    pub(crate) fn build_with(
        engine: &Engine,
        rules: &LtsRuleset,
        scenario: LtsScenario,
        edit: &LtsEdit,
    ) -> Result<LtsNetwork, EngineError> {
        let roads = engine
            .role_layer("roads", LayerKind::Road, "roads")
            .ok_or(EngineError::MissingRoads)?;
        // Lane segments of the scenario, each tagged (lane layer, feature).
        let lanes = engine.role_layers("bike_lanes", LayerKind::BikeLane);
        let mut entries: Vec<LaneEntry> = Vec::new();
        let mut push = |g: &Geometry<f64>, tag: (u32, u32)| {
            for line in lines_of(g) {
                for w in line.0.windows(2) {
                    entries.push(GeomWithData::new(Line::new([w[0].x, w[0].y], [w[1].x, w[1].y]), tag));
                }
            }
        };
        for (li, l) in lanes.iter().enumerate() {
            for (fi, g) in l.index.geometries().iter().enumerate() {
                if !l
                    .str_ref("status", fi)
                    .is_some_and(|s| scenario.statuses().contains(&s))
                    || edit
                        .removed_lane
                        .as_ref()
                        .is_some_and(|(slug, i)| *slug == l.slug && *i == fi)
                {
                    continue;
                }
                push(g, (li as u32, fi as u32));
            }
        }
        if let Some(a) = edit
            .added_lane
            .as_ref()
            .filter(|a| scenario.statuses().contains(&a.status.as_str()))
        {
            push(&a.geom_utm, (ADDED, 0));
        }
        let tree = RTree::bulk_load(entries);
        let near = |p: &Point<f64>| -> Option<(u32, u32)> {
            let q = [p.x(), p.y()];
            tree.nearest_neighbor(&q)
                .filter(|e| rstar::PointDistance::distance_2(e.geom(), &q) <= LANE_MATCH_M * LANE_MATCH_M)
                .map(|e| e.data)
        };
        let gradients = engine.lts_gradients();
        let mut segments = Vec::with_capacity(roads.len());
        let mut lane_status = Vec::with_capacity(roads.len());
        for (i, g) in roads.index.geometries().iter().enumerate() {
            let pts = samples(g);
            let lane = if !pts.is_empty() && pts.iter().all(|p| near(p).is_some()) {
                near(&pts[pts.len().min(3) / 2])
            } else {
                None
            };
            let added = edit.added_lane.as_ref();
            let facility = lane.and_then(|(li, fi)| match li {
                ADDED => added.map(|a| a.facility.as_str()),
                _ => lanes[li as usize].str_ref("facility", fi as usize),
            });
            lane_status.push(lane.and_then(|(li, fi)| match li {
                ADDED => added.map(|a| a.status.clone()),
                _ => lanes[li as usize].text("status", fi as usize),
            }));
            segments.push(rules.classify(&RoadTags {
                highway: roads.str_ref("highway", i),
                facility,
                max_speed_kmh: edit.max_speed.filter(|(w, _)| *w == i).map(|(_, v)| v),
                gradient: gradients.get(i).copied().flatten(),
                ..RoadTags::default()
            }));
        }
        let low: Vec<bool> = segments.iter().map(|s| s.lts <= LOW_STRESS_MAX).collect();
        let graph = StreetGraph::new(roads.index.geometries(), &low);
        let cell_snap: Vec<Option<Snap>> = graph.snap_all(engine.cell_points());
        let (label, count) = graph.component_labels();
        let mut length = vec![0.0f64; count];
        let mut ways = vec![0usize; count];
        let mut way_comp: Vec<Option<u32>> = vec![None; roads.len()];
        for e in 0..graph.stats().edges as u32 {
            let (a, _, len) = graph.edge(e);
            let c = label[a as usize];
            length[c as usize] += len;
            let w = graph.way_of_edge(e) as usize;
            if way_comp[w].is_none() {
                way_comp[w] = Some(c);
                ways[c as usize] += 1;
            }
        }
        let (mut residents, mut cells) = (vec![0.0f64; count], vec![0usize; count]);
        if let Some(p) = engine.population.as_ref() {
            for (c, s) in cell_snap.iter().enumerate() {
                if let Some(s) = s {
                    let comp = label[graph.edge(s.edge).0 as usize] as usize;
                    residents[comp] += p.residents[c];
                    cells[comp] += 1;
                }
            }
        }
        // Ids by length, longest first; ties by component order (deterministic).
        let mut order: Vec<usize> = (0..count).filter(|&c| length[c] > 0.0).collect();
        order.sort_by(|&a, &b| length[b].total_cmp(&length[a]).then(a.cmp(&b)));
        let mut id_of = vec![0u32; count];
        let islands = order
            .iter()
            .enumerate()
            .map(|(rank, &c)| {
                id_of[c] = rank as u32 + 1;
                LtsIsland {
                    id: rank as u32 + 1,
                    length_km: length[c] / 1000.0,
                    ways: ways[c],
                    residents: residents[c],
                    cells: cells[c],
                }
            })
            .collect();
        let island_of_way = way_comp.iter().map(|c| c.map(|c| id_of[c as usize])).collect();
        Ok(LtsNetwork {
            segments,
            lane_status,
            cell_snap,
            graph,
            island_of_way,
            islands,
            roads: roads.slug.clone(),
            bounds_wgs84: Vec::new(),
        })
    }

    pub fn summary(&self, engine: &Engine, rules: &LtsRuleset, scenario: LtsScenario) -> LtsIslands {
        let mut ways_by_lts = [0usize; 4];
        for s in &self.segments {
            ways_by_lts[(s.lts.clamp(1, 4) - 1) as usize] += 1;
        }
        let off = engine.population.as_ref().map_or(0.0, |p| {
            self.cell_snap
                .iter()
                .zip(&p.residents)
                .filter(|(s, _)| s.is_none())
                .map(|(_, r)| *r)
                .sum()
        });
        LtsIslands {
            scenario,
            ruleset: rules.id.clone(),
            ruleset_version: rules.version,
            max_lts: LOW_STRESS_MAX,
            roads_layer: self.roads.clone(),
            ways_by_lts,
            low_stress_km: self.islands.iter().map(|i| i.length_km).sum(),
            residents_off_network: off,
            islands: self.islands.clone(),
        }
    }
}

/// lon/lat bounds of each way: the bounds of its UTM box's four projected corners.
fn bounds_wgs84(ways: &[Geometry<f64>]) -> Result<Vec<[f64; 4]>, EngineError> {
    let inv = Projector::to_wgs84()?;
    ways.iter()
        .map(|g| {
            let Some(r) = g.bounding_rect() else {
                return Ok([f64::NAN; 4]);
            };
            let (a, b) = (inv.coord(r.min())?, inv.coord(r.max())?);
            let (c, d) = (
                inv.coord(Coord {
                    x: r.min().x,
                    y: r.max().y,
                })?,
                inv.coord(Coord {
                    x: r.max().x,
                    y: r.min().y,
                })?,
            );
            Ok([
                a.x.min(b.x).min(c.x).min(d.x),
                a.y.min(b.y).min(c.y).min(d.y),
                a.x.max(b.x).max(c.x).max(d.x),
                a.y.max(b.y).max(c.y).max(d.y),
            ])
        })
        .collect::<Result<Vec<_>, EngineError>>()
}

fn lines_of(g: &Geometry<f64>) -> Vec<&LineString<f64>> {
    match g {
        Geometry::LineString(l) => vec![l],
        Geometry::MultiLineString(m) => m.0.iter().collect(),
        _ => Vec::new(),
    }
}

/// Length of a way in metres (UTM).
pub(crate) fn way_length_m(g: &Geometry<f64>) -> f64 {
    lines_of(g).iter().map(|l| Euclidean.length(*l)).sum()
}

type Slot = crate::par::TryOnce<LtsNetwork>;

/// Cache of the three scenarios' networks (a failed build is not kept), and of the ways'
/// gradients (empty without an elevation binding), which no scenario changes.
#[derive(Default)]
pub(crate) struct LtsCache([Slot; 3], std::sync::OnceLock<Arc<Vec<Option<Gradient>>>>);

/// A page of segments with their stress.
#[derive(Debug, Clone, Serialize)]
pub struct LtsSegmentPage {
    pub scenario: LtsScenario,
    pub ruleset: String,
    pub ruleset_version: u32,
    /// Segments matching the bbox (all pages).
    pub total: usize,
    pub offset: usize,
    pub segments: Vec<LtsSegment>,
}

/// One street way with its stress, reason and island.
#[derive(Debug, Clone, Serialize)]
pub struct LtsSegment {
    /// Source row in the roads layer.
    pub row: u64,
    pub highway: Option<String>,
    pub name: Option<String>,
    #[serde(flatten)]
    pub lts: SegmentLts,
    pub reason: String,
    pub lane_status: Option<String>,
    pub island: Option<u32>,
    pub length_m: f64,
    /// lon/lat.
    #[serde(skip)]
    pub geometry_wgs84: Geometry<f64>,
}

impl LtsSegmentPage {
    /// A GeoJSON FeatureCollection (lon/lat) with every field of [`LtsSegment`] as a
    /// property, and `total`, `offset`, `scenario` and the ruleset beside the features.
    pub fn to_geojson(&self) -> serde_json::Value {
        let features: Vec<serde_json::Value> = self
            .segments
            .iter()
            .map(|s| {
                serde_json::json!({
                    "type": "Feature",
                    "id": s.row,
                    "geometry": geometry_json(&s.geometry_wgs84),
                    "properties": s,
                })
            })
            .collect();
        serde_json::json!({
            "type": "FeatureCollection",
            "scenario": self.scenario,
            "ruleset": self.ruleset,
            "ruleset_version": self.ruleset_version,
            "total": self.total,
            "offset": self.offset,
            "features": features,
        })
    }
}

fn geometry_json(g: &Geometry<f64>) -> serde_json::Value {
    let line = |l: &LineString<f64>| -> Vec<[f64; 2]> { l.0.iter().map(|c| [c.x, c.y]).collect() };
    match g {
        Geometry::LineString(l) => serde_json::json!({"type": "LineString", "coordinates": line(l)}),
        Geometry::MultiLineString(m) => {
            serde_json::json!({"type": "MultiLineString", "coordinates": m.0.iter().map(line).collect::<Vec<_>>()})
        }
        _ => serde_json::Value::Null,
    }
}

/// Which segments to list.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LtsSegmentQuery {
    pub scenario: LtsScenario,
    /// lon/lat (min lon, min lat, max lon, max lat): segments whose bounds meet it.
    pub bbox_wgs84: Option<[f64; 4]>,
    pub limit: usize,
    pub offset: usize,
}

impl Engine {
    /// The gradient of every way of the roads layer over the bound elevation layer (empty
    /// without a binding or a road layer), computed once.
    pub(crate) fn lts_gradients(&self) -> Arc<Vec<Option<Gradient>>> {
        self.lts_cache
            .1
            .get_or_init(|| {
                let (Some(roads), Some(elev)) = (
                    self.role_layer("roads", LayerKind::Road, "roads"),
                    self.elevation_layer(),
                ) else {
                    return Arc::new(Vec::new());
                };
                let surface = crate::elevation::ElevationSurface::from_layer(elev);
                Arc::new(roads.index.geometries().iter().map(|g| surface.gradient(g)).collect())
            })
            .clone()
    }

    /// The LTS ruleset in force (the shipped `sql/indicators/lts_rules.json`).
    pub fn lts_rules(&self) -> Result<LtsRuleset, EngineError> {
        LtsRuleset::shipped()
    }

    pub(crate) fn lts_network(&self, scenario: LtsScenario) -> Result<(Arc<LtsNetwork>, LtsRuleset), EngineError> {
        let rules = self.lts_rules()?;
        let net = self.lts_cache.0[scenario.index()].get_or_try_init(|| LtsNetwork::build(self, &rules, scenario))?;
        Ok((net, rules))
    }

    /// Low-stress islands of a scenario, longest first.
    ///
    /// Errors: `missing_roads` without a road layer.
    pub fn lts_islands(&self, scenario: LtsScenario) -> Result<LtsIslands, EngineError> {
        let (net, rules) = self.lts_network(scenario)?;
        Ok(net.summary(self, &rules, scenario))
    }

    /// Street segments with stress, reason and island, in source-row order, one page.
    ///
    /// Errors: `missing_roads`.
    pub fn lts_segments(&self, q: &LtsSegmentQuery) -> Result<LtsSegmentPage, EngineError> {
        let (net, rules) = self.lts_network(q.scenario)?;
        let roads = self
            .role_layer("roads", LayerKind::Road, "roads")
            .ok_or(EngineError::MissingRoads)?;
        let inv = Projector::to_wgs84()?;
        // Lines are straight in UTM and curve slightly in lon/lat; the bounds of the four
        // projected corners hold a city-sized way to well under a metre.
        let hits: Vec<usize> = match q.bbox_wgs84 {
            None => (0..roads.len()).collect(),
            Some([x0, y0, x1, y1]) => net
                .bounds_wgs84
                .iter()
                .enumerate()
                .filter(|(_, b)| b[0] <= x1 && x0 <= b[2] && b[1] <= y1 && y0 <= b[3])
                .map(|(i, _)| i)
                .collect(),
        };
        let segments = hits
            .iter()
            .skip(q.offset)
            .take(q.limit)
            .map(|&i| {
                let g = &roads.index.geometries()[i];
                let lts = net.segments[i].clone();
                Ok(LtsSegment {
                    row: roads.rows[i],
                    highway: roads.text("highway", i),
                    name: roads.text("name", i),
                    reason: lts.reason(),
                    lts,
                    lane_status: net.lane_status[i].clone(),
                    island: net.island_of_way[i],
                    length_m: way_length_m(g),
                    geometry_wgs84: inv.geometry(g)?,
                })
            })
            .collect::<Result<Vec<_>, EngineError>>()?;
        Ok(LtsSegmentPage {
            scenario: q.scenario,
            ruleset: rules.id.clone(),
            ruleset_version: rules.version,
            total: hits.len(),
            offset: q.offset,
            segments,
        })
    }
}
