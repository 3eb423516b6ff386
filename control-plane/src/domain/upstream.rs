//! Upstreams: API input, validation, database row and the etcd form.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::error::Problem;
use shared::ids::UpstreamId;
use shared::qsgw::{HealthCheck, LbPolicy, PassiveEjection, Target, UpstreamConfig, UpstreamTls};
use utoipa::ToSchema;

use super::validate::{check_path, is_host, Errors};
use shared::edge::TargetGuard;

/// One target as sent by clients.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"host": "10.0.0.5", "port": 8080, "weight": 10}))]
pub struct TargetInput {
    /// Host name or IP address.
    pub host: String,
    /// TCP port, 1..65535.
    pub port: i64,
    /// Weight 0..10000 (default 1; 0 drains the target).
    #[serde(default)]
    pub weight: Option<i64>,
}

/// Health-check settings; omitted fields take their defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct HealthCheckInput {
    /// Active checks on (default false).
    pub enabled: Option<bool>,
    /// Path requested (default `/health`).
    pub path: Option<String>,
    /// Interval, 100..3600000 ms (default 10000).
    pub interval_ms: Option<i64>,
    /// Timeout, 10..60000 ms and at most the interval (default 2000).
    pub timeout_ms: Option<i64>,
    /// Healthy status, 100..599 (default 200).
    pub expected_status: Option<i64>,
    /// Successes to mark healthy, 1..100 (default 2).
    pub healthy_threshold: Option<i64>,
    /// Failures to mark unhealthy, 1..100 (default 3).
    pub unhealthy_threshold: Option<i64>,
}

/// Passive ejection settings; omitted fields take their defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct EjectionInput {
    /// Consecutive failures before ejection, 0..1000 (default 5; 0 disables).
    pub after_failures: Option<i64>,
    /// Ejection time, 100..86400000 ms (default 30000).
    pub duration_ms: Option<i64>,
}

/// Body of `POST /api/v1/upstreams` and `PUT /api/v1/upstreams/{id}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "name": "orders",
    "targets": [{"host": "10.0.0.5", "port": 8080, "weight": 1}],
    "lb_policy": "round_robin",
    "health_check": {"enabled": true, "path": "/health"},
    "connect_timeout_ms": 2000
}))]
pub struct UpstreamInput {
    /// Unique name, 1..128 characters.
    pub name: String,
    /// Free text, up to 2000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// Backends, 1..256.
    pub targets: Vec<TargetInput>,
    /// Balancing policy (default round_robin).
    #[serde(default)]
    pub lb_policy: Option<LbPolicy>,
    /// Active health checks.
    #[serde(default)]
    pub health_check: Option<HealthCheckInput>,
    /// Passive ejection.
    #[serde(default)]
    pub ejection: Option<EjectionInput>,
    /// Connections per target, 1..100000 (default: gateway's).
    #[serde(default)]
    pub pool_size: Option<i64>,
    /// Connect timeout, 1..300000 ms (default 5000).
    #[serde(default)]
    pub connect_timeout_ms: Option<i64>,
    /// Request timeout, 1..3600000 ms (default: gateway's).
    #[serde(default)]
    pub request_timeout_ms: Option<i64>,
    /// TLS to the targets (absent: plain HTTP/1.1).
    #[serde(default)]
    pub tls: Option<UpstreamTls>,
}

