//! `POST /api/v1/analyze`, `POST /api/v1/analyze/batch`, `GET /api/v1/models`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{FromRef, State};
use serde::{Deserialize, Serialize};
use shared::auth::{Authenticator, RequireRole, Service};
use shared::features::RequestFeatures;
use shared::json::AppJson;
use shared::{FieldError, Problem};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::engine::Engine;
use crate::model::Thresholds;
use crate::model::{Reason, Score, Severity, Verdict};

/// Most requests in one batch.
pub const MAX_BATCH: usize = 1000;

/// State of the analysis routes.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Scoring engine.
    pub engine: Arc<Engine>,
    /// API-key authentication.
    pub auth: Arc<Authenticator>,
}

impl FromRef<AppState> for Arc<Authenticator> {
    fn from_ref(s: &AppState) -> Self {
        s.auth.clone()
    }
}

/// The verdict on one request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Analysis {
    /// 0..1 anomaly score (rate rules included).
    pub anomaly_score: f64,
    /// 0..1 bot probability.
    pub bot_score: f64,
    /// allow, flag or block.
    pub verdict: Verdict,
    /// none, low, medium, high, critical.
    pub severity: Severity,
    /// Strongest named features first.
    pub reasons: Vec<Reason>,
}

impl From<&Score> for Analysis {
    fn from(s: &Score) -> Self {
        Self {
            anomaly_score: round4(s.anomaly),
            bot_score: round4(s.bot),
            verdict: s.verdict,
            severity: s.severity,
            reasons: s
                .reasons()
                .map(|r| Reason {
                    contribution: round4(r.contribution),
                    ..*r
                })
                .collect(),
        }
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// A batch of requests.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct BatchRequest {
    /// 1 to 1000 requests.
    pub items: Vec<RequestFeatures>,
}

/// Verdicts in request order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchResponse {
    /// One per item.
    pub results: Vec<Analysis>,
}

/// The model in use.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelInfo {
    /// Model version.
    pub version: String,
    /// Training time (RFC 3339).
    pub trained_at: String,
    /// Feature schema version.
    pub schema_version: u32,
    /// Feature names in order.
    pub features: Vec<String>,
    /// Bot families seen in training.
    pub trained_families: Vec<String>,
    /// Families kept out of training.
    pub held_out_families: Vec<String>,
    /// Evaluation figures on held-out traffic.
    #[schema(value_type = Object)]
    pub metrics: serde_json::Value,
    /// Thresholds in force (live from etcd when configured).
    pub thresholds: Thresholds,
}

/// Models list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelsResponse {
    /// The active model (one at a time).
    pub items: Vec<ModelInfo>,
}

fn record(scores: &[Score], started: Instant) {
    let per = started.elapsed().as_secs_f64() / scores.len().max(1) as f64;
    let (mut a, mut f, mut b) = (0u64, 0u64, 0u64);
    for s in scores {
        match s.verdict {
            Verdict::Allow => a += 1,
            Verdict::Flag => f += 1,
            Verdict::Block => b += 1,
        }
    }
    for (v, n) in [("allow", a), ("flag", f), ("block", b)] {
        if n > 0 {
            metrics::counter!("ai_analyses_total", "verdict" => v).increment(n);
        }
    }
    metrics::histogram!("ai_scoring_duration_seconds").record(per);
}

/// Scores one request.
#[utoipa::path(post, path = "/api/v1/analyze", tag = "analysis",
    request_body = RequestFeatures,
    security(("api_key" = [])),
    responses(
        (status = 200, body = Analysis),
        (status = 401, description = "missing or wrong API key", body = Problem),
        (status = 422, description = "a field is missing or out of range", body = Problem)))]
#[tracing::instrument(name = "analyze", skip_all, fields(client_ip = %req.client_ip, method = %req.method))]
async fn analyze(
    _auth: RequireRole<Service>,
    State(st): State<AppState>,
    AppJson(req): AppJson<RequestFeatures>,
) -> Result<AppJson<Analysis>, Problem> {
    let errs = req.validate("");
    if !errs.is_empty() {
        return Err(Problem::validation(errs));
    }
    let started = Instant::now();
    let scores = st.engine.analyze(std::slice::from_ref(&req));
    record(&scores, started);
    scores
        .first()
        .map(|s| AppJson(Analysis::from(s)))
        .ok_or_else(Problem::internal_opaque)
}

/// Scores up to 1,000 requests in order (scored in parallel).
#[utoipa::path(post, path = "/api/v1/analyze/batch", tag = "analysis",
    request_body = BatchRequest,
    security(("api_key" = [])),
    responses(
        (status = 200, body = BatchResponse),
        (status = 401, description = "missing or wrong API key", body = Problem),
        (status = 413, description = "body over the size limit", body = Problem),
        (status = 422, description = "more than 1000 items, or an item field is invalid", body = Problem)))]
#[tracing::instrument(name = "analyze_batch", skip_all, fields(items = batch.items.len()))]
async fn analyze_batch(
    _auth: RequireRole<Service>,
    State(st): State<AppState>,
    AppJson(batch): AppJson<BatchRequest>,
) -> Result<AppJson<BatchResponse>, Problem> {
    if batch.items.is_empty() || batch.items.len() > MAX_BATCH {
        return Err(Problem::invalid_field(
            "items",
            format!(
                "must hold 1 to {MAX_BATCH} requests, got {}",
                batch.items.len()
            ),
        ));
    }
    let mut errs: Vec<FieldError> = Vec::new();
    for (i, it) in batch.items.iter().enumerate() {
        errs.extend(it.validate(&format!("items[{i}].")));
        if errs.len() >= 20 {
            break;
        }
    }
    if !errs.is_empty() {
        return Err(Problem::validation(errs));
    }
    let engine = st.engine.clone();
    let started = Instant::now();
    // Scoring a full batch is CPU work: keep it off the async workers.
    let scores = shared::telemetry::spawn_blocking_in_span(move || engine.analyze(&batch.items))
        .await
        .map_err(Problem::internal)?;
    record(&scores, started);
    Ok(AppJson(BatchResponse {
        results: scores.iter().map(Analysis::from).collect(),
    }))
}

/// The active model: version, training time, metrics and thresholds.
#[utoipa::path(get, path = "/api/v1/models", tag = "analysis",
    security(("api_key" = [])),
    responses(
        (status = 200, body = ModelsResponse),
        (status = 401, description = "missing or wrong API key", body = Problem)))]
#[tracing::instrument(name = "ai_models", skip_all)]
async fn models(
    _auth: RequireRole<Service>,
    State(st): State<AppState>,
) -> AppJson<ModelsResponse> {
    let f = st.engine.model().file();
    AppJson(ModelsResponse {
        items: vec![ModelInfo {
            version: f.version.clone(),
            trained_at: f.trained_at.clone(),
            schema_version: f.schema_version,
            features: f.features.clone(),
            trained_families: f.training.families.clone(),
            held_out_families: f.training.held_out_families.clone(),
            metrics: f.metrics.clone(),
            thresholds: st.engine.thresholds(),
        }],
    })
}

/// The analysis routes.
pub fn router(state: AppState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(analyze))
        .routes(routes!(analyze_batch))
        .routes(routes!(models))
        .with_state(state)
}
