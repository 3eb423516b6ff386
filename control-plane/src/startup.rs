//! Wiring: database (wait, migrate), readiness checks, router, listener.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use shared::auth::Authenticator;
use shared::etcd::LazyClient;
use shared::health::Readiness;
use shared::http::StackOptions;
use shared::server::{HttpServer, Shutdown};
use shared::service::{build_router, ServiceInfo, Surface};
use utoipa_axum::router::OpenApiRouter;

use crate::config::Config;
use crate::state::AppState;

/// Identity in docs, logs and health.
pub const INFO: ServiceInfo = ServiceInfo {
    name: "control-plane",
    title: "QSGW control plane API",
    description: "Admin API of the quantum-safe gateway: upstreams, routes, gateways, TLS sessions, threats, users and audit log.",
    version: env!("CARGO_PKG_VERSION"),
};

/// A built, bound, not yet serving control plane.
#[derive(Debug)]
pub struct Application {
    server: HttpServer,
    port: u16,
    shutdown: Shutdown,
    grace: Duration,
}

impl Application {
    /// Connects to the database (waiting up to `startup_timeout`), applies
    /// migrations and binds the listener.
    pub async fn build(config: Config, shutdown: Shutdown) -> anyhow::Result<Self> {
        let pool = shared::db::pool(config.database.clone(), &config.pool);
        shared::db::wait_until_reachable(&pool, config.startup_timeout)
            .await
            .context("database (QSGW_DATABASE_URL) is not reachable")?;
        shared::db::migrate(&pool, &crate::MIGRATOR)
            .await
            .context("applying migrations/qsgw failed")?;

        let etcd = Arc::new(LazyClient::new(config.etcd.clone()));
        let probe_etcd = etcd.clone();
        let readiness = Readiness::new(shutdown.token())
            .with_check("database", true, shared::db::probe(pool.clone()))
            // etcd down degrades (config changes wait) but the API still answers.
            .with_check("etcd", false, move || {
                let etcd = probe_etcd.clone();
                async move { etcd.ping().await }
            });

        let state = AppState {
            pool,
            auth: Arc::new(Authenticator {
                jwt: config.jwt.clone(),
                api_keys: config.api_keys.clone(),
            }),
            etcd,
        };
        let surface = Surface {
            info: INFO,
            readiness: Arc::new(readiness),
            metrics: shared::metrics::install(INFO.name),
            stack: StackOptions {
                cors_origins: config.cors_origins.clone(),
                ..StackOptions::default()
            },
        };
        let (router, _doc) = build_router(api(state), &surface);
        let server = HttpServer::bind(&config.host, config.port, router)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}:{} (QSGW_CP_HOST/QSGW_CP_PORT)",
                    config.host, config.port
                )
            })?;
        let port = server.local_addr()?.port();
        Ok(Self {
            server,
            port,
            shutdown,
            grace: config.shutdown_grace,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until shutdown, then drains.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.serve(self.shutdown, self.grace).await
    }
}

/// The `/api/v1` resources. The admin resources (upstreams, routes, …) are
/// added here as they are built; today the surface is operations only.
pub fn api(state: AppState) -> OpenApiRouter {
    OpenApiRouter::<AppState>::new().with_state(state)
}

/// The full router for `state` (tests use it without binding).
pub fn router(state: AppState, surface: &Surface) -> Router {
    build_router(api(state), surface).0
}
