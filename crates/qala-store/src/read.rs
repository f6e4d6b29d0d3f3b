//! Reads for the spatial engine: served layers as plain geo types (owned by the engine work).
