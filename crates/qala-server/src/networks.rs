//! The cycling stress network: `GET /networks/lts` (segments with LTS and reason, GeoJSON,
//! by bbox and page), `GET /networks/lts/islands` (low-stress islands) and
//! `GET /networks/lts/priorities` (planned segments and missing links by residents newly
//! connected per km). And the walking profiles' barriers: `GET /networks/walk/barriers`.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use qala_engine::{LtsScenario, LtsSegmentQuery, WalkProfile};

use crate::error::Code;
use crate::indicators::{blocking, check_inputs_visible, engine, pairs, with_provenance};
use crate::ogc_query::parse_bbox;
use crate::state::AppState;
use crate::{ApiError, ApiResult, Caller};

/// Segments per page by default, and at most.
pub const DEFAULT_LIMIT: usize = 500;
pub const MAX_LIMIT: usize = 10_000;

/// The parameters of the two routes, parsed without I/O.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LtsParams {
    pub scenario: LtsScenario,
    pub bbox_wgs84: Option<[f64; 4]>,
    pub limit: usize,
    pub offset: usize,
}

impl LtsParams {
    /// `scenario=existing|under_construction|plan`, and for segments `bbox=minlon,minlat,
    /// maxlon,maxlat`, `limit` (1–10000, default 500), `offset` (default 0).
    pub fn from_params(p: &[(String, String)], paged: bool) -> ApiResult<LtsParams> {
        let known: &[&str] = if paged {
            &["scenario", "bbox", "limit", "offset"]
        } else {
            &["scenario"]
        };
        if let Some((k, _)) = p.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            return Err(ApiError::bad(
                Code::UnknownParameter,
                format!("unknown parameter {k:?}; use {}", known.join(", ")),
            ));
        }
        let get = |k: &str| p.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        let scenario = get("scenario").map(str::parse).transpose()?.unwrap_or_default();
        let bbox_wgs84 = get("bbox")
            .map(|s| {
                let b = parse_bbox(s)?;
                if b.min_x < -180.0 || b.max_x > 180.0 || b.min_y < -90.0 || b.max_y > 90.0 {
                    return Err(ApiError::bad(
                        Code::InvalidBbox,
                        format!("bbox={s}: longitudes must be within ±180 and latitudes within ±90"),
                    ));
                }
                Ok([b.min_x, b.min_y, b.max_x, b.max_y])
            })
            .transpose()?;
        let whole = |k: &str, dflt: usize, min: usize, max: usize, code: Code| -> ApiResult<usize> {
            match get(k) {
                None => Ok(dflt),
                Some(v) => v
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| ApiError::bad(code, format!("{k}={v}: use a whole number from {min} to {max}"))),
            }
        };
        Ok(LtsParams {
            scenario,
            bbox_wgs84,
            limit: whole("limit", DEFAULT_LIMIT, 1, MAX_LIMIT, Code::InvalidLimit)?,
            offset: whole("offset", 0, 0, usize::MAX >> 1, Code::InvalidParameter)?,
        })
    }
}

/// `GET /networks/lts?scenario=…&bbox=…&limit=…&offset=…`: street segments with their
/// level of traffic stress, rule, reason and island, as GeoJSON.
pub async fn segments(State(state): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let p = LtsParams::from_params(&pairs(q.as_deref())?, true)?;
    let e = engine(&state)?;
    let inputs = e.lts_inputs();
    check_inputs_visible(&state, &caller, &inputs)?;
    let page = blocking(move || {
        e.lts_segments(&LtsSegmentQuery {
            scenario: p.scenario,
            bbox_wgs84: p.bbox_wgs84,
            limit: p.limit,
            offset: p.offset,
        })
    })
    .await?;
    let body = with_provenance(&state, &caller, page.to_geojson(), &inputs);
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(body)).into_response())
}

