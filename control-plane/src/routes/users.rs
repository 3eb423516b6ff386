//! Users (admin only): list, create, read, update, delete. Password hashes
//! never leave the database: not in responses, not in audit rows.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::auth::{Admin, RequireRole, Role};
use shared::error::Problem;
use shared::ids::UserId;
use shared::json::{AppJson, AppQuery};
use shared::pagination::{Page, PageParams};
use sqlx::PgConnection;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Entry;
use crate::domain::validate::Errors;
use crate::http::conditional::{with_etag, IfMatch};
use crate::http::context::Meta;
use crate::mutation::Mutation;
use crate::repo::{self, Keyset};
use crate::state::AppState;
use shared::error::ApiError;

/// A user as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct User {
    /// `usr_` + 32 hex digits, assigned when the user is created.
    pub id: String,
    /// Login email.
    pub email: String,
    /// Free-text name for the user, at most 200 characters; null when none was given.
    pub display_name: Option<String>,
    /// admin, operator or viewer.
    pub role: String,
    /// Disabled users cannot log in.
    pub disabled: bool,
    /// Last successful login.
    pub last_login_at: Option<DateTime<Utc>>,
    /// Version (ETag).
    pub version: i64,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
    /// When the user was last changed (display name, role, password or `disabled`).
    pub updated_at: DateTime<Utc>,
}

/// Body of `POST /api/v1/users`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ops@example.com", "password": "correct horse battery", "role": "operator"}))]
pub struct CreateUser {
    /// Email, unique case-insensitively.
    pub email: String,
    /// Password, at least 12 characters.
    pub password: String,
    /// admin, operator or viewer.
    pub role: Role,
    /// Display name (≤ 200 characters).
    #[serde(default)]
    pub display_name: Option<String>,
}

/// Body of `PATCH /api/v1/users/{id}`; absent fields are unchanged.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"role": "viewer", "disabled": true}))]
pub struct UpdateUser {
    /// New display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// New role.
    #[serde(default)]
    pub role: Option<Role>,
    /// Disable or enable.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// New password.
    #[serde(default)]
    pub password: Option<String>,
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
}

fn check_email(e: &mut Errors, email: &str) {
    let ok = (3..=320).contains(&email.len())
        && email.split('@').count() == 2
        && !email.starts_with('@')
        && !email.ends_with('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        e.add("email", "must be an email address (3 to 320 characters)");
    }
}

fn check_role(e: &mut Errors, role: Role) {
    if role == Role::Service {
        e.add("role", "must be admin, operator or viewer");
    }
}

fn check_display_name(e: &mut Errors, name: Option<&str>) {
    if let Some(n) = name {
        e.text("display_name", n, 0, 200);
    }
}

fn json<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

fn user_conflict(e: sqlx::Error) -> Problem {
    if shared::db::sqlstate(&e).as_deref() == Some("23505") {
        Problem::invalid_field("email", "is already used by another user")
    } else {
        shared::db::constraint_problem(e)
    }
}

/// List users, newest first.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(PageParams),
    security(("bearer" = [])),
    responses((status = 200, body = Page<User>), (status = 403, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(limit = page.limit))]
pub async fn list_users(
    _: RequireRole<Admin>,
    State(state): State<AppState>,
    AppQuery(page): AppQuery<PageParams>,
) -> Result<AppJson<Page<User>>, ApiError> {
    let (keyset, limit) = Keyset::from_page(&page)?;
    let rows = repo::users::list(&state.pool, &keyset).await?;
    Ok(AppJson(Page::from_overfetch(rows, limit, |u| {
        (u.created_at, u.id.clone())
    })))
}

/// Create a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    security(("bearer" = [])),
    responses((status = 201, body = User), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(actor = %role.0.subject, role = body.role.as_str()))]
pub async fn create_user(
    role: RequireRole<Admin>,
    State(state): State<AppState>,
    meta: Meta,
    AppJson(body): AppJson<CreateUser>,
) -> Result<Response, ApiError> {
    let principal = role.0;
    let mut e = Errors::default();
    let email = body.email.trim().to_owned();
    check_email(&mut e, &email);
    check_role(&mut e, body.role);
    check_display_name(&mut e, body.display_name.as_deref());
    if let Err(p) = crate::auth::password::check_policy("password", &body.password) {
        e.0.extend(p.errors);
    }
    e.finish()?;
    let hash = crate::auth::password::hash_blocking(body.password).await?;
    let mut tx = state.pool.begin().await?;
    let user = repo::users::insert(
        &mut tx,
        &email,
        &hash,
        body.role,
        body.display_name.as_deref(),
    )
    .await
    .map_err(user_conflict)?;
    Mutation::new(
        tx,
        &state,
        &principal,
        &meta,
        Entry {
            action: "user.create",
            resource_type: "user",
            resource_id: Some(&user.id),
            before: None,
            after: json(&user),
            success: true,
        },
    )
    .created(user.version, &user)
    .await
}

/// User `id` (locked for the rest of the transaction with `lock`), or 404.
async fn load(conn: &mut PgConnection, id: &str, lock: bool) -> Result<User, ApiError> {
    let user = if lock {
        repo::users::get_for_update(conn, id).await?
    } else {
        repo::users::get(conn, id).await?
    };
    Ok(user.ok_or_else(|| Problem::not_found("no such user"))?)
}

