//! The engine: served layers in memory (UTM 43N, R-trees) and the public queries.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use chrono::NaiveDate;
use geo::Centroid;
use geo_types::{Coord, Point};
use qala_core::LayerKind;
use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::indicator_def::{FeatureFilter, FieldEquals, IndicatorDef, LayerSelector, Measure, Names, Norm};
use crate::input_role::Bindings;
use crate::layer::{LayerData, SourceLayer};
use crate::network::Network;
use crate::project::Projector;
use crate::result::{IndicatorResult, ZoneCollection};
use crate::street_graph::GraphStats;
use crate::zone_set::ZoneSet;
use crate::{DistanceMode, EngineError, ZoneScheme};

/// Largest radius an access query may ask for (the city is ~40 km across).
pub const MAX_RADIUS_M: f64 = 50_000.0;

/// Threads [`Engine::compute_all_in`] shares the definitions among, at most.
const MAX_COMPUTE_THREADS: usize = 4;

/// Settings of an engine.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// The date overdue compensation is judged at (default: today, UTC).
    pub as_of: NaiveDate,
    /// The indicator set (default: [`crate::default_indicators`]).
    pub indicators: Vec<IndicatorDef>,
    /// Which layers fill each input role. `None` (engines built from a few layers, as in
    /// tests): a role reads every held layer of its kind.
    pub bindings: Option<Bindings>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            as_of: chrono::Utc::now().date_naive(),
            indicators: crate::default_indicators(),
            bindings: None,
        }
    }
}

/// The residents: one point per population cell (its UTM centroid).
pub(crate) struct Population {
    pub slug: String,
    pub points: Vec<Point<f64>>,
    pub residents: Vec<f64>,
    pub tree: RTree<GeomWithData<[f64; 2], u32>>,
}

/// A layer an indicator reads, and the filter its features must pass there.
pub(crate) struct Selected<'a> {
    pub layer: &'a LayerData,
    pub filter: FeatureFilter,
}

impl Population {
    fn from_layer(l: LayerData) -> Population {
        let points: Vec<Point<f64>> = l
            .index
            .geometries()
            .iter()
            .map(|g| g.centroid().unwrap_or(Point::new(f64::NAN, f64::NAN)))
            .collect();
        let residents: Vec<f64> = (0..l.len()).map(|i| l.float("residents", i).unwrap_or(0.0)).collect();
        let tree = RTree::bulk_load(
            points
                .iter()
                .enumerate()
                .filter(|(_, p)| p.x().is_finite())
                .map(|(i, p)| GeomWithData::new([p.x(), p.y()], i as u32))
                .collect(),
        );
        Population {
            slug: l.slug,
            points,
            residents,
            tree,
        }
    }
}

/// One population cell (its centroid, WGS84) and its straight-line distance to the nearest
/// counted feature, metres.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CellDistance {
    pub lon: f64,
    pub lat: f64,
    pub residents: f64,
    pub distance_m: Option<f64>,
}

/// An ad-hoc access question: share of residents within `radius_m` of any feature of
/// `layer` (a slug) passing `filter`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AccessQuery {
    pub layer: String,
    pub radius_m: f64,
    #[serde(default)]
    pub filter: Vec<FieldEquals>,
    /// Straight line (default) or along the street network.
    #[serde(default)]
    pub distance: DistanceMode,
}

