//! Request features: the wire type the gateway extracts from each request and
//! the AI engine scores, with the bounds serde cannot express.
//!
//! One definition on purpose: the gateway sends raw facts (path, header
//! names, user agent) and the engine alone derives the model's inputs from
//! them (`ai-engine/src/model/request_shape.rs`), so a model trained on one
//! reading cannot silently score another.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;

/// Longest accepted path (bytes); longer ones are cut by the gateway.
pub const MAX_PATH_LEN: usize = 8192;
/// Longest accepted user agent (bytes).
pub const MAX_USER_AGENT_LEN: usize = 4096;
/// Most header names sent per request.
pub const MAX_HEADERS: usize = 256;
/// Longest header name.
pub const MAX_HEADER_NAME_LEN: usize = 256;
/// Largest query length we believe (bytes).
pub const MAX_QUERY_LEN: u32 = 1 << 20;
/// Largest latency we believe (one hour, in milliseconds).
pub const MAX_LATENCY_MS: f64 = 3_600_000.0;
/// Earliest accepted timestamp: 2000-01-01T00:00:00Z in Unix milliseconds.
pub const MIN_TIMESTAMP_MS: u64 = 946_684_800_000;
/// Latest accepted timestamp: 2100-01-01T00:00:00Z in Unix milliseconds.
pub const MAX_TIMESTAMP_MS: u64 = 4_102_444_800_000;

/// What the gateway knows about one request when it asks for a verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RequestFeatures {
    /// Client address (after trusted proxy headers are applied).
    #[schema(value_type = String, example = "203.0.113.7")]
    pub client_ip: IpAddr,
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Request path without the query, as received (still percent-encoded).
    pub path: String,
    /// Length of the raw query string in bytes (0 when absent).
    #[serde(default)]
    pub query_len: u32,
    /// Header names in the order received (any case).
    #[serde(default)]
    pub header_names: Vec<String>,
    /// `User-Agent` value, when sent.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// Response status, when the request has been answered.
    #[serde(default)]
    pub status: Option<u16>,
    /// Upstream latency in milliseconds, when known.
    #[serde(default)]
    pub latency_ms: Option<f64>,
    /// TLS protocol, e.g. `TLSv1.3` (absent on plain HTTP).
    #[serde(default)]
    pub tls_protocol: Option<String>,
    /// Negotiated key-exchange group, e.g. `X25519MLKEM768`.
    #[serde(default)]
    pub tls_group: Option<String>,
    /// When the gateway saw the request (Unix milliseconds).
    pub timestamp_ms: u64,
}

