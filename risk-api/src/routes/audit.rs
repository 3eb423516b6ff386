//! `GET /api/v1/audit/verify`: recomputes the audit hash chain.

use axum::extract::State;
use serde::Serialize;
use shared::auth::{Admin, RequireRole};
use shared::error::Problem;
use shared::json::AppJson;
use utoipa::ToSchema;

use super::db;
use crate::state::AppState;

/// One inconsistency.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct ChainProblem {
    /// Audit row id.
    pub id: i64,
    /// row_hash_mismatch, broken_link or head_mismatch.
    pub problem: String,
}

/// Verification result.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyReport {
    /// No inconsistency.
    pub intact: bool,
    /// Rows checked.
    pub rows: i64,
    /// The first broken row, if any.
    pub first_broken_id: Option<i64>,
    /// Every inconsistency.
    pub problems: Vec<ChainProblem>,
}

/// Recomputes every row's hash and link (admin).
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "audit",
    responses((status = 200, body = VerifyReport)),
    security(("bearer" = [])))]
pub async fn verify_audit(
    State(state): State<AppState>,
    _admin: RequireRole<Admin>,
) -> Result<AppJson<VerifyReport>, Problem> {
    let problems: Vec<ChainProblem> = sqlx::query_as("SELECT id, problem FROM qrap_audit_verify()")
        .fetch_all(&state.pool)
        .await
        .map_err(db)?;
    let (rows,): (i64,) = sqlx::query_as("SELECT count(*) FROM qrap_audit_log")
        .fetch_one(&state.pool)
        .await
        .map_err(db)?;
    Ok(AppJson(VerifyReport {
        intact: problems.is_empty(),
        rows,
        first_broken_id: problems.first().map(|p| p.id),
        problems,
    }))
}
