//! End to end: a 10,000-asset CycloneDX CBOM uploaded to the real risk API
//! (fresh database from `DATABASE_URL`, which `make bench` provides) with the
//! real ML engine in-process, timed from POST until `completed`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::{json, Value};
use shared::auth::Role;
use shared::server::Shutdown;
use sqlx::postgres::PgConnectOptions;
use sqlx::Connection;

fn cbom(n: usize) -> Vec<u8> {
    let algs = [
        ("RSA-2048", "pke"),
        ("ECDSA-P-256", "signature"),
        ("ECDH-secp384r1", "key-agree"),
        ("AES-256-GCM", "ae"),
        ("AES-128-CBC", "block-cipher"),
        ("SHA-1", "hash"),
        ("SHA-384", "hash"),
        ("ML-KEM-768", "kem"),
        ("ML-DSA-65", "signature"),
        ("3DES", "block-cipher"),
    ];
    let components: Vec<Value> = (0..n)
        .map(|i| {
            let (name, primitive) = algs[i % algs.len()];
            json!({"type": "cryptographic-asset", "bom-ref": format!("crypto/{i}"), "name": name,
                   "cryptoProperties": {"assetType": "algorithm", "algorithmProperties": {"primitive": primitive}}})
        })
        .collect();
    serde_json::to_vec(
        &json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": components}),
    )
    .unwrap()
}

#[tokio::main]
async fn main() {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL (run through `make bench`)");
    let db = format!("qrap_bench_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {db}"))
        .execute(&mut admin)
        .await
        .unwrap();

    let ml_cli =
        ml_engine::config::Cli::try_parse_from(["ml-engine", "--host", "127.0.0.1"]).unwrap();
    let mut ml_cfg = ml_engine::config::Config::from_settings(ml_cli.settings).unwrap();
    ml_cfg.port = 0;
    let ml = ml_engine::startup::Application::build(ml_cfg, Shutdown::new())
        .await
        .unwrap();
    let ml_url = format!("http://127.0.0.1:{}", ml.port());
    tokio::spawn(ml.run_until_stopped());
    shared::server::install_crypto_provider();
    let c = reqwest::Client::new();
    while c
        .get(format!("{ml_url}/health/ready"))
        .send()
        .await
        .unwrap()
        .status()
        != 200
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let cli = risk_api::config::Cli::try_parse_from([
        "risk-api",
        "--db-password",
        "unused",
        "--jwt-secret",
        "0123456789abcdef0123456789abcdef-bench",
        "--api-keys",
        "bench-key-0123456789abcdef:bench",
        "--ml-url",
        &ml_url,
        "--rate-limit",
        "1000000",
    ])
    .unwrap();
    let mut config = risk_api::config::Config::from_settings(cli.settings).unwrap();
    let opts: PgConnectOptions = url.parse().unwrap();
    config.database = opts.database(&db);
    config.host = "127.0.0.1".into();
    config.port = 0;
    let jwt = config.jwt.clone();
    let app = risk_api::startup::Application::build(config, Shutdown::new())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());

    let admin_token = jwt.issue("bench", Role::Admin, None).unwrap().0;
    let org: Value = c
        .post(format!("{base}/api/v1/organizations"))
        .bearer_auth(&admin_token)
        .json(&json!({"name": "bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let org = org["id"].as_str().unwrap().to_owned();
    let token = jwt.issue("bench", Role::Operator, Some(&org)).unwrap().0;
    let body = cbom(10_000);
    let mut times = Vec::new();
    for run in 0..3 {
        let t = Instant::now();
        let r: Value = c
            .post(format!("{base}/api/v1/assessments?name=bench-{run}"))
            .bearer_auth(&token)
            .header("content-type", "application/vnd.cyclonedx+json")
            .body(body.clone())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let id = r["id"].as_str().unwrap_or_else(|| panic!("{r}")).to_owned();
        loop {
            let v: Value = c
                .get(format!("{base}/api/v1/assessments/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if v["status"] == "completed" {
                assert_eq!(v["asset_count"], 10_000);
                break;
            }
            assert_ne!(v["status"], "failed", "{v}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        times.push(t.elapsed().as_secs_f64());
    }
    let body_len = body.len();
    drop(body);

    // 100,000 assets (the per-assessment limit): time and the process's peak
    // resident set during the run (risk-api, the in-process ML engine and
    // this client together; VmHWM reset first through clear_refs).
    let big = cbom(100_000);
    let big_len = big.len();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let t = Instant::now();
    let r: Value = c
        .post(format!("{base}/api/v1/assessments?name=bench-100k"))
        .bearer_auth(&token)
        .header("content-type", "application/vnd.cyclonedx+json")
        .body(big)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = r["id"].as_str().unwrap_or_else(|| panic!("{r}")).to_owned();
    loop {
        let v: Value = c
            .get(format!("{base}/api/v1/assessments/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if v["status"] == "completed" {
            assert_eq!(v["asset_count"], 100_000);
            break;
        }
        assert_ne!(v["status"], "failed", "{v}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let secs = t.elapsed().as_secs_f64();
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .unwrap_or(0);
    println!(
        "risk-api 100,000-asset CBOM ({} MiB) POST → completed: {secs:.2} s, peak RSS {} MiB (whole bench process)",
        big_len / (1024 * 1024),
        hwm / 1024
    );
    println!(
        "risk-api 10,000-asset CBOM ({} KiB) POST → completed, 3 runs: {}",
        body_len / 1024,
        times
            .iter()
            .map(|t| format!("{t:.2} s"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    drop(admin);
}
