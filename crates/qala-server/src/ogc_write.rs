//! OGC API – Features Part 4: create, replace, update and delete features of a layer the
//! caller may write.
//!
//! Every write is a change set through the upload path (`qala_load::load_file`): the
//! features are checked against the kind's rules (422 `invalid_features`, nothing written),
//! the write becomes a new layer version (who, when, counts; rollback works as for uploads)
//! and the served memory is refreshed as after an upload. Ids stay the same across versions,
//! so a client keeps the id it read. A feature's `ETag` is a hash of its stored row; `If-Match`
//! is optional, and a stale one answers 412 `precondition_failed` with nothing changed (it is
//! checked under the layer's load lock). PATCH is a JSON merge patch (RFC 7396) of
//! `properties` and/or `geometry`, applied to the feature as read; without `If-Match` it is
//! conditional on the ETag of that read, so a concurrent change is never overwritten.
//! Bodies are GeoJSON in CRS84.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use qala_load::{ChangeMode, LoadOptions, LoadReport};
use serde_json::{Value, json};

use crate::error::Code;
use crate::state::{AppState, LayerInfo};
use crate::{ApiError, ApiResult, Caller};

/// Methods of `/collections/{id}/items` for a caller who may read, and who may also write.
const ITEMS_READ: &str = "GET, HEAD, OPTIONS";
const ITEMS_WRITE: &str = "GET, HEAD, POST, OPTIONS";
/// Methods of `/collections/{id}/items/{fid}`.
const ITEM_READ: &str = "GET, HEAD, OPTIONS";
const ITEM_WRITE: &str = "GET, HEAD, PUT, PATCH, DELETE, OPTIONS";

/// `OPTIONS /collections/{id}/items`: `Allow` lists what this caller may do here.
pub async fn options_items(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    caller.visible_layer(&state, &id)?;
    Ok(allow(if caller.can_write(&id) { ITEMS_WRITE } else { ITEMS_READ }))
}

/// `OPTIONS /collections/{id}/items/{fid}`
pub async fn options_item(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, _fid)): Path<(String, String)>,
) -> ApiResult<Response> {
    caller.visible_layer(&state, &id)?;
    Ok(allow(if caller.can_write(&id) { ITEM_WRITE } else { ITEM_READ }))
}

fn allow(methods: &'static str) -> Response {
    (
        StatusCode::NO_CONTENT,
        [(header::ALLOW, HeaderValue::from_static(methods))],
    )
        .into_response()
}

/// `POST /collections/{id}/items`: a Feature or a FeatureCollection, appended. 201 with the
/// first new feature's `Location` and all new ids in the body.
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let l = writable(&state, &caller, &id)?;
    let doc = json_body(&headers, &body, false)?;
    let features = match doc.get("type").and_then(Value::as_str) {
        Some("Feature") => vec![doc],
        Some("FeatureCollection") => match doc.get("features") {
            Some(Value::Array(f)) if !f.is_empty() => f.clone(),
            _ => return Err(bad_body("a FeatureCollection needs a non-empty \"features\" array")),
        },
        _ => return Err(bad_body("send a GeoJSON Feature or FeatureCollection")),
    };
    for f in &features {
        check_feature(f)?;
    }
    let mut opts = options(&caller, &l, ChangeMode::Append, "create")?;
    opts.report_ids = true;
    let report = write(&state, &features, opts).await?;
    let b = state.base_url();
    let first = report.feature_ids.first().copied().unwrap_or_default();
    let location = format!("{b}/collections/{id}/items/{first}");
    let body = json!({
        "ids": report.feature_ids,
        "version": report.version,
        "change": report.change,
        "links": report.feature_ids.iter().map(|f| json!({"href": format!("{b}/collections/{id}/items/{f}"), "rel": "item", "type": "application/geo+json"})).collect::<Vec<_>>(),
    });
    let mut res = (StatusCode::CREATED, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    Ok(res)
}

/// `PUT /collections/{id}/items/{fid}`: the feature replaced by the body's Feature.
pub async fn replace(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let l = writable(&state, &caller, &id)?;
    let n = feature_id(&id, &fid)?;
    let if_match = if_match(&headers)?;
    let doc = json_body(&headers, &body, false)?;
    if doc.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(bad_body("PUT takes one GeoJSON Feature"));
    }
    check_feature(&doc)?;
    replace_with(&state, &caller, &l, n, doc, if_match).await
}

