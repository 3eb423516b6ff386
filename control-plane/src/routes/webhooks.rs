//! `GET /api/v1/webhooks/deliveries`: the outbox and its attempts (operator).

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::auth::{Operator, RequireRole};
use shared::error::{ApiError, Problem};
use shared::json::{AppJson, AppQuery};
use shared::pagination::{Page, PageParams};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::repo::{self, Keyset};
use crate::state::AppState;

/// A webhook delivery.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    /// Id (sent as `X-QSGW-Delivery`).
    pub id: String,
    /// Source threat event.
    pub threat_event_id: Option<String>,
    /// Kind of event delivered: `threat.detected` for threat alerts.
    pub event_type: String,
    /// Body sent.
    pub payload: serde_json::Value,
    /// pending, delivering, delivered or failed.
    pub status: String,
    /// Attempts made.
    pub attempts: i32,
    /// Attempts before the delivery is given up as `failed` (column default 12).
    pub max_attempts: i32,
    /// Next attempt (or lease expiry).
    pub next_attempt_at: DateTime<Utc>,
    /// When the last attempt was made; null before the first.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// Last HTTP status.
    pub last_status_code: Option<i32>,
    /// Why the last attempt failed (transport error, or `HTTP <status>` for a non-2xx answer);
    /// null before any attempt and after success.
    pub last_error: Option<String>,
    /// When the target answered 2xx; null until delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When the delivery was queued: when its threat event was ingested.
    pub created_at: DateTime<Utc>,
}

/// Filters of `GET /api/v1/webhooks/deliveries`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryFilter {
    /// pending, delivering, delivered or failed.
    pub status: Option<String>,
    /// Page size.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (absent: the first page).
    pub cursor: Option<String>,
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_deliveries))
}

/// List webhook deliveries, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/deliveries", tag = "webhooks", params(DeliveryFilter),
    security(("bearer" = [])),
    responses((status = 200, body = Page<Delivery>)))]
#[tracing::instrument(skip_all, fields(status = f.status.as_deref(), limit = f.limit))]
pub async fn list_deliveries(
    _: RequireRole<Operator>,
    State(state): State<AppState>,
    AppQuery(f): AppQuery<DeliveryFilter>,
) -> Result<AppJson<Page<Delivery>>, ApiError> {
    let (keyset, limit) = Keyset::from_page(&PageParams {
        limit: f.limit,
        cursor: f.cursor.clone(),
    })?;
    if f.status
        .as_deref()
        .is_some_and(|s| !matches!(s, "pending" | "delivering" | "delivered" | "failed"))
    {
        return Err(Problem::invalid_field(
            "status",
            "must be pending, delivering, delivered or failed",
        )
        .into());
    }
    let rows = repo::webhooks::list(&state.pool, f.status.as_deref(), &keyset).await?;
    Ok(AppJson(Page::from_overfetch(rows, limit, |d| {
        (d.created_at, d.id.clone())
    })))
}
