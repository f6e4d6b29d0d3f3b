//! `--max-…` flags: what one file may make qala do. The defaults (qala_ingest::Limits)
//! fit every real Almaty layer with room to spare; a breach refuses the file with a
//! message naming the feature, the field and the flag to raise.

use qala_load::Limits;

/// Resource limits for one ingest.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Limits (a file past one is refused and nothing is loaded)")]
pub struct LimitArgs {
    /// Largest file, in bytes (a zip's unpacked total may be twice this).
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_file_bytes)]
    pub max_file_bytes: u64,
    /// Most features (rows) in the file; for OSM PBF every feature of the layers read
    /// counts, wanted or not.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_features)]
    pub max_features: u64,
    /// Most vertices in one feature's geometry.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_vertices)]
    pub max_vertices: u64,
    /// Most parts in one geometry (members of a multi-geometry, rings of a polygon).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_parts)]
    pub max_parts: u64,
    /// Largest attribute value, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_attribute_bytes)]
    pub max_attribute_bytes: u64,
    /// Most raster cells, width × height × bands (GeoTIFF population grids).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_raster_pixels)]
    pub max_raster_pixels: u64,
    /// Widest raster, in pixels.
    #[arg(long, value_name = "PIXELS", default_value_t = Limits::default().max_raster_width)]
    pub max_raster_width: u64,
    /// Highest raster, in pixels.
    #[arg(long, value_name = "PIXELS", default_value_t = Limits::default().max_raster_height)]
    pub max_raster_height: u64,
    /// Most bands in a raster.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_raster_bands)]
    pub max_raster_bands: u64,
    /// Wall-clock seconds the whole ingest may take (reading runs on one thread, so this
    /// bounds its CPU time too); past it the load stops and nothing is loaded. 0: no limit.
    #[arg(long, value_name = "SECONDS", default_value_t = Limits::default().max_seconds)]
    pub max_seconds: u64,
}

impl LimitArgs {
    pub fn limits(&self) -> Limits {
        let d = Limits::default();
        Limits {
            max_file_bytes: self.max_file_bytes,
            // An archive may unpack to twice the file limit, as by default.
            max_inflated_bytes: self
                .max_file_bytes
                .saturating_mul(d.max_inflated_bytes / d.max_file_bytes.max(1)),
            max_features: self.max_features,
            max_vertices: self.max_vertices,
            max_parts: self.max_parts,
            max_attribute_bytes: self.max_attribute_bytes,
            max_raster_pixels: self.max_raster_pixels,
            max_raster_width: self.max_raster_width,
            max_raster_height: self.max_raster_height,
            max_raster_bands: self.max_raster_bands,
            max_seconds: self.max_seconds,
            ..d
        }
    }
}
