//! Swapping in a fresh engine while queries run.

use std::sync::{Arc, PoisonError, RwLock};

use crate::Engine;

/// The engine currently served. Queries take a cheap `Arc` snapshot with [`SharedEngine::get`]
/// and keep using it even if a rebuilt engine is swapped in meanwhile with
/// [`SharedEngine::replace`]; nothing waits for a rebuild.
pub struct SharedEngine {
    current: RwLock<Arc<Engine>>,
}

impl SharedEngine {
    pub fn new(engine: Engine) -> SharedEngine {
        SharedEngine {
            current: RwLock::new(Arc::new(engine)),
        }
    }

    /// The engine to answer the next query with.
    pub fn get(&self) -> Arc<Engine> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Serves `engine` from now on; queries already running finish on the old one.
    pub fn replace(&self, engine: Engine) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(engine);
    }
}
