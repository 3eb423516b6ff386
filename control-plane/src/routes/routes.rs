//! Routes CRUD (the gateway's routing rules). Route mutations are
//! serialized by a transaction-scoped advisory lock so the overlap check
//! cannot race; every mutation bumps the config revision, writes its audit
//! row in its transaction and publishes to etcd after commit.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use shared::auth::{Operator, RequireRole, Viewer};
use shared::error::Problem;
use shared::ids::RouteId;
use shared::json::{AppJson, AppQuery};
use shared::pagination::{Page, PageParams};
use sqlx::PgConnection;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Entry;
use crate::domain::route::{methods_overlap, Route, RouteInput, RouteRow, ValidRoute};
use crate::http::conditional::{self, with_etag, Claim, IdempotencyKey, IfMatch};
use crate::http::context::Meta;
use crate::mutation::Mutation;
use crate::publish::Change;
use crate::repo::{self, Keyset};
use crate::state::AppState;
use shared::error::ApiError;

const PATH: &str = "/api/v1/routes";

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_routes, create_route))
        .routes(routes!(get_route, update_route, delete_route))
}

/// Checks, under the route lock, what field validation cannot: the
/// upstream exists, and no other route matches the same requests.
#[tracing::instrument(skip_all, fields(upstream_id = %v.upstream_id, self_id))]
async fn check_references(
    conn: &mut PgConnection,
    v: &ValidRoute,
    self_id: Option<&str>,
) -> Result<(), ApiError> {
    repo::routes::lock_writes(&mut *conn).await?;
    if !repo::routes::upstream_exists(&mut *conn, v.upstream_id.as_str()).await? {
        return Err(Problem::invalid_field("upstream_id", "no such upstream").into());
    }
    let same = repo::routes::same_match(&mut *conn, v, self_id).await?;
    if let Some((other, _)) = same.iter().find(|(_, m)| methods_overlap(m, &v.methods)) {
        return Err(Problem::invalid_field(
            "path",
            format!("overlaps route {other} (same host, path and match with overlapping methods)"),
        )
        .into());
    }
    Ok(())
}

/// A write's unique or foreign-key violation as the field it concerns (a
/// race the checks above could not see), anything else as usual.
fn unique_conflict(e: sqlx::Error) -> Problem {
    match shared::db::sqlstate(&e).as_deref() {
        Some("23505") => Problem::invalid_field("path", "duplicates an existing route"),
        Some("23503") => Problem::invalid_field("upstream_id", "no such upstream"),
        _ => shared::db::constraint_problem(e),
    }
}

/// List routes, newest first.
#[utoipa::path(get, path = "/api/v1/routes", tag = "routes", params(PageParams),
    security(("bearer" = [])),
    responses((status = 200, body = Page<Route>)))]
#[tracing::instrument(skip_all, fields(limit = page.limit))]
pub async fn list_routes(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(page): AppQuery<PageParams>,
) -> Result<AppJson<Page<Route>>, ApiError> {
    let (keyset, limit) = Keyset::from_page(&page)?;
    let rows = repo::routes::list(&state.pool, &keyset).await?;
    let items = rows
        .iter()
        .map(RouteRow::to_api)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(AppJson(Page::from_overfetch(items, limit, |r| {
        (r.created_at, r.config.id.to_string())
    })))
}

/// Create a route (Idempotency-Key supported).
#[utoipa::path(post, path = "/api/v1/routes", tag = "routes", request_body = RouteInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: the same key and body create one route")),
    security(("bearer" = [])),
    responses((status = 201, body = Route), (status = 422, description = "Invalid field, unknown upstream or overlapping route", body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(actor = %role.0.subject, name = %body.name))]
