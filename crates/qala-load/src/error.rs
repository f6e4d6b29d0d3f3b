use qala_core::ErrorKind;
use thiserror::Error;

use crate::Problem;

#[derive(Debug, Error)]
pub enum LoadError {
    #[error("{source_name}: {} problems; nothing was loaded", problems.len())]
    Invalid {
        source_name: String,
        problems: Vec<Problem>,
    },
    #[error(transparent)]
    Ingest(#[from] qala_ingest::IngestError),
    #[error(transparent)]
    Store(#[from] qala_store::StoreError),
}

impl LoadError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            LoadError::Invalid { .. } | LoadError::Ingest(_) => ErrorKind::InvalidInput,
            LoadError::Store(e) => e.kind(),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            LoadError::Invalid { .. } => "invalid_features",
            LoadError::Ingest(e) => e.code(),
            LoadError::Store(e) => e.code(),
        }
    }
}
