//! Upstreams CRUD. Every mutation bumps the config revision and writes its
//! audit row in its transaction, then publishes to etcd after commit.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use shared::auth::{Operator, RequireRole, Viewer};
use shared::error::Problem;
use shared::ids::UpstreamId;
use shared::json::{AppJson, AppQuery};
use shared::pagination::{Page, PageParams};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Entry;
use crate::db;
use crate::domain::upstream::{
    self, lb_to_db, Upstream, UpstreamInput, UpstreamRow, ValidUpstream,
};
use crate::http::conditional::{self, with_etag, Claim, IdempotencyKey, IfMatch};
use crate::http::context::Meta;
use crate::mutation::Mutation;
use crate::publish::Change;
use crate::state::AppState;
use shared::error::ApiError;

const PATH: &str = "/api/v1/upstreams";

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_upstreams, create_upstream))
        .routes(routes!(get_upstream, update_upstream, delete_upstream))
}

fn name_conflict(e: sqlx::Error) -> Problem {
    if shared::db::sqlstate(&e).as_deref() == Some("23505") {
        Problem::invalid_field("name", "is already used by another upstream")
    } else {
        shared::db::constraint_problem(e)
    }
}

fn targets_json(v: &ValidUpstream) -> serde_json::Value {
    serde_json::to_value(&v.targets).unwrap_or_else(|_| serde_json::json!([]))
}

/// List upstreams, newest first.
#[utoipa::path(get, path = "/api/v1/upstreams", tag = "upstreams", params(PageParams),
    security(("bearer" = [])),
    responses((status = 200, body = Page<Upstream>)))]
pub async fn list_upstreams(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(page): AppQuery<PageParams>,
) -> Result<AppJson<Page<Upstream>>, ApiError> {
    let limit = page.limit()?;
    let cursor: Option<(DateTime<Utc>, String)> = page.cursor()?;
    let (at, id) = cursor.unzip();
    let rows: Vec<UpstreamRow> = sqlx::query_as(&format!(
        "SELECT {} FROM upstreams
         WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2))
         ORDER BY created_at DESC, id DESC LIMIT $3",
        upstream::COLUMNS
    ))
    .bind(at)
    .bind(id)
    .bind(i64::from(limit) + 1)
    .fetch_all(&state.pool)
    .await?;
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
    let row: UpstreamRow = sqlx::query_as(&format!(
        "INSERT INTO upstreams (id, name, description, targets, lb_policy, hc_enabled, hc_path,
            hc_interval_ms, hc_timeout_ms, hc_expected_status, hc_healthy_threshold,
            hc_unhealthy_threshold, eject_after_failures, eject_duration_ms, pool_size,
            connect_timeout_ms, request_timeout_ms, tls)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18) RETURNING {}",
        upstream::COLUMNS
    ))
    .bind(id.as_str())
    .bind(&v.name)
    .bind(&v.description)
    .bind(targets_json(&v))
    .bind(lb_to_db(v.lb_policy))
    .bind(v.hc_enabled)
    .bind(&v.hc_path)
    .bind(v.hc_interval_ms)
    .bind(v.hc_timeout_ms)
    .bind(v.hc_expected_status)
    .bind(v.hc_healthy_threshold)
    .bind(v.hc_unhealthy_threshold)
    .bind(v.eject_after_failures)
    .bind(v.eject_duration_ms)
    .bind(v.pool_size)
    .bind(v.connect_timeout_ms)
    .bind(v.request_timeout_ms)
    .bind(&v.tls)
    .fetch_one(&mut *tx)
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
pub async fn get_upstream(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = super::path_id(&id, UpstreamId::parse)?;
    let mut conn = state.pool.acquire().await?;
    let row = db::upstream(&mut conn, id.as_str(), false)
        .await?
        .ok_or_else(|| Problem::not_found("no such upstream"))?;
    Ok(with_etag(StatusCode::OK, row.version, &row.to_api()?))
}

/// Replace an upstream (If-Match supported).
#[utoipa::path(put, path = "/api/v1/upstreams/{id}", tag = "upstreams", request_body = UpstreamInput,
    params(("id" = String, Path, description = "ups_…"), ("If-Match" = Option<String>, Header, description = "ETag (version) the update applies to")),
    security(("bearer" = [])),
    responses((status = 200, body = Upstream), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
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
    let before = db::upstream(&mut tx, id.as_str(), true)
        .await?
        .ok_or_else(|| Problem::not_found("no such upstream"))?;
    if_match.check(before.version)?;
    let row: UpstreamRow = sqlx::query_as(&format!(
        "UPDATE upstreams SET name=$2, description=$3, targets=$4, lb_policy=$5, hc_enabled=$6,
            hc_path=$7, hc_interval_ms=$8, hc_timeout_ms=$9, hc_expected_status=$10,
            hc_healthy_threshold=$11, hc_unhealthy_threshold=$12, eject_after_failures=$13,
            eject_duration_ms=$14, pool_size=$15, connect_timeout_ms=$16, request_timeout_ms=$17,
            tls=$18, version = version + 1, updated_at = now()
         WHERE id = $1 RETURNING {}",
        upstream::COLUMNS
    ))
    .bind(id.as_str())
    .bind(&v.name)
    .bind(&v.description)
    .bind(targets_json(&v))
    .bind(lb_to_db(v.lb_policy))
    .bind(v.hc_enabled)
    .bind(&v.hc_path)
    .bind(v.hc_interval_ms)
    .bind(v.hc_timeout_ms)
    .bind(v.hc_expected_status)
    .bind(v.hc_healthy_threshold)
    .bind(v.hc_unhealthy_threshold)
    .bind(v.eject_after_failures)
    .bind(v.eject_duration_ms)
    .bind(v.pool_size)
    .bind(v.connect_timeout_ms)
    .bind(v.request_timeout_ms)
    .bind(&v.tls)
    .fetch_one(&mut *tx)
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
    let before = db::upstream(&mut tx, id.as_str(), true)
        .await?
        .ok_or_else(|| Problem::not_found("no such upstream"))?;
    if_match.check(before.version)?;
    let users: Vec<String> =
        sqlx::query_scalar("SELECT id FROM routes WHERE upstream_id = $1 ORDER BY id LIMIT 10")
            .bind(id.as_str())
            .fetch_all(&mut *tx)
            .await?;
    if !users.is_empty() {
        return Err(Problem::conflict(format!(
            "upstream is used by route(s) {}; move or delete them first",
            users.join(", ")
        ))
        .into());
    }
    sqlx::query("DELETE FROM upstreams WHERE id = $1")
        .bind(id.as_str())
        .execute(&mut *tx)
        .await?;
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
