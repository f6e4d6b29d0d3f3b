//! How much one file may make qala do. Every limit is checked before the work it bounds
//! (an allocation, a loop, a MakeValid), so a 500-byte file declaring two billion pixels
//! or a polygon of fifty million vertices is refused in microseconds instead of taking the
//! process down. The defaults fit every real Almaty layer with room to spare; the CLI can
//! raise or lower each one.

use std::time::Duration;

/// Resource limits for one ingest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// Largest file accepted, in bytes.
    pub max_file_bytes: u64,
    /// Largest total of inflated bytes an archive may unpack to.
    pub max_inflated_bytes: u64,
    /// Largest inflated / compressed ratio of an archive once it unpacks past 16 MiB:
    /// real data compresses 2-20×, a zip bomb 1000×.
    pub max_inflate_ratio: u64,
    /// Most members an archive may hold.
    pub max_archive_members: usize,
    /// Most source rows (features; for OSM every feature of the layers read) per file.
    pub max_features: u64,
    /// Most vertices in one feature's geometry (MakeValid and validity checks are
    /// super-linear in it).
    pub max_vertices: u64,
    /// Most parts in one geometry: members of a multi-geometry, rings of a polygon.
    pub max_parts: u64,
    /// Largest attribute value, in bytes (as text; a list counts as its JSON text).
    pub max_attribute_bytes: u64,
    /// Most raster cells: width × height × bands.
    pub max_raster_pixels: u64,
    pub max_raster_width: u64,
    pub max_raster_height: u64,
    pub max_raster_bands: u64,
    /// Wall-clock seconds one ingest may take, from staging to the last COPY chunk; 0 is
    /// no limit. Reading runs on one thread, so this bounds its CPU time too.
    pub max_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 4 << 30,
            max_inflated_bytes: 8 << 30,
            max_inflate_ratio: 100,
            max_archive_members: 64,
            max_features: 20_000_000,
            // Far above any real district or park outline; MakeValid on more stalls.
            max_vertices: 1_000_000,
            max_parts: 100_000,
            max_attribute_bytes: 1 << 20,
            // A 100 m grid 1,580 km on a side, ~2 GB as float64.
            max_raster_pixels: 250_000_000,
            max_raster_width: 100_000,
            max_raster_height: 100_000,
            max_raster_bands: 64,
            max_seconds: 3600,
        }
    }
}

impl Limits {
    /// The wall-time limit, `None` for no limit.
    pub fn wall_time(&self) -> Option<Duration> {
        (self.max_seconds > 0).then(|| Duration::from_secs(self.max_seconds))
    }
}
