//! Streaming a staged file into checked WGS84 features: open with the one allowed driver,
//! choose the layer, resolve the CRS, then for each feature read → repair → reproject →
//! check → type its attributes, handing every good feature and every problem to a
//! [`FeatureSink`]. Memory stays flat: nothing is collected here.

use qala_core::ProblemCode;
use std::collections::HashSet;

use gdal::vector::{Feature as GdalFeature, LayerAccess};
use gdal::{Dataset, DatasetOptions, GdalOpenFlags};
use qala_core::{Feature, LayerKind};
use serde_json::{Map, Value as Json};

use crate::check;
use crate::crs::Reprojector;
use crate::format::SourceFormat;
use crate::geometry_in::read_geometry;
use crate::osm::{self, OsmRule};
use crate::staging::StagedInput;
use crate::{Cancel, IngestError, Limits, Problem, Severity};

/// What to read and how strictly.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// The kind the features must fit.
    pub kind: LayerKind,
    /// The source CRS when the file has none (or a wrong one), e.g. `EPSG:32643`.
    pub crs: Option<String>,
    /// Attribute renames applied before validation (`--map Статус=status`).
    pub map: Vec<(String, String)>,
    /// Constant attributes `(field, value)` set on every feature after the renames,
    /// before validation (`--set category=hospital`).
    pub set: Vec<(String, String)>,
    /// Which layer of a multi-layer file (GeoPackage, KML).
    pub layer: Option<String>,
    /// Refuse invalid polygons instead of repairing them.
    pub strict: bool,
    /// What "in the future" means for dates.
    pub today: chrono::NaiveDate,
    /// Felling permits that exist, for the plantings' `felling_permit_no` check; `None`
    /// skips the check.
    pub known_permits: Option<HashSet<String>>,
    /// What one file may cost (features, vertices, pixels, bytes, seconds).
    pub limits: Limits,
    /// Stops the read between features (client gone, shutdown, wall time).
    pub cancel: Cancel,
    /// Read only this field of each row, as a change set's key (a delete names the
    /// features to remove): no geometry, no other field is needed or checked. Each key goes
    /// to [`FeatureSink::key`].
    pub keys_only: Option<&'static str>,
}

/// Receives what a read produces. Returning `Err` from [`FeatureSink::feature`] stops it.
pub trait FeatureSink {
    /// A feature that passed every check, geometry in WGS84 lon/lat of the kind's type.
    fn feature(&mut self, feature: Feature) -> Result<(), IngestError>;
    /// A problem with one feature.
    fn problem(&mut self, problem: Problem);
    /// Under [`IngestOptions::keys_only`]: the key of row `row`, checked.
    fn key(&mut self, row: u64, key: qala_core::Value) -> Result<(), IngestError>;
    /// Rows read so far, of `total` when the format knows it cheaply.
    fn progress(&mut self, _rows: u64, _total: Option<u64>) {}
}

/// What a read found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ReadSummary {
    /// Source rows (features, pixels with residents) read.
    pub rows: u64,
    /// Features handed to the sink.
    pub accepted: u64,
    pub errors: u64,
    pub warnings: u64,
    pub repaired: u64,
}

/// The hint of a feature without geometry (null, or no coordinates at all).
pub const NO_GEOMETRY_HINT: &str = "remove it, give it one, or load the rest with --skip-invalid";

/// Parses `SOURCE=TARGET` of `--map` (and `FIELD=VALUE` of `--set`).
pub fn parse_mapping(s: &str) -> Result<(String, String), IngestError> {
    match s.split_once('=') {
        Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => Ok((a.trim().to_owned(), b.trim().to_owned())),
        _ => Err(IngestError::BadMapping(s.to_owned())),
    }
}

/// An opened source, ready to stream.
pub struct Source {
    staged: StagedInput,
    ds: Dataset,
    /// Layers to read, in order (several only for OSM rules spanning points and areas).
    layers: Vec<String>,
    reproject: Reprojector,
    total: Option<u64>,
    /// CSV columns that hold the geometry (dropped from the attributes).
    geom_columns: Vec<String>,
    osm_rule: Option<OsmRule>,
    /// How the source CRS was decided, for the report.
    pub crs_note: Option<String>,
    /// The attribute encoding qala chose for a Shapefile without a .cpg.
    pub encoding: Option<&'static str>,
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Source")
            .field("name", &self.staged.name)
            .field("format", &self.staged.format)
            .field("layers", &self.layers)
            .field("crs", &self.reproject)
            .finish()
    }
}

