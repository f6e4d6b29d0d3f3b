//! Reads for the server: the served rows its memory is built from, OGC API
//! Features items (bbox, keyset paging on `<table>_id`, property filters, datetime), and
//! API tokens.
//!
//! All dynamic SQL of the server is built here. Identifiers (tables, columns) come from
//! [`LayerKind`] — fixed by the project — never from a request; request values are always
//! bind parameters.

use chrono::NaiveDate;
use futures::TryStreamExt;
use geozero::ToGeo;
use qala_core::filter::Filter;
use qala_core::{Bbox, Feature, FieldDef, FieldType, LayerKind, Value};
use sqlx::{PgPool, Postgres, Row, Transaction};

use crate::StoreError;
use crate::filter_sql::{Bind, Sql, bind_all};

/// How long one request's database work may take.
pub const STATEMENT_TIMEOUT: &str = "10s";

/// One served row: its `<table>_id` (the OGC item id) and the feature (WGS84 geometry,
/// typed values in field order, untyped attributes).
#[derive(Debug, Clone)]
pub struct ServedRow {
    pub id: i64,
    pub feature: Feature,
}

fn id_col(kind: LayerKind) -> String {
    format!("{}_id", kind.table())
}

/// Rows per chunk handed to the consumer.
const CHUNK_ROWS: usize = 16_384;

struct RawRow {
    id: i64,
    source_row: i64,
    wkb: Vec<u8>,
    values: Vec<Value>,
    props: serde_json::Map<String, serde_json::Value>,
}

/// A chunk of served rows whose geometries are still WKB: decode them with
/// [`RawRows::decode`] on a blocking thread (millions of geometries must not hold the async
/// workers).
pub struct RawRows(Vec<RawRow>);

impl RawRows {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn decode(self) -> Result<Vec<ServedRow>, StoreError> {
        self.0
            .into_iter()
            .map(|r| {
                let geometry = geozero::wkb::Wkb(r.wkb).to_geo().map_err(StoreError::Wkb)?;
                Ok(ServedRow {
                    id: r.id,
                    feature: Feature {
                        row: u64::try_from(r.source_row).unwrap_or(0),
                        geometry,
                        values: r.values,
                        props: r.props,
                    },
                })
            })
            .collect()
    }
}

/// Sends every served row of one layer version to `tx`, in id order, in chunks: what the
/// server keeps in memory (tiles, items while the database is down) and builds its
/// indicator engine from. The consumer indexes while rows still arrive, so no layer is
/// ever held twice. Returns the number of rows sent; stops early, without error, if the
/// receiver is gone (it reports its own error).
pub async fn send_served_rows(
    pool: &PgPool,
    kind: LayerKind,
    layer_version_id: i64,
    tx: tokio::sync::mpsc::Sender<RawRows>,
) -> Result<usize, StoreError> {
    let cols: String = kind.fields().iter().map(|f| format!(", t.\"{}\"", f.name)).collect();
    let sql = format!(
        "SELECT t.{id}, t.source_row, ST_AsBinary(t.geom), t.props{cols}
         FROM {table} t WHERE t.layer_version_id = $1 ORDER BY t.{id}",
        id = id_col(kind),
        table = kind.table(),
    );
    let mut rows = sqlx::query(&sql).bind(layer_version_id).fetch(pool);
    let mut chunk = Vec::with_capacity(CHUNK_ROWS);
    let mut n = 0;
    while let Some(r) = rows.try_next().await? {
        let (values, props) = crate::read::decode_attributes(&r, kind, 3)?;
        chunk.push(RawRow {
            id: r.try_get(0)?,
            source_row: r.try_get(1)?,
            wkb: r.try_get(2)?,
            values,
            props,
        });
        n += 1;
        if chunk.len() == CHUNK_ROWS {
            let c = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK_ROWS));
            if tx.send(RawRows(c)).await.is_err() {
                return Ok(n);
            }
        }
    }
    if !chunk.is_empty() {
        let _ = tx.send(RawRows(chunk)).await;
    }
    Ok(n)
}

/// The EPSG codes items can be returned in (OGC API Features Part 2).
pub const OUTPUT_SRIDS: [i32; 3] = [4326, 3857, 32643];

/// A date interval, either end open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DateRange {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

