//! What every handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use shared::auth::Authenticator;
use shared::etcd::LazyClient;
use sqlx::PgPool;

/// Router state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Database pool.
    pub pool: PgPool,
    /// Token and API-key checks.
    pub auth: Arc<Authenticator>,
    /// etcd, dialled lazily.
    pub etcd: Arc<LazyClient>,
}

impl FromRef<AppState> for Arc<Authenticator> {
    fn from_ref(s: &AppState) -> Self {
        s.auth.clone()
    }
}
