//! Travel profiles for walking on the street graph (docs/walk_profiles.md): `walk` (the
//! able-bodied walk of `network.rs`, unchanged), `step_free` (a stroller or a wheelchair) and
//! `elderly`. The rules are data: `sql/indicators/walk_profiles.json`.
//!
//! Rules (the reference SQL `sql/reference/walk_profile_graph.sql` follows the same ones):
//! - every profile starts from the walking graph: motorways and trunk roads are barriers;
//! - a profile's barriers are ways whose tag (`highway`, `wheelchair`, `kerb`) has one of the
//!   listed values, and ways whose gradient is above `max_gradient_pct` **when a gradient is
//!   known** ([`way_gradients_pct`]: where a layer is bound to the `elevation` role);
//! - the profile walks `distance_factor` × the indicator's distance;
//! - cells and features join the profile's own graph (nearest edge within [`crate::SNAP_M`]),
//!   as the low-stress network does.

use std::str::FromStr;
use std::sync::Arc;

use geo_types::Geometry;
use qala_core::LayerKind;
use serde::{Deserialize, Serialize};

use crate::compute::{access_figures, coverage_key, value_of};
use crate::engine::Engine;
use crate::indicator_def::LayerSelector;
use crate::layer::LayerData;
use crate::project::Projector;
use crate::street_graph::{BARRIER_HIGHWAYS, GraphStats, SnappedGraph, Sources, cell_distance};
use crate::zone_set::ZoneSet;
use crate::{EngineError, ZoneRole};

/// The rules shipped with qala.
pub const DEFAULT_WALK_PROFILES_JSON: &str = include_str!("../../../sql/indicators/walk_profiles.json");

/// The tags a barrier may name: the roads layer's `highway`, and the OSM `wheelchair` and
/// `kerb` tags the OSM ingest keeps in a road's attributes when a way has them.
pub const WALK_TAGS: &[&str] = &["highway", "wheelchair", "kerb"];

/// Who walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum WalkProfile {
    /// The able-bodied walk: the walking graph of `network.rs`, the full distance.
    #[default]
    Walk,
    /// A stroller or a wheelchair: no steps, no raised kerbs, no steep slopes.
    StepFree,
    /// An older person: the step-free graph, a shorter distance.
    Elderly,
}

impl WalkProfile {
    pub const ALL: [WalkProfile; 3] = [WalkProfile::Walk, WalkProfile::StepFree, WalkProfile::Elderly];

    pub fn name(self) -> &'static str {
        match self {
            WalkProfile::Walk => "walk",
            WalkProfile::StepFree => "step_free",
            WalkProfile::Elderly => "elderly",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl FromStr for WalkProfile {
    type Err = EngineError;

    /// ```
    /// use qala_engine::WalkProfile;
    /// assert_eq!("step_free".parse::<WalkProfile>().unwrap(), WalkProfile::StepFree);
    /// assert_eq!("invalid_walk_profile", "wheelchair".parse::<WalkProfile>().unwrap_err().code());
    /// ```
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WalkProfile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| EngineError::InvalidWalkProfile(s.to_owned()))
    }
}

/// Ways whose `tag` has one of `values` are barriers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagBarrier {
    pub tag: String,
    pub values: Vec<String>,
    #[serde(default)]
    pub why: String,
}

/// The rules of one profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileRules {
    pub id: String,
    pub barriers: Vec<TagBarrier>,
    /// Ways steeper than this (percent, either direction) are barriers, where a gradient is
    /// known; `None`: no gradient rule.
    #[serde(default)]
    pub max_gradient_pct: Option<f64>,
    /// The profile walks this share of the indicator's distance (0 < f ≤ 1).
    pub distance_factor: f64,
    #[serde(default)]
    pub why: String,
}

/// A versioned set of profile rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalkProfileRules {
    pub id: String,
    pub version: u32,
    #[serde(default)]
    pub title: String,
    /// The tags the barriers may name (must be a subset of [`WALK_TAGS`]).
    pub known_tags: Vec<String>,
    /// Rules of `step_free` and `elderly` (`walk` is the walking graph and has none).
    pub profiles: Vec<ProfileRules>,
}

/// The tags of one way the barrier rules read; `None` where the data has no value.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WayTags<'a> {
    pub highway: Option<&'a str>,
    pub wheelchair: Option<&'a str>,
    pub kerb: Option<&'a str>,
}

