//! OGC API Features Part 3: `filter`, `filter-lang` (cql2-text, cql2-json) and `filter-crs`.
//! The `cql2` crate parses; this module checks the expression against the layer's kind (its
//! queryables) and turns it into a typed [`Filter`], or a 400 `invalid_filter` saying what
//! is wrong and where.
//!
//! Supported: `AND`/`OR`/`NOT`, comparisons, `LIKE`, `IN`, `BETWEEN`, `IS NULL`, `CASEI`,
//! the spatial functions `S_INTERSECTS`, `S_DISJOINT`, `S_WITHIN`, `S_CONTAINS`,
//! `S_TOUCHES`, `S_CROSSES`, `S_OVERLAPS`, `S_EQUALS` on the property `geometry` against a
//! geometry or `BBOX` literal, and the temporal functions `T_BEFORE`, `T_AFTER`,
//! `T_DURING`, `T_INTERSECTS`, `T_DISJOINT`, `T_EQUALS` on a date field. Everything else
//! (arithmetic, arrays, comparing two properties, `ACCENTI`) is refused by name.

use std::collections::HashMap;

use chrono::NaiveDate;
use cql2::Expr;
use geo::Validation;
use geo_types::{Coord, Geometry, LineString, Polygon};
use qala_core::filter::{CmpOp, Filter, Scalar, SpatialOp, TemporalOp};
use qala_core::{FieldDef, FieldType, LayerKind};

use crate::error::Code;
use crate::ogc_query::{CRS84, parse_crs};
use crate::{ApiError, ApiResult};

/// Parameters of Part 3.
pub const FILTER_PARAMS: [&str; 3] = ["filter", "filter-lang", "filter-crs"];

/// Longest accepted filter, in bytes.
pub const MAX_FILTER_BYTES: usize = 16 * 1024;
/// Deepest accepted nesting of parentheses / brackets (the parser recurses).
const MAX_DEPTH: usize = 64;

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::bad(Code::InvalidFilter, msg.into())
}

/// The filter of an items request, `None` without `filter`.
pub fn from_params(kind: LayerKind, id: &str, p: &HashMap<String, String>) -> ApiResult<Option<Filter>> {
    let lang = p.get("filter-lang").map(String::as_str).unwrap_or("cql2-text");
    if !matches!(lang, "cql2-text" | "cql2-json") {
        return Err(ApiError::bad(
            Code::InvalidParameter,
            format!("filter-lang={lang} is not offered; use cql2-text or cql2-json"),
        ));
    }
    let (srid, lat_lon) = match p.get("filter-crs") {
        Some(c) => parse_crs(c)?,
        None => parse_crs(CRS84)?,
    };
    let Some(text) = p.get("filter") else {
        return Ok(None);
    };
    if text.len() > MAX_FILTER_BYTES {
        return Err(bad(format!(
            "the filter is {} bytes long; at most {MAX_FILTER_BYTES} are accepted",
            text.len()
        )));
    }
    if nesting(text) > MAX_DEPTH {
        return Err(bad(format!("the filter nests deeper than {MAX_DEPTH} levels")));
    }
    if text.trim().is_empty() {
        return Err(bad("filter is empty"));
    }
    let expr = if lang == "cql2-json" {
        cql2::parse_json(text).map_err(|e| {
            bad(format!(
                "filter is not valid cql2-json at line {}, column {}: {e}",
                e.line(),
                e.column()
            ))
        })?
    } else {
        cql2::parse_text(text).map_err(|e| bad(text_error(text, &e)))?
    };
    let cx = Cx {
        kind,
        id,
        srid,
        lat_lon,
    };
    cx.condition(&expr).map(Some)
}

