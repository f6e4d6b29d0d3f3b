//! A **synthetic** ground elevation raster (DEM) of Almaty: no open DEM is bundled, so the
//! cycling stress analysis's slope rules are exercised on a plausible, seeded surface.
//!
//! The surface, in UTM 43N metres, with s = kilometres south of 43.40° N:
//! - a plain rising 16 m/km from ~650 m at the northern city edge;
//! - foothills from s ≈ 22 km (the southern edge of the built-up city, ~1,000–1,100 m),
//!   where the slope grows smoothly by another 55 m/km;
//! - three smooth river valleys running north, roughly where the Bolshaya Almatinka, the
//!   Esentai and the Malaya Almatinka cross the city, deepening southwards (8 m to 60 m);
//! - a few metres of seeded relief (six long sine waves).
//!
//! Pixels are 100 m squares on the UTM grid, Float32 metres, nodata −9999: a pixel has a
//! height when it lies within 300 m of a vertex of a street of the OSM extract and inside
//! the districts' bounding box, so the file stays small (~50,000 pixels with data).

use std::f64::consts::TAU;
use std::path::{Path, PathBuf};

use gdal::raster::{Buffer, RasterCreationOptions};
use gdal::spatial_ref::SpatialRef;
use gdal::{DriverManager, Metadata};
use geo::BoundingRect;
use geo_types::Coord;
use qala_core::LayerKind;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::metric::Metric;
use crate::{CityInputs, SynthError, SynthLayerInfo};

/// The pixel side, metres.
pub const PIXEL_M: f64 = 100.0;
/// The raster's nodata value.
pub const NODATA: f64 = -9999.0;
/// Pixels with data reach this far from a street vertex.
const REACH_PIXELS: i64 = 3;

/// The catalogue entry of the synthetic DEM.
pub const ELEVATION_LAYER: SynthLayerInfo = SynthLayerInfo {
    slug: "elevation",
    kind: LayerKind::Elevation,
    titles: [
        "Жер бедерінің биіктігі (синтетикалық)",
        "Высота рельефа (синтетическая)",
        "Ground elevation (synthetic)",
    ],
    description: "a generated 100 m DEM, not a survey: a plain rising from ~650 m in the north to ~1,000-1,100 m at the southern edge of the built-up city, steeper foothills beyond, and smooth valleys along the main rivers' directions",
};

/// A written DEM.
#[derive(Debug, Clone)]
pub struct ElevationRaster {
    pub path: PathBuf,
    pub width: usize,
    pub height: usize,
    /// Pixels with a height.
    pub pixels: usize,
}

