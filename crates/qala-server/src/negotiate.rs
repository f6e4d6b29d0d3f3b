//! Content and language negotiation of the OGC pages: `f=` or `Accept` choose JSON, HTML
//! or a download; `lang=` or `Accept-Language` choose the language of an HTML page.
//!
//! Clients that are not browsers (curl, GDAL, QGIS, OWSLib) send JSON types, `*/*` or no
//! Accept at all: they get JSON, as before pages existed. Only an Accept that ranks HTML
//! above every JSON type and `*/*` (what browsers send) gets a page.

use std::collections::HashMap;

use axum::http::{HeaderMap, header};

use crate::error::Code;
use crate::{ApiError, ApiResult};

/// An output format of the OGC endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Html,
    Csv,
    Gpkg,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Html => "html",
            Format::Csv => "csv",
            Format::Gpkg => "gpkg",
        }
    }
}

/// The `f=` values taken as JSON (kept from when JSON was the only format).
const JSON_NAMES: [&str; 4] = ["json", "geojson", "application/json", "application/geo+json"];

/// The format asked for: `f=` first, then `Accept`; JSON by default. `offered` lists what
/// the endpoint has besides JSON; any other `f` is a 400 naming what is offered.
pub fn format(p: &HashMap<String, String>, headers: &HeaderMap, offered: &[Format]) -> ApiResult<Format> {
    let Some(f) = p.get("f") else {
        let html = offered.contains(&Format::Html) && accept_prefers_html(headers);
        return Ok(if html { Format::Html } else { Format::Json });
    };
    if JSON_NAMES.contains(&f.as_str()) {
        return Ok(Format::Json);
    }
    let named = match f.as_str() {
        "html" | "text/html" => Some(Format::Html),
        "csv" | "text/csv" => Some(Format::Csv),
        "gpkg" | "geopackage" | "application/geopackage+sqlite3" => Some(Format::Gpkg),
        _ => None,
    };
    match named {
        Some(n) if offered.contains(&n) => Ok(n),
        _ => {
            let mut names = vec!["json"];
            names.extend(offered.iter().map(|o| o.name()));
            Err(ApiError::bad(
                Code::InvalidParameter,
                format!("f={f} is not offered; use f={}", names.join(", f=")),
            ))
        }
    }
}

/// Whether `Accept` ranks `text/html` (or XHTML) strictly above JSON and `*/*`.
pub fn accept_prefers_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let (mut html, mut other) = (0.0f32, 0.0f32);
    for (media, q) in weighted(accept) {
        match media.as_str() {
            "text/html" | "application/xhtml+xml" => html = html.max(q),
            m if m.contains("json") || m == "*/*" || m == "application/*" => other = other.max(q),
            _ => {}
        }
    }
    html > 0.0 && html > other
}

/// The entries of an Accept-style header, lower-cased, with their `q` (1 when absent).
fn weighted(h: &str) -> impl Iterator<Item = (String, f32)> + '_ {
    h.split(',').filter_map(|part| {
        let mut it = part.split(';');
        let value = it.next()?.trim().to_ascii_lowercase();
        if value.is_empty() {
            return None;
        }
        let q = it
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .filter(|q| q.is_finite())
            .unwrap_or(1.0);
        Some((value, q))
    })
}

/// A language of the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Kk,
    Ru,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Kk, Lang::Ru, Lang::En];

    /// The BCP 47 tag (`<html lang>`, `lang=`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Kk => "kk",
            Lang::Ru => "ru",
            Lang::En => "en",
        }
    }

    /// The language's own name, for the switcher.
    pub fn own_name(self) -> &'static str {
        match self {
            Lang::Kk => "Қазақша",
            Lang::Ru => "Русский",
            Lang::En => "English",
        }
    }

    fn from_code(s: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code().eq_ignore_ascii_case(s))
    }
}

/// The page language: `lang=`, else the first of kk/ru/en in `Accept-Language` (by `q`,
/// then order), else English. The flag says whether `lang=` chose it (links then keep it).
pub fn lang(p: &HashMap<String, String>, headers: &HeaderMap) -> ApiResult<(Lang, bool)> {
    if let Some(v) = p.get("lang") {
        return Lang::from_code(v).map(|l| (l, true)).ok_or_else(|| {
            ApiError::bad(
                Code::InvalidParameter,
                format!("lang={v} is not offered; use lang=kk, lang=ru or lang=en"),
            )
        });
    }
    let header = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut ranked: Vec<(String, f32)> = weighted(header).filter(|(_, q)| *q > 0.0).collect();
    // Stable: equal weights keep the client's order.
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let found = ranked
        .iter()
        .find_map(|(tag, _)| Lang::from_code(tag.split('-').next().unwrap_or("")));
    Ok((found.unwrap_or(Lang::En), false))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn h(name: header::HeaderName, v: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(name, HeaderValue::from_str(v).unwrap());
        m
    }

    fn p(q: &str) -> HashMap<String, String> {
        crate::ogc_query::params(Some(q)).unwrap()
    }

    #[test]
    fn browsers_get_pages_and_clients_json() {
        let all = [Format::Html, Format::Csv, Format::Gpkg];
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
        for a in [firefox, chrome] {
            assert_eq!(format(&p(""), &h(header::ACCEPT, a), &all).unwrap(), Format::Html);
        }
        for a in [
            "application/json",
            "application/geo+json, application/json;q=0.9",
            "*/*",
            "text/html;q=0.5, application/json",
            "text/html, application/json",
            "",
        ] {
            assert_eq!(
                format(&p(""), &h(header::ACCEPT, a), &all).unwrap(),
                Format::Json,
                "{a}"
            );
        }
        assert_eq!(format(&p(""), &HeaderMap::new(), &all).unwrap(), Format::Json);
        // f= wins over Accept, both ways.
        assert_eq!(
            format(&p("f=json"), &h(header::ACCEPT, firefox), &all).unwrap(),
            Format::Json
        );
        assert_eq!(format(&p("f=html"), &HeaderMap::new(), &all).unwrap(), Format::Html);
        assert_eq!(format(&p("f=gpkg"), &HeaderMap::new(), &all).unwrap(), Format::Gpkg);
        // Not offered here: 400.
        let e = format(&p("f=csv"), &HeaderMap::new(), &[Format::Html]).unwrap_err();
        assert_eq!(e.code(), Code::InvalidParameter);
        assert_eq!(format(&p(""), &h(header::ACCEPT, firefox), &[]).unwrap(), Format::Json);
        assert!(format(&p("f=xml"), &HeaderMap::new(), &all).is_err());
    }

    #[test]
    fn languages() {
        let l = |q: &str, al: &str| lang(&p(q), &h(header::ACCEPT_LANGUAGE, al)).map(|x| x.0);
        assert_eq!(l("", "ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7").unwrap(), Lang::Ru);
        assert_eq!(l("", "de-DE, kk;q=0.5, ru;q=0.4").unwrap(), Lang::Kk);
        assert_eq!(l("", "en;q=0.3, kk-KZ").unwrap(), Lang::Kk);
        assert_eq!(l("", "de, fr").unwrap(), Lang::En);
        assert_eq!(l("", "").unwrap(), Lang::En);
        assert_eq!(l("lang=kk", "ru").unwrap(), Lang::Kk);
        assert_eq!(l("lang=xx", "ru").unwrap_err().code(), Code::InvalidParameter);
        assert!(lang(&p("lang=ru"), &HeaderMap::new()).unwrap().1);
    }
}
