//! Routes: API input, validation, overlap rule, database row, etcd form.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::error::Problem;
use shared::ids::{RouteId, UpstreamId};
use shared::qsgw::{BotPolicy, InspectionMode, PathMatch, RouteConfig, RouteRateLimit, TlsPolicy};
use utoipa::ToSchema;

use super::validate::Errors;
use shared::edge::{HostPattern, RoutePath};

/// Methods a route may list.
pub const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
];

/// A per-route rate limit as sent by clients.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RateLimitInput {
    /// Requests per second per client IP, 1..1000000.
    pub rps: i64,
    /// Burst, 1..1000000.
    pub burst: i64,
}

/// How sensitive the data a route carries is: the operator's declaration
/// beside the shelf life, shown with the harvest-now-decrypt-later exposure
/// (`GET /api/v1/exposure`). Control-plane metadata: gateways never see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    /// Meant to be public.
    Public,
    /// Internal to the organization.
    Internal,
    /// Confidential (customers' or business data).
    Confidential,
    /// Restricted (regulated, secret for decades).
    Restricted,
}

impl DataClass {
    /// Database spelling (the `routes.data_class` check).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Internal => "internal",
            Self::Confidential => "confidential",
            Self::Restricted => "restricted",
        }
    }

    /// From the database spelling (`None` for anything else).
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "public" => Self::Public,
            "internal" => Self::Internal,
            "confidential" => Self::Confidential,
            "restricted" => Self::Restricted,
            _ => return None,
        })
    }
}

/// Longest shelf life a route may declare (the `routes` check; also the ML
/// engine's bound for Mosca's x).
pub const MAX_SHELF_LIFE_YEARS: f64 = 100.0;

/// Body of `POST /api/v1/routes` and `PUT /api/v1/routes/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "name": "orders-api",
    "host": "api.example.com",
    "path": "/orders",
    "path_match": "prefix",
    "methods": ["GET", "POST"],
    "upstream_id": "ups_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f",
    "timeout_ms": 5000,
    "rate_limit": {"rps": 100, "burst": 200},
    "tls_policy": "PQC_PREFERRED",
    "inspection": "async",
    "data_shelf_life_years": 10,
    "data_class": "confidential"
}))]
pub struct RouteInput {
    /// Name, 1..128 characters.
    pub name: String,
    /// Host to match (case-insensitive, `*.` wildcard allowed); null = any.
    #[serde(default)]
    pub host: Option<String>,
    /// Path, starting with `/`.
    pub path: String,
    /// prefix (default) or exact.
    #[serde(default)]
    pub path_match: Option<PathMatch>,
    /// Methods (upper case); empty or absent = any.
    #[serde(default)]
    pub methods: Option<Vec<String>>,
    /// Upstream id (must exist).
    pub upstream_id: String,
    /// Strip the matched prefix (default false).
    #[serde(default)]
    pub strip_prefix: Option<bool>,
    /// Upstream timeout, 1..3600000 ms.
    #[serde(default)]
    pub timeout_ms: Option<i64>,
    /// Retries, 0..10 (default 1).
    #[serde(default)]
    pub retries: Option<i64>,
    /// Rate limit override.
    #[serde(default)]
    pub rate_limit: Option<RateLimitInput>,
    /// TLS policy override.
    #[serde(default)]
    pub tls_policy: Option<TlsPolicy>,
    /// Inspection mode: off (default), async or sync.
    #[serde(default)]
    pub inspection: Option<InspectionMode>,
    /// Bot policy: flag (default), block_all or allow_verified.
    #[serde(default)]
    pub bots: Option<BotPolicy>,
    /// Require a verified client certificate (default false; the listener
    /// must ask for one, QSGW_TLS_CLIENT_AUTH).
    #[serde(default)]
    pub client_cert_required: Option<bool>,
    /// Enabled (default true).
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Years the data this route carries must stay confidential, 0..=100
    /// (Mosca's x for its harvest-now-decrypt-later exposure); absent or
    /// null: not declared. Not sent to gateways.
    #[serde(default)]
    pub data_shelf_life_years: Option<f64>,
    /// Classification of that data; absent or null: not declared.
    #[serde(default)]
    pub data_class: Option<DataClass>,
}

