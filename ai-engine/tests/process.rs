//! The real `ai-engine` binary: config validation and lifecycle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use shared::test_util::{
    assert_config_error, assert_help_lists, client, free_port, run_bin, ChildService,
};

const BIN: &str = env!("CARGO_BIN_EXE_ai-engine");
const KEY: &str = "gateway-service-key-0123456789";

#[test]
fn config_errors_name_the_variable() {
    assert_config_error(&run_bin(BIN, &[], &[]), "QSGW_API_KEY");
    let with_key = |var: &'static str, value: &'static str| {
        run_bin(BIN, &[], &[("QSGW_API_KEY", KEY), (var, value)])
    };
    assert_config_error(
        &with_key("QSGW_ANOMALY_THRESHOLD", "1.5"),
        "QSGW_ANOMALY_THRESHOLD",
    );
    assert_config_error(&with_key("QSGW_BOT_THRESHOLD", "NaN"), "QSGW_BOT_THRESHOLD");
    assert_config_error(
        &with_key("QSGW_ANOMALY_RATE_THRESHOLD", "0"),
        "QSGW_ANOMALY_RATE_THRESHOLD",
    );
    assert_config_error(&with_key("QSGW_AI_PORT", "99999"), "QSGW_AI_PORT");
    // Orderings between thresholds are checked too.
    assert_config_error(
        &with_key("QSGW_ANOMALY_CRITICAL_THRESHOLD", "0.5"),
        "QSGW_ANOMALY_CRITICAL_THRESHOLD",
    );
    assert_config_error(
        &with_key("QSGW_BOT_BLOCK_THRESHOLD", "0.6"),
        "QSGW_BOT_BLOCK_THRESHOLD",
    );
}

#[test]
fn help_lists_every_setting() {
    assert_help_lists(
        BIN,
        &[
            "QSGW_AI_HOST",
            "QSGW_AI_PORT",
            "QSGW_AI_WORKERS",
            "QSGW_ANOMALY_THRESHOLD",
            "QSGW_ANOMALY_CRITICAL_THRESHOLD",
            "QSGW_ANOMALY_RATE_THRESHOLD",
            "QSGW_ANOMALY_RATE_MULTIPLIER",
            "QSGW_BOT_THRESHOLD",
            "QSGW_BOT_BLOCK_THRESHOLD",
            "QSGW_LOG_LEVEL",
            "QSGW_API_KEY",
        ],
    );
}

#[tokio::test]
async fn serves_operational_endpoints_and_stops_on_sigterm() {
    let port = free_port();
    let port_s = port.to_string();
    let svc = ChildService::spawn(
        BIN,
        &[
            ("QSGW_API_KEY", KEY),
            ("QSGW_AI_PORT", &port_s),
            ("QSGW_AI_HOST", "127.0.0.1"),
        ],
        port,
    )
    .await;
    let c = client();
    assert_eq!(
        c.get(format!("{}/health/ready", svc.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let doc: serde_json::Value = c
        .get(format!("{}/api/v1/openapi.json", svc.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["info"]["title"], "QSGW AI engine API");
    assert_eq!(svc.terminate().await.code(), Some(0));
}
