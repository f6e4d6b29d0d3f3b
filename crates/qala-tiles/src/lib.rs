//! qala's vector tiles, cut in memory.
//!
//! A [`LayerData`] holds one served layer: every geometry projected once to Web Mercator
//! (EPSG:3857) and indexed in an R-tree. [`TileSource`] cuts a tile from one or several
//! layers — query the index, clip to the tile plus a buffer, simplify to the tile's
//! resolution, drop sub-pixel features, encode Mapbox Vector Tile 2.1 — and caches the
//! encoded bytes per compression with an ETag. Nothing here touches a database or HTTP.

pub mod clip;
pub mod error;
pub mod geom;
pub mod layer_data;
pub mod mercator;
pub mod mvt;
pub mod mvt_decode;
pub mod simplify;
pub mod tile_cache;
pub mod tile_coord;
pub mod tile_source;

pub use error::TileError;
pub use geom::Geom;
pub use layer_data::{FeatureView, LayerData, LayerDataBuilder, PropRef, PropValue, SourceFeature};
pub use tile_cache::{Encoding, TileBytes};
pub use tile_coord::TileCoord;
pub use tile_source::{TileOptions, TileSource};

/// Tile extent in MVT units (the MVT default).
pub const EXTENT: u32 = 4096;
/// The highest zoom served.
pub const MAX_ZOOM: u8 = 18;
/// No tile is larger than this, however dense the data.
pub const MAX_TILE_BYTES: usize = 500_000;
