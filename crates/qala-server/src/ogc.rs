//! OGC API – Features: Part 1 (core, GeoJSON, OpenAPI 3.0) and Part 2 (crs, bbox-crs).

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use qala_core::FieldType;
use qala_store::features::{ItemsJson, ItemsQuery};
use serde_json::{Value, json};

use crate::error::Code;
use crate::html_page::PageCtx;
use crate::negotiate::{self, Format};
use crate::ogc_query::{CRS84, EPSG, ItemsParams, check_f, crs_list, date_fields, params, parse_crs};
pub use crate::ogc_query::{DEFAULT_LIMIT, MAX_LIMIT, percent_decode};
use crate::state::{AppState, LayerInfo};
use crate::{ApiError, ApiResult, Caller};

pub const CONFORMANCE: [&str; 20] = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
];

fn geojson(v: Value) -> Response {
    ([(header::CONTENT_TYPE, "application/geo+json")], Json(v)).into_response()
}

/// The landing page.
pub fn landing(state: &AppState) -> Json<Value> {
    let b = state.base_url();
    Json(json!({
        "title": "qala — open city data for Almaty",
        "description": "Layers of Almaty (districts, population, bike lanes, green spaces, tree fellings and plantings, navigation signs, services) as OGC API Features and vector tiles.",
        "links": [
            {"href": format!("{b}/?f=json"), "rel": "self", "type": "application/json", "title": "this document"},
            {"href": format!("{b}/?f=html"), "rel": "alternate", "type": "text/html", "title": "this document as HTML (kk, ru, en: lang=)"},
            {"href": format!("{b}/api"), "rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0", "title": "the API definition"},
            {"href": format!("{b}/conformance"), "rel": "conformance", "type": "application/json", "title": "conformance classes"},
            {"href": format!("{b}/collections"), "rel": "data", "type": "application/json", "title": "the layers"},
        ]
    }))
}

pub async fn conformance(RawQuery(q): RawQuery) -> ApiResult<Json<Value>> {
    check_f(&params(q.as_deref())?)?;
    Ok(Json(json!({"conformsTo": CONFORMANCE})))
}

fn collection_json(l: &LayerInfo, b: &str) -> Value {
    let s = &l.summary;
    let id = &s.slug;
    let mut extent = json!({});
    if let Some(bb) = l.bbox_wgs84 {
        extent["spatial"] = json!({"bbox": [bb], "crs": CRS84});
    }
    if let Some((lo, hi)) = &l.date_extent {
        extent["temporal"] = json!({"interval": [[format!("{lo}T00:00:00Z"), format!("{hi}T23:59:59Z")]]});
    }
    let mut out = json!({
        "id": id,
        "title": s.title_en,
        "description": if s.description.is_empty() { format!("{} ({}){}", s.title_en, s.kind, if s.synthetic { ", synthetic data" } else { "" }) } else { s.description.clone() },
        "itemType": "feature",
        "extent": extent,
        "crs": crs_list(),
        "storageCrs": CRS84,
        "links": [
            {"href": format!("{b}/collections/{id}"), "rel": "self", "type": "application/json", "title": s.title_en},
            {"href": format!("{b}/collections/{id}?f=html"), "rel": "alternate", "type": "text/html", "title": "this layer as HTML"},
            {"href": format!("{b}/collections/{id}/items?f=csv"), "rel": "enclosure", "type": "text/csv", "title": "download as CSV"},
            {"href": format!("{b}/collections/{id}/items?f=gpkg"), "rel": "enclosure", "type": "application/geopackage+sqlite3", "title": "download as GeoPackage"},
            {"href": format!("{b}/collections/{id}/items"), "rel": "items", "type": "application/geo+json", "title": "features"},
            {"href": format!("{b}/tiles/{id}.json"), "rel": "describedby", "type": "application/json", "title": "TileJSON"},
            {"href": format!("{b}/collections/{id}/queryables"), "rel": QUERYABLES_REL, "type": "application/schema+json", "title": "the properties items can be filtered on"},
        ],
        "qala:kind": s.kind,
        "qala:synthetic": s.synthetic,
        "qala:titles": {"kk": s.title_kk, "ru": s.title_ru, "en": s.title_en},
        "qala:featureCount": s.feature_count,
        "qala:attribution": s.attribution,
    });
    // What `datetime` filters on: the kind's one date (none where there are several, and
    // datetime= is refused there as ambiguous).
    let dates = date_fields(l.kind);
    if let [one] = dates.as_slice() {
        out["qala:temporalProperty"] = json!(one);
    }
    if !dates.is_empty() {
        out["qala:dateProperties"] = json!(dates);
    }
    out
}

