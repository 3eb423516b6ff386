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
//! negotiated). Served certificates and upstream legs are not recorded by
//! the gateways yet, so they are not listed.

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

use crate::state::AppState;

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
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let s = if whole > 0 {
        part as f64 / whole as f64
    } else {
        0.0
    };
    format!("{s:.4}")
}

fn prop(name: &str, value: impl ToString) -> Value {
    json!({"name": name, "value": value.to_string()})
}

/// The runtime CBOM (CycloneDX 1.7) of the sessions established in a window.
#[utoipa::path(get, path = "/api/v1/cbom", tag = "tls-sessions", params(CbomParams),
    security(("bearer" = [])),
    responses((status = 200, description = "CycloneDX 1.7 JSON", content_type = "application/vnd.cyclonedx+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn runtime_cbom(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<CbomParams>,
) -> Result<Response, Problem> {
    let to = p.to.unwrap_or_else(Utc::now);
    let from = p.from.unwrap_or(to - chrono::Duration::days(7));
    let window = super::stats_window(Some(from), Some(to), Some("hour"))?;
    let (from, to) = (window.from, window.to);
    let rows: Vec<(String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT protocol_version, cipher_suite, kx_group, count(*)
         FROM tls_sessions
         WHERE established_at >= $1 AND established_at < $2 AND outcome = 'established'
           AND protocol_version IS NOT NULL AND cipher_suite IS NOT NULL
         GROUP BY 1, 2, 3 ORDER BY 1 DESC, 4 DESC, 2, 3",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&state.pool)
    .await
    .map_err(Problem::internal)?;
    Ok((
        [(header::CONTENT_TYPE, "application/vnd.cyclonedx+json")],
        build(&rows, from, to).to_string(),
    )
        .into_response())
}

/// Builds the document from (protocol, suite, group, sessions) rows.
pub fn build(
    rows: &[(String, String, Option<String>, i64)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Value {
    // protocol → (sessions, suite → sessions, group → sessions)
    type Tally = (i64, BTreeMap<String, i64>, BTreeMap<String, i64>);
    let mut protocols: BTreeMap<String, Tally> = BTreeMap::new();
    let mut groups: BTreeMap<String, i64> = BTreeMap::new();
    let mut suite_groups: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (proto, suite, group, n) in rows {
        let t = protocols.entry(proto.clone()).or_default();
        t.0 += n;
        *t.1.entry(iana_suite(suite)).or_default() += n;
        if let Some(g) = group {
            *t.2.entry(g.clone()).or_default() += n;
            *groups.entry(g.clone()).or_default() += n;
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
        components.push(json!({
            "type": "cryptographic-asset",
            "name": proto,
            "bom-ref": format!("crypto/protocol/tls@{version}"),
            "cryptoProperties": {
                "assetType": "protocol",
                "protocolProperties": {"type": "tls", "version": version, "cipherSuites": cipher_suites},
            },
            "properties": properties,
        }));
    }
    for (g, n) in &groups {
        let (primitive, level) = group_kind(g);
        components.push(json!({
            "type": "cryptographic-asset",
            "name": g,
            "bom-ref": group_ref(g),
            "cryptoProperties": {
                "assetType": "algorithm",
                "algorithmProperties": {
                    "primitive": primitive,
                    "executionEnvironment": "software-plain-ram",
                    "nistQuantumSecurityLevel": level,
                    "cryptoFunctions": if primitive == "kem" { json!(["encapsulate", "decapsulate"]) } else { json!(["keygen"]) },
                },
            },
            "properties": [
                prop("quantun:sessions", n),
                prop("quantun:share", share(*n, total)),
            ],
        }));
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

fn group_ref(group: &str) -> String {
    format!("crypto/algorithm/kx-{}", group.to_ascii_lowercase())
}
