//! Deterministic GeoJSON writing: fixed key order, coordinates with 7 decimals (~1 cm).

use std::io::Write;
use std::path::Path;

use geo_types::Geometry;
use serde_json::{Map, Value as Json};

use crate::{SynthError, SynthLayerInfo};

pub struct OutFeature {
    /// WGS84 lon/lat.
    pub geometry: Geometry<f64>,
    pub properties: Map<String, Json>,
}

pub fn write_collection(
    path: &Path,
    info: &SynthLayerInfo,
    seed: u64,
    features: &[OutFeature],
) -> Result<(), SynthError> {
    let io = |e| SynthError::Io {
        path: path.to_owned(),
        source: e,
    };
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).map_err(io)?);
    let header = format!(
        "{{\"type\":\"FeatureCollection\",\"name\":{},\"synthetic\":true,\"generator\":\"qala synth\",\"seed\":{seed},\"description\":{},\"features\":[\n",
        Json::String(info.slug.into()),
        Json::String(format!("SYNTHETIC: {}", info.description)),
    );
    w.write_all(header.as_bytes()).map_err(io)?;
    let mut line = String::new();
    for (i, f) in features.iter().enumerate() {
        line.clear();
        if i > 0 {
            line.push_str(",\n");
        }
        line.push_str("{\"type\":\"Feature\",\"properties\":");
        // serde_json's Map is a BTreeMap here: keys come out sorted, so output is stable.
        line.push_str(&Json::Object(f.properties.clone()).to_string());
        line.push_str(",\"geometry\":");
        geometry(&mut line, &f.geometry);
        line.push('}');
        w.write_all(line.as_bytes()).map_err(io)?;
    }
    w.write_all(b"\n]}\n").map_err(io)?;
    w.flush().map_err(io)
}

fn coord(s: &mut String, c: &geo_types::Coord<f64>) {
    s.push_str(&format!("[{:.7},{:.7}]", c.x, c.y));
}

fn ring(s: &mut String, l: &geo_types::LineString<f64>) {
    s.push('[');
    for (i, c) in l.0.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        coord(s, c);
    }
    s.push(']');
}

fn polygon(s: &mut String, p: &geo_types::Polygon<f64>) {
    s.push('[');
    ring(s, p.exterior());
    for r in p.interiors() {
        s.push(',');
        ring(s, r);
    }
    s.push(']');
}

fn geometry(s: &mut String, g: &Geometry<f64>) {
    match g {
        Geometry::Point(p) => {
            s.push_str("{\"type\":\"Point\",\"coordinates\":");
            coord(s, &p.0);
        }
        Geometry::LineString(l) => {
            s.push_str("{\"type\":\"LineString\",\"coordinates\":");
            ring(s, l);
        }
        Geometry::MultiLineString(ml) => {
            s.push_str("{\"type\":\"MultiLineString\",\"coordinates\":[");
            for (i, l) in ml.0.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                ring(s, l);
            }
            s.push(']');
        }
        Geometry::Polygon(p) => {
            s.push_str("{\"type\":\"Polygon\",\"coordinates\":");
            polygon(s, p);
        }
        Geometry::MultiPolygon(mp) => {
            s.push_str("{\"type\":\"MultiPolygon\",\"coordinates\":[");
            for (i, p) in mp.0.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                polygon(s, p);
            }
            s.push(']');
        }
        // The generator makes none of the others.
        _ => s.push_str("{\"type\":\"GeometryCollection\",\"geometries\":[]"),
    }
    s.push('}');
}

/// Shorthand for building a property map.
pub fn props(pairs: &[(&str, Json)]) -> Map<String, Json> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect()
}
