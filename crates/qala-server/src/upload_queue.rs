//! Uploads never starve reads: at most `concurrency` uploads ingest at once, over a pool of
//! their own; at most `queue` more wait (their files already on disk); beyond that an upload
//! is refused at once with `429 upload_queue_full` and `Retry-After`, before its body is read.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::ApiError;
use crate::error::Code;

/// What a refused upload is told to wait, seconds.
pub const UPLOAD_RETRY_AFTER_S: u64 = 10;

/// The upload slots and the queue in front of them.
pub struct UploadQueue {
    /// Ingesting plus waiting.
    admitted: Arc<Semaphore>,
    ingesting: Arc<Semaphore>,
    concurrency: usize,
    queue: usize,
    pub refused: AtomicU64,
}

/// An upload let in: it may stream its file and wait for an ingest slot.
pub struct Admission {
    _place: OwnedSemaphorePermit,
    ingesting: Arc<Semaphore>,
}

/// An ingest slot, held while the file is loaded.
pub struct IngestSlot {
    _slot: OwnedSemaphorePermit,
}

impl UploadQueue {
    pub fn new(concurrency: usize, queue: usize) -> UploadQueue {
        let concurrency = concurrency.max(1);
        UploadQueue {
            admitted: Arc::new(Semaphore::new(concurrency + queue)),
            ingesting: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            queue,
            refused: AtomicU64::new(0),
        }
    }

    /// A place in the queue, or at once a 429.
    pub fn admit(&self) -> Result<Admission, ApiError> {
        match self.admitted.clone().try_acquire_owned() {
            Ok(place) => Ok(Admission {
                _place: place,
                ingesting: self.ingesting.clone(),
            }),
            Err(_) => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                Err(ApiError::RetryLater {
                    code: Code::UploadQueueFull,
                    message: format!(
                        "{} uploads are being loaded and {} wait; try again in {UPLOAD_RETRY_AFTER_S} s",
                        self.concurrency, self.queue
                    ),
                    retry_after_s: UPLOAD_RETRY_AFTER_S,
                })
            }
        }
    }

    /// Uploads loading now.
    pub fn ingesting(&self) -> usize {
        self.concurrency - self.ingesting.available_permits()
    }

    /// Uploads admitted and not loading yet (streaming their file or waiting for a slot).
    pub fn waiting(&self) -> usize {
        (self.concurrency + self.queue - self.admitted.available_permits()).saturating_sub(self.ingesting())
    }
}

impl Admission {
    /// Waits for an ingest slot.
    pub async fn ingest_slot(&self) -> Result<IngestSlot, ApiError> {
        let slot = self
            .ingesting
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| ApiError::internal("waiting for an upload slot", e))?;
        Ok(IngestSlot { _slot: slot })
    }
}

/// The uploads' own pool, to the same database as `reads`: `concurrency` loads plus one
/// connection for the short queries around them. Connections open on first use.
pub fn upload_pool(reads: &PgPool, concurrency: usize, wait: Duration) -> PgPool {
    let size = u32::try_from(concurrency.max(1) + 1).unwrap_or(u32::MAX);
    PgPoolOptions::new()
        .max_connections(size)
        .acquire_timeout(wait)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // As `qala_store::connect` does for every connection.
                sqlx::query("SET TIME ZONE 'UTC'").execute(&mut *conn).await?;
                Ok(())
            })
        })
        .connect_lazy_with((*reads.connect_options()).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_queue_admits_concurrency_plus_queue_then_refuses() {
        let q = UploadQueue::new(2, 3);
        let admitted: Vec<Admission> = (0..5).map(|_| q.admit().unwrap()).collect();
        let e = q.admit().err().unwrap();
        assert_eq!(e.code(), Code::UploadQueueFull);
        assert_eq!(q.refused.load(Ordering::Relaxed), 1);
        let a = admitted[0].ingest_slot().await.unwrap();
        let _b = admitted[1].ingest_slot().await.unwrap();
        assert_eq!((q.ingesting(), q.waiting()), (2, 3));
        // A third slot waits until one is given back.
        let third = tokio::time::timeout(Duration::from_millis(50), admitted[2].ingest_slot()).await;
        assert!(third.is_err());
        drop(a);
        assert!(admitted[2].ingest_slot().await.is_ok());
        drop(admitted);
        assert!(q.admit().is_ok());
    }
}

