//! Every temporary file qala makes (uploads, staged copies, unpacked archives) lives in
//! one directory it owns, `$TMPDIR/qala-<uid>/`, in a folder named after its purpose and
//! the owning process: `upload-<pid>-XXXXXX`, `ingest-<pid>-XXXXXX`. A crash or a
//! `kill -9` skips the destructors that would remove them; [`sweep`] at the start of
//! `qala serve` and `qala ingest` removes what dead processes left behind.

use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Path, PathBuf};

/// `$TMPDIR/qala-<uid>`: per user, so two users' qala never share (or trust) it.
pub fn root() -> PathBuf {
    std::env::temp_dir().join(format!("qala-{}", nix::unistd::getuid()))
}

/// A new private directory for `purpose` (a word without `-`, e.g. `upload`), removed
/// when the handle is dropped.
pub fn create(purpose: &str) -> io::Result<tempfile::TempDir> {
    create_in(&root(), purpose)
}

/// [`create`] under another root (tests).
pub fn create_in(root: &Path, purpose: &str) -> io::Result<tempfile::TempDir> {
    ensure_private(root)?;
    tempfile::Builder::new()
        .prefix(&format!("{purpose}-{}-", std::process::id()))
        .tempdir_in(root)
}

/// Creates `root` (mode 0700) or checks that the existing one is ours: in a shared /tmp,
/// another user could have made it first, or put a symlink there.
fn ensure_private(root: &Path) -> io::Result<()> {
    match std::fs::DirBuilder::new().mode(0o700).create(root) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    let meta = std::fs::symlink_metadata(root)?;
    if !meta.is_dir() || meta.uid() != nix::unistd::getuid().as_raw() || meta.mode() & 0o077 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} is not a private directory of this user; remove it or set TMPDIR",
                root.display()
            ),
        ));
    }
    Ok(())
}

/// Removes the leftovers of dead qala processes from [`root`]; returns how many.
pub fn sweep() -> io::Result<usize> {
    sweep_in(&root())
}

/// [`sweep`] under another root (tests). Entries that do not carry a PID are left alone.
pub fn sweep_in(root: &Path) -> io::Result<usize> {
    let entries = match std::fs::read_dir(root) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(owner_pid) else {
            continue;
        };
        if is_alive(pid) {
            continue;
        }
        let path = entry.path();
        let gone = if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match gone {
            Ok(()) => removed += 1,
            // Another process sweeping at the same time got there first.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(removed)
}

/// The PID in `purpose-<pid>-XXXXXX`.
fn owner_pid(name: &str) -> Option<i32> {
    let mut parts = name.splitn(3, '-');
    let (_purpose, pid, _rest) = (parts.next()?, parts.next()?, parts.next()?);
    pid.parse::<i32>().ok().filter(|p| *p > 0)
}

/// Signal 0 checks for a process without touching it; EPERM means it exists but is
/// someone else's (a reused PID): keep its files rather than guess.
fn is_alive(pid: i32) -> bool {
    match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(e) => e == nix::errno::Errno::EPERM,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PID no process has: above the kernel's pid_max (at most 2^22 on Linux).
    const DEAD_PID: i32 = 99_999_999;

    #[test]
    fn sweep_removes_dead_processes_leftovers_and_keeps_live_ones() {
        let base = tempfile::tempdir().unwrap();
        let root = base.path().join("qala-test");
        let live = create_in(&root, "upload").unwrap();
        std::fs::write(live.path().join("upload"), b"in use").unwrap();
        let dead_dir = root.join(format!("ingest-{DEAD_PID}-abc123"));
        std::fs::create_dir(&dead_dir).unwrap();
        std::fs::write(dead_dir.join("source.geojson"), b"{}").unwrap();
        let dead_file = root.join(format!("upload-{DEAD_PID}-x"));
        std::fs::write(&dead_file, b"half an upload").unwrap();
        let foreign = root.join("notes.txt");
        std::fs::write(&foreign, b"not ours").unwrap();

        assert_eq!(sweep_in(&root).unwrap(), 2);
        assert!(!dead_dir.exists() && !dead_file.exists());
        assert!(live.path().join("upload").exists(), "a live process keeps its files");
        assert!(foreign.exists(), "names without a PID are not ours to remove");
        let name = live.path().file_name().unwrap().to_str().unwrap().to_owned();
        assert_eq!(owner_pid(&name), Some(std::process::id() as i32));
    }

    #[test]
    fn a_root_someone_else_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let base = tempfile::tempdir().unwrap();
        let root = base.path().join("qala-test");
        std::fs::create_dir(&root).unwrap();
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = create_in(&root, "upload").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(owner_pid("upload-0-x"), None);
        assert_eq!(owner_pid("upload.geojson"), None);
    }
}
