use std::fmt;

use crate::CoreError;

/// A layer's URL- and CLI-safe name, e.g. `bike-lanes`.
///
/// ```
/// use qala_core::LayerSlug;
/// assert_eq!(LayerSlug::parse("bike-lanes").unwrap().as_str(), "bike-lanes");
/// assert!(LayerSlug::parse("Bike Lanes").is_err());
/// assert!(LayerSlug::parse("../etc").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct LayerSlug(String);

impl LayerSlug {
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        let ok = !s.is_empty()
            && s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && s.as_bytes()[0] != b'-';
        if ok {
            Ok(LayerSlug(s.to_owned()))
        } else {
            Err(CoreError::InvalidSlug(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LayerSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
