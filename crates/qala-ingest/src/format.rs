//! Which kind of file a user handed in, and the one GDAL driver allowed to open it.

use crate::IngestError;

/// A supported source format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceFormat {
    GeoJson,
    GeoJsonSeq,
    ZippedShapefile,
    /// A bare `.shp` on the command line, with its sidecar files next to it.
    Shapefile,
    GeoPackage,
    Kml,
    Csv,
    OsmPbf,
    GeoTiff,
}

impl SourceFormat {
    /// The only GDAL driver that may open this format.
    pub fn driver(self) -> &'static str {
        match self {
            SourceFormat::GeoJson => "GeoJSON",
            SourceFormat::GeoJsonSeq => "GeoJSONSeq",
            SourceFormat::ZippedShapefile | SourceFormat::Shapefile => "ESRI Shapefile",
            SourceFormat::GeoPackage => "GPKG",
            SourceFormat::Kml => "LIBKML",
            SourceFormat::Csv => "CSV",
            SourceFormat::OsmPbf => "OSM",
            SourceFormat::GeoTiff => "GTiff",
        }
    }

    /// The extension of the staged copy GDAL opens.
    pub fn extension(self) -> &'static str {
        match self {
            SourceFormat::GeoJson => "geojson",
            SourceFormat::GeoJsonSeq => "geojsonl",
            SourceFormat::ZippedShapefile | SourceFormat::Shapefile => "shp",
            SourceFormat::GeoPackage => "gpkg",
            SourceFormat::Kml => "kml",
            SourceFormat::Csv => "csv",
            SourceFormat::OsmPbf => "osm.pbf",
            SourceFormat::GeoTiff => "tif",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SourceFormat::GeoJson => "GeoJSON",
            SourceFormat::GeoJsonSeq => "GeoJSON sequence",
            SourceFormat::ZippedShapefile => "zipped Shapefile",
            SourceFormat::Shapefile => "Shapefile",
            SourceFormat::GeoPackage => "GeoPackage",
            SourceFormat::Kml => "LIBKML",
            SourceFormat::Csv => "CSV",
            SourceFormat::OsmPbf => "OSM PBF",
            SourceFormat::GeoTiff => "GeoTIFF",
        }
    }

    /// Decides the format from the file name's extension, checked against the first bytes;
    /// with no known extension, from the first bytes alone.
    ///
    /// ```
    /// use qala_ingest::SourceFormat;
    /// assert_eq!(SourceFormat::detect("lanes.GeoJSON", b"{\"type\"").unwrap(), SourceFormat::GeoJson);
    /// assert_eq!(SourceFormat::detect("upload", b"PK\x03\x04....").unwrap(), SourceFormat::ZippedShapefile);
    /// assert!(SourceFormat::detect("x.gpkg", b"{}").is_err());
    /// ```
    pub fn detect(name: &str, head: &[u8]) -> Result<SourceFormat, IngestError> {
        let lower = name.to_ascii_lowercase();
        let by_name = EXTENSIONS.iter().find(|(ext, _)| lower.ends_with(ext)).map(|(_, f)| *f);
        let by_content = sniff(head);
        match (by_name, by_content) {
            (Some(f), Some(c)) if f.is_binary() || c.is_binary() => {
                if f == c || (f == SourceFormat::Shapefile && c == SourceFormat::Shapefile) {
                    Ok(f)
                } else {
                    Err(IngestError::FormatMismatch {
                        name: name.to_owned(),
                        expected: f.name(),
                    })
                }
            }
            (Some(f), _) if f.is_binary() && f != SourceFormat::Shapefile && f != SourceFormat::OsmPbf => {
                Err(IngestError::FormatMismatch {
                    name: name.to_owned(),
                    expected: f.name(),
                })
            }
            (Some(f), _) => Ok(f),
            (None, Some(c)) => Ok(c),
            (None, None) => Err(IngestError::UnknownFormat {
                name: name.to_owned(),
                hint: "name it .geojson, .geojsonl, .zip (Shapefile), .gpkg, .kml, .csv, .osm.pbf or .tif".into(),
            }),
        }
    }

    fn is_binary(self) -> bool {
        matches!(
            self,
            SourceFormat::ZippedShapefile
                | SourceFormat::Shapefile
                | SourceFormat::GeoPackage
                | SourceFormat::OsmPbf
                | SourceFormat::GeoTiff
        )
    }
}

const EXTENSIONS: &[(&str, SourceFormat)] = &[
    (".geojsonl", SourceFormat::GeoJsonSeq),
    (".geojsons", SourceFormat::GeoJsonSeq),
    (".geojsonseq", SourceFormat::GeoJsonSeq),
    (".ndjson", SourceFormat::GeoJsonSeq),
    (".jsonl", SourceFormat::GeoJsonSeq),
    (".geojson", SourceFormat::GeoJson),
    (".json", SourceFormat::GeoJson),
    (".zip", SourceFormat::ZippedShapefile),
    (".shp", SourceFormat::Shapefile),
    (".gpkg", SourceFormat::GeoPackage),
    (".kml", SourceFormat::Kml),
    (".csv", SourceFormat::Csv),
    (".osm.pbf", SourceFormat::OsmPbf),
    (".pbf", SourceFormat::OsmPbf),
    (".tif", SourceFormat::GeoTiff),
    (".tiff", SourceFormat::GeoTiff),
];

/// Recognises a format from its first bytes, for binary formats and the obvious text ones.
fn sniff(head: &[u8]) -> Option<SourceFormat> {
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let first = text.iter().copied().find(|b| !b.is_ascii_whitespace());
    if head.starts_with(b"PK\x03\x04") {
        Some(SourceFormat::ZippedShapefile)
    } else if head.starts_with(b"SQLite format 3\0") {
        Some(SourceFormat::GeoPackage)
    } else if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") || head.starts_with(b"II+\0") {
        Some(SourceFormat::GeoTiff)
    } else if head.starts_with(&[0x00, 0x00, 0x27, 0x0a]) {
        Some(SourceFormat::Shapefile)
    } else if head.len() > 14 && head[..4] == [0, 0, 0, head[3]] && head.windows(9).any(|w| w == b"OSMHeader") {
        Some(SourceFormat::OsmPbf)
    } else if first == Some(0x1e) {
        Some(SourceFormat::GeoJsonSeq)
    } else if first == Some(b'{') {
        Some(SourceFormat::GeoJson)
    } else if first == Some(b'<') {
        Some(SourceFormat::Kml)
    } else {
        None
    }
}