/// A route that passed [`RouteInput::validate`], defaults applied: what the repository writes
/// to `routes` on create and update.
#[derive(Debug, Clone)]
pub struct ValidRoute {
    /// Operator's label, 1..128 characters (need not be unique).
    pub name: String,
    /// Lower-case host.
    pub host: Option<String>,
    /// Path to match, checked by [`RoutePath::parse`]: absolute, at most
    /// 2048 bytes, no whitespace, control characters, `?` or `#`, canonical.
    pub path: String,
    /// `prefix` (default) or `exact`.
    pub path_match: PathMatch,
    /// Sorted, de-duplicated methods.
    pub methods: Vec<String>,
    /// Upstream serving the route (its existence is checked by the caller).
    pub upstream_id: UpstreamId,
    /// Remove the matched path prefix before proxying upstream (default false).
    pub strip_prefix: bool,
    /// Upstream timeout in milliseconds, 1..3600000; `None`: the gateway default.
    pub timeout_ms: Option<i32>,
    /// Retries on idempotent methods, 0..10 (default 1).
    pub retries: i16,
    /// Per-client-IP limit replacing the gateway's, as (requests per second, burst), each
    /// 1..1000000; `None`: the gateway's limit.
    pub rate_limit: Option<(i32, i32)>,
    /// Key-exchange policy the route demands on top of its host's (the gateway enforces the
    /// stricter); `None`: the host's or listener's alone.
    pub tls_policy: Option<TlsPolicy>,
    /// Threat inspection mode (default off).
    pub inspection: InspectionMode,
    /// What the gateway does with clients the AI engine takes for bots: `flag` (default),
    /// `block_all` or `allow_verified`.
    pub bots: BotPolicy,
    /// Serve only connections whose client certificate the listener verified (mutual TLS);
    /// others get 403 (default false).
    pub client_cert_required: bool,
    /// Whether gateways serve the route (default true).
    pub enabled: bool,
    /// Years the route's data must stay confidential, 0..=100 (Mosca's x for the exposure);
    /// `None`: not declared.
    pub data_shelf_life_years: Option<f64>,
    /// Classification of that data; `None`: not declared.
    pub data_class: Option<DataClass>,
}

impl RouteInput {
    /// Validates every field (existence of the upstream is checked by the caller).
    pub fn validate(&self) -> Result<ValidRoute, Problem> {
        let mut e = Errors::default();
        e.text("name", &self.name, 1, 128);
        // The gateway matches with the same parsed type: `*.example.com`
        // covers exactly one label.
        let host = match self.host.as_deref().map(HostPattern::parse) {
            Some(Ok(h)) => Some(h.as_string()),
            Some(Err(msg)) => {
                e.add("host", msg);
                None
            }
            None => None,
        };
        // The same parsed type the gateway deserialises: a path it would
        // never see after canonicalising a request is refused here.
        if let Err(msg) = RoutePath::parse(&self.path) {
            e.add("path", msg);
        }
        let mut methods: Vec<String> = Vec::new();
        for (i, m) in self.methods.iter().flatten().enumerate() {
            if METHODS.contains(&m.as_str()) {
                methods.push(m.clone());
            } else {
                e.add(
                    format!("methods[{i}]"),
                    format!("must be one of {}", METHODS.join(", ")),
                );
            }
        }
        methods.sort();
        methods.dedup();
        let upstream_id = UpstreamId::parse(&self.upstream_id);
        if upstream_id.is_err() {
            e.add("upstream_id", "is not an upstream id (ups_…)");
        }
        let timeout_ms = self
            .timeout_ms
            .map(|t| e.range("timeout_ms", t, 1, 3_600_000));
        let retries = e.range("retries", self.retries.unwrap_or(1), 0, 10);
        let rate_limit = self.rate_limit.as_ref().map(|r| {
            (
                e.range("rate_limit.rps", r.rps, 1, 1_000_000),
                e.range("rate_limit.burst", r.burst, 1, 1_000_000),
            )
        });
        if self
            .data_shelf_life_years
            .is_some_and(|y| !(y.is_finite() && (0.0..=MAX_SHELF_LIFE_YEARS).contains(&y)))
        {
            e.add(
                "data_shelf_life_years",
                "must be a number of years from 0 to 100, or null (not declared)",
            );
        }
        e.finish()?;
        let upstream_id =
            upstream_id.map_err(|_| Problem::invalid_field("upstream_id", "invalid"))?;
        Ok(ValidRoute {
            name: self.name.clone(),
            host,
            path: self.path.clone(),
            path_match: self.path_match.unwrap_or(PathMatch::Prefix),
            methods,
            upstream_id,
            strip_prefix: self.strip_prefix.unwrap_or(false),
            timeout_ms,
            retries: i16::try_from(retries).unwrap_or(1),
            rate_limit,
            tls_policy: self.tls_policy,
            inspection: self.inspection.unwrap_or(InspectionMode::Off),
            bots: self.bots.unwrap_or_default(),
            client_cert_required: self.client_cert_required.unwrap_or(false),
            enabled: self.enabled.unwrap_or(true),
            data_shelf_life_years: self.data_shelf_life_years,
            data_class: self.data_class,
        })
    }
}

