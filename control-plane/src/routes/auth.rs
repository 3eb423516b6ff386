//! `POST /api/v1/auth/login`: email + password → a short access token
//! (`QSGW_JWT_TTL_SECS`, 15 min) and a refresh token
//! (`QSGW_REFRESH_TTL_SECS`, 12 h); `POST /api/v1/auth/refresh` renews the
//! pair; `POST /api/v1/auth/logout` ends every session of the caller. All
//! tokens carry the user's token version (see [`crate::auth::revocation`]).
//!
//! Throttled per client IP and per account; every failure is audited
//! (`auth.login_failed`); an unknown email costs one argon2 verification
//! against a dummy hash, like a known one, so timing does not reveal
//! whether an account exists.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shared::auth::Role;
use shared::error::{ApiError, Problem};
use shared::json::AppJson;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{self, Entry};
use crate::http::context::{Actor, Meta};
use crate::mutation::Mutation;
use crate::repo;
use crate::state::AppState;

/// Login body.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ops@example.com", "password": "correct horse battery"}))]
pub struct LoginRequest {
    /// Account email (case-insensitive).
    pub email: String,
    /// The account's password, verified against its stored argon2id hash.
    pub password: String,
}

/// Issued token.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiJ9…", "token_type": "Bearer", "expires_in": 3600, "role": "operator", "user_id": "usr_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f"}))]
pub struct LoginResponse {
    /// JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
    /// Role granted.
    pub role: Role,
    /// The user's id.
    pub user_id: String,
    /// Send to `POST /api/v1/auth/refresh` for a new pair before the access
    /// token expires; ends with logout, password or role change.
    pub refresh_token: String,
    /// Lifetime of the refresh token in seconds.
    pub refresh_expires_in: u64,
}

/// Refresh body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// The `refresh_token` of the last login or refresh.
    pub refresh_token: String,
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
}

/// Log in with email and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Token issued", body = LoginResponse),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid body", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn login(
    State(state): State<AppState>,
    meta: Meta,
    AppJson(body): AppJson<LoginRequest>,
) -> Result<Response, ApiError> {
    if body.email.is_empty() || body.email.len() > 320 {
        return Err(Problem::invalid_field("email", "must be 1 to 320 bytes").into());
    }
    shared::validation::single_line("email", &body.email)
        .map_err(|e| Problem::validation(vec![e]))?;
    if body.password.is_empty() || body.password.len() > crate::auth::password::MAX_PASSWORD_LEN {
        return Err(Problem::invalid_field("password", "must be 1 to 1024 bytes").into());
    }
    let email = body.email.trim().to_lowercase();
    throttle(&state, &meta, &email)?;

    let row = repo::users::credentials(&state.pool, &email).await?;
    let phc = row
        .as_ref()
        .map_or_else(|| state.dummy_hash.to_string(), |r| r.password_hash.clone());
    let matches = crate::auth::password::verify_blocking(body.password, phc).await?;

    let mut tx = state.pool.begin().await?;
    let user = match row {
        Some(c) if matches && !c.disabled => (c.id, c.role),
        other => {
            // Counted before anything can fail, so an error after it
            // cannot buy a free guess.
            state.login_limits.failed(meta.client_ip, &email);
            let reason = match &other {
                None => "unknown_email",
                Some(c) if c.disabled => "disabled",
                Some(_) => "bad_password",
            };
            audit::record(
                &mut tx,
                &Actor {
                    name: email.clone(),
                    role: None,
                },
                &meta,
                Entry {
                    action: "auth.login_failed",
                    resource_type: "user",
                    resource_id: other.as_ref().map(|c| c.id.as_str()),
                    before: None,
                    after: Some(serde_json::json!({ "reason": reason })),
                    success: false,
                },
            )
            .await?;
            tx.commit().await?;
            return Err(Problem::unauthorized("invalid email or password").into());
        }
    };
    let role: Role = user.1.parse().map_err(Problem::internal)?;
    repo::users::touch_last_login(&mut tx, &user.0).await?;
    audit::record(
        &mut tx,
        &Actor {
            name: user.0.clone(),
            role: Some(role),
        },
        &meta,
        Entry {
            action: "auth.login",
            resource_type: "user",
            resource_id: Some(&user.0),
            before: None,
            after: None,
            success: true,
        },
    )
    .await?;
    tx.commit().await?;
    state.login_limits.succeeded(meta.client_ip, &email);
    pair(&state, &user.0)
        .await?
        .map(|r| AppJson(r).into_response())
        .ok_or_else(|| Problem::unauthorized("invalid email or password").into())
}

