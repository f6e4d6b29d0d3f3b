//! Encoding of features as rows of PostgreSQL's COPY text format. Values are escaped here
//! and nowhere else; geometries go as hex EWKB, which PostGIS reads directly.

use geo_types::Geometry;
use geozero::{CoordDimensions, ToWkb};
use qala_core::{Feature, LayerKind, Value};

use crate::StoreError;

/// The COPY column list of a kind's table, in the order [`encode_row`] writes them.
pub fn columns(kind: LayerKind) -> String {
    let mut cols = vec!["layer_version_id", "source_row"];
    cols.extend(kind.fields().iter().map(|f| f.name));
    cols.extend(["props", "geom"]);
    cols.join(", ")
}

/// Appends one feature as a COPY text line to `out`.
pub fn encode_row(
    out: &mut Vec<u8>,
    layer_version_id: i64,
    kind: LayerKind,
    feature: &Feature,
) -> Result<(), StoreError> {
    let geom = conform_geometry(kind, &feature.geometry, feature.row)?;
    let wkb = geom
        .to_ewkb(CoordDimensions::xy(), Some(4326))
        .map_err(StoreError::Wkb)?;
    out.extend_from_slice(layer_version_id.to_string().as_bytes());
    out.push(b'\t');
    out.extend_from_slice(feature.row.to_string().as_bytes());
    for (i, _) in kind.fields().iter().enumerate() {
        out.push(b'\t');
        write_value(out, feature.values.get(i).unwrap_or(&Value::Null));
    }
    out.push(b'\t');
    // Serialized straight from the map (no copy of it); JSON text escaped for COPY.
    let props = serde_json::to_string(&feature.props).unwrap_or_else(|_| "{}".to_owned());
    escape_into(out, &props);
    out.push(b'\t');
    // Hex straight into the line, no intermediate string.
    let start = out.len();
    out.resize(start + wkb.len() * 2, 0);
    hex::encode_to_slice(&wkb, &mut out[start..])
        .map_err(|e| StoreError::Wkb(geozero::error::GeozeroError::Geometry(e.to_string())))?;
    out.push(b'\n');
    Ok(())
}

/// Appends one key of a delete file as a COPY text line (`layer_version_id`, key,
/// `source_row`), for the load's key table (see `LayerLoad::expect_keys`).
pub fn encode_key(out: &mut Vec<u8>, layer_version_id: i64, key: &Value, row: u64) {
    out.extend_from_slice(layer_version_id.to_string().as_bytes());
    out.push(b'\t');
    write_value(out, key);
    out.push(b'\t');
    out.extend_from_slice(row.to_string().as_bytes());
    out.push(b'\n');
}

/// Promotes single geometries to the kind's multi type; refuses other types.
pub fn conform_geometry(kind: LayerKind, g: &Geometry<f64>, row: u64) -> Result<Geometry<f64>, StoreError> {
    qala_core::geometry::conform(kind, g.clone()).map_err(|found| StoreError::WrongGeometry {
        what: format!("feature {row}"),
        found: found.to_owned(),
        kind: kind.name().to_owned(),
        expected: kind.geometry_type().postgis_name().to_owned(),
    })
}

fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"\\N"),
        Value::Text(s) => escape_into(out, s),
        Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Value::Float(f) if f.is_finite() => out.extend_from_slice(format!("{f:?}").as_bytes()),
        Value::Float(_) => out.extend_from_slice(b"\\N"),
        Value::Bool(b) => out.push(if *b { b't' } else { b'f' }),
        Value::Date(d) => out.extend_from_slice(d.format("%Y-%m-%d").to_string().as_bytes()),
        Value::TextList(items) => {
            // An array literal {"a","b"} (quotes and backslashes escaped for the array
            // parser), then escaped again for COPY.
            let mut lit = String::from("{");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    lit.push(',');
                }
                lit.push('"');
                lit.push_str(&item.replace('\\', "\\\\").replace('"', "\\\""));
                lit.push('"');
            }
            lit.push('}');
            escape_into(out, &lit);
        }
    }
}

/// COPY text escaping: backslash, tab, newline and carriage return.
pub fn escape_into(out: &mut Vec<u8>, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0 => {} // PostgreSQL text cannot hold NUL; dropping it is the only option
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_characters_and_arrays() {
        let mut out = Vec::new();
        escape_into(&mut out, "a\tb\\c\nd");
        assert_eq!(out, b"a\\tb\\\\c\\nd");
        let mut out = Vec::new();
        write_value(&mut out, &Value::TextList(vec!["kk".into(), "r\"u".into()]));
        assert_eq!(String::from_utf8(out).unwrap(), "{\"kk\",\"r\\\\\"u\"}");
    }

    #[test]
    fn promotes_polygon_and_refuses_point_for_areas() {
        let ring = geo_types::LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]);
        let p = geo_types::Polygon::new(ring, vec![]);
        let g = conform_geometry(LayerKind::GreenSpace, &Geometry::Polygon(p), 1).unwrap();
        assert!(matches!(g, Geometry::MultiPolygon(_)));
        let pt = Geometry::Point(geo_types::Point::new(1.0, 2.0));
        assert!(conform_geometry(LayerKind::GreenSpace, &pt, 7).is_err());
    }
}
