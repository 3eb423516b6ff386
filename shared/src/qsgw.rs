//! The QSGW configuration contract between the control plane (the only
//! writer of etcd) and gateways (readers).
//!
//! etcd layout under [`PREFIX`]:
//!
//! | key | value |
//! |---|---|
//! | `/qsgw/v1/routes/<rt_id>` | [`RouteConfig`] as JSON |
//! | `/qsgw/v1/upstreams/<ups_id>` | [`UpstreamConfig`] as JSON |
//! | `/qsgw/v1/revision` | the control plane's config revision, decimal |
//! | `/qsgw/v1/ai/thresholds` | AI engine thresholds as JSON |
//!
//! A config mutation writes its resource key(s) and the revision key in one
//! etcd transaction, so a watcher that sees a new revision has seen the
//! change that produced it. [`ConfigSnapshot`] is the same content in one
//! document (`GET /api/v1/config/snapshot`, and the gateway's standalone
//! file). Readers ignore unknown fields so that a newer control plane can
//! add fields without breaking older gateways.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{RouteId, UpstreamId};

/// Root of every QSGW key.
pub const PREFIX: &str = "/qsgw/v1/";
/// Prefix of route keys.
pub const ROUTES_PREFIX: &str = "/qsgw/v1/routes/";
/// Prefix of upstream keys.
pub const UPSTREAMS_PREFIX: &str = "/qsgw/v1/upstreams/";
/// The config revision key.
pub const REVISION_KEY: &str = "/qsgw/v1/revision";
/// The AI engine thresholds key.
pub const AI_THRESHOLDS_KEY: &str = "/qsgw/v1/ai/thresholds";

/// Key of a route.
pub fn route_key(id: &RouteId) -> String {
    format!("{ROUTES_PREFIX}{id}")
}

/// Key of an upstream.
pub fn upstream_key(id: &UpstreamId) -> String {
    format!("{UPSTREAMS_PREFIX}{id}")
}

/// What a key under [`PREFIX`] names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigKey {
    /// A route.
    Route(RouteId),
    /// An upstream.
    Upstream(UpstreamId),
    /// The revision counter.
    Revision,
    /// AI thresholds.
    AiThresholds,
    /// Anything else (ignored by readers).
    Other,
}

/// Classifies a key.
pub fn parse_key(key: &str) -> ConfigKey {
    if let Some(id) = key.strip_prefix(ROUTES_PREFIX) {
        return RouteId::parse(id).map_or(ConfigKey::Other, ConfigKey::Route);
    }
    if let Some(id) = key.strip_prefix(UPSTREAMS_PREFIX) {
        return UpstreamId::parse(id).map_or(ConfigKey::Other, ConfigKey::Upstream);
    }
    match key {
        REVISION_KEY => ConfigKey::Revision,
        AI_THRESHOLDS_KEY => ConfigKey::AiThresholds,
        _ => ConfigKey::Other,
    }
}

/// Key-exchange policy of a listener, SNI or route.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, clap::ValueEnum,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TlsPolicy {
    /// Only hybrid/post-quantum groups; classical-only clients fail the handshake.
    PqcOnly,
    /// Post-quantum first, classical groups accepted (default).
    PqcPreferred,
    /// Classical groups and TLS 1.2 allowed.
    ClassicalAllowed,
    /// CNSA 2.0: only ML-KEM-1024 and the SecP384r1MLKEM1024 hybrid, with
    /// AES-256-GCM, TLS 1.3 (NSA CNSA 2.0 algorithm suite: ML-KEM-1024 for
    /// key establishment, AES-256 for encryption). Stricter than `PQC_ONLY`,
    /// whose X25519MLKEM768 is category 3.
    #[serde(rename = "CNSA2")]
    #[value(name = "CNSA2")]
    Cnsa2,
}

impl TlsPolicy {
    /// The wire spelling (`PQC_ONLY`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            TlsPolicy::PqcOnly => "PQC_ONLY",
            TlsPolicy::PqcPreferred => "PQC_PREFERRED",
            TlsPolicy::ClassicalAllowed => "CLASSICAL_ALLOWED",
            TlsPolicy::Cnsa2 => "CNSA2",
        }
    }
}

/// Load-balancing policy of an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LbPolicy {
    /// Each target in turn.
    RoundRobin,
    /// The target with the fewest in-flight requests.
    LeastConn,
    /// Proportional to the targets' weights.
    Weighted,
}

/// One backend address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Target {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Relative weight (weighted policy); 0 drains the target.
    #[serde(default = "default_weight")]
    pub weight: u32,
}

fn default_weight() -> u32 {
    1
}

/// Active health checking of an upstream's targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HealthCheck {
    /// Whether active checks run.
    pub enabled: bool,
    /// Path requested (GET).
    pub path: String,
    /// Time between checks.
    pub interval_ms: u64,
    /// Timeout of one check.
    pub timeout_ms: u64,
    /// Status that counts as healthy.
    pub expected_status: u16,
    /// Consecutive successes to mark a target healthy.
    pub healthy_threshold: u32,
    /// Consecutive failures to mark a target unhealthy.
    pub unhealthy_threshold: u32,
}