impl WayTags<'_> {
    fn get(&self, tag: &str) -> Option<&str> {
        match tag {
            "highway" => self.highway,
            "wheelchair" => self.wheelchair,
            "kerb" => self.kerb,
            _ => None,
        }
    }
}

fn invalid(id: &str, why: String) -> EngineError {
    EngineError::InvalidWalkProfileRules { id: id.to_owned(), why }
}

impl WalkProfileRules {
    /// The rules shipped in `sql/indicators/walk_profiles.json`.
    pub fn shipped() -> Result<WalkProfileRules, EngineError> {
        WalkProfileRules::parse(DEFAULT_WALK_PROFILES_JSON)
    }

    /// Parses and validates a rules file.
    ///
    /// Errors (`invalid_walk_profile_rules`): bad JSON or an unknown field, no id or version,
    /// a tag outside [`WALK_TAGS`], a barrier without values, a negative or non-finite
    /// gradient threshold, a distance factor outside (0, 1], an unknown, repeated or missing
    /// profile.
    ///
    /// ```
    /// use qala_engine::WalkProfileRules;
    /// let e = WalkProfileRules::parse(&qala_engine::DEFAULT_WALK_PROFILES_JSON.replace("5.0", "-5.0")).unwrap_err();
    /// assert_eq!(e.code(), "invalid_walk_profile_rules");
    /// assert!(e.to_string().contains("max_gradient_pct"), "{e}");
    /// ```
    pub fn parse(json: &str) -> Result<WalkProfileRules, EngineError> {
        let r: WalkProfileRules =
            serde_json::from_str(json).map_err(|e| invalid("?", format!("not a profile rules file: {e}")))?;
        r.validate()?;
        Ok(r)
    }

    /// Checks the rules (see [`WalkProfileRules::parse`]).
    pub fn validate(&self) -> Result<(), EngineError> {
        let bad = |why: String| Err(invalid(&self.id, why));
        if self.id.trim().is_empty() || self.version == 0 {
            return bad("the rules need an id and a version ≥ 1".into());
        }
        for t in &self.known_tags {
            if !WALK_TAGS.contains(&t.as_str()) {
                return bad(format!(
                    "known_tags names {t:?}, which the roads layer does not carry; the tags: {}",
                    WALK_TAGS.join(", ")
                ));
            }
        }
        let mut seen = Vec::new();
        for p in &self.profiles {
            let profile: WalkProfile = match p.id.parse() {
                Ok(WalkProfile::Walk) => {
                    return bad("profile \"walk\" is the walking graph and takes no rules".into());
                }
                Ok(x) => x,
                Err(_) => {
                    return bad(format!(
                        "unknown profile {:?}: the profiles are step_free and elderly",
                        p.id
                    ));
                }
            };
            if seen.contains(&profile) {
                return bad(format!("profile {:?} is given twice", p.id));
            }
            seen.push(profile);
            for b in &p.barriers {
                if !self.known_tags.contains(&b.tag) {
                    return bad(format!(
                        "profile {:?}: unknown tag {:?} (known_tags: {})",
                        p.id,
                        b.tag,
                        self.known_tags.join(", ")
                    ));
                }
                if b.values.is_empty() || b.values.iter().any(|v| v.trim().is_empty()) {
                    return bad(format!("profile {:?}: the barrier on {:?} needs values", p.id, b.tag));
                }
            }
            if let Some(g) = p.max_gradient_pct
                && !(g.is_finite() && g >= 0.0)
            {
                return bad(format!(
                    "profile {:?}: max_gradient_pct must be a number of at least 0 (got {g})",
                    p.id
                ));
            }
            if !(p.distance_factor.is_finite() && p.distance_factor > 0.0 && p.distance_factor <= 1.0) {
                return bad(format!(
                    "profile {:?}: distance_factor must be above 0 and at most 1 (got {})",
                    p.id, p.distance_factor
                ));
            }
        }
        for p in [WalkProfile::StepFree, WalkProfile::Elderly] {
            if !seen.contains(&p) {
                return bad(format!("profile {:?} has no rules", p.name()));
            }
        }
        Ok(())
    }

    fn rules_of(&self, profile: WalkProfile) -> Option<&ProfileRules> {
        self.profiles.iter().find(|p| p.id == profile.name())
    }

