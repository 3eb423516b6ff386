//! Wiring: database (wait, migrate), readiness, router, listener.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::extract::{DefaultBodyLimit, State};
use axum::response::IntoResponse;
use axum::Json;
use shared::auth::Authenticator;
use shared::health::{Readiness, ReadyReport};
use shared::http::StackOptions;
use shared::http_client::{ClientSettings, HttpClient};
use shared::server::{HttpServer, Shutdown};
use shared::service::{build_router, ServiceInfo, Surface};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::Config;
use crate::state::AppState;

/// Identity in docs, logs and health.
pub const INFO: ServiceInfo = ServiceInfo {
    name: "risk-api",
    title: "QRAP risk API",
    description: "Quantum risk assessment: organizations, assessments from inventories and CycloneDX CBOMs, findings, reports and audit log.",
    version: env!("CARGO_PKG_VERSION"),
};

/// A built, bound, not yet serving risk API.
#[derive(Debug)]
pub struct Application {
    server: HttpServer,
    port: u16,
    shutdown: Shutdown,
    grace: Duration,
    workers: crate::runner::Pool,
}

impl Application {
    /// Connects to the database (waiting up to `startup_timeout`), applies
    /// migrations and binds the listener.
    pub async fn build(config: Config, shutdown: Shutdown) -> anyhow::Result<Self> {
        let pool = shared::db::pool(config.database.clone(), &config.pool);
        shared::db::wait_until_reachable(&pool, config.startup_timeout)
            .await
            .context("database (QRAP_DB_HOST/QRAP_DB_PORT) is not reachable")?;
        shared::db::migrate(&pool, &crate::MIGRATOR)
            .await
            .context("applying migrations/qrap failed")?;
        let mut client =
            ClientSettings::new(concat!("quantun-risk-api/", env!("CARGO_PKG_VERSION")));
        client.timeout = config.ml_timeout;
        let http = HttpClient::new(&client).context("building the HTTP client")?;
        // The ML engine is not critical: without it reads, reports and
        // exports still work and new runs wait (or fail with a reason), so
        // it makes the service `degraded`, not unready.
        let ml_ready = format!(
            "{}/health/ready",
            config.ml_url.as_str().trim_end_matches('/')
        );
        let probe_http = http.clone();
        let readiness = Arc::new(
            Readiness::new(shutdown.token())
                .with_check("database", true, shared::db::probe(pool.clone()))
                .with_check("ml_engine", false, move || {
                    let (http, url) = (probe_http.clone(), ml_ready.clone());
                    Box::pin(async move {
                        let r = http
                            .get(&url)
                            .timeout(std::time::Duration::from_secs(2))
                            .send()
                            .await
                            .map_err(|e| {
                                if e.is_timeout() {
                                    "no answer within 2 s".to_owned()
                                } else {
                                    "unreachable".to_owned()
                                }
                            })?;
                        if r.status().is_success() {
                            Ok(())
                        } else {
                            Err(format!("not ready ({})", r.status().as_u16()))
                        }
                    })
                }),
        );
        let state = AppState {
            pool,
            auth: Arc::new(Authenticator {
                jwt: config.jwt.clone(),
                api_keys: config.api_keys.clone(),
            }),
            http,
            ml_url: config.ml_url.as_str().into(),
            readiness: readiness.clone(),
            max_body_size: config.max_body_size,
            reports: Arc::new(tokio::sync::Semaphore::new(config.report_concurrency)),
            wake: Arc::new(tokio::sync::Notify::new()),
            qsgw: Arc::new(config.qsgw.clone()),
        };
        let workers =
            crate::runner::Pool::start(state.clone(), config.workers.clone(), shutdown.token());
        let surface = Surface {
            info: INFO,
            readiness,
            metrics: shared::metrics::install(INFO.name),
            stack: StackOptions {
                // The outer limit admits CBOM uploads; every other route is held
                // to QRAP_MAX_BODY_SIZE by the per-route limits in `api`.
                body_limit: config.cbom_max_body_size,
                cors_origins: config.cors_origins.clone(),
                rate_limit: shared::ratelimit::RateLimit::per_minute(config.rate_limit_per_minute),
                rate_limit_exempt: vec!["/health", "/metrics", APP_PREFIX],
                rate_limit_auth: Some(state.auth.clone()),
                trusted_proxies: config.trusted_proxies.clone(),
                ..StackOptions::default()
            },
        };
        let (router, _doc) = build_router(
            api_and_app(state, config.max_body_size, config.cbom_max_body_size),
            &surface,
        );
        let server = HttpServer::bind(&config.host, config.port, router)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}:{} (QRAP_API_HOST/QRAP_API_PORT)",
                    config.host, config.port
                )
            })?
            .with_limits(config.server_limits);
        let port = server.local_addr()?.port();
        Ok(Self {
            server,
            port,
            shutdown,
            grace: config.shutdown_grace,
            workers,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until shutdown, then drains; the assessment workers stop
    /// leasing and hand their unfinished runs back before this returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.serve(self.shutdown, self.grace).await;
        self.workers.join().await;
        served
    }
}

