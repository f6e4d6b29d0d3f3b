//! Bike lanes as continuous corridors along real streets, and benchmark-scale building
//! footprints.
//!
//! The plan: each corridor is one named main street (primary, secondary or tertiary), the
//! longest connected run of its OSM ways. The first corridor is the main street passing
//! nearest Republic Square; each next one must share a vertex with the corridors already
//! chosen (so existing + planned is one connected network), preferring a street that reaches
//! a district with no lane yet (corridors towards the periphery), then avenues before
//! smaller streets, then length. Along a corridor, ways nearer the centre are built, a ring
//! beyond is under construction and the rest is planned; each corridor's radii are drawn
//! from the seed. A lane is the way's own geometry, so every lane lies on a street.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use geo::{Euclidean, Length, MapCoords};
use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Rect};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::SynthError;
use crate::metric::{CityMetric, Metric};
use crate::out::{OutFeature, props};

/// Street classes a corridor may follow, most important first.
const CORRIDOR_CLASSES: [&str; 3] = ["primary", "secondary", "tertiary"];

/// Rank of a highway value among [`CORRIDOR_CLASSES`] (links count as their road).
fn class_rank(highway: &str) -> Option<usize> {
    let base = highway.strip_suffix("_link").unwrap_or(highway);
    CORRIDOR_CLASSES.iter().position(|c| *c == base)
}

/// A vertex key on a 1 cm grid: ways that share an OSM node share a key.
fn key(c: Coord<f64>) -> (i64, i64) {
    ((c.x / 0.01).round() as i64, (c.y / 0.01).round() as i64)
}

/// One candidate corridor: a connected run of ways of one named street.
struct Corridor {
    ways: Vec<usize>,
    rank: usize,
    length_m: f64,
    /// Districts its ways start in.
    districts: BTreeSet<usize>,
    keys: BTreeSet<(i64, i64)>,
    /// Nearest approach to Republic Square, metres.
    to_centre_m: f64,
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// The longest connected run of ways of each named main street.
fn corridors(city: &CityMetric) -> Vec<Corridor> {
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, r) in city.roads.iter().enumerate() {
        // A bypass (объездная дорога) is an expressway in all but its tag.
        if let (Some(name), Some(_)) = (r.name.as_deref(), class_rank(&r.highway))
            && !name.to_lowercase().contains("объездная")
        {
            by_name.entry(name).or_default().push(i);
        }
    }
    let mut out = Vec::new();
    for ways in by_name.values() {
        // Union the street's ways that share a vertex.
        let mut parent: Vec<usize> = (0..ways.len()).collect();
        let mut first_at: HashMap<(i64, i64), usize> = HashMap::new();
        for (j, &w) in ways.iter().enumerate() {
            for c in &city.roads[w].geom.0 {
                match first_at.get(&key(*c)) {
                    Some(&o) => {
                        let (a, b) = (find(&mut parent, o), find(&mut parent, j));
                        parent[a] = b;
                    }
                    None => {
                        first_at.insert(key(*c), j);
                    }
                }
            }
        }
        let mut runs: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (j, &w) in ways.iter().enumerate() {
            let root = find(&mut parent, j);
            runs.entry(root).or_default().push(w);
        }
        let best = runs
            .into_values()
            .map(|ws| {
                let len: f64 = ws.iter().map(|&w| Euclidean.length(&city.roads[w].geom)).sum();
                (ws, len)
            })
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        let Some((ways, length_m)) = best else { continue };
        let rank = ways
            .iter()
            .filter_map(|&w| class_rank(&city.roads[w].highway))
            .min()
            .unwrap_or(CORRIDOR_CLASSES.len());
        let districts = ways.iter().filter_map(|&w| city.roads[w].district).collect();
        let keys = ways
            .iter()
            .flat_map(|&w| city.roads[w].geom.0.iter().map(|c| key(*c)))
            .collect();
        let to_centre_m = ways
            .iter()
            .flat_map(|&w| city.roads[w].geom.0.iter())
            .map(|c| city.dist_to_centre(*c))
            .fold(f64::INFINITY, f64::min);
        // Short stubs make no corridor.
        if length_m >= 1000.0 {
            out.push(Corridor {
                ways,
                rank,
                length_m,
                districts,
                keys,
                to_centre_m,
            });
        }
    }
    out
}

