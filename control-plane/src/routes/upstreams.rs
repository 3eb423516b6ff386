//! Upstreams CRUD. Every mutation bumps the config revision and writes its
//! audit row in its transaction, then publishes to etcd after commit.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use shared::auth::{Operator, RequireRole, Viewer};
use shared::error::Problem;
use shared::ids::UpstreamId;
use shared::json::{AppJson, AppQuery};
use shared::pagination::{Page, PageParams};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Entry;
use crate::domain::upstream::{Upstream, UpstreamInput, UpstreamRow};
use crate::http::conditional::{self, with_etag, Claim, IdempotencyKey, IfMatch};
use crate::http::context::Meta;
use crate::mutation::Mutation;
use crate::publish::Change;
use crate::repo::{self, Keyset};
use crate::state::AppState;
use shared::error::ApiError;

const PATH: &str = "/api/v1/upstreams";

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_upstreams, create_upstream))
        .routes(routes!(get_upstream, update_upstream, delete_upstream))
}

/// A unique violation of a write is the name being taken (a race with
/// another create), anything else as usual.
fn name_conflict(e: sqlx::Error) -> Problem {
    if shared::db::sqlstate(&e).as_deref() == Some("23505") {
        Problem::invalid_field("name", "is already used by another upstream")
    } else {
        shared::db::constraint_problem(e)
    }
}

/// List upstreams, newest first.
#[utoipa::path(get, path = "/api/v1/upstreams", tag = "upstreams", params(PageParams),
    security(("bearer" = [])),
    responses((status = 200, body = Page<Upstream>)))]
#[tracing::instrument(skip_all, fields(limit = page.limit))]
pub async fn list_upstreams(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(page): AppQuery<PageParams>,
) -> Result<AppJson<Page<Upstream>>, ApiError> {
    let (keyset, limit) = Keyset::from_page(&page)?;
    let rows = repo::upstreams::list(&state.pool, &keyset).await?;
    let items = rows
        .iter()
        .map(UpstreamRow::to_api)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AppJson(Page::from_overfetch(items, limit, |u| {
        (u.created_at, u.config.id.to_string())
    })))
}

/// Create an upstream (Idempotency-Key supported).
#[utoipa::path(post, path = "/api/v1/upstreams", tag = "upstreams", request_body = UpstreamInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: the same key and body create one upstream")),
    security(("bearer" = [])),
    responses((status = 201, body = Upstream), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(actor = %role.0.subject, name = %body.name))]
pub async fn create_upstream(
    role: RequireRole<Operator>,
    State(state): State<AppState>,
    meta: Meta,
    idem: IdempotencyKey,
    AppJson(body): AppJson<UpstreamInput>,
) -> Result<Response, ApiError> {
    let principal = role.0;
    let v = body.validate(&state.target_guard)?;
    let mut tx = state.pool.begin().await?;
    if let Some(key) = &idem.0 {
        let hash = conditional::request_hash("POST", PATH, &body);
        if let Claim::Replay(r) =
            conditional::claim(&mut tx, &principal.subject, key, "POST", PATH, &hash).await?
        {
            return Ok(r);
        }
    }
    let id = UpstreamId::new();
    let row = repo::upstreams::insert(&mut tx, id.as_str(), &v)
        .await
        .map_err(name_conflict)?;
    let api = row.to_api()?;
    let api_json = serde_json::to_value(&api).map_err(Problem::internal)?;
    Mutation::new(
        tx,
        &state,
        &principal,
        &meta,
        Entry {
            action: "upstream.create",
            resource_type: "upstream",
            resource_id: Some(id.as_str()),
            before: None,
            after: Some(api_json.clone()),
            success: true,
        },
    )
    .completes(idem.0.as_deref(), &api_json, id.as_str())
    .publishes(Change::Upstream(id.clone()))
    .created(row.version, &api)
    .await
}