/// Whether two method sets can match the same request (empty = any).
pub fn methods_overlap(a: &[String], b: &[String]) -> bool {
    a.is_empty() || b.is_empty() || a.iter().any(|m| b.contains(m))
}

/// A `routes` row: what gateways receive (through [`RouteRow::to_config`]) plus the
/// control plane's own columns (shelf life, data class, version, timestamps).
#[derive(Debug, Clone)]
pub struct RouteRow {
    /// `rt_` + 32 hex digits of a UUIDv7, assigned by the control plane at creation.
    pub id: String,
    /// Operator's label, 1..128 characters.
    pub name: String,
    /// Lower-case host pattern (`*.` wildcard allowed); `NULL` matches any host.
    pub host: Option<String>,
    /// Path to match, starting with `/`.
    pub path: String,
    /// `prefix` (column default) or `exact`.
    pub path_match: String,
    /// Upper-case HTTP methods; empty matches any.
    pub methods: Vec<String>,
    /// Target upstream (`ups_…`); the foreign key stops that upstream's deletion.
    pub upstream_id: String,
    /// Remove the matched path prefix before proxying upstream (column default false).
    pub strip_prefix: bool,
    /// Upstream timeout in milliseconds, 1..3600000; `NULL`: the gateway default.
    pub timeout_ms: Option<i32>,
    /// Retries on idempotent methods, 0..10.
    pub retries: i16,
    /// Rate limit in requests per second per client IP, 1..1000000; `NULL`: no per-route limit.
    pub rate_limit_rps: Option<i32>,
    /// Burst size of that limit, 1..1000000 (`NULL` with a rate: the rate).
    pub rate_limit_burst: Option<i32>,
    /// `CNSA2`, `PQC_ONLY`, `PQC_PREFERRED` or `CLASSICAL_ALLOWED`, demanded on top of the
    /// host's policy; `NULL`: the listener's policy alone.
    pub tls_policy: Option<String>,
    /// `off`, `async` or `sync` (column default `off`).
    pub inspection: String,
    /// `flag` (column default), `block_all` or `allow_verified`.
    pub bots: String,
    /// Serve only connections whose client certificate the listener verified (mutual TLS).
    pub client_cert_required: bool,
    /// Whether gateways serve the route.
    pub enabled: bool,
    /// Years the route's data must stay confidential, 0..=100; `NULL`: not declared.
    pub data_shelf_life_years: Option<f64>,
    /// `public`, `internal`, `confidential` or `restricted`; `NULL`: not declared.
    pub data_class: Option<String>,
    /// Starts at 1 and grows by one at each update; the `ETag` that `If-Match` must name.
    pub version: i64,
    /// When the row was inserted (database `now()`).
    pub created_at: DateTime<Utc>,
    /// When the row was last updated (set to `now()` by each update).
    pub updated_at: DateTime<Utc>,
}

