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

fn engine(state: &AppState) -> ApiResult<Arc<Engine>> {
    state.engine().ok_or_else(|| {
        ApiError::new(
            Code::EngineUnavailable,
            "the indicator engine is still being built from the layers; try again in a moment",
        )
    })
}

/// Raw query pairs, repeated keys kept.
fn pairs(q: Option<&str>) -> ApiResult<Vec<(String, String)>> {
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

fn one<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
    p.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
}

fn check_known(p: &[(String, String)], known: &[&str]) -> ApiResult<()> {
    match p.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        Some((k, _)) => Err(ApiError::bad(
            Code::UnknownParameter,
            format!("unknown parameter {k:?}; use {}", known.join(", ")),
        )),
        None => Ok(()),
    }
}

fn scheme(state: &AppState, caller: &Caller, p: &[(String, String)]) -> ApiResult<ZoneScheme> {
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
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, qala_engine::EngineError> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal("engine task", e))?
        .map_err(ApiError::from)
}

/// `GET /indicators`: the definitions (data, available even before the engine is built).
pub async fn list(State(state): State<AppState>) -> Json<Value> {
    let defs = match state.engine() {
        Some(e) => serde_json::json!(e.definitions()),
        None => serde_json::json!(EngineOptions::default().indicators),
    };
    Json(defs)
}

/// `GET /indicators/{id}?zones=…&distance=straight|network&format=json|csv`
pub async fn compute(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let p = pairs(q.as_deref())?;
    check_known(&p, &["zones", "distance", "format"])?;
    let csv = wants_csv(&p)?;
    let mode = distance(&p)?;
    let s = scheme(&state, &caller, &p)?;
    let e = engine(&state)?;
    let r = blocking(move || e.compute_in(&id, &s, mode)).await?;
    Ok(result_response(&r, csv))
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
    let r = blocking(move || e.what_if_in(&change, &s, mode)).await?;
    Ok(Json(serde_json::json!(r)))
}

fn result_response(r: &IndicatorResult, csv: bool) -> Response {
    if !csv {
        return Json(serde_json::json!(r)).into_response();
    }
    let body = IndicatorResult::to_csv(std::slice::from_ref(r));
    ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response()
}
