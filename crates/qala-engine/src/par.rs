//! Small helpers for spreading work over the cores and sharing what it builds.
//!
//! Every helper here gives the same result as doing the work on one thread, in the same
//! order: each item is computed alone by the same function, and the pieces are put back in
//! input order. The figures do not depend on the number of cores.

use std::sync::{Arc, Mutex, PoisonError};

/// At most this many threads for one [`map`]; beyond it the chunks get too small to pay.
const MAX_THREADS: usize = 8;

/// Below this many items one thread does it all (a spawn costs more than the work).
const MIN_PARALLEL: usize = 4096;

/// `items.iter().map(f).collect()`, with the items cut into one chunk per core.
pub(crate) fn map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(MAX_THREADS);
    if threads <= 1 || items.len() < MIN_PARALLEL {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            out.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
        }
        out
    })
}

/// A value built once on first use and then shared, like `OnceLock`, except that a failed
/// build is not kept: the next caller builds again and gets its own error, the real one.
/// A caller that finds a build under way waits for it rather than building it twice.
pub(crate) struct TryOnce<T>(Mutex<Option<Arc<T>>>);

impl<T> Default for TryOnce<T> {
    fn default() -> Self {
        TryOnce(Mutex::new(None))
    }
}

impl<T> TryOnce<T> {
    pub(crate) fn get_or_try_init<E>(&self, build: impl FnOnce() -> Result<T, E>) -> Result<Arc<T>, E> {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(v) = slot.as_ref() {
            return Ok(v.clone());
        }
        let v = Arc::new(build()?);
        *slot = Some(v.clone());
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_keeps_input_order_across_chunks() {
        let items: Vec<u64> = (0..20_000).collect();
        let out = map(&items, |x| x * 3 + 1);
        assert_eq!(out, items.iter().map(|x| x * 3 + 1).collect::<Vec<_>>());
        assert!(map(&[] as &[u64], |x| *x).is_empty());
    }

    #[test]
    fn try_once_keeps_a_value_but_not_an_error() {
        let cell: TryOnce<u32> = TryOnce::default();
        assert_eq!(cell.get_or_try_init(|| Err::<u32, _>("first")), Err("first"));
        assert_eq!(cell.get_or_try_init(|| Err::<u32, _>("second")), Err("second"));
        assert_eq!(*cell.get_or_try_init(|| Ok::<_, &str>(7)).unwrap(), 7);
        assert_eq!(*cell.get_or_try_init(|| Ok::<_, &str>(8)).unwrap(), 7);
    }
}
