//! What-if: add or remove one feature in memory and get the indicator deltas per zone,
//! recomputing only the population cells within reach of the change.

use std::time::Instant;

use geo::{Area, BoundingRect, Distance, Euclidean};
use geo_types::{Geometry, Point};
use rstar::AABB;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::compute::{Aggregation, ZoneFigures, access_figures, coverage, value_of, zone_residents};
use crate::engine::Engine;
use crate::indicator_def::{FeatureFilter, IndicatorDef, LayerSelector, Measure};
use crate::layer::LayerData;
use crate::network::{cells_within_walk, network_coverage, walk_covered_without};
use crate::project::Projector;
use crate::result::{IndicatorDelta, ValueDelta, WhatIfResult, ZoneDelta};
use crate::zone_set::ZoneSet;
use crate::{DistanceMode, EngineError, ZoneScheme};

/// One change to one layer, e.g. a new park in `green-spaces`:
/// `{"layer":"green-spaces","action":"add","geometry":{"type":"Polygon",…},
///   "attributes":{"category":"park","public_access":true}}`
/// or `{"layer":"services","action":"remove","source_row":12}`, or for the cycling network
/// `{"layer":"roads","action":"set_max_speed","source_row":118,"max_speed_kmh":30}`.
///
/// An added feature counts for an indicator only if its attributes pass the indicator's
/// filter (a stop needs `"category":"bus_stop"`, a park `"public_access":true`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub layer: String,
    #[serde(flatten)]
    pub action: ChangeAction,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum ChangeAction {
    /// A GeoJSON geometry in lon/lat and the new feature's attributes.
    Add {
        geometry: Json,
        #[serde(default)]
        attributes: Map<String, Json>,
    },
    /// The feature at this source row of the layer.
    Remove { source_row: u64 },
    /// A new max speed (km/h, a positive number) for the street way at this source row of
    /// the roads layer; only the cycling network's indicators read it.
    SetMaxSpeed { source_row: u64, max_speed_kmh: Json },
}

enum Resolved<'a> {
    Added {
        geom: Geometry<f64>,
        attrs: &'a Map<String, Json>,
    },
    Removed {
        index: usize,
    },
}

fn attrs_pass(filter: &FeatureFilter, attrs: &Map<String, Json>, geom: &Geometry<f64>) -> bool {
    let text = |v: &Json| match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    filter
        .equals
        .iter()
        .all(|eq| attrs.get(&eq.field).is_some_and(|v| eq.any_of.contains(&text(v))))
        && filter.min_area_m2.is_none_or(|m| geom.unsigned_area() >= m)
}

impl Engine {
    /// Applies `change` in memory (the engine itself is not modified) and returns, for each
    /// default indicator that uses the changed layer (access, green area, bike-lane
    /// length), its value per zone of `scheme` before and after.
    pub fn what_if(&self, change: &Change, scheme: &ZoneScheme) -> Result<WhatIfResult, EngineError> {
        self.what_if_in(change, scheme, DistanceMode::Straight)
    }