/// How deep brackets nest in `s` (outside quotes it is the parser's recursion depth).
fn nesting(s: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for c in s.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// A cql2-text syntax error as one line naming the position.
fn text_error(text: &str, e: &cql2::Error) -> String {
    let full = e.to_string();
    // pest writes " --> line:column", the line, a caret and "= expected …".
    let pos = full
        .lines()
        .find_map(|l| l.trim().strip_prefix("--> "))
        .and_then(|lc| lc.split_once(':'))
        .and_then(|(l, c)| Some((l.trim().parse::<usize>().ok()?, c.trim().parse::<usize>().ok()?)));
    let expected = full
        .lines()
        .find_map(|l| l.trim().strip_prefix("= "))
        .map(|s| format!(" ({s})"))
        .unwrap_or_default();
    match pos {
        Some((line, col)) => {
            let near: String = text
                .lines()
                .nth(line.saturating_sub(1))
                .unwrap_or("")
                .chars()
                .skip(col.saturating_sub(1))
                .take(20)
                .collect();
            format!("filter is not valid cql2-text: syntax error at line {line}, column {col}, near {near:?}{expected}")
        }
        None => format!("filter is not valid cql2-text: {}", full.replace('\n', " ")),
    }
}

struct Cx<'a> {
    kind: LayerKind,
    id: &'a str,
    /// CRS of geometry literals (`filter-crs`).
    srid: i32,
    lat_lon: bool,
}

