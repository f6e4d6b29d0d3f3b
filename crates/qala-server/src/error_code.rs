//! The one catalogue of error codes (meilisearch's `Code` enum is the model): every code an
//! HTTP response or a library error can carry, with its HTTP status and the key of its
//! kk/ru/en message (`error.<code>`).
//!
//! Library crates name their errors by stable snake_case strings (`code()`); the server turns
//! those into a [`Code`] with [`Code::from_code`]. Tests below check that every library
//! `code()` arm is in the catalogue and that `docs/api.md` lists every code with its status.

use axum::http::StatusCode;

macro_rules! catalogue {
    ($($variant:ident = $code:literal, $status:ident;)*) => {
        /// A stable error code of the HTTP API.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// Every code, in catalogue order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The snake_case code of response bodies and logs.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// The HTTP status this code is always answered with.
            pub fn status(self) -> StatusCode {
                match self {
                    $(Code::$variant => StatusCode::$status,)*
                }
            }

            /// Key of the translated message (kk/ru/en): `error.<code>`.
            pub fn message_key(self) -> &'static str {
                match self {
                    $(Code::$variant => concat!("error.", $code),)*
                }
            }
        }
    };
}

catalogue! {
    // 400: the request itself is wrong.
    InvalidRequest = "invalid_request", BAD_REQUEST;
    InvalidParameter = "invalid_parameter", BAD_REQUEST;
    UnknownParameter = "unknown_parameter", BAD_REQUEST;
    InvalidBody = "invalid_body", BAD_REQUEST;
    InvalidTile = "invalid_tile", BAD_REQUEST;
    InvalidBbox = "invalid_bbox", BAD_REQUEST;
    InvalidLimit = "invalid_limit", BAD_REQUEST;
    InvalidDatetime = "invalid_datetime", BAD_REQUEST;
    InvalidCrs = "invalid_crs", BAD_REQUEST;
    InvalidCursor = "invalid_cursor", BAD_REQUEST;
    InvalidSlug = "invalid_slug", BAD_REQUEST;
    UnknownKind = "unknown_kind", BAD_REQUEST;
    KindMismatch = "kind_mismatch", BAD_REQUEST;
    KindRequired = "kind_required", BAD_REQUEST;
    KeyRequired = "key_required", BAD_REQUEST;
    UnknownKeyField = "unknown_key_field", BAD_REQUEST;
    InvalidRole = "invalid_role", BAD_REQUEST;
    InvalidGrant = "invalid_grant", BAD_REQUEST;
    InvalidUpload = "invalid_upload", BAD_REQUEST;
    RejectedByDatabase = "rejected_by_database", BAD_REQUEST;
    WrongGeometryType = "wrong_geometry_type", BAD_REQUEST;
    // 400 from the engine: indicators, zones, access, what-if.
    NotPolygonLayer = "not_polygon_layer", BAD_REQUEST;
    InvalidRadius = "invalid_radius", BAD_REQUEST;
    OverlappingZones = "overlapping_zones", BAD_REQUEST;
    InvalidBands = "invalid_bands", BAD_REQUEST;
    EmptyZoneScheme = "empty_zone_scheme", BAD_REQUEST;
    InvalidFilter = "invalid_filter", BAD_REQUEST;
    UnknownField = "unknown_field", BAD_REQUEST;
    InvalidChange = "invalid_change", BAD_REQUEST;
    NotWhatIfable = "not_what_ifable", BAD_REQUEST;
    InvalidDistanceMode = "invalid_distance_mode", BAD_REQUEST;
    NotAccessIndicator = "not_access_indicator", BAD_REQUEST;
    // 400 from governed figures: roles, bindings, definitions, norms.
    UnknownRole = "unknown_role", BAD_REQUEST;
    InvalidBinding = "invalid_binding", BAD_REQUEST;
    InvalidDefinition = "invalid_definition", BAD_REQUEST;
    UnknownNormVariant = "unknown_norm_variant", BAD_REQUEST;
    InvalidLtsRuleset = "invalid_lts_ruleset", BAD_REQUEST;
    InvalidLtsScenario = "invalid_lts_scenario", BAD_REQUEST;
    InvalidWalkProfileRules = "invalid_walk_profile_rules", BAD_REQUEST;
    InvalidWalkProfile = "invalid_walk_profile", BAD_REQUEST;
    InvalidMaxSpeed = "invalid_max_speed", BAD_REQUEST;
    // 400 from reading an uploaded file.
    EmptyFile = "empty_file", BAD_REQUEST;
    FileTooLarge = "file_too_large", BAD_REQUEST;
    UnknownFormat = "unknown_format", BAD_REQUEST;
    FormatMismatch = "format_mismatch", BAD_REQUEST;
    UnsafeArchive = "unsafe_archive", BAD_REQUEST;
    BadArchive = "bad_archive", BAD_REQUEST;
    ArchiveContent = "archive_content", BAD_REQUEST;
    FileUnopenable = "file_unopenable", BAD_REQUEST;
    NoSuchLayer = "no_such_layer", BAD_REQUEST;
    SeveralLayers = "several_layers", BAD_REQUEST;
    NoCrs = "no_crs", BAD_REQUEST;
    UnknownCrs = "unknown_crs", BAD_REQUEST;
    BadFileCrs = "bad_file_crs", BAD_REQUEST;
    BadMapping = "bad_mapping", BAD_REQUEST;
    KindNotInFormat = "kind_not_in_format", BAD_REQUEST;
    GdalError = "gdal_error", BAD_REQUEST;
    NetworkReference = "network_reference", BAD_REQUEST;
    TooManyFeatures = "too_many_features", BAD_REQUEST;
    RasterTooLarge = "raster_too_large", BAD_REQUEST;
    RasterWithoutNodata = "raster_without_nodata", BAD_REQUEST;
    RasterBandUnsupported = "raster_band_unsupported", BAD_REQUEST;
    IngestTimedOut = "ingest_timed_out", BAD_REQUEST;
    // 401, 403: who is asking.
    Unauthorized = "unauthorized", UNAUTHORIZED;
    InvalidToken = "invalid_token", UNAUTHORIZED;
    Forbidden = "forbidden", FORBIDDEN;
    // 404: nothing there (or hidden from this caller).
    NotFound = "not_found", NOT_FOUND;
    LayerNotFound = "layer_not_found", NOT_FOUND;
    FeatureNotFound = "feature_not_found", NOT_FOUND;
    VersionNotFound = "version_not_found", NOT_FOUND;
    UnknownIndicator = "unknown_indicator", NOT_FOUND;
    UnknownLayer = "unknown_layer", NOT_FOUND;
    UnknownZoneScheme = "unknown_zone_scheme", NOT_FOUND;
    EditionNotFound = "edition_not_found", NOT_FOUND;
    NotInEdition = "not_in_edition", NOT_FOUND;
    DefinitionNotFound = "definition_not_found", NOT_FOUND;
    // Other 4xx of the protocol.
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED;
    MissingLayer = "missing_layer", CONFLICT;
    NoPopulation = "no_population", CONFLICT;
    MissingRoads = "missing_roads", CONFLICT;
    UnboundRole = "unbound_role", CONFLICT;
    LayerLoading = "layer_loading", CONFLICT;
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE;
    UriTooLong = "uri_too_long", URI_TOO_LONG;
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE;
    PreconditionFailed = "precondition_failed", PRECONDITION_FAILED;
    InvalidFeatures = "invalid_features", UNPROCESSABLE_ENTITY;
    MissingKey = "missing_key", UNPROCESSABLE_ENTITY;
    DuplicateKey = "duplicate_key", UNPROCESSABLE_ENTITY;
    LaneOffStreet = "lane_off_street", UNPROCESSABLE_ENTITY;
    TooManyFailedAuth = "too_many_failed_auth", TOO_MANY_REQUESTS;
    UploadQueueFull = "upload_queue_full", TOO_MANY_REQUESTS;
    HeadersTooLarge = "headers_too_large", REQUEST_HEADER_FIELDS_TOO_LARGE;
    // Residents' proposals (issue 13).
    ProposalNotFound = "proposal_not_found", NOT_FOUND;
    UnknownCategory = "unknown_category", UNPROCESSABLE_ENTITY;
    OutsideCity = "outside_city", UNPROCESSABLE_ENTITY;
    TextEmpty = "text_empty", UNPROCESSABLE_ENTITY;
    TextTooLong = "text_too_long", UNPROCESSABLE_ENTITY;
    InvalidGeometry = "invalid_geometry", UNPROCESSABLE_ENTITY;
    InvalidContact = "invalid_contact", UNPROCESSABLE_ENTITY;
    InvalidPhoto = "invalid_photo", UNPROCESSABLE_ENTITY;
    PhotoTooLarge = "photo_too_large", PAYLOAD_TOO_LARGE;
    UnknownStatus = "unknown_status", UNPROCESSABLE_ENTITY;
    ReasonRequired = "reason_required", UNPROCESSABLE_ENTITY;
    DuplicateProposal = "duplicate_proposal", CONFLICT;
    AlreadySupported = "already_supported", CONFLICT;
    ForbiddenStatusChange = "forbidden_status_change", CONFLICT;
    WrongModeration = "wrong_moderation", CONFLICT;
    InvalidMerge = "invalid_merge", CONFLICT;
    TooManySubmissions = "too_many_submissions", TOO_MANY_REQUESTS;
    // 500: our fault. The body always says `internal`; the code goes to the log.
    Internal = "internal", INTERNAL_SERVER_ERROR;
    DatabaseError = "database_error", INTERNAL_SERVER_ERROR;
    MigrationFailed = "migration_failed", INTERNAL_SERVER_ERROR;
    WkbEncoding = "wkb_encoding", INTERNAL_SERVER_ERROR;
    ReaderFailed = "reader_failed", INTERNAL_SERVER_ERROR;
    ProjectionFailed = "projection_failed", INTERNAL_SERVER_ERROR;
    FileUnreadable = "file_unreadable", INTERNAL_SERVER_ERROR;
    ShippedDefinitionsInvalid = "shipped_definitions_invalid", INTERNAL_SERVER_ERROR;
    // 503: try again later.
    DatabaseUnavailable = "database_unavailable", SERVICE_UNAVAILABLE;
    ServerBusy = "server_busy", SERVICE_UNAVAILABLE;
    EngineUnavailable = "engine_unavailable", SERVICE_UNAVAILABLE;
    Cancelled = "cancelled", SERVICE_UNAVAILABLE;
    Timeout = "timeout", SERVICE_UNAVAILABLE;
    WebAppMissing = "web_app_missing", SERVICE_UNAVAILABLE;
    LocalPostgres = "local_postgres", SERVICE_UNAVAILABLE;
    LayerVersionPending = "layer_version_pending", SERVICE_UNAVAILABLE;
    Aborted = "aborted", SERVICE_UNAVAILABLE;
}

