//! Absolute links (OGC `links`, TileJSON `tiles`, OpenAPI `servers`) start with the
//! configured public URL, never with what the request's `Host` or `X-Forwarded-*` say: those
//! are the client's to choose, and a link built from them points wherever an attacker likes
//! (cache poisoning, phishing through a shared proxy).

use crate::state::AppState;

/// Checks a public base URL (`http(s)://host[:port][/prefix]`, no query or fragment) and
/// returns it without a trailing `/`.
pub fn public_url(s: &str) -> Result<String, String> {
    let bad = |why: &str| format!("public URL {s:?}: {why}; e.g. https://maps.example.kz");
    let uri: axum::http::Uri = s.parse().map_err(|_| bad("not a URL"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) {
        return Err(bad("use http:// or https://"));
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad("no host"));
    }
    if uri.query().is_some() || s.contains('#') {
        return Err(bad("no query or fragment allowed"));
    }
    Ok(s.trim_end_matches('/').to_owned())
}

impl AppState {
    /// What absolute links start with: the configured public URL, or `""` (links relative
    /// to the server's root).
    pub fn base_url(&self) -> &str {
        self.config.public_url.as_deref().unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_urls() {
        assert_eq!(
            public_url("https://maps.example.kz/").unwrap(),
            "https://maps.example.kz"
        );
        assert_eq!(
            public_url("http://10.0.0.5:8080/qala").unwrap(),
            "http://10.0.0.5:8080/qala"
        );
        for bad in [
            "maps.example.kz",
            "ftp://x",
            "https://",
            "https://x/?a=1",
            "https://x/#f",
            "",
        ] {
            assert!(public_url(bad).is_err(), "{bad}");
        }
    }
}
