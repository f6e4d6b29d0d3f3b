//! Indicators, access queries, zones and what-if, answered by the in-memory engine.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use qala_engine::{AccessQuery, Change, DistanceMode, Engine, EngineOptions, FieldEquals, IndicatorResult, ZoneScheme};
use serde_json::Value;

use crate::error::Code;
use crate::state::AppState;
use crate::{ApiError, ApiResult, Caller};

pub(crate) fn engine(state: &AppState) -> ApiResult<Arc<Engine>> {
    state.engine().ok_or_else(|| {
        ApiError::new(
            Code::EngineUnavailable,
            "the indicator engine is still being built from the layers; try again in a moment",
        )
    })
}

/// Raw query pairs, repeated keys kept.
pub(crate) fn pairs(q: Option<&str>) -> ApiResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for p in q.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        let dec = |s: &str| {
            crate::ogc::percent_decode(s)
                .ok_or_else(|| ApiError::bad(Code::InvalidParameter, format!("bad percent-encoding in {p:?}")))
        };
        out.push((dec(k)?, dec(v)?));
    }
    Ok(out)
}

pub(crate) fn one<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
    p.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
}

pub(crate) fn check_known(p: &[(String, String)], known: &[&str]) -> ApiResult<()> {
    match p.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        Some((k, _)) => Err(ApiError::bad(
            Code::UnknownParameter,
            format!("unknown parameter {k:?}; use {}", known.join(", ")),
        )),
        None => Ok(()),
    }
}

pub(crate) fn scheme(state: &AppState, caller: &Caller, p: &[(String, String)]) -> ApiResult<ZoneScheme> {
    let s: ZoneScheme = one(p, "zones").unwrap_or("districts").parse()?;
    if let ZoneScheme::Layer { slug } = &s {
        caller.visible_layer(state, slug)?;
    }
    Ok(s)
}

fn wants_csv(p: &[(String, String)]) -> ApiResult<bool> {
    match one(p, "format") {
        None | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(f) => Err(ApiError::bad(
            Code::InvalidParameter,
            format!("format={f}: use json or csv"),
        )),
    }
}

/// `distance=straight|network` (default straight).
fn distance(p: &[(String, String)]) -> ApiResult<DistanceMode> {
    Ok(one(p, "distance").map(str::parse).transpose()?.unwrap_or_default())
}

/// Runs CPU work of the engine off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, qala_engine::EngineError> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal("engine task", e))?
        .map_err(ApiError::from)
}

/// `GET /indicators`: the definitions in force (data from the database, with their
/// versions, roles and norm variants).
pub async fn list(State(state): State<AppState>) -> Json<Value> {
    let g = state.governance();
    let defs = if g.definitions.is_empty() {
        EngineOptions::default().indicators
    } else {
        g.definitions.clone()
    };
    Json(serde_json::json!(
        defs.iter()
            .map(|d| {
                let mut v = serde_json::json!(d);
                v["roles"] = serde_json::json!(d.roles());
                v
            })
            .collect::<Vec<_>>()
    ))
}

/// `GET /indicators/{id}?zones=…&distance=straight|network&norm=VARIANT&edition=latest|N&format=json|csv`:
/// live figures from the layers bound now, or with `edition` the figure as published.
pub async fn compute(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let p = pairs(q.as_deref())?;
    check_known(&p, &["zones", "distance", "format", "norm", "edition"])?;
    let csv = wants_csv(&p)?;
    let mode = distance(&p)?;
    let s = scheme(&state, &caller, &p)?;
    if let Some(ed) = one(&p, "edition") {
        let v = crate::editions::stored_result(&state, &caller, ed, &id, &s, mode).await?;
        return Ok(Json(v).into_response());
    }
    let def = state
        .governance()
        .definition(&id, one(&p, "norm"))?
        .with_distance(mode)?;
    let e = engine(&state)?;
    check_inputs_visible(&state, &caller, &e.input_versions(&def, &s))?;
    let r = blocking(move || e.compute_def(&def, &s)).await?;
    if csv {
        return Ok(result_response(&r, true));
    }
    Ok(Json(with_provenance(
        &state,
        &caller,
        serde_json::json!(r),
        &r.layer_versions,
    ))
    .into_response())
}

/// A figure may be shown only to a caller who may read every layer it reads; the refusal
/// names no layer.
pub fn check_inputs_visible(
    state: &AppState,
    caller: &Caller,
    inputs: &std::collections::BTreeMap<String, i64>,
) -> ApiResult<()> {
    let hidden = inputs
        .keys()
        .any(|slug| state.layer_info(slug).is_none_or(|l| !caller.can_see(&l)));
    if hidden {
        return Err(ApiError::forbidden(
            "this figure is computed from layers your role may not read; ask a planner",
        ));
    }
    Ok(())
}