    /// The distance `profile` walks where an able-bodied walk goes `radius_m`.
    pub fn radius_m(&self, profile: WalkProfile, radius_m: f64) -> f64 {
        self.rules_of(profile)
            .map_or(radius_m, |p| radius_m * p.distance_factor)
    }

    /// Why a way is a barrier for `profile`, or `None` when the profile walks it. The walking
    /// graph's barriers (motorways, trunk roads) hold for every profile; `gradient_pct` is the
    /// way's steepest running slope, when an elevation model gives one.
    ///
    /// ```
    /// use qala_engine::{WalkProfile, WalkProfileRules, WayTags};
    /// let r = WalkProfileRules::shipped().unwrap();
    /// let steps = WayTags { highway: Some("steps"), ..WayTags::default() };
    /// assert_eq!(r.barrier(WalkProfile::Walk, &steps, None), None);
    /// assert_eq!(r.barrier(WalkProfile::StepFree, &steps, None).as_deref(), Some("highway=steps"));
    /// let street = WayTags { highway: Some("residential"), ..WayTags::default() };
    /// assert_eq!(r.barrier(WalkProfile::StepFree, &street, Some(4.0)), None);
    /// assert_eq!(r.barrier(WalkProfile::StepFree, &street, Some(-7.5)).as_deref(), Some("gradient 7.5 % > 5 %"));
    /// ```
    pub fn barrier(&self, profile: WalkProfile, tags: &WayTags<'_>, gradient_pct: Option<f64>) -> Option<String> {
        if let Some(h) = tags.highway
            && BARRIER_HIGHWAYS.contains(&h)
        {
            return Some(format!("highway={h}"));
        }
        let p = self.rules_of(profile)?;
        for b in &p.barriers {
            if let Some(v) = tags.get(&b.tag)
                && b.values.iter().any(|x| x == v)
            {
                return Some(format!("{}={v}", b.tag));
            }
        }
        match (p.max_gradient_pct, gradient_pct) {
            (Some(max), Some(g)) if g.abs() > max => Some(format!("gradient {:.1} % > {max} %", g.abs())),
            _ => None,
        }
    }
}

/// The gradient (percent) of every way of the roads layer, where a layer is bound to the
/// `elevation` role (the same per-way gradient the stress network uses, `elevation.rs`);
/// empty without one, so that the gradient rule never fires. The reference SQL computes the
/// same gradients (`walk_profile_graph.sql`).
pub(crate) fn way_gradients_pct(engine: &Engine) -> Vec<Option<f64>> {
    engine.lts_gradients().iter().map(|g| g.map(|g| g.pct)).collect()
}

/// The barrier tags of way `i` of the roads layer.
pub(crate) fn way_tags(roads: &LayerData, i: usize) -> WayTags<'_> {
    WayTags {
        highway: roads.str_ref("highway", i),
        wheelchair: roads.extra_ref("wheelchair", i),
        kerb: roads.extra_ref("kerb", i),
    }
}

/// The street graph of one profile and where each population cell joins it.
pub(crate) struct ProfileNetwork {
    pub shared: Arc<SnappedGraph>,
    /// (way index, reason) of each way the profile cannot walk beyond the walking graph's.
    pub barriers: Vec<(usize, String)>,
    pub roads: String,
}

impl ProfileNetwork {
    pub(crate) fn build_with(
        engine: &Engine,
        rules: &WalkProfileRules,
        profile: WalkProfile,
        cached: bool,
    ) -> Result<ProfileNetwork, EngineError> {
        let roads = engine
            .role_layer("roads", LayerKind::Road, "roads")
            .ok_or(EngineError::MissingRoads)?;
        let mut walkable = Vec::with_capacity(roads.len());
        let mut barriers = Vec::new();
        let gradients = way_gradients_pct(engine);
        for i in 0..roads.len() {
            let tags = way_tags(roads, i);
            let why = rules.barrier(profile, &tags, gradients.get(i).copied().flatten());
            let motorway = tags.highway.is_some_and(|h| BARRIER_HIGHWAYS.contains(&h));
            walkable.push(why.is_none());
            if let Some(w) = why
                && !motorway
            {
                barriers.push((i, w));
            }
        }
        let shared = if cached {
            engine.street_graph(roads, walkable)
        } else {
            Arc::new(SnappedGraph::new(
                roads.index.geometries(),
                &walkable,
                engine.cell_points(),
            ))
        };
        Ok(ProfileNetwork {
            shared,
            barriers,
            roads: roads.slug.clone(),
        })
    }
}

