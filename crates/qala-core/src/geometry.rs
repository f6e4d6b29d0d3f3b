//! Geometry rules shared by ingest (reports) and the store (COPY): which geometry a kind
//! takes, and the OGC names of geometry types.

use geo_types::{Geometry, MultiLineString, MultiPoint, MultiPolygon};

use crate::{GeometryType, LayerKind};

/// Promotes single geometries to the kind's multi type; `Err` holds the found type name.
pub fn conform(kind: LayerKind, g: Geometry<f64>) -> Result<Geometry<f64>, &'static str> {
    Ok(match (kind.geometry_type(), g) {
        (GeometryType::Any, g) => g,
        (GeometryType::Point, g @ Geometry::Point(_)) => g,
        (GeometryType::Point, Geometry::MultiPoint(MultiPoint(mut pts))) if pts.len() == 1 => {
            Geometry::Point(pts.remove(0))
        }
        (GeometryType::MultiLineString, Geometry::LineString(l)) => Geometry::MultiLineString(MultiLineString(vec![l])),
        (GeometryType::MultiLineString, g @ Geometry::MultiLineString(_)) => g,
        (GeometryType::MultiPolygon, Geometry::Polygon(p)) => Geometry::MultiPolygon(MultiPolygon(vec![p])),
        (GeometryType::MultiPolygon, g @ Geometry::MultiPolygon(_)) => g,
        (_, g) => return Err(geometry_name(&g)),
    })
}

/// The OGC name of a geometry's type.
pub fn geometry_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) | Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) | Geometry::Rect(_) | Geometry::Triangle(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
    }
}
