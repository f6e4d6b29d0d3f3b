//! End-to-end tests of the engine work.
