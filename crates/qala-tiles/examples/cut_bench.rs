//! Cutting time per tile, in process, on a seeded city as dense as the tiles bench's core
//! (points with three properties, small polygons with two). Not a test: a profiling aid for
//! `bench/tiles` (`cargo run --release -p qala-tiles --example cut_bench`; with
//! `CUT_BENCH_SYNTH=target/bench-tiles/synth` it cuts the tiles bench's own city and tiles).
#![allow(clippy::print_stdout)] // a benchmark prints its figures

use std::sync::Arc;
use std::time::Instant;

use geo_types::{Geometry, Point, polygon};
use qala_tiles::mercator::to_3857;
use qala_tiles::{LayerData, PropValue, SourceFeature, TileCoord};

/// A small seeded generator (xorshift), so every run cuts the same city.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Features of a `qala synth` GeoJSON file (one feature per line), in file order: the order
/// `qala ingest` gives them ids in.
type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn read_synth(path: &std::path::Path) -> Res<Vec<SourceFeature>> {
    let text = std::fs::read_to_string(path)?;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches(',');
        if !line.starts_with("{\"type\":\"Feature\"") {
            continue;
        }
        let f: geojson::Feature = line.parse()?;
        let geometry = geo_types::Geometry::<f64>::try_from(f.geometry.ok_or("a feature without geometry")?)?;
        let props = f
            .properties
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => PropValue::Str(s),
                    serde_json::Value::Number(n) => n.as_i64().map_or(PropValue::Double(n.as_f64()?), PropValue::Int),
                    serde_json::Value::Bool(b) => PropValue::Bool(b),
                    _ => return None,
                };
                Some((std::borrow::Cow::Owned(k), v))
            })
            .collect();
        let id = out.len() as i64 + 1;
        out.push(SourceFeature {
            id,
            row: id as u64,
            geometry,
            props,
            extra: vec![],
        });
    }
    Ok(out)
}

fn main() -> Res<()> {
    if let Some(dir) = std::env::var_os("CUT_BENCH_SYNTH") {
        // The tiles bench's city and tiles: 48 tiles per zoom nearest Republic Square.
        let dir = std::path::PathBuf::from(dir);
        let layers = vec![
            Arc::new(LayerData::new(
                "buildings",
                1,
                read_synth(&dir.join("buildings-synthetic.geojson"))?,
            )),
            Arc::new(LayerData::new(
                "tree-plantings",
                1,
                read_synth(&dir.join("tree-plantings.geojson"))?,
            )),
        ];
        let (cx, cy) = to_3857(76.9455, 43.2380);
        for z in [14u8, 15, 16] {
            let c = TileCoord::containing(z, cx, cy);
            let mut tiles: Vec<TileCoord> = (0..9)
                .flat_map(|dx| {
                    (0..9).map(move |dy| TileCoord {
                        z,
                        x: c.x + dx - 4,
                        y: c.y + dy - 4,
                    })
                })
                .collect();
            tiles.sort_by_key(|t| {
                (
                    (t.x as i64 - c.x as i64).pow(2) + (t.y as i64 - c.y as i64).pow(2),
                    t.x,
                    t.y,
                )
            });
            tiles.truncate(48);
            time_tiles(z, &layers, &tiles);
        }
        return Ok(());
    }
    let (lon0, lat0, dlon, dlat) = (76.90, 43.21, 0.09, 0.06);
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let species = ["elm", "oak", "birch", "maple", "pine", "spruce", "ash", "poplar"];
    let points: Vec<SourceFeature> = (0..1_000_000)
        .map(|i| SourceFeature {
            id: i,
            row: i as u64 + 1,
            geometry: Geometry::Point(Point::new(lon0 + r.next() * dlon, lat0 + r.next() * dlat)),
            props: vec![
                ("trees_planted".into(), PropValue::Int((r.next() * 40.0) as i64 + 1)),
                (
                    "species".into(),
                    PropValue::Str(species[(r.next() * 8.0) as usize].into()),
                ),
                (
                    "planted_on".into(),
                    PropValue::Str(format!(
                        "2024-{:02}-{:02}",
                        1 + (r.next() * 12.0) as u32,
                        1 + (r.next() * 28.0) as u32
                    )),
                ),
            ],
            extra: vec![],
        })
        .collect();
    let kinds = ["house", "apartments", "school", "retail", "yes"];
    let buildings: Vec<SourceFeature> = (0..400_000)
        .map(|i| {
            let (x, y) = (lon0 + r.next() * dlon, lat0 + r.next() * dlat);
            let d = 0.0001 + r.next() * 0.0002;
            SourceFeature {
                id: i,
                row: i as u64 + 1,
                geometry: Geometry::Polygon(polygon![(x: x, y: y), (x: x + d, y: y), (x: x + d, y: y + d * 0.7), (x: x + d * 0.5, y: y + d), (x: x, y: y + d * 0.7), (x: x, y: y)]),
                props: vec![
                    ("building".into(), PropValue::Str(kinds[(r.next() * 5.0) as usize].into())),
                    ("levels".into(), PropValue::Int((r.next() * 16.0) as i64 + 1)),
                ],
                extra: vec![],
            }
        })
        .collect();
    let layers = vec![
        Arc::new(LayerData::new("buildings", 1, buildings)),
        Arc::new(LayerData::new("tree-plantings", 1, points)),
    ];
    let (cx, cy) = to_3857(lon0 + dlon / 2.0, lat0 + dlat / 2.0);
    for z in [14u8, 15, 16] {
        let c = TileCoord::containing(z, cx, cy);
        let tiles: Vec<TileCoord> = (0..7)
            .flat_map(|dx| {
                (0..7).map(move |dy| TileCoord {
                    z,
                    x: c.x + dx - 3,
                    y: c.y + dy - 3,
                })
            })
            .collect();
        time_tiles(z, &layers, &tiles);
    }
    Ok(())
}

fn time_tiles(z: u8, layers: &[Arc<LayerData>], tiles: &[TileCoord]) {
    // The best of 7 passes over the tiles: the machine is shared, the minimum is the cost.
    let mut best = f64::INFINITY;
    let mut bytes = 0;
    for _ in 0..7 {
        let t0 = Instant::now();
        bytes = 0;
        for t in tiles {
            bytes += qala_tiles::tile_source::render(layers, *t).len();
        }
        best = best.min(t0.elapsed().as_secs_f64() * 1e3 / tiles.len() as f64);
    }
    println!(
        "z{z}: {best:.3} ms per tile (best of 7 passes), {} bytes on average",
        bytes / tiles.len()
    );
}