/// Corridors of about `target_km` of street in all, as lanes with a status by distance
/// from the centre. Fewer when the streets run out.
pub fn lanes(city: &CityMetric, rng: &mut ChaCha8Rng, target_km: f64) -> Vec<OutFeature> {
    let all = corridors(city);
    let mut chosen: Vec<usize> = Vec::new();
    let mut network: BTreeSet<(i64, i64)> = BTreeSet::new();
    let mut reached: BTreeSet<usize> = BTreeSet::new();
    let mut km = 0.0;
    // The first: an avenue through the centre.
    let first = (0..all.len()).min_by(|&a, &b| {
        (all[a].rank, all[a].to_centre_m > 1000.0)
            .cmp(&(all[b].rank, all[b].to_centre_m > 1000.0))
            .then(all[a].to_centre_m.total_cmp(&all[b].to_centre_m))
    });
    let mut next = first;
    while let Some(c) = next {
        chosen.push(c);
        network.extend(all[c].keys.iter().copied());
        reached.extend(all[c].districts.iter().copied());
        km += all[c].length_m / 1000.0;
        if km >= target_km {
            break;
        }
        // Every touching corridor gets a score; the seed jitters lengths by ±25 %.
        next = (0..all.len())
            .filter(|i| !chosen.contains(i) && !all[*i].keys.is_disjoint(&network))
            .map(|i| {
                let new_districts = all[i].districts.difference(&reached).count();
                let jitter: f64 = rng.gen_range(0.75..1.25);
                (i, new_districts.min(1), all[i].rank, all[i].length_m * jitter)
            })
            .max_by(|a, b| {
                a.1.cmp(&b.1)
                    .then(b.2.cmp(&a.2))
                    .then(a.3.total_cmp(&b.3))
                    .then(b.0.cmp(&a.0))
            })
            .map(|t| t.0);
    }
    let mut out = Vec::new();
    for &c in &chosen {
        let corridor = &all[c];
        let built_km: f64 = rng.gen_range(2.0..3.5);
        let building_km = built_km + rng.gen_range(1.0..2.0);
        // Avenues get a kerb-separated lane, some an off-street path beside the road.
        let separated = if rng.gen_range(0..4) == 0 {
            "off_street_path"
        } else {
            "protected"
        };
        let planned_year: i64 = rng.gen_range(2027..=2030);
        let mut ways = corridor.ways.clone();
        ways.sort_unstable();
        for w in ways {
            let road = &city.roads[w];
            let mid = road.geom.0[road.geom.0.len() / 2];
            let km_out = city.dist_to_centre(mid) / 1000.0;
            let status = if km_out < built_km {
                "existing"
            } else if km_out < building_km {
                "under_construction"
            } else {
                "planned"
            };
            let facility = match class_rank(&road.highway) {
                Some(0 | 1) => separated,
                _ => "painted",
            };
            let year = match status {
                "existing" => json!(null),
                "under_construction" => json!(2026),
                _ => json!(planned_year),
            };
            out.push(OutFeature {
                geometry: Geometry::MultiLineString(MultiLineString(vec![road.geom_deg.clone()])),
                properties: props(&[
                    ("name", json!(road.name)),
                    ("status", json!(status)),
                    ("facility", json!(facility)),
                    ("planned_year", year),
                    ("synthetic", json!(true)),
                ]),
            });
        }
    }
    out
}

