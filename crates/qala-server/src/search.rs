//! `GET /search?q=`: streets, places and services, green spaces and districts by name, from
//! qala's own served layers (no outside geocoder). Names and the query are folded to one Latin
//! skeleton — Cyrillic (with the Kazakh letters ә ғ қ ң ө ұ ү һ і) and the Kazakh Latin
//! alphabet transliterated, street-type words (ул., пр., көшесі, street) dropped — so
//! "Abay", "Абая", "абай даңғылы" and "Abai avenue" find the same street.
//!
//! Read from memory (the tile source's layers), so search works while the database is down;
//! a layer the caller may not see is not searched.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use qala_tiles::{Geom, LayerData, PropRef};
use serde_json::{Value, json};

use crate::error::Code;
use crate::{ApiError, ApiResult, AppState, Caller};

/// Longest query accepted, in characters: a street name with its district fits many times over.
pub const MAX_QUERY_CHARS: usize = 200;
/// Results per answer: default and most.
pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 50;

/// The layers searched, what their features are, and a tie-break (districts first).
const SOURCES: &[(&str, &str, u32)] = &[
    ("districts", "district", 30),
    ("roads", "street", 20),
    ("services", "service", 10),
    ("green-spaces", "green", 5),
];

/// The query of one search request.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchQuery {
    /// The query as given, trimmed.
    pub q: String,
    /// Its skeleton ([`normalise`]); empty: nothing to look for.
    pub key: String,
    pub limit: usize,
}

impl SearchQuery {
    /// Parses `q` and `limit`; any other parameter is refused, as are overlong queries.
    pub fn from_params(p: &HashMap<String, String>) -> ApiResult<SearchQuery> {
        if let Some(k) = p.keys().find(|k| !["q", "limit", "f"].contains(&k.as_str())) {
            return Err(ApiError::bad(
                Code::UnknownParameter,
                format!("unknown parameter {k:?}; use q, limit"),
            ));
        }
        if let Some(f) = p
            .get("f")
            .filter(|f| !["json", "application/json"].contains(&f.as_str()))
        {
            return Err(ApiError::bad(
                Code::InvalidParameter,
                format!("f={f} is not offered; use f=json"),
            ));
        }
        let q = p.get("q").map(|s| s.trim().to_owned()).unwrap_or_default();
        let chars = q.chars().count();
        if chars > MAX_QUERY_CHARS {
            return Err(ApiError::bad(
                Code::InvalidParameter,
                format!("q has {chars} characters; a search takes at most {MAX_QUERY_CHARS}"),
            ));
        }
        let limit = match p.get("limit") {
            None => DEFAULT_LIMIT,
            Some(s) => match s.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::bad(
                        Code::InvalidLimit,
                        format!("limit must be a whole number from 1 to {MAX_LIMIT}, not {s:?}"),
                    ));
                }
            },
        };
        let key = normalise(&q);
        Ok(SearchQuery { q, key, limit })
    }
}

/// One letter folded to the Latin skeleton (`None`: the letter is dropped).
fn fold_char(c: char) -> Option<&'static str> {
    Some(match c {
        'а' | 'ә' | 'a' | 'ä' | 'á' | 'à' | 'â' => "a",
        'б' | 'b' => "b",
        'в' | 'v' | 'w' => "v",
        'г' | 'ғ' | 'g' | 'ğ' => "g",
        'д' | 'd' => "d",
        'е' | 'ё' | 'э' | 'e' | 'é' | 'è' | 'ê' | 'ë' => "e",
        'ж' | 'j' => "zh",
        'з' | 'z' => "z",
        'и' | 'й' | 'і' | 'ы' | 'i' | 'ı' | 'ī' | 'í' | 'y' => "i",
        'к' | 'қ' | 'k' | 'q' | 'c' => "k",
        'л' | 'l' => "l",
        'м' | 'm' => "m",
        'н' | 'ң' | 'n' | 'ñ' => "n",
        'о' | 'ө' | 'o' | 'ö' | 'ó' => "o",
        'п' | 'p' => "p",
        'р' | 'r' => "r",
        'с' | 's' => "s",
        'т' | 't' => "t",
        'у' | 'ұ' | 'ү' | 'u' | 'ū' | 'ü' | 'ú' => "u",
        'ф' | 'f' => "f",
        'х' | 'һ' | 'h' => "h",
        'ц' => "ts",
        'ч' | 'ç' => "ch",
        'ш' | 'щ' | 'ş' => "sh",
        'ю' => "iu",
        'я' => "ia",
        'x' => "ks",
        'ъ' | 'ь' | '\'' | '’' | 'ʼ' => "",
        c if c.is_ascii_digit() => return DIGITS.get(c as usize - '0' as usize).copied(),
        _ => return None,
    })
}

