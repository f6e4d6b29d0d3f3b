//! `qala serve`: vector tiles cut in memory, OGC API Features, layers, uploads and versions,
//! roles and tokens, operations (health, metrics, limits, timeouts, CORS, compression), and
//! the web app — one axum [`router`] over an [`AppState`].
//!
//! The HTTP API is documented in `docs/api.md`.

pub mod auth;
pub mod auth_throttle;
pub mod cql2_filter;
pub mod editions;
pub mod error;
pub mod error_body;
pub mod error_code;
pub mod figures;
pub mod governed;
pub mod html_page;
pub mod html_text;
pub mod indicators;
pub mod items_count;
pub mod items_memory;
pub mod layers;
pub mod links;
pub mod memory;
pub mod negotiate;
pub mod networks;
pub mod ogc;
pub mod ogc_download;
pub mod ogc_html;
pub mod ogc_query;
pub mod ogc_write;
pub mod openapi;
pub mod ops;
pub mod preview_svg;
pub mod proposal_client;
pub mod proposal_moderation;
pub mod proposal_photo;
pub mod proposal_stats;
pub mod proposal_tiles;
pub mod proposals;
pub mod proposals_ogc;
pub mod search;
pub mod state;
pub mod tiles;
pub mod upload_queue;
pub mod web;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, header};
use axum::routing::{get, post, put};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};

pub use auth::{Caller, Role};
pub use error::{ApiError, ApiResult};
pub use qala_tiles::TileOptions;
pub use state::{AppState, ServerConfig};

/// Largest upload accepted, bytes.
pub const UPLOAD_LIMIT_BYTES: usize = 512 << 20;
/// Largest JSON body accepted, bytes.
pub const JSON_LIMIT_BYTES: usize = 1 << 20;

/// Every route of the server.
pub fn router(state: AppState) -> Router {
    // Tiles carry their own pre-compressed bytes: they bypass the compression layer.
    let tiles = Router::new()
        .route("/tiles/{layers}/{z}/{x}/{y_mvt}", get(tiles::tile))
        .route("/tiles/{tilejson}", get(tiles::tilejson));
    let uploads = Router::new()
        .route("/layers/{slug}/versions", post(layers::upload).get(layers::versions))
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT_BYTES));
    // OGC API Features: Part 1 reads, Part 4 writes (ogc_write).
    let items = get(ogc::items)
        .post(ogc_write::create)
        .options(ogc_write::options_items);
    let item = get(ogc::item)
        .put(ogc_write::replace)
        .patch(ogc_write::update)
        .delete(ogc_write::delete)
        .options(ogc_write::options_item);
    // Proposals take a photo: their own body limit, above the JSON one.
    let proposals = Router::new()
        .route("/proposals", post(proposals::submit).get(proposals::list))
        .layer(DefaultBodyLimit::max(proposals::SUBMIT_LIMIT_BYTES));
    let api = Router::new()
        .route("/", get(web::root))
        .route("/conformance", get(ogc::conformance))
        .route("/api", get(openapi::api))
        .route("/collections", get(ogc::collections))
        .route("/collections/{id}", get(ogc::collection))
        .route("/collections/{id}/queryables", get(ogc::queryables))
        .route("/collections/{id}/items", items)
        .route("/collections/{id}/items/{fid}", item)
        .route("/layers", get(layers::list))
        .route("/layers/{slug}", get(layers::one))
        .route("/layers/{slug}/rollback", post(layers::rollback))
        .route("/layers/{slug}/uploads/{id}", get(layers::upload_progress))
        .route("/tokens", post(auth::create_token))
        .route("/indicators", get(indicators::list))
        .route("/indicators/{id}", get(indicators::compute))
        .route("/access", get(indicators::access))
        .route("/zones/{scheme}", get(indicators::zones))
        .route("/whatif", post(indicators::what_if))
        .route("/networks/lts", get(networks::segments))
        .route("/networks/lts/islands", get(networks::islands))
        .route("/networks/lts/priorities", get(networks::priorities))
        .route("/networks/walk/barriers", get(networks::walk_barriers))
        .route("/bindings", get(editions::list))
        .route("/bindings/{role}", put(editions::bind))
        .route("/bindings/{role}/history", get(editions::history))
        .route("/editions", get(editions::list_editions).post(editions::publish))
        .route("/editions/{id}", get(editions::edition))
        .route("/health", get(ops::health))
        .route("/livez", get(ops::livez))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/proposals/categories", get(proposals::categories))
        .route("/proposals/tiles/{z}/{x}/{y_mvt}", get(proposal_tiles::tile))
        .route("/proposals/stats", get(proposal_stats::stats))
        .route("/proposals/demand", get(proposal_stats::demand))
        .route("/proposals/{id}", get(proposals::one))
        .route("/proposals/{id}/photo", get(proposals::photo))
        .route("/proposals/{id}/support", post(proposals::support))
        .route("/proposals/{id}/moderation", post(proposal_moderation::moderate))
        .route("/proposals/{id}/status", post(proposal_moderation::status))
        .route("/proposals/{id}/merge", post(proposal_moderation::merge))
        .route("/moderation/proposals", get(proposal_moderation::queue))
        .route("/search", get(search::search))
        .route("/bike/km", get(figures::bike_km))
        .route("/access/cells", get(figures::access_cells))
        .layer(DefaultBodyLimit::max(JSON_LIMIT_BYTES))
        .merge(uploads)
        .merge(proposals)
        // Inside the compression: the framework's texts are read before they are compressed.
        .layer(axum::middleware::from_fn(error_body::json_errors))
        .layer(CompressionLayer::new());
    let cors = CorsLayer::new()
        .allow_origin(Any)
        // Reads only across origins: writes (uploads, Part 4) carry a token and come from
        // the same origin or from clients that are not browsers.
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers([header::ACCEPT, header::IF_NONE_MATCH, header::ACCEPT_LANGUAGE])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::CONTENT_ENCODING,
            header::HeaderName::from_static(ogc::SOURCE_HEADER),
        ])
        .max_age(Duration::from_secs(3600));
    let app = api
        .merge(tiles)
        .fallback(web::fallback)
        .layer(axum::middleware::from_fn_with_state(state.clone(), ops::observe))
        .layer(axum::middleware::from_fn(error_body::json_errors))
        .with_state(state);
    let with_cors = app.clone().layer(cors);
    // tower-http answers every OPTIONS as a CORS preflight; a plain OPTIONS (without
    // Access-Control-Request-Method) goes to the routes instead, whose `Allow` says what the
    // path offers this caller (OGC API Features Part 4).
    Router::new().fallback_service(tower::service_fn(move |req: axum::extract::Request| {
        use tower::ServiceExt;
        let plain_options =
            req.method() == Method::OPTIONS && !req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
        let svc = if plain_options { app.clone() } else { with_cors.clone() };
        svc.oneshot(req)
    }))
}

/// Serves `state` on `listener` until `shutdown` resolves, then finishes the requests in
/// flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // Graceful shutdown waits for requests in flight; an upload's ingest could take
    // minutes, so stop them all (each answers 503 and leaves its layer as it was).
    let ingests = state.ingests.clone();
    let shutdown = async move {
        shutdown.await;
        ingests.cancel();
    };
    // The client address feeds the failed-auth throttle.
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
