//! `ApiError`: the only place where errors become HTTP responses.
//!
//! Bodies are `{"code","message"}` with a stable snake_case code. A 5xx body is generic; the
//! real error chain goes to the log.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use qala_core::ErrorKind;
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A bad request parameter.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{message}")]
    NotFound { code: &'static str, message: String },
    #[error("{message}")]
    Unauthorized { code: &'static str, message: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// An upload whose features break the kind's rules; nothing was loaded.
    #[error("{message}")]
    InvalidFeatures {
        message: String,
        problems: serde_json::Value,
    },
    #[error("{message}")]
    Unavailable { code: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] qala_store::StoreError),
    #[error(transparent)]
    Tile(#[from] qala_tiles::TileError),
    #[error(transparent)]
    Core(#[from] qala_core::CoreError),
    #[error(transparent)]
    Load(#[from] qala_load::LoadError),
    #[error(transparent)]
    Engine(#[from] qala_engine::EngineError),
    /// Anything else that went wrong on our side.
    #[error("{context}")]
    Internal {
        context: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl ApiError {
    pub fn bad(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
        }
    }

    pub fn layer_not_found(slug: &str) -> Self {
        ApiError::NotFound {
            code: "layer_not_found",
            message: format!("layer {slug:?} not found"),
        }
    }

    /// The database is down: what needs it waits until it is back.
    pub fn database_unavailable() -> Self {
        ApiError::Unavailable {
            code: "database_unavailable",
            message: "the database is unavailable; tiles and features are served from memory meanwhile, this request needs the database: try again shortly".into(),
        }
    }

    pub fn internal(context: &'static str, e: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Internal {
            context,
            source: Box::new(e),
        }
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        let by_kind = |k: ErrorKind, code: &'static str| {
            let s = match k {
                ErrorKind::NotFound => StatusCode::NOT_FOUND,
                ErrorKind::InvalidInput => StatusCode::BAD_REQUEST,
                ErrorKind::Conflict => StatusCode::CONFLICT,
                ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (s, code)
        };
        match self {
            ApiError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            ApiError::NotFound { code, .. } => (StatusCode::NOT_FOUND, code),
            ApiError::Unauthorized { code, .. } => (StatusCode::UNAUTHORIZED, code),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            ApiError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            ApiError::InvalidFeatures { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_features"),
            ApiError::Unavailable { code, .. } => (StatusCode::SERVICE_UNAVAILABLE, code),
            ApiError::Store(e) => by_kind(e.kind(), e.code()),
            ApiError::Tile(e) => match e {
                qala_tiles::TileError::UnknownLayer(_) => (StatusCode::NOT_FOUND, e.code()),
                _ => (StatusCode::BAD_REQUEST, e.code()),
            },
            ApiError::Core(e) => by_kind(e.kind(), e.code()),
            ApiError::Load(qala_load::LoadError::Invalid { .. }) => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_features")
            }
            ApiError::Load(e) => by_kind(e.kind(), e.code()),
            ApiError::Engine(e) => by_kind(e.kind(), e.code()),
            ApiError::Internal { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// The whole `source()` chain, for the log.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let body = if status == StatusCode::SERVICE_UNAVAILABLE {
            if code == "database_unavailable" {
                // Logged once per outage where it is detected, not once per request.
                tracing::debug!(code, error = %chain(&self), "unavailable");
            } else {
                tracing::warn!(code, error = %chain(&self), "unavailable");
            }
            let message = match &self {
                ApiError::Unavailable { message, .. } => message.clone(),
                _ => "a service qala depends on is unavailable; try again shortly".to_owned(),
            };
            json!({"code": code, "message": message})
        } else if status.is_server_error() {
            tracing::error!(code, error = %chain(&self), "internal error");
            json!({"code": "internal", "message": "internal error"})
        } else {
            match &self {
                ApiError::InvalidFeatures { message, problems } => {
                    json!({"code": code, "message": message, "problems": problems})
                }
                ApiError::Load(qala_load::LoadError::Invalid { report }) => {
                    json!({"code": code, "message": self.to_string(), "report": report})
                }
                _ => json!({"code": code, "message": self.to_string()}),
            }
        };
        (status, axum::Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