/// The in-memory spatial engine. Immutable once built except for internal caches, so it is
/// `Send + Sync`; share it as `Arc<Engine>` (see [`crate::SharedEngine`] to swap in a
/// fresh one when a layer changes).
pub struct Engine {
    /// Shared with the engines made from this one by [`Engine::with_layers`].
    pub(crate) layers: Vec<Arc<LayerData>>,
    pub(crate) population: Option<Arc<Population>>,
    pub(crate) options: EngineOptions,
    pub(crate) centre_utm: Point<f64>,
    versions: BTreeMap<String, i64>,
    zone_cache: Mutex<HashMap<String, Arc<ZoneSet>>>,
    pub(crate) coverage_cache: Mutex<HashMap<String, Arc<Vec<bool>>>>,
    planting: std::sync::OnceLock<Arc<crate::planting::PlantingData>>,
    /// The street graph, built on the first network query; `None` without a road layer.
    network: std::sync::OnceLock<Option<Arc<Network>>>,
    /// The stress networks of the three lane scenarios, built on first use.
    pub(crate) lts_cache: crate::lts_network::LtsCache,
    pub(crate) profile_cache: crate::walk_profile::ProfileCache,
    /// The street graphs of the networks above, shared between networks keeping the same ways.
    graphs: crate::street_graph::GraphCache,
}

impl Engine {
    /// Builds the engine from served layers (WGS84, as `qala_store::read` returns them):
    /// projects every geometry to UTM 43N and indexes it. The population comes from the
    /// layer with slug `population`, or else the first `population_cell` layer.
    pub fn from_layers(
        layers: impl IntoIterator<Item = SourceLayer>,
        options: EngineOptions,
    ) -> Result<Engine, EngineError> {
        let fwd = Projector::to_utm()?;
        let mut data: Vec<LayerData> = Vec::new();
        let mut versions = BTreeMap::new();
        for l in layers {
            versions.insert(l.slug.clone(), l.layer_version_id);
            data.push(LayerData::build(l, &fwd)?);
        }
        data.sort_by(|a, b| a.slug.cmp(&b.slug));
        // Residents: the layer bound to the population role; without bindings, the layer
        // `population` or else the first population_cell layer.
        let pop_pos = match &options.bindings {
            Some(b) => b.layers("population").first().and_then(|bound| {
                data.iter()
                    .position(|l| l.kind == LayerKind::PopulationCell && l.slug == bound.slug)
            }),
            None => data
                .iter()
                .position(|l| l.kind == LayerKind::PopulationCell && l.slug == "population")
                .or_else(|| data.iter().position(|l| l.kind == LayerKind::PopulationCell)),
        };
        let population = pop_pos.map(|i| Arc::new(Population::from_layer(data.remove(i))));
        let (lon, lat) = qala_core::REPUBLIC_SQUARE_WGS84;
        let centre_utm = Point::from(fwd.coord(Coord { x: lon, y: lat })?);
        let engine = Engine {
            layers: data.into_iter().map(Arc::new).collect(),
            population,
            options,
            centre_utm,
            versions,
            zone_cache: Mutex::new(HashMap::new()),
            coverage_cache: Mutex::new(HashMap::new()),
            planting: std::sync::OnceLock::new(),
            network: std::sync::OnceLock::new(),
            lts_cache: Default::default(),
            profile_cache: Default::default(),
            graphs: Default::default(),
        };
        // Linking plantings to fellings is part of loading, like the R-trees.
        engine.planting_data();
        Ok(engine)
    }

    /// The indicator definitions this engine computes.
    pub fn definitions(&self) -> &[IndicatorDef] {
        &self.options.indicators
    }

    /// One definition by id.
    pub fn definition(&self, id: &str) -> Result<&IndicatorDef, EngineError> {
        self.options.indicators.iter().find(|d| d.id == id).ok_or_else(|| {
            let known: Vec<&str> = self.options.indicators.iter().map(|d| d.id.as_str()).collect();
            EngineError::UnknownIndicator(id.to_owned(), known.join(", "))
        })
    }

    /// slug -> served layer_version_id of every layer loaded. Compare with the store's
    /// (`qala_store::read::served_versions`) to know when to rebuild.
    pub fn layer_versions(&self) -> &BTreeMap<String, i64> {
        &self.versions
    }

    /// The as-of date of compensation figures.
    pub fn as_of(&self) -> NaiveDate {
        self.options.as_of
    }

    /// The slug of the layer residents come from.
    pub fn population_layer(&self) -> Option<&str> {
        self.population.as_ref().map(|p| p.slug.as_str())
    }