/// `PATCH /collections/{id}/items/{fid}`: a JSON merge patch of `properties` and/or
/// `geometry`.
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let l = writable(&state, &caller, &id)?;
    let n = feature_id(&id, &fid)?;
    let sent = if_match(&headers)?;
    let patch = json_body(&headers, &body, true)?;
    let Some(patch_obj) = patch.as_object() else {
        return Err(bad_body(
            "a merge patch is a JSON object: {\"properties\": {…}, \"geometry\": {…}}",
        ));
    };
    if let Some(k) = patch_obj
        .keys()
        .find(|k| !matches!(k.as_str(), "properties" | "geometry" | "type" | "id"))
    {
        return Err(bad_body(format!(
            "a merge patch may change \"properties\" and \"geometry\", not {k:?}"
        )));
    }
    let v = l.summary.layer_version_id.ok_or_else(|| feature_not_found(&id, &fid))?;
    let pool = state.db()?;
    let current = qala_store::features::item_by_id(pool, l.kind, v, n, 4326, false)
        .await?
        .ok_or_else(|| feature_not_found(&id, &fid))?;
    let etag = qala_store::feature_edit::feature_etag(pool, l.kind, v, n)
        .await?
        .ok_or_else(|| feature_not_found(&id, &fid))?;
    let mut feature = json!({"type": "Feature", "geometry": current.geometry, "properties": current.properties});
    if let Some(p) = patch_obj.get("properties") {
        merge_patch(&mut feature["properties"], p);
    }
    if let Some(g) = patch_obj.get("geometry") {
        feature["geometry"] = g.clone();
    }
    check_feature(&feature)?;
    // Without If-Match the patch still applies only to the feature it was merged with.
    let if_match = Some(sent.unwrap_or_else(|| vec![etag]));
    replace_with(&state, &caller, &l, n, feature, if_match).await
}

/// `DELETE /collections/{id}/items/{fid}`: 204.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, fid)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let l = writable(&state, &caller, &id)?;
    let n = feature_id(&id, &fid)?;
    let mut opts = options(&caller, &l, ChangeMode::Delete, &format!("delete-{n}"))?;
    opts.edit = Some(qala_store::FeatureEdit {
        id: n,
        if_match: if_match(&headers)?,
    });
    write(&state, &[], opts)
        .await
        .map_err(|e| not_found_names(e, &id, &fid))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn replace_with(
    state: &AppState,
    caller: &Caller,
    l: &LayerInfo,
    n: i64,
    feature: Value,
    if_match: Option<Vec<String>>,
) -> ApiResult<Response> {
    let id = l.summary.slug.clone();
    let mut opts = options(caller, l, ChangeMode::Upsert, &format!("replace-{n}"))?;
    opts.edit = Some(qala_store::FeatureEdit { id: n, if_match });
    let report = write(state, &[feature], opts)
        .await
        .map_err(|e| not_found_names(e, &id, &n.to_string()))?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    // The new ETag, so the client can write again without reading.
    if let (Some(v), Ok(pool)) = (report.layer_version_id, state.db())
        && let Ok(Some(etag)) = qala_store::feature_edit::feature_etag(pool, l.kind, v, n).await
        && let Ok(h) = HeaderValue::from_str(&format!("\"{etag}\""))
    {
        res.headers_mut().insert(header::ETAG, h);
    }
    Ok(res)
}

/// The layer, visible (else 404) and writable by the caller (else 401/403).
fn writable(state: &AppState, caller: &Caller, id: &str) -> ApiResult<LayerInfo> {
    let l = caller.visible_layer(state, id)?;
    caller.require_write(id)?;
    Ok(l)
}

fn feature_not_found(id: &str, fid: &str) -> ApiError {
    ApiError::new(
        Code::FeatureNotFound,
        format!("collection {id:?} has no feature {fid:?}"),
    )
}

/// The store says "no feature 7"; the client asked for collection and feature by name.
fn not_found_names(e: ApiError, id: &str, fid: &str) -> ApiError {
    match e {
        ApiError::Load(qala_load::LoadError::Store(qala_store::StoreError::FeatureNotFound { .. })) => {
            feature_not_found(id, fid)
        }
        e => e,
    }
}

fn feature_id(id: &str, fid: &str) -> ApiResult<i64> {
    fid.parse().map_err(|_| feature_not_found(id, fid))
}

fn bad_body(message: impl Into<String>) -> ApiError {
    ApiError::bad(Code::InvalidBody, message)
}

/// The body as JSON: `application/json`, `application/geo+json` (and for PATCH
/// `application/merge-patch+json`), or no content type at all.
fn json_body(headers: &HeaderMap, body: &[u8], patch: bool) -> ApiResult<Value> {
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or_default();
        let essence = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        let ok = matches!(essence.as_str(), "application/json" | "application/geo+json")
            || (patch && essence == "application/merge-patch+json");
        if !ok {
            return Err(ApiError::new(
                Code::UnsupportedMediaType,
                format!(
                    "send the body as application/geo+json{} (not {ct:?})",
                    if patch { " or application/merge-patch+json" } else { "" }
                ),
            ));
        }
    }
    serde_json::from_slice(body).map_err(|e| bad_body(format!("the body is not JSON: {e}")))
}

