//! Versioned, all-or-nothing loads.
//!
//! A load runs in one transaction: it adds a `layer_version` row, streams the features into
//! the kind's table with COPY, and switches `layer.current_version_id` at the end. Until the
//! commit no reader sees any of it (MVCC), so a load that fails at any point — bad data, a
//! killed process, a lost connection — leaves the layer exactly as it was; PostgreSQL rolls
//! the transaction back. Old versions stay in the table as history.

use qala_core::{Feature, LayerKind};
use sqlx::{PgPool, Postgres, Transaction};

use crate::{StoreError, copy_text};

/// Where a version came from.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VersionSource {
    pub created_by: String,
    pub source_name: String,
    /// Lower-case hex sha256 of the source file's bytes.
    pub source_sha256: String,
    /// The CRS the source was read in, e.g. `EPSG:32643`.
    pub source_crs: String,
}

/// What a load did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum LoadOutcome {
    /// A new version was written and is served now.
    Loaded {
        version: i32,
        layer_version_id: i64,
        feature_count: u64,
    },
    /// The same file (same sha256) is already the served version: nothing was written.
    Unchanged { version: i32, layer_version_id: i64 },
    /// The same file was loaded before as an older version: that version is served again.
    Restored { version: i32, layer_version_id: i64 },
}

/// One load in progress. Dropping it without [`LayerLoad::finish`] rolls everything back.
pub struct LayerLoad {
    tx: Transaction<'static, Postgres>,
    kind: LayerKind,
    layer_id: i64,
    layer_version_id: i64,
    version: i32,
    copy_sql: String,
    buf: Vec<u8>,
    count: u64,
}

/// Flush COPY data every few megabytes: big enough to amortise a round trip, small enough
/// to keep memory flat however large the file is.
const FLUSH_BYTES: usize = 4 << 20;

pub enum Begin {
    Load(LayerLoad),
    Done(LoadOutcome),
}

impl LayerLoad {
    /// Starts a load into the layer `layer_id` of `kind`. Loads of the same layer wait for
    /// each other (row lock on the catalogue entry); readers never wait.
    pub async fn begin(
        pool: &PgPool,
        layer_id: i64,
        kind: LayerKind,
        source: &VersionSource,
    ) -> Result<Begin, StoreError> {
        let mut tx = pool.begin().await?;
        let current: Option<Option<i64>> =
            sqlx::query_scalar("SELECT current_version_id FROM layer WHERE layer_id = $1 FOR UPDATE")
                .bind(layer_id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(current) = current else {
            return Err(StoreError::LayerNotFound(format!("id {layer_id}")));
        };
        let same: Option<(i64, i32)> = sqlx::query_as(
            "SELECT layer_version_id, version FROM layer_version
             WHERE layer_id = $1 AND source_sha256 = $2 AND status = 'ready'
             ORDER BY (layer_version_id = $3) DESC, version DESC LIMIT 1",
        )
        .bind(layer_id)
        .bind(&source.source_sha256)
        .bind(current.unwrap_or(-1))
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((id, version)) = same {
            if Some(id) == current {
                return Ok(Begin::Done(LoadOutcome::Unchanged {
                    version,
                    layer_version_id: id,
                }));
            }
            sqlx::query("UPDATE layer SET current_version_id = $2 WHERE layer_id = $1")
                .bind(layer_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(Begin::Done(LoadOutcome::Restored {
                version,
                layer_version_id: id,
            }));
        }
        let (layer_version_id, version): (i64, i32) = sqlx::query_as(
            "INSERT INTO layer_version (layer_id, version, created_by, source_name, source_sha256, source_crs)
             SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4, $5 FROM layer_version WHERE layer_id = $1
             RETURNING layer_version_id, version",
        )
        .bind(layer_id)
        .bind(&source.created_by)
        .bind(&source.source_name)
        .bind(&source.source_sha256)
        .bind(&source.source_crs)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from_write)?;
        let copy_sql = format!(
            "COPY {} ({}) FROM STDIN WITH (FORMAT text)",
            kind.table(),
            copy_text::columns(kind)
        );
        Ok(Begin::Load(LayerLoad {
            tx,
            kind,
            layer_id,
            layer_version_id,
            version,
            copy_sql,
            buf: Vec::with_capacity(FLUSH_BYTES + (64 << 10)),
            count: 0,
        }))
    }

    pub fn version(&self) -> i32 {
        self.version
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds one feature. Its geometry must already be WGS84 lon/lat.
    pub async fn write(&mut self, feature: &Feature) -> Result<(), StoreError> {
        copy_text::encode_row(&mut self.buf, self.layer_version_id, self.kind, feature)?;
        self.count += 1;
        if self.buf.len() >= FLUSH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut copy = self
            .tx
            .copy_in_raw(&self.copy_sql)
            .await
            .map_err(StoreError::from_write)?;
        copy.send(self.buf.as_slice()).await.map_err(StoreError::from_write)?;
        copy.finish().await.map_err(StoreError::from_write)?;
        self.buf.clear();
        Ok(())
    }

    /// Writes what is buffered, marks the version ready with its report, serves it, and
    /// commits. Only now does anyone see the new version.
    pub async fn finish(mut self, report: serde_json::Value) -> Result<LoadOutcome, StoreError> {
        self.flush().await?;
        sqlx::query(
            "UPDATE layer_version SET status = 'ready', feature_count = $2, report = $3
             WHERE layer_version_id = $1",
        )
        .bind(self.layer_version_id)
        .bind(self.count as i64)
        .bind(report)
        .execute(&mut *self.tx)
        .await?;
        sqlx::query("UPDATE layer SET current_version_id = $2 WHERE layer_id = $1")
            .bind(self.layer_id)
            .bind(self.layer_version_id)
            .execute(&mut *self.tx)
            .await?;
        self.tx.commit().await.map_err(StoreError::from_write)?;
        Ok(LoadOutcome::Loaded {
            version: self.version,
            layer_version_id: self.layer_version_id,
            feature_count: self.count,
        })
    }
}
