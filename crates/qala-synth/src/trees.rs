//! A felling register and the compensatory plantings that answer it (or do not).

use chrono::{Duration, NaiveDate};
use geo_types::{Coord, Geometry, Point};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::metric::{CityMetric, Metric};
use crate::out::{OutFeature, props};
use crate::{SynthError, SynthOptions, reference_date};

const SPECIES: &[&str] = &[
    "Ulmus pumila",
    "Fraxinus excelsior",
    "Acer platanoides",
    "Betula pendula",
    "Picea schrenkiana",
    "Quercus robur",
    "Tilia cordata",
    "Populus alba",
    "Pinus sylvestris",
    "Malus sieversii",
];
const REASONS: &[&str] = &[
    "construction",
    "road_works",
    "sanitary",
    "emergency",
    "utility_works",
    "other",
];
const RATIOS: &[f64] = &[1.0, 3.0, 5.0, 8.0, 10.0];

/// Street vertices per district (metric), where trees stand and are planted.
fn anchors(city: &CityMetric) -> Vec<Vec<Coord<f64>>> {
    let mut per = vec![Vec::new(); city.districts.len()];
    for r in &city.roads {
        for c in r.geom.0.iter().step_by(2) {
            if let Some(d) = city.district_of(*c) {
                per[d].push(*c);
            }
        }
    }
    per
}

fn jitter(rng: &mut ChaCha8Rng, c: Coord<f64>, r: f64) -> Coord<f64> {
    Coord {
        x: c.x + rng.gen_range(-r..r),
        y: c.y + rng.gen_range(-r..r),
    }
}

fn date(rng: &mut ChaCha8Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days().max(0);
    from + Duration::days(rng.gen_range(0..=days))
}

fn point(m: &Metric, c: Coord<f64>) -> Result<Geometry<f64>, SynthError> {
    let d = m.to_deg(c)?;
    Ok(Geometry::Point(Point::new(
        (d.x * 1e7).round() / 1e7,
        (d.y * 1e7).round() / 1e7,
    )))
}

/// Survivors after `years` checks, or null where the check is not due yet.
fn survival(
    rng: &mut ChaCha8Rng,
    planted: i64,
    planted_on: NaiveDate,
    asof: NaiveDate,
    harsh: bool,
) -> [serde_json::Value; 3] {
    let mut alive = planted;
    let mut out = [json!(null), json!(null), json!(null)];
    for (y, slot) in out.iter_mut().enumerate() {
        if planted_on + Duration::days(365 * (y as i64 + 1)) > asof {
            break;
        }
        let rate = if harsh {
            rng.gen_range(0.2..0.6)
        } else {
            rng.gen_range(0.85..1.0)
        };
        alive = ((alive as f64) * rate).round() as i64;
        *slot = json!(alive);
    }
    out
}