/// A fresh access and refresh token for user `id` at its current role and
/// token version; `None` when it no longer exists or is disabled.
#[tracing::instrument(skip(state))]
async fn pair(state: &AppState, id: &str) -> Result<Option<LoginResponse>, Problem> {
    let access_ttl = state.jwt().ttl();
    let Some((access, role)) =
        crate::auth::revocation::issue_for_user(&state.pool, state.jwt(), id, access_ttl).await?
    else {
        return Ok(None);
    };
    let refresh_ttl = state.refresh_jwt.ttl();
    let Some((refresh, _)) =
        crate::auth::revocation::issue_for_user(&state.pool, &state.refresh_jwt, id, refresh_ttl)
            .await?
    else {
        return Ok(None);
    };
    Ok(Some(LoginResponse {
        access_token: access,
        token_type: "Bearer".to_owned(),
        expires_in: access_ttl.as_secs(),
        role,
        user_id: id.to_owned(),
        refresh_token: refresh,
        refresh_expires_in: refresh_ttl.as_secs(),
    }))
}

/// Renew the access token with a refresh token (which is renewed too).
/// Refused (401) once the user logged out, changed password or role, or
/// was disabled or deleted.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New tokens", body = LoginResponse),
        (status = 401, description = "Refresh token invalid, expired or revoked", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all)]
pub async fn refresh(
    State(state): State<AppState>,
    AppJson(body): AppJson<RefreshRequest>,
) -> Result<Response, ApiError> {
    let claims = state
        .refresh_jwt
        .verify(&body.refresh_token)
        .map_err(Problem::from)?;
    let principal = shared::auth::Principal {
        subject: claims.sub.clone(),
        role: claims.role,
        org: None,
        method: shared::auth::AuthMethod::Jwt { jti: claims.jti },
        token_version: claims.ver.unwrap_or(0),
        expires_at: Some(claims.exp),
    };
    if !crate::auth::revocation::live(&state.pool, &principal).await? {
        return Err(Problem::unauthorized("this session has ended; log in again").into());
    }
    pair(&state, &claims.sub)
        .await?
        .map(|r| AppJson(r).into_response())
        .ok_or_else(|| Problem::unauthorized("this session has ended; log in again").into())
}

/// End every session of the calling user: all its access and refresh
/// tokens stop working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, description = "Not a user session", body = Problem, content_type = "application/problem+json"),
    ))]
#[tracing::instrument(skip_all, fields(actor = %principal.subject))]
pub async fn logout(
    State(state): State<AppState>,
    meta: Meta,
    principal: shared::auth::Principal,
) -> Result<axum::http::StatusCode, ApiError> {
    if !matches!(principal.method, shared::auth::AuthMethod::Jwt { .. }) {
        return Err(Problem::unauthorized(
            "logout ends user sessions; API keys are revoked by rotating them",
        )
        .into());
    }
    let mut tx = state.pool.begin().await?;
    repo::users::bump_token_version(&mut tx, &principal.subject).await?;
    Mutation::new(
        tx,
        &state,
        &principal,
        &meta,
        Entry {
            action: "auth.logout",
            resource_type: "user",
            resource_id: Some(&principal.subject),
            before: None,
            after: None,
            success: true,
        },
    )
    .committed()
    .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// 429 with `Retry-After` while `email` may not try from this client.
fn throttle(state: &AppState, meta: &Meta, email: &str) -> Result<(), Problem> {
    state
        .login_limits
        .check(meta.client_ip, email)
        .map_err(|w| Problem::too_many_requests(w.as_secs() + u64::from(w.subsec_nanos() > 0)))
}
