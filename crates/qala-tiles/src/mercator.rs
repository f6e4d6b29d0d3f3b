//! Spherical Web Mercator (EPSG:3857), the projection of every web map tile.

/// Earth radius of EPSG:3857, metres.
pub const RADIUS_M: f64 = 6_378_137.0;
/// Half the width of the projected world, metres.
pub const ORIGIN_SHIFT_M: f64 = std::f64::consts::PI * RADIUS_M;
/// Latitudes beyond this are outside the square Web Mercator world.
pub const MAX_LAT: f64 = 85.051_128_779_806_59;

/// Lon/lat (degrees) to EPSG:3857 metres; latitudes are clamped to the Mercator square.
///
/// ```
/// let (x, y) = qala_tiles::mercator::to_3857(0.0, 0.0);
/// assert!(x.abs() < 1e-9 && y.abs() < 1e-9);
/// let (x, _) = qala_tiles::mercator::to_3857(180.0, 0.0);
/// assert!((x - qala_tiles::mercator::ORIGIN_SHIFT_M).abs() < 1e-6);
/// ```
pub fn to_3857(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT);
    let x = lon.to_radians() * RADIUS_M;
    let y = (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0).tan().ln() * RADIUS_M;
    (x, y)
}

/// EPSG:3857 metres to lon/lat degrees.
///
/// ```
/// let (x, y) = qala_tiles::mercator::to_3857(76.9455, 43.238);
/// let (lon, lat) = qala_tiles::mercator::to_4326(x, y);
/// assert!((lon - 76.9455).abs() < 1e-9 && (lat - 43.238).abs() < 1e-9);
/// ```
pub fn to_4326(x: f64, y: f64) -> (f64, f64) {
    let lon = (x / RADIUS_M).to_degrees();
    let lat = (2.0 * (y / RADIUS_M).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees();
    (lon, lat)
}
