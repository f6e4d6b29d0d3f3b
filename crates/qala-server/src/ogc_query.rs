//! The query parameters of OGC API Features, parsed without I/O: `f`, `limit`, `bbox`,
//! `bbox-crs`, `crs`, `datetime`, `after` and property filters ([`ItemsParams::from_params`]).
//! Whatever reaches the database or PROJ from here is already known to be acceptable to
//! them: no NUL bytes, boxes inside their CRS's domain.

use std::collections::HashMap;

use chrono::NaiveDate;
use qala_core::{Bbox, FieldType, LayerKind};
use qala_store::features::{DateRange, date_field};

use crate::error::Code;
use crate::{ApiError, ApiResult};

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 10_000;

pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
pub const EPSG: &str = "http://www.opengis.net/def/crs/EPSG/0/";

/// Parameters of `/items` that are not property filters.
pub const ITEMS_PARAMS: [&str; 11] = [
    "limit",
    "bbox",
    "bbox-crs",
    "crs",
    "after",
    "datetime",
    "f",
    "filter",
    "filter-lang",
    "filter-crs",
    "lang",
];

/// CRS URIs items can be returned in.
pub fn crs_list() -> Vec<String> {
    let mut v = vec![CRS84.to_owned()];
    v.extend(qala_store::features::OUTPUT_SRIDS.iter().map(|s| format!("{EPSG}{s}")));
    v
}

/// A CRS URI (or `EPSG:n`) to (srid, lat/lon axis order).
pub fn parse_crs(s: &str) -> ApiResult<(i32, bool)> {
    if s == CRS84 || s.eq_ignore_ascii_case("OGC:CRS84") {
        return Ok((4326, false));
    }
    let code = s
        .strip_prefix(EPSG)
        .or_else(|| s.strip_prefix("EPSG:"))
        .and_then(|c| c.parse::<i32>().ok())
        .filter(|c| qala_store::features::OUTPUT_SRIDS.contains(c));
    match code {
        // EPSG:4326 is latitude first; CRS84 is the lon/lat one.
        Some(c) => Ok((c, c == 4326)),
        None => Err(ApiError::bad(
            Code::InvalidCrs,
            format!("unsupported crs {s:?}; supported: {}", crs_list().join(", ")),
        )),
    }
}

/// Refuses `f` values other than JSON.
pub fn check_f(params: &HashMap<String, String>) -> ApiResult<()> {
    match params.get("f").map(String::as_str) {
        None | Some("json") | Some("geojson") | Some("application/json") | Some("application/geo+json") => Ok(()),
        Some(other) => Err(ApiError::bad(
            Code::InvalidParameter,
            format!("f={other} is not offered; use f=json"),
        )),
    }
}

/// The query string as a map; a key given twice, bad percent-encoding or a NUL byte (which
/// no database text can hold) is a 400.
pub fn params(q: Option<&str>) -> ApiResult<HashMap<String, String>> {
    let mut out = HashMap::new();
    for pair in q.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let dec = |s: &str| {
            let d = percent_decode(s)
                .ok_or_else(|| ApiError::bad(Code::InvalidParameter, format!("bad percent-encoding in {pair:?}")))?;
            if d.contains('\0') {
                return Err(ApiError::bad(
                    Code::InvalidParameter,
                    format!("{pair:?}: parameters cannot contain a NUL byte (%00)"),
                ));
            }
            Ok(d)
        };
        let k = dec(k)?;
        if out.insert(k.clone(), dec(v)?).is_some() {
            return Err(ApiError::bad(
                Code::InvalidParameter,
                format!("parameter {k} given twice"),
            ));
        }
    }
    Ok(out)
}