/// The page context of a request, and its language from `lang=` / `Accept-Language`.
fn page_ctx<'a>(
    state: &'a AppState,
    p: &std::collections::HashMap<String, String>,
    headers: &HeaderMap,
    uri: &'a Uri,
) -> ApiResult<PageCtx<'a>> {
    let (lang, lang_in_query) = negotiate::lang(p, headers)?;
    Ok(PageCtx {
        lang,
        lang_in_query,
        base: state.base_url(),
        path: uri.path(),
        raw_query: uri.query().unwrap_or(""),
    })
}

/// `lang=` is checked on JSON answers too: a bad value is a 400 whatever the format.
fn json_answer(res: impl IntoResponse, p: &std::collections::HashMap<String, String>) -> ApiResult<Response> {
    negotiate::lang(p, &HeaderMap::new())?;
    let mut res = res.into_response();
    crate::html_page::vary(&mut res);
    Ok(res)
}

pub async fn collections(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    let p = params(uri.query())?;
    let format = negotiate::format(&p, &headers, &[Format::Html])?;
    let catalogue = state.catalogue();
    let visible: Vec<&LayerInfo> = catalogue.iter().filter(|l| caller.can_see(l)).collect();
    if format == Format::Html {
        let ctx = page_ctx(&state, &p, &headers, &uri)?;
        return Ok(crate::ogc_html::collections(&ctx, &visible));
    }
    let b = state.base_url();
    let mut cols: Vec<Value> = visible.iter().map(|l| collection_json(l, b)).collect();
    // The residents' proposals, while the database answers (they are not kept in memory).
    if proposals_collection(&state, crate::proposals_ogc::ID)
        && let Ok(c) = crate::proposals_ogc::collection_json(&state).await
    {
        cols.push(c);
    }
    json_answer(
        Json(json!({
            "links": [
                {"href": format!("{b}/collections"), "rel": "self", "type": "application/json", "title": "collections"},
                {"href": format!("{b}/collections?f=html"), "rel": "alternate", "type": "text/html", "title": "collections as HTML"},
            ],
            "collections": cols,
        })),
        &p,
    )
}

pub async fn collection(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    if proposals_collection(&state, &id) {
        return crate::proposals_ogc::collection(&state, uri.query()).await;
    }
    let p = params(uri.query())?;
    let format = negotiate::format(&p, &headers, &[Format::Html])?;
    let l = caller.visible_layer(&state, &id)?;
    if format == Format::Html {
        let ctx = page_ctx(&state, &p, &headers, &uri)?;
        let sample = match l.summary.layer_version_id {
            Some(v) => {
                let q = ItemsQuery {
                    kind: l.kind,
                    layer_version_id: v,
                    bbox: None,
                    after: None,
                    limit: crate::preview_svg::MAX_FEATURES as i64,
                    filters: Vec::new(),
                    datetime: None,
                    filter: None,
                    srid: 4326,
                    lat_lon: false,
                };
                read_items(&state, &l, &q, true).await?.0
            }
            None => Vec::new(),
        };
        return Ok(crate::ogc_html::collection(&ctx, &l, &sample));
    }
    json_answer(Json(collection_json(&l, state.base_url())), &p)
}

/// Whether `id` names the residents' proposals (no layer has that slug).
fn proposals_collection(state: &AppState, id: &str) -> bool {
    id == crate::proposals_ogc::ID && state.layer_info(id).is_none()
}

const QUERYABLES_REL: &str = "http://www.opengis.net/def/rel/ogc/1.0/queryables";

