//! `POST /api/v1/score`: scores a batch of up to 10,000 assets.

use axum::extract::State;
use serde::Serialize;
use shared::error::{FieldError, Problem};
use shared::json::AppJson;
use utoipa::ToSchema;

use crate::model::policy::{Op, Packs};
use crate::model::scoring::{self, Asset, Scored};
use crate::model::timeline::Timelines;
use crate::state::AppState;
pub use shared::qrap::{AssetIn, ScoreRequest};

/// Largest batch.
pub const MAX_BATCH: usize = 10_000;
/// Longest accepted text field.
const MAX_TEXT: usize = 200;
/// Default data shelf life (Mosca's x) when the caller does not say.
pub const DEFAULT_SHELF_LIFE_YEARS: f64 = 5.0;
/// Default migration time (Mosca's y) when the caller does not say.
pub const DEFAULT_MIGRATION_YEARS: f64 = 5.0;

/// One asset's entry in [`ScoreResponse::results`].
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoredOut {
    /// The caller's id.
    pub id: Option<String>,
    /// The asset's scoring (identity, threat, policy verdicts, lane scores),
    /// flattened into this object beside `id`.
    #[serde(flatten)]
    pub scored: Scored,
}

/// Response body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ScoreResponse {
    /// Knowledge-base version used.
    pub knowledge_base_version: String,
    /// Severity thresholds version used.
    pub model_version: String,
    /// Policy pack versions used, by pack id.
    pub policy_versions: std::collections::BTreeMap<String, String>,
    /// CRQC timeline data version used.
    pub crqc_timelines_version: String,
    /// Parameters used.
    pub options: scoring::Options,
    /// Results, in request order.
    pub results: Vec<ScoredOut>,
}

fn text_ok(v: &str) -> bool {
    !v.trim().is_empty() && v.chars().count() <= MAX_TEXT && !v.chars().any(char::is_control)
}

/// CycloneDX 1.6 `cryptoFunctions` values.
const FUNCTIONS: &[&str] = &[
    "generate",
    "keygen",
    "encrypt",
    "decrypt",
    "digest",
    "tag",
    "keyderive",
    "sign",
    "verify",
    "encapsulate",
    "decapsulate",
    "other",
    "unknown",
];

/// Only verifying / decrypting / decapsulating is processing already
/// protected data (SP 800-131A "legacy use"); anything else protects.
fn op_of(functions: &[String]) -> Option<Op> {
    if functions.is_empty() {
        return None;
    }
    if functions
        .iter()
        .all(|f| matches!(f.as_str(), "verify" | "decrypt" | "decapsulate"))
    {
        Some(Op::Process)
    } else {
        Some(Op::Protect)
    }
}

