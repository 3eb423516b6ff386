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
    pg.stop();
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
    shutdown.trigger();
    server.await.unwrap().unwrap();
}
