//! How access distances are measured: straight line or along the street network.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::EngineError;

/// The distance an access indicator measures.
///
/// ```
/// use qala_engine::DistanceMode;
/// assert_eq!("network".parse::<DistanceMode>().unwrap(), DistanceMode::Network);
/// assert_eq!(DistanceMode::default(), DistanceMode::Straight);
/// let e = "crow".parse::<DistanceMode>().unwrap_err();
/// assert_eq!(e.code(), "invalid_distance_mode");
/// assert!(e.to_string().contains("straight or network"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DistanceMode {
    /// Straight line in UTM 43N, from the cell centroid to the feature.
    #[default]
    Straight,
    /// Along walkable streets of the roads layer (see [`crate::StreetGraph`]): straight to
    /// the nearest street (≤ [`crate::SNAP_M`]), along streets, straight to the feature.
    Network,
}

impl DistanceMode {
    pub fn as_str(self) -> &'static str {
        match self {
            DistanceMode::Straight => "straight",
            DistanceMode::Network => "network",
        }
    }

    pub fn is_straight(&self) -> bool {
        *self == DistanceMode::Straight
    }
}

impl fmt::Display for DistanceMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DistanceMode {
    type Err = EngineError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "straight" => Ok(DistanceMode::Straight),
            "network" => Ok(DistanceMode::Network),
            _ => Err(EngineError::InvalidDistanceMode(s.to_owned())),
        }
    }
}
