//! Bounded fuzzing of what qala parses itself (issue 11): zip member handling, CSV rows
//! with WKT, and attribute typing. Property tests with fixed seeds and case counts, so CI
//! runs the same inputs every time in a few seconds; `PROPTEST_CASES` raises the count
//! for a longer local run.
//!
//! Properties: nothing panics; every failure is a typed `IngestError` with a known code;
//! staging never writes outside its own directory; typed values read back as themselves.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use proptest::prelude::*;
use qala_core::{LayerKind, Value};
use qala_ingest::{Cancel, Limits};
use serde_json::{Map, Value as Json};

use crate::{Collect, options};

/// Error codes staging and reading may give for garbage; anything else is a finding.
const INPUT_CODES: &[&str] = &[
    "empty_file",
    "unknown_format",
    "format_mismatch",
    "unsafe_archive",
    "bad_archive",
    "archive_content",
    "file_unopenable",
    "no_such_layer",
    "several_layers",
    "no_crs",
    "unknown_crs",
    "bad_file_crs",
    "gdal_error",
    "kind_not_in_format",
];

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(cases),
        // Fixed inputs in CI: a failure reproduces by rerunning the test.
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x71a1a),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Member names built from the pieces that break unzippers.
fn member_name() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("..".to_owned()),
        Just("".to_owned()),
        Just(".".to_owned()),
        Just("C:".to_owned()),
        Just("a\\..\\b".to_owned()),
        Just("__MACOSX".to_owned()),
        Just("._roads.shp".to_owned()),
        Just("roads.shp".to_owned()),
        Just("roads.SHX".to_owned()),
        Just("roads.dbf".to_owned()),
        Just("roads.prj".to_owned()),
        Just("дороги.shp".to_owned()),
        Just("x\0.shp".to_owned()),
        "[a-z.]{1,8}",
    ];
    (any::<bool>(), prop::collection::vec(piece, 1..4))
        .prop_map(|(abs, parts)| format!("{}{}", if abs { "/" } else { "" }, parts.join("/")))
}

fn zip_bytes(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in members {
        let opts = zip::write::SimpleFileOptions::default();
        if w.start_file(name.as_str(), opts).is_ok() {
            let _ = w.write_all(content);
        }
    }
    w.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// Files of qala's temp root not in another process's folder (tests in other processes
/// stage there at the same time): what this process wrote, and anything that escaped.
fn ours(files: BTreeSet<String>) -> BTreeSet<String> {
    let me = std::process::id().to_string();
    files
        .into_iter()
        .filter(|f| {
            let top = f.split('/').next().unwrap_or_default();
            match top.split('-').nth(1) {
                // A folder another process removes while it is listed shows up bare.
                Some(pid) if pid.parse::<u32>().is_ok() => pid == me,
                _ => true,
            }
        })
        .collect()
}

/// Every regular file under `dir`, relative.
fn files_under(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn zip_members_never_escape_the_staging_directory(
        members in prop::collection::vec((member_name(), prop::collection::vec(any::<u8>(), 0..64)), 0..6),
        flip in prop::option::of((any::<prop::sample::Index>(), any::<u8>())),
    ) {
        let outer = tempfile::tempdir().unwrap();
        let mut bytes = zip_bytes(&members);
        // Sometimes a damaged archive: one byte changed anywhere.
        if let Some((at, b)) = flip && !bytes.is_empty() {
            let i = at.index(bytes.len());
            bytes[i] ^= b | 1;
        }
        let upload = outer.path().join("upload");
        std::fs::write(&upload, &bytes).unwrap();
        let root = qala_ingest::temp_dir::root();
        let before = ours(files_under(&root));
        match qala_ingest::stage(&upload, "layer.zip", &Limits::default(), &Cancel::new()) {
            Ok(staged) => {
                // Only qala's names, directly in its own directory.
                for f in files_under(staged.dir()) {
                    let ext = f.strip_prefix("source.").unwrap_or_else(|| panic!("staged {f:?}"));
                    prop_assert!(["shp", "shx", "dbf", "prj", "cpg"].contains(&ext), "{f}");
                }
                prop_assert!(staged.path.starts_with(staged.dir()));
                let staged_dir = staged.dir().strip_prefix(&root).unwrap().display().to_string();
                let after = ours(files_under(&root));
                for f in after.difference(&before) {
                    prop_assert!(f.starts_with(&staged_dir), "{f} written outside {staged_dir}");
                }
            }
            Err(e) => {
                prop_assert!(INPUT_CODES.contains(&e.code()), "{}: {e}", e.code());
                prop_assert_eq!(ours(files_under(&root)), before.clone(), "a refused archive leaves nothing");
            }
        }
        prop_assert_eq!(files_under(outer.path()), BTreeSet::from(["upload".to_owned()]));
    }
}

/// WKT-ish text: real geometries, their pieces shuffled, and noise.
fn wkt() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("POINT (76.95 43.24)".to_owned()),
        Just("POLYGON ((76.9 43.2,77.0 43.2,77.0 43.3,76.9 43.2))".to_owned()),
        Just("POLYGON ((76.9 43.2,77.0 43.3,77.0 43.2,76.9 43.3,76.9 43.2))".to_owned()),
        Just("MULTIPOINT EMPTY".to_owned()),
        Just("POINT (nan inf)".to_owned()),
        Just("POINT (1e400 43)".to_owned()),
        Just("GEOMETRYCOLLECTION (POINT (76.9 43.2),LINESTRING (76.9 43.2,77 43.3))".to_owned()),
        "(POINT|LINESTRING|POLYGON|MULTIPOLYGON|CIRCULARSTRING|TIN) ?[(]{0,3}[-0-9. ,e]{0,40}[)]{0,3}",
        "[\\PC\"\n,]{0,30}",
    ]
}

