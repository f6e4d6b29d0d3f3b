use thiserror::Error;

/// The class of an error, which decides how it is shown to a user (and, in the server,
/// which HTTP status it gets).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    NotFound,
    InvalidInput,
    Conflict,
    Unavailable,
    Internal,
}

/// Errors of the domain types themselves.
#[derive(Debug, Error, PartialEq)]
pub enum CoreError {
    #[error("unknown layer kind {0:?}; known kinds: {known}", known = crate::LayerKind::names().join(", "))]
    UnknownKind(String),
    #[error(
        "invalid layer slug {0:?}: use 1-63 lowercase latin letters, digits and '-', starting with a letter or digit"
    )]
    InvalidSlug(String),
    #[error("invalid bbox: {0}")]
    InvalidBbox(String),
}

impl CoreError {
    /// Stable snake_case code for API bodies and logs.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::UnknownKind(_) => "unknown_kind",
            CoreError::InvalidSlug(_) => "invalid_slug",
            CoreError::InvalidBbox(_) => "invalid_bbox",
        }
    }

    pub fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidInput
    }
}