/// Read a user.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = String, Path, description = "usr_…")),
    security(("bearer" = [])),
    responses((status = 200, body = User), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn get_user(
    _: RequireRole<Admin>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = super::path_id(&id, UserId::parse)?;
    let mut conn = state.pool.acquire().await?;
    let user = load(&mut conn, id.as_str(), false).await?;
    Ok(with_etag(StatusCode::OK, user.version, &user))
}

/// Update a user (If-Match supported).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", request_body = UpdateUser,
    params(("id" = String, Path, description = "usr_…"), ("If-Match" = Option<String>, Header, description = "ETag (version) the update applies to")),
    security(("bearer" = [])),
    responses((status = 200, body = User), (status = 409, description = "Demoting or disabling yourself, or the last enabled admin", body = Problem, content_type = "application/problem+json"), (status = 412, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(actor = %role.0.subject, id = %id))]
pub async fn update_user(
    role: RequireRole<Admin>,
    State(state): State<AppState>,
    meta: Meta,
    if_match: IfMatch,
    Path(id): Path<String>,
    AppJson(body): AppJson<UpdateUser>,
) -> Result<Response, ApiError> {
    let principal = role.0;
    let id = super::path_id(&id, UserId::parse)?;
    let mut e = Errors::default();
    if let Some(r) = body.role {
        check_role(&mut e, r);
    }
    check_display_name(&mut e, body.display_name.as_deref());
    if let Some(pw) = &body.password {
        if let Err(p) = crate::auth::password::check_policy("password", pw) {
            e.0.extend(p.errors);
        }
    }
    e.finish()?;
    let hash = match body.password {
        Some(pw) => Some(crate::auth::password::hash_blocking(pw).await?),
        None => None,
    };
    let demotes = body.role.is_some_and(|r| r != Role::Admin) || body.disabled == Some(true);
    if demotes && principal.subject == id.as_str() {
        // Say which guard holds when both do: the sole admin learns what
        // to do (make another admin), not only that it cannot.
        return Err(match keep_an_admin(&mut *state.pool.acquire().await?, id.as_str()).await {
            Err(_) => Problem::conflict(
                "you are the last enabled admin and cannot demote or disable your own account: make another user admin first",
            ),
            Ok(()) => Problem::conflict(
                "you cannot demote or disable your own account; another admin can",
            ),
        }
        .into());
    }
    let mut tx = state.pool.begin().await?;
    if demotes {
        repo::users::lock_admins(&mut tx).await?;
    }
    let before = load(&mut tx, id.as_str(), true).await?;
    if_match.check(before.version)?;
    if demotes && before.role == Role::Admin.as_str() && !before.disabled {
        keep_an_admin(&mut tx, id.as_str()).await?;
    }
    let after = repo::users::update(
        &mut tx,
        id.as_str(),
        repo::users::Changes {
            display_name: body.display_name.as_deref(),
            role: body.role,
            disabled: body.disabled,
            password_hash: hash.as_deref(),
        },
    )
    .await?;
    let mut after_json = json(&after);
    if hash.is_some() {
        // Record that the password changed, never the hash.
        if let Some(serde_json::Value::Object(m)) = after_json.as_mut() {
            m.insert("password_changed".to_owned(), serde_json::Value::Bool(true));
        }
    }
    Mutation::new(
        tx,
        &state,
        &principal,
        &meta,
        Entry {
            action: "user.update",
            resource_type: "user",
            resource_id: Some(&after.id),
            before: json(&before),
            after: after_json,
            success: true,
        },
    )
    .replaced(after.version, &after)
    .await
}

/// Delete a user (not yourself, not the last enabled admin).
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users",
    params(("id" = String, Path, description = "usr_…"), ("If-Match" = Option<String>, Header, description = "ETag (version)")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(actor = %role.0.subject, id = %id))]
pub async fn delete_user(
    role: RequireRole<Admin>,
    State(state): State<AppState>,
    meta: Meta,
    if_match: IfMatch,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let principal = role.0;
    let id = super::path_id(&id, UserId::parse)?;
    if principal.subject == id.as_str() {
        return Err(Problem::conflict("you cannot delete your own account").into());
    }
    let mut tx = state.pool.begin().await?;
    repo::users::lock_admins(&mut tx).await?;
    let before = load(&mut tx, id.as_str(), true).await?;
    if_match.check(before.version)?;
    if before.role == Role::Admin.as_str() && !before.disabled {
        keep_an_admin(&mut tx, id.as_str()).await?;
    }
    repo::users::delete(&mut tx, id.as_str()).await?;
    Mutation::new(
        tx,
        &state,
        &principal,
        &meta,
        Entry {
            action: "user.delete",
            resource_type: "user",
            resource_id: Some(id.as_str()),
            before: json(&before),
            after: None,
            success: true,
        },
    )
    .deleted()
    .await
}

/// 409 when `id` is the last enabled admin: without one, nobody can manage
/// users any more (the console locks everyone out).
async fn keep_an_admin(tx: &mut sqlx::PgConnection, id: &str) -> Result<(), ApiError> {
    if repo::users::other_enabled_admins(tx, id).await? == 0 {
        return Err(Problem::conflict(
            "this is the last enabled admin: make another user admin first",
        )
        .into());
    }
    Ok(())
}