/// `n` small rectangular footprints beside real streets (benchmark scale), as features and
/// as metric polygons (the population surface weighs them too).
pub fn buildings(
    city: &CityMetric,
    m: &Metric,
    rng: &mut ChaCha8Rng,
    n: usize,
) -> Result<(Vec<OutFeature>, Vec<geo_types::Polygon<f64>>), SynthError> {
    let roads: Vec<&LineString<f64>> = city
        .roads
        .iter()
        .filter(|r| r.district.is_some())
        .map(|r| &r.geom)
        .collect();
    if roads.is_empty() {
        return Err(SynthError::BadInput("no streets inside the districts".into()));
    }
    let kinds = ["apartments", "house", "residential", "commercial", "school", "yes"];
    let mut out = Vec::with_capacity(n);
    let mut metric = Vec::with_capacity(n);
    for _ in 0..n {
        let road = roads[rng.gen_range(0..roads.len())];
        let seg = road.0.len() - 1;
        let k = rng.gen_range(0..seg);
        let (a, b) = (road.0[k], road.0[k + 1]);
        let t: f64 = rng.r#gen();
        let side = if rng.r#gen::<bool>() { 1.0 } else { -1.0 };
        let offset = rng.gen_range(15.0..60.0) * side;
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let len = (dx * dx + dy * dy).sqrt().max(1e-9);
        let c = Coord {
            x: a.x + dx * t - dy / len * offset,
            y: a.y + dy * t + dx / len * offset,
        };
        let (w, h) = (rng.gen_range(8.0..40.0), rng.gen_range(8.0..30.0));
        let rect = Rect::new(
            Coord {
                x: c.x - w / 2.0,
                y: c.y - h / 2.0,
            },
            Coord {
                x: c.x + w / 2.0,
                y: c.y + h / 2.0,
            },
        )
        .to_polygon();
        let deg = rect.try_map_coords(|c| m.to_deg(c))?;
        metric.push(rect);
        out.push(OutFeature {
            geometry: Geometry::MultiPolygon(MultiPolygon(vec![deg])),
            properties: props(&[
                ("building", json!(kinds[rng.gen_range(0..kinds.len())])),
                ("levels", json!(rng.gen_range(1..=16))),
                ("synthetic", json!(true)),
            ]),
        });
    }
    Ok((out, metric))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap, HashSet};
    use std::sync::OnceLock;

    use geo::{Euclidean, Length, MapCoords};
    use geo_types::Geometry;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    use crate::metric::{CityMetric, Metric};

    fn city() -> &'static CityMetric {
        static CITY: OnceLock<CityMetric> = OnceLock::new();
        CITY.get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
            let inputs = crate::CityInputs::from_fixtures(&dir).unwrap();
            CityMetric::new(&inputs, &Metric::new().unwrap()).unwrap()
        })
    }

    fn json(seed: u64) -> Vec<String> {
        let c = city();
        super::lanes(c, &mut ChaCha8Rng::seed_from_u64(seed), 150.0)
            .iter()
            .map(|f| format!("{:?} {}", f.geometry, serde_json::Value::Object(f.properties.clone())))
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_plan_and_another_seed_another() {
        assert_eq!(json(7), json(7));
        assert_ne!(json(7), json(8));
    }

    /// The plan checked from the lanes alone, against the roads read from the fixtures: every
    /// vertex is a street vertex, the lanes form one network, the length is a city's, all three
    /// statuses occur, most districts are reached and every lane says it is synthetic.
    #[test]
    fn lanes_are_connected_corridors_on_streets() {
        let (c, m) = (city(), Metric::new().unwrap());
        let lanes = super::lanes(c, &mut ChaCha8Rng::seed_from_u64(42), 150.0);
        let cm = |x: f64| (x * 100.0).round() as i64;
        let street: HashSet<(i64, i64)> = c
            .roads
            .iter()
            .flat_map(|r| r.geom.0.iter().map(|p| (cm(p.x), cm(p.y))))
            .collect();
        let mut parent: Vec<usize> = (0..lanes.len()).collect();
        fn root(p: &mut [usize], mut i: usize) -> usize {
            while p[i] != i {
                i = p[i];
            }
            i
        }
        let mut seen: HashMap<(i64, i64), usize> = HashMap::new();
        let (mut km, mut districts) = (0.0, BTreeSet::new());
        let mut statuses: std::collections::BTreeMap<String, f64> = Default::default();
        for (i, f) in lanes.iter().enumerate() {
            assert_eq!(f.properties["synthetic"], true);
            let status = statuses
                .entry(f.properties["status"].as_str().unwrap().to_owned())
                .or_default();
            let Geometry::MultiLineString(ml) = &f.geometry else {
                panic!("lane {i} is not a line")
            };
            for l in &ml.0 {
                let metric = l.try_map_coords(|p| m.to_m(p)).unwrap();
                km += Euclidean.length(&metric) / 1000.0;
                *status += Euclidean.length(&metric) / 1000.0;
                for p in &metric.0 {
                    let k = (cm(p.x), cm(p.y));
                    assert!(street.contains(&k), "lane {i}: vertex {p:?} is on no street");
                    if let Some(d) = c.district_of(*p) {
                        districts.insert(d);
                    }
                    match seen.get(&k) {
                        Some(&o) => {
                            let (a, b) = (root(&mut parent, o), root(&mut parent, i));
                            parent[a] = b;
                        }
                        None => {
                            seen.insert(k, i);
                        }
                    }
                }
            }
        }
        let pieces: BTreeSet<usize> = (0..lanes.len()).map(|i| root(&mut parent, i)).collect();
        eprintln!(
            "{} lanes, {km:.1} km, {} pieces, districts {districts:?}, statuses {statuses:?}",
            lanes.len(),
            pieces.len()
        );
        assert_eq!(pieces.len(), 1, "existing + planned is one network");
        assert!((100.0..=250.0).contains(&km), "{km} km of lanes");
        assert_eq!(statuses.len(), 3, "{statuses:?}");
        assert!(districts.len() >= 7, "corridors reach the periphery: {districts:?}");
    }
}
