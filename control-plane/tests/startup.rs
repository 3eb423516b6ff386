//! The control plane started for real (port 0) against a private Postgres:
//! migrations at start, operational endpoints, and readiness that follows
//! the database without a restart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use clap::Parser;
use control_plane::config::{Cli, Config};
use control_plane::startup::Application;
use serde_json::Value;
use shared::server::Shutdown;
use shared::test_util::PgInstance;

fn config(database_url: &str) -> Config {
    let cli = Cli::try_parse_from([
        "control-plane",
        "--database-url",
        database_url,
        "--jwt-secret",
        shared::test_util::TEST_JWT_SECRET,
        // Nothing listens there: the control plane republishes its (empty)
        // state at start and must not wipe the shared test etcd's /qsgw/v1/.
        "--etcd-endpoints",
        "http://127.0.0.1:1",
    ])
    .expect("valid flags");
    let mut c = Config::from_settings(cli.settings).expect("valid config");
    c.host = "127.0.0.1".into();
    c.port = 0;
    c
}

async fn ready(client: &reqwest::Client, base: &str) -> (u16, Value) {
    let r = client
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn wait_for_ready_status(client: &reqwest::Client, base: &str, want: u16) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = ready(client, base).await;
        if status == want {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "readiness never became {want}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_database_without_restart() {
    let pg = PgInstance::start();
    let shutdown = Shutdown::new();
    let app = Application::build(config(&pg.url()), shutdown.clone())
        .await
        .expect("build");
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let client = shared::test_util::client();

    let body = wait_for_ready_status(&client, &base, 200).await;
    let db = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "database")
        .unwrap();
    assert_eq!(db["status"], "up");

    pg.stop();
    let body = wait_for_ready_status(&client, &base, 503).await;
    assert_eq!(body["status"], "unavailable");
    let db = body["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "database")
        .unwrap();
    assert_eq!(db["status"], "down");
    assert!(db["error"].is_string());
    // Liveness does not depend on the database.
    assert_eq!(
        client
            .get(format!("{base}/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    pg.resume();
    wait_for_ready_status(&client, &base, 200).await;

    shutdown.trigger();
    server.await.unwrap().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrates_at_start_and_serves_operational_endpoints() {
    let pg = PgInstance::start();
    let shutdown = Shutdown::new();
    let app = Application::build(config(&pg.url()), shutdown.clone())
        .await
        .expect("build");
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let client = shared::test_util::client();

    // Migrations applied: the schema exists.
    let pool = sqlx::PgPool::connect(&pg.url()).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(n >= 1);
    let rev: i64 = sqlx::query_scalar("SELECT revision FROM config_revision")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rev, 0);

    let doc: Value = client
        .get(format!("{base}/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(doc["info"]["title"], "QSGW control plane API");
    for path in ["/health", "/health/ready", "/metrics"] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let docs = client
        .get(format!("{base}/api/v1/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("/api/v1/docs/docs.js"));
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");

    // A second start on the same database is a no-op for migrations.
    let again = Application::build(config(&pg.url()), Shutdown::new())
        .await
        .expect("second build");
    drop(again);

    shutdown.trigger();
    server.await.unwrap().unwrap();
}