/// The seed's health check: 200 when the database answers, else 503.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses(
        (status = 200, description = "Database reachable", body = ReadyReport),
        (status = 503, description = "Database unreachable", body = ReadyReport)))]
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let report = state.readiness.evaluate().await;
    (report.http_status(), Json(report))
}

/// The QRAP web app (`risk-api/ui/`), embedded in the binary.
#[derive(Debug, shared::ui::RustEmbed)]
#[folder = "ui/"]
pub struct WebApp;

/// Where the web app is mounted.
pub const APP_PREFIX: &str = "/app/";

/// [`api`] plus the web app at [`APP_PREFIX`] (same origin, so its
/// `config.json` names no API base).
pub fn api_and_app(state: AppState, body_limit: usize, cbom_limit: usize) -> OpenApiRouter {
    let app = shared::ui::router::<WebApp>(
        shared::ui::UiOptions::new(APP_PREFIX)
            .extra(serde_json::json!({ "product": "qrap", "version": INFO.version })),
    );
    api(state, body_limit, cbom_limit).merge(OpenApiRouter::from(app))
}

/// `risk-api web`: serves only the web app at `/`, its `config.json`
/// naming `args.api_url` (and the CSP allowing that origin), with
/// `/health`; until SIGTERM/SIGINT.
pub fn web_command(
    args: crate::config::WebArgs,
    log_level: shared::config::LogLevel,
) -> std::process::ExitCode {
    let opts = shared::server::MainOptions {
        name: "risk-api-web",
        log_level,
        workers: Some(1),
        blocking: None,
    };
    shared::server::run_main(opts, |shutdown| async move {
        let router = web_router(&args.api_url);
        let server = HttpServer::bind(&args.host, args.port, router)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}:{} (QRAP_WEB_HOST/QRAP_WEB_PORT)",
                    args.host, args.port
                )
            })?;
        tracing::info!(port = args.port, api = %args.api_url, "serving the QRAP web app");
        Ok(server.serve(shutdown, Duration::from_secs(5)))
    })
}

/// The stand-alone web app's router (see [`web_command`]).
pub fn web_router(api_url: &str) -> axum::Router {
    let ui = shared::ui::router::<WebApp>(
        shared::ui::UiOptions::new("/")
            .api_base(api_url)
            .extra(serde_json::json!({ "product": "qrap", "version": INFO.version })),
    )
    .route("/health", axum::routing::get(|| async { "ok" }));
    shared::http::apply_stack(ui, &StackOptions::default())
}

/// The `/api/v1` resources and `/healthz`. `/api/v1/assessments` (CBOM
/// uploads) reads bodies up to `cbom_limit`; every other route up to
/// `body_limit` (`QRAP_MAX_BODY_SIZE`).
pub fn api(state: AppState, body_limit: usize, cbom_limit: usize) -> OpenApiRouter {
    use crate::routes::{
        assessments, audit, export, findings, me, organizations, reports, tokens, trends, triage,
    };
    let uploads = OpenApiRouter::<AppState>::new()
        .routes(routes!(
            assessments::create_assessment,
            assessments::list_assessments
        ))
        .layer(DefaultBodyLimit::max(cbom_limit));
    let rest = OpenApiRouter::<AppState>::new()
        .routes(routes!(healthz))
        .routes(routes!(
            organizations::create_organization,
            organizations::list_organizations
        ))
        .routes(routes!(
            organizations::get_organization,
            organizations::update_organization,
            organizations::delete_organization
        ))
        .routes(routes!(
            assessments::get_assessment,
            assessments::delete_assessment
        ))
        .routes(routes!(assessments::assessment_summary))
        .routes(routes!(assessments::rerun_assessment))
        .routes(routes!(assessments::scoring_options))
        .routes(routes!(findings::list_findings))
        .routes(routes!(triage::get_finding))
        .routes(routes!(triage::triage_finding))
        .routes(routes!(trends::org_trend))
        .routes(routes!(trends::assessment_diff))
        .routes(routes!(reports::report))
        .routes(routes!(export::export_cbom))
        .routes(routes!(audit::verify_audit))
        .routes(routes!(audit::list_audit))
        .routes(routes!(me::me))
        .routes(routes!(tokens::revoke_token))
        .layer(DefaultBodyLimit::max(body_limit));
    uploads
        .merge(rest)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            tokens::check,
        ))
        .with_state(state)
}