/// Passive ejection after consecutive proxy failures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PassiveEjection {
    /// Consecutive failures before ejection (0 disables it).
    pub after_failures: u32,
    /// How long an ejected target stays out.
    pub duration_ms: u64,
}

/// An upstream as gateways see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UpstreamConfig {
    /// `ups_` + 32 hex digits, assigned by the control plane; the etcd key's last segment.
    pub id: UpstreamId,
    /// Unique name.
    pub name: String,
    /// Backends the gateway balances over (at least one).
    pub targets: Vec<Target>,
    /// Balancing policy.
    pub lb_policy: LbPolicy,
    /// Active checks.
    pub health_check: HealthCheck,
    /// Passive ejection.
    pub ejection: PassiveEjection,
    /// Connection pool size per target (None: gateway default).
    pub pool_size: Option<u32>,
    /// Connect timeout.
    pub connect_timeout_ms: u64,
    /// Request timeout (None: gateway default).
    pub request_timeout_ms: Option<u64>,
    /// TLS to the targets (absent: plain HTTP/1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<UpstreamTls>,
    /// Resource version.
    pub version: i64,
}

fn yes() -> bool {
    true
}

/// TLS from the gateway to an upstream's targets: the leg behind the
/// gateway gets the same post-quantum key exchange as the client's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"enabled": true, "sni": "orders.internal", "verify": true, "policy": "PQC_PREFERRED"}))]
pub struct UpstreamTls {
    /// Speak TLS to the targets (default true when the block is present).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Server name sent and verified (default: each target's host).
    #[serde(default)]
    pub sni: Option<String>,
    /// CA certificates (PEM) trusted for the targets' certificates
    /// (default: Mozilla's root program, as shipped in webpki-roots).
    #[serde(default)]
    pub ca: Option<String>,
    /// Verify the targets' certificates and names (default true). Off is
    /// for testing only: the gateway logs a warning at every load.
    #[serde(default = "yes")]
    pub verify: bool,
    /// Client certificate chain (PEM file on the gateway host, e.g. a
    /// mounted secret) for upstreams that require mutual TLS.
    #[serde(default)]
    pub client_cert_path: Option<String>,
    /// Its private key (PEM file on the gateway host; it never passes
    /// through the control plane or etcd).
    #[serde(default)]
    pub client_key_path: Option<String>,
    /// Key-exchange policy toward the targets (default `PQC_PREFERRED`:
    /// X25519MLKEM768 first, classical groups accepted).
    #[serde(default)]
    pub policy: Option<TlsPolicy>,
}

/// How a route's path matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PathMatch {
    /// The request path starts with the route path (segment-wise).
    Prefix,
    /// The request path equals the route path.
    Exact,
}

/// Threat inspection mode of a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InspectionMode {
    /// No inspection.
    Off,
    /// Features sent off the request path; cached verdicts enforced.
    Async,
    /// Wait for a verdict within the AI budget, fail open.
    Sync,
}

/// What a route does with clients the AI engine takes for bots.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BotPolicy {
    /// The AI engine's verdict as it is: bots are reported (flagged), and
    /// refused only when the engine says block.
    #[default]
    Flag,
    /// Every client the engine flags as a bot is refused (403).
    BlockAll,
    /// Search-engine crawlers verified by reverse and forward DNS (as their
    /// operators document it) pass whatever their agent string scores;
    /// a client that claims such a crawler and fails the check is refused;
    /// other bots as `flag`.
    AllowVerified,
}

/// A per-route rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RouteRateLimit {
    /// Requests per second per client IP.
    pub rps: u32,
    /// Burst size.
    pub burst: u32,
}

/// A route as gateways see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RouteConfig {
    /// `rt_` + 32 hex digits, assigned by the control plane; the etcd key's last segment.
    pub id: RouteId,
    /// Operator's label (1..128 characters); not used for matching.
    pub name: String,
    /// Host to match (lowercase); None matches any host.
    pub host: Option<String>,
    /// Path to match, starting with `/`.
    pub path: String,
    /// Prefix or exact.
    pub path_match: PathMatch,
    /// Methods to match (uppercase); empty matches any.
    pub methods: Vec<String>,
    /// Upstream serving the route.
    pub upstream_id: UpstreamId,
    /// Remove the matched prefix before proxying.
    pub strip_prefix: bool,
    /// Upstream timeout override.
    pub timeout_ms: Option<u64>,
    /// Retries on idempotent methods.
    pub retries: u8,
    /// Rate limit override.
    pub rate_limit: Option<RouteRateLimit>,
    /// TLS policy override.
    pub tls_policy: Option<TlsPolicy>,
    /// Inspection mode.
    pub inspection: InspectionMode,
    /// Bot policy (absent in configurations written before it: `flag`).
    #[serde(default)]
    pub bots: BotPolicy,
    /// Only requests on a connection whose client certificate the listener
    /// verified (mutual TLS) are served; others get 403.
    #[serde(default)]
    pub client_cert_required: bool,
    /// Disabled routes are not served.
    pub enabled: bool,
    /// Resource version.
    pub version: i64,
}