/// A validated upstream, ready for the database.
#[derive(Debug, Clone)]
pub struct ValidUpstream {
    /// Name, 1..128 characters; unique among upstreams (`upstreams_name_key`).
    pub name: String,
    /// Operator's free text, at most 2000 characters.
    pub description: Option<String>,
    /// 1..256 backends, hosts lower-cased, each passed by the target guard.
    pub targets: Vec<Target>,
    /// Load-balancing policy (default round_robin).
    pub lb_policy: LbPolicy,
    /// Whether active health checks run (default false).
    pub hc_enabled: bool,
    /// Path the active checks request with GET (default `/health`).
    pub hc_path: String,
    /// Time between active checks, 100..3600000 ms (default 10000).
    pub hc_interval_ms: i32,
    /// Timeout of one check, 10..60000 ms and at most the interval (default 2000).
    pub hc_timeout_ms: i32,
    /// HTTP status a check must get to count as healthy, 100..599 (default 200).
    pub hc_expected_status: i32,
    /// Consecutive successful checks that mark a target healthy, 1..100 (default 2).
    pub hc_healthy_threshold: i32,
    /// Consecutive failed checks that mark a target unhealthy, 1..100 (default 3).
    pub hc_unhealthy_threshold: i32,
    /// Consecutive proxy failures that eject a target, 0..1000 (default 5; 0 disables
    /// ejection).
    pub eject_after_failures: i32,
    /// How long an ejected target stays out, 100..86400000 ms (default 30000).
    pub eject_duration_ms: i32,
    /// Connections per target, 1..100000; `None`: the gateway default.
    pub pool_size: Option<i32>,
    /// Milliseconds to open a connection to one target (DNS, TCP, TLS handshake), 1..300000
    /// (default 5000).
    pub connect_timeout_ms: i32,
    /// Request timeout in milliseconds, 1..3600000; `None`: the gateway default.
    pub request_timeout_ms: Option<i32>,
    /// TLS block (JSON), validated.
    pub tls: Option<serde_json::Value>,
}

/// Largest CA bundle accepted in `tls.ca`.
pub const MAX_CA_PEM: usize = 64 * 1024;

/// Checks an upstream's TLS block: a server name the gateway can send, a
/// CA bundle of PEM certificates, absolute paths for the client
/// certificate and key (given together).
fn check_tls(e: &mut Errors, t: &UpstreamTls) {
    if let Some(sni) = &t.sni {
        if shared::edge::HostPattern::parse(sni)
            .map(|h| matches!(h.kind(), shared::edge::HostKind::Wildcard(_)))
            .unwrap_or(true)
        {
            e.add("tls.sni", "must be a host name (no wildcard)");
        }
    }
    if let Some(ca) = &t.ca {
        if ca.len() > MAX_CA_PEM {
            e.add("tls.ca", format!("at most {MAX_CA_PEM} bytes of PEM"));
        } else {
            use rustls::pki_types::pem::PemObject;
            let certs: Result<Vec<_>, _> =
                rustls::pki_types::CertificateDer::pem_slice_iter(ca.as_bytes()).collect();
            if !certs.is_ok_and(|c| !c.is_empty()) {
                e.add("tls.ca", "must hold one or more PEM certificates");
            }
        }
    }
    for (field, path) in [
        ("tls.client_cert_path", &t.client_cert_path),
        ("tls.client_key_path", &t.client_key_path),
    ] {
        if let Some(p) = path {
            if !p.starts_with('/') || p.len() > 4096 || p.contains('\0') {
                e.add(
                    field,
                    "must be an absolute path on the gateway hosts (at most 4096 bytes)",
                );
            }
        }
    }
    if t.client_cert_path.is_some() != t.client_key_path.is_some() {
        e.add(
            "tls.client_key_path",
            "tls.client_cert_path and tls.client_key_path go together",
        );
    }
}

