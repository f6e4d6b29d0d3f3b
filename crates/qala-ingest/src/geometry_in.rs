//! Reading one feature's geometry out of GDAL: size limits first (before anything costly
//! touches it), then conversion to geo types, finiteness, and validity with repair.

use crate::source::IngestOptions;
use crate::{Limits, Problem, Severity, check};
use qala_core::ProblemCode;

/// Reads a GDAL geometry into geo types, recording why it cannot be used: empty,
/// non-finite coordinates, unreadable, or invalid (repaired with MakeValid unless strict).
pub(crate) fn read_geometry(
    g: Option<&gdal::vector::Geometry>,
    row: u64,
    opts: &IngestOptions,
    problems: &mut Vec<Problem>,
) -> Option<geo_types::Geometry<f64>> {
    let strict = opts.strict;
    // GDAL hands out a geometry with a null pointer for a feature without geometry; its
    // type then reads as wkbUnknown (0), which no real geometry has.
    let g = g.filter(|g| crate::gdal_env::quietly(|| g.geometry_type()) != 0)?;
    if g.is_empty() {
        problems.push(
            Problem::error(
                row,
                "geometry",
                g.geometry_name(),
                ProblemCode::EmptyGeometry,
                "empty geometry",
            )
            .with_hint(crate::source::NO_GEOMETRY_HINT),
        );
        return None;
    }
    // Before any copy, validity check or repair: those cost more than linear time.
    if let Some(p) = over_size_limits(g, row, &opts.limits) {
        problems.push(p);
        return None;
    }
    let geo = match g.to_geo() {
        Ok(geo) => geo,
        Err(_) => {
            problems.push(
                Problem::error(
                    row,
                    "geometry",
                    g.geometry_name(),
                    ProblemCode::UnsupportedGeometry,
                    "unsupported geometry type",
                )
                .with_hint("use points, lines or polygons (curves and TINs are not supported)"),
            );
            return None;
        }
    };
    if let Some((x, y)) = check::first_non_finite(&geo) {
        problems.push(Problem::error(
            row,
            "geometry",
            format!("({x}, {y})"),
            ProblemCode::NotFiniteCoordinate,
            "coordinate is not a finite number",
        ));
        return None;
    }
    if check::is_empty(&geo) {
        problems.push(
            Problem::error(
                row,
                "geometry",
                g.geometry_name(),
                ProblemCode::EmptyGeometry,
                "empty geometry",
            )
            .with_hint(crate::source::NO_GEOMETRY_HINT),
        );
        return None;
    }
    let polygonal = matches!(
        geo,
        geo_types::Geometry::Polygon(_) | geo_types::Geometry::MultiPolygon(_)
    );
    if !polygonal || g.is_valid() {
        return Some(geo);
    }
    let why = invalid_reason(&geo);
    if strict {
        problems.push(
            Problem::error(
                row,
                "geometry",
                g.geometry_name(),
                ProblemCode::InvalidPolygon,
                format!("invalid polygon: {why}"),
            )
            .with_hint("fix it in your GIS, or load without --strict to have qala repair it"),
        );
        return None;
    }
    match crate::reader::repair(g) {
        Some(fixed) => {
            problems.push(Problem {
                severity: Severity::Repaired,
                ..Problem::error(
                    row,
                    "geometry",
                    g.geometry_name(),
                    ProblemCode::RepairedPolygon,
                    format!("invalid polygon repaired: {why}"),
                )
            });
            Some(fixed)
        }
        None => {
            problems.push(Problem::error(
                row,
                "geometry",
                g.geometry_name(),
                ProblemCode::InvalidPolygon,
                format!("invalid polygon that cannot be repaired: {why}"),
            ));
            None
        }
    }
}

fn invalid_reason(g: &geo_types::Geometry<f64>) -> String {
    use geo::Validation;
    g.validation_errors()
        .first()
        .map(|e| e.to_string())
        .unwrap_or_else(|| "not valid by OGC rules".into())
}

/// Vertices and the largest part count (members of a multi-geometry, rings of a polygon)
/// of a GDAL geometry, counted in place. Stops once `limits` are passed, so an oversized
/// geometry costs no more than the check.
fn geometry_size(g: &gdal::vector::Geometry, limits: &Limits) -> (u64, u64) {
    let n = g.geometry_count();
    if n == 0 {
        return (g.point_count() as u64, 0);
    }
    let (mut vertices, mut parts) = (0u64, n as u64);
    if parts > limits.max_parts {
        return (vertices, parts);
    }
    for i in 0..n {
        let (v, p) = geometry_size(&g.get_geometry(i), limits);
        vertices += v;
        parts = parts.max(p);
        if vertices > limits.max_vertices || parts > limits.max_parts {
            break;
        }
    }
    (vertices, parts)
}

/// The problem with a geometry past the vertex or part limit, if it is.
fn over_size_limits(g: &gdal::vector::Geometry, row: u64, limits: &Limits) -> Option<Problem> {
    let (vertices, parts) = geometry_size(g, limits);
    let name = g.geometry_name();
    if parts > limits.max_parts {
        return Some(
            Problem::error(
                row,
                "geometry",
                format!("{name} with {parts}+ parts"),
                ProblemCode::TooComplex,
                format!("more parts than the limit of {}", limits.max_parts),
            )
            .with_hint("split the feature, or raise the limit with --max-parts"),
        );
    }
    if vertices > limits.max_vertices {
        return Some(
            Problem::error(
                row,
                "geometry",
                format!("{name} with {vertices}+ vertices"),
                ProblemCode::TooComplex,
                format!("more vertices than the limit of {}", limits.max_vertices),
            )
            .with_hint("simplify or split the feature, or raise the limit with --max-vertices"),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wkt(s: &str) -> gdal::vector::Geometry {
        gdal::vector::Geometry::from_wkt(s).unwrap()
    }

    #[test]
    fn vertices_and_parts_are_counted_through_every_level() {
        let lim = Limits::default();
        assert_eq!(geometry_size(&wkt("POINT (1 2)"), &lim), (1, 0));
        let mp = "MULTIPOLYGON (((0 0,1 0,1 1,0 0)),((5 5,6 5,6 6,5 5),(5.1 5.1,5.2 5.1,5.2 5.2,5.1 5.1)))";
        assert_eq!(geometry_size(&wkt(mp), &lim), (12, 2));
    }

    #[test]
    fn a_geometry_over_a_limit_is_an_error_naming_the_row_and_the_limit() {
        let lim = Limits {
            max_vertices: 4,
            max_parts: 2,
            ..Limits::default()
        };
        let line = wkt("LINESTRING (0 0,1 1,2 2,3 3,4 4)");
        let p = over_size_limits(&line, 7, &lim).unwrap();
        assert_eq!((p.row, p.field.as_str()), (7, "geometry"));
        assert!(p.reason.contains("limit of 4") && p.hint.unwrap().contains("--max-vertices"));
        let many = wkt("MULTIPOINT ((0 0),(1 1),(2 2))");
        let p = over_size_limits(&many, 8, &lim).unwrap();
        assert!(p.reason.contains("more parts than the limit of 2"), "{p:?}");
        assert!(over_size_limits(&wkt("POINT (1 1)"), 9, &lim).is_none());
    }
}
