//! Issue 16 items 4 and 6: with QRAP_ENVIRONMENT=production the risk API
//! refuses the repository's dev values (k8s/qrap/overlays/dev), secrets
//! and API keys shorter than 32 bytes and a database connection without
//! verified TLS, naming the variable; the SSL mode defaults to verify-full.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clap::Parser;
use risk_api::config::{Cli, Config};
use shared::config::ConfigError;
use sqlx::postgres::PgSslMode;

fn dev_value(var: &str) -> String {
    let text = std::fs::read_to_string(
        shared::test_util::repo_root().join("k8s/qrap/overlays/dev/kustomization.yaml"),
    )
    .unwrap();
    text.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("- {var}=")))
        .unwrap_or_else(|| panic!("{var} not in the dev overlay"))
        .to_owned()
}

fn config(flags: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut base: Vec<(&str, String)> = vec![
        ("--environment", "production".into()),
        ("--db-password", "pr0d-db-passw0rd".into()),
        (
            "--jwt-secret",
            "a-production-jwt-secret-0123456789abcdef-xyz".into(),
        ),
        (
            "--api-keys",
            "a-production-api-key-0123456789abcdef-xyz:ci".into(),
        ),
    ];
    for (k, v) in flags {
        base.retain(|(b, _)| b != k);
        base.push((k, (*v).to_owned()));
    }
    let mut argv = vec!["risk-api".to_owned()];
    for (k, v) in base {
        argv.push(k.to_owned());
        argv.push(v);
    }
    Config::from_settings(Cli::try_parse_from(argv).unwrap().settings)
}

#[test]
fn production_refuses_dev_values_short_secrets_and_unverified_tls() {
    let ok = config(&[]).unwrap();
    assert!(matches!(ok.database.get_ssl_mode(), PgSslMode::VerifyFull));

    let dev_keys = dev_value("QUANTUN_API_KEYS");
    for (flag, value, var) in [
        (
            "--db-password",
            dev_value("QRAP_DB_PASSWORD"),
            "QRAP_DB_PASSWORD",
        ),
        (
            "--jwt-secret",
            dev_value("QUANTUN_JWT_SECRET"),
            "QUANTUN_JWT_SECRET",
        ),
        ("--api-keys", dev_keys.clone(), "QUANTUN_API_KEYS"),
        (
            "--api-keys",
            "sixteen-bytes-key-x:ci".to_owned(),
            "QUANTUN_API_KEYS",
        ),
        ("--jwt-secret", "CHANGE_ME".to_owned(), "QUANTUN_JWT_SECRET"),
        ("--db-sslmode", "require".to_owned(), "QRAP_DB_SSLMODE"),
        ("--db-sslmode", "disable".to_owned(), "QRAP_DB_SSLMODE"),
    ] {
        let e = config(&[(flag, &value)])
            .err()
            .unwrap_or_else(|| panic!("{flag} accepted"));
        assert_eq!(e.var, var, "{flag}: {e}");
    }
    // The explicit switch accepts an unverified connection.
    assert!(config(&[
        ("--db-sslmode", "disable"),
        ("--allow-insecure-database", "true")
    ])
    .is_ok());
    // Development accepts the dev overlay's values (make run, kind).
    let dev = config(&[
        ("--environment", "development"),
        ("--db-password", &dev_value("QRAP_DB_PASSWORD")),
        ("--jwt-secret", &dev_value("QUANTUN_JWT_SECRET")),
        ("--api-keys", &dev_keys),
    ])
    .unwrap();
    assert!(matches!(dev.database.get_ssl_mode(), PgSslMode::Require));
}
