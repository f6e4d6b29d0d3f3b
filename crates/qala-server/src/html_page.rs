//! The frame every HTML page shares: `<html lang>`, the JSON alternate, the navigation and
//! the language switcher; escaping of everything that comes from data or the request.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::html_text::T;
use crate::negotiate::Lang;

/// `s` safe in HTML text and in quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Where a page is and how its links are written.
pub struct PageCtx<'a> {
    pub lang: Lang,
    /// `lang=` chose the language: internal links carry it on.
    pub lang_in_query: bool,
    /// The public base URL (`""`: the server's root), as in the JSON links.
    pub base: &'a str,
    /// The request's path and raw query (as sent, percent-encoded).
    pub path: &'a str,
    pub raw_query: &'a str,
}

impl PageCtx<'_> {
    /// `href` (a path, possibly with a query) with `lang=` added when the page was asked
    /// for with it. Not escaped.
    pub fn link(&self, href: &str) -> String {
        if !self.lang_in_query {
            return href.to_owned();
        }
        let sep = if href.contains('?') { '&' } else { '?' };
        format!("{href}{sep}lang={}", self.lang.code())
    }

    /// This page's query without `f` and `lang`, pairs as sent.
    pub fn query_without_f_lang(&self) -> Vec<&str> {
        self.raw_query
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("lang=") && !kv.starts_with("f="))
            .collect()
    }

    fn switcher(&self) -> String {
        let mut out = format!(
            r#"<nav class="langs" aria-label="{}">"#,
            esc(T::Language.get(self.lang))
        );
        for l in Lang::ALL {
            let mut q: Vec<&str> = self
                .raw_query
                .split('&')
                .filter(|kv| !kv.is_empty() && !kv.starts_with("lang="))
                .collect();
            let own = format!("lang={}", l.code());
            q.push(&own);
            let href = format!("{}{}?{}", self.base, self.path, q.join("&"));
            let current = if l == self.lang { r#" aria-current="true""# } else { "" };
            out.push_str(&format!(
                r#" <a href="{}" hreflang="{c}" lang="{c}"{current}>{}</a>"#,
                esc(&href),
                l.own_name(),
                c = l.code()
            ));
        }
        out.push_str("</nav>");
        out
    }
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:70rem;margin:0 auto;padding:0 1rem 2rem;color:#1d232a;line-height:1.45}\
header{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.5rem;border-bottom:1px solid #ccd;padding:.6rem 0;margin-bottom:1rem}\
header a{margin-right:.8rem}a{color:#1a56a8}[aria-current]{font-weight:bold;text-decoration:none;color:inherit}\
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.92rem}th,td{border:1px solid #ccd;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}\
.synthetic{background:#fff1c2;color:#5c4400;border:1px solid #d9a400;border-radius:.25rem;padding:0 .35rem;font-weight:bold}\
.note{background:#fff8de;border-left:4px solid #d9a400;padding:.4rem .7rem}\
figure{margin:1rem 0}svg.preview{max-width:100%;height:auto;border:1px solid #ccd}figcaption{font-size:.85rem;color:#4a5563}\
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:bold}dd{margin:0}\
.downloads a{margin-right:1rem}";

/// A whole page: `title` (escaped here), `body` (already HTML), and the JSON version of
/// this resource at `json_href`.
pub fn page(ctx: &PageCtx<'_>, title: &str, json_href: &str, body: &str) -> Response {
    let l = ctx.lang;
    let html = format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="alternate" type="application/json" href="{json}">
<style>{STYLE}</style>
</head>
<body>
<header><nav aria-label="qala"><a href="{home}">{home_t}</a><a href="{layers}">{layers_t}</a><a href="{map}">{map_t}</a></nav>{switcher}</header>
<main>
{body}
</main>
</body>
</html>
"#,
        lang = l.code(),
        title = esc(title),
        json = esc(json_href),
        home = esc(&ctx.link(&format!("{}/?f=html", ctx.base))),
        home_t = esc(T::Home.get(l)),
        layers = esc(&ctx.link(&format!("{}/collections", ctx.base))),
        map = esc(&format!("{}/", ctx.base)),
        layers_t = esc(T::Layers.get(l)),
        map_t = esc(T::MapApp.get(l)),
        switcher = ctx.switcher(),
    );
    let mut res = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    vary(&mut res);
    res
}

/// Answers differ by Accept (format) and Accept-Language (page language).
pub fn vary(res: &mut Response) {
    res.headers_mut()
        .append(header::VARY, HeaderValue::from_static("accept, accept-language"));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }

    #[test]
    fn switcher_keeps_the_query_and_replaces_lang() {
        let ctx = PageCtx {
            lang: Lang::Ru,
            lang_in_query: true,
            base: "",
            path: "/collections/x/items",
            raw_query: "limit=5&lang=ru&f=html",
        };
        let s = ctx.switcher();
        assert!(
            s.contains(r#"href="/collections/x/items?limit=5&amp;f=html&amp;lang=kk""#),
            "{s}"
        );
        assert!(s.contains(r#"hreflang="ru" lang="ru" aria-current="true""#), "{s}");
        assert_eq!(ctx.link("/collections?f=html"), "/collections?f=html&lang=ru");
    }
}
