//! OGC API Features Part 4 against the real `qala serve` binary: OWSLib's create, replace and
//! delete with GDAL's OAPIF driver reading each result back (tests/ogc/owslib_part4.py), the
//! write reaching the tiles, rollback, and the bad inputs — each leaving the layer's version
//! as it was.

use std::process::Command;

use qala_tiles::mvt_decode::decode;
use serde_json::{Value, json};

use super::binary::{HttpResponse, http, serve};
use super::http::tile_at;
use crate::common::{fresh_db, qala_ok, repo};

const LAYER: &str = "bike-lanes";

fn version(port: u16) -> (i64, i64) {
    let r = http(port, "GET", &format!("/layers/{LAYER}"), &[], b"").unwrap();
    let l = r.json();
    (l["version"].as_i64().unwrap(), l["feature_count"].as_i64().unwrap())
}

fn send(port: u16, method: &str, path: &str, token: Option<&str>, extra: &[(&str, &str)], body: &[u8]) -> HttpResponse {
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut h: Vec<(&str, &str)> = extra.to_vec();
    if let Some(a) = &auth {
        h.push(("Authorization", a.as_str()));
    }
    http(port, method, path, &h, body).unwrap()
}

fn lane(name: &str, facility: &str) -> Vec<u8> {
    json!({"type": "Feature",
           "geometry": {"type": "LineString", "coordinates": [[76.9301, 43.2501], [76.9352, 43.2533]]},
           "properties": {"name": name, "facility": facility, "status": "planned", "planned_year": 2030}})
    .to_string()
    .into_bytes()
}

fn tile_has(port: u16, id: i64) -> bool {
    let r = http(
        port,
        "GET",
        &format!("/tiles/{LAYER}/{}.mvt", tile_at(14, 76.932, 43.251)),
        &[],
        b"",
    )
    .unwrap();
    assert_eq!(r.status, 200);
    decode(&r.body)
        .unwrap()
        .iter()
        .flat_map(|l| l.features.iter().filter_map(|f| f.id))
        .any(|f| f == id as u64)
}

