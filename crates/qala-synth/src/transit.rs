//! Metro stations and BRT stops at approximate positions, and benchmark-scale services.

use geo::{Euclidean, InterpolatableLine, Length};
use geo_types::{Coord, Geometry, Point};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::SynthError;
use crate::metric::{CityMetric, Metric};
use crate::out::{OutFeature, props};

/// Metro line 1 runs under Abay and Furmanov (Nazarbayev) avenues; approximate positions,
/// clearly synthetic. BRT stops every ~500 m along the longest primary street not in the
/// metro corridor.
pub fn stops(city: &CityMetric, m: &Metric) -> Result<Vec<OutFeature>, SynthError> {
    let metro: &[(&str, f64, f64)] = &[
        ("Raiymbek Batyr (synthetic)", 76.9447, 43.2713),
        ("Zhibek Zholy (synthetic)", 76.9459, 43.2606),
        ("Almaly (synthetic)", 76.9456, 43.2513),
        ("Abay (synthetic)", 76.9452, 43.2428),
        ("Baikonur (synthetic)", 76.9276, 43.2403),
        ("Auezov Theatre (synthetic)", 76.9159, 43.2400),
        ("Alatau (synthetic)", 76.8975, 43.2387),
        ("Sairan (synthetic)", 76.8797, 43.2366),
        ("Moskva (synthetic)", 76.8648, 43.2312),
    ];
    let mut out: Vec<OutFeature> = metro
        .iter()
        .map(|(name, x, y)| OutFeature {
            geometry: Geometry::Point(Point::new(*x, *y)),
            properties: props(&[
                ("category", json!("metro_station")),
                ("name", json!(name)),
                ("synthetic", json!(true)),
            ]),
        })
        .collect();
    let brt = city
        .roads
        .iter()
        .filter(|r| r.highway == "primary" && r.district.is_some())
        .filter(|r| city.dist_to_centre(r.geom.0[0]) > 2500.0)
        .max_by(|a, b| Euclidean.length(&a.geom).total_cmp(&Euclidean.length(&b.geom)));
    if let Some(road) = brt {
        let len = Euclidean.length(&road.geom);
        let n = (len / 500.0).floor() as usize;
        for i in 0..=n {
            let frac = if n == 0 { 0.5 } else { i as f64 / n as f64 };
            if let Some(p) = road.geom.point_at_ratio_from_start(&Euclidean, frac) {
                let d = m.to_deg(Coord { x: p.x(), y: p.y() })?;
                out.push(OutFeature {
                    geometry: Geometry::Point(Point::new((d.x * 1e7).round() / 1e7, (d.y * 1e7).round() / 1e7)),
                    properties: props(&[
                        ("category", json!("brt_stop")),
                        ("name", json!(format!("BRT {} (synthetic)", i + 1))),
                        ("synthetic", json!(true)),
                    ]),
                });
            }
        }
    }
    Ok(out)
}

/// `n` services on street vertices (benchmark scale).
pub fn services(city: &CityMetric, rng: &mut ChaCha8Rng, n: usize) -> Vec<OutFeature> {
    let cats = ["school", "kindergarten", "clinic", "pharmacy", "bus_stop", "bus_stop"];
    let roads: Vec<_> = city.roads.iter().filter(|r| r.district.is_some()).collect();
    let mut out = Vec::with_capacity(n);
    if roads.is_empty() {
        return out;
    }
    for i in 0..n {
        let r = roads[rng.gen_range(0..roads.len())];
        let c = r.geom_deg.0[rng.gen_range(0..r.geom_deg.0.len())];
        let cat = cats[rng.gen_range(0..cats.len())];
        out.push(OutFeature {
            geometry: Geometry::Point(Point::new(c.x, c.y)),
            properties: props(&[
                ("category", json!(cat)),
                ("name", json!(format!("{cat} {} (synthetic)", i + 1))),
                ("capacity", json!(rng.gen_range(50..1500))),
                ("synthetic", json!(true)),
            ]),
        });
    }
    out
}