/// An operand: a property of the kind (maybe under `CASEI`), the geometry, or a literal.
enum Operand<'e> {
    Field(&'static FieldDef, bool),
    Geometry,
    Literal(&'e Expr),
}

fn op_name(op: &str) -> String {
    op.to_uppercase()
}

impl Cx<'_> {
    fn queryables(&self) -> String {
        let mut v: Vec<&str> = self.kind.fields().iter().map(|f| f.name).collect();
        v.push("geometry");
        v.join(", ")
    }

    fn operand<'e>(&self, e: &'e Expr) -> ApiResult<Operand<'e>> {
        match e {
            Expr::Property { property } => {
                if property == "geometry" || property == "geom" {
                    return Ok(Operand::Geometry);
                }
                self.kind
                    .field(property)
                    .map(|f| Operand::Field(f, false))
                    .ok_or_else(|| {
                        bad(format!(
                            "unknown property {property:?} in filter; the queryables of {} are: {}",
                            self.id,
                            self.queryables()
                        ))
                    })
            }
            Expr::Operation { op, args } if op == "casei" => match args.as_slice() {
                [a] => match self.operand(a)? {
                    Operand::Field(f, _) => Ok(Operand::Field(f, true)),
                    Operand::Literal(l) => Ok(Operand::Literal(l)),
                    Operand::Geometry => Err(bad("CASEI applies to text, not to the geometry")),
                },
                _ => Err(bad("CASEI takes one argument")),
            },
            Expr::Operation { op, .. } => Err(bad(format!(
                "{} is not supported as an operand here; compare a property with a literal",
                op_name(op)
            ))),
            other => Ok(Operand::Literal(other)),
        }
    }

    fn condition(&self, e: &Expr) -> ApiResult<Filter> {
        let Expr::Operation { op, args } = e else {
            return match e {
                Expr::Bool(b) => Ok(Filter::Const(*b)),
                _ => Err(bad("the filter is not a condition (true or false for each feature)")),
            };
        };
        let args: Vec<&Expr> = args.iter().map(|a| a.as_ref()).collect();
        let n_args = |n: usize| -> ApiResult<()> {
            if args.len() == n {
                Ok(())
            } else {
                Err(bad(format!("{} takes {n} arguments, not {}", op_name(op), args.len())))
            }
        };
        match op.as_str() {
            "and" => Ok(Filter::And(
                args.iter().map(|a| self.condition(a)).collect::<ApiResult<_>>()?,
            )),
            "or" => Ok(Filter::Or(
                args.iter().map(|a| self.condition(a)).collect::<ApiResult<_>>()?,
            )),
            "not" => {
                n_args(1)?;
                Ok(Filter::Not(Box::new(self.condition(args[0])?)))
            }
            "=" | "<>" | "<" | "<=" | ">" | ">=" => {
                n_args(2)?;
                self.compare(op, args[0], args[1])
            }
            "like" => {
                n_args(2)?;
                let (Operand::Field(field, ci), Operand::Literal(Expr::Literal(p))) =
                    (self.operand(args[0])?, self.operand(args[1])?)
                else {
                    return Err(bad(
                        "LIKE compares a text property with a text pattern, e.g. name LIKE 'Abai%'",
                    ));
                };
                if !matches!(field.ty, FieldType::Text) {
                    return Err(bad(format!(
                        "LIKE needs a text property; {} is {}",
                        field.name,
                        type_name(field.ty)
                    )));
                }
                // CASEI on the pattern alone still makes the match case-insensitive.
                let ci = ci || matches!(args[1], Expr::Operation { op, .. } if op == "casei");
                Ok(Filter::Like {
                    field,
                    pattern: p.clone(),
                    case_insensitive: ci,
                })
            }
            "in" => {
                n_args(2)?;
                let Operand::Field(field, _) = self.operand(args[0])? else {
                    return Err(bad(
                        "IN takes a property on the left, e.g. status IN ('planned', 'existing')",
                    ));
                };
                let Expr::Array(items) = args[1] else {
                    return Err(bad(
                        "IN takes a list on the right, e.g. status IN ('planned', 'existing')",
                    ));
                };
                let values = items
                    .iter()
                    .map(|v| self.scalar(field, v))
                    .collect::<ApiResult<Vec<_>>>()?;
                Ok(Filter::In { field, values })
            }
            "between" => {
                n_args(3)?;
                let Operand::Field(field, _) = self.operand(args[0])? else {
                    return Err(bad(
                        "BETWEEN takes a property on the left, e.g. trees_felled BETWEEN 1 AND 10",
                    ));
                };
                if matches!(field.ty, FieldType::Text | FieldType::TextList | FieldType::Bool) {
                    return Err(bad(format!(
                        "BETWEEN needs a number or date property; {} is {}",
                        field.name,
                        type_name(field.ty)
                    )));
                }
                Ok(Filter::Between {
                    field,
                    low: self.scalar(field, args[1])?,
                    high: self.scalar(field, args[2])?,
                })
            }
            "isNull" => {
                n_args(1)?;
                match self.operand(args[0])? {
                    Operand::Field(f, _) => Ok(Filter::IsNull(f)),
                    // Every stored feature has a geometry.
                    Operand::Geometry => Ok(Filter::Const(false)),
                    Operand::Literal(_) => Err(bad("IS NULL applies to a property")),
                }
            }
            s if s.starts_with("s_") => {
                n_args(2)?;
                self.spatial(s, args[0], args[1])
            }
            t if t.starts_with("t_") => {
                n_args(2)?;
                self.temporal(t, args[0], args[1])
            }
            other => Err(bad(format!(
                "{} is not supported; use comparisons, LIKE, IN, BETWEEN, IS NULL, CASEI, S_* and T_* functions, AND, OR, NOT",
                op_name(other)
            ))),
        }
    }

    fn compare(&self, op: &str, a: &Expr, b: &Expr) -> ApiResult<Filter> {
        let mut cmp = match op {
            "=" => CmpOp::Eq,
            "<>" => CmpOp::Ne,
            "<" => CmpOp::Lt,
            "<=" => CmpOp::Le,
            ">" => CmpOp::Gt,
            _ => CmpOp::Ge,
        };
        let (field, ci, lit) = match (self.operand(a)?, self.operand(b)?) {
            (Operand::Field(f, ci), Operand::Literal(l)) => (f, ci, l),
            (Operand::Literal(l), Operand::Field(f, ci)) => {
                // 5 < x is x > 5.
                cmp = match cmp {
                    CmpOp::Lt => CmpOp::Gt,
                    CmpOp::Le => CmpOp::Ge,
                    CmpOp::Gt => CmpOp::Lt,
                    CmpOp::Ge => CmpOp::Le,
                    o => o,
                };
                (f, ci, l)
            }
            (Operand::Field(..), Operand::Field(..)) => {
                return Err(bad(
                    "comparing two properties is not supported; compare a property with a literal",
                ));
            }
            (Operand::Geometry, _) | (_, Operand::Geometry) => {
                return Err(bad(
                    "compare geometries with the S_* functions, e.g. S_INTERSECTS(geometry, BBOX(…))",
                ));
            }
            (Operand::Literal(_), Operand::Literal(_)) => {
                return Err(bad("a comparison needs a property, e.g. status = 'planned'"));
            }
        };
        if matches!(lit, Expr::Null) {
            return Err(bad(format!("compare with NULL using {} IS NULL", field.name)));
        }
        if field.ty == FieldType::TextList && !matches!(cmp, CmpOp::Eq | CmpOp::Ne) {
            return Err(bad(format!(
                "{} is a list of codes: use = (contains), <> or IN",
                field.name
            )));
        }
        let value = self.scalar(field, lit)?;
        if ci {
            let Scalar::Text(v) = value else {
                return Err(bad(format!(
                    "CASEI needs a text property; {} is {}",
                    field.name,
                    type_name(field.ty)
                )));
            };
            return match cmp {
                CmpOp::Eq => Ok(Filter::EqualsIgnoreCase { field, value: v }),
                CmpOp::Ne => Ok(Filter::Not(Box::new(Filter::EqualsIgnoreCase { field, value: v }))),
                _ => Err(bad("CASEI works with = and <> (and LIKE)")),
            };
        }
        Ok(Filter::Compare { field, op: cmp, value })
    }

    /// A literal as a value of `field`'s type.
    fn scalar(&self, field: &FieldDef, e: &Expr) -> ApiResult<Scalar> {
        let mismatch = || {
            bad(format!(
                "{} is {}; {} is not",
                field.name,
                type_name(field.ty),
                e.to_text().unwrap_or_else(|_| "the value".into())
            ))
        };
        // CASEI('x') is the literal x.
        if let Expr::Operation { op, args } = e
            && op == "casei"
            && let [a] = args.as_slice()
        {
            return self.scalar(field, a);
        }
        match (field.ty, e) {
            (FieldType::Int, Expr::Float(v)) => {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(Scalar::Int(*v as i64))
                } else if v.is_finite() {
                    Ok(Scalar::Float(*v))
                } else {
                    Err(mismatch())
                }
            }
            (FieldType::Float, Expr::Float(v)) if v.is_finite() => Ok(Scalar::Float(*v)),
            (FieldType::Text | FieldType::TextList, Expr::Literal(s)) => Ok(Scalar::Text(s.clone())),
            (FieldType::Bool, Expr::Bool(b)) => Ok(Scalar::Bool(*b)),
            (FieldType::Date, _) => match instant(e)? {
                Some(d) => Ok(Scalar::Date(d)),
                None => Err(mismatch()),
            },
            _ => Err(mismatch()),
        }
    }

    fn spatial(&self, op: &str, a: &Expr, b: &Expr) -> ApiResult<Filter> {
        let sop = match op {
            "s_intersects" => SpatialOp::Intersects,
            "s_disjoint" => SpatialOp::Disjoint,
            "s_within" => SpatialOp::Within,
            "s_contains" => SpatialOp::Contains,
            "s_touches" => SpatialOp::Touches,
            "s_crosses" => SpatialOp::Crosses,
            "s_overlaps" => SpatialOp::Overlaps,
            "s_equals" => SpatialOp::Equals,
            other => return Err(bad(format!("{} is not a spatial function", op_name(other)))),
        };
        let (sop, lit) = match (self.operand(a)?, self.operand(b)?) {
            (Operand::Geometry, Operand::Literal(l)) => (sop, l),
            (Operand::Literal(l), Operand::Geometry) => (
                // contains(literal, geometry) is within(geometry, literal).
                match sop {
                    SpatialOp::Within => SpatialOp::Contains,
                    SpatialOp::Contains => SpatialOp::Within,
                    o => o,
                },
                l,
            ),
            _ => {
                return Err(bad(format!(
                    "{} compares the property geometry with a geometry or BBOX literal",
                    op_name(op)
                )));
            }
        };
        Ok(Filter::Spatial {
            op: sop,
            geometry: self.geometry(lit)?,
        })
    }

    /// A geometry or BBOX literal in WGS84 lon/lat.
    fn geometry(&self, e: &Expr) -> ApiResult<Geometry<f64>> {
        let g: Geometry<f64> = match e {
            Expr::Geometry(g) => {
                let wkt = g
                    .to_wkt()
                    .map_err(|err| bad(format!("the geometry literal cannot be read: {err}")))?;
                wkt::TryFromWkt::try_from_wkt_str(&wkt)
                    .map_err(|err| bad(format!("the geometry literal cannot be read: {err}")))?
            }
            Expr::BBox { bbox } => {
                let n: Vec<f64> = bbox
                    .iter()
                    .map(|v| match v.as_ref() {
                        Expr::Float(f) if f.is_finite() => Ok(*f),
                        _ => Err(bad("BBOX takes four (or six) numbers")),
                    })
                    .collect::<ApiResult<_>>()?;
                let (x0, y0, x1, y1) = match n.as_slice() {
                    [a, b, c, d] => (*a, *b, *c, *d),
                    [a, b, _, c, d, _] => (*a, *b, *c, *d),
                    _ => return Err(bad("BBOX takes four (or six) numbers")),
                };
                if x0 > x1 || y0 > y1 {
                    return Err(bad("BBOX: the minimum is above the maximum"));
                }
                Geometry::Polygon(Polygon::new(
                    LineString::from(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]),
                    vec![],
                ))
            }
            _ => return Err(bad("a spatial function needs a geometry (WKT) or BBOX literal")),
        };
        let g = self.to_wgs84(g)?;
        let ok = geo::CoordsIter::coords_iter(&g)
            .all(|c| c.x.is_finite() && c.y.is_finite() && c.x.abs() <= 180.0 && c.y.abs() <= 90.0);
        if !ok {
            return Err(bad(
                "the geometry literal is outside longitude -180…180, latitude -90…90 (give filter-crs for projected coordinates)",
            ));
        }
        if let Err(e) = g.check_validation() {
            return Err(bad(format!("the geometry literal is not valid: {e}")));
        }
        Ok(g)
    }

    fn to_wgs84(&self, g: Geometry<f64>) -> ApiResult<Geometry<f64>> {
        use geo::MapCoords;
        let swap = |c: Coord<f64>| Coord { x: c.y, y: c.x };
        match (self.srid, self.lat_lon) {
            (4326, false) => Ok(g),
            (4326, true) => Ok(g.map_coords(swap)),
            (3857, _) => Ok(g.map_coords(|c| {
                let (x, y) = qala_tiles::mercator::to_4326(c.x, c.y);
                Coord { x, y }
            })),
            (s, _) => {
                let p = proj::Proj::new_known_crs(&format!("EPSG:{s}"), "EPSG:4326", None)
                    .map_err(|e| ApiError::internal("setting up a coordinate transformation", e))?;
                g.try_map_coords(|c| {
                    p.convert((c.x, c.y))
                        .map(|(x, y)| Coord { x, y })
                        .map_err(|_| bad(format!("the geometry literal is outside the domain of EPSG:{s}")))
                })
            }
        }
    }

    fn temporal(&self, op: &str, a: &Expr, b: &Expr) -> ApiResult<Filter> {
        let top = match op {
            "t_before" => TemporalOp::Before,
            "t_after" => TemporalOp::After,
            "t_during" => TemporalOp::During,
            "t_intersects" => TemporalOp::Intersects,
            "t_disjoint" => TemporalOp::Disjoint,
            "t_equals" => TemporalOp::Equals,
            other => {
                return Err(bad(format!(
                    "{} is not supported on a date; use T_BEFORE, T_AFTER, T_DURING, T_INTERSECTS, T_DISJOINT or T_EQUALS",
                    op_name(other)
                )));
            }
        };
        let Operand::Field(field, _) = self.operand(a)? else {
            return Err(bad(format!(
                "{} takes a date property first, e.g. {}(felled_on, DATE('2024-01-01'))",
                op_name(op),
                op_name(op)
            )));
        };
        if field.ty != FieldType::Date {
            return Err(bad(format!("{} is {}, not a date", field.name, type_name(field.ty))));
        }
        let (start, end) = match b {
            Expr::Interval { interval } => match interval.as_slice() {
                [s, e] => (bound(s)?, bound(e)?),
                _ => return Err(bad("INTERVAL takes two ends, e.g. INTERVAL('2024-01-01', '..')")),
            },
            other => match instant(other)? {
                Some(d) => (Some(d), Some(d)),
                None => {
                    return Err(bad(format!(
                        "{} takes a DATE, TIMESTAMP or INTERVAL second",
                        op_name(op)
                    )));
                }
            },
        };
        if let (Some(s), Some(e)) = (start, end)
            && s > e
        {
            return Err(bad("INTERVAL: the start is after the end"));
        }
        Ok(Filter::Temporal {
            field,
            op: top,
            start,
            end,
        })
    }
}

