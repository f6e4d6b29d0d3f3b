//! Layer downloads from `/collections/{id}/items`: `f=csv` (a WKT geometry column and the
//! properties, RFC 4180) and `f=gpkg` (a GeoPackage written by GDAL, fields typed from the
//! kind's schema). Both take the items' filters; their `limit` defaults to, and may go up
//! to, [`MAX_DOWNLOAD`].

use std::fmt::Write;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use qala_core::FieldType;
use qala_store::features::Item;
use serde_json::Value;

use crate::ogc_html::columns;
use crate::state::LayerInfo;
use crate::{ApiError, ApiResult};

/// Most features one CSV or GeoPackage download holds.
pub const MAX_DOWNLOAD: i64 = 100_000;

fn attachment(body: Vec<u8>, media: &'static str, file: String) -> Response {
    let mut res = ([(header::CONTENT_TYPE, media)], body).into_response();
    if let Ok(v) = format!("attachment; filename=\"{file}\"").parse() {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    crate::html_page::vary(&mut res);
    res
}

/// One RFC 4180 field: quoted when it holds a comma, a quote, a line break or edge spaces.
fn csv_field(s: &str, out: &mut String) {
    let quote = s.contains([',', '"', '\r', '\n']) || s.starts_with(' ') || s.ends_with(' ');
    if quote {
        out.push('"');
        out.push_str(&s.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(s);
    }
}

/// A property as CSV text: strings as they are, lists and objects as JSON. A string a
/// spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage
/// return) gets a leading `'`, as the proposals' CSV does; numbers are numbers and stay as
/// they are.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) if s.starts_with(['=', '+', '-', '@', '\t', '\r']) => format!("'{s}"),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `f=csv`: `id`, `wkt`, then the columns of [`columns`] (renamed `id_2`... where they
/// would repeat a name); CRLF line ends.
pub fn csv(layer: &LayerInfo, rows: &[Item]) -> Response {
    let all = columns(layer, rows.iter());
    let names = column_names(&all, &["id", "wkt"]);
    let cols: Vec<(&String, &String)> = all
        .iter()
        .zip(&names)
        .filter_map(|(c, n)| Some((c, n.as_ref()?)))
        .collect();
    let mut out = String::new();
    for (i, c) in ["id", "wkt"]
        .into_iter()
        .chain(cols.iter().map(|(_, n)| n.as_str()))
        .enumerate()
    {
        if i > 0 {
            out.push(',');
        }
        csv_field(c, &mut out);
    }
    out.push_str("\r\n");
    for r in rows {
        let _ = write!(out, "{},", r.id);
        csv_field(&wkt(&r.geometry), &mut out);
        for (c, _) in &cols {
            out.push(',');
            csv_field(&text(&r.properties[c.as_str()]), &mut out);
        }
        out.push_str("\r\n");
    }
    attachment(
        out.into_bytes(),
        "text/csv; charset=utf-8",
        format!("{}.csv", layer.summary.slug),
    )
}

fn wkt_position(p: &Value, out: &mut String) {
    let nums: Vec<String> = p.as_array().into_iter().flatten().map(|n| n.to_string()).collect();
    out.push_str(&nums.join(" "));
}

/// `(...)` of nested coordinate arrays, `depth` levels above positions.
fn wkt_nest(v: &Value, depth: usize, out: &mut String) {
    out.push('(');
    for (i, c) in v.as_array().into_iter().flatten().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        if depth == 0 {
            wkt_position(c, out);
        } else {
            wkt_nest(c, depth - 1, out);
        }
    }
    out.push(')');
}

/// A GeoJSON geometry as WKT; empty for none.
pub fn wkt(g: &Value) -> String {
    let c = &g["coordinates"];
    let empty = |name: &str| format!("{name} EMPTY");
    let mut out = String::new();
    let (name, depth) = match g["type"].as_str().unwrap_or("") {
        "Point" if c.as_array().is_some_and(|a| !a.is_empty()) => {
            out.push_str("POINT (");
            wkt_position(c, &mut out);
            out.push(')');
            return out;
        }
        "Point" => return empty("POINT"),
        "MultiPoint" => ("MULTIPOINT", 0),
        "LineString" => ("LINESTRING", 0),
        "MultiLineString" => ("MULTILINESTRING", 1),
        "Polygon" => ("POLYGON", 1),
        "MultiPolygon" => ("MULTIPOLYGON", 2),
        "GeometryCollection" => {
            let parts: Vec<String> = g["geometries"].as_array().into_iter().flatten().map(wkt).collect();
            return match parts.is_empty() {
                true => empty("GEOMETRYCOLLECTION"),
                false => format!("GEOMETRYCOLLECTION ({})", parts.join(", ")),
            };
        }
        _ => return String::new(),
    };
    if c.as_array().is_none_or(Vec::is_empty) {
        return empty(name);
    }
    out.push_str(name);
    out.push(' ');
    wkt_nest(c, depth, &mut out);
    out
}

/// `f=gpkg`: the rows as a GeoPackage in EPSG:4326 (lon/lat), written by GDAL to a
/// temporary file whose bytes are the answer.
pub async fn gpkg(layer: LayerInfo, rows: Vec<Item>, srid: i32) -> ApiResult<Response> {
    let slug = layer.summary.slug.clone();
    let bytes = tokio::task::spawn_blocking(move || -> ApiResult<Vec<u8>> {
        let dir = tempfile::tempdir().map_err(|e| ApiError::internal("creating a GeoPackage directory", e))?;
        let path = dir.path().join("layer.gpkg");
        // GDAL's messages (recorded per thread) say what failed; the answer is a generic 500.
        qala_ingest::gdal_env::take_failures();
        let written = write_gpkg(&path, &layer, &rows, srid);
        let failures = qala_ingest::gdal_env::take_failures();
        written.map_err(|e| {
            tracing::error!(layer = %layer.summary.slug, ?failures, "GDAL could not write a GeoPackage");
            ApiError::internal("writing a GeoPackage", e)
        })?;
        std::fs::read(&path).map_err(|e| ApiError::internal("reading a written GeoPackage", e))
    })
    .await
    .map_err(|e| ApiError::internal("writing a GeoPackage", e))??;
    Ok(attachment(
        bytes,
        "application/geopackage+sqlite3",
        format!("{slug}.gpkg"),
    ))
}

/// Column names for attributes: unique regardless of case (SQLite's rule), never one of
/// `reserved` (OSM data carries an `id` attribute), never empty or with a NUL (`None`).
fn column_names(cols: &[String], reserved: &[&str]) -> Vec<Option<String>> {
    let mut used: Vec<String> = reserved.iter().map(|r| (*r).to_owned()).collect();
    cols.iter()
        .map(|c| {
            if c.contains('\0') || c.is_empty() {
                return None;
            }
            let mut name = c.clone();
            let mut n = 2;
            while used.contains(&name.to_lowercase()) {
                name = format!("{c}_{n}");
                n += 1;
            }
            used.push(name.to_lowercase());
            Some(name)
        })
        .collect()
}

fn write_gpkg(path: &std::path::Path, layer: &LayerInfo, rows: &[Item], srid: i32) -> gdal::errors::Result<()> {
    use gdal::vector::{Feature, FieldDefn, Geometry, LayerAccess, LayerOptions, OGRFieldType, OGRwkbGeometryType};

    qala_ingest::gdal_env::init();
    let driver = gdal::DriverManager::get_driver_by_name("GPKG")?;
    let mut ds = driver.create_vector_only(path)?;
    let mut srs = gdal::spatial_ref::SpatialRef::from_epsg(srid as u32)?;
    srs.set_axis_mapping_strategy(gdal::spatial_ref::AxisMappingStrategy::TraditionalGisOrder);
    let ty = match layer.kind.geometry_type() {
        qala_core::GeometryType::Point => OGRwkbGeometryType::wkbPoint,
        qala_core::GeometryType::MultiLineString => OGRwkbGeometryType::wkbMultiLineString,
        qala_core::GeometryType::MultiPolygon => OGRwkbGeometryType::wkbMultiPolygon,
        qala_core::GeometryType::Any => OGRwkbGeometryType::wkbUnknown,
    };
    let mut txn = ds.start_transaction()?;
    let lyr = txn.create_layer(LayerOptions {
        name: &layer.summary.slug,
        srs: Some(&srs),
        ty,
        options: None,
    })?;
    let cols = columns(layer, rows.iter());
    let names = column_names(&cols, &["fid", "geom", "id"]);
    let typed = |c: &str| layer.kind.field(c).map(|f| f.ty);
    FieldDefn::new("id", OGRFieldType::OFTInteger64)?.add_to_layer(&lyr)?;
    for (c, name) in cols.iter().zip(&names) {
        let Some(name) = name else { continue };
        match typed(c) {
            Some(FieldType::Bool) => add_bool_field(&lyr, name)?,
            t => {
                let ogr = match t {
                    Some(FieldType::Int) => OGRFieldType::OFTInteger64,
                    Some(FieldType::Float) => OGRFieldType::OFTReal,
                    Some(FieldType::Date) => OGRFieldType::OFTDate,
                    // Text, lists (as JSON arrays) and free-form attributes.
                    _ => OGRFieldType::OFTString,
                };
                FieldDefn::new(name, ogr)?.add_to_layer(&lyr)?;
            }
        }
    }
    let defn = lyr.defn();
    for r in rows {
        let mut f = Feature::new(defn)?;
        f.set_field_integer64(0, r.id)?;
        if !r.geometry.is_null() {
            f.set_geometry(Geometry::from_geojson(&r.geometry.to_string())?)?;
        }
        for (c, name) in cols.iter().zip(&names) {
            let Some(name) = name else { continue };
            let idx = defn.field_index(name)?;
            let v = &r.properties[c.as_str()];
            match (typed(c), v) {
                (_, Value::Null) => f.set_field_null(idx)?,
                (Some(FieldType::Int), v) if v.as_i64().is_some() => {
                    f.set_field_integer64(idx, v.as_i64().unwrap_or(0))?
                }
                (Some(FieldType::Float), v) if v.as_f64().is_some() => {
                    f.set_field_double(idx, v.as_f64().unwrap_or(0.0))?
                }
                (Some(FieldType::Bool), Value::Bool(b)) => f.set_field_integer(idx, i32::from(*b))?,
                (Some(FieldType::Date), Value::String(s)) => match chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                    Ok(d) => f.set_field(idx, &gdal::vector::FieldValue::DateValue(d))?,
                    Err(_) => f.set_field_null(idx)?,
                },
                (_, v) => f.set_field_string(idx, &text(v).replace('\0', ""))?,
            }
        }
        f.create(&lyr)?;
    }
    txn.commit()?;
    Ok(())
}

