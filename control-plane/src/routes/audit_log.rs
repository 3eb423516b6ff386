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

use crate::repo;
use crate::state::AppState;
use shared::error::ApiError;

/// One audit row.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditRow {
    /// Sequence number.
    pub id: i64,
    /// When the action was recorded (database time).
    pub occurred_at: DateTime<Utc>,
    /// User id, email (failed logins) or `service:<name>` of the caller.
    pub actor: String,
    /// The actor's role (admin, operator, viewer or service); null when unknown, e.g. a failed
    /// login.
    pub actor_role: Option<String>,
    /// What, e.g. `route.create`.
    pub action: String,
    /// Kind of resource acted on, e.g. `route`, `upstream`, `user`, `gateway` or `threat_event`.
    pub resource_type: Option<String>,
    /// Id of that resource, e.g. an `rt_…` id; null when the action names none (a failed login
    /// for an unknown email).
    pub resource_id: Option<String>,
    /// API representation of the resource before the change (null for creates).
    pub before: Option<serde_json::Value>,
    /// API representation of the resource after the change (null for deletes).
    pub after: Option<serde_json::Value>,
    /// Id of the request that made the change, as echoed in its response's `X-Request-Id` (the
    /// client's when well-formed, else generated); `bootstrap` or `reset-password` for the
    /// first-admin bootstrap and the `reset-password` subcommand.
    pub request_id: Option<String>,
    /// The client's address: the TCP peer, or the client a trusted proxy named
    /// (`QUANTUN_TRUSTED_PROXIES`); null when unknown.
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
    /// Exact resource type, e.g. `route`.
    pub resource_type: Option<String>,
    /// Exact resource id, e.g. an `rt_…` id.
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
#[tracing::instrument(skip_all, fields(actor = f.actor.as_deref(), action = f.action.as_deref(), resource_type = f.resource_type.as_deref(), resource_id = f.resource_id.as_deref(), limit = f.limit))]
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
    let filter = repo::audit_log::Filter {
        actor: f.actor.as_deref(),
        action: f.action.as_deref(),
        resource_type: f.resource_type.as_deref(),
        resource_id: f.resource_id.as_deref(),
        from: f.from,
        to: f.to,
    };
    let rows = repo::audit_log::list(&state.pool, &filter, cursor, i64::from(limit) + 1).await?;
    // Counted up to the cap (one past it says "more than").
    let counted =
        repo::audit_log::count(&state.pool, &filter, super::tls_sessions::TOTAL_CAP + 1).await?;
    Ok(AppJson(
        Page::from_overfetch(rows, limit, |r| r.id)
            .with_total(counted, super::tls_sessions::TOTAL_CAP),
    ))
}