/// The JSON Schema of one queryable field (OGC API Features Part 3): type, allowed codes
/// or range, unit and meaning.
fn queryable_schema(f: &qala_core::FieldDef) -> Value {
    use qala_core::FieldRule;
    let mut q = match f.ty {
        FieldType::Text => json!({"type": "string"}),
        FieldType::Int => json!({"type": "integer"}),
        FieldType::Float => json!({"type": "number"}),
        FieldType::Bool => json!({"type": "boolean"}),
        FieldType::Date => json!({"type": "string", "format": "date"}),
        FieldType::TextList => json!({"type": "array", "items": {"type": "string"}}),
    };
    q["title"] = json!(f.name);
    let mut description = f.doc.to_owned();
    if let Some(unit) = f.unit {
        description = format!("{description} (unit: {unit})");
        q["x-unit"] = json!(unit);
    }
    if !description.is_empty() {
        q["description"] = json!(description);
    }
    match f.rule {
        FieldRule::OneOf(codes) => q["enum"] = json!(codes),
        FieldRule::AllOf(codes) => q["items"]["enum"] = json!(codes),
        FieldRule::Range(min, max) => {
            q["minimum"] = json!(min);
            q["maximum"] = json!(max);
        }
        FieldRule::None | FieldRule::NotInFuture => {}
    }
    q
}

/// `/collections/{id}/queryables`: what `property=value` may name, as JSON Schema. Generic
/// layers keep free-form attributes: only their geometry is queryable.
pub async fn queryables(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    if proposals_collection(&state, &id) {
        return crate::proposals_ogc::queryables(&state, q.as_deref());
    }
    check_f(&params(q.as_deref())?)?;
    let l = caller.visible_layer(&state, &id)?;
    let b = state.base_url();
    let geometry = match l.kind.geometry_type() {
        qala_core::GeometryType::Point => "Point",
        qala_core::GeometryType::MultiLineString => "MultiLineString",
        qala_core::GeometryType::MultiPolygon => "MultiPolygon",
        qala_core::GeometryType::Any => "Geometry",
    };
    let mut properties = serde_json::Map::new();
    properties.insert(
        "geometry".into(),
        json!({"$ref": format!("https://geojson.org/schema/{geometry}.json"), "title": "geometry (filter with bbox or the S_* functions of filter)", "x-ogc-role": "primary-geometry"}),
    );
    let dates = date_fields(l.kind);
    for f in l.kind.fields() {
        let mut q = queryable_schema(f);
        if dates.len() == 1 && dates[0] == f.name {
            // The property datetime= filters on (OGC API Features Part 5 role).
            q["x-ogc-role"] = json!("primary-instant");
        }
        properties.insert(f.name.to_owned(), q);
    }
    let body = json!({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": format!("{b}/collections/{id}/queryables"),
        "type": "object",
        "title": l.summary.title_en,
        "properties": properties,
        "additionalProperties": false,
    });
    Ok(([(header::CONTENT_TYPE, "application/schema+json")], Json(body)).into_response())
}

