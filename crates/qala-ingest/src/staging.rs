//! Puts a user's file where GDAL may read it: in a private temporary directory, under a
//! name qala makes up (`source.<ext>`). No text from the user — neither the path nor the
//! original file name nor a zip member's name — ever reaches GDAL as a path, URL or `/vsi…`
//! string. Zip archives are unpacked here with every inflated byte counted, so a zip bomb
//! or a member named `../../etc/passwd` is refused before GDAL sees anything.

use std::fs::File;
use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use crate::format::SourceFormat;
use crate::{Cancel, IngestError, Limits};

/// A file ready for GDAL: the directory is removed when this is dropped.
#[derive(Debug)]
pub struct StagedInput {
    dir: tempfile::TempDir,
    /// The path GDAL opens (inside `dir`, named by qala).
    pub path: PathBuf,
    pub format: SourceFormat,
    /// What the user called the file, for messages only.
    pub name: String,
}

impl StagedInput {
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Checks the file and stages it for GDAL. `name` is the user's file name (for an upload,
/// the name it came with); it decides the format together with the file's first bytes.
pub fn stage(path: &Path, name: &str, limits: &Limits, cancel: &Cancel) -> Result<StagedInput, IngestError> {
    crate::gdal_env::init();
    let io = |source| IngestError::Io {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    if meta.len() == 0 {
        return Err(IngestError::EmptyFile { name: name.to_owned() });
    }
    if meta.len() > limits.max_file_bytes {
        return Err(IngestError::TooLarge {
            name: name.to_owned(),
            size: meta.len(),
            limit: limits.max_file_bytes,
        });
    }
    let mut head = [0u8; 64];
    let n = File::open(path)
        .and_then(|mut f| read_up_to(&mut f, &mut head))
        .map_err(io)?;
    let format = SourceFormat::detect(name, &head[..n])?;
    let dir = crate::temp_dir::create("ingest").map_err(io)?;
    let staged_path = match format {
        SourceFormat::ZippedShapefile => unzip(path, name, meta.len(), dir.path(), limits, cancel)?,
        SourceFormat::Shapefile => link_shapefile(path, dir.path())?,
        SourceFormat::Csv => {
            let target = dir.path().join("source.csv");
            stage_csv(path, &target).map_err(io)?;
            target
        }
        f => {
            let target = dir.path().join(format!("source.{}", f.extension()));
            link_or_copy(path, &target).map_err(io)?;
            target
        }
    };
    Ok(StagedInput {
        dir,
        path: staged_path,
        format,
        name: name.to_owned(),
    })
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        let k = f.read(&mut buf[n..])?;
        if k == 0 {
            break;
        }
        n += k;
    }
    Ok(n)
}

/// A CSV is linked like any file, except one whose header names a single column (a list
/// of keys for a delete, say): GDAL 3.6 opens a CSV only when its header line holds a
/// separator (fixed in GDAL 3.7), so the staged copy gets a trailing comma on that line,
/// which is what GDAL's own CSV writer does for one column. Its rows are unchanged.
fn stage_csv(from: &Path, to: &Path) -> std::io::Result<()> {
    let mut reader = std::io::BufReader::new(File::open(from)?);
    let mut header = Vec::new();
    // The header line, up to 64 KiB (a longer one is not a single column name).
    (&mut reader).take(64 << 10).read_until(b'\n', &mut header)?;
    let single_column = !header.iter().any(|b| matches!(b, b',' | b';' | b'\t'));
    if !single_column || header.len() >= 64 << 10 {
        drop(reader);
        return link_or_copy(from, to);
    }
    let mut out = std::io::BufWriter::new(File::create(to)?);
    let line_end = header.iter().rev().take_while(|b| matches!(b, b'\n' | b'\r')).count();
    out.write_all(&header[..header.len() - line_end])?;
    out.write_all(b",")?;
    out.write_all(&header[header.len() - line_end..])?;
    std::io::copy(&mut reader, &mut out)?;
    out.flush()
}

/// A symlink costs nothing however large the file; GDAL sees only qala's name for it.
fn link_or_copy(from: &Path, to: &Path) -> std::io::Result<()> {
    let abs = std::fs::canonicalize(from)?;
    if std::os::unix::fs::symlink(&abs, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(&abs, to).map(|_| ())
}

/// A plain `.shp` given on the command line: its sidecars (same stem) come along.
fn link_shapefile(path: &Path, dir: &Path) -> Result<PathBuf, IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_owned(),
        source,
    };
    let target = dir.join("source.shp");
    link_or_copy(path, &target).map_err(io)?;
    for ext in ["shx", "dbf", "prj", "cpg"] {
        for cased in [ext.to_owned(), ext.to_ascii_uppercase()] {
            let side = path.with_extension(&cased);
            if side.is_file() {
                link_or_copy(&side, &dir.join(format!("source.{ext}"))).map_err(io)?;
                break;
            }
        }
    }
    Ok(target)
}