impl UpstreamInput {
    /// Validates every field, reporting all errors by path. Targets in
    /// loopback, link-local (cloud metadata) or unroutable addresses, or
    /// naming one of this deployment's own services, are refused unless
    /// `guard` allows them (`QSGW_ALLOWED_PRIVATE_TARGETS`): a route would
    /// otherwise expose them to the internet.
    pub fn validate(&self, guard: &TargetGuard) -> Result<ValidUpstream, Problem> {
        let mut e = Errors::default();
        e.text("name", &self.name, 1, 128);
        if let Some(d) = &self.description {
            if d.chars().count() > 2000 {
                e.add("description", "must be at most 2000 characters");
            }
        }
        if self.targets.is_empty() || self.targets.len() > 256 {
            e.add("targets", "must hold 1 to 256 targets");
        }
        let mut targets = Vec::with_capacity(self.targets.len());
        for (i, t) in self.targets.iter().enumerate() {
            if !is_host(&t.host) {
                e.add(
                    format!("targets[{i}].host"),
                    "must be a host name or IP address (without port)",
                );
            }
            let port = e.range(&format!("targets[{i}].port"), t.port, 1, 65535);
            if is_host(&t.host) {
                if let Err(class) = guard.check_target(&t.host, u16::try_from(port).unwrap_or(1)) {
                    e.add(
                        format!("targets[{i}].host"),
                        format!(
                            "is {}; targets may not use it unless QSGW_ALLOWED_PRIVATE_TARGETS allows it",
                            class.describe()
                        ),
                    );
                }
            }
            let weight = e.range(
                &format!("targets[{i}].weight"),
                t.weight.unwrap_or(1),
                0,
                10000,
            );
            targets.push(Target {
                host: t.host.to_ascii_lowercase(),
                port: u16::try_from(port).unwrap_or(1),
                weight: u32::try_from(weight).unwrap_or(0),
            });
        }
        let lb_policy = self.lb_policy.unwrap_or(LbPolicy::RoundRobin);
        if lb_policy == LbPolicy::Weighted
            && !targets.is_empty()
            && targets.iter().all(|t| t.weight == 0)
        {
            e.add(
                "targets",
                "weighted policy needs at least one target with weight > 0",
            );
        }
        let hc = self.health_check.clone().unwrap_or_default();
        let hc_path = hc.path.clone().unwrap_or_else(|| "/health".to_owned());
        check_path(&mut e, "health_check.path", &hc_path);
        let interval = e.range(
            "health_check.interval_ms",
            hc.interval_ms.unwrap_or(10_000),
            100,
            3_600_000,
        );
        let timeout = e.range(
            "health_check.timeout_ms",
            hc.timeout_ms.unwrap_or(2000),
            10,
            60_000,
        );
        if hc.timeout_ms.unwrap_or(2000) <= 60_000 && timeout > interval {
            e.add(
                "health_check.timeout_ms",
                "must not exceed health_check.interval_ms",
            );
        }
        let status = e.range(
            "health_check.expected_status",
            hc.expected_status.unwrap_or(200),
            100,
            599,
        );
        let healthy = e.range(
            "health_check.healthy_threshold",
            hc.healthy_threshold.unwrap_or(2),
            1,
            100,
        );
        let unhealthy = e.range(
            "health_check.unhealthy_threshold",
            hc.unhealthy_threshold.unwrap_or(3),
            1,
            100,
        );
        let ej = self.ejection.clone().unwrap_or_default();
        let after = e.range(
            "ejection.after_failures",
            ej.after_failures.unwrap_or(5),
            0,
            1000,
        );
        let duration = e.range(
            "ejection.duration_ms",
            ej.duration_ms.unwrap_or(30_000),
            100,
            86_400_000,
        );
        let pool_size = self.pool_size.map(|p| e.range("pool_size", p, 1, 100_000));
        let connect = e.range(
            "connect_timeout_ms",
            self.connect_timeout_ms.unwrap_or(5000),
            1,
            300_000,
        );
        let request = self
            .request_timeout_ms
            .map(|t| e.range("request_timeout_ms", t, 1, 3_600_000));
        if let Some(t) = &self.tls {
            check_tls(&mut e, t);
        }
        e.finish()?;
        Ok(ValidUpstream {
            name: self.name.clone(),
            description: self.description.clone(),
            targets,
            lb_policy,
            hc_enabled: hc.enabled.unwrap_or(false),
            hc_path,
            hc_interval_ms: interval,
            hc_timeout_ms: timeout,
            hc_expected_status: status,
            hc_healthy_threshold: healthy,
            hc_unhealthy_threshold: unhealthy,
            eject_after_failures: after,
            eject_duration_ms: duration,
            pool_size,
            connect_timeout_ms: connect,
            request_timeout_ms: request,
            tls: self
                .tls
                .as_ref()
                .map(serde_json::to_value)
                .transpose()
                .map_err(Problem::internal)?,
        })
    }
}

