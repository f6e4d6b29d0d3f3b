//! `/layers`: the catalogue, versions, uploads and rollback.

use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use qala_core::{LayerKind, LayerSlug};
use qala_load::{LoadOptions, LoadStatus};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::error::Code;
use crate::state::{AppState, LayerInfo};
use crate::{ApiError, ApiResult, Caller};

fn field_json(f: &qala_core::FieldDef) -> Value {
    let values = match f.rule {
        qala_core::FieldRule::OneOf(v) | qala_core::FieldRule::AllOf(v) => json!(v),
        _ => Value::Null,
    };
    json!({"name": f.name, "type": format!("{:?}", f.ty).to_lowercase(), "required": f.required,
           "values": values, "unit": f.unit, "doc": f.doc})
}

pub fn layer_json(l: &LayerInfo) -> Value {
    let s = &l.summary;
    json!({
        "slug": s.slug, "kind": s.kind,
        "title": {"kk": s.title_kk, "ru": s.title_ru, "en": s.title_en},
        "description": s.description, "visibility": s.visibility, "synthetic": s.synthetic,
        "licence": s.licence, "attribution": s.attribution,
        "geometry_type": l.kind.geometry_type().postgis_name(),
        "feature_count": s.feature_count, "version": s.version, "updated_at": s.updated_at,
        "bbox": l.bbox_wgs84,
        "fields": l.kind.fields().iter().map(field_json).collect::<Vec<_>>(),
        "tiles": format!("/tiles/{}/{{z}}/{{x}}/{{y}}.mvt", s.slug),
        "tilejson": format!("/tiles/{}.json", s.slug),
        "items": format!("/collections/{}/items", s.slug),
    })
}

/// `GET /layers`
pub async fn list(State(state): State<AppState>, caller: Caller) -> Json<Vec<Value>> {
    Json(
        state
            .catalogue()
            .iter()
            .filter(|l| caller.can_see(l))
            .map(|l| with_writable(layer_json(l), &caller, &l.summary.slug))
            .collect(),
    )
}

/// `GET /layers/{slug}`
pub async fn one(State(state): State<AppState>, caller: Caller, Path(slug): Path<String>) -> ApiResult<Json<Value>> {
    let l = caller.visible_layer(&state, &slug)?;
    Ok(Json(with_writable(layer_json(&l), &caller, &l.summary.slug)))
}

/// Adds whether this caller may change the layer (upload, roll back, edit features).
fn with_writable(mut v: Value, caller: &Caller, slug: &str) -> Value {
    v["writable"] = json!(caller.can_write(slug));
    v
}

