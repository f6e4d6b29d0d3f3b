//! OGC API Features items answered from memory while the database is down: the same
//! filters, keyset paging and output CRSs as `qala_store::features::items`, over the tile
//! source's [`LayerData`] (geometries in EPSG:3857, properties as stored).
//!
//! The database stays the primary path (it is the source of truth and has the exact
//! geometry); a test compares both answers feature by feature.

use std::cmp::Ordering;

use geo::{Intersects, Relate};
use geo_types::{Coord, LineString, Polygon};
use qala_core::filter::{CmpOp, Filter, Scalar, SpatialOp, TemporalOp, like_matches};
use qala_core::{Bbox, FieldDef, FieldType, LayerKind};
use qala_store::features::{Item, ItemsQuery, date_field};
use qala_tiles::{FeatureView, Geom, LayerData, PropRef};
use serde_json::{Map, Value as Json, json};

use crate::ApiError;
use crate::memory::{prop_json, to_wgs84};

/// A coordinate transformation out of EPSG:3857.
struct Output {
    srid: i32,
    lat_lon: bool,
    utm: Option<proj::Proj>,
}

fn proj_err(e: impl std::error::Error + Send + Sync + 'static) -> ApiError {
    ApiError::internal("setting up a coordinate transformation", e)
}

impl Output {
    fn new(srid: i32, lat_lon: bool) -> Result<Output, ApiError> {
        let utm = match srid {
            4326 | 3857 => None,
            s => Some(proj::Proj::new_known_crs("EPSG:4326", &format!("EPSG:{s}"), None).map_err(proj_err)?),
        };
        Ok(Output { srid, lat_lon, utm })
    }

    /// One point, rounded as the database's `ST_AsGeoJSON` rounds it (9 decimals of a
    /// degree, 2 of a metre).
    fn point(&self, p: &[f64; 2]) -> Json {
        let (a, b, decimals) = self.output_xy(p);
        json!([round(a, decimals), round(b, decimals)])
    }

    /// One point in the output CRS and axis order, and the decimals it is rounded to.
    fn output_xy(&self, p: &[f64; 2]) -> (f64, f64, i32) {
        let (x, y, decimals) = match (self.srid, &self.utm) {
            (3857, _) => (p[0], p[1], 2),
            (_, Some(utm)) => {
                let w = to_wgs84(*p);
                match utm.convert((w[0], w[1])) {
                    Ok((x, y)) => (x, y, 2),
                    Err(_) => (f64::NAN, f64::NAN, 2),
                }
            }
            _ => {
                let w = to_wgs84(*p);
                (w[0], w[1], 9)
            }
        };
        let (a, b) = if self.lat_lon { (y, x) } else { (x, y) };
        (a, b, decimals)
    }

    /// [`Output::point`] written as JSON text: the same digits, without a JSON value per
    /// number (a page of 1,000 buildings has ~10,000 points).
    fn write_point(&self, p: &[f64; 2], out: &mut String) {
        let (a, b, decimals) = self.output_xy(p);
        out.push('[');
        write_rounded(a, decimals, out);
        out.push(',');
        write_rounded(b, decimals, out);
        out.push(']');
    }

