//! Reading a GeoJSON geometry object (lon/lat) into geo types, for what-if changes.

use geo_types::{Coord, Geometry, LineString, MultiLineString, MultiPolygon, Point, Polygon};
use serde_json::Value as Json;

use crate::EngineError;

fn bad(msg: &str) -> EngineError {
    EngineError::InvalidChange(msg.to_owned())
}

fn coord(v: &Json) -> Result<Coord<f64>, EngineError> {
    let a = v.as_array().ok_or_else(|| bad("a position must be [lon, lat]"))?;
    let (x, y) = match a.as_slice() {
        [x, y, ..] => (x.as_f64(), y.as_f64()),
        _ => (None, None),
    };
    match (x, y) {
        (Some(x), Some(y)) if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) => Ok(Coord { x, y }),
        _ => Err(bad(
            "a position must be [lon, lat] with lon in -180..180 and lat in -90..90",
        )),
    }
}

fn line(v: &Json) -> Result<LineString<f64>, EngineError> {
    let a = v
        .as_array()
        .ok_or_else(|| bad("a line must be an array of positions"))?;
    let l = LineString(a.iter().map(coord).collect::<Result<_, _>>()?);
    if l.0.len() < 2 {
        return Err(bad("a line needs at least 2 positions"));
    }
    Ok(l)
}

fn polygon(v: &Json) -> Result<Polygon<f64>, EngineError> {
    let a = v.as_array().ok_or_else(|| bad("a polygon must be an array of rings"))?;
    let mut rings = a.iter().map(line).collect::<Result<Vec<_>, _>>()?;
    if rings.is_empty() || rings.iter().any(|r| r.0.len() < 4) {
        return Err(bad("a polygon ring needs at least 4 positions"));
    }
    let ext = rings.remove(0);
    Ok(Polygon::new(ext, rings))
}

/// Parses a GeoJSON geometry (Point, LineString, MultiLineString, Polygon, MultiPolygon).
pub fn parse_geometry(v: &Json) -> Result<Geometry<f64>, EngineError> {
    let ty = v
        .get("type")
        .and_then(Json::as_str)
        .ok_or_else(|| bad("geometry.type is missing"))?;
    let c = v
        .get("coordinates")
        .ok_or_else(|| bad("geometry.coordinates is missing"))?;
    let arr = |c: &Json| c.as_array().cloned().ok_or_else(|| bad("coordinates must be an array"));
    Ok(match ty {
        "Point" => Geometry::Point(Point::from(coord(c)?)),
        "LineString" => Geometry::LineString(line(c)?),
        "MultiLineString" => {
            Geometry::MultiLineString(MultiLineString(arr(c)?.iter().map(line).collect::<Result<_, _>>()?))
        }
        "Polygon" => Geometry::Polygon(polygon(c)?),
        "MultiPolygon" => Geometry::MultiPolygon(MultiPolygon(arr(c)?.iter().map(polygon).collect::<Result<_, _>>()?)),
        other => return Err(bad(&format!("geometry type {other:?} is not supported"))),
    })
}
