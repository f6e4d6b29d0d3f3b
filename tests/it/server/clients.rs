//! Real clients against the `qala serve` binary: GDAL's OAPIF driver (ogrinfo, ogr2ogr),
//! OWSLib, and GDAL's MVT driver on a saved tile.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::binary::{http_get, serve};
use crate::common::{fresh_db, qala_ok, repo};

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A Python with OWSLib: `$QALA_OWSLIB_PYTHON`, else a venv in target/ made on first use.
fn owslib_python() -> PathBuf {
    if let Ok(p) = std::env::var("QALA_OWSLIB_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = repo().join("target").join("owslib-venv");
    let py = venv.join("bin").join("python");
    let has = |py: &Path| {
        Command::new(py)
            .args(["-c", "import owslib"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !has(&py) {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
        run(Command::new(venv.join("bin").join("pip")).args(["install", "-q", "owslib>=0.29,<0.36"]));
    }
    py
}

#[tokio::test(flavor = "multi_thread")]
async fn gdal_owslib_and_mvt_clients_read_the_server() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let server = serve(&db.url);
    let base = format!("http://127.0.0.1:{}", server.port);
    let tmp = tempfile::tempdir().unwrap();

    // GDAL OAPIF lists every collection
    let listing = run(Command::new("ogrinfo").args(["-ro", &format!("OAPIF:{base}")]));
    for slug in [
        "districts",
        "bike-lanes",
        "services",
        "tree-fellings",
        "population",
        "proposals",
    ] {
        assert!(listing.contains(&format!(": {slug} (")), "{slug} missing:\n{listing}");
    }

    // The residents' proposals: GDAL copies every approved one (offset paging), public fields only
    let out = tmp.path().join("proposals.gpkg");
    run(Command::new("ogr2ogr")
        .args(["-f", "GPKG"])
        .arg(&out)
        .arg(format!("OAPIF:{base}/collections/proposals"))
        .args(["-oo", "PAGE_SIZE=400"]));
    let info = run(Command::new("ogrinfo").args(["-ro", "-so"]).arg(&out).arg("proposals"));
    let (_, list) = http_get(server.port, "/proposals?limit=1").unwrap();
    let approved = serde_json::from_slice::<serde_json::Value>(&list).unwrap()["numberMatched"]
        .as_i64()
        .unwrap();
    assert!(approved > 500, "the synthetic set is loaded: {approved}");
    assert!(
        info.contains(&format!("Feature Count: {approved}")),
        "expected {approved}:\n{info}"
    );
    assert!(
        info.contains("category: String") && info.contains("supports: Integer"),
        "{info}"
    );
    assert!(
        !info.contains("contact:") && !info.contains("client_hash:"),
        "never a contact: {info}"
    );

    // ogr2ogr copies every feature, paging through next links
    for (slug, page) in [("districts", "3"), ("services", "50")] {
        let out = tmp.path().join(format!("{slug}.gpkg"));
        run(Command::new("ogr2ogr")
            .args(["-f", "GPKG"])
            .arg(&out)
            .arg(format!("OAPIF:{base}/collections/{slug}"))
            .args(["-oo", &format!("PAGE_SIZE={page}")]));
        let info = run(Command::new("ogrinfo").args(["-ro", "-so"]).arg(&out).arg(slug));
        let (_, layers) = http_get(server.port, &format!("/layers/{slug}")).unwrap();
        let expected = serde_json::from_slice::<serde_json::Value>(&layers).unwrap()["feature_count"]
            .as_i64()
            .unwrap();
        assert!(
            info.contains(&format!("Feature Count: {expected}")),
            "{slug}: expected {expected}:\n{info}"
        );
    }

    // OWSLib lists collections and pages with the next link's cursor
    let script = r#"
import sys, json
from owslib.ogcapi.features import Features
w = Features(sys.argv[1])
ids = [c["id"] for c in w.collections()["collections"]]
p1 = w.collection_items("services", limit=7)
nxt = [l["href"] for l in p1["links"] if l["rel"] == "next"][0]
after = nxt.split("after=")[1].split("&")[0]
p2 = w.collection_items("services", limit=7, after=after)
print(json.dumps({"ids": ids, "p1": [f["id"] for f in p1["features"]], "p2": [f["id"] for f in p2["features"]]}))
"#;
    let out = run(Command::new(owslib_python()).args(["-c", script, &base]));
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(
        j["ids"].as_array().unwrap().len(),
        16,
        "15 layers (with the synthetic elevation model) and the residents' proposals"
    );
    let p1: Vec<i64> = serde_json::from_value(j["p1"].clone()).unwrap();
    let p2: Vec<i64> = serde_json::from_value(j["p2"].clone()).unwrap();
    assert_eq!((p1.len(), p2.len()), (7, 7));
    assert!(p1.last() < p2.first(), "pages overlap: {p1:?} {p2:?}");

    // GDAL's MVT driver reads a saved tile (z/x/y taken from the file's path)
    let (x, y) = qala_tiles::mercator::to_3857(qala_core::REPUBLIC_SQUARE_WGS84.0, qala_core::REPUBLIC_SQUARE_WGS84.1);
    let t = qala_tiles::TileCoord::containing(14, x, y);
    let (status, tile) = http_get(server.port, &format!("/tiles/buildings,roads,services/{t}.mvt")).unwrap();
    assert_eq!(status, 200);
    let dir = tmp.path().join(format!("{}/{}", t.z, t.x));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{}.pbf", t.y));
    std::fs::write(&file, &tile).unwrap();
    let info = run(Command::new("ogrinfo").args(["-ro", "-al", "-so"]).arg(&file));
    assert!(info.contains("Layer name: buildings"), "{info}");
    assert!(info.contains("Layer name: roads"), "{info}");
    let roads = run(Command::new("ogrinfo").args(["-ro", "-so"]).arg(&file).arg("roads"));
    // georeferenced back into the tile's extent (EPSG:3857 metres around Almaty)
    assert!(roads.contains("Extent: (85"), "{roads}");
    assert!(roads.contains("highway: String"), "{roads}");
    drop(server);
}
