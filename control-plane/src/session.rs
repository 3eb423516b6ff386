//! Tokens of users who were disabled, deleted or given another role stop
//! working at once rather than at expiry: a layer on the API checks the
//! token's subject against `users` (one indexed lookup per request).
//! Service API keys, and tokens whose subject is not a user id, are left to
//! the role extractors.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use shared::auth::AuthMethod;
use shared::error::Problem;
use shared::ids::UserId;

use crate::state::AppState;

/// Middleware for [`axum::middleware::from_fn_with_state`].
pub async fn check_user(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Bad or missing credentials are answered by the extractors (401 with
    // the precise reason); only valid user tokens are checked here.
    let Ok(principal) = state.auth.authenticate(req.headers()) else {
        return next.run(req).await;
    };
    if !matches!(principal.method, AuthMethod::Jwt { .. }) {
        return next.run(req).await;
    }
    let Ok(user_id) = UserId::parse(&principal.subject) else {
        return next.run(req).await;
    };
    let row: Result<Option<(String, bool)>, sqlx::Error> =
        sqlx::query_as("SELECT role, disabled FROM users WHERE id = $1")
            .bind(user_id.as_str())
            .fetch_optional(&state.pool)
            .await;
    match row {
        Ok(Some((role, false))) if role == principal.role.as_str() => next.run(req).await,
        Ok(_) => Problem::unauthorized(
            "this account was disabled, deleted or changed role; log in again",
        )
        .into_response(),
        Err(e) => Problem::internal(e).into_response(),
    }
}
