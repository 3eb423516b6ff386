//! The real `gateway` binary: admin listener, config validation, SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use shared::test_util::{
    assert_config_error, assert_help_lists, client, free_port, run_bin, ChildService,
};

const BIN: &str = env!("CARGO_BIN_EXE_gateway");

#[test]
fn config_errors_name_the_variable() {
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_TLS_POLICY", "QUANTUM_MAYBE")]),
        "QSGW_TLS_POLICY",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_MAX_CONNECTIONS", "0")]),
        "QSGW_MAX_CONNECTIONS",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_ETCD_ENDPOINTS", ",")]),
        "QSGW_ETCD_ENDPOINTS",
    );
    assert_config_error(
        &run_bin(
            BIN,
            &[],
            &[("QSGW_CONTROL_PLANE_URL", "control-plane:8085")],
        ),
        "QSGW_CONTROL_PLANE_URL",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_RATE_LIMIT_BURST", "10")]),
        "QSGW_RATE_LIMIT_BURST",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_API_KEY", "short")]),
        "QSGW_API_KEY",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_TLS_SNI_POLICIES", "a.example=MAYBE")]),
        "QSGW_TLS_SNI_POLICIES",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_ENVIRONMENT", "staging")]),
        "QSGW_ENVIRONMENT",
    );
}

#[test]
fn production_without_a_certificate_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("missing.crt");
    let out = run_bin(
        BIN,
        &[],
        &[
            ("QSGW_TLS_CERT_PATH", cert.to_str().unwrap()),
            (
                "QSGW_TLS_KEY_PATH",
                dir.path().join("missing.key").to_str().unwrap(),
            ),
            ("QSGW_GATEWAY_PORT", &free_port().to_string()),
            ("QSGW_GATEWAY_ADMIN_PORT", &free_port().to_string()),
            ("QSGW_CONFIG_CACHE_PATH", ""),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("QSGW_TLS_CERT_PATH"));
}

#[test]
fn help_lists_every_setting() {
    assert_help_lists(
        BIN,
        &[
            "QSGW_GATEWAY_HOST",
            "QSGW_GATEWAY_PORT",
            "QSGW_TLS_CERT_PATH",
            "QSGW_TLS_KEY_PATH",
            "QSGW_CONTROL_PLANE_URL",
            "QSGW_AI_ENGINE_URL",
            "QSGW_ETCD_ENDPOINTS",
            "QSGW_MAX_CONNECTIONS",
            "QSGW_WORKER_THREADS",
            "QSGW_BLOCKING_THREADS",
            "QSGW_UPSTREAM_POOL_SIZE",
            "QSGW_UPSTREAM_TIMEOUT_SECS",
            "QSGW_RATE_LIMIT_RPS",
            "QSGW_RATE_LIMIT_BURST",
            "QSGW_LOG_LEVEL",
            "QSGW_TLS_POLICY",
            "QSGW_GATEWAY_ADMIN_PORT",
            "QSGW_CONFIG_FILE",
            "QSGW_CONFIG_CACHE_PATH",
            "QSGW_ENVIRONMENT",
            "QSGW_TLS_SNI_POLICIES",
        ],
    );
}

#[tokio::test]
async fn admin_listener_reports_unready_without_config_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (port_s, tls_s) = (port.to_string(), free_port().to_string());
    let cert = dir.path().join("c.crt");
    let key = dir.path().join("c.key");
    let svc = ChildService::spawn(
        BIN,
        &[
            ("QSGW_GATEWAY_ADMIN_PORT", &port_s),
            ("QSGW_GATEWAY_ADMIN_HOST", "127.0.0.1"),
            ("QSGW_GATEWAY_PORT", &tls_s),
            ("QSGW_GATEWAY_HOST", "127.0.0.1"),
            ("QSGW_ENVIRONMENT", "development"),
            ("QSGW_TLS_CERT_PATH", cert.to_str().unwrap()),
            ("QSGW_TLS_KEY_PATH", key.to_str().unwrap()),
            ("QSGW_CONFIG_CACHE_PATH", ""),
            ("QSGW_ETCD_ENDPOINTS", "http://127.0.0.1:1"),
            ("QSGW_WORKER_THREADS", "2"),
        ],
        port,
    )
    .await;
    assert!(
        cert.exists() && key.exists(),
        "a development certificate was generated"
    );
    let c = client();
    let r = c
        .get(format!("{}/health/ready", svc.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        503,
        "no config yet: etcd unreachable and no cache"
    );
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["checks"][0]["name"], "config");
    let doc: serde_json::Value = c
        .get(format!("{}/api/v1/openapi.json", svc.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["info"]["title"], "QSGW gateway admin API");
    assert!(doc["paths"]["/config"].is_object());
    assert!(c
        .get(format!("{}/metrics", svc.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("service=\"gateway\""));
    assert_eq!(svc.terminate().await.code(), Some(0));
}
