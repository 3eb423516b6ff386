//! The runtime CBOM (issue 24 item 4): what the fleet negotiated, as a
//! CycloneDX 1.7 document that the official 1.7 schema accepts (validated
//! with the project's one validator, risk_api::domain::schema, over the
//! embedded copy of bom-1.7.schema.json), with the shares written out by
//! hand from the sessions ingested here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

fn session(gw: &str, ip: &str, proto: &str, suite: &str, kx: &str, pqc: bool) -> Value {
    json!({"gateway_id": gw, "client_ip": ip, "sni": "api.example.com", "protocol_version": proto,
           "cipher_suite": suite, "kx_group": kx, "pqc": pqc,
           "established_at": chrono::Utc::now().to_rfc3339()})
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn runtime_cbom_lists_what_was_negotiated_and_validates_against_cyclonedx_1_7(pool: PgPool) {
    let app = common::spawn(pool).await;
    let r = app
        .call_service(
            Method::POST,
            "/api/v1/gateways/register",
            Some(&json!({"name": "gw-cbom", "address": "10.0.0.5:8443", "software_version": "0.1.0"})),
        )
        .await;
    let gw = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = json!({"gateway_id": gw, "client_ip": "10.5.0.9", "pqc": false, "outcome": "failed",
        "failure_reason": "no shared group", "established_at": chrono::Utc::now().to_rfc3339()});
    let batch = json!({"records": [
        session(&gw, "10.5.0.1", "TLSv1.3", "TLS13_AES_128_GCM_SHA256", "X25519MLKEM768", true),
        session(&gw, "10.5.0.2", "TLSv1.3", "TLS13_AES_128_GCM_SHA256", "X25519MLKEM768", true),
        session(&gw, "10.5.0.3", "TLSv1.3", "TLS13_AES_128_GCM_SHA256", "X25519MLKEM768", true),
        session(&gw, "10.5.0.4", "TLSv1.3", "TLS13_AES_256_GCM_SHA384", "X25519", false),
        session(&gw, "10.5.0.5", "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "secp256r1", false),
        refused,
    ]});
    let r = app
        .call_service(Method::POST, "/api/v1/ingest/tls-sessions", Some(&batch))
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["inserted"], 6);

    let r = app
        .call(Method::GET, "/api/v1/cbom", Some(&app.viewer), None)
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/vnd.cyclonedx+json"
    );
    let bom: Value = r.json().await.unwrap();
    let issues = risk_api::domain::schema::validate("1.7", &bom, 20).unwrap();
    assert!(
        issues.is_empty(),
        "not valid CycloneDX 1.7: {issues:?}\n{bom:#}"
    );

    let comp = |reference: &str| {
        bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["bom-ref"] == reference)
            .unwrap_or_else(|| panic!("no {reference} in {bom:#}"))
            .clone()
    };
    let prop = |c: &Value, name: &str| {
        c["properties"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["value"].as_str().unwrap().to_owned())
    };
    // TLS 1.3: 4 sessions (the refused one negotiated nothing); suites 3 and
    // 1 → 0.75 / 0.25; groups 3 X25519MLKEM768 and 1 X25519.
    let tls13 = comp("crypto/protocol/tls@1.3");
    assert_eq!(
        tls13["cryptoProperties"]["protocolProperties"]["version"],
        "1.3"
    );
    assert_eq!(prop(&tls13, "quantun:sessions").as_deref(), Some("4"));
    assert_eq!(
        prop(&tls13, "quantun:cipher_suite:TLS_AES_128_GCM_SHA256:share").as_deref(),
        Some("0.7500")
    );
    assert_eq!(
        prop(&tls13, "quantun:kx_group:X25519MLKEM768:share").as_deref(),
        Some("0.7500")
    );
    // IANA names and RFC 8446 §B.4 code points for the TLS 1.3 suites.
    let suites = tls13["cryptoProperties"]["protocolProperties"]["cipherSuites"]
        .as_array()
        .unwrap();
    let aes128 = suites
        .iter()
        .find(|s| s["name"] == "TLS_AES_128_GCM_SHA256")
        .unwrap();
    assert_eq!(aes128["identifiers"], json!(["0x13", "0x01"]));
    assert_eq!(
        aes128["algorithms"],
        json!(["crypto/algorithm/kx-x25519mlkem768"])
    );
    let tls12 = comp("crypto/protocol/tls@1.2");
    assert_eq!(prop(&tls12, "quantun:sessions").as_deref(), Some("1"));
    // The hybrid group is a KEM at NIST category 3 (FIPS 203 Table 2:
    // ML-KEM-768); X25519 a classical key agreement (category 0).
    let hybrid = comp("crypto/algorithm/kx-x25519mlkem768");
    assert_eq!(
        hybrid["cryptoProperties"]["algorithmProperties"]["primitive"],
        "kem"
    );
    assert_eq!(
        hybrid["cryptoProperties"]["algorithmProperties"]["nistQuantumSecurityLevel"],
        3
    );
    assert_eq!(prop(&hybrid, "quantun:share").as_deref(), Some("0.6000"));
    let x25519 = comp("crypto/algorithm/kx-x25519");
    assert_eq!(
        x25519["cryptoProperties"]["algorithmProperties"]["primitive"],
        "key-agree"
    );
    assert_eq!(
        x25519["cryptoProperties"]["algorithmProperties"]["nistQuantumSecurityLevel"],
        0
    );

    // A viewer may read it; no token may not; a bad window is named.
    let r = app.call(Method::GET, "/api/v1/cbom", None, None).await;
    assert_eq!(r.status(), 401);
    let r = app
        .call(
            Method::GET,
            "/api/v1/cbom?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
            Some(&app.viewer),
            None,
        )
        .await;
    common::assert_field_error(r, "from").await;
}