type Slot = crate::par::TryOnce<ProfileNetwork>;

/// Cache of the three profiles' networks (a failed build is not kept).
#[derive(Default)]
pub(crate) struct ProfileCache([Slot; 3]);

impl Engine {
    /// The walking profile rules in force (the shipped `sql/indicators/walk_profiles.json`).
    pub fn walk_profile_rules(&self) -> Result<WalkProfileRules, EngineError> {
        WalkProfileRules::shipped()
    }

    pub(crate) fn profile_network(&self, profile: WalkProfile) -> Result<Arc<ProfileNetwork>, EngineError> {
        let rules = self.walk_profile_rules()?;
        self.profile_cache.0[profile.index()]
            .get_or_try_init(|| ProfileNetwork::build_with(self, &rules, profile, true))
    }

    /// Whether each population cell reaches a feature of `sel` within `radius_m` (the
    /// able-bodied distance; the profile walks its share of it) on the graph of `profile`
    /// under `rules` — uncached, for checks with edited rules.
    pub fn walk_profile_coverage_with(
        &self,
        rules: &WalkProfileRules,
        profile: WalkProfile,
        sel: &LayerSelector,
        radius_m: f64,
    ) -> Result<Vec<bool>, EngineError> {
        self.population()?;
        let net = ProfileNetwork::build_with(self, rules, profile, false)?;
        coverage_on(self, &net, sel, rules.radius_m(profile, radius_m))
    }

    /// Whether each population cell reaches a feature of `sel` within `radius_m` walking
    /// (able-bodied, the graph of `network.rs`): the coverage the profiles are compared with.
    pub fn walk_coverage(&self, sel: &LayerSelector, radius_m: f64) -> Result<Arc<Vec<bool>>, EngineError> {
        crate::network::network_coverage(self, sel, radius_m)
    }

    /// The ways `profile` cannot walk (beyond motorways and trunk roads), with the reason, as
    /// a GeoJSON FeatureCollection in lon/lat.
    ///
    /// Errors: `missing_roads`.
    pub fn walk_profile_barriers(&self, profile: WalkProfile) -> Result<serde_json::Value, EngineError> {
        let net = self.profile_network(profile)?;
        let rules = self.walk_profile_rules()?;
        let roads = self
            .role_layer("roads", LayerKind::Road, "roads")
            .ok_or(EngineError::MissingRoads)?;
        let inv = Projector::to_wgs84()?;
        let features = net
            .barriers
            .iter()
            .map(|(i, why)| {
                let g = inv.geometry(&roads.index.geometries()[*i])?;
                Ok(serde_json::json!({
                    "type": "Feature",
                    "id": roads.rows[*i],
                    "geometry": geometry_json(&g),
                    "properties": {
                        "row": roads.rows[*i],
                        "highway": roads.text("highway", *i),
                        "name": roads.text("name", *i),
                        "barrier": why,
                    },
                }))
            })
            .collect::<Result<Vec<_>, EngineError>>()?;
        Ok(serde_json::json!({
            "type": "FeatureCollection",
            "profile": profile,
            "rules": rules.id,
            "rules_version": rules.version,
            "roads_layer": net.roads,
            "graph": net.shared.graph.stats(),
            "total": features.len(),
            "features": features,
        }))
    }

    /// The graph of `profile`: nodes, edges, components, ways used and left out.
    ///
    /// Errors: `missing_roads`.
    pub fn walk_profile_graph(&self, profile: WalkProfile) -> Result<GraphStats, EngineError> {
        Ok(self.profile_network(profile)?.shared.graph.stats())
    }
}

fn geometry_json(g: &Geometry<f64>) -> serde_json::Value {
    let line = |l: &geo_types::LineString<f64>| -> Vec<[f64; 2]> { l.0.iter().map(|c| [c.x, c.y]).collect() };
    match g {
        Geometry::LineString(l) => serde_json::json!({"type": "LineString", "coordinates": line(l)}),
        Geometry::MultiLineString(m) => {
            serde_json::json!({"type": "MultiLineString", "coordinates": m.0.iter().map(line).collect::<Vec<_>>()})
        }
        _ => serde_json::Value::Null,
    }
}