/// One `/collections/{id}/items` request, already validated.
#[derive(Debug, Clone)]
pub struct ItemsQuery {
    pub kind: LayerKind,
    pub layer_version_id: i64,
    /// Filter box and its EPSG code.
    pub bbox: Option<(Bbox, i32)>,
    /// Keyset: only ids above this.
    pub after: Option<i64>,
    pub limit: i64,
    /// `(field, value)`: equality on the field's text form; a text list contains the value.
    pub filters: Vec<(&'static FieldDef, String)>,
    /// On the kind's first date field.
    pub datetime: Option<DateRange>,
    /// A CQL2 filter (OGC API Features Part 3), already checked against the kind.
    pub filter: Option<Filter>,
    /// EPSG code of the output geometries.
    pub srid: i32,
    /// Axis order lat/lon (EPSG:4326 as Part 2 defines it) instead of lon/lat.
    pub lat_lon: bool,
}

/// One item: id, properties (typed fields + extra attributes), GeoJSON geometry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Item {
    pub id: i64,
    pub properties: serde_json::Value,
    pub geometry: serde_json::Value,
}

/// The kind's date field that `datetime` filters on, if any.
pub fn date_field(kind: LayerKind) -> Option<&'static FieldDef> {
    kind.fields().iter().find(|f| f.ty == FieldType::Date)
}

/// The SELECT of one item: `fid`, and `properties` and `geometry` as `jsonb` or, when
/// `text`, `feature`: the whole GeoJSON Feature as the database writes it (members type,
/// id, geometry, properties), passed to clients as it is, never parsed.
fn select_item(kind: LayerKind, text: bool) -> String {
    let fields = kind.fields();
    let props = if fields.is_empty() {
        "t.props".to_owned()
    } else {
        let args: Vec<String> = fields.iter().map(|f| format!("'{0}', t.{0}", f.name)).collect();
        format!("t.props || jsonb_build_object({})", args.join(", "))
    };
    // 9 decimals of a degree is ~0.1 mm (the server's memory copy, served while the
    // database is down, agrees to the last digit); projected CRSs are in metres.
    let geometry = "ST_AsGeoJSON(CASE WHEN $3::bool THEN ST_FlipCoordinates(ST_Transform(t.geom, $2::int))
                                      ELSE ST_Transform(t.geom, $2::int) END,
                                 CASE WHEN $2::int = 4326 THEN 9 ELSE 2 END)";
    let id = id_col(kind);
    let columns = match text {
        true => format!(
            r#"'{{"type":"Feature","id":' || t.{id} || ',"geometry":' || {geometry} || ',"properties":' || ({props})::text || '}}' AS feature"#
        ),
        false => format!("{props} AS properties, {geometry}::jsonb AS geometry"),
    };
    format!("SELECT t.{id} AS fid, {columns} FROM {table} t", table = kind.table())
}

fn item(r: &sqlx::postgres::PgRow) -> Result<Item, sqlx::Error> {
    Ok(Item {
        id: r.try_get("fid")?,
        properties: r.try_get("properties")?,
        geometry: r.try_get("geometry")?,
    })
}

/// A read-only transaction for items queries. `custom_plans` for a query with a box or a
/// CQL2 filter: its envelope (and any filter geometry) is built from parameters, which a
/// generic plan of the prepared statement would build again for every row (measured: a
/// 1,000-building page 10 ms generic, 2.4 ms custom); a custom plan folds it once, and sees
/// the box's real selectivity. Planning it costs ~0.2 ms.
async fn begin(pool: &PgPool, custom_plans: bool) -> Result<Transaction<'static, Postgres>, StoreError> {
    // One round trip (constants only, no request value): the time limit; no JIT — these
    // queries take milliseconds, and compiling them took ~6 ms each (a bbox + CQL2 count:
    // 14 ms with JIT, 8 ms without); no parallel workers — starting them cost more than
    // they saved (a 1,000-feature page over 500,000 buildings: 20 ms with two, 2.5 ms
    // without; its count of 128,000 matches 112 ms with, 96 ms without).
    let plans = if custom_plans { "force_custom_plan" } else { "auto" };
    Ok(pool
        .begin_with(format!(
            "BEGIN; SET LOCAL statement_timeout = '{STATEMENT_TIMEOUT}'; SET LOCAL jit = off; \
             SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL plan_cache_mode = {plans}"
        ))
        .await?)
}

/// Whether `q`'s statements need custom plans (see [`begin`]).
fn custom_plans(q: &ItemsQuery) -> bool {
    q.bbox.is_some() || q.filter.is_some()
}

