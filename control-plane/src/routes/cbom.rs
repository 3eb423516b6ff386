//! The runtime CBOM: a CycloneDX 1.7 cryptography bill of materials of
//! what the gateway fleet actually negotiated in a window (`GET
//! /api/v1/cbom`), built from the recorded TLS sessions: one protocol
//! component per TLS version seen, with the cipher suites used under it
//! (IANA names; code points for the TLS 1.3 suites from RFC 8446 §B.4) and
//! each suite's and key-exchange group's share as properties, and one
//! algorithm component per key-exchange group (primitive `kem` for ML-KEM
//! and its hybrids, `key-agree` for the classical groups; NIST security
//! category from FIPS 203 Table 2 for ML-KEM-512/768/1024, 0 for the
//! classical ones). Refused handshakes are not in it (nothing was
//! negotiated).
//!
//! Beside the client legs, what the gateways reported with their
//! heartbeats in the window: the certificates they serve (certificate
//! components with subject, issuer, serial and validity, each related to
//! its public key and its issuer's signature algorithm; NIST category of
//! ML-DSA-44/65/87 from FIPS 204 Table 1) and the TLS legs to upstream
//! targets (one protocol component per upstream target reached over TLS,
//! naming the negotiated group).
//!
//! Each protocol and key-exchange group component says which routes
//! negotiated it, so a finding QRAP makes of it links back to them: one
//! CycloneDX `evidence.occurrences[]` entry per route (location `qsgw route
//! rt_… (host/path)`, most sessions first, at most [`MAX_ROUTES`]) and
//! `quantun:route:<id>:sessions` properties; handshakes whose connection
//! carried no routed request are one `qsgw no route …` occurrence.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use shared::auth::{RequireRole, Viewer};
use shared::error::Problem;
use shared::json::AppQuery;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::repo;
use crate::routes::gateways::{ServedCertificate, TargetHealth, TargetTls};
use crate::state::AppState;
use shared::error::ApiError;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(runtime_cbom))
}

/// Parameters of `GET /api/v1/cbom`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CbomParams {
    /// Window start (default: 7 days before `to`).
    pub from: Option<DateTime<Utc>>,
    /// Window end (default: now).
    pub to: Option<DateTime<Utc>>,
}

/// The IANA name of a cipher suite as the gateway reports it (rustls names
/// the TLS 1.3 suites `TLS13_…`; IANA `TLS_…`).
fn iana_suite(name: &str) -> String {
    name.strip_prefix("TLS13_")
        .map_or_else(|| name.to_owned(), |rest| format!("TLS_{rest}"))
}

/// RFC 8446 §B.4 code points of the TLS 1.3 suites.
fn suite_identifiers(iana: &str) -> Option<[&'static str; 2]> {
    match iana {
        "TLS_AES_128_GCM_SHA256" => Some(["0x13", "0x01"]),
        "TLS_AES_256_GCM_SHA384" => Some(["0x13", "0x02"]),
        "TLS_CHACHA20_POLY1305_SHA256" => Some(["0x13", "0x03"]),
        "TLS_AES_128_CCM_SHA256" => Some(["0x13", "0x04"]),
        "TLS_AES_128_CCM_8_SHA256" => Some(["0x13", "0x05"]),
        _ => None,
    }
}

/// CycloneDX primitive and NIST security category of a key-exchange group.
fn group_kind(group: &str) -> (&'static str, u8) {
    let g = group.to_ascii_uppercase();
    if g.contains("MLKEM1024") {
        ("kem", 5)
    } else if g.contains("MLKEM768") {
        ("kem", 3)
    } else if g.contains("MLKEM512") {
        ("kem", 1)
    } else {
        ("key-agree", 0)
    }
}

fn share(part: i64, whole: i64) -> String {
    format!("{:.4}", super::ratio(part, whole).unwrap_or(0.0))
}

/// Routes listed per component (most sessions first); the rest are
/// counted in `quantun:routes_omitted`, so the document stays bounded
/// whatever the size of the routing table.
pub const MAX_ROUTES: usize = 256;

