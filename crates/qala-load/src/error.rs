use qala_core::ErrorKind;
use thiserror::Error;

use crate::LoadReport;

#[derive(Debug, Error)]
pub enum LoadError {
    /// Some features break the rules: nothing was written. The report lists every problem.
    #[error("{}: {} feature problems; nothing was loaded", report.source_name, report.errors)]
    Invalid { report: Box<LoadReport> },
    /// The file itself cannot be used (format, size, CRS, archive, GDAL).
    #[error(transparent)]
    Ingest(#[from] qala_ingest::IngestError),
    #[error(transparent)]
    Store(#[from] qala_store::StoreError),
    #[error("layer {slug:?} does not exist yet; say which kind it is with --kind (e.g. --kind bike_lane)")]
    KindRequired { slug: String },
    #[error("--mode {mode} matches features by a key: say which field with --key FIELD (e.g. --key name)")]
    KeyRequired { mode: &'static str },
    #[error("a {kind} layer has no field {key:?} to match features by; its fields: {fields}")]
    UnknownKeyField {
        key: String,
        kind: &'static str,
        fields: String,
    },
    #[error(
        "layer {slug:?} does not exist: --mode {mode} changes features of a served layer; load it first (--mode replace or append)"
    )]
    NothingToChange { slug: String, mode: &'static str },
    /// The reading thread died (a bug or a GDAL crash), not the user's fault.
    #[error("the reader stopped unexpectedly")]
    ReaderFailed,
}

impl LoadError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            LoadError::Invalid { .. }
            | LoadError::KindRequired { .. }
            | LoadError::KeyRequired { .. }
            | LoadError::UnknownKeyField { .. } => ErrorKind::InvalidInput,
            LoadError::NothingToChange { .. } => ErrorKind::NotFound,
            LoadError::Ingest(e) => e.kind(),
            LoadError::Store(e) => e.kind(),
            LoadError::ReaderFailed => ErrorKind::Internal,
        }
    }

    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            LoadError::Invalid { .. } => "invalid_features",
            LoadError::Ingest(e) => e.code(),
            LoadError::Store(e) => e.code(),
            LoadError::KindRequired { .. } => "kind_required",
            LoadError::KeyRequired { .. } => "key_required",
            LoadError::UnknownKeyField { .. } => "unknown_key_field",
            LoadError::NothingToChange { .. } => "layer_not_found",
            LoadError::ReaderFailed => "reader_failed",
        }
    }

    /// The validation report, when the load was refused for the features' sake.
    pub fn report(&self) -> Option<&LoadReport> {
        match self {
            LoadError::Invalid { report } => Some(report),
            _ => None,
        }
    }
}
