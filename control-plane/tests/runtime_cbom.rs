//! The runtime CBOM (issue 24 item 4): what the fleet negotiated, as a
//! CycloneDX 1.7 document that the official 1.7 schema accepts (validated
//! with the project's one validator, risk_api::domain::schema, over the
//! embedded copy of bom-1.7.schema.json), with the shares written out by
//! hand from the sessions ingested here, and the routes that negotiated
//! each component as CycloneDX 1.7 `evidence.occurrences` (componentEvidence
//! in bom-1.7.schema.json: `location` required) counted by hand likewise.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

fn session(
    gw: &str,
    ip: &str,
    proto: &str,
    suite: &str,
    kx: &str,
    pqc: bool,
    route: Option<&str>,
) -> Value {
    json!({"gateway_id": gw, "client_ip": ip, "sni": "api.example.com", "protocol_version": proto,
           "cipher_suite": suite, "kx_group": kx, "pqc": pqc, "route_id": route,
           "established_at": chrono::Utc::now().to_rfc3339()})
}

/// `(location, additionalContext)` of a component's occurrences, in order.
fn occurrences(c: &Value) -> Vec<(String, String)> {
    c["evidence"]["occurrences"]
        .as_array()
        .unwrap_or_else(|| panic!("no evidence.occurrences in {c:#}"))
        .iter()
        .map(|o| {
            (
                o["location"].as_str().unwrap().to_owned(),
                o["additionalContext"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
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
    // Two routes: /pay and /static on api.example.com (route_body's host,
    // which the control plane stores lowercase).
    let up = app.create_upstream("cbom-backend").await;
    let up = up["id"].as_str().unwrap();
    let pay = app.create_route(&common::route_body(up, "/pay")).await;
    let stat = app.create_route(&common::route_body(up, "/static")).await;
    let (pay, stat) = (
        pay["id"].as_str().unwrap().to_owned(),
        stat["id"].as_str().unwrap().to_owned(),
    );
    let (p, s) = (Some(pay.as_str()), Some(stat.as_str()));
    let refused = json!({"gateway_id": gw, "client_ip": "10.5.0.9", "pqc": false, "outcome": "failed",
        "failure_reason": "no shared group", "established_at": chrono::Utc::now().to_rfc3339()});
    let batch = json!({"records": [
        session(&gw, "10.5.0.1", "TLSv1.3", "TLS13_AES_128_GCM_SHA256", "X25519MLKEM768", true, p),
        session(&gw, "10.5.0.2", "TLSv1.3", "TLS13_AES_128_GCM_SHA256", "X25519MLKEM768", true, p),
        session(&gw, "10.5.0.3", "TLSv1.3", "TLS13_AES_128_GCM_SHA256", "X25519MLKEM768", true, s),
        session(&gw, "10.5.0.4", "TLSv1.3", "TLS13_AES_256_GCM_SHA384", "X25519", false, s),
        session(&gw, "10.5.0.5", "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "secp256r1", false, None),
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

    // Which routes negotiated what (sessions above, counted by hand): the
    // hybrid on /pay twice and /static once, most sessions first; X25519
    // on /static once; secp256r1 (TLS 1.2) on no route; TLS 1.3 on /pay
    // twice and /static twice.
    let at_pay = format!("qsgw route {pay} (api.example.com/pay)");
    let at_static = format!("qsgw route {stat} (api.example.com/static)");
    let no_route = "qsgw no route (handshakes without a routed request)".to_owned();
    let n = |k: u32| match k {
        1 => "1 TLS session established in the window".to_owned(),
        _ => format!("{k} TLS sessions established in the window"),
    };
    assert_eq!(
        occurrences(&hybrid),
        vec![(at_pay.clone(), n(2)), (at_static.clone(), n(1))]
    );
    assert_eq!(
        prop(&hybrid, "quantun:routes").as_deref(),
        Some(format!("{pay},{stat}").as_str())
    );
    assert_eq!(
        prop(&hybrid, &format!("quantun:route:{pay}:sessions")).as_deref(),
        Some("2")
    );
    assert_eq!(
        prop(&hybrid, &format!("quantun:route:{stat}:sessions")).as_deref(),
        Some("1")
    );
    assert_eq!(occurrences(&x25519), vec![(at_static.clone(), n(1))]);
    assert_eq!(
        prop(&x25519, "quantun:routes").as_deref(),
        Some(stat.as_str())
    );
    let p256 = comp("crypto/algorithm/kx-secp256r1");
    assert_eq!(occurrences(&p256), vec![(no_route.clone(), n(1))]);
    assert_eq!(
        prop(&p256, "quantun:no_route:sessions").as_deref(),
        Some("1")
    );
    assert_eq!(prop(&p256, "quantun:routes").as_deref(), Some(""));
    let mut tls13_at = occurrences(&tls13);
    tls13_at.sort();
    let mut expected = vec![(at_pay.clone(), n(2)), (at_static.clone(), n(2))];
    expected.sort();
    assert_eq!(tls13_at, expected);
    assert_eq!(occurrences(&tls12), vec![(no_route, n(1))]);

    // A deleted route keeps its id in the location (sessions are history).
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/routes/{stat}"),
            Some(&app.operator),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    let bom: Value = app
        .call(Method::GET, "/api/v1/cbom", Some(&app.viewer), None)
        .await
        .json()
        .await
        .unwrap();
    let x = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["bom-ref"] == "crypto/algorithm/kx-x25519")
        .unwrap();
    assert_eq!(
        occurrences(x),
        vec![(format!("qsgw route {stat} (deleted)"), n(1))]
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

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn runtime_cbom_lists_served_certificates_and_upstream_legs(pool: PgPool) {
    let app = common::spawn(pool).await;
    let r = app
        .call_service(
            Method::POST,
            "/api/v1/gateways/register",
            Some(&json!({"name": "gw-certs"})),
        )
        .await;
    let gw = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let up = app.create_upstream("orders-tls").await;
    let up = up["id"].as_str().unwrap().to_owned();
    // What a gateway reports: an ECDSA P-256 certificate and an ML-DSA-65
    // one, and a TLS leg to one upstream target.
    let cert = |sha: &str, subject: &str, key: &str, sig: &str| {
        json!({"sha256": sha, "subject": subject, "issuer": "CN=Example CA", "serial": "0a:0b",
               "not_before": "2026-01-01T00:00:00Z", "not_after": "2027-01-01T00:00:00Z",
               "dns_names": ["api.example.com"], "public_key_algorithm": key, "signature_algorithm": sig})
    };
    let r = app
        .call_service(
            Method::POST,
            &format!("/api/v1/gateways/{gw}/heartbeat"),
            Some(&json!({"config_revision_seen": 0,
                "served_certificates": [
                    cert(&"ab".repeat(32), "CN=api.example.com", "ECDSA-P256", "ecdsa-with-SHA256"),
                    cert(&"cd".repeat(32), "CN=pq.example.com", "ML-DSA-65", "ML-DSA-65")],
                "upstream_health": [{"upstream_id": up, "target": "10.0.0.5:8443", "healthy": true,
                    "tls": {"protocol": "TLSv1.3", "kx_group": "X25519MLKEM768", "pqc": true,
                            "cert_algorithm": "ECDSA-P384", "cert_not_after": "2026-12-31T00:00:00Z"}}]})),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let bom: Value = app
        .call(Method::GET, "/api/v1/cbom", Some(&app.viewer), None)
        .await
        .json()
        .await
        .unwrap();
    let issues = risk_api::domain::schema::validate("1.7", &bom, 20).unwrap();
    assert!(issues.is_empty(), "CycloneDX 1.7 schema: {issues:?}");
    let by_ref = |r: &str| {
        bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["bom-ref"] == r)
            .unwrap_or_else(|| panic!("no {r}: {bom}"))
            .clone()
    };
    let c = by_ref("crypto/certificate/abababababababab");
    let cp = &c["cryptoProperties"]["certificateProperties"];
    assert_eq!(c["cryptoProperties"]["assetType"], "certificate");
    assert_eq!(cp["subjectName"], "CN=api.example.com");
    assert_eq!(cp["issuerName"], "CN=Example CA");
    assert_eq!(cp["notValidAfter"], "2027-01-01T00:00:00Z");
    assert_eq!(
        cp["relatedCryptographicAssets"],
        json!([{"type": "publicKey", "ref": "crypto/key/public-abababababababab"},
               {"type": "algorithm", "ref": "crypto/algorithm/sig-ecdsa-with-sha256"}])
    );
    assert_eq!(
        by_ref("crypto/key/public-abababababababab")["cryptoProperties"]
            ["relatedCryptoMaterialProperties"],
        json!({"type": "public-key", "algorithmRef": "crypto/algorithm/ecdsa-p256"})
    );
    // NIST categories: classical ECDSA 0; ML-DSA-65 category 3 (FIPS 204
    // Table 1).
    let level = |r: &str| {
        by_ref(r)["cryptoProperties"]["algorithmProperties"]["nistQuantumSecurityLevel"].clone()
    };
    assert_eq!(level("crypto/algorithm/ecdsa-p256"), 0);
    assert_eq!(level("crypto/algorithm/ml-dsa-65"), 3);
    // The upstream leg names its group (added as an algorithm component,
    // no client negotiated it in this window).
    let leg = by_ref(&format!("crypto/protocol/upstream/{up}/10.0.0.5:8443"));
    assert_eq!(
        leg["name"],
        "TLSv1.3 to upstream orders-tls (10.0.0.5:8443)"
    );
    assert_eq!(
        leg["cryptoProperties"]["protocolProperties"],
        json!({"type": "tls", "version": "1.3", "cryptoRefArray": ["crypto/algorithm/kx-x25519mlkem768"]})
    );
    assert_eq!(level("crypto/algorithm/kx-x25519mlkem768"), 3);
}
