//! qala ingest: reads a mapper's GIS file through GDAL, reprojects it to WGS84 lon/lat and
//! validates it against a layer kind, producing [`qala_core::Feature`]s. It never touches
//! the database: the caller hands the features to a store.

pub mod error;
pub mod osm;
pub mod reader;

pub use error::IngestError;
pub use reader::{RawFeature, read_all, sha256_file};
