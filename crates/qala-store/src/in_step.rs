//! Keeping a process's memory in step with the database: whether the database answers (a
//! ping every second on a connection of its own), and when to re-read what is held
//! (`NOTIFY` on the version and governance channels, after a lost connection, and every
//! 30 s as a safety net). The process says what re-reading means; this module says when.
//!
//! ```no_run
//! # async fn demo(pool: sqlx::PgPool) {
//! use qala_store::in_step::{DatabaseHealth, keep_in_step};
//! let health = std::sync::Arc::new(DatabaseHealth::default());
//! // Runs for ever: re-reads the catalogue whenever a layer switched its version.
//! keep_in_step(&pool, &health, || async { Ok::<_, qala_store::StoreError>(()) }).await;
//! # }
//! ```

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::{Connection, PgPool};

use crate::StoreError;

/// How often the database is checked.
pub const CHECK_EVERY: Duration = Duration::from_millis(1000);
/// How long a check (ping, or reconnect) may take before the database counts as down.
pub const CHECK_TIMEOUT: Duration = Duration::from_millis(2000);
/// Re-read even without a notification this often (a safety net).
pub const RESYNC_EVERY: Duration = Duration::from_secs(30);
/// The channels a re-read follows: a layer switched its served version (migration 0002),
/// a definition or binding changed.
pub const CHANNELS: [&str; 2] = [
    crate::read::LAYER_VERSION_CHANNEL,
    crate::governance::GOVERNANCE_CHANNEL,
];

/// Whether the database answered its last check. Only [`watch_database`]'s own connection
/// (or a caller that saw the database refuse, not merely a busy pool) marks it down.
#[derive(Debug)]
pub struct DatabaseHealth {
    up: AtomicBool,
}

impl Default for DatabaseHealth {
    fn default() -> Self {
        DatabaseHealth {
            up: AtomicBool::new(true),
        }
    }
}

impl DatabaseHealth {
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Relaxed)
    }

    /// Records an outage; `true` the first time (the caller logs it once per outage).
    pub fn mark_down(&self) -> bool {
        self.up.swap(false, Ordering::Relaxed)
    }

    /// Records that the database answers again; `true` when it was down.
    pub fn mark_up(&self) -> bool {
        let was_down = !self.up.swap(true, Ordering::Relaxed);
        if was_down {
            tracing::info!("database available again");
        }
        was_down
    }

    /// A failed check: warns once per outage.
    fn check_failed(&self, why: &dyn std::error::Error) {
        if self.mark_down() {
            tracing::warn!(error = %chain(why), "database unavailable: serving what is in memory until it is back");
        }
    }
}

use crate::error_chain as chain;

/// A warning while the database is up; only a debug line once the outage is known (it was
/// logged once, by [`DatabaseHealth`]).
macro_rules! outage_log {
    ($health:expr, $($arg:tt)*) => {
        if $health.is_up() {
            tracing::warn!($($arg)*)
        } else {
            tracing::debug!($($arg)*)
        }
    };
}

/// Checks the database every [`CHECK_EVERY`] over a connection of its own (not the pool's,
/// so a busy pool never looks like an outage): a failed ping, then a refused or slow
/// reconnect, marks it down; the first reconnect that works marks it up again. Never returns.
pub async fn watch_database(pool: &PgPool, health: &DatabaseHealth) {
    let opts = pool.connect_options();
    let mut conn: Option<sqlx::PgConnection> = None;
    let mut tick = tokio::time::interval(CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Some(c) = conn.as_mut()
            && matches!(tokio::time::timeout(CHECK_TIMEOUT, c.ping()).await, Ok(Ok(())))
        {
            health.mark_up();
            continue;
        }
        conn = None;
        match tokio::time::timeout(CHECK_TIMEOUT, sqlx::PgConnection::connect_with(&*opts)).await {
            Ok(Ok(c)) => {
                conn = Some(c);
                health.mark_up();
            }
            Ok(Err(e)) => health.check_failed(&e),
            Err(e) => health.check_failed(&e),
        }
    }
}

/// Follows [`CHANNELS`] and calls `resync` on every notification; also after a lost
/// connection (notifications may have been missed), once the listener is (re)connected,
/// and every [`RESYNC_EVERY`] besides. A failing `resync` is logged and tried again at the next
/// occasion: what is in memory keeps being served. Never returns.
pub async fn follow_changes<F, Fut, T>(pool: &PgPool, health: &DatabaseHealth, resync: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let resync_logged = || async {
        if let Err(e) = resync().await {
            outage_log!(health, error = %chain(&e), "cannot refresh what is in memory; serving it as it is");
        }
    };
    let mut tick = tokio::time::interval(RESYNC_EVERY);
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect_with(pool).await {
            Ok(mut l) => match l.listen_all(CHANNELS).await {
                Ok(()) => l,
                Err(e) => {
                    outage_log!(health, error = %chain(&e), "cannot listen for layer versions; retrying");
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    continue;
                }
            },
            Err(e) => {
                outage_log!(health, error = %chain(&e), "database unavailable; serving from memory");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        resync_logged().await;
        tick.reset();
        loop {
            tokio::select! {
                n = listener.try_recv() => match n {
                    Ok(Some(_)) => resync_logged().await,
                    // Connection lost: the next try_recv reconnects; resync then.
                    Ok(None) => {
                        outage_log!(health, "lost the database connection; serving from memory");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        resync_logged().await;
                    }
                    Err(e) => {
                        outage_log!(health, error = %chain(&e), "layer version listener failed");
                        tokio::time::sleep(Duration::from_secs(2)).await;
                        break;
                    }
                },
                _ = tick.tick() => resync_logged().await,
            }
        }
    }
}

/// [`watch_database`] and [`follow_changes`] together: all a process needs to keep its
/// memory in step with the database. Never returns.
pub async fn keep_in_step<F, Fut, T>(pool: &PgPool, health: &DatabaseHealth, resync: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    tokio::join!(watch_database(pool, health), follow_changes(pool, health, resync));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    #[test]
    fn an_outage_is_reported_once_and_its_end_once() {
        let h = DatabaseHealth::default();
        assert!(h.is_up());
        assert!(h.mark_down(), "the first failure starts the outage");
        assert!(!h.mark_down(), "the next ones do not");
        assert!(!h.is_up());
        assert!(h.mark_up(), "the first answer ends it");
        assert!(!h.mark_up());
        assert!(h.is_up());
    }

    /// A notification on either channel makes a re-read, besides the one at connection.
    #[tokio::test]
    async fn every_notification_makes_a_resync() {
        let db = crate::testdb::TestDb::new().await.unwrap();
        let pool = db.pool().await.unwrap();
        let health = DatabaseHealth::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let follow = follow_changes(&pool, &health, move || {
            let c = c.clone();
            async move {
                c.fetch_add(1, Ordering::SeqCst);
                Ok::<_, StoreError>(())
            }
        });
        let wait_for = |n: usize| {
            let calls = calls.clone();
            async move {
                while calls.load(Ordering::SeqCst) < n {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        };
        let script = async {
            wait_for(1).await;
            for (i, channel) in CHANNELS.iter().enumerate() {
                sqlx::query("SELECT pg_notify($1, 'test')")
                    .bind(channel)
                    .execute(&pool)
                    .await
                    .unwrap();
                wait_for(i + 2).await;
            }
        };
        tokio::select! {
            _ = follow => unreachable!("follow_changes never returns"),
            r = tokio::time::timeout(Duration::from_secs(20), script) => r.unwrap(),
        }
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "one at connection, one per notification"
        );
    }
}
