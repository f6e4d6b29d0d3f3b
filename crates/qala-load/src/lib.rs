//! The one path from features to a new layer version: validate against the kind, then load
//! all-or-nothing. The CLI (`qala ingest`, `qala fixtures load`) and the server's upload
//! endpoint both call this crate, so a file gets the same checks and the same report
//! whichever way it arrives.

pub mod error;
pub mod pipeline;

pub use error::LoadError;
pub use pipeline::{Problem, load, validate};
