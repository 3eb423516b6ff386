//! The risk API started for real: config errors on the binary, and the
//! seed's `/healthz` following the database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use clap::Parser;
use risk_api::config::{Cli, Config};
use risk_api::startup::Application;
use shared::server::Shutdown;
use shared::test_util::{assert_config_error, assert_help_lists, client, run_bin, PgInstance};

const BIN: &str = env!("CARGO_BIN_EXE_risk-api");
const SECRET: &str = "0123456789abcdef0123456789abcdef-qrap";
const KEYS: &str = "qrap-key-0123456789abcdef:ci";

#[test]
fn config_errors_name_the_variable() {
    let base = [
        ("QRAP_DB_PASSWORD", "pw"),
        ("QUANTUN_JWT_SECRET", SECRET),
        ("QUANTUN_API_KEYS", KEYS),
    ];
    let without = |var: &str| {
        base.iter()
            .copied()
            .filter(|(k, _)| *k != var)
            .collect::<Vec<_>>()
    };
    for var in ["QRAP_DB_PASSWORD", "QUANTUN_JWT_SECRET", "QUANTUN_API_KEYS"] {
        assert_config_error(&run_bin(BIN, &[], &without(var)), var);
    }
    for (var, value) in [
        ("QRAP_DB_SSLMODE", "sometimes"),
        ("QRAP_DB_PORT", "postgres"),
        ("QRAP_ML_URL", "ml:8084"),
        ("QRAP_RATE_LIMIT", "0"),
        ("QRAP_MAX_BODY_SIZE", "1"),
        ("QUANTUN_JWT_SECRET", "short"),
        ("QUANTUN_API_KEYS", "tiny"),
    ] {
        let mut env: Vec<(&str, &str)> = base.iter().copied().filter(|(k, _)| *k != var).collect();
        env.push((var, value));
        assert_config_error(&run_bin(BIN, &[], &env), var);
    }
}

#[test]
fn help_lists_every_setting() {
    assert_help_lists(
        BIN,
        &[
            "QRAP_DB_HOST",
            "QRAP_DB_PORT",
            "QRAP_DB_NAME",
            "QRAP_DB_USER",
            "QRAP_DB_PASSWORD",
            "QRAP_DB_SSLMODE",
            "QRAP_DB_MAX_CONNS",
            "QRAP_DB_MIN_CONNS",
            "QRAP_ML_URL",
            "QRAP_API_PORT",
            "QRAP_LOG_LEVEL",
            "QRAP_RATE_LIMIT",
            "QRAP_MAX_BODY_SIZE",
            "QUANTUN_JWT_SECRET",
            "QUANTUN_JWT_ISSUER",
            "QUANTUN_API_KEYS",
        ],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_checks_the_database() {
    let pg = PgInstance::start();
    let port = pg
        .url()
        .rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let cli = Cli::try_parse_from([
        "risk-api",
        "--db-host",
        "127.0.0.1",
        "--db-port",
        &port,
        "--db-name",
        "postgres",
        "--db-user",
        "postgres",
        "--db-password",
        "unused-trust-auth",
        "--db-sslmode",
        "disable",
        "--jwt-secret",
        SECRET,
        "--api-keys",
        KEYS,
    ])
    .unwrap();
    let mut config = Config::from_settings(cli.settings).unwrap();
    config.host = "127.0.0.1".into();
    config.port = 0;
    let config_token = config
        .jwt
        .issue("admin@example.com", shared::auth::Role::Admin, None)
        .unwrap()
        .0;
    let shutdown = Shutdown::new();
    let app = Application::build(config, shutdown.clone())
        .await
        .expect("build");
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let c = client();

    assert_eq!(
        c.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let admin = config_token.clone();
    let orgs = format!("{base}/api/v1/organizations");
    assert_eq!(
        c.get(&orgs)
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    pg.stop();
    // Issue 16 item 9: with the database down, an API request is a 503
    // problem+json with Retry-After within the acquire timeout (default
    // 1 s), not a 500 after 5 s.
    let started = std::time::Instant::now();
    let r = c.get(&orgs).bearer_auth(&admin).send().await.unwrap();
    let took = started.elapsed();
    assert_eq!(r.status(), 503);
    assert!(took < Duration::from_secs(2), "503 took {took:?}");
    assert_eq!(r.headers()["retry-after"], "2");
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/problem+json"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let r = c.get(format!("{base}/healthz")).send().await.unwrap();
        if r.status() == 503 {
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["checks"][0]["name"], "database");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "healthz never turned 503"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Recovery without a restart: the same process serves again.
    pg.resume();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let s = c
            .get(&orgs)
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .status();
        if s == 200 {
            break;
        }
        assert_eq!(s, 503);
        assert!(tokio::time::Instant::now() < deadline, "never recovered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    shutdown.trigger();
    server.await.unwrap().unwrap();
}
