//! The layer catalogue: which layers exist, what they are, and which version each serves.

use chrono::{DateTime, Utc};
use qala_core::{LayerKind, LayerSlug};
use sqlx::{PgPool, Row};

use crate::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    Internal,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Internal => "internal",
        }
    }
}

/// What the catalogue says about a layer, apart from its versions.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LayerMeta {
    pub slug: String,
    pub kind: LayerKind,
    pub title_kk: String,
    pub title_ru: String,
    pub title_en: String,
    pub description: String,
    pub visibility: Visibility,
    pub owner: String,
    pub synthetic: bool,
    pub licence: String,
    pub attribution: String,
}

impl LayerMeta {
    /// A public, non-synthetic layer whose titles are all `title` until someone translates them.
    pub fn new(slug: &LayerSlug, kind: LayerKind, title: &str) -> Self {
        LayerMeta {
            slug: slug.to_string(),
            kind,
            title_kk: title.to_owned(),
            title_ru: title.to_owned(),
            title_en: title.to_owned(),
            description: String::new(),
            visibility: Visibility::Public,
            owner: "qala".to_owned(),
            synthetic: false,
            licence: String::new(),
            attribution: String::new(),
        }
    }
}

/// One row of `qala layers`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LayerSummary {
    pub layer_id: i64,
    pub slug: String,
    pub kind: String,
    pub title_kk: String,
    pub title_ru: String,
    pub title_en: String,
    pub description: String,
    pub visibility: String,
    pub owner: String,
    pub synthetic: bool,
    pub licence: String,
    pub attribution: String,
    /// Version number served now; `None` for a layer never loaded.
    pub version: Option<i32>,
    pub layer_version_id: Option<i64>,
    pub feature_count: i64,
    pub updated_at: Option<DateTime<Utc>>,
}

/// One row of a layer's history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct VersionSummary {
    pub layer_version_id: i64,
    pub version: i32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub source_name: String,
    pub source_sha256: String,
    pub source_crs: String,
    pub feature_count: i64,
    pub status: String,
    pub current: bool,
    /// What the version's file changed, for versions made by a change set or a replace
    /// that recorded it (older versions have none).
    pub change: Option<VersionChange>,
}

/// The counts of a version's change set, as its report keeps them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionChange {
    pub mode: String,
    pub added: i64,
    pub changed: i64,
    pub removed: i64,
}

/// Creates the layer if it does not exist, or updates its descriptive fields if it does.
/// The kind of an existing layer never changes. Returns the layer id.
pub async fn ensure_layer(pool: &PgPool, meta: &LayerMeta) -> Result<i64, StoreError> {
    let mut tx = pool.begin().await?;
    let existing = sqlx::query("SELECT layer_id, kind FROM layer WHERE slug = $1 FOR UPDATE")
        .bind(&meta.slug)
        .fetch_optional(&mut *tx)
        .await?;
    let id = match existing {
        Some(row) => {
            let kind: String = row.get("kind");
            if kind != meta.kind.name() {
                return Err(StoreError::KindMismatch {
                    slug: meta.slug.clone(),
                    existing: kind,
                    requested: meta.kind.name().to_owned(),
                });
            }
            let id: i64 = row.get("layer_id");
            sqlx::query(
                "UPDATE layer SET title_kk = $2, title_ru = $3, title_en = $4, description = $5,
                 visibility = $6, owner = $7, synthetic = $8, licence = $9, attribution = $10
                 WHERE layer_id = $1",
            )
            .bind(id)
            .bind(&meta.title_kk)
            .bind(&meta.title_ru)
            .bind(&meta.title_en)
            .bind(&meta.description)
            .bind(meta.visibility.as_str())
            .bind(&meta.owner)
            .bind(meta.synthetic)
            .bind(&meta.licence)
            .bind(&meta.attribution)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from_write)?;
            id
        }
        None => insert_layer(&mut tx, meta).await?,
    };
    tx.commit().await?;
    Ok(id)
}

/// Adds a catalogue entry (in the caller's transaction) and returns its id.
pub(crate) async fn insert_layer(conn: &mut sqlx::PgConnection, meta: &LayerMeta) -> Result<i64, StoreError> {
    sqlx::query_scalar(
        "INSERT INTO layer (slug, kind, title_kk, title_ru, title_en, description, visibility,
                            owner, synthetic, licence, attribution)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING layer_id",
    )
    .bind(&meta.slug)
    .bind(meta.kind.name())
    .bind(&meta.title_kk)
    .bind(&meta.title_ru)
    .bind(&meta.title_en)
    .bind(&meta.description)
    .bind(meta.visibility.as_str())
    .bind(&meta.owner)
    .bind(meta.synthetic)
    .bind(&meta.licence)
    .bind(&meta.attribution)
    .fetch_one(conn)
    .await
    .map_err(StoreError::from_write)
}

