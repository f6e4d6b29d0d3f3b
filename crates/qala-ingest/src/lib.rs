//! qala ingest: reads a mapper's GIS file through GDAL, reprojects it to WGS84 lon/lat
//! with PROJ and validates it against a layer kind, producing [`qala_core::Feature`]s and
//! a per-feature [`Problem`] report. It never touches the database: features go to a
//! [`FeatureSink`] the caller provides.
//!
//! The way in is [`open`]: it stages the file (safety limits, zip unpacking, qala-made
//! names for GDAL), picks the one GDAL driver its format allows and resolves its CRS.

pub mod cancel;
pub mod check;
pub mod crs;
pub mod error;
pub mod format;
pub mod gdal_env;
mod geometry_in;
pub mod limits;
pub mod osm;
pub mod problem;
pub mod raster;
pub mod reader;
pub mod source;
pub mod staging;
pub mod temp_dir;

use std::path::Path;

pub use cancel::{Cancel, CancelOnDrop};
pub use error::IngestError;
pub use format::SourceFormat;
pub use limits::Limits;
pub use problem::{Problem, Severity};
pub use reader::{RawFeature, read_all, sha256_file};
pub use source::{FeatureSink, IngestOptions, ReadSummary, Source, parse_mapping};
pub use staging::{StagedInput, stage};

/// A file opened for reading, vector or raster.
#[derive(Debug)]
pub enum Opened {
    Vector(Source),
    Raster(raster::RasterSource),
}

impl Opened {
    pub fn source_crs(&self) -> &str {
        match self {
            Opened::Vector(s) => s.source_crs(),
            Opened::Raster(r) => r.source_crs(),
        }
    }

    pub fn total(&self) -> Option<u64> {
        match self {
            Opened::Vector(s) => s.total(),
            Opened::Raster(r) => r.total(),
        }
    }

    pub fn crs_note(&self) -> Option<&str> {
        match self {
            Opened::Vector(s) => s.crs_note.as_deref(),
            Opened::Raster(r) => r.crs_note.as_deref(),
        }
    }

    pub fn encoding(&self) -> Option<&'static str> {
        match self {
            Opened::Vector(s) => s.encoding,
            Opened::Raster(_) => None,
        }
    }

    pub fn read(&self, opts: &IngestOptions, sink: &mut dyn FeatureSink) -> Result<ReadSummary, IngestError> {
        match self {
            Opened::Vector(s) => s.read(opts, sink),
            Opened::Raster(r) => r.read(opts, sink),
        }
    }
}

/// Stages `path` (named `name` by the user) and opens it for `opts.kind`, within
/// `opts.limits`.
pub fn open(path: &Path, name: &str, opts: &IngestOptions) -> Result<Opened, IngestError> {
    let staged = stage(path, name, &opts.limits, &opts.cancel)?;
    if staged.format == SourceFormat::GeoTiff {
        Ok(Opened::Raster(raster::RasterSource::open(staged, opts)?))
    } else {
        Ok(Opened::Vector(Source::open(staged, opts)?))
    }
}
