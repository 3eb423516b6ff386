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
use crate::engine::Engine;
use crate::model::Model;
use crate::routes::analyze::AppState;
use shared::auth::{Authenticator, JwtKeys};
use shared::config::Secret;

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
        let model = match &config.model_path {
            Some(p) => {
                let bytes = std::fs::read(p)
                    .with_context(|| format!("QSGW_AI_MODEL_PATH: cannot read {}", p.display()))?;
                Model::from_json(&bytes)
                    .with_context(|| format!("QSGW_AI_MODEL_PATH: {}", p.display()))?
            }
            None => Engine::default_model().context("built-in model")?,
        };
        let surface = Surface {
            info: INFO,
            readiness: Arc::new(Readiness::new(shutdown.token())),
            metrics: shared::metrics::install(INFO.name),
            stack: StackOptions {
                // 1,000 items with long user agents fit; more is refused early.
                body_limit: 4 * 1024 * 1024,
                ..StackOptions::default()
            },
        };
        describe_metrics();
        let version_num = model
            .file()
            .version
            .split('.')
            .next()
            .and_then(|m| m.parse::<f64>().ok())
            .unwrap_or(0.0);
        metrics::gauge!("ai_model_info", "version" => model.file().version.clone()).set(1.0);
        metrics::gauge!("ai_model_version").set(version_num);
        let engine = Arc::new(Engine::new(
            model,
            config.agents.clone(),
            config.thresholds,
            config.window_clients,
        ));
        if let Some(settings) = config.etcd.clone() {
            crate::live::spawn(
                settings,
                engine.clone(),
                config.thresholds,
                shutdown.token(),
            );
        }
        let state = AppState {
            engine,
            auth: Arc::new(Authenticator {
                jwt: unguessable_jwt_keys()?,
                api_keys: config.api_keys.clone(),
            }),
        };
        let (router, _doc) = build_router(api(state), &surface);
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

/// The `/api/v1` resources.
pub fn api(state: AppState) -> OpenApiRouter {
    crate::routes::analyze::router(state)
}

/// Only gateways call this service, with the API key; there is no token
/// issuer. The JWT key is random per process, so no bearer token can
/// ever verify.
fn unguessable_jwt_keys() -> anyhow::Result<JwtKeys> {
    use rand::Rng;
    let secret: String = rand::thread_rng()
        .sample_iter(&rand::distributions::Alphanumeric)
        .take(48)
        .map(char::from)
        .collect();
    Ok(JwtKeys::new(
        "jwt",
        &Secret::new(secret),
        "ai-engine",
        "ai-engine",
        Duration::from_secs(60),
    )?)
}

fn describe_metrics() {
    metrics::describe_counter!("ai_analyses_total", "Requests scored, by verdict");
    metrics::describe_histogram!(
        "ai_scoring_duration_seconds",
        metrics::Unit::Seconds,
        "Scoring time per analysed request (a batch's time divided by its size)"
    );
    metrics::describe_gauge!("ai_model_version", "Major version of the loaded model");
    metrics::describe_gauge!(
        "ai_model_info",
        "1, labelled with the loaded model's full version"
    );
}
