//! "GDAL never reaches the network, whatever the environment says" (issue 11): a file
//! that points at a URL must not make qala connect to it, even when no proxy stands in
//! the way (what `NO_PROXY` covering the host did to curl).

use std::net::TcpListener;
use std::path::PathBuf;

use qala_core::LayerKind;

use crate::{Collect, options};

/// A local port that records whether anyone connected. Nothing ever accepts, so a
/// fetch would hang until GDAL's timeout; a completed handshake waits in the backlog.
struct Trap {
    listener: TcpListener,
    port: u16,
}

impl Trap {
    fn new() -> Trap {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        Trap { listener, port }
    }

    fn connections(&self) -> usize {
        std::iter::from_fn(|| self.listener.accept().ok()).count()
    }
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// GDAL's proxy setting off for this thread: curl then connects directly, as it did for
/// a host in `NO_PROXY` despite qala's closed-port proxy.
fn no_proxy_on_this_thread() {
    qala_ingest::gdal_env::init();
    gdal::config::set_thread_local_config_option("GDAL_HTTP_PROXY", "").unwrap();
}

fn geojson_with_crs(crs: serde_json::Value) -> String {
    serde_json::json!({
        "type": "FeatureCollection",
        "crs": crs,
        "features": [{"type": "Feature", "properties": {"name": "a"},
                      "geometry": {"type": "Point", "coordinates": [76.95, 43.24]}}]
    })
    .to_string()
}

#[test]
fn a_geojson_crs_link_is_refused_and_never_fetched() {
    no_proxy_on_this_thread();
    let trap = Trap::new();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/x", trap.port);
    for ty in ["link", "url"] {
        let crs = serde_json::json!({"type": ty, "properties": {"href": url, "url": url, "type": "ogcwkt"}});
        let path = write(&dir, "linked.geojson", &geojson_with_crs(crs));
        let err = qala_ingest::open(&path, "linked.geojson", &options(LayerKind::Generic)).unwrap_err();
        assert_eq!(err.code(), "network_reference", "{ty}: {err}");
        let msg = err.to_string();
        assert!(msg.contains(&url) && msg.contains("--crs"), "{msg}");
        assert_eq!(trap.connections(), 0, "crs of type {ty} made qala connect to {url}");
    }
    // With --crs the link does not matter: the file loads in the CRS the user gave.
    let crs = serde_json::json!({"type": "link", "properties": {"href": url}});
    let path = write(&dir, "linked.geojson", &geojson_with_crs(crs));
    let mut opts = options(LayerKind::Generic);
    opts.crs = Some("EPSG:4326".into());
    let src = qala_ingest::open(&path, "linked.geojson", &opts).unwrap();
    assert_eq!(src.source_crs(), "EPSG:4326");
    assert_eq!(trap.connections(), 0);
}

#[test]
fn crs_names_that_are_urls_or_remote_paths_stay_local() {
    no_proxy_on_this_thread();
    let trap = Trap::new();
    let dir = tempfile::tempdir().unwrap();
    let p = trap.port;
    for name in [
        format!("http://127.0.0.1:{p}/crs"),
        format!("/vsicurl/http://127.0.0.1:{p}/crs.qala-never"),
        format!("/vsicurl/http://127.0.0.1:{p}/crs.wkt"),
    ] {
        let crs = serde_json::json!({"type": "name", "properties": {"name": name}});
        let path = write(&dir, "named.geojson", &geojson_with_crs(crs));
        // Refused or read without that CRS: either way, only the trap's count matters.
        let _ = qala_ingest::open(&path, "named.geojson", &options(LayerKind::Generic));
        assert_eq!(trap.connections(), 0, "crs name {name} made qala connect");
    }
}

#[test]
fn kml_links_and_icons_are_never_fetched() {
    no_proxy_on_this_thread();
    let trap = Trap::new();
    let dir = tempfile::tempdir().unwrap();
    let p = trap.port;
    let kml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2" xmlns:xlink="http://www.w3.org/1999/xlink">
<Document>
  <Style id="s"><IconStyle><Icon><href>http://127.0.0.1:{p}/icon.png</href></Icon></IconStyle></Style>
  <NetworkLink><name>remote</name><Link><href>http://127.0.0.1:{p}/more.kml</href></Link></NetworkLink>
  <Placemark>
    <name>school</name>
    <styleUrl>http://127.0.0.1:{p}/styles.kml#s</styleUrl>
    <ExtendedData><Data name="category"><value>school</value></Data></ExtendedData>
    <Point><coordinates>76.95,43.24</coordinates></Point>
  </Placemark>
</Document>
</kml>"#
    );
    let path = write(&dir, "services.kml", &kml);
    if let Ok(src) = qala_ingest::open(&path, "services.kml", &options(LayerKind::Service)) {
        let mut sink = Collect::default();
        let _ = src.read(&options(LayerKind::Service), &mut sink);
    }
    assert_eq!(trap.connections(), 0, "a KML href made qala connect");
}
