//! `qala serve`: the axum router, handlers, ApiError, auth and the web assets.
