//! `GET /api/v1/models`: knowledge-base and calibration versions.

use std::collections::BTreeMap;

use axum::extract::State;
use serde::Serialize;
use shared::error::Problem;
use shared::json::AppJson;
use utoipa::ToSchema;

use crate::model::calibration::ModelInfo;
use crate::model::kb::Cnsa2Deadline;
use crate::model::scoring::Options;
use crate::state::AppState;

/// Knowledge-base summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct KbInfo {
    /// Data version.
    pub version: String,
    /// Number of algorithm entries.
    pub entries: usize,
    /// Citations by key (entries' `sources` refer to these).
    pub sources: BTreeMap<String, String>,
    /// CNSA 2.0 deadlines per system category.
    pub cnsa2_deadlines: Vec<Cnsa2Deadline>,
}

/// Response of `GET /api/v1/models`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelsResponse {
    /// Knowledge base.
    pub knowledge_base: KbInfo,
    /// Severity calibration model.
    pub calibration: ModelInfo,
    /// Default scoring parameters (CRQC estimate and curve, as-of year).
    pub defaults: Options,
}

/// Versions of the knowledge base and the calibration model, with the
/// model's held-out accuracy.
#[utoipa::path(get, path = "/api/v1/models", tag = "scoring",
    responses(
        (status = 200, description = "Loaded models", body = ModelsResponse),
        (status = 503, description = "Still loading", body = Problem)))]
pub async fn models(State(state): State<AppState>) -> Result<AppJson<ModelsResponse>, Problem> {
    let engine = state.engine()?;
    Ok(AppJson(ModelsResponse {
        knowledge_base: KbInfo {
            version: engine.kb.version.clone(),
            entries: engine.kb.len(),
            sources: engine.kb.sources.clone(),
            cnsa2_deadlines: engine.kb.cnsa2_deadlines.clone(),
        },
        calibration: engine.calibrator.info.clone(),
        defaults: state.defaults,
    }))
}
