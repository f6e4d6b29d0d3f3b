//! Stopping a read that nobody wants any more: the client went away, the server is
//! shutting down, or the ingest ran past its wall-time limit. GDAL cannot be interrupted
//! from outside, so the reading loops ask [`Cancel::check`] between features and between
//! raster blocks; a stop then takes as long as one feature or one block.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::IngestError;

/// A cheap, clonable stop signal. Clones share the flag; a [`Cancel::child`] is stopped
/// by its own flag, its deadline, or any of its ancestors' — so a server can stop every
/// upload at once while each upload still stops on its own when its client leaves.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    flag: AtomicBool,
    parent: Option<Cancel>,
    /// When the read must stop, and the limit it came from (for the message).
    deadline: Option<(Instant, Duration)>,
}

/// Why a [`Cancel`] says stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Cancelled,
    /// The wall-time limit (this long) has passed.
    TimedOut(Duration),
}

impl Cancel {
    /// A new signal, not stopped, without deadline.
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// A signal stopped by this one or by its own [`Cancel::cancel`].
    pub fn child(&self) -> Cancel {
        Cancel {
            inner: Arc::new(Inner {
                flag: AtomicBool::new(false),
                parent: Some(self.clone()),
                deadline: None,
            }),
        }
    }

    /// Like [`Cancel::child`], and also stopped once `limit` has passed from now.
    pub fn child_with_limit(&self, limit: Duration) -> Cancel {
        Cancel {
            inner: Arc::new(Inner {
                flag: AtomicBool::new(false),
                parent: Some(self.clone()),
                deadline: Instant::now().checked_add(limit).map(|at| (at, limit)),
            }),
        }
    }

    /// Stops every read that checks this signal or one of its children.
    pub fn cancel(&self) {
        self.inner.flag.store(true, Ordering::Release);
    }

    /// Why to stop, if at all. Cheap: an atomic load and an `Instant::now()` per level.
    pub fn stop(&self) -> Option<Stop> {
        let mut at = Some(self);
        while let Some(c) = at {
            if c.inner.flag.load(Ordering::Acquire) {
                return Some(Stop::Cancelled);
            }
            if let Some((deadline, limit)) = c.inner.deadline
                && Instant::now() >= deadline
            {
                return Some(Stop::TimedOut(limit));
            }
            at = c.inner.parent.as_ref();
        }
        None
    }

    pub fn is_cancelled(&self) -> bool {
        self.stop().is_some()
    }

    /// `Err` naming the file when the read must stop.
    pub fn check(&self, name: &str) -> Result<(), IngestError> {
        match self.stop() {
            None => Ok(()),
            Some(Stop::Cancelled) => Err(IngestError::Cancelled { name: name.to_owned() }),
            Some(Stop::TimedOut(limit)) => Err(IngestError::TimedOut {
                name: name.to_owned(),
                seconds: limit.as_secs(),
            }),
        }
    }

    /// A guard that cancels this signal when dropped: tie it to the future or the scope
    /// whose end means nobody waits for the result any more.
    pub fn guard(&self) -> CancelOnDrop {
        CancelOnDrop(self.clone())
    }
}

/// Cancels its signal when dropped (see [`Cancel::guard`]).
#[derive(Debug)]
pub struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parent_stops_its_children_but_not_the_other_way_round() {
        let server = Cancel::new();
        let a = server.child();
        let b = server.child();
        a.cancel();
        assert_eq!(a.stop(), Some(Stop::Cancelled));
        assert_eq!(b.stop(), None, "one client leaving stops only its upload");
        assert_eq!(server.stop(), None);
        server.cancel();
        assert_eq!(b.check("x.geojson").map_err(|e| e.code()), Err("cancelled"));
    }

    #[test]
    fn a_deadline_times_out_and_a_guard_cancels_on_drop() {
        let c = Cancel::new().child_with_limit(Duration::ZERO);
        let e = c.check("big.osm.pbf").map_err(|e| (e.code(), e.to_string()));
        assert_eq!(e.as_ref().map_err(|e| e.0), Err("ingest_timed_out"));
        let c = Cancel::new();
        {
            let _g = c.guard();
            assert!(!c.is_cancelled());
        }
        assert!(c.is_cancelled());
    }
}
