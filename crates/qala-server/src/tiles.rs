//! `/tiles/{layers}/{z}/{x}/{y}.mvt` (with versions: immutable) and TileJSON (naming them).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use qala_tiles::{Encoding, TileCoord};

use crate::error::Code;
use crate::state::{AppState, LayerInfo};
use crate::{ApiError, ApiResult, Caller};

pub const MVT_CONTENT_TYPE: &str = "application/vnd.mapbox-vector-tile";

/// Tiles whose URL names every layer's version never change: a year, and `immutable`.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// One entry of a `{layers}` path segment: `slug`, or `slug@layer_version_id`.
struct Requested {
    info: LayerInfo,
    version: Option<i64>,
}

/// The layers of a comma-separated list (`slug` or `slug@version`), each visible to the
/// caller, without repeats.
fn layers(state: &AppState, caller: &Caller, list: &str) -> ApiResult<Vec<Requested>> {
    let mut out: Vec<Requested> = Vec::new();
    for item in list.split(',') {
        let (s, version) = match item.split_once('@') {
            None => (item, None),
            Some((s, v)) => match v.parse::<i64>() {
                Ok(v) if v > 0 => (s, Some(v)),
                _ => {
                    return Err(ApiError::bad(
                        Code::InvalidTile,
                        format!(
                            "{item:?}: a layer's version is written slug@N with N a layer_version_id (a whole number from TileJSON)"
                        ),
                    ));
                }
            },
        };
        qala_core::LayerSlug::parse(s)?;
        let info = caller.visible_layer(state, s)?;
        if !out.iter().any(|o| o.info.summary.slug == info.summary.slug) {
            out.push(Requested { info, version });
        }
    }
    Ok(out)
}

