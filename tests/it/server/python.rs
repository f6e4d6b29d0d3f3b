//! The Python tools the server tests drive (`tests/python-requirements.txt`, pinned): a venv
//! under target/ made on first use, or `$QALA_TEST_VENV` (which `scripts/test` prepares).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

use crate::common::repo;

const REQUIREMENTS: &str = include_str!("../../python-requirements.txt");

/// One test at a time makes the venv.
static MAKING: Mutex<()> = Mutex::new(());

/// The venv's `bin/` directory, with every pinned package installed.
pub fn venv_bin() -> PathBuf {
    let venv = std::env::var_os("QALA_TEST_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target").join("test-venv"));
    let bin = venv.join("bin");
    let _guard = MAKING.lock().unwrap_or_else(|p| p.into_inner());
    // `python3 -m pip`, not `bin/pip`: a copied target/ keeps the shebang of the venv it
    // was made in, and its pip would answer for (and install into) that venv.
    let installed = Command::new(bin.join("python3"))
        .args(["-m", "pip", "freeze"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).to_lowercase())
        .unwrap_or_default();
    let missing = REQUIREMENTS
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|pin| !installed.lines().any(|l| l == pin.to_lowercase()));
    if missing {
        let ok = |c: &mut Command| c.status().is_ok_and(|s| s.success());
        assert!(
            ok(Command::new("python3").args(["-m", "venv"]).arg(&venv)),
            "python3 -m venv failed"
        );
        assert!(
            ok(Command::new(bin.join("python3"))
                .args(["-m", "pip", "install", "-q", "-r"])
                .arg(repo().join("tests").join("python-requirements.txt"))),
            "pip install -r tests/python-requirements.txt failed"
        );
    }
    bin
}
