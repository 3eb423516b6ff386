//! What every handler shares.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use shared::auth::{Authenticator, JwtKeys};
use shared::etcd::LazyClient;
use sqlx::PgPool;

use crate::publish::Publisher;

/// Router state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Database pool.
    pub pool: PgPool,
    /// Token and API-key checks.
    pub auth: Arc<Authenticator>,
    /// Refresh-token keys (the console renews short access tokens).
    pub refresh_jwt: Arc<JwtKeys>,
    /// etcd, dialled lazily.
    pub etcd: Arc<LazyClient>,
    /// Config publisher (etcd).
    pub publisher: Arc<Publisher>,
    /// Login throttling.
    pub login_limits: Arc<LoginLimits>,
    /// Hash verified for unknown emails, so a miss costs as much as a hit.
    pub dummy_hash: Arc<str>,
    /// Whether threat ingest enqueues webhook deliveries (a URL is configured).
    pub webhooks_enabled: bool,
    /// `QSGW_WEBHOOK_MIN_SEVERITY`.
    pub webhook_min_severity: String,
    /// Wakes the webhook worker after an enqueue.
    pub webhook_wake: Arc<tokio::sync::Notify>,
    /// Which upstream target addresses are refused.
    pub target_guard: Arc<shared::edge::TargetGuard>,
}

impl AppState {
    /// Token keys.
    pub fn jwt(&self) -> &JwtKeys {
        &self.auth.jwt
    }
}

impl FromRef<AppState> for Arc<Authenticator> {
    fn from_ref(s: &AppState) -> Self {
        s.auth.clone()
    }
}

/// Login attempts per client IP and per account (token buckets).
#[derive(Debug)]
pub struct LoginLimits {
    /// Per client IP.
    pub per_ip: DefaultKeyedRateLimiter<IpAddr>,
    /// Per lower-cased email.
    pub per_account: DefaultKeyedRateLimiter<String>,
}

/// Sizes of the login token buckets.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimitSettings {
    /// Attempts per client IP in a burst.
    pub ip_burst: NonZeroU32,
    /// Attempts per account in a burst.
    pub account_burst: NonZeroU32,
    /// Time to regain one attempt, per IP.
    pub ip_refill: Duration,
    /// Time to regain one attempt, per account.
    pub account_refill: Duration,
}

impl Default for LoginLimitSettings {
    /// 20 attempts per IP and 10 per account, each refilled over a minute.
    fn default() -> Self {
        Self {
            ip_burst: NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
            account_burst: NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
            ip_refill: Duration::from_secs(3),
            account_refill: Duration::from_secs(6),
        }
    }
}

impl LoginLimits {
    /// Buckets sized by `s`.
    pub fn new(s: LoginLimitSettings) -> Self {
        let quota = |burst, every: Duration| {
            Quota::with_period(every.max(Duration::from_millis(1)))
                .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                .allow_burst(burst)
        };
        Self {
            per_ip: RateLimiter::keyed(quota(s.ip_burst, s.ip_refill)),
            per_account: RateLimiter::keyed(quota(s.account_burst, s.account_refill)),
        }
    }
}