/// `GET /networks/lts/islands?scenario=…`: the low-stress islands, longest first.
pub async fn islands(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Json<serde_json::Value>> {
    let p = LtsParams::from_params(&pairs(q.as_deref())?, false)?;
    let e = engine(&state)?;
    let inputs = e.lts_inputs();
    check_inputs_visible(&state, &caller, &inputs)?;
    let r = blocking(move || e.lts_islands(p.scenario)).await?;
    Ok(Json(with_provenance(&state, &caller, serde_json::json!(r), &inputs)))
}

/// `GET /networks/lts/priorities?format=json|csv&limit=N`: planned segments and missing links
/// ranked by residents newly connected to the centre's low-stress island per km.
pub async fn priorities(State(state): State<AppState>, caller: Caller, RawQuery(q): RawQuery) -> ApiResult<Response> {
    let p = pairs(q.as_deref())?;
    if let Some((k, _)) = p.iter().find(|(k, _)| !["format", "limit"].contains(&k.as_str())) {
        return Err(ApiError::bad(
            Code::UnknownParameter,
            format!("unknown parameter {k:?}; use format, limit"),
        ));
    }
    let get = |k: &str| p.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let csv = match get("format") {
        None | Some("json") => false,
        Some("csv") => true,
        Some(f) => {
            return Err(ApiError::bad(
                Code::InvalidParameter,
                format!("format={f}: use json or csv"),
            ));
        }
    };
    let limit = match get("limit") {
        None => usize::MAX,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::bad(
                    Code::InvalidLimit,
                    format!("limit={v}: use a whole number from 1 to {MAX_LIMIT}"),
                )
            })?,
    };
    let e = engine(&state)?;
    let inputs = e.lts_inputs();
    check_inputs_visible(&state, &caller, &inputs)?;
    let mut r = blocking(move || e.lts_priorities()).await?;
    r.priorities.truncate(limit);
    if csv {
        return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], r.to_csv()).into_response());
    }
    Ok(Json(with_provenance(&state, &caller, serde_json::json!(r), &inputs)).into_response())
}

/// `GET /networks/walk/barriers?profile=step_free|elderly|walk`: the street ways the profile
/// cannot walk (steps, ways tagged wheelchair=no or kerb=raised, steep slopes), beyond the
/// motorways and trunk roads no profile walks, with the reason, as GeoJSON.
pub async fn walk_barriers(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> ApiResult<Response> {
    let p = pairs(q.as_deref())?;
    if let Some((k, _)) = p.iter().find(|(k, _)| k != "profile") {
        return Err(ApiError::bad(
            Code::UnknownParameter,
            format!("unknown parameter {k:?}; use profile"),
        ));
    }
    let profile: WalkProfile = match p.iter().find(|(k, _)| k == "profile") {
        Some((_, v)) => v.parse()?,
        None => WalkProfile::StepFree,
    };
    let e = engine(&state)?;
    let inputs = e.walk_inputs();
    check_inputs_visible(&state, &caller, &inputs)?;
    let body = blocking(move || e.walk_profile_barriers(profile)).await?;
    let body = with_provenance(&state, &caller, body, &inputs);
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(body)).into_response())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn p(q: &str) -> Vec<(String, String)> {
        pairs(Some(q)).unwrap()
    }

    #[test]
    fn parameters_parse_and_refuse_with_the_reason() {
        let d = LtsParams::from_params(&[], true).unwrap();
        assert_eq!(
            (d.scenario, d.bbox_wgs84, d.limit, d.offset),
            (LtsScenario::Existing, None, 500, 0)
        );
        let x = LtsParams::from_params(&p("scenario=plan&bbox=76.9,43.2,77,43.3&limit=7&offset=14"), true).unwrap();
        assert_eq!(x.scenario, LtsScenario::Plan);
        assert_eq!(x.bbox_wgs84, Some([76.9, 43.2, 77.0, 43.3]));
        assert_eq!((x.limit, x.offset), (7, 14));
        let code = |q: &str, paged| LtsParams::from_params(&p(q), paged).unwrap_err().code();
        assert_eq!(code("scenario=built", true), Code::InvalidLtsScenario);
        assert_eq!(code("bbox=1,2,3", true), Code::InvalidBbox);
        assert_eq!(code("bbox=170,0,190,1", true), Code::InvalidBbox);
        assert_eq!(code("limit=0", true), Code::InvalidLimit);
        assert_eq!(code("limit=10001", true), Code::InvalidLimit);
        assert_eq!(code("offset=-1", true), Code::InvalidParameter);
        assert_eq!(code("bbox=1,2,3,4", false), Code::UnknownParameter);
        assert_eq!(code("colour=red", true), Code::UnknownParameter);
    }
}
