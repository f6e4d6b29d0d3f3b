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
    /// The reading thread died (a bug or a GDAL crash), not the user's fault.
    #[error("the reader stopped unexpectedly")]
    ReaderFailed,
}

impl LoadError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            LoadError::Invalid { .. } | LoadError::KindRequired { .. } => ErrorKind::InvalidInput,
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
