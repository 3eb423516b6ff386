//! The audit log: `GET /api/v1/audit-log` lists it, `GET /api/v1/audit/verify`
//! recomputes its hash chain.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::auth::{Admin, RequireRole};
use shared::error::Problem;
use shared::json::{AppJson, AppQuery};
use utoipa::{IntoParams, ToSchema};

use super::{counted_page, page, scope, Reader};
use crate::state::AppState;
use shared::error::ApiError;
use shared::pagination::CountedPage;

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
    RequireRole { 0: p, .. }: RequireRole<Admin>,
) -> Result<AppJson<VerifyReport>, ApiError> {
    // The chain spans every tenant's rows.
    super::platform_admin(&p)?;
    let problems: Vec<ChainProblem> = sqlx::query_as("SELECT id, problem FROM qrap_audit_verify()")
        .fetch_all(&state.pool)
        .await?;
    let (rows,): (i64,) = sqlx::query_as("SELECT count(*) FROM qrap_audit_log")
        .fetch_one(&state.pool)
        .await?;
    Ok(AppJson(VerifyReport {
        intact: problems.is_empty(),
        rows,
        first_broken_id: problems.first().map(|p| p.id),
        problems,
    }))
}

/// One audit row (hashes included, so a reader can check the chain).
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct AuditEntry {
    /// Sequence number (the chain order).
    pub id: i64,
    /// When the action was recorded (database time).
    pub occurred_at: DateTime<Utc>,
    /// Organization concerned, if any.
    pub organization_id: Option<String>,
    /// Subject of the caller's token (`service:<name>` for an API key), or
    /// `system:risk-api` for the background runner.
    pub actor: String,
    /// Their role.
    pub actor_role: Option<String>,
    /// What, e.g. `assessment.create`.
    pub action: String,
    /// Resource type.
    pub resource_type: Option<String>,
    /// Resource id.
    pub resource_id: Option<String>,
    /// Action-specific JSON (e.g. an upload's format and asset count); null when none.
    pub details: Option<Value>,
    /// Request id.
    pub request_id: Option<String>,
    /// Hash of the previous row.
    pub prev_hash: String,
    /// Hash of this row.
    pub row_hash: String,
}

/// Audit-log filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Exact action, e.g. `assessment.create`.
    pub action: Option<String>,
    /// Exact resource type, e.g. `assessment`.
    pub resource_type: Option<String>,
    /// Exact resource id.
    pub resource_id: Option<String>,
    /// Page size 1..500.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (absent: the first page).
    pub cursor: Option<String>,
}

/// The audit log, newest first. Admins and service clients see every row;
/// other callers only their organization's.
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit",
    params(AuditQuery),
    responses((status = 200, body = CountedPage<AuditEntry>), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_audit(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Reader>,
    AppQuery(q): AppQuery<AuditQuery>,
) -> Result<AppJson<CountedPage<AuditEntry>>, ApiError> {
    let own = scope(&p)?;
    let (limit, offset) = page(q.limit, q.cursor)?;
    for (field, v, max) in [
        ("action", &q.action, 100),
        ("resource_type", &q.resource_type, 64),
        ("resource_id", &q.resource_id, 255),
    ] {
        if v.as_ref().is_some_and(|s| s.chars().count() > max) {
            return Err(
                Problem::invalid_field(field, format!("must be at most {max} characters")).into(),
            );
        }
    }
    let rows: Vec<AuditEntry> = sqlx::query_as(
        "SELECT id, occurred_at, organization_id, actor, actor_role, action, resource_type, resource_id,
                details, request_id, prev_hash, row_hash
         FROM qrap_audit_log
         WHERE ($1::text IS NULL OR organization_id = $1) AND ($2::text IS NULL OR action = $2)
           AND ($3::text IS NULL OR resource_type = $3) AND ($4::text IS NULL OR resource_id = $4)
         ORDER BY id DESC LIMIT $5 OFFSET $6",
    )
    .bind(&own)
    .bind(&q.action)
    .bind(&q.resource_type)
    .bind(&q.resource_id)
    .bind(i64::from(limit) + 1)
    .bind(offset)
    .fetch_all(&state.pool)
    .await?;
    let total: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM qrap_audit_log
         WHERE ($1::text IS NULL OR organization_id = $1) AND ($2::text IS NULL OR action = $2)
           AND ($3::text IS NULL OR resource_type = $3) AND ($4::text IS NULL OR resource_id = $4)",
    )
    .bind(&own)
    .bind(&q.action)
    .bind(&q.resource_type)
    .bind(&q.resource_id)
    .fetch_one(&state.pool)
    .await?;
    Ok(AppJson(counted_page(rows, limit, offset, total)))
}
