//! Issue 16 item 2 for the gateway: its own settings (`QSGW_ETCD_CA_PATH`,
//! `QSGW_ETCD_CERT_PATH`, `QSGW_ETCD_KEY_PATH`, parsed by the gateway's
//! command line) against a real etcd serving TLS only with
//! client-certificate authentication and QSGW's roles (the project's
//! scripts: etcd-certs.sh, etcd.sh with ETCD_TLS_DIR, etcd-rbac.sh). With
//! the qsgw-gateway certificate the gateway reads `/qsgw/v1/` at start,
//! follows a change through its watch and serves it; a write with the same
//! settings is refused by etcd's RBAC ("permission denied", the read-only
//! role qsgw-reader).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use shared::ids::UpstreamId;
use shared::qsgw::PathMatch;
use shared::test_util::TlsEtcdInstance;

async fn wait_status(client: &reqwest::Client, url: &str, want: u16) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got = client
            .get(url)
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16());
        if got == Some(want) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{url}: {got:?}, want {want}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_settings_read_and_watch_over_tls_and_cannot_write() {
    shared::server::install_crypto_provider();
    let etcd = TlsEtcdInstance::start();
    let pki = etcd.pki();
    let file = |name: &str| pki.join(name).to_string_lossy().into_owned();

    // The control plane (read-write role) publishes a route before start.
    let mut cp = shared::etcd::connect(&etcd.settings(Some("qsgw-control-plane"), "ca.crt"))
        .await
        .unwrap();
    let echo = echo_upstream().await;
    let up = upstream(&UpstreamId::new(), &[echo.addr]);
    let a = route("/a", PathMatch::Prefix, &up.id);
    publish(&mut cp, 1, &up, &[&a]).await;

    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        &[
            "--etcd-endpoints",
            &etcd.endpoint(),
            "--etcd-ca-path",
            &file("ca.crt"),
            "--etcd-cert-path",
            &file("qsgw-gateway.crt"),
            "--etcd-key-path",
            &file("qsgw-gateway.key"),
        ],
    );
    let settings = cfg.etcd.clone();
    assert!(settings.tls.is_some(), "TLS settings from the command line");
    let g = start_with(dir, cfg).await;
    let client = https_client(&g);
    // Read at start ...
    wait_status(&client, &url(&g, "/a/x"), 200).await;
    // ... and watched: a later change is served.
    let b = route("/b", PathMatch::Prefix, &up.id);
    publish(&mut cp, 2, &up, &[&a, &b]).await;
    wait_status(&client, &url(&g, "/b/x"), 200).await;
    assert_eq!(g.live.table().revision(), 2);

    // The same settings cannot write: e.g. a route of their own.
    let mut gw = shared::etcd::connect(&settings).await.unwrap();
    let e = gw
        .put(shared::qsgw::REVISION_KEY, "99", None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("permission denied"), "{e}");
    let snap = shared::etcd::get_prefix(&mut gw, shared::qsgw::REVISION_KEY)
        .await
        .unwrap();
    assert_eq!(snap.kvs[0].value, b"2", "the refused write changed nothing");
    g.stop().await;
}
