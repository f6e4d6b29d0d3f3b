//! `ApiError`: the only place where errors become HTTP responses.
//!
//! Every error goes through the catalogue ([`Code`]): the code decides the status. Bodies are
//! `{"code","message"}`. A 5xx body is generic; the real error chain goes to the log, and so
//! does what the database said when it refused data.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub use crate::error_code::Code;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// An error of the catalogue with a message for the user.
    #[error("{message}")]
    Coded { code: Code, message: String },
    /// Refused for now: the client may try again after `retry_after_s` seconds.
    #[error("{message}")]
    RetryLater {
        code: Code,
        message: String,
        retry_after_s: u64,
    },
    /// An upload whose features break the kind's rules; nothing was loaded.
    #[error("{message}")]
    InvalidFeatures {
        message: String,
        problems: serde_json::Value,
    },
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

/// Seconds a client is told to wait when the database pool is busy.
const BUSY_RETRY_AFTER_S: u64 = 2;

impl ApiError {
    /// An error of the catalogue; its status comes from the code.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        ApiError::Coded {
            code,
            message: message.into(),
        }
    }

    /// A bad request: the same as [`ApiError::new`], named for the common case.
    pub fn bad(code: Code, message: impl Into<String>) -> Self {
        ApiError::new(code, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ApiError::new(Code::Forbidden, message)
    }

    pub fn layer_not_found(slug: &str) -> Self {
        ApiError::new(Code::LayerNotFound, format!("layer {slug:?} not found"))
    }

    /// The database is down: what needs it waits until it is back.
    pub fn database_unavailable() -> Self {
        ApiError::new(
            Code::DatabaseUnavailable,
            "the database is unavailable; tiles and features are served from memory meanwhile, this request needs the database: try again shortly",
        )
    }

    /// Every database connection of this kind of request is in use: busy, not down.
    pub fn server_busy() -> Self {
        ApiError::RetryLater {
            code: Code::ServerBusy,
            message: "the server is busy: every database connection is in use; try again shortly".into(),
            retry_after_s: BUSY_RETRY_AFTER_S,
        }
    }

    pub fn internal(context: &'static str, e: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Internal {
            context,
            source: Box::new(e),
        }
    }

    /// The catalogue entry of this error.
    pub fn code(&self) -> Code {
        let lib = |c: &str| {
            Code::from_code(c).unwrap_or_else(|| {
                tracing::error!(code = c, "error code missing from the catalogue");
                Code::Internal
            })
        };
        match self {
            ApiError::Coded { code, .. } | ApiError::RetryLater { code, .. } => *code,
            ApiError::InvalidFeatures { .. } | ApiError::Load(qala_load::LoadError::Invalid { .. }) => {
                Code::InvalidFeatures
            }
            ApiError::Store(e) if pool_busy(e) => Code::ServerBusy,
            ApiError::Load(qala_load::LoadError::Store(e)) if pool_busy(e) => Code::ServerBusy,
            ApiError::Store(e) => lib(e.code()),
            ApiError::Tile(e) => lib(e.code()),
            ApiError::Core(e) => lib(e.code()),
            ApiError::Load(e) => lib(e.code()),
            ApiError::Engine(e) => lib(e.code()),
            ApiError::Internal { .. } => Code::Internal,
        }
    }

    /// What the user reads. Never a database's own words.
    fn message(&self, code: Code) -> String {
        match (self, code) {
            (ApiError::Coded { message, .. } | ApiError::RetryLater { message, .. }, _) => message.clone(),
            (_, Code::ServerBusy) => "the server is busy: every database connection is in use; try again shortly".into(),
            (_, Code::RejectedByDatabase) => {
                "the database refused the data: a value breaks one of the layer's rules (a required field, a range or a unique key); nothing was loaded".into()
            }
            _ => self.to_string(),
        }
    }
}

/// Whether a store error is a pool that had no free connection in time: the database is
/// busy, not down.
pub fn pool_busy(e: &qala_store::StoreError) -> bool {
    matches!(e, qala_store::StoreError::Database(sqlx::Error::PoolTimedOut))
}

/// The whole `source()` chain, for the log.
pub use qala_store::error_chain as chain;

/// A JSON error response of the catalogue.
pub fn error_response(code: Code, message: &str) -> Response {
    (
        code.status(),
        axum::Json(json!({"code": code.as_str(), "message": message})),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.code();
        let status = code.status();
        let mut res = if status == StatusCode::SERVICE_UNAVAILABLE {
            if code == Code::DatabaseUnavailable {
                // Logged once per outage where it is detected, not once per request.
                tracing::debug!(%code, error = %chain(&self), "unavailable");
            } else {
                tracing::warn!(%code, error = %chain(&self), "unavailable");
            }
            let message = match &self {
                ApiError::Coded { message, .. } | ApiError::RetryLater { message, .. } => message.clone(),
                _ if code == Code::ServerBusy => self.message(code),
                _ => "a service qala depends on is unavailable; try again shortly".to_owned(),
            };
            error_response(code, &message)
        } else if status.is_server_error() {
            tracing::error!(%code, error = %chain(&self), "internal error");
            error_response(Code::Internal, "internal error")
        } else {
            if code == Code::RejectedByDatabase {
                tracing::warn!(error = %chain(&self), "the database refused uploaded data");
            }
            let message = self.message(code);
            let body = match &self {
                ApiError::InvalidFeatures { problems, .. } => {
                    json!({"code": code.as_str(), "message": message, "problems": problems})
                }
                ApiError::Load(qala_load::LoadError::Invalid { report }) => {
                    json!({"code": code.as_str(), "message": message, "report": report})
                }
                _ => json!({"code": code.as_str(), "message": message}),
            };
            (status, axum::Json(body)).into_response()
        };
        let retry_after = match &self {
            ApiError::RetryLater { retry_after_s, .. } => Some(*retry_after_s),
            _ if code == Code::ServerBusy => Some(BUSY_RETRY_AFTER_S),
            _ => None,
        };
        if let Some(s) = retry_after {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        res
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(e: ApiError) -> (StatusCode, Option<String>, serde_json::Value) {
        let res = e.into_response();
        let status = res.status();
        let retry = res
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let b = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        (status, retry, serde_json::from_slice(&b).unwrap())
    }

    #[tokio::test]
    async fn rejected_data_does_not_echo_the_database() {
        let e = ApiError::Store(qala_store::StoreError::Rejected {
            constraint: Some("bike_lane_status_check".into()),
            message: "new row for relation \"bike_lane\" violates check constraint (secret detail)".into(),
        });
        let (status, _, j) = body(e).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(j["code"], "rejected_by_database");
        let m = j["message"].as_str().unwrap();
        assert!(
            !m.contains("relation") && !m.contains("secret") && !m.contains("bike_lane"),
            "{m}"
        );
    }

    #[tokio::test]
    async fn a_busy_pool_is_not_an_outage() {
        let e = ApiError::Store(qala_store::StoreError::Database(sqlx::Error::PoolTimedOut));
        let (status, retry, j) = body(e).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(j["code"], "server_busy");
        assert_eq!(retry.as_deref(), Some("2"));
        let e = ApiError::Load(qala_load::LoadError::Store(qala_store::StoreError::Database(
            sqlx::Error::PoolTimedOut,
        )));
        assert_eq!(body(e).await.2["code"], "server_busy");
    }

    #[tokio::test]
    async fn internal_errors_are_generic() {
        let e = ApiError::Store(qala_store::StoreError::Database(sqlx::Error::Protocol(
            "secret internals".into(),
        )));
        let (status, _, j) = body(e).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(j, json!({"code": "internal", "message": "internal error"}));
    }
}
