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
    assert_config_error(
        &with_key("QSGW_ETCD_ENDPOINTS", "not a url"),
        "QSGW_ETCD_ENDPOINTS",
    );
    assert_config_error(
        &with_key("QSGW_AI_WINDOW_CLIENTS", "0"),
        "QSGW_AI_WINDOW_CLIENTS",
    );
    // Orderings between thresholds are checked too.
    assert_config_error(
        &with_key("QSGW_ANOMALY_CRITICAL_THRESHOLD", "0.5"),
        "QSGW_ANOMALY_CRITICAL_THRESHOLD",
    );
    assert_config_error(
        &with_key("QSGW_BOT_BLOCK_THRESHOLD", "0.6"),
        "QSGW_BOT_BLOCK_THRESHOLD",
    );
    // Agent lists: a missing file, a file that is not a list, a pattern
    // that does not compile.
    assert_config_error(
        &with_key("QSGW_AI_AGENT_LISTS", "/nonexistent/isbot.json"),
        "QSGW_AI_AGENT_LISTS",
    );
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in [("obj.json", "{}"), ("bad.json", r#"["ok", "broken("]"#)] {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        let out = run_bin(
            BIN,
            &[],
            &[
                ("QSGW_API_KEY", KEY),
                ("QSGW_AI_AGENT_LISTS", p.to_str().unwrap()),
            ],
        );
        assert_config_error(&out, "QSGW_AI_AGENT_LISTS");
    }
}

/// Issue 16 item 2: the AI engine reads the control plane's etcd settings
/// with the same checks and error lines (shared::etcd), and in production
/// refuses plaintext etcd unless explicitly allowed.
#[test]
fn etcd_tls_settings_name_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.crt");
    std::fs::write(
        &ca,
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let ca = ca.to_str().unwrap();
    let key = ("QSGW_API_KEY", KEY);
    let https = ("QSGW_ETCD_ENDPOINTS", "https://etcd.internal:2379");
    for (env, var) in [
        (vec![key, https], "QSGW_ETCD_CA_PATH"),
        (
            vec![
                key,
                https,
                ("QSGW_ETCD_CA_PATH", ca),
                ("QSGW_ETCD_CERT_PATH", ca),
            ],
            "QSGW_ETCD_KEY_PATH",
        ),
        (
            vec![
                key,
                https,
                ("QSGW_ETCD_CA_PATH", ca),
                ("QSGW_ETCD_KEY_PATH", ca),
            ],
            "QSGW_ETCD_CERT_PATH",
        ),
        (
            vec![key, https, ("QSGW_ETCD_CA_PATH", "/nonexistent/ca.crt")],
            "QSGW_ETCD_CA_PATH",
        ),
        (
            vec![
                key,
                https,
                ("QSGW_ETCD_CA_PATH", ca),
                ("QSGW_ETCD_USERNAME", "qsgw-ai-engine"),
            ],
            "QSGW_ETCD_PASSWORD",
        ),
        (
            vec![
                key,
                https,
                ("QSGW_ETCD_CA_PATH", ca),
                ("QSGW_ETCD_PASSWORD", "x"),
            ],
            "QSGW_ETCD_USERNAME",
        ),
    ] {
        assert_config_error(&run_bin(BIN, &[], &env), var);
    }
    let plain = ("QSGW_ETCD_ENDPOINTS", "http://etcd.internal:2379");
    let production = ("QSGW_ENVIRONMENT", "production");
    assert_config_error(
        &run_bin(BIN, &[], &[key, plain, production]),
        "QSGW_ETCD_ENDPOINTS",
    );
    // Allowed explicitly, the same settings pass the check: the run goes
    // on to a later check (the sentinel: an agent list that is missing).
    let out = run_bin(
        BIN,
        &[],
        &[
            key,
            plain,
            production,
            ("QSGW_ALLOW_INSECURE_ETCD", "true"),
            ("QSGW_AI_AGENT_LISTS", "/nonexistent/isbot.json"),
        ],
    );
    assert_config_error(&out, "QSGW_AI_AGENT_LISTS");
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
            "QSGW_AI_AGENT_LISTS",
            "QSGW_LOG_LEVEL",
            "QSGW_API_KEY",
            "QSGW_AI_MODEL_PATH",
            "QSGW_ETCD_ENDPOINTS",
            "QSGW_AI_WINDOW_CLIENTS",
            "QSGW_ETCD_CA_PATH",
            "QSGW_ETCD_CERT_PATH",
            "QSGW_ETCD_KEY_PATH",
            "QSGW_ETCD_USERNAME",
            "QSGW_ETCD_PASSWORD",
            "QSGW_ENVIRONMENT",
            "QSGW_ALLOW_INSECURE_ETCD",
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

#[test]
fn a_bad_model_file_stops_startup_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.json");
    std::fs::write(
        &path,
        r#"{"format":"quantun-ai-engine-model","schema_version":999}"#,
    )
    .unwrap();
    let p = path.to_str().unwrap();
    // The model is loaded before the listener is bound: this port is never used.
    let port = free_port().to_string();
    let out = run_bin(
        BIN,
        &[],
        &[
            ("QSGW_API_KEY", KEY),
            ("QSGW_AI_PORT", &port),
            ("QSGW_AI_MODEL_PATH", p),
        ],
    );
    assert!(!out.status.success());
    let err =
        String::from_utf8_lossy(&out.stderr).to_string() + &String::from_utf8_lossy(&out.stdout);
    assert!(err.contains("QSGW_AI_MODEL_PATH"), "{err}");
    let out = run_bin(
        BIN,
        &[],
        &[
            ("QSGW_API_KEY", KEY),
            ("QSGW_AI_PORT", &port),
            ("QSGW_AI_MODEL_PATH", "/nonexistent/m.json"),
        ],
    );
    assert!(!out.status.success());
}

