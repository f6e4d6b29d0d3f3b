//! End-to-end tests: a fresh PostGIS database per test, the real `qala` binary, real
//! clients. Run by `scripts/test`, which starts the project-local PostGIS.

// Tests may panic on unexpected errors: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod change_sets;
mod common;
mod engine;
mod figures;
mod foundation;
mod governance;
mod ingest;
mod ingest_hostile;
mod lts;
mod network;
mod partitions;
mod proposals;
mod search;
mod server;
mod walk_profile;
