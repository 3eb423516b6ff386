//! The real `ml-engine` binary: settings precedence (flag > env > file >
//! default), operational endpoints, config errors and SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use shared::test_util::{
    assert_config_error, assert_help_lists, client, free_port, run_bin, ChildService,
};

const BIN: &str = env!("CARGO_BIN_EXE_ml-engine");

#[tokio::test]
async fn env_beats_file_and_file_beats_default() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("ml.toml");
    let file_port = free_port();
    std::fs::write(
        &file,
        format!("QRAP_ML_PORT = {file_port}\nQRAP_ML_HOST = \"127.0.0.1\"\n"),
    )
    .unwrap();
    let file_arg = file.to_str().unwrap();

    // File beats the default (8084).
    let svc = ChildService::spawn_with_args(BIN, &["--config", file_arg], &[], file_port).await;
    assert_eq!(svc.terminate().await.code(), Some(0));

    // Environment beats the file.
    let env_port = free_port();
    let env_port_s = env_port.to_string();
    let svc = ChildService::spawn_with_args(
        BIN,
        &["--config", file_arg],
        &[("QRAP_ML_PORT", &env_port_s)],
        env_port,
    )
    .await;
    assert!(
        client()
            .get(format!("http://127.0.0.1:{file_port}/health"))
            .send()
            .await
            .is_err(),
        "nothing listens on the file's port"
    );
    assert_eq!(svc.terminate().await.code(), Some(0));
}

#[tokio::test]
async fn serves_operational_endpoints_and_stops_cleanly_on_sigterm() {
    let port = free_port();
    let port_s = port.to_string();
    let svc = ChildService::spawn(
        BIN,
        &[("QRAP_ML_PORT", &port_s), ("QRAP_ML_HOST", "127.0.0.1")],
        port,
    )
    .await;
    let c = client();
    // Ready once the knowledge base and calibration model are loaded
    // (503 "model" until then).
    let mut ready = 0;
    for _ in 0..600 {
        ready = c
            .get(format!("{}/health/ready", svc.base))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if ready == 200 {
            break;
        }
        assert_eq!(ready, 503);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(ready, 200);
    let doc: serde_json::Value = c
        .get(format!("{}/api/v1/openapi.json", svc.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["info"]["title"], "QRAP ML engine API");
    assert_eq!(
        c.get(format!("{}/api/v1/docs", svc.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let metrics = c
        .get(format!("{}/metrics", svc.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("service=\"ml-engine\""), "{metrics}");
    assert_eq!(svc.terminate().await.code(), Some(0));
}

#[test]
fn config_errors_name_the_variable() {
    assert_config_error(
        &run_bin(BIN, &[], &[("QRAP_ML_WORKERS", "0")]),
        "QRAP_ML_WORKERS",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QRAP_ML_PORT", "eighty")]),
        "QRAP_ML_PORT",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QRAP_ML_LOG_LEVEL", "chatty")]),
        "QRAP_ML_LOG_LEVEL",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, "QRAP_ML_PROT = 1\n").unwrap();
    assert_config_error(
        &run_bin(BIN, &["--config", file.to_str().unwrap()], &[]),
        "QRAP_ML_PROT",
    );
}

#[test]
fn help_lists_every_setting() {
    assert_help_lists(
        BIN,
        &[
            "QRAP_ML_HOST",
            "QRAP_ML_PORT",
            "QRAP_ML_LOG_LEVEL",
            "QRAP_ML_WORKERS",
        ],
    );
}

/// Checked on `Config::from_settings` (what `main` turns into the one-line
/// exit-2 error) rather than on the binary: the shared cargo target directory
/// holds one `debug/ml-engine`, which sibling checkouts rebuild mid-run.
#[test]
fn a_bad_knowledge_base_is_a_config_error_naming_the_variable() {
    use clap::Parser;
    use ml_engine::config::{Cli, Config};
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("kb.json");
    std::fs::write(&empty, r#"{"format": 2, "version": "x", "description": "", "sources": {}, "modulus_strength": [], "families": [], "curves": [], "groups": [], "oids": [], "aliases": [], "tls_groups": []}"#).unwrap();
    let old_format = dir.path().join("v1.json");
    std::fs::write(&old_format, r#"{"format": 1, "version": "x", "description": "", "sources": {}, "modulus_strength": [], "families": [], "curves": [], "groups": [], "oids": [], "aliases": [], "tls_groups": []}"#).unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{ not json").unwrap();
    let missing = dir.path().join("absent.json");
    for (path, needle) in [
        (&empty, "no families"),
        (&old_format, "unsupported format 1"),
        (&broken, "not valid"),
        (&missing, "cannot read"),
    ] {
        let cli =
            Cli::try_parse_from(["ml-engine", "--knowledge-base", path.to_str().unwrap()]).unwrap();
        let err = Config::from_settings(cli.settings).unwrap_err();
        assert_eq!(err.var, "QRAP_ML_KNOWLEDGE_BASE");
        assert!(err.reason.contains(needle), "{err}");
        assert!(!err.to_string().contains('\n'));
    }
    // Policy packs likewise name their variable.
    for (text, needle) in [
        ("{ not json", "not valid"),
        (r#"{"format": 1, "packs": []}"#, "no packs"),
    ] {
        let p = dir.path().join("packs.json");
        std::fs::write(&p, text).unwrap();
        let cli =
            Cli::try_parse_from(["ml-engine", "--policy-packs", p.to_str().unwrap()]).unwrap();
        let err = Config::from_settings(cli.settings).unwrap_err();
        assert_eq!(err.var, "QRAP_ML_POLICY_PACKS");
        assert!(err.reason.contains(needle), "{err}");
    }
    // The embedded default loads.
    let cli = Cli::try_parse_from(["ml-engine"]).unwrap();
    assert!(
        Config::from_settings(cli.settings)
            .unwrap()
            .knowledge_base
            .len()
            > 100
    );
}
