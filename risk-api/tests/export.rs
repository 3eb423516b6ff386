//! `GET /api/v1/assessments/{id}/cbom`: the export validates against the
//! official CycloneDX 1.7 schema (the embedded copy of
//! `testdata/cyclonedx/bom-1.7.schema.json`, validated with the same
//! validator the uploads use) and re-imports to the same findings.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::Value;
use shared::auth::Role;
use sqlx::PgPool;

const CDX: &str = "application/vnd.cyclonedx+json";

/// Findings by bom-ref: (algorithm, quantum threat, severity, policy status).
type Summary = BTreeMap<String, (String, String, String, String)>;

async fn import(app: &App, op: &str, body: Vec<u8>) -> (String, Summary) {
    let (s, v) = app.post_raw(op, "/api/v1/assessments", CDX, body).await;
    assert_eq!(s, 202, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let done = app.wait(op, &id).await;
    assert_eq!(done["status"], "completed", "{done}");
    let (_, f) = app
        .get(op, &format!("/api/v1/assessments/{id}/findings?limit=500"))
        .await;
    let map = f["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("").to_owned();
            (
                s("asset_ref"),
                (
                    s("algorithm"),
                    s("quantum_threat"),
                    s("severity"),
                    s("policy_status"),
                ),
            )
        })
        .collect();
    (id, map)
}

async fn export(app: &App, op: &str, id: &str) -> Value {
    let r = shared::test_util::client()
        .get(app.url(&format!("/api/v1/assessments/{id}/cbom")))
        .bearer_auth(op)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/vnd.cyclonedx+json"));
    r.json().await.unwrap()
}

fn component<'a>(doc: &'a Value, r: &str) -> &'a Value {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["bom-ref"] == r)
        .unwrap_or_else(|| panic!("no component {r}"))
}

fn property<'a>(c: &'a Value, name: &str) -> &'a str {
    c["properties"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["value"].as_str())
        .unwrap_or_else(|| panic!("no property {name} in {c}"))
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn cbom_export_is_valid_1_7_and_round_trips(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Export").await;
    let op = app.token(Role::Operator, Some(&org));
    for file in ["cyclonedx-protocol.json", "cyclonedx-pq-migration.json"] {
        let body = std::fs::read(fixtures().join(file)).unwrap();
        let (id, before) = import(&app, &op, body).await;
        let doc = export(&app, &op, &id).await;
        assert_eq!(doc["specVersion"], "1.7");
        assert_eq!(
            risk_api::domain::schema::validate("1.7", &doc, 20).unwrap(),
            [],
            "{file}: the export violates bom-1.7.schema.json"
        );
        // Every finding is a component carrying its finding.
        for (r, (_, threat, severity, _)) in &before {
            let c = component(&doc, r);
            assert_eq!(property(c, "quantun:severity"), severity, "{file} {r}");
            assert_eq!(property(c, "quantun:quantum_threat"), threat, "{file} {r}");
        }
        if file == "cyclonedx-protocol.json" {
            // Recomputed levels: X25519 falls to Shor (level 0); AES-256 is
            // NIST PQ category 5 (the call for proposals defines categories
            // 1/3/5 by AES-128/192/256 key search).
            let x = component(&doc, "crypto/algorithm/ecdh-curve25519@1.3.132.1.12");
            assert_eq!(
                x["cryptoProperties"]["algorithmProperties"]["nistQuantumSecurityLevel"],
                0
            );
            let aes = component(&doc, "crypto/algorithm/aes-256-gcm@2.16.840.1.101.3.4.1.46");
            assert_eq!(
                aes["cryptoProperties"]["algorithmProperties"]["nistQuantumSecurityLevel"], 5,
                "{aes}"
            );
            // sha512WithRSAEncryption (OID 1.2.840.113549.1.1.13, RFC 8017
            // A.2.4) with parameterSetIdentifier 512: per bom-1.7's
            // description of parameterSetIdentifier ("in SHA256, '256'
            // identifies the digest length") the 512 is SHA-512's, not a
            // 512-bit modulus. The export keeps the document's name beside
            // that parameter, so it still reads as RSA broken by Shor, not
            // as a classically weak RSA-512.
            let sig = component(&doc, "crypto/algorithm/sha-512-rsa@1.2.840.113549.1.1.13");
            assert_eq!(sig["name"], "RSA-PKCS1-1.5-SHA512", "{sig}");
            assert_eq!(property(sig, "quantun:quantum_threat"), "shor", "{sig}");
            let cert = component(&doc, "crypto/certificate/google.com@sha256:1e15e0fbd3ce95bde5945633ae96add551341b11e5bae7bba12e98ad84a5beb4");
            assert_eq!(
                cert["cryptoProperties"]["certificateProperties"]["notValidAfter"],
                "2017-11-22T07:59:59Z"
            );
            // The graph: the protocol depends on its certificate.
            assert!(doc["dependencies"].as_array().unwrap().iter().any(|d| d["ref"]
                == "crypto/protocol/tls@1.2"
                && d["dependsOn"].as_array().unwrap().iter().any(|t| t
                    == "crypto/certificate/google.com@sha256:1e15e0fbd3ce95bde5945633ae96add551341b11e5bae7bba12e98ad84a5beb4")));
        }
        // CBOM in → CBOM out → the same findings.
        let (_, after) = import(&app, &op, serde_json::to_vec(&doc).unwrap()).await;
        assert_eq!(after, before, "{file}: round trip");
    }
}
