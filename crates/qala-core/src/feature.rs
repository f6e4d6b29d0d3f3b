use serde_json::{Map, Value as Json};

use crate::Value;

/// One feature on its way into a layer: WGS84 lon/lat geometry, the kind's typed values
/// (in field order) and the remaining attributes.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// 1-based position of the feature in its source file, for reports.
    pub row: u64,
    pub geometry: geo_types::Geometry<f64>,
    pub values: Vec<Value>,
    pub props: Map<String, Json>,
}
