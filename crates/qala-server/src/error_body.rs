//! Every error response is JSON `{"code","message"}`, whoever made it: a middleware turns the
//! framework's bare or plain-text 4xx/5xx (405, whose `Allow` axum sets around it, 404, 413, 415, rejections of
//! axum's extractors) into the catalogue's shape, and refuses over-long URIs (414) and
//! header sections (431) itself, with JSON, well below where hyper would answer them with an
//! empty body.

use axum::extract::Request;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::ApiError;
use crate::error::{Code, error_response};

/// Longest request target (path and query) accepted, bytes.
pub const MAX_URI_BYTES: usize = 8 << 10;
/// Most header fields accepted (hyper itself refuses more than 100, without a body).
pub const MAX_HEADERS: usize = 64;
/// Largest header section accepted, bytes (hyper refuses ~400 KiB, without a body).
pub const MAX_HEADER_BYTES: usize = 32 << 10;
/// Plain-text bodies of the framework up to this size become the JSON message.
const MAX_TEXT_MESSAGE: usize = 512;

/// A rejected JSON body, with the status its cause deserves (413, 415 or 400).
pub fn json_rejection(e: JsonRejection) -> ApiError {
    let code = match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Code::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => Code::UnsupportedMediaType,
        _ => Code::InvalidBody,
    };
    ApiError::new(code, e.body_text())
}

/// Refuses oversized requests, then makes sure any error that comes back is JSON.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let uri_len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri_len > MAX_URI_BYTES {
        return error_response(
            Code::UriTooLong,
            &format!("the request target is {uri_len} bytes; the limit is {MAX_URI_BYTES}"),
        );
    }
    let headers = req.headers();
    let header_bytes: usize = headers.iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if headers.len() > MAX_HEADERS || header_bytes > MAX_HEADER_BYTES {
        return error_response(
            Code::HeadersTooLarge,
            &format!(
                "{} header fields, {header_bytes} bytes; the limits are {MAX_HEADERS} fields and {MAX_HEADER_BYTES} bytes",
                headers.len()
            ),
        );
    }
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || is_json(&res) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // Framework bodies are short texts; anything longer is not read.
    let text = axum::body::to_bytes(body, 64 << 10)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty() && t.len() <= MAX_TEXT_MESSAGE);
    let code = Code::for_status(status);
    let message = match (code, text) {
        // axum adds `Allow` once this middleware has answered.
        (Code::MethodNotAllowed, _) => {
            format!("{method} is not allowed on {path}; the Allow header lists the methods that are")
        }
        (c, _) if c.status().is_server_error() => "internal error".to_owned(),
        (_, Some(t)) => t,
        (Code::NotFound, None) => format!("no such resource: {path}; see docs/api.md"),
        (c, None) => format!("{} ({})", status.canonical_reason().unwrap_or("error"), c.as_str()),
    };
    let code = if code.status().is_server_error() && code != Code::ServerBusy {
        Code::Internal
    } else {
        code
    };
    if status.is_server_error() {
        tracing::error!(%status, %method, %path, "a response without a JSON body");
    }
    let json = error_response(code, &message);
    // Keep the framework's headers (Allow, Retry-After, CORS) but describe the new body.
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let (_, body) = json.into_parts();
    Response::from_parts(parts, body)
}

fn is_json(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json") || t.contains("+json"))
}