    fn write_line(&self, l: &[[f64; 2]], out: &mut String) {
        out.push('[');
        for (i, p) in l.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            self.write_point(p, out);
        }
        out.push(']');
    }

    fn write_polygon(&self, rings: &[Vec<[f64; 2]>], out: &mut String) {
        out.push('[');
        for (i, r) in rings.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            self.write_line(r, out);
        }
        out.push(']');
    }

    /// [`Output::geometry`] written as JSON text (the same members, digits and order).
    fn write_geometry(&self, g: &Geom, multi: bool, out: &mut String) {
        fn list<T>(items: &[T], out: &mut String, mut each: impl FnMut(&T, &mut String)) {
            out.push('[');
            for (i, x) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                each(x, out);
            }
            out.push(']');
        }
        if let Geom::Collection(members) = g {
            out.push_str(r#"{"geometries":"#);
            list(members, out, |(m, multi), o| self.write_geometry(m, *multi, o));
            out.push_str(r#","type":"GeometryCollection"}"#);
            return;
        }
        out.push_str(r#"{"coordinates":"#);
        let ty = match g {
            // Written whole above.
            Geom::Collection(_) => "GeometryCollection",
            Geom::Point(p) if !multi => {
                self.write_point(p, out);
                "Point"
            }
            Geom::Point(p) => {
                list(std::slice::from_ref(p), out, |q, o| self.write_point(q, o));
                "MultiPoint"
            }
            Geom::Points(p) if !multi && p.len() == 1 => {
                self.write_point(&p[0], out);
                "Point"
            }
            Geom::Points(p) => {
                list(p, out, |q, o| self.write_point(q, o));
                "MultiPoint"
            }
            Geom::Lines(l) if !multi && l.len() == 1 => {
                self.write_line(&l[0], out);
                "LineString"
            }
            Geom::Lines(l) => {
                list(l, out, |x, o| self.write_line(x, o));
                "MultiLineString"
            }
            Geom::Polygons(p) if !multi && p.len() == 1 => {
                self.write_polygon(&p[0], out);
                "Polygon"
            }
            Geom::Polygons(p) => {
                list(p, out, |x, o| self.write_polygon(x, o));
                "MultiPolygon"
            }
        };
        out.push_str(r#","type":""#);
        out.push_str(ty);
        out.push_str(r#""}"#);
    }

    fn geometry(&self, g: &Geom, multi: bool) -> Json {
        let line = |l: &Vec<[f64; 2]>| Json::Array(l.iter().map(|p| self.point(p)).collect());
        let poly = |rings: &Vec<Vec<[f64; 2]>>| Json::Array(rings.iter().map(line).collect());
        let (ty, coords) = match g {
            Geom::Collection(members) => {
                let geometries: Vec<Json> = members.iter().map(|(m, multi)| self.geometry(m, *multi)).collect();
                return json!({"type": "GeometryCollection", "geometries": geometries});
            }
            Geom::Point(p) if !multi => ("Point", self.point(p)),
            Geom::Point(p) => ("MultiPoint", Json::Array(vec![self.point(p)])),
            Geom::Points(p) if !multi && p.len() == 1 => ("Point", self.point(&p[0])),
            Geom::Points(p) => ("MultiPoint", Json::Array(p.iter().map(|q| self.point(q)).collect())),
            Geom::Lines(l) if !multi && l.len() == 1 => ("LineString", line(&l[0])),
            Geom::Lines(l) => ("MultiLineString", Json::Array(l.iter().map(line).collect())),
            Geom::Polygons(p) if !multi && p.len() == 1 => ("Polygon", poly(&p[0])),
            Geom::Polygons(p) => ("MultiPolygon", Json::Array(p.iter().map(poly).collect())),
        };
        json!({"type": ty, "coordinates": coords})
    }
}

/// `v` rounded as [`round`] rounds it, written as serde_json writes that number.
fn write_rounded(v: f64, decimals: i32, out: &mut String) {
    let f = 10f64.powi(decimals);
    let r = (v * f).round() / f;
    let r = if r == 0.0 { 0.0 } else { r };
    if r.is_finite() {
        out.push_str(ryu::Buffer::new().format_finite(r));
    } else {
        out.push_str("null");
    }
}

fn round(v: f64, decimals: i32) -> Json {
    let f = 10f64.powi(decimals);
    let r = (v * f).round() / f;
    // -0 prints as "-0.0"; the database writes 0.
    serde_json::Number::from_f64(if r == 0.0 { 0.0 } else { r }).map_or(Json::Null, Json::Number)
}

fn item(f: &FeatureView<'_>, out: &Output) -> Item {
    Item {
        id: f.id(),
        properties: Json::Object(properties(f)),
        geometry: out.geometry(f.geom(), f.is_multi()),
    }
}

fn properties(f: &FeatureView<'_>) -> Map<String, Json> {
    let mut props = Map::new();
    // Untyped attributes first: a typed field of the same name wins, as in the database.
    for (k, v, typed) in f.props() {
        if !typed {
            props.insert(k.to_owned(), prop_json(v));
        }
    }
    for (k, v, typed) in f.props() {
        if typed {
            props.insert(k.to_owned(), prop_json(v));
        }
    }
    props
}

/// The filter box as a lon/lat polygon (the database intersects in EPSG:4326 too).
fn bbox_polygon_wgs84(b: Bbox, srid: i32) -> Result<Polygon<f64>, ApiError> {
    let corners = crate::ogc_query::bbox_corners_wgs84(b, srid)?;
    let mut ring: Vec<Coord<f64>> = corners.iter().map(|&(x, y)| Coord { x, y }).collect();
    ring.push(ring[0]);
    Ok(Polygon::new(LineString(ring), Vec::new()))
}

/// `Some(ordering)` of a stored value against a filter literal; `None` when either is
/// missing or they cannot be compared (SQL's unknown).
fn compare(v: Option<PropRef<'_>>, s: &Scalar) -> Option<Ordering> {
    match (v?, s) {
        (PropRef::Int(a), Scalar::Int(b)) => Some(a.cmp(b)),
        (PropRef::Int(a), Scalar::Float(b)) => (a as f64).partial_cmp(b),
        (PropRef::Double(a), Scalar::Float(b)) => a.partial_cmp(b),
        (PropRef::Double(a), Scalar::Int(b)) => a.partial_cmp(&(*b as f64)),
        (PropRef::Str(a), Scalar::Text(b)) => Some(a.cmp(b.as_str())),
        // Dates are stored as ISO text, whose order is the calendar's.
        (PropRef::Str(a), Scalar::Date(b)) => Some(a.cmp(b.format("%Y-%m-%d").to_string().as_str())),
        (PropRef::Bool(a), Scalar::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn and3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn or3(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

/// A CQL2 filter on one feature in SQL's three-valued logic (`None` is unknown), as
/// `qala_store`'s SQL evaluates it.
fn eval(f: &FeatureView<'_>, filter: &Filter, geom: &mut Option<geo_types::Geometry<f64>>) -> Option<bool> {
    let prop = |fd: &FieldDef| f.prop(fd.name).filter(|v| !matches!(v, PropRef::Null));
    match filter {
        Filter::Const(b) => Some(*b),
        // Not try_fold: an unknown operand must not stop the others (unknown AND false is false).
        Filter::And(v) => {
            let mut acc = Some(true);
            for c in v {
                acc = and3(acc, eval(f, c, geom));
            }
            acc
        }
        Filter::Or(v) => {
            let mut acc = Some(false);
            for c in v {
                acc = or3(acc, eval(f, c, geom));
            }
            acc
        }
        Filter::Not(c) => eval(f, c, geom).map(|b| !b),
        Filter::Compare { field, op, value } => match prop(field) {
            Some(PropRef::List(l)) => {
                let Scalar::Text(t) = value else { return None };
                let has = l.iter().any(|x| x == t);
                Some(if *op == CmpOp::Ne { !has } else { has })
            }
            v => compare(v, value).map(|o| op.holds(o)),
        },
        Filter::Like {
            field,
            pattern,
            case_insensitive,
        } => match prop(field) {
            Some(PropRef::Str(s)) => Some(like_matches(pattern, s, *case_insensitive)),
            _ => None,
        },
        Filter::EqualsIgnoreCase { field, value } => match prop(field) {
            Some(PropRef::Str(s)) => Some(s.to_lowercase() == value.to_lowercase()),
            _ => None,
        },
        Filter::In { field, values } => {
            let v = prop(field)?;
            if let PropRef::List(l) = v {
                return Some(values.iter().any(|s| matches!(s, Scalar::Text(t) if l.contains(t))));
            }
            Some(values.iter().any(|s| compare(Some(v), s) == Some(Ordering::Equal)))
        }
        Filter::Between { field, low, high } => {
            let v = prop(field);
            and3(
                compare(v, low).map(|o| o != Ordering::Less),
                compare(v, high).map(|o| o != Ordering::Greater),
            )
        }
        Filter::IsNull(field) => Some(prop(field).is_none()),
        Filter::Spatial { op, geometry } => {
            let g = geom.get_or_insert_with(|| f.geom().to_geo(f.is_multi(), to_wgs84));
            let m = g.relate(geometry);
            Some(match op {
                SpatialOp::Intersects => m.is_intersects(),
                SpatialOp::Disjoint => m.is_disjoint(),
                SpatialOp::Within => m.is_within(),
                SpatialOp::Contains => m.is_contains(),
                SpatialOp::Touches => m.is_touches(),
                SpatialOp::Crosses => m.is_crosses(),
                SpatialOp::Overlaps => m.is_overlaps(),
                SpatialOp::Equals => m.is_equal_topo(),
            })
        }
        Filter::Temporal { field, op, start, end } => {
            let Some(PropRef::Str(day)) = prop(field) else {
                return None;
            };
            let fmt = |x: &chrono::NaiveDate| x.format("%Y-%m-%d").to_string();
            let (s, e) = (start.as_ref().map(fmt), end.as_ref().map(fmt));
            let after_start = |strict: bool| s.as_deref().is_none_or(|s| if strict { day > s } else { day >= s });
            let before_end = |strict: bool| e.as_deref().is_none_or(|e| if strict { day < e } else { day <= e });
            Some(match op {
                TemporalOp::Before => s.as_deref().is_some_and(|s| day < s),
                TemporalOp::After => e.as_deref().is_some_and(|e| day > e),
                TemporalOp::Equals => start.is_some() && start == end && s.as_deref() == Some(day),
                TemporalOp::During => after_start(true) && before_end(true),
                TemporalOp::Intersects => after_start(false) && before_end(false),
                TemporalOp::Disjoint => !(after_start(false) && before_end(false)),
            })
        }
    }
}

/// Whether `f` passes the property and date filters of `q`, as the database's SQL does.
fn passes(f: &FeatureView<'_>, kind: LayerKind, q: &ItemsQuery) -> bool {
    if let Some(filter) = &q.filter
        && eval(f, filter, &mut None) != Some(true)
    {
        return false;
    }
    for (fd, want) in &q.filters {
        let ok = match (f.prop(fd.name), fd.ty) {
            (Some(PropRef::List(l)), FieldType::TextList) => l.iter().any(|s| s == want),
            (Some(PropRef::Str(s)), _) => s == want,
            (Some(PropRef::Int(i)), _) => i.to_string() == *want,
            (Some(PropRef::Double(x)), _) => x.to_string() == *want,
            (Some(PropRef::Bool(b)), _) => b.to_string() == *want,
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    if let (Some(range), Some(df)) = (q.datetime, date_field(kind)) {
        let Some(PropRef::Str(d)) = f.prop(df.name) else {
            return false;
        };
        if range
            .start
            .is_some_and(|s| d < s.format("%Y-%m-%d").to_string().as_str())
            || range.end.is_some_and(|e| d > e.format("%Y-%m-%d").to_string().as_str())
        {
            return false;
        }
    }
    true
}

/// The features of `d` matching `q` (filters, date range and box), ordered by id, from
/// `q.after` on; `f` sees them and says whether to go on (the page: until it is full; the
/// count: to the end).
fn for_matching(d: &LayerData, q: &ItemsQuery, mut f: impl FnMut(&FeatureView<'_>) -> bool) -> Result<(), ApiError> {
    match q.bbox {
        None => {
            for v in d.iter_after(q.after) {
                if passes(&v, q.kind, q) && !f(&v) {
                    break;
                }
            }
        }
        Some((b, srid)) => {
            let poly = bbox_polygon_wgs84(b, srid)?;
            let env = poly
                .exterior()
                .0
                .iter()
                .map(|c| qala_tiles::mercator::to_3857(c.x, c.y))
                .fold(
                    [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY],
                    |a, (x, y)| [a[0].min(x), a[1].min(y), a[2].max(x), a[3].max(y)],
                );
            // A box given in lon/lat or in EPSG:3857 is a rectangle in both: a feature whose
            // bounding box lies a centimetre inside it meets it, untested.
            let inner = match srid {
                4326 | 3857 => [env[0] + 0.01, env[1] + 0.01, env[2] - 0.01, env[3] - 0.01],
                _ => [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY],
            };
            for (v, inside) in d.in_bbox_after_marked(env, inner, q.after) {
                if passes(&v, q.kind, q)
                    && (inside || v.geom().to_geo(v.is_multi(), to_wgs84).intersects(&poly))
                    && !f(&v)
                {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// One page of items of `d`, ordered by id, as `qala_store::features::items` answers it.
pub fn items(d: &LayerData, q: &ItemsQuery) -> Result<Vec<Item>, ApiError> {
    let out = Output::new(q.srid, q.lat_lon)?;
    let limit = usize::try_from(q.limit).unwrap_or(0);
    let mut page: Vec<Item> = Vec::with_capacity(limit.min(10_000));
    if limit > 0 {
        for_matching(d, q, |f| {
            page.push(item(f, &out));
            page.len() < limit
        })?;
    }
    Ok(page)
}

/// [`items`] as GeoJSON Feature text, comma-separated, in the database's member order
/// (`type`, `id`, `geometry`, `properties`): what `/items` writes, without a JSON value per
/// coordinate.
pub fn items_text(d: &LayerData, q: &ItemsQuery) -> Result<qala_store::features::ItemsJson, ApiError> {
    let out = Output::new(q.srid, q.lat_lon)?;
    let limit = usize::try_from(q.limit).unwrap_or(0);
    let mut page = qala_store::features::ItemsJson {
        features: String::new(),
        returned: 0,
        last_id: None,
    };
    if limit == 0 {
        return Ok(page);
    }
    let mut failed = None;
    for_matching(d, q, |f| {
        if page.returned > 0 {
            page.features.push(',');
        }
        page.features.push_str(r#"{"type":"Feature","id":"#);
        page.features.push_str(itoa::Buffer::new().format(f.id()));
        page.features.push_str(r#","geometry":"#);
        out.write_geometry(f.geom(), f.is_multi(), &mut page.features);
        page.features.push_str(r#","properties":"#);
        match serde_json::to_string(&Json::Object(properties(f))) {
            Ok(p) => page.features.push_str(&p),
            Err(e) => {
                failed = Some(e);
                return false;
            }
        }
        page.features.push('}');
        page.returned += 1;
        page.last_id = Some(f.id());
        page.returned < limit
    })?;
    if let Some(e) = failed {
        return Err(ApiError::internal("writing items", e));
    }
    Ok(page)
}

/// How many items of `d` match `q` on every page (`numberMatched`): the same filters as
/// [`items`], without writing a single item.
pub fn matched(d: &LayerData, q: &ItemsQuery) -> Result<i64, ApiError> {
    let q = ItemsQuery {
        after: None,
        ..q.clone()
    };
    let mut n: i64 = 0;
    for_matching(d, &q, |_| {
        n += 1;
        true
    })?;
    Ok(n)
}

/// One item of `d` by id.
pub fn item_by_id(d: &LayerData, fid: i64, srid: i32, lat_lon: bool) -> Result<Option<Item>, ApiError> {
    let out = Output::new(srid, lat_lon)?;
    Ok(d.get(fid).map(|f| item(&f, &out)))
}
