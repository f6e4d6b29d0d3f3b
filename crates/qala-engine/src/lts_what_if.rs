//! What-if on the cycling network: a bike lane drawn or taken away, or a street way's max
//! speed changed, and the `low_stress_access` indicators before and after, per zone.
//!
//! Rules (docs/lts.md):
//! - the changed network is built the way a loaded one is (`LtsNetwork::build_with`): an
//!   added lane is matched to the street ways exactly like the lanes of the layer, and
//!   counts in the scenarios that count its status; a removed lane counts in none; a new
//!   max speed replaces the assumed default of that way in every scenario;
//! - each scenario the change touches is rebuilt whole (classification, graph, snapping)
//!   and the coverage of each of its definitions recomputed on it; the definitions of the
//!   other scenarios are listed unchanged (their coverage is the cached one);
//! - an added lane must lie within [`LANE_MATCH_M`] of some street way, else
//!   `lane_off_street`; it must be a (Multi)LineString with a known `status` and
//!   `facility`.

use geo::{Distance, Euclidean};
use geo_types::Geometry;
use qala_core::LayerKind;
use qala_core::kind::{BIKE_LANE_FACILITY, BIKE_LANE_STATUS};
use serde::Serialize;
use serde_json::Value as Json;

use crate::EngineError;
use crate::compute::access_figures;
use crate::engine::Engine;
use crate::indicator_def::Measure;
use crate::layer::LayerData;
use crate::lts_access::{coverage_on, low_stress_coverage};
use crate::lts_network::{AddedLane, LANE_MATCH_M, LtsEdit, LtsNetwork, LtsScenario};
use crate::project::Projector;
use crate::result::IndicatorDelta;
use crate::what_if::{Change, ChangeAction, delta};
use crate::zone_set::ZoneSet;

/// Fastest max speed a what-if may set, km/h.
pub const MAX_SPEED_LIMIT_KMH: f64 = 200.0;

/// One street way whose stress the change alters in one scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LtsWayChange {
    /// Source row in the roads layer (the `row` of `GET /networks/lts`).
    pub row: u64,
    pub name: Option<String>,
    pub lts_before: u8,
    pub lts_after: u8,
}

/// What the change does to one scenario's network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LtsScenarioChange {
    pub scenario: LtsScenario,
    pub islands_before: usize,
    pub islands_after: usize,
    pub low_stress_km_before: f64,
    pub low_stress_km_after: f64,
    /// Ways whose LTS changes, by source row.
    pub ways: Vec<LtsWayChange>,
}

/// A change resolved against the engine, with the scenarios it touches.
pub(crate) struct LtsWhatIf {
    edit: LtsEdit,
    affects: [bool; 3],
}

fn text_attr<'a>(
    attrs: &'a serde_json::Map<String, Json>,
    field: &str,
    allowed: &[&str],
) -> Result<&'a str, EngineError> {
    match attrs.get(field) {
        Some(Json::String(s)) if allowed.contains(&s.as_str()) => Ok(s),
        got => Err(EngineError::InvalidChange(format!(
            "a bike lane needs attributes.{field}, one of {} (got {})",
            allowed.join(", "),
            got.map_or_else(|| "nothing".to_owned(), Json::to_string)
        ))),
    }
}

fn row_index(layer: &LayerData, row: u64) -> Result<usize, EngineError> {
    layer
        .rows
        .iter()
        .position(|r| *r == row)
        .ok_or(EngineError::FeatureNotFound {
            slug: layer.slug.clone(),
            row,
        })
}

fn geometry_type(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::LineString(_) => "LineString",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        _ => "another geometry",
    }
}

impl Engine {
    fn is_lane_layer(&self, layer: &LayerData) -> bool {
        self.role_layers("bike_lanes", LayerKind::BikeLane)
            .iter()
            .any(|l| std::ptr::eq(*l, layer))
    }

