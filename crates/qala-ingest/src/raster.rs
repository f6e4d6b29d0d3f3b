//! GeoTIFF rasters: population (WorldPop and the like), where every pixel with residents
//! becomes one population cell, and elevation (a DEM, metres), where every pixel with data
//! becomes one elevation cell; each cell is its pixel's square, corners reprojected to WGS84.
//!
//! An elevation raster must say which value means "no data" (a height of 0 m is a height)
//! and have exactly one band of real numbers; a population raster may lack a nodata value
//! (zero and negative pixels hold no residents).

use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use geo_types::{Geometry, LineString, MultiPolygon, Polygon, coord};
use qala_core::ProblemCode;
use qala_core::{Feature, LayerKind, Value};
use serde_json::Map;

use crate::crs::Reprojector;
use crate::source::{FeatureSink, IngestOptions, ReadSummary};
use crate::staging::StagedInput;
use crate::{IngestError, Limits, Problem, Severity, check};

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
        if !matches!(opts.kind, LayerKind::PopulationCell | LayerKind::Elevation) {
            return Err(IngestError::KindNotInFormat {
                name,
                kind: opts.kind.name(),
                format: "GeoTIFF (rasters load as population_cell or elevation layers)",
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
        check_size(&ds, &name, &opts.limits)?;
        let (reproject, crs_note) = match (&opts.crs, ds.spatial_ref()) {
            (Some(user), _) => (Reprojector::from_user(user)?, Some("from --crs".to_owned())),
            (None, Ok(sr)) => match Reprojector::from_spatial_ref(&sr, &name) {
                Ok(r) => (r, None),
                // Name the file: the CRS alone does not say which upload it came with.
                Err(IngestError::UnknownCrs { crs, source }) => {
                    return Err(IngestError::UnknownCrs {
                        crs: format!("{crs} (the CRS of {name})"),
                        source,
                    });
                }
                Err(e) => return Err(e),
            },
            (None, Err(_)) => return Err(IngestError::NoCrs { name }),
        };
        if ds.geo_transform().is_err() {
            return Err(IngestError::NoCrs { name });
        }
        if opts.kind == LayerKind::Elevation {
            check_elevation_band(&ds, &name)?;
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
        Some((w as u64).saturating_mul(h as u64))
    }

    /// Reads band 1 in blocks of at most [`READ_PIXELS`] pixels (whole rows); pixels with
    /// no data are not cells, nor (population) are zero or negative ones. Checks `opts.cancel` per block and
    /// every [`CHECK_EVERY`] pixels within one.
    pub fn read(&self, opts: &IngestOptions, sink: &mut dyn FeatureSink) -> Result<ReadSummary, IngestError> {
        let name = &self.staged.name;
        if opts.keys_only.is_some() {
            // A delete names features by a key field; pixels have none.
            return Err(IngestError::KindNotInFormat {
                name: name.clone(),
                kind: opts.kind.name(),
                format: "GeoTIFF (a delete reads the keys of a vector file)",
            });
        }
        let gdal_err = |source| IngestError::Gdal {
            name: name.clone(),
            source,
        };
        let band = self.ds.rasterband(1).map_err(gdal_err)?;
        let gt = self.ds.geo_transform().map_err(gdal_err)?;
        let nodata = band.no_data_value();
        let elevation = opts.kind == LayerKind::Elevation;
        let (w, h) = self.ds.raster_size();
        let total = Some((w as u64) * (h as u64));
        let mut summary = ReadSummary::default();
        // open() bounded the width, so a block is at most max(READ_PIXELS, width) pixels.
        let rows_per_read = (READ_PIXELS / w.max(1)).clamp(1, h.max(1));
        let mut block = vec![0f64; w * rows_per_read];
        let mut problems = Vec::new();
        let mut y0 = 0;
        while y0 < h {
            opts.cancel.check(name)?;
            let rows = rows_per_read.min(h - y0);
            let pixels = &mut block[..w * rows];
            band.read_into_slice::<f64>((0, y0 as isize), (w, rows), (w, rows), pixels, None)
                .map_err(gdal_err)?;
            for (i, &v) in pixels.iter().enumerate() {
                if i % CHECK_EVERY == CHECK_EVERY - 1 {
                    opts.cancel.check(name)?;
                }
                if nodata.is_some_and(|nd| v == nd || (nd.is_nan() && v.is_nan()))
                    || v.is_nan()
                    || (!elevation && v <= 0.0)
                {
                    continue;
                }
                let (x, y) = (i % w, y0 + i / w);
                let row = (y as u64) * (w as u64) + x as u64 + 1;
                summary.rows += 1;
                let cell = self.cell(&gt, x, y, v, row, elevation, &mut problems);
                let bad = problems.iter().any(Problem::is_error);
                for p in problems.drain(..) {
                    match p.severity {
                        Severity::Error => summary.errors += 1,
                        Severity::Warning => summary.warnings += 1,
                        Severity::Repaired => summary.repaired += 1,
                    }
                    sink.problem(p);
                }
                let Some(cell) = cell.filter(|_| !bad) else {
                    continue;
                };
                summary.accepted += 1;
                sink.feature(cell)?;
            }
            y0 += rows;
            sink.progress((y0 as u64) * (w as u64), total);
        }
        Ok(summary)
    }

    /// The cell of pixel (x, y) holding `v` (residents, or metres for `elevation`),
    /// reprojected and checked.
    #[allow(clippy::too_many_arguments)]
    fn cell(
        &self,
        gt: &[f64; 6],
        x: usize,
        y: usize,
        v: f64,
        row: u64,
        elevation: bool,
        problems: &mut Vec<Problem>,
    ) -> Option<Feature> {
        let at = |px: f64, py: f64| coord! {x: gt[0] + px * gt[1] + py * gt[2], y: gt[3] + px * gt[4] + py * gt[5]};
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
                    ProblemCode::CannotReproject,
                    format!("cannot reproject from {}", self.reproject.label()),
                ));
                return None;
            }
        };
        check::check_wgs84(row, &cell, problems);
        if elevation {
            if !(-500.0..=9000.0).contains(&v) {
                problems.push(Problem::error(
                    row,
                    "elevation_m",
                    v.to_string(),
                    ProblemCode::OutOfRange,
                    "not a plausible ground height (-500 to 9000 m); is the nodata value set?",
                ));
            }
        } else if !v.is_finite() || v > 1e7 {
            problems.push(Problem::error(
                row,
                "residents",
                v.to_string(),
                ProblemCode::ImplausibleResidents,
                "not a plausible number of residents",
            ));
        }
        let mut props = Map::new();
        props.insert("pixel".into(), serde_json::json!([x, y]));
        Some(Feature {
            row,
            geometry: cell,
            values: vec![Value::Float(v)],
            props,
        })
    }
}