/// A GeoJSON Feature's shape: `geometry` an object (or null, refused later by the kind's
/// rules), `properties` an object or null. Anything else is a malformed body (400); what
/// the values mean is the kind's business (422).
fn check_feature(f: &Value) -> ApiResult<()> {
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err(bad_body("every member of \"features\" must be a GeoJSON Feature"));
    }
    match f.get("geometry") {
        Some(Value::Object(g)) if g.get("type").is_some_and(Value::is_string) => {}
        Some(Value::Null) => {}
        _ => {
            return Err(bad_body(
                "a Feature needs \"geometry\": a GeoJSON geometry object or null",
            ));
        }
    }
    match f.get("properties") {
        None | Some(Value::Null) | Some(Value::Object(_)) => Ok(()),
        _ => Err(bad_body("\"properties\" must be an object")),
    }
}

/// RFC 7396: members of `patch` replace those of `target`, `null` removes one, objects merge.
fn merge_patch(target: &mut Value, patch: &Value) {
    let Some(p) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    if let Some(t) = target.as_object_mut() {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// `If-Match`: a list of quoted ETags (a weak `W/` one compares by its value) or `*`.
fn if_match(headers: &HeaderMap) -> ApiResult<Option<Vec<String>>> {
    let Some(h) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let h = h
        .to_str()
        .map_err(|_| ApiError::bad(Code::InvalidRequest, "If-Match is not readable text"))?;
    let tags: Vec<String> = h
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/").trim_matches('"').to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if tags.is_empty() {
        return Err(ApiError::bad(
            Code::InvalidRequest,
            "If-Match needs an ETag (as GET returned it) or *",
        ));
    }
    Ok(Some(tags))
}

fn options(caller: &Caller, l: &LayerInfo, mode: ChangeMode, what: &str) -> ApiResult<LoadOptions> {
    let mut opts = LoadOptions::new(qala_core::LayerSlug::parse(&l.summary.slug)?);
    opts.kind = Some(l.kind);
    opts.mode = mode;
    opts.created_by = caller.label();
    // The name says where the version came from; `.geojson` tells the reader the format.
    opts.source_name = Some(format!("ogcapi-{what}.geojson"));
    Ok(opts)
}

/// Writes `features` as a GeoJSON file and loads it as a change set, then serves the new
/// version at once (as after an upload).
async fn write(state: &AppState, features: &[Value], mut opts: LoadOptions) -> ApiResult<LoadReport> {
    let pool = state.upload_db()?;
    let admission = state.uploads.admit()?;
    let dir = qala_ingest::temp_dir::create("ogcapi")
        .map_err(|e| ApiError::internal("creating a directory for a feature write", e))?;
    let path = dir.path().join("features.geojson");
    // Ids are the server's: a client's id is not an attribute.
    let features: Vec<Value> = features
        .iter()
        .map(|f| {
            let mut f = f.clone();
            if let Some(o) = f.as_object_mut() {
                o.remove("id");
                o.remove("links");
            }
            f
        })
        .collect();
    let doc = json!({"type": "FeatureCollection", "features": features});
    let bytes = serde_json::to_vec(&doc).map_err(|e| ApiError::internal("encoding features", e))?;
    tokio::fs::write(&path, bytes)
        .await
        .map_err(|e| ApiError::internal("writing features", e))?;
    opts.cancel = state.ingests.child();
    opts.limits = state.config.upload_limits;
    let slot = admission.ingest_slot().await?;
    let report = qala_load::load_file(pool, &path, &opts).await?;
    drop(slot);
    drop(dir);
    if let Err(e) = state.sync().await {
        tracing::warn!(error = %crate::error::chain(&e), "layer reload after a feature write failed; the listener will retry");
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
        let mut t = json!({"a": [1]});
        merge_patch(&mut t, &json!({"a": [2], "n": 3}));
        assert_eq!(t, json!({"a": [2], "n": 3}));
    }

    #[test]
    fn if_match_reads_lists_weak_tags_and_star() {
        let mut h = HeaderMap::new();
        h.insert(header::IF_MATCH, HeaderValue::from_static("\"abc\", W/\"def\""));
        assert_eq!(if_match(&h).unwrap(), Some(vec!["abc".to_owned(), "def".to_owned()]));
        h.insert(header::IF_MATCH, HeaderValue::from_static("*"));
        assert_eq!(if_match(&h).unwrap(), Some(vec!["*".to_owned()]));
        h.insert(header::IF_MATCH, HeaderValue::from_static(" , "));
        assert!(if_match(&h).is_err());
        assert_eq!(if_match(&HeaderMap::new()).unwrap(), None);
    }

    #[test]
    fn features_of_the_wrong_shape_are_bad_bodies() {
        assert!(check_feature(&json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [76.9, 43.2]}, "properties": {}})).is_ok());
        assert!(check_feature(&json!({"type": "Feature", "geometry": 5})).is_err());
        assert!(check_feature(&json!({"type": "Point", "coordinates": [1, 2]})).is_err());
        assert!(check_feature(&json!({"type": "Feature", "geometry": null, "properties": []})).is_err());
    }
}