/// A lon/lat box strictly inside `b` whose single-precision bounding box (PostGIS
/// compares boxes as `float4`, each end rounded outwards by at most one step of 2^-23 of
/// its value) still lies inside `b`: a geometry whose box is inside it lies inside `b`, so
/// it intersects `b`. `None` for a box too thin to shrink.
fn inner_box(b: &Bbox) -> Option<Bbox> {
    // 2^-20 of the value: eight float4 steps; and a little more near zero.
    let margin = |v: f64| v.abs() / f64::from(1u32 << 20) + 1e-9;
    let i = Bbox {
        min_x: b.min_x + margin(b.min_x),
        min_y: b.min_y + margin(b.min_y),
        max_x: b.max_x - margin(b.max_x),
        max_y: b.max_y - margin(b.max_y),
    };
    (i.min_x < i.max_x && i.min_y < i.max_y).then_some(i)
}

/// The conditions of `q` after `WHERE t.layer_version_id = $1`, parameters numbered from
/// `offset + 1`; keyset paging (`after`) only when `paging`.
fn conditions(q: &ItemsQuery, offset: usize, paging: bool) -> Result<Sql, StoreError> {
    let mut sql = Sql::starting_after(offset);
    let id = id_col(q.kind);
    if let Some((b, srid)) = q.bbox {
        let (a, bb, c, d, s) = (
            sql.param(Bind::Float(b.min_x)),
            sql.param(Bind::Float(b.min_y)),
            sql.param(Bind::Float(b.max_x)),
            sql.param(Bind::Float(b.max_y)),
            sql.param(Bind::Int(i64::from(srid))),
        );
        let envelope = format!("ST_Transform(ST_MakeEnvelope({a}, {bb}, {c}, {d}, {s}::int), 4326)");
        match inner_box(&b).filter(|_| srid == 4326) {
            // A geometry whose box lies inside the filter box intersects it: only the
            // others need the exact (GEOS) test, the most of a bbox query's time.
            Some(i) => {
                let (ia, ib, ic, id) = (
                    sql.param(Bind::Float(i.min_x)),
                    sql.param(Bind::Float(i.min_y)),
                    sql.param(Bind::Float(i.max_x)),
                    sql.param(Bind::Float(i.max_y)),
                );
                sql.push(&format!(
                    " AND t.geom && {envelope} AND CASE WHEN ST_MakeEnvelope({ia}, {ib}, {ic}, {id}, 4326) ~ t.geom THEN TRUE ELSE ST_Intersects(t.geom, {envelope}) END"
                ));
            }
            None => sql.push(&format!(" AND ST_Intersects(t.geom, {envelope})")),
        }
    }
    if paging && let Some(a) = q.after {
        let p = sql.param(Bind::Int(a));
        sql.push(&format!(" AND t.{id} > {p}"));
    }
    for (f, v) in &q.filters {
        let p = sql.param(Bind::Text(v.clone()));
        if f.ty == FieldType::TextList {
            sql.push(&format!(" AND {p} = ANY(t.{})", f.name));
        } else {
            sql.push(&format!(" AND t.{}::text = {p}", f.name));
        }
    }
    if let (Some(range), Some(df)) = (q.datetime, date_field(q.kind)) {
        if let Some(s) = range.start {
            let p = sql.param(Bind::Date(s));
            sql.push(&format!(" AND t.{} >= {p}", df.name));
        }
        if let Some(e) = range.end {
            let p = sql.param(Bind::Date(e));
            sql.push(&format!(" AND t.{} <= {p}", df.name));
        }
    }
    if let Some(f) = &q.filter {
        let c = crate::filter_sql::condition(f, &mut sql)?;
        sql.push(&format!(" AND {c}"));
    }
    Ok(sql)
}

/// The SQL and binds of one page of items, ordered by id.
fn page_sql(q: &ItemsQuery) -> Result<(String, Sql), StoreError> {
    // $1 version, $2 output srid, $3 lat/lon order; the conditions from $4.
    let cond = conditions(q, 3, true)?;
    let limit = format!("${}", 4 + cond.binds.len());
    let sql = format!(
        "{} WHERE t.layer_version_id = $1{} ORDER BY t.{} LIMIT {limit}",
        select_item(q.kind, false),
        cond.text,
        id_col(q.kind)
    );
    Ok((sql, cond))
}

