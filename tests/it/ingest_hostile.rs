//! Issue 11 at the CLI and server boundary: files that point at the network, files past a
//! limit, a server told to stop in the middle of an upload, temp files of dead processes.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::common::{fresh_db, qala, qala_bin, qala_ok, repo};

async fn layer_versions(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM layer_version")
        .fetch_one(pool)
        .await
        .unwrap()
}

/// A population raster of `side` × `side` cells of 5 residents each over Almaty: a few
/// kilobytes compressed, millions of cells to read.
fn busy_raster(dir: &Path, side: u32) -> PathBuf {
    let path = dir.join("population.tif");
    let out = Command::new("gdal_create")
        .args(["-q", "-of", "GTiff", "-ot", "Float32", "-bands", "1", "-burn", "5"])
        .args(["-outsize", &side.to_string(), &side.to_string()])
        .args(["-a_srs", "EPSG:4326", "-a_ullr", "76.80", "43.35", "77.05", "43.15"])
        .args(["-co", "COMPRESS=DEFLATE", "-co", "TILED=YES"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    path
}

#[tokio::test]
async fn a_crs_link_is_not_fetched_even_when_no_proxy_covers_the_host() {
    let db = fresh_db().await;
    let trap = TcpListener::bind("127.0.0.1:0").unwrap();
    trap.set_nonblocking(true).unwrap();
    let url = format!("http://127.0.0.1:{}/crs", trap.local_addr().unwrap().port());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("linked.geojson");
    let doc = serde_json::json!({"type": "FeatureCollection",
        "crs": {"type": "link", "properties": {"href": url, "type": "ogcwkt"}},
        "features": [{"type": "Feature", "properties": {"name": "a"},
                      "geometry": {"type": "Point", "coordinates": [76.95, 43.24]}}]});
    std::fs::write(&file, doc.to_string()).unwrap();
    let out = Command::new(qala_bin())
        .args([
            "ingest",
            file.to_str().unwrap(),
            "--layer",
            "linked",
            "--kind",
            "generic",
        ])
        .current_dir(repo())
        .env("DATABASE_URL", &db.url)
        .env("QALA_LOG", "warn")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("never fetches anything from the network") && stderr.contains(&url),
        "{stderr}"
    );
    let connections = std::iter::from_fn(|| trap.accept().ok()).count();
    assert_eq!(connections, 0, "qala connected to {url}");
    assert_eq!(layer_versions(&db.pool().await.unwrap()).await, 0);
}

#[tokio::test]
async fn limits_refuse_a_file_with_a_message_naming_the_flag_and_load_nothing() {
    let db = fresh_db().await;
    let services = repo().join("fixtures/ingest/services.kml");
    let out = qala(
        &db,
        &[
            "ingest",
            services.to_str().unwrap(),
            "--layer",
            "services",
            "--kind",
            "service",
            "--max-features",
            "10",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("more than 10 features") && stderr.contains("--max-features"),
        "{stderr}"
    );

    let dir = tempfile::tempdir().unwrap();
    let raster = busy_raster(dir.path(), 2000);
    let raster = raster.to_str().unwrap();
    let out = qala(
        &db,
        &[
            "ingest",
            raster,
            "--layer",
            "pop",
            "--kind",
            "population_cell",
            "--max-raster-pixels",
            "1000000",
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("raster too large") && stderr.contains("--max-raster-pixels"),
        "{stderr}"
    );

    // Four million cells take far longer than a second: the wall-time limit stops it.
    let started = Instant::now();
    let out = qala(
        &db,
        &[
            "ingest",
            raster,
            "--layer",
            "pop",
            "--kind",
            "population_cell",
            "--max-seconds",
            "1",
        ],
    );
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("longer than the limit of 1 s"), "{stderr}");
    eprintln!("qala ingest --max-seconds 1 returned after {took:?}");
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert_eq!(layer_versions(&db.pool().await.unwrap()).await, 0, "nothing was loaded");
}

/// SIGTERM in the middle of an upload's ingest: the server cancels it, answers, and exits
/// within 5 s; the layer is left exactly as it was.
#[tokio::test]
async fn shutdown_mid_upload_stops_the_ingest_and_exits_within_5_s() {
    let db = fresh_db().await;
    let pool = db.pool().await.unwrap();
    let admin = qala_ok(&db, &["token", "create", "--role", "admin"]).trim().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let raster = std::fs::read(busy_raster(dir.path(), 4000)).unwrap();

    let mut server = Command::new(qala_bin())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--web-dir",
            dir.path().to_str().unwrap(),
        ])
        .current_dir(repo())
        .env("DATABASE_URL", &db.url)
        .env("QALA_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = listening_address(&mut server);

    let boundary = "qala-boundary-7f3a";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"population.tif\"\r\nContent-Type: image/tiff\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&raster);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let mut client = TcpStream::connect(&addr).unwrap();
    let head = format!(
        "POST /layers/pop/versions?kind=population_cell HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {admin}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    client.write_all(head.as_bytes()).unwrap();
    client.write_all(&body).unwrap();

    // Wait until the cells are streaming into PostgreSQL: the stop lands mid-ingest.
    let started = Instant::now();
    while sqlx::query_scalar::<_, Option<i32>>(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY population\\_cell\\_v% (%' AND state = 'active'",
    )
    .fetch_optional(&pool)
    .await
    .unwrap()
    .flatten()
    .is_none()
    {
        assert!(started.elapsed() < Duration::from_secs(60), "the upload never reached COPY");
        assert!(server.try_wait().unwrap().is_none(), "qala serve died");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Seconds into the COPY: the stop must not depend on how much was written already.
    tokio::time::sleep(Duration::from_secs(3)).await;

    let stop = Instant::now();
    let term = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let deadline = Duration::from_secs(5);
    let status = loop {
        if let Some(s) = server.try_wait().unwrap() {
            break s;
        }
        if stop.elapsed() > deadline {
            let _ = server.kill();
            let _ = server.wait();
            panic!("qala serve still running {deadline:?} after SIGTERM mid-upload");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = stop.elapsed();
    eprintln!("qala serve exited {took:?} after SIGTERM mid-upload");
    assert!(status.success(), "{status:?}");

    let mut answer = String::new();
    client.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    let _ = client.read_to_string(&mut answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 503") && answer.contains("\"code\":\"cancelled\""),
        "{answer}"
    );
    assert_eq!(layer_versions(&pool).await, 0, "a cancelled upload leaves no version");
}

/// Reads `qala serve`'s log until it says where it listens.
fn listening_address(server: &mut std::process::Child) -> String {
    use std::io::BufRead;
    let stderr = server.stderr.take().unwrap();
    let mut lines = std::io::BufReader::new(stderr).lines();
    let started = Instant::now();
    loop {
        let line = lines.next().unwrap().unwrap();
        if let Some(at) = line.find("listening on http://") {
            let rest = &line[at + "listening on http://".len()..];
            let addr: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == ':')
                .collect();
            // Keep draining the log so the server never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines.by_ref() {});
            return addr;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "qala serve never listened");
    }
}

#[test]
fn qala_ingest_sweeps_temp_files_of_dead_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let uid = String::from_utf8(Command::new("id").arg("-u").output().unwrap().stdout).unwrap();
    let root = tmp.path().join(format!("qala-{}", uid.trim()));
    std::fs::create_dir(&root).unwrap();
    std::fs::set_permissions(&root, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let dead = root.join("upload-99999999-k1llEd");
    std::fs::create_dir(&dead).unwrap();
    std::fs::write(dead.join("upload"), b"half an upload").unwrap();
    let live = root.join(format!("upload-{}-alive1", std::process::id()));
    std::fs::create_dir(&live).unwrap();
    // The sweep runs before anything else; the unknown kind then fails the command.
    let out = Command::new(qala_bin())
        .args([
            "ingest",
            "/nonexistent.geojson",
            "--layer",
            "x",
            "--kind",
            "no_such_kind",
        ])
        .current_dir(repo())
        .env("TMPDIR", tmp.path())
        .env("DATABASE_URL", "postgres://127.0.0.1:1/none")
        .env("QALA_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(!dead.exists(), "a dead process's upload stays behind");
    assert!(live.exists(), "a live process's upload was removed");
}
