//! Change sets through the library, as the server's upload path will call them: counts,
//! dry runs into a layer that does not exist, served duplicates of a key, empty keys.

use qala_core::{LayerKind, LayerSlug};
use qala_load::{ChangeMode, LoadOptions, LoadStatus, load_file};

use crate::{as_upload, pool};

fn opts(layer: &str, mode: ChangeMode, key: Option<&str>) -> LoadOptions {
    let mut o = LoadOptions::new(LayerSlug::parse(layer).unwrap());
    o.kind = Some(LayerKind::BikeLane);
    o.mode = mode;
    o.key = key.map(str::to_owned);
    o.source_name = Some("lanes.geojson".into());
    o
}

async fn served(pool: &sqlx::PgPool, layer: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM bike_lane_current WHERE layer_slug = $1")
        .bind(layer)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_dry_run_into_a_new_layer_reports_the_change_and_creates_nothing() {
    let (_db, pool) = pool().await;
    let (_dir, file) = as_upload("fixtures/changes/lanes_new.geojson");
    let mut o = opts("fresh", ChangeMode::Append, Some("name"));
    o.dry_run = true;
    let r = load_file(&pool, &file, &o).await.unwrap();
    assert_eq!(r.status, LoadStatus::DryRun);
    assert_eq!(r.version, None);
    let c = r.change.unwrap();
    assert_eq!((c.added, c.changed, c.removed), (3, 0, 0));
    assert_eq!(c.added_sample[2].key.as_deref(), Some("Change lane C"));
    let layers: i64 = sqlx::query_scalar("SELECT count(*) FROM layer")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(layers, 0, "a dry run leaves no layer behind");
}

#[tokio::test]
async fn an_upsert_replaces_every_served_feature_with_the_key() {
    let (_db, pool) = pool().await;
    let (_d1, new) = as_upload("fixtures/changes/lanes_new.geojson");
    let (_d2, upsert) = as_upload("fixtures/changes/lanes_upsert.geojson");
    load_file(&pool, &new, &opts("lanes", ChangeMode::Replace, None))
        .await
        .unwrap();
    // The same three again: the served layer now has every name twice.
    let r = load_file(&pool, &new, &opts("lanes", ChangeMode::Append, None))
        .await
        .unwrap();
    assert_eq!(
        (r.status, r.version, r.features_loaded),
        (LoadStatus::Loaded, Some(2), 6)
    );
    let r = load_file(&pool, &upsert, &opts("lanes", ChangeMode::Upsert, Some("name")))
        .await
        .unwrap();
    let c = r.change.unwrap();
    // Both served "Change lane A" went (one changed, one removed), the file's one came,
    // "Change lane D" was added: 6 + 1 - 1 = 6.
    assert_eq!((c.added, c.changed, c.removed), (1, 1, 1));
    assert_eq!(served(&pool, "lanes").await, 6);
    let a: Vec<String> = sqlx::query_scalar(
        "SELECT status FROM bike_lane_current WHERE layer_slug = 'lanes' AND name = 'Change lane A'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(a, ["existing"]);
}

#[tokio::test]
async fn a_file_feature_without_a_key_is_refused_naming_its_row() {
    let (_db, pool) = pool().await;
    let (_d1, new) = as_upload("fixtures/changes/lanes_new.geojson");
    load_file(&pool, &new, &opts("lanes", ChangeMode::Replace, None))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nameless.geojson");
    let line = |name: &str| {
        format!(
            r#"{{"type":"Feature","properties":{{"name":{name},"status":"planned","facility":"painted"}},
               "geometry":{{"type":"LineString","coordinates":[[76.91,43.22],[76.92,43.23]]}}}}"#
        )
    };
    let fc = format!(
        r#"{{"type":"FeatureCollection","features":[{},{}]}}"#,
        line("\"Change lane A\""),
        line("null")
    );
    std::fs::write(&file, fc).unwrap();
    let err = load_file(&pool, &file, &opts("lanes", ChangeMode::Upsert, Some("name")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "missing_key");
    assert!(err.to_string().contains("row 2"), "{err}");
    // A delete reads only the keys: the row without one is a problem of the file's row 2.
    let err = load_file(&pool, &file, &opts("lanes", ChangeMode::Delete, Some("name")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "invalid_features");
    let report = err.report().expect("a refused file carries its report");
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!((report.problems[0].row, report.problems[0].field.as_str()), (2, "name"));
    assert_eq!(served(&pool, "lanes").await, 3, "nothing was removed");
}
