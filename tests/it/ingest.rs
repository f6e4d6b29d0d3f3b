//! End-to-end tests of `qala ingest`: every format against the layers it was made from,
//! every broken file of `fixtures/bad` (refused, database unchanged), versions and
//! rollback, and a load killed or cut off half-way.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use qala_store::testdb::TestDb;
use serde_json::Value as Json;
use sqlx::PgPool;

use crate::common::{fresh_db, qala, qala_bin, qala_ok, repo};

/// A fresh database with `qala fixtures load` done: the reference layers the ingest
/// fixtures were exported from (see fixtures/ingest/make.sh).
pub(crate) async fn loaded_db() -> (TestDb, PgPool) {
    let db = fresh_db().await;
    // Its own QALA_HOME: tests run in parallel and `fixtures load` caches synthetic layers
    // in the home directory.
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(qala_bin())
        .args(["-q", "fixtures", "load"])
        .current_dir(repo())
        .env("DATABASE_URL", &db.url)
        .env("QALA_HOME", home.path())
        .env("QALA_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "fixtures load: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pool = PgPool::connect(&db.url).await.unwrap();
    (db, pool)
}

fn fx(name: &str) -> String {
    repo().join("fixtures/ingest").join(name).to_string_lossy().into_owned()
}

fn bad(name: &str) -> String {
    repo().join("fixtures/bad").join(name).to_string_lossy().into_owned()
}

/// Loaded features of `slug` matched by their `src_row` attribute to the reference layer's
/// rows: (matched, max vertex deviation in degrees, every vertex count equal).
async fn deviation(pool: &PgPool, table: &str, slug: &str, reference: &str) -> (i64, f64, bool) {
    // Identifiers here are the test's own constants, never user input.
    let sql = format!(
        "SELECT count(*), COALESCE(max(ST_HausdorffDistance(n.geom, r.geom)), 1e9),
                COALESCE(bool_and(ST_NPoints(n.geom) = ST_NPoints(r.geom)), false)
         FROM {table}_current n JOIN {table}_current r
           ON r.layer_slug = $2 AND r.source_row = (n.props->>'src_row')::numeric::bigint
         WHERE n.layer_slug = $1"
    );
    sqlx::query_as(&sql)
        .bind(slug)
        .bind(reference)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn served_count(pool: &PgPool, table: &str, slug: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}_current WHERE layer_slug = $1"))
        .bind(slug)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn source_crs(pool: &PgPool, slug: &str) -> String {
    sqlx::query_scalar(
        "SELECT v.source_crs FROM layer l JOIN layer_version v ON v.layer_version_id = l.current_version_id
         WHERE l.slug = $1",
    )
    .bind(slug)
    .fetch_one(pool)
    .await
    .unwrap()
}

fn ingest_json(db: &TestDb, args: &[&str]) -> Json {
    let mut all = vec!["-q", "ingest", "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&qala_ok(db, &all)).unwrap()
}

#[tokio::test]
async fn zipped_shapefile_in_utm43n_with_cp1251_names_round_trips() {
    let (db, pool) = loaded_db().await;
    let r = ingest_json(
        &db,
        &[&fx("roads_utm43n_cp1251.zip"), "--layer", "t-roads", "--kind", "road"],
    );
    assert_eq!(r["status"], "loaded");
    assert_eq!(r["source_crs"], "EPSG:32643");
    let (n, dev, same_vertices) = deviation(&pool, "road", "t-roads", "roads").await;
    assert_eq!(n, 150);
    assert!(same_vertices);
    assert!(dev < 1e-7, "max deviation {dev}°");
    let same_names: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM road_current n JOIN road_current r
           ON r.layer_slug = 'roads' AND r.source_row = (n.props->>'src_row')::numeric::bigint
         WHERE n.layer_slug = 't-roads' AND n.name = r.name AND n.name ~ '[а-яА-Я]'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(same_names, 150, "Cyrillic names must survive the cp1251 round trip");
}

#[tokio::test]
async fn shapefile_without_cpg_is_read_as_cp1251() {
    let (db, pool) = loaded_db().await;
    let r = ingest_json(
        &db,
        &[
            &fx("roads_utm43n_cp1251_nocpg.zip"),
            "--layer",
            "t-roads",
            "--kind",
            "road",
        ],
    );
    assert_eq!(r["encoding"], "CP1251");
    let garbled: i64 =
        sqlx::query_scalar("SELECT count(*) FROM road_current WHERE layer_slug = 't-roads' AND name !~ '[а-яА-Я]'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(garbled, 0);
    assert_eq!(served_count(&pool, "road", "t-roads").await, 150);
}

#[tokio::test]
async fn utf8_shapefile_in_utm42n_with_a_mapped_field_round_trips() {
    let (db, pool) = loaded_db().await;
    qala_ok(
        &db,
        &[
            "-q",
            "ingest",
            &fx("lanes_utm42n_utf8.zip"),
            "--layer",
            "t-lanes",
            "--kind",
            "bike_lane",
            "--map",
            "plan_year=planned_year",
        ],
    );
    assert_eq!(source_crs(&pool, "t-lanes").await, "EPSG:32642");
    let (n, dev, same) = deviation(&pool, "bike_lane", "t-lanes", "bike-lanes").await;
    assert_eq!(n, served_count(&pool, "bike_lane", "bike-lanes").await);
    assert!(same && dev < 1e-7, "max deviation {dev}°");
    let years_differ: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM bike_lane_current n JOIN bike_lane_current r
           ON r.layer_slug = 'bike-lanes' AND r.source_row = (n.props->>'src_row')::numeric::bigint
         WHERE n.layer_slug = 't-lanes' AND (n.planned_year IS DISTINCT FROM r.planned_year OR n.status <> r.status)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(years_differ, 0, "--map plan_year=planned_year must fill planned_year");
}

#[tokio::test]
async fn geopackage_in_web_mercator_round_trips() {
    let (db, pool) = loaded_db().await;
    qala_ok(
        &db,
        &[
            "-q",
            "ingest",
            &fx("green_spaces_3857.gpkg"),
            "--layer",
            "t-green",
            "--kind",
            "green_space",
        ],
    );
    assert_eq!(source_crs(&pool, "t-green").await, "EPSG:3857");
    let (n, dev, same) = deviation(&pool, "green_space", "t-green", "green-spaces").await;
    assert_eq!(n, served_count(&pool, "green_space", "green-spaces").await);
    assert!(same && dev < 1e-7, "max deviation {dev}°");
}

#[tokio::test]
async fn pulkovo_1942_gauss_kruger_zone_13_districts_round_trip() {
    let (db, pool) = loaded_db().await;
    qala_ok(
        &db,
        &[
            "-q",
            "ingest",
            &fx("districts_pulkovo_gk13.gpkg"),
            "--layer",
            "t-districts",
            "--kind",
            "district",
        ],
    );
    assert_eq!(source_crs(&pool, "t-districts").await, "EPSG:28413");
    let (n, dev, same) = deviation(&pool, "district", "t-districts", "districts").await;
    assert_eq!(n, 8);
    assert!(same && dev < 1e-7, "max deviation {dev}°");
    let pop: i64 =
        sqlx::query_scalar("SELECT sum(population)::bigint FROM district_current WHERE layer_slug = 't-districts'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let reference: i64 =
        sqlx::query_scalar("SELECT sum(population)::bigint FROM district_current WHERE layer_slug = 'districts'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(pop, reference);
}

#[tokio::test]
async fn kml_services_round_trip() {
    let (db, pool) = loaded_db().await;
    qala_ok(
        &db,
        &[
            "-q",
            "ingest",
            &fx("services.kml"),
            "--layer",
            "t-services",
            "--kind",
            "service",
        ],
    );
    let (n, dev, _) = deviation(&pool, "service", "t-services", "services").await;
    assert_eq!(n, 120);
    assert!(dev < 1e-7, "max deviation {dev}°");
}

#[tokio::test]
async fn geojson_sequence_fellings_round_trip() {
    let (db, pool) = loaded_db().await;
    qala_ok(
        &db,
        &[
            "-q",
            "ingest",
            &fx("fellings.geojsonl"),
            "--layer",
            "t-fellings",
            "--kind",
            "tree_felling",
        ],
    );
    let (n, dev, _) = deviation(&pool, "tree_felling", "t-fellings", "tree-fellings").await;
    assert_eq!(n, 100);
    assert!(dev < 1e-7, "max deviation {dev}°");
}

#[tokio::test]
async fn csv_lon_lat_plantings_with_known_permits_round_trip() {
    let (db, pool) = loaded_db().await;
    let r = ingest_json(
        &db,
        &[
            &fx("plantings_lonlat.csv"),
            "--layer",
            "t-plantings",
            "--kind",
            "tree_planting",
        ],
    );
    assert_eq!(r["errors"], 0);
    let (n, dev, _) = deviation(&pool, "tree_planting", "t-plantings", "tree-plantings").await;
    let rows = std::fs::read_to_string(fx("plantings_lonlat.csv"))
        .unwrap()
        .lines()
        .count() as i64
        - 1;
    assert_eq!(n, rows);
    assert!(dev < 1e-7, "max deviation {dev}°");
}

#[tokio::test]
async fn csv_wkt_nav_signs_round_trip_with_languages() {
    let (db, pool) = loaded_db().await;
    qala_ok(
        &db,
        &[
            "-q",
            "ingest",
            &fx("nav_signs_wkt.csv"),
            "--layer",
            "t-signs",
            "--kind",
            "nav_sign",
        ],
    );
    let (n, dev, _) = deviation(&pool, "nav_sign", "t-signs", "nav-signs").await;
    assert_eq!(n, served_count(&pool, "nav_sign", "nav-signs").await);
    assert!(dev < 1e-7, "max deviation {dev}°");
    let differ: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM nav_sign_current n JOIN nav_sign_current r
           ON r.layer_slug = 'nav-signs' AND r.source_row = (n.props->>'src_row')::numeric::bigint
         WHERE n.layer_slug = 't-signs' AND n.languages <> r.languages",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(differ, 0);
}

#[tokio::test]
async fn geotiff_population_cells_sum_to_the_raster() {
    let db = fresh_db().await;
    let pool = PgPool::connect(&db.url).await.unwrap();
    let tif = fx("population_1km_utm43n.tif");
    qala_ok(
        &db,
        &["-q", "ingest", &tif, "--layer", "t-pop", "--kind", "population_cell"],
    );
    // The independent answer: GDAL's own statistics of the raster.
    let out = Command::new("gdalinfo")
        .args(["-stats", "-json", &tif])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(format!("{tif}.aux.xml"));
    let info: Json = serde_json::from_slice(&out.stdout).unwrap();
    let band = &info["bands"][0];
    let (w, h) = (info["size"][0].as_f64().unwrap(), info["size"][1].as_f64().unwrap());
    let valid_pct: f64 = band["metadata"][""]["STATISTICS_VALID_PERCENT"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let mean = band["mean"].as_f64().unwrap();
    let valid = (w * h * valid_pct / 100.0).round();
    let (cells, sum): (i64, f64) =
        sqlx::query_as("SELECT count(*), sum(residents) FROM population_cell_current WHERE layer_slug = 't-pop'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(cells as f64, valid);
    assert!((sum - mean * valid).abs() / sum < 1e-4, "{sum} vs {}", mean * valid);
    assert_eq!(source_crs(&pool, "t-pop").await, "EPSG:32643");
    let area: f64 = sqlx::query_scalar("SELECT avg(area_m2) FROM population_cell_current WHERE layer_slug = 't-pop'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!((area - 1e6).abs() < 1e4, "1 km cells, got {area} m²");
}

#[tokio::test]
async fn grid_population_geopackage_takes_population_as_residents() {
    let (db, pool) = loaded_db().await;
    qala_ok(
        &db,
        &[
            "-q",
            "ingest",
            &fx("population_grid_3857.gpkg"),
            "--layer",
            "t-grid",
            "--kind",
            "population_cell",
        ],
    );
    let (n, differ): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE abs(n.residents - r.residents) > 1e-9
                                           OR ST_HausdorffDistance(n.geom, r.geom) > 1e-7)
         FROM population_cell_current n JOIN population_cell_current r
           ON r.layer_slug = 'population' AND r.source_row = (n.props->>'h3')::bigint
         WHERE n.layer_slug = 't-grid'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((n, differ), (500, 0));
}

#[tokio::test]
async fn osm_pbf_roads_by_tag_rules_match_ogrinfo() {
    let db = fresh_db().await;
    let pool = PgPool::connect(&db.url).await.unwrap();
    let pbf = repo().join("fixtures/osm/almaty_2013-12.osm.pbf");
    qala_ok(
        &db,
        &[
            "-q",
            "ingest",
            pbf.to_str().unwrap(),
            "--layer",
            "t-roads",
            "--kind",
            "road",
        ],
    );
    let out = Command::new("ogrinfo")
        .args([
            "-ro",
            "-q",
            pbf.to_str().unwrap(),
            "-sql",
            "SELECT count(*) AS n FROM lines WHERE highway IS NOT NULL",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let expected: i64 = text
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("n (Integer) = ")
                .or_else(|| l.trim().strip_prefix("n (Integer64) = "))
        })
        .unwrap_or_else(|| panic!("ogrinfo said: {text}"))
        .parse()
        .unwrap();
    assert!(expected > 1000);
    assert_eq!(served_count(&pool, "road", "t-roads").await, expected);
}

/// Everything a bad file could change: layers, versions, and every kind table.
async fn snapshot(pool: &PgPool) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = sqlx::query_as(
        "SELECT 'layer ' || slug || ' ' || kind || ' ' || title_en, COALESCE(current_version_id, 0) FROM layer
         UNION ALL SELECT 'versions', count(*) FROM layer_version",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    for kind in qala_core::LayerKind::ALL {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {}", kind.table()))
            .fetch_one(pool)
            .await
            .unwrap();
        out.push((kind.table().to_owned(), n));
    }
    out.sort();
    out
}

#[tokio::test]
async fn every_bad_file_is_refused_with_a_clear_message_and_the_database_is_unchanged() {
    let (db, pool) = loaded_db().await;
    let cases: &[(&str, &[&str], &str)] = &[
        (
            "truncated.geojson",
            &["--layer", "bike-lanes"],
            "cannot open it as GeoJSON",
        ),
        (
            "nan_coordinates.geojson",
            &["--layer", "bike-lanes"],
            "not a finite number",
        ),
        ("huge_coordinates.geojson", &["--layer", "bike-lanes"], "out of range"),
        ("swapped_latlon.geojson", &["--layer", "bike-lanes"], "look swapped"),
        (
            "self_intersecting_polygon.geojson",
            &["--layer", "green-spaces", "--strict"],
            "self-intersection",
        ),
        (
            "points_as_green_space.geojson",
            &["--layer", "green-spaces"],
            "takes MultiPolygon",
        ),
        (
            "unknown_lane_status.geojson",
            &["--layer", "bike-lanes"],
            "unknown status",
        ),
        (
            "planting_in_future.geojson",
            &["--layer", "tree-plantings"],
            "in the future",
        ),
        (
            "negative_trees_planted.geojson",
            &["--layer", "tree-plantings"],
            "negative value",
        ),
        ("unknown_permit.csv", &["--layer", "tree-plantings"], "unknown permit"),
        ("empty.geojson", &["--layer", "bike-lanes"], "empty (0 bytes)"),
        ("empty_geometry.geojson", &["--layer", "bike-lanes"], "empty geometry"),
        ("null_geometry.geojson", &["--layer", "bike-lanes"], "no geometry"),
        (
            "latitude_out_of_range.geojson",
            &["--layer", "bike-lanes"],
            "out of range",
        ),
        ("broken_wkt.csv", &["--layer", "nav-signs"], "WKT text cannot be parsed"),
        ("utm_metres_in_lonlat_csv.csv", &["--layer", "nav-signs"], "--crs"),
        ("bad_date.geojson", &["--layer", "tree-plantings"], "not a date"),
        (
            "external_entity.kml",
            &["--layer", "services"],
            "cannot open it as LIBKML",
        ),
        ("not_a_geopackage.gpkg", &["--layer", "services"], "not one"),
        ("broken_line.geojsonl", &["--layer", "bike-lanes"], "damaged"),
        ("zip_slip.zip", &["--layer", "roads"], "'..'"),
        ("absolute_member.zip", &["--layer", "roads"], "absolute path"),
        ("shapefile_without_prj.zip", &["--layer", "roads"], "pass --crs"),
        ("zip_bomb.zip", &["--layer", "roads"], "zip bomb"),
        ("zip_without_shapefile.zip", &["--layer", "roads"], "no .shp"),
        ("truncated.zip", &["--layer", "roads"], "cannot read the zip"),
        (
            "duplicate_district_ids.geojson",
            &["--layer", "districts"],
            "duplicate key",
        ),
        (
            "unknown_lane_status.geojson",
            &["--layer", "new-lanes", "--kind", "bike_lane"],
            "unknown status",
        ),
        (
            "shapefile_without_prj.zip",
            &["--layer", "roads", "--crs", "EPSG:999999"],
            "not a coordinate reference system",
        ),
        ("unknown_lane_status.geojson", &["--layer", "roads"], "highway"),
    ];
    let entries = std::fs::read_dir(repo().join("fixtures/bad")).unwrap().count();
    assert!(entries >= 20, "fixtures/bad holds {entries} files");
    let before = snapshot(&pool).await;
    for (file, args, expect) in cases {
        let path = bad(file);
        let mut all = vec!["-q", "ingest", &path];
        all.extend_from_slice(args);
        let started = Instant::now();
        let out = qala(&db, &all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{file} {args:?} was accepted:\n{stderr}");
        assert_eq!(out.status.code(), Some(1), "{file}: exit {:?}\n{stderr}", out.status);
        assert!(!stderr.contains("panicked"), "{file}: panic\n{stderr}");
        assert!(
            stderr.contains(expect),
            "{file} {args:?}: expected {expect:?} in:\n{stderr}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{file} took {:?}",
            started.elapsed()
        );
        assert_eq!(snapshot(&pool).await, before, "{file} changed the database");
    }
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let leaked: i64 = sqlx::query_scalar("SELECT count(*) FROM service WHERE name LIKE '%root:%'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(passwd.is_empty() || leaked == 0);
}

#[tokio::test]
async fn report_json_names_row_field_value_reason_and_hint() {
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = qala(
        &db,
        &[
            "-q",
            "ingest",
            &bad("unknown_lane_status.geojson"),
            "--layer",
            "lanes",
            "--kind",
            "bike_lane",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let r: Json = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["status"], "refused");
    assert_eq!(r["errors"], 1);
    let p = &r["problems"][0];
    assert_eq!(
        (p["row"].as_u64(), p["field"].as_str(), p["value"].as_str()),
        (Some(1), Some("status"), Some("maybe"))
    );
    assert_eq!(p["severity"], "error");
    assert!(p["hint"].as_str().unwrap().contains("under_construction"));
    // A refused first load leaves no empty layer behind.
    let pool = PgPool::connect(&db.url).await.unwrap();
    let layers: i64 = sqlx::query_scalar("SELECT count(*) FROM layer")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(layers, 0);
}

#[tokio::test]
async fn self_intersecting_polygon_is_repaired_and_reported_without_strict() {
    let db = fresh_db().await;
    let pool = PgPool::connect(&db.url).await.unwrap();
    let r = ingest_json(
        &db,
        &[
            &bad("self_intersecting_polygon.geojson"),
            "--layer",
            "bow",
            "--kind",
            "green_space",
        ],
    );
    assert_eq!(r["status"], "loaded");
    assert_eq!(r["repaired"], 1);
    assert_eq!(r["problems"][0]["severity"], "repaired");
    let (valid, parts): (bool, i32) = sqlx::query_as(
        "SELECT ST_IsValid(geom), ST_NumGeometries(geom) FROM green_space_current WHERE layer_slug = 'bow'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(valid);
    assert_eq!(parts, 2, "a bow tie repairs into two triangles");
}

#[tokio::test]
async fn same_file_twice_makes_no_new_version_and_rollback_restores_the_old_one() {
    let (db, pool) = loaded_db().await;
    let first = ingest_json(
        &db,
        &[&fx("fellings.geojsonl"), "--layer", "fell", "--kind", "tree_felling"],
    );
    assert_eq!(
        (first["status"].as_str(), first["version"].as_i64()),
        (Some("loaded"), Some(1))
    );
    let again = ingest_json(&db, &[&fx("fellings.geojsonl"), "--layer", "fell"]);
    assert_eq!(
        (again["status"].as_str(), again["version"].as_i64()),
        (Some("unchanged"), Some(1))
    );
    // A different file of the same kind: version 2 with the reference layer's 400 fellings.
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all-fellings.geojson");
    let export = Command::new("ogr2ogr")
        .args(["-f", "GeoJSON", all.to_str().unwrap()])
        .arg(pg_dsn(&db.url))
        .args(["-sql", "SELECT permit_no, felled_on, trees_felled, compensation_ratio, geom FROM tree_felling_current WHERE layer_slug = 'tree-fellings'"])
        .output()
        .unwrap();
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let second = ingest_json(&db, &[all.to_str().unwrap(), "--layer", "fell"]);
    assert_eq!(second["version"], 2);
    assert_eq!(served_count(&pool, "tree_felling", "fell").await, 400);
    qala_ok(&db, &["layer", "rollback", "fell", "--to", "1"]);
    assert_eq!(served_count(&pool, "tree_felling", "fell").await, 100);
    // Loading version 2's file again serves version 2 again, without a third version.
    let restored = ingest_json(&db, &[all.to_str().unwrap(), "--layer", "fell"]);
    assert_eq!(
        (restored["status"].as_str(), restored["version"].as_i64()),
        (Some("restored"), Some(2))
    );
    let versions: i64 =
        sqlx::query_scalar("SELECT count(*) FROM layer_version v JOIN layer l USING (layer_id) WHERE l.slug = 'fell'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(versions, 2);
}

fn pg_dsn(url: &str) -> String {
    // postgres://user:pass@host:port/db -> PG:host=… for ogr2ogr
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let (creds, hostdb) = rest.rsplit_once('@').unwrap_or(("", rest));
    let (user, pass) = creds.split_once(':').unwrap_or((creds, ""));
    let (hostport, db) = hostdb.split_once('/').unwrap_or((hostdb, ""));
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "5432"));
    format!("PG:host={host} port={port} user={user} password={pass} dbname={db}")
}

/// A GeoJSON sequence of `n` points in Almaty, written quickly.
fn big_points_file(n: usize) -> (tempfile::TempDir, PathBuf) {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many-stops.geojsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..n {
        let x = 76.80 + (i % 1000) as f64 * 0.0003;
        let y = 43.15 + (i / 1000 % 1000) as f64 * 0.0003;
        writeln!(
            f,
            r#"{{"type":"Feature","properties":{{"category":"bus_stop","name":"stop {i}"}},"geometry":{{"type":"Point","coordinates":[{x},{y}]}}}}"#
        )
        .unwrap();
    }
    f.flush().unwrap();
    (dir, path)
}

/// Starts `qala ingest` on a big file and waits until its COPY is running in PostgreSQL.
// The caller kills and waits for the child; a failed assert here ends the test process.
#[allow(clippy::zombie_processes)]
async fn start_big_load(db: &TestDb, pool: &PgPool, file: &std::path::Path) -> (std::process::Child, i32) {
    let child = Command::new(qala_bin())
        .args(["-q", "ingest", file.to_str().unwrap(), "--layer", "services"])
        .current_dir(repo())
        .env("DATABASE_URL", &db.url)
        .env("QALA_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        let pid: Option<i32> = sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY service\\_v% (%' AND state = 'active'",
        )
        .fetch_optional(pool)
        .await
        .unwrap();
        if let Some(pid) = pid {
            // Let it write for a while: the kill must land in the middle of the COPY.
            tokio::time::sleep(Duration::from_millis(700)).await;
            return (child, pid);
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the load never reached COPY"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_for_backend_gone(pool: &PgPool, pid: i32) {
    let started = Instant::now();
    while sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)")
        .bind(pid)
        .fetch_one(pool)
        .await
        .unwrap()
    {
        assert!(started.elapsed() < Duration::from_secs(60), "backend {pid} lingers");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn killing_ingest_mid_load_leaves_the_previous_version_served_and_complete() {
    let (db, pool) = loaded_db().await;
    let before = snapshot(&pool).await;
    let served_before = served_count(&pool, "service", "services").await;
    let (_dir, file) = big_points_file(400_000);
    let (mut child, backend) = start_big_load(&db, &pool, &file).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the load finished before the kill: make the file bigger"
    );
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert!(!status.success());
    wait_for_backend_gone(&pool, backend).await;
    assert_eq!(served_count(&pool, "service", "services").await, served_before);
    assert_eq!(snapshot(&pool).await, before, "a killed load must leave no trace");
    // And the next load works.
    qala_ok(&db, &["-q", "ingest", &fx("services.kml"), "--layer", "services"]);
    assert_eq!(served_count(&pool, "service", "services").await, 120);
}

#[tokio::test]
async fn losing_the_database_connection_mid_load_is_a_clean_failure() {
    let (db, pool) = loaded_db().await;
    let before = snapshot(&pool).await;
    let (_dir, file) = big_points_file(400_000);
    let (child, backend) = start_big_load(&db, &pool, &file).await;
    let _: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
        .bind(backend)
        .fetch_one(&pool)
        .await
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("nothing was loaded") && !stderr.contains("panicked"),
        "{stderr}"
    );
    wait_for_backend_gone(&pool, backend).await;
    assert_eq!(snapshot(&pool).await, before);
}

#[tokio::test]
async fn a_property_a_geojson_feature_omits_is_null_not_zero() {
    // GDAL reads an omitted integer property as "unset"; read naively it is 0, which for
    // a planting's survival check would say every tree died.
    let db = fresh_db().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lanes.geojson");
    std::fs::write(
        &file,
        r#"{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"status":"planned","facility":"painted","planned_year":2028},"geometry":{"type":"LineString","coordinates":[[76.93,43.24],[76.94,43.25]]}},
{"type":"Feature","properties":{"status":"existing","facility":"protected"},"geometry":{"type":"LineString","coordinates":[[76.95,43.24],[76.96,43.25]]}}]}"#,
    )
    .unwrap();
    let path = file.to_string_lossy().into_owned();
    qala_ok(&db, &["-q", "ingest", &path, "--layer", "lanes", "--kind", "bike_lane"]);
    let pool = PgPool::connect(&db.url).await.unwrap();
    let years: Vec<Option<i64>> =
        sqlx::query_scalar("SELECT planned_year FROM bike_lane_current WHERE layer_slug = 'lanes' ORDER BY source_row")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(years, vec![Some(2028), None]);
}
