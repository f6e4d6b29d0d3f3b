//! Residents' proposals as an OGC API Features collection, `proposals`: the approved ones with
//! their public fields only (category, text, status, the city's answer, supports, date,
//! synthetic), read-only, so GIS clients (QGIS, GDAL's OAPIF driver, OWSLib) load them like
//! any layer. A layer may not take the slug `proposals` while this collection exists: the
//! collection answers first.

use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::error::Code;
use crate::ogc_query::{CRS84, check_f, params};
use crate::proposals::{ListQuery, public_feature};
use crate::state::AppState;
use crate::{ApiError, ApiResult};
use qala_store::proposal as store;

/// The collection's id.
pub const ID: &str = "proposals";

/// The collection's description, with the extent of the approved proposals.
pub async fn collection_json(state: &AppState) -> ApiResult<Value> {
    let b = state.base_url();
    let pool = state.db()?;
    let (n, a, bb, c, d): (i64, Option<f64>, Option<f64>, Option<f64>, Option<f64>) = sqlx::query_as(
        "SELECT n, ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
         FROM (SELECT count(*) AS n, ST_Extent(geom)::geometry AS e FROM proposal WHERE moderation = 'approved') s",
    )
    .fetch_one(pool)
    .await
    .map_err(|e| ApiError::internal("reading the proposals' extent", e))?;
    let mut ext = json!({});
    if let (Some(a), Some(bb), Some(c), Some(d)) = (a, bb, c, d) {
        ext["spatial"] = json!({"bbox": [[a, bb, c, d]], "crs": CRS84});
    }
    Ok(json!({
        "id": ID,
        "title": "Residents' proposals",
        "description": "What Almaty residents ask for, after moderation: approved proposals with their public fields only (never a contact). The set includes a labelled synthetic sample (synthetic = true) until real proposals replace it.",
        "itemType": "feature",
        "extent": ext,
        "crs": [CRS84],
        "storageCrs": CRS84,
        "links": [
            {"href": format!("{b}/collections/{ID}"), "rel": "self", "type": "application/json", "title": "Residents' proposals"},
            {"href": format!("{b}/collections/{ID}/items"), "rel": "items", "type": "application/geo+json", "title": "approved proposals"},
            {"href": format!("{b}/collections/{ID}/queryables"), "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables", "type": "application/schema+json", "title": "the properties items can be filtered on"},
            {"href": format!("{b}/proposals/tiles/{{z}}/{{x}}/{{y}}.mvt"), "rel": "item", "type": crate::tiles::MVT_CONTENT_TYPE, "title": "vector tiles"},
        ],
        "qala:titles": {"kk": "Тұрғындардың ұсыныстары", "ru": "Предложения жителей", "en": "Residents' proposals"},
        "qala:kind": "proposal",
        "qala:readOnly": true,
        "qala:featureCount": n,
        "qala:attribution": "qala residents' proposals (moderated); synthetic sample labelled",
    }))
}

/// `GET /collections/proposals`
pub async fn collection(state: &AppState, q: Option<&str>) -> ApiResult<Response> {
    check_f(&params(q)?)?;
    Ok(Json(collection_json(state).await?).into_response())
}

/// `GET /collections/proposals/queryables`
pub fn queryables(state: &AppState, q: Option<&str>) -> ApiResult<Response> {
    check_f(&params(q)?)?;
    let b = state.base_url();
    let body = json!({
        "$schema": "https://json-schema.org/draft/2019-09/schema",
        "$id": format!("{b}/collections/{ID}/queryables"),
        "type": "object",
        "title": "Residents' proposals",
        "properties": {
            "geometry": {"$ref": "https://geojson.org/schema/Geometry.json", "title": "geometry (filter with bbox)", "x-ogc-role": "primary-geometry"},
            "category": {"type": "string", "title": "category", "description": "the theme the resident chose (GET /proposals/categories)"},
            "status": {"type": "string", "title": "status", "enum": store::STATUSES, "description": "where the city is with it"},
        },
        "additionalProperties": false,
    });
    Ok(([(header::CONTENT_TYPE, "application/schema+json")], Json(body)).into_response())
}

/// `GET /collections/proposals/items`: `limit` (default 500; above 5,000 served as 5,000), `offset`, `bbox`
/// (lon/lat), `category`, `status`; `numberMatched` and a `next` link.
pub async fn items(state: &AppState, q: Option<&str>) -> ApiResult<Response> {
    let p = params(q)?;
    check_f(&p)?;
    // A limit above the page size is served as the page size (OGC API Features: no error).
    let max = crate::proposals::MAX_PAGE;
    let rest: Vec<String> = q
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("f="))
        .map(
            |kv| match kv.strip_prefix("limit=").and_then(|v| v.parse::<i64>().ok()) {
                Some(l) if l > max => format!("limit={max}"),
                _ => kv.to_owned(),
            },
        )
        .collect();
    if let Some(bad) = rest.iter().find(|kv| kv.starts_with("format=")) {
        return Err(ApiError::bad(
            Code::UnknownParameter,
            format!("unknown parameter {bad:?}; use f"),
        ));
    }
    let lq = ListQuery::from_params(Some(&rest.join("&")))?;
    let (rows, total) = store::list(state.db()?, &lq.filter).await?;
    let b = state.base_url();
    let page = |offset: i64| {
        let mut kv: Vec<String> = rest.iter().filter(|kv| !kv.starts_with("offset=")).cloned().collect();
        kv.push(format!("offset={offset}"));
        format!("{b}/collections/{ID}/items?{}", kv.join("&"))
    };
    let mut links = vec![
        json!({"href": page(lq.filter.offset), "rel": "self", "type": "application/geo+json", "title": "this page"}),
        json!({"href": format!("{b}/collections/{ID}"), "rel": "collection", "type": "application/json", "title": "the collection"}),
    ];
    let returned = rows.len() as i64;
    if lq.filter.offset + returned < total {
        links.push(json!({"href": page(lq.filter.offset + returned), "rel": "next", "type": "application/geo+json", "title": "next page"}));
    }
    let features: Vec<Value> = rows.iter().map(public_feature).collect();
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        Json(json!({
            "type": "FeatureCollection",
            "features": features,
            "numberMatched": total,
            "numberReturned": returned,
            "timeStamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "links": links,
        })),
    )
        .into_response())
}

/// `GET /collections/proposals/items/{id}`: an approved proposal, public fields only.
pub async fn item(state: &AppState, fid: &str, q: Option<&str>) -> ApiResult<Response> {
    check_f(&params(q)?)?;
    let not_found = || {
        ApiError::new(
            Code::NotFound,
            format!("no approved proposal {fid:?} in collection {ID}"),
        )
    };
    let n = fid.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(not_found)?;
    let p = store::get(state.db()?, n)
        .await?
        .filter(|p| p.moderation == "approved")
        .ok_or_else(not_found)?;
    let mut f = public_feature(&p);
    let b = state.base_url();
    f["links"] = json!([
        {"href": format!("{b}/collections/{ID}/items/{n}"), "rel": "self", "type": "application/geo+json", "title": "this proposal"},
        {"href": format!("{b}/collections/{ID}"), "rel": "collection", "type": "application/json", "title": "the collection"},
    ]);
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(f)).into_response())
}
