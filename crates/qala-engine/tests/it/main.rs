//! The engine's integration tests: spatial queries and indicators against brute force on
//! seeded random data.

// Tests may panic on unexpected errors: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod lts;
mod network;
mod spatial_index;
