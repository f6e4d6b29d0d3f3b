//! What the server keeps in memory per layer, and the conversions in and out of it: store
//! rows into the tile source's [`LayerData`] (read once per version), and back out as the
//! indicator engine's features, so that the engine never reads the database a second time.

use std::sync::Arc;

use qala_core::{Feature, FieldType, LayerKind, Value};
use qala_store::features::ServedRow;
use qala_tiles::{LayerData, PropRef, PropValue, SourceFeature};
use serde_json::Value as Json;

/// A store row as the tile source keeps it: typed fields (dates as `YYYY-MM-DD`, floats
/// with a whole value as integers, as PostgreSQL's JSON writes them), then the untyped
/// attributes.
pub fn source_feature(kind: LayerKind, r: ServedRow) -> SourceFeature {
    let f = r.feature;
    let props = kind
        .fields()
        .iter()
        .zip(f.values)
        .map(|(fd, v)| (fd.name.into(), typed_prop(v)))
        .collect();
    SourceFeature {
        id: r.id,
        row: f.row,
        geometry: f.geometry,
        props,
        extra: f.props.into_iter().map(|(k, v)| (k, json_prop(v))).collect(),
    }
}

/// The largest integer a double holds exactly.
const EXACT_INT: f64 = 9_007_199_254_740_992.0;

fn typed_prop(v: Value) -> PropValue {
    match v {
        Value::Null => PropValue::Null,
        Value::Text(s) => PropValue::Str(s),
        Value::Int(i) => PropValue::Int(i),
        Value::Float(x) if x.fract() == 0.0 && x.abs() < EXACT_INT => PropValue::Int(x as i64),
        Value::Float(x) => PropValue::Double(x),
        Value::Bool(b) => PropValue::Bool(b),
        Value::Date(d) => PropValue::Str(d.format("%Y-%m-%d").to_string()),
        Value::TextList(l) => PropValue::List(l),
    }
}

fn json_prop(v: Json) -> PropValue {
    match v {
        Json::Null => PropValue::Null,
        Json::Bool(b) => PropValue::Bool(b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => PropValue::Int(i),
            None => n.as_f64().map_or(PropValue::Json(n.to_string()), PropValue::Double),
        },
        Json::String(s) => PropValue::Str(s),
        other => PropValue::Json(other.to_string()),
    }
}

/// A property as GeoJSON.
pub fn prop_json(v: PropRef<'_>) -> Json {
    match v {
        PropRef::Null => Json::Null,
        PropRef::Bool(b) => Json::Bool(b),
        PropRef::Int(i) => Json::from(i),
        PropRef::Double(x) => serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number),
        PropRef::Str(s) => Json::String(s.to_owned()),
        PropRef::List(l) => Json::Array(l.iter().cloned().map(Json::String).collect()),
        PropRef::Json(s) => serde_json::from_str(s).unwrap_or_else(|_| Json::String(s.to_owned())),
    }
}

fn typed_value(ty: FieldType, v: Option<PropRef<'_>>) -> Value {
    match (ty, v) {
        (_, None | Some(PropRef::Null)) => Value::Null,
        (FieldType::Float, Some(PropRef::Int(i))) => Value::Float(i as f64),
        (FieldType::Date, Some(PropRef::Str(s))) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Value::Date)
            .unwrap_or(Value::Null),
        (_, Some(PropRef::Str(s))) => Value::Text(s.to_owned()),
        (_, Some(PropRef::Int(i))) => Value::Int(i),
        (_, Some(PropRef::Double(x))) => Value::Float(x),
        (_, Some(PropRef::Bool(b))) => Value::Bool(b),
        (_, Some(PropRef::List(l))) => Value::TextList(l.to_vec()),
        (_, Some(PropRef::Json(s))) => Value::Text(s.to_owned()),
    }
}

/// A layer in memory as the engine's features: WGS84 geometry (back from EPSG:3857, a
/// round trip good to ~1e-13°), typed values in field order, untyped attributes; in source
/// row order, as the store's reads for the engine give them. Made one at a time while the
/// engine indexes them: the layer is never held a second time in this form.
pub fn engine_features(kind: LayerKind, d: Arc<LayerData>) -> qala_engine::Features {
    // Features are held in id order; a stable sort by row keeps id order among equal rows.
    let mut order: Vec<u32> = (0..d.feature_count() as u32).collect();
    order.sort_by_key(|&i| d.at(i as usize).row());
    let n = order.len();
    qala_engine::Features::made(
        n,
        order.into_iter().map(move |i| engine_feature(kind, d.at(i as usize))),
    )
}

fn engine_feature(kind: LayerKind, f: qala_tiles::FeatureView<'_>) -> Feature {
    let fields = kind.fields();
    let mut values = vec![Value::Null; fields.len()];
    let mut props = serde_json::Map::new();
    for (k, v, typed) in f.props() {
        if typed {
            if let Some(i) = fields.iter().position(|fd| fd.name == k) {
                values[i] = typed_value(fields[i].ty, Some(v));
            }
        } else if qala_engine::reads_untyped_attribute(kind, k) {
            props.insert(k.to_owned(), prop_json(v));
        }
    }
    Feature {
        row: f.row(),
        geometry: f.geom().to_geo(f.is_multi(), to_wgs84),
        values,
        props,
    }
}

/// EPSG:3857 to lon/lat.
pub fn to_wgs84(p: [f64; 2]) -> [f64; 2] {
    let (x, y) = qala_tiles::mercator::to_4326(p[0], p[1]);
    [x, y]
}

/// First and last date of `kind`'s date field in `d`, for a collection's temporal extent.
pub fn date_extent(kind: LayerKind, d: &LayerData) -> Option<(String, String)> {
    let df = qala_store::features::date_field(kind)?;
    let mut ext: Option<(&str, &str)> = None;
    for f in d.iter_after(None) {
        if let Some(PropRef::Str(s)) = f.prop(df.name) {
            ext = Some(match ext {
                None => (s, s),
                Some((lo, hi)) => (lo.min(s), hi.max(s)),
            });
        }
    }
    ext.map(|(lo, hi)| (lo.to_owned(), hi.to_owned()))
}

/// Hands memory freed after building (the engine's and the layers' transient buffers) back
/// to the operating system. glibc keeps freed memory in its arenas otherwise, which showed
/// as ~300 MB of RSS over the heap in use at bench scale. The `qala` binary allocates with
/// mimalloc, which gives freed pages back by itself; there this trims only what C
/// libraries (PROJ, GDAL) took from glibc.
#[allow(unsafe_code)] // audited: one libc call without preconditions
pub fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: malloc_trim only walks glibc's own arenas; it has no preconditions.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}