/// An integer field of subtype boolean, which the `gdal` crate cannot make.
#[allow(unsafe_code)]
fn add_bool_field(lyr: &gdal::vector::Layer<'_>, name: &str) -> gdal::errors::Result<()> {
    use gdal::vector::LayerAccess;
    let c_name = std::ffi::CString::new(name)?;
    // SAFETY: the field definition is created, handed to OGR_L_CreateField (which copies
    // it) and destroyed here; the layer handle is alive for the borrow of `lyr`.
    let rv = unsafe {
        let fld = gdal_sys::OGR_Fld_Create(c_name.as_ptr(), gdal_sys::OGRFieldType::OFTInteger);
        gdal_sys::OGR_Fld_SetSubType(fld, gdal_sys::OGRFieldSubType::OFSTBoolean);
        let rv = gdal_sys::OGR_L_CreateField(lyr.c_layer(), fld, 1);
        gdal_sys::OGR_Fld_Destroy(fld);
        rv
    };
    if rv != gdal_sys::OGRErr::OGRERR_NONE {
        return Err(gdal::errors::GdalError::OgrError {
            err: rv,
            method_name: "OGR_L_CreateField",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn geojson_to_wkt() {
        assert_eq!(
            wkt(&json!({"type": "Point", "coordinates": [76.9, 43.25]})),
            "POINT (76.9 43.25)"
        );
        assert_eq!(
            wkt(&json!({"type": "MultiLineString", "coordinates": [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]})),
            "MULTILINESTRING ((1 2, 3 4), (5 6, 7 8))"
        );
        assert_eq!(
            wkt(&json!({"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [1, 1], [0, 0]]]]})),
            "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)))"
        );
        assert_eq!(
            wkt(&json!({"type": "LineString", "coordinates": []})),
            "LINESTRING EMPTY"
        );
        assert_eq!(wkt(&Value::Null), "");
    }

    #[test]
    fn csv_fields_are_quoted_when_they_must_be() {
        let q = |s: &str| {
            let mut o = String::new();
            csv_field(s, &mut o);
            o
        };
        assert_eq!(q("plain"), "plain");
        assert_eq!(q("a,b"), "\"a,b\"");
        assert_eq!(q("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(q("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        assert_eq!(
            text(&serde_json::json!("=HYPERLINK(\"http://x\")")),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(text(&serde_json::json!("@SUM(A1)")), "'@SUM(A1)");
        assert_eq!(text(&serde_json::json!(-5)), "-5");
        assert_eq!(text(&serde_json::json!("Abay")), "Abay");
    }

    #[test]
    fn column_names_never_collide() {
        let cols = ["name", "Name", "fid", "geom", "", "name_2"].map(str::to_owned);
        let n = column_names(&cols, &["fid", "geom", "id"]);
        assert_eq!(
            n,
            [
                Some("name"),
                Some("Name_2"),
                Some("fid_2"),
                Some("geom_2"),
                None,
                Some("name_2_2")
            ]
            .map(|o| o.map(str::to_owned))
        );
    }
}
