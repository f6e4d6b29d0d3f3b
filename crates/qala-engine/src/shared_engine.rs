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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::EngineOptions;

    #[test]
    fn a_query_keeps_its_engine_while_a_new_one_is_swapped_in() {
        let old = Engine::from_layers(Vec::new(), EngineOptions::default()).unwrap();
        let shared = SharedEngine::new(old);
        let running = shared.get();
        let mut options = EngineOptions::default();
        options.indicators.truncate(1);
        shared.replace(Engine::from_layers(Vec::new(), options).unwrap());
        // The running query still sees every definition; the next one sees the new engine.
        assert!(running.definitions().len() > 1);
        assert_eq!(shared.get().definitions().len(), 1);
        // Readers from many threads at once.
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| assert_eq!(shared.get().definitions().len(), 1));
            }
        });
    }
}
