//! Residents' proposals (migration 0500): submissions, the public lifecycle, moderation with
//! its log, "me too" supports, and the synthetic set.
//!
//! The store decides nothing about HTTP: refusals come back as [`Refusal`] values, and the
//! server gives them their codes. Contact and client hash are read only by the functions
//! that need them; [`ProposalRow`] carries the contact for moderators, and the server's
//! public rendering leaves it out.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};

use crate::StoreError;

/// The public lifecycle, in order. `declined` may follow any of the first three.
pub const STATUSES: &[&str] = &["received", "under_review", "accepted", "in_plan", "done", "declined"];

/// Whether the lifecycle allows `from` → `to`: one step forward (received → under_review →
/// accepted → in_plan → done), or declined from any status before in_plan.
///
/// ```
/// use qala_store::proposal::transition_allowed;
/// assert!(transition_allowed("received", "under_review"));
/// assert!(transition_allowed("under_review", "declined"));
/// assert!(!transition_allowed("received", "done"));
/// assert!(!transition_allowed("declined", "accepted"));
/// ```
pub fn transition_allowed(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("received", "under_review")
            | ("under_review", "accepted")
            | ("accepted", "in_plan")
            | ("in_plan", "done")
            | ("received" | "under_review" | "accepted", "declined")
    )
}

/// A category of proposals with its names.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Category {
    pub code: String,
    pub name_kk: String,
    pub name_ru: String,
    pub name_en: String,
}

/// The categories, in their order.
pub async fn categories(pool: &PgPool) -> Result<Vec<Category>, StoreError> {
    let rows = sqlx::query("SELECT code, name_kk, name_ru, name_en FROM proposal_category ORDER BY sort_order, code")
        .fetch_all(pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Category {
                code: r.try_get("code")?,
                name_kk: r.try_get("name_kk")?,
                name_ru: r.try_get("name_ru")?,
                name_en: r.try_get("name_en")?,
            })
        })
        .collect()
}

/// The salt of client hashes of this database.
pub async fn salt(pool: &PgPool) -> Result<String, StoreError> {
    Ok(sqlx::query_scalar("SELECT salt FROM proposal_salt")
        .fetch_one(pool)
        .await?)
}

/// Whether a GeoJSON geometry parses and lies inside the city: `Ok(None)` when PostGIS cannot
/// read it, `Ok(Some(None))` when no city boundary (nor districts) is loaded.
pub async fn inside_city(pool: &PgPool, geojson: &str) -> Result<Option<Option<bool>>, StoreError> {
    let parsed: Option<bool> = sqlx::query_scalar(
        "SELECT CASE WHEN ST_IsValid(g) AND NOT ST_IsEmpty(g) THEN true ELSE false END
         FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g) s",
    )
    .bind(geojson)
    .fetch_optional(pool)
    .await
    .ok()
    .flatten();
    if parsed != Some(true) {
        return Ok(None);
    }
    // The city boundary if one is served, else the union of the districts.
    let inside: Option<bool> = sqlx::query_scalar(
        "WITH g AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1), 4326) AS g),
              b AS (SELECT geom FROM city_boundary_current),
              d AS (SELECT geom FROM district_current)
         SELECT CASE
             WHEN EXISTS (SELECT 1 FROM b) THEN EXISTS (SELECT 1 FROM b, g WHERE ST_Covers(b.geom, g.g))
             WHEN EXISTS (SELECT 1 FROM d) THEN (SELECT ST_Covers(ST_Union(d.geom), g.g) FROM d, g GROUP BY g.g)
             ELSE NULL END",
    )
    .bind(geojson)
    .fetch_one(pool)
    .await?;
    Ok(Some(inside))
}

