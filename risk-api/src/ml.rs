//! The ML engine client: scores records in batches of at most 10,000
//! (the engine's limit) and fails with a reason the assessment stores.

use serde_json::{json, Value};
use shared::error::FieldError;
use shared::http_client::HttpClient;
use shared::qrap::{AssetIn, ScoreAnswer, ScoreRequest};

use crate::domain::inputs::{Defaults, CRITICALITIES, EXPOSURES};
use crate::domain::inventory::AssetRecord;
use crate::domain::summary::MlResult;

/// `YYYY-MM-DD`, optionally followed by a time (`T…`): what the engine
/// reads as `valid_until`.
pub fn is_date(v: &str) -> bool {
    let b = v.as_bytes();
    (b.len() == 10 || (b.len() > 10 && (b[10] == b'T' || b[10] == b' ')))
        && b[..10].iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// The ML engine's batch limit.
pub const BATCH: usize = 10_000;

/// Scores every record, in order, storing the number scored so far in
/// `progress` after each batch. The error is a short, user-facing
/// reason (no internal addresses or bodies).
/// What a run got back: one result per asset, in order, and the CRQC
/// timeline data version the engine used.
#[derive(Debug, Default)]
pub struct Scores {
    /// Results in request order.
    pub results: Vec<MlResult>,
    /// The engine's `crqc_timelines_version`.
    pub crqc_timelines_version: Option<String>,
}

/// Scores every record, in order, storing the number scored so far in
/// `progress` after each batch. An asset's own Mosca inputs win over the
/// assessment's `defaults`; the band and CNSA 2.0 category come from
/// `defaults`. The error is a short, user-facing reason (no internal
/// addresses), with the engine's field errors when it refused the request.
pub async fn score(
    http: &HttpClient,
    base: &str,
    assets: &[AssetRecord],
    defaults: &Defaults,
    progress: &std::sync::atomic::AtomicUsize,
) -> Result<Scores, String> {
    let url = format!("{}/api/v1/score", base.trim_end_matches('/'));
    let mut out = Scores {
        results: Vec::with_capacity(assets.len()),
        crqc_timelines_version: None,
    };
    let d = defaults;
    for chunk in assets.chunks(BATCH) {
        let body = ScoreRequest {
            assets: chunk
                .iter()
                .map(|a| asset_in(a, d))
                .collect::<Result<_, _>>()?,
            as_of_year: None,
            crqc_median_year: None,
            crqc_timeline: d.crqc_timeline.clone(),
            confidence: None,
            policy: None,
            cnsa2_category: d.cnsa2_category.clone(),
        };
        let resp = http.post(&url).json(&body).send().await.map_err(|e| {
            if e.is_timeout() {
                "ML engine did not answer in time".to_owned()
            } else {
                "ML engine is unreachable".to_owned()
            }
        })?;
        let status = resp.status();
        if status.as_u16() == 422 {
            // The engine names what it refused (an unknown band, say).
            let p: Value = resp.json().await.unwrap_or(Value::Null);
            let fields: Vec<String> = p["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .take(5)
                .filter_map(|e| {
                    Some(format!(
                        "{}: {}",
                        e["field"].as_str()?,
                        e["message"].as_str()?
                    ))
                })
                .collect();
            let mut reason = "ML engine refused the request".to_owned();
            if !fields.is_empty() {
                reason = format!("{reason} ({})", fields.join("; "));
            }
            return Err(reason.chars().take(1000).collect());
        }
        if !status.is_success() {
            return Err(format!("ML engine answered HTTP {}", status.as_u16()));
        }
        let answer: ScoreAnswer<MlResult> = resp.json().await.map_err(|e| {
            if e.is_timeout() {
                "ML engine did not answer in time".to_owned()
            } else {
                "ML engine sent an unreadable answer".to_owned()
            }
        })?;
        if answer.results.len() != chunk.len() {
            return Err("ML engine answered with a different number of results".to_owned());
        }
        out.results.extend(answer.results);
        out.crqc_timelines_version = answer
            .crqc_timelines_version
            .map(|v| v.chars().take(64).collect());
        progress.store(out.results.len(), std::sync::atomic::Ordering::Relaxed);
    }
    Ok(out)
}

/// One record as the engine reads it: an asset's own Mosca inputs win
/// over the assessment's `defaults`. The vocabularies were checked when the
/// inventory was read (`USAGES`, `EXPOSURES`, `CRITICALITIES`); a value
/// outside them fails the run instead of being sent.
fn asset_in(a: &AssetRecord, d: &Defaults) -> Result<AssetIn, String> {
    fn parse<T: std::str::FromStr>(field: &str, v: Option<&String>) -> Result<Option<T>, String> {
        v.map(|v| {
            v.parse().map_err(|_| {
                format!(
                    "asset {field} `{}` is not one the ML engine reads",
                    v.chars().take(64).collect::<String>()
                )
            })
        })
        .transpose()
    }
    Ok(AssetIn {
        id: None,
        algorithm: a.algorithm.clone(),
        parameter: a.parameter.clone(),
        family: a.family.clone(),
        oid: a.oid.clone(),
        // Only verify/decrypt/decapsulate = legacy use (the engine's
        // policy packs decide where a standard allows it).
        crypto_functions: (!a.crypto_functions.is_empty()).then(|| a.crypto_functions.clone()),
        usage: parse("usage", a.usage.as_ref())?,
        data_shelf_life_years: a.data_shelf_life_years.or(d.data_shelf_life_years),
        migration_time_years: a.migration_time_years.or(d.migration_time_years),
        // The engine's authenticity horizon: migration + the validity
        // left (a date the engine cannot read would fail the batch).
        valid_until: a.valid_until.clone().filter(|d| is_date(d)),
        // A date wins over a declared lifetime (the engine takes one).
        validity_years: if a.valid_until.as_deref().is_some_and(is_date) {
            None
        } else {
            a.validity_years.or(d.validity_years)
        },
        exposure: parse("exposure", a.exposure.as_ref().or(d.exposure.as_ref()))?,
        criticality: parse(
            "criticality",
            a.criticality.as_ref().or(d.criticality.as_ref()),
        )?,
    })
}

/// The choices the ML engine offers for an assessment's defaults, read
/// from its `GET /api/v1/models` (the engine is the one home of its bands
/// and categories; QRAP never keeps a copy).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ScoringOptions {
    /// CRQC timeline data version.
    pub crqc_timelines_version: String,
    /// The band used when an assessment names none.
    pub default_crqc_timeline: String,
    /// Bands: `{id, title, anchor}` (the published survey figure each is fitted to).
    pub crqc_timelines: Vec<Value>,
    /// How the bands were fitted, and the surveys they cite.
    pub crqc_timelines_description: String,
    /// Citations by key.
    pub crqc_timelines_sources: Value,
    /// CNSA 2.0 system categories: `{id, prefer_by, exclusive_by, cite}`.
    pub cnsa2_categories: Vec<Value>,
    /// `exposure` values.
    pub exposures: Vec<&'static str>,
    /// `criticality` values.
    pub criticalities: Vec<&'static str>,
    /// What the engine assumes when neither the asset nor the assessment
    /// says: `{data_shelf_life_years, migration_time_years, exposure,
    /// criticality, validity_years}`.
    pub engine_defaults: Value,
}

/// Reads [`ScoringOptions`] from the engine; the error is user-facing.
pub async fn options(http: &HttpClient, base: &str) -> Result<ScoringOptions, String> {
    let url = format!("{}/api/v1/models", base.trim_end_matches('/'));
    let resp = http
        .get(&url)
        .send()
        .await
        .map_err(|_| "ML engine is unreachable".to_owned())?;
    if !resp.status().is_success() {
        return Err(format!(
            "ML engine answered HTTP {}",
            resp.status().as_u16()
        ));
    }
    let m: Value = resp
        .json()
        .await
        .map_err(|_| "ML engine sent an unreadable answer".to_owned())?;
    let t = &m["crqc_timelines"];
    let bands = t["bands"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| json!({"id": b["id"], "title": b["title"], "anchor": b["anchor"]}))
        .collect();
    let categories = m["policy_packs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["id"] == "cnsa2")
        .flat_map(|p| p["categories"].as_array().cloned().unwrap_or_default())
        .collect();
    Ok(ScoringOptions {
        crqc_timelines_version: t["version"].as_str().unwrap_or_default().to_owned(),
        default_crqc_timeline: t["default_band"].as_str().unwrap_or_default().to_owned(),
        crqc_timelines: bands,
        crqc_timelines_description: t["description"].as_str().unwrap_or_default().to_owned(),
        crqc_timelines_sources: t["sources"].clone(),
        cnsa2_categories: categories,
        exposures: EXPOSURES.to_vec(),
        criticalities: CRITICALITIES.to_vec(),
        engine_defaults: m["asset_defaults"].clone(),
    })
}

impl ScoringOptions {
    /// The defaults' band and category checked against the engine's lists.
    pub fn check(&self, d: &Defaults, prefix: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let ids = |list: &[Value]| -> Vec<String> {
            list.iter()
                .filter_map(|v| v["id"].as_str().map(str::to_owned))
                .collect()
        };
        for (field, given, known) in [
            ("crqc_timeline", &d.crqc_timeline, ids(&self.crqc_timelines)),
            (
                "cnsa2_category",
                &d.cnsa2_category,
                ids(&self.cnsa2_categories),
            ),
        ] {
            if let Some(g) = given {
                if !known.iter().any(|k| k == g) {
                    errors.push(FieldError::new(
                        format!("{prefix}{field}"),
                        format!("must be one of {}", known.join(", ")),
                    ));
                }
            }
        }
        errors
    }
}
