//! End-to-end tests of the ingest work.
