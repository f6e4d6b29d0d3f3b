//! GDAL process settings that keep reading local and predictable: no network access of any
//! kind (a GeoJSON `crs` link, a KML `href` or a `/vsicurl/` name must never make qala
//! fetch something), and no guessing of sibling files beyond the ones qala put there.

use std::cell::RefCell;
use std::sync::Once;

static INIT: Once = Once::new();

thread_local! {
    /// GDAL failures raised on this thread since the last [`take_failures`]. Some drivers
    /// (GeoJSONSeq, CSV) report a damaged record this way and go on with the next one;
    /// qala must not load a file with a silently skipped record.
    static FAILURES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

thread_local! {
    static SILENT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` without recording GDAL failures (for probes that are expected to fail).
pub fn quietly<T>(f: impl FnOnce() -> T) -> T {
    SILENT.with(|s| s.set(true));
    let out = f();
    SILENT.with(|s| s.set(false));
    out
}

/// The GDAL failures raised on this thread since the last call.
pub fn take_failures() -> Vec<String> {
    FAILURES.with(|f| std::mem::take(&mut *f.borrow_mut()))
}

/// Settings applied once per process, before the first GDAL call.
const SETTINGS: &[(&str, &str)] = &[
    // Every HTTP request GDAL would make goes to a closed local port and fails at once.
    ("GDAL_HTTP_PROXY", "127.0.0.1:9"),
    ("GDAL_HTTP_TIMEOUT", "1"),
    ("GDAL_HTTP_CONNECTTIMEOUT", "1"),
    ("GDAL_HTTP_MAX_RETRY", "0"),
    ("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", ".qala-never"),
    ("CPL_VSIL_CURL_USE_HEAD", "NO"),
    ("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR"),
    // Network grids and remote CRS lookups in PROJ stay off too.
    ("PROJ_NETWORK", "OFF"),
    ("OSR_USE_NON_DEPRECATED", "NO"),
    // GML/KML xlinks are never resolved.
    ("GML_SKIP_RESOLVE_ELEMS", "ALL"),
    ("GDAL_XML_VALIDATION", "NO"),
    // Reading many OSM layers in turn from a small file is faster in memory.
    ("OSM_USE_CUSTOM_INDEXING", "YES"),
];

/// Applies [`SETTINGS`]; cheap after the first call.
pub fn init() {
    INIT.call_once(|| {
        // GDAL's messages go to the log, not straight to stderr; failures are also kept for
        // the reader to turn into problems.
        gdal::config::set_error_handler(|class, no, msg| match class {
            gdal::errors::CplErrType::Failure | gdal::errors::CplErrType::Fatal => {
                tracing::debug!(gdal_error = no, "GDAL: {msg}");
                if SILENT.with(|s| s.get()) {
                    return;
                }
                FAILURES.with(|f| {
                    let mut f = f.borrow_mut();
                    if f.len() < 100 {
                        f.push(msg.to_owned());
                    }
                });
            }
            gdal::errors::CplErrType::Warning => tracing::debug!(gdal_error = no, "GDAL warning: {msg}"),
            _ => {}
        });
        // Environment first, so PROJ (which reads its own environment) sees PROJ_NETWORK.
        for (k, v) in SETTINGS {
            if let Err(e) = gdal::config::set_config_option(k, v) {
                tracing::warn!(key = k, error = %e, "cannot set GDAL option");
            }
        }
    });
}
