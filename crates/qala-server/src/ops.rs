//! Operations: request metrics and timeouts, `/health`, Prometheus `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ApiError;
use crate::error::Code;
use crate::state::AppState;

/// Upper bounds of the request duration histogram, seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
    pub layer_reloads: AtomicU64,
    /// Items responses answered from memory (database down or slow).
    pub items_from_memory: AtomicU64,
    /// Tiles cut by PostGIS because a layer's version was not in memory yet.
    pub tiles_from_database: AtomicU64,
}

impl Metrics {
    fn record(&self, route: String, status: u16, secs: f64) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((route, status)).or_default() += 1;
        }
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros.fetch_add((secs * 1e6) as u64, Ordering::Relaxed);
    }
}

/// Times out slow requests (JSON 503) and records every request.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "other".into());
    let limit = if req.method() == Method::POST && route == "/layers/{slug}/versions" {
        state.config.upload_timeout
    } else {
        state.config.request_timeout
    };
    let res = match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::new(
            Code::Timeout,
            format!("the request took longer than {} s", limit.as_secs()),
        )
        .into_response(),
    };
    state
        .metrics
        .record(route, res.status().as_u16(), started.elapsed().as_secs_f64());
    res
}

/// `GET /health`: always 200 while the server runs — it serves tiles and features from
/// memory even when the database is down. `status` is `ok`, or `degraded` while the
/// database is down (uploads, tokens and version lists answer 503 then).
pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let up = state.db_up();
    Json(serde_json::json!({
        "status": if up { "ok" } else { "degraded" },
        "database": if up { "ok" } else { "unavailable" },
        "serving": if up { "database and memory" } else { "memory only: tiles, collections, items, indicators" },
        "layers": state.tiles.versions().len(),
        "tiles_cached": state.tiles.cached_tiles(),
        "engine": if state.engine().is_some() { "ready" } else { "building" },
        "layers_loading": state.loading_layers().len(),
    }))
}

/// `GET /livez`: liveness for a process supervisor or load balancer — 200 whenever the
/// process answers at all. Restart the process when this fails, never because of
/// `/readyz`.
pub async fn livez() -> impl IntoResponse {
    Json(serde_json::json!({"status": "alive"}))
}

/// `GET /readyz`: readiness — 200 when this instance answers every read from memory: every
/// served layer is in memory and the indicator engine is built; 503 with `Retry-After`
/// before, so a load balancer sends traffic elsewhere meanwhile (the instance does answer
/// already: `qala serve` listens at once, PostGIS cuts the tiles of layers still loading
/// and indicators answer 503 until the engine is built). `layers` lists the versions held
/// in memory, so a fleet can see that every replica serves the same versions; `loading` the
/// ones still being read. A database outage does not make it unready: reads are served
/// from memory (see `database`).
pub async fn readyz(State(state): State<AppState>) -> Response {
    let engine = state.engine().is_some();
    let mut layers: Vec<serde_json::Value> = state
        .tiles
        .versions()
        .into_iter()
        .map(|(slug, v)| serde_json::json!({"slug": slug, "layer_version_id": v}))
        .collect();
    layers.sort_by(|a, b| a["slug"].as_str().cmp(&b["slug"].as_str()));
    let mut loading: Vec<(String, i64)> = state.loading_layers();
    loading.sort();
    let ready = engine && loading.is_empty();
    let body = Json(serde_json::json!({
        "ready": ready,
        "engine": if engine { "ready" } else { "building" },
        "database": if state.db_up() { "ok" } else { "unavailable" },
        "layers": layers,
        "loading": loading
            .into_iter()
            .map(|(slug, v)| serde_json::json!({"slug": slug, "layer_version_id": v, "tiles_from": "database"}))
            .collect::<Vec<_>>(),
    }));
    if ready {
        body.into_response()
    } else {
        (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::RETRY_AFTER, "1")],
            body,
        )
            .into_response()
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let m = &state.metrics;
    let mut s = String::new();
    let _ = writeln!(s, "# HELP qala_http_requests_total HTTP requests by route and status.");
    let _ = writeln!(s, "# TYPE qala_http_requests_total counter");
    if let Ok(r) = m.requests.lock() {
        for ((route, status), n) in r.iter() {
            let _ = writeln!(
                s,
                "qala_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
    }
    let _ = writeln!(s, "# HELP qala_http_request_duration_seconds Request durations.");
    let _ = writeln!(s, "# TYPE qala_http_request_duration_seconds histogram");
    for (i, b) in BUCKETS.iter().enumerate() {
        let _ = writeln!(
            s,
            "qala_http_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
            m.buckets[i].load(Ordering::Relaxed)
        );
    }
    let count = m.count.load(Ordering::Relaxed);
    let _ = writeln!(s, "qala_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
    let _ = writeln!(
        s,
        "qala_http_request_duration_seconds_sum {}",
        m.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
    );
    let _ = writeln!(s, "qala_http_request_duration_seconds_count {count}");
    let t = &state.tiles;
    for (name, help, kind, v) in [
        (
            "qala_tile_cache_hits_total",
            "Tiles served from the cache.",
            "counter",
            t.hits.load(Ordering::Relaxed) as f64,
        ),
        (
            "qala_tile_cache_misses_total",
            "Tiles cut on request.",
            "counter",
            t.misses.load(Ordering::Relaxed) as f64,
        ),
        (
            "qala_tile_cache_tiles",
            "Tiles in the cache.",
            "gauge",
            t.cached_tiles() as f64,
        ),
        (
            "qala_tile_cache_bytes",
            "Bytes in the tile cache.",
            "gauge",
            t.cached_bytes() as f64,
        ),
        (
            "qala_layers_loaded",
            "Layers served from memory.",
            "gauge",
            t.versions().len() as f64,
        ),
        (
            "qala_database_up",
            "1 while the database answers, 0 while features are served from memory only.",
            "gauge",
            if state.db_up() { 1.0 } else { 0.0 },
        ),
        (
            "qala_items_from_memory_total",
            "Items responses answered from memory while the database was down or slow.",
            "counter",
            m.items_from_memory.load(Ordering::Relaxed) as f64,
        ),
        (
            "qala_tiles_from_database_total",
            "Tiles cut by PostGIS (ST_AsMVT) while their layer version was loading into memory.",
            "counter",
            m.tiles_from_database.load(Ordering::Relaxed) as f64,
        ),
        (
            "qala_layer_reloads_total",
            "Layer versions loaded into memory.",
            "counter",
            m.layer_reloads.load(Ordering::Relaxed) as f64,
        ),
        (
            "qala_auth_failures_total",
            "Requests with a wrong token (unknown, revoked or malformed).",
            "counter",
            state.auth_throttle.failures.load(Ordering::Relaxed) as f64,
        ),
        (
            "qala_auth_throttled_total",
            "Requests with a token refused with 429: too many wrong tokens from their address.",
            "counter",
            state.auth_throttle.throttled.load(Ordering::Relaxed) as f64,
        ),
        (
            "qala_uploads_ingesting",
            "Uploads being loaded now.",
            "gauge",
            state.uploads.ingesting() as f64,
        ),
        (
            "qala_uploads_waiting",
            "Uploads admitted and waiting for a slot.",
            "gauge",
            state.uploads.waiting() as f64,
        ),
        (
            "qala_uploads_refused_total",
            "Uploads refused with 429: the upload queue was full.",
            "counter",
            state.uploads.refused.load(Ordering::Relaxed) as f64,
        ),
    ] {
        let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}");
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], s)
}