/// An elevation raster has one band of real numbers and a nodata value.
fn check_elevation_band(ds: &Dataset, name: &str) -> Result<(), IngestError> {
    let unsupported = |what: String| {
        Err(IngestError::RasterBandUnsupported {
            name: name.to_owned(),
            what,
        })
    };
    let bands = ds.raster_count();
    if bands != 1 {
        return unsupported(format!("the raster has {bands} bands"));
    }
    let band = ds.rasterband(1).map_err(|source| IngestError::Gdal {
        name: name.to_owned(),
        source,
    })?;
    if band.band_type() == gdal::raster::GdalDataType::Unknown {
        return unsupported("its band does not hold real numbers (complex or unknown pixel type)".into());
    }
    match band.no_data_value() {
        Some(_) => Ok(()),
        None => Err(IngestError::RasterWithoutNodata { name: name.to_owned() }),
    }
}

/// Pixels read from GDAL per call: 8 MiB of f64, whatever the raster's shape.
const READ_PIXELS: usize = 1 << 20;
/// Pixels between two cancellation checks inside a block (each may be reprojected).
const CHECK_EVERY: usize = 1 << 14;
/// Largest GDAL block accepted (all bands, 8 bytes a sample): GDAL allocates a whole block
/// to read any pixel of it, so a file declaring one strip of a billion pixels must be
/// refused before the first read.
const MAX_BLOCK_BYTES: u64 = 256 << 20;

