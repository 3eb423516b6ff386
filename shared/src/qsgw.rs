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

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::edge::{HostPattern, RoutePath};
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
    /// `/qsgw/v1/routes/<rt_id>`: a [`RouteConfig`] document.
    Route(RouteId),
    /// `/qsgw/v1/upstreams/<ups_id>`: an [`UpstreamConfig`] document.
    Upstream(UpstreamId),
    /// [`REVISION_KEY`]: the control plane's config revision, written in the
    /// same transaction as every change.
    Revision,
    /// [`AI_THRESHOLDS_KEY`]: the AI engine's decision thresholds (JSON),
    /// applied live by an engine that watches etcd; deleting the key brings
    /// back the engine's configured ones.
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
    /// Operator's label (1..128 characters), unique among upstreams; not
    /// used for routing.
    pub name: String,
    /// Backends the gateway balances over (at least one).
    pub targets: Vec<Target>,
    /// How each request picks among the available targets (healthy, not
    /// ejected, weight above 0).
    pub lb_policy: LbPolicy,
    /// Periodic probes that take failing targets out of rotation and bring
    /// them back.
    pub health_check: HealthCheck,
    /// Taking a target out after consecutive proxy failures, without waiting
    /// for a health check.
    pub ejection: PassiveEjection,
    /// Connection pool size per target (None: gateway default).
    pub pool_size: Option<u32>,
    /// Milliseconds to open a connection to one target: DNS, TCP and the TLS
    /// handshake (control plane default 5000, range 1..=300000).
    pub connect_timeout_ms: u64,
    /// Request timeout (None: gateway default).
    pub request_timeout_ms: Option<u64>,
    /// TLS to the targets (absent: plain HTTP/1.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<UpstreamTls>,
    /// Control plane row version, bumped by every update (its API's ETag
    /// for `If-Match`); gateways do not use it.
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
    /// Host to match: a name or a one-label wildcard (`*.example.com`);
    /// None matches any host.
    pub host: Option<HostPattern>,
    /// Path to match, absolute and canonical.
    pub path: RoutePath,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetHealth {
    /// Id (`ups_…`) of the upstream this target belongs to in the config the
    /// gateway has applied.
    pub upstream_id: String,
    /// `host:port`.
    pub target: String,
    /// Passing active checks and not ejected.
    pub healthy: bool,
    /// The gateway's last TLS handshake with the target (TLS upstreams).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TargetTls>,
}

// ---------------------------------------------------------------- registration and ingest
// (written by the gateway, read and validated by the control plane: one
// type each. Field order is the wire order; the control plane's checks and
// 422 field names live in `control-plane/src/routes/{gateways,ingest}.rs`.)

/// Body of `POST /api/v1/gateways/register` (upsert on `name`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "gw-eu-1", "hostname": "gw-eu-1.internal", "address": "10.0.0.5:8443", "software_version": "0.1.0", "tls_policy": "PQC_PREFERRED", "labels": {"region": "eu"}}))]
pub struct RegisterGateway {
    /// Unique instance name (1..253).
    pub name: String,
    /// Host name.
    #[serde(default)]
    pub hostname: Option<String>,
    /// Reachable address, e.g. `10.0.0.5:8443`.
    #[serde(default)]
    pub address: Option<String>,
    /// Gateway version.
    #[serde(default)]
    pub software_version: Option<String>,
    /// Listener key-exchange policy.
    #[serde(default)]
    pub tls_policy: Option<TlsPolicy>,
    /// Free labels (string values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<std::collections::BTreeMap<String, String>>,
}

/// Body of `POST /api/v1/gateways/{id}/heartbeat`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"config_revision_seen": 42}))]
pub struct Heartbeat {
    /// Config revision the gateway has applied.
    pub config_revision_seen: i64,
    /// Gateway version, if it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    /// Live health of every upstream target the gateway serves (≤ 1000);
    /// absent leaves the last report in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_health: Option<Vec<TargetHealth>>,
    /// Requests answered since the last accepted heartbeat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<i64>,
    /// Of those, answered 5xx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<i64>,
    /// The gateway's sensor aggregates since its last accepted heartbeat:
    /// sessions, requests and bytes per route, negotiated key-exchange
    /// group and client family (≤ 5000 entries; no addresses, no raw user
    /// agents). Summed into the minute the heartbeat arrives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_by_group: Option<Vec<GroupTraffic>>,
    /// The certificates the gateway serves now (≤ 16); absent leaves the
    /// last report in place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_certificates: Option<Vec<ServedCertificate>>,
}

