//! Organizations (tenants): admins manage them; everyone else sees only
//! their own.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use shared::auth::{Admin, RequireRole};
use shared::error::{FieldError, Problem};
use shared::ids::OrgId;
use shared::json::{AppJson, AppQuery};
use utoipa::{IntoParams, ToSchema};

use super::{actor, counted_page, page, parse_id, scope, Reader};
use crate::repo::{audit, organizations, Organization};
use crate::state::AppState;
use shared::error::ApiError;
use shared::pagination::CountedPage;

/// Create body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateOrganization {
    /// 1..200 characters, unique case-insensitively.
    pub name: String,
    /// Up to 2000 characters.
    #[serde(default)]
    pub description: Option<String>,
}

/// Update body (absent fields unchanged).
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateOrganization {
    /// New name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description.
    #[serde(default)]
    pub description: Option<String>,
}

/// List parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListOrganizations {
    /// Page size 1..500 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn check(name: Option<&str>, description: Option<&str>) -> Result<(), Problem> {
    let mut errors = Vec::new();
    if let Some(n) = name {
        if n.trim().is_empty() || n.chars().count() > 200 || n.chars().any(char::is_control) {
            errors.push(FieldError::new(
                "name",
                "must be 1..200 printable characters",
            ));
        }
    }
    if let Some(Err(e)) = description.map(|d| shared::validation::multi_line("description", d)) {
        errors.push(e);
    } else if description.is_some_and(|d| d.chars().count() > 2000) {
        errors.push(FieldError::new(
            "description",
            "must be at most 2000 characters",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Problem::validation(errors))
    }
}

/// A taken name is the caller's conflict, said plainly (the generic
/// mapping would only name the index); anything else maps as usual.
fn unique(e: sqlx::Error) -> ApiError {
    if shared::db::sqlstate(&e).as_deref() == Some("23505") {
        Problem::conflict("an organization with this name already exists").into()
    } else {
        e.into()
    }
}

/// Creates an organization (admin).
#[utoipa::path(post, path = "/api/v1/organizations", tag = "organizations",
    request_body = CreateOrganization,
    responses((status = 201, body = Organization), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject))]
pub async fn create_organization(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Admin>,
    AppJson(body): AppJson<CreateOrganization>,
) -> Result<(StatusCode, AppJson<Organization>), ApiError> {
    super::platform_admin(&p)?;
    check(Some(&body.name), body.description.as_deref())?;
    let mut tx = state.pool.begin().await?;
    let org = organizations::create(
        &mut tx,
        OrgId::new().as_str(),
        body.name.trim(),
        body.description.as_deref(),
    )
    .await
    .map_err(unique)?;
    audit::append(
        &mut tx,
        &actor(&p),
        Some(&org.id),
        "organization.create",
        "organization",
        &org.id,
        json!({"name": org.name}),
    )
    .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, AppJson(org)))
}

/// Lists organizations (non-admins: only their own).
#[utoipa::path(get, path = "/api/v1/organizations", tag = "organizations",
    params(ListOrganizations),
    responses((status = 200, body = CountedPage<Organization>)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject))]
pub async fn list_organizations(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Reader>,
    AppQuery(q): AppQuery<ListOrganizations>,
) -> Result<AppJson<CountedPage<Organization>>, ApiError> {
    let org = scope(&p)?;
    let (limit, offset) = page(q.limit, q.cursor)?;
    let (rows, total) = organizations::page(&state.pool, org.as_deref(), limit, offset).await?;
    Ok(AppJson(counted_page(rows, limit, offset, total)))
}

/// One organization.
#[utoipa::path(get, path = "/api/v1/organizations/{id}", tag = "organizations",
    params(("id" = String, Path, description = "Organization id")),
    responses((status = 200, body = Organization), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject, org = %id))]
pub async fn get_organization(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Reader>,
    Path(id): Path<String>,
) -> Result<AppJson<Organization>, ApiError> {
    let org = scope(&p)?;
    let id = parse_id(&id, OrgId::parse, "organization")?;
    Ok(organizations::get(&state.pool, id.as_str(), org.as_deref())
        .await?
        .map(AppJson)
        .ok_or_else(|| Problem::not_found("organization not found"))?)
}

/// Updates an organization (admin).
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", tag = "organizations",
    params(("id" = String, Path, description = "Organization id")),
    request_body = UpdateOrganization,
    responses((status = 200, body = Organization), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject, org = %id))]
pub async fn update_organization(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Admin>,
    Path(id): Path<String>,
    AppJson(body): AppJson<UpdateOrganization>,
) -> Result<AppJson<Organization>, ApiError> {
    let id = parse_id(&id, OrgId::parse, "organization")?;
    // An organization's own admin may rename it; other tenants' ids are 404.
    if scope(&p)?.is_some_and(|own| own != id.as_str()) {
        return Err(Problem::not_found("organization not found").into());
    }
    check(body.name.as_deref(), body.description.as_deref())?;
    let mut tx = state.pool.begin().await?;
    let org = organizations::update(
        &mut tx,
        id.as_str(),
        body.name.as_deref().map(str::trim),
        body.description.as_deref(),
    )
    .await
    .map_err(unique)?
    .ok_or_else(|| Problem::not_found("organization not found"))?;
    audit::append(
        &mut tx,
        &actor(&p),
        Some(&org.id),
        "organization.update",
        "organization",
        &org.id,
        json!({"name": body.name, "description": body.description.is_some()}),
    )
    .await?;
    tx.commit().await?;
    Ok(AppJson(org))
}

/// Deletes an organization and everything below it (admin).
#[utoipa::path(delete, path = "/api/v1/organizations/{id}", tag = "organizations",
    params(("id" = String, Path, description = "Organization id")),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject, org = %id))]
pub async fn delete_organization(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Admin>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    super::platform_admin(&p)?;
    let id = parse_id(&id, OrgId::parse, "organization")?;
    let mut tx = state.pool.begin().await?;
    if !organizations::delete(&mut tx, id.as_str()).await? {
        return Err(Problem::not_found("organization not found").into());
    }
    audit::append(
        &mut tx,
        &actor(&p),
        Some(id.as_str()),
        "organization.delete",
        "organization",
        id.as_str(),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
