//! GDAL process settings that keep reading local and predictable: no network access of any
//! kind (a GeoJSON `crs` link, a KML `href` or a `/vsicurl/` name must never make qala
//! fetch something), and no guessing of sibling files beyond the ones qala put there.
//!
//! The proxy settings below are not enough on their own: curl honours `NO_PROXY` from
//! the environment over `GDAL_HTTP_PROXY`, so a GeoJSON `crs` link to a host `NO_PROXY`
//! covers was fetched. GDAL's HTTP layer therefore gets a callback that answers every
//! request with an error before curl is ever called ([`no_network`]).

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
        no_network::install();
    });
}

/// The URLs GDAL tried to fetch on this thread since the last call (all refused).
pub fn take_refused_fetches() -> Vec<String> {
    no_network::REFUSED.with(|r| {
        r.try_borrow_mut()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    })
}

/// Refuses every HTTP request GDAL makes through `CPLHTTPFetch` (CRS links, remote
/// schemas, WFS/WMS-style drivers), whatever the proxy environment says.
#[allow(unsafe_code)]
mod no_network {
    use std::cell::RefCell;
    use std::ffi::{CStr, c_char, c_int, c_void};

    thread_local! {
        /// Requests refused on this thread, so the reader can name the URL in its error.
        pub(super) static REFUSED: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    }

    /// `CPLHTTPResult` of cpl_http.h (stable since GDAL 2.x); GDAL frees it with
    /// `CPLHTTPDestroyResult`, so it must come from `CPLCalloc`.
    #[repr(C)]
    struct CplHttpResult {
        n_status: c_int,
        psz_content_type: *mut c_char,
        psz_err_buf: *mut c_char,
        n_data_len: c_int,
        n_data_alloc: c_int,
        paby_data: *mut u8,
        papsz_headers: *mut *mut c_char,
        n_mime_part_count: c_int,
        pas_mime_part: *mut c_void,
    }

    type FetchCallback = unsafe extern "C" fn(
        url: *const c_char,
        options: *const *const c_char,
        progress: *mut c_void,
        progress_arg: *mut c_void,
        write: *mut c_void,
        write_arg: *mut c_void,
        user_data: *mut c_void,
    ) -> *mut CplHttpResult;

    // gdal-sys's bindings leave out cpl_http.h; the symbol is in every GDAL >= 3.2, and
    // gdal-sys already links libgdal.
    unsafe extern "C" {
        fn CPLHTTPSetFetchCallback(func: Option<FetchCallback>, user_data: *mut c_void);
    }

    /// Never panics (a panic here would unwind into C): every fallible step is `try_`.
    unsafe extern "C" fn refuse(
        url: *const c_char,
        _options: *const *const c_char,
        _progress: *mut c_void,
        _progress_arg: *mut c_void,
        _write: *mut c_void,
        _write_arg: *mut c_void,
        _user_data: *mut c_void,
    ) -> *mut CplHttpResult {
        let url = if url.is_null() {
            String::new()
        } else {
            // SAFETY: GDAL passes the NUL-terminated URL it was asked to fetch.
            unsafe { CStr::from_ptr(url) }.to_string_lossy().into_owned()
        };
        tracing::warn!(%url, "GDAL tried to fetch a URL; refused (qala never uses the network)");
        let _ = REFUSED.try_with(|r| {
            if let Ok(mut r) = r.try_borrow_mut()
                && r.len() < 16
            {
                r.push(url);
            }
        });
        // SAFETY: CPLCalloc aborts rather than return NULL; the zeroed struct is a valid
        // empty result, and CPLStrdup copies our NUL-terminated message into GDAL's heap,
        // where CPLHTTPDestroyResult frees both.
        unsafe {
            let res = gdal_sys::CPLCalloc(1, std::mem::size_of::<CplHttpResult>()).cast::<CplHttpResult>();
            (*res).n_status = 1;
            (*res).psz_err_buf = gdal_sys::CPLStrdup(c"qala never fetches anything from the network".as_ptr());
            res
        }
    }

    pub(super) fn install() {
        // SAFETY: called once, inside `INIT.call_once`, before any reader runs (GDAL asks
        // that it not race with a fetch); `refuse` matches CPLHTTPFetchCallbackFunc.
        unsafe {
            CPLHTTPSetFetchCallback(Some(refuse), std::ptr::null_mut());
            // GDAL's own PROJ contexts: no grid downloads even if PROJ_NETWORK=ON.
            gdal_sys::OSRSetPROJEnableNetwork(0);
        }
    }
}
