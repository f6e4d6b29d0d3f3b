//! See it/.
