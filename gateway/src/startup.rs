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
    name: "gateway",
    title: "QSGW gateway admin API",
    description: "Admin listener of the post-quantum gateway: health, readiness and metrics.",
    version: env!("CARGO_PKG_VERSION"),
};

/// A built, bound, not yet serving gateway (admin listener).
#[derive(Debug)]
pub struct Application {
    server: HttpServer,
    port: u16,
    shutdown: Shutdown,
    grace: Duration,
}

impl Application {
    /// Binds the admin listener.
    pub async fn build(config: Config, shutdown: Shutdown) -> anyhow::Result<Self> {
        let surface = Surface {
            info: INFO,
            readiness: Arc::new(Readiness::new(shutdown.token())),
            metrics: shared::metrics::install(INFO.name),
            stack: StackOptions::default(),
        };
        let (router, _doc) = build_router(api(), &surface);
        let server = HttpServer::bind(&config.admin_host, config.admin_port, router)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}:{} (QSGW_GATEWAY_ADMIN_HOST/QSGW_GATEWAY_ADMIN_PORT)",
                    config.admin_host, config.admin_port
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

/// Admin resources (`/config`, …) are added here as they are built.
pub fn api() -> OpenApiRouter {
    OpenApiRouter::new()
}