    /// (slug, kind, features) of every layer held besides the population.
    pub fn layers(&self) -> Vec<(String, LayerKind, usize)> {
        self.layers.iter().map(|l| (l.slug.clone(), l.kind, l.len())).collect()
    }

    /// Total residents of the population layer (0 without one).
    pub fn total_residents(&self) -> f64 {
        self.population.as_ref().map_or(0.0, |p| p.residents.iter().sum())
    }

    /// Computes indicator `id` for `scheme`.
    pub fn compute(&self, id: &str, scheme: &ZoneScheme) -> Result<IndicatorResult, EngineError> {
        let def = self.definition(id)?.clone();
        self.compute_def(&def, scheme)
    }

    /// Computes indicator `id` for `scheme` with access distances in `mode`.
    ///
    /// Errors: network mode for an indicator that measures no distance
    /// (`not_access_indicator`), or without a road layer (`missing_roads`).
    pub fn compute_in(
        &self,
        id: &str,
        scheme: &ZoneScheme,
        mode: DistanceMode,
    ) -> Result<IndicatorResult, EngineError> {
        let def = self.definition(id)?.clone().with_distance(mode)?;
        self.compute_def(&def, scheme)
    }

    /// Computes every indicator for `scheme`.
    pub fn compute_all(&self, scheme: &ZoneScheme) -> Result<Vec<IndicatorResult>, EngineError> {
        self.compute_all_in(scheme, DistanceMode::Straight)
    }