/// Whether each cell reaches a selected feature within `radius_m` (already the profile's
/// distance) on `net`.
fn coverage_on(
    engine: &Engine,
    net: &ProfileNetwork,
    sel: &LayerSelector,
    radius_m: f64,
) -> Result<Vec<bool>, EngineError> {
    let mut src = Sources::new();
    for s in engine.selected(sel)? {
        let l = s.layer;
        for (i, g) in l.index.geometries().iter().enumerate() {
            if l.passes(&s.filter, i) {
                src.add(&net.shared.graph, g, radius_m);
            }
        }
    }
    let dist = net.shared.graph.dijkstra(&src.seeds, radius_m);
    Ok(net
        .shared
        .cell_snap
        .iter()
        .map(|s| {
            s.is_some_and(|s| s.offset_m <= radius_m && cell_distance(&net.shared.graph, s, &dist, &src) <= radius_m)
        })
        .collect())
}

/// Whether each population cell reaches a selected feature on the graph of `profile`,
/// walking the profile's share of `radius_m`; cached like the other coverages.
pub(crate) fn profile_coverage(
    engine: &Engine,
    sel: &LayerSelector,
    radius_m: f64,
    profile: WalkProfile,
) -> Result<Arc<Vec<bool>>, EngineError> {
    let key = format!("profile:{}|{}", profile.name(), coverage_key(sel, radius_m));
    engine.cached_coverage(key, || {
        engine.population()?;
        let rules = engine.walk_profile_rules()?;
        let net = engine.profile_network(profile)?;
        coverage_on(engine, &net, sel, rules.radius_m(profile, radius_m))
    })
}

/// The profile's share beside the able-bodied walk's, for one zone or group.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ProfileValue {
    /// Share of residents within reach walking (able-bodied, the full distance).
    pub walk: Option<f64>,
    /// Share within reach for the profile.
    pub profile: Option<f64>,
    /// walk − profile: the share the profile's barriers and shorter distance cut off
    /// (× 100: percentage points).
    pub gap: Option<f64>,
    /// Residents who reach walking but not with the profile.
    pub residents_cut_off: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ZoneProfile {
    pub zone: String,
    pub role: ZoneRole,
    #[serde(flatten)]
    pub value: ProfileValue,
}

/// The profile's figures beside the able-bodied walk's, per zone and group.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileComparison {
    pub profile: WalkProfile,
    pub rules: String,
    pub rules_version: u32,
    /// The able-bodied distance and the profile's.
    pub walk_radius_m: f64,
    pub profile_radius_m: f64,
    /// Ways the profile cannot walk beyond motorways and trunk roads.
    pub barrier_ways: usize,
    pub zones: Vec<ZoneProfile>,
    pub centre: ProfileValue,
    pub periphery: ProfileValue,
    pub city: ProfileValue,
    /// Zoned residents farther than the snap distance from every street of the profile.
    pub residents_off_network: f64,
}

