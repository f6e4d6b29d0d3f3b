//! Change sets: a file that adds, changes or removes some features of a served layer
//! instead of replacing all of them.
//!
//! The file's features are COPYed into the new version first, as for a replace; the change
//! is then made in SQL inside the same transaction: the served version's rows that the
//! file does not remove or change are copied into the new version (`INSERT … SELECT`), and
//! for a delete the file's own rows are dropped again. Every version so stays a full copy,
//! which keeps rollback and the served-version machinery as they are. Key columns are
//! field names of the kind (`&'static str` from `qala-core`), never text from a user.

use qala_core::LayerKind;

use crate::load::KEYS_TABLE;
use crate::{LayerLoad, StoreError, copy_text};

/// How a file changes a layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeMode {
    /// The file becomes the whole layer (the default).
    #[default]
    Replace,
    /// The file's features are added to the served ones.
    Append,
    /// Served features whose key matches a file feature are replaced by it; the others of
    /// the file are added.
    Upsert,
    /// Served features whose key matches a file feature are removed.
    Delete,
}

impl ChangeMode {
    pub fn name(self) -> &'static str {
        match self {
            ChangeMode::Replace => "replace",
            ChangeMode::Append => "append",
            ChangeMode::Upsert => "upsert",
            ChangeMode::Delete => "delete",
        }
    }

    /// Upsert and delete match features by a key field.
    pub fn needs_key(self) -> bool {
        matches!(self, ChangeMode::Upsert | ChangeMode::Delete)
    }

    /// Upsert and delete change features that must already be served.
    pub fn needs_layer(self) -> bool {
        self.needs_key()
    }
}

impl std::str::FromStr for ChangeMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "replace" => Ok(ChangeMode::Replace),
            "append" => Ok(ChangeMode::Append),
            "upsert" => Ok(ChangeMode::Upsert),
            "delete" => Ok(ChangeMode::Delete),
            other => Err(format!("unknown mode {other:?}: use replace, append, upsert or delete")),
        }
    }
}

/// One feature of a change, for the preview: its key (when the mode has one) and its row
/// in the file (added, changed) or in the served version's source (removed).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChangeSample {
    pub key: Option<String>,
    pub source_row: i64,
}

/// What a change set does: counts and up to [`SAMPLES`] examples of each.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct ChangeSummary {
    pub mode: ChangeMode,
    pub key: Option<String>,
    pub added: u64,
    pub changed: u64,
    pub removed: u64,
    pub added_sample: Vec<ChangeSample>,
    pub changed_sample: Vec<ChangeSample>,
    pub removed_sample: Vec<ChangeSample>,
    /// In a preview (dry run): the features that change, as a GeoJSON FeatureCollection in
    /// WGS84 with properties `change` (`added`, `changed` — the new geometry — or `removed`),
    /// `key` and `source_row`; at most [`PREVIEW_FEATURES`] of each kind of change, and
    /// `truncated: true` when some were left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geometries: Option<serde_json::Value>,
}

/// Features of each kind of change drawn on the preview map.
pub const PREVIEW_FEATURES: i64 = 2000;

/// Examples listed per kind of change.
pub const SAMPLES: i64 = 5;

