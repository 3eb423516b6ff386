//! What every handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use shared::auth::{Authenticator, JwtKeys};
use shared::etcd::LazyClient;
use sqlx::PgPool;

use crate::auth::login_limits::LoginLimits;
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
    /// Client for QRAP's ML engine (the exposure's Mosca figures).
    pub http: shared::http_client::HttpClient,
    /// `QSGW_ML_ENGINE_URL`.
    pub ml_engine_url: Arc<str>,
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
