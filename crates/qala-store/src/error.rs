use std::path::PathBuf;

use qala_core::ErrorKind;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("cannot connect to PostgreSQL at {url}")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("applying migrations failed")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("layer {0:?} not found")]
    LayerNotFound(String),
    #[error("layer {slug:?} is a {existing} layer; it cannot take {requested} features")]
    KindMismatch {
        slug: String,
        existing: String,
        requested: String,
    },
    #[error("layer {slug:?} has no ready version {version}")]
    VersionNotFound { slug: String, version: i32 },
    #[error("definition {id:?} version {version} is not stored")]
    DefinitionNotStored { id: String, version: i32 },
    #[error("the shipped indicator definitions do not parse")]
    ShippedDefinitions(#[source] serde_json::Error),
    #[error("edition {0} not found")]
    EditionNotFound(i64),
    #[error("no edition has been published yet (qala indicators publish, or POST /editions)")]
    NoEdition,
    #[error("layer {0:?} is loading a new version; publish again when the load has finished")]
    LayerLoading(String),
    #[error("the database refused the data: {message}")]
    Rejected {
        constraint: Option<String>,
        message: String,
    },
    #[error("{what} has a {found} geometry; a {kind} layer takes {expected}")]
    WrongGeometry {
        what: String,
        found: String,
        kind: String,
        expected: String,
    },
    #[error("cannot convert a geometry to or from WKB")]
    Wkb(#[source] geozero::error::GeozeroError),
    #[error("--mode {mode} matches features by a key: say which field with --key FIELD")]
    KeyRequired { mode: &'static str },
    #[error("row {row}: the key field {field:?} is empty; every feature of an upsert or delete needs a key")]
    MissingKey { field: String, row: i64 },
    #[error("the key {field} = {value:?} is not unique in the file: rows {first_row} and {second_row}")]
    DuplicateKey {
        field: String,
        value: String,
        first_row: i64,
        second_row: i64,
    },
    #[error("local PostgreSQL: {message}")]
    Embedded { message: String },
    #[error("the layer has no feature {id}")]
    FeatureNotFound { id: i64 },
    #[error("feature {id} changed since it was read (If-Match {sent} does not match its ETag); read it again")]
    PreconditionFailed { id: i64, sent: String },
    #[error("local PostgreSQL: cannot use {path}")]
    EmbeddedIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl StoreError {
    /// The error's class, for the server's status codes and the CLI's exit messages.
    pub fn kind(&self) -> ErrorKind {
        match self {
            StoreError::LayerNotFound(_)
            | StoreError::VersionNotFound { .. }
            | StoreError::EditionNotFound(_)
            | StoreError::NoEdition
            | StoreError::FeatureNotFound { .. } => ErrorKind::NotFound,
            StoreError::LayerLoading(_) | StoreError::PreconditionFailed { .. } => ErrorKind::Conflict,
            StoreError::DefinitionNotStored { .. } => ErrorKind::NotFound,
            StoreError::ShippedDefinitions(_) => ErrorKind::Internal,
            StoreError::KindMismatch { .. }
            | StoreError::Rejected { .. }
            | StoreError::WrongGeometry { .. }
            | StoreError::KeyRequired { .. }
            | StoreError::MissingKey { .. }
            | StoreError::DuplicateKey { .. } => ErrorKind::InvalidInput,
            StoreError::Connect { .. } | StoreError::Embedded { .. } | StoreError::EmbeddedIo { .. } => {
                ErrorKind::Unavailable
            }
            StoreError::Database(e) if is_connection_error(e) => ErrorKind::Unavailable,
            StoreError::Database(_) | StoreError::Migrate(_) | StoreError::Wkb(_) => ErrorKind::Internal,
        }
    }

    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::Connect { .. } => "database_unavailable",
            StoreError::Database(e) if is_connection_error(e) => "database_unavailable",
            StoreError::Database(_) => "database_error",
            StoreError::Migrate(_) => "migration_failed",
            StoreError::LayerNotFound(_) => "layer_not_found",
            StoreError::KindMismatch { .. } => "kind_mismatch",
            StoreError::VersionNotFound { .. } => "version_not_found",
            StoreError::EditionNotFound(_) | StoreError::NoEdition => "edition_not_found",
            StoreError::LayerLoading(_) => "layer_loading",
            StoreError::DefinitionNotStored { .. } => "definition_not_found",
            StoreError::ShippedDefinitions(_) => "shipped_definitions_invalid",
            StoreError::Rejected { .. } => "rejected_by_database",
            StoreError::WrongGeometry { .. } => "wrong_geometry_type",
            StoreError::Wkb(_) => "wkb_encoding",
            StoreError::KeyRequired { .. } => "key_required",
            StoreError::MissingKey { .. } => "missing_key",
            StoreError::DuplicateKey { .. } => "duplicate_key",
            StoreError::Embedded { .. } | StoreError::EmbeddedIo { .. } => "local_postgres",
            StoreError::FeatureNotFound { .. } => "feature_not_found",
            StoreError::PreconditionFailed { .. } => "precondition_failed",
        }
    }

    /// Turns a database error caused by the data (a CHECK, NOT NULL, UNIQUE or geometry
    /// type violation) into [`StoreError::Rejected`], which names the rule that was broken.
    pub fn from_write(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            // 23xxx integrity violations, 22xxx data exceptions (bad dates, numbers,
            // geometry type mismatches come as 22023 from PostGIS) are the data's fault.
            if code.starts_with("23") || code.starts_with("22") || code == "XX000" && db.message().contains("Geometry")
            {
                let constraint = db.constraint().map(str::to_owned);
                let pg = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>();
                let detail = pg
                    .and_then(|p| p.detail())
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default();
                let rule = constraint
                    .as_deref()
                    .map(|c| format!(" [rule {c}]"))
                    .unwrap_or_default();
                return StoreError::Rejected {
                    message: format!("{}{rule}{detail}", db.message()),
                    constraint,
                };
            }
        }
        StoreError::Database(e)
    }
}

fn is_connection_error(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => true,
        // The server going away mid-statement: admin shutdown, crash shutdown, cannot connect
        // now (57P01-57P03), or a connection exception (class 08). Unavailable, not our bug.
        sqlx::Error::Database(d) => d
            .code()
            .is_some_and(|c| matches!(c.as_ref(), "57P01" | "57P02" | "57P03") || c.starts_with("08")),
        _ => false,
    }
}
