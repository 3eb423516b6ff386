//! Issue 16 item 2: etcd with TLS, client-certificate authentication and
//! roles, started for real by the project's scripts (etcd-certs.sh,
//! etcd.sh with ETCD_TLS_DIR, etcd-rbac.sh). As the gateway (read-only
//! role) the client reads and watches `/qsgw/v1/` but cannot write; as
//! the control plane (read-write role) it writes; a client without a
//! certificate, or with one from another CA, is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use shared::etcd::{EtcdSettings, WatchEvent};
use shared::test_util::TlsEtcdInstance;
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_reads_and_watches_but_cannot_write_and_strangers_are_refused() {
    shared::server::install_crypto_provider();
    let etcd = TlsEtcdInstance::start();
    let cp = etcd.settings(Some("qsgw-control-plane"), "ca.crt");
    let gw = etcd.settings(Some("qsgw-gateway"), "ca.crt");

    // The control plane writes.
    let mut cp_client = shared::etcd::connect(&cp).await.unwrap();
    cp_client.put("/qsgw/v1/revision", "1", None).await.unwrap();

    // The gateway reads ...
    let mut gw_client = shared::etcd::connect(&gw).await.unwrap();
    let snap = shared::etcd::get_prefix(&mut gw_client, "/qsgw/v1/")
        .await
        .unwrap();
    assert_eq!(snap.kvs.len(), 1);
    assert_eq!(snap.kvs[0].value, b"1");
    // ... watches (a change by the control plane arrives) ...
    let cancel = CancellationToken::new();
    let mut rx = shared::etcd::watch_prefix(
        gw.clone(),
        "/qsgw/v1/".into(),
        snap.revision + 1,
        cancel.clone(),
    );
    cp_client.put("/qsgw/v1/revision", "2", None).await.unwrap();
    let ev = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match rx.recv().await {
                Some(WatchEvent::Put(kv)) => break kv,
                Some(_) => continue,
                None => panic!("watch ended"),
            }
        }
    })
    .await
    .expect("no watch event");
    assert_eq!(ev.value, b"2");
    cancel.cancel();
    // ... and cannot write (the read-only role): e.g. switch off blocking.
    let e = gw_client
        .put("/qsgw/v1/ai/thresholds", r#"{"block":false}"#, None)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("permission denied"), "{e}");
    // Nor outside its prefix.
    assert!(gw_client.put("/other", "x", None).await.is_err());

    // No client certificate, or one from another CA: refused.
    for (what, settings) in [
        ("no certificate", etcd.settings(None, "ca.crt")),
        ("foreign CA", etcd.settings(Some("intruder"), "ca.crt")),
    ] {
        let r = async {
            let mut c = shared::etcd::connect(&settings).await?;
            c.get("/qsgw/v1/revision", None).await
        }
        .await;
        assert!(r.is_err(), "{what}: {r:?}");
    }
    // A plaintext client cannot talk to it at all.
    let plain = EtcdSettings::new(vec![etcd.endpoint().replace("https", "http")]);
    let r = async {
        let mut c = shared::etcd::connect(&plain).await?;
        c.get("/qsgw/v1/revision", None).await
    }
    .await;
    assert!(r.is_err(), "plaintext: {r:?}");
}
