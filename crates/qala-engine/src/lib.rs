//! The spatial engine (rstar): zone schemes, indicators, inequality, what-if. Pure CPU: no HTTP, no SQL.