#[tokio::test]
async fn thresholds_from_the_environment_take_effect() {
    let port = free_port();
    let port_s = port.to_string();
    let svc = ChildService::spawn(
        BIN,
        &[
            ("QSGW_API_KEY", KEY),
            ("QSGW_AI_PORT", &port_s),
            ("QSGW_AI_HOST", "127.0.0.1"),
            ("QSGW_BOT_THRESHOLD", "0"),
            ("QSGW_BOT_BLOCK_THRESHOLD", "0"),
        ],
        port,
    )
    .await;
    let body = serde_json::json!({
        "client_ip": "198.51.100.4", "method": "GET", "path": "/",
        "header_names": ["host", "user-agent", "accept", "accept-encoding", "accept-language"],
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
        "status": 200, "timestamp_ms": 1_763_900_000_000u64
    });
    let v: serde_json::Value = client()
        .post(format!("{}/api/v1/analyze", svc.base))
        .header("x-api-key", KEY)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["verdict"], "block", "{v}");
    assert_eq!(svc.terminate().await.code(), Some(0));
}

#[test]
fn generate_train_evaluate_work_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let d = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    let out = run_bin(
        BIN,
        &[
            "generate",
            "--seed",
            "1",
            "--humans",
            "30",
            "--bots-per-family",
            "3",
            "--out",
            &d("train.jsonl"),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_bin(
        BIN,
        &[
            "generate",
            "--seed",
            "2",
            "--humans",
            "20",
            "--bots-per-family",
            "2",
            "--out",
            &d("eval.jsonl"),
        ],
        &[],
    );
    assert!(out.status.success());
    let out = run_bin(
        BIN,
        &[
            "train",
            "--input",
            &d("train.jsonl"),
            "--eval",
            &d("eval.jsonl"),
            "--clusters",
            "4",
            "--out",
            &d("m.json"),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run_bin(
        BIN,
        &[
            "evaluate",
            "--input",
            &d("eval.jsonl"),
            "--model",
            &d("m.json"),
            // The real-agent benchmark takes seconds of scoring, too long
            // for a debug binary on a busy machine; its figures are tested
            // in process (tests/agents.rs).
            "--no-real-agents",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    for s in [
        "precision",
        "ROC AUC",
        "confusion",
        "scanner",
        "HELD OUT",
        "sync/async verdict agreement",
    ] {
        assert!(text.contains(s), "{s} missing: {text}");
    }
    // A line that is not a labelled request is refused with its line number.
    std::fs::write(d("bad.jsonl"), "{\"features\":1}\n").unwrap();
    let out = run_bin(BIN, &["evaluate", "--input", &d("bad.jsonl")], &[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.jsonl:1"));
}
