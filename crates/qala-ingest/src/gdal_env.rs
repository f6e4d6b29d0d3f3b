//! GDAL process settings that keep reading local and predictable: no network access of any
//! kind (a GeoJSON `crs` link, a KML `href` or a `/vsicurl/` name must never make qala
//! fetch something), and no guessing of sibling files beyond the ones qala put there.

use std::sync::Once;

static INIT: Once = Once::new();

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
        // Environment first, so PROJ (which reads its own environment) sees PROJ_NETWORK.
        for (k, v) in SETTINGS {
            if let Err(e) = gdal::config::set_config_option(k, v) {
                tracing::warn!(key = k, error = %e, "cannot set GDAL option");
            }
        }
    });
}
