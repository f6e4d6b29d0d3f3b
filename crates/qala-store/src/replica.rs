//! Reading from a streaming replica without reading the past: before a read that must see
//! every write committed so far (a process re-reading the layer a `NOTIFY` announced, an
//! uploader reading its own new version), wait until the replica has replayed the primary's
//! WAL up to where it was when the read began.
//!
//! `NOTIFY` is not replicated and `LISTEN` cannot run on a hot standby, so a fleet listens on
//! the primary and reads on the replica: this wait is what joins the two.

use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::StoreError;

/// How often the replica's replay position is checked while waiting.
const POLL_EVERY: Duration = Duration::from_millis(5);

/// Waits until `replica` has replayed everything `primary` had written when this was
/// called: `Ok(true)` once it has, `Ok(false)` when `timeout` passed first (read from the
/// primary then). A `replica` that is not a standby (the same server, or a promoted one)
/// has nothing to replay: `Ok(true)` at once.
pub async fn wait_for_replay(primary: &PgPool, replica: &PgPool, timeout: Duration) -> Result<bool, StoreError> {
    let lsn: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
        .fetch_one(primary)
        .await?;
    let deadline = Instant::now() + timeout;
    loop {
        // A server not in recovery is the primary itself: caught up. (Its
        // pg_last_wal_replay_lsn() is NULL, or, after a crash recovery, the last LSN that
        // recovery replayed, which stays behind for ever.)
        let replayed: Option<bool> =
            sqlx::query_scalar("SELECT NOT pg_is_in_recovery() OR pg_last_wal_replay_lsn() >= $1::pg_lsn")
                .bind(&lsn)
                .fetch_one(replica)
                .await?;
        if replayed.unwrap_or(true) {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A read URL naming the primary itself (no replica) never waits.
    #[tokio::test]
    async fn a_server_that_is_not_a_standby_is_always_caught_up() {
        let db = crate::testdb::TestDb::new().await.unwrap();
        let pool = db.pool().await.unwrap();
        assert!(wait_for_replay(&pool, &pool, Duration::ZERO).await.unwrap());
    }
}
