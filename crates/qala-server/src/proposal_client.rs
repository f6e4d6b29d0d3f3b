//! Who submits, without accounts: a client is the salted sha256 of its address and user
//! agent (the address itself is never stored), and each client may submit a bounded number
//! of proposals per minute. `X-Forwarded-For` is trusted only with
//! [`crate::ServerConfig::trust_forwarded_for`] (behind a proxy that sets it).

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use crate::error::Code;
use crate::state::AppState;
use crate::{ApiError, ApiResult};

/// The window submissions are counted in.
pub const WINDOW: Duration = Duration::from_secs(60);
/// Clients tracked at most; beyond, the oldest windows go first.
pub const MAX_CLIENTS: usize = 50_000;

/// The proposals' state of a server: the salt (read once from the database) and the
/// per-client submission windows.
pub struct ProposalClients {
    per_minute: u32,
    salt: tokio::sync::OnceCell<String>,
    recent: Mutex<HashMap<String, VecDeque<Instant>>>,
    /// Counts per zone of the planners' figures, see [`crate::proposal_stats::StatsCache`].
    pub(crate) stats: crate::proposal_stats::StatsCache,
}

impl ProposalClients {
    pub fn new(per_minute: u32) -> ProposalClients {
        ProposalClients {
            per_minute,
            salt: tokio::sync::OnceCell::new(),
            recent: Mutex::new(HashMap::new()),
            stats: crate::proposal_stats::StatsCache::default(),
        }
    }

    /// Counts one submission of `client`, or refuses it with 429 and `Retry-After` when the
    /// client already made `per_minute` within the last minute.
    pub fn admit(&self, client: &str) -> ApiResult<()> {
        self.admit_at(client, Instant::now())
    }

    fn admit_at(&self, client: &str, now: Instant) -> ApiResult<()> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let Ok(mut recent) = self.recent.lock() else {
            return Ok(());
        };
        if recent.len() >= MAX_CLIENTS && !recent.contains_key(client) {
            recent.retain(|_, q| q.back().is_some_and(|t| now.saturating_duration_since(*t) < WINDOW));
            if recent.len() >= MAX_CLIENTS {
                recent.clear();
            }
        }
        let q = recent.entry(client.to_owned()).or_default();
        while q.front().is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW) {
            q.pop_front();
        }
        if q.len() >= self.per_minute as usize {
            let oldest = q.front().copied().unwrap_or(now);
            let retry_after_s = WINDOW
                .saturating_sub(now.saturating_duration_since(oldest))
                .as_secs()
                .max(1);
            return Err(ApiError::RetryLater {
                code: Code::TooManySubmissions,
                message: format!(
                    "{} proposals a minute from one client at most; try again in {retry_after_s} s",
                    self.per_minute
                ),
                retry_after_s,
            });
        }
        q.push_back(now);
        Ok(())
    }
}

/// The client's address: the connection's, or with `trust_forwarded_for` the first address of
/// `X-Forwarded-For`.
fn client_ip(parts_ext: Option<&ConnectInfo<SocketAddr>>, headers: &HeaderMap, trust_forwarded: bool) -> String {
    if trust_forwarded
        && let Some(first) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| v.parse::<IpAddr>().is_ok())
    {
        return first.to_owned();
    }
    parts_ext
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
        .to_string()
}

/// The salted client hash of a request.
pub async fn client_hash(state: &AppState, parts: &Parts) -> ApiResult<String> {
    let salt = state
        .proposal_clients
        .salt
        .get_or_try_init(|| async { qala_store::proposal::salt(state.db()?).await.map_err(ApiError::from) })
        .await?;
    let ip = client_ip(
        parts.extensions.get::<ConnectInfo<SocketAddr>>(),
        &parts.headers,
        state.config.trust_forwarded_for,
    );
    let ua = parts
        .headers
        .get(axum::http::header::USER_AGENT)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(b"\0");
    h.update(ip.as_bytes());
    h.update(b"\0");
    h.update(ua);
    Ok(hex::encode(h.finalize()))
}

/// The client hash as an extractor.
pub struct Client(pub String);

impl axum::extract::FromRequestParts<AppState> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Client, ApiError> {
        Ok(Client(client_hash(state, parts).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eleventh_in_a_minute_waits() {
        let c = ProposalClients::new(10);
        let t0 = Instant::now();
        for i in 0..10 {
            c.admit_at("a", t0 + Duration::from_secs(i)).unwrap();
        }
        let e = c.admit_at("a", t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(e.code(), Code::TooManySubmissions);
        match e {
            ApiError::RetryLater { retry_after_s, .. } => assert_eq!(retry_after_s, 50),
            other => panic!("{other:?}"),
        }
        // another client is not affected; the first may go on once its oldest is a minute old
        c.admit_at("b", t0 + Duration::from_secs(10)).unwrap();
        c.admit_at("a", t0 + Duration::from_secs(60)).unwrap();
    }

    #[test]
    fn forwarded_for_only_when_trusted() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.7, 10.0.0.1".parse().unwrap());
        let conn = ConnectInfo(SocketAddr::from(([192, 0, 2, 1], 5000)));
        assert_eq!(client_ip(Some(&conn), &h, false), "192.0.2.1");
        assert_eq!(client_ip(Some(&conn), &h, true), "203.0.113.7");
        h.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client_ip(Some(&conn), &h, true), "192.0.2.1");
    }
}
