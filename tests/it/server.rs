//! End-to-end tests of `qala serve`: every endpoint in-process over the real fixtures
//! (decoded tiles, JSON), roles and tokens, uploads, versions and rollback, bad
//! parameters; and real clients (GDAL OAPIF, OWSLib, GDAL's MVT driver) against the
//! `qala serve` binary.

mod api_fuzz;
mod auth;
pub(crate) mod binary;
mod clients;
mod cql2;
mod fuzz_mvt;
mod fuzz_query;
mod hostile;
mod html;
pub(crate) mod http;
mod memory;
mod ogc_write;
mod pressure;
mod probes;
mod python;
mod qgis;
mod read;
mod replica;
mod restart;
mod versioned_tiles;
