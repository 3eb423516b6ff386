//! What every handler shares.

use std::sync::Arc;

use axum::extract::FromRef;
use shared::auth::Authenticator;
use shared::health::Readiness;
use shared::http_client::HttpClient;
use sqlx::PgPool;

/// Router state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Database pool.
    pub pool: PgPool,
    /// Token and API-key checks.
    pub auth: Arc<Authenticator>,
    /// Client for the ML engine.
    pub http: HttpClient,
    /// ML engine base URL.
    pub ml_url: Arc<str>,
    /// Readiness checks (also behind the seed's `/healthz`).
    pub readiness: Arc<Readiness>,
    /// `QRAP_MAX_BODY_SIZE`: the limit of JSON inventories on the upload route.
    pub max_body_size: usize,
    /// Report generations allowed at once (`QRAP_REPORT_CONCURRENCY`);
    /// a report holds a permit until its last row is sent.
    pub reports: Arc<tokio::sync::Semaphore>,
    /// Wakes an idle assessment worker of this replica (new work).
    pub wake: Arc<tokio::sync::Notify>,
    /// Imports from QSGW control planes (`QRAP_QSGW_*`).
    pub qsgw: Arc<crate::qsgw::QsgwSettings>,
}

impl FromRef<AppState> for Arc<Authenticator> {
    fn from_ref(s: &AppState) -> Self {
        s.auth.clone()
    }
}
