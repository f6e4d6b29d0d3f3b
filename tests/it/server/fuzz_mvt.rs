//! The MVT encoder, round-tripped through an independent decoder: proptest generates tiles
//! (layers, ids, geometries of every type, properties of every type, unicode), qala's
//! `LayerBuilder` encodes them, Python's `mapbox-vector-tile` (not qala's `mvt_decode`)
//! decodes them, and every layer, id, type, coordinate and property must come back.
//! Fixed seed and case count: the same tiles on every run.

use std::collections::BTreeMap;
use std::process::Command;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use qala_tiles::PropValue;
use qala_tiles::mvt::{GeomEncoder, GeomType, LayerBuilder};
use serde_json::Value;

const CASES: usize = 1000;

#[derive(Debug, Clone)]
enum Geom {
    Points(Vec<[i32; 2]>),
    Lines(Vec<Vec<[i32; 2]>>),
    /// Rings without closing point, each exterior (positive area in tile coordinates, y
    /// down) followed by its holes.
    Polygons(Vec<Vec<[i32; 2]>>),
}

#[derive(Debug, Clone)]
struct Feature {
    id: u64,
    geom: Geom,
    props: BTreeMap<String, PropValue>,
}

type Tile = Vec<(String, Vec<Feature>)>;

/// Tile coordinates as the clipper hands them over: the tile plus a wide buffer.
fn coord() -> impl Strategy<Value = [i32; 2]> {
    (-8192i32..16384, -8192i32..16384).prop_map(|(x, y)| [x, y])
}

fn geom() -> impl Strategy<Value = Geom> {
    // A rectangle, with a hole (the opposite winding) or without.
    let polygon = (coord(), 4i32..3000, 4i32..3000, any::<bool>()).prop_map(|([x, y], w, h, hole)| {
        let mut rings = vec![vec![[x, y], [x + w, y], [x + w, y + h], [x, y + h]]];
        if hole {
            rings.push(vec![
                [x + 1, y + 1],
                [x + 1, y + h - 1],
                [x + w - 1, y + h - 1],
                [x + w - 1, y + 1],
            ]);
        }
        rings
    });
    prop_oneof![
        prop::collection::vec(coord(), 1..6).prop_map(Geom::Points),
        prop::collection::vec(prop::collection::vec(coord(), 2..7), 1..4).prop_map(Geom::Lines),
        prop::collection::vec(polygon, 1..4).prop_map(|p| Geom::Polygons(p.concat())),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,12}",
        // Kazakh and Russian letters, emoji, quotes, control characters.
        "[\u{0400}-\u{04FF}\u{1F300}-\u{1F5FF}\"\\\\\t\u{0}a-z ]{0,16}",
        any::<String>(),
    ]
}

fn value() -> impl Strategy<Value = PropValue> {
    prop_oneof![
        text().prop_map(PropValue::Str),
        any::<i64>().prop_map(PropValue::Int),
        (prop::num::f64::NORMAL | prop::num::f64::ZERO | prop::num::f64::SUBNORMAL).prop_map(PropValue::Double),
        any::<bool>().prop_map(PropValue::Bool),
        prop::collection::vec("[a-z]{1,6}", 1..4).prop_map(PropValue::List),
    ]
}

fn feature() -> impl Strategy<Value = Feature> {
    (any::<u64>(), geom(), prop::collection::btree_map(text(), value(), 0..6)).prop_map(|(id, geom, props)| Feature {
        id,
        geom,
        props,
    })
}

fn tile() -> impl Strategy<Value = Tile> {
    prop::collection::btree_map("[a-z][a-z0-9-]{0,20}", prop::collection::vec(feature(), 1..12), 1..4)
        .prop_map(|m| m.into_iter().collect())
}

fn encode(t: &Tile) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, features) in t {
        let mut l = LayerBuilder::new(name);
        for f in features {
            let mut g = GeomEncoder::default();
            let ty = match &f.geom {
                Geom::Points(p) => {
                    g.points(p);
                    GeomType::Point
                }
                Geom::Lines(ls) => {
                    ls.iter().for_each(|l| g.line(l));
                    GeomType::LineString
                }
                Geom::Polygons(rs) => {
                    rs.iter().for_each(|r| g.ring(r));
                    GeomType::Polygon
                }
            };
            l.add_feature(
                f.id,
                ty,
                &g.into_commands(),
                f.props.iter().map(|(k, v)| (k.as_str(), v)),
            );
        }
        l.finish_into(&mut out);
    }
    out
}

/// Decodes every `*.mvt` of a directory with mapbox-vector-tile: {file: {layer: {...}}}.
/// Double properties travel as their IEEE bits (`{"f64_bits": n}`): exact, unlike JSON text.
const DECODE: &str = r#"
import json, os, struct, sys
import mapbox_vector_tile as mvt
def bits(v):
    if isinstance(v, float):
        return {"f64_bits": struct.unpack("<q", struct.pack("<d", v))[0]}
    return v
out = {}
for name in sorted(os.listdir(sys.argv[1])):
    with open(os.path.join(sys.argv[1], name), "rb") as f:
        layers = mvt.decode(f.read(), default_options={"y_coord_down": True, "geojson": False})
    for layer in layers.values():
        for feat in layer["features"]:
            feat["properties"] = {k: bits(v) for k, v in feat["properties"].items()}
    out[name] = layers
