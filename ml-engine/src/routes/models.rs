//! `GET /api/v1/models`: knowledge-base, policy-pack and calibration versions.

use std::collections::BTreeMap;

use axum::extract::State;
use serde::Serialize;
use shared::error::Problem;
use shared::json::AppJson;
use utoipa::ToSchema;

use crate::model::calibration::ModelInfo;
use crate::model::policy::{Category, Document};
use crate::model::scoring::{Criticality, Exposure, Options, DEFAULT_VALIDITY_YEARS};
use crate::model::timeline::Band;
use crate::state::AppState;

/// A CNSA 2.0 transition deadline for one system category (kept from v1).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Cnsa2Deadline {
    /// System category, e.g. `web_browsers_servers_cloud`.
    pub category: String,
    /// Support and prefer CNSA 2.0 algorithms by this year.
    pub prefer_by: i32,
    /// Use CNSA 2.0 algorithms exclusively by this year.
    pub exclusive_by: i32,
}

/// Knowledge-base summary.
#[derive(Debug, Serialize, ToSchema)]
pub struct KbInfo {
    /// Data version.
    pub version: String,
    /// Number of algorithm families.
    pub entries: usize,
    /// Named curves.
    pub curves: usize,
    /// Object identifiers understood.
    pub oids: usize,
    /// Citations by key (families' `sources` refer to these).
    pub sources: BTreeMap<String, String>,
    /// CNSA 2.0 deadlines per system category (from the `cnsa2` pack).
    pub cnsa2_deadlines: Vec<Cnsa2Deadline>,
}

/// One rule of a pack.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleInfo {
    /// Rule id (as in the results' `policies[].rules`).
    pub id: String,
    /// Document and section/table.
    pub cite: String,
}

/// One policy pack.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackInfo {
    /// Id for the score request's `policy`.
    pub id: String,
    /// Human-readable name, listing the documents the pack follows.
    pub title: String,
    /// Pack data version (from `policy_packs.json`), e.g. `2026.12.1`.
    pub version: String,
    /// Documents (drafts labelled).
    pub documents: BTreeMap<String, Document>,
    /// System categories (CNSA 2.0) for `cnsa2_category`.
    pub categories: Vec<Category>,
    /// Rules in evaluation order.
    pub rules: Vec<RuleInfo>,
}

/// CRQC timeline bands.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineInfo {
    /// Data version.
    pub version: String,
    /// How the bands were fitted.
    pub description: String,
    /// Citations by key.
    pub sources: BTreeMap<String, String>,
    /// Band used when a request names none.
    pub default_band: String,
    /// The fitted bands.
    pub bands: Vec<Band>,
}

/// Response of `GET /api/v1/models`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelsResponse {
    /// Version and size of the knowledge base in use (QRAP_ML_KNOWLEDGE_BASE
    /// or the built-in one), its citations and the CNSA 2.0 deadlines.
    pub knowledge_base: KbInfo,
    /// Every loaded policy pack (QRAP_ML_POLICY_PACKS or the built-in ones):
    /// version, documents, system categories and rules in evaluation order.
    pub policy_packs: Vec<PackInfo>,
    /// The CRQC timeline bands in use (QRAP_ML_CRQC_TIMELINES or the built-in
    /// ones), with their version, sources and default band.
    pub crqc_timelines: TimelineInfo,
    /// Severity thresholds (the QRAP triage policy).
    pub calibration: ModelInfo,
    /// Default scoring parameters (CRQC estimate and curve, as-of year, policy).
    pub defaults: Options,
    /// What an asset that does not say is scored with.
    pub asset_defaults: AssetDefaults,
}

/// The per-asset inputs assumed when a request leaves them out.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssetDefaults {
    /// Mosca's x.
    pub data_shelf_life_years: f64,
    /// Mosca's y.
    pub migration_time_years: f64,
    /// Years a signature must stay trusted without `valid_until`.
    pub validity_years: f64,
    /// Exposure assumed for an asset that gives none (`internal`).
    pub exposure: Exposure,
    /// Criticality assumed for an asset that gives none (`medium`).
    pub criticality: Criticality,
}

/// Versions of the knowledge base, the policy packs, the CRQC timelines and
/// the severity thresholds.
#[utoipa::path(get, path = "/api/v1/models", tag = "scoring",
    responses(
        (status = 200, description = "Loaded models", body = ModelsResponse),
        (status = 503, description = "Still loading", body = Problem)))]
#[tracing::instrument(name = "ml_models", skip_all)]
pub async fn models(State(state): State<AppState>) -> Result<AppJson<ModelsResponse>, Problem> {
    let engine = state.engine()?;
    let cnsa2_deadlines = engine
        .packs
        .get("cnsa2")
        .map(|p| {
            p.categories
                .iter()
                .filter(|c| p.default_category.as_deref() != Some(c.id.as_str()))
                .map(|c| Cnsa2Deadline {
                    category: c.id.clone(),
                    prefer_by: c.prefer_by,
                    exclusive_by: c.exclusive_by,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(AppJson(ModelsResponse {
        knowledge_base: KbInfo {
            version: engine.kb.version.clone(),
            entries: engine.kb.len(),
            curves: engine.kb.curves.len(),
            oids: engine.kb.oids.len(),
            sources: engine.kb.sources.clone(),
            cnsa2_deadlines,
        },
        policy_packs: engine
            .packs
            .packs
            .iter()
            .map(|p| PackInfo {
                id: p.id.clone(),
                title: p.title.clone(),
                version: p.version.clone(),
                documents: p.documents.clone(),
                categories: p.categories.clone(),
                rules: p
                    .rules
                    .iter()
                    .map(|r| RuleInfo {
                        id: r.id.clone(),
                        cite: r.cite.clone(),
                    })
                    .collect(),
            })
            .collect(),
        crqc_timelines: TimelineInfo {
            version: engine.timelines.version.clone(),
            description: engine.timelines.description.clone(),
            sources: engine.timelines.sources.clone(),
            default_band: engine.timelines.default_band.clone(),
            bands: engine.timelines.bands.clone(),
        },
        calibration: engine.calibrator.info.clone(),
        defaults: state.defaults.clone(),
        asset_defaults: AssetDefaults {
            data_shelf_life_years: super::score::DEFAULT_SHELF_LIFE_YEARS,
            migration_time_years: super::score::DEFAULT_MIGRATION_YEARS,
            validity_years: DEFAULT_VALIDITY_YEARS,
            exposure: Exposure::default(),
            criticality: Criticality::default(),
        },
    }))
}
