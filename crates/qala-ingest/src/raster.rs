//! GeoTIFF population rasters (WorldPop and the like): every pixel with residents becomes
//! one population cell, its square's corners reprojected to WGS84.

use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo_types::{Geometry, LineString, MultiPolygon, Polygon, coord};
use qala_core::{Feature, LayerKind, Value};
use serde_json::Map;

use crate::crs::Reprojector;
use crate::source::{FeatureSink, IngestOptions, ReadSummary};
use crate::staging::StagedInput;
use crate::{IngestError, Problem, Severity, check};

/// An opened population raster.
pub struct RasterSource {
    staged: StagedInput,
    ds: Dataset,
    reproject: Reprojector,
    pub crs_note: Option<String>,
}

impl std::fmt::Debug for RasterSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RasterSource").field("name", &self.staged.name).finish()
    }
}

impl RasterSource {
    pub fn open(staged: StagedInput, opts: &IngestOptions) -> Result<RasterSource, IngestError> {
        crate::gdal_env::init();
        let name = staged.name.clone();
        if !matches!(opts.kind, LayerKind::PopulationCell) {
            return Err(IngestError::KindNotInFormat {
                name,
                kind: opts.kind.name(),
                format: "GeoTIFF (rasters load as population_cell layers)",
            });
        }
        let drivers = ["GTiff"];
        let ds = Dataset::open_ex(
            &staged.path,
            DatasetOptions {
                open_flags: GdalOpenFlags::GDAL_OF_RASTER | GdalOpenFlags::GDAL_OF_READONLY,
                allowed_drivers: Some(&drivers),
                open_options: None,
                sibling_files: None,
            },
        )
        .map_err(|source| IngestError::Open {
            name: name.clone(),
            driver: "GTiff",
            source,
        })?;
        let (reproject, crs_note) = match (&opts.crs, ds.spatial_ref()) {
            (Some(user), _) => (Reprojector::from_user(user)?, Some("from --crs".to_owned())),
            (None, Ok(sr)) => (Reprojector::from_spatial_ref(&sr, &name)?, None),
            (None, Err(_)) => return Err(IngestError::NoCrs { name }),
        };
        if ds.geo_transform().is_err() {
            return Err(IngestError::NoCrs { name });
        }
        Ok(RasterSource {
            staged,
            ds,
            reproject,
            crs_note,
        })
    }

    pub fn source_crs(&self) -> &str {
        self.reproject.label()
    }

    pub fn total(&self) -> Option<u64> {
        let (w, h) = self.ds.raster_size();
        Some((w * h) as u64)
    }

    /// Reads band 1 a row of pixels at a time; pixels with no data, zero or negative values
    /// are not cells.
    pub fn read(&self, opts: &IngestOptions, sink: &mut dyn FeatureSink) -> Result<ReadSummary, IngestError> {
        let gdal_err = |source| IngestError::Gdal {
            name: self.staged.name.clone(),
            source,
        };
        let band = self.ds.rasterband(1).map_err(gdal_err)?;
        let gt = self.ds.geo_transform().map_err(gdal_err)?;
        let nodata = band.no_data_value();
        let (w, h) = self.ds.raster_size();
        let total = Some((w * h) as u64);
        let mut summary = ReadSummary::default();
        let mut line = vec![0f64; w];
        let mut problems = Vec::new();
        for y in 0..h {
            band.read_into_slice::<f64>((0, y as isize), (w, 1), (w, 1), &mut line, None)
                .map_err(gdal_err)?;
            for (x, &v) in line.iter().enumerate() {
                let row = (y * w + x) as u64 + 1;
                if nodata.is_some_and(|nd| v == nd || (nd.is_nan() && v.is_nan())) || v.is_nan() || v <= 0.0 {
                    continue;
                }
                summary.rows += 1;
                let at = |px: f64, py: f64| {
                    coord! {x: gt[0] + px * gt[1] + py * gt[2], y: gt[3] + px * gt[4] + py * gt[5]}
                };
                let (fx, fy) = (x as f64, y as f64);
                let ring = LineString(vec![
                    at(fx, fy),
                    at(fx + 1.0, fy),
                    at(fx + 1.0, fy + 1.0),
                    at(fx, fy + 1.0),
                    at(fx, fy),
                ]);
                let cell = Geometry::MultiPolygon(MultiPolygon(vec![Polygon::new(ring, vec![])]));
                let cell = match self.reproject.geometry(cell) {
                    Ok(g) => g,
                    Err((cx, cy)) => {
                        problems.push(Problem::error(
                            row,
                            "pixel",
                            format!("({cx}, {cy})"),
                            format!("cannot reproject from {}", self.reproject.label()),
                        ));
                        continue;
                    }
                };
                check::check_wgs84(row, &cell, &mut problems);
                if !v.is_finite() || v > 1e7 {
                    problems.push(Problem::error(
                        row,
                        "residents",
                        v.to_string(),
                        "not a plausible number of residents",
                    ));
                }
                let bad = problems.iter().any(Problem::is_error);
                for p in problems.drain(..) {
                    match p.severity {
                        Severity::Error => summary.errors += 1,
                        Severity::Warning => summary.warnings += 1,
                        Severity::Repaired => summary.repaired += 1,
                    }
                    sink.problem(p);
                }
                if bad {
                    continue;
                }
                let mut props = Map::new();
                props.insert("pixel".into(), serde_json::json!([x, y]));
                summary.accepted += 1;
                sink.feature(Feature {
                    row,
                    geometry: cell,
                    values: vec![Value::Float(v)],
                    props,
                })?;
            }
            sink.progress(((y + 1) * w) as u64, total);
        }
        let _ = opts;
        Ok(summary)
    }
}
