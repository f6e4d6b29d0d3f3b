//! The HTML pages of the OGC API (landing, collections, collection, items, item) in
//! Kazakh, Russian and English, rendered on the server: no JavaScript, no external asset.
//! Everything from data (titles, descriptions, attribute values) goes through [`esc`].

use std::fmt::Write;

use axum::response::Response;
use qala_store::features::Item;
use serde_json::Value;

use crate::html_page::{PageCtx, esc, page};
use crate::html_text::{T, decimal, int};
use crate::negotiate::Lang;
use crate::ogc_download::MAX_DOWNLOAD;
use crate::ogc_query::{MAX_LIMIT, date_fields};
use crate::preview_svg::{self, MAX_FEATURES};
use crate::state::LayerInfo;

/// The layer's title in `lang`, falling back to English, then to its slug.
pub fn title(l: &LayerInfo, lang: Lang) -> &str {
    let s = &l.summary;
    let t = match lang {
        Lang::Kk => &s.title_kk,
        Lang::Ru => &s.title_ru,
        Lang::En => &s.title_en,
    };
    [t, &s.title_en, &s.slug]
        .into_iter()
        .find(|t| !t.is_empty())
        .map_or("", |t| t.as_str())
}

fn synthetic_badge(l: &LayerInfo, lang: Lang) -> String {
    match l.summary.synthetic {
        true => format!(r#"<span class="synthetic">{}</span>"#, esc(T::Synthetic.get(lang))),
        false => esc(T::Real.get(lang)),
    }
}

/// `GET /?f=html`
pub fn landing(ctx: &PageCtx<'_>) -> Response {
    let (l, b) = (ctx.lang, ctx.base);
    let link = |href: &str, t: T| format!(r#"<li><a href="{}">{}</a></li>"#, esc(href), esc(t.get(l)));
    let body = format!(
        "<h1>{}</h1>\n<p>{}</p>\n<ul>{}{}{}{}</ul>",
        esc(T::SiteTitle.get(l)),
        esc(T::SiteDescription.get(l)),
        link(&ctx.link(&format!("{b}/collections")), T::Layers),
        link(&format!("{b}/api"), T::ApiDefinition),
        link(&format!("{b}/conformance"), T::Conformance),
        link(&format!("{b}/"), T::MapApp),
    );
    page(ctx, T::SiteTitle.get(l), &format!("{b}/?f=json"), &body)
}

/// `GET /collections` as a page: one row per layer the caller may see.
pub fn collections(ctx: &PageCtx<'_>, layers: &[&LayerInfo]) -> Response {
    let (l, b) = (ctx.lang, ctx.base);
    let mut rows = String::new();
    for layer in layers {
        let s = &layer.summary;
        let _ = write!(
            rows,
            r#"<tr><td><a href="{}">{}</a></td><td>{}</td><td class="num">{}</td><td>{}</td><td>{}</td></tr>"#,
            esc(&ctx.link(&format!("{b}/collections/{}", s.slug))),
            esc(title(layer, l)),
            esc(&s.kind),
            int(s.feature_count, l),
            synthetic_badge(layer, l),
            licence_attribution(layer),
        );
    }
    let body = format!(
        "<h1>{}</h1>\n<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{} / {}</th></tr></thead><tbody>{rows}</tbody></table>",
        esc(T::Layers.get(l)),
        esc(T::Title.get(l)),
        esc(T::Kind.get(l)),
        esc(T::FeatureCount.get(l)),
        esc(T::Data.get(l)),
        esc(T::Licence.get(l)),
        esc(T::Attribution.get(l)),
    );
    page(ctx, T::Layers.get(l), &format!("{b}/collections?f=json"), &body)
}

fn licence_attribution(layer: &LayerInfo) -> String {
    let s = &layer.summary;
    match (s.licence.is_empty(), s.attribution.is_empty()) {
        (false, false) => format!("{} — {}", esc(&s.licence), esc(&s.attribution)),
        (false, true) => esc(&s.licence),
        (true, false) => esc(&s.attribution),
        (true, true) => "—".into(),
    }
}

/// The preview map of `geoms` with its caption: what it shows, a note when capped at
/// [`MAX_FEATURES`] of `total`, and the layer's attribution.
fn preview(layer: &LayerInfo, lang: Lang, geoms: &[&Value], total: i64, label: &str) -> String {
    let Some(svg) = preview_svg::svg(geoms.iter().copied(), label) else {
        return format!("<p>{}</p>", esc(T::NoGeometry.get(lang)));
    };
    let mut caption = esc(T::PreviewMap.get(lang));
    let drawn = geoms.len().min(MAX_FEATURES) as i64;
    if total > drawn {
        let _ = write!(
            caption,
            r#". <span class="capped">{}</span>"#,
            esc(&T::PreviewCapped.with(lang, &int(drawn, lang)))
        );
    }
    if !layer.summary.attribution.is_empty() {
        let _ = write!(
            caption,
            "<br>{}: {}",
            esc(T::Attribution.get(lang)),
            esc(&layer.summary.attribution)
        );
    }
    format!("<figure>{svg}<figcaption>{caption}</figcaption></figure>")
}

fn heading(layer: &LayerInfo, lang: Lang, suffix: &str) -> String {
    let mut h = format!("<h1>{}{}", esc(title(layer, lang)), esc(suffix));
    if layer.summary.synthetic {
        let _ = write!(h, " {}", synthetic_badge(layer, lang));
    }
    h.push_str("</h1>\n");
    if layer.summary.synthetic {
        let _ = write!(h, r#"<p class="note">{}</p>"#, esc(T::SyntheticNote.get(lang)));
    }
    h
}

/// `GET /collections/{id}` as a page; `sample` is the first features, for the map.
pub fn collection(ctx: &PageCtx<'_>, layer: &LayerInfo, sample: &[Item]) -> Response {
    let (l, b) = (ctx.lang, ctx.base);
    let s = &layer.summary;
    let id = &s.slug;
    let mut body = heading(layer, l, "");
    let description = if s.description.is_empty() {
        &s.title_en
    } else {
        &s.description
    };
    let _ = write!(body, "<p>{}</p>\n<dl>", esc(description));
    let mut item = |k: T, v: String| {
        let _ = write!(body, "<dt>{}</dt><dd>{v}</dd>", esc(k.get(l)));
    };
    item(T::Kind, esc(&s.kind));
    item(T::Data, synthetic_badge(layer, l));
    item(T::FeatureCount, int(s.feature_count, l));
    item(
        T::Licence,
        if s.licence.is_empty() {
            "—".into()
        } else {
            esc(&s.licence)
        },
    );
    item(
        T::Attribution,
        if s.attribution.is_empty() {
            "—".into()
        } else {
            esc(&s.attribution)
        },
    );
    if let Some([x0, y0, x1, y1]) = layer.bbox_wgs84 {
        let d = |x: f64| format!("{}°", decimal(x, 5, l));
        item(
            T::SpatialExtent,
            format!(
                "{}: {} … {}; {}: {} … {} (CRS84)",
                esc(T::Longitude.get(l)),
                d(x0),
                d(x1),
                esc(T::Latitude.get(l)),
                d(y0),
                d(y1)
            ),
        );
    }
    if let Some((lo, hi)) = &layer.date_extent {
        item(T::TemporalExtent, format!("{} … {}", esc(lo), esc(hi)));
    }
    body.push_str("</dl>\n");
    if s.layer_version_id.is_none() {
        let _ = write!(body, "<p>{}</p>", esc(T::NotLoaded.get(l)));
    }
    let geoms: Vec<&Value> = sample.iter().map(|i| &i.geometry).collect();
    body.push_str(&preview(layer, l, &geoms, s.feature_count, title(layer, l)));
    // Downloads: GeoJSON is the items themselves, as many as one page may hold.
    let items = format!("{b}/collections/{id}/items");
    let geojson_limit = s.feature_count.clamp(1, MAX_LIMIT);
    let _ = write!(
        body,
        r#"<h2>{}</h2><p class="downloads"><a href="{}" type="application/geo+json" download>GeoJSON</a><a href="{}" type="text/csv" download>CSV</a><a href="{}" type="application/geopackage+sqlite3" download>GeoPackage</a></p><p>{}"#,
        esc(T::Download.get(l)),
        esc(&format!("{items}?f=json&limit={geojson_limit}")),
        esc(&format!("{items}?f=csv")),
        esc(&format!("{items}?f=gpkg")),
        esc(&T::DownloadCap.with(l, &int(MAX_DOWNLOAD, l))),
    );
    if s.feature_count > MAX_LIMIT {
        let _ = write!(body, " {}", esc(&T::GeoJsonPaged.with(l, &int(MAX_LIMIT, l))));
    }
    let _ = write!(
        body,
        r#"</p><p><a href="{}">{}</a></p>"#,
        esc(&ctx.link(&items)),
        esc(T::BrowseFeatures.get(l))
    );
    body.push_str(&queryables(layer, l));
    page(ctx, title(layer, l), &format!("{b}/collections/{id}?f=json"), &body)
}

fn queryables(layer: &LayerInfo, l: Lang) -> String {
    let fields = layer.kind.fields();
    if fields.is_empty() {
        return String::new();
    }
    let dates = date_fields(layer.kind);
    let mut out = format!(
        "<h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(T::Queryables.get(l)),
        esc(T::Property.get(l)),
        esc(T::Type.get(l)),
        esc(T::Unit.get(l)),
        esc(T::Description.get(l)),
    );
    for f in fields {
        let primary = if dates.len() == 1 && dates[0] == f.name {
            " (datetime)"
        } else {
            ""
        };
        let _ = write!(
            out,
            "<tr><td><code>{}</code>{primary}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(f.name),
            esc(&format!("{:?}", f.ty).to_lowercase()),
            esc(f.unit.unwrap_or("")),
            esc(f.doc)
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// A property value as table text: strings as they are, lists joined, objects as JSON.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => esc(s),
        Value::Array(a) if a.iter().all(Value::is_string) => {
            esc(&a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
        }
        other => esc(&other.to_string()),
    }
}

/// Column order: the kind's fields, then any other key in order of appearance.
pub fn columns<'a>(layer: &LayerInfo, rows: impl Iterator<Item = &'a Item>) -> Vec<String> {
    let mut cols: Vec<String> = layer.kind.fields().iter().map(|f| f.name.to_owned()).collect();
    for r in rows {
        for k in r.properties.as_object().into_iter().flat_map(|o| o.keys()) {
            if !cols.contains(k) {
                cols.push(k.clone());
            }
        }
    }
    cols
}

/// One page of `/collections/{id}/items`; `next` is the query of the next page.
pub fn items(ctx: &PageCtx<'_>, layer: &LayerInfo, rows: &[Item], matched: i64, next: Option<String>) -> Response {
    let (l, b) = (ctx.lang, ctx.base);
    let id = &layer.summary.slug;
    let base_items = format!("{b}/collections/{id}/items");
    let mut body = heading(layer, l, &format!(" — {}", T::BrowseFeatures.get(l)));
    let _ = write!(
        body,
        "<p>{}: {} · {}: {}</p>",
        esc(T::Shown.get(l)),
        int(rows.len() as i64, l),
        esc(T::Matched.get(l)),
        int(matched, l)
    );
    let geoms: Vec<&Value> = rows.iter().map(|i| &i.geometry).collect();
    if !rows.is_empty() {
        body.push_str(&preview(layer, l, &geoms, rows.len() as i64, title(layer, l)));
    }
    let cols = columns(layer, rows.iter());
    if rows.is_empty() {
        let _ = write!(body, "<p>{}</p>", esc(T::NoFeatures.get(l)));
    } else {
        body.push_str("<table><thead><tr><th>id</th>");
        for c in &cols {
            let _ = write!(body, "<th>{}</th>", esc(c));
        }
        body.push_str("</tr></thead><tbody>");
        for r in rows {
            let _ = write!(
                body,
                r#"<tr><td><a href="{}">{}</a></td>"#,
                esc(&ctx.link(&format!("{base_items}/{}", r.id))),
                r.id
            );
            for c in &cols {
                let _ = write!(body, "<td>{}</td>", cell(&r.properties[c.as_str()]));
            }
            body.push_str("</tr>");
        }
        body.push_str("</tbody></table>");
    }
    // Paging: the first page (this query without a cursor) and the next one.
    let keep: Vec<&str> = ctx
        .raw_query
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("after="))
        .collect();
    let first = if keep.is_empty() {
        base_items.clone()
    } else {
        format!("{base_items}?{}", keep.join("&"))
    };
    let _ = write!(
        body,
        r#"<nav class="paging"><a href="{}" rel="first">{}</a>"#,
        esc(&first),
        esc(T::FirstPage.get(l))
    );
    if let Some(q) = next {
        let _ = write!(
            body,
            r#" · <a href="{}" rel="next">{}</a>"#,
            esc(&format!("{base_items}?{q}")),
            esc(T::NextPage.get(l))
        );
    }
    body.push_str("</nav>");
    // The same filter, all matches, as files.
    let filter: Vec<&str> = ctx
        .query_without_f_lang()
        .into_iter()
        .filter(|kv| !kv.starts_with("after=") && !kv.starts_with("limit="))
        .collect();
    let with = |f: &str| {
        let mut q = filter.clone();
        q.push(f);
        esc(&format!("{base_items}?{}", q.join("&")))
    };
    let _ = write!(
        body,
        r#"<h2>{}</h2><p class="downloads"><a href="{}" download>CSV</a><a href="{}" download>GeoPackage</a> <a href="{}">{}</a></p>"#,
        esc(T::Download.get(l)),
        with("f=csv"),
        with("f=gpkg"),
        esc(&ctx.link(&format!("{b}/collections/{id}"))),
        esc(title(layer, l)),
    );
    let mut json_q = ctx.query_without_f_lang();
    json_q.push("f=json");
    page(
        ctx,
        title(layer, l),
        &format!("{base_items}?{}", json_q.join("&")),
        &body,
    )
}

/// `GET /collections/{id}/items/{fid}` as a page.
pub fn item(ctx: &PageCtx<'_>, layer: &LayerInfo, r: &Item) -> Response {
    let (l, b) = (ctx.lang, ctx.base);
    let id = &layer.summary.slug;
    let mut body = heading(layer, l, &format!(" — {} {}", T::Feature.get(l), r.id));
    body.push_str(&preview(
        layer,
        l,
        &[&r.geometry],
        1,
        &format!("{} {}", title(layer, l), r.id),
    ));
    let _ = write!(
        body,
        "<table><thead><tr><th>{}</th><th>{}</th></tr></thead><tbody>",
        esc(T::Property.get(l)),
        esc(T::Value.get(l))
    );
    for c in columns(layer, std::iter::once(r)) {
        let _ = write!(
            body,
            "<tr><th>{}</th><td>{}</td></tr>",
            esc(&c),
            cell(&r.properties[c.as_str()])
        );
    }
    let _ = write!(
        body,
        r#"</tbody></table><p><a href="{}">{}</a> · <a href="{}">{}</a></p>"#,
        esc(&ctx.link(&format!("{b}/collections/{id}/items"))),
        esc(T::BrowseFeatures.get(l)),
        esc(&ctx.link(&format!("{b}/collections/{id}"))),
        esc(title(layer, l)),
    );
    page(
        ctx,
        &format!("{} — {}", title(layer, l), r.id),
        &format!("{b}/collections/{id}/items/{}?f=json", r.id),
        &body,
    )
}