    /// Computes every indicator for `scheme`, access indicators with distances in `mode`
    /// (the others measure no distance and are computed as they are).
    ///
    /// The work is shared out among the machine's cores (at most four threads): first the
    /// zones, then the structures several definitions share (the street networks, the
    /// zones of the plantings), biggest first and each on its own core, then the
    /// definitions. Each definition is computed whole by one thread exactly as alone, so
    /// the results are the same to the last bit; they come back in definition order, or
    /// the first definition's error.
    pub fn compute_all_in(&self, scheme: &ZoneScheme, mode: DistanceMode) -> Result<Vec<IndicatorResult>, EngineError> {
        let defs = self
            .options
            .indicators
            .iter()
            .map(|d| {
                if d.distance().is_some() {
                    d.clone().with_distance(mode)
                } else {
                    Ok(d.clone())
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let workers = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(MAX_COMPUTE_THREADS)
            .min(defs.len());
        if workers <= 1 {
            return defs.iter().map(|d| self.compute_def(d, scheme)).collect();
        }
        // Resolved once here rather than by every thread at once. An error is left for the
        // definitions to report, in their order.
        let zs = self.zone_set(scheme).ok();
        let shared = shared_structures(&defs);
        let tasks = shared.len() + defs.len();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut out: Vec<Option<Result<IndicatorResult, EngineError>>> = (0..defs.len()).map(|_| None).collect();
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    s.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            if i >= tasks {
                                break;
                            }
                            match shared.get(i) {
                                // A failed build is not kept: the definitions that need it
                                // build it again and report its error.
                                Some(w) => self.build_shared(*w, zs.as_deref()),
                                None => {
                                    let d = i - shared.len();
                                    mine.push((d, self.compute_def(&defs[d], scheme)));
                                }
                            }
                        }
                        mine
                    })
                })
                .collect();
            for h in handles {
                match h.join() {
                    Ok(mine) => {
                        for (i, r) in mine {
                            out[i] = Some(r);
                        }
                    }
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        });
        // Every slot is filled: the workers take tasks until none is left, and a panic
        // was passed on above.
        out.into_iter().flatten().collect()
    }

    /// Builds one cached structure that definitions share, ignoring a failure (see
    /// [`Engine::compute_all_in`]); the plantings' zones only when the zones resolved.
    fn build_shared(&self, what: Shared, zs: Option<&ZoneSet>) {
        match what {
            Shared::Lts(scenario) => drop(self.lts_network(scenario)),
            Shared::Profile(profile) => drop(self.profile_network(profile)),
            Shared::Walk => drop(self.network()),
            Shared::PlantingZones => {
                if let Some(zs) = zs {
                    crate::planting::zones(self, zs);
                }
            }
        }
    }

    /// The walkable street graph (nodes, edges, components), built now if not yet.
    ///
    /// Errors: `missing_roads` when no road layer is served.
    pub fn street_network(&self) -> Result<GraphStats, EngineError> {
        Ok(self.network()?.shared.graph.stats())
    }

    pub(crate) fn network(&self) -> Result<Arc<Network>, EngineError> {
        self.network
            .get_or_init(|| Network::build(self).map(Arc::new))
            .clone()
            .ok_or(EngineError::MissingRoads)
    }

    /// The generic access indicator for an ad-hoc question.
    ///
    /// Errors: unknown layer (`unknown_layer`), a negative, non-finite or huge radius
    /// (`invalid_radius`), a filter on a field the layer lacks (`unknown_field`).
    pub fn access(&self, q: &AccessQuery, scheme: &ZoneScheme) -> Result<IndicatorResult, EngineError> {
        let def = access_def(q);
        self.compute_def(&def, scheme)
    }

    /// Every population cell with its distance in a straight line (m, UTM 43N) to the nearest
    /// feature an access indicator counts (`None` when there is none), for a map of where the
    /// gap is. The same R-trees and selection as the indicator.
    ///
    /// Errors: `not_access_indicator` for an indicator that measures no distance.
    pub fn cell_distances(&self, def: &IndicatorDef) -> Result<Vec<CellDistance>, EngineError> {
        let Measure::Access { layer, .. } = &def.measure else {
            return Err(EngineError::NotAccessIndicator(def.id.clone()));
        };
        let pop = self.population()?;
        let layers = self.selected(layer)?;
        let masks: Vec<Vec<bool>> = layers.iter().map(|s| s.layer.mask(&s.filter)).collect();
        let inv = Projector::to_wgs84()?;
        let mut out = Vec::with_capacity(pop.points.len());
        for (c, p) in pop.points.iter().enumerate() {
            if !p.x().is_finite() {
                continue;
            }
            let distance_m = layers
                .iter()
                .zip(&masks)
                .filter_map(|(s, m)| s.layer.index.nearest_where(*p, |i| m[i]).map(|(_, d)| d))
                .min_by(f64::total_cmp);
            let w = inv.coord(p.0)?;
            out.push(CellDistance {
                lon: w.x,
                lat: w.y,
                residents: pop.residents[c],
                distance_m,
            });
        }
        Ok(out)
    }

    /// The zones of `scheme` for a map (WGS84), with roles and residents.
    pub fn zones(&self, scheme: &ZoneScheme) -> Result<ZoneCollection, EngineError> {
        let zs = self.zone_set(scheme)?;
        crate::compute::zone_collection(self, &zs)
    }

    /// This engine with `changed` layers replaced (or added): only those are projected and
    /// indexed again; every other layer, and the street graph and the planting links when
    /// their inputs did not change, are shared with this engine. Caches start empty. The
    /// result equals an engine built from scratch on the same layers (a test checks).
    ///
    /// Engines without bindings (where a new layer could change which one holds the
    /// residents) are rebuilt whole.
    pub fn with_layers(&self, changed: impl IntoIterator<Item = SourceLayer>) -> Result<Engine, EngineError> {
        let changed: Vec<SourceLayer> = changed.into_iter().collect();
        let Some(bindings) = &self.options.bindings else {
            return Err(EngineError::InvalidBinding {
                role: "population".into(),
                why: "an engine without bindings is rebuilt whole".into(),
            });
        };
        let fwd = Projector::to_utm()?;
        let pop_slug = bindings.layers("population").first().map(|b| b.slug.clone());
        let mut layers = self.layers.clone();
        let mut population = self.population.clone();
        let mut versions = self.versions.clone();
        let (mut roads_changed, mut pop_changed, mut planting_changed) = (false, false, false);
        for src in changed {
            versions.insert(src.slug.clone(), src.layer_version_id);
            let kind = src.kind;
            let data = LayerData::build(src, &fwd)?;
            layers.retain(|l| l.slug != data.slug);
            match kind {
                LayerKind::Road => roads_changed = true,
                LayerKind::TreeFelling | LayerKind::TreePlanting => planting_changed = true,
                _ => {}
            }
            if kind == LayerKind::PopulationCell && pop_slug.as_deref() == Some(data.slug.as_str()) {
                pop_changed = true;
                population = Some(Arc::new(Population::from_layer(data)));
            } else {
                layers.push(Arc::new(data));
            }
        }
        layers.sort_by(|a, b| a.slug.cmp(&b.slug));
        let planting = std::sync::OnceLock::new();
        if !planting_changed && let Some(p) = self.planting.get() {
            let _ = planting.set(p.clone());
        }
        let network = std::sync::OnceLock::new();
        let mut graphs = crate::street_graph::GraphCache::default();
        if !roads_changed && !pop_changed {
            if let Some(n) = self.network.get() {
                let _ = network.set(n.clone());
            }
            graphs = self.graphs.share();
        }
        let engine = Engine {
            layers,
            population,
            options: self.options.clone(),
            centre_utm: self.centre_utm,
            versions,
            zone_cache: Mutex::new(HashMap::new()),
            coverage_cache: Mutex::new(HashMap::new()),
            planting,
            network,
            lts_cache: Default::default(),
            profile_cache: Default::default(),
            graphs,
        };
        engine.planting_data();
        Ok(engine)
    }

    /// Computes any definition (also ones not in [`Engine::definitions`]).
    pub fn compute_def(&self, def: &IndicatorDef, scheme: &ZoneScheme) -> Result<IndicatorResult, EngineError> {
        validate_def(def)?;
        let zs = self.zone_set(scheme)?;
        crate::compute::compute(self, def, &zs)
    }

    /// Fellings and plantings linked by permit, built on first use.
    pub(crate) fn planting_data(&self) -> &crate::planting::PlantingData {
        self.planting.get_or_init(|| {
            Arc::new(crate::planting::PlantingData::build(
                &self.role_layers("tree_fellings", LayerKind::TreeFelling),
                &self.role_layers("tree_plantings", LayerKind::TreePlanting),
            ))
        })
    }

    /// The centroids of the population cells (none without a population layer).
    pub(crate) fn cell_points(&self) -> &[Point<f64>] {
        self.population.as_ref().map_or(&[], |p| &p.points)
    }

    /// The cached street graph of `roads`' ways kept by `walkable`, with the cells snapped.
    pub(crate) fn street_graph(
        &self,
        roads: &LayerData,
        walkable: Vec<bool>,
    ) -> Arc<crate::street_graph::SnappedGraph> {
        self.graphs
            .get(&roads.slug, roads.index.geometries(), walkable, self.cell_points())
    }

    pub(crate) fn population(&self) -> Result<&Population, EngineError> {
        self.population.as_deref().ok_or(EngineError::NoPopulation)
    }

    pub(crate) fn layer(&self, slug: &str) -> Result<&LayerData, EngineError> {
        self.layers
            .iter()
            .find(|l| l.slug == slug)
            .map(|l| &**l)
            .ok_or_else(|| EngineError::UnknownLayer(slug.to_owned()))
    }

    /// The first layer of `kind`, preferring `slug`.
    pub(crate) fn layer_of_kind(&self, kind: LayerKind, preferred: &str) -> Option<&LayerData> {
        self.layers
            .iter()
            .find(|l| l.kind == kind && l.slug == preferred)
            .or_else(|| self.layers.iter().find(|l| l.kind == kind))
            .map(|l| &**l)
    }

    /// The layers a selector names, each with the filter its features must pass (the
    /// binding's selection and the definition's filter together), each checked to have the
    /// filter's fields.
    ///
    /// Errors: `unbound_role` when the role is bound to nothing the engine holds.
    pub(crate) fn selected(&self, sel: &LayerSelector) -> Result<Vec<Selected<'_>>, EngineError> {
        fn plain<'a>(l: &'a LayerData, sel: &LayerSelector) -> Selected<'a> {
            Selected {
                layer: l,
                filter: sel.filter.clone(),
            }
        }
        let out: Vec<Selected<'_>> = match (&sel.role, &sel.slug, sel.kind) {
            (Some(role), _, _) => {
                let kind = crate::input_role(role)?.kind;
                match &self.options.bindings {
                    Some(b) => {
                        let bound = b.layers(role);
                        let mut out = Vec::with_capacity(bound.len());
                        for bl in bound {
                            let l = self
                                .layers
                                .iter()
                                .find(|l| l.slug == bl.slug && l.kind == kind)
                                .ok_or_else(|| EngineError::UnboundRole { role: role.clone() })?;
                            out.push(Selected {
                                layer: l,
                                filter: bl.filter().and(&sel.filter),
                            });
                        }
                        if out.is_empty() {
                            return Err(EngineError::UnboundRole { role: role.clone() });
                        }
                        out
                    }
                    // Without bindings a role reads every layer of its kind, with the
                    // selection the shipped binding makes (bus stops are the services whose
                    // category is bus_stop or brt_stop).
                    None => {
                        let selection = crate::input_role::default_selection(role);
                        self.layers
                            .iter()
                            .filter(|l| l.kind == kind)
                            .map(|l| Selected {
                                layer: l,
                                filter: selection.clone().and(&sel.filter),
                            })
                            .collect()
                    }
                }
            }
            (None, Some(slug), _) => vec![plain(self.layer(slug)?, sel)],
            (None, None, Some(kind)) => self
                .layers
                .iter()
                .filter(|l| l.kind == kind)
                .map(|l| plain(l, sel))
                .collect(),
            (None, None, None) => Vec::new(),
        };
        for s in &out {
            s.layer.check_filter(&s.filter)?;
        }
        Ok(out)
    }

    /// The one layer of a zone, population or street role: the bound one, or without
    /// bindings the first layer of `kind` (`preferred` first).
    pub(crate) fn role_layer(&self, role: &str, kind: LayerKind, preferred: &str) -> Option<&LayerData> {
        match &self.options.bindings {
            Some(b) => b
                .layers(role)
                .first()
                .and_then(|bl| self.layers.iter().find(|l| l.slug == bl.slug && l.kind == kind))
                .map(|l| &**l),
            None => self.layer_of_kind(kind, preferred),
        }
    }

    /// Every layer filling a role read whole (fellings, plantings, routes).
    pub(crate) fn role_layers(&self, role: &str, kind: LayerKind) -> Vec<&LayerData> {
        match &self.options.bindings {
            Some(b) => b
                .layers(role)
                .iter()
                .filter_map(|bl| self.layers.iter().find(|l| l.slug == bl.slug && l.kind == kind))
                .map(|l| &**l)
                .collect(),
            None => self.layers.iter().filter(|l| l.kind == kind).map(|l| &**l).collect(),
        }
    }

    /// The input roles' bindings, when the engine has them.
    pub fn bindings(&self) -> Option<&Bindings> {
        self.options.bindings.as_ref()
    }

    /// The layer versions every figure over `scheme` reads: the residents and the zones.
    pub fn base_inputs(&self, scheme: &ZoneScheme) -> BTreeMap<String, i64> {
        self.versions_of(
            self.population
                .iter()
                .map(|p| p.slug.clone())
                .chain(crate::resolve::scheme_layers(self, scheme)),
        )
    }

    /// The layer versions the stress network reads: roads, bike lanes, residents and the
    /// bound elevation layer.
    pub fn lts_inputs(&self) -> BTreeMap<String, i64> {
        let roads = self
            .role_layer("roads", LayerKind::Road, "roads")
            .map(|l| l.slug.clone());
        let lanes = self
            .role_layers("bike_lanes", LayerKind::BikeLane)
            .into_iter()
            .map(|l| l.slug.clone());
        let pop = self.population.iter().map(|p| p.slug.clone());
        let elevation = self.elevation_layer().map(|l| l.slug.clone());
        self.versions_of(roads.into_iter().chain(lanes).chain(pop).chain(elevation))
    }

    /// The layer versions a walking profile's graph reads: the roads.
    pub fn walk_inputs(&self) -> BTreeMap<String, i64> {
        let roads = self
            .role_layer("roads", LayerKind::Road, "roads")
            .map(|l| l.slug.clone());
        self.versions_of(roads)
    }

    fn versions_of(&self, slugs: impl IntoIterator<Item = String>) -> BTreeMap<String, i64> {
        slugs
            .into_iter()
            .filter_map(|s| self.versions.get(&s).map(|v| (s, *v)))
            .collect()
    }

    /// The layer versions a figure of `def` over `scheme` reads: its roles' layers, the
    /// residents and the zones' layers — and no other.
    pub fn input_versions(&self, def: &IndicatorDef, scheme: &ZoneScheme) -> BTreeMap<String, i64> {
        let mut slugs: Vec<String> = Vec::new();
        let add_sel = |sel: &LayerSelector, slugs: &mut Vec<String>| {
            if let Ok(sel) = self.selected(sel) {
                slugs.extend(sel.iter().map(|s| s.layer.slug.clone()));
            }
        };
        match &def.measure {
            Measure::Access { layer, distance, .. } => {
                add_sel(layer, &mut slugs);
                if *distance == DistanceMode::Network
                    && let Some(r) = self.role_layer("roads", LayerKind::Road, "roads")
                {
                    slugs.push(r.slug.clone());
                }
            }
            Measure::AreaPerResident { layer }
            | Measure::LengthPerResidents { layer, .. }
            | Measure::LengthPerArea { layer } => add_sel(layer, &mut slugs),
            Measure::ProfileAccess { layer, .. } => {
                add_sel(layer, &mut slugs);
                if let Some(r) = self.role_layer("roads", LayerKind::Road, "roads") {
                    slugs.push(r.slug.clone());
                }
            }
            Measure::LowStressAccess { layer, .. } => {
                add_sel(layer, &mut slugs);
                if let Some(r) = self.role_layer("roads", LayerKind::Road, "roads") {
                    slugs.push(r.slug.clone());
                }
                for l in self.role_layers("bike_lanes", LayerKind::BikeLane) {
                    slugs.push(l.slug.clone());
                }
            }
            Measure::Compensation { .. } => {
                for l in self.role_layers("tree_fellings", LayerKind::TreeFelling) {
                    slugs.push(l.slug.clone());
                }
                for l in self.role_layers("tree_plantings", LayerKind::TreePlanting) {
                    slugs.push(l.slug.clone());
                }
            }
            Measure::RouteGap { signs, .. } => {
                add_sel(signs, &mut slugs);
                for l in self.role_layers("wayfinding_routes", LayerKind::WayfindingRoute) {
                    slugs.push(l.slug.clone());
                }
            }
        }
        let mut out = self.versions_of(slugs);
        out.extend(self.base_inputs(scheme));
        out
    }

    /// A coverage bitmap (one bool per population cell) from the cache, or computed by
    /// `compute` and kept under `key`: every zone scheme and what-if reuses it.
    pub(crate) fn cached_coverage(
        &self,
        key: String,
        compute: impl FnOnce() -> Result<Vec<bool>, EngineError>,
    ) -> Result<Arc<Vec<bool>>, EngineError> {
        if let Some(c) = self
            .coverage_cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Ok(c.clone());
        }
        let covered = Arc::new(compute()?);
        self.coverage_cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, covered.clone());
        Ok(covered)
    }

    /// The resolved zones of `scheme`, cached.
    pub(crate) fn zone_set(&self, scheme: &ZoneScheme) -> Result<Arc<ZoneSet>, EngineError> {
        scheme.validate()?;
        let key = scheme.to_string();
        if let Some(zs) = self.zone_cache.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
            return Ok(zs.clone());
        }
        let zs = Arc::new(crate::resolve::resolve(self, scheme)?);
        self.zone_cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, zs.clone());
        Ok(zs)
    }
}