    /// The cycling-network edit of `change`, or `None` when the change does not touch the
    /// network (a layer other than the bike lanes and roads).
    ///
    /// Errors: `wrong_geometry_type` (a lane that is not a line), `invalid_change` (a lane
    /// without a known status and facility; a max speed set on another layer),
    /// `lane_off_street`, `invalid_max_speed`, `feature_not_found`.
    pub(crate) fn lts_what_if(&self, change: &Change) -> Result<Option<LtsWhatIf>, EngineError> {
        let layer = self.layer(&change.layer)?;
        let mut edit = LtsEdit::default();
        let statuses: Vec<String> = match &change.action {
            ChangeAction::Add { geometry, attributes } if self.is_lane_layer(layer) => {
                let g = crate::geojson_in::parse_geometry(geometry)?;
                if !matches!(g, Geometry::LineString(_) | Geometry::MultiLineString(_)) {
                    return Err(EngineError::WrongGeometryType {
                        what: "a bike lane".into(),
                        want: "LineString or MultiLineString".into(),
                        got: geometry_type(&g).into(),
                    });
                }
                let status = text_attr(attributes, "status", BIKE_LANE_STATUS)?;
                let facility = text_attr(attributes, "facility", BIKE_LANE_FACILITY)?;
                let geom_utm = Projector::to_utm()?.geometry(&g)?;
                self.check_near_a_street(&geom_utm)?;
                edit.added_lane = Some(AddedLane {
                    geom_utm,
                    status: status.to_owned(),
                    facility: facility.to_owned(),
                });
                vec![status.to_owned()]
            }
            ChangeAction::Remove { source_row } if self.is_lane_layer(layer) => {
                let i = row_index(layer, *source_row)?;
                edit.removed_lane = Some((layer.slug.clone(), i));
                layer.text("status", i).into_iter().collect()
            }
            ChangeAction::SetMaxSpeed {
                source_row,
                max_speed_kmh,
            } => {
                let roads = self
                    .role_layer("roads", LayerKind::Road, "roads")
                    .ok_or(EngineError::MissingRoads)?;
                if !std::ptr::eq(roads, layer) {
                    return Err(EngineError::InvalidChange(format!(
                        "set_max_speed changes a street of the roads layer {:?}; {:?} is a {} layer",
                        roads.slug,
                        layer.slug,
                        layer.kind.name()
                    )));
                }
                let speed = max_speed_kmh
                    .as_f64()
                    .filter(|v| v.is_finite() && *v > 0.0 && *v <= MAX_SPEED_LIMIT_KMH)
                    .ok_or_else(|| EngineError::InvalidMaxSpeed(max_speed_kmh.to_string()))?;
                edit.max_speed = Some((row_index(layer, *source_row)?, speed));
                BIKE_LANE_STATUS.iter().map(|s| (*s).to_owned()).collect()
            }
            _ => return Ok(None),
        };
        let affects = LtsScenario::ALL.map(|s| statuses.iter().any(|x| s.statuses().contains(&x.as_str())));
        Ok(Some(LtsWhatIf { edit, affects }))
    }

    /// `lane_off_street` unless some street way lies within [`LANE_MATCH_M`] of the lane.
    fn check_near_a_street(&self, lane_utm: &Geometry<f64>) -> Result<(), EngineError> {
        let roads = self
            .role_layer("roads", LayerKind::Road, "roads")
            .ok_or(EngineError::MissingRoads)?;
        let nearest = roads
            .index
            .geometries()
            .iter()
            .map(|w| Euclidean.distance(w, lane_utm))
            .min_by(f64::total_cmp);
        match nearest {
            Some(d) if d <= LANE_MATCH_M => Ok(()),
            _ => Err(EngineError::LaneOffStreet {
                roads: roads.slug.clone(),
                match_m: LANE_MATCH_M,
                nearest: nearest.map_or_else(String::new, |d| format!(": the nearest way is {d:.0} m away")),
            }),
        }
    }

    /// Before/after of every `low_stress_access` definition whose inputs are served, and
    /// what the change does to each scenario's network it touches.
    pub(crate) fn lts_deltas(
        &self,
        w: &LtsWhatIf,
        zs: &ZoneSet,
        residents: &[f64],
    ) -> Result<(Vec<IndicatorDelta>, Vec<LtsScenarioChange>, usize), EngineError> {
        let rules = self.lts_rules()?;
        let roads = self
            .role_layer("roads", LayerKind::Road, "roads")
            .ok_or(EngineError::MissingRoads)?;
        let mut nets: [Option<LtsNetwork>; 3] = [None, None, None];
        let mut changes = Vec::new();
        for (k, scenario) in LtsScenario::ALL.into_iter().enumerate() {
            if !w.affects[k] {
                continue;
            }
            let (base, _) = self.lts_network(scenario)?;
            let next = LtsNetwork::build_with(self, &rules, scenario, &w.edit)?;
            let ways = base
                .segments
                .iter()
                .zip(&next.segments)
                .enumerate()
                .filter(|(_, (a, b))| a.lts != b.lts)
                .map(|(i, (a, b))| LtsWayChange {
                    row: roads.rows[i],
                    name: roads.text("name", i),
                    lts_before: a.lts,
                    lts_after: b.lts,
                })
                .collect();
            let km = |n: &LtsNetwork| n.islands.iter().map(|i| i.length_km).sum::<f64>();
            changes.push(LtsScenarioChange {
                scenario,
                islands_before: base.islands.len(),
                islands_after: next.islands.len(),
                low_stress_km_before: km(&base),
                low_stress_km_after: km(&next),
                ways,
            });
            nets[k] = Some(next);
        }
        let mut out = Vec::new();
        let mut cells = 0;
        for def in self.definitions() {
            let Measure::LowStressAccess {
                layer,
                radius_m,
                scenario,
            } = &def.measure
            else {
                continue;
            };
            // A definition whose destinations are not served is left out, as /indicators
            // would refuse it.
            if self.selected(layer).is_err() {
                continue;
            }
            let base = low_stress_coverage(self, layer, *radius_m, *scenario)?;
            let next = match &nets[scenario.index()] {
                Some(net) => {
                    cells += net.cell_snap.len();
                    coverage_on(self, net, layer, *radius_m)?
                }
                None => base.to_vec(),
            };
            out.push(delta(
                def,
                zs,
                residents,
                &access_figures(self, zs, &base)?,
                &access_figures(self, zs, &next)?,
            ));
        }
        Ok((out, changes, cells))
    }
}
