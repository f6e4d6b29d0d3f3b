//! qala's PostGIS store.
//!
//! - [`migrate`] applies the forward-only migrations of `sql/migrations`;
//! - [`EmbeddedPostgres`] runs a project-local PostgreSQL + PostGIS cluster when no
//!   `DATABASE_URL` is given;
//! - [`catalogue`] reads and edits the layer catalogue;
//! - [`LayerLoad`] writes one new version of a layer, all-or-nothing.

pub mod catalogue;
pub mod change_set;
pub mod copy_text;
pub mod embedded;
pub mod error;
pub mod feature_edit;
pub mod features;
mod filter_sql;
pub mod governance;
pub mod in_step;
pub mod load;
pub mod proposal;
pub mod read;
pub mod replica;
pub mod testdb;

pub use catalogue::{LayerMeta, LayerSummary, VersionChange, VersionSummary, Visibility};
pub use change_set::{ChangeMode, ChangeSample, ChangeSummary};
pub use embedded::EmbeddedPostgres;
pub use error::StoreError;
pub use feature_edit::FeatureEdit;
pub use load::{LayerLoad, LoadOutcome, VersionSource};

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

/// The migrations of `sql/migrations`, embedded in the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../sql/migrations");

/// The shipped indicator definitions (`qala_engine::default_indicators` parses the same file).
pub const SHIPPED_DEFINITIONS: &str = include_str!("../../../sql/indicators/definitions.json");

/// Applies every migration not yet applied, then stores the shipped indicator definitions
/// if the database has none. A second run is a no-op.
pub async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    MIGRATOR.run(pool).await.map_err(StoreError::Migrate)?;
    governance::seed_definitions(pool, SHIPPED_DEFINITIONS).await?;
    Ok(())
}

/// Opens a pool on `url` with qala's session settings: a statement timeout, so that no
/// request can hold the database for ever, and UTC dates.
pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(15))
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::query("SET TIME ZONE 'UTC'").execute(&mut *conn).await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .map_err(|e| StoreError::Connect {
            url: redact_url(url),
            source: e,
        })
}

/// `e` and its whole `source()` chain, `: `-separated, for the log.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// A database URL with its password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_password() {
        assert_eq!(
            super::redact_url("postgres://qala:secret@127.0.0.1:5432/qala"),
            "postgres://qala:***@127.0.0.1:5432/qala"
        );
        assert_eq!(
            super::redact_url("postgres://127.0.0.1/qala"),
            "postgres://127.0.0.1/qala"
        );
    }
}
