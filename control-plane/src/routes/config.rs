//! `GET /api/v1/config/snapshot`: the whole effective gateway config at
//! one revision (standalone gateways and debugging).

use axum::extract::State;
use shared::auth::{Principal, Role};
use shared::error::{ApiError, Problem};
use shared::json::AppJson;
use shared::qsgw::ConfigSnapshot;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(snapshot))
}

/// Every route and upstream with the config revision they correspond to.
#[utoipa::path(get, path = "/api/v1/config/snapshot", tag = "config",
    security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ConfigSnapshot), (status = 401, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(role = principal.role.as_str()))]
pub async fn snapshot(
    principal: Principal,
    State(state): State<AppState>,
) -> Result<AppJson<ConfigSnapshot>, ApiError> {
    // Every role may read the config: humans to debug it, gateways (service) to run on it.
    let _: Role = principal.role;
    Ok(AppJson(crate::repo::config::snapshot(&state.pool).await?))
}
