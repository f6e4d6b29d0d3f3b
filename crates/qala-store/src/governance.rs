//! Governed indicator inputs (migration 0400): definitions with every version kept, the
//! city's binding of layers to input roles with its history, and published editions.
//!
//! The store keeps definitions and bindings as JSON; what they mean is the engine's business
//! (the store does not depend on the engine).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value as Json;
use sqlx::{PgPool, Row};

use crate::StoreError;

/// The NOTIFY channel a definition or binding change is announced on, so that every
/// `qala serve` recomputes with what is in force.
pub const GOVERNANCE_CHANNEL: &str = "qala_governance";

async fn announce(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, what: &str) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(GOVERNANCE_CHANNEL)
        .bind(what)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// One stored definition version.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DefinitionRow {
    pub indicator_id: String,
    pub version: i32,
    pub definition: Json,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

fn definition_row(r: &sqlx::postgres::PgRow) -> Result<DefinitionRow, StoreError> {
    Ok(DefinitionRow {
        indicator_id: r.try_get("indicator_id")?,
        version: r.try_get("version")?,
        definition: r.try_get("definition")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

/// The version in force of every definition, by id.
pub async fn current_definitions(pool: &PgPool) -> Result<Vec<DefinitionRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT DISTINCT ON (indicator_id) indicator_id, version, definition, created_by, created_at
         FROM indicator_definition ORDER BY indicator_id, version DESC",
    )
    .fetch_all(pool)
    .await?;
    rows.iter().map(definition_row).collect()
}

/// Every version of one definition, newest first.
pub async fn definition_history(pool: &PgPool, id: &str) -> Result<Vec<DefinitionRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT indicator_id, version, definition, created_by, created_at
         FROM indicator_definition WHERE indicator_id = $1 ORDER BY version DESC",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    rows.iter().map(definition_row).collect()
}

/// The definitions `pins` names (id → version), as stored.
pub async fn definitions_at(pool: &PgPool, pins: &BTreeMap<String, i32>) -> Result<Vec<Json>, StoreError> {
    let mut out = Vec::with_capacity(pins.len());
    for (id, v) in pins {
        let d: Option<Json> =
            sqlx::query_scalar("SELECT definition FROM indicator_definition WHERE indicator_id = $1 AND version = $2")
                .bind(id)
                .bind(v)
                .fetch_optional(pool)
                .await?;
        out.push(d.ok_or_else(|| StoreError::DefinitionNotStored {
            id: id.clone(),
            version: *v,
        })?);
    }
    Ok(out)
}

/// What storing a set of definitions did to one id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DefinitionChange {
    pub indicator_id: String,
    /// The version in force afterwards.
    pub version: i32,
    /// `created` (first version), `new_version` (what is counted changed: the measure, its
    /// parameters, the unit, a norm), `new_wording` (only the words changed: names,
    /// explanations, references, norm variants' names and sources — the figures stay the
    /// same) or `unchanged`.
    pub outcome: &'static str,
}