/// The SQL and binds counting every match of `q`.
fn count_sql(q: &ItemsQuery) -> Result<(String, Sql), StoreError> {
    let cond = conditions(q, 1, false)?;
    let sql = format!(
        "SELECT count(*) FROM {} t WHERE t.layer_version_id = $1{}",
        q.kind.table(),
        cond.text
    );
    Ok((sql, cond))
}

/// One page of items, ordered by id.
pub async fn items(pool: &PgPool, q: &ItemsQuery) -> Result<Vec<Item>, StoreError> {
    let (sql, cond) = page_sql(q)?;
    let query = sqlx::query(&sql).bind(q.layer_version_id).bind(q.srid).bind(q.lat_lon);
    let query = bind_all(query, &cond.binds).bind(q.limit);
    let mut tx = begin(pool, custom_plans(q)).await?;
    let rows = query.fetch_all(&mut *tx).await?;
    tx.commit().await?;
    Ok(rows.iter().map(item).collect::<Result<_, _>>()?)
}

/// A page of items as the JSON text the database wrote ([`select_item`]): the Features,
/// comma-separated, in id order.
#[derive(Debug, Clone, Default)]
pub struct ItemsJson {
    pub features: String,
    pub returned: usize,
    /// The id of the last feature: the next page's cursor.
    pub last_id: Option<i64>,
}

/// One page of items as JSON text ([`ItemsJson`]) and how many items match on every page
/// (`numberMatched`): `known` if given, else counted by the same statement. The page comes
/// as one value (`string_agg`): no per-row work here.
pub async fn items_json(pool: &PgPool, q: &ItemsQuery, known: Option<i64>) -> Result<(ItemsJson, i64), StoreError> {
    // $1 version, $2 output srid, $3 lat/lon order; the conditions from $4, shared by the
    // page and the count; then the page's cursor and limit.
    let mut cond = conditions(q, 3, false)?;
    let shared = cond.text.clone();
    let id = id_col(q.kind);
    let after = match q.after {
        Some(a) => format!(" AND t.{id} > {}", cond.param(Bind::Int(a))),
        None => String::new(),
    };
    let limit = cond.param(Bind::Int(q.limit));
    let count = match known {
        Some(_) => "NULL::bigint".to_owned(),
        None => format!(
            "(SELECT count(*) FROM {} t WHERE t.layer_version_id = $1{shared})",
            q.kind.table()
        ),
    };
    let sql = format!(
        "SELECT {count}, count(*), max(p.fid), string_agg(p.feature, ',' ORDER BY p.fid)
         FROM ({} WHERE t.layer_version_id = $1{shared}{after} ORDER BY t.{id} LIMIT {limit}) p",
        select_item(q.kind, true)
    );
    let query = sqlx::query(&sql).bind(q.layer_version_id).bind(q.srid).bind(q.lat_lon);
    let query = bind_all(query, &cond.binds);
    let mut tx = begin(pool, custom_plans(q)).await?;
    let row = query.fetch_one(&mut *tx).await?;
    tx.commit().await?;
    let counted: Option<i64> = row.try_get(0)?;
    let returned: i64 = row.try_get(1)?;
    let page = ItemsJson {
        returned: usize::try_from(returned).unwrap_or(0),
        last_id: row.try_get(2)?,
        features: row.try_get::<Option<String>, _>(3)?.unwrap_or_default(),
    };
    Ok((page, known.or(counted).unwrap_or(0)))
}

/// How many items match `q` on every page (`numberMatched`).
pub async fn items_matched(pool: &PgPool, q: &ItemsQuery) -> Result<i64, StoreError> {
    let (sql, cond) = count_sql(q)?;
    let query = bind_all(sqlx::query(&sql).bind(q.layer_version_id), &cond.binds);
    let mut tx = begin(pool, custom_plans(q)).await?;
    let n: i64 = query.fetch_one(&mut *tx).await?.try_get(0)?;
    tx.commit().await?;
    Ok(n)
}

