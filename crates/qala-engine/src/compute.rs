//! Computing one indicator over one resolved zone scheme.

use std::sync::{Arc, PoisonError};

use geo_types::Point;

use crate::engine::Engine;
use crate::indicator_def::{IndicatorDef, LayerSelector, Measure, Norm};
use crate::inequality::{gini, theil};
use crate::project::Projector;
use crate::result::{GroupValue, IndicatorResult, Inequality, ZoneCollection, ZoneFeature, ZoneValue};
use crate::zone_set::ZoneSet;
use crate::{DistanceMode, EngineError, ZoneRole};

/// How zone figures combine into a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Aggregation {
    /// numerator / denominator.
    Ratio,
    /// The numerator is a count.
    Count,
    /// The numerator is a maximum (groups take the max).
    Max,
}

/// Per-zone numerators and denominators, before values.
pub(crate) struct ZoneFigures {
    pub num: Vec<f64>,
    pub den: Vec<f64>,
    pub agg: Aggregation,
}

pub(crate) fn compute(engine: &Engine, def: &IndicatorDef, zs: &ZoneSet) -> Result<IndicatorResult, EngineError> {
    let residents = zone_residents(engine, zs);
    let mut inequality = None;
    let mut severance = None;
    let mut low_stress = None;
    let mut walk_profile = None;
    let mut flows = Vec::new();
    let mut routes = Vec::new();
    let figures = match &def.measure {
        Measure::Access {
            layer,
            radius_m,
            distance,
        } => {
            let straight = coverage(engine, layer, *radius_m)?;
            let covered = match distance {
                DistanceMode::Straight => straight,
                DistanceMode::Network => {
                    let net = crate::network::network_coverage(engine, layer, *radius_m)?;
                    severance = Some(crate::network::severance(engine, zs, *radius_m, &straight, &net)?);
                    net
                }
            };
            inequality = Some(cell_inequality(engine, zs, &covered)?);
            access_figures(engine, zs, &covered)?
        }
        Measure::LowStressAccess {
            layer,
            radius_m,
            scenario,
        } => {
            let all = crate::network::network_coverage(engine, layer, *radius_m)?;
            let low = crate::lts_access::low_stress_coverage(engine, layer, *radius_m, *scenario)?;
            low_stress = Some(crate::lts_access::comparison(
                engine, zs, *radius_m, *scenario, &all, &low,
            )?);
            inequality = Some(cell_inequality(engine, zs, &low)?);
            access_figures(engine, zs, &low)?
        }
        Measure::ProfileAccess {
            layer,
            radius_m,
            profile,
        } => {
            let walk = crate::network::network_coverage(engine, layer, *radius_m)?;
            let prof = crate::walk_profile::profile_coverage(engine, layer, *radius_m, *profile)?;
            walk_profile = Some(crate::walk_profile::comparison(
                engine, zs, *radius_m, *profile, &walk, &prof,
            )?);
            inequality = Some(cell_inequality(engine, zs, &prof)?);
            access_figures(engine, zs, &prof)?
        }
        Measure::AreaPerResident { layer } => ZoneFigures {
            num: clipped_sums(engine, zs, layer, Clip::Area)?,
            den: residents.clone(),
            agg: Aggregation::Ratio,
        },
        Measure::LengthPerResidents { layer, per_residents } => ZoneFigures {
            num: clipped_sums(engine, zs, layer, Clip::LengthKm)?,
            den: residents.iter().map(|r| r / per_residents).collect(),
            agg: Aggregation::Ratio,
        },
        Measure::LengthPerArea { layer } => ZoneFigures {
            num: clipped_sums(engine, zs, layer, Clip::LengthKm)?,
            den: zs.zones.iter().map(|z| z.area_m2 / 1e6).collect(),
            agg: Aggregation::Ratio,
        },
        Measure::Compensation { metric } => {
            let (f, fl) = crate::planting::figures(engine, zs, *metric)?;
            flows = fl;
            f
        }
        Measure::RouteGap { signs, snap_m } => {
            let (f, r) = crate::wayfinding::figures(engine, zs, signs, *snap_m)?;
            routes = r;
            f
        }
    };
    let mut r = assemble(engine, def, zs, &residents, &figures, inequality, flows, routes);
    r.distance = def.distance();
    r.severance = severance;
    r.low_stress = low_stress;
    r.walk_profile = walk_profile;
    Ok(r)
}