    /// [`Engine::what_if`] with access distances in `mode`. In network mode only the cells
    /// within walking reach of the changed feature are recomputed: an added feature covers
    /// them; for a removed one they are walked again to the remaining features.
    pub fn what_if_in(
        &self,
        change: &Change,
        scheme: &ZoneScheme,
        mode: DistanceMode,
    ) -> Result<WhatIfResult, EngineError> {
        let started = Instant::now();
        let layer = self.layer(&change.layer)?;
        let zs = self.zone_set(scheme)?;
        // Checked first: a bad lane or speed is refused before any figure is computed.
        let cycling = self.lts_what_if(change)?;
        let residents = zone_residents(self, &zs);
        let resolved = match &change.action {
            ChangeAction::Add { geometry, attributes } => {
                let g = crate::geojson_in::parse_geometry(geometry)?;
                let geom = Projector::to_utm()?.geometry(&g)?;
                Resolved::Added {
                    geom,
                    attrs: attributes,
                }
            }
            ChangeAction::Remove { source_row } => {
                let index = layer
                    .rows
                    .iter()
                    .position(|r| r == source_row)
                    .ok_or(EngineError::FeatureNotFound {
                        slug: layer.slug.clone(),
                        row: *source_row,
                    })?;
                Resolved::Removed { index }
            }
            ChangeAction::SetMaxSpeed { source_row, .. } => {
                return self.finish_cycling(
                    format!("set the max speed of row {source_row} of {}", layer.slug),
                    cycling,
                    &zs,
                    &residents,
                    Vec::new(),
                    0,
                    started,
                );
            }
        };
        let describe = match &change.action {
            ChangeAction::Add { .. } => format!("add a feature to {}", layer.slug),
            ChangeAction::Remove { source_row } => format!("remove row {source_row} of {}", layer.slug),
            ChangeAction::SetMaxSpeed { .. } => String::new(),
        };
        let mut indicators = Vec::new();
        let mut cells_recomputed = 0;
        for def in self.definitions() {
            let def = &match def.distance() {
                Some(_) => def.clone().with_distance(mode)?,
                None => def.clone(),
            };
            let sel = match &def.measure {
                Measure::Access { layer: s, .. }
                | Measure::AreaPerResident { layer: s }
                | Measure::LengthPerResidents { layer: s, .. }
                | Measure::LengthPerArea { layer: s } => s,
                _ => continue,
            };
            // The changed layer's filter in this indicator (its binding's selection and the
            // definition's filter); indicators that do not read the layer are left out.
            let Some(filter) = self
                .selected(sel)
                .unwrap_or_default()
                .into_iter()
                .find(|s| std::ptr::eq(s.layer, layer))
                .map(|s| s.filter)
            else {
                continue;
            };
            let (geom, counts) = match &resolved {
                Resolved::Added { geom, attrs } => (geom, attrs_pass(&filter, attrs, geom)),
                Resolved::Removed { index } => match layer.index.geometry(*index) {
                    Some(g) => (g, layer.passes(&filter, *index)),
                    None => continue,
                },
            };
            let sign = if matches!(resolved, Resolved::Added { .. }) {
                1.0
            } else {
                -1.0
            };
            let (before, after) = match &def.measure {
                Measure::Access {
                    radius_m,
                    distance: DistanceMode::Network,
                    ..
                } => {
                    let base = network_coverage(self, sel, *radius_m)?;
                    let mut next = (*base).clone();
                    if counts {
                        let cells = cells_within_walk(self, geom, *radius_m)?;
                        cells_recomputed += cells.len();
                        match &resolved {
                            Resolved::Added { .. } => cells.iter().for_each(|&c| next[c] = true),
                            Resolved::Removed { index } => {
                                let now = walk_covered_without(self, sel, *radius_m, (layer, *index), &cells)?;
                                cells.iter().zip(now).for_each(|(&c, v)| next[c] = v);
                            }
                        }
                    }
                    (access_figures(self, &zs, &base)?, access_figures(self, &zs, &next)?)
                }
                Measure::Access { radius_m, .. } => {
                    let base = coverage(self, sel, *radius_m)?;
                    let mut next = (*base).clone();
                    if counts {
                        cells_recomputed += self.recompute_cells(&mut next, sel, *radius_m, geom, &resolved, layer)?;
                    }
                    (access_figures(self, &zs, &base)?, access_figures(self, &zs, &next)?)
                }
                _ => {
                    let before = crate::compute::compute(self, def, &zs)?;
                    let num: Vec<f64> = before.zones.iter().map(|z| z.numerator).collect();
                    let den: Vec<f64> = before.zones.iter().map(|z| z.denominator).collect();
                    let mut after = num.clone();
                    if counts {
                        for (z, zone) in zs.zones.iter().enumerate() {
                            let d = match &def.measure {
                                Measure::AreaPerResident { .. } => zone.area_inside(geom),
                                _ => zone.length_inside(geom) / 1000.0,
                            };
                            after[z] += sign * d;
                        }
                    }
                    let agg = Aggregation::Ratio;
                    (
                        ZoneFigures {
                            num,
                            den: den.clone(),
                            agg,
                        },
                        ZoneFigures { num: after, den, agg },
                    )
                }
            };
            indicators.push(delta(def, &zs, &residents, &before, &after));
        }
        self.finish_cycling(
            describe,
            cycling,
            &zs,
            &residents,
            indicators,
            cells_recomputed,
            started,
        )
    }

