//! Reading vector features through GDAL, one driver per file type.

use std::io::Read;
use std::path::Path;

use gdal::vector::{FieldValue, LayerAccess};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};

use crate::IngestError;

/// A feature as read: geometry in the file's CRS (if it has one) and raw attributes.
#[derive(Debug, Clone)]
pub struct RawFeature {
    /// 1-based position in the layer.
    pub row: u64,
    pub geometry: Option<geo_types::Geometry<f64>>,
    pub attrs: Map<String, Json>,
    /// The geometry was invalid (e.g. a self-intersecting ring) and was repaired with
    /// GDAL's MakeValid (GEOS); the report says so.
    pub repaired: bool,
}

/// Opens `path` with exactly the GDAL driver `driver` (e.g. `"GeoJSON"`, `"OSM"`).
pub fn open(path: &Path, driver: &str) -> Result<Dataset, IngestError> {
    // Network off and GDAL's messages to the log, for every reader.
    crate::gdal_env::init();
    crate::gdal_env::init();
    let drivers = [driver];
    Dataset::open_ex(
        path,
        DatasetOptions {
            open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
            allowed_drivers: Some(&drivers),
            open_options: None,
            sibling_files: None,
        },
    )
    .map_err(|source| IngestError::OpenPath {
        path: path.to_owned(),
        driver: driver.to_owned(),
        source: Box::new(source),
    })
}

/// Reads every feature of one layer (the first when `layer` is `None`).
pub fn read_all(path: &Path, driver: &str, layer: Option<&str>) -> Result<Vec<RawFeature>, IngestError> {
    let ds = open(path, driver)?;
    let mut out = Vec::new();
    for_each(&ds, path, layer, |f| {
        out.push(f);
        Ok(())
    })?;
    Ok(out)
}

/// Calls `each` for every feature of one layer of an open dataset.
pub fn for_each(
    ds: &Dataset,
    path: &Path,
    layer: Option<&str>,
    mut each: impl FnMut(RawFeature) -> Result<(), IngestError>,
) -> Result<(), IngestError> {
    let mut lyr = match layer {
        Some(name) => ds.layer_by_name(name).map_err(|_| IngestError::NoSuchLayer {
            name: path.display().to_string(),
            layer: name.to_owned(),
            available: String::new(),
        })?,
        None => ds.layer(0).map_err(|_| IngestError::NoSuchLayer {
            name: path.display().to_string(),
            layer: "0".to_owned(),
            available: String::new(),
        })?,
    };
    for (i, feature) in lyr.features().enumerate() {
        let (geometry, repaired) = match feature.geometry() {
            Some(g) if !g.is_empty() && !g.is_valid() => (repair(g), true),
            Some(g) => (g.to_geo().ok(), false),
            None => (None, false),
        };
        let mut attrs = Map::new();
        feature_attrs(&feature, &mut attrs);
        each(RawFeature {
            row: i as u64 + 1,
            geometry,
            attrs,
            repaired,
        })?;
    }
    Ok(())
}

/// Repairs an invalid geometry with MakeValid, keeping only the parts of the original
/// dimension (a repaired polygon can come back as a collection with stray lines).
pub(crate) fn repair(g: &gdal::vector::Geometry) -> Option<geo_types::Geometry<f64>> {
    use geo_types::Geometry as G;
    let fixed = g.make_valid(&gdal::cpl::CslStringList::new()).ok()?.to_geo().ok()?;
    let polygonal = matches!(g.to_geo().ok()?, G::Polygon(_) | G::MultiPolygon(_));
    match fixed {
        G::GeometryCollection(gc) if polygonal => {
            let mut polys = Vec::new();
            for part in gc.0 {
                match part {
                    G::Polygon(p) => polys.push(p),
                    G::MultiPolygon(mp) => polys.extend(mp.0),
                    _ => {}
                }
            }
            (!polys.is_empty()).then_some(G::MultiPolygon(geo_types::MultiPolygon(polys)))
        }
        other => Some(other),
    }
}

/// The attributes of a GDAL feature as JSON. A property a feature does not carry at all
/// (GeoJSON lets a feature omit it) is null, not GDAL's default of 0 or "".
pub fn feature_attrs(feature: &gdal::vector::Feature, attrs: &mut Map<String, Json>) {
    for (name, value) in feature.fields() {
        let set = feature
            .field_index(&name)
            .map(|i| field_is_set(feature, i))
            .unwrap_or(true);
        let value = if set { value.map(field_to_json) } else { None };
        attrs.insert(name, value.unwrap_or(Json::Null));
    }
}

/// Whether a field is set on a feature. gdal 0.19's safe API checks only for null, and
/// reads an unset integer field as 0: a GeoJSON feature that omits `alive_1y` would say
/// "no tree survived". The C call is the only way to ask.
#[allow(unsafe_code)]
fn field_is_set(feature: &gdal::vector::Feature, idx: usize) -> bool {
    let Ok(idx) = i32::try_from(idx) else { return true };
    // SAFETY: `c_feature` is the live handle owned by `feature`, which outlives this call,
    // and `idx` comes from `field_index` on the same feature, so it is in range.
    unsafe { gdal_sys::OGR_F_IsFieldSet(feature.c_feature(), idx) != 0 }
}

pub(crate) fn field_to_json(v: FieldValue) -> Json {
    match v {
        FieldValue::IntegerValue(i) => Json::from(i),
        FieldValue::Integer64Value(i) => Json::from(i),
        FieldValue::RealValue(f) => serde_json::Number::from_f64(f).map(Json::Number).unwrap_or(Json::Null),
        FieldValue::StringValue(s) => Json::String(s),
        FieldValue::DateValue(d) => Json::String(d.format("%Y-%m-%d").to_string()),
        FieldValue::DateTimeValue(d) => Json::String(d.to_rfc3339()),
        FieldValue::IntegerListValue(l) => Json::from(l),
        FieldValue::Integer64ListValue(l) => Json::from(l),
        FieldValue::StringListValue(l) => Json::from(l),
        FieldValue::RealListValue(l) => Json::from(l),
    }
}

/// Lower-case hex sha256 of a file, read in chunks.
pub fn sha256_file(path: &Path) -> Result<String, IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_owned(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}