#[allow(clippy::too_many_arguments)]
fn assemble(
    engine: &Engine,
    def: &IndicatorDef,
    zs: &ZoneSet,
    residents: &[f64],
    f: &ZoneFigures,
    inequality: Option<Inequality>,
    flows: Vec<crate::result::Flow>,
    routes: Vec<crate::result::RouteGap>,
) -> IndicatorResult {
    let zones: Vec<ZoneValue> = zs
        .zones
        .iter()
        .enumerate()
        .map(|(i, z)| {
            let value = value_of(f.agg, f.num[i], f.den[i]);
            ZoneValue {
                zone: z.id.clone(),
                names: z.names.clone(),
                role: z.role,
                residents: residents[i],
                numerator: f.num[i],
                denominator: f.den[i],
                value,
                gap_to_norm: gap(def.norm, value),
            }
        })
        .collect();
    let group = |keep: &dyn Fn(ZoneRole) -> bool| -> GroupValue {
        let mut g = GroupValue::default();
        for (i, z) in zs.zones.iter().enumerate() {
            if !keep(z.role) {
                continue;
            }
            g.zones += 1;
            g.residents += residents[i];
            g.denominator += f.den[i];
            g.numerator = match f.agg {
                Aggregation::Max => g.numerator.max(f.num[i]),
                _ => g.numerator + f.num[i],
            };
        }
        g.value = if g.zones == 0 {
            None
        } else {
            value_of(f.agg, g.numerator, g.denominator)
        };
        g.gap_to_norm = gap(def.norm, g.value);
        g
    };
    let city = group(&|_| true);
    let centre = group(&|r| r == ZoneRole::Centre);
    let periphery = group(&|r| r == ZoneRole::Periphery);
    let service_gap = match (periphery.value, centre.value) {
        (Some(p), Some(c)) if c != 0.0 => Some(p / c),
        _ => None,
    };
    IndicatorResult {
        indicator: def.clone(),
        scheme: zs.scheme.clone(),
        zones,
        city,
        centre,
        periphery,
        service_gap,
        inequality,
        distance: None,
        severance: None,
        low_stress: None,
        walk_profile: None,
        flows,
        routes,
        layer_versions: zs
            .scheme
            .parse()
            .map(|s| engine.input_versions(def, &s))
            .unwrap_or_default(),
        as_of: engine.as_of(),
    }
}

pub(crate) fn value_of(agg: Aggregation, num: f64, den: f64) -> Option<f64> {
    match agg {
        Aggregation::Ratio => (den > 0.0).then(|| num / den),
        Aggregation::Count => Some(num),
        // A maximum over nothing is no value.
        Aggregation::Max => (den > 0.0).then_some(num),
    }
}

pub(crate) fn gap(norm: Option<Norm>, value: Option<f64>) -> Option<f64> {
    Some(value? - norm?.value())
}