/// A cached structure several definitions share.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Shared {
    /// The low-stress cycling network of a lane scenario.
    Lts(crate::LtsScenario),
    /// The walking network of a travel profile.
    Profile(crate::WalkProfile),
    /// The walking street graph.
    Walk,
    /// Which zone each felling and planting lies in.
    PlantingZones,
}

/// The shared structures `defs` need, the costliest first (by measurement at bench scale:
/// a stress network is built from every road with its stress and lanes, a profile network
/// from every road with its barriers), each once.
fn shared_structures(defs: &[IndicatorDef]) -> Vec<Shared> {
    let mut need = Vec::new();
    for d in defs {
        match &d.measure {
            Measure::LowStressAccess { scenario, .. } => need.extend([Shared::Lts(*scenario), Shared::Walk]),
            Measure::ProfileAccess { profile, .. } => need.extend([Shared::Profile(*profile), Shared::Walk]),
            Measure::Access {
                distance: DistanceMode::Network,
                ..
            } => need.push(Shared::Walk),
            Measure::Compensation { .. } => need.push(Shared::PlantingZones),
            _ => {}
        }
    }
    let rank = |w: &Shared| match w {
        Shared::Lts(_) => 0,
        Shared::Profile(_) => 1,
        Shared::PlantingZones => 2,
        Shared::Walk => 3,
    };
    let mut out: Vec<Shared> = Vec::new();
    for w in need {
        if !out.contains(&w) {
            out.push(w);
        }
    }
    // A stable sort: within a rank, the order the definitions first name them.
    out.sort_by_key(rank);
    out
}

