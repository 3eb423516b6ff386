//! `POST /api/v1/auth/login`: email + password → access token.
//!
//! Throttled per client IP and per account; every failure is audited
//! (`auth.login_failed`); an unknown email costs one argon2 verification
//! against a dummy hash, like a known one, so timing does not reveal
//! whether an account exists.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shared::auth::Role;
use shared::error::Problem;
use shared::json::AppJson;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::{self, Entry};
use crate::ctx::{Actor, Meta};
use crate::state::AppState;

/// Login body.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"email": "ops@example.com", "password": "correct horse battery"}))]
pub struct LoginRequest {
    /// Account email (case-insensitive).
    pub email: String,
    /// Password.
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
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(login))
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
pub async fn login(
    State(state): State<AppState>,
    meta: Meta,
    AppJson(body): AppJson<LoginRequest>,
) -> Result<Response, Problem> {
    if body.email.is_empty() || body.email.len() > 320 {
        return Err(Problem::invalid_field("email", "must be 1 to 320 bytes"));
    }
    if body.password.is_empty() || body.password.len() > crate::password::MAX_PASSWORD_LEN {
        return Err(Problem::invalid_field(
            "password",
            "must be 1 to 1024 bytes",
        ));
    }
    let email = body.email.trim().to_lowercase();
    throttle(&state, &meta, &email)?;

    let row: Option<(String, String, String, bool)> = sqlx::query_as(
        "SELECT id, password_hash, role, disabled FROM users WHERE lower(email) = $1",
    )
    .bind(&email)
    .fetch_optional(&state.pool)
    .await
    .map_err(Problem::internal)?;
    let phc = row
        .as_ref()
        .map_or_else(|| state.dummy_hash.to_string(), |r| r.1.clone());
    let matches = crate::password::verify_blocking(body.password, phc).await?;

    let mut tx = state.pool.begin().await.map_err(Problem::internal)?;
    let user = match row {
        Some((id, _, role, disabled)) if matches && !disabled => (id, role),
        other => {
            let reason = match &other {
                None => "unknown_email",
                Some((_, _, _, true)) => "disabled",
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
                    resource_id: other.as_ref().map(|r| r.0.as_str()),
                    before: None,
                    after: Some(serde_json::json!({ "reason": reason })),
                    success: false,
                },
            )
            .await
            .map_err(Problem::internal)?;
            tx.commit().await.map_err(Problem::internal)?;
            return Err(Problem::unauthorized("invalid email or password"));
        }
    };
    let role: Role = user.1.parse().map_err(Problem::internal)?;
    sqlx::query("UPDATE users SET last_login_at = now() WHERE id = $1")
        .bind(&user.0)
        .execute(&mut *tx)
        .await
        .map_err(Problem::internal)?;
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
    .await
    .map_err(Problem::internal)?;
    tx.commit().await.map_err(Problem::internal)?;
    let (token, _) = state.jwt().issue(&user.0, role, None)?;
    Ok(AppJson(LoginResponse {
        access_token: token,
        token_type: "Bearer".to_owned(),
        expires_in: state.jwt().ttl().as_secs(),
        role,
        user_id: user.0,
    })
    .into_response())
}

fn throttle(state: &AppState, meta: &Meta, email: &str) -> Result<(), Problem> {
    use governor::clock::{Clock, DefaultClock};
    let wait = |nu: governor::NotUntil<governor::clock::QuantaInstant>| {
        let w = nu.wait_time_from(DefaultClock::default().now());
        Problem::too_many_requests(w.as_secs() + u64::from(w.subsec_nanos() > 0))
    };
    if let Some(ip) = meta.client_ip {
        state.login_limits.per_ip.check_key(&ip).map_err(wait)?;
    }
    // Hostile callers can invent emails without end: drop idle buckets
    // before the map grows large.
    if state.login_limits.per_account.len() > 10_000 {
        state.login_limits.per_account.retain_recent();
    }
    state
        .login_limits
        .per_account
        .check_key(&email.to_owned())
        .map_err(wait)?;
    Ok(())
}
