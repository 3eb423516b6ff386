//! `POST /api/v1/tokens/revoke`: ending a QRAP token before its expiry.
//!
//! QRAP tokens live up to 24 h (`QUANTUN_JWT_TTL_SECS`); a leaked one must
//! not stay usable that long. Revocation writes the token's id (`jti`) to
//! `revoked_tokens` with the token's expiry; [`check`] refuses such tokens
//! on every request, on every replica (the list is in Postgres). Entries
//! are purged once their token has expired, so the list holds at most the
//! revocations of one token lifetime.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;
use shared::auth::{Admin, AuthError, AuthMethod, RequireRole};
use shared::error::Problem;
use shared::json::AppJson;
use utoipa::ToSchema;

use super::actor;
use crate::repo::{audit, tokens};
use crate::state::AppState;
use shared::error::ApiError;

/// Which token to revoke: the token itself (preferred: its expiry and
/// organization are read from it), or only its id (platform admins; the
/// entry is then kept for the longest token lifetime).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "eyJhbGciOiJIUzI1NiJ9…"}))]
pub struct RevokeRequest {
    /// A QRAP bearer token.
    pub token: Option<String>,
    /// A token id (`jti` claim).
    pub jti: Option<String>,
}

/// Revokes a token (admin). An admin confined to an organization revokes
/// that organization's tokens only. Idempotent: 204 also for a token
/// already revoked or already expired (nothing left to refuse).
#[utoipa::path(post, path = "/api/v1/tokens/revoke", tag = "session",
    request_body = RevokeRequest,
    responses(
        (status = 204, description = "The token is refused from now on (or had already expired)"),
        (status = 403, description = "Not an admin, or the token belongs to another organization", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Neither a valid token nor a jti", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject))]
pub async fn revoke_token(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Admin>,
    AppJson(body): AppJson<RevokeRequest>,
) -> Result<StatusCode, ApiError> {
    let caller_org = super::scope(&p)?;
    let (jti, expires_at, org) = match (&body.token, &body.jti) {
        (Some(token), None) => {
            let claims = match state.auth.jwt.verify(token) {
                Ok(c) => c,
                // Already refused everywhere: nothing left to revoke.
                Err(AuthError::InvalidToken("token expired")) => return Ok(StatusCode::NO_CONTENT),
                Err(e) => return Err(Problem::invalid_field("token", e.to_string()).into()),
            };
            if caller_org.is_some() && claims.org != caller_org {
                return Err(Problem::forbidden("the token belongs to another organization").into());
            }
            let exp = DateTime::<Utc>::from_timestamp(claims.exp, 0)
                .ok_or_else(|| Problem::invalid_field("token", "expiry out of range"))?;
            (claims.jti, exp, claims.org)
        }
        (None, Some(jti)) => {
            if caller_org.is_some() {
                return Err(Problem::forbidden(
                    "an organization admin revokes by token (its organization is checked); only a platform admin revokes by jti",
                )
                .into());
            }
            if jti.is_empty() || jti.len() > 128 {
                return Err(Problem::invalid_field("jti", "must be 1 to 128 bytes").into());
            }
            shared::validation::single_line("jti", jti)
                .map_err(|e| Problem::validation(vec![e]))?;
            let ttl = chrono::Duration::from_std(state.auth.jwt.ttl())
                .unwrap_or_else(|_| chrono::Duration::days(1));
            (jti.clone(), Utc::now() + ttl, None)
        }
        _ => {
            return Err(Problem::invalid_field("token", "send exactly one of token and jti").into())
        }
    };
    let mut tx = state.pool.begin().await?;
    tokens::purge_expired(&mut tx).await?;
    if expires_at > Utc::now() {
        tokens::revoke(&mut tx, &jti, expires_at, org.as_deref(), &p.subject).await?;
    }
    audit::append(
        &mut tx,
        &actor(&p),
        org.as_deref(),
        "token.revoke",
        "token",
        &jti,
        json!({"expires_at": expires_at}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Middleware for [`axum::middleware::from_fn_with_state`]: a bearer token
/// whose id was revoked is answered 401 before any handler runs. Missing
/// or invalid credentials are left to the extractors (401 with the reason).
pub async fn check(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let Ok(principal) = state.auth.authenticate_request(&mut req) else {
        return next.run(req).await;
    };
    let AuthMethod::Jwt { jti } = &principal.method else {
        return next.run(req).await;
    };
    match tokens::is_revoked(&state.pool, jti).await {
        Ok(false) => next.run(req).await,
        Ok(true) => {
            let mut p = Problem::unauthorized("this token was revoked; ask for a new one");
            p.www_authenticate = Some("Bearer error=\"invalid_token\"".to_owned());
            p.into_response()
        }
        Err(e) => shared::db::problem(e).into_response(),
    }
}