impl LayerLoad {
    /// Turns the file's rows, already written into this load's version, into the change
    /// `mode` makes to the served version, and returns what changed. `key` is a field of
    /// the kind (checked by the caller). Refuses a key that is empty or repeated in the
    /// file; nothing is written then (the caller drops the load).
    pub async fn apply_change(
        &mut self,
        mode: ChangeMode,
        key: Option<&'static str>,
    ) -> Result<ChangeSummary, StoreError> {
        let current: Option<i64> = sqlx::query_scalar("SELECT current_version_id FROM layer WHERE layer_id = $1")
            .bind(self.layer_id)
            .fetch_one(&mut *self.tx)
            .await?;
        let file_rows = self.count;
        let mut summary = ChangeSummary {
            mode,
            key: key.map(str::to_owned),
            ..ChangeSummary::default()
        };
        let table = self.kind.table();
        // The new version's rows are in the load's own table until the load is committed.
        let new_t = self.target.clone();
        let new = self.layer_version_id;
        let cur = current.unwrap_or(-1);
        if let Some(k) = key {
            // Matching by key joins the file's rows with the served version's: without fresh
            // statistics on the rows just copied in, the planner may pick a nested loop (10,000
            // file rows x 500,000 served took minutes). Hash joins, for this change set only.
            sqlx::query("SET LOCAL enable_nestloop = off")
                .execute(&mut *self.tx)
                .await?;
            // The load's own table has no statistics yet; the joins below want them.
            let analyzed = if self.keys_only { KEYS_TABLE } else { new_t.as_str() };
            sqlx::query(&format!("ANALYZE {analyzed}"))
                .execute(&mut *self.tx)
                .await?;
            let file_t = if self.keys_only {
                KEYS_TABLE.to_owned()
            } else {
                new_t.clone()
            };
            self.check_keys(&file_t, k).await?;
        }
        // The file's rows drew their ids last: every id from the smallest of theirs up. Only
        // an upsert (keeping ids) and a delete of features need it; a replace or an append
        // of a million rows is spared the scan.
        if matches!(mode, ChangeMode::Upsert) || (mode == ChangeMode::Delete && !self.keys_only) {
            self.first_file_id = sqlx::query_scalar(&format!("SELECT min({table}_id) FROM {new_t}"))
                .fetch_one(&mut *self.tx)
                .await?;
        }
        let key_expr = key.map(|k| format!("{k}::text")).unwrap_or_else(|| "NULL::text".into());
        // Rows of the file that match a served row (by key), as (key, file row).
        let matched = key
            .map(|k| format!("EXISTS (SELECT 1 FROM {table} s WHERE s.layer_version_id = $2 AND s.{k} = n.{k})"))
            .unwrap_or_else(|| "false".into());
        match mode {
            ChangeMode::Replace | ChangeMode::Append => {
                summary.added = file_rows;
                summary.added_sample = self.sample(&format!(
                    "SELECT {key_expr}, source_row FROM {new_t} n WHERE layer_version_id = $1 ORDER BY source_row LIMIT {SAMPLES}"
                ), new, cur).await?;
                if mode == ChangeMode::Replace {
                    summary.removed = self.rows_of(cur).await?;
                } else {
                    self.copy_served(cur, "true").await?;
                }
            }
            ChangeMode::Upsert => {
                let k = key.ok_or(StoreError::KeyRequired { mode: mode.name() })?;
                let changed: i64 = sqlx::query_scalar(&format!(
                    "SELECT count(*) FROM {new_t} n WHERE n.layer_version_id = $1 AND {matched}"
                ))
                .bind(new)
                .bind(cur)
                .fetch_one(&mut *self.tx)
                .await?;
                summary.changed = changed as u64;
                summary.added = file_rows - summary.changed;
                summary.changed_sample = self.sample(&format!(
                    "SELECT n.{k}::text, n.source_row FROM {new_t} n WHERE n.layer_version_id = $1 AND {matched} ORDER BY n.source_row LIMIT {SAMPLES}"
                ), new, cur).await?;
                summary.added_sample = self.sample(&format!(
                    "SELECT n.{k}::text, n.source_row FROM {new_t} n WHERE n.layer_version_id = $1 AND NOT {matched} ORDER BY n.source_row LIMIT {SAMPLES}"
                ), new, cur).await?;
                // A key the served version holds twice: one row is changed, the others go.
                // So that served + added - removed is always the new count.
                let before = self.rows_of(cur).await?;
                self.copy_served(cur, &unmatched_served(&new_t, k)).await?;
                let kept = self.count - file_rows;
                summary.removed = (before - kept).saturating_sub(summary.changed);
            }
            ChangeMode::Delete => {
                let k = key.ok_or(StoreError::KeyRequired { mode: mode.name() })?;
                // The file's rows: its keys only, or (a delete by id) features.
                let file_t = if self.keys_only {
                    KEYS_TABLE.to_owned()
                } else {
                    new_t.clone()
                };
                let removed_where = format!(
                    "s.layer_version_id = $2 AND EXISTS (SELECT 1 FROM {file_t} n WHERE n.layer_version_id = $1 AND n.{k} = s.{k})"
                );
                let removed: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table} s WHERE {removed_where}"))
                    .bind(new)
                    .bind(cur)
                    .fetch_one(&mut *self.tx)
                    .await?;
                summary.removed = removed as u64;
                let file_min_id = self.first_file_id;
                summary.removed_sample = self.sample(&format!(
                    "SELECT s.{k}::text, s.source_row FROM {table} s WHERE {removed_where} ORDER BY s.source_row LIMIT {SAMPLES}"
                ), new, cur).await?;
                if removed > 0 {
                    self.copy_served(cur, &unmatched_served(&file_t, k)).await?;
                }
                if !self.keys_only {
                    // The file's rows only named what to remove: drop them again. They drew
                    // their ids from the identity last, so they hold every id from the
                    // smallest of theirs up; the copied rows keep their older, smaller ids.
                    sqlx::query(&format!(
                        "DELETE FROM {new_t} WHERE layer_version_id = $1 AND {table}_id >= $2"
                    ))
                    .bind(new)
                    .bind(file_min_id)
                    .execute(&mut *self.tx)
                    .await?;
                }
                self.count -= file_rows;
            }
        }
        Ok(summary)
    }

    /// The geometries a change set adds, changes and removes, for the preview map; call
    /// after [`LayerLoad::apply_change`] (the new version then holds the result: the file's
    /// rows, with new ids, and the served rows it keeps, with theirs). Compares with the
    /// served version by id, and by `key` to tell a changed feature from an added one.
    pub async fn preview_geometries(&mut self, key: Option<&'static str>) -> Result<serde_json::Value, StoreError> {
        let current: Option<i64> = sqlx::query_scalar("SELECT current_version_id FROM layer WHERE layer_id = $1")
            .bind(self.layer_id)
            .fetch_one(&mut *self.tx)
            .await?;
        let t = self.kind.table();
        let new_t = &self.target;
        let id = format!("{t}_id");
        let key_expr = |a: &str| {
            key.map(|k| format!("{a}.{k}::text"))
                .unwrap_or_else(|| "NULL::text".into())
        };
        let matched = key
            .map(|k| format!("EXISTS (SELECT 1 FROM {t} m WHERE m.layer_version_id = $2 AND m.{k} = n.{k})"))
            .unwrap_or_else(|| "false".into());
        let kept_by_key = key
            .map(|k| format!("OR EXISTS (SELECT 1 FROM {new_t} m WHERE m.layer_version_id = $1 AND m.{k} = s.{k} AND NOT EXISTS (SELECT 1 FROM {t} o WHERE o.layer_version_id = $2 AND o.{id} = m.{id}))"))
            .unwrap_or_default();
        let (nk, sk) = (key_expr("n"), key_expr("s"));
        // The file's rows: in the new version under an id the served version does not have.
        let file_rows = format!(
            "FROM {new_t} n WHERE n.layer_version_id = $1 AND NOT EXISTS (SELECT 1 FROM {t} o WHERE o.layer_version_id = $2 AND o.{id} = n.{id})"
        );
        let sql = format!(
            "WITH changes AS (
                (SELECT 'added' AS change, {nk} AS key, n.source_row, n.geom {file_rows} AND NOT {matched} ORDER BY n.source_row LIMIT $3)
                UNION ALL
                (SELECT 'changed', {nk}, n.source_row, n.geom {file_rows} AND {matched} ORDER BY n.source_row LIMIT $3)
                UNION ALL
                (SELECT 'removed', {sk}, s.source_row, s.geom FROM {t} s WHERE s.layer_version_id = $2
                   AND NOT (EXISTS (SELECT 1 FROM {new_t} n WHERE n.layer_version_id = $1 AND n.{id} = s.{id}) {kept_by_key})
                   ORDER BY s.source_row LIMIT $3)
            )
            SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
                       'type', 'Feature',
                       'geometry', ST_AsGeoJSON(geom, 6)::json,
                       'properties', json_build_object('change', change, 'key', key, 'source_row', source_row))), '[]'::json))::jsonb,
                   count(*) FILTER (WHERE change = 'added'), count(*) FILTER (WHERE change = 'changed'), count(*) FILTER (WHERE change = 'removed')
            FROM changes"
        );
        let (mut fc, a, c, r): (serde_json::Value, i64, i64, i64) = sqlx::query_as(&sql)
            .bind(self.layer_version_id)
            .bind(current.unwrap_or(-1))
            .bind(PREVIEW_FEATURES)
            .fetch_one(&mut *self.tx)
            .await?;
        let truncated = [a, c, r].iter().any(|n| *n >= PREVIEW_FEATURES);
        fc["truncated"] = serde_json::Value::Bool(truncated);
        Ok(fc)
    }

    /// After an upsert: each changed feature takes the id of the served feature it replaces
    /// (that row is not copied, so the id is free in the new version), so links, edits and
    /// OGC clients holding the id still name it. Where the served version holds a key twice,
    /// the smallest id goes on. Call after [`LayerLoad::preview_geometries`], which tells the
    /// file's rows by their new ids.
    pub async fn keep_changed_ids(&mut self, k: &'static str) -> Result<u64, StoreError> {
        let current: Option<i64> = sqlx::query_scalar("SELECT current_version_id FROM layer WHERE layer_id = $1")
            .bind(self.layer_id)
            .fetch_one(&mut *self.tx)
            .await?;
        let (Some(cur), Some(first)) = (current, self.first_file_id) else {
            return Ok(0);
        };
        let t = self.kind.table();
        let new_t = &self.target;
        // The file's rows are those from `first` up (see apply_change); only their keys are
        // looked up among the served rows.
        let done = sqlx::query(&format!(
            "UPDATE {new_t} n SET {t}_id = s.id
             FROM (SELECT DISTINCT ON (m.{k}) m.{k} AS key, m.{t}_id AS id FROM {t} m
                   WHERE m.layer_version_id = $2
                     AND m.{k} IN (SELECT f.{k} FROM {new_t} f WHERE f.{t}_id >= $3)
                   ORDER BY m.{k}, m.{t}_id) s
             WHERE n.layer_version_id = $1 AND n.{t}_id >= $3 AND n.{k} = s.key"
        ))
        .bind(self.layer_version_id)
        .bind(cur)
        .bind(first)
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from_write)?;
        Ok(done.rows_affected())
    }

    /// Refuses an empty key or one that two rows of the file share.
    async fn check_keys(&mut self, table: &str, k: &'static str) -> Result<(), StoreError> {
        let empty: Option<i64> = sqlx::query_scalar(&format!(
            "SELECT source_row FROM {table} WHERE layer_version_id = $1 AND ({k} IS NULL OR {k}::text = '') ORDER BY source_row LIMIT 1"
        ))
        .bind(self.layer_version_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        if let Some(row) = empty {
            return Err(StoreError::MissingKey {
                field: k.to_owned(),
                row,
            });
        }
        let dup: Option<(String, Vec<i64>)> = sqlx::query_as(&format!(
            "SELECT {k}::text, array_agg(source_row ORDER BY source_row) FROM {table}
             WHERE layer_version_id = $1 GROUP BY {k} HAVING count(*) > 1 ORDER BY min(source_row) LIMIT 1"
        ))
        .bind(self.layer_version_id)
        .fetch_optional(&mut *self.tx)
        .await?;
        if let Some((value, rows)) = dup {
            return Err(StoreError::DuplicateKey {
                field: k.to_owned(),
                value,
                first_row: rows.first().copied().unwrap_or_default(),
                second_row: rows.get(1).copied().unwrap_or_default(),
            });
        }
        Ok(())
    }

    async fn sample(&mut self, sql: &str, new: i64, cur: i64) -> Result<Vec<ChangeSample>, StoreError> {
        let rows: Vec<(Option<String>, i64)> = sqlx::query_as(sql).bind(new).bind(cur).fetch_all(&mut *self.tx).await?;
        Ok(rows
            .into_iter()
            .map(|(key, source_row)| ChangeSample { key, source_row })
            .collect())
    }

    async fn rows_of(&mut self, version_id: i64) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {} WHERE layer_version_id = $1",
            self.kind.table()
        ))
        .bind(version_id)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(n as u64)
    }

    /// Copies the served rows `s` that satisfy `filter` into the new version, each with its
    /// id: an id names the same feature in every version (OGC API Features Part 4).
    pub(crate) async fn copy_served(&mut self, cur: i64, filter: &str) -> Result<(), StoreError> {
        let table = self.kind.table();
        let cols = copy_text::columns(self.kind);
        let select = served_columns(self.kind);
        let done = sqlx::query(&format!(
            "INSERT INTO {target} ({table}_id, {cols}) SELECT s.{table}_id, $1, {select} FROM {table} s WHERE s.layer_version_id = $2 AND {filter}",
            target = self.target
        ))
        .bind(self.layer_version_id)
        .bind(cur)
        .execute(&mut *self.tx)
        .await
        .map_err(StoreError::from_write)?;
        self.count += done.rows_affected();
        Ok(())
    }
}

