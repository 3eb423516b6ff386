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

/// Issue 21 (never locked out): `create-admin` and `reset-password` say
/// whether the login they were given signs in; `reset-password` sets the
/// password (ending the account's sessions), re-enables with `--enable`,
/// and is audited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_password_is_the_way_back_in_and_every_command_says_whether_the_login_works() {
    let (url, pool) = fresh_database("reset").await;
    let env = |email: &'static str, password: &'static str| {
        [
            ("QSGW_DATABASE_URL", url.clone()),
            ("QSGW_JWT_SECRET", JWT.to_owned()),
            ("QSGW_ADMIN_EMAIL", email.to_owned()),
            ("QSGW_ADMIN_PASSWORD", password.to_owned()),
        ]
    };
    let run = |args: &[&str], env: [(&str, String); 4]| {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let out = run_bin(BIN, args, &env);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, _) = run(
        &["create-admin"],
        env("ops@example.com", "first-password-0123"),
    );
    assert_eq!(code, Some(0), "{stdout}");
    let version_before: i64 = sqlx::query_scalar("SELECT token_version FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();

    // The same email again: nothing created, and it says whether the
    // password it was given signs in.
    let (code, _, stderr) = run(
        &["create-admin"],
        env("ops@example.com", "first-password-0123"),
    );
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("already exists") && stderr.contains("this email and password sign in"),
        "{stderr}"
    );
    let (code, _, stderr) = run(
        &["create-admin"],
        env("ops@example.com", "another-password-456"),
    );
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("does NOT sign in") && stderr.contains("control-plane reset-password"),
        "{stderr}"
    );

    // reset-password sets it; the old sessions end (token version moves).
    let (code, stdout, stderr) = run(
        &["reset-password"],
        env("ops@example.com", "another-password-456"),
    );
    assert_eq!(code, Some(0), "{stdout} {stderr}");
    assert!(
        stdout.contains("this email and password sign in"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("another-password-456"),
        "no password echoed"
    );
    let version_after: i64 = sqlx::query_scalar("SELECT token_version FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(version_after > version_before);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM qsgw_audit_log WHERE action = 'user.reset_password' AND actor = 'system'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // A disabled account: the password is set, it stays disabled and says
    // so, until --enable.
    sqlx::query("UPDATE users SET disabled = true")
        .execute(&pool)
        .await
        .unwrap();
    let (code, stdout, _) = run(
        &["reset-password"],
        env("ops@example.com", "third-password-7890"),
    );
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("disabled") && stdout.contains("--enable"),
        "{stdout}"
    );
    let (code, stdout, _) = run(
        &["reset-password", "--enable"],
        env("ops@example.com", "third-password-7890"),
    );
    assert_eq!(code, Some(0));
    assert!(
        stdout.contains("this email and password sign in"),
        "{stdout}"
    );
    let disabled: bool = sqlx::query_scalar("SELECT disabled FROM users")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!disabled);

    // Unknown email: exit 1, named; a password the policy refuses is a
    // configuration error naming the variable (exit 2, before any work).
    let (code, _, stderr) = run(
        &["reset-password"],
        env("nobody@example.com", "fourth-password-000"),
    );
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("no user with email nobody@example.com"),
        "{stderr}"
    );
    let (code, _, stderr) = run(&["reset-password"], env("ops@example.com", "short"));
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("QSGW_ADMIN_PASSWORD"), "{stderr}");
}