/// A date from `DATE('…')`, `TIMESTAMP('…')` (its UTC day) or a quoted date; `None` for
/// other expressions.
fn instant(e: &Expr) -> ApiResult<Option<NaiveDate>> {
    let s = match e {
        Expr::Date { date } => date.as_ref(),
        Expr::Timestamp { timestamp } => timestamp.as_ref(),
        Expr::Literal(_) => e,
        _ => return Ok(None),
    };
    let Expr::Literal(s) = s else { return Ok(None) };
    parse_day(s).map(Some)
}

fn parse_day(s: &str) -> ApiResult<NaiveDate> {
    let day = s.get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| bad(format!("{s:?} is not a date (use YYYY-MM-DD)")))
}

/// One end of an interval; `..` is open.
fn bound(e: &Expr) -> ApiResult<Option<NaiveDate>> {
    match e {
        Expr::Literal(s) if s == ".." || s.is_empty() => Ok(None),
        other => instant(other)?
            .map(Some)
            .ok_or_else(|| bad("an INTERVAL end is a date, a timestamp or '..'")),
    }
}

fn type_name(t: FieldType) -> &'static str {
    match t {
        FieldType::Text => "text",
        FieldType::Int => "an integer",
        FieldType::Float => "a number",
        FieldType::Bool => "a boolean",
        FieldType::Date => "a date",
        FieldType::TextList => "a list of codes",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(kind: LayerKind, f: &str) -> ApiResult<Option<Filter>> {
        let mut p = HashMap::new();
        p.insert("filter".to_owned(), f.to_owned());
        from_params(kind, "layer", &p)
    }

    fn err(kind: LayerKind, f: &str) -> String {
        let e = parse(kind, f).unwrap_err();
        assert_eq!(e.code(), Code::InvalidFilter, "{f}");
        e.to_string()
    }

    #[test]
    fn typed_comparisons() {
        let f = parse(
            LayerKind::TreeFelling,
            "trees_felled >= 3 AND compensation_due >= DATE('2023-06-01')",
        )
        .unwrap()
        .unwrap();
        let Filter::And(v) = f else { panic!("{f:?}") };
        assert!(matches!(
            v[0],
            Filter::Compare {
                op: CmpOp::Ge,
                value: Scalar::Int(3),
                ..
            }
        ));
        assert!(matches!(
            v[1],
            Filter::Compare {
                value: Scalar::Date(_),
                ..
            }
        ));
        // A literal on the left flips the operator.
        let f = parse(LayerKind::TreeFelling, "3 < trees_felled").unwrap().unwrap();
        assert!(matches!(f, Filter::Compare { op: CmpOp::Gt, .. }), "{f:?}");
    }

    #[test]
    fn spatial_literals_are_wgs84() {
        let f = parse(
            LayerKind::BikeLane,
            "S_INTERSECTS(geometry, BBOX(76.9, 43.2, 77.0, 43.3))",
        )
        .unwrap()
        .unwrap();
        assert!(matches!(
            f,
            Filter::Spatial {
                op: SpatialOp::Intersects,
                ..
            }
        ));
        let mut p = HashMap::new();
        p.insert("filter".to_owned(), "S_WITHIN(geometry, POINT(43.25 76.95))".to_owned());
        p.insert(
            "filter-crs".to_owned(),
            "http://www.opengis.net/def/crs/EPSG/0/4326".to_owned(),
        );
        let Some(Filter::Spatial { geometry, .. }) = from_params(LayerKind::BikeLane, "l", &p).unwrap() else {
            panic!()
        };
        assert_eq!(geometry, Geometry::Point(geo_types::Point::new(76.95, 43.25)));
    }

    #[test]
    fn mistakes_are_named() {
        assert!(err(LayerKind::BikeLane, "colour = 'red'").contains("unknown property \"colour\""));
        assert!(err(LayerKind::BikeLane, "status = ").contains("line 1, column"));
        assert!(err(LayerKind::TreeFelling, "trees_felled = 'many'").contains("integer"));
        assert!(err(LayerKind::BikeLane, "S_INTERSECTS(geometry, BBOX(1,2))").contains("BBOX"));
        assert!(err(LayerKind::BikeLane, "S_INTERSECTS(geometry, POINT(500 500))").contains("outside"));
        assert!(
            err(
                LayerKind::BikeLane,
                &format!("{}status = 'x'{}", "(".repeat(500), ")".repeat(500))
            )
            .contains("nests")
        );
        assert!(err(LayerKind::BikeLane, "status = NULL").contains("IS NULL"));
        assert!(err(LayerKind::TreeFelling, "T_MEETS(felled_on, DATE('2024-01-01'))").contains("not supported"));
        assert!(
            err(
                LayerKind::BikeLane,
                "S_INTERSECTS(geometry, POLYGON((76.9 43.2, 77 43.3, 77 43.2, 76.9 43.3, 76.9 43.2)))"
            )
            .contains("not valid")
        );
    }
}