impl RequestFeatures {
    /// Checks the bounds serde cannot express. Field names are prefixed with
    /// `prefix` (e.g. `items[3].`) so a batch error names the item.
    pub fn validate(&self, prefix: &str) -> Vec<FieldError> {
        let mut errs = Vec::new();
        let mut bad =
            |field: &str, msg: &str| errs.push(FieldError::new(format!("{prefix}{field}"), msg));
        if self.method.is_empty()
            || self.method.len() > 16
            || !self.method.bytes().all(|b| b.is_ascii_alphabetic())
        {
            bad("method", "must be 1 to 16 ASCII letters");
        }
        if !self.path.starts_with('/') && self.path != "*" {
            bad("path", "must start with '/'");
        } else if self.path.len() > MAX_PATH_LEN {
            bad("path", "must be at most 8192 bytes");
        }
        if self.query_len > MAX_QUERY_LEN {
            bad("query_len", "must be at most 1048576");
        }
        if self.header_names.len() > MAX_HEADERS {
            bad("header_names", "must hold at most 256 names");
        } else if let Some(i) = self
            .header_names
            .iter()
            .position(|h| h.is_empty() || h.len() > MAX_HEADER_NAME_LEN)
        {
            bad(&format!("header_names[{i}]"), "must be 1 to 256 bytes");
        }
        if self
            .user_agent
            .as_ref()
            .is_some_and(|u| u.len() > MAX_USER_AGENT_LEN)
        {
            bad("user_agent", "must be at most 4096 bytes");
        }
        if self.status.is_some_and(|s| !(100..=599).contains(&s)) {
            bad("status", "must be between 100 and 599");
        }
        if self
            .latency_ms
            .is_some_and(|l| !l.is_finite() || !(0.0..=MAX_LATENCY_MS).contains(&l))
        {
            bad(
                "latency_ms",
                "must be a finite number between 0 and 3600000",
            );
        }
        if self.tls_protocol.as_ref().is_some_and(|p| p.len() > 32) {
            bad("tls_protocol", "must be at most 32 bytes");
        }
        if self.tls_group.as_ref().is_some_and(|g| g.len() > 64) {
            bad("tls_group", "must be at most 64 bytes");
        }
        if !(MIN_TIMESTAMP_MS..=MAX_TIMESTAMP_MS).contains(&self.timestamp_ms) {
            bad(
                "timestamp_ms",
                "must be Unix milliseconds between 2000-01-01 and 2100-01-01",
            );
        }
        errs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RequestFeatures {
        RequestFeatures {
            client_ip: "203.0.113.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
            method: "GET".into(),
            path: "/index.html".into(),
            query_len: 0,
            header_names: vec!["host".into()],
            user_agent: None,
            status: Some(200),
            latency_ms: Some(3.5),
            tls_protocol: Some("TLSv1.3".into()),
            tls_group: Some("X25519MLKEM768".into()),
            timestamp_ms: 1_700_000_000_000,
        }
    }

    #[test]
    fn validation_names_each_field() {
        assert!(sample().validate("").is_empty());
        let mut f = sample();
        f.method = "G ET".into();
        f.path = "no-slash".into();
        f.status = Some(999);
        f.latency_ms = Some(f64::NAN);
        f.timestamp_ms = 5;
        f.header_names = vec!["a".into(), String::new()];
        let fields: Vec<_> = f
            .validate("items[2].")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "items[2].method",
                "items[2].path",
                "items[2].header_names[1]",
                "items[2].status",
                "items[2].latency_ms",
                "items[2].timestamp_ms"
            ]
        );
        let mut f = sample();
        f.latency_ms = Some(f64::INFINITY);
        f.path = format!("/{}", "a".repeat(MAX_PATH_LEN));
        f.header_names = vec!["x".into(); MAX_HEADERS + 1];
        f.user_agent = Some("u".repeat(MAX_USER_AGENT_LEN + 1));
        assert_eq!(f.validate("").len(), 4);
    }

    /// The document as the gateway sends it to `POST /api/v1/analyze`
    /// (written out, not produced by this type) reads into the wire type
    /// and writes back to the same JSON; absent optional fields take their
    /// defaults, so a gateway one version behind is still understood.
    #[test]
    fn request_features_round_trip_the_gateways_document() {
        let sent = serde_json::json!({
            "client_ip": "2001:db8::7",
            "method": "POST",
            "path": "/api/v1/orders",
            "query_len": 12,
            "header_names": ["host", "user-agent", "content-type"],
            "user_agent": "curl/8.5.0",
            "status": 201,
            "latency_ms": 3.25,
            "tls_protocol": "TLSv1.3",
            "tls_group": "X25519MLKEM768",
            "timestamp_ms": 1_764_892_800_000u64
        });
        let f: RequestFeatures = serde_json::from_value(sent.clone()).unwrap();
        assert_eq!(f.client_ip, "2001:db8::7".parse::<IpAddr>().unwrap());
        assert!(f.validate("").is_empty());
        assert_eq!(serde_json::to_value(&f).unwrap(), sent);

        let least: RequestFeatures = serde_json::from_value(serde_json::json!({
            "client_ip": "203.0.113.7", "method": "GET", "path": "/", "timestamp_ms": 1_764_892_800_000u64
        }))
        .unwrap();
        assert_eq!((least.query_len, least.header_names.len()), (0, 0));
        assert_eq!(
            (least.user_agent, least.status, least.tls_group),
            (None, None, None)
        );
        assert!(
            serde_json::from_value::<RequestFeatures>(serde_json::json!({
                "client_ip": "not an address", "method": "GET", "path": "/", "timestamp_ms": 1
            }))
            .is_err()
        );
    }
}