/// Proposals of `category` within `radius_m` of the geometry that are public, or pending
/// from the same client: candidates for near-duplicates, (id, text). `radius_m` up to 800.
pub async fn nearby(
    pool: &PgPool,
    geojson: &str,
    category: &str,
    radius_m: f64,
    client_hash: &str,
) -> Result<Vec<(i64, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT proposal_id, body FROM proposal
         WHERE category = $2 AND (moderation = 'approved' OR (moderation = 'pending' AND client_hash = $4))
           -- the bounding-box test uses the GiST index (the geography test alone cannot):
           -- 0.01 degrees is over 800 m at Almaty's latitude, more than any radius asked for
           AND geom && ST_Expand(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), 0.01)
           AND ST_DWithin(geom::geography, ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)::geography, $3)
         ORDER BY proposal_id LIMIT 200",
    )
    .bind(geojson)
    .bind(category)
    .bind(radius_m)
    .bind(client_hash)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("proposal_id")?, r.try_get("body")?)))
        .collect()
}

/// A proposal to store.
#[derive(Debug, Clone)]
pub struct NewProposal {
    pub geojson: String,
    pub category: String,
    pub body: String,
    pub photo: Option<(Vec<u8>, String)>,
    pub contact: Option<String>,
    pub client_hash: String,
    pub synthetic: bool,
    /// Only for the synthetic set: its moderation and status.
    pub moderation: String,
    pub status: String,
    pub public_answer: Option<String>,
    pub decline_reason: Option<String>,
}

/// Stores one proposal; returns its id.
pub async fn insert(pool: &PgPool, p: &NewProposal) -> Result<i64, StoreError> {
    let (photo, mime) = match &p.photo {
        Some((b, m)) => (Some(b.as_slice()), Some(m.as_str())),
        None => (None, None),
    };
    let id = sqlx::query_scalar(
        "INSERT INTO proposal (geom, category, body, photo, photo_mime, contact, client_hash, synthetic,
                               moderation, status, public_answer, decline_reason)
         VALUES (ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING proposal_id",
    )
    .bind(&p.geojson)
    .bind(&p.category)
    .bind(&p.body)
    .bind(photo)
    .bind(mime)
    .bind(&p.contact)
    .bind(&p.client_hash)
    .bind(p.synthetic)
    .bind(&p.moderation)
    .bind(&p.status)
    .bind(&p.public_answer)
    .bind(&p.decline_reason)
    .fetch_one(pool)
    .await
    .map_err(StoreError::from_write)?;
    Ok(id)
}

/// Many proposals in one statement (the synthetic set, benchmarks); returns how many.
pub async fn insert_many(pool: &PgPool, ps: &[NewProposal]) -> Result<u64, StoreError> {
    let mut tx = pool.begin().await?;
    let mut n = 0;
    for chunk in ps.chunks(2000) {
        let col = |f: &dyn Fn(&NewProposal) -> Option<String>| chunk.iter().map(f).collect::<Vec<_>>();
        let r = sqlx::query(
            "INSERT INTO proposal (geom, category, body, client_hash, synthetic, moderation, status,
                                   public_answer, decline_reason)
             SELECT ST_SetSRID(ST_GeomFromGeoJSON(g), 4326), c, b, h, s, m, st, a, d
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::text[],
                         $7::text[], $8::text[], $9::text[]) AS u(g, c, b, h, s, m, st, a, d)",
        )
        .bind(col(&|p| Some(p.geojson.clone())))
        .bind(col(&|p| Some(p.category.clone())))
        .bind(col(&|p| Some(p.body.clone())))
        .bind(col(&|p| Some(p.client_hash.clone())))
        .bind(chunk.iter().map(|p| p.synthetic).collect::<Vec<_>>())
        .bind(col(&|p| Some(p.moderation.clone())))
        .bind(col(&|p| Some(p.status.clone())))
        .bind(col(&|p| p.public_answer.clone()))
        .bind(col(&|p| p.decline_reason.clone()))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from_write)?;
        n += r.rows_affected();
    }
    tx.commit().await?;
    Ok(n)
}

/// Removes every synthetic proposal (a new synthetic set replaces the old; real ones stay).
pub async fn delete_synthetic(pool: &PgPool) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM proposal WHERE synthetic")
        .execute(pool)
        .await?
        .rows_affected())
}