/// How far the uploads that asked to be followed (`?progress=<id>`) have come: the features
/// validated so far, by the client's id. The browser shows the bytes it has sent itself, then
/// these counts while the server reads and checks the file.
#[derive(Default)]
pub struct UploadProgress {
    entries: std::sync::Mutex<std::collections::HashMap<String, Arc<ProgressEntry>>>,
}

/// One followed upload.
pub struct ProgressEntry {
    /// Who may read it: the token that uploads (a progress id is not a secret).
    pub token_id: Option<i64>,
    pub slug: String,
    pub features: AtomicU64,
    /// Features in the file, where the format tells before reading (0: unknown).
    pub total: AtomicU64,
    pub done: std::sync::atomic::AtomicBool,
    started: std::time::Instant,
}

/// Followed uploads are forgotten this long after they started.
const PROGRESS_TTL: Duration = Duration::from_secs(30 * 60);
/// At most this many followed uploads are remembered at once.
const PROGRESS_MAX: usize = 1_000;

impl UploadProgress {
    /// A progress id: 8-64 characters of `A-Z a-z 0-9 _ -`.
    pub fn valid_id(id: &str) -> bool {
        (8..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }

    /// Starts following an upload under `id` (an id in use is taken over).
    pub fn start(&self, id: &str, token_id: Option<i64>, slug: &str) -> Arc<ProgressEntry> {
        let entry = Arc::new(ProgressEntry {
            token_id,
            slug: slug.to_owned(),
            features: AtomicU64::new(0),
            total: AtomicU64::new(0),
            done: std::sync::atomic::AtomicBool::new(false),
            started: std::time::Instant::now(),
        });
        let mut map = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|_, e| e.started.elapsed() < PROGRESS_TTL);
        if map.len() >= PROGRESS_MAX {
            map.retain(|_, e| !e.done.load(Ordering::Relaxed));
        }
        if map.len() < PROGRESS_MAX {
            map.insert(id.to_owned(), entry.clone());
        }
        entry
    }

    pub fn get(&self, id: &str) -> Option<Arc<ProgressEntry>> {
        let map = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(id).cloned()
    }
}

impl ProgressEntry {
    /// The load's progress callback: features validated and written so far, of `total`.
    pub fn callback(self: &Arc<Self>) -> qala_load::ProgressFn {
        let me = self.clone();
        Arc::new(move |rows, total| {
            me.features.store(rows, Ordering::Relaxed);
            if let Some(t) = total {
                me.total.store(t, Ordering::Relaxed);
            }
        })
    }
}

#[cfg(test)]
mod progress_tests {
    use super::*;

    #[test]
    fn ids_are_checked_and_progress_is_kept_per_id() {
        assert!(UploadProgress::valid_id("abcDEF12_-"));
        for bad in [
            "short",
            "has space 123",
            "../../etc/passwd",
            &"x".repeat(65),
            "пример-12345",
        ] {
            assert!(!UploadProgress::valid_id(bad), "{bad}");
        }
        let p = UploadProgress::default();
        let e = p.start("upload-0001", Some(7), "bike-lanes");
        (e.callback())(120, Some(500));
        let got = p.get("upload-0001").expect("followed");
        assert_eq!(got.features.load(Ordering::Relaxed), 120);
        assert_eq!(got.total.load(Ordering::Relaxed), 500);
        assert_eq!(got.token_id, Some(7));
        assert!(p.get("upload-0002").is_none());
    }
}
