//! The real `control-plane` binary against the test Postgres: it migrates,
//! serves, logs JSON lines, never logs a secret, and stops cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use shared::test_util::{client, database_url, free_port, ChildService};

const BIN: &str = env!("CARGO_BIN_EXE_control-plane");
const JWT_SECRET: &str = "process-test-jwt-secret-0123456789abcdef";
const API_KEY: &str = "process-test-api-key-0123456789";
const DB_PASSWORD: &str = "process-test-db-password";

/// A fresh database on the test server; its URL carries a password (ignored
/// by the test server's trust auth) so the log check below is meaningful.
async fn fresh_database() -> String {
    let admin = sqlx::PgPool::connect(&database_url()).await.unwrap();
    let name = format!("cp_process_{}", uuid_like());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .unwrap();
    let base = database_url();
    let (scheme_host, _) = base.rsplit_once('/').unwrap();
    let with_password = scheme_host.replacen("postgres@", &format!("postgres:{DB_PASSWORD}@"), 1);
    format!("{with_password}/{name}")
}

fn uuid_like() -> String {
    format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_are_json_lines_without_secrets() {
    let db = fresh_database().await;
    let port = free_port();
    let port_s = port.to_string();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("cp.log");
    let svc = ChildService::spawn_logged(
        BIN,
        &[
            ("QSGW_CP_HOST", "127.0.0.1"),
            ("QSGW_CP_PORT", &port_s),
            ("QSGW_DATABASE_URL", &db),
            ("QSGW_JWT_SECRET", JWT_SECRET),
            ("QSGW_API_KEY", API_KEY),
            ("QSGW_ETCD_ENDPOINTS", "http://127.0.0.1:1"),
            ("QSGW_LOG_LEVEL", "trace"),
        ],
        port,
        &log,
    )
    .await;
    let c = client();
    // Requests carrying credentials, valid and not.
    let bearer = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.bogus-signature-in-a-token";
    c.get(format!("{}/health/ready", svc.base))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    c.get(format!("{}/nope?token=query-secret-value", svc.base))
        .header("x-api-key", API_KEY)
        .send()
        .await
        .unwrap();
    let status = svc.terminate().await;
    assert_eq!(status.code(), Some(0));

    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines.len() >= 4,
        "start-up, requests and shutdown are logged: {text}"
    );
    for line in &lines {
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        for key in ["ts", "level", "msg", "target", "service"] {
            assert!(v.get(key).is_some(), "{key} missing in {line}");
        }
    }
    let completed: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|v| v["msg"] == "request completed")
        .collect();
    // The /health probes of the start-up wait, plus the two requests above.
    let paths: Vec<&str> = completed
        .iter()
        .filter_map(|v| v["path"].as_str())
        .collect();
    assert!(
        paths.contains(&"/health/ready") && paths.contains(&"/nope"),
        "{paths:?}"
    );
    for v in &completed {
        for key in ["request_id", "method", "path", "status", "duration_ms"] {
            assert!(v.get(key).is_some(), "{key} missing in {v}");
        }
    }
    for secret in [
        JWT_SECRET,
        API_KEY,
        DB_PASSWORD,
        bearer,
        "query-secret-value",
    ] {
        assert!(!text.contains(secret), "a secret reached the log: {secret}");
    }
    assert!(text.contains("database schema up to date"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_subcommand_applies_the_schema_with_only_the_database_url() {
    let db = fresh_database().await;
    let out = shared::test_util::run_bin(BIN, &["migrate"], &[("QSGW_DATABASE_URL", &db)]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let pool = sqlx::PgPool::connect(&db).await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(applied >= 1);
    // Idempotent.
    let again = shared::test_util::run_bin(BIN, &["migrate"], &[("QSGW_DATABASE_URL", &db)]);
    assert_eq!(again.status.code(), Some(0));
    // Without the URL: the usual one-line error.
    shared::test_util::assert_config_error(
        &shared::test_util::run_bin(BIN, &["migrate"], &[]),
        "QSGW_DATABASE_URL",
    );
}