/// A batch sent to an ingest endpoint: `{"records": [...]}` (at most 1000).
/// The gateway sends typed records; the control plane reads each record as
/// a JSON value first, so one bad record is reported by index without
/// refusing the batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct IngestBatch<T> {
    /// Up to 1000 records.
    pub records: Vec<T>,
}

/// One rejected record of an ingest batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Rejected {
    /// Position in `records`.
    pub index: usize,
    /// What is wrong with it.
    pub errors: Vec<crate::error::FieldError>,
}

/// Outcome of an ingest batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"received": 3, "accepted": 2, "inserted": 2, "rejected": [{"index": 1, "errors": [{"field": "client_ip", "message": "must be an IP address"}]}]}))]
pub struct IngestResult {
    /// Records in the batch.
    pub received: usize,
    /// Records that passed validation.
    pub accepted: usize,
    /// Newly stored rows (accepted minus ids already stored).
    pub inserted: i64,
    /// Records refused, by index.
    pub rejected: Vec<Rejected>,
}

/// A TLS handshake, established or refused, reported by a gateway
/// (`POST /api/v1/ingest/tls-sessions`). Sent once per handshake: the
/// names fixed at compile time are borrowed, not copied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"id": "tls_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f", "gateway_id": "gw_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f", "client_ip": "203.0.113.7", "sni": "api.example.com", "protocol_version": "TLSv1.3", "cipher_suite": "TLS13_AES_128_GCM_SHA256", "kx_group": "X25519MLKEM768", "pqc": true, "handshake_duration_us": 1800, "established_at": "2026-01-01T12:00:00Z"}))]
pub struct TlsSessionRecord {
    /// `tls_…` id chosen by the gateway so re-sent batches are idempotent
    /// (generated by the control plane when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Reporting gateway (must be registered; stamped when sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_id: Option<String>,
    /// Client IP address.
    pub client_ip: String,
    /// Server name the client sent (SNI, at most 253 characters); absent
    /// when it sent none.
    #[serde(default)]
    pub sni: Option<String>,
    /// `TLSv1.2` or `TLSv1.3` (required unless `outcome` is `failed`).
    #[serde(default)]
    pub protocol_version: Option<String>,
    /// Cipher suite (required unless `outcome` is `failed`).
    #[serde(default)]
    pub cipher_suite: Option<String>,
    /// Key-exchange group.
    #[serde(default)]
    pub kx_group: Option<String>,
    /// Post-quantum or hybrid key exchange.
    pub pqc: bool,
    /// Resumed session.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub resumed: bool,
    /// ALPN protocol.
    #[serde(default)]
    pub alpn: Option<String>,
    /// Handshake time in microseconds.
    #[serde(default)]
    pub handshake_duration_us: Option<i64>,
    /// Handshake completion (or failure) time.
    pub established_at: DateTime<Utc>,
    /// `established` (default) or `failed` (the handshake was refused).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub outcome: Option<Cow<'static, str>>,
    /// Why a failed handshake failed (≤ 500 bytes).
    #[serde(default)]
    pub failure_reason: Option<String>,
    /// Key-exchange groups the ClientHello offered (≤ 32 names of 1 to 64
    /// characters from `A-Z a-z 0-9 _ -`; GREASE left out).
    #[serde(default)]
    pub offered_groups: Option<Vec<String>>,
    /// Signature schemes the ClientHello offered, by IANA name (≤ 32 names
    /// of 1 to 64 characters from `A-Z a-z 0-9 _ -`; GREASE left out).
    #[serde(default)]
    pub offered_sig_algs: Option<Vec<String>>,
    /// Public-key algorithm of the certificate served (≤ 64 characters,
    /// e.g. `ECDSA-P256`, `RSA-2048`, `ML-DSA-65`); absent when the
    /// handshake failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub cert_algorithm: Option<Cow<'static, str>>,
    /// Key-exchange policy the listener applied: `CNSA2`, `PQC_ONLY`,
    /// `PQC_PREFERRED` or `CLASSICAL_ALLOWED`.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub policy: Option<Cow<'static, str>>,
    /// Route of the connection's first request (`rt_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route_id: Option<String>,
    /// Coarse client family of the first request (≤ 64 characters, e.g.
    /// `Chrome 131`, `curl`); never a raw user agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_family: Option<String>,
}

impl TlsSessionRecord {
    /// A fresh `tls_…` id.
    pub fn new_id() -> String {
        crate::ids::TlsSessionId::new().to_string()
    }
}

