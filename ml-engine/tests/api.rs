//! The real ML engine on port 0: readiness, scoring, models, and malformed,
//! oversized and hostile requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use clap::Parser;
use ml_engine::config::{Cli, Config};
use ml_engine::startup::Application;
use serde_json::{json, Value};
use shared::server::Shutdown;
use shared::test_util::client;

async fn spawn(extra: &[&str]) -> (String, Shutdown) {
    let mut args = vec!["ml-engine", "--host", "127.0.0.1", "--as-of-year", "2026"];
    args.extend_from_slice(extra);
    let cli = Cli::try_parse_from(args).unwrap();
    let mut config = Config::from_settings(cli.settings).unwrap();
    config.port = 0;
    let shutdown = Shutdown::new();
    let app = Application::build(config, shutdown.clone()).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    // Ready once the model is trained.
    for _ in 0..300 {
        let r = client()
            .get(format!("{base}/health/ready"))
            .send()
            .await
            .unwrap();
        if r.status() == 200 {
            return (base, shutdown);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("ml-engine never became ready");
}

async fn post(base: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let r = client()
        .post(format!("{base}/api/v1/score"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn scores_a_batch_deterministically() {
    let (base, _s) = spawn(&[]).await;
    let body = json!({"assets": [
        {"id": "a", "algorithm": "RSA", "parameter": "2048", "usage": "key_exchange", "exposure": "internet"},
        {"id": "b", "algorithm": "ML-KEM-768"},
        {"id": "c", "algorithm": "NotACipher"},
        {"id": "d", "algorithm": "AES-128-GCM", "data_shelf_life_years": 30}
    ]})
    .to_string();
    let (status, first) = post(&base, body.clone()).await;
    assert_eq!(status, 200, "{first}");
    let (_, second) = post(&base, body).await;
    assert_eq!(first, second);
    let r = &first["results"];
    assert_eq!(r[0]["id"], "a");
    assert_eq!(r[0]["quantum_threat"], "shor");
    assert!(r[0]["recommendation"]
        .as_str()
        .unwrap()
        .contains("X25519MLKEM768"));
    assert_eq!(r[1]["quantum_threat"], "none");
    assert_eq!(r[2]["quantum_threat"], "unknown");
    assert_eq!(r[2]["known"], false);
    assert_ne!(r[2]["severity"], "INFO");
    assert_eq!(r[3]["policy_status"], "acceptable");
    assert!(first["knowledge_base_version"].is_string());
}

#[tokio::test]
async fn models_reports_versions_and_accuracy() {
    let (base, _s) = spawn(&["--crqc-year", "2032"]).await;
    let v: Value = client()
        .get(format!("{base}/api/v1/models"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["calibration"]["thresholds"][4], json!(["CRITICAL", 80.0]));
    assert!(v["calibration"]["version"].is_string());
    let bands: Vec<&str> = v["crqc_timelines"]["bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(bands, ["optimistic", "central", "pessimistic"]);
    assert!(v["crqc_timelines"]["sources"]["GRI2024"].is_string());
    assert!(v["knowledge_base"]["entries"].as_u64().unwrap() >= 100);
    assert_eq!(v["defaults"]["crqc_median_year"], 2032.0);
    assert!(v["knowledge_base"]["sources"]["IR8547"].is_string());
    // Policy packs with versions, drafts labelled, CNSA 2.0 categories.
    let packs = v["policy_packs"].as_array().unwrap();
    let ids: Vec<&str> = packs.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["nist", "cnsa2"]);
    assert!(packs.iter().all(|p| p["version"].is_string()));
    assert_eq!(packs[0]["documents"]["IR8547"]["draft"], true);
    assert!(packs[1]["categories"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == "software_firmware_signing" && c["exclusive_by"] == 2030));
    assert_eq!(v["defaults"]["policy"], "nist");
}

#[tokio::test]
async fn real_inventory_names_get_identity_statuses_and_timelines() {
    let (base, _s) = spawn(&[]).await;
    let body = json!({"assets": [
        // CycloneDX spelling: RSA-2048 with SHA-256 (not RSA-15360).
        {"id": "a", "algorithm": "RSA-PKCS1-1.5-SHA256-2048", "family": "RSASSA-PKCS1", "crypto_functions": ["sign", "verify"]},
        // Verify-only SHA-1 signatures: legacy use (SP 800-131A Rev. 2 Table 8).
        {"id": "b", "algorithm": "sha1WithRSAEncryption", "parameter": "2048", "crypto_functions": ["verify"]},
        // An OID nobody assigned: unknown, the OID named, never a 500.
        {"id": "c", "algorithm": "1.2.3.4.5.6.7.8"},
        {"id": "d", "algorithm": "ECDHE-RSA-AES128-GCM-SHA256"}
    ]});
    let (s, v) = post(&base, body.to_string()).await;
    assert_eq!(s, 200, "{v}");
    let r = &v["results"];
    assert_eq!(r[0]["algorithm"], "RSA-2048");
    assert_eq!(r[0]["identity"]["key_bits"], 2048);
    assert_eq!(r[0]["identity"]["hash"], "SHA-256");
    assert_eq!(r[0]["identity"]["scheme"], "PKCS1-v1.5");
    assert_eq!(r[0]["status"], "acceptable");
    // IR 8547 ipd Table 2: deprecated from 2031, disallowed from 2036.
    let tl: Vec<(Value, Value)> = r[0]["policies"][0]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["from_year"].clone(), t["status"].clone()))
        .collect();
    assert_eq!(
        tl,
        [
            (Value::Null, json!("acceptable")),
            (json!(2031), json!("deprecated")),
            (json!(2036), json!("disallowed"))
        ]
    );
    assert_eq!(r[1]["status"], "legacy_use");
    assert_eq!(r[1]["policy_status"], "deprecated");
    assert_eq!(r[2]["known"], false);
    assert!(r[2]["identity"]["unplaced"][0]
        .as_str()
        .unwrap()
        .contains("1.2.3.4.5.6.7.8"));
    assert_eq!(r[3]["identity"]["suite"]["kx"], "ECDHE");
    assert!(v["policy_versions"]["nist"].is_string());

    // CNSA 2.0 with a system category: RSA-3072 in web servers is deprecated
    // from 2025 and disallowed from 2033 (CNSA 2.0 CSA timeline).
    let (s, v) = post(
        &base,
        json!({"policy": "cnsa2", "cnsa2_category": "web_browsers_servers_cloud",
               "assets": [{"algorithm": "RSA", "parameter": "3072"}]})
        .to_string(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let r = &v["results"][0];
    assert_eq!(r["policy"], "cnsa2");
    assert_eq!(r["status"], "deprecated");
    assert_eq!(r["policies"][1]["category"], "web_browsers_servers_cloud");
}

#[tokio::test]
async fn bad_new_inputs_are_422_with_the_field() {
    let (base, _s) = spawn(&[]).await;
    for (body, field) in [
        (
            json!({"assets": [{"algorithm": "RSA", "crypto_functions": ["telepathy"]}]}),
            "assets[0].crypto_functions",
        ),
        (
            json!({"assets": [{"algorithm": "RSA", "crypto_functions": vec!["sign"; 40]}]}),
            "assets[0].crypto_functions",
        ),
        (
            json!({"assets": [{"algorithm": "RSA"}], "cnsa2_category": "toasters"}),
            "cnsa2_category",
        ),
        (
            json!({"assets": [{"algorithm": "RSA", "oid": "1.2\u{0007}"}]}),
            "assets[0].oid",
        ),
        (
            json!({"assets": [{"algorithm": "R".repeat(10_000)}]}),
            "assets[0].algorithm",
        ),
        (
            json!({"assets": [{"algorithm": ""}]}),
            "assets[0].algorithm",
        ),
        (
            json!({"assets": [{"algorithm": "RSA\u{0000}2048"}]}),
            "assets[0].algorithm",
        ),
    ] {
        let (s, v) = post(&base, body.to_string()).await;
        assert_eq!(s, 422, "{field}: {v}");
        assert_eq!(v["errors"][0]["field"], field, "{v}");
    }
    let (s, v) = post(
        &base,
        r#"{"policy":"iso27001","assets":[{"algorithm":"RSA"}]}"#,
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["errors"][0]["field"], "policy");
}

#[tokio::test]
async fn certificates_without_a_well_defined_expiry_are_scored() {
    // RFC 5280 §4.1.2.5: "no well-defined expiration date" is
    // 99991231235959Z; rcgen (and so `gateway gen-cert`) writes
    // 4096-01-01. Both reach the engine as CBOM notValidAfter values and
    // must be scored, as the longest validity the engine models, never
    // refused (a refusal fails the whole batch, i.e. the assessment).
    let (base, _s) = spawn(&[]).await;
    let asset = |until: &str| json!({"algorithm": "ECDSA", "parameter": "P-256", "usage": "signature", "valid_until": until});
    let body = json!({"assets": [
        asset("9999-12-31T23:59:59Z"),
        asset("4096-01-01T00:00:00Z"),
        asset("2100-01-01"),
    ]});
    let (s, v) = post(&base, body.to_string()).await;
    assert_eq!(s, 200, "{v}");
    let validity = |i: usize| v["results"][i]["mosca"]["validity_years"].as_f64().unwrap();
    assert!(
        validity(0) >= validity(2) && validity(1) >= validity(2),
        "{v}"
    );
}

#[tokio::test]
async fn rejects_bad_batches_with_field_paths() {
    let (base, _s) = spawn(&[]).await;
    // empty and too large batches
    let (s, v) = post(&base, json!({"assets": []}).to_string()).await;
    assert_eq!(s, 422);
    assert_eq!(v["errors"][0]["field"], "assets");
    let many: Vec<Value> = (0..10_001).map(|_| json!({"algorithm": "AES"})).collect();
    let (s, v) = post(&base, json!({"assets": many}).to_string()).await;
    assert_eq!(s, 422, "{v}");
    // field errors
    let (s, v) = post(
        &base,
        json!({"assets": [{"algorithm": "RSA"}, {"algorithm": "   "}, {"algorithm": "x", "data_shelf_life_years": -1}]}).to_string(),
    )
    .await;
    assert_eq!(s, 422);
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["assets[1].algorithm", "assets[2].data_shelf_life_years"]
    );
    // unknown fields, wrong types, unknown enum values
    let (s, v) = post(&base, r#"{"assets":[{"algorithm":"RSA","colour":"red"}]}"#).await;
    assert_eq!(s, 422);
    assert_eq!(v["errors"][0]["field"], "assets[0].colour");
    let (s, _) = post(
        &base,
        r#"{"assets":[{"algorithm":"RSA","usage":"telepathy"}]}"#,
    )
    .await;
    assert_eq!(s, 422);
    let (s, _) = post(&base, r#"{"assets":[{"algorithm":12}]}"#).await;
    assert_eq!(s, 422);
    // malformed JSON, hostile content
    let (s, _) = post(&base, r#"{"assets":[{"algorithm":"RSA"}"#).await;
    assert_eq!(s, 400);
    let (s, _) = post(
        &base,
        json!({"assets": [{"algorithm": "RSA\u{0000}; DROP TABLE"}]}).to_string(),
    )
    .await;
    assert_eq!(s, 422);
    let (s, _) = post(
        &base,
        json!({"assets": [{"algorithm": "A".repeat(201)}]}).to_string(),
    )
    .await;
    assert_eq!(s, 422);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (s, _) = post(&base, deep).await;
    assert!(s == 400 || s == 422, "deeply nested JSON gave {s}");
    // wrong content type
    let r = client()
        .post(format!("{base}/api/v1/score"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let (base, _s) = spawn(&["--max-body-size", "4096"]).await;
    let big = json!({"assets": [{"algorithm": "x".repeat(5000)}]}).to_string();
    let (s, v) = post(&base, big).await;
    assert_eq!(s, 413, "{v}");
}

#[tokio::test]
async fn a_full_batch_of_10000_is_accepted() {
    let (base, _s) = spawn(&[]).await;
    let algs = [
        "RSA-2048",
        "ECDSA-P-256",
        "AES-256-GCM",
        "ML-KEM-768",
        "SHA-1",
        "Mystery",
    ];
    let assets: Vec<Value> = (0..10_000)
        .map(|i| json!({"algorithm": algs[i % algs.len()]}))
        .collect();
    let (s, v) = post(&base, json!({"assets": assets}).to_string()).await;
    assert_eq!(s, 200);
    assert_eq!(v["results"].as_array().unwrap().len(), 10_000);
}
