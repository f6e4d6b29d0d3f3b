//! Reads for the spatial engine: the served rows of layers as plain geo types (WGS84
//! lon/lat) with the kind's typed values, and the version signals that tell the engine to
//! rebuild (`qala_layer_version` NOTIFY, or a version check).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use futures::TryStreamExt;
use geozero::ToGeo;
use qala_core::{Feature, FieldType, LayerKind, Value};
use sqlx::postgres::{PgListener, PgRow};
use sqlx::{PgPool, Postgres, Row, Transaction};

use crate::StoreError;

/// The NOTIFY channel a layer version switch is announced on (see migration 0002).
pub const LAYER_VERSION_CHANNEL: &str = "qala_layer_version";

/// One layer's served rows.
#[derive(Debug, Clone)]
pub struct ServedLayer {
    pub slug: String,
    pub kind: LayerKind,
    pub layer_version_id: i64,
    /// In source-row order. `Feature::values` follow `kind.fields()`; `props` holds the
    /// untyped attributes.
    pub features: Vec<Feature>,
}

/// slug -> (kind, served layer_version_id) of every layer that serves a version.
pub async fn served_versions(pool: &PgPool) -> Result<BTreeMap<String, (LayerKind, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT slug, kind, current_version_id FROM layer WHERE current_version_id IS NOT NULL ORDER BY slug",
    )
    .fetch_all(pool)
    .await?;
    let mut out = BTreeMap::new();
    for r in rows {
        let kind: String = r.try_get("kind")?;
        // The kind column has a CHECK listing exactly the kinds; an unknown one is a bug.
        let Ok(kind) = kind.parse::<LayerKind>() else { continue };
        out.insert(r.try_get("slug")?, (kind, r.try_get("current_version_id")?));
    }
    Ok(out)
}

/// Reads every served layer whose kind is in `kinds` (all kinds when `None`), in one
/// REPEATABLE READ transaction so that no layer switches version half-way.
pub async fn read_served_layers(pool: &PgPool, kinds: Option<&[LayerKind]>) -> Result<Vec<ServedLayer>, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await?;
    let rows = sqlx::query(
        "SELECT slug, kind, current_version_id FROM layer WHERE current_version_id IS NOT NULL ORDER BY slug",
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let kind: String = r.try_get("kind")?;
        let Ok(kind) = kind.parse::<LayerKind>() else { continue };
        if kinds.is_some_and(|ks| !ks.contains(&kind)) {
            continue;
        }
        let slug: String = r.try_get("slug")?;
        let version: i64 = r.try_get("current_version_id")?;
        let features = read_version(&mut tx, kind, version).await?;
        out.push(ServedLayer {
            slug,
            kind,
            layer_version_id: version,
            features,
        });
    }
    tx.commit().await?;
    Ok(out)
}

/// Reads one served layer by slug.
pub async fn read_layer(pool: &PgPool, slug: &str) -> Result<ServedLayer, StoreError> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query("SELECT kind, current_version_id FROM layer WHERE slug = $1")
        .bind(slug)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::LayerNotFound(slug.to_owned()))?;
    let kind: String = row.try_get("kind")?;
    let kind = kind
        .parse::<LayerKind>()
        .map_err(|_| StoreError::LayerNotFound(slug.to_owned()))?;
    let version: Option<i64> = row.try_get("current_version_id")?;
    let version = version.ok_or_else(|| StoreError::LayerNotFound(slug.to_owned()))?;
    let features = read_version(&mut tx, kind, version).await?;
    tx.commit().await?;
    Ok(ServedLayer {
        slug: slug.to_owned(),
        kind,
        layer_version_id: version,
        features,
    })
}