/// A proposal as stored, without photo bytes and client hash.
#[derive(Debug, Clone)]
pub struct ProposalRow {
    pub id: i64,
    /// GeoJSON geometry text.
    pub geometry: String,
    pub category: String,
    pub body: String,
    pub status: String,
    pub moderation: String,
    pub public_answer: Option<String>,
    pub decline_reason: Option<String>,
    pub merged_into: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub synthetic: bool,
    pub supports: i64,
    pub has_photo: bool,
    /// Moderators only: never rendered in a public response.
    pub contact: Option<String>,
}

const ROW_COLUMNS: &str = "p.proposal_id, ST_AsGeoJSON(p.geom, 7) AS geometry, p.category, p.body, p.status,
    p.moderation, p.public_answer, p.decline_reason, p.merged_into, p.created_at, p.synthetic,
    (SELECT count(*) FROM proposal_support s WHERE s.proposal_id = p.proposal_id) AS supports,
    p.photo IS NOT NULL AS has_photo, p.contact";

fn row(r: &sqlx::postgres::PgRow) -> Result<ProposalRow, StoreError> {
    Ok(ProposalRow {
        id: r.try_get("proposal_id")?,
        geometry: r.try_get("geometry")?,
        category: r.try_get("category")?,
        body: r.try_get("body")?,
        status: r.try_get("status")?,
        moderation: r.try_get("moderation")?,
        public_answer: r.try_get("public_answer")?,
        decline_reason: r.try_get("decline_reason")?,
        merged_into: r.try_get("merged_into")?,
        created_at: r.try_get("created_at")?,
        synthetic: r.try_get("synthetic")?,
        supports: r.try_get("supports")?,
        has_photo: r.try_get("has_photo")?,
        contact: r.try_get("contact")?,
    })
}

/// Which proposals a list returns.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    /// `approved` for the public, `pending` for the moderators' queue.
    pub moderation: String,
    pub category: Option<String>,
    pub status: Option<String>,
    /// lon/lat: min x, min y, max x, max y.
    pub bbox: Option<[f64; 4]>,
    pub limit: i64,
    pub offset: i64,
}

/// One page of proposals and how many match in all.
pub async fn list(pool: &PgPool, f: &ListFilter) -> Result<(Vec<ProposalRow>, i64), StoreError> {
    let filter = "p.moderation = $1 AND ($2::text IS NULL OR p.category = $2) AND ($3::text IS NULL OR p.status = $3)
        AND ($4::float8 IS NULL OR p.geom && ST_MakeEnvelope($4, $5, $6, $7, 4326))";
    let [x0, y0, x1, y1] = f.bbox.map_or([None; 4], |b| b.map(Some));
    let sql = format!("SELECT {ROW_COLUMNS} FROM proposal p WHERE {filter} ORDER BY p.proposal_id LIMIT $8 OFFSET $9");
    let rows = sqlx::query(&sql)
        .bind(&f.moderation)
        .bind(&f.category)
        .bind(&f.status)
        .bind(x0)
        .bind(y0)
        .bind(x1)
        .bind(y1)
        .bind(f.limit)
        .bind(f.offset)
        .fetch_all(pool)
        .await?;
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM proposal p WHERE {filter}"))
        .bind(&f.moderation)
        .bind(&f.category)
        .bind(&f.status)
        .bind(x0)
        .bind(y0)
        .bind(x1)
        .bind(y1)
        .fetch_one(pool)
        .await?;
    Ok((rows.iter().map(row).collect::<Result<_, _>>()?, total))
}

/// One proposal, whatever its moderation.
pub async fn get(pool: &PgPool, id: i64) -> Result<Option<ProposalRow>, StoreError> {
    let sql = format!("SELECT {ROW_COLUMNS} FROM proposal p WHERE p.proposal_id = $1");
    let r = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
    r.as_ref().map(row).transpose()
}

