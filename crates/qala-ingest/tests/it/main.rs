//! qala-ingest from the outside: hostile files (network references, generated garbage)
//! through the public `open` / `read` path.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fuzz;
mod network;

use qala_core::{Feature, LayerKind};
use qala_ingest::{Cancel, FeatureSink, IngestError, IngestOptions, Limits, Problem};

pub fn options(kind: LayerKind) -> IngestOptions {
    IngestOptions {
        kind,
        crs: None,
        map: Vec::new(),
        set: Vec::new(),
        layer: None,
        strict: false,
        today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        known_permits: None,
        limits: Limits::default(),
        cancel: Cancel::new(),
        keys_only: None,
    }
}

/// Keeps everything a read hands over.
#[derive(Default)]
pub struct Collect {
    pub features: Vec<Feature>,
    pub problems: Vec<Problem>,
    pub keys: Vec<(u64, qala_core::Value)>,
}

impl FeatureSink for Collect {
    fn feature(&mut self, f: Feature) -> Result<(), IngestError> {
        self.features.push(f);
        Ok(())
    }
    fn problem(&mut self, p: Problem) {
        self.problems.push(p);
    }
    fn key(&mut self, row: u64, key: qala_core::Value) -> Result<(), IngestError> {
        self.keys.push((row, key));
        Ok(())
    }
}
