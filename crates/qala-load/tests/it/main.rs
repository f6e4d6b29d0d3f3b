//! `load_file` as the server's upload endpoint calls it: a temp file with a meaningless
//! name, the original name in the options, the report in the answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod change_sets;

use std::path::{Path, PathBuf};

use qala_core::{LayerKind, LayerSlug};
use qala_load::{LoadError, LoadOptions, LoadStatus, load_file};
use qala_store::testdb::TestDb;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Copies a fixture to a temp file named like an upload (no extension).
fn as_upload(rel: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload-7f3a");
    std::fs::copy(repo().join(rel), &path).unwrap();
    (dir, path)
}

async fn pool() -> (TestDb, sqlx::PgPool) {
    let db = TestDb::new().await.unwrap_or_else(|e| panic!("test database: {e}"));
    let pool = qala_store::connect(&db.url, 4).await.unwrap();
    (db, pool)
}

#[tokio::test]
async fn an_upload_is_read_by_its_original_name_and_reported() {
    let (_db, pool) = pool().await;
    let (_dir, upload) = as_upload("fixtures/ingest/lanes_utm42n_utf8.zip");
    let mut opts = LoadOptions::new(LayerSlug::parse("uploaded-lanes").unwrap());
    opts.kind = Some(LayerKind::BikeLane);
    opts.source_name = Some("Велополосы 2024.zip".into());
    opts.created_by = "mapper:aigerim".into();
    opts.map = vec![("plan_year".into(), "planned_year".into())];
    let report = load_file(&pool, &upload, &opts).await.unwrap();
    assert_eq!(report.status, LoadStatus::Loaded);
    assert_eq!(report.version, Some(1));
    assert_eq!(report.source_crs, "EPSG:32642");
    assert_eq!(report.format, "zipped_shapefile");
    assert_eq!(report.features_loaded, 163);
    let (name, by, stored): (String, String, serde_json::Value) = sqlx::query_as(
        "SELECT v.source_name, v.created_by, v.report FROM layer_version v JOIN layer l USING (layer_id)
         WHERE l.slug = 'uploaded-lanes'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((name.as_str(), by.as_str()), ("Велополосы 2024.zip", "mapper:aigerim"));
    assert_eq!(stored["features_loaded"], 163, "the report is kept with the version");
}

#[tokio::test]
async fn a_refused_upload_carries_its_report_and_writes_nothing() {
    let (_db, pool) = pool().await;
    let (_dir, upload) = as_upload("fixtures/bad/unknown_lane_status.geojson");
    let mut opts = LoadOptions::new(LayerSlug::parse("lanes").unwrap());
    opts.kind = Some(LayerKind::BikeLane);
    opts.source_name = Some("lanes.geojson".into());
    let err = load_file(&pool, &upload, &opts).await.unwrap_err();
    assert_eq!(err.code(), "invalid_features");
    assert_eq!(err.kind(), qala_core::ErrorKind::InvalidInput);
    let report = err.report().unwrap();
    assert_eq!(report.status, LoadStatus::Refused);
    assert_eq!(report.problems[0].field, "status");
    let json = serde_json::to_value(report).unwrap();
    assert_eq!(json["problems"][0]["value"], "maybe");
    let layers: i64 = sqlx::query_scalar("SELECT count(*) FROM layer")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(layers, 0);
    // No name, no usable content: a clear input error, not a crash.
    let (_dir2, junk) = as_upload("fixtures/bad/empty.geojson");
    opts.source_name = None;
    let err = load_file(&pool, &junk, &opts).await.unwrap_err();
    assert!(matches!(err, LoadError::Ingest(_)));
    assert_eq!(err.code(), "empty_file");
}