/// Served rows `s` whose key no row `n` of the new version (in `new_table`) has.
fn unmatched_served(new_table: &str, k: &str) -> String {
    format!("NOT EXISTS (SELECT 1 FROM {new_table} n WHERE n.layer_version_id = $1 AND n.{k} = s.{k})")
}

/// The columns of [`copy_text::columns`] after `layer_version_id`, read from `s`.
fn served_columns(kind: LayerKind) -> String {
    let mut cols = vec!["s.source_row".to_owned()];
    cols.extend(kind.fields().iter().map(|f| format!("s.{}", f.name)));
    cols.extend(["s.props".to_owned(), "s.geom".to_owned()]);
    cols.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_say_what_they_need() {
        assert_eq!("upsert".parse::<ChangeMode>(), Ok(ChangeMode::Upsert));
        assert!("merge".parse::<ChangeMode>().is_err());
        assert!(ChangeMode::Delete.needs_key() && !ChangeMode::Append.needs_key());
        assert_eq!(ChangeMode::default(), ChangeMode::Replace);
    }

    #[test]
    fn served_columns_follow_the_copy_columns() {
        let copy = copy_text::columns(LayerKind::BikeLane);
        let served = served_columns(LayerKind::BikeLane).replace("s.", "");
        assert_eq!(copy, format!("layer_version_id, {served}"));
    }
}
