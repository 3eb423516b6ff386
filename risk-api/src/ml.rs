//! The ML engine client: scores records in batches of at most 10,000
//! (the engine's limit) and fails with a reason the assessment stores.

use serde_json::json;
use shared::http_client::HttpClient;

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
pub async fn score(
    http: &HttpClient,
    base: &str,
    assets: &[AssetRecord],
    progress: &std::sync::atomic::AtomicUsize,
) -> Result<Vec<MlResult>, String> {
    let url = format!("{}/api/v1/score", base.trim_end_matches('/'));
    let mut out = Vec::with_capacity(assets.len());
    for chunk in assets.chunks(BATCH) {
        let body = json!({
            "assets": chunk.iter().map(|a| json!({
                "algorithm": a.algorithm,
                "parameter": a.parameter,
                "family": a.family,
                "usage": a.usage,
                "data_shelf_life_years": a.data_shelf_life_years,
                "migration_time_years": a.migration_time_years,
                "exposure": a.exposure,
                "criticality": a.criticality,
                "oid": a.oid,
                // Only verify/decrypt/decapsulate = legacy use (the engine's
                // policy packs decide where a standard allows it).
                "crypto_functions": (!a.crypto_functions.is_empty()).then_some(&a.crypto_functions),
                // The engine's authenticity horizon: migration + the validity
                // left (a date the engine cannot read would fail the batch).
                "valid_until": a.valid_until.as_deref().filter(|d| is_date(d)),
            })).collect::<Vec<_>>()
        });
        let resp = http.post(&url).json(&body).send().await.map_err(|e| {
            if e.is_timeout() {
                "ML engine did not answer in time".to_owned()
            } else {
                "ML engine is unreachable".to_owned()
            }
        })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!("ML engine answered HTTP {}", status.as_u16()));
        }
        #[derive(serde::Deserialize)]
        struct Answer {
            results: Vec<MlResult>,
        }
        let answer: Answer = resp.json().await.map_err(|e| {
            if e.is_timeout() {
                "ML engine did not answer in time".to_owned()
            } else {
                "ML engine sent an unreadable answer".to_owned()
            }
        })?;
        if answer.results.len() != chunk.len() {
            return Err("ML engine answered with a different number of results".to_owned());
        }
        out.extend(answer.results);
        progress.store(out.len(), std::sync::atomic::Ordering::Relaxed);
    }
    Ok(out)
}
