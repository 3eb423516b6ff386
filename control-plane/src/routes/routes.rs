//! Routes CRUD (the gateway's routing rules). Route mutations are
//! serialized by a transaction-scoped advisory lock so the overlap check
//! cannot race; every mutation bumps the config revision, writes its audit
//! row in its transaction and publishes to etcd after commit.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use shared::auth::{Operator, RequireRole, Viewer};
use shared::error::Problem;
use shared::ids::RouteId;
use shared::json::{AppJson, AppQuery};
use shared::pagination::{Page, PageParams};
use sqlx::PgConnection;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Entry;
use crate::db;
use crate::domain::route::{
    self, bots_db, inspection_db, methods_overlap, path_match_db, DataClass, Route, RouteInput,
    RouteRow, ValidRoute,
};
use crate::http::conditional::{self, with_etag, Claim, IdempotencyKey, IfMatch};
use crate::http::context::Meta;
use crate::mutation::Mutation;
use crate::publish::Change;
use crate::state::AppState;
use shared::error::ApiError;

const PATH: &str = "/api/v1/routes";
/// Advisory lock key serializing route writes ("QSGW" + 1).
const ROUTE_LOCK: i64 = 0x5153_4757_0001;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_routes, create_route))
        .routes(routes!(get_route, update_route, delete_route))
}

/// Checks, under the route lock, what field validation cannot: the
/// upstream exists, and no other route matches the same requests.
async fn check_references(
    conn: &mut PgConnection,
    v: &ValidRoute,
    self_id: Option<&str>,
) -> Result<(), ApiError> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(ROUTE_LOCK)
        .execute(&mut *conn)
        .await?;
    let exists: Option<String> =
        sqlx::query_scalar("SELECT id FROM upstreams WHERE id = $1 FOR SHARE")
            .bind(v.upstream_id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
    if exists.is_none() {
        return Err(Problem::invalid_field("upstream_id", "no such upstream").into());
    }
    let same: Vec<(String, Vec<String>)> = sqlx::query_as(
        "SELECT id, methods FROM routes
         WHERE coalesce(lower(host), '') = coalesce($1, '') AND path = $2 AND path_match = $3
           AND ($4::text IS NULL OR id <> $4)",
    )
    .bind(&v.host)
    .bind(&v.path)
    .bind(path_match_db(v.path_match))
    .bind(self_id)
    .fetch_all(&mut *conn)
    .await?;
    if let Some((other, _)) = same.iter().find(|(_, m)| methods_overlap(m, &v.methods)) {
        return Err(Problem::invalid_field(
            "path",
            format!("overlaps route {other} (same host, path and match with overlapping methods)"),
        )
        .into());
    }
    Ok(())
}

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
pub async fn list_routes(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(page): AppQuery<PageParams>,
) -> Result<AppJson<Page<Route>>, ApiError> {
    let limit = page.limit()?;
    let cursor: Option<(DateTime<Utc>, String)> = page.cursor()?;
    let (at, id) = cursor.unzip();
    let rows: Vec<RouteRow> = sqlx::query_as(&format!(
        "SELECT {} FROM routes
         WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2))
         ORDER BY created_at DESC, id DESC LIMIT $3",
        route::COLUMNS
    ))
    .bind(at)
    .bind(id)
    .bind(i64::from(limit) + 1)
    .fetch_all(&state.pool)
    .await?;
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
    let row: RouteRow = sqlx::query_as(&format!(
        "INSERT INTO routes (id, name, host, path, path_match, methods, upstream_id, strip_prefix,
            timeout_ms, retries, rate_limit_rps, rate_limit_burst, tls_policy, inspection, enabled, bots,
            data_shelf_life_years, data_class, client_cert_required)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19) RETURNING {}",
        route::COLUMNS
    ))
    .bind(id.as_str())
    .bind(&v.name)
    .bind(&v.host)
    .bind(&v.path)
    .bind(path_match_db(v.path_match))
    .bind(&v.methods)
    .bind(v.upstream_id.as_str())
    .bind(v.strip_prefix)
    .bind(v.timeout_ms)
    .bind(v.retries)
    .bind(v.rate_limit.map(|r| r.0))
    .bind(v.rate_limit.map(|r| r.1))
    .bind(v.tls_policy.map(|t| t.as_str()))
    .bind(inspection_db(v.inspection))
    .bind(v.enabled)
    .bind(bots_db(v.bots))
    .bind(v.data_shelf_life_years)
    .bind(v.data_class.map(DataClass::as_str))
    .bind(v.client_cert_required)
    .fetch_one(&mut *tx)
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
pub async fn get_route(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = super::path_id(&id, RouteId::parse)?;
    let mut conn = state.pool.acquire().await?;
    let row = db::route(&mut conn, id.as_str(), false)
        .await?
        .ok_or_else(|| Problem::not_found("no such route"))?;
    Ok(with_etag(StatusCode::OK, row.version, &row.to_api()?))
}

/// Replace a route (If-Match supported).
#[utoipa::path(put, path = "/api/v1/routes/{id}", tag = "routes", request_body = RouteInput,
    params(("id" = String, Path, description = "rt_…"), ("If-Match" = Option<String>, Header, description = "ETag (version) the update applies to")),
    security(("bearer" = [])),
    responses((status = 200, body = Route), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
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
    let before = db::route(&mut tx, id.as_str(), true)
        .await?
        .ok_or_else(|| Problem::not_found("no such route"))?;
    if_match.check(before.version)?;
    check_references(&mut tx, &v, Some(id.as_str())).await?;
    let row: RouteRow = sqlx::query_as(&format!(
        "UPDATE routes SET name=$2, host=$3, path=$4, path_match=$5, methods=$6, upstream_id=$7,
            strip_prefix=$8, timeout_ms=$9, retries=$10, rate_limit_rps=$11, rate_limit_burst=$12,
            tls_policy=$13, inspection=$14, enabled=$15, bots=$16, data_shelf_life_years=$17,
            data_class=$18, client_cert_required=$19, version = version + 1, updated_at = now()
         WHERE id = $1 RETURNING {}",
        route::COLUMNS
    ))
    .bind(id.as_str())
    .bind(&v.name)
    .bind(&v.host)
    .bind(&v.path)
    .bind(path_match_db(v.path_match))
    .bind(&v.methods)
    .bind(v.upstream_id.as_str())
    .bind(v.strip_prefix)
    .bind(v.timeout_ms)
    .bind(v.retries)
    .bind(v.rate_limit.map(|r| r.0))
    .bind(v.rate_limit.map(|r| r.1))
    .bind(v.tls_policy.map(|t| t.as_str()))
    .bind(inspection_db(v.inspection))
    .bind(v.enabled)
    .bind(bots_db(v.bots))
    .bind(v.data_shelf_life_years)
    .bind(v.data_class.map(DataClass::as_str))
    .bind(v.client_cert_required)
    .fetch_one(&mut *tx)
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
    let before = db::route(&mut tx, id.as_str(), true)
        .await?
        .ok_or_else(|| Problem::not_found("no such route"))?;
    if_match.check(before.version)?;
    sqlx::query("DELETE FROM routes WHERE id = $1")
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
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
