//! Issue 16 item 2 for the AI engine: its own settings (`QSGW_ETCD_CA_PATH`,
//! `QSGW_ETCD_CERT_PATH`, `QSGW_ETCD_KEY_PATH`, parsed by the AI engine's
//! command line) against a real etcd serving TLS only with
//! client-certificate authentication and QSGW's roles (the project's
//! scripts: etcd-certs.sh, etcd.sh with ETCD_TLS_DIR, etcd-rbac.sh). With
//! the qsgw-ai-engine certificate the engine reads the thresholds key at
//! start and follows a change through its watch; a write with the same
//! settings (e.g. switching blocking off) is refused by etcd's RBAC
//! ("permission denied", the read-only role qsgw-reader).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use clap::Parser;
use common::*;
use shared::qsgw::AI_THRESHOLDS_KEY;
use shared::test_util::TlsEtcdInstance;

fn thresholds_json(bot_block: f64) -> String {
    format!(
        r#"{{"anomaly":0.65,"anomaly_critical":0.85,"rate_per_minute":300,"rate_multiplier":3.0,"bot":0.0,"bot_block":{bot_block}}}"#
    )
}

async fn wait_for_bot_block(app: &App, want: f64) {
    let mut got = None;
    for _ in 0..200 {
        got = app.get("/api/v1/models").await.1["items"][0]["thresholds"]["bot_block"].as_f64();
        if got == Some(want) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("bot_block never became {want}, is {got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ai_engine_settings_read_and_watch_thresholds_over_tls_and_cannot_write() {
    shared::server::install_crypto_provider();
    let etcd = TlsEtcdInstance::start();
    let pki = etcd.pki();
    let file = |name: &str| pki.join(name).to_string_lossy().into_owned();

    // The control plane (read-write role) sets thresholds before start.
    let mut cp = shared::etcd::connect(&etcd.settings(Some("qsgw-control-plane"), "ca.crt"))
        .await
        .unwrap();
    cp.put(AI_THRESHOLDS_KEY, thresholds_json(0.95), None)
        .await
        .unwrap();

    let cli = ai_engine::config::Cli::try_parse_from([
        "ai-engine",
        "--api-key",
        KEY,
        "--etcd-endpoints",
        &etcd.endpoint(),
        "--etcd-ca-path",
        &file("ca.crt"),
        "--etcd-cert-path",
        &file("qsgw-ai-engine.crt"),
        "--etcd-key-path",
        &file("qsgw-ai-engine.key"),
    ])
    .unwrap();
    let mut cfg = ai_engine::config::Config::from_settings(cli.settings).unwrap();
    cfg.host = "127.0.0.1".into();
    cfg.port = 0;
    cfg.shutdown_grace = Duration::from_secs(1);
    let settings = cfg.etcd.clone().expect("etcd settings");
    assert!(settings.tls.is_some(), "TLS settings from the command line");
    let app = App::spawn(cfg).await;
    // Read at start ...
    wait_for_bot_block(&app, 0.95).await;
    // ... and watched.
    cp.put(AI_THRESHOLDS_KEY, thresholds_json(0.5), None)
        .await
        .unwrap();
    wait_for_bot_block(&app, 0.5).await;

    // The same settings cannot write: no switching blocking off.
    let mut own = shared::etcd::connect(&settings).await.unwrap();
    let e = own
        .put(AI_THRESHOLDS_KEY, thresholds_json(1.0), None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("permission denied"), "{e}");
    let snap = shared::etcd::get_prefix(&mut own, AI_THRESHOLDS_KEY)
        .await
        .unwrap();
    assert_eq!(snap.kvs[0].value, thresholds_json(0.5).into_bytes());
    app.shutdown.trigger();
}
