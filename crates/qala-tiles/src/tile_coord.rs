use crate::mercator::ORIGIN_SHIFT_M;
use crate::{MAX_ZOOM, TileError};

/// A WebMercatorQuad tile: XYZ scheme, y counted from the north.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TileCoord {
    pub z: u8,
    pub x: u32,
    pub y: u32,
}

impl TileCoord {
    /// Checks the tile exists: z in 0..=18, x and y below 2^z.
    ///
    /// ```
    /// use qala_tiles::TileCoord;
    /// assert!(TileCoord::new(12, 2923, 1527).is_ok());
    /// assert!(TileCoord::new(40, 0, 0).is_err());
    /// assert!(TileCoord::new(2, 4, 0).is_err());
    /// ```
    pub fn new(z: u32, x: u32, y: u32) -> Result<Self, TileError> {
        if z > u32::from(MAX_ZOOM) {
            return Err(TileError::ZoomOutOfRange { z, max: MAX_ZOOM });
        }
        let n = 1u64 << z;
        if u64::from(x) >= n || u64::from(y) >= n {
            return Err(TileError::TileOutOfRange { z, x, y, n });
        }
        Ok(TileCoord { z: z as u8, x, y })
    }

    /// Width of the tile in EPSG:3857 metres.
    pub fn size_m(self) -> f64 {
        2.0 * ORIGIN_SHIFT_M / f64::from(1u32 << self.z)
    }

    /// The tile's bounds in EPSG:3857: `[min_x, min_y, max_x, max_y]`.
    pub fn bounds_3857(self) -> [f64; 4] {
        let size = self.size_m();
        let min_x = -ORIGIN_SHIFT_M + f64::from(self.x) * size;
        let max_y = ORIGIN_SHIFT_M - f64::from(self.y) * size;
        [min_x, max_y - size, min_x + size, max_y]
    }

    /// The tile containing a point given in EPSG:3857 at zoom `z`.
    pub fn containing(z: u8, x_3857: f64, y_3857: f64) -> TileCoord {
        let n = f64::from(1u32 << z);
        let fx = ((x_3857 + ORIGIN_SHIFT_M) / (2.0 * ORIGIN_SHIFT_M) * n).floor();
        let fy = ((ORIGIN_SHIFT_M - y_3857) / (2.0 * ORIGIN_SHIFT_M) * n).floor();
        let max = n - 1.0;
        TileCoord {
            z,
            x: fx.clamp(0.0, max) as u32,
            y: fy.clamp(0.0, max) as u32,
        }
    }
}

impl std::fmt::Display for TileCoord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_round_trip_with_containing() {
        let t = TileCoord::new(14, 11_694, 6_011).unwrap();
        let [a, b, c, d] = t.bounds_3857();
        assert_eq!(TileCoord::containing(14, (a + c) / 2.0, (b + d) / 2.0), t);
        assert!((c - a - t.size_m()).abs() < 1e-6);
    }
}
