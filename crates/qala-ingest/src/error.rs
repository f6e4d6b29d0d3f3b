use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum IngestError {
    #[error("{path}: cannot read the file")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: GDAL cannot open it as {driver}")]
    Open {
        path: PathBuf,
        driver: String,
        #[source]
        source: gdal::errors::GdalError,
    },
    #[error("{path}: no layer {layer:?} in the file")]
    NoSuchLayer { path: PathBuf, layer: String },
    #[error("{path}: reading failed")]
    Gdal {
        path: PathBuf,
        #[source]
        source: gdal::errors::GdalError,
    },
}

impl IngestError {
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::Io { .. } => "file_unreadable",
            IngestError::Open { .. } => "file_unopenable",
            IngestError::NoSuchLayer { .. } => "no_such_layer",
            IngestError::Gdal { .. } => "gdal_error",
        }
    }
}