/// An `upstreams` row: the [`UpstreamConfig`] gateways receive (through
/// [`UpstreamRow::to_config`]) in columns, plus description, version and timestamps.
#[derive(Debug, Clone)]
pub struct UpstreamRow {
    /// `ups_` + 32 hex digits of a UUIDv7, assigned by the control plane at creation.
    pub id: String,
    /// Name, 1..128 characters, unique (`upstreams_name_key`).
    pub name: String,
    /// Operator's free text, at most 2000 characters; not sent to gateways.
    pub description: Option<String>,
    /// Targets as a JSON array of `{host, port, weight}`.
    pub targets: serde_json::Value,
    /// `round_robin` (column default), `least_conn` or `weighted`.
    pub lb_policy: String,
    /// Whether active health checks run.
    pub hc_enabled: bool,
    /// Path the active checks request with GET.
    pub hc_path: String,
    /// Time between active checks in ms, 100..3600000.
    pub hc_interval_ms: i32,
    /// Timeout of one check in ms, 10..60000, at most `hc_interval_ms`.
    pub hc_timeout_ms: i32,
    /// HTTP status that counts as healthy, 100..599.
    pub hc_expected_status: i32,
    /// Consecutive successful checks that mark a target healthy, 1..100.
    pub hc_healthy_threshold: i32,
    /// Consecutive failed checks that mark a target unhealthy, 1..100.
    pub hc_unhealthy_threshold: i32,
    /// Consecutive proxy failures that eject a target, 0..1000; 0 disables ejection.
    pub eject_after_failures: i32,
    /// How long an ejected target stays out, 100..86400000 ms.
    pub eject_duration_ms: i32,
    /// Connections per target, 1..100000; `NULL`: the gateway default.
    pub pool_size: Option<i32>,
    /// Milliseconds to open a connection to one target (DNS, TCP, TLS handshake), 1..300000.
    pub connect_timeout_ms: i32,
    /// Request timeout in milliseconds, 1..3600000; `NULL`: the gateway default.
    pub request_timeout_ms: Option<i32>,
    /// TLS to the targets as JSON ([`UpstreamTls`]); `NULL`: plain HTTP/1.1.
    pub tls: Option<serde_json::Value>,
    /// Starts at 1 and grows by one at each update; the `ETag` that `If-Match` must name.
    pub version: i64,
    /// When the row was inserted (database `now()`).
    pub created_at: DateTime<Utc>,
    /// When the row was last updated (set to `now()` by each update).
    pub updated_at: DateTime<Utc>,
}

/// An upstream as the API returns it: the gateway's view plus bookkeeping.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Upstream {
    /// What gateways receive.
    #[serde(flatten)]
    pub config: UpstreamConfig,
    /// Free text.
    pub description: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last update.
    pub updated_at: DateTime<Utc>,
}

fn lb_from_db(s: &str) -> LbPolicy {
    match s {
        "least_conn" => LbPolicy::LeastConn,
        "weighted" => LbPolicy::Weighted,
        _ => LbPolicy::RoundRobin,
    }
}

/// Database spelling of a policy.
pub fn lb_to_db(p: LbPolicy) -> &'static str {
    match p {
        LbPolicy::RoundRobin => "round_robin",
        LbPolicy::LeastConn => "least_conn",
        LbPolicy::Weighted => "weighted",
    }
}

impl UpstreamRow {
    /// The etcd / snapshot form.
    pub fn to_config(&self) -> Result<UpstreamConfig, Problem> {
        let to_u64 = |v: i32| u64::try_from(v).unwrap_or(0);
        let to_u32 = |v: i32| u32::try_from(v).unwrap_or(0);
        Ok(UpstreamConfig {
            id: UpstreamId::parse(&self.id).map_err(Problem::internal)?,
            name: self.name.clone(),
            targets: serde_json::from_value(self.targets.clone()).map_err(Problem::internal)?,
            lb_policy: lb_from_db(&self.lb_policy),
            health_check: HealthCheck {
                enabled: self.hc_enabled,
                path: self.hc_path.clone(),
                interval_ms: to_u64(self.hc_interval_ms),
                timeout_ms: to_u64(self.hc_timeout_ms),
                expected_status: u16::try_from(self.hc_expected_status).unwrap_or(200),
                healthy_threshold: to_u32(self.hc_healthy_threshold),
                unhealthy_threshold: to_u32(self.hc_unhealthy_threshold),
            },
            ejection: PassiveEjection {
                after_failures: to_u32(self.eject_after_failures),
                duration_ms: to_u64(self.eject_duration_ms),
            },
            pool_size: self.pool_size.map(to_u32),
            connect_timeout_ms: to_u64(self.connect_timeout_ms),
            request_timeout_ms: self.request_timeout_ms.map(to_u64),
            tls: self
                .tls
                .clone()
                .map(serde_json::from_value)
                .transpose()
                .map_err(Problem::internal)?,
            version: self.version,
        })
    }

    /// The API form.
    pub fn to_api(&self) -> Result<Upstream, Problem> {
        Ok(Upstream {
            config: self.to_config()?,
            description: self.description.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}
