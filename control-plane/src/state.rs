//! What every handler shares.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

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

impl LoginLimits {
    /// `ip_per_minute` attempts per IP and `account_per_minute` per email,
    /// each with the same burst.
    pub fn new(ip_per_minute: NonZeroU32, account_per_minute: NonZeroU32) -> Self {
        Self {
            per_ip: RateLimiter::keyed(Quota::per_minute(ip_per_minute)),
            per_account: RateLimiter::keyed(Quota::per_minute(account_per_minute)),
        }
    }
}

impl Default for LoginLimits {
    /// 20 attempts per minute per IP, 10 per account.
    fn default() -> Self {
        Self::new(
            NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
            NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN),
        )
    }
}