const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// Words that say what kind of street or place a name is, not which one.
const GENERIC: &[&str] = &[
    "ul",
    "ulitsa",
    "pr",
    "prs",
    "prt",
    "prospekt",
    "prosp",
    "im",
    "imeni",
    "per",
    "pereulok",
    "mkr",
    "mikroraion",
    "proezd",
    "bulvar",
    "br",
    "shosse",
    "trakt",
    "kosh",
    "koshesi",
    "dangil",
    "dangili",
    "street",
    "st",
    "avenue",
    "ave",
    "road",
    "rd",
    "raion",
    "audani",
    "district",
    "lane",
    "square",
    "ploshchad",
];

/// The Latin skeleton of a name or a query: lower case, transliterated (х, һ and kh as h),
/// punctuation as spaces, generic words dropped, words joined by one space.
///
/// ```
/// use qala_server::search::normalise;
/// assert_eq!(normalise("пр. Абая"), normalise("Abaya avenue"));
/// assert_eq!(normalise("Достық даңғылы"), "dostik");
/// assert_eq!(normalise("ул. Желтоқсан"), normalise("Jeltoqsan street"));
/// assert_eq!(normalise("<script>alert(1)</script>"), "skript alert 1 skript");
/// ```
pub fn normalise(s: &str) -> String {
    // Latin digraphs first, as the Cyrillic letters they spell: "ch" is not c + h.
    let mut lower: String = s.chars().flat_map(char::to_lowercase).collect();
    for (latin, cyr) in [
        ("shch", "щ"),
        ("sh", "ш"),
        ("ch", "ч"),
        ("zh", "ж"),
        ("kh", "х"),
        ("ts", "ц"),
    ] {
        lower = lower.replace(latin, cyr);
    }
    let mut out = String::with_capacity(lower.len());
    for c in lower.chars() {
        match fold_char(c) {
            Some(x) => out.push_str(x),
            None => out.push(' '),
        }
    }
    out.split_whitespace()
        .filter(|w| !GENERIC.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// How well a name's skeleton matches the query's (higher is better), or `None`.
///
/// ```
/// use qala_server::search::score;
/// assert!(score("abaia", "abai") > score("kabanbai batira", "abai"));
/// assert_eq!(score("dostik", "abai"), None);
/// ```
pub fn score(name: &str, q: &str) -> Option<u32> {
    if q.is_empty() || name.is_empty() {
        return None;
    }
    let words: Vec<&str> = name.split(' ').collect();
    let base = if name == q {
        1000
    } else if name.starts_with(q) {
        800
    } else if words.iter().any(|w| w.starts_with(q)) {
        600
    } else if q.split(' ').all(|t| words.iter().any(|w| w.starts_with(t))) {
        400
    } else if name.contains(q) {
        200
    } else {
        return None;
    };
    // Shorter names first among equals: "Абая" before "Абая – Сайна развязка".
    Some(base + 100u32.saturating_sub(name.len().min(100) as u32))
}

/// One hit before merging: a feature of a layer.
struct Hit {
    score: u32,
    kind: &'static str,
    layer: &'static str,
    id: i64,
    name: String,
    names: Option<Value>,
    category: Option<String>,
    bbox: [f64; 4],
    segments: usize,
}

fn text(v: Option<PropRef<'_>>) -> Option<&str> {
    match v {
        Some(PropRef::Str(s)) if !s.trim().is_empty() => Some(s),
        _ => None,
    }
}

/// Bounding box of a geometry in EPSG:3857.
fn bbox_of(g: &Geom) -> Option<[f64; 4]> {
    let b = g.bbox();
    b[0].is_finite().then_some(b)
}

/// The hits of one layer: every named feature whose name (in any language it carries) matches.
fn hits_in(d: &LayerData, layer: &'static str, kind: &'static str, bonus: u32, key: &str) -> Vec<Hit> {
    let mut out = Vec::new();
    for f in d.iter_after(None) {
        let names: Vec<&str> = ["name", "name_kk", "name_ru", "name_en", "name_short_ru"]
            .iter()
            .filter_map(|k| text(f.prop(k)))
            .collect();
        let Some(best) = names.iter().filter_map(|n| score(&normalise(n), key)).max() else {
            continue;
        };
        let Some(bbox) = bbox_of(f.geom()) else { continue };
        let multilingual = ["name_kk", "name_ru", "name_en"]
            .iter()
            .any(|k| text(f.prop(k)).is_some());
        out.push(Hit {
            score: best + bonus,
            kind,
            layer,
            id: f.id(),
            name: names.first().map_or_else(String::new, |s| (*s).to_owned()),
            names: multilingual.then(
                || json!({"kk": text(f.prop("name_kk")), "ru": text(f.prop("name_ru")), "en": text(f.prop("name_en"))}),
            ),
            category: text(f.prop("category")).map(str::to_owned),
            bbox,
            segments: 1,
        });
    }
    out
}

/// Ranks `hits`, merging the segments of one street (same layer, same name) into one result.
fn rank(hits: Vec<Hit>, limit: usize) -> Vec<Hit> {
    let mut merged: Vec<Hit> = Vec::new();
    let mut index: HashMap<(&'static str, String), usize> = HashMap::new();
    for h in hits {
        if h.kind == "street" {
            let k = (h.layer, normalise(&h.name));
            if let Some(&i) = index.get(&k) {
                let m = &mut merged[i];
                m.bbox = [
                    m.bbox[0].min(h.bbox[0]),
                    m.bbox[1].min(h.bbox[1]),
                    m.bbox[2].max(h.bbox[2]),
                    m.bbox[3].max(h.bbox[3]),
                ];
                m.segments += 1;
                m.id = m.id.min(h.id);
                continue;
            }
            index.insert(k, merged.len());
        }
        merged.push(h);
    }
    merged.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then_with(|| a.name.cmp(&b.name))
            .then(a.id.cmp(&b.id))
    });
    merged.truncate(limit);
    merged
}

fn result_json(h: &Hit) -> Value {
    let sw = crate::memory::to_wgs84([h.bbox[0], h.bbox[1]]);
    let ne = crate::memory::to_wgs84([h.bbox[2], h.bbox[3]]);
    let r6 = |v: f64| (v * 1e6).round() / 1e6;
    json!({
        "kind": h.kind,
        "layer": h.layer,
        "id": h.id,
        "name": h.name,
        "names": h.names,
        "category": h.category,
        "segments": h.segments,
        "lon": r6((sw[0] + ne[0]) / 2.0),
        "lat": r6((sw[1] + ne[1]) / 2.0),
        "bbox": [r6(sw[0]), r6(sw[1]), r6(ne[0]), r6(ne[1])],
        "score": h.score,
    })
}

/// `GET /search?q=&limit=`
pub async fn search(State(state): State<AppState>, caller: Caller, RawQuery(raw): RawQuery) -> ApiResult<Response> {
    let q = SearchQuery::from_params(&crate::ogc_query::params(raw.as_deref())?)?;
    let mut hits = Vec::new();
    if !q.key.is_empty() {
        for &(slug, kind, bonus) in SOURCES {
            // A layer the caller may not see, or one not (yet) in memory, is left out.
            let Ok(l) = caller.visible_layer(&state, slug) else {
                continue;
            };
            let Some(d) = state
                .tiles
                .layer(slug)
                .filter(|d| Some(d.version_id) == l.summary.layer_version_id)
            else {
                continue;
            };
            let key = q.key.clone();
            let found = tokio::task::spawn_blocking(move || hits_in(&d, slug, kind, bonus, &key))
                .await
                .map_err(|e| ApiError::internal("searching a layer", e))?;
            hits.extend(found);
        }
    }
    let results: Vec<Value> = rank(hits, q.limit).iter().map(result_json).collect();
    Ok(Json(json!({"query": q.q, "normalised": q.key, "count": results.len(), "results": results})).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn kazakh_russian_and_latin_spellings_meet() {
        assert_eq!(normalise("Абая прс."), "abaia");
        assert!(score(&normalise("Абая прс."), &normalise("Abay")).is_some());
        assert!(score(&normalise("Абая прс."), &normalise("абай")).is_some());
        assert_eq!(normalise("Қабанбай батыр"), normalise("Qabanbai batyr"));
        assert_eq!(normalise("Төле би"), normalise("Tole bi"));
        assert_eq!(normalise("Әл-Фараби даңғылы"), normalise("Al-Farabi avenue"));
        assert_eq!(normalise("Шевченко"), normalise("Shevchenko"));
        assert_eq!(normalise("Жібек жолы"), normalise("Zhibek zholy"));
        assert_eq!(normalise("Һ ң ұ ү ө ғ і ә"), "h n u u o g i a");
    }

    #[test]
    fn bad_queries_are_clear_4xx_or_empty() {
        let long = "а".repeat(500);
        let e = SearchQuery::from_params(&params(&[("q", &long)]))
            .err()
            .map(|e| e.code());
        assert_eq!(e, Some(Code::InvalidParameter));
        assert_eq!(
            SearchQuery::from_params(&params(&[("q", "")])).ok().map(|q| q.key),
            Some(String::new())
        );
        assert_eq!(
            SearchQuery::from_params(&params(&[("q", "   ")])).ok().map(|q| q.key),
            Some(String::new())
        );
        assert_eq!(
            SearchQuery::from_params(&params(&[("q", "!!!")])).ok().map(|q| q.key),
            Some(String::new())
        );
        let e = SearchQuery::from_params(&params(&[("q", "abai"), ("limit", "0")]))
            .err()
            .map(|e| e.code());
        assert_eq!(e, Some(Code::InvalidLimit));
        let e = SearchQuery::from_params(&params(&[("q", "abai"), ("x", "1")]))
            .err()
            .map(|e| e.code());
        assert_eq!(e, Some(Code::UnknownParameter));
    }

    #[test]
    fn better_matches_rank_first() {
        let q = normalise("абай");
        let exact = score(&normalise("Абай"), &q);
        let prefix = score(&normalise("Абая прс."), &q);
        let word = score(&normalise("Кабанбай батыра Абая"), &q);
        assert!(exact > prefix && prefix > word, "{exact:?} {prefix:?} {word:?}");
    }
}