/// Fellings and plantings. Of the permits: ~55 % compensated in the same district, ~20 %
/// elsewhere (further from the centre), ~10 % partly, ~15 % not at all (overdue once due);
/// ~12 % of plantings lose most trees by the 1-year check.
pub fn register(
    city: &CityMetric,
    m: &Metric,
    rng: &mut ChaCha8Rng,
    opts: &SynthOptions,
) -> Result<(Vec<OutFeature>, Vec<OutFeature>), SynthError> {
    let per = anchors(city);
    let usable: Vec<usize> = (0..per.len()).filter(|&d| !per[d].is_empty()).collect();
    if usable.is_empty() {
        return Err(SynthError::BadInput("no street vertices inside the districts".into()));
    }
    // Trees are felled more in the centre: pick anchors weighted toward it.
    let all: Vec<(usize, Coord<f64>)> = usable
        .iter()
        .flat_map(|&d| per[d].iter().map(move |c| (d, *c)))
        .collect();
    let asof = reference_date();
    let start = NaiveDate::from_ymd_opt(2021, 1, 1).unwrap_or(asof);
    // At benchmark scale, `trees` points in all: about 1 felling per 2.3 points.
    let fellings_n = if opts.trees > 0 {
        (opts.trees as f64 / 2.3).ceil() as usize
    } else {
        opts.fellings
    };
    let mut fellings = Vec::with_capacity(fellings_n);
    let mut plantings = Vec::with_capacity(fellings_n * 2);
    let mut year_seq = std::collections::BTreeMap::<i32, u32>::new();
    while fellings.len() < fellings_n {
        let (d, anchor) = all[rng.gen_range(0..all.len())];
        let km = city.dist_to_centre(anchor) / 1000.0;
        if rng.r#gen::<f64>() > (1.2 - km / 15.0).clamp(0.25, 1.0) {
            continue;
        }
        let felled_on = date(rng, start, asof - Duration::days(20));
        let year = chrono::Datelike::year(&felled_on);
        let seq = year_seq.entry(year).or_default();
        *seq += 1;
        let permit = format!("SYN-{year}-{:05}", *seq);
        let trees = 1 + (rng.r#gen::<f64>().powi(3) * 60.0) as i64;
        let ratio = RATIOS[rng.gen_range(0..RATIOS.len())];
        let due = felled_on + Duration::days(365);
        fellings.push(OutFeature {
            geometry: point(m, jitter(rng, anchor, 25.0))?,
            properties: props(&[
                ("permit_no", json!(permit)),
                ("felled_on", json!(felled_on.to_string())),
                ("trees_felled", json!(trees)),
                (
                    "dbh_sum_cm",
                    json!(((trees as f64) * rng.gen_range(15.0..60.0)).round()),
                ),
                ("reason", json!(REASONS[rng.gen_range(0..REASONS.len())])),
                ("compensation_ratio", json!(ratio)),
                ("compensation_due", json!(due.to_string())),
                ("akimat_id", json!(city.districts[d].akimat_id)),
                ("synthetic", json!(true)),
            ]),
        });
        let required = ((trees as f64) * ratio).ceil() as i64;
        let x: f64 = rng.r#gen();
        let (share, elsewhere) = match x {
            x if x < 0.55 => (1.0, false),
            x if x < 0.75 => (1.0, true),
            x if x < 0.85 => (rng.gen_range(0.3..0.9), false),
            _ => continue, // nothing planted: overdue once the due date passes
        };
        let mut remaining = ((required as f64) * share).round().max(1.0) as i64;
        let parts = rng.gen_range(1..=3).min(remaining);
        for p in 0..parts {
            let planted = if p + 1 == parts {
                remaining
            } else {
                remaining / (parts - p)
            };
            remaining -= planted;
            let planted_on = felled_on + Duration::days(rng.gen_range(30..420));
            if planted_on > asof {
                break;
            }
            let target = if elsewhere {
                // Leakage: planted in another district, usually further out.
                let others: Vec<usize> = usable.iter().copied().filter(|&o| o != d).collect();
                let o = others[rng.gen_range(0..others.len())];
                per[o][rng.gen_range(0..per[o].len())]
            } else {
                per[d][rng.gen_range(0..per[d].len())]
            };
            let harsh = rng.r#gen::<f64>() < 0.12;
            let [a1, a2, a3] = survival(rng, planted, planted_on, asof, harsh);
            plantings.push(OutFeature {
                geometry: point(m, jitter(rng, target, 20.0))?,
                properties: props(&[
                    ("trees_planted", json!(planted)),
                    ("species", json!(SPECIES[rng.gen_range(0..SPECIES.len())])),
                    ("planted_on", json!(planted_on.to_string())),
                    ("felling_permit_no", json!(permit)),
                    ("alive_1y", a1),
                    ("alive_2y", a2),
                    ("alive_3y", a3),
                    ("synthetic", json!(true)),
                ]),
            });
        }
    }
    Ok((fellings, plantings))
}
