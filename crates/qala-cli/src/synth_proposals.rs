//! The synthetic set of residents' proposals, loaded by `qala fixtures load`: placed on the
//! served population surface, labelled `synthetic` in the database and in every response.

use qala_store::proposal::{self, NewProposal};
use sqlx::PgPool;

/// Loads the synthetic proposals unless a synthetic set is already there (loading again
/// changes nothing; real proposals are never touched). Returns how many were added.
pub async fn load(pool: &PgPool, seed: u64) -> anyhow::Result<u64> {
    let present: i64 = sqlx::query_scalar("SELECT count(*) FROM proposal WHERE synthetic")
        .fetch_one(pool)
        .await?;
    if present > 0 {
        return Ok(0);
    }
    let cells: Vec<(f64, f64, f64)> = sqlx::query_as(
        "SELECT ST_X(p), ST_Y(p), residents
         FROM (SELECT ST_PointOnSurface(geom) AS p, residents, source_row FROM population_cell_current
               WHERE layer_slug = 'population') s
         ORDER BY source_row",
    )
    .fetch_all(pool)
    .await?;
    let set = qala_synth::proposals::generate(&cells, qala_synth::proposals::ALMATY_2050_PROPOSALS, seed);
    let rows: Vec<NewProposal> = set.into_iter().map(to_new).collect();
    let n = proposal::insert_many(pool, &rows).await?;
    // The jitter can carry a point near the edge out of the city (a resident could not put it
    // there): such points move to the nearest place 25 m inside the boundary.
    sqlx::query(
        "UPDATE proposal p SET geom = ST_ClosestPoint(ST_Buffer(c.geom::geography, -25)::geometry, p.geom)
         FROM city_boundary_current c
         WHERE p.synthetic AND GeometryType(p.geom) = 'POINT' AND NOT ST_Contains(c.geom, p.geom)",
    )
    .execute(pool)
    .await?;
    Ok(n)
}

/// A generated proposal as a row to store.
pub fn to_new(p: qala_synth::proposals::SynthProposal) -> NewProposal {
    NewProposal {
        geojson: serde_json::json!({"type": "Point", "coordinates": [p.lon, p.lat]}).to_string(),
        category: p.category.to_owned(),
        body: p.text,
        photo: None,
        contact: None,
        client_hash: p.client_hash,
        synthetic: true,
        moderation: p.moderation.to_owned(),
        status: p.status.to_owned(),
        public_answer: p.public_answer,
        decline_reason: p.decline_reason,
    }
}