/// One item of a served layer version, `None` if that version has no such id.
pub async fn item_by_id(
    pool: &PgPool,
    kind: LayerKind,
    layer_version_id: i64,
    fid: i64,
    srid: i32,
    lat_lon: bool,
) -> Result<Option<Item>, StoreError> {
    let sql = format!(
        "{} WHERE t.layer_version_id = $1 AND t.{} = $4",
        select_item(kind, false),
        id_col(kind)
    );
    let mut tx = begin(pool, false).await?;
    let row = sqlx::query(&sql)
        .bind(layer_version_id)
        .bind(srid)
        .bind(lat_lon)
        .bind(fid)
        .fetch_optional(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(row.as_ref().map(item).transpose()?)
}

/// The temporal extent of a layer version on its date field.
pub async fn date_extent(
    pool: &PgPool,
    kind: LayerKind,
    layer_version_id: i64,
) -> Result<Option<(Option<NaiveDate>, Option<NaiveDate>)>, StoreError> {
    let Some(df) = date_field(kind) else { return Ok(None) };
    let sql = format!(
        "SELECT min(t.{0}) AS lo, max(t.{0}) AS hi FROM {1} t WHERE t.layer_version_id = $1",
        df.name,
        kind.table()
    );
    let r = sqlx::query(&sql).bind(layer_version_id).fetch_one(pool).await?;
    Ok(Some((r.try_get("lo")?, r.try_get("hi")?)))
}

/// A stored API token (never the token itself).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenRecord {
    pub api_token_id: i64,
    pub role: String,
    pub layers: Vec<String>,
    pub label: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked: bool,
}

fn token_record(r: &sqlx::postgres::PgRow) -> Result<TokenRecord, sqlx::Error> {
    let revoked: Option<chrono::DateTime<chrono::Utc>> = r.try_get("revoked_at")?;
    Ok(TokenRecord {
        api_token_id: r.try_get("api_token_id")?,
        role: r.try_get("role")?,
        layers: r.try_get("layers")?,
        label: r.try_get("label")?,
        created_at: r.try_get("created_at")?,
        revoked: revoked.is_some(),
    })
}

const TOKEN_COLS: &str = "api_token_id, role, layers, label, created_at, revoked_at";

/// Stores a token's hash with its role and granted layers.
pub async fn create_token(
    pool: &PgPool,
    token_sha256: &str,
    role: &str,
    layers: &[String],
    label: &str,
) -> Result<TokenRecord, StoreError> {
    let r = sqlx::query(&format!(
        "INSERT INTO api_token (token_sha256, role, layers, label) VALUES ($1, $2, $3, $4) RETURNING {TOKEN_COLS}"
    ))
    .bind(token_sha256)
    .bind(role)
    .bind(layers)
    .bind(label)
    .fetch_one(pool)
    .await
    .map_err(StoreError::from_write)?;
    Ok(token_record(&r)?)
}

/// The token with this hash, revoked or not.
pub async fn find_token(pool: &PgPool, token_sha256: &str) -> Result<Option<TokenRecord>, StoreError> {
    let r = sqlx::query(&format!("SELECT {TOKEN_COLS} FROM api_token WHERE token_sha256 = $1"))
        .bind(token_sha256)
        .fetch_optional(pool)
        .await?;
    Ok(r.as_ref().map(token_record).transpose()?)
}

/// Every token, newest first.
pub async fn list_tokens(pool: &PgPool) -> Result<Vec<TokenRecord>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {TOKEN_COLS} FROM api_token ORDER BY api_token_id DESC"
    ))
    .fetch_all(pool)
    .await?;
    Ok(rows.iter().map(token_record).collect::<Result<_, _>>()?)
}

/// Revokes a token; `false` if there is no such token.
pub async fn revoke_token(pool: &PgPool, api_token_id: i64) -> Result<bool, StoreError> {
    let n = sqlx::query("UPDATE api_token SET revoked_at = coalesce(revoked_at, now()) WHERE api_token_id = $1")
        .bind(api_token_id)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(n > 0)
}

/// Features of one layer version in one tile cut by PostGIS, at most this many: the
/// database's tiles only stand in while a layer loads into memory, and must stay cheap at low
/// zooms over a million buildings.
pub const DATABASE_TILE_MAX_FEATURES: i64 = 20_000;

