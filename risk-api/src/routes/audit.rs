//! The audit log: `GET /api/v1/audit-log` lists it, `GET /api/v1/audit/verify`
//! recomputes its hash chain.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use shared::auth::{Admin, RequireRole};
use shared::error::Problem;
use shared::json::{AppJson, AppQuery};
use utoipa::{IntoParams, ToSchema};

use super::{counted_page, page, scope, Reader};
use crate::repo::audit::{self, AuditFilter};
pub use crate::repo::audit::{AuditEntry, ChainProblem};
use crate::state::AppState;
use shared::error::ApiError;
use shared::pagination::CountedPage;

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
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject))]
pub async fn verify_audit(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Admin>,
) -> Result<AppJson<VerifyReport>, ApiError> {
    // The chain spans every tenant's rows.
    super::platform_admin(&p)?;
    let (problems, rows) = audit::verify(&state.pool).await?;
    Ok(AppJson(VerifyReport {
        intact: problems.is_empty(),
        rows,
        first_broken_id: problems.first().map(|p| p.id),
        problems,
    }))
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
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject))]
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
    let filter = AuditFilter {
        org: own.as_deref(),
        action: q.action.as_deref(),
        resource_type: q.resource_type.as_deref(),
        resource_id: q.resource_id.as_deref(),
    };
    let (rows, total) = audit::page(&state.pool, filter, limit, offset).await?;
    Ok(AppJson(counted_page(rows, limit, offset, total)))
}
