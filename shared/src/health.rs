//! Liveness and readiness.
//!
//! `GET /health` answers 200 while the process serves (it checks nothing).
//! `GET /health/ready` runs every named dependency check concurrently, each
//! bounded by a timeout, and answers 503 naming the failing *critical*
//! dependencies (a failing non-critical one makes the status `degraded` but
//! keeps 200). While the service drains for shutdown it answers 503.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

type ProbeFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
type Probe = Box<dyn Fn() -> ProbeFuture + Send + Sync>;

struct Check {
    name: &'static str,
    critical: bool,
    probe: Probe,
}

/// The set of readiness checks of one service.
pub struct Readiness {
    checks: Vec<Check>,
    draining: CancellationToken,
    timeout: Duration,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.checks.iter().map(|c| c.name).collect();
        f.debug_struct("Readiness").field("checks", &names).finish()
    }
}

impl Readiness {
    /// No checks yet; `draining` is the shutdown token (once cancelled,
    /// readiness is 503).
    pub fn new(draining: CancellationToken) -> Self {
        Self {
            checks: Vec::new(),
            draining,
            timeout: Duration::from_secs(2),
        }
    }

    /// Adds a check. `critical` checks make the service unready; others only
    /// degrade it.
    pub fn with_check<F, Fut>(mut self, name: &'static str, critical: bool, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        self.checks.push(Check {
            name,
            critical,
            probe: Box::new(move || Box::pin(probe())),
        });
        self
    }

    /// Sets the per-check timeout (default 2 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Runs every check.
    pub async fn evaluate(&self) -> ReadyReport {
        let runs = self.checks.iter().map(|c| async move {
            let outcome = match tokio::time::timeout(self.timeout, (c.probe)()).await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e),
                Err(_) => Err(format!("no answer within {} ms", self.timeout.as_millis())),
            };
            CheckResult {
                name: c.name.to_owned(),
                critical: c.critical,
                status: if outcome.is_ok() {
                    CheckStatus::Up
                } else {
                    CheckStatus::Down
                },
                error: outcome.err(),
            }
        });
        let checks = futures::future::join_all(runs).await;
        let status = if self.draining.is_cancelled() {
            ReadyStatus::ShuttingDown
        } else if checks
            .iter()
            .any(|c| c.critical && c.status == CheckStatus::Down)
        {
            ReadyStatus::Unavailable
        } else if checks.iter().any(|c| c.status == CheckStatus::Down) {
            ReadyStatus::Degraded
        } else {
            ReadyStatus::Ready
        };
        ReadyReport { status, checks }
    }
}

/// Overall readiness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReadyStatus {
    /// Every check passes.
    Ready,
    /// A non-critical dependency is down; traffic is still served.
    Degraded,
    /// A critical dependency is down.
    Unavailable,
    /// The service is draining.
    ShuttingDown,
}

/// One check's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    /// Reachable and answering as expected.
    Up,
    /// Unreachable or failing.
    Down,
}

/// Result of one dependency check.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckResult {
    /// Dependency name, e.g. `database`, `etcd`.
    pub name: String,
    /// Whether its failure makes the service unready.
    pub critical: bool,
    /// Up or down.
    pub status: CheckStatus,
    /// Why it is down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Body of `/health/ready`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReadyReport {
    /// Overall status.
    pub status: ReadyStatus,
    /// Each dependency.
    pub checks: Vec<CheckResult>,
}

impl ReadyReport {
    /// 200 unless unavailable or shutting down.
    pub fn http_status(&self) -> StatusCode {
        match self.status {
            ReadyStatus::Ready | ReadyStatus::Degraded => StatusCode::OK,
            ReadyStatus::Unavailable | ReadyStatus::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// Body of `/health`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LiveReport {
    /// Always `ok`.
    pub status: String,
    /// Service name.
    pub service: String,
    /// Build version.
    pub version: String,
}

#[derive(Clone)]
struct HealthState {
    readiness: Arc<Readiness>,
    service: &'static str,
    version: &'static str,
}

/// Liveness: 200 while the process serves.
#[utoipa::path(get, path = "/health", tag = "operations",
    responses((status = 200, description = "The process is alive", body = LiveReport)))]
#[tracing::instrument(name = "health_live", level = "debug", skip_all)]
async fn live(State(s): State<HealthState>) -> Json<LiveReport> {
    Json(LiveReport {
        status: "ok".to_owned(),
        service: s.service.to_owned(),
        version: s.version.to_owned(),
    })
}

/// Readiness: 503 while a critical dependency is unavailable or the service drains.
#[utoipa::path(get, path = "/health/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready (or degraded)", body = ReadyReport),
        (status = 503, description = "Not ready; the body names the failing dependency", body = ReadyReport)))]
#[tracing::instrument(name = "health_ready", level = "debug", skip_all)]
async fn ready(State(s): State<HealthState>) -> impl IntoResponse {
    let report = s.readiness.evaluate().await;
    (report.http_status(), Json(report))
}

/// `/health` and `/health/ready` as a documented router.
pub fn router<S: Clone + Send + Sync + 'static>(
    readiness: Arc<Readiness>,
    service: &'static str,
    version: &'static str,
) -> OpenApiRouter<S> {
    OpenApiRouter::new()
        .routes(routes!(live))
        .routes(routes!(ready))
        .with_state(HealthState {
            readiness,
            service,
            version,
        })
}
