//! The load report: what `qala ingest --report` writes, what the server returns for an
//! upload, and what `layer_version.report` keeps. One shape everywhere.

use qala_core::LayerKind;
use qala_ingest::{Problem, Severity};
use qala_store::{ChangeSummary, LoadOutcome};

/// How a load ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoadStatus {
    /// A new version is served.
    Loaded,
    /// The same file is already served: nothing was written.
    Unchanged,
    /// The same file was an older version: that version is served again.
    Restored,
    /// Problems in the features: nothing was written.
    Refused,
    /// `--dry-run`: the change was computed and nothing was written.
    DryRun,
}

/// Everything a user needs to know about one load.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoadReport {
    pub layer: String,
    pub kind: LayerKind,
    pub status: LoadStatus,
    /// Version served after the load (`None` when refused).
    pub version: Option<i32>,
    pub layer_version_id: Option<i64>,
    pub source_name: String,
    pub source_sha256: String,
    /// `geo_json`, `zipped_shapefile`, `geo_package`, …
    pub format: String,
    /// The CRS the file was read in, e.g. `EPSG:32643`.
    pub source_crs: String,
    /// How the CRS was decided when the file did not say (e.g. "from --crs").
    pub crs_note: Option<String>,
    /// Attribute encoding qala chose for a Shapefile without a .cpg.
    pub encoding: Option<String>,
    /// Rows (features, raster cells with residents) read from the file.
    pub rows_read: u64,
    pub features_loaded: u64,
    pub errors: u64,
    pub warnings: u64,
    pub repaired: u64,
    /// Problems, errors first then in file order; at most [`MAX_PROBLEMS`].
    pub problems: Vec<Problem>,
    /// Problems found but not listed (past [`MAX_PROBLEMS`]).
    pub problems_omitted: u64,
    /// Rows with errors left out under `--skip-invalid` (their problems are listed).
    pub skipped: u64,
    /// What the file changed (or would change, in a dry run): added / changed / removed.
    pub change: Option<ChangeSummary>,
    /// Ids of the file's features in the new version, in file order (asked for with
    /// [`crate::LoadOptions::report_ids`]: OGC API creates answer with them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feature_ids: Vec<i64>,
    pub elapsed_s: f64,
    pub features_per_s: f64,
}

/// Problems listed in a report; the counts cover all of them.
pub const MAX_PROBLEMS: usize = 1000;

impl LoadReport {
    pub(crate) fn apply_outcome(&mut self, outcome: &LoadOutcome) {
        let (status, version, id) = match outcome {
            LoadOutcome::Loaded {
                version,
                layer_version_id,
                ..
            } => (LoadStatus::Loaded, *version, *layer_version_id),
            LoadOutcome::Unchanged {
                version,
                layer_version_id,
            } => (LoadStatus::Unchanged, *version, *layer_version_id),
            LoadOutcome::Restored {
                version,
                layer_version_id,
            } => (LoadStatus::Restored, *version, *layer_version_id),
        };
        self.status = status;
        self.version = Some(version);
        self.layer_version_id = Some(id);
    }

    /// A short human summary, one line per problem up to `max_lines`.
    pub fn render_text(&self, max_lines: usize) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} ({}, {}, read as {}): {} rows, {} errors, {} warnings, {} repaired",
            self.source_name,
            self.format,
            self.kind.name(),
            self.source_crs,
            self.rows_read,
            self.errors,
            self.warnings,
            self.repaired
        );
        if let Some(n) = &self.crs_note {
            let _ = writeln!(s, "  CRS: {n}");
        }
        if let Some(e) = &self.encoding {
            let _ = writeln!(s, "  attributes read as {e} (the Shapefile has no .cpg)");
        }
        for p in self.problems.iter().take(max_lines) {
            let tag = match p.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Repaired => "repaired",
            };
            let _ = write!(
                s,
                "  {tag}: feature {}: {} = {:?}: {}",
                p.row, p.field, p.value, p.reason
            );
            if let Some(h) = &p.hint {
                let _ = write!(s, " (hint: {h})");
            }
            s.push('\n');
        }
        let more = self.problems.len().saturating_sub(max_lines) as u64 + self.problems_omitted;
        if more > 0 {
            let _ = writeln!(s, "  … and {more} more (see --report FILE for all listed problems)");
        }
        if self.skipped > 0 {
            let _ = writeln!(
                s,
                "skipped {} invalid features (--skip-invalid); the problems above say why",
                self.skipped
            );
        }
        if let Some(c) = &self.change {
            crate::change::render_change(&mut s, c);
        }
        let _ = match self.status {
            LoadStatus::Loaded => writeln!(
                s,
                "loaded {} features into {} as version {} ({:.0} features/s)",
                self.features_loaded,
                self.layer,
                self.version.unwrap_or_default(),
                self.features_per_s
            ),
            LoadStatus::DryRun => writeln!(s, "dry run: nothing was written and {} is unchanged", self.layer),
            LoadStatus::Unchanged if self.change.is_some() => {
                writeln!(s, "nothing to change: no new version and {} is unchanged", self.layer)
            }
            LoadStatus::Unchanged => writeln!(
                s,
                "{} already serves this file (version {}): nothing to do",
                self.layer,
                self.version.unwrap_or_default()
            ),
            LoadStatus::Restored => writeln!(
                s,
                "this file was version {} of {}: that version is served again",
                self.version.unwrap_or_default(),
                self.layer
            ),
            LoadStatus::Refused => writeln!(
                s,
                "refused: {} errors; nothing was loaded and {} is unchanged",
                self.errors, self.layer
            ),
        };
        s
    }
}