/// The SQL reading one version's rows: source_row, WKB geometry, props, then the typed
/// columns in field order. Table and column names come from `LayerKind`, never a user.
fn select_sql(kind: LayerKind) -> String {
    let cols: String = kind.fields().iter().map(|f| format!(", \"{}\"", f.name)).collect();
    format!(
        "SELECT source_row, ST_AsBinary(geom) AS wkb, props{cols} FROM {} \
         WHERE layer_version_id = $1 ORDER BY source_row",
        kind.table()
    )
}

async fn read_version(
    tx: &mut Transaction<'static, Postgres>,
    kind: LayerKind,
    layer_version_id: i64,
) -> Result<Vec<Feature>, StoreError> {
    let sql = select_sql(kind);
    let mut stream = sqlx::query(&sql).bind(layer_version_id).fetch(&mut **tx);
    let mut out = Vec::new();
    while let Some(row) = stream.try_next().await? {
        out.push(decode(&row, kind)?);
    }
    Ok(out)
}

fn decode(row: &PgRow, kind: LayerKind) -> Result<Feature, StoreError> {
    let source_row: i64 = row.try_get(0)?;
    let wkb: Vec<u8> = row.try_get(1)?;
    let geometry = geozero::wkb::Wkb(wkb).to_geo().map_err(StoreError::Wkb)?;
    let (values, props) = decode_attributes(row, kind, 2)?;
    Ok(Feature {
        row: u64::try_from(source_row).unwrap_or(0),
        geometry,
        values,
        props,
    })
}

/// The `props` column at `first`, then the kind's typed columns in field order.
pub(crate) fn decode_attributes(
    row: &PgRow,
    kind: LayerKind,
    first: usize,
) -> Result<(Vec<Value>, serde_json::Map<String, serde_json::Value>), StoreError> {
    let props: serde_json::Value = row.try_get(first)?;
    let props = match props {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    let mut values = Vec::with_capacity(kind.fields().len());
    for (i, f) in kind.fields().iter().enumerate() {
        let c = i + first + 1;
        let v = match f.ty {
            FieldType::Text => row.try_get::<Option<String>, _>(c)?.map(Value::Text),
            FieldType::Int => row.try_get::<Option<i64>, _>(c)?.map(Value::Int),
            FieldType::Float => row.try_get::<Option<f64>, _>(c)?.map(Value::Float),
            FieldType::Bool => row.try_get::<Option<bool>, _>(c)?.map(Value::Bool),
            FieldType::Date => row.try_get::<Option<NaiveDate>, _>(c)?.map(Value::Date),
            FieldType::TextList => row.try_get::<Option<Vec<String>>, _>(c)?.map(Value::TextList),
        };
        values.push(v.unwrap_or(Value::Null));
    }
    Ok((values, props))
}

/// A layer switched the version it serves.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct VersionChange {
    pub slug: String,
    pub kind: String,
    pub layer_version_id: Option<i64>,
}

/// Listens on [`LAYER_VERSION_CHANNEL`]. Reconnects by itself if the connection drops
/// (sqlx re-LISTENs); a dropped notification is why callers should also compare
/// [`served_versions`] with what they hold after a reconnect.
pub struct VersionListener {
    listener: PgListener,
}

impl VersionListener {
    pub async fn connect(pool: &PgPool) -> Result<VersionListener, StoreError> {
        let mut listener = PgListener::connect_with(pool).await?;
        listener.listen(LAYER_VERSION_CHANNEL).await?;
        Ok(VersionListener { listener })
    }

    /// Waits for the next switch. Payloads that do not parse are skipped.
    pub async fn next(&mut self) -> Result<VersionChange, StoreError> {
        loop {
            let n = self.listener.recv().await?;
            if let Ok(change) = serde_json::from_str::<VersionChange>(n.payload()) {
                return Ok(change);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_names_every_typed_column_in_field_order() {
        let sql = select_sql(LayerKind::TreeFelling);
        assert!(sql.starts_with("SELECT source_row, ST_AsBinary(geom) AS wkb, props, \"permit_no\""));
        assert!(sql.contains("FROM tree_felling WHERE layer_version_id = $1"));
    }
}