/// Writes the synthetic DEM of `city` for `seed` as a GeoTIFF (EPSG:32643) at `path`. The
/// same seed and inputs give the same heights.
pub fn elevation_raster(city: &CityInputs, seed: u64, path: &Path) -> Result<ElevationRaster, SynthError> {
    let metric = Metric::new()?;
    let mut min = Coord {
        x: f64::MAX,
        y: f64::MAX,
    };
    let mut max = Coord {
        x: f64::MIN,
        y: f64::MIN,
    };
    for d in &city.districts {
        let Some(r) = d.geom.bounding_rect() else { continue };
        for c in [
            r.min(),
            r.max(),
            Coord {
                x: r.min().x,
                y: r.max().y,
            },
            Coord {
                x: r.max().x,
                y: r.min().y,
            },
        ] {
            let m = metric.to_m(c)?;
            min = Coord {
                x: min.x.min(m.x),
                y: min.y.min(m.y),
            };
            max = Coord {
                x: max.x.max(m.x),
                y: max.y.max(m.y),
            };
        }
    }
    if min.x > max.x {
        return Err(SynthError::BadInput(
            "no districts to place the elevation raster on".into(),
        ));
    }
    let x0 = (min.x / PIXEL_M).floor() * PIXEL_M;
    let y1 = (max.y / PIXEL_M).ceil() * PIXEL_M;
    let width = ((max.x - x0) / PIXEL_M).ceil() as usize;
    let height = ((y1 - min.y) / PIXEL_M).ceil() as usize;
    // Pixels near a street vertex have data.
    let mut has = vec![false; width * height];
    for r in &city.roads {
        for c in &r.geom.0 {
            let m = metric.to_m(*c)?;
            let (px, py) = (
                ((m.x - x0) / PIXEL_M).floor() as i64,
                ((y1 - m.y) / PIXEL_M).floor() as i64,
            );
            for dy in -REACH_PIXELS..=REACH_PIXELS {
                for dx in -REACH_PIXELS..=REACH_PIXELS {
                    let (x, y) = (px + dx, py + dy);
                    if (0..width as i64).contains(&x) && (0..height as i64).contains(&y) {
                        has[y as usize * width + x as usize] = true;
                    }
                }
            }
        }
    }
    let surface = Surface::new(&metric, seed)?;
    let mut values = vec![NODATA as f32; width * height];
    let mut pixels = 0;
    for y in 0..height {
        for x in 0..width {
            let i = y * width + x;
            if has[i] {
                let c = Coord {
                    x: x0 + (x as f64 + 0.5) * PIXEL_M,
                    y: y1 - (y as f64 + 0.5) * PIXEL_M,
                };
                // Decimetres: what a DEM of this kind resolves.
                values[i] = ((surface.height(c) * 10.0).round() / 10.0) as f32;
                pixels += 1;
            }
        }
    }
    let gdal_err = |source| SynthError::Gdal {
        path: path.to_owned(),
        source,
    };
    let driver = DriverManager::get_driver_by_name("GTiff").map_err(gdal_err)?;
    let co: RasterCreationOptions = ["COMPRESS=DEFLATE", "TILED=YES"].into_iter().collect();
    let mut ds = driver
        .create_with_band_type_with_options::<f32, _>(path, width, height, 1, &co)
        .map_err(gdal_err)?;
    ds.set_geo_transform(&[x0, PIXEL_M, 0.0, y1, 0.0, -PIXEL_M])
        .map_err(gdal_err)?;
    ds.set_spatial_ref(&SpatialRef::from_epsg(32643).map_err(gdal_err)?)
        .map_err(gdal_err)?;
    ds.set_metadata_item("SYNTHETIC", &format!("qala synth --seed {seed}: not a survey"), "")
        .map_err(gdal_err)?;
    {
        let mut band = ds.rasterband(1).map_err(gdal_err)?;
        band.set_no_data_value(Some(NODATA)).map_err(gdal_err)?;
        let mut buf = Buffer::new((width, height), values);
        band.write((0, 0), (width, height), &mut buf).map_err(gdal_err)?;
    }
    ds.flush_cache().map_err(gdal_err)?;
    drop(ds);
    Ok(ElevationRaster {
        path: path.to_owned(),
        width,
        height,
        pixels,
    })
}

/// The surface's parameters (see the module documentation).
struct Surface {
    /// UTM northing of 43.40° N.
    north_y: f64,
    /// Each river: UTM easting where it crosses 43.25° N, meander phase.
    rivers: Vec<(f64, f64)>,
    /// Relief waves: amplitude m, wave vector (1/m, 1/m), phase.
    waves: Vec<(f64, f64, f64, f64)>,
}

impl Surface {
    fn new(metric: &Metric, seed: u64) -> Result<Surface, SynthError> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xE1E7);
        let north_y = metric.to_m(Coord { x: 76.95, y: 43.40 })?.y;
        let mut rivers = Vec::new();
        // Bolshaya Almatinka, Esentai, Malaya Almatinka (approximate crossings).
        for lon in [76.885, 76.945, 76.99] {
            rivers.push((metric.to_m(Coord { x: lon, y: 43.25 })?.x, rng.gen_range(0.0..TAU)));
        }
        let waves = (0..6)
            .map(|_| {
                let amp = rng.gen_range(1.0..3.0);
                let len = rng.gen_range(1500.0..6000.0);
                let dir: f64 = rng.gen_range(0.0..TAU);
                (
                    amp,
                    dir.cos() * TAU / len,
                    dir.sin() * TAU / len,
                    rng.gen_range(0.0..TAU),
                )
            })
            .collect();
        Ok(Surface { north_y, rivers, waves })
    }

    /// Height in metres at a UTM point.
    fn height(&self, c: Coord<f64>) -> f64 {
        let s = ((self.north_y - c.y) / 1000.0).max(-5.0);
        let plain = 650.0 + 16.0 * s;
        // Softplus: the foothills' extra slope grows from 0 to 55 m/km over a few km.
        let w = 1.5;
        let z = (s - 22.0) / w;
        let softplus = if z > 30.0 { z } else { z.exp().ln_1p() };
        let foothills = 55.0 * w * softplus;
        let mut valleys = 0.0;
        for (x_r, phase) in &self.rivers {
            let depth = (8.0 + 2.5 * (s - 10.0).max(0.0)).min(60.0);
            let width = 400.0 + 10.0 * s.max(0.0);
            let centre = x_r + 250.0 * (TAU * s / 7.0 + phase).sin();
            let d = (c.x - centre) / width;
            valleys += depth * (-d * d).exp();
        }
        let relief: f64 = self
            .waves
            .iter()
            .map(|(a, kx, ky, p)| a * (kx * c.x + ky * c.y + p).sin())
            .sum();
        plain + foothills - valleys + relief
    }
}
