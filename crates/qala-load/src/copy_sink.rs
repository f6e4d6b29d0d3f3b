//! The reading thread's sink: accepted features become COPY text, shipped to the async
//! writer in chunks of about [`CHUNK_BYTES`] through a bounded queue.

use qala_core::{Feature, LayerKind};
use qala_ingest::{FeatureSink, IngestError, Problem};
use qala_store::{StoreError, copy_text};
use tokio::sync::mpsc;

use crate::ProgressFn;
use crate::report::MAX_PROBLEMS;

/// COPY text is handed over in chunks of about this size.
pub(crate) const CHUNK_BYTES: usize = 1 << 20;

/// Encodes accepted features as COPY text and ships them to the writer in chunks. After
/// the first error it stops encoding (the load will be refused) but keeps collecting
/// problems, so the report lists them all.
pub(crate) struct CopySink {
    pub(crate) kind: LayerKind,
    pub(crate) layer_version_id: i64,
    pub(crate) buf: Vec<u8>,
    pub(crate) tx: mpsc::Sender<Vec<u8>>,
    pub(crate) failed: bool,
    pub(crate) problems: Vec<Problem>,
    pub(crate) omitted: u64,
    pub(crate) encode_error: Option<StoreError>,
    pub(crate) progress: Option<ProgressFn>,
    /// Leave out features with errors instead of failing the load.
    pub(crate) skip_invalid: bool,
    /// Rows left out so far under `skip_invalid`.
    pub(crate) skipped: u64,
    pub(crate) last_error_row: Option<u64>,
}

impl CopySink {
    pub(crate) fn send_buffer(&mut self) -> bool {
        if self.buf.is_empty() {
            return true;
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES + (64 << 10)));
        self.tx.blocking_send(chunk).is_ok()
    }
}

impl FeatureSink for CopySink {
    fn feature(&mut self, feature: Feature) -> Result<(), IngestError> {
        if self.failed {
            return Ok(());
        }
        if let Err(e) = copy_text::encode_row(&mut self.buf, self.layer_version_id, self.kind, &feature) {
            self.encode_error = Some(e);
            self.failed = true;
            return Ok(());
        }
        if self.buf.len() >= CHUNK_BYTES && !self.send_buffer() {
            return Err(IngestError::SinkClosed);
        }
        Ok(())
    }

    fn key(&mut self, row: u64, key: qala_core::Value) -> Result<(), IngestError> {
        if self.failed {
            return Ok(());
        }
        copy_text::encode_key(&mut self.buf, self.layer_version_id, &key, row);
        if self.buf.len() >= CHUNK_BYTES && !self.send_buffer() {
            return Err(IngestError::SinkClosed);
        }
        Ok(())
    }

    fn problem(&mut self, problem: Problem) {
        if problem.is_error() && self.skip_invalid {
            // A feature with errors never reaches `feature`: count its row once.
            if self.last_error_row != Some(problem.row) {
                self.last_error_row = Some(problem.row);
                self.skipped += 1;
            }
        } else if problem.is_error() {
            self.failed = true;
            self.buf.clear();
        }
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(problem);
        } else {
            self.omitted += 1;
        }
    }

    fn progress(&mut self, rows: u64, total: Option<u64>) {
        if let Some(p) = &self.progress {
            p(rows, total);
        }
    }
}
