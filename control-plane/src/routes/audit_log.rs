//! The audit log (admin): list/filter by actor, action, resource and time.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::auth::{Admin, RequireRole};
use shared::error::Problem;
use shared::json::{AppJson, AppQuery};
use shared::pagination::{decode_cursor, CountedPage, Page, PageParams};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;
use shared::error::ApiError;

/// One audit row.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct AuditRow {
    /// Sequence number.
    pub id: i64,
    /// When the action was recorded (database time).
    pub occurred_at: DateTime<Utc>,
    /// User id, email (failed logins) or `service:<name>` of the caller.
    pub actor: String,
    /// Their role.
    pub actor_role: Option<String>,
    /// What, e.g. `route.create`.
    pub action: String,
    /// Resource type.
    pub resource_type: Option<String>,
    /// Resource id.
    pub resource_id: Option<String>,
    /// State before.
    pub before: Option<serde_json::Value>,
    /// State after.
    pub after: Option<serde_json::Value>,
    /// Request id.
    pub request_id: Option<String>,
    /// Client IP.
    pub client_ip: Option<String>,
    /// success or failure.
    pub outcome: String,
}

/// Filters of `GET /api/v1/audit-log`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Actor (user id, email or service:name).
    pub actor: Option<String>,
    /// Action, e.g. `route.create`.
    pub action: Option<String>,
    /// Resource type.
    pub resource_type: Option<String>,
    /// Resource id.
    pub resource_id: Option<String>,
    /// From (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// To (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Page size.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (absent: the first page).
    pub cursor: Option<String>,
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

/// List audit rows, newest first.
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit", params(AuditFilter),
    security(("bearer" = [])),
    responses((status = 200, body = CountedPage<AuditRow>), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn list_audit(
    _: RequireRole<Admin>,
    State(state): State<AppState>,
    AppQuery(f): AppQuery<AuditFilter>,
) -> Result<AppJson<CountedPage<AuditRow>>, ApiError> {
    let limit = PageParams {
        limit: f.limit,
        cursor: None,
    }
    .limit()?;
    let cursor: Option<i64> = f
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(decode_cursor)
        .transpose()?;
    for (field, v) in [
        ("actor", &f.actor),
        ("action", &f.action),
        ("resource_type", &f.resource_type),
        ("resource_id", &f.resource_id),
    ] {
        if v.as_ref().is_some_and(|v| v.len() > 320) {
            return Err(Problem::invalid_field(field, "must be at most 320 characters").into());
        }
    }
    let rows: Vec<AuditRow> = sqlx::query_as(&format!(
        "SELECT id, occurred_at, actor, actor_role, action, resource_type, resource_id, before, after,
            request_id, host(client_ip) AS client_ip, outcome
         FROM qsgw_audit_log WHERE {AUDIT_WHERE}
           AND ($7::int8 IS NULL OR id < $7)
         ORDER BY id DESC LIMIT $8"
    ))
    .bind(&f.actor)
    .bind(&f.action)
    .bind(&f.resource_type)
    .bind(&f.resource_id)
    .bind(f.from)
    .bind(f.to)
    .bind(cursor)
    .bind(i64::from(limit) + 1)
    .fetch_all(&state.pool)
    .await?;
    // Counted up to the cap (one past it says "more than").
    let counted: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM (SELECT 1 FROM qsgw_audit_log WHERE {AUDIT_WHERE} LIMIT $7) s"
    ))
    .bind(&f.actor)
    .bind(&f.action)
    .bind(&f.resource_type)
    .bind(&f.resource_id)
    .bind(f.from)
    .bind(f.to)
    .bind(super::tls_sessions::TOTAL_CAP + 1)
    .fetch_one(&state.pool)
    .await?;
    Ok(AppJson(
        Page::from_overfetch(rows, limit, |r| r.id)
            .with_total(counted, super::tls_sessions::TOTAL_CAP),
    ))
}

/// The filter of `GET /api/v1/audit-log` (`$1..$6`), shared by the page and
/// its total.
const AUDIT_WHERE: &str = "($1::text IS NULL OR actor = $1)
           AND ($2::text IS NULL OR action = $2)
           AND ($3::text IS NULL OR resource_type = $3)
           AND ($4::text IS NULL OR resource_id = $4)
           AND ($5::timestamptz IS NULL OR occurred_at >= $5)
           AND ($6::timestamptz IS NULL OR occurred_at < $6)";