/// Walk vs profile shares per zone, centre, periphery and city.
pub(crate) fn comparison(
    engine: &Engine,
    zs: &ZoneSet,
    radius_m: f64,
    profile: WalkProfile,
    walk: &[bool],
    prof: &[bool],
) -> Result<ProfileComparison, EngineError> {
    let net = engine.profile_network(profile)?;
    let rules = engine.walk_profile_rules()?;
    let pop = engine.population()?;
    let w = access_figures(engine, zs, walk)?;
    let p = access_figures(engine, zs, prof)?;
    let value = |wn: f64, pn: f64, den: f64| {
        let a = value_of(w.agg, wn, den);
        let b = value_of(p.agg, pn, den);
        ProfileValue {
            walk: a,
            profile: b,
            gap: a.zip(b).map(|(x, y)| x - y),
            residents_cut_off: (wn - pn).max(0.0),
        }
    };
    let zones = zs
        .zones
        .iter()
        .enumerate()
        .map(|(i, z)| ZoneProfile {
            zone: z.id.clone(),
            role: z.role,
            value: value(w.num[i], p.num[i], w.den[i]),
        })
        .collect();
    let group = |keep: &dyn Fn(ZoneRole) -> bool| {
        let (mut wn, mut pn, mut den) = (0.0, 0.0, 0.0);
        for (i, z) in zs.zones.iter().enumerate() {
            if keep(z.role) {
                wn += w.num[i];
                pn += p.num[i];
                den += w.den[i];
            }
        }
        value(wn, pn, den)
    };
    let off = zs
        .cell_zone
        .iter()
        .enumerate()
        .filter(|(c, z)| z.is_some() && net.shared.cell_snap.get(*c).is_none_or(Option::is_none))
        .map(|(c, _)| pop.residents[c])
        .sum();
    Ok(ProfileComparison {
        profile,
        rules: rules.id.clone(),
        rules_version: rules.version,
        walk_radius_m: radius_m,
        profile_radius_m: rules.radius_m(profile, radius_m),
        barrier_ways: net.barriers.len(),
        zones,
        centre: group(&|r| r == ZoneRole::Centre),
        periphery: group(&|r| r == ZoneRole::Periphery),
        city: group(&|_| true),
        residents_off_network: off,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use geo_types::{LineString, Point};

    use crate::street_graph::StreetGraph;

    use super::*;

    fn edited(f: impl FnOnce(&mut serde_json::Value)) -> Result<WalkProfileRules, EngineError> {
        let mut v: serde_json::Value = serde_json::from_str(DEFAULT_WALK_PROFILES_JSON).unwrap();
        f(&mut v);
        WalkProfileRules::parse(&v.to_string())
    }

    fn message(r: Result<WalkProfileRules, EngineError>) -> String {
        let e = r.unwrap_err();
        assert_eq!(e.code(), "invalid_walk_profile_rules");
        assert_eq!(e.kind(), qala_core::ErrorKind::InvalidInput);
        e.to_string()
    }

    #[test]
    fn the_shipped_rules_are_valid_and_nested() {
        let r = WalkProfileRules::shipped().unwrap();
        assert_eq!((r.id.as_str(), r.version), ("walk_profiles_qala", 1));
        assert_eq!(r.radius_m(WalkProfile::Walk, 500.0), 500.0);
        assert_eq!(r.radius_m(WalkProfile::StepFree, 500.0), 500.0);
        assert_eq!(r.radius_m(WalkProfile::Elderly, 300.0), 300.0 * 0.67);
        let t = |h: &'static str, wc: Option<&'static str>, k: Option<&'static str>| WayTags {
            highway: Some(h),
            wheelchair: wc,
            kerb: k,
        };
        for (tags, grad) in [
            (t("steps", None, None), None),
            (t("footway", Some("no"), None), None),
            (t("footway", None, Some("raised")), None),
            (t("residential", None, None), Some(5.01)),
        ] {
            assert_eq!(r.barrier(WalkProfile::Walk, &tags, grad), None, "{tags:?}");
            assert!(r.barrier(WalkProfile::StepFree, &tags, grad).is_some(), "{tags:?}");
            assert!(r.barrier(WalkProfile::Elderly, &tags, grad).is_some(), "{tags:?}");
        }
        // Passable: lowered kerbs, wheelchair=limited, exactly 5 %, unknown gradient.
        for (tags, grad) in [
            (t("footway", None, Some("lowered")), None),
            (t("footway", Some("limited"), None), None),
            (t("residential", None, None), Some(5.0)),
            (t("residential", None, None), None),
        ] {
            assert_eq!(r.barrier(WalkProfile::StepFree, &tags, grad), None, "{tags:?}");
        }
        // A motorway is a barrier for every profile, as in the walking graph.
        for p in WalkProfile::ALL {
            assert!(r.barrier(p, &t("motorway", None, None), None).is_some());
        }
    }

    #[test]
    fn bad_rules_are_refused_naming_what_is_wrong() {
        let m = message(edited(|v| v["profiles"][0]["barriers"][0]["tag"] = "surface".into()));
        assert!(m.contains("unknown tag \"surface\""), "{m}");
        let m = message(edited(|v| v["known_tags"][1] = "smoothness".into()));
        assert!(
            m.contains("\"smoothness\"") && m.contains("highway, wheelchair, kerb"),
            "{m}"
        );
        let m = message(edited(|v| v["profiles"][0]["max_gradient_pct"] = (-6.0).into()));
        assert!(m.contains("max_gradient_pct") && m.contains("-6"), "{m}");
        let m = message(edited(|v| v["profiles"][1]["distance_factor"] = 1.5.into()));
        assert!(m.contains("distance_factor") && m.contains("1.5"), "{m}");
        let m = message(edited(|v| v["profiles"][1]["distance_factor"] = 0.into()));
        assert!(m.contains("distance_factor"), "{m}");
        let m = message(edited(|v| v["profiles"][1]["id"] = "toddler".into()));
        assert!(m.contains("unknown profile \"toddler\""), "{m}");
        let m = message(edited(|v| v["profiles"][1]["id"] = "step_free".into()));
        assert!(m.contains("twice"), "{m}");
        let m = message(edited(|v| {
            v["profiles"].as_array_mut().unwrap().pop();
        }));
        assert!(m.contains("\"elderly\" has no rules"), "{m}");
        let m = message(edited(|v| {
            v["profiles"][0]["barriers"][0]["values"] = serde_json::json!([])
        }));
        assert!(m.contains("needs values"), "{m}");
        let m = message(edited(|v| v["profiles"][0]["speed"] = 3.into()));
        assert!(m.contains("unknown field `speed`"), "{m}");
        let m = message(edited(|v| v["version"] = 0.into()));
        assert!(m.contains("version"), "{m}");
    }

    fn line(pts: &[(f64, f64)]) -> Geometry<f64> {
        Geometry::LineString(LineString::from(pts.to_vec()))
    }

    fn walk(g: &StreetGraph, to: Point<f64>, from: Point<f64>, limit: f64) -> f64 {
        let mut src = Sources::new();
        src.add(g, &Geometry::Point(to), limit);
        let dist = g.dijkstra(&src.seeds, limit);
        g.snap(from).map_or(f64::INFINITY, |s| cell_distance(g, s, &dist, &src))
    }

    /// A flight of steps is the short way between two terraces; the step-free way round is a
    /// ramp 600 m long. The walk takes the steps, the step-free profile the ramp, the elderly
    /// profile (two thirds of 700 m) does not get there; with no barrier rules, step-free
    /// walks exactly as the able-bodied walk.
    #[test]
    fn a_flight_of_steps_cuts_the_short_way() {
        let rules = WalkProfileRules::shipped().unwrap();
        let ways = [
            (line(&[(0.0, 0.0), (100.0, 0.0)]), "footway"),
            (line(&[(100.0, 0.0), (100.0, 50.0)]), "steps"),
            (line(&[(100.0, 50.0), (0.0, 50.0)]), "footway"),
            (
                line(&[(100.0, 0.0), (400.0, 0.0), (400.0, 50.0), (100.0, 50.0)]),
                "residential",
            ),
        ];
        let geoms: Vec<Geometry<f64>> = ways.iter().map(|w| w.0.clone()).collect();
        let graph = |p: WalkProfile, r: &WalkProfileRules| {
            let walkable: Vec<bool> = ways
                .iter()
                .map(|(_, h)| {
                    r.barrier(
                        p,
                        &WayTags {
                            highway: Some(h),
                            ..WayTags::default()
                        },
                        None,
                    )
                    .is_none()
                })
                .collect();
            StreetGraph::new(&geoms, &walkable)
        };
        let (home, school) = (Point::new(0.0, -10.0), Point::new(0.0, 60.0));
        let limit = 700.0;
        let d_walk = walk(&graph(WalkProfile::Walk, &rules), school, home, limit);
        assert!((d_walk - (10.0 + 100.0 + 50.0 + 100.0 + 10.0)).abs() < 1e-9, "{d_walk}");
        let d_sf = walk(&graph(WalkProfile::StepFree, &rules), school, home, limit);
        assert!(d_sf > limit, "step-free takes the 870 m ramp, beyond {limit}: {d_sf}");
        let d_far = walk(&graph(WalkProfile::StepFree, &rules), school, home, 1e4);
        assert!((d_far - 870.0).abs() < 1e-9, "{d_far}");
        let d_old = walk(
            &graph(WalkProfile::Elderly, &rules),
            school,
            home,
            rules.radius_m(WalkProfile::Elderly, limit),
        );
        assert!(d_old.is_infinite() || d_old > rules.radius_m(WalkProfile::Elderly, limit));
        // No barrier rules: step-free is the walk.
        let open = edited(|v| {
            for p in v["profiles"].as_array_mut().unwrap() {
                p["barriers"] = serde_json::json!([]);
            }
        })
        .unwrap();
        let d_open = walk(&graph(WalkProfile::StepFree, &open), school, home, limit);
        assert_eq!(d_open, d_walk);
    }
}
