//! Reprojection to WGS84 lon/lat with PROJ. `Proj::new_known_crs` normalises axis order
//! for visualisation, so input and output are always (x = easting/lon, y = northing/lat)
//! whatever axis order the EPSG definition has (EPSG:4326 and the Pulkovo 1942
//! Gauss–Krüger CRSs are northing-first in the registry).

use gdal::spatial_ref::SpatialRef;
use geo::MapCoords;
use proj::Proj;

use crate::IngestError;

/// Turns coordinates of one source CRS into WGS84 lon/lat.
pub struct Reprojector {
    /// `None` when the source already is WGS84 lon/lat.
    proj: Option<Proj>,
    /// What the source CRS was, for the catalogue: `EPSG:32643`, or a name for a CRS
    /// without an authority code.
    label: String,
}

impl std::fmt::Debug for Reprojector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reprojector").field("label", &self.label).finish()
    }
}

const WGS84_LABELS: &[&str] = &["EPSG:4326", "OGC:CRS84", "CRS84", "WGS84", "EPSG:4979"];

impl Reprojector {
    /// No reprojection: the source is WGS84 lon/lat.
    pub fn wgs84() -> Self {
        Reprojector {
            proj: None,
            label: "EPSG:4326".into(),
        }
    }

    /// From a user's `--crs` (anything PROJ accepts: `EPSG:32643`, `ESRI:102025`, a PROJ
    /// string or WKT).
    pub fn from_user(crs: &str) -> Result<Self, IngestError> {
        let trimmed = crs.trim();
        let upper = trimmed.to_ascii_uppercase();
        if WGS84_LABELS.contains(&upper.as_str()) {
            return Ok(Self::wgs84());
        }
        let proj = Proj::new_known_crs(trimmed, "EPSG:4326", None).map_err(|source| IngestError::UnknownCrs {
            crs: crs.to_owned(),
            source,
        })?;
        Ok(Reprojector {
            proj: Some(proj),
            label: if upper.starts_with("EPSG:") || upper.starts_with("ESRI:") {
                upper
            } else {
                "custom".into()
            },
        })
    }

    /// From the CRS a file declares (a .prj, GeoPackage metadata, a GeoTIFF's keys).
    pub fn from_spatial_ref(sr: &SpatialRef, name: &str) -> Result<Self, IngestError> {
        let mut sr = sr.clone();
        if sr.auth_name().is_none() {
            // ESRI .prj files carry no authority; GDAL can often recognise the EPSG code.
            let _ = sr.auto_identify_epsg();
        }
        if let (Some(auth), Ok(code)) = (sr.auth_name(), sr.auth_code()) {
            let label = format!("{auth}:{code}");
            if WGS84_LABELS.contains(&label.as_str()) {
                return Ok(Self::wgs84());
            }
            if let Ok(proj) = Proj::new_known_crs(&label, "EPSG:4326", None) {
                return Ok(Reprojector {
                    proj: Some(proj),
                    label,
                });
            }
        }
        let wkt = sr.to_wkt().map_err(|source| IngestError::BadFileCrs {
            name: name.to_owned(),
            source,
        })?;
        let crs_name = || sr.name().unwrap_or_else(|| "the file's CRS".into());
        // A local (engineering) grid has no link to the Earth: PROJ cannot transform it, and
        // the proj crate panics on the error it reports without a message.
        if sr.is_local() {
            return Err(IngestError::LocalCrs {
                name: name.to_owned(),
                crs: crs_name(),
            });
        }
        let made = std::panic::catch_unwind(|| Proj::new_known_crs(&wkt, "EPSG:4326", None)).map_err(|_| {
            IngestError::LocalCrs {
                name: name.to_owned(),
                crs: crs_name(),
            }
        })?;
        let proj = made.map_err(|source| IngestError::UnknownCrs {
            crs: crs_name(),
            source,
        })?;
        Ok(Reprojector {
            proj: Some(proj),
            label: sr.name().unwrap_or_else(|| "custom".into()),
        })
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn is_identity(&self) -> bool {
        self.proj.is_none()
    }

    /// Reprojects every coordinate; the error names the first coordinate PROJ refused.
    pub fn geometry(&self, g: geo_types::Geometry<f64>) -> Result<geo_types::Geometry<f64>, (f64, f64)> {
        let Some(proj) = &self.proj else {
            return Ok(g);
        };
        g.try_map_coords(|c| {
            let out = proj.convert(c).map_err(|_| (c.x, c.y))?;
            if out.x.is_finite() && out.y.is_finite() {
                Ok(out)
            } else {
                Err((c.x, c.y))
            }
        })
    }

    /// Reprojects one coordinate.
    pub fn coord(&self, c: geo_types::Coord<f64>) -> Option<geo_types::Coord<f64>> {
        match &self.proj {
            None => Some(c),
            Some(p) => p.convert(c).ok().filter(|o| o.x.is_finite() && o.y.is_finite()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utm43n_to_lon_lat_in_almaty() {
        let r = Reprojector::from_user("EPSG:32643").unwrap();
        // Republic Square, about (76.9455, 43.2380).
        let c = r.coord(geo_types::coord! {x: 657_000.0, y: 4_789_000.0}).unwrap();
        assert!((c.x - 76.95).abs() < 0.05 && (c.y - 43.23).abs() < 0.05, "{c:?}");
    }

    #[test]
    fn unknown_crs_is_a_clear_error() {
        let e = Reprojector::from_user("EPSG:999999").unwrap_err();
        assert_eq!(e.code(), "unknown_crs");
    }
}