/// A threat event reported by a gateway (`POST /api/v1/ingest/threats`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"gateway_id": "gw_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f", "client_ip": "198.51.100.9", "route_id": "rt_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f", "method": "POST", "path": "/login", "threat_type": "credential_stuffing", "severity": "HIGH", "anomaly_score": 0.93, "bot_score": 0.88, "reasons": ["burst of failed logins"], "action_taken": "blocked", "detected_at": "2026-01-01T12:00:00Z"}))]
pub struct ThreatRecord {
    /// `thr_…` id chosen by the gateway so re-sent batches are idempotent
    /// (generated by the control plane when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Reporting gateway (must be registered; stamped when sent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway_id: Option<String>,
    /// Client IP address.
    pub client_ip: String,
    /// User agent (≤ 1024 bytes).
    #[serde(default)]
    pub user_agent: Option<String>,
    /// Matched route.
    #[serde(default)]
    pub route_id: Option<String>,
    /// HTTP method.
    #[serde(default)]
    pub method: Option<String>,
    /// Request path (≤ 2048 bytes).
    #[serde(default)]
    pub path: Option<String>,
    /// lower_snake type, e.g. `bot`, `anomaly`.
    #[schema(value_type = String)]
    pub threat_type: Cow<'static, str>,
    /// LOW, MEDIUM, HIGH or CRITICAL.
    #[schema(value_type = String)]
    pub severity: Cow<'static, str>,
    /// 0..1.
    #[serde(default)]
    pub anomaly_score: Option<f64>,
    /// 0..1.
    #[serde(default)]
    pub bot_score: Option<f64>,
    /// Reasons given by the AI engine (≤ 32).
    #[serde(default)]
    pub reasons: Vec<String>,
    /// allowed, flagged or blocked.
    #[schema(value_type = String)]
    pub action_taken: Cow<'static, str>,
    /// Detection time.
    pub detected_at: DateTime<Utc>,
}

impl ThreatRecord {
    /// A fresh `thr_…` id.
    pub fn new_id() -> String {
        crate::ids::ThreatId::new().to_string()
    }
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

