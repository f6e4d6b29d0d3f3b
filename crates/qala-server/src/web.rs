//! The web app (`web/dist`) at `/`, sharing `/` with the OGC landing page by content
//! negotiation.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::error::Code;
use crate::state::AppState;
use crate::{ApiError, ApiResult};

/// Whether a request asks for JSON rather than a page (`?f=json`, or an Accept that names
/// JSON and not HTML).
pub fn wants_json(headers: &HeaderMap, query: Option<&str>) -> bool {
    if let Some(q) = query
        && q.split('&').any(|p| p == "f=json" || p == "f=application%2Fjson")
    {
        return true;
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    accept.contains("json") && !accept.contains("text/html")
}

fn web_dir(state: &AppState) -> ApiResult<std::path::PathBuf> {
    match &state.config.web_dir {
        Some(d) if d.join("index.html").is_file() => Ok(d.clone()),
        other => Err(ApiError::new(
            Code::WebAppMissing,
            format!(
                "the web app is not built: no index.html in {}; run `cd web && npm ci && npm run build` or pass --web-dir",
                other
                    .as_ref()
                    .map(|d| d.display().to_string())
                    .unwrap_or_else(|| "(none)".into())
            ),
        )),
    }
}

async fn index(state: &AppState) -> ApiResult<Response> {
    let dir = web_dir(state)?;
    let html = tokio::fs::read(dir.join("index.html"))
        .await
        .map_err(|e| ApiError::internal("reading index.html", e))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        html,
    )
        .into_response())
}

/// `GET /`: the OGC landing page for JSON clients, the web app for browsers, and the
/// landing page as HTML with `?f=html`.
pub async fn root(State(state): State<AppState>, headers: HeaderMap, uri: axum::http::Uri) -> ApiResult<Response> {
    if let Some(q) = uri.query()
        && q.split('&').any(|p| p == "f=html" || p == "f=text%2Fhtml")
    {
        let p = crate::ogc_query::params(Some(q))?;
        let (lang, lang_in_query) = crate::negotiate::lang(&p, &headers)?;
        let ctx = crate::html_page::PageCtx {
            lang,
            lang_in_query,
            base: state.base_url(),
            path: uri.path(),
            raw_query: q,
        };
        return Ok(crate::ogc_html::landing(&ctx));
    }
    if wants_json(&headers, uri.query()) {
        return Ok(crate::ogc::landing(&state).into_response());
    }
    index(&state).await
}

/// Any other path: a file of the web app, the app itself for page routes (SPA), or a JSON
/// 404.
pub async fn fallback(State(state): State<AppState>, req: Request) -> ApiResult<Response> {
    let not_found = || {
        ApiError::new(
            Code::NotFound,
            format!("no such resource: {}; see docs/api.md", req.uri().path()),
        )
    };
    let page = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let Ok(dir) = web_dir(&state) else {
        return Err(not_found());
    };
    let path = req.uri().path().to_owned();
    let res = ServeDir::new(&dir)
        .oneshot(req)
        .await
        .map_err(|e| ApiError::internal("serving a web file", e))?;
    if res.status() != StatusCode::NOT_FOUND {
        return Ok(res.into_response());
    }
    if page && !path.contains('.') {
        return index(&state).await;
    }
    Err(ApiError::new(
        Code::NotFound,
        format!("no such resource: {path}; see docs/api.md"),
    ))
}
