//! `load_file`: a file on disk → a new served version of a layer, or a report of why not.
//!
//! GDAL and PROJ run on a blocking thread that reads, checks and encodes COPY text; the
//! async side streams that text into PostgreSQL through one COPY. Reading and writing so
//! overlap, and memory stays flat: chunks of ~1 MiB, a bounded queue of them.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use qala_core::{Feature, LayerKind, LayerSlug};
use qala_ingest::{FeatureSink, IngestError, IngestOptions, Limits, Problem, ReadSummary, Severity};
use qala_store::load::{Begin, layer_kind, served_felling_permits};
use qala_store::{LayerLoad, LayerMeta, StoreError, VersionSource, copy_text};
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use crate::LoadError;
use crate::report::{LoadReport, LoadStatus, MAX_PROBLEMS};

/// Called now and then with (rows read, total rows when known).
pub type ProgressFn = Arc<dyn Fn(u64, Option<u64>) + Send + Sync>;

/// What to load where. Build with [`LoadOptions::new`] and set what you need.
#[derive(Clone)]
pub struct LoadOptions {
    /// The layer to load into; created when it does not exist.
    pub layer: LayerSlug,
    /// Kind of a new layer. For an existing layer it may be omitted; if given it must match.
    pub kind: Option<LayerKind>,
    /// Source CRS when the file has none or a wrong one (`EPSG:32643`, any PROJ definition).
    pub crs: Option<String>,
    /// Attribute renames `(source, target)` applied before validation.
    pub map: Vec<(String, String)>,
    /// Layer of a multi-layer file (GeoPackage, KML).
    pub gpkg_layer: Option<String>,
    /// Refuse invalid polygons instead of repairing them.
    pub strict: bool,
    /// Who loads (a user name, `cli`), kept in the layer's history.
    pub created_by: String,
    /// The file's original name (uploads arrive as temp files); decides the format
    /// together with the content. Defaults to the path's file name.
    pub source_name: Option<String>,
    /// Title of a new layer (all three languages until translated); defaults to the slug.
    pub title: Option<String>,
    pub limits: Limits,
    /// What "today" is for date rules; defaults to the current UTC date.
    pub today: Option<chrono::NaiveDate>,
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for LoadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("layer", &self.layer)
            .field("kind", &self.kind)
            .field("crs", &self.crs)
            .field("map", &self.map)
            .field("gpkg_layer", &self.gpkg_layer)
            .field("strict", &self.strict)
            .field("created_by", &self.created_by)
            .field("source_name", &self.source_name)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl LoadOptions {
    pub fn new(layer: LayerSlug) -> Self {
        LoadOptions {
            layer,
            kind: None,
            crs: None,
            map: Vec::new(),
            gpkg_layer: None,
            strict: false,
            created_by: "cli".into(),
            source_name: None,
            title: None,
            limits: Limits::default(),
            today: None,
            progress: None,
        }
    }
}

/// COPY text is handed over in chunks of about this size.
const CHUNK_BYTES: usize = 1 << 20;
/// Chunks queued between reader and writer: bounds memory to a few MiB.
const QUEUE_CHUNKS: usize = 8;

/// What the reading thread learned when it opened the file.
struct Opened {
    sha256: String,
    format: String,
    source_crs: String,
    crs_note: Option<String>,
    encoding: Option<String>,
}

/// What the reading thread hands back at the end.
struct Read {
    summary: ReadSummary,
    problems: Vec<Problem>,
    omitted: u64,
    encode_error: Option<StoreError>,
}

/// Loads `path` into `opts.layer` as a new version, all-or-nothing.
///
/// - `Ok(report)` with `status` loaded / unchanged (same sha256 already served) / restored;
/// - `Err(LoadError::Invalid { report })` when features break the rules: nothing written;
/// - other errors when the file cannot be used at all or the database fails; nothing is
///   written in any error case.
pub async fn load_file(pool: &PgPool, path: &Path, opts: &LoadOptions) -> Result<LoadReport, LoadError> {
    let started = Instant::now();
    let source_name = opts.source_name.clone().unwrap_or_else(|| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "upload".into())
    });
    let existing = layer_kind(pool, opts.layer.as_str()).await?;
    let kind = match (existing, opts.kind) {
        (Some(have), Some(want)) if have != want => {
            return Err(StoreError::KindMismatch {
                slug: opts.layer.to_string(),
                existing: have.name().to_owned(),
                requested: want.name().to_owned(),
            }
            .into());
        }
        (Some(have), _) => have,
        (None, Some(want)) => want,
        (None, None) => {
            return Err(LoadError::KindRequired {
                slug: opts.layer.to_string(),
            });
        }
    };
    let known_permits = if kind == LayerKind::TreePlanting {
        served_felling_permits(pool)
            .await?
            .map(|v| v.into_iter().collect::<HashSet<_>>())
    } else {
        None
    };
    let ingest = IngestOptions {
        kind,
        crs: opts.crs.clone(),
        map: opts.map.clone(),
        layer: opts.gpkg_layer.clone(),
        strict: opts.strict,
        today: opts.today.unwrap_or_else(|| chrono::Utc::now().date_naive()),
        known_permits,
    };

    let (opened_tx, opened_rx) = oneshot::channel::<Result<Opened, IngestError>>();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<Option<i64>>();
    let (chunk_tx, chunk_rx) = mpsc::channel::<Vec<u8>>(QUEUE_CHUNKS);
    let reader = {
        let path = path.to_owned();
        let name = source_name.clone();
        let limits = opts.limits;
        let progress = opts.progress.clone();
        tokio::task::spawn_blocking(move || {
            read_thread(&path, &name, &limits, &ingest, progress, opened_tx, go_rx, chunk_tx)
        })
    };
    let opened = match opened_rx.await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return Err(e.into()),
        Err(_) => return Err(join_error(reader.await)),
    };
    let mut report = LoadReport {
        layer: opts.layer.to_string(),
        kind,
        status: LoadStatus::Refused,
        version: None,
        layer_version_id: None,
        source_name: source_name.clone(),
        source_sha256: opened.sha256.clone(),
        format: opened.format,
        source_crs: opened.source_crs.clone(),
        crs_note: opened.crs_note,
        encoding: opened.encoding,
        rows_read: 0,
        features_loaded: 0,
        errors: 0,
        warnings: 0,
        repaired: 0,
        problems: Vec::new(),
        problems_omitted: 0,
        elapsed_s: 0.0,
        features_per_s: 0.0,
    };
    let title = opts.title.clone().unwrap_or_else(|| opts.layer.to_string());
    let mut meta = LayerMeta::new(&opts.layer, kind, &title);
    meta.owner = opts.created_by.clone();
    let version_source = VersionSource {
        created_by: opts.created_by.clone(),
        source_name,
        source_sha256: opened.sha256,
        source_crs: opened.source_crs,
    };
    let mut load = match LayerLoad::begin_for(pool, &meta, &version_source).await {
        Ok(Begin::Load(load)) => load,
        Ok(Begin::Done(outcome)) => {
            let _ = go_tx.send(None);
            drop(chunk_rx);
            let _ = reader.await;
            report.apply_outcome(&outcome);
            report.elapsed_s = started.elapsed().as_secs_f64();
            return Ok(report);
        }
        Err(e) => {
            let _ = go_tx.send(None);
            return Err(e.into());
        }
    };
    let _ = go_tx.send(Some(load.layer_version_id()));
    let copied = load.copy_chunks(tokio_stream(chunk_rx)).await;
    let read = reader.await.map_err(|_| LoadError::ReaderFailed)?;
    // A failed COPY ends the load whatever the reader says; dropping `load` rolls back.
    copied?;
    let read = read?;
    report.rows_read = read.summary.rows;
    report.errors = read.summary.errors;
    report.warnings = read.summary.warnings;
    report.repaired = read.summary.repaired;
    report.problems = read.problems;
    report.problems.sort_by_key(|p| (p.severity != Severity::Error, p.row));
    report.problems_omitted = read.omitted;
    if let Some(e) = read.encode_error {
        return Err(e.into());
    }
    if report.errors > 0 {
        drop(load);
        report.elapsed_s = started.elapsed().as_secs_f64();
        return Err(LoadError::Invalid {
            report: Box::new(report),
        });
    }
    report.features_loaded = load.count();
    report.status = LoadStatus::Loaded;
    report.version = Some(load.version());
    report.layer_version_id = Some(load.layer_version_id());
    let elapsed = started.elapsed().as_secs_f64();
    report.elapsed_s = elapsed;
    report.features_per_s = report.features_loaded as f64 / elapsed.max(1e-9);
    let stored = serde_json::to_value(&report).unwrap_or_default();
    let outcome = load.finish(stored).await?;
    report.apply_outcome(&outcome);
    report.elapsed_s = started.elapsed().as_secs_f64();
    Ok(report)
}