/// The `{layers}` segment naming the versions served now: what TileJSON hands out — the
/// version in memory, else the catalogue's (still loading: PostGIS cuts its tiles
/// meanwhile). A layer never loaded is written bare (its tiles are empty until it is).
fn versioned_list(state: &AppState, infos: &[LayerInfo]) -> String {
    infos
        .iter()
        .map(|l| {
            let held = state.tiles.layer(&l.summary.slug).map(|d| d.version_id);
            match held.or(l.summary.layer_version_id) {
                Some(v) => format!("{}@{v}", l.summary.slug),
                None => l.summary.slug.clone(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
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

/// A tile URL named a version this instance does not hold. Asks the database (the primary:
/// it decides what is current) what that version is: the current one not loaded here yet →
/// 503 `layer_version_pending` (another replica of a fleet handed out its TileJSON first);
/// an older version of the layer → a redirect to the current versions' URL (never the
/// current tile under the old URL, which caches keep for a year); no version of that layer
/// → 404 `version_not_found`.
async fn not_held(state: &AppState, requested: &[Requested], (z, x, y_mvt): (&str, &str, &str)) -> ApiResult<Response> {
    let pool = state.db()?;
    for r in requested {
        let Some(v) = r.version else { continue };
        let slug = &r.info.summary.slug;
        if state.tiles.layer(slug).is_some_and(|d| d.version_id == v) || r.info.summary.layer_version_id == Some(v) {
            continue;
        }
        let versions = qala_store::catalogue::list_versions(pool, slug).await?;
        match versions.iter().find(|s| s.layer_version_id == v) {
            Some(s) if s.current => {
                return Err(ApiError::RetryLater {
                    code: Code::LayerVersionPending,
                    message: format!("version {v} of layer {slug:?} is being loaded here; try again in a moment"),
                    retry_after_s: 1,
                });
            }
            Some(_) => {}
            None => {
                return Err(ApiError::new(
                    Code::VersionNotFound,
                    format!("layer {slug:?} has no version {v}; read the tile URL from /tiles/{slug}.json"),
                ));
            }
        }
    }
    let infos: Vec<LayerInfo> = requested.iter().map(|r| r.info.clone()).collect();
    let location = format!(
        "{}/tiles/{}/{z}/{x}/{y_mvt}",
        state.base_url(),
        versioned_list(state, &infos)
    );
    Response::builder()
        .status(StatusCode::FOUND)
        .header(header::LOCATION, location)
        .header(header::CACHE_CONTROL, "no-store")
        .body(Body::empty())
        .map_err(|e| ApiError::internal("building a response", e))
}

/// `GET /tiles/{layers}/{z}/{x}/{y}.mvt`; `{layers}` may name versions (`slug@N`, as
/// TileJSON hands them out): such a tile never changes and is cached for a year.
pub async fn tile(
    State(state): State<AppState>,
    caller: Caller,
    Path((list, z, x, y_mvt)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let coord = parse_coord(&z, &x, &y_mvt)?;
    let requested = layers(&state, &caller, &list)?;
    let enc = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(Encoding::negotiate)
        .unwrap_or(Encoding::Identity);
    // The versions cut from are taken once: the tile, its cache entry and the check that
    // they are the ones the URL names all use these. A version the catalogue serves but
    // memory does not hold yet (the server just started, or a sync is loading it) is cut
    // by PostGIS meanwhile.
    let mut data = Vec::with_capacity(requested.len());
    let mut from_db = false;
    for r in &requested {
        let current = r.info.summary.layer_version_id;
        let part = match (state.tiles.layer(&r.info.summary.slug), r.version) {
            (Some(d), Some(v)) if d.version_id == v => Part::Memory(d),
            (_, Some(v)) if current == Some(v) => Part::Database(v),
            (_, Some(_)) => return not_held(&state, &requested, (&z, &x, &y_mvt)).await,
            (Some(d), None) => Part::Memory(d),
            (None, None) => match current {
                Some(v) => Part::Database(v),
                // Layers never loaded have no tile data: leave them out rather than fail.
                None => continue,
            },
        };
        from_db |= matches!(part, Part::Database(_));
        data.push((r, part));
    }
    if from_db {
        return database_tile(&state, &requested, data, coord, &headers).await;
    }
    let data: Vec<_> = data
        .into_iter()
        .filter_map(|(_, p)| match p {
            Part::Memory(d) => Some(d),
            Part::Database(_) => None,
        })
        .collect();
    let t = if data.is_empty() {
        qala_tiles::TileBytes {
            bytes: bytes::Bytes::new(),
            encoding: Encoding::Identity,
            etag: "\"empty\"".into(),
        }
    } else {
        state.tiles.tile_of(&data, coord, enc)
    };
    let public = requested.iter().all(|r| r.info.is_public());
    let cache_control = match (public, requested.iter().all(|r| r.version.is_some())) {
        (true, true) => IMMUTABLE,
        (true, false) => "public, max-age=60",
        (false, _) => "private, max-age=60",
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

/// Where one requested layer of a tile comes from.
enum Part {
    Memory(std::sync::Arc<qala_tiles::LayerData>),
    /// This layer version, cut by PostGIS: it is not in memory yet.
    Database(i64),
}

/// A tile with at least one layer cut by PostGIS (`ST_AsMVT`) because its version is still
/// loading into memory: the layers in the order asked, memory's and the database's
/// concatenated (an MVT tile is its layers one after the other). Never cached — here or by
/// anyone (`no-store`): once the version is in memory, the same URL answers memory's tile,
/// which is the one caches may keep for a year. `x-qala-source: database` says so.
async fn database_tile(
    state: &AppState,
    requested: &[Requested],
    parts: Vec<(&Requested, Part)>,
    coord: TileCoord,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let pool = state.db()?;
    // The database's layers are cut at once (one connection each), memory's meanwhile.
    let cuts = parts.into_iter().map(|(r, part)| async move {
        match part {
            Part::Memory(d) => Ok(qala_tiles::tile_source::render(std::slice::from_ref(&d), coord)),
            Part::Database(v) => {
                qala_store::features::database_tile(
                    pool,
                    r.info.kind,
                    &r.info.summary.slug,
                    v,
                    (u32::from(coord.z), coord.x, coord.y),
                )
                .await
            }
        }
    });
    let bytes: Vec<u8> = futures::future::try_join_all(cuts).await?.concat();
    state
        .metrics
        .tiles_from_database
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let etag = format!(
        "\"db-{}\"",
        &hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))[..16]
    );
    let private = !requested.iter().all(|r| r.info.is_public());
    let b = Response::builder()
        .header(header::ETAG, &etag)
        .header(
            header::CACHE_CONTROL,
            if private { "private, no-store" } else { "no-store" },
        )
        .header(header::VARY, "accept-encoding")
        .header(crate::ogc::SOURCE_HEADER, "database");
    if etag_matches(headers, &etag) {
        return b
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .map_err(|e| ApiError::internal("building a response", e));
    }
    b.header(header::CONTENT_TYPE, MVT_CONTENT_TYPE)
        .body(Body::from(bytes))
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

/// `GET /tiles/{layers}.json` — TileJSON 3.0.0, whose `tiles` URL names the versions served
/// now (`slug@N`). Revalidated on every use (`no-cache` and an ETag): after an upload it
/// names the new versions, whose tiles no cache has yet.
pub async fn tilejson(
    State(state): State<AppState>,
    caller: Caller,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let list = file.strip_suffix(".json").ok_or_else(|| {
        ApiError::new(
            Code::NotFound,
            format!("/tiles/{file}: TileJSON is at /tiles/LAYERS.json, tiles at /tiles/LAYERS/Z/X/Y.mvt"),
        )
    })?;
    let requested = layers(&state, &caller, list)?;
    if requested.iter().any(|r| r.version.is_some()) {
        return Err(ApiError::bad(
            Code::InvalidTile,
            format!(
                "/tiles/{file}: TileJSON is asked for by slugs only (/tiles/LAYERS.json); it names the versions served"
            ),
        ));
    }
    let infos: Vec<LayerInfo> = requested.into_iter().map(|r| r.info).collect();
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
    let body = serde_json::json!({
        "tilejson": "3.0.0",
        "name": list,
        "scheme": "xyz",
        "tiles": [format!("{}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt", state.base_url(), versioned_list(&state, &infos))],
        "minzoom": 0,
        "maxzoom": qala_tiles::MAX_ZOOM,
        "bounds": bounds,
        "center": [cx, cy, 12],
        "attribution": attribution.join("; "),
        "vector_layers": vector_layers,
    });
    let bytes = serde_json::to_vec(&body).map_err(|e| ApiError::internal("encoding TileJSON", e))?;
    let etag = format!(
        "\"{}\"",
        &hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes))[..16]
    );
    let private = !infos.iter().all(LayerInfo::is_public);
    let b = Response::builder().header(header::ETAG, &etag).header(
        header::CACHE_CONTROL,
        if private { "private, no-cache" } else { "no-cache" },
    );
    if etag_matches(&headers, &etag) {
        return b
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .map_err(|e| ApiError::internal("building a response", e));
    }
    b.header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(bytes))
        .map_err(|e| ApiError::internal("building a response", e))
}