/// The photo of a proposal: (bytes, mime, moderation).
pub async fn photo(pool: &PgPool, id: i64) -> Result<Option<(Vec<u8>, String, String)>, StoreError> {
    let r =
        sqlx::query("SELECT photo, photo_mime, moderation FROM proposal WHERE proposal_id = $1 AND photo IS NOT NULL")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    r.map(|r| Ok((r.try_get("photo")?, r.try_get("photo_mime")?, r.try_get("moderation")?)))
        .transpose()
}

/// The outcome of a "me too".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    /// No public proposal with that id.
    NotFound,
    /// This client supported it before; the count.
    Already(i64),
    /// Counted; the new count.
    Added(i64),
}

/// Adds the client's support to a public proposal, once.
pub async fn support(pool: &PgPool, id: i64, client_hash: &str) -> Result<Support, StoreError> {
    let public: Option<bool> =
        sqlx::query_scalar("SELECT moderation = 'approved' FROM proposal WHERE proposal_id = $1")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    if public != Some(true) {
        return Ok(Support::NotFound);
    }
    let added =
        sqlx::query("INSERT INTO proposal_support (proposal_id, client_hash) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(client_hash)
            .execute(pool)
            .await?
            .rows_affected()
            == 1;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM proposal_support WHERE proposal_id = $1")
        .bind(id)
        .fetch_one(pool)
        .await?;
    Ok(if added { Support::Added(n) } else { Support::Already(n) })
}

/// A moderation step.
#[derive(Debug, Clone)]
pub enum Action {
    Approve,
    Reject {
        reason: String,
    },
    Status {
        to: String,
        public_answer: Option<String>,
        reason: Option<String>,
    },
    Merge {
        into: i64,
    },
}

/// Why a moderation step was refused; nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotFound,
    /// The proposal's moderation does not allow the step (approving a rejected one, …).
    WrongModeration {
        moderation: String,
    },
    /// The lifecycle forbids the jump.
    ForbiddenTransition {
        from: String,
        to: String,
    },
    /// Rejecting and declining need a reason.
    ReasonRequired,
    /// Merging into itself, into a missing, rejected or merged proposal.
    BadMergeTarget,
}

/// Who moderates: `token:<id>` and the role.
#[derive(Debug, Clone)]
pub struct Actor {
    pub label: String,
    pub role: String,
}

