//! The one path from a file to a new layer version: read (GDAL) → reproject (PROJ) →
//! validate → COPY into an unserved version → switch, all-or-nothing. The CLI
//! (`qala ingest`, `qala fixtures load`) and the server's upload endpoint both call this
//! crate, so a file gets the same checks and the same report whichever way it arrives.
//!
//! ```no_run
//! # async fn demo(pool: &sqlx::PgPool) -> Result<(), qala_load::LoadError> {
//! use qala_load::{LoadOptions, load_file};
//! let slug = qala_core::LayerSlug::parse("bike-lanes").unwrap();
//! let mut opts = LoadOptions::new(slug);
//! opts.kind = Some(qala_core::LayerKind::BikeLane);
//! opts.source_name = Some("lanes.zip".into());
//! let report = load_file(pool, std::path::Path::new("/tmp/upload-123"), &opts).await?;
//! println!("{}", serde_json::to_string(&report).unwrap());
//! # Ok(()) }
//! ```

mod change;
mod copy_sink;
pub mod error;
pub mod load_file;
pub mod load_options;
pub mod pipeline;
pub mod report;

pub use error::LoadError;
pub use load_file::load_file;
pub use load_options::{LoadOptions, ProgressFn};
pub use pipeline::{load, validate};
pub use qala_ingest::{Cancel, Limits, Problem, Severity};
pub use qala_store::{ChangeMode, ChangeSample, ChangeSummary};
pub use report::{LoadReport, LoadStatus};