print(json.dumps(out))
"#;

/// The parts of a decoded geometry as lists of points, rings without their closing point.
fn parts(g: &Value) -> (String, Vec<Vec<[i64; 2]>>) {
    let pt = |p: &Value| [p[0].as_i64().unwrap(), p[1].as_i64().unwrap()];
    let line = |l: &Value| l.as_array().unwrap().iter().map(pt).collect::<Vec<_>>();
    let ring = |r: &Value| {
        let mut v = line(r);
        if v.len() > 1 && v.first() == v.last() {
            v.pop();
        }
        v
    };
    let c = &g["coordinates"];
    let ty = g["type"].as_str().unwrap().to_owned();
    let parts = match ty.as_str() {
        "Point" => vec![vec![pt(c)]],
        "MultiPoint" => vec![c.as_array().unwrap().iter().map(pt).collect()],
        "LineString" => vec![line(c)],
        "MultiLineString" => c.as_array().unwrap().iter().map(line).collect(),
        "Polygon" => c.as_array().unwrap().iter().map(ring).collect(),
        "MultiPolygon" => c
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p.as_array().unwrap().iter().map(ring))
            .collect(),
        other => panic!("geometry type {other}"),
    };
    (ty, parts)
}

fn expected_parts(g: &Geom) -> Vec<Vec<[i64; 2]>> {
    let conv = |l: &Vec<[i32; 2]>| l.iter().map(|p| [i64::from(p[0]), i64::from(p[1])]).collect::<Vec<_>>();
    match g {
        Geom::Points(p) => vec![conv(p)],
        Geom::Lines(l) | Geom::Polygons(l) => l.iter().map(conv).collect(),
    }
}

fn same_value(want: &PropValue, got: &Value) -> bool {
    match want {
        PropValue::Str(s) => got.as_str() == Some(s),
        PropValue::List(l) => got.as_str() == Some(l.join(",").as_str()),
        PropValue::Int(n) => got.as_i64() == Some(*n),
        PropValue::Bool(b) => got.as_bool() == Some(*b),
        PropValue::Double(d) => got["f64_bits"].as_i64() == Some(d.to_bits() as i64),
        PropValue::Json(_) | PropValue::Null => false,
    }
}

fn check(case: usize, t: &Tile, decoded: &Value) -> Result<(), String> {
    let layers = decoded.as_object().ok_or("not an object")?;
    if layers.len() != t.len() {
        return Err(format!("{} layers, expected {}", layers.len(), t.len()));
    }
    for (name, features) in t {
        let l = &layers.get(name).ok_or(format!("layer {name:?} missing"))?;
        if l["extent"] != 4096 || l["version"] != 2 {
            return Err(format!("layer {name}: extent {} version {}", l["extent"], l["version"]));
        }
        let got = l["features"].as_array().ok_or("no features")?;
        if got.len() != features.len() {
            return Err(format!(
                "layer {name}: {} features, expected {}",
                got.len(),
                features.len()
            ));
        }
        for (i, (f, g)) in features.iter().zip(got).enumerate() {
            let at = format!("case {case}, layer {name:?}, feature {i}");
            if g["id"].as_u64() != Some(f.id) {
                return Err(format!("{at}: id {} != {}", g["id"], f.id));
            }
            let (ty, parts) = parts(&g["geometry"]);
            let want_ty = match f.geom {
                Geom::Points(_) => 1,
                Geom::Lines(_) => 2,
                Geom::Polygons(_) => 3,
            };
            if g["type"] != want_ty {
                return Err(format!("{at}: type {} ({ty}) != {want_ty}", g["type"]));
            }
            if parts != expected_parts(&f.geom) {
                return Err(format!("{at}: geometry {ty} {parts:?} != {:?}", f.geom));
            }
            let props = g["properties"].as_object().ok_or(format!("{at}: no properties"))?;
            if props.len() != f.props.len() {
                return Err(format!(
                    "{at}: {} properties, expected {}: {props:?}",
                    props.len(),
                    f.props.len()
                ));
            }
            for (k, v) in &f.props {
                let got = props.get(k).ok_or(format!("{at}: property {k:?} missing"))?;
                if !same_value(v, got) {
                    return Err(format!("{at}: property {k:?}: {got} != {v:?}"));
                }
            }
        }
    }
    Ok(())
}

#[test]
fn mvt_encoder_round_trips_through_an_independent_decoder() {
    let python = super::python::venv_bin().join("python");
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]));
    let dir = tempfile::tempdir().unwrap();
    let mut tiles = Vec::with_capacity(CASES);
    for case in 0..CASES {
        let t = tile().new_tree(&mut runner).unwrap().current();
        std::fs::write(dir.path().join(format!("{case:04}.mvt")), encode(&t)).unwrap();
        tiles.push(t);
    }
    let out = Command::new(&python)
        .args(["-c", DECODE])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "decoder failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let decoded: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failures: Vec<String> = tiles
        .iter()
        .enumerate()
        .filter_map(|(case, t)| check(case, t, &decoded[format!("{case:04}.mvt")]).err())
        .collect();
    let features: usize = tiles.iter().flat_map(|t| t.iter().map(|(_, f)| f.len())).sum();
    eprintln!("{CASES} tiles, {features} features decoded by mapbox-vector-tile");
    assert!(
        failures.is_empty(),
        "{} of {CASES} tiles differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