/// Applies one moderation step and logs it, atomically; the proposal after it.
pub async fn moderate(
    pool: &PgPool,
    id: i64,
    actor: &Actor,
    action: &Action,
) -> Result<Result<ProposalRow, Refusal>, StoreError> {
    let mut tx = pool.begin().await?;
    let cur = sqlx::query("SELECT moderation, status FROM proposal WHERE proposal_id = $1 FOR UPDATE")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(cur) = cur else {
        return Ok(Err(Refusal::NotFound));
    };
    let (moderation, status): (String, String) = (cur.try_get("moderation")?, cur.try_get("status")?);
    let wrong = || {
        Ok(Err(Refusal::WrongModeration {
            moderation: moderation.clone(),
        }))
    };
    let (action_name, to_mod, to_status, reason, answer) = match action {
        Action::Approve => {
            if moderation != "pending" {
                return wrong();
            }
            ("approve", "approved".to_owned(), status.clone(), None, None)
        }
        Action::Reject { reason } => {
            if !matches!(moderation.as_str(), "pending" | "approved") {
                return wrong();
            }
            if reason.trim().is_empty() {
                return Ok(Err(Refusal::ReasonRequired));
            }
            (
                "reject",
                "rejected".to_owned(),
                status.clone(),
                Some(reason.clone()),
                None,
            )
        }
        Action::Status {
            to,
            public_answer,
            reason,
        } => {
            if !matches!(moderation.as_str(), "pending" | "approved") {
                return wrong();
            }
            if !transition_allowed(&status, to) {
                return Ok(Err(Refusal::ForbiddenTransition {
                    from: status.clone(),
                    to: to.clone(),
                }));
            }
            if to == "declined" && reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                return Ok(Err(Refusal::ReasonRequired));
            }
            (
                "status",
                moderation.clone(),
                to.clone(),
                reason.clone(),
                public_answer.clone(),
            )
        }
        Action::Merge { into } => {
            if !matches!(moderation.as_str(), "pending" | "approved") {
                return wrong();
            }
            let target: Option<String> =
                sqlx::query_scalar("SELECT moderation FROM proposal WHERE proposal_id = $1 FOR UPDATE")
                    .bind(into)
                    .fetch_optional(&mut *tx)
                    .await?;
            if *into == id || !matches!(target.as_deref(), Some("pending" | "approved")) {
                return Ok(Err(Refusal::BadMergeTarget));
            }
            (
                "merge",
                "merged".to_owned(),
                status.clone(),
                Some(format!("merged into {into}")),
                None,
            )
        }
    };
    sqlx::query(
        "UPDATE proposal SET moderation = $2, status = $3,
             merged_into = $4,
             public_answer = COALESCE($5, public_answer),
             decline_reason = CASE WHEN $3 = 'declined' THEN $6 ELSE decline_reason END
         WHERE proposal_id = $1",
    )
    .bind(id)
    .bind(&to_mod)
    .bind(&to_status)
    .bind(match action {
        Action::Merge { into } => Some(*into),
        _ => None,
    })
    .bind(&answer)
    .bind(&reason)
    .execute(&mut *tx)
    .await
    .map_err(StoreError::from_write)?;
    if let Action::Merge { into } = action {
        // Supports move to the proposal kept; the author of the duplicate supports it too.
        sqlx::query(
            "INSERT INTO proposal_support (proposal_id, client_hash, created_at)
             SELECT $2, client_hash, created_at FROM proposal_support WHERE proposal_id = $1
             UNION ALL SELECT $2, client_hash, created_at FROM proposal WHERE proposal_id = $1
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(into)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM proposal_support WHERE proposal_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "INSERT INTO proposal_moderation (proposal_id, actor, actor_role, action, from_moderation, to_moderation,
                                          from_status, to_status, reason, public_answer)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(&actor.label)
    .bind(&actor.role)
    .bind(action_name)
    .bind(&moderation)
    .bind(&to_mod)
    .bind(&status)
    .bind(&to_status)
    .bind(&reason)
    .bind(&answer)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let after = get(pool, id).await?;
    Ok(after.ok_or(Refusal::NotFound))
}

/// One step of the moderation log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LogEntry {
    pub actor: String,
    pub actor_role: String,
    pub at: DateTime<Utc>,
    pub action: String,
    pub from_moderation: String,
    pub to_moderation: String,
    pub from_status: String,
    pub to_status: String,
    pub reason: Option<String>,
}

/// The moderation log of a proposal, oldest first.
pub async fn log(pool: &PgPool, id: i64) -> Result<Vec<LogEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT actor, actor_role, at, action, from_moderation, to_moderation, from_status, to_status, reason
         FROM proposal_moderation WHERE proposal_id = $1 ORDER BY proposal_moderation_id",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(LogEntry {
                actor: r.try_get("actor")?,
                actor_role: r.try_get("actor_role")?,
                at: r.try_get("at")?,
                action: r.try_get("action")?,
                from_moderation: r.try_get("from_moderation")?,
                to_moderation: r.try_get("to_moderation")?,
                from_status: r.try_get("from_status")?,
                to_status: r.try_get("to_status")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}

/// What the public proposals' counts depend on: how many are public, the newest id and the
/// newest moderation step. Equal strings: the counts per zone are the same.
pub async fn public_generation(pool: &PgPool) -> Result<String, StoreError> {
    let (n, max_id, max_step): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*), COALESCE(max(proposal_id), 0),
                (SELECT COALESCE(max(proposal_moderation_id), 0) FROM proposal_moderation)
         FROM proposal WHERE moderation = 'approved'",
    )
    .fetch_one(pool)
    .await?;
    Ok(format!("{n}/{max_id}/{max_step}"))
}

