//! Runs an assessment in the background: pending → running → completed or
//! failed. Findings and the final status are written in one transaction, so
//! a failure (ML engine down, timeout, database error) leaves no findings
//! behind, only `failed` with its reason; `rerun` starts over.

use serde_json::{json, Value};

use crate::domain::inventory::{from_inventory, AssetRecord, InventoryAsset};
use crate::domain::{cbom, summary};
use crate::repo::{self, Actor};
use crate::state::AppState;

/// Parses a stored source document back into assets.
pub fn assets_of(format: &str, doc: &Value) -> Result<Vec<AssetRecord>, String> {
    match format {
        "cyclonedx" => cbom::parse(doc).map(|c| c.assets).map_err(|p| p.detail),
        _ => {
            let items: Vec<InventoryAsset> = doc
                .get("inventory")
                .cloned()
                .map(serde_json::from_value)
                .transpose()
                .map_err(|e| format!("stored inventory is unreadable: {e}"))?
                .unwrap_or_default();
            from_inventory(&items).map_err(|p| p.detail)
        }
    }
}

/// Starts the run in the background.
pub fn spawn(state: AppState, id: String) {
    tokio::spawn(async move {
        if let Err(e) = run(&state, &id).await {
            tracing::error!(assessment = %id, error = %e, "assessment run failed on the database");
            let _ = fail(
                &state,
                &id,
                "storing the results failed; re-run the assessment",
            )
            .await;
        }
    });
}

/// Runs one assessment to completion or failure.
pub async fn run(state: &AppState, id: &str) -> Result<(), sqlx::Error> {
    let mut tx = state.pool.begin().await?;
    let row: Option<(String, String, Option<Value>)> = sqlx::query_as(
        "UPDATE assessments SET status = 'running', started_at = now(), attempts = attempts + 1,
             failure_reason = NULL, updated_at = now(), version = version + 1
         WHERE id = $1 AND status = 'pending'
         RETURNING organization_id, source_format, source_document",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((org, format, doc)) = row else {
        // Deleted or picked up by someone else meanwhile.
        return Ok(());
    };
    repo::audit(
        &mut tx,
        &Actor::system(),
        Some(&org),
        "assessment.start",
        "assessment",
        id,
        json!({}),
    )
    .await?;
    tx.commit().await?;

    let assets = match assets_of(&format, &doc.unwrap_or(Value::Null)) {
        Ok(a) => a,
        Err(reason) => return fail(state, id, &reason).await,
    };
    let scores = match crate::ml::score(&state.http, &state.ml_url, &assets).await {
        Ok(s) => s,
        Err(reason) => return fail(state, id, &reason).await,
    };
    let count = assets.len();
    let findings = summary::findings(assets, scores);
    let sum = summary::summarise(&findings);

    let mut tx = state.pool.begin().await?;
    // Still ours and running? (It may have been deleted meanwhile.)
    let still: Option<(String,)> = sqlx::query_as(
        "SELECT status FROM assessments WHERE id = $1 AND status = 'running' FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    if still.is_none() {
        return Ok(());
    }
    sqlx::query("DELETE FROM findings WHERE assessment_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    repo::insert_findings(&mut tx, id, &org, &findings).await?;
    repo::complete(&mut tx, id, count, &sum).await?;
    repo::audit(
        &mut tx,
        &Actor::system(),
        Some(&org),
        "assessment.complete",
        "assessment",
        id,
        json!({"findings": count, "overall_risk_score": sum.overall_risk_score}),
    )
    .await?;
    tx.commit().await
}

/// Marks the assessment failed (and audits it) in one transaction.
async fn fail(state: &AppState, id: &str, reason: &str) -> Result<(), sqlx::Error> {
    let mut tx = state.pool.begin().await?;
    let org: Option<(String,)> = sqlx::query_as(
        "UPDATE assessments SET status = 'failed', failure_reason = $2, completed_at = NULL,
             updated_at = now(), version = version + 1
         WHERE id = $1 AND status IN ('running', 'pending') RETURNING organization_id",
    )
    .bind(id)
    .bind(reason)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((org,)) = org {
        repo::audit(
            &mut tx,
            &Actor::system(),
            Some(&org),
            "assessment.fail",
            "assessment",
            id,
            json!({"reason": reason}),
        )
        .await?;
    }
    tx.commit().await
}