pub async fn create_route(
    role: RequireRole<Operator>,
    State(state): State<AppState>,
    meta: Meta,
    idem: IdempotencyKey,
    AppJson(body): AppJson<RouteInput>,
) -> Result<Response, ApiError> {
    let principal = role.0;
    let v = body.validate()?;
    let mut tx = state.pool.begin().await?;
    if let Some(key) = &idem.0 {
        let hash = conditional::request_hash("POST", PATH, &body);
        if let Claim::Replay(r) =
            conditional::claim(&mut tx, &principal.subject, key, "POST", PATH, &hash).await?
        {
            return Ok(r);
        }
    }
    check_references(&mut tx, &v, None).await?;
    let id = RouteId::new();
    let row = repo::routes::insert(&mut tx, id.as_str(), &v)
        .await
        .map_err(unique_conflict)?;
    let api = row.to_api()?;
    let api_json = serde_json::to_value(&api).map_err(Problem::internal)?;
    Mutation::new(
        tx,
        &state,
        &principal,
        &meta,
        Entry {
            action: "route.create",
            resource_type: "route",
            resource_id: Some(id.as_str()),
            before: None,
            after: Some(api_json.clone()),
            success: true,
        },
    )
    .completes(idem.0.as_deref(), &api_json, id.as_str())
    .publishes(Change::Route(id.clone()))
    .created(row.version, &api)
    .await
}

/// Read a route.
#[utoipa::path(get, path = "/api/v1/routes/{id}", tag = "routes",
    params(("id" = String, Path, description = "rt_…")),
    security(("bearer" = [])),
    responses((status = 200, body = Route), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn get_route(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = super::path_id(&id, RouteId::parse)?;
    let mut conn = state.pool.acquire().await?;
    let row = repo::routes::get(&mut conn, id.as_str())
        .await?
        .ok_or_else(|| Problem::not_found("no such route"))?;
    Ok(with_etag(StatusCode::OK, row.version, &row.to_api()?))
}

/// Replace a route (If-Match supported).
#[utoipa::path(put, path = "/api/v1/routes/{id}", tag = "routes", request_body = RouteInput,
    params(("id" = String, Path, description = "rt_…"), ("If-Match" = Option<String>, Header, description = "ETag (version) the update applies to")),
    security(("bearer" = [])),
    responses((status = 200, body = Route), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(actor = %role.0.subject, id = %id))]
pub async fn update_route(
    role: RequireRole<Operator>,
    State(state): State<AppState>,
    meta: Meta,
    if_match: IfMatch,
    Path(id): Path<String>,
    AppJson(body): AppJson<RouteInput>,
) -> Result<Response, ApiError> {
    let principal = role.0;
    let id = super::path_id(&id, RouteId::parse)?;
    let v = body.validate()?;
    let mut tx = state.pool.begin().await?;
    let before = repo::routes::get_for_update(&mut tx, id.as_str())
        .await?
        .ok_or_else(|| Problem::not_found("no such route"))?;
    if_match.check(before.version)?;
    check_references(&mut tx, &v, Some(id.as_str())).await?;
    let row = repo::routes::update(&mut tx, id.as_str(), &v)
        .await
        .map_err(unique_conflict)?;
    let api = row.to_api()?;
    Mutation::new(
        tx,
        &state,
        &principal,
        &meta,
        Entry {
            action: "route.update",
            resource_type: "route",
            resource_id: Some(id.as_str()),
            before: serde_json::to_value(before.to_api()?).ok(),
            after: serde_json::to_value(&api).ok(),
            success: true,
        },
    )
    .publishes(Change::Route(id.clone()))
    .replaced(row.version, &api)
    .await
}

/// Delete a route.
#[utoipa::path(delete, path = "/api/v1/routes/{id}", tag = "routes",
    params(("id" = String, Path, description = "rt_…"), ("If-Match" = Option<String>, Header, description = "ETag (version)")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(actor = %role.0.subject, id = %id))]
pub async fn delete_route(
    role: RequireRole<Operator>,
    State(state): State<AppState>,
    meta: Meta,
    if_match: IfMatch,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let principal = role.0;
    let id = super::path_id(&id, RouteId::parse)?;
    let mut tx = state.pool.begin().await?;
    let before = repo::routes::get_for_update(&mut tx, id.as_str())
        .await?
        .ok_or_else(|| Problem::not_found("no such route"))?;
    if_match.check(before.version)?;
    repo::routes::delete(&mut tx, id.as_str()).await?;
    Mutation::new(
        tx,
        &state,
        &principal,
        &meta,
        Entry {
            action: "route.delete",
            resource_type: "route",
            resource_id: Some(id.as_str()),
            before: serde_json::to_value(before.to_api()?).ok(),
            after: None,
            success: true,
        },
    )
    .publishes(Change::Route(id.clone()))
    .deleted()
    .await
}