/// `GET /layers/{slug}/uploads/{id}`: how far an upload sent with `?progress=<id>` has come.
pub async fn upload_progress(
    State(state): State<AppState>,
    caller: Caller,
    Path((slug, id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    caller.require_write(&slug)?;
    let unknown = || {
        ApiError::new(
            Code::NotFound,
            format!("no upload followed as {id:?} on layer {slug:?}: send the upload with ?progress=<id> first"),
        )
    };
    let e = state.upload_progress.get(&id).ok_or_else(unknown)?;
    if e.slug != slug || e.token_id != caller.token_id {
        return Err(unknown());
    }
    let total = e.total.load(std::sync::atomic::Ordering::Relaxed);
    Ok(Json(json!({
        "features": e.features.load(std::sync::atomic::Ordering::Relaxed),
        "total": (total > 0).then_some(total),
        "done": e.done.load(std::sync::atomic::Ordering::Relaxed),
    })))
}

/// `GET /layers/{slug}/versions`
pub async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
) -> ApiResult<Json<Value>> {
    caller.visible_layer(&state, &slug)?;
    let v = qala_store::catalogue::list_versions(state.db()?, &slug).await?;
    Ok(Json(json!(v)))
}

#[derive(Debug, serde::Deserialize)]
pub struct UploadParams {
    /// Kind of a layer created by this upload (admins only).
    pub kind: Option<String>,
    /// Source CRS when the file has none (e.g. `EPSG:32643`).
    pub crs: Option<String>,
    /// How the file changes the layer: `replace` (default), `append`, `upsert`, `delete`.
    pub mode: Option<String>,
    /// The field matching file features to served ones (`upsert`, `delete`).
    pub key: Option<String>,
    /// `true`: compute the change (counts and samples) and write nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// `true`: load the valid features and report the invalid ones as skipped.
    #[serde(default)]
    pub skip_invalid: bool,
    /// An id (8-64 of `A-Za-z0-9_-`) under which `GET /layers/{slug}/uploads/{id}` tells the
    /// features validated so far.
    pub progress: Option<String>,
}

/// `POST /layers/{slug}/versions`: a multipart `file`, streamed to disk, then the CLI's
/// ingest path.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    Query(params): Query<UploadParams>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<impl IntoResponse> {
    let slug = LayerSlug::parse(&slug)?;
    caller.require_write(slug.as_str())?;
    // The change mode is checked before the body is read.
    let mode: qala_load::ChangeMode = match params.mode.as_deref() {
        None => qala_load::ChangeMode::default(),
        Some(m) => m
            .parse()
            .map_err(|e: String| ApiError::bad(Code::InvalidParameter, format!("mode: {e}")))?,
    };
    if mode.needs_key() && params.key.as_deref().is_none_or(str::is_empty) {
        return Err(ApiError::bad(
            Code::KeyRequired,
            format!("mode={} matches features by a field: add key=FIELD", mode.name()),
        ));
    }
    // Say so before the file is streamed to disk.
    state.db()?;
    // An existing layer must be visible to the caller; a new one needs a kind and an admin.
    let kind = match state.layer_info(slug.as_str()) {
        Some(l) if caller.can_see(&l) => {
            if let Some(k) = params.kind.as_deref()
                && k.parse::<LayerKind>()? != l.kind
            {
                return Err(ApiError::bad(
                    Code::KindMismatch,
                    format!("layer {slug} is a {} layer; it cannot take {k} features", l.kind),
                ));
            }
            l.kind
        }
        Some(_) => return Err(ApiError::layer_not_found(slug.as_str())),
        None => {
            let Some(kind) = params.kind.as_deref() else {
                return Err(ApiError::layer_not_found(slug.as_str()));
            };
            if caller.role != crate::Role::Admin {
                return Err(ApiError::forbidden("only admins create layers"));
            }
            kind.parse::<LayerKind>()?
        }
    };
    if let Some(id) = params.progress.as_deref()
        && !crate::upload_queue::UploadProgress::valid_id(id)
    {
        return Err(ApiError::bad(
            Code::InvalidParameter,
            "progress: use 8-64 characters of A-Z, a-z, 0-9, _ and -",
        ));
    }
    // A place in the upload queue before the body is read: refused at once when full.
    let admission = state.uploads.admit()?;
    let mut multipart = multipart.map_err(|e| ApiError::bad(Code::InvalidUpload, e.body_text()))?;
    let dir =
        qala_ingest::temp_dir::create("upload").map_err(|e| ApiError::internal("creating an upload directory", e))?;
    let mut saved: Option<(std::path::PathBuf, String)> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).to_owned())
            .filter(|n| !n.is_empty() && !n.starts_with('.'))
            .unwrap_or_else(|| "upload.geojson".into());
        // The temp file's name is ours; the client's name only travels as source_name.
        let path = dir.path().join("upload");
        let mut file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| ApiError::internal("creating the upload file", e))?;
        // Chunk by chunk to disk: a large upload never sits in memory.
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            file.write_all(&chunk)
                .await
                .map_err(|e| ApiError::internal("writing the upload", e))?;
        }
        file.flush()
            .await
            .map_err(|e| ApiError::internal("writing the upload", e))?;
        saved = Some((path, name));
        break;
    }
    let Some((path, name)) = saved else {
        return Err(ApiError::bad(
            Code::InvalidUpload,
            "send the file as multipart/form-data field \"file\"",
        ));
    };
    let mut opts = LoadOptions::new(slug.clone());
    opts.kind = Some(kind);
    opts.created_by = caller.label();
    opts.source_name = Some(name);
    opts.crs = params.crs.clone();
    opts.mode = mode;
    opts.key = params.key.clone();
    opts.dry_run = params.dry_run;
    opts.skip_invalid = params.skip_invalid;
    // Stopped by shutdown; load_file also stops its reader when this future is dropped.
    opts.cancel = state.ingests.child();
    opts.limits = state.config.upload_limits;
    let followed = params
        .progress
        .as_deref()
        .map(|id| state.upload_progress.start(id, caller.token_id, slug.as_str()));
    if let Some(f) = &followed {
        opts.progress = Some(f.callback());
    }
    let slot = admission.ingest_slot().await?;
    let report = qala_load::load_file(state.upload_db()?, &path, &opts).await;
    if let Some(f) = &followed {
        f.done.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let report = report?;
    drop(slot);
    drop(dir);
    // Serve the new version now rather than waiting for the notification.
    if let Err(e) = state.sync().await {
        tracing::warn!(error = %crate::error::chain(&e), "layer reload after upload failed; the listener will retry");
    }
    let status = if report.status == LoadStatus::Loaded {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!(report))))
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            Code::PayloadTooLarge,
            format!("the upload is larger than {} MB", crate::UPLOAD_LIMIT_BYTES >> 20),
        )
    } else {
        ApiError::bad(Code::InvalidUpload, e.body_text())
    }
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackBody {
    pub version: i32,
}

/// `POST /layers/{slug}/rollback`
pub async fn rollback(
    State(state): State<AppState>,
    caller: Caller,
    Path(slug): Path<String>,
    body: Result<Json<RollbackBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Value>> {
    caller.require_write(&slug)?;
    caller.visible_layer(&state, &slug)?;
    let Json(body) = body.map_err(crate::error_body::json_rejection)?;
    let v = qala_store::catalogue::rollback(state.db()?, &slug, body.version).await?;
    if let Err(e) = state.sync().await {
        tracing::warn!(error = %crate::error::chain(&e), "layer reload after rollback failed; the listener will retry");
    }
    Ok(Json(json!(v)))
}
