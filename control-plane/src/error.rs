//! The control plane's one error type. Handlers return
//! `Result<_, ApiError>` and use `?` on both their own [`Problem`]s and
//! `sqlx::Error`s; the database error is mapped once, here, when the
//! response is built — not by a `map_err` at every query.

use axum::response::{IntoResponse, Response};
use shared::error::Problem;

/// Why a request failed.
#[derive(Debug)]
pub enum ApiError {
    /// An answer the handler already decided (a 4xx, or a 500 it logged).
    Problem(Problem),
    /// A database failure: a constraint violation the handler could not
    /// pre-check (a race) becomes 409/422, an unavailable database 503,
    /// anything else a logged, opaque 500 ([`shared::db::constraint_problem`]).
    Database(sqlx::Error),
}

impl From<Problem> for ApiError {
    fn from(p: Problem) -> Self {
        Self::Problem(p)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        Self::Database(e)
    }
}

impl From<ApiError> for Problem {
    /// The one mapping of every failure to the problem+json envelope.
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Problem(p) => p,
            ApiError::Database(e) => shared::db::constraint_problem(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}