/// The occurrence location of sessions whose connection carried no routed
/// request (a handshake alone, or requests no route matched).
pub const NO_ROUTE_LOCATION: &str = "qsgw no route (handshakes without a routed request)";

/// The route a tally of sessions was recorded under.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum RouteSeen {
    /// No route (see [`NO_ROUTE_LOCATION`]).
    None,
    /// A route: its id and, while it still exists, its host (`None`: any
    /// host) and path.
    Route {
        /// `rt_…`.
        id: String,
        /// `Some((host, path))` while the route exists; `None` once deleted.
        target: Option<(Option<String>, String)>,
    },
}

impl RouteSeen {
    /// The CycloneDX occurrence location naming it.
    pub fn location(&self) -> String {
        match self {
            Self::None => NO_ROUTE_LOCATION.to_owned(),
            Self::Route {
                id,
                target: Some((host, path)),
            } => format!("qsgw route {id} ({}{path})", host.as_deref().unwrap_or("*")),
            Self::Route { id, target: None } => format!("qsgw route {id} (deleted)"),
        }
    }
}

/// Sessions of one (protocol, suite, group, route) in the window.
#[derive(Debug, Clone)]
pub struct Tally {
    /// `TLSv1.3`, `TLSv1.2`.
    pub protocol: String,
    /// The suite as the gateway names it.
    pub suite: String,
    /// Negotiated key-exchange group, when known.
    pub group: Option<String>,
    /// Route of the connection's first request.
    pub route: RouteSeen,
    /// Established sessions.
    pub sessions: i64,
}

/// Route → sessions of one component.
type RouteCounts = BTreeMap<RouteSeen, i64>;

/// `evidence.occurrences` and the route properties of a component that
/// `routes` negotiated.
fn route_evidence(routes: &RouteCounts) -> (Value, Vec<Value>) {
    let mut ranked: Vec<(&RouteSeen, i64)> = routes.iter().map(|(r, n)| (r, *n)).collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let omitted = ranked.len().saturating_sub(MAX_ROUTES);
    ranked.truncate(MAX_ROUTES);
    let occurrences: Vec<Value> = ranked
        .iter()
        .map(|(r, n)| {
            json!({
                "location": r.location(),
                "additionalContext": format!(
                    "{n} TLS session{} established in the window",
                    if *n == 1 { "" } else { "s" }
                ),
            })
        })
        .collect();
    let ids: Vec<&str> = ranked
        .iter()
        .filter_map(|(r, _)| match r {
            RouteSeen::Route { id, .. } => Some(id.as_str()),
            RouteSeen::None => None,
        })
        .collect();
    let mut properties = vec![prop("quantun:routes", ids.join(","))];
    for (r, n) in &ranked {
        let name = match r {
            RouteSeen::Route { id, .. } => format!("quantun:route:{id}:sessions"),
            RouteSeen::None => "quantun:no_route:sessions".to_owned(),
        };
        properties.push(prop(&name, n));
    }
    if omitted > 0 {
        properties.push(prop("quantun:routes_omitted", omitted));
    }
    (json!({ "occurrences": occurrences }), properties)
}

fn prop(name: &str, value: impl ToString) -> Value {
    json!({"name": name, "value": value.to_string()})
}

