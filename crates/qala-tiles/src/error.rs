use thiserror::Error;

/// Errors of the tile source. All are the caller's mistakes.
#[derive(Debug, Error, PartialEq)]
pub enum TileError {
    #[error("zoom {z} is outside 0..={max}")]
    ZoomOutOfRange { z: u32, max: u8 },
    #[error("tile {x}/{y} does not exist at zoom {z}: x and y must be below {n}")]
    TileOutOfRange { z: u32, x: u32, y: u32, n: u64 },
    #[error("layer {0:?} is not served")]
    UnknownLayer(String),
}

impl TileError {
    /// Stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            TileError::ZoomOutOfRange { .. } | TileError::TileOutOfRange { .. } => "invalid_tile",
            TileError::UnknownLayer(_) => "layer_not_found",
        }
    }
}
