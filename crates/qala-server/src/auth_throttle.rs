//! Failed-auth throttling per client address: after `limit` wrong tokens within a minute,
//! every request with a token from that address gets `429 too_many_failed_auth` with
//! `Retry-After` until the minute is over, before any database lookup. IPv6 clients count
//! per /64 (one host usually has a whole /64). Memory is bounded: at most
//! [`MAX_CLIENTS`] addresses are tracked.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::ApiError;
use crate::error::Code;

/// Addresses tracked at most; beyond, expired windows go first, then the oldest.
pub const MAX_CLIENTS: usize = 10_000;
/// The window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy)]
struct Window {
    start: Instant,
    failures: u32,
}

pub struct AuthThrottle {
    limit: u32,
    clients: Mutex<HashMap<IpAddr, Window>>,
    pub failures: AtomicU64,
    pub throttled: AtomicU64,
}

/// The key of an address: itself for IPv4, its /64 for IPv6 (IPv4-mapped ones as IPv4).
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

impl AuthThrottle {
    /// `limit` failed token checks per address and minute (0: no throttling).
    pub fn new(limit: u32) -> AuthThrottle {
        AuthThrottle {
            limit,
            clients: Mutex::new(HashMap::new()),
            failures: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
        }
    }

    /// A 429 while `ip` is over its limit.
    pub fn check(&self, ip: IpAddr) -> Result<(), ApiError> {
        self.check_at(ip, Instant::now())
    }

    fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), ApiError> {
        if self.limit == 0 {
            return Ok(());
        }
        let Ok(clients) = self.clients.lock() else {
            return Ok(());
        };
        let Some(w) = clients.get(&key(ip)) else {
            return Ok(());
        };
        let left = WINDOW.saturating_sub(now.saturating_duration_since(w.start));
        if w.failures < self.limit || left.is_zero() {
            return Ok(());
        }
        self.throttled.fetch_add(1, Ordering::Relaxed);
        let retry_after_s = left.as_secs().max(1);
        Err(ApiError::RetryLater {
            code: Code::TooManyFailedAuth,
            message: format!(
                "too many wrong tokens from this address ({} in a minute); try again in {retry_after_s} s",
                self.limit
            ),
            retry_after_s,
        })
    }

    /// Counts a wrong token from `ip`.
    pub fn record_failure(&self, ip: IpAddr) {
        self.record_failure_at(ip, Instant::now());
    }

    fn record_failure_at(&self, ip: IpAddr, now: Instant) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        if self.limit == 0 {
            return;
        }
        let Ok(mut clients) = self.clients.lock() else {
            return;
        };
        let k = key(ip);
        if clients.len() >= MAX_CLIENTS && !clients.contains_key(&k) {
            clients.retain(|_, w| now.saturating_duration_since(w.start) < WINDOW);
            if clients.len() >= MAX_CLIENTS
                && let Some(oldest) = clients.iter().min_by_key(|(_, w)| w.start).map(|(k, _)| *k)
            {
                clients.remove(&oldest);
            }
        }
        let w = clients.entry(k).or_insert(Window {
            start: now,
            failures: 0,
        });
        if now.saturating_duration_since(w.start) >= WINDOW {
            *w = Window {
                start: now,
                failures: 0,
            };
        }
        w.failures = w.failures.saturating_add(1);
    }

    /// Addresses tracked now.
    pub fn tracked(&self) -> usize {
        self.clients.lock().map(|c| c.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv6Addr;

    use super::*;

    #[test]
    fn throttles_after_the_limit_until_the_window_ends() {
        let t = AuthThrottle::new(3);
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(t.check_at(a, t0).is_ok());
            t.record_failure_at(a, t0);
        }
        let e = t.check_at(a, t0 + Duration::from_secs(10)).unwrap_err();
        assert_eq!(e.code(), Code::TooManyFailedAuth);
        assert!(matches!(e, ApiError::RetryLater { retry_after_s: 50, .. }), "{e:?}");
        assert!(t.check_at(b, t0).is_ok(), "another address is not throttled");
        assert!(t.check_at(a, t0 + WINDOW).is_ok(), "the window is over");
        t.record_failure_at(a, t0 + WINDOW);
        assert!(t.check_at(a, t0 + WINDOW).is_ok(), "a new window starts at one failure");
        assert_eq!(t.throttled.load(Ordering::Relaxed), 1);
        assert_eq!(t.failures.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn ipv6_counts_per_64_and_memory_is_bounded() {
        let t = AuthThrottle::new(2);
        let now = Instant::now();
        t.record_failure_at("2001:db8::1".parse().unwrap(), now);
        t.record_failure_at("2001:db8::ffff:2".parse().unwrap(), now);
        assert!(t.check_at("2001:db8::3".parse().unwrap(), now).is_err());
        assert!(t.check_at("2001:db8:0:1::3".parse().unwrap(), now).is_ok());
        for i in 0..(MAX_CLIENTS as u32 + 500) {
            t.record_failure_at(IpAddr::V6(Ipv6Addr::from(u128::from(i) << 64)), now);
        }
        assert!(t.tracked() <= MAX_CLIENTS, "{}", t.tracked());
    }
}