/// The result with `inputs` (each layer's provenance from the catalogue: role, version,
/// real or synthetic, licence, attribution, load date) and `caveats` derived from them.
pub fn with_provenance(
    state: &AppState,
    caller: &Caller,
    mut v: Value,
    layer_versions: &std::collections::BTreeMap<String, i64>,
) -> Value {
    let g = state.governance();
    let mut synthetic = Vec::new();
    let inputs: Vec<Value> = layer_versions
        .iter()
        .filter_map(|(slug, id)| {
            let l = state.layer_info(slug).filter(|l| caller.can_see(l))?;
            let roles: Vec<&str> = g
                .bindings
                .0
                .iter()
                .filter(|(_, ls)| ls.iter().any(|b| &b.slug == slug))
                .map(|(r, _)| r.as_str())
                .collect();
            let s = &l.summary;
            if s.synthetic {
                synthetic.push(slug.clone());
            }
            Some(serde_json::json!({
                "slug": slug, "roles": roles, "layer_version_id": id,
                "served": s.layer_version_id == Some(*id),
                "version": if s.layer_version_id == Some(*id) { s.version } else { None },
                "title": {"kk": s.title_kk, "ru": s.title_ru, "en": s.title_en},
                "synthetic": s.synthetic, "licence": s.licence, "attribution": s.attribution,
                "loaded_at": s.updated_at,
            }))
        })
        .collect();
    let mut caveats = Vec::new();
    if !synthetic.is_empty() {
        caveats.push(serde_json::json!({"code": "synthetic_inputs", "layers": synthetic}));
    }
    v["inputs"] = Value::Array(inputs);
    v["caveats"] = Value::Array(caveats);
    v
}

/// `GET /access?layer=services&radius_m=500&where=category=school&zones=districts&distance=network`
pub async fn access(State(state): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let p = pairs(q.as_deref())?;
    check_known(&p, &["layer", "radius_m", "where", "zones", "distance", "format"])?;
    let csv = wants_csv(&p)?;
    let mode = distance(&p)?;
    let layer = one(&p, "layer").ok_or_else(|| ApiError::bad(Code::InvalidParameter, "layer=SLUG is required"))?;
    caller.visible_layer(&state, layer)?;
    let radius_m: f64 = one(&p, "radius_m")
        .and_then(|r| r.parse().ok())
        .ok_or_else(|| ApiError::bad(Code::InvalidParameter, "radius_m=METRES is required (a number)"))?;
    let filter = p
        .iter()
        .filter(|(k, _)| k == "where")
        .map(|(_, v)| FieldEquals::parse(v))
        .collect::<Result<Vec<_>, _>>()?;
    let s = scheme(&state, &caller, &p)?;
    if let Some(e) = state.engine() {
        check_inputs_visible(&state, &caller, &e.base_inputs(&s))?;
    }
    let query = AccessQuery {
        layer: layer.to_owned(),
        radius_m,
        filter,
        distance: mode,
    };
    let e = engine(&state)?;
    let r = blocking(move || e.access(&query, &s)).await?;
    Ok(result_response(&r, csv))
}

/// `GET /zones/{scheme}`: the zones as GeoJSON.
pub async fn zones(State(state): State<AppState>, caller: Caller, Path(name): Path<String>) -> ApiResult<Response> {
    let s = scheme(&state, &caller, &[("zones".into(), name)])?;
    let e = engine(&state)?;
    let z = blocking(move || e.zones(&s)).await?;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(z.to_geojson())).into_response())
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatIfBody {
    pub change: Change,
    #[serde(default)]
    pub zones: Option<String>,
    /// `straight` (default) or `network`: how access indicators measure distance.
    #[serde(default)]
    pub distance: Option<String>,
}

/// `POST /whatif`: before/after of every indicator for one added or removed feature.
/// Nothing is written.
pub async fn what_if(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<Json<WhatIfBody>, axum::extract::rejection::JsonRejection>,
) -> ApiResult<Json<Value>> {
    let Json(body) = body.map_err(crate::error_body::json_rejection)?;
    let mode: DistanceMode = body
        .distance
        .as_deref()
        .map(str::parse)
        .transpose()?
        .unwrap_or_default();
    caller.visible_layer(&state, &body.change.layer)?;
    let zones = body.zones.unwrap_or_else(|| "districts".into());
    let s = scheme(&state, &caller, &[("zones".into(), zones)])?;
    let e = engine(&state)?;
    let change = body.change;
    let hidden: Vec<String> = e
        .definitions()
        .iter()
        .filter(|d| {
            let d = (*d).clone().with_distance(mode).unwrap_or_else(|_| (*d).clone());
            check_inputs_visible(&state, &caller, &e.input_versions(&d, &s)).is_err()
        })
        .map(|d| d.id.clone())
        .collect();
    let mut r = blocking(move || e.what_if_in(&change, &s, mode)).await?;
    // Figures from layers the caller may not read are left out.
    r.indicators.retain(|i| !hidden.contains(&i.indicator));
    Ok(Json(serde_json::json!(r)))
}

fn result_response(r: &IndicatorResult, csv: bool) -> Response {
    if !csv {
        return Json(serde_json::json!(r)).into_response();
    }
    let body = IndicatorResult::to_csv(std::slice::from_ref(r));
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response()
}
