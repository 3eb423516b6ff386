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
    assert!(v["calibration"]["held_out_accuracy"].as_f64().unwrap() > 0.8);
    assert!(v["calibration"]["version"].is_string());
    assert!(v["knowledge_base"]["entries"].as_u64().unwrap() >= 100);
    assert_eq!(v["defaults"]["crqc_median_year"], 2032.0);
    assert!(v["knowledge_base"]["sources"]["IR8547"].is_string());
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
