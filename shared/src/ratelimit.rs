//! Per-client-IP rate limiting (token bucket, `governor`), answering 429
//! problem+json with `Retry-After`.
//!
//! Memory stays bounded: idle buckets are dropped periodically. The client
//! IP is the TCP peer address; behind a proxy the limit applies per proxy.

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

/// Shared limiter state.
#[derive(Debug, Clone)]
pub struct IpRateLimiter {
    inner: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    calls: Arc<AtomicU64>,
}

impl IpRateLimiter {
    /// A limiter enforcing `limit` per client IP.
    pub fn new(limit: RateLimit) -> Self {
        let quota = Quota::per_minute(limit.per_minute).allow_burst(limit.burst);
        Self {
            inner: Arc::new(RateLimiter::keyed(quota)),
            calls: Arc::new(AtomicU64::new(0)),
        }
    }

    /// `Ok` if `ip` may proceed, else the seconds to wait.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        // Every 4096 calls, forget buckets that are full again (idle
        // clients), so a scan from many addresses cannot grow memory forever.
        if self.calls.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.inner.retain_recent();
            self.inner.shrink_to_fit();
        }
        self.inner.check_key(&ip).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }

    /// Number of tracked clients.
    pub fn tracked(&self) -> usize {
        self.inner.len()
    }
}

/// State of [`middleware`]: the limiter and the path prefixes it skips.
#[derive(Debug, Clone)]
pub struct Limited {
    /// Per-IP buckets.
    pub limiter: IpRateLimiter,
    /// Path prefixes not counted.
    pub exempt: std::sync::Arc<[&'static str]>,
}

/// Middleware for [`axum::middleware::from_fn_with_state`].
pub async fn middleware(
    axum::extract::State(limited): axum::extract::State<Limited>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if limited.exempt.iter().any(|p| path.starts_with(p)) {
        return next.run(req).await;
    }
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(ip) = ip {
        if let Err(wait) = limited.limiter.check(ip) {
            metrics::counter!("http_rate_limited_total").increment(1);
            return Problem::too_many_requests(wait.max(1)).into_response();
        }
    }
    next.run(req).await
}
