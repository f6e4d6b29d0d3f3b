//! The `qala serve` binary on a free port, and a plain HTTP/1.1 client for it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{qala_bin, repo};

pub struct Server {
    child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM: graceful shutdown
        let _ = Command::new("kill").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP/1.1 GET, enough for a health check and saving a tile.
pub fn http_get(port: u16, path: &str) -> Option<(u16, Vec<u8>)> {
    http(port, "GET", path, &[], b"").map(|r| (r.status, r.body))
}

/// A response: status, header lines (lower-cased names) and the de-chunked body.
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// One HTTP/1.1 request on its own connection; `None` when the connection fails.
pub fn http(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Option<HttpResponse> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).ok()?;
    let split = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&buf[..split]).to_string();
    let status = head.split(' ').nth(1)?.parse().ok()?;
    let headers: Vec<(String, String)> = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = buf[split + 4..].to_vec();
    // bodies of this server are sent with content-length (tiles) or chunked (JSON)
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n")?;
            let n = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).ok()?.trim(), 16).ok()?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + n]);
            rest = &rest[nl + 2 + n + 2..];
        }
        return Some(HttpResponse {
            status,
            headers,
            body: out,
        });
    }
    Some(HttpResponse { status, headers, body })
}

pub fn serve(db_url: &str) -> Server {
    serve_with(db_url, &[])
}

/// `qala serve` with extra arguments (without `--web-dir` among them: no web app).
pub fn serve_with(db_url: &str, extra: &[&str]) -> Server {
    let port = free_port();
    let mut cmd = Command::new(qala_bin());
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")]);
    if !extra.contains(&"--web-dir") {
        cmd.args(["--web-dir", "/nonexistent"]);
    }
    let child = cmd
        .args(extra)
        .current_dir(repo())
        .env("DATABASE_URL", db_url)
        .env("QALA_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut server = Server { child, port };
    let started = Instant::now();
    // Ready, not only alive: `qala serve` listens at once and loads its layers afterwards;
    // the tests compare what memory serves.
    while http_get(port, "/readyz").is_none_or(|(s, _)| s != 200) {
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("qala serve {extra:?} exited: {status}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "qala serve did not become ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}