/// `application/x-www-form-urlencoded` decoding; `None` for bad escapes or invalid UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                // from_str_radix takes a sign: "+f" would pass.
                if !h.bytes().all(|c| c.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(h, 16).ok()?);
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// `minx,miny,maxx,maxy` or, with heights, `minx,miny,minz,maxx,maxy,maxz`.
pub fn parse_bbox(s: &str) -> ApiResult<Bbox> {
    let bad = || {
        ApiError::bad(
            Code::InvalidBbox,
            format!("bbox={s}: expected four numbers minx,miny,maxx,maxy (or six, with heights)"),
        )
    };
    let n: Vec<f64> = s
        .split(',')
        .map(|v| v.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    match n.as_slice() {
        [a, b, c, d] => Ok(Bbox::new(*a, *b, *c, *d)?),
        [a, b, _, c, d, _] => Ok(Bbox::new(*a, *b, *c, *d)?),
        _ => Err(bad()),
    }
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let d = s.get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()
}

pub fn parse_datetime(s: &str) -> ApiResult<DateRange> {
    let bad = || {
        ApiError::bad(
            Code::InvalidDatetime,
            format!(
                "datetime={s}: use a date (2024-05-01), an interval (2024-01-01/2024-12-31) or an open one (../2024-12-31, 2024-01-01/..)"
            ),
        )
    };
    let end_of = |p: &str| -> ApiResult<Option<NaiveDate>> {
        if p.is_empty() || p == ".." {
            Ok(None)
        } else {
            parse_date(p).map(Some).ok_or_else(bad)
        }
    };
    let r = match s.split_once('/') {
        Some((a, b)) => DateRange {
            start: end_of(a)?,
            end: end_of(b)?,
        },
        None => {
            let d = parse_date(s).ok_or_else(bad)?;
            DateRange {
                start: Some(d),
                end: Some(d),
            }
        }
    };
    if let (Some(a), Some(b)) = (r.start, r.end)
        && a > b
    {
        return Err(bad());
    }
    Ok(r)
}

/// The corners of a box given in `srid` as lon/lat, in the order minx,miny → maxx,miny →
/// maxx,maxy → minx,maxy: a 400 when a corner is outside the CRS's domain (PROJ, and so
/// PostGIS, cannot transform it).
pub fn bbox_corners_wgs84(b: Bbox, srid: i32) -> ApiResult<[(f64, f64); 4]> {
    let corners = [
        (b.min_x, b.min_y),
        (b.max_x, b.min_y),
        (b.max_x, b.max_y),
        (b.min_x, b.max_y),
    ];
    let out = match srid {
        4326 => corners,
        3857 => corners.map(|(x, y)| qala_tiles::mercator::to_4326(x, y)),
        s => {
            let p = proj::Proj::new_known_crs(&format!("EPSG:{s}"), "EPSG:4326", None)
                .map_err(|e| ApiError::internal("setting up a coordinate transformation", e))?;
            let mut out = corners;
            for (i, c) in corners.iter().enumerate() {
                out[i] = p.convert(*c).map_err(|_| outside(b, s))?;
            }
            out
        }
    };
    if out
        .iter()
        .all(|(x, y)| x.is_finite() && y.is_finite() && y.abs() <= 90.0)
    {
        Ok(out)
    } else {
        Err(outside(b, srid))
    }
}

fn outside(b: Bbox, srid: i32) -> ApiError {
    ApiError::bad(
        Code::InvalidBbox,
        format!(
            "bbox {},{},{},{} is outside the domain of EPSG:{srid}: its corners cannot be turned into longitude and latitude",
            b.min_x, b.min_y, b.max_x, b.max_y
        ),
    )
}

/// The names of the kind's date fields, in field order.
pub fn date_fields(kind: LayerKind) -> Vec<&'static str> {
    kind.fields()
        .iter()
        .filter(|f| f.ty == FieldType::Date)
        .map(|f| f.name)
        .collect()
}

/// What `/collections/{id}/items` was asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemsParams {
    pub limit: i64,
    /// Output CRS and whether its axes are lat/lon.
    pub srid: i32,
    pub lat_lon: bool,
    /// The box, lon/lat-ordered in its own CRS, and that CRS.
    pub bbox: Option<(Bbox, i32)>,
    pub after: Option<i64>,
    pub datetime: Option<DateRange>,
    /// Property filters, sorted by field name.
    pub filters: Vec<(&'static qala_core::FieldDef, String)>,
    /// The CQL2 `filter` (Part 3).
    pub filter: Option<qala_core::filter::Filter>,
}

