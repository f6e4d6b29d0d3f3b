//! `/tiles/{layers}/{z}/{x}/{y}.mvt` and TileJSON.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qala_tiles::{Encoding, TileCoord};

use crate::error::Code;
use crate::state::{AppState, LayerInfo};
use crate::{ApiError, ApiResult, Caller};

pub const MVT_CONTENT_TYPE: &str = "application/vnd.mapbox-vector-tile";

/// The layers of a comma-separated list, each visible to the caller.
fn layers(state: &AppState, caller: &Caller, list: &str) -> ApiResult<Vec<LayerInfo>> {
    let mut out: Vec<LayerInfo> = Vec::new();
    for s in list.split(',') {
        qala_core::LayerSlug::parse(s)?;
        let l = caller.visible_layer(state, s)?;
        if !out.iter().any(|o| o.summary.slug == l.summary.slug) {
            out.push(l);
        }
    }
    Ok(out)
}

fn parse_coord(z: &str, x: &str, y_mvt: &str) -> ApiResult<TileCoord> {
    let bad = || {
        ApiError::bad(
            Code::InvalidTile,
            format!("{z}/{x}/{y_mvt}: expected /tiles/LAYERS/Z/X/Y.mvt with whole numbers"),
        )
    };
    let y = y_mvt
        .strip_suffix(".mvt")
        .or_else(|| y_mvt.strip_suffix(".pbf"))
        .ok_or_else(bad)?;
    let (z, x, y) = (
        z.parse::<u32>().map_err(|_| bad())?,
        x.parse::<u32>().map_err(|_| bad())?,
        y.parse::<u32>().map_err(|_| bad())?,
    );
    Ok(TileCoord::new(z, x, y)?)
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*")
}

/// `GET /tiles/{layers}/{z}/{x}/{y}.mvt`
pub async fn tile(
    State(state): State<AppState>,
    caller: Caller,
    Path((list, z, x, y_mvt)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let coord = parse_coord(&z, &x, &y_mvt)?;
    let infos = layers(&state, &caller, &list)?;
    let enc = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(Encoding::negotiate)
        .unwrap_or(Encoding::Identity);
    // Layers never loaded have no tile data: leave them out rather than fail.
    let slugs: Vec<&str> = infos
        .iter()
        .filter(|l| l.summary.layer_version_id.is_some())
        .map(|l| l.summary.slug.as_str())
        .collect();
    let t = if slugs.is_empty() {
        qala_tiles::TileBytes {
            bytes: bytes::Bytes::new(),
            encoding: Encoding::Identity,
            etag: "\"empty\"".into(),
        }
    } else {
        match state.tiles.tile(&slugs, coord, enc) {
            Ok(t) => t,
            // Listed in the catalogue but not yet in memory (a sync is running).
            Err(qala_tiles::TileError::UnknownLayer(_)) => {
                return Err(ApiError::new(
                    Code::LayerLoading,
                    "the layer is being loaded; try again in a moment",
                ));
            }
            Err(e) => return Err(e.into()),
        }
    };
    let cache_control = if infos.iter().all(LayerInfo::is_public) {
        "public, max-age=60"
    } else {
        "private, max-age=60"
    };
    let mut b = Response::builder()
        .header(header::ETAG, &t.etag)
        .header(header::CACHE_CONTROL, cache_control)
        .header(header::VARY, "accept-encoding");
    if etag_matches(&headers, &t.etag) {
        return b
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .map_err(|e| ApiError::internal("building a response", e));
    }
    b = b.header(header::CONTENT_TYPE, MVT_CONTENT_TYPE);
    if let Some(ce) = t.encoding.header() {
        b = b.header(header::CONTENT_ENCODING, HeaderValue::from_static(ce));
    }
    b.body(Body::from(t.bytes))
        .map_err(|e| ApiError::internal("building a response", e))
}

/// MVT field type of a kind's field, as TileJSON's `vector_layers` names them.
fn tilejson_type(f: &qala_core::FieldDef) -> &'static str {
    match f.ty {
        qala_core::FieldType::Int | qala_core::FieldType::Float => "Number",
        qala_core::FieldType::Bool => "Boolean",
        _ => "String",
    }
}

/// `GET /tiles/{layers}.json` — TileJSON 3.0.0.
pub async fn tilejson(
    State(state): State<AppState>,
    caller: Caller,
    Path(file): Path<String>,
) -> ApiResult<impl IntoResponse> {
    let list = file.strip_suffix(".json").ok_or_else(|| {
        ApiError::new(
            Code::NotFound,
            format!("/tiles/{file}: TileJSON is at /tiles/LAYERS.json, tiles at /tiles/LAYERS/Z/X/Y.mvt"),
        )
    })?;
    let infos = layers(&state, &caller, list)?;
    let mut bounds: Option<[f64; 4]> = None;
    for b in infos.iter().filter_map(|l| l.bbox_wgs84) {
        bounds = Some(match bounds {
            None => b,
            Some(a) => [a[0].min(b[0]), a[1].min(b[1]), a[2].max(b[2]), a[3].max(b[3])],
        });
    }
    let bounds = bounds.unwrap_or([
        qala_core::ALMATY_BBOX_WGS84.min_x,
        qala_core::ALMATY_BBOX_WGS84.min_y,
        qala_core::ALMATY_BBOX_WGS84.max_x,
        qala_core::ALMATY_BBOX_WGS84.max_y,
    ]);
    let vector_layers: Vec<serde_json::Value> = infos
        .iter()
        .map(|l| {
            let mut fields = serde_json::Map::new();
            fields.insert("id".into(), "Number".into());
            for f in l.kind.fields() {
                fields.insert(f.name.into(), tilejson_type(f).into());
            }
            serde_json::json!({
                "id": l.summary.slug, "fields": fields, "minzoom": 0, "maxzoom": qala_tiles::MAX_ZOOM,
                "description": l.summary.title_en,
            })
        })
        .collect();
    let attribution: Vec<&str> = infos
        .iter()
        .map(|l| l.summary.attribution.as_str())
        .filter(|a| !a.is_empty())
        .collect();
    let (cx, cy) = qala_core::REPUBLIC_SQUARE_WGS84;
    Ok(Json(serde_json::json!({
        "tilejson": "3.0.0",
        "name": list,
        "scheme": "xyz",
        "tiles": [format!("{}/tiles/{list}/{{z}}/{{x}}/{{y}}.mvt", state.base_url())],
        "minzoom": 0,
        "maxzoom": qala_tiles::MAX_ZOOM,
        "bounds": bounds,
        "center": [cx, cy, 12],
        "attribution": attribution.join("; "),
        "vector_layers": vector_layers,
    })))
}
