//! Wiring: readiness, router, listener.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use shared::health::Readiness;
use shared::http::StackOptions;
use shared::server::{HttpServer, Shutdown};
use shared::service::{build_router, ServiceInfo, Surface};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::model::Engine;
use crate::state::AppState;

use crate::config::Config;

/// Identity in docs, logs and health.
pub const INFO: ServiceInfo = ServiceInfo {
    name: "ml-engine",
    title: "QRAP ML engine API",
    description: "Scores the quantum risk of cryptographic assets against NIST transition dates and Mosca's inequality.",
    version: env!("CARGO_PKG_VERSION"),
};

/// A built, bound, not yet serving ML engine.
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
        let engine: Arc<OnceLock<Arc<Engine>>> = Arc::new(OnceLock::new());
        let probe = engine.clone();
        let readiness = Readiness::new(shutdown.token()).with_check("model", true, move || {
            let loaded = probe.get().is_some();
            async move {
                if loaded {
                    Ok(())
                } else {
                    Err("knowledge base and calibration model are loading".to_owned())
                }
            }
        });
        let surface = Surface {
            info: INFO,
            readiness: Arc::new(readiness),
            metrics: shared::metrics::install(INFO.name),
            stack: StackOptions {
                body_limit: config.max_body_size,
                ..StackOptions::default()
            },
        };
        let state = AppState {
            engine: engine.clone(),
            defaults: config.scoring.clone(),
        };
        let (router, _doc) = build_router(api(state), &surface);
        let server = HttpServer::bind(&config.host, config.port, router)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}:{} (QRAP_ML_HOST/QRAP_ML_PORT)",
                    config.host, config.port
                )
            })?;
        let port = server.local_addr()?.port();
        // Training takes a moment; the listener is up meanwhile so /health
        // answers and /health/ready says 503 until the model is in place.
        let kb = config.knowledge_base;
        let packs = config.packs;
        let timelines = config.timelines;
        let built = shared::telemetry::spawn_blocking_in_span(move || {
            Ok::<_, String>(Engine::build(kb, packs, timelines))
        });
        tokio::spawn(async move {
            match built.await {
                Ok(Ok(e)) => {
                    tracing::info!(
                        kb_version = %e.kb.version,
                        severity = %e.calibrator.info.version,
                        crqc_timelines = %e.timelines.version,
                        "model loaded"
                    );
                    let _ = engine.set(Arc::new(e));
                }
                Ok(Err(e)) => tracing::error!(error = %e, "model failed to load; staying unready"),
                Err(e) => tracing::error!(error = %e, "model loading task failed"),
            }
        });
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

/// The `/api/v1` resources.
pub fn api(state: AppState) -> OpenApiRouter {
    OpenApiRouter::<AppState>::new()
        .routes(routes!(crate::routes::score::score))
        .routes(routes!(crate::routes::models::models))
        .with_state(state)
}