/// Read an upstream.
#[utoipa::path(get, path = "/api/v1/upstreams/{id}", tag = "upstreams",
    params(("id" = String, Path, description = "ups_…")),
    security(("bearer" = [])),
    responses((status = 200, body = Upstream), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn get_upstream(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = super::path_id(&id, UpstreamId::parse)?;
    let mut conn = state.pool.acquire().await?;
    let row = repo::upstreams::get(&mut conn, id.as_str())
        .await?
        .ok_or_else(|| Problem::not_found("no such upstream"))?;
    Ok(with_etag(StatusCode::OK, row.version, &row.to_api()?))
}

/// Replace an upstream (If-Match supported).
#[utoipa::path(put, path = "/api/v1/upstreams/{id}", tag = "upstreams", request_body = UpstreamInput,
    params(("id" = String, Path, description = "ups_…"), ("If-Match" = Option<String>, Header, description = "ETag (version) the update applies to")),
    security(("bearer" = [])),
    responses((status = 200, body = Upstream), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(actor = %role.0.subject, id = %id))]
pub async fn update_upstream(
    role: RequireRole<Operator>,
    State(state): State<AppState>,
    meta: Meta,
    if_match: IfMatch,
    Path(id): Path<String>,
    AppJson(body): AppJson<UpstreamInput>,
) -> Result<Response, ApiError> {
    let principal = role.0;
    let id = super::path_id(&id, UpstreamId::parse)?;
    let v = body.validate(&state.target_guard)?;
    let mut tx = state.pool.begin().await?;
    let before = repo::upstreams::get_for_update(&mut tx, id.as_str())
        .await?
        .ok_or_else(|| Problem::not_found("no such upstream"))?;
    if_match.check(before.version)?;
    let row = repo::upstreams::update(&mut tx, id.as_str(), &v)
        .await
        .map_err(name_conflict)?;
    let api = row.to_api()?;
    Mutation::new(
        tx,
        &state,
        &principal,
        &meta,
        Entry {
            action: "upstream.update",
            resource_type: "upstream",
            resource_id: Some(id.as_str()),
            before: serde_json::to_value(before.to_api()?).ok(),
            after: serde_json::to_value(&api).ok(),
            success: true,
        },
    )
    .publishes(Change::Upstream(id.clone()))
    .replaced(row.version, &api)
    .await
}

/// Delete an upstream; 409 while a route uses it.
#[utoipa::path(delete, path = "/api/v1/upstreams/{id}", tag = "upstreams",
    params(("id" = String, Path, description = "ups_…"), ("If-Match" = Option<String>, Header, description = "ETag (version)")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, description = "Still used by routes", body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(actor = %role.0.subject, id = %id))]
pub async fn delete_upstream(
    role: RequireRole<Operator>,
    State(state): State<AppState>,
    meta: Meta,
    if_match: IfMatch,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let principal = role.0;
    let id = super::path_id(&id, UpstreamId::parse)?;
    let mut tx = state.pool.begin().await?;
    let before = repo::upstreams::get_for_update(&mut tx, id.as_str())
        .await?
        .ok_or_else(|| Problem::not_found("no such upstream"))?;
    if_match.check(before.version)?;
    let users = repo::upstreams::routes_using(&mut tx, id.as_str()).await?;
    if !users.is_empty() {
        return Err(Problem::conflict(format!(
            "upstream is used by route(s) {}; move or delete them first",
            users.join(", ")
        ))
        .into());
    }
    repo::upstreams::delete(&mut tx, id.as_str()).await?;
    Mutation::new(
        tx,
        &state,
        &principal,
        &meta,
        Entry {
            action: "upstream.delete",
            resource_type: "upstream",
            resource_id: Some(id.as_str()),
            before: serde_json::to_value(before.to_api()?).ok(),
            after: None,
            success: true,
        },
    )
    .publishes(Change::Upstream(id.clone()))
    .deleted()
    .await
}