    /// Adds the cycling network's deltas (when the change touches it) to `indicators`.
    #[allow(clippy::too_many_arguments)]
    fn finish_cycling(
        &self,
        describe: String,
        cycling: Option<crate::lts_what_if::LtsWhatIf>,
        zs: &ZoneSet,
        residents: &[f64],
        mut indicators: Vec<IndicatorDelta>,
        mut cells_recomputed: usize,
        started: Instant,
    ) -> Result<WhatIfResult, EngineError> {
        let mut lts = Vec::new();
        if let Some(c) = cycling {
            let (deltas, changes, cells) = self.lts_deltas(&c, zs, residents)?;
            indicators.extend(deltas);
            lts = changes;
            cells_recomputed += cells;
        }
        Ok(WhatIfResult {
            scheme: zs.scheme.clone(),
            change: describe,
            indicators,
            lts,
            cells_recomputed,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
        })
    }

    /// Updates `covered` for the cells within `radius_m` of the changed geometry only.
    fn recompute_cells(
        &self,
        covered: &mut [bool],
        sel: &LayerSelector,
        radius_m: f64,
        geom: &Geometry<f64>,
        change: &Resolved<'_>,
        changed: &LayerData,
    ) -> Result<usize, EngineError> {
        let pop = self.population()?;
        let Some(bb) = geom.bounding_rect() else { return Ok(0) };
        let env = AABB::from_corners(
            [bb.min().x - radius_m, bb.min().y - radius_m],
            [bb.max().x + radius_m, bb.max().y + radius_m],
        );
        let layers = self.selected(sel)?;
        let mut n = 0;
        for cell in pop.tree.locate_in_envelope(&env) {
            let c = cell.data as usize;
            let p = Point::new(cell.geom()[0], cell.geom()[1]);
            if Euclidean.distance(&p, geom) > radius_m {
                continue;
            }
            n += 1;
            match change {
                Resolved::Added { .. } => covered[c] = true,
                Resolved::Removed { index } => {
                    if covered[c] {
                        covered[c] = layers.iter().any(|s| {
                            let l = s.layer;
                            let same = std::ptr::eq(l, changed);
                            l.index
                                .any_within(p, radius_m, |i| !(same && i == *index) && l.passes(&s.filter, i))
                        });
                    }
                }
            }
        }
        Ok(n)
    }
}

pub(crate) fn delta(
    def: &IndicatorDef,
    zs: &ZoneSet,
    _residents: &[f64],
    before: &ZoneFigures,
    after: &ZoneFigures,
) -> IndicatorDelta {
    let zones = zs
        .zones
        .iter()
        .enumerate()
        .map(|(i, z)| ZoneDelta {
            zone: z.id.clone(),
            names: z.names.clone(),
            delta: ValueDelta::new(
                value_of(before.agg, before.num[i], before.den[i]),
                value_of(after.agg, after.num[i], after.den[i]),
            ),
        })
        .collect();
    let sum = |v: &[f64]| v.iter().sum::<f64>();
    IndicatorDelta {
        indicator: def.id.clone(),
        unit: def.unit.clone(),
        norm: def.norm,
        city: ValueDelta::new(
            value_of(before.agg, sum(&before.num), sum(&before.den)),
            value_of(after.agg, sum(&after.num), sum(&after.den)),
        ),
        zones,
    }
}
