//! Wiring: readiness, router, listener.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use shared::health::Readiness;
use shared::http::StackOptions;
use shared::server::{HttpServer, Shutdown};
use shared::service::{build_router, ServiceInfo, Surface};
use utoipa_axum::router::OpenApiRouter;

use crate::config::Config;

/// Identity in docs, logs and health.
pub const INFO: ServiceInfo = ServiceInfo {
    name: "ai-engine",
    title: "QSGW AI engine API",
    description: "Anomaly and bot scoring of gateway traffic with verdicts allow, flag or block.",
    version: env!("CARGO_PKG_VERSION"),
};

/// A built, bound, not yet serving AI engine.
#[derive(Debug)]
pub struct Application {
    server: HttpServer,
    port: u16,
    shutdown: Shutdown,
    grace: Duration,
}

impl Application {
    /// Binds the listener.
    pub async fn build(config: Config, shutdown: Shutdown) -> anyhow::Result<Self> {
        let surface = Surface {
            info: INFO,
            readiness: Arc::new(Readiness::new(shutdown.token())),
            metrics: shared::metrics::install(INFO.name),
            stack: StackOptions::default(),
        };
        let (router, _doc) = build_router(api(), &surface);
        let server = HttpServer::bind(&config.host, config.port, router)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}:{} (QSGW_AI_HOST/QSGW_AI_PORT)",
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

/// The `/api/v1` resources; analysis is added here as it is built.
pub fn api() -> OpenApiRouter {
    OpenApiRouter::new()
}
