//! qala's in-memory spatial engine. Pure CPU: no HTTP, no SQL.
//!
//! - served layers ([`SourceLayer`], read by `qala_store::read`) are projected to UTM 43N
//!   (EPSG:32643) and indexed in R-trees ([`SpatialIndex`]);
//! - [`ZoneScheme`]s (districts, rings around Republic Square, historic centre vs rest, any
//!   polygon layer) divide the city, each zone marked centre / middle / periphery;
//! - [`IndicatorDef`]s are data ([`default_indicators`]): the generic access indicator and
//!   green space, transit, schools, bike lanes, compensatory planting and wayfinding;
//! - every result carries population-weighted Gini and Theil (with its between-zone share)
//!   and the periphery/centre service gap;
//! - access is measured straight ([`DistanceMode::Straight`], the default) or along the
//!   walkable streets of the roads layer ([`DistanceMode::Network`], [`StreetGraph`]); in
//!   network mode a result carries the straight figures alongside and the severance gap;
//! - [`Engine::what_if`] adds or removes a feature in memory and returns per-zone deltas;
//! - cycling stress: every road way gets a level of traffic stress from a ruleset kept as
//!   data ([`LtsRuleset`]), and [`Engine::lts_islands`] / [`Engine::lts_priorities`] give
//!   the low-stress islands and the planned segments that connect the most residents.
//!
//! The server keeps an [`SharedEngine`] and swaps in a rebuilt [`Engine`] when a layer's
//! served version changes (`qala_store::read::listen_versions`).
//!
//! ```no_run
//! # fn demo(layers: Vec<qala_engine::SourceLayer>) -> Result<(), qala_engine::EngineError> {
//! use qala_engine::{Engine, EngineOptions, ZoneScheme};
//! let engine = Engine::from_layers(layers, EngineOptions::default())?;
//! let r = engine.compute("green_300m_who", &"districts".parse::<ZoneScheme>()?)?;
//! println!("{:?} {:?}", r.city.value, r.service_gap);
//! # Ok(()) }
//! ```

mod compute;
mod distance_mode;
mod elevation;
mod engine;
mod error;
mod geojson_in;
mod indicator_def;
pub mod inequality;
mod input_role;
mod layer;
mod lts_access;
mod lts_network;
mod lts_priority;
mod lts_ruleset;
mod lts_what_if;
mod network;
mod par;
mod planting;
mod project;
mod resolve;
mod result;
mod shared_engine;
mod spatial_index;
mod street_graph;
mod walk_profile;
mod wayfinding;
mod what_if;
mod zone_scheme;
mod zone_set;

pub use distance_mode::DistanceMode;
pub use elevation::{ELEVATION_K, ELEVATION_REACH_M};
pub use engine::{AccessQuery, CellDistance, Engine, EngineOptions, MAX_RADIUS_M};
pub use error::EngineError;
pub use geojson_in::parse_geometry;
pub use indicator_def::{
    CompensationMetric, FeatureFilter, FieldEquals, IndicatorDef, LayerSelector, Measure, Names, Norm, NormVariant,
    default_indicators,
};
pub use input_role::{Bindings, BoundLayer, INPUT_ROLES, InputRole, default_bindings, input_role};
pub use layer::{Features, SourceLayer, reads_untyped_attribute};
pub use lts_access::{LowStress, LowStressValue, ZoneLowStress};
pub use lts_network::{
    LANE_MATCH_M, LOW_STRESS_MAX, LtsIsland, LtsIslands, LtsScenario, LtsSegment, LtsSegmentPage, LtsSegmentQuery,
};
pub use lts_priority::{LtsPriorities, LtsPriority, MISSING_LINK_MAX_M, PRIORITY_CSV_HEADER, PrioritySource};
pub use lts_ruleset::{
    DEFAULT_LTS_RULES_JSON, Gradient, Interval as LtsInterval, LtsDefault, LtsRule, LtsRuleset, NO_FACILITY,
    OTHER_CLASS, RoadTags, SegmentLts, SlopeRule,
};
pub use lts_what_if::{LtsScenarioChange, LtsWayChange, MAX_SPEED_LIMIT_KMH};
pub use project::Projector;
pub use result::{
    CSV_HEADER, Flow, GroupValue, IndicatorDelta, IndicatorResult, Inequality, RouteGap, Severance, SeveranceValue,
    ValueDelta, WhatIfResult, ZoneCollection, ZoneDelta, ZoneFeature, ZoneSeverance, ZoneValue,
};
pub use shared_engine::SharedEngine;
pub use spatial_index::SpatialIndex;
pub use street_graph::{BARRIER_HIGHWAYS, GraphStats, NODE_GRID_M, SNAP_M, StreetGraph};
pub use walk_profile::{
    DEFAULT_WALK_PROFILES_JSON, ProfileComparison, ProfileRules, ProfileValue, TagBarrier, WALK_TAGS, WalkProfile,
    WalkProfileRules, WayTags, ZoneProfile,
};
pub use what_if::{Change, ChangeAction};
pub use zone_scheme::{
    CENTRE_MAX_MEAN_DISTANCE_M, DEFAULT_BANDS_KM, NEAREST_ZONE_FALLBACK_M, PERIPHERY_MIN_MEAN_DISTANCE_M,
    RING_VERTICES, ZoneRole, ZoneScheme,
};

#[cfg(test)]
mod tests {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn engine_can_be_shared_between_threads() {
        assert_send_sync::<super::Engine>();
        assert_send_sync::<super::SharedEngine>();
    }
}
