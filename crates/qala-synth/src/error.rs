use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SynthError {
    #[error("{path}: cannot write")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("reading the real city layers")]
    Input(#[from] qala_ingest::IngestError),
    #[error("{0}")]
    BadInput(String),
    #[error("PROJ cannot build the UTM 43N transform")]
    Proj(#[from] proj::ProjCreateError),
    #[error("PROJ transform failed")]
    Transform(#[from] proj::ProjError),
    #[error("{path}: GDAL cannot write the raster")]
    Gdal {
        path: PathBuf,
        #[source]
        source: gdal::errors::GdalError,
    },
    #[error("internal error: {0}")]
    Internal(&'static str),
}