/// Validates the request into domain assets, naming every bad field.
/// A date's year as a fraction (`2031-07-01` → 2031.5): `YYYY`,
/// `YYYY-MM-DD` or an RFC 3339 time; `None` when it is not one. Any
/// four-digit year from 0001 is a date: RFC 5280 §4.1.2.5 writes "no
/// well-defined expiration" as 99991231235959Z, and rcgen's default
/// notAfter is 4096-01-01, so real certificates carry such years (the
/// remaining validity is clamped to 0..100 years anyway).
fn year_of(v: &str) -> Option<f64> {
    let v = v.trim();
    let date = v.get(..10).unwrap_or(v);
    let mut parts = date.split('-');
    let y: i32 = parts.next()?.parse().ok()?;
    if !(1..=9999).contains(&y) {
        return None;
    }
    let (m, d) = match (parts.next(), parts.next()) {
        (None, None) if v.len() == 4 => (1, 1),
        (Some(m), Some(d))
            if v.len() == 10
                || v.as_bytes()
                    .get(10)
                    .is_some_and(|b| *b == b'T' || *b == b' ') =>
        {
            (m.parse::<u32>().ok()?, d.get(..2)?.parse::<u32>().ok()?)
        }
        _ => return None,
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let day_of_year = f64::from((m - 1) * 30 + (d - 1)).min(364.0);
    Some(f64::from(y) + day_of_year / 365.0)
}

pub fn validate(
    req: &ScoreRequest,
    defaults: &scoring::Options,
    packs: &Packs,
    timelines: &Timelines,
) -> Result<(scoring::Options, Vec<Asset>), Problem> {
    let mut errors = Vec::new();
    if req.assets.is_empty() || req.assets.len() > MAX_BATCH {
        errors.push(FieldError::new(
            "assets",
            format!(
                "must hold 1 to {MAX_BATCH} assets (got {})",
                req.assets.len()
            ),
        ));
        return Err(Problem::validation(errors));
    }
    let mut opts = defaults.clone();
    if let Some(p) = req.policy {
        opts.policy = p;
    }
    if let Some(c) = &req.cnsa2_category {
        let known = packs
            .get("cnsa2")
            .is_some_and(|p| p.categories.iter().any(|k| &k.id == c));
        if known {
            opts.cnsa2_category = Some(c.clone());
        } else {
            let list: Vec<String> = packs
                .get("cnsa2")
                .map(|p| p.categories.iter().map(|k| k.id.clone()).collect())
                .unwrap_or_default();
            errors.push(FieldError::new(
                "cnsa2_category",
                format!("must be one of {}", list.join(", ")),
            ));
        }
    }
    if let Some(y) = req.as_of_year {
        if (2000..=2100).contains(&y) {
            opts.as_of_year = y;
        } else {
            errors.push(FieldError::new("as_of_year", "must be 2000..=2100"));
        }
    }
    if let Some(y) = req.crqc_median_year {
        if y.is_finite() && (2020.0..=2100.0).contains(&y) {
            opts.crqc_median_year = Some(y);
        } else {
            errors.push(FieldError::new("crqc_median_year", "must be 2020..=2100"));
        }
    }
    if let Some(b) = &req.crqc_timeline {
        if timelines.band(b).is_some() {
            opts.crqc_timeline = b.clone();
        } else {
            let ids: Vec<&str> = timelines.bands.iter().map(|b| b.id.as_str()).collect();
            errors.push(FieldError::new(
                "crqc_timeline",
                format!("must be one of {}", ids.join(", ")),
            ));
        }
    }
    if let Some(c) = req.confidence {
        if c.is_finite() && (0.5..=0.99).contains(&c) {
            opts.confidence = c;
        } else {
            errors.push(FieldError::new("confidence", "must be 0.5..=0.99"));
        }
    }
    let mut out = Vec::with_capacity(req.assets.len());
    for (i, a) in req.assets.iter().enumerate() {
        let f = |name: &str| format!("assets[{i}].{name}");
        if !text_ok(&a.algorithm) {
            errors.push(FieldError::new(
                f("algorithm"),
                "must be 1..200 printable characters",
            ));
        }
        for (name, v) in [
            ("id", &a.id),
            ("parameter", &a.parameter),
            ("family", &a.family),
            ("oid", &a.oid),
        ] {
            if v.as_deref().is_some_and(|v| !text_ok(v)) {
                errors.push(FieldError::new(
                    f(name),
                    "must be 1..200 printable characters",
                ));
            }
        }
        let functions = a.crypto_functions.as_deref().unwrap_or_default();
        if functions.len() > FUNCTIONS.len() {
            errors.push(FieldError::new(
                f("crypto_functions"),
                format!("at most {} values", FUNCTIONS.len()),
            ));
        } else if let Some(bad) = functions.iter().find(|v| !FUNCTIONS.contains(&v.as_str())) {
            errors.push(FieldError::new(
                f("crypto_functions"),
                format!(
                    "{:?} is not a CycloneDX crypto function ({})",
                    bad.chars().take(40).collect::<String>(),
                    FUNCTIONS.join(", ")
                ),
            ));
        }
        let years = |name: &str, v: Option<f64>, d: f64, errors: &mut Vec<FieldError>| match v {
            None => d,
            Some(v) if v.is_finite() && (0.0..=100.0).contains(&v) => v,
            Some(_) => {
                errors.push(FieldError::new(f(name), "must be 0..=100 years"));
                d
            }
        };
        let shelf = years(
            "data_shelf_life_years",
            a.data_shelf_life_years,
            DEFAULT_SHELF_LIFE_YEARS,
            &mut errors,
        );
        let migration = years(
            "migration_time_years",
            a.migration_time_years,
            DEFAULT_MIGRATION_YEARS,
            &mut errors,
        );
        let validity = match (&a.valid_until, a.validity_years) {
            (Some(_), Some(_)) => {
                errors.push(FieldError::new(
                    f("validity_years"),
                    "give valid_until or validity_years, not both",
                ));
                None
            }
            (Some(d), None) => match year_of(d) {
                Some(y) => Some((y - f64::from(opts.as_of_year)).clamp(0.0, 100.0)),
                None => {
                    errors.push(FieldError::new(
                        f("valid_until"),
                        "must be YYYY, YYYY-MM-DD or an RFC 3339 time (years 0001..9999)",
                    ));
                    None
                }
            },
            (None, Some(v)) if v.is_finite() && (0.0..=100.0).contains(&v) => Some(v),
            (None, Some(_)) => {
                errors.push(FieldError::new(
                    f("validity_years"),
                    "must be 0..=100 years",
                ));
                None
            }
            (None, None) => None,
        };
        if errors.len() > 100 {
            // Enough to act on; do not build a multi-megabyte error.
            break;
        }
        out.push(Asset {
            algorithm: a.algorithm.trim().to_owned(),
            parameter: a.parameter.as_ref().map(|p| p.trim().to_owned()),
            family: a.family.as_ref().map(|p| p.trim().to_owned()),
            oid: a.oid.as_ref().map(|p| p.trim().to_owned()),
            usage: a.usage,
            op: op_of(functions),
            data_shelf_life_years: shelf,
            migration_time_years: migration,
            validity_years: validity,
            exposure: a.exposure.unwrap_or_default(),
            criticality: a.criticality.unwrap_or_default(),
        });
    }
    if errors.is_empty() {
        Ok((opts, out))
    } else {
        Err(Problem::validation(errors))
    }
}

/// Scores a batch of cryptographic assets. Deterministic: the same body
/// gives the same results.
#[utoipa::path(post, path = "/api/v1/score", tag = "scoring",
    request_body = ScoreRequest,
    responses(
        (status = 200, description = "Scores in request order", body = ScoreResponse),
        (status = 413, description = "Body too large", body = Problem),
        (status = 422, description = "Invalid request; `errors` names the fields", body = Problem),
        (status = 503, description = "Model still loading", body = Problem)))]
#[tracing::instrument(name = "score", skip_all, fields(assets = req.assets.len()))]
pub async fn score(
    State(state): State<AppState>,
    AppJson(req): AppJson<ScoreRequest>,
) -> Result<AppJson<ScoreResponse>, Problem> {
    let engine = state.engine()?;
    let (opts, assets) = validate(&req, &state.defaults, &engine.packs, &engine.timelines)?;
    let scored = engine.score_all(&opts, &assets);
    let results = req
        .assets
        .into_iter()
        .zip(scored)
        .map(|(a, scored)| ScoredOut { id: a.id, scored })
        .collect();
    Ok(AppJson(ScoreResponse {
        knowledge_base_version: engine.kb.version.clone(),
        model_version: engine.calibrator.info.version.clone(),
        crqc_timelines_version: engine.timelines.version.clone(),
        policy_versions: engine
            .packs
            .packs
            .iter()
            .map(|p| (p.id.clone(), p.version.clone()))
            .collect(),
        options: opts,
        results,
    }))
}
