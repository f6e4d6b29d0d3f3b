//! Domain types shared by every qala crate: the typed layer kinds and their attribute
//! schemas, attribute values and their validation, bounding boxes and tile coordinates.
//!
//! No I/O lives here: no database, no HTTP, no files.

pub mod bbox;
pub mod error;
pub mod feature;
pub mod filter;
pub mod geometry;
pub mod kind;
pub mod problem_code;
pub mod slug;
pub mod value;

pub use bbox::Bbox;
pub use error::{CoreError, ErrorKind};
pub use feature::Feature;
pub use kind::{FieldDef, FieldRule, FieldType, GeometryType, LayerKind};
pub use problem_code::ProblemCode;
pub use slug::LayerSlug;
pub use value::{FieldIssue, Value};

/// Almaty's bounding box in WGS84 (lon/lat), a little wider than the city's 2024 boundary.
/// Features far outside it are warned about on ingest.
pub const ALMATY_BBOX_WGS84: Bbox = Bbox {
    min_x: 76.50,
    min_y: 42.95,
    max_x: 77.30,
    max_y: 43.62,
};

/// Republic Square, the default centre of the distance-ring zone scheme (lon, lat).
pub const REPUBLIC_SQUARE_WGS84: (f64, f64) = (76.9455, 43.2380);

/// EPSG code of the metric CRS used for distances and areas: UTM zone 43N.
pub const UTM43N_EPSG: u32 = 32643;
