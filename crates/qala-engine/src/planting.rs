//! Compensatory planting: trees required by felling permits vs trees planted for them,
//! where they were planted, whether they survived, and what is overdue.

use std::collections::{BTreeMap, HashMap};

use geo::Centroid;
use geo_types::Point;
use qala_core::LayerKind;

use crate::EngineError;
use crate::compute::{Aggregation, ZoneFigures};
use crate::engine::Engine;
use crate::indicator_def::CompensationMetric;
use crate::result::Flow;
use crate::zone_set::ZoneSet;

struct Felling {
    zone: Option<usize>,
    required: f64,
    delivered: f64,
    due: Option<chrono::NaiveDate>,
}

fn point_of(g: Option<&geo_types::Geometry<f64>>) -> Option<Point<f64>> {
    match g? {
        geo_types::Geometry::Point(p) => Some(*p),
        other => other.centroid(),
    }
}

pub(crate) fn figures(
    engine: &Engine,
    zs: &ZoneSet,
    metric: CompensationMetric,
) -> Result<(ZoneFigures, Vec<Flow>), EngineError> {
    let n = zs.zones.len();
    let mut fellings: Vec<Felling> = Vec::new();
    let mut by_permit: HashMap<String, usize> = HashMap::new();
    for l in engine.layers.iter().filter(|l| l.kind == LayerKind::TreeFelling) {
        for i in 0..l.len() {
            let zone = point_of(l.index.geometry(i)).and_then(|p| zs.assign(p));
            let felled = l.float("trees_felled", i).unwrap_or(0.0);
            let ratio = l.float("compensation_ratio", i).unwrap_or(0.0);
            if let Some(permit) = l.text("permit_no", i) {
                by_permit.entry(permit).or_insert(fellings.len());
            }
            fellings.push(Felling {
                zone,
                required: felled * ratio,
                delivered: 0.0,
                due: l.date("compensation_due", i),
            });
        }
    }
    let alive_field = match metric {
        CompensationMetric::Survival1y => Some("alive_1y"),
        CompensationMetric::Survival2y => Some("alive_2y"),
        CompensationMetric::Survival3y => Some("alive_3y"),
        _ => None,
    };
    let mut num = vec![0.0; n];
    let mut den = vec![0.0; n];
    let mut flows: BTreeMap<(Option<usize>, Option<usize>), f64> = BTreeMap::new();
    for l in engine.layers.iter().filter(|l| l.kind == LayerKind::TreePlanting) {
        for i in 0..l.len() {
            let zone = point_of(l.index.geometry(i)).and_then(|p| zs.assign(p));
            let planted = l.float("trees_planted", i).unwrap_or(0.0);
            if let (Some(field), Some(z)) = (alive_field, zone)
                && let Some(alive) = l.float(field, i)
            {
                num[z] += alive;
                den[z] += planted;
            }
            let Some(f) = l.text("felling_permit_no", i).and_then(|p| by_permit.get(&p).copied()) else {
                continue;
            };
            let felling = &mut fellings[f];
            felling.delivered += planted;
            *flows.entry((felling.zone, zone)).or_insert(0.0) += planted;
            if metric == CompensationMetric::SameZoneShare
                && let Some(fz) = felling.zone
            {
                den[fz] += planted;
                if zone == Some(fz) {
                    num[fz] += planted;
                }
            }
        }
    }
    let as_of = engine.as_of();
    let agg = match metric {
        CompensationMetric::OverduePermits => Aggregation::Count,
        _ => Aggregation::Ratio,
    };
    for f in &fellings {
        let Some(z) = f.zone else { continue };
        match metric {
            CompensationMetric::DeliveredRatio => {
                num[z] += f.delivered;
                den[z] += f.required;
            }
            CompensationMetric::OverduePermits if f.due.is_some_and(|d| d < as_of) => {
                den[z] += 1.0;
                if f.delivered < f.required {
                    num[z] += 1.0;
                }
            }
            _ => {}
        }
    }
    let flows = match metric {
        CompensationMetric::DeliveredRatio | CompensationMetric::SameZoneShare => flows
            .into_iter()
            .map(|((from, to), trees)| Flow {
                from_zone: from.map(|z| zs.zones[z].id.clone()),
                to_zone: to.map(|z| zs.zones[z].id.clone()),
                trees,
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok((ZoneFigures { num, den, agg }, flows))
}
