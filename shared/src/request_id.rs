//! Request ids: accepted from `X-Request-Id` when well-formed, generated
//! otherwise, echoed on the response, visible to the whole request through a
//! task-local, and forwarded by [`crate::http_client`] on outgoing calls.

use std::fmt;

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The header name.
pub static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest accepted incoming id; longer ones are replaced, not truncated.
pub const MAX_LEN: usize = 128;

tokio::task_local! {
    static CURRENT: RequestId;
}

/// A fresh id's bytes: `req_` + 32 hex chars of a time-ordered UUID.
fn fresh() -> [u8; 36] {
    let mut buf = [0u8; 36];
    buf[..4].copy_from_slice(b"req_");
    uuid::Uuid::now_v7().simple().encode_lower(&mut buf[4..]);
    buf
}

/// A validated request id.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RequestId(String);

impl RequestId {
    /// A fresh id: `req_` + 32 hex chars of a time-ordered UUID.
    pub fn generate() -> Self {
        Self(String::from_utf8_lossy(&fresh()).into_owned())
    }

    /// Accepts an incoming id if it is 1..=128 chars of `[A-Za-z0-9._:-]`.
    /// Anything else (control chars, spaces, very long values) is rejected so
    /// that a client cannot inject into logs.
    pub fn parse(s: &str) -> Option<Self> {
        Self::is_valid(s.as_bytes()).then(|| Self(s.to_owned()))
    }

    /// Whether `id` is acceptable as an incoming id (see [`RequestId::parse`]).
    pub fn is_valid(id: &[u8]) -> bool {
        !id.is_empty()
            && id.len() <= MAX_LEN
            && id
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    }

    /// A fresh id made straight into a header value (the form of
    /// [`RequestId::generate`], without the intermediate string; for a
    /// proxy's hot path).
    pub fn generate_header_value() -> HeaderValue {
        // Shared from the start: the proxy clones it into the upstream
        // request and the response without another allocation.
        HeaderValue::from_maybe_shared(bytes::Bytes::from_owner(fresh()))
            .unwrap_or_else(|_| HeaderValue::from_static("req_invalid"))
    }

    /// The id text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As a header value.
    pub fn header_value(&self) -> HeaderValue {
        // Only visible ASCII is ever stored, so this cannot fail.
        HeaderValue::from_str(&self.0).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The request id of the request being handled on this task, if any.
pub fn current() -> Option<RequestId> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Runs `fut` with `id` as the current request id (for background work that
/// continues a request, e.g. a spawned task).
pub async fn scope<F: std::future::Future>(id: RequestId, fut: F) -> F::Output {
    CURRENT.scope(id, fut).await
}

/// Middleware: take or make the id, expose it, echo it.
pub async fn middleware(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(RequestId::parse)
        .unwrap_or_else(RequestId::generate);
    req.extensions_mut().insert(id.clone());
    let mut resp = CURRENT.scope(id.clone(), next.run(req)).await;
    resp.headers_mut()
        .insert(X_REQUEST_ID.clone(), id.header_value());
    resp
}

impl<S: Send + Sync> FromRequestParts<S> for RequestId {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestId>()
            .cloned()
            .or_else(current)
            .unwrap_or_else(RequestId::generate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_reasonable_ids_only() {
        assert!(RequestId::parse("req_abc-123.x:y").is_some());
        assert!(RequestId::parse("").is_none());
        assert!(RequestId::parse("has space").is_none());
        assert!(RequestId::parse("line\nbreak").is_none());
        assert!(RequestId::parse(&"a".repeat(129)).is_none());
        assert!(RequestId::parse(&"a".repeat(128)).is_some());
    }

    #[test]
    fn generated_header_values_have_the_generated_form() {
        let v = RequestId::generate_header_value();
        let s = v.to_str().unwrap();
        assert!(s.starts_with("req_") && s.len() == 36, "{s}");
        assert!(RequestId::parse(s).is_some());
        assert_eq!(s.len(), RequestId::generate().as_str().len());
        assert_ne!(v, RequestId::generate_header_value());
    }

    #[test]
    fn generated_ids_are_valid_and_unique() {
        let a = RequestId::generate();
        let b = RequestId::generate();
        assert_ne!(a, b);
        assert!(RequestId::parse(a.as_str()).is_some());
        assert!(a.as_str().starts_with("req_"));
    }
}