/// Refuses a raster whose declared size passes `limits`, before anything is allocated.
fn check_size(ds: &Dataset, name: &str, limits: &Limits) -> Result<(), IngestError> {
    let too_large = |what: String| {
        Err(IngestError::RasterTooLarge {
            name: name.to_owned(),
            what,
        })
    };
    let (w, h) = ds.raster_size();
    let (w, h, bands) = (w as u64, h as u64, ds.raster_count() as u64);
    if w > limits.max_raster_width {
        return too_large(format!(
            "{w} pixels wide, more than the limit of {} (--max-raster-width)",
            limits.max_raster_width
        ));
    }
    if h > limits.max_raster_height {
        return too_large(format!(
            "{h} pixels high, more than the limit of {} (--max-raster-height)",
            limits.max_raster_height
        ));
    }
    if bands > limits.max_raster_bands {
        return too_large(format!(
            "{bands} bands, more than the limit of {} (--max-raster-bands)",
            limits.max_raster_bands
        ));
    }
    let cells = w.saturating_mul(h).saturating_mul(bands.max(1));
    if cells > limits.max_raster_pixels {
        return too_large(format!(
            "{w} × {h} pixels × {bands} bands = {cells} cells, more than the limit of {} (--max-raster-pixels)",
            limits.max_raster_pixels
        ));
    }
    if let Ok(band) = ds.rasterband(1) {
        let (bx, by) = band.block_size();
        let bytes = (bx as u64)
            .saturating_mul(by as u64)
            .saturating_mul(bands.max(1))
            .saturating_mul(8);
        if bytes > MAX_BLOCK_BYTES {
            return too_large(format!(
                "its storage blocks of {bx} × {by} pixels need {} MiB each; re-tile it (gdal_translate -co TILED=YES)",
                bytes >> 20
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use std::time::{Duration, Instant};

    use super::*;
    use crate::{Cancel, Limits};

    /// A GeoTIFF of `w` × `h` float32 pixels in EPSG:4326 over Almaty, written sparse: no
    /// pixel data at all, so a raster declaring billions of pixels is a few hundred bytes.
    fn sparse_tiff(dir: &Path, w: usize, h: usize, tiled: bool) -> PathBuf {
        let path = dir.join(format!("declared-{w}x{h}.tif"));
        let drv = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
        let mut co = vec!["SPARSE_OK=TRUE", "BIGTIFF=YES"];
        if tiled {
            co.push("TILED=YES");
        }
        let co: gdal::raster::RasterCreationOptions = co.into_iter().collect();
        let mut ds = drv
            .create_with_band_type_with_options::<f32, _>(&path, w, h, 1, &co)
            .unwrap();
        ds.set_geo_transform(&[76.8, 1e-6, 0.0, 43.3, 0.0, -1e-6]).unwrap();
        ds.set_spatial_ref(&gdal::spatial_ref::SpatialRef::from_epsg(4326).unwrap())
            .unwrap();
        drop(ds);
        path
    }

    fn options(cancel: Cancel) -> IngestOptions {
        IngestOptions {
            kind: LayerKind::PopulationCell,
            crs: None,
            map: Vec::new(),
            set: Vec::new(),
            layer: None,
            strict: false,
            today: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            known_permits: None,
            limits: Limits::default(),
            cancel,
            keys_only: None,
        }
    }

    struct Count(u64);
    impl FeatureSink for Count {
        fn feature(&mut self, _: Feature) -> Result<(), IngestError> {
            self.0 += 1;
            Ok(())
        }
        fn problem(&mut self, _: Problem) {}
        fn key(&mut self, _: u64, _: qala_core::Value) -> Result<(), IngestError> {
            Err(IngestError::SinkClosed)
        }
    }

    /// A classic little-endian GeoTIFF of `w` × `h` float32 pixels in EPSG:4326, written
    /// by hand as the issue's was: one strip with no bytes (GDAL reads it as empty), so
    /// the file is 274 bytes whatever size it declares. GDAL splits an uncompressed
    /// single strip into rows; a compressed one is one block.
    fn declared_tiff(w: u32, h: u32, compression: u32) -> Vec<u8> {
        const SHORT: u16 = 3;
        const LONG: u16 = 4;
        const DOUBLE: u16 = 12;
        let entries: [(u16, u16, u32, u32); 13] = [
            (256, LONG, 1, w),            // ImageWidth
            (257, LONG, 1, h),            // ImageLength
            (258, SHORT, 1, 32),          // BitsPerSample
            (259, SHORT, 1, compression), // 1 none, 8 deflate
            (262, SHORT, 1, 1),           // Photometric: min-is-black
            (273, LONG, 1, 8),            // StripOffsets
            (277, SHORT, 1, 1),           // SamplesPerPixel
            (278, LONG, 1, h),            // RowsPerStrip: one strip
            (279, LONG, 1, 0),            // StripByteCounts: nothing stored
            (339, SHORT, 1, 3),           // SampleFormat: IEEE float
            (33550, DOUBLE, 3, 170),      // ModelPixelScale
            (33922, DOUBLE, 6, 194),      // ModelTiepoint
            (34735, SHORT, 16, 242),      // GeoKeyDirectory
        ];
        let mut b = Vec::new();
        b.extend_from_slice(b"II*\0");
        b.extend_from_slice(&8u32.to_le_bytes());
        b.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        for (tag, ty, count, value) in entries {
            b.extend_from_slice(&tag.to_le_bytes());
            b.extend_from_slice(&ty.to_le_bytes());
            b.extend_from_slice(&count.to_le_bytes());
            b.extend_from_slice(&value.to_le_bytes());
        }
        b.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(b.len(), 170);
        for v in [1e-6, 1e-6, 0.0, 0.0, 0.0, 0.0, 76.8, 43.3, 0.0] {
            b.extend_from_slice(&f64::to_le_bytes(v));
        }
        // Version 1.1.0, 3 keys: model geographic, raster pixel-is-area, EPSG:4326.
        for v in [1u16, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, 4326] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        b
    }

    /// A small GeoTIFF for the elevation checks: `bands` bands of type `T`, a nodata value
    /// when given, a CRS from WKT when given.
    fn small_tiff<T: gdal::raster::GdalType + Copy + Default>(
        dir: &Path,
        name: &str,
        bands: usize,
        nodata: Option<f64>,
        wkt: Option<&str>,
    ) -> PathBuf {
        let path = dir.join(name);
        let drv = gdal::DriverManager::get_driver_by_name("GTiff").unwrap();
        let mut ds = drv.create_with_band_type::<T, _>(&path, 3, 2, bands).unwrap();
        // UTM 43N metres over Almaty, 100 m pixels.
        ds.set_geo_transform(&[640_000.0, 100.0, 0.0, 4_790_000.0, 0.0, -100.0])
            .unwrap();
        if let Some(wkt) = wkt {
            ds.set_projection(wkt).unwrap();
        }
        for b in 1..=bands {
            let mut band = ds.rasterband(b).unwrap();
            if let Some(nd) = nodata {
                band.set_no_data_value(Some(nd)).unwrap();
            }
        }
        drop(ds);
        path
    }

    fn elevation_options() -> IngestOptions {
        IngestOptions {
            kind: LayerKind::Elevation,
            ..options(Cancel::new())
        }
    }

    struct Keep(Vec<Feature>);
    impl FeatureSink for Keep {
        fn feature(&mut self, f: Feature) -> Result<(), IngestError> {
            self.0.push(f);
            Ok(())
        }
        fn problem(&mut self, p: Problem) {
            panic!("unexpected problem {p:?}");
        }
        fn key(&mut self, _: u64, _: qala_core::Value) -> Result<(), IngestError> {
            Err(IngestError::SinkClosed)
        }
    }

    #[test]
    fn an_elevation_raster_loads_heights_and_skips_nodata() {
        let dir = tempfile::tempdir().unwrap();
        let utm = gdal::spatial_ref::SpatialRef::from_epsg(32643)
            .unwrap()
            .to_wkt()
            .unwrap();
        let path = small_tiff::<f32>(dir.path(), "dem.tif", 1, Some(-9999.0), Some(&utm));
        {
            let ds = Dataset::open_ex(
                &path,
                DatasetOptions {
                    open_flags: GdalOpenFlags::GDAL_OF_UPDATE,
                    ..Default::default()
                },
            )
            .unwrap();
            let mut band = ds.rasterband(1).unwrap();
            // A height of 0 m and a negative one are heights; -9999 is missing.
            let mut buf = gdal::raster::Buffer::new((3, 2), vec![650.5f32, 0.0, -9999.0, 700.0, -12.0, 1000.0]);
            band.write((0, 0), (3, 2), &mut buf).unwrap();
        }
        let opts = elevation_options();
        let opened = crate::open(&path, "dem.tif", &opts).unwrap();
        let mut keep = Keep(Vec::new());
        let summary = opened.read(&opts, &mut keep).unwrap();
        assert_eq!(summary.accepted, 5);
        let heights: Vec<f64> = keep
            .0
            .iter()
            .map(|f| match f.values[0] {
                Value::Float(v) => v,
                ref v => panic!("{v:?}"),
            })
            .collect();
        assert_eq!(heights, vec![650.5, 0.0, 700.0, -12.0, 1000.0]);
        // Cells in lon/lat over Almaty.
        let Geometry::MultiPolygon(m) = &keep.0[0].geometry else {
            panic!()
        };
        let c = m.0[0].exterior().0[0];
        assert!((76.0..78.0).contains(&c.x) && (43.0..43.5).contains(&c.y), "{c:?}");
    }

    #[test]
    fn bad_elevation_rasters_are_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let utm = gdal::spatial_ref::SpatialRef::from_epsg(32643)
            .unwrap()
            .to_wkt()
            .unwrap();
        let local = r#"LOCAL_CS["site grid",LOCAL_DATUM["site",0],UNIT["metre",1],AXIS["X",EAST],AXIS["Y",NORTH]]"#;
        let cases: Vec<(PathBuf, &str, &str)> = vec![
            (
                small_tiff::<f32>(dir.path(), "no_nodata.tif", 1, None, Some(&utm)),
                "raster_without_nodata",
                "declares no nodata value",
            ),
            (
                small_tiff::<f32>(dir.path(), "rgb.tif", 3, Some(0.0), Some(&utm)),
                "raster_band_unsupported",
                "3 bands",
            ),
            (
                small_tiff::<f32>(dir.path(), "no_crs.tif", 1, Some(-9999.0), None),
                "no_crs",
                "says nothing about its coordinate reference system",
            ),
            (
                small_tiff::<f32>(dir.path(), "local.tif", 1, Some(-9999.0), Some(local)),
                "unknown_crs",
                "cannot be placed on the Earth",
            ),
        ];
        for (path, code, want) in cases {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let err = crate::open(&path, &name, &elevation_options()).unwrap_err();
            let msg = err.to_string();
            eprintln!("{name}: {code}: {msg}");
            assert_eq!(err.code(), code, "{name}: {msg}");
            assert!(msg.contains(&name) && msg.contains(want), "{msg}");
        }
        // A population raster keeps working without a nodata value.
        let pop = small_tiff::<f32>(dir.path(), "pop.tif", 1, None, Some(&utm));
        assert!(crate::open(&pop, "pop.tif", &options(Cancel::new())).is_ok());
    }

    /// Issue 11: 2,000,000,000 × 1 aborted the process allocating a 16 GB row; 1 ×
    /// 2,000,000,000 pinned a core for minutes. Both are refused at open, in microseconds.
    #[test]
    fn a_raster_declaring_billions_of_pixels_is_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        for (w, h, compression, what) in [
            (2_000_000_000, 1, 1, "2000000000 pixels wide"),
            (1, 2_000_000_000, 1, "2000000000 pixels high"),
            (60_000, 60_000, 1, "3600000000 cells, more than the limit of 250000000"),
            (100_000, 2_000, 8, "blocks of 100000 × 2000 pixels"),
        ] {
            let path = dir.path().join(format!("{w}x{h}.tif"));
            std::fs::write(&path, declared_tiff(w, h, compression)).unwrap();
            let started = Instant::now();
            let err = crate::open(&path, "huge.tif", &options(Cancel::new())).unwrap_err();
            assert_eq!(err.code(), "raster_too_large", "{w}×{h}: {err}");
            let msg = err.to_string();
            assert!(
                msg.starts_with("huge.tif: raster too large") && msg.contains(what),
                "{msg}"
            );
            assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        }
    }

    #[test]
    fn a_large_raster_within_the_limits_stops_promptly_when_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        // 200 million empty pixels: seconds of reading, within every default limit.
        let path = sparse_tiff(dir.path(), 20_000, 10_000, true);
        let cancel = Cancel::new();
        let opts = options(cancel.clone());
        let opened = crate::open(&path, "big.tif", &opts).unwrap();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            cancel.cancel();
            Instant::now()
        });
        let err = opened.read(&opts, &mut Count(0));
        let returned = Instant::now();
        let cancelled_at = stopper.join().unwrap();
        let err = err.unwrap_err();
        assert_eq!(err.code(), "cancelled", "{err}");
        let lag = returned.duration_since(cancelled_at);
        eprintln!("raster read stopped {lag:?} after the cancel");
        assert!(lag < Duration::from_millis(500), "stopped {lag:?} after the cancel");
        // The same read under a wall-time limit stops on its own.
        let opts = options(Cancel::new().child_with_limit(Duration::from_millis(100)));
        let started = Instant::now();
        let err = opened.read(&opts, &mut Count(0)).unwrap_err();
        assert_eq!(err.code(), "ingest_timed_out", "{err}");
        assert!(
            started.elapsed() < Duration::from_millis(600),
            "{:?}",
            started.elapsed()
        );
    }
}