/// Extensions a zipped Shapefile may carry; other members are skipped.
const SHAPEFILE_PARTS: &[&str] = &["shp", "shx", "dbf", "prj", "cpg"];

/// Unpacks the one Shapefile of a zip into `dir` as `source.*`, counting inflated bytes.
fn unzip(
    path: &Path,
    name: &str,
    zip_bytes: u64,
    dir: &Path,
    limits: &Limits,
    cancel: &Cancel,
) -> Result<PathBuf, IngestError> {
    let io = |source| IngestError::Io {
        path: path.to_owned(),
        source,
    };
    let refuse = |reason: String| IngestError::UnsafeArchive {
        name: name.to_owned(),
        reason,
    };
    let bad = |source| IngestError::BadArchive {
        name: name.to_owned(),
        source,
    };
    let mut archive = zip::ZipArchive::new(File::open(path).map_err(io)?).map_err(bad)?;
    if archive.len() > limits.max_archive_members {
        return Err(refuse(format!(
            "{} members, more than the limit of {}",
            archive.len(),
            limits.max_archive_members
        )));
    }
    // First pass: names only, so that an unsafe member refuses the archive before any byte
    // is written.
    let mut wanted: Vec<(usize, String)> = Vec::new();
    let mut stems: Vec<String> = Vec::new();
    for i in 0..archive.len() {
        let member = archive.by_index_raw(i).map_err(bad)?;
        let raw = member.name().to_owned();
        if !is_safe_member_name(&raw) {
            return Err(refuse(format!(
                "member {raw:?} has an absolute path or '..'; archives must hold plain relative names"
            )));
        }
        if member.is_dir() {
            continue;
        }
        let file_name = raw.rsplit('/').next().unwrap_or(&raw);
        if file_name.starts_with("._") || raw.starts_with("__MACOSX/") {
            continue;
        }
        let Some((stem, ext)) = file_name.rsplit_once('.') else {
            continue;
        };
        let ext = ext.to_ascii_lowercase();
        if SHAPEFILE_PARTS.contains(&ext.as_str()) {
            if ext == "shp" {
                stems.push(stem.to_owned());
            }
            wanted.push((i, ext));
        }
    }
    match stems.len() {
        0 => {
            return Err(IngestError::ArchiveContent {
                name: name.to_owned(),
                reason: "the zip holds no .shp file; a zipped Shapefile needs .shp, .shx and .dbf (and .prj)".into(),
            });
        }
        1 => {}
        _ => {
            return Err(IngestError::ArchiveContent {
                name: name.to_owned(),
                reason: format!(
                    "the zip holds {} Shapefiles ({}); zip one layer per file",
                    stems.len(),
                    stems.join(", ")
                ),
            });
        }
    }
    let mut inflated: u64 = 0;
    for (i, ext) in wanted {
        let mut member = archive.by_index(i).map_err(bad)?;
        let target = dir.join(format!("source.{ext}"));
        let mut out = File::create(&target).map_err(io)?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            // Headers can lie about sizes: count the bytes that really come out.
            let n = member.read(&mut buf).map_err(|e| IngestError::BadArchive {
                name: name.to_owned(),
                source: zip::result::ZipError::Io(e),
            })?;
            if n == 0 {
                break;
            }
            // Unpacking gigabytes takes a while: stop with the client.
            cancel.check(name)?;
            inflated += n as u64;
            if inflated > limits.max_inflated_bytes {
                return Err(refuse(format!(
                    "unpacks to more than {} bytes (zip bomb?)",
                    limits.max_inflated_bytes
                )));
            }
            if inflated > 16 << 20 && inflated / zip_bytes.max(1) > limits.max_inflate_ratio {
                return Err(refuse(format!(
                    "unpacks to more than {}× its size (zip bomb?)",
                    limits.max_inflate_ratio
                )));
            }
            out.write_all(&buf[..n]).map_err(io)?;
        }
    }
    Ok(dir.join("source.shp"))
}

/// A member name is safe when it is relative and never climbs out: no leading `/`, no
/// drive letter, no backslash, no `..` component.
fn is_safe_member_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && !name.contains('\\')
        && !name.contains(':')
        && !name.contains('\0')
        && name.split('/').all(|c| c != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_that_climb_out_are_unsafe() {
        assert!(is_safe_member_name("roads/roads.shp"));
        assert!(!is_safe_member_name("../roads.shp"));
        assert!(!is_safe_member_name("a/../../b.shp"));
        assert!(!is_safe_member_name("/etc/passwd"));
        assert!(!is_safe_member_name("C:\\x.shp"));
    }
}
