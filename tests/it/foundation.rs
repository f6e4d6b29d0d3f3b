//! The foundation: migrations, fixtures, the catalogue, the database's own rules, synth.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use sqlx::Row;

use crate::common::{fresh_db, qala_ok, repo};

#[tokio::test]
async fn migrations_apply_to_an_empty_database_and_a_second_run_is_a_no_op() {
    let tpl = fresh_db().await; // only for the admin connection's server
    let admin = sqlx::PgPool::connect(&tpl.url).await.unwrap();
    let name = format!("{}_empty", tpl.name);
    sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE template0"))
        .execute(&admin)
        .await
        .unwrap();
    let url = tpl.url.replace(&tpl.name, &name);
    let db = qala_store::testdb::TestDb {
        name: name.clone(),
        url: url.clone(),
    };

    qala_ok(&db, &["db", "migrate"]);
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let first: Vec<(i64, chrono::DateTime<chrono::Utc>)> =
        sqlx::query_as("SELECT version, installed_on FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(first.len(), qala_store::MIGRATOR.iter().count());
    qala_ok(&db, &["db", "migrate"]);
    let second: Vec<(i64, chrono::DateTime<chrono::Utc>)> =
        sqlx::query_as("SELECT version, installed_on FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(first, second, "a second migrate must change nothing");
    let postgis: String = sqlx::query_scalar("SELECT postgis_lib_version()")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(postgis.starts_with('3'), "PostGIS 3 expected, got {postgis}");
}

#[tokio::test]
async fn fixtures_load_lists_every_layer_with_real_districts_and_population() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let json = qala_ok(&db, &["layers", "--format", "json"]);
    let layers: Vec<Json> = serde_json::from_str(&json).unwrap();
    let by_slug: BTreeMap<&str, &Json> = layers.iter().map(|l| (l["slug"].as_str().unwrap(), l)).collect();
    for (slug, kind, synthetic) in [
        ("districts", "district", false),
        ("city-boundary", "city_boundary", false),
        ("roads", "road", false),
        ("green-spaces", "green_space", false),
        ("services", "service", false),
        ("buildings", "building", false),
        ("bike-lanes", "bike_lane", true),
        ("tree-fellings", "tree_felling", true),
        ("tree-plantings", "tree_planting", true),
        ("nav-signs", "nav_sign", true),
        ("wayfinding-routes", "wayfinding_route", true),
        ("historic-centre", "historic_centre", true),
        ("population", "population_cell", true),
        ("transit-stops", "service", true),
    ] {
        let l = by_slug
            .get(slug)
            .unwrap_or_else(|| panic!("layer {slug} missing from {json}"));
        assert_eq!(l["kind"], kind, "{slug}");
        assert_eq!(l["synthetic"], synthetic, "{slug}");
        assert_eq!(l["version"], 1, "{slug}");
        assert!(l["feature_count"].as_i64().unwrap() > 0, "{slug} is empty");
        if synthetic {
            assert!(
                l["title_en"].as_str().unwrap().contains("synthetic"),
                "{slug} title must say synthetic"
            );
        }
    }
    assert_eq!(by_slug["districts"]["feature_count"], 8);
    // the OSM 2013 extract's counts (see shared data README): 4,274 highway lines, 8,201 buildings
    assert_eq!(by_slug["roads"]["feature_count"], 4274);
    assert_eq!(by_slug["buildings"]["feature_count"].as_i64().unwrap(), 8201);

    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let areas: BTreeMap<String, f64> =
        sqlx::query("SELECT name_en, area_m2 / 1e6 AS km2 FROM district_current WHERE layer_slug = 'districts'")
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get::<String, _>("name_en"), r.get::<f64, _>("km2")))
            .collect();
    for (name, want) in [
        ("Medeu", 273.4),
        ("Almaly", 18.2),
        ("Alatau", 105.8),
        ("Bostandyk", 98.6),
        ("Auezov", 23.7),
    ] {
        let got = areas[name];
        assert!((got - want).abs() / want < 0.005, "{name}: {got:.2} km² vs {want} km²");
    }
    let union: f64 = sqlx::query_scalar(
        "SELECT ST_Area(ST_Union(geom)::geography) / 1e6 FROM district_current WHERE layer_slug = 'districts'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!((union - 704.4).abs() / 704.4 < 0.005, "union {union:.2} km²");
    let pop: i64 =
        sqlx::query_scalar("SELECT SUM(population)::bigint FROM district_current WHERE layer_slug = 'districts'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(pop, 2_161_695);
    // The synthetic population surface carries each district's official population exactly.
    let cells: f64 = sqlx::query_scalar("SELECT SUM(residents) FROM population_cell_current")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(cells, 2_161_695.0);

    // The synthetic bike plan, measured by PostGIS: every lane vertex within 3 m of a street,
    // a city's length (tens to a couple of hundred km), every status, several districts.
    let off_street: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM bike_lane_current b, ST_DumpPoints(b.geom) p
         WHERE b.layer_slug = 'bike-lanes' AND NOT EXISTS (
           SELECT 1 FROM road_current r WHERE r.layer_slug = 'roads'
             AND ST_DWithin(ST_Transform(r.geom, 32643), ST_Transform(p.geom, 32643), 3))",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(off_street, 0, "lane vertices farther than 3 m from every street");
    let km_by_status: BTreeMap<String, f64> = sqlx::query(
        "SELECT status, sum(ST_Length(ST_Transform(geom, 32643))) / 1000 AS km
         FROM bike_lane_current WHERE layer_slug = 'bike-lanes' GROUP BY status",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get::<String, _>("status"), r.get::<f64, _>("km")))
    .collect();
    let km: f64 = km_by_status.values().sum();
    assert!((30.0..=250.0).contains(&km), "{km_by_status:?}");
    assert_eq!(
        km_by_status.len(),
        3,
        "existing, under construction, planned: {km_by_status:?}"
    );
    let districts: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT d.district_id) FROM district_current d JOIN bike_lane_current b
           ON b.layer_slug = 'bike-lanes' AND ST_Intersects(b.geom, d.geom) WHERE d.layer_slug = 'districts'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(districts >= 6, "the corridors reach {districts} of 8 districts");

    // Loading the same files again makes no new version.
    qala_ok(&db, &["fixtures", "load"]);
    let again: Vec<Json> = serde_json::from_str(&qala_ok(&db, &["layers", "--format", "json"])).unwrap();
    assert!(
        again.iter().all(|l| l["version"] == 1),
        "reload must not add versions: {again:?}"
    );
    let table = qala_ok(&db, &["layers"]);
    assert!(table.contains("SYNTHETIC") && table.contains("districts"), "{table}");
}

/// Inserts one row by hand and returns the database's error message.
async fn refused(pool: &sqlx::PgPool, sql: &str) -> String {
    let mut tx = pool.begin().await.unwrap();
    sqlx::raw_sql(
        "INSERT INTO layer (slug, kind, title_kk, title_ru, title_en) VALUES ('t', 'generic', 't', 't', 't');
         INSERT INTO layer_version (layer_id, version, created_by, source_name, source_sha256, source_crs)
         SELECT layer_id, 1, 'test', 'hand', repeat('a', 64), 'EPSG:4326' FROM layer WHERE slug = 't';
         -- Each kind's table is partitioned by version: the version gets its partitions.
         DO $$ DECLARE t text; v bigint := (SELECT max(layer_version_id) FROM layer_version); BEGIN
           FOR t IN SELECT relname FROM pg_class WHERE relkind = 'p' AND relnamespace = current_schema()::regnamespace LOOP
             EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES IN (%s)', t || '_v' || v, t, v);
           END LOOP;
         END $$;",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    let err = sqlx::query(sql).execute(&mut *tx).await.expect_err(sql);
    err.to_string()
}

#[tokio::test]
async fn every_typed_kind_refuses_rows_that_break_its_rules() {
    let db = fresh_db().await;
    let pool = db.pool().await.unwrap();
    let v = "(SELECT max(layer_version_id) FROM layer_version)";
    let pt = "ST_SetSRID(ST_MakePoint(76.95, 43.25), 4326)";
    let line = "ST_Multi(ST_GeomFromText('LINESTRING(76.9 43.2, 76.91 43.21)', 4326))";
    let area = "ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(76.95, 43.25), 4326), 0.001))";
    let bowtie =
        "ST_Multi(ST_GeomFromText('POLYGON((76.9 43.2, 76.91 43.21, 76.91 43.2, 76.9 43.21, 76.9 43.2))', 4326))";
    let cases = [
        (
            format!(
                "INSERT INTO bike_lane (layer_version_id, source_row, status, facility, geom) VALUES ({v}, 1, 'maybe', 'painted', {line})"
            ),
            "bike_lane_status_check",
        ),
        (
            format!(
                "INSERT INTO bike_lane (layer_version_id, source_row, status, facility, geom) VALUES ({v}, 1, 'planned', 'imaginary', {line})"
            ),
            "bike_lane_facility_check",
        ),
        (
            format!(
                "INSERT INTO tree_planting (layer_version_id, source_row, trees_planted, planted_on, geom) VALUES ({v}, 1, -5, '2024-05-01', {pt})"
            ),
            "tree_planting_trees_planted_check",
        ),
        (
            format!(
                "INSERT INTO tree_planting (layer_version_id, source_row, trees_planted, planted_on, alive_1y, geom) VALUES ({v}, 1, 5, '2024-05-01', 9, {pt})"
            ),
            "tree_planting_check",
        ),
        (
            format!(
                "INSERT INTO tree_felling (layer_version_id, source_row, permit_no, felled_on, trees_felled, compensation_ratio, geom) VALUES ({v}, 1, 'P-1', '2024-01-01', 0, 5, {pt})"
            ),
            "tree_felling_trees_felled_check",
        ),
        (
            format!(
                "INSERT INTO tree_felling (layer_version_id, source_row, permit_no, felled_on, trees_felled, compensation_ratio, compensation_due, geom) VALUES ({v}, 1, 'P-1', '2024-01-01', 3, 5, '2023-01-01', {pt})"
            ),
            "tree_felling_check",
        ),
        (
            format!(
                "INSERT INTO district (layer_version_id, source_row, akimat_id, name_kk, name_ru, name_en, geom) VALUES ({v}, 1, 9, 'a', 'b', 'c', {area})"
            ),
            "district_akimat_id_check",
        ),
        (
            format!(
                "INSERT INTO district (layer_version_id, source_row, akimat_id, name_kk, name_ru, name_en, geom) VALUES ({v}, 1, 2, 'a', 'b', 'c', {bowtie})"
            ),
            "district_geom_check",
        ),
        (
            format!(
                "INSERT INTO green_space (layer_version_id, source_row, category, public_access, geom) VALUES ({v}, 1, 'forest', true, {area})"
            ),
            "green_space_category_check",
        ),
        (
            format!("INSERT INTO service (layer_version_id, source_row, category, geom) VALUES ({v}, 1, 'bar', {pt})"),
            "service_category_check",
        ),
        (
            format!(
                "INSERT INTO service (layer_version_id, source_row, category, capacity, geom) VALUES ({v}, 1, 'school', -1, {pt})"
            ),
            "service_capacity_check",
        ),
        (
            format!(
                "INSERT INTO nav_sign (layer_version_id, source_row, sign_type, languages, geom) VALUES ({v}, 1, 'map', ARRAY['kk','de'], {pt})"
            ),
            "nav_sign_languages_check",
        ),
        (
            format!(
                "INSERT INTO population_cell (layer_version_id, source_row, residents, geom) VALUES ({v}, 1, -1, {area})"
            ),
            "population_cell_residents_check",
        ),
        (
            format!(
                "INSERT INTO wayfinding_route (layer_version_id, source_row, name, geom) VALUES ({v}, 1, '', {line})"
            ),
            "wayfinding_route_name_check",
        ),
        (
            format!("INSERT INTO road (layer_version_id, source_row, highway, geom) VALUES ({v}, 1, 'primary', {pt})"),
            "Geometry type (Point) does not match column type (MultiLineString)",
        ),
        (
            format!("INSERT INTO building (layer_version_id, source_row, levels, geom) VALUES ({v}, 1, 500, {area})"),
            "building_levels_check",
        ),
        (
            format!(
                "INSERT INTO city_boundary (layer_version_id, source_row, geom) VALUES ({v}, 1, ST_Multi(ST_GeomFromText('POLYGON EMPTY', 4326)))"
            ),
            "city_boundary_geom_check",
        ),
        (
            format!("INSERT INTO historic_centre (layer_version_id, source_row, geom) VALUES ({v}, 0, {area})"),
            "historic_centre_source_row_check",
        ),
        (
            format!(
                "INSERT INTO generic_feature (layer_version_id, source_row, geom) VALUES ({v}, 1, ST_SetSRID(ST_MakePoint(400, 43), 4326))"
            ),
            "generic_feature_geom_check",
        ),
    ];
    for (sql, want) in cases {
        let msg = refused(&pool, &sql).await;
        assert!(
            msg.contains(want),
            "expected {want:?} in the error of\n{sql}\ngot: {msg}"
        );
    }
    // A layer cannot serve a version that is not ready.
    let err = sqlx::raw_sql(
        "BEGIN;
         INSERT INTO layer (slug, kind, title_kk, title_ru, title_en) VALUES ('x', 'generic', 'x', 'x', 'x');
         INSERT INTO layer_version (layer_id, version, created_by, source_name, source_sha256, source_crs)
             SELECT layer_id, 1, 't', 'f', repeat('b', 64), 'EPSG:4326' FROM layer WHERE slug = 'x';
         UPDATE layer SET current_version_id = (SELECT max(layer_version_id) FROM layer_version) WHERE slug = 'x';
         COMMIT;",
    )
    .execute(&pool)
    .await
    .expect_err("serving a loading version must fail");
    assert!(err.to_string().contains("not a ready version"), "{err}");
}

#[test]
fn synth_is_byte_identical_for_a_seed_and_differs_across_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |seed: &str, dir: &str| {
        let out = std::process::Command::new(crate::common::qala_bin())
            .args(["synth", "--seed", seed, "--out"])
            .arg(tmp.path().join(dir))
            .current_dir(repo())
            .env("QALA_LOG", "warn")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    run("7", "a");
    run("7", "b");
    run("8", "c");
    let read = |dir: &str| -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(tmp.path().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read(&p).unwrap(),
                )
            })
            .collect()
    };
    let (a, b, c) = (read("a"), read("b"), read("c"));
    assert_eq!(a.len(), 8, "eight synthetic layers at fixture scale");
    assert_eq!(a, b, "same seed must give identical bytes");
    for (name, bytes) in &a {
        let text = String::from_utf8_lossy(bytes);
        assert!(text.contains("\"synthetic\":true"), "{name} must be labelled synthetic");
    }
    let differing = a.iter().filter(|(k, v)| c.get(*k) != Some(*v)).count();
    assert!(
        differing >= 4,
        "a different seed must change the random layers ({differing} differ)"
    );
}
