//! In-process HTTP: the router driven with `tower::ServiceExt::oneshot`.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use qala_server::{AppState, ServerConfig};
use qala_store::testdb::TestDb;
use tower::ServiceExt;

pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Asserts a JSON error with this status and code.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", String::from_utf8_lossy(&self.body));
        let j = self.json();
        assert_eq!(j["code"], code, "{j}");
        assert!(j["message"].as_str().is_some_and(|m| !m.is_empty()), "{j}");
    }
}

/// The client address of [`App::send`].
pub const CLIENT: SocketAddr = SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)), 40000);

pub struct App {
    pub state: AppState,
    pub router: Router,
}

impl App {
    pub async fn new(db: &TestDb) -> App {
        App::with_config(db, ServerConfig::default()).await
    }

    pub async fn with_config(db: &TestDb, config: ServerConfig) -> App {
        let pool = db.pool().await.unwrap();
        let state = AppState::load(pool, config).await.unwrap();
        App {
            router: qala_server::router(state.clone()),
            state,
        }
    }

    pub async fn send(&self, method: Method, uri: &str, headers: &[(&str, &str)], body: Body) -> Resp {
        self.send_from(CLIENT, method, uri, headers, body).await
    }

    /// A request from the client address `from` (as `qala_server::serve` records it).
    pub async fn send_from(
        &self,
        from: SocketAddr,
        method: Method,
        uri: &str,
        headers: &[(&str, &str)],
        body: Body,
    ) -> Resp {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "qala.test")
            .extension(ConnectInfo(from));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = self.router.clone().oneshot(req.body(body).unwrap()).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let body = axum::body::to_bytes(res.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        Resp { status, headers, body }
    }

    pub async fn get(&self, uri: &str) -> Resp {
        self.send(Method::GET, uri, &[], Body::empty()).await
    }

    pub async fn get_with(&self, uri: &str, headers: &[(&str, &str)]) -> Resp {
        self.send(Method::GET, uri, headers, Body::empty()).await
    }
}

/// A multipart/form-data body with one part `file`.
pub fn multipart(file_name: &str, content: &[u8]) -> (String, Body) {
    let boundary = "qalaBoundary7MA4YWxk";
    let mut b = Vec::new();
    b.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/geo+json\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(content);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), Body::from(b))
}

/// The tile containing (lon, lat) at zoom z, as "z/x/y".
pub fn tile_at(z: u8, lon: f64, lat: f64) -> String {
    let (x, y) = qala_tiles::mercator::to_3857(lon, lat);
    qala_tiles::TileCoord::containing(z, x, y).to_string()
}
