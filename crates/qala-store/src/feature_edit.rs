//! Change sets that name one served feature by its id (OGC API Features Part 4): replace it
//! with the file's one feature, or remove it.
//!
//! Like every change set, the new version is a full copy: the served rows other than the
//! named one are copied with their ids, and a replacing row takes the named id, so a client
//! keeps using the id it read. The feature's ETag is a hash of the stored row (its fields,
//! extra attributes and geometry; not its id, version or source row), so it stays the same
//! until that feature itself changes, whatever else happens to the layer. An `If-Match` is
//! checked inside the load's transaction, after the layer's load lock is taken: two writers
//! holding the same ETag cannot both win.

use qala_core::LayerKind;
use sqlx::PgPool;

use crate::{ChangeMode, ChangeSample, ChangeSummary, LayerLoad, StoreError};

/// A write to one served feature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureEdit {
    /// The served feature's id (`<table>_id`).
    pub id: i64,
    /// The ETags the client accepts (`If-Match`, unquoted; `*` for any); `None` for no
    /// condition.
    pub if_match: Option<Vec<String>>,
}

/// SQL for a row's ETag: md5 of the row as JSON without its id, version and source row.
fn etag_sql(kind: LayerKind) -> String {
    let table = kind.table();
    format!("md5((to_jsonb(t) - 'layer_version_id' - 'source_row' - '{table}_id')::text)")
}

/// The ETag (unquoted) of feature `id` in version `layer_version_id`, `None` if that
/// version has no such feature.
pub async fn feature_etag(
    pool: &PgPool,
    kind: LayerKind,
    layer_version_id: i64,
    id: i64,
) -> Result<Option<String>, StoreError> {
    let table = kind.table();
    let sql = format!(
        "SELECT {} FROM {table} t WHERE t.layer_version_id = $1 AND t.{table}_id = $2",
        etag_sql(kind)
    );
    Ok(sqlx::query_scalar(&sql)
        .bind(layer_version_id)
        .bind(id)
        .fetch_optional(pool)
        .await?)
}

impl LayerLoad {
    /// The ids of the rows written so far into this load's version (the file's features),
    /// in file order: the ids a create gives its new features.
    pub async fn written_ids(&mut self) -> Result<Vec<i64>, StoreError> {
        let table = self.kind.table();
        let new_t = &self.target;
        Ok(sqlx::query_scalar(&format!(
            "SELECT {table}_id FROM {new_t} WHERE layer_version_id = $1 ORDER BY source_row, {table}_id"
        ))
        .bind(self.layer_version_id)
        .fetch_all(&mut *self.tx)
        .await?)
    }

    /// Applies `mode` to the one served feature `edit.id`: `Upsert` replaces it with the
    /// file's feature (which takes its id), `Delete` removes it (the file's rows, if any,
    /// are dropped). Other modes are [`LayerLoad::apply_change`] without a key. Refuses a
    /// feature the served version does not have, and a stale `If-Match`.
    pub async fn apply_change_by_id(
        &mut self,
        mode: ChangeMode,
        edit: &FeatureEdit,
    ) -> Result<ChangeSummary, StoreError> {
        if !mode.needs_key() {
            return self.apply_change(mode, None).await;
        }
        let current: Option<i64> = sqlx::query_scalar("SELECT current_version_id FROM layer WHERE layer_id = $1")
            .bind(self.layer_id)
            .fetch_one(&mut *self.tx)
            .await?;
        let cur = current.unwrap_or(-1);
        let table = self.kind.table();
        let served: Option<(i64, String)> = sqlx::query_as(&format!(
            "SELECT t.source_row, {} FROM {table} t WHERE t.layer_version_id = $1 AND t.{table}_id = $2",
            etag_sql(self.kind)
        ))
        .bind(cur)
        .bind(edit.id)
        .fetch_optional(&mut *self.tx)
        .await?;
        let Some((served_row, etag)) = served else {
            return Err(StoreError::FeatureNotFound { id: edit.id });
        };
        if let Some(accepted) = &edit.if_match
            && !accepted.iter().any(|a| a == "*" || *a == etag)
        {
            return Err(StoreError::PreconditionFailed {
                id: edit.id,
                sent: accepted.join(", "),
            });
        }
        let file_rows = self.count;
        let mut summary = ChangeSummary {
            mode,
            key: Some("id".into()),
            ..ChangeSummary::default()
        };
        let sample = vec![ChangeSample {
            key: Some(edit.id.to_string()),
            source_row: served_row,
        }];
        if mode == ChangeMode::Upsert {
            // The replacing row takes the feature's id (the key includes the version, so
            // the served row keeps its own).
            sqlx::query(&format!(
                "UPDATE {} SET {table}_id = $2 WHERE layer_version_id = $1",
                self.target
            ))
            .bind(self.layer_version_id)
            .bind(edit.id)
            .execute(&mut *self.tx)
            .await
            .map_err(StoreError::from_write)?;
            summary.changed = 1;
            summary.added = file_rows.saturating_sub(1);
            summary.changed_sample = sample;
        } else {
            sqlx::query(&format!("DELETE FROM {} WHERE layer_version_id = $1", self.target))
                .bind(self.layer_version_id)
                .execute(&mut *self.tx)
                .await?;
            self.count = 0;
            summary.removed = 1;
            summary.removed_sample = sample;
        }
        // The id is a number, never text from a user.
        self.copy_served(cur, &format!("s.{table}_id <> {}", edit.id)).await?;
        Ok(summary)
    }
}