impl Code {
    /// The catalogue entry of a library error's `code()`.
    pub fn from_code(code: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == code)
    }

    /// The code a bare framework response of `status` is given when it has no JSON body.
    pub fn for_status(status: StatusCode) -> Code {
        match status {
            StatusCode::NOT_FOUND => Code::NotFound,
            StatusCode::METHOD_NOT_ALLOWED => Code::MethodNotAllowed,
            StatusCode::PAYLOAD_TOO_LARGE => Code::PayloadTooLarge,
            StatusCode::URI_TOO_LONG => Code::UriTooLong,
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Code::UnsupportedMediaType,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => Code::HeadersTooLarge,
            StatusCode::UNPROCESSABLE_ENTITY => Code::InvalidBody,
            StatusCode::UNAUTHORIZED => Code::Unauthorized,
            StatusCode::FORBIDDEN => Code::Forbidden,
            StatusCode::SERVICE_UNAVAILABLE => Code::ServerBusy,
            s if s.is_server_error() => Code::Internal,
            _ => Code::InvalidRequest,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    use super::*;

    fn repo_file(rel: &str) -> String {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    /// The string literals returned by the `fn code(` of a library crate's error.rs.
    fn library_codes(rel: &str) -> BTreeSet<String> {
        let src = repo_file(rel);
        let start = src.find("fn code(").unwrap_or_else(|| panic!("{rel}: no fn code("));
        // The function ends at the first line that closes it at the impl's indentation.
        let body = &src[start..];
        let end = body.find("\n    }\n").unwrap_or(body.len());
        body[..end]
            .split("=> \"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = BTreeSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_') && !s.starts_with('_'),
                "{s} is not snake_case"
            );
            assert_eq!(c.message_key(), format!("error.{s}"));
            assert!(c.status().is_client_error() || c.status().is_server_error(), "{s}");
            assert_eq!(Code::from_code(s), Some(*c));
        }
    }

    #[test]
    fn every_library_code_is_in_the_catalogue() {
        let mut missing = Vec::new();
        let mut total = 0;
        for rel in [
            "crates/qala-core/src/error.rs",
            "crates/qala-store/src/error.rs",
            "crates/qala-load/src/error.rs",
            "crates/qala-ingest/src/error.rs",
            "crates/qala-engine/src/error.rs",
            "crates/qala-tiles/src/error.rs",
        ] {
            let codes = library_codes(rel);
            assert!(!codes.is_empty(), "{rel}: no codes found");
            total += codes.len();
            missing.extend(
                codes
                    .into_iter()
                    .filter(|c| Code::from_code(c).is_none())
                    .map(|c| format!("{c} ({rel})")),
            );
        }
        assert!(total > 50, "only {total} library codes found: is the parser broken?");
        assert!(missing.is_empty(), "codes missing from the catalogue: {missing:?}");
    }

    /// `docs/api.md`'s code table: rows `| \`code\` | status | meaning |`.
    fn documented() -> BTreeMap<String, u16> {
        let doc = repo_file("docs/api.md");
        let mut out = BTreeMap::new();
        for line in doc.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if let [_, code, status, _meaning, ..] = cells.as_slice()
                && let Some(code) = code.strip_prefix('`').and_then(|c| c.strip_suffix('`'))
                && let Ok(status) = status.parse::<u16>()
            {
                out.insert(code.to_owned(), status);
            }
        }
        out
    }

    #[test]
    fn docs_list_every_code_with_its_status() {
        let docs = documented();
        let missing: Vec<&str> = Code::ALL
            .iter()
            .map(|c| c.as_str())
            .filter(|c| !docs.contains_key(*c))
            .collect();
        assert!(missing.is_empty(), "docs/api.md does not list: {missing:?}");
        let wrong: Vec<String> = Code::ALL
            .iter()
            .filter(|c| docs.get(c.as_str()) != Some(&c.status().as_u16()))
            .map(|c| {
                format!(
                    "{} is {} in docs/api.md, {} in the catalogue",
                    c,
                    docs[c.as_str()],
                    c.status().as_u16()
                )
            })
            .collect();
        assert!(wrong.is_empty(), "{wrong:?}");
        let unknown: Vec<&String> = docs.keys().filter(|d| Code::from_code(d).is_none()).collect();
        assert!(
            unknown.is_empty(),
            "docs/api.md lists codes that do not exist: {unknown:?}"
        );
    }
}
