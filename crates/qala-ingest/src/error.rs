use std::path::PathBuf;

use qala_core::ErrorKind;
use thiserror::Error;

/// Why a file could not be read at all. Problems with single features are not errors:
/// they are [`crate::Problem`]s in the report.
// Kept under 128 bytes (clippy's large-error limit for every `Result` that carries it).
#[derive(Debug, Error)]
pub enum IngestError {
    #[error("{path}: cannot read the file")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{name}: the file is empty (0 bytes)")]
    EmptyFile { name: String },
    #[error("{name}: {size} bytes is more than the limit of {limit} bytes")]
    TooLarge { name: String, size: u64, limit: u64 },
    #[error("{name}: cannot tell the format; {hint}")]
    UnknownFormat { name: String, hint: String },
    #[error("{name}: named like a {expected} file, but its content is not one")]
    FormatMismatch { name: String, expected: &'static str },
    #[error("{name}: refused archive: {reason}")]
    UnsafeArchive { name: String, reason: String },
    #[error("{name}: cannot read the zip archive")]
    BadArchive {
        name: String,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("{name}: {reason}")]
    ArchiveContent { name: String, reason: String },
    #[error("{name}: GDAL cannot open it as {driver} (the file is damaged or not {driver})")]
    Open {
        name: String,
        driver: &'static str,
        #[source]
        source: gdal::errors::GdalError,
    },
    #[error("{name}: no layer {layer:?} in the file; layers: {available}")]
    NoSuchLayer {
        name: String,
        layer: String,
        available: String,
    },
    #[error("{name}: the file has several layers ({available}); choose one with --gpkg-layer")]
    SeveralLayers { name: String, available: String },
    #[error(
        "{name}: the file says nothing about its coordinate reference system; pass --crs, e.g. --crs EPSG:32643 for UTM 43N or --crs EPSG:4326 for lon/lat degrees"
    )]
    NoCrs { name: String },
    #[error("{crs:?} is not a coordinate reference system PROJ knows; use e.g. EPSG:32643")]
    UnknownCrs {
        crs: String,
        #[source]
        source: proj::ProjCreateError,
    },
    #[error(
        "{name}: its coordinate reference system {crs:?} cannot be placed on the Earth (a local grid, or one PROJ cannot transform to lon/lat); pass --crs with the real one, e.g. --crs EPSG:32643"
    )]
    LocalCrs { name: String, crs: String },
    #[error("{name}: the file's CRS cannot be turned into a PROJ definition")]
    BadFileCrs {
        name: String,
        #[source]
        source: gdal::errors::GdalError,
    },
    #[error("--map {0:?}: use SOURCE=TARGET, e.g. --map Статус=status")]
    BadMapping(String),
    #[error("{name}: {kind} layers cannot be read from {format} files")]
    KindNotInFormat {
        name: String,
        kind: &'static str,
        format: &'static str,
    },
    #[error("{name}: reading failed")]
    Gdal {
        name: String,
        #[source]
        source: gdal::errors::GdalError,
    },
    #[error("{path}: GDAL cannot open it as {driver}")]
    OpenPath {
        path: PathBuf,
        driver: String,
        #[source]
        source: Box<gdal::errors::GdalError>,
    },
    #[error("reading stopped: the receiving side went away")]
    SinkClosed,
    #[error("{name}: the ingest was cancelled (the client went away or the server is stopping); nothing was loaded")]
    Cancelled { name: String },
    #[error(
        "{name}: reading took longer than the limit of {seconds} s; nothing was loaded (split the file, or raise the limit with --max-seconds)"
    )]
    TimedOut { name: String, seconds: u64 },
    #[error(
        "{name}: more than {limit} features; nothing was loaded (split the file, or raise the limit with --max-features)"
    )]
    TooManyFeatures { name: String, limit: u64 },
    /// `what` says which limit, e.g. "2000000000 × 1 pixels × 1 bands is more than 250000000 pixels (--max-raster-pixels)".
    #[error("{name}: raster too large: {what}")]
    RasterTooLarge { name: String, what: String },
    #[error(
        "{name}: the elevation raster declares no nodata value; qala cannot tell a missing pixel from a height. Set one, e.g. gdal_translate -a_nodata -9999 in.tif out.tif"
    )]
    RasterWithoutNodata { name: String },
    /// `what` says why, e.g. "3 bands" or "its band holds complex numbers (CFloat32)".
    #[error("{name}: {what}; an elevation raster must have exactly one band of real numbers, metres above sea level")]
    RasterBandUnsupported { name: String, what: String },
    #[error(
        "{name}: the file refers to {url:?} for its coordinate reference system; qala never fetches anything from the network. Put the CRS in the file (e.g. \"crs\": {{\"type\": \"name\", \"properties\": {{\"name\": \"urn:ogc:def:crs:EPSG::32643\"}}}}) or pass --crs"
    )]
    NetworkReference { name: String, url: String },
}

impl IngestError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::Io { .. } => "file_unreadable",
            IngestError::EmptyFile { .. } => "empty_file",
            IngestError::TooLarge { .. } => "file_too_large",
            IngestError::UnknownFormat { .. } => "unknown_format",
            IngestError::FormatMismatch { .. } => "format_mismatch",
            IngestError::UnsafeArchive { .. } => "unsafe_archive",
            IngestError::BadArchive { .. } => "bad_archive",
            IngestError::ArchiveContent { .. } => "archive_content",
            IngestError::Open { .. } | IngestError::OpenPath { .. } => "file_unopenable",
            IngestError::NoSuchLayer { .. } => "no_such_layer",
            IngestError::SeveralLayers { .. } => "several_layers",
            IngestError::NoCrs { .. } => "no_crs",
            IngestError::UnknownCrs { .. } | IngestError::LocalCrs { .. } => "unknown_crs",
            IngestError::BadFileCrs { .. } => "bad_file_crs",
            IngestError::BadMapping(_) => "bad_mapping",
            IngestError::KindNotInFormat { .. } => "kind_not_in_format",
            IngestError::Gdal { .. } => "gdal_error",
            IngestError::SinkClosed => "aborted",
            IngestError::Cancelled { .. } => "cancelled",
            IngestError::TimedOut { .. } => "ingest_timed_out",
            IngestError::TooManyFeatures { .. } => "too_many_features",
            IngestError::RasterTooLarge { .. } => "raster_too_large",
            IngestError::NetworkReference { .. } => "network_reference",
            IngestError::RasterWithoutNodata { .. } => "raster_without_nodata",
            IngestError::RasterBandUnsupported { .. } => "raster_band_unsupported",
        }
    }

    /// Everything here is the file's or the caller's fault except a failing disk or an
    /// aborted reader.
    pub fn kind(&self) -> ErrorKind {
        match self {
            IngestError::Io { .. } => ErrorKind::Internal,
            IngestError::SinkClosed | IngestError::Cancelled { .. } => ErrorKind::Unavailable,
            _ => ErrorKind::InvalidInput,
        }
    }
}
