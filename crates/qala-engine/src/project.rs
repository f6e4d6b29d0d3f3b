//! WGS84 lon/lat <-> UTM 43N (EPSG:32643) metres, the CRS every distance, area and length
//! of the engine is measured in.

use geo::MapCoords;
use geo_types::{Coord, Geometry};
use proj::Proj;

use crate::EngineError;

/// One direction of the transformation. `Proj` is not `Sync`, so a `Projector` is made
/// where it is used (creating one takes well under a millisecond once PROJ is warm).
pub struct Projector {
    proj: Proj,
}

impl Projector {
    /// lon/lat (x = lon, y = lat) to UTM 43N easting/northing.
    pub fn to_utm() -> Result<Projector, EngineError> {
        // new_known_crs normalises the axis order: x = lon in, x = easting out.
        Proj::new_known_crs("EPSG:4326", &format!("EPSG:{}", qala_core::UTM43N_EPSG), None)
            .map(|proj| Projector { proj })
            .map_err(EngineError::ProjectionSetup)
    }

    /// UTM 43N easting/northing to lon/lat (x = lon, y = lat).
    pub fn to_wgs84() -> Result<Projector, EngineError> {
        Proj::new_known_crs(&format!("EPSG:{}", qala_core::UTM43N_EPSG), "EPSG:4326", None)
            .map(|proj| Projector { proj })
            .map_err(EngineError::ProjectionSetup)
    }

    pub fn coord(&self, c: Coord<f64>) -> Result<Coord<f64>, EngineError> {
        let (x, y) = self.proj.convert((c.x, c.y)).map_err(EngineError::Projection)?;
        Ok(Coord { x, y })
    }

    pub fn geometry(&self, g: &Geometry<f64>) -> Result<Geometry<f64>, EngineError> {
        g.try_map_coords(|c| self.coord(c))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn republic_square_round_trips_in_utm_43n() {
        let fwd = Projector::to_utm().unwrap();
        let inv = Projector::to_wgs84().unwrap();
        let (lon, lat) = qala_core::REPUBLIC_SQUARE_WGS84;
        let m = fwd.coord(Coord { x: lon, y: lat }).unwrap();
        // Almaty lies east of the 75°E central meridian: easting > 500 km, northing ~4.79 Mm.
        assert!((650_000.0..700_000.0).contains(&m.x), "{m:?}");
        assert!((4_780_000.0..4_800_000.0).contains(&m.y), "{m:?}");
        let back = inv.coord(m).unwrap();
        assert!((back.x - lon).abs() < 1e-9 && (back.y - lat).abs() < 1e-9);
    }
}