/// A public proposal as a point (lines and areas by a point on them) for zone counts:
/// (lon, lat, category).
pub async fn public_points(pool: &PgPool) -> Result<Vec<(f64, f64, String)>, StoreError> {
    let rows = sqlx::query(
        "SELECT ST_X(pt) AS lon, ST_Y(pt) AS lat, category
         FROM (SELECT ST_PointOnSurface(geom) AS pt, category FROM proposal WHERE moderation = 'approved') s",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("lon")?, r.try_get("lat")?, r.try_get("category")?)))
        .collect()
}

/// From this zoom on, the public tiles carry each proposal (its point, line or area); below
/// it, counts per grid cell (a cluster: `point_count`, `supports`, the commonest `category`).
pub const TILE_DETAIL_ZOOM: u32 = 14;
/// Cluster cells per tile side below [`TILE_DETAIL_ZOOM`].
pub const TILE_CLUSTER_CELLS: u32 = 16;

/// One Mapbox Vector Tile (layer `proposals`) of the public proposals: approved only, and only
/// public fields (id, category, status, supports, synthetic; never text, contact or client).
pub async fn public_tile(pool: &PgPool, z: u32, x: u32, y: u32) -> Result<Vec<u8>, StoreError> {
    let detail = "
        WITH env AS (SELECT ST_TileEnvelope($1, $2, $3) AS e),
        p AS (
            SELECT p.proposal_id AS id, p.category, p.status, p.synthetic,
                   (SELECT count(*) FROM proposal_support s WHERE s.proposal_id = p.proposal_id) AS supports,
                   ST_AsMVTGeom(ST_Transform(p.geom, 3857), env.e, 4096, 64, true) AS geom
            FROM proposal p, env
            WHERE p.moderation = 'approved' AND p.geom && ST_Transform(env.e, 4326)
        )
        SELECT ST_AsMVT(p, 'proposals', 4096, 'geom', 'id') FROM p WHERE geom IS NOT NULL";
    let clusters = "
        WITH env AS (SELECT ST_TileEnvelope($1, $2, $3) AS e),
        p AS (
            SELECT ST_Transform(ST_PointOnSurface(p.geom), 3857) AS pt, p.category,
                   (SELECT count(*) FROM proposal_support s WHERE s.proposal_id = p.proposal_id) AS supports
            FROM proposal p, env
            WHERE p.moderation = 'approved' AND p.geom && ST_Transform(env.e, 4326)
        ),
        c AS (
            SELECT ST_AsMVTGeom(ST_Centroid(ST_Collect(pt)), (SELECT e FROM env), 4096, 64, true) AS geom,
                   count(*)::int AS point_count, sum(supports)::int AS supports,
                   mode() WITHIN GROUP (ORDER BY category) AS category
            FROM p
            GROUP BY ST_SnapToGrid(pt, (ST_XMax((SELECT e FROM env)) - ST_XMin((SELECT e FROM env))) / $4)
        )
        SELECT ST_AsMVT(c, 'proposals', 4096, 'geom') FROM c WHERE geom IS NOT NULL";
    let sql = if z >= TILE_DETAIL_ZOOM { detail } else { clusters };
    let mut q = sqlx::query_scalar::<_, Option<Vec<u8>>>(sql)
        .bind(z as i32)
        .bind(x as i32)
        .bind(y as i32);
    if z < TILE_DETAIL_ZOOM {
        q = q.bind(f64::from(TILE_CLUSTER_CELLS));
    }
    Ok(q.fetch_one(pool).await?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_allows_only_the_next_step_or_declining_early() {
        let mut allowed = Vec::new();
        for from in STATUSES {
            for to in STATUSES {
                if transition_allowed(from, to) {
                    allowed.push(format!("{from}>{to}"));
                }
            }
        }
        assert_eq!(
            allowed,
            [
                "received>under_review",
                "received>declined",
                "under_review>accepted",
                "under_review>declined",
                "accepted>in_plan",
                "accepted>declined",
                "in_plan>done"
            ]
        );
    }
}