    /// Parses `literal` (what the gateway sent before the types were
    /// shared, copied byte for byte) and serialises it back unchanged.
    fn same_bytes<T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
        literal: &str,
    ) -> T {
        let parsed: T = serde_json::from_str(literal).unwrap();
        assert_eq!(serde_json::to_string(&parsed).unwrap(), literal);
        let again: T = serde_json::from_str(&serde_json::to_string(&parsed).unwrap()).unwrap();
        assert_eq!(again, parsed);
        parsed
    }

    /// The etcd documents of the QSGW config (the `/qsgw/v1/routes/{id}`
    /// and `/qsgw/v1/upstreams/{id}` values, written out here field by
    /// field) read into the shared types and write back byte for byte; a
    /// wildcard host and a canonical path pass through their parsed types
    /// unchanged, and a snapshot of both round-trips.
    #[test]
    fn config_documents_keep_their_wire_form() {
        let route: RouteConfig = same_bytes(
            r#"{"id":"rt_0123456789abcdef0123456789abcdef","name":"orders","host":"*.example.com","path":"/api/orders/","path_match":"prefix","methods":["GET","POST"],"upstream_id":"ups_0123456789abcdef0123456789abcdef","strip_prefix":true,"timeout_ms":5000,"retries":1,"rate_limit":{"rps":100,"burst":200},"tls_policy":"PQC_ONLY","inspection":"async","bots":"allow_verified","client_cert_required":false,"enabled":true,"version":3}"#,
        );
        assert!(route
            .host
            .as_ref()
            .is_some_and(|h| h.matches("shop.example.com")));
        let upstream: UpstreamConfig = same_bytes(
            r#"{"id":"ups_0123456789abcdef0123456789abcdef","name":"orders","targets":[{"host":"10.0.0.5","port":8443,"weight":2}],"lb_policy":"round_robin","health_check":{"enabled":true,"path":"/healthz","interval_ms":10000,"timeout_ms":2000,"expected_status":200,"healthy_threshold":2,"unhealthy_threshold":3},"ejection":{"after_failures":5,"duration_ms":30000},"pool_size":null,"connect_timeout_ms":5000,"request_timeout_ms":null,"version":1}"#,
        );
        let snapshot = ConfigSnapshot {
            revision: 7,
            routes: vec![route],
            upstreams: vec![upstream],
        };
        let back: ConfigSnapshot =
            serde_json::from_str(&serde_json::to_string(&snapshot).unwrap()).unwrap();
        assert_eq!(back, snapshot);
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn an_established_session_record_keeps_its_wire_form() {
        let rec: TlsSessionRecord = same_bytes(concat!(
            r#"{"id":"tls_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f","gateway_id":"gw_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f","#,
            r#""client_ip":"203.0.113.7","sni":"api.example.com","protocol_version":"TLSv1.3","#,
            r#""cipher_suite":"TLS13_AES_128_GCM_SHA256","kx_group":"X25519MLKEM768","pqc":true,"#,
            r#""alpn":"h2","handshake_duration_us":1800,"established_at":"2026-01-01T12:00:00Z","#,
            r#""outcome":"established","failure_reason":null,"offered_groups":["X25519MLKEM768","X25519"],"#,
            r#""offered_sig_algs":["ecdsa_secp256r1_sha256"],"cert_algorithm":"ECDSA-P256","#,
            r#""policy":"PQC_PREFERRED","route_id":"rt_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f","client_family":"curl"}"#
        ));
        assert_eq!(rec.outcome.as_deref(), Some("established"));
        assert!(!rec.resumed);
        assert_eq!(rec.established_at, at("2026-01-01T12:00:00Z"));
    }

    #[test]
    fn a_refused_handshake_record_keeps_its_wire_form() {
        // Not yet stamped with the gateway id, no certificate, no route.
        let rec: TlsSessionRecord = same_bytes(concat!(
            r#"{"id":"tls_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f","client_ip":"198.51.100.9","sni":null,"#,
            r#""protocol_version":null,"cipher_suite":null,"kx_group":null,"pqc":false,"alpn":null,"#,
            r#""handshake_duration_us":250,"established_at":"2026-01-01T12:00:00.123456Z","outcome":"failed","#,
            r#""failure_reason":"no common group; policy PQC_ONLY; client offered groups [X25519] (none post-quantum)","#,
            r#""offered_groups":["X25519"],"offered_sig_algs":[],"policy":"PQC_ONLY"}"#
        ));
        assert_eq!(rec.gateway_id, None);
        assert_eq!(rec.cert_algorithm, None);
        assert_eq!(rec.offered_sig_algs, Some(vec![]));
    }

    #[test]
    fn a_session_record_built_by_the_gateway_round_trips() {
        let rec = TlsSessionRecord {
            id: Some(TlsSessionRecord::new_id()),
            gateway_id: None,
            client_ip: "2001:db8::1".into(),
            sni: None,
            protocol_version: Some("TLSv1.3".into()),
            cipher_suite: Some("TLS13_AES_256_GCM_SHA384".into()),
            kx_group: Some("MLKEM1024".into()),
            pqc: true,
            resumed: true,
            alpn: None,
            handshake_duration_us: None,
            established_at: at("2026-03-04T05:06:07Z"),
            outcome: Some(Cow::Borrowed("established")),
            failure_reason: None,
            offered_groups: None,
            offered_sig_algs: None,
            cert_algorithm: Some(Cow::Borrowed("ML-DSA-65")),
            policy: Some(Cow::Borrowed("CNSA2")),
            route_id: None,
            client_family: None,
        };
        let json = serde_json::to_string(&IngestBatch {
            records: vec![rec.clone()],
        })
        .unwrap();
        assert!(json.contains(r#""resumed":true"#), "{json}");
        let back: IngestBatch<TlsSessionRecord> = serde_json::from_str(&json).unwrap();
        assert_eq!(back.records, vec![rec]);
        // What the control plane still accepts: the fewest fields.
        let min: TlsSessionRecord = serde_json::from_str(
            r#"{"client_ip":"203.0.113.7","pqc":false,"established_at":"2026-01-01T12:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(
            (min.id, min.outcome, min.offered_groups),
            (None, None, None)
        );
        assert!(
            serde_json::from_str::<TlsSessionRecord>(
                r#"{"client_ip":"203.0.113.7","pqc":false,"established_at":"2026-01-01T12:00:00Z","extra":1}"#
            )
            .is_err(),
            "unknown fields are refused"
        );
    }

    #[test]
    fn a_threat_record_keeps_its_wire_form() {
        let ev: ThreatRecord = same_bytes(concat!(
            r#"{"id":"thr_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f","gateway_id":"gw_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f","#,
            r#""client_ip":"198.51.100.9","user_agent":"curl/8.5.0","route_id":"rt_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f","#,
            r#""method":"POST","path":"/login","threat_type":"bot","severity":"HIGH","anomaly_score":0.25,"#,
            r#""bot_score":0.875,"reasons":["ua_is_tool (bot, +0.500)"],"action_taken":"blocked","#,
            r#""detected_at":"2026-01-01T12:00:00Z"}"#
        ));
        assert_eq!(&*ev.severity, "HIGH");
        let unstamped: ThreatRecord = same_bytes(concat!(
            r#"{"id":"thr_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f","client_ip":"0.0.0.0","user_agent":null,"#,
            r#""route_id":null,"method":null,"path":null,"threat_type":"upstream_classical_tls","#,
            r#""severity":"MEDIUM","anomaly_score":null,"bot_score":null,"reasons":["r"],"#,
            r#""action_taken":"flagged","detected_at":"2026-01-01T12:00:00Z"}"#
        ));
        let built = ThreatRecord {
            id: unstamped.id.clone(),
            gateway_id: None,
            client_ip: "0.0.0.0".into(),
            user_agent: None,
            route_id: None,
            method: None,
            path: None,
            threat_type: Cow::Borrowed("upstream_classical_tls"),
            severity: Cow::Borrowed("MEDIUM"),
            anomaly_score: None,
            bot_score: None,
            reasons: vec!["r".into()],
            action_taken: Cow::Borrowed("flagged"),
            detected_at: at("2026-01-01T12:00:00Z"),
        };
        assert_eq!(built, unstamped);
        assert!(ThreatRecord::new_id().starts_with("thr_"));
    }

    #[test]
    fn registration_keeps_its_wire_form() {
        let reg: RegisterGateway = same_bytes(concat!(
            r#"{"name":"gw-eu-1","hostname":"gw-eu-1.internal","address":"0.0.0.0:8443","#,
            r#""software_version":"0.1.0","tls_policy":"PQC_PREFERRED"}"#
        ));
        assert_eq!(reg.labels, None);
        let labelled: RegisterGateway =
            serde_json::from_str(r#"{"name":"gw","labels":{"region":"eu"},"tls_policy":"CNSA2"}"#)
                .unwrap();
        assert_eq!(labelled.tls_policy, Some(TlsPolicy::Cnsa2));
        let back: RegisterGateway =
            serde_json::from_str(&serde_json::to_string(&labelled).unwrap()).unwrap();
        assert_eq!(back, labelled);
    }

    #[test]
    fn a_heartbeat_keeps_its_wire_form() {
        let hb: Heartbeat = same_bytes(concat!(
            r#"{"config_revision_seen":42,"software_version":"0.1.0","#,
            r#""upstream_health":[{"upstream_id":"ups_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f","target":"10.0.0.1:443","healthy":true,"#,
            r#""tls":{"protocol":"TLSv1.3","kx_group":"X25519MLKEM768","pqc":true,"cert_algorithm":"ECDSA-P256","cert_not_after":"2027-01-01T00:00:00Z"}},"#,
            r#"{"upstream_id":"ups_01936f2e8c4a7b3d9e0f1a2b3c4d5e6f","target":"10.0.0.2:80","healthy":false}],"#,
            r#""requests":12,"errors":1,"#,
            r#""traffic_by_group":[{"route_id":null,"kx_group":"X25519","pqc":false,"client_family":"other","sessions":1,"requests":2,"bytes_in":300,"bytes_out":4000}],"#,
            r#""served_certificates":[{"sha256":"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff","#,
            r#""subject":"CN=localhost","issuer":"CN=localhost","serial":"01","not_before":"2026-01-01T00:00:00Z","#,
            r#""not_after":"2027-01-01T00:00:00Z","dns_names":["localhost"],"public_key_algorithm":"ECDSA-P256","#,
            r#""signature_algorithm":"ecdsa-with-SHA256"}]}"#
        ));
        assert_eq!(hb.upstream_health.as_ref().map(Vec::len), Some(2));
        // The control plane's reading of a bare heartbeat: nothing else.
        let bare: Heartbeat = serde_json::from_str(r#"{"config_revision_seen":1}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&bare).unwrap(),
            r#"{"config_revision_seen":1}"#
        );
    }

    #[test]
    fn an_ingest_result_round_trips() {
        let r: IngestResult = same_bytes(concat!(
            r#"{"received":3,"accepted":2,"inserted":1,"rejected":[{"index":1,"errors":"#,
            r#"[{"field":"client_ip","message":"must be an IP address"}]}]}"#
        ));
        assert_eq!(r.rejected[0].errors[0].field, "client_ip");
    }
}
