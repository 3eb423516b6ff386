//! Issue 16 item 4: `sslmode=verify-full` with `QSGW_DATABASE_CA_PATH`
//! against a real PostgreSQL serving a certificate from a throwaway CA
//! (`scripts/pg.sh` with `PG_TLS_DIR`, TCP over TLS only). The control
//! plane's own settings build the connection: it connects over TLS with
//! the right CA and is refused with another CA or without TLS.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clap::Parser;
use control_plane::config::{Cli, Config};
use shared::test_util::PgInstance;
use sqlx::postgres::PgPoolOptions;

fn config(url: &str, ca: &std::path::Path) -> Config {
    let cli = Cli::try_parse_from([
        "control-plane",
        "--database-url",
        url,
        "--database-ca-path",
        ca.to_str().unwrap(),
        "--jwt-secret",
        shared::test_util::TEST_JWT_SECRET,
        "--api-key",
        "a-test-api-key-0123456789abcdef0123",
        "--etcd-endpoints",
        "http://127.0.0.1:1",
    ])
    .expect("valid flags");
    Config::from_settings(cli.settings).expect("valid config")
}

async fn connect(c: &Config) -> Result<sqlx::PgPool, sqlx::Error> {
    PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect_with(c.database.clone())
        .await
}

#[tokio::test]
async fn verify_full_connects_over_tls_and_refuses_a_foreign_ca_or_plaintext() {
    let pg = PgInstance::start_tls();
    let pki = pg.pki();
    let port = pg.port();
    // The server certificate names 127.0.0.1 and localhost (etcd-certs.sh).
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("postgres://postgres@{host}:{port}/postgres?sslmode=verify-full");
        let pool = connect(&config(&url, &pki.join("ca.crt")))
            .await
            .unwrap_or_else(|e| panic!("verify-full to {host} with the right CA: {e}"));
        let ssl: bool =
            sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert!(ssl, "the session is encrypted");
        pool.close().await;
    }
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=verify-full");
    let err = connect(&config(&url, &pki.join("other-ca.crt")))
        .await
        .expect_err("a certificate from another CA must be refused");
    // rustls refuses the chain (the error sqlx hands back wraps it).
    assert!(
        format!("{err:?}").contains("InvalidCertificate(UnknownIssuer)"),
        "{err:?}"
    );
    // The server takes TCP clients over TLS only (hostssl): a client that
    // would send the password in the clear gets nowhere.
    let url = format!("postgres://postgres@127.0.0.1:{port}/postgres?sslmode=disable");
    connect(&config(&url, &pki.join("ca.crt")))
        .await
        .expect_err("plaintext refused by the server");
}
