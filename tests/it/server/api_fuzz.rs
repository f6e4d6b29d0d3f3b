//! The OpenAPI document against the live server, checked by an off-the-shelf API fuzzer:
//! schemathesis (pinned) runs every operation of `GET /api` against `qala serve` with the
//! fixtures loaded and an admin token, and fails on any 5xx and on any response whose
//! status, content type, headers or body the document does not allow.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::binary::serve_with;
use crate::common::{fresh_db, qala_ok, repo};

/// The schemathesis release this test was written against (`scripts/test` installs the same).
const REQUIREMENTS: &str = include_str!("../../api-fuzz-requirements.txt");
/// Hard wall-clock limit of one run.
const WALL_CLOCK: Duration = Duration::from_secs(180);

/// `st` from `$QALA_SCHEMATHESIS`, else from a venv in target/ made on first use.
fn schemathesis() -> PathBuf {
    if let Ok(p) = std::env::var("QALA_SCHEMATHESIS") {
        return PathBuf::from(p);
    }
    let venv = repo().join("target").join("schemathesis-venv");
    let st = venv.join("bin").join("st");
    let version = REQUIREMENTS.trim().trim_start_matches("schemathesis==");
    let pinned = |venv: &Path| {
        Command::new(venv.join("bin").join("pip"))
            .args(["show", "schemathesis"])
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(&format!("Version: {version}\n")))
    };
    if !st.is_file() || !pinned(&venv) {
        let ok = |c: &mut Command| c.status().is_ok_and(|s| s.success());
        assert!(
            ok(Command::new("python3").args(["-m", "venv"]).arg(&venv)),
            "python3 -m venv failed"
        );
        assert!(
            ok(Command::new(venv.join("bin").join("pip"))
                .args(["install", "-q", "-r"])
                .arg(repo().join("tests").join("api-fuzz-requirements.txt"))),
            "pip install of {} failed",
            REQUIREMENTS.trim()
        );
    }
    st
}

#[tokio::test(flavor = "multi_thread")]
async fn schemathesis_finds_no_server_error_and_no_response_outside_the_document() {
    let st = schemathesis();
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let admin = qala_ok(&db, &["token", "create", "--role", "admin"]).trim().to_owned();
    // A web app to serve at `/` (without one, `/` is a 503 by design).
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<!doctype html><title>qala</title>").unwrap();
    let web_dir = web.path().to_str().unwrap();
    let server = serve_with(&db.url, &["--web-dir", web_dir]);
    let base = format!("http://127.0.0.1:{}", server.port);
    let out = tempfile::tempdir().unwrap();
    let log = out.path().join("schemathesis.log");
    let started = Instant::now();
    let mut child = Command::new(&st)
        .args(["run", &format!("{base}/api"), "--url", &base])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance",
        ])
        // Bounded: a fixed number of cases per operation and phase, a fixed seed. One
        // worker: hypothesis' source inspection is not thread-safe on every Python.
        .args(["--max-examples", "25", "--seed", "20261130", "--workers", "1"])
        .args(["--request-timeout", "30", "--generation-database", "none"])
        .args(["-H", &format!("Authorization: Bearer {admin}")])
        .env("NO_COLOR", "1")
        .current_dir(out.path())
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", st.display()));
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > WALL_CLOCK {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "schemathesis ran over {WALL_CLOCK:?}:\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let report = std::fs::read_to_string(&log).unwrap_or_default();
    let cases = report
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with(|c: char| c.is_ascii_digit()) && l.contains(" generated"))
        .unwrap_or("(no summary)")
        .to_owned();
    eprintln!("schemathesis: {cases} in {:?}", started.elapsed());
    assert!(status.success(), "schemathesis found problems:\n{report}");
    assert!(cases.contains("passed"), "{report}");
    drop(server);
}
