//! Geometry rules shared by ingest (reports) and the store (COPY): which geometry a kind
//! takes, and the OGC names of geometry types.

use geo_types::{Geometry, MultiLineString, MultiPoint, MultiPolygon};

use crate::{GeometryType, LayerKind};

/// Promotes single geometries to the kind's multi type; `Err` holds the found type name.
/// A collection inside a collection is flattened into it (GeoJSON, RFC 7946 §3.1.8, says
/// not to nest them, and PostGIS cannot write such a collection as GeoJSON).
pub fn conform(kind: LayerKind, g: Geometry<f64>) -> Result<Geometry<f64>, &'static str> {
    Ok(match (kind.geometry_type(), g) {
        (GeometryType::Any, Geometry::GeometryCollection(c)) => {
            let mut members = Vec::with_capacity(c.0.len());
            flatten_into(c, &mut members);
            Geometry::GeometryCollection(geo_types::GeometryCollection(members))
        }
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

fn flatten_into(c: geo_types::GeometryCollection<f64>, out: &mut Vec<Geometry<f64>>) {
    for g in c.0 {
        match g {
            Geometry::GeometryCollection(inner) => flatten_into(inner, out),
            g => out.push(g),
        }
    }
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use geo_types::{GeometryCollection, Point, point};

    use super::*;

    #[test]
    fn nested_collections_are_flattened_in_order() {
        let p = |x: f64| Geometry::Point(point!(x: x, y: 43.0));
        let nested = Geometry::GeometryCollection(GeometryCollection(vec![
            p(1.0),
            Geometry::GeometryCollection(GeometryCollection(vec![
                p(2.0),
                Geometry::GeometryCollection(GeometryCollection(vec![p(3.0)])),
            ])),
            p(4.0),
        ]));
        let Geometry::GeometryCollection(flat) = conform(LayerKind::Generic, nested).unwrap() else {
            panic!("still a collection")
        };
        let xs: Vec<f64> = flat.0.iter().map(|g| Point::try_from(g.clone()).unwrap().x()).collect();
        assert_eq!(xs, [1.0, 2.0, 3.0, 4.0]);
        // A kind with one geometry type still refuses a collection, naming it.
        let one = Geometry::GeometryCollection(GeometryCollection(vec![p(1.0)]));
        assert_eq!(conform(LayerKind::Service, one), Err("GeometryCollection"));
    }
}