/// The runtime CBOM (CycloneDX 1.7) of the sessions established in a window.
#[utoipa::path(get, path = "/api/v1/cbom", tag = "tls-sessions", params(CbomParams),
    security(("bearer" = [])),
    responses((status = 200, description = "CycloneDX 1.7 JSON", content_type = "application/vnd.cyclonedx+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(from = ?p.from, to = ?p.to))]
pub async fn runtime_cbom(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<CbomParams>,
) -> Result<Response, ApiError> {
    let to = p.to.unwrap_or_else(Utc::now);
    let from = p.from.unwrap_or(to - chrono::Duration::days(7));
    let window = super::stats_window(Some(from), Some(to), Some("hour"))?;
    let (from, to) = (window.from, window.to);
    let rows: Vec<Tally> = repo::cbom::session_tallies(&state.pool, from, to)
        .await?
        .into_iter()
        .map(|t| Tally {
            protocol: t.protocol,
            suite: t.suite,
            group: t.group,
            route: match t.route_id {
                None => RouteSeen::None,
                Some(id) => RouteSeen::Route {
                    id,
                    target: t.path.map(|p| (t.host, p)),
                },
            },
            sessions: t.sessions,
        })
        .collect();
    // What the gateways that heartbeated in the window reported.
    let gws = repo::cbom::gateway_reports(&state.pool, from).await?;
    let upstream_names: BTreeMap<String, String> = repo::cbom::upstream_names(&state.pool)
        .await?
        .into_iter()
        .collect();
    let mut fleet = Fleet::default();
    for gw in gws {
        let (gateway, certs, health) = (gw.name, gw.served_certificates, gw.upstream_health);
        // Stored as the heartbeat validated them; anything unreadable is skipped.
        let certs: Vec<ServedCertificate> = serde_json::from_value(certs).unwrap_or_default();
        for c in certs {
            fleet
                .certificates
                .entry(c.sha256.clone())
                .or_insert_with(|| (c, Vec::new()))
                .1
                .push(gateway.clone());
        }
        let health: Vec<TargetHealth> = serde_json::from_value(health).unwrap_or_default();
        for t in health {
            if let Some(tls) = t.tls {
                let name = upstream_names
                    .get(&t.upstream_id)
                    .cloned()
                    .unwrap_or_else(|| t.upstream_id.clone());
                fleet
                    .upstream_legs
                    .entry((t.upstream_id.clone(), t.target.clone()))
                    .or_insert_with(|| (name, tls, Vec::new()))
                    .2
                    .push(gateway.clone());
            }
        }
    }
    let mut doc = build(&rows, from, to);
    add_fleet(&mut doc, &fleet);
    Ok((
        [(header::CONTENT_TYPE, "application/vnd.cyclonedx+json")],
        doc.to_string(),
    )
        .into_response())
}

/// Builds the document from the session tallies.
pub fn build(rows: &[Tally], from: DateTime<Utc>, to: DateTime<Utc>) -> Value {
    // protocol → (sessions, suite → sessions, group → sessions)
    type Counts = (i64, BTreeMap<String, i64>, BTreeMap<String, i64>);
    let mut protocols: BTreeMap<String, Counts> = BTreeMap::new();
    let mut groups: BTreeMap<String, i64> = BTreeMap::new();
    let mut protocol_routes: BTreeMap<String, RouteCounts> = BTreeMap::new();
    let mut group_routes: BTreeMap<String, RouteCounts> = BTreeMap::new();
    let mut suite_groups: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for row in rows {
        let (proto, suite, n) = (&row.protocol, &row.suite, &row.sessions);
        let t = protocols.entry(proto.clone()).or_default();
        t.0 += n;
        *t.1.entry(iana_suite(suite)).or_default() += n;
        *protocol_routes
            .entry(proto.clone())
            .or_default()
            .entry(row.route.clone())
            .or_default() += n;
        if let Some(g) = &row.group {
            *t.2.entry(g.clone()).or_default() += n;
            *groups.entry(g.clone()).or_default() += n;
            *group_routes
                .entry(g.clone())
                .or_default()
                .entry(row.route.clone())
                .or_default() += n;
            let refs = suite_groups
                .entry((proto.clone(), iana_suite(suite)))
                .or_default();
            let r = group_ref(g);
            if !refs.contains(&r) {
                refs.push(r);
            }
        }
    }
    let total: i64 = groups.values().sum();
    let mut components = Vec::new();
    for (proto, (sessions, suites, kx)) in protocols.iter().rev() {
        let version = proto.trim_start_matches("TLSv");
        let cipher_suites: Vec<Value> = suites
            .keys()
            .map(|name| {
                let mut cs = json!({
                    "name": name,
                    "algorithms": suite_groups.get(&(proto.clone(), name.clone())).cloned().unwrap_or_default(),
                });
                if let Some(ids) = suite_identifiers(name) {
                    cs["identifiers"] = json!(ids);
                }
                cs
            })
            .collect();
        let mut properties = vec![prop("quantun:sessions", sessions)];
        for (name, n) in suites {
            properties.push(prop(&format!("quantun:cipher_suite:{name}:sessions"), n));
            properties.push(prop(
                &format!("quantun:cipher_suite:{name}:share"),
                share(*n, *sessions),
            ));
        }
        for (g, n) in kx {
            properties.push(prop(&format!("quantun:kx_group:{g}:sessions"), n));
            properties.push(prop(
                &format!("quantun:kx_group:{g}:share"),
                share(*n, *sessions),
            ));
        }
        let (evidence, route_props) =
            route_evidence(protocol_routes.get(proto).unwrap_or(&RouteCounts::new()));
        properties.extend(route_props);
        components.push(json!({
            "type": "cryptographic-asset",
            "name": proto,
            "bom-ref": format!("crypto/protocol/tls@{version}"),
            "cryptoProperties": {
                "assetType": "protocol",
                "protocolProperties": {"type": "tls", "version": version, "cipherSuites": cipher_suites},
            },
            "evidence": evidence,
            "properties": properties,
        }));
    }
    for (g, n) in &groups {
        let (evidence, route_props) =
            route_evidence(group_routes.get(g).unwrap_or(&RouteCounts::new()));
        let mut properties = vec![
            prop("quantun:sessions", n),
            prop("quantun:share", share(*n, total)),
        ];
        properties.extend(route_props);
        let mut c = kx_algorithm(g);
        c["evidence"] = evidence;
        c["properties"] = json!(properties);
        components.push(c);
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.7",
        "serialNumber": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        "version": 1,
        "metadata": {
            "timestamp": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "component": {"type": "application", "name": "QSGW gateway fleet", "bom-ref": "qsgw-fleet"},
            "properties": [
                prop("quantun:window_from", from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                prop("quantun:window_to", to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                prop("quantun:source", "runtime: TLS sessions established at the gateways"),
            ],
        },
        "components": components,
    })
}

/// What the gateways reported beside the client legs.
#[derive(Debug, Default)]
pub struct Fleet {
    /// Served certificates by SHA-256, with the gateways serving each.
    pub certificates: BTreeMap<String, (ServedCertificate, Vec<String>)>,
    /// TLS legs to upstream targets by (upstream id, target): upstream
    /// name, what the last handshake established, the gateways reporting it.
    pub upstream_legs: BTreeMap<(String, String), (String, TargetTls, Vec<String>)>,
}

/// CycloneDX primitive and NIST category of a certificate's public-key or
/// signature algorithm (FIPS 204 Table 1 for ML-DSA; 0 for the classical).
fn signature_kind(alg: &str) -> u8 {
    match alg {
        a if a.contains("ML-DSA-44") => 2,
        a if a.contains("ML-DSA-65") => 3,
        a if a.contains("ML-DSA-87") => 5,
        _ => 0,
    }
}

fn signature_algorithm(name: &str, bom_ref: &str) -> Value {
    json!({
        "type": "cryptographic-asset",
        "name": name,
        "bom-ref": bom_ref,
        "cryptoProperties": {
            "assetType": "algorithm",
            "algorithmProperties": {
                "primitive": "signature",
                "executionEnvironment": "software-plain-ram",
                "nistQuantumSecurityLevel": signature_kind(name),
                "cryptoFunctions": ["sign", "verify"],
            },
        },
    })
}

/// Adds the served certificates and the upstream legs to `doc`.
pub fn add_fleet(doc: &mut Value, fleet: &Fleet) {
    let mut extra = Vec::new();
    let mut algorithms: BTreeMap<String, Value> = BTreeMap::new();
    for (sha, (c, gateways)) in &fleet.certificates {
        let short = &sha[..sha.len().min(16)];
        let key_alg_ref = format!(
            "crypto/algorithm/{}",
            c.public_key_algorithm.to_ascii_lowercase()
        );
        let sig_alg_ref = format!(
            "crypto/algorithm/sig-{}",
            c.signature_algorithm.to_ascii_lowercase()
        );
        let key_ref = format!("crypto/key/public-{short}");
        algorithms
            .entry(key_alg_ref.clone())
            .or_insert_with(|| signature_algorithm(&c.public_key_algorithm, &key_alg_ref));
        algorithms
            .entry(sig_alg_ref.clone())
            .or_insert_with(|| signature_algorithm(&c.signature_algorithm, &sig_alg_ref));
        extra.push(json!({
            "type": "cryptographic-asset",
            "name": format!("public key of {}", c.subject),
            "bom-ref": key_ref,
            "cryptoProperties": {
                "assetType": "related-crypto-material",
                "relatedCryptoMaterialProperties": {"type": "public-key", "algorithmRef": key_alg_ref},
            },
        }));
        let mut properties = vec![
            prop("quantun:sha256", sha),
            prop("quantun:served_by", gateways.join(",")),
        ];
        if !c.dns_names.is_empty() {
            properties.push(prop("quantun:dns_names", c.dns_names.join(",")));
        }
        extra.push(json!({
            "type": "cryptographic-asset",
            "name": c.subject,
            "bom-ref": format!("crypto/certificate/{short}"),
            "cryptoProperties": {
                "assetType": "certificate",
                "certificateProperties": {
                    "serialNumber": c.serial,
                    "subjectName": c.subject,
                    "issuerName": c.issuer,
                    "notValidBefore": c.not_before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    "notValidAfter": c.not_after.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    "certificateFormat": "X.509",
                    "relatedCryptographicAssets": [
                        {"type": "publicKey", "ref": key_ref},
                        {"type": "algorithm", "ref": sig_alg_ref},
                    ],
                },
            },
            "evidence": {"occurrences": gateways.iter().map(|g| json!({"location": format!("qsgw gateway {g} (TLS listener)")})).collect::<Vec<_>>()},
            "properties": properties,
        }));
    }
    let known_groups: Vec<String> = doc["components"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|x| x["bom-ref"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for ((upstream_id, target), (name, tls, gateways)) in &fleet.upstream_legs {
        let gref = group_ref(&tls.kx_group);
        if !known_groups.contains(&gref) && !algorithms.contains_key(&gref) {
            algorithms.insert(gref.clone(), kx_algorithm(&tls.kx_group));
        }
        let version = tls.protocol.trim_start_matches("TLSv");
        let mut properties = vec![
            prop("quantun:leg", "upstream"),
            prop("quantun:upstream_id", upstream_id),
            prop("quantun:kx_group", &tls.kx_group),
            prop("quantun:pqc", tls.pqc),
            prop("quantun:peer_cert_algorithm", &tls.cert_algorithm),
            prop("quantun:reported_by", gateways.join(",")),
        ];
        if let Some(t) = tls.cert_not_after {
            properties.push(prop(
                "quantun:peer_cert_not_after",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ));
        }
        extra.push(json!({
            "type": "cryptographic-asset",
            "name": format!("{} to upstream {name} ({target})", tls.protocol),
            "bom-ref": format!("crypto/protocol/upstream/{upstream_id}/{target}"),
            "cryptoProperties": {
                "assetType": "protocol",
                "protocolProperties": {"type": "tls", "version": version, "cryptoRefArray": [gref]},
            },
            "evidence": {"occurrences": [{"location": format!("qsgw upstream {upstream_id} target {target}")}]},
            "properties": properties,
        }));
    }
    if let Some(components) = doc["components"].as_array_mut() {
        components.extend(algorithms.into_values());
        components.extend(extra);
    }
}

/// The algorithm component of a key-exchange group (client or upstream leg).
fn kx_algorithm(group: &str) -> Value {
    let (primitive, level) = group_kind(group);
    json!({
        "type": "cryptographic-asset",
        "name": group,
        "bom-ref": group_ref(group),
        "cryptoProperties": {
            "assetType": "algorithm",
            "algorithmProperties": {
                "primitive": primitive,
                "executionEnvironment": "software-plain-ram",
                "nistQuantumSecurityLevel": level,
                "cryptoFunctions": if primitive == "kem" { json!(["encapsulate", "decapsulate"]) } else { json!(["keygen"]) },
            },
        },
    })
}

fn group_ref(group: &str) -> String {
    format!("crypto/algorithm/kx-{}", group.to_ascii_lowercase())
}
