//! The feature tables are partitioned by layer version (migration 1000): a load fills a
//! table of its own and attaches it at the end. Every served read names one version, so
//! PostgreSQL reads that version's partition only — pruned when planning with the version
//! as a value, and when starting the executor with it as a parameter (a generic plan).

use serde_json::Value as Json;
use sqlx::Connection;

use crate::common::{qala_ok, repo};
use crate::ingest::loaded_db;

/// Every relation a JSON plan reads.
fn relations(plan: &Json, out: &mut Vec<String>) {
    match plan {
        Json::Object(m) => {
            if let Some(Json::String(r)) = m.get("Relation Name") {
                out.push(r.clone());
            }
            m.values().for_each(|v| relations(v, out));
        }
        Json::Array(a) => a.iter().for_each(|v| relations(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn served_reads_plan_only_the_served_versions_partition() {
    let (db, pool) = loaded_db().await;
    // Two more versions of the bike lanes: bike_lane then has three partitions.
    let lanes = repo().join("fixtures/changes/lanes_new.geojson");
    let upsert = repo().join("fixtures/changes/lanes_upsert.geojson");
    qala_ok(
        &db,
        &[
            "-q",
            "ingest",
            lanes.to_str().unwrap(),
            "--layer",
            "bike-lanes",
            "--mode",
            "append",
        ],
    );
    qala_ok(
        &db,
        &[
            "-q",
            "ingest",
            upsert.to_str().unwrap(),
            "--layer",
            "bike-lanes",
            "--mode",
            "upsert",
            "--key",
            "name",
        ],
    );
    let partitions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_inherits WHERE inhparent = 'bike_lane'::regclass")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(partitions, 3, "one partition per version of the bike lanes");

    let served: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT slug, kind, current_version_id FROM layer WHERE current_version_id IS NOT NULL ORDER BY slug",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(served.len() >= 10, "{served:?}");
    let mut conn = pool.acquire().await.unwrap().detach();
    for (slug, kind, v) in served {
        let t = kind.parse::<qala_core::LayerKind>().unwrap().table();
        // The shapes of the served reads: an items page (bbox), its count, one item, and the
        // whole version as the tiles and the engine read it.
        let shapes = [
            format!(
                "SELECT t.{t}_id, ST_AsGeoJSON(t.geom), t.props FROM {t} t WHERE t.layer_version_id = $1 AND t.geom && ST_MakeEnvelope(76.8, 43.1, 77.1, 43.4, 4326) ORDER BY t.{t}_id LIMIT 1000"
            ),
            format!(
                "SELECT count(*) FROM {t} t WHERE t.layer_version_id = $1 AND t.geom && ST_MakeEnvelope(76.8, 43.1, 77.1, 43.4, 4326)"
            ),
            format!("SELECT t.props FROM {t} t WHERE t.layer_version_id = $1 AND t.{t}_id = 7"),
            format!(
                "SELECT t.{t}_id, t.source_row, ST_AsBinary(t.geom), t.props FROM {t} t WHERE t.layer_version_id = $1 ORDER BY t.{t}_id"
            ),
        ];
        for mode in ["force_custom_plan", "force_generic_plan"] {
            for sql in &shapes {
                sqlx::raw_sql(&format!("SET plan_cache_mode = {mode}; PREPARE q(bigint) AS {sql}"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                let plan: Json = sqlx::query_scalar(&format!("EXPLAIN (FORMAT JSON) EXECUTE q({v})"))
                    .fetch_one(&mut conn)
                    .await
                    .unwrap();
                sqlx::raw_sql("DEALLOCATE q").execute(&mut conn).await.unwrap();
                let mut rels = Vec::new();
                relations(&plan, &mut rels);
                rels.dedup();
                assert_eq!(rels, [format!("{t}_v{v}")], "{slug} ({mode}): {sql}\n{plan}");
            }
        }
    }
    conn.close().await.unwrap();
}