/// One Mapbox Vector Tile layer (named `slug`) of version `layer_version_id`, cut by PostGIS
/// (`ST_AsMVT`): what `qala serve` answers while that version is not yet in memory. The same
/// attributes as the memory's tiles: `id` (also the feature id) and the kind's typed fields
/// (dates as `YYYY-MM-DD`, lists comma-joined; nulls left out); extent 4096, buffer 64. At
/// most [`DATABASE_TILE_MAX_FEATURES`] features. Empty bytes when nothing is in the tile.
pub async fn database_tile(
    pool: &PgPool,
    kind: LayerKind,
    slug: &str,
    layer_version_id: i64,
    (z, x, y): (u32, u32, u32),
) -> Result<Vec<u8>, StoreError> {
    let cols: String = kind
        .fields()
        .iter()
        .map(|f| match f.ty {
            FieldType::Date => format!(", to_char(t.\"{0}\", 'YYYY-MM-DD') AS \"{0}\"", f.name),
            FieldType::TextList => format!(", array_to_string(t.\"{0}\", ',') AS \"{0}\"", f.name),
            _ => format!(", t.\"{0}\"", f.name),
        })
        .collect();
    let sql = format!(
        "WITH env AS (SELECT ST_TileEnvelope($1, $2, $3) AS e,
                             ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS m),
         f AS (
             SELECT t.{id} AS qala_fid, t.{id} AS id{cols},
                    ST_AsMVTGeom(ST_Transform(t.geom, 3857), env.e, 4096, 64, true) AS geom
             FROM {table} t, env
             WHERE t.layer_version_id = $4 AND t.geom && env.m
             LIMIT $5
         )
         SELECT ST_AsMVT(f, $6, 4096, 'geom', 'qala_fid') FROM f WHERE geom IS NOT NULL",
        id = id_col(kind),
        table = kind.table(),
    );
    let mut tx = begin(pool, true).await?;
    let bytes: Option<Vec<u8>> = sqlx::query_scalar(&sql)
        .bind(z as i32)
        .bind(x as i32)
        .bind(y as i32)
        .bind(layer_version_id)
        .bind(DATABASE_TILE_MAX_FEATURES)
        .bind(slug)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(bytes.unwrap_or_default())
}

/// The extent of layer version `layer_version_id` in lon/lat (`[min_x, min_y, max_x,
/// max_y]`), from PostGIS (`ST_Extent`, which reads each geometry's stored box: it holds
/// every feature, rounded outwards to float4), `None` when it has no geometry.
pub async fn version_extent(
    pool: &PgPool,
    kind: LayerKind,
    layer_version_id: i64,
) -> Result<Option<[f64; 4]>, StoreError> {
    let sql = format!(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
         FROM (SELECT ST_Extent(geom)::box3d AS e FROM {table} WHERE layer_version_id = $1) s",
        table = kind.table(),
    );
    let mut tx = begin(pool, true).await?;
    let row: (Option<f64>, Option<f64>, Option<f64>, Option<f64>) =
        sqlx::query_as(&sql).bind(layer_version_id).fetch_one(&mut *tx).await?;
    tx.commit().await?;
    Ok(match row {
        (Some(a), Some(b), Some(c), Some(d)) => Some([a, b, c, d]),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The next float4 up or down (finite, non-zero `f`).
    fn step(f: f32, up: bool) -> f32 {
        let away_from_zero = (f > 0.0) == up;
        f32::from_bits(if away_from_zero {
            f.to_bits() + 1
        } else {
            f.to_bits() - 1
        })
    }

    /// PostGIS's `next_float_down` / `next_float_up`: the float4 bound of a box end.
    fn f4_down(v: f64) -> f64 {
        let f = v as f32;
        if f64::from(f) <= v {
            f64::from(f)
        } else {
            f64::from(step(f, false))
        }
    }

    fn f4_up(v: f64) -> f64 {
        let f = v as f32;
        if f64::from(f) >= v {
            f64::from(f)
        } else {
            f64::from(step(f, true))
        }
    }

    #[test]
    fn the_inner_box_stays_inside_after_float4_rounding() {
        let boxes = [
            (76.88, 43.22, 76.98, 43.28),
            (-0.001, -0.001, 0.0, 0.0),
            (-180.0, -90.0, 180.0, 90.0),
            (179.99, 89.99, 180.0, 90.0),
            (-1e6, -89.0, 1e6, 89.0),
        ];
        for (a, b, c, d) in boxes {
            let outer = Bbox::new(a, b, c, d).unwrap();
            let i = inner_box(&outer).unwrap();
            assert!(i.min_x > a && i.min_y > b && i.max_x < c && i.max_y < d, "{i:?}");
            assert!(f4_down(i.min_x) >= a && f4_down(i.min_y) >= b, "{i:?} in {outer:?}");
            assert!(f4_up(i.max_x) <= c && f4_up(i.max_y) <= d, "{i:?} in {outer:?}");
        }
        // Too thin to shrink: the exact test alone.
        assert!(inner_box(&Bbox::new(76.9, 43.2, 76.9, 43.3).unwrap()).is_none());
        assert!(inner_box(&Bbox::new(76.9, 43.2, 76.9 + 1e-7, 43.3).unwrap()).is_none());
    }
}