fn csv_field(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

proptest! {
    #![proptest_config(config(192))]

    #[test]
    fn csv_rows_with_any_wkt_are_read_or_reported_never_panic(
        rows in prop::collection::vec((wkt(), "[\\PC]{0,12}"), 1..8),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("id,wkt,name\n");
        for (i, (w, name)) in rows.iter().enumerate() {
            text.push_str(&format!("{i},{},{}\n", csv_field(w), csv_field(name)));
        }
        let path = dir.path().join("upload");
        std::fs::write(&path, &text).unwrap();
        let opts = options(LayerKind::Generic);
        let read = qala_ingest::open(&path, "rows.csv", &opts).and_then(|src| {
            let mut sink = Collect::default();
            let summary = src.read(&opts, &mut sink)?;
            Ok((summary, sink))
        });
        match read {
            Ok((summary, sink)) => {
                prop_assert_eq!(summary.accepted as usize, sink.features.len());
                for f in &sink.features {
                    use geo::CoordsIter;
                    for c in f.geometry.coords_iter() {
                        prop_assert!(c.x.is_finite() && c.y.is_finite() && c.x.abs() <= 180.0 && c.y.abs() <= 90.0);
                    }
                }
                for p in &sink.problems {
                    prop_assert!(p.row >= 1 && p.row <= rows.len() as u64 + 1, "{p:?}");
                    prop_assert!(!p.reason.is_empty());
                }
            }
            Err(e) => prop_assert!(INPUT_CODES.contains(&e.code()), "{}: {e}", e.code()),
        }
    }
}

/// Attribute values as files carry them: JSON scalars, numbers as text, lists, blanks.
fn json_value() -> impl Strategy<Value = Json> {
    let scalar = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<f64>().prop_map(Json::from),
        "[ ]{0,2}-?[0-9]{1,4}([.,][0-9]{1,3})?[ ]{0,2}".prop_map(Json::from),
        "(yes|no|да|жоқ|true|0|1|2024-05-31|2031/01/01|2024-13-40)".prop_map(Json::from),
        "(existing|planned|protected|painted|school|kk|ru|en|de)".prop_map(Json::from),
        "[\\PC]{0,10}".prop_map(Json::from),
    ];
    prop_oneof![
        4 => scalar.clone(),
        1 => prop::collection::vec(scalar, 0..4).prop_map(Json::from),
    ]
}

fn attributes() -> impl Strategy<Value = (LayerKind, Map<String, Json>)> {
    prop::sample::select(LayerKind::ALL.to_vec()).prop_flat_map(|kind| {
        let mut names: Vec<String> = kind.fields().iter().map(|f| f.name.to_owned()).collect();
        names.extend(["extra".to_owned(), "Статус".to_owned()]);
        let entry = (prop::sample::select(names), json_value());
        prop::collection::vec(entry, 0..12).prop_map(move |kv| (kind, kv.into_iter().collect()))
    })
}

fn to_json(v: &Value) -> Json {
    serde_json::to_value(v).unwrap()
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn typing_never_panics_and_typed_values_read_back_as_themselves((kind, attrs) in attributes()) {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let Ok(typed) = kind.typed_attributes(&attrs, today) else {
            return Ok(());
        };
        let mut again: Map<String, Json> = typed.props.clone();
        for (def, v) in kind.fields().iter().zip(&typed.values) {
            again.insert(def.name.to_owned(), to_json(v));
        }
        let retyped = kind.typed_attributes(&again, today);
        prop_assert_eq!(retyped.as_ref().map_err(|i| format!("{i:?}")), Ok(&typed), "{} from {:?}", kind.name(), attrs);
    }
}