const CSV_X: &[&str] = &["lon", "longitude", "lng", "long", "x"];
const CSV_Y: &[&str] = &["lat", "latitude", "y"];
const CSV_WKT: &[&str] = &["wkt", "geom", "geometry", "the_geom", "shape"];

impl Source {
    /// Opens a staged file for `opts.kind`. Fails before reading any feature when the file
    /// cannot be opened, has no CRS, or does not hold what the kind needs.
    pub fn open(staged: StagedInput, opts: &IngestOptions) -> Result<Source, IngestError> {
        crate::gdal_env::init();
        let name = staged.name.clone();
        let format = staged.format;
        if format == SourceFormat::GeoTiff {
            return Err(IngestError::KindNotInFormat {
                name,
                kind: opts.kind.name(),
                format: "GeoTIFF (use read_raster)",
            });
        }
        let encoding = match format {
            SourceFormat::ZippedShapefile | SourceFormat::Shapefile => guess_dbf_encoding(&staged),
            _ => None,
        };
        let csv_opts: Vec<String> = vec![
            format!("X_POSSIBLE_NAMES={}", CSV_X.join(",")),
            format!("Y_POSSIBLE_NAMES={}", CSV_Y.join(",")),
            format!("GEOM_POSSIBLE_NAMES={}", CSV_WKT.join(",")),
            "KEEP_GEOM_COLUMNS=YES".into(),
            "AUTODETECT_TYPE=NO".into(),
            "EMPTY_STRING_AS_NULL=YES".into(),
        ];
        let shp_opts: Vec<String> = encoding.map(|e| vec![format!("ENCODING={e}")]).unwrap_or_default();
        let open_options: Vec<&str> = match format {
            SourceFormat::Csv => csv_opts.iter().map(String::as_str).collect(),
            SourceFormat::ZippedShapefile | SourceFormat::Shapefile => shp_opts.iter().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        let drivers = [format.driver()];
        crate::gdal_env::take_refused_fetches();
        let ds = Dataset::open_ex(
            &staged.path,
            DatasetOptions {
                open_flags: GdalOpenFlags::GDAL_OF_VECTOR | GdalOpenFlags::GDAL_OF_READONLY,
                allowed_drivers: Some(&drivers),
                open_options: (!open_options.is_empty()).then_some(&open_options),
                sibling_files: None,
            },
        )
        .map_err(|source| IngestError::Open {
            name: name.clone(),
            driver: format.driver(),
            source,
        })?;
        // A CRS given by URL was refused (never fetched); without --crs qala would read the
        // file as lon/lat, which it is probably not.
        if let Some(url) = crate::gdal_env::take_refused_fetches().into_iter().next()
            && opts.crs.is_none()
        {
            return Err(IngestError::NetworkReference { name, url });
        }
        let names: Vec<String> = ds.layers().map(|l| l.name()).collect();
        let osm_rule = (format == SourceFormat::OsmPbf)
            .then(|| {
                OsmRule::for_kind(opts.kind).ok_or(IngestError::KindNotInFormat {
                    name: name.clone(),
                    kind: opts.kind.name(),
                    format: "OSM PBF",
                })
            })
            .transpose()?;
        let layers = match (osm_rule, &opts.layer) {
            (Some(rule), _) => osm::layers_for(rule).iter().map(|s| (*s).to_owned()).collect(),
            (None, Some(want)) => {
                if !names.contains(want) {
                    return Err(IngestError::NoSuchLayer {
                        name,
                        layer: want.clone(),
                        available: names.join(", "),
                    });
                }
                vec![want.clone()]
            }
            (None, None) => vec![choose_layer(&ds, &names, &name)?],
        };
        let first = ds.layer_by_name(&layers[0]).map_err(|source| IngestError::Gdal {
            name: name.clone(),
            source,
        })?;
        // Text formats count by parsing the whole file again: not worth it for a progress bar.
        let cheap_count = matches!(
            format,
            SourceFormat::GeoPackage | SourceFormat::Shapefile | SourceFormat::ZippedShapefile
        );
        let total = if cheap_count { first.try_feature_count() } else { None };
        let file_srs = first.spatial_ref();
        let geom_columns = if format == SourceFormat::Csv {
            first
                .defn()
                .fields()
                .map(|f| f.name())
                .filter(|n| {
                    let l = n.to_ascii_lowercase();
                    CSV_X.contains(&l.as_str()) || CSV_Y.contains(&l.as_str()) || CSV_WKT.contains(&l.as_str())
                })
                .collect()
        } else {
            Vec::new()
        };
        let (reproject, crs_note) = match (&opts.crs, file_srs, format) {
            (Some(user), _, _) => (Reprojector::from_user(user)?, Some("from --crs".to_owned())),
            (None, Some(sr), _) => (Reprojector::from_spatial_ref(&sr, &name)?, None),
            (None, None, SourceFormat::Csv) => (
                Reprojector::wgs84(),
                Some("CSV files carry no CRS: lon/lat degrees (EPSG:4326) assumed; pass --crs otherwise".to_owned()),
            ),
            (
                None,
                None,
                SourceFormat::GeoJson | SourceFormat::GeoJsonSeq | SourceFormat::Kml | SourceFormat::OsmPbf,
            ) => (Reprojector::wgs84(), None),
            (None, None, _) => return Err(IngestError::NoCrs { name }),
        };
        Ok(Source {
            staged,
            ds,
            layers,
            reproject,
            total,
            geom_columns,
            osm_rule,
            crs_note,
            encoding,
        })
    }

    /// The source CRS as stored in the catalogue, e.g. `EPSG:32643`.
    pub fn source_crs(&self) -> &str {
        self.reproject.label()
    }

    pub fn format(&self) -> SourceFormat {
        self.staged.format
    }

    pub fn layer_name(&self) -> String {
        self.layers.join("+")
    }

    /// Number of features, when the format knows it without a full scan.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// Reads every feature into `sink`.
    pub fn read(&self, opts: &IngestOptions, sink: &mut dyn FeatureSink) -> Result<ReadSummary, IngestError> {
        let mut summary = ReadSummary::default();
        let mut row: u64 = 0;
        let mut problems = Vec::new();
        crate::gdal_env::take_failures();
        for layer_name in &self.layers {
            let mut layer = self.ds.layer_by_name(layer_name).map_err(|source| IngestError::Gdal {
                name: self.staged.name.clone(),
                source,
            })?;
            for gf in layer.features() {
                row += 1;
                summary.rows += 1;
                opts.cancel.check(&self.staged.name)?;
                if row > opts.limits.max_features {
                    return Err(IngestError::TooManyFeatures {
                        name: self.staged.name.clone(),
                        limit: opts.limits.max_features,
                    });
                }
                if row.is_multiple_of(4096) {
                    sink.progress(row, self.total);
                }
                damaged_record(row, &mut problems);
                if let Some(k) = opts.keys_only {
                    let key = self.key_of(&gf, row, opts, k, &mut problems);
                    flush_problems(&mut problems, &mut summary, sink);
                    if let Some(key) = key {
                        summary.accepted += 1;
                        sink.key(row, key)?;
                    }
                    continue;
                }
                let Some(feature) = self.one(&gf, row, opts, &mut problems) else {
                    flush_problems(&mut problems, &mut summary, sink);
                    continue;
                };
                flush_problems(&mut problems, &mut summary, sink);
                summary.accepted += 1;
                sink.feature(feature)?;
            }
        }
        damaged_record(row + 1, &mut problems);
        flush_problems(&mut problems, &mut summary, sink);
        sink.progress(row, self.total);
        Ok(summary)
    }

    /// The key field of one row (after `--map` and `--set`), checked for the kind; or the
    /// problem with it.
    fn key_of(
        &self,
        gf: &GdalFeature,
        row: u64,
        opts: &IngestOptions,
        k: &'static str,
        problems: &mut Vec<Problem>,
    ) -> Option<qala_core::Value> {
        let mut attrs = Map::new();
        crate::reader::feature_attrs(gf, &mut attrs);
        check::attribute_sizes(row, &attrs, &opts.limits, problems);
        apply_mapping(&mut attrs, &opts.map, opts.kind);
        for (field, value) in &opts.set {
            attrs.insert(field.clone(), Json::String(value.clone()));
        }
        let raw = attrs.get(k).cloned().unwrap_or(Json::Null);
        match opts.kind.key_value(k, &raw, opts.today) {
            Ok(v) if !problems.iter().any(Problem::is_error) => Some(v),
            Ok(_) => None,
            Err(issue) => {
                problems.push(Problem::from((row, issue)));
                None
            }
        }
    }

    /// Turns one GDAL feature into a checked feature, or records why it cannot be one.
    fn one(&self, gf: &GdalFeature, row: u64, opts: &IngestOptions, problems: &mut Vec<Problem>) -> Option<Feature> {
        let mut attrs = Map::new();
        crate::reader::feature_attrs(gf, &mut attrs);
        let (geometry, attrs) = match self.osm_rule {
            Some(rule) => {
                // Most OSM features are not of this rule (a residential road when reading
                // cycleways): decide that first, and report only on the ones kept.
                osm::wanted(rule, &attrs)?;
                let geom = read_geometry(gf.geometry(), row, opts, problems);
                let raw = crate::RawFeature {
                    row,
                    geometry: geom,
                    attrs,
                    repaired: false,
                };
                match osm::map_feature(rule, raw) {
                    Some(mapped) => (mapped.geometry, mapped.attrs),
                    None => (None, Map::new()),
                }
            }
            None => (read_geometry(gf.geometry(), row, opts, problems), attrs),
        };
        let mut attrs = attrs;
        if self.staged.format == SourceFormat::Csv {
            let wkt_text = self
                .geom_columns
                .iter()
                .find(|c| CSV_WKT.contains(&c.to_ascii_lowercase().as_str()))
                .and_then(|c| attrs.get(c))
                .and_then(Json::as_str)
                .map(str::to_owned);
            for c in &self.geom_columns {
                attrs.remove(c);
            }
            if geometry.is_none() && !problems.iter().any(|p| p.field == "geometry") {
                let p = match wkt_text {
                    Some(w) => Problem::error(row, "geometry", w, ProblemCode::Wkt, "the WKT text cannot be parsed")
                        .with_hint("e.g. POINT (76.95 43.24) or POLYGON ((…)) with closed rings"),
                    None => Problem::error(row, "geometry", "", ProblemCode::NoCoordinates, "no coordinates in this row")
                        .with_hint("fill the lon/lat columns or the WKT column, remove the row, or load the rest with --skip-invalid"),
                };
                problems.push(p);
                return None;
            }
        }
        let geometry = match geometry {
            Some(g) => g,
            None => {
                if !problems.iter().any(|p| p.field == "geometry") {
                    problems.push(
                        Problem::error(row, "geometry", "", ProblemCode::NoGeometry, "feature has no geometry")
                            .with_hint(NO_GEOMETRY_HINT),
                    );
                }
                return None;
            }
        };
        let geometry = match self.reproject.geometry(geometry) {
            Ok(g) => g,
            Err((x, y)) => {
                problems.push(
                    Problem::error(
                        row,
                        "geometry",
                        format!("({x}, {y})"),
                        ProblemCode::CannotReproject,
                        format!("cannot reproject from {} to WGS84", self.reproject.label()),
                    )
                    .with_hint("check the coordinates and the CRS (--crs)"),
                );
                return None;
            }
        };
        check::check_wgs84(row, &geometry, problems);
        let geometry = match check::conform(opts.kind, geometry) {
            Ok(g) => Some(g),
            Err(found) => {
                problems.push(
                    Problem::error(
                        row,
                        "geometry",
                        found,
                        ProblemCode::WrongGeometryType,
                        format!(
                            "a {} layer takes {} geometries",
                            opts.kind.name(),
                            opts.kind.geometry_type().postgis_name()
                        ),
                    )
                    .with_hint("choose the kind that fits the file (--kind), or --kind generic"),
                );
                None
            }
        };
        // After the CSV geometry columns are gone: a polygon's WKT may well pass 1 MiB.
        check::attribute_sizes(row, &attrs, &opts.limits, problems);
        apply_mapping(&mut attrs, &opts.map, opts.kind);
        for (field, value) in &opts.set {
            attrs.insert(field.clone(), Json::String(value.clone()));
        }
        let typed = match opts.kind.typed_attributes(&attrs, opts.today) {
            Ok(t) => Some(t),
            Err(issues) => {
                problems.extend(issues.into_iter().map(|i| Problem::from((row, i))));
                None
            }
        };
        if let (Some(permits), Some(t)) = (&opts.known_permits, &typed) {
            check_permit(opts.kind, row, t, permits, problems);
        }
        if problems.iter().any(Problem::is_error) {
            return None;
        }
        let t = typed?;
        Some(Feature {
            row,
            geometry: geometry?,
            values: t.values,
            props: t.props,
        })
    }
}

/// Turns GDAL failures raised while fetching a feature into errors: a driver that skipped
/// a damaged record must not make qala load the rest as if nothing happened.
fn damaged_record(row: u64, problems: &mut Vec<Problem>) {
    for msg in crate::gdal_env::take_failures() {
        problems.push(
            Problem::error(
                row,
                "file",
                msg,
                ProblemCode::DamagedFile,
                "part of the file is damaged and cannot be read (near this feature)",
            )
            .with_hint("repair or re-export the file"),
        );
    }
}

fn flush_problems(problems: &mut Vec<Problem>, summary: &mut ReadSummary, sink: &mut dyn FeatureSink) {
    for p in problems.drain(..) {
        match p.severity {
            Severity::Error => summary.errors += 1,
            Severity::Warning => summary.warnings += 1,
            Severity::Repaired => summary.repaired += 1,
        }
        sink.problem(p);
    }
}

/// Picks the layer of a file that has several: the only one, or the only non-empty one.
fn choose_layer(ds: &Dataset, names: &[String], name: &str) -> Result<String, IngestError> {
    match names.len() {
        0 => Err(IngestError::NoSuchLayer {
            name: name.to_owned(),
            layer: "(any)".into(),
            available: "none".into(),
        }),
        1 => Ok(names[0].clone()),
        _ => {
            let non_empty: Vec<&String> = names
                .iter()
                .filter(|n| {
                    ds.layer_by_name(n)
                        .is_ok_and(|l| l.try_feature_count().unwrap_or(1) > 0)
                })
                .collect();
            match non_empty.as_slice() {
                [one] => Ok((*one).clone()),
                _ => Err(IngestError::SeveralLayers {
                    name: name.to_owned(),
                    available: names.join(", "),
                }),
            }
        }
    }
}

/// Renames attributes per `--map`; a population layer also takes `population` (Kontur,
/// WorldPop exports) as `residents`.
fn apply_mapping(attrs: &mut Map<String, Json>, map: &[(String, String)], kind: LayerKind) {
    for (from, to) in map {
        if let Some(v) = attrs.remove(from) {
            attrs.insert(to.clone(), v);
        }
    }
    if kind == LayerKind::PopulationCell
        && !attrs.contains_key("residents")
        && let Some(v) = attrs.remove("population")
    {
        attrs.insert("residents".into(), v);
    }
}

/// A planting's `felling_permit_no` must name a permit of the served tree-felling layers.
fn check_permit(
    kind: LayerKind,
    row: u64,
    t: &qala_core::value::TypedAttributes,
    permits: &HashSet<String>,
    problems: &mut Vec<Problem>,
) {
    if kind != LayerKind::TreePlanting {
        return;
    }
    let Some(idx) = kind.fields().iter().position(|f| f.name == "felling_permit_no") else {
        return;
    };
    if let Some(qala_core::Value::Text(p)) = t.values.get(idx)
        && !permits.contains(p)
    {
        problems.push(
            Problem::error(
                row,
                "felling_permit_no",
                p.clone(),
                ProblemCode::UnknownPermit,
                "unknown permit",
            )
            .with_hint(
                "no served tree-felling layer has this permit number; load the fellings first or fix the number",
            ),
        );
    }
}

/// A Shapefile without a .cpg and without a code page byte: GDAL would read its text as
/// Latin-1. Kazakh and Russian files are UTF-8 or Windows-1251; look at the bytes.
fn guess_dbf_encoding(staged: &StagedInput) -> Option<&'static str> {
    use std::io::Read;
    let dir = staged.dir();
    if dir.join("source.cpg").exists() {
        return None;
    }
    let mut buf = vec![0u8; 1 << 20];
    let mut f = std::fs::File::open(dir.join("source.dbf")).ok()?;
    let n = f.read(&mut buf).ok()?;
    let buf = &buf[..n];
    if buf.len() < 32 || buf[29] != 0 {
        return None;
    }
    // Only the records: the header holds binary counts and field descriptors.
    let header_len = usize::from(u16::from_le_bytes([buf[8], buf[9]]));
    let buf = buf.get(header_len..)?;
    if buf.is_ascii() {
        return None;
    }
    match std::str::from_utf8(buf) {
        Ok(_) => Some("UTF-8"),
        // A multi-byte character cut at the end of the sample is still UTF-8.
        Err(e) if e.error_len().is_none() => Some("UTF-8"),
        Err(_) => Some("CP1251"),
    }
}