#[tokio::test(flavor = "multi_thread")]
async fn owslib_writes_gdal_reads_and_bad_writes_change_nothing() {
    let db = fresh_db().await;
    qala_ok(&db, &["fixtures", "load"]);
    let mapper = qala_ok(&db, &["token", "create", "--role", "mapper", "--layer", LAYER])
        .trim()
        .to_owned();
    let other = qala_ok(&db, &["token", "create", "--role", "mapper", "--layer", "nav-signs"])
        .trim()
        .to_owned();
    let server = serve(&db.url);
    let port = server.port;
    let base = format!("http://127.0.0.1:{port}");
    let (v0, n0) = version(port);

    // OWSLib's Part 4 calls, each read back with GDAL (the script asserts as it goes).
    let py = super::python::venv_bin().join("python3");
    let out = Command::new(&py)
        .arg(repo().join("tests/ogc/owslib_part4.py"))
        .args([&base, LAYER, &mapper])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "owslib_part4.py: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(seen["count_before"], json!(n0));
    assert_eq!(seen["count_after_create"], json!(n0 + 1));
    assert_eq!(seen["count_after_delete"], json!(n0));
    assert_eq!(seen["deleted_read"], json!("feature_not_found"));
    // Three writes, three versions, each a change set by the mapper's token.
    let (v1, n1) = version(port);
    assert_eq!((v1, n1), (v0 + 3, n0));
    let versions = http(port, "GET", &format!("/layers/{LAYER}/versions"), &[], b"")
        .unwrap()
        .json();
    let modes: Vec<(&str, u64, u64, u64)> = versions.as_array().unwrap()[..3]
        .iter()
        .map(|v| {
            let c = &v["change"];
            (
                c["mode"].as_str().unwrap(),
                c["added"].as_u64().unwrap(),
                c["changed"].as_u64().unwrap(),
                c["removed"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(modes, [("delete", 0, 0, 1), ("upsert", 0, 1, 0), ("append", 1, 0, 0)]);
    assert!(versions[0]["created_by"].as_str().unwrap().starts_with("token:"));

    // A create reaches the tiles at once, and the ids of the other features stay.
    let first = http(port, "GET", &format!("/collections/{LAYER}/items?limit=1"), &[], b"")
        .unwrap()
        .json();
    let kept_id = first["features"][0]["id"].as_i64().unwrap();
    let etag_of = |id: i64| {
        let r = http(port, "GET", &format!("/collections/{LAYER}/items/{id}"), &[], b"").unwrap();
        assert_eq!(r.status, 200);
        r.header("etag").unwrap().to_owned()
    };
    let kept_etag = etag_of(kept_id);
    let geo = [("Content-Type", "application/geo+json")];
    let r = send(
        port,
        "POST",
        &format!("/collections/{LAYER}/items"),
        Some(&mapper),
        &geo,
        &lane("tile lane", "protected"),
    );
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let new_id = r.json()["ids"][0].as_i64().unwrap();
    assert!(r.header("location").unwrap().ends_with(&format!("/items/{new_id}")));
    assert!(tile_has(port, new_id), "the new feature is in its tile");
    assert_eq!(etag_of(kept_id), kept_etag, "another feature's ETag does not change");
    let (v2, n2) = version(port);
    assert_eq!((v2, n2), (v1 + 1, n1 + 1));

    // Bad writes: each a JSON error, the version unchanged.
    let etag = etag_of(new_id);
    let item = format!("/collections/{LAYER}/items/{new_id}");
    let patch = [("Content-Type", "application/merge-patch+json")];
    let stale = [
        ("Content-Type", "application/geo+json"),
        ("If-Match", "\"0123456789abcdef\""),
    ];
    let cases: Vec<(&str, HttpResponse, u16, &str)> = vec![
        (
            "stale ETag (PUT)",
            send(port, "PUT", &item, Some(&mapper), &stale, &lane("x", "painted")),
            412,
            "precondition_failed",
        ),
        (
            "stale ETag (DELETE)",
            send(port, "DELETE", &item, Some(&mapper), &[("If-Match", "\"00\"")], b""),
            412,
            "precondition_failed",
        ),
        (
            "another mapper's layer",
            send(port, "DELETE", &item, Some(&other), &[], b""),
            403,
            "forbidden",
        ),
        (
            "no token",
            send(
                port,
                "POST",
                &format!("/collections/{LAYER}/items"),
                None,
                &geo,
                &lane("x", "painted"),
            ),
            401,
            "unauthorized",
        ),
        (
            "invalid feature",
            send(
                port,
                "POST",
                &format!("/collections/{LAYER}/items"),
                Some(&mapper),
                &geo,
                &lane("x", "rocket"),
            ),
            422,
            "invalid_features",
        ),
        (
            "invalid patch",
            send(
                port,
                "PATCH",
                &item,
                Some(&mapper),
                &patch,
                br#"{"properties":{"status":"dreamt"}}"#,
            ),
            422,
            "invalid_features",
        ),
        (
            "unknown collection",
            send(
                port,
                "POST",
                "/collections/no-such-layer/items",
                Some(&mapper),
                &geo,
                &lane("x", "painted"),
            ),
            404,
            "layer_not_found",
        ),
        (
            "unknown feature",
            send(
                port,
                "DELETE",
                &format!("/collections/{LAYER}/items/99999999"),
                Some(&mapper),
                &[],
                b"",
            ),
            404,
            "feature_not_found",
        ),
        (
            "malformed JSON",
            send(
                port,
                "POST",
                &format!("/collections/{LAYER}/items"),
                Some(&mapper),
                &geo,
                b"{\"type\": \"Feature\", ",
            ),
            400,
            "invalid_body",
        ),
        (
            "not a feature",
            send(
                port,
                "PUT",
                &item,
                Some(&mapper),
                &geo,
                br#"{"type":"Point","coordinates":[76.9,43.2]}"#,
            ),
            400,
            "invalid_body",
        ),
        (
            "not JSON",
            send(
                port,
                "POST",
                &format!("/collections/{LAYER}/items"),
                Some(&mapper),
                &[("Content-Type", "text/csv")],
                b"a,b",
            ),
            415,
            "unsupported_media_type",
        ),
        (
            "PUT on items",
            send(
                port,
                "PUT",
                &format!("/collections/{LAYER}/items"),
                Some(&mapper),
                &geo,
                &lane("x", "painted"),
            ),
            405,
            "method_not_allowed",
        ),
    ];
    for (what, r, status, code) in cases {
        assert_eq!(r.status, status, "{what}: {}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.json()["code"], json!(code), "{what}");
        assert_eq!(version(port), (v2, n2), "{what} changed the layer");
    }
    let invalid = send(
        port,
        "POST",
        &format!("/collections/{LAYER}/items"),
        Some(&mapper),
        &geo,
        &lane("x", "rocket"),
    )
    .json();
    assert_eq!(invalid["report"]["problems"][0]["field"], json!("facility"));
    assert_eq!(etag_of(new_id), etag, "nothing changed the feature");

    // Two writers holding the same ETag: exactly one wins, the other is told it is stale.
    let racers: Vec<_> = ["racer one", "racer two"]
        .into_iter()
        .map(|name| {
            let (item, mapper, etag) = (item.clone(), mapper.clone(), etag.clone());
            std::thread::spawn(move || {
                let h = [("Content-Type", "application/geo+json"), ("If-Match", etag.as_str())];
                send(port, "PUT", &item, Some(&mapper), &h, &lane(name, "painted")).status
            })
        })
        .collect();
    let mut statuses: Vec<u16> = racers.into_iter().map(|t| t.join().unwrap()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [204, 412]);
    assert_eq!(version(port), (v2 + 1, n2), "one write, one version");
    let etag = etag_of(new_id);

    // Allow tells each caller what it may do.
    let allow = |token: Option<&str>, path: &str| {
        send(port, "OPTIONS", path, token, &[], b"")
            .header("allow")
            .map(str::to_owned)
    };
    assert_eq!(
        allow(Some(&mapper), &item).as_deref(),
        Some("GET, HEAD, PUT, PATCH, DELETE, OPTIONS")
    );
    assert_eq!(allow(None, &item).as_deref(), Some("GET, HEAD, OPTIONS"));
    assert_eq!(
        allow(Some(&other), &format!("/collections/{LAYER}/items")).as_deref(),
        Some("GET, HEAD, OPTIONS")
    );

    // A fresh ETag writes; PATCH merges; the tile follows; rollback undoes it.
    let r = send(
        port,
        "PATCH",
        &item,
        Some(&mapper),
        &[("Content-Type", "application/merge-patch+json"), ("If-Match", &etag)],
        br#"{"properties":{"name":"patched lane"}}"#,
    );
    assert_eq!(r.status, 204, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("etag").unwrap(), etag_of(new_id));
    let f = http(port, "GET", &item, &[], b"").unwrap().json();
    assert_eq!(
        (f["properties"]["name"].as_str(), f["properties"]["facility"].as_str()),
        (Some("patched lane"), Some("painted")),
        "the patch changes the name and keeps what it does not name"
    );
    let r = send(port, "DELETE", &item, Some(&mapper), &[], b"");
    assert_eq!(r.status, 204);
    assert!(!tile_has(port, new_id), "the deleted feature left its tile");
    let r = send(
        port,
        "POST",
        &format!("/layers/{LAYER}/rollback"),
        Some(&mapper),
        &[("Content-Type", "application/json")],
        json!({"version": v2}).to_string().as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let f = http(port, "GET", &item, &[], b"").unwrap().json();
    assert_eq!(
        f["properties"]["name"],
        json!("tile lane"),
        "rollback serves the version with the created feature, same id"
    );
    assert!(tile_has(port, new_id));
}
