//! The `healthcheck` binary (the containers' health probe) run for real
//! against a server on port 0: 0 on a 2xx, 1 on a 503 and on a closed port.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use shared::test_util::{free_port, TestServer};

/// Runs the binary cargo built for this test and returns its exit code.
async fn healthcheck(url: String) -> i32 {
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_healthcheck"))
            .arg(&url)
            .output()
            .expect("run healthcheck");
        out.status.code().expect("exit code, not a signal")
    })
    .await
    .expect("join")
}

fn app() -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route(
            "/health/ready",
            get(|| async { (StatusCode::SERVICE_UNAVAILABLE, "database unavailable") }),
        )
}

#[tokio::test]
async fn exits_zero_on_a_healthy_endpoint() {
    let server = TestServer::spawn(app()).await;
    assert_eq!(healthcheck(server.url("/health")).await, 0);
}

#[tokio::test]
async fn exits_one_on_a_503() {
    let server = TestServer::spawn(app()).await;
    assert_eq!(healthcheck(server.url("/health/ready")).await, 1);
}

#[tokio::test]
async fn exits_one_on_a_404() {
    let server = TestServer::spawn(app()).await;
    assert_eq!(healthcheck(server.url("/nope")).await, 1);
}

#[tokio::test]
async fn exits_one_on_a_closed_port() {
    let port = free_port();
    assert_eq!(
        healthcheck(format!("http://127.0.0.1:{port}/health")).await,
        1
    );
}

#[tokio::test]
async fn exits_two_without_a_url() {
    let code = tokio::task::spawn_blocking(|| {
        Command::new(env!("CARGO_BIN_EXE_healthcheck"))
            .output()
            .expect("run healthcheck")
            .status
            .code()
    })
    .await
    .expect("join");
    assert_eq!(code, Some(2));
}
