//! Optimistic concurrency (`If-Match` / `ETag` carrying the resource
//! `version`) and create idempotency (`Idempotency-Key`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use shared::error::{ApiError, Problem};
use sqlx::PgConnection;

use crate::repo::idempotency;

/// The `Idempotency-Key` header.
pub static IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// Longest accepted idempotency key (the column allows 255).
pub const MAX_KEY_LEN: usize = 255;

/// The version an `If-Match` header requires, if the header is present.
#[derive(Debug, Clone, Copy)]
pub struct IfMatch(pub Option<i64>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(v) = parts.headers.get(header::IF_MATCH) else {
            return Ok(Self(None));
        };
        let bad = || {
            Problem::bad_request(
                "If-Match must be the ETag of the resource, e.g. \"3\" (its version)",
            )
        };
        let text = v.to_str().map_err(|_| bad())?.trim();
        if text == "*" {
            return Ok(Self(None));
        }
        let text = text.strip_prefix("W/").unwrap_or(text);
        let text = text.trim_matches('"');
        let version: i64 = text.parse().map_err(|_| bad())?;
        if version < 1 {
            return Err(bad());
        }
        Ok(Self(Some(version)))
    }
}

impl IfMatch {
    /// 412 unless the header is absent or names `current`.
    pub fn check(self, current: i64) -> Result<(), Problem> {
        match self.0 {
            Some(v) if v != current => Err(Problem::precondition_failed(format!(
                "If-Match names version {v} but the resource is at version {current}"
            ))),
            _ => Ok(()),
        }
    }
}

/// The ETag of a version.
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// A JSON response with an `ETag`.
pub fn with_etag<T: Serialize>(status: StatusCode, version: i64, body: &T) -> Response {
    let mut r = (status, axum::Json(body)).into_response();
    r.headers_mut().insert(header::ETAG, etag(version));
    r
}

/// A validated `Idempotency-Key` header.
#[derive(Debug, Clone)]
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(v) = parts.headers.get(&IDEMPOTENCY_KEY) else {
            return Ok(Self(None));
        };
        let bad = || {
            Problem::bad_request(format!(
                "Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"
            ))
        };
        let text = v.to_str().map_err(|_| bad())?;
        if text.is_empty()
            || text.len() > MAX_KEY_LEN
            || !text.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(bad());
        }
        Ok(Self(Some(text.to_owned())))
    }
}

/// What claiming an idempotency key found.
#[derive(Debug)]
pub enum Claim {
    /// First use: go ahead and create, then [`complete`].
    Fresh,
    /// Already completed: replay this response.
    Replay(Response),
}

/// Digest of the request a key was first used with.
pub fn request_hash<T: Serialize>(method: &str, path: &str, body: &T) -> String {
    let mut h = Sha256::new();
    h.update(method.as_bytes());
    h.update(b" ");
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(serde_json::to_vec(body).unwrap_or_default());
    hex::encode(h.finalize())
}

/// Claims `key` for `actor` inside the create's transaction. A concurrent
/// retry blocks on the primary key until this transaction ends, then sees
/// the stored response, so only one row is ever created.
pub async fn claim(
    conn: &mut PgConnection,
    actor: &str,
    key: &str,
    method: &str,
    path: &str,
    hash: &str,
) -> Result<Claim, ApiError> {
    if idempotency::insert(&mut *conn, actor, key, method, path, hash).await? {
        return Ok(Claim::Fresh);
    }
    let Some(stored) = idempotency::get(&mut *conn, actor, key).await? else {
        return Err(Problem::conflict("Idempotency-Key is being used concurrently; retry").into());
    };
    if stored.method != method || stored.path != path || stored.request_hash != hash {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
            "Idempotency-Key was already used with a different request",
        )
        .into());
    }
    let (status, body) = (stored.response_status, stored.response_body);
    match (status, body) {
        (Some(s), Some(b)) => {
            let status =
                StatusCode::from_u16(u16::try_from(s).unwrap_or(200)).unwrap_or(StatusCode::OK);
            let version = b.get("version").and_then(Value::as_i64).unwrap_or(1);
            let mut r = with_etag(status, version, &b);
            r.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            Ok(Claim::Replay(r))
        }
        _ => Err(Problem::conflict("Idempotency-Key is being used concurrently; retry").into()),
    }
}

/// Stores the response of a fresh create under its key (same transaction).
pub async fn complete(
    conn: &mut PgConnection,
    actor: &str,
    key: &str,
    status: StatusCode,
    body: &Value,
    resource_id: &str,
) -> Result<(), sqlx::Error> {
    idempotency::complete(
        conn,
        actor,
        key,
        i32::from(status.as_u16()),
        body,
        resource_id,
    )
    .await
}
