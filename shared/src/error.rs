//! RFC 9457 problem details: the one error shape every API answers with.
//!
//! Services map their own error enums into [`Problem`]; the HTTP stack's
//! [`crate::http`] layer also turns framework-generated errors (404, 405,
//! 413, timeouts, panics) into this shape, so a client never sees anything
//! else. 5xx bodies never carry internal causes: those are logged once.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::request_id;

/// Media type of problem responses.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Base of the `type` URIs; the last segment is the stable [`Problem::code`].
pub const PROBLEM_TYPE_BASE: &str = "https://quantun.dev/problems/";

/// One invalid input field in a 422 response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// Path of the field, e.g. `targets[0].port` or `limit`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "https://quantun.dev/problems/validation-failed",
    "title": "Unprocessable Content",
    "status": 422,
    "detail": "the request body has invalid fields",
    "code": "validation-failed",
    "request_id": "req_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f",
    "errors": [{"field": "targets[0].port", "message": "must be between 1 and 65535"}]
}))]
pub struct Problem {
    /// URI identifying the problem type.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// Explanation specific to this occurrence.
    pub detail: String,
    /// Stable machine-readable code (last segment of `type`).
    pub code: String,
    /// The request id of the failed request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Invalid fields (422 only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds for `Retry-After` (429, 503).
    #[serde(skip)]
    pub retry_after: Option<u64>,
    /// Challenge for `WWW-Authenticate` (401).
    #[serde(skip)]
    pub www_authenticate: Option<String>,
}

impl Problem {
    /// A problem with `status`, stable `code` and `detail`.
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self {
            type_uri: format!("{PROBLEM_TYPE_BASE}{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            request_id: None,
            errors: Vec::new(),
            retry_after: None,
            www_authenticate: None,
        }
    }

    /// 400: the request cannot be parsed.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad-request", detail)
    }

    /// 401 with a `WWW-Authenticate: Bearer` challenge.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        let mut p = Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail);
        p.www_authenticate = Some("Bearer".to_owned());
        p
    }

    /// 403: authenticated but not allowed.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// 404.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", detail)
    }

    /// 412: `If-Match` names a stale version.
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::PRECONDITION_FAILED,
            "precondition-failed",
            detail,
        )
    }

    /// 413: the body is larger than allowed.
    pub fn payload_too_large(limit_bytes: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            format!("request body exceeds the limit of {limit_bytes} bytes"),
        )
    }

    /// 415: wrong `Content-Type`.
    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            detail,
        )
    }

    /// 422 with the fields at fault.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => format!("{} fields are invalid", errors.len()),
        };
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
            detail,
        );
        p.errors = errors;
        p
    }

    /// 422 for a single field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    /// 429 with `Retry-After`.
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        let mut p = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            format!("rate limit exceeded, retry in {retry_after_secs} s"),
        );
        p.retry_after = Some(retry_after_secs.max(1));
        p
    }

    /// 503: a dependency is unavailable.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }

    /// 500 after logging `err` with its cause chain. The body says only
    /// "internal error". A `sqlx::Error` that means the database is down or
    /// saturated becomes the 503 of [`crate::db::problem`] instead: one
    /// mapping, whichever way a handler hands the error over.
    pub fn internal<E>(err: E) -> Self
    where
        E: std::fmt::Display + std::fmt::Debug + 'static,
    {
        if let Some(e) = (&err as &dyn std::any::Any).downcast_ref::<sqlx::Error>() {
            if crate::db::is_unavailable(e) {
                return crate::db::unavailable(e);
            }
        }
        tracing::error!(error = %err, debug = ?err, "internal error");
        Self::internal_opaque()
    }

    /// 500 without logging (the cause was logged elsewhere).
    pub fn internal_opaque() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }

    /// The HTTP status.
    pub fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.detail)
    }
}

impl std::error::Error for Problem {}

impl From<sqlx::Error> for Problem {
    /// See [`crate::db::problem`].
    fn from(e: sqlx::Error) -> Self {
        crate::db::problem(e)
    }
}

impl IntoResponse for Problem {
    fn into_response(mut self) -> Response {
        if self.request_id.is_none() {
            self.request_id = request_id::current().map(|r| r.as_str().to_owned());
        }
        let status = self.status_code();
        let body = serde_json::to_vec(&self).unwrap_or_else(|_| b"{}".to_vec());
        let mut resp = (status, body).into_response();
        let h = resp.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(secs) = self.retry_after {
            h.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(challenge) = self.www_authenticate.as_deref() {
            if let Ok(v) = HeaderValue::from_str(challenge) {
                h.insert(header::WWW_AUTHENTICATE, v);
            }
        }
        resp
    }
}

/// The error type of a service's handlers (control plane and risk API):
/// they return `Result<_, ApiError>` and use `?` on both their own
/// [`Problem`]s and `sqlx::Error`s; the database error is mapped once,
/// here, when the response is built — not by a `map_err` at every query.
#[derive(Debug)]
pub enum ApiError {
    /// An answer the handler already decided (a 4xx, or a 500 it logged).
    Problem(Problem),
    /// A database failure: a constraint violation the handler could not
    /// pre-check (a race) becomes 409/422, an unavailable database 503,
    /// anything else a logged, opaque 500 ([`crate::db::constraint_problem`]).
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
            ApiError::Database(e) => crate::db::constraint_problem(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        Problem::from(self).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_problem_shape() {
        let p = Problem::invalid_field("limit", "must be at most 500");
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["status"], 422);
        assert_eq!(v["type"], "https://quantun.dev/problems/validation-failed");
        assert_eq!(v["errors"][0]["field"], "limit");
        assert_eq!(v["detail"], "limit: must be at most 500");
        assert!(v.get("retry_after").is_none());
    }

    #[test]
    fn too_many_requests_sets_retry_after_header() {
        let resp = Problem::too_many_requests(7).into_response();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(resp.headers()[header::RETRY_AFTER], "7");
        assert_eq!(resp.headers()[header::CONTENT_TYPE], PROBLEM_JSON);
    }
}
