//! Compensatory planting: trees required by felling permits vs trees planted for them,
//! where they were planted, whether they survived, and what is overdue.

use std::collections::HashMap;

use chrono::NaiveDate;
use geo::Centroid;
use geo_types::Point;

use crate::EngineError;
use crate::compute::{Aggregation, ZoneFigures};
use crate::engine::Engine;
use crate::indicator_def::CompensationMetric;
use crate::layer::LayerData;
use crate::result::Flow;
use crate::zone_set::ZoneSet;

/// Fellings and plantings of every served layer, linked by permit number. Built once per
/// engine: benchmark cities have millions of them, so their points are not copied here
/// (see [`points`]: they are placed in zones once per zone scheme).
pub(crate) struct PlantingData {
    required: Vec<f64>,
    due: Vec<Option<NaiveDate>>,
    /// Trees planted for each felling's permit, wherever planted.
    delivered: Vec<f64>,
    planted: Vec<f64>,
    /// Trees alive at the 1-, 2- and 3-year checks; `NaN` where not checked (counts are
    /// never `NaN`): half the size of an `Option<f64>`.
    alive: [Vec<f64>; 3],
    /// The felling each planting names (`felling_permit_no`), if known.
    link: Vec<Option<u32>>,
}

fn point_of(g: Option<&geo_types::Geometry<f64>>) -> Option<Point<f64>> {
    match g? {
        geo_types::Geometry::Point(p) => Some(*p),
        other => other.centroid(),
    }
}

/// The point of every feature of `layers`, in the order [`PlantingData::build`] reads them.
fn points(layers: &[&LayerData]) -> Vec<Option<Point<f64>>> {
    layers
        .iter()
        .flat_map(|l| (0..l.len()).map(|i| point_of(l.index.geometry(i))))
        .collect()
}

impl PlantingData {
    pub fn build(fellings: &[&LayerData], plantings: &[&LayerData]) -> PlantingData {
        let mut d = PlantingData {
            required: Vec::new(),
            due: Vec::new(),
            delivered: Vec::new(),
            planted: Vec::new(),
            alive: [Vec::new(), Vec::new(), Vec::new()],
            link: Vec::new(),
        };
        let mut by_permit: HashMap<&str, u32> = HashMap::new();
        for l in fellings {
            for i in 0..l.len() {
                let idx = d.required.len() as u32;
                d.required
                    .push(l.float("trees_felled", i).unwrap_or(0.0) * l.float("compensation_ratio", i).unwrap_or(0.0));
                d.due.push(l.date("compensation_due", i));
                // The first felling with a permit number wins (numbers are unique per layer).
                if let Some(p) = l.str_ref("permit_no", i) {
                    by_permit.entry(p).or_insert(idx);
                }
            }
        }
        d.delivered = vec![0.0; d.required.len()];
        for l in plantings {
            for i in 0..l.len() {
                let planted = l.float("trees_planted", i).unwrap_or(0.0);
                d.planted.push(planted);
                for (k, f) in ["alive_1y", "alive_2y", "alive_3y"].into_iter().enumerate() {
                    d.alive[k].push(l.float(f, i).unwrap_or(f64::NAN));
                }
                let link = l
                    .str_ref("felling_permit_no", i)
                    .and_then(|p| by_permit.get(p).copied());
                if let Some(f) = link {
                    d.delivered[f as usize] += planted;
                }
                d.link.push(link);
            }
        }
        d
    }
}

/// The zone of every felling and of every planting in `zs`, found on first use.
pub(crate) fn zones<'a>(
    engine: &Engine,
    zs: &'a ZoneSet,
) -> &'a (crate::zone_set::PointZones, crate::zone_set::PointZones) {
    zs.planting_zones.get_or_init(|| {
        let fellings = engine.role_layers("tree_fellings", qala_core::LayerKind::TreeFelling);
        let plantings = engine.role_layers("tree_plantings", qala_core::LayerKind::TreePlanting);
        (zs.assign_all(&points(&fellings)), zs.assign_all(&points(&plantings)))
    })
}

pub(crate) fn figures(
    engine: &Engine,
    zs: &ZoneSet,
    metric: CompensationMetric,
) -> Result<(ZoneFigures, Vec<Flow>), EngineError> {
    let d = engine.planting_data();
    let (felling_zone, planting_zone) = zones(engine, zs);
    let n = zs.zones.len();
    let mut num = vec![0.0; n];
    let mut den = vec![0.0; n];
    let as_of = engine.as_of();
    let survival = match metric {
        CompensationMetric::Survival1y => Some(0),
        CompensationMetric::Survival2y => Some(1),
        CompensationMetric::Survival3y => Some(2),
        _ => None,
    };
    match metric {
        CompensationMetric::DeliveredRatio | CompensationMetric::OverduePermits => {
            for (f, z) in felling_zone.iter().enumerate() {
                let Some(z) = z.map(|z| z as usize) else { continue };
                if metric == CompensationMetric::DeliveredRatio {
                    num[z] += d.delivered[f];
                    den[z] += d.required[f];
                } else if d.due[f].is_some_and(|due| due < as_of) {
                    den[z] += 1.0;
                    if d.delivered[f] < d.required[f] {
                        num[z] += 1.0;
                    }
                }
            }
        }
        CompensationMetric::SameZoneShare => {
            for (p, link) in d.link.iter().enumerate() {
                let Some(fz) = link.and_then(|f| felling_zone[f as usize]) else {
                    continue;
                };
                den[fz as usize] += d.planted[p];
                if planting_zone[p] == Some(fz) {
                    num[fz as usize] += d.planted[p];
                }
            }
        }
        _ => {
            let k = survival.unwrap_or(0);
            for (p, z) in planting_zone.iter().enumerate() {
                let alive = d.alive[k][p];
                if let (Some(z), false) = (z, alive.is_nan()) {
                    num[*z as usize] += alive;
                    den[*z as usize] += d.planted[p];
                }
            }
        }
    }
    let flows = match metric {
        CompensationMetric::DeliveredRatio | CompensationMetric::SameZoneShare => {
            // A dense (from, to) table, slot 0 for "no zone": a million plantings add into it
            // in their order, so each sum is the one a map keyed by the pair would give, and
            // the flows come out in that map's order (no zone first, then by zone).
            let slot = |z: Option<u32>| z.map_or(0, |z| z as usize + 1);
            let mut trees = vec![0.0; (n + 1) * (n + 1)];
            let mut seen = vec![false; (n + 1) * (n + 1)];
            for (p, link) in d.link.iter().enumerate() {
                if let Some(f) = link {
                    let k = slot(felling_zone[*f as usize]) * (n + 1) + slot(planting_zone[p]);
                    trees[k] += d.planted[p];
                    seen[k] = true;
                }
            }
            let zone = |s: usize| (s > 0).then(|| zs.zones[s - 1].id.clone());
            (0..trees.len())
                .filter(|&k| seen[k])
                .map(|k| Flow {
                    from_zone: zone(k / (n + 1)),
                    to_zone: zone(k % (n + 1)),
                    trees: trees[k],
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let agg = match metric {
        CompensationMetric::OverduePermits => Aggregation::Count,
        _ => Aggregation::Ratio,
    };
    Ok((ZoneFigures { num, den, agg }, flows))
}