/// Residents per zone.
pub(crate) fn zone_residents(engine: &Engine, zs: &ZoneSet) -> Vec<f64> {
    let mut out = vec![0.0; zs.zones.len()];
    if let Some(pop) = &engine.population {
        for (c, z) in zs.cell_zone.iter().enumerate() {
            if let Some(z) = z {
                out[*z as usize] += pop.residents[c];
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy)]
enum Clip {
    Area,
    LengthKm,
}

/// Per zone, the area (m²) or length (km) of the selected features inside it; cached per
/// zone scheme, since what-if asks for it again.
fn clipped_sums(engine: &Engine, zs: &ZoneSet, sel: &LayerSelector, clip: Clip) -> Result<Vec<f64>, EngineError> {
    let key = format!("{clip:?}|{}", serde_json::to_string(sel).unwrap_or_default());
    if let Some(v) = zs.clipped.lock().unwrap_or_else(PoisonError::into_inner).get(&key) {
        return Ok(v.clone());
    }
    let mut num = vec![0.0; zs.zones.len()];
    for s in engine.selected(sel)? {
        let l = s.layer;
        for (i, g) in l.index.geometries().iter().enumerate() {
            if l.passes(&s.filter, i) {
                for (z, zone) in zs.zones.iter().enumerate() {
                    num[z] += match clip {
                        Clip::Area => zone.area_inside(g),
                        Clip::LengthKm => zone.length_inside(g) / 1000.0,
                    };
                }
            }
        }
    }
    zs.clipped
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key, num.clone());
    Ok(num)
}

/// Whether each population cell is within `radius_m` of a selected feature; cached per
/// (selector, radius) because every zone scheme and what-if reuses it.
pub(crate) fn coverage(engine: &Engine, sel: &LayerSelector, radius_m: f64) -> Result<Arc<Vec<bool>>, EngineError> {
    engine.cached_coverage(coverage_key(sel, radius_m), || straight_coverage(engine, sel, radius_m))
}

fn straight_coverage(engine: &Engine, sel: &LayerSelector, radius_m: f64) -> Result<Vec<bool>, EngineError> {
    let pop = engine.population()?;
    let layers = engine.selected(sel)?;
    let masks: Vec<Vec<bool>> = layers.iter().map(|s| s.layer.mask(&s.filter)).collect();
    let covered_at = |p: &Point<f64>| {
        layers
            .iter()
            .zip(&masks)
            .any(|(s, m)| s.layer.index.any_within(*p, radius_m, |i| m[i]))
    };
    // One chunk of cells per core: the cells are independent.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let chunk = pop.points.len().div_ceil(threads).max(1);
    let covered: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = pop
            .points
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(covered_at).collect::<Vec<bool>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    Ok(covered)
}

pub(crate) fn coverage_key(sel: &LayerSelector, radius_m: f64) -> String {
    format!("{}|{radius_m}", serde_json::to_string(sel).unwrap_or_default())
}

pub(crate) fn access_figures(engine: &Engine, zs: &ZoneSet, covered: &[bool]) -> Result<ZoneFigures, EngineError> {
    let pop = engine.population()?;
    let mut num = vec![0.0; zs.zones.len()];
    let mut den = vec![0.0; zs.zones.len()];
    for (c, z) in zs.cell_zone.iter().enumerate() {
        if let Some(z) = z {
            den[*z as usize] += pop.residents[c];
            if covered[c] {
                num[*z as usize] += pop.residents[c];
            }
        }
    }
    Ok(ZoneFigures {
        num,
        den,
        agg: Aggregation::Ratio,
    })
}

fn cell_inequality(engine: &Engine, zs: &ZoneSet, covered: &[bool]) -> Result<Inequality, EngineError> {
    let pop = engine.population()?;
    let mut x = Vec::new();
    let mut w = Vec::new();
    let mut g = Vec::new();
    for (c, z) in zs.cell_zone.iter().enumerate() {
        if let Some(z) = z {
            x.push(if covered[c] { 1.0 } else { 0.0 });
            w.push(pop.residents[c]);
            g.push(*z as usize);
        }
    }
    let t = theil(&x, &w, &g);
    Ok(Inequality {
        gini: gini(&x, &w),
        theil_t: t.map(|t| t.total),
        theil_between: t.map(|t| t.between),
        theil_between_share: t.and_then(|t| (t.total > 0.0).then(|| t.between / t.total)),
        cells: x.len(),
    })
}

pub(crate) fn zone_collection(engine: &Engine, zs: &ZoneSet) -> Result<ZoneCollection, EngineError> {
    let inv = Projector::to_wgs84()?;
    let residents = zone_residents(engine, zs);
    let zones = zs
        .zones
        .iter()
        .zip(residents)
        .map(|(z, r)| {
            let g = inv.geometry(&geo_types::Geometry::MultiPolygon(z.geom.clone()))?;
            let geometry_wgs84 = match g {
                geo_types::Geometry::MultiPolygon(m) => m,
                _ => geo_types::MultiPolygon(vec![]),
            };
            Ok(ZoneFeature {
                id: z.id.clone(),
                names: z.names.clone(),
                role: z.role,
                area_m2: z.area_m2,
                residents: r,
                geometry_wgs84,
            })
        })
        .collect::<Result<Vec<_>, EngineError>>()?;
    Ok(ZoneCollection {
        scheme: zs.scheme.clone(),
        zones,
    })
}