/// Stores each definition whose JSON differs from the version in force as a new version
/// (numbered by the store; the JSON's own `version` is set to it). All or nothing.
/// `definitions` are `(id, definition)`; ids are assumed checked by the caller.
///
/// A change of wording only (a translation, a corrected citation) is a new version too, and
/// said so (`new_wording`): a stored version is never edited, because an edition pins it and
/// its results carry the definition's text byte for byte.
pub async fn store_definitions(
    pool: &PgPool,
    definitions: &[(String, Json)],
    by: &str,
) -> Result<Vec<DefinitionChange>, StoreError> {
    let mut tx = pool.begin().await?;
    // One writer at a time, so two loads cannot both make "version 2".
    sqlx::query("LOCK TABLE indicator_definition IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    let mut out = Vec::with_capacity(definitions.len());
    for (id, def) in definitions {
        let cur: Option<(i32, Json)> = sqlx::query_as(
            "SELECT version, definition FROM indicator_definition WHERE indicator_id = $1
             ORDER BY version DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let same = |stored: &Json| strip_version(stored) == strip_version(def);
        let same_measure = |stored: &Json| strip_wording(stored) == strip_wording(def);
        let (version, outcome) = match &cur {
            Some((v, stored)) if same(stored) => (*v, "unchanged"),
            Some((v, stored)) if same_measure(stored) => (v + 1, "new_wording"),
            Some((v, _)) => (v + 1, "new_version"),
            None => (1, "created"),
        };
        if outcome != "unchanged" {
            let mut def = def.clone();
            if let Some(o) = def.as_object_mut() {
                o.insert("version".into(), Json::from(version));
            }
            sqlx::query(
                "INSERT INTO indicator_definition (indicator_id, version, definition, created_by)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(version)
            .bind(&def)
            .bind(by)
            .execute(&mut *tx)
            .await?;
        }
        out.push(DefinitionChange {
            indicator_id: id.clone(),
            version,
            outcome,
        });
    }
    if out.iter().any(|c| c.outcome != "unchanged") {
        announce(&mut tx, "definitions").await?;
    }
    tx.commit().await?;
    Ok(out)
}

/// Stores the shipped definitions (`definitions`: the file's JSON array) as version 1 when
/// the table is empty; `qala db migrate` calls this, so every database has definitions.
pub async fn seed_definitions(pool: &PgPool, definitions: &str) -> Result<usize, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM indicator_definition")
        .fetch_one(pool)
        .await?;
    if n > 0 {
        return Ok(0);
    }
    let defs: Vec<Json> = serde_json::from_str(definitions).map_err(StoreError::ShippedDefinitions)?;
    let rows: Vec<(String, Json)> = defs
        .into_iter()
        .filter_map(|d| Some((d.get("id")?.as_str()?.to_owned(), d)))
        .collect();
    Ok(store_definitions(pool, &rows, "qala (shipped definitions)")
        .await?
        .len())
}

fn strip_version(d: &Json) -> Json {
    let mut d = d.clone();
    if let Some(o) = d.as_object_mut() {
        o.remove("version");
    }
    d
}

/// What a definition counts and judges by: without its version and its words (names,
/// explanations, references, and the names and sources of its norm variants).
fn strip_wording(d: &Json) -> Json {
    const WORDS: [&str; 6] = [
        "names",
        "description",
        "descriptions",
        "reference",
        "references",
        "version",
    ];
    let mut d = d.clone();
    if let Some(o) = d.as_object_mut() {
        for k in WORDS {
            o.remove(k);
        }
        for v in o
            .get_mut("norm_variants")
            .and_then(Json::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(v) = v.as_object_mut() {
                for k in ["names", "source", "sources"] {
                    v.remove(k);
                }
            }
        }
    }
    d
}

/// One binding row: a role's layers from `changed_at` on.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BindingRow {
    pub input_binding_id: i64,
    pub role: String,
    pub layers: Json,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
    pub note: String,
}

fn binding_row(r: &sqlx::postgres::PgRow) -> Result<BindingRow, StoreError> {
    Ok(BindingRow {
        input_binding_id: r.try_get("input_binding_id")?,
        role: r.try_get("role")?,
        layers: r.try_get("layers")?,
        changed_by: r.try_get("changed_by")?,
        changed_at: r.try_get("changed_at")?,
        note: r.try_get("note")?,
    })
}

/// The binding in force of every bound role.
pub async fn current_bindings(pool: &PgPool) -> Result<Vec<BindingRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT DISTINCT ON (role) input_binding_id, role, layers, changed_by, changed_at, note
         FROM input_binding ORDER BY role, input_binding_id DESC",
    )
    .fetch_all(pool)
    .await?;
    rows.iter().map(binding_row).collect()
}

/// Every binding of `role` (all roles when `None`), newest first.
pub async fn binding_history(pool: &PgPool, role: Option<&str>) -> Result<Vec<BindingRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT input_binding_id, role, layers, changed_by, changed_at, note FROM input_binding
         WHERE $1::text IS NULL OR role = $1 ORDER BY input_binding_id DESC",
    )
    .bind(role)
    .fetch_all(pool)
    .await?;
    rows.iter().map(binding_row).collect()
}

/// Binds `role` to `layers` (already checked by the caller against the roles and the
/// catalogue) unless that is the binding in force already. Returns whether it changed.
pub async fn bind(pool: &PgPool, role: &str, layers: &Json, by: &str, note: &str) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("LOCK TABLE input_binding IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    let cur: Option<Json> =
        sqlx::query_scalar("SELECT layers FROM input_binding WHERE role = $1 ORDER BY input_binding_id DESC LIMIT 1")
            .bind(role)
            .fetch_optional(&mut *tx)
            .await?;
    if cur.as_ref() == Some(layers) {
        return Ok(false);
    }
    sqlx::query("INSERT INTO input_binding (role, layers, changed_by, note) VALUES ($1, $2, $3, $4)")
        .bind(role)
        .bind(layers)
        .bind(by)
        .bind(note)
        .execute(&mut *tx)
        .await?;
    announce(&mut tx, role).await?;
    tx.commit().await?;
    Ok(true)
}

/// The served version of each slug, refusing a slug whose newest version is still loading
/// (an edition must not pin a version that is about to be replaced).
pub async fn served_versions_for_publish(pool: &PgPool, slugs: &[String]) -> Result<BTreeMap<String, i64>, StoreError> {
    let mut out = BTreeMap::new();
    for slug in slugs {
        let row = sqlx::query(
            "SELECT l.current_version_id,
                    EXISTS (SELECT 1 FROM layer_version v WHERE v.layer_id = l.layer_id AND v.status = 'loading') AS loading
             FROM layer l WHERE l.slug = $1",
        )
        .bind(slug)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| StoreError::LayerNotFound(slug.clone()))?;
        if row.try_get::<bool, _>("loading")? {
            return Err(StoreError::LayerLoading(slug.clone()));
        }
        if let Some(v) = row.try_get::<Option<i64>, _>("current_version_id")? {
            out.insert(slug.clone(), v);
        }
    }
    Ok(out)
}