/// A route as the API returns it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Route {
    /// What gateways receive.
    #[serde(flatten)]
    pub config: RouteConfig,
    /// Years the route's data must stay confidential (null: not declared).
    pub data_shelf_life_years: Option<f64>,
    /// Classification of the route's data (null: not declared).
    pub data_class: Option<DataClass>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last update.
    pub updated_at: DateTime<Utc>,
}

/// Database spelling of a path match.
pub fn path_match_db(p: PathMatch) -> &'static str {
    match p {
        PathMatch::Prefix => "prefix",
        PathMatch::Exact => "exact",
    }
}

/// Database spelling of a bot policy.
pub fn bots_db(b: BotPolicy) -> &'static str {
    match b {
        BotPolicy::Flag => "flag",
        BotPolicy::BlockAll => "block_all",
        BotPolicy::AllowVerified => "allow_verified",
    }
}

/// Database spelling of an inspection mode.
pub fn inspection_db(i: InspectionMode) -> &'static str {
    match i {
        InspectionMode::Off => "off",
        InspectionMode::Async => "async",
        InspectionMode::Sync => "sync",
    }
}

impl RouteRow {
    /// The etcd / snapshot form.
    pub fn to_config(&self) -> Result<RouteConfig, Problem> {
        let rate_limit = match (self.rate_limit_rps, self.rate_limit_burst) {
            (Some(rps), burst) => Some(RouteRateLimit {
                rps: u32::try_from(rps).unwrap_or(1),
                burst: u32::try_from(burst.unwrap_or(rps)).unwrap_or(1),
            }),
            _ => None,
        };
        let tls_policy = match self.tls_policy.as_deref() {
            Some("PQC_ONLY") => Some(TlsPolicy::PqcOnly),
            Some("PQC_PREFERRED") => Some(TlsPolicy::PqcPreferred),
            Some("CLASSICAL_ALLOWED") => Some(TlsPolicy::ClassicalAllowed),
            Some("CNSA2") => Some(TlsPolicy::Cnsa2),
            _ => None,
        };
        Ok(RouteConfig {
            id: RouteId::parse(&self.id).map_err(Problem::internal)?,
            name: self.name.clone(),
            host: self
                .host
                .as_deref()
                .map(HostPattern::parse)
                .transpose()
                .map_err(Problem::internal)?,
            // Rows written before canonical form was required are served
            // in the form requests were always matched against.
            path: RoutePath::canonicalised(&self.path).map_err(Problem::internal)?,
            path_match: if self.path_match == "exact" {
                PathMatch::Exact
            } else {
                PathMatch::Prefix
            },
            methods: self.methods.clone(),
            upstream_id: UpstreamId::parse(&self.upstream_id).map_err(Problem::internal)?,
            strip_prefix: self.strip_prefix,
            timeout_ms: self.timeout_ms.and_then(|t| u64::try_from(t).ok()),
            retries: u8::try_from(self.retries).unwrap_or(0),
            rate_limit,
            tls_policy,
            inspection: match self.inspection.as_str() {
                "off" => InspectionMode::Off,
                "sync" => InspectionMode::Sync,
                _ => InspectionMode::Async,
            },
            bots: match self.bots.as_str() {
                "block_all" => BotPolicy::BlockAll,
                "allow_verified" => BotPolicy::AllowVerified,
                _ => BotPolicy::Flag,
            },
            client_cert_required: self.client_cert_required,
            enabled: self.enabled,
            version: self.version,
        })
    }

    /// The API form.
    pub fn to_api(&self) -> Result<Route, Problem> {
        Ok(Route {
            config: self.to_config()?,
            data_shelf_life_years: self.data_shelf_life_years,
            data_class: self.data_class.as_deref().and_then(DataClass::parse),
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_rules() {
        let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert!(methods_overlap(&s(&[]), &s(&["GET"])));
        assert!(methods_overlap(&s(&["GET", "POST"]), &s(&["POST"])));
        assert!(!methods_overlap(&s(&["GET"]), &s(&["POST"])));
    }
}
