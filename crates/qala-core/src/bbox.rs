use crate::CoreError;

/// An axis-aligned box; in WGS84 x is longitude and y is latitude.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Bbox {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

impl Bbox {
    /// Builds a box, refusing non-finite or reversed bounds.
    ///
    /// ```
    /// use qala_core::Bbox;
    /// assert!(Bbox::new(76.9, 43.2, 77.0, 43.3).is_ok());
    /// assert!(Bbox::new(77.0, 43.2, 76.9, 43.3).is_err());
    /// ```
    pub fn new(min_x: f64, min_y: f64, max_x: f64, max_y: f64) -> Result<Self, CoreError> {
        if ![min_x, min_y, max_x, max_y].iter().all(|v| v.is_finite()) {
            return Err(CoreError::InvalidBbox("coordinates must be finite numbers".into()));
        }
        if min_x > max_x || min_y > max_y {
            return Err(CoreError::InvalidBbox(format!(
                "minimum above maximum ({min_x},{min_y},{max_x},{max_y}); the order is minx,miny,maxx,maxy"
            )));
        }
        Ok(Bbox {
            min_x,
            min_y,
            max_x,
            max_y,
        })
    }

    pub fn contains(&self, x: f64, y: f64) -> bool {
        x >= self.min_x && x <= self.max_x && y >= self.min_y && y <= self.max_y
    }

    pub fn intersects(&self, o: &Bbox) -> bool {
        self.min_x <= o.max_x && o.min_x <= self.max_x && self.min_y <= o.max_y && o.min_y <= self.max_y
    }
}