fn access_def(q: &AccessQuery) -> IndicatorDef {
    let filter_text: Vec<String> = q
        .filter
        .iter()
        .map(|f| format!("{}={}", f.field, f.any_of.join(",")))
        .collect();
    let what = if filter_text.is_empty() {
        q.layer.clone()
    } else {
        format!("{} where {}", q.layer, filter_text.join(" and "))
    };
    IndicatorDef {
        id: format!("access:{}:{}", q.layer, q.radius_m),
        version: 1,
        names: Names::same(&format!("≤ {} m: {what}", q.radius_m)),
        description: format!("Residents within {} m of any feature of {what}", q.radius_m),
        descriptions: None,
        measure: Measure::Access {
            layer: LayerSelector {
                role: None,
                kind: None,
                slug: Some(q.layer.clone()),
                filter: crate::indicator_def::FeatureFilter {
                    equals: q.filter.clone(),
                    min_area_m2: None,
                },
            },
            radius_m: q.radius_m,
            distance: q.distance,
        },
        unit: "share of residents".into(),
        norm: Some(Norm::AtLeast(1.0)),
        reference: "ad-hoc access query".into(),
        references: None,
        norm_variants: Vec::new(),
        norm_variant: None,
    }
}

fn validate_def(def: &IndicatorDef) -> Result<(), EngineError> {
    let radius = match &def.measure {
        Measure::Access { radius_m, .. }
        | Measure::LowStressAccess { radius_m, .. }
        | Measure::ProfileAccess { radius_m, .. } => Some(*radius_m),
        Measure::RouteGap { snap_m, .. } => Some(*snap_m),
        _ => None,
    };
    if let Some(r) = radius
        && !(r.is_finite() && (0.0..=MAX_RADIUS_M).contains(&r))
    {
        return Err(EngineError::InvalidRadius {
            got: r,
            max: MAX_RADIUS_M,
        });
    }
    Ok(())
}