fn join_error(r: Result<Result<Read, LoadError>, tokio::task::JoinError>) -> LoadError {
    match r {
        Ok(Err(e)) => e,
        _ => LoadError::ReaderFailed,
    }
}

fn tokio_stream(mut rx: mpsc::Receiver<Vec<u8>>) -> impl futures::Stream<Item = Vec<u8>> + Unpin {
    Box::pin(futures::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

/// The blocking side: stage, hash, open, tell the async side, wait for the version id,
/// then read everything, encoding good features as COPY text.
#[allow(clippy::too_many_arguments)]
fn read_thread(
    path: &Path,
    name: &str,
    limits: &Limits,
    opts: &IngestOptions,
    progress: Option<ProgressFn>,
    opened_tx: oneshot::Sender<Result<Opened, IngestError>>,
    go_rx: std::sync::mpsc::Receiver<Option<i64>>,
    chunk_tx: mpsc::Sender<Vec<u8>>,
) -> Result<Read, LoadError> {
    let prepared = qala_ingest::sha256_file(path).and_then(|sha| {
        let src = qala_ingest::open(path, name, limits, opts)?;
        Ok((sha, src))
    });
    let (sha256, src) = match prepared {
        Ok(p) => p,
        Err(e) => {
            let _ = opened_tx.send(Err(e));
            return Ok(Read {
                summary: ReadSummary::default(),
                problems: Vec::new(),
                omitted: 0,
                encode_error: None,
            });
        }
    };
    let format = match &src {
        qala_ingest::Opened::Vector(s) => s.format(),
        qala_ingest::Opened::Raster(_) => qala_ingest::SourceFormat::GeoTiff,
    };
    let info = Opened {
        sha256,
        format: serde_json::to_value(format)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        source_crs: src.source_crs().to_owned(),
        crs_note: src.crs_note().map(str::to_owned),
        encoding: src.encoding().map(str::to_owned),
    };
    if opened_tx.send(Ok(info)).is_err() {
        return Err(LoadError::ReaderFailed);
    }
    let layer_version_id = match go_rx.recv() {
        Ok(Some(id)) => id,
        _ => {
            return Ok(Read {
                summary: ReadSummary::default(),
                problems: Vec::new(),
                omitted: 0,
                encode_error: None,
            });
        }
    };
    let mut sink = CopySink {
        kind: opts.kind,
        layer_version_id,
        buf: Vec::with_capacity(CHUNK_BYTES + (64 << 10)),
        tx: chunk_tx,
        failed: false,
        problems: Vec::new(),
        omitted: 0,
        encode_error: None,
        progress,
    };
    let summary = src.read(opts, &mut sink);
    // Stopped because the writer went away (database error): the writer reports it.
    let summary = match summary {
        Ok(s) => s,
        Err(IngestError::SinkClosed) => ReadSummary::default(),
        Err(e) => return Err(e.into()),
    };
    sink.send_buffer();
    Ok(Read {
        summary,
        problems: sink.problems,
        omitted: sink.omitted,
        encode_error: sink.encode_error,
    })
}

/// Encodes accepted features as COPY text and ships them to the writer in chunks. After
/// the first error it stops encoding (the load will be refused) but keeps collecting
/// problems, so the report lists them all.
struct CopySink {
    kind: LayerKind,
    layer_version_id: i64,
    buf: Vec<u8>,
    tx: mpsc::Sender<Vec<u8>>,
    failed: bool,
    problems: Vec<Problem>,
    omitted: u64,
    encode_error: Option<StoreError>,
    progress: Option<ProgressFn>,
}

impl CopySink {
    fn send_buffer(&mut self) -> bool {
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

    fn problem(&mut self, problem: Problem) {
        if problem.is_error() {
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
