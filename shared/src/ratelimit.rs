//! Rate limiting (token bucket, `governor`), answering 429 problem+json
//! with `Retry-After`.
//!
//! The APIs count a request against its authenticated principal when its
//! credential verifies (so the users behind one NAT or proxy address do not
//! share a budget, and one user cannot spend another's), and against the
//! client IP ([`crate::client_ip`]) before authentication: a request
//! without a valid credential spends its address's budget. The gateway
//! keys on the client IP.
//!
//! Memory stays bounded: idle buckets are dropped periodically.

use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::Problem;

/// A rate: `burst` requests at once, refilled at `per_minute`/minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Sustained requests per minute.
    pub per_minute: NonZeroU32,
    /// Bucket size.
    pub burst: NonZeroU32,
}

impl RateLimit {
    /// `n` per minute with a burst of `n`; `None` when `n` is 0.
    pub fn per_minute(n: u32) -> Option<Self> {
        let n = NonZeroU32::new(n)?;
        Some(Self {
            per_minute: n,
            burst: n,
        })
    }
}

/// Shared limiter state: one bucket per key.
#[derive(Debug, Clone)]
pub struct KeyedLimiter<K: Hash + Eq + Clone> {
    inner: Arc<DefaultKeyedRateLimiter<K>>,
    calls: Arc<AtomicU64>,
}

/// Buckets per client IP (the gateway's routes).
pub type IpRateLimiter = KeyedLimiter<IpAddr>;

/// Whom an API request is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Caller {
    /// The subject of a credential that verified (user id, `service:name`).
    Principal(String),
    /// The client address of a request without a valid credential.
    Ip(IpAddr),
}

impl<K: Hash + Eq + Clone> KeyedLimiter<K> {
    /// A limiter enforcing `limit` per key.
    pub fn new(limit: RateLimit) -> Self {
        let quota = Quota::per_minute(limit.per_minute).allow_burst(limit.burst);
        Self {
            inner: Arc::new(RateLimiter::keyed(quota)),
            calls: Arc::new(AtomicU64::new(0)),
        }
    }

    /// `Ok` if `key` may proceed, else the seconds to wait.
    pub fn check(&self, key: K) -> Result<(), u64> {
        // Every 4096 calls, forget buckets that are full again (idle
        // clients), so a scan from many addresses cannot grow memory forever.
        if self.calls.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.inner.retain_recent();
            self.inner.shrink_to_fit();
        }
        self.inner.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// Number of tracked keys.
    pub fn tracked(&self) -> usize {
        self.inner.len()
    }
}

/// State of [`middleware`]: the limiter and the path prefixes it skips.
#[derive(Debug, Clone)]
pub struct Limited {
    /// Per-caller buckets.
    pub limiter: KeyedLimiter<Caller>,
    /// Path prefixes not counted.
    pub exempt: std::sync::Arc<[&'static str]>,
    /// Verifies credentials, to count a request against its principal;
    /// `None`: every request is counted against its client IP.
    pub auth: Option<Arc<crate::auth::Authenticator>>,
    /// Whether verified API-key (service) principals are counted; when
    /// not, they pass unlimited (unauthenticated requests never do).
    pub limit_services: bool,
}

/// Middleware for [`axum::middleware::from_fn_with_state`].
pub async fn middleware(
    axum::extract::State(limited): axum::extract::State<Limited>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if limited.exempt.iter().any(|p| path.starts_with(p)) {
        return next.run(req).await;
    }
    let principal = limited
        .auth
        .as_ref()
        .and_then(|a| a.authenticate_request(&mut req).ok());
    if !limited.limit_services
        && principal
            .as_ref()
            .is_some_and(|p| p.role == crate::auth::Role::Service)
    {
        return next.run(req).await;
    }
    let principal = principal.map(|p| Caller::Principal(p.subject));
    let ip = || {
        let ext = req.extensions();
        ext.get::<crate::client_ip::ClientIp>()
            .map(|c| c.0)
            .or_else(|| ext.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()))
            .map(Caller::Ip)
    };
    if let Some(caller) = principal.or_else(ip) {
        if let Err(wait) = limited.limiter.check(caller) {
            metrics::counter!("http_rate_limited_total").increment(1);
            return Problem::too_many_requests(wait.max(1)).into_response();
        }
    }
    next.run(req).await
}
