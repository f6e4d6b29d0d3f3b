//! Navigation signs at real intersections, and walking routes that link them.

use std::collections::BTreeMap;

use geo_types::{Coord, Geometry, LineString, MultiLineString, Point};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::metric::CityMetric;
use crate::out::{OutFeature, props};

/// First street seen at a vertex, how many other streets share it, and the vertex in
/// metres and degrees.
type VertexUse = (usize, usize, Coord<f64>, Coord<f64>);

/// Street vertices shared by two or more streets, in metres and degrees, sorted.
fn intersections(city: &CityMetric) -> Vec<(Coord<f64>, Coord<f64>)> {
    let mut seen: BTreeMap<(i64, i64), VertexUse> = BTreeMap::new();
    for (ri, r) in city.roads.iter().enumerate() {
        if matches!(
            r.highway.as_str(),
            "motorway" | "motorway_link" | "trunk_link" | "service" | "track"
        ) {
            continue;
        }
        for (m, d) in r.geom.0.iter().zip(r.geom_deg.0.iter()) {
            let k = ((d.x * 1e7).round() as i64, (d.y * 1e7).round() as i64);
            let e = seen.entry(k).or_insert((ri, 0, *m, *d));
            if e.0 != ri {
                e.1 += 1;
            }
        }
    }
    seen.into_values().filter(|v| v.1 >= 1).map(|v| (v.2, v.3)).collect()
}

pub fn signs_and_routes(city: &CityMetric, rng: &mut ChaCha8Rng, n: usize) -> (Vec<OutFeature>, Vec<OutFeature>) {
    let xs = intersections(city);
    if xs.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let types = [
        ("map", 3.0),
        ("fingerpost", 2.5),
        ("direction", 2.0),
        ("street_name", 1.5),
        ("information", 1.0),
    ];
    let mut chosen: Vec<(Coord<f64>, Coord<f64>)> = Vec::new();
    let mut tries = 0;
    while chosen.len() < n && tries < n * 200 {
        tries += 1;
        let c = xs[rng.gen_range(0..xs.len())];
        let km = city.dist_to_centre(c.0) / 1000.0;
        // Most signs in the centre; some around the outer districts' own centres.
        let p = if km < 4.0 { 1.0 } else { 0.08 };
        if rng.r#gen::<f64>() > p || chosen.iter().any(|o| (o.0.x - c.0.x).hypot(o.0.y - c.0.y) < 120.0) {
            continue;
        }
        chosen.push(c);
    }
    let mut signs = Vec::new();
    for (i, (_, d)) in chosen.iter().enumerate() {
        let total: f64 = types.iter().map(|t| t.1).sum();
        let mut x = rng.gen_range(0.0..total);
        let mut ty = types[0].0;
        for t in types {
            if x < t.1 {
                ty = t.0;
                break;
            }
            x -= t.1;
        }
        let l: f64 = rng.r#gen();
        let langs = if l < 0.6 {
            json!(["kk", "ru", "en"])
        } else if l < 0.95 {
            json!(["kk", "ru"])
        } else {
            json!(["kk"])
        };
        let year = rng.gen_range(2019..=2025);
        signs.push(OutFeature {
            geometry: Geometry::Point(Point(*d)),
            properties: props(&[
                ("sign_type", json!(ty)),
                ("languages", langs),
                (
                    "installed_on",
                    json!(format!(
                        "{year}-{:02}-{:02}",
                        rng.gen_range(1..=12),
                        rng.gen_range(1..=28)
                    )),
                ),
                ("sign_no", json!(format!("SYN-S{:04}", i + 1))),
                ("synthetic", json!(true)),
            ]),
        });
    }
    // Routes: greedy walks from a central sign to the nearest unvisited sign 150-900 m away.
    let names = [
        ("Heritage walk", "heritage"),
        ("Green boulevards", "parks"),
        ("Bazaar to Panfilov Park", "heritage"),
        ("Museums loop", "culture"),
    ];
    let mut routes = Vec::new();
    let central: Vec<usize> = (0..chosen.len())
        .filter(|&i| city.dist_to_centre(chosen[i].0) < 3000.0)
        .collect();
    for (name, theme) in names {
        if central.is_empty() {
            break;
        }
        let mut at = central[rng.gen_range(0..central.len())];
        let mut path = vec![at];
        for _ in 0..rng.gen_range(6..12) {
            let here = chosen[at].0;
            let next = (0..chosen.len())
                .filter(|j| !path.contains(j))
                .map(|j| (j, (chosen[j].0.x - here.x).hypot(chosen[j].0.y - here.y)))
                .filter(|(_, d)| (150.0..900.0).contains(d))
                .min_by(|a, b| a.1.total_cmp(&b.1));
            match next {
                Some((j, _)) => {
                    path.push(j);
                    at = j;
                }
                None => break,
            }
        }
        if path.len() < 2 {
            continue;
        }
        let line = LineString(path.iter().map(|&i| chosen[i].1).collect());
        routes.push(OutFeature {
            geometry: Geometry::MultiLineString(MultiLineString(vec![line])),
            properties: props(&[
                ("name", json!(name)),
                ("theme", json!(theme)),
                ("synthetic", json!(true)),
            ]),
        });
    }
    (signs, routes)
}