impl ItemsParams {
    /// Checks every parameter of an items request on a layer of `kind` (named `id` in
    /// messages) but `f` (see [`crate::negotiate::format`]). A `download` (CSV,
    /// GeoPackage) takes every match by default, up to [`crate::ogc_download::MAX_DOWNLOAD`].
    pub fn from_params(
        kind: LayerKind,
        id: &str,
        p: &HashMap<String, String>,
        download: bool,
    ) -> ApiResult<ItemsParams> {
        let (default, max) = match download {
            false => (DEFAULT_LIMIT, MAX_LIMIT),
            true => (crate::ogc_download::MAX_DOWNLOAD, crate::ogc_download::MAX_DOWNLOAD),
        };
        let limit = match p.get("limit") {
            None => default,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (1..=max).contains(&n) => n,
                _ => {
                    return Err(ApiError::bad(
                        Code::InvalidLimit,
                        format!("limit={v}: use a whole number from 1 to {max}"),
                    ));
                }
            },
        };
        let (srid, lat_lon) = p.get("crs").map(|c| parse_crs(c)).transpose()?.unwrap_or((4326, false));
        let bbox_crs = p.get("bbox-crs").map(|c| parse_crs(c)).transpose()?;
        let bbox = match p.get("bbox") {
            None => None,
            Some(s) => {
                let (bsrid, blatlon) = bbox_crs.unwrap_or((4326, false));
                let mut b = parse_bbox(s)?;
                if blatlon {
                    b = Bbox::new(b.min_y, b.min_x, b.max_y, b.max_x)?;
                }
                bbox_corners_wgs84(b, bsrid)?;
                Some((b, bsrid))
            }
        };
        let after = p
            .get("after")
            .map(|a| {
                a.parse::<i64>().map_err(|_| {
                    ApiError::bad(Code::InvalidCursor, format!("after={a}: not a cursor from a next link"))
                })
            })
            .transpose()?;
        let datetime = match p.get("datetime") {
            None => None,
            Some(s) => {
                if date_field(kind).is_none() {
                    return Err(ApiError::bad(
                        Code::InvalidDatetime,
                        format!("layer {id:?} ({kind}) has no date to filter on"),
                    ));
                }
                let dates = date_fields(kind);
                if let [first, second, ..] = dates.as_slice() {
                    // Which date a client meant cannot be known: answering on one of them
                    // would be silently wrong for a filter on the other.
                    return Err(ApiError::bad(
                        Code::InvalidDatetime,
                        format!(
                            "layer {id:?} has several dates ({}), so datetime= is ambiguous; filter on the one you mean, e.g. filter={second} >= DATE('2024-01-01') or filter={first} >= DATE('2024-01-01')",
                            dates.join(", ")
                        ),
                    ));
                }
                Some(parse_datetime(s)?)
            }
        };
        let mut filters = Vec::new();
        for (k, v) in p {
            if ITEMS_PARAMS.contains(&k.as_str()) {
                continue;
            }
            let Some(f) = kind.field(k) else {
                let known: Vec<&str> = kind.fields().iter().map(|f| f.name).collect();
                return Err(ApiError::bad(
                    Code::UnknownParameter,
                    format!(
                        "unknown parameter {k:?}; use limit, bbox, bbox-crs, crs, datetime, filter, filter-lang, filter-crs, f, lang, or a field of {id}: {}",
                        known.join(", ")
                    ),
                ));
            };
            let ok = match f.ty {
                FieldType::Int => v.parse::<i64>().is_ok(),
                FieldType::Float => v.parse::<f64>().is_ok(),
                FieldType::Bool => v == "true" || v == "false",
                FieldType::Date => parse_date(v).is_some() && v.len() == 10,
                FieldType::Text | FieldType::TextList => true,
            };
            if !ok {
                return Err(ApiError::bad(
                    Code::InvalidParameter,
                    format!("{k}={v}: {k} is a {:?} field", f.ty).to_lowercase(),
                ));
            }
            filters.push((f, v.clone()));
        }
        filters.sort_by_key(|(f, _)| f.name);
        let filter = crate::cql2_filter::from_params(kind, id, p)?;
        Ok(ItemsParams {
            limit,
            srid,
            lat_lon,
            bbox,
            after,
            datetime,
            filters,
            filter,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_forms() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        assert_eq!(
            parse_datetime("2024-05-01").unwrap(),
            DateRange {
                start: d("2024-05-01"),
                end: d("2024-05-01")
            }
        );
        assert_eq!(
            parse_datetime("../2024-12-31").unwrap(),
            DateRange {
                start: None,
                end: d("2024-12-31")
            }
        );
        assert_eq!(
            parse_datetime("2024-01-01T00:00:00Z/..").unwrap(),
            DateRange {
                start: d("2024-01-01"),
                end: None
            }
        );
        assert!(parse_datetime("2024-12-31/2024-01-01").is_err());
        assert!(parse_datetime("yesterday").is_err());
    }

    #[test]
    fn crs_uris() {
        assert_eq!(parse_crs(CRS84).unwrap(), (4326, false));
        assert_eq!(
            parse_crs("http://www.opengis.net/def/crs/EPSG/0/4326").unwrap(),
            (4326, true)
        );
        assert_eq!(parse_crs("EPSG:32643").unwrap(), (32643, false));
        assert!(parse_crs("EPSG:2154").is_err());
    }

    #[test]
    fn nul_bytes_and_bad_escapes_are_refused() {
        for q in ["status=%00", "%00=1", "status=a%00b", "x=%zz", "x=%+f", "x=%"] {
            assert_eq!(params(Some(q)).unwrap_err().code(), Code::InvalidParameter, "{q}");
        }
        assert_eq!(params(Some("status=planned")).unwrap()["status"], "planned");
    }

    #[test]
    fn boxes_outside_the_utm_domain_are_400() {
        let utm = |a, b, c, d| bbox_corners_wgs84(Bbox::new(a, b, c, d).unwrap(), 32643);
        // Around Almaty: fine.
        let c = utm(600_000.0, 4_750_000.0, 650_000.0, 4_800_000.0).unwrap();
        assert!((c[0].0 - 76.2).abs() < 0.2 && (c[0].1 - 42.9).abs() < 0.2, "{c:?}");
        for (a, b, cc, d) in [(1e30, 1e30, 2e30, 2e30), (-1e9, 0.0, 1e9, 1e8)] {
            assert_eq!(utm(a, b, cc, d).unwrap_err().code(), Code::InvalidBbox);
        }
    }

    mod fuzz {
        use proptest::prelude::*;

        use super::*;

        fn piece() -> impl Strategy<Value = String> {
            let key = prop_oneof![
                prop::sample::select(vec![
                    "limit",
                    "bbox",
                    "bbox-crs",
                    "crs",
                    "after",
                    "datetime",
                    "f",
                    "status",
                    "capacity",
                    "felled_on",
                    "residents",
                    "x"
                ])
                .prop_map(str::to_owned),
                "[a-z%0-9_-]{0,8}",
            ];
            let value = prop_oneof!["[0-9.,eE+-]{0,30}", "[-a-zA-Z0-9:/._%]{0,40}", any::<String>(),];
            (key, value).prop_map(|(k, v)| format!("{k}={v}"))
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

            /// Any query string: parsed or a 400, never a panic; what passes is safe to hand to
            /// the database and PROJ.
            #[test]
            fn any_items_query_is_parsed_or_400(pieces in prop::collection::vec(piece(), 0..6), kind in prop::sample::select(LayerKind::ALL.to_vec())) {
                let q = pieces.join("&");
                let p = match params(Some(&q)) {
                    Ok(p) => p,
                    Err(e) => {
                        prop_assert_eq!(e.code().status().as_u16(), 400);
                        return Ok(());
                    }
                };
                prop_assert!(p.iter().all(|(k, v)| !k.contains('\0') && !v.contains('\0')));
                match ItemsParams::from_params(kind, "layer", &p, false) {
                    Ok(ip) => {
                        prop_assert!((1..=MAX_LIMIT).contains(&ip.limit));
                        prop_assert!(qala_store::features::OUTPUT_SRIDS.contains(&ip.srid));
                        if let Some((b, srid)) = ip.bbox {
                            prop_assert!(bbox_corners_wgs84(b, srid).is_ok());
                            prop_assert!(b.min_x <= b.max_x && b.min_y <= b.max_y);
                        }
                        for (f, v) in &ip.filters {
                            prop_assert!(kind.field(f.name).is_some());
                            prop_assert!(!v.contains('\0'));
                        }
                        if let Some(d) = ip.datetime {
                            prop_assert!(date_field(kind).is_some());
                            if let (Some(a), Some(b)) = (d.start, d.end) {
                                prop_assert!(a <= b);
                            }
                        }
                    }
                    Err(e) => prop_assert_eq!(e.code().status().as_u16(), 400),
                }
            }

        }

        proptest! {
            // PROJ sets up a transformation per box: fewer cases.
            #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

            /// Boxes in UTM 43N anywhere, of any size: corners in lon/lat or a 400.
            #[test]
            fn utm_boxes_are_transformed_or_400(x0 in -1e12f64..1e12, y0 in -1e12f64..1e12, w in 0f64..1e12, h in 0f64..1e12) {
                let b = Bbox::new(x0, y0, x0 + w, y0 + h).unwrap();
                match bbox_corners_wgs84(b, 32643) {
                    Ok(c) => prop_assert!(c.iter().all(|(x, y)| x.is_finite() && y.abs() <= 90.0)),
                    Err(e) => prop_assert_eq!(e.code(), Code::InvalidBbox),
                }
            }
        }
    }
}
