//! Checks on one feature: geometry finite, in range, not empty, the kind's type, near
//! Almaty; attribute values within the size limit. Each failed check is a [`Problem`]
//! naming the feature and saying why.

use geo::{BoundingRect, CoordsIter};
use geo_types::Geometry;
use qala_core::ALMATY_BBOX_WGS84;
use qala_core::ProblemCode;

use crate::{Limits, Problem};

/// How far outside Almaty's box (in degrees, ~50 km) a feature may lie before it is warned
/// about.
const NEAR_DEG: f64 = 0.5;

/// The first coordinate that is NaN or infinite.
pub fn first_non_finite(g: &Geometry<f64>) -> Option<(f64, f64)> {
    g.coords_iter()
        .find(|c| !c.x.is_finite() || !c.y.is_finite())
        .map(|c| (c.x, c.y))
}

pub fn is_empty(g: &Geometry<f64>) -> bool {
    g.coords_iter().next().is_none()
}

/// Checks a WGS84 geometry: coordinates in range, not far from Almaty, not lat/lon swapped.
pub fn check_wgs84(row: u64, g: &Geometry<f64>, problems: &mut Vec<Problem>) {
    if let Some(c) = g.coords_iter().find(|c| c.x.abs() > 180.0 || c.y.abs() > 90.0) {
        problems.push(
            Problem::error(row, "geometry", format!("({}, {})", num(c.x), num(c.y)), ProblemCode::CoordinatesRange, "coordinate out of range for lon/lat")
                .with_hint(
                    "longitude must be within ±180 and latitude within ±90; if the file is in metres, pass its CRS with --crs (e.g. EPSG:32643)",
                ),
        );
        return;
    }
    let Some(rect) = g.bounding_rect() else {
        return;
    };
    let b = ALMATY_BBOX_WGS84;
    let near = |x: f64, y: f64| {
        x >= b.min_x - NEAR_DEG && x <= b.max_x + NEAR_DEG && y >= b.min_y - NEAR_DEG && y <= b.max_y + NEAR_DEG
    };
    let (cx, cy) = (rect.center().x, rect.center().y);
    if near(cx, cy) {
        return;
    }
    if near(cy, cx) {
        problems.push(
            Problem::error(
                row,
                "geometry",
                format!("({cx:.5}, {cy:.5})"),
                ProblemCode::SwappedLatlon,
                "latitude and longitude look swapped",
            )
            .with_hint("qala reads x = longitude, y = latitude; swap the columns or the coordinate order"),
        );
    } else {
        problems.push(Problem::warning(
            row,
            "geometry",
            format!("({cx:.5}, {cy:.5})"),
            ProblemCode::FarAway,
            "far outside Almaty (more than ~50 km from the city's box)",
        ));
    }
}

/// Flags every attribute whose value (as text) is larger than the limit: a 100 MB string
/// in one property would otherwise travel into the report, the COPY and every tile.
pub fn attribute_sizes(
    row: u64,
    attrs: &serde_json::Map<String, serde_json::Value>,
    limits: &Limits,
    problems: &mut Vec<Problem>,
) {
    for (field, value) in attrs {
        let bytes = match value {
            serde_json::Value::String(s) => s.len(),
            serde_json::Value::Array(_) | serde_json::Value::Object(_) => value.to_string().len(),
            _ => continue,
        } as u64;
        if bytes > limits.max_attribute_bytes {
            let head: String = value.as_str().map(|s| s.chars().take(40).collect()).unwrap_or_default();
            problems.push(
                Problem::error(
                    row,
                    field,
                    format!("{head}… ({bytes} bytes)"),
                    ProblemCode::ValueTooLarge,
                    format!("value larger than the limit of {} bytes", limits.max_attribute_bytes),
                )
                .with_hint("shorten the value, or raise the limit with --max-attribute-bytes"),
            );
        }
    }
}

/// A coordinate for a message: 1e308 stays short.
pub fn num(v: f64) -> String {
    if v.abs() >= 1e9 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

pub use qala_core::geometry::{conform, geometry_name};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swapped_coordinates_are_an_error_and_far_ones_a_warning() {
        let mut p = Vec::new();
        check_wgs84(1, &Geometry::Point(geo_types::Point::new(43.24, 76.95)), &mut p);
        assert_eq!(p.len(), 1);
        assert!(p[0].is_error() && p[0].reason.contains("swapped"));
        let mut p = Vec::new();
        check_wgs84(2, &Geometry::Point(geo_types::Point::new(71.43, 51.13)), &mut p);
        assert_eq!(p.len(), 1);
        assert!(!p[0].is_error());
        let mut p = Vec::new();
        check_wgs84(3, &Geometry::Point(geo_types::Point::new(76.95, 43.24)), &mut p);
        assert!(p.is_empty());
    }

    #[test]
    fn an_attribute_over_the_size_limit_names_row_field_and_limit() {
        let limits = Limits {
            max_attribute_bytes: 8,
            ..Limits::default()
        };
        let attrs = serde_json::json!({"name": "short", "note": "a much longer note", "n": 123456789012_i64});
        let mut p = Vec::new();
        attribute_sizes(4, attrs.as_object().unwrap(), &limits, &mut p);
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!((p[0].row, p[0].field.as_str()), (4, "note"));
        assert!(p[0].value.contains("18 bytes") && p[0].reason.contains("limit of 8 bytes"));
    }

    #[test]
    fn points_cannot_be_green_spaces() {
        let g = Geometry::Point(geo_types::Point::new(76.9, 43.2));
        assert_eq!(conform(qala_core::LayerKind::GreenSpace, g), Err("Point"));
    }
}
