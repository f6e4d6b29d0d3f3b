//! `load_file`: a file on disk → a new served version of a layer, or a report of why not.
//!
//! GDAL and PROJ run on a blocking thread that reads, checks and encodes COPY text; the
//! async side streams that text into PostgreSQL through one COPY. Reading and writing so
//! overlap, and memory stays flat: chunks of ~1 MiB, a bounded queue of them.

use std::collections::HashSet;
use std::path::Path;
use std::time::Instant;

use qala_core::LayerKind;
use qala_ingest::{Cancel, IngestError, IngestOptions, Problem, ReadSummary, Severity};
use qala_store::load::{Begin, layer_kind, served_felling_permits};
use qala_store::{ChangeMode, LayerLoad, LayerMeta, StoreError, VersionSource};
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use crate::copy_sink::{CHUNK_BYTES, CopySink};
use crate::report::{LoadReport, LoadStatus};
use crate::{LoadError, LoadOptions, ProgressFn};

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
    /// Rows with errors left out under `--skip-invalid`.
    skipped: u64,
}

/// Loads `path` into `opts.layer` as a new version, all-or-nothing.
///
/// - `Ok(report)` with `status` loaded / unchanged (same sha256 already served) / restored;
/// - `Err(LoadError::Invalid { report })` when features break the rules: nothing written;
/// - other errors when the file cannot be used at all or the database fails; nothing is
///   written in any error case.
pub async fn load_file(pool: &PgPool, path: &Path, opts: &LoadOptions) -> Result<LoadReport, LoadError> {
    let started = Instant::now();
    // The reader's own signal: stopped by the caller's, by the wall-time limit, and by
    // this future being dropped (a client that went away drops its request's future;
    // the blocking reader would otherwise read on for nobody).
    let cancel = match opts.limits.wall_time() {
        Some(limit) => opts.cancel.child_with_limit(limit),
        None => opts.cancel.child(),
    };
    let _stop_reader_when_dropped = cancel.guard();
    let source_name = opts.source_name.clone().unwrap_or_else(|| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "upload".into())
    });
    let existing = layer_kind(pool, opts.layer.as_str()).await?;
    if existing.is_none() && opts.mode.needs_layer() {
        return Err(LoadError::NothingToChange {
            slug: opts.layer.to_string(),
            mode: opts.mode.name(),
        });
    }
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
    let key = match opts.edit {
        Some(_) => None,
        None => crate::change::resolve_key(opts.mode, opts.key.as_deref(), kind)?,
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
        set: opts.set.clone(),
        layer: opts.gpkg_layer.clone(),
        strict: opts.strict,
        today: opts.today.unwrap_or_else(|| chrono::Utc::now().date_naive()),
        known_permits,
        limits: opts.limits,
        cancel: cancel.clone(),
        // A delete file only names features: its key column is all that is read.
        keys_only: match (opts.mode, &opts.edit) {
            (ChangeMode::Delete, None) => key,
            _ => None,
        },
    };
    let keys_only = ingest.keys_only;

    let (opened_tx, opened_rx) = oneshot::channel::<Result<Opened, IngestError>>();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<Option<i64>>();
    let (chunk_tx, chunk_rx) = mpsc::channel::<Vec<u8>>(QUEUE_CHUNKS);
    let reader = {
        let path = path.to_owned();
        let name = source_name.clone();
        let progress = opts.progress.clone();
        let skip_invalid = opts.skip_invalid;
        tokio::task::spawn_blocking(move || {
            read_thread(
                &path,
                &name,
                &ingest,
                skip_invalid,
                progress,
                opened_tx,
                go_rx,
                chunk_tx,
            )
        })
    };
    // GDAL's open cannot be interrupted (a big GeoJSON is parsed whole): stop waiting for
    // it instead; the reader thread then ends at its first check.
    let opened_rx = async { Ok::<_, LoadError>(opened_rx.await) };
    let opened = match until_cancelled(&cancel, &source_name, opened_rx).await? {
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
        skipped: 0,
        change: None,
        feature_ids: Vec::new(),
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
    // Waits for other loads of the same layer (an advisory lock): a cancel must not wait.
    let begun = async {
        if opts.mode == ChangeMode::Replace {
            LayerLoad::begin_for(pool, &meta, &version_source).await
        } else {
            LayerLoad::begin_change(pool, &meta, &version_source).await
        }
    };
    let mut load = match until_cancelled(&cancel, &report.source_name, begun).await {
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
            return Err(e);
        }
    };
    if let Some(k) = keys_only {
        load.expect_keys(k).await?;
    }
    let _ = go_tx.send(Some(load.layer_version_id()));
    let copied = load.copy_chunks(tokio_stream(chunk_rx, cancel.clone())).await;
    let read = reader.await.map_err(|_| LoadError::ReaderFailed)?;
    // A failed COPY ends the load whatever the reader says; dropping `load` rolls back.
    copied?;
    let read = read?;
    // A cancel ends the COPY stream early and the reader then sees a closed queue, which
    // alone looks like success: ask the signal itself before anything is committed.
    cancel.check(&report.source_name)?;
    report.rows_read = read.summary.rows;
    report.errors = read.summary.errors;
    report.warnings = read.summary.warnings;
    report.repaired = read.summary.repaired;
    report.problems = read.problems;
    report.problems.sort_by_key(|p| (p.severity != Severity::Error, p.row));
    report.problems_omitted = read.omitted;
    report.skipped = read.skipped;
    if let Some(e) = read.encode_error {
        return Err(e.into());
    }
    if report.errors > 0 && !opts.skip_invalid {
        drop(load);
        report.elapsed_s = started.elapsed().as_secs_f64();
        return Err(LoadError::Invalid {
            report: Box::new(report),
        });
    }
    if opts.report_ids {
        report.feature_ids = load.written_ids().await?;
    }
    let mut change = match &opts.edit {
        Some(edit) => load.apply_change_by_id(opts.mode, edit).await?,
        None => load.apply_change(opts.mode, key).await?,
    };
    if opts.dry_run && opts.edit.is_none() {
        change.geometries = Some(load.preview_geometries(key).await?);
    }
    if let (ChangeMode::Upsert, None, Some(k)) = (opts.mode, &opts.edit, key) {
        load.keep_changed_ids(k).await?;
    }
    let nothing_changes = opts.mode == ChangeMode::Delete && change.removed == 0;
    report.change = Some(change);
    if opts.dry_run || nothing_changes {
        report.status = if opts.dry_run {
            LoadStatus::DryRun
        } else {
            LoadStatus::Unchanged
        };
        load.abandon().await?;
        report.elapsed_s = started.elapsed().as_secs_f64();
        return Ok(report);
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

/// The chunks as a stream that ends early once `cancel` is set: a cancelled load sends
/// no more COPY data (the reader's error then rolls the load back).
fn tokio_stream(mut rx: mpsc::Receiver<Vec<u8>>, cancel: Cancel) -> impl futures::Stream<Item = Vec<u8>> + Unpin {
    Box::pin(futures::stream::poll_fn(move |cx| {
        if cancel.is_cancelled() {
            return std::task::Poll::Ready(None);
        }
        rx.poll_recv(cx)
    }))
}

/// How often an async wait looks at the cancel flag (an atomic; no wake-up exists).
const CANCEL_POLL: std::time::Duration = std::time::Duration::from_millis(50);

/// Awaits `fut`, or gives up with the cancel's error once `cancel` stops.
async fn until_cancelled<T, E: Into<LoadError>>(
    cancel: &Cancel,
    name: &str,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, LoadError> {
    let stopped = async {
        loop {
            if let Err(e) = cancel.check(name) {
                return e;
            }
            tokio::time::sleep(CANCEL_POLL).await;
        }
    };
    tokio::select! {
        r = fut => r.map_err(Into::into),
        e = stopped => Err(e.into()),
    }
}

/// The blocking side: stage, hash, open, tell the async side, wait for the version id,
/// then read everything, encoding good features as COPY text.
#[allow(clippy::too_many_arguments)]
fn read_thread(
    path: &Path,
    name: &str,
    opts: &IngestOptions,
    opts_skip_invalid: bool,
    progress: Option<ProgressFn>,
    opened_tx: oneshot::Sender<Result<Opened, IngestError>>,
    go_rx: std::sync::mpsc::Receiver<Option<i64>>,
    chunk_tx: mpsc::Sender<Vec<u8>>,
) -> Result<Read, LoadError> {
    let prepared = qala_ingest::sha256_file(path).and_then(|sha| {
        let src = qala_ingest::open(path, name, opts)?;
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
                skipped: 0,
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
                skipped: 0,
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
        skip_invalid: opts_skip_invalid,
        skipped: 0,
        last_error_row: None,
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
        skipped: sink.skipped,
    })
}