/// `GET /collections/{id}/items`: GeoJSON, an HTML page, or a CSV / GeoPackage download.
pub async fn items(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    if proposals_collection(&state, &id) {
        return crate::proposals_ogc::items(&state, uri.query()).await;
    }
    let l = caller.visible_layer(&state, &id)?;
    let p = params(uri.query())?;
    let format = negotiate::format(&p, &headers, &[Format::Html, Format::Csv, Format::Gpkg])?;
    let ctx = page_ctx(&state, &p, &headers, &uri)?;
    let download = matches!(format, Format::Csv | Format::Gpkg);
    let ItemsParams {
        limit,
        srid,
        lat_lon,
        bbox,
        after,
        datetime,
        filters,
        filter,
    } = ItemsParams::from_params(l.kind, &id, &p, download)?;
    // Pages draw lon/lat, and a GeoPackage stores x = longitude whatever the CRS's axis
    // order: only JSON and CSV follow crs's axes.
    let (srid, lat_lon) = match format {
        Format::Html => (4326, false),
        Format::Gpkg => (srid, false),
        Format::Json | Format::Csv => (srid, lat_lon),
    };
    let unconditional = bbox.is_none() && filters.is_empty() && datetime.is_none() && filter.is_none();
    let b = state.base_url();
    let q = l.summary.layer_version_id.map(|v| ItemsQuery {
        kind: l.kind,
        layer_version_id: v,
        bbox,
        after,
        limit,
        filters,
        datetime,
        filter,
        srid,
        lat_lon,
    });
    let self_q = uri.query().unwrap_or("");
    // A full page has a next one (maybe empty): its cursor is the last id.
    let next_q = |n: usize, last: Option<i64>| {
        (n as i64 == limit).then_some(last).flatten().map(|last| {
            let mut next_q: Vec<String> = self_q
                .split('&')
                .filter(|kv| !kv.is_empty() && !kv.starts_with("after=") && !kv.starts_with("limit="))
                .map(str::to_owned)
                .collect();
            next_q.push(format!("limit={limit}"));
            next_q.push(format!("after={last}"));
            next_q.join("&")
        })
    };
    let read = || async {
        match &q {
            Some(q) => read_items(&state, &l, q, unconditional).await,
            None => Ok((Vec::new(), 0, false)),
        }
    };
    let (mut res, source_memory) = match format {
        Format::Json => {
            // GeoJSON: each feature as the database wrote it, never parsed here.
            let (page, matched, source_memory) = match &q {
                Some(q) => read_items_json(&state, &l, q, unconditional).await?,
                None => (ItemsJson::default(), 0, false),
            };
            let mut links = vec![
                json!({"href": format!("{b}/collections/{id}/items{}{self_q}", if self_q.is_empty() { "" } else { "?" }), "rel": "self", "type": "application/geo+json", "title": "this page"}),
                json!({"href": format!("{b}/collections/{id}"), "rel": "collection", "type": "application/json", "title": l.summary.title_en}),
            ];
            if let Some(next_q) = next_q(page.returned, page.last_id) {
                links.push(json!({"href": format!("{b}/collections/{id}/items?{next_q}"), "rel": "next", "type": "application/geo+json", "title": "next page"}));
            }
            // After self, collection and next: clients that index the links keep working.
            let mut html_q = ctx.query_without_f_lang();
            html_q.push("f=html");
            links.push(json!({"href": format!("{b}/collections/{id}/items?{}", html_q.join("&")), "rel": "alternate", "type": "text/html", "title": "this page as HTML"}));
            let body = feature_collection(&page, matched, &links)?;
            let mut res = ([(header::CONTENT_TYPE, "application/geo+json")], body).into_response();
            crate::html_page::vary(&mut res);
            set_content_crs(&mut res, srid, lat_lon);
            (res, source_memory)
        }
        Format::Csv => {
            let (rows, _, source_memory) = read().await?;
            let mut res = crate::ogc_download::csv(&l, &rows);
            set_content_crs(&mut res, srid, lat_lon);
            (res, source_memory)
        }
        Format::Gpkg => {
            let (rows, _, source_memory) = read().await?;
            (crate::ogc_download::gpkg(l, rows, srid).await?, source_memory)
        }
        Format::Html => {
            let (rows, matched, source_memory) = read().await?;
            let next_q = next_q(rows.len(), rows.last().map(|r| r.id));
            (crate::ogc_html::items(&ctx, &l, &rows, matched, next_q), source_memory)
        }
    };
    if source_memory {
        mark_memory(&state, &mut res);
    }
    Ok(res)
}

/// Header on answers served from memory (the database down, or `--items-from-memory`).
pub const SOURCE_HEADER: &str = "x-qala-source";

fn mark_memory(state: &AppState, res: &mut Response) {
    state
        .metrics
        .items_from_memory
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    res.headers_mut()
        .insert(SOURCE_HEADER, axum::http::HeaderValue::from_static("memory"));
}

/// How long an items query may wait for the database before memory answers instead.
const DB_READ_WAIT: std::time::Duration = std::time::Duration::from_millis(1500);

