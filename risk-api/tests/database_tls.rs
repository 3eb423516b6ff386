//! Issue 16 item 4: `QRAP_DB_SSLMODE=verify-full` with `QRAP_DB_SSLROOTCERT`
//! against a real PostgreSQL serving a certificate from a throwaway CA
//! (`scripts/pg.sh` with `PG_TLS_DIR`, TCP over TLS only), through the
//! risk API's own `database_options`: TLS with the right CA connects,
//! another CA is refused, and production's default mode is verify-full.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clap::Parser;
use risk_api::config::{database_options, Cli};
use shared::test_util::PgInstance;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

fn options(port: u16, extra: &[&str]) -> PgConnectOptions {
    let port = port.to_string();
    let mut args = vec![
        "risk-api",
        "--db-host",
        "localhost",
        "--db-port",
        &port,
        "--db-name",
        "postgres",
        "--db-user",
        "postgres",
        "--db-password",
        "unused-trust-auth",
    ];
    args.extend_from_slice(extra);
    let cli = Cli::try_parse_from(args).expect("valid flags");
    database_options(&cli.settings).expect("valid settings")
}

async fn connect(o: PgConnectOptions) -> Result<sqlx::PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_with(o)
        .await
}

#[tokio::test]
async fn verify_full_connects_over_tls_and_refuses_a_foreign_ca() {
    let pg = PgInstance::start_tls();
    let ca = pg.pki().join("ca.crt");
    let other = pg.pki().join("other-ca.crt");
    let ca = ca.to_str().unwrap();
    let pool = connect(options(
        pg.port(),
        &["--db-sslmode", "verify-full", "--db-sslrootcert", ca],
    ))
    .await
    .expect("verify-full with the right CA");
    let ssl: bool = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(ssl);
    pool.close().await;

    let err = connect(options(
        pg.port(),
        &[
            "--db-sslmode",
            "verify-full",
            "--db-sslrootcert",
            other.to_str().unwrap(),
        ],
    ))
    .await
    .expect_err("a certificate from another CA must be refused");
    // rustls refuses the chain (the error sqlx hands back wraps it).
    assert!(
        format!("{err:?}").contains("InvalidCertificate(UnknownIssuer)"),
        "{err:?}"
    );

    // Production without QRAP_DB_SSLMODE verifies the server (the
    // password below is not a dev value, so only the mode is under test).
    let o = options(
        pg.port(),
        &["--environment", "production", "--db-sslrootcert", ca],
    );
    assert!(matches!(
        o.get_ssl_mode(),
        sqlx::postgres::PgSslMode::VerifyFull
    ));
    let pool = connect(o)
        .await
        .expect("production default connects with the CA");
    pool.close().await;
}