/// The whole effective configuration at one revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ConfigSnapshot {
    /// Control plane config revision.
    pub revision: i64,
    /// Every route.
    pub routes: Vec<RouteConfig>,
    /// Every upstream.
    pub upstreams: Vec<UpstreamConfig>,
}

// ---------------------------------------------------------------- what gateways report
// (heartbeat parts written by the gateway and read by the control plane:
// one type each, so the two sides cannot drift)

/// A certificate a gateway serves: identity, validity and algorithms
/// (never the key). Listed in the runtime CBOM.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServedCertificate {
    /// SHA-256 of the DER certificate (64 lowercase hex digits).
    pub sha256: String,
    /// Subject DN (≤ 1024 characters).
    pub subject: String,
    /// Issuer DN (≤ 1024 characters).
    pub issuer: String,
    /// Serial number (≤ 200 characters).
    #[serde(default)]
    pub serial: String,
    /// Start of validity (the certificate's notBefore).
    pub not_before: DateTime<Utc>,
    /// End of validity (the certificate's notAfter).
    pub not_after: DateTime<Utc>,
    /// subjectAltName DNS names (≤ 20, each ≤ 253 characters).
    #[serde(default)]
    pub dns_names: Vec<String>,
    /// Public-key algorithm: `ECDSA-P256`, `RSA-2048`, `ML-DSA-65`, … (≤ 64).
    pub public_key_algorithm: String,
    /// Signature algorithm: `ecdsa-with-SHA256`, `ML-DSA-65`, … (≤ 64).
    pub signature_algorithm: String,
}

/// One sensor aggregate of a heartbeat.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"route_id": "rt_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f", "kx_group": "X25519MLKEM768", "pqc": true, "client_family": "Chrome 131", "sessions": 1, "requests": 12, "bytes_in": 4200, "bytes_out": 181000}))]
pub struct GroupTraffic {
    /// `rt_…`; null when no route matched.
    #[serde(default)]
    pub route_id: Option<String>,
    /// Negotiated key-exchange group (1..64 characters from `A-Z a-z 0-9 _ -`).
    pub kx_group: String,
    /// Whether the group is post-quantum or hybrid.
    pub pqc: bool,
    /// Coarse client family (1..64 characters), `other` for the folded rest.
    pub client_family: String,
    /// TLS sessions.
    #[serde(default)]
    pub sessions: i64,
    /// HTTP requests answered with this route, group and client family.
    #[serde(default)]
    pub requests: i64,
    /// Application bytes read from clients.
    #[serde(default)]
    pub bytes_in: i64,
    /// Application bytes written to clients.
    #[serde(default)]
    pub bytes_out: i64,
}

/// What a gateway's TLS handshake with an upstream target established.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetTls {
    /// `TLSv1.3` or `TLSv1.2`.
    pub protocol: String,
    /// Negotiated key-exchange group.
    pub kx_group: String,
    /// Post-quantum or hybrid group.
    pub pqc: bool,
    /// The target certificate's public-key algorithm.
    pub cert_algorithm: String,
    /// The target certificate's notAfter.
    #[serde(default)]
    pub cert_not_after: Option<DateTime<Utc>>,
}

/// Health of one upstream target as a gateway sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetHealth {
    /// `ups_…` id.
    pub upstream_id: String,
    /// `host:port`.
    pub target: String,
    /// Passing active checks and not ejected.
    pub healthy: bool,
    /// The gateway's last TLS handshake with the target (TLS upstreams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TargetTls>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        let r = RouteId::new();
        assert_eq!(parse_key(&route_key(&r)), ConfigKey::Route(r));
        let u = UpstreamId::new();
        assert_eq!(parse_key(&upstream_key(&u)), ConfigKey::Upstream(u));
        assert_eq!(parse_key(REVISION_KEY), ConfigKey::Revision);
        assert_eq!(parse_key(AI_THRESHOLDS_KEY), ConfigKey::AiThresholds);
        assert_eq!(parse_key("/qsgw/v1/routes/not-an-id"), ConfigKey::Other);
        assert_eq!(parse_key("/elsewhere"), ConfigKey::Other);
    }

    #[test]
    fn readers_ignore_unknown_fields_and_default_weight() {
        let json = serde_json::json!({
            "host": "10.0.0.1", "port": 8080, "added_later": true
        });
        let t: Target = serde_json::from_value(json).unwrap();
        assert_eq!(t.weight, 1);
        let p: TlsPolicy = serde_json::from_str("\"PQC_ONLY\"").unwrap();
        assert_eq!(p.as_str(), "PQC_ONLY");
    }
}
