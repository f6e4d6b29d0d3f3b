//! Helpers shared by the end-to-end tests.
// Each test module uses a different subset of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use qala_store::testdb::TestDb;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The `qala` binary built by cargo for this test run.
pub fn qala_bin() -> PathBuf {
    repo().join("target").join("debug").join("qala")
}

/// Runs `qala ARGS` against `db` from the repository root.
pub fn qala(db: &TestDb, args: &[&str]) -> Output {
    Command::new(qala_bin())
        .args(args)
        .current_dir(repo())
        .env("DATABASE_URL", &db.url)
        .env("QALA_LOG", "warn")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", qala_bin().display()))
}

/// Like [`qala`], but fails the test with qala's stderr if the command fails.
pub fn qala_ok(db: &TestDb, args: &[&str]) -> String {
    let out = qala(db, args);
    assert!(
        out.status.success(),
        "qala {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub async fn fresh_db() -> TestDb {
    TestDb::new().await.unwrap_or_else(|e| panic!("test database: {e}"))
}

/// The default definitions but the low-stress and walking-profile ones, comma-separated:
/// those ride or walk on pgRouting networks of their own, checked over HTTP by
/// `lts::low_stress_connectivity_agrees_with_pgrouting_zone_by_zone` and
/// `walk_profile::profile_access_agrees_with_pgrouting_on_every_scheme`.
pub fn ids_but_low_stress(db: &TestDb) -> String {
    let defs: serde_json::Value =
        serde_json::from_str(&qala_ok(db, &["indicators", "--list", "--format", "json"])).unwrap();
    let ids: Vec<&str> = defs
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !["low_stress_access", "profile_access"].contains(&d["measure"]["type"].as_str().unwrap()))
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.len() < defs.as_array().unwrap().len(),
        "the low-stress definitions are shipped"
    );
    ids.join(",")
}
