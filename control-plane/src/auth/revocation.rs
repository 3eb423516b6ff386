//! Sessions that end when they should: a layer on the API checks every
//! bearer token against `users` (one indexed lookup per request).
//!
//! A control-plane JWT is a user session, nothing else: its subject must be
//! the id of an existing, enabled user, its role that user's current role,
//! and its `ver` claim the user's current `token_version`. A password or
//! role change, disabling and `POST /api/v1/auth/logout` bump the version
//! (migration 0010's trigger, and `POST /api/v1/auth/logout`), so every live token of that
//! user stops working at once rather than at expiry. Anyone holding the
//! signing secret therefore cannot mint working tokens for invented
//! subjects; automation uses the service API key (`X-API-Key`), which is
//! not a JWT and is left to the role extractors.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shared::auth::{AuthMethod, JwtKeys, Principal, Role};
use shared::error::Problem;
use shared::ids::UserId;
use sqlx::PgPool;

use crate::repo;
use crate::state::AppState;

/// The answer to a token that no longer names a live session.
fn revoked() -> Problem {
    let mut p = Problem::unauthorized(
        "this session has ended (logout, password or role change, disabled or deleted account); log in again",
    );
    p.www_authenticate = Some("Bearer error=\"invalid_token\"".to_owned());
    p
}

/// Middleware for [`axum::middleware::from_fn_with_state`].
pub async fn check_user(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    // Bad or missing credentials are answered by the extractors (401 with
    // the precise reason); only valid tokens are checked here.
    let Ok(principal) = state.auth.authenticate_request(&mut req) else {
        return next.run(req).await;
    };
    match live(&state.pool, &principal).await {
        Ok(true) => next.run(req).await,
        Ok(false) => revoked().into_response(),
        Err(e) => shared::db::problem(e).into_response(),
    }
}

/// Whether `principal` is a live session: an API key, or a JWT naming an
/// existing enabled user with the same role and token version.
#[tracing::instrument(level = "debug", skip_all, fields(subject = %principal.subject), err)]
pub async fn live(pool: &PgPool, principal: &Principal) -> Result<bool, sqlx::Error> {
    if !matches!(principal.method, AuthMethod::Jwt { .. }) {
        return Ok(true);
    }
    let Ok(user_id) = UserId::parse(&principal.subject) else {
        return Ok(false);
    };
    let session = repo::users::session(pool, user_id.as_str()).await?;
    Ok(session.is_some_and(|s| {
        !s.disabled
            && s.role == principal.role.as_str()
            && s.token_version == principal.token_version
    }))
}

/// Issues an access token for user `id` with its current role and token
/// version, living `ttl`; `None` when the user does not exist or is
/// disabled, so no token is issued.
#[tracing::instrument(level = "debug", skip(pool, jwt), err)]
pub async fn issue_for_user(
    pool: &PgPool,
    jwt: &JwtKeys,
    id: &str,
    ttl: Duration,
) -> Result<Option<(String, Role)>, Problem> {
    let session = repo::users::session(pool, id)
        .await
        .map_err(shared::db::problem)?;
    let Some(s) = session.filter(|s| !s.disabled) else {
        return Ok(None);
    };
    let role: Role = s.role.parse().map_err(Problem::internal)?;
    let (token, _) = jwt.issue_with(id, role, None, Some(s.token_version), ttl)?;
    Ok(Some((token, role)))
}