/// Runs `db` unless the database is known to be down; on a connection failure, an outage
/// noticed meanwhile or a wait longer than [`DB_READ_WAIT`], `None`: the caller answers
/// from memory. Errors that are
/// not about reaching the database pass through.
async fn from_db<T>(
    state: &AppState,
    db: impl std::future::Future<Output = Result<T, qala_store::StoreError>>,
) -> ApiResult<Option<T>> {
    if !state.db_up() {
        return Ok(None);
    }
    // The database check may notice an outage while this query waits on the pool: stop
    // waiting then.
    let outage = async {
        while state.db_up() {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    };
    let waited = tokio::select! {
        r = tokio::time::timeout(DB_READ_WAIT, db) => r,
        () = outage => return Ok(None),
    };
    match waited {
        Ok(Ok(v)) => Ok(Some(v)),
        // Busy (no free connection in time) is answered from memory too, but is no outage.
        Ok(Err(e)) if crate::error::pool_busy(&e) => Ok(None),
        Ok(Err(e)) if e.kind() == qala_core::ErrorKind::Unavailable => {
            state.mark_db_down(&e);
            Ok(None)
        }
        Ok(Err(e)) => Err(e.into()),
        Err(_) => {
            tracing::warn!(
                wait_ms = DB_READ_WAIT.as_millis() as u64,
                "items query slow; answered from memory"
            );
            Ok(None)
        }
    }
}

fn memory_layer(state: &AppState, l: &LayerInfo) -> ApiResult<std::sync::Arc<qala_tiles::LayerData>> {
    state
        .tiles
        .layer(&l.summary.slug)
        .filter(|d| Some(d.version_id) == l.summary.layer_version_id)
        .ok_or_else(ApiError::database_unavailable)
}

/// A page of items and how many match on all pages, from the database, or from memory when
/// it cannot answer. Without conditions the count is the version's feature count.
async fn read_items(
    state: &AppState,
    l: &LayerInfo,
    q: &ItemsQuery,
    unconditional: bool,
) -> ApiResult<(Vec<qala_store::features::Item>, i64, bool)> {
    let known = unconditional.then_some(l.summary.feature_count);
    if state.config.items_from_memory
        && let Ok(d) = memory_layer(state, l)
    {
        let (rows, n) = items_from_memory(d, q, known).await?;
        return Ok((rows, n, true));
    }
    let db = async {
        let rows = qala_store::features::items(&state.pool, q).await?;
        let n = match known {
            Some(n) => n,
            None => qala_store::features::items_matched(&state.pool, q).await?,
        };
        Ok((rows, n))
    };
    if let Some((rows, n)) = from_db(state, db).await? {
        return Ok((rows, n, false));
    }
    let (rows, n) = items_from_memory(memory_layer(state, l)?, q, known).await?;
    Ok((rows, n, true))
}

/// A page of items and how many match, from the served memory copy `d`.
async fn items_from_memory(
    d: std::sync::Arc<qala_tiles::LayerData>,
    q: &ItemsQuery,
    known: Option<i64>,
) -> ApiResult<(Vec<qala_store::features::Item>, i64)> {
    let q = q.clone();
    tokio::task::spawn_blocking(move || -> ApiResult<_> {
        let rows = crate::items_memory::items(&d, &q)?;
        let n = match known {
            Some(n) => n,
            None => crate::items_memory::matched(&d, &q)?,
        };
        Ok((rows, n))
    })
    .await
    .map_err(|e| ApiError::internal("reading items from memory", e))?
}

/// [`read_items`] for GeoJSON: the features as JSON text. A count already known (the
/// version's feature count without conditions, or an earlier count of the same conditions
/// on the same version) is not counted again.
async fn read_items_json(
    state: &AppState,
    l: &LayerInfo,
    q: &ItemsQuery,
    unconditional: bool,
) -> ApiResult<(ItemsJson, i64, bool)> {
    let key = crate::items_count::key(q);
    let known = match unconditional {
        true => Some(l.summary.feature_count),
        false => state.item_counts.get(&key),
    };
    let db = qala_store::features::items_json(&state.pool, q, known);
    let from_memory = state.config.items_from_memory && memory_layer(state, l).is_ok();
    if from_memory {
        // Written below from the memory copy's items.
    } else if let Some((page, n)) = from_db(state, db).await? {
        if known.is_none() {
            state.item_counts.insert(key, n);
        }
        return Ok((page, n, false));
    }
    // From memory: asked to, or the database did not answer.
    let d = memory_layer(state, l)?;
    let q = q.clone();
    let (page, n) = tokio::task::spawn_blocking(move || -> ApiResult<_> {
        let page = crate::items_memory::items_text(&d, &q)?;
        let n = match known {
            Some(n) => n,
            None => crate::items_memory::matched(&d, &q)?,
        };
        Ok((page, n))
    })
    .await
    .map_err(|e| ApiError::internal("reading items from memory", e))??;
    if known.is_none() {
        state.item_counts.insert(key, n);
    }
    Ok((page, n, true))
}

/// The GeoJSON FeatureCollection of a page, written around the features' JSON text (the
/// members in the order of the other answers: type, features, numberMatched,
/// numberReturned, timeStamp, links).
fn feature_collection(page: &ItemsJson, matched: i64, links: &[Value]) -> ApiResult<Vec<u8>> {
    use std::io::Write;
    let mut out = Vec::with_capacity(page.features.len() + 2048);
    out.extend_from_slice(br#"{"type":"FeatureCollection","features":["#);
    out.extend_from_slice(page.features.as_bytes());
    let write = |out: &mut Vec<u8>| -> std::io::Result<()> {
        write!(
            out,
            r#"],"numberMatched":{matched},"numberReturned":{},"timeStamp":"{}","links":"#,
            page.returned,
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        )?;
        serde_json::to_writer(&mut *out, links)?;
        out.push(b'}');
        Ok(())
    };
    write(&mut out).map_err(|e| ApiError::internal("writing items", e))?;
    Ok(out)
}

fn set_content_crs(res: &mut Response, srid: i32, lat_lon: bool) {
    let crs = if srid == 4326 && !lat_lon {
        CRS84.to_owned()
    } else {
        format!("{EPSG}{srid}")
    };
    if let Ok(v) = format!("<{crs}>").parse() {
        res.headers_mut().insert("content-crs", v);
    }
}

/// `GET /collections/{id}/items/{fid}`
pub async fn item(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
    uri: Uri,
) -> ApiResult<Response> {
    if proposals_collection(&state, &id) {
        return crate::proposals_ogc::item(&state, &fid, uri.query()).await;
    }
    let l = caller.visible_layer(&state, &id)?;
    let p = params(uri.query())?;
    let format = negotiate::format(&p, &headers, &[Format::Html])?;
    let ctx = page_ctx(&state, &p, &headers, &uri)?;
    if let Some(k) = p.keys().find(|k| !matches!(k.as_str(), "f" | "crs" | "lang")) {
        return Err(ApiError::bad(
            Code::UnknownParameter,
            format!("unknown parameter {k:?}; use crs, f or lang"),
        ));
    }
    let (srid, lat_lon) = p.get("crs").map(|c| parse_crs(c)).transpose()?.unwrap_or((4326, false));
    // A page draws lon/lat.
    let (srid, lat_lon) = if format == Format::Html {
        (4326, false)
    } else {
        (srid, lat_lon)
    };
    let not_found = || {
        ApiError::new(
            Code::FeatureNotFound,
            format!("collection {id:?} has no feature {fid:?}"),
        )
    };
    let n: i64 = fid.parse().map_err(|_| not_found())?;
    let v = l.summary.layer_version_id.ok_or_else(not_found)?;
    let db = qala_store::features::item_by_id(&state.pool, l.kind, v, n, srid, lat_lon);
    let (r, source_memory) = match from_db(&state, db).await? {
        Some(r) => (r, false),
        None => (
            crate::items_memory::item_by_id(&*memory_layer(&state, &l)?, n, srid, lat_lon)?,
            true,
        ),
    };
    let r = r.ok_or_else(not_found)?;
    if format == Format::Html {
        let mut res = crate::ogc_html::item(&ctx, &l, &r);
        if source_memory {
            mark_memory(&state, &mut res);
        }
        return Ok(res);
    }
    // The ETag Part 4 writes check with If-Match (see ogc_write); none from memory.
    let etag = match source_memory {
        false => from_db(
            &state,
            qala_store::feature_edit::feature_etag(&state.pool, l.kind, v, n),
        )
        .await?
        .flatten(),
        true => None,
    };
    let b = state.base_url();
    let mut res = geojson(json!({
        "type": "Feature", "id": r.id, "geometry": r.geometry, "properties": r.properties,
        "links": [
            {"href": format!("{b}/collections/{id}/items/{fid}"), "rel": "self", "type": "application/geo+json"},
            {"href": format!("{b}/collections/{id}/items/{fid}?f=html"), "rel": "alternate", "type": "text/html"},
            {"href": format!("{b}/collections/{id}"), "rel": "collection", "type": "application/json"},
        ]
    }));
    set_content_crs(&mut res, srid, lat_lon);
    crate::html_page::vary(&mut res);
    if let Some(h) = etag.and_then(|e| axum::http::HeaderValue::from_str(&format!("\"{e}\"")).ok()) {
        res.headers_mut().insert(header::ETAG, h);
    }
    if source_memory {
        mark_memory(&state, &mut res);
    }
    Ok(res)
}
