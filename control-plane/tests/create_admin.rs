//! The `control-plane create-admin` subcommand run as a real process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use shared::test_util::{assert_config_error, database_url, run_bin};
use sqlx::PgPool;

const BIN: &str = env!("CARGO_BIN_EXE_control-plane");
const JWT: &str = "create-admin-test-jwt-secret-0123456789";

async fn fresh_database(tag: &str) -> (String, PgPool) {
    let admin = PgPool::connect(&database_url()).await.unwrap();
    let name = format!("cp_create_admin_{tag}_{}", std::process::id());
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&admin)
        .await;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .unwrap();
    let (base, _) = database_url()
        .rsplit_once('/')
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .unwrap();
    let url = format!("{base}/{name}");
    let pool = PgPool::connect(&url).await.unwrap();
    (url, pool)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_admin_creates_one_admin_then_refuses_the_same_email() {
    let (url, pool) = fresh_database("ok").await;
    let env = [
        ("QSGW_DATABASE_URL", url.as_str()),
        ("QSGW_JWT_SECRET", JWT),
        ("QSGW_ADMIN_EMAIL", "root@example.com"),
        ("QSGW_ADMIN_PASSWORD", "root-password-0123"),
    ];
    let out = run_bin(BIN, &["create-admin"], &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("created admin usr_"), "{stdout}");
    assert!(!stdout.contains("root-password-0123"));
    let (role, hash): (String, String) = sqlx::query_as("SELECT role, password_hash FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(role, "admin");
    assert!(hash.starts_with("$argon2id$"));

    let again = run_bin(BIN, &["create-admin"], &env);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
}

#[test]
fn create_admin_without_email_is_a_config_error() {
    let out = run_bin(
        BIN,
        &["create-admin"],
        &[
            ("QSGW_DATABASE_URL", "postgres://u@127.0.0.1:1/db"),
            ("QSGW_JWT_SECRET", JWT),
        ],
    );
    assert_config_error(&out, "QSGW_ADMIN_EMAIL");
}
