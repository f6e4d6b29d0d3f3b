//! Geometry checks on one feature: finite, in range, not empty, the kind's type, near
//! Almaty. Each failed check is a [`Problem`] naming the feature and saying why.

use geo::{BoundingRect, CoordsIter};
use geo_types::Geometry;
use qala_core::ALMATY_BBOX_WGS84;

use crate::Problem;

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
            Problem::error(row, "geometry", format!("({}, {})", num(c.x), num(c.y)), "coordinate out of range for lon/lat")
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
                "latitude and longitude look swapped",
            )
            .with_hint("qala reads x = longitude, y = latitude; swap the columns or the coordinate order"),
        );
    } else {
        problems.push(Problem::warning(
            row,
            "geometry",
            format!("({cx:.5}, {cy:.5})"),
            "far outside Almaty (more than ~50 km from the city's box)",
        ));
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
    fn points_cannot_be_green_spaces() {
        let g = Geometry::Point(geo_types::Point::new(76.9, 43.2));
        assert_eq!(conform(qala_core::LayerKind::GreenSpace, g), Err("Point"));
    }
}