/// The kind of each pinned layer version (slug → layer_version_id), checking each is a
/// ready version of that layer (served or not: old versions are kept).
pub async fn pinned_kinds(
    pool: &PgPool,
    pins: &BTreeMap<String, i64>,
) -> Result<BTreeMap<String, (qala_core::LayerKind, i64)>, StoreError> {
    let mut out = BTreeMap::new();
    for (slug, &v) in pins {
        let kind: Option<String> = sqlx::query_scalar(
            "SELECT l.kind FROM layer l JOIN layer_version v ON v.layer_id = l.layer_id
             WHERE l.slug = $1 AND v.layer_version_id = $2 AND v.status = 'ready'",
        )
        .bind(slug)
        .bind(v)
        .fetch_optional(pool)
        .await?;
        let kind = kind
            .and_then(|k| k.parse().ok())
            .ok_or_else(|| StoreError::VersionNotFound {
                slug: slug.clone(),
                version: i32::try_from(v).unwrap_or(i32::MAX),
            })?;
        out.insert(slug.clone(), (kind, v));
    }
    Ok(out)
}

/// An edition as stored.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EditionRow {
    pub edition_id: i64,
    pub title: String,
    pub published_by: String,
    pub published_at: DateTime<Utc>,
    pub as_of: NaiveDate,
    pub pins: Json,
    pub results_sha256: String,
    /// `None` in listings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub results: Option<Json>,
}

/// What a new edition holds.
#[derive(Debug, Clone)]
pub struct NewEdition<'a> {
    pub title: &'a str,
    pub published_by: &'a str,
    pub as_of: NaiveDate,
    pub pins: &'a Json,
    pub results: &'a Json,
    pub results_sha256: &'a str,
}

pub async fn insert_edition(pool: &PgPool, e: &NewEdition<'_>) -> Result<i64, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO indicator_edition (title, published_by, as_of, pins, results, results_sha256)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING edition_id",
    )
    .bind(e.title)
    .bind(e.published_by)
    .bind(e.as_of)
    .bind(e.pins)
    .bind(e.results)
    .bind(e.results_sha256)
    .fetch_one(pool)
    .await?;
    Ok(id)
}

fn edition_row(r: &sqlx::postgres::PgRow, with_results: bool) -> Result<EditionRow, StoreError> {
    Ok(EditionRow {
        edition_id: r.try_get("edition_id")?,
        title: r.try_get("title")?,
        published_by: r.try_get("published_by")?,
        published_at: r.try_get("published_at")?,
        as_of: r.try_get("as_of")?,
        pins: r.try_get("pins")?,
        results_sha256: r.try_get("results_sha256")?,
        results: if with_results {
            Some(r.try_get("results")?)
        } else {
            None
        },
    })
}

/// Every edition, newest first, without results.
pub async fn editions(pool: &PgPool) -> Result<Vec<EditionRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT edition_id, title, published_by, published_at, as_of, pins, results_sha256
         FROM indicator_edition ORDER BY edition_id DESC",
    )
    .fetch_all(pool)
    .await?;
    rows.iter().map(|r| edition_row(r, false)).collect()
}

/// One edition with its results; `None` = the latest.
pub async fn edition(pool: &PgPool, id: Option<i64>) -> Result<EditionRow, StoreError> {
    let row = sqlx::query(
        "SELECT edition_id, title, published_by, published_at, as_of, pins, results, results_sha256
         FROM indicator_edition WHERE $1::bigint IS NULL OR edition_id = $1
         ORDER BY edition_id DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    match row {
        Some(r) => edition_row(&r, true),
        None => Err(id.map_or(StoreError::NoEdition, StoreError::EditionNotFound)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn wording_is_names_explanations_references_and_norm_sources() {
        let a = json!({"id": "x", "version": 1, "names": {"en": "X"}, "description": "d", "unit": "m",
            "norm": {"at_least": 1.0}, "reference": "r",
            "norm_variants": [{"id": "n", "norm": {"at_least": 1.0}, "names": {"en": "N"}, "source": "s"}]});
        let mut b = a.clone();
        b["version"] = json!(4);
        b["descriptions"] = json!({"kk": "д", "ru": "д", "en": "d"});
        b["references"] = json!({"kk": "р", "ru": "р", "en": "r"});
        b["norm_variants"][0]["sources"] = json!({"kk": "с", "ru": "с", "en": "s"});
        b["norm_variants"][0]["source"] = json!("a better citation");
        assert_eq!(super::strip_wording(&a), super::strip_wording(&b));
        assert_ne!(super::strip_version(&a), super::strip_version(&b));
        for (path, v) in [("unit", json!("km")), ("norm", json!({"at_most": 1.0}))] {
            let mut c = a.clone();
            c[path] = v;
            assert_ne!(super::strip_wording(&a), super::strip_wording(&c), "{path}");
        }
        let mut c = a.clone();
        c["norm_variants"][0]["norm"] = json!({"at_least": 2.0});
        assert_ne!(super::strip_wording(&a), super::strip_wording(&c));
    }
}