const SUMMARY_SQL: &str = "
    SELECT l.layer_id, l.slug, l.kind, l.title_kk, l.title_ru, l.title_en, l.description,
           l.visibility, l.owner, l.synthetic, l.licence, l.attribution,
           v.version, v.layer_version_id, COALESCE(v.feature_count, 0) AS feature_count,
           v.created_at AS updated_at
    FROM layer l LEFT JOIN layer_version v ON v.layer_version_id = l.current_version_id";

fn summary(row: &sqlx::postgres::PgRow) -> LayerSummary {
    LayerSummary {
        layer_id: row.get("layer_id"),
        slug: row.get("slug"),
        kind: row.get("kind"),
        title_kk: row.get("title_kk"),
        title_ru: row.get("title_ru"),
        title_en: row.get("title_en"),
        description: row.get("description"),
        visibility: row.get("visibility"),
        owner: row.get("owner"),
        synthetic: row.get("synthetic"),
        licence: row.get("licence"),
        attribution: row.get("attribution"),
        version: row.get("version"),
        layer_version_id: row.get("layer_version_id"),
        feature_count: row.get("feature_count"),
        updated_at: row.get("updated_at"),
    }
}

/// Every layer, ordered by slug.
pub async fn list_layers(pool: &PgPool) -> Result<Vec<LayerSummary>, StoreError> {
    let rows = sqlx::query(&format!("{SUMMARY_SQL} ORDER BY l.slug"))
        .fetch_all(pool)
        .await?;
    Ok(rows.iter().map(summary).collect())
}

/// One layer by slug.
pub async fn get_layer(pool: &PgPool, slug: &str) -> Result<LayerSummary, StoreError> {
    let row = sqlx::query(&format!("{SUMMARY_SQL} WHERE l.slug = $1"))
        .bind(slug)
        .fetch_optional(pool)
        .await?;
    row.as_ref()
        .map(summary)
        .ok_or_else(|| StoreError::LayerNotFound(slug.to_owned()))
}

/// A layer's history, newest first.
pub async fn list_versions(pool: &PgPool, slug: &str) -> Result<Vec<VersionSummary>, StoreError> {
    let layer = get_layer(pool, slug).await?;
    let rows = sqlx::query(
        "SELECT layer_version_id, version, created_by, created_at, source_name, source_sha256,
                source_crs, feature_count, status, report #>> '{change,mode}' AS change_mode,
                COALESCE((report #>> '{change,added}')::bigint, 0) AS added,
                COALESCE((report #>> '{change,changed}')::bigint, 0) AS changed,
                COALESCE((report #>> '{change,removed}')::bigint, 0) AS removed
         FROM layer_version WHERE layer_id = $1 ORDER BY version DESC",
    )
    .bind(layer.layer_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let id: i64 = r.get("layer_version_id");
            VersionSummary {
                layer_version_id: id,
                version: r.get("version"),
                created_by: r.get("created_by"),
                created_at: r.get("created_at"),
                source_name: r.get("source_name"),
                source_sha256: r.get("source_sha256"),
                source_crs: r.get("source_crs"),
                feature_count: r.get("feature_count"),
                status: r.get("status"),
                current: layer.layer_version_id == Some(id),
                change: r.get::<Option<String>, _>("change_mode").map(|mode| VersionChange {
                    mode,
                    added: r.get("added"),
                    changed: r.get("changed"),
                    removed: r.get("removed"),
                }),
            }
        })
        .collect())
}

/// Serves an older (or newer) ready version of a layer again. Nothing is deleted.
pub async fn rollback(pool: &PgPool, slug: &str, version: i32) -> Result<VersionSummary, StoreError> {
    let mut tx = pool.begin().await?;
    let target: Option<i64> = sqlx::query_scalar(
        "SELECT v.layer_version_id FROM layer_version v JOIN layer l USING (layer_id)
         WHERE l.slug = $1 AND v.version = $2 AND v.status = 'ready'",
    )
    .bind(slug)
    .bind(version)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(target) = target else {
        get_layer(pool, slug).await?;
        return Err(StoreError::VersionNotFound {
            slug: slug.to_owned(),
            version,
        });
    };
    sqlx::query("UPDATE layer SET current_version_id = $2 WHERE slug = $1")
        .bind(slug)
        .bind(target)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    list_versions(pool, slug)
        .await?
        .into_iter()
        .find(|v| v.layer_version_id == target)
        .ok_or_else(|| StoreError::VersionNotFound {
            slug: slug.to_owned(),
            version,
        })
}
