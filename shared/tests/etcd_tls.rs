//! Issue 16 item 2: etcd with TLS, client-certificate authentication and
//! roles, started for real by the project's scripts (etcd-certs.sh,
//! etcd.sh with ETCD_TLS_DIR, etcd-rbac.sh). As the gateway (read-only
//! role) the client reads and watches `/qsgw/v1/` but cannot write; as
//! the control plane (read-write role) it writes; a client without a
//! certificate, or with one from another CA, is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::Duration;

use shared::etcd::{EtcdSettings, EtcdTls, WatchEvent};
use shared::test_util::{free_port, repo_root};
use tokio_util::sync::CancellationToken;

struct TlsEtcd {
    dir: tempfile::TempDir,
    client: u16,
    peer: u16,
}

fn script(name: &str, args: &[&str], env: &[(&str, &str)]) {
    let out = Command::new("bash")
        .arg(repo_root().join("scripts").join(name))
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TlsEtcd {
    fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("quantun-etcd-tls-")
            .tempdir()
            .unwrap();
        let me = Self {
            dir,
            client: free_port(),
            peer: free_port(),
        };
        let pki = me.pki();
        let pki = pki.to_str().unwrap();
        script("etcd-certs.sh", &[pki], &[]);
        let d = me.dir.path().join("etcd");
        script(
            "etcd.sh",
            &[
                "start",
                d.to_str().unwrap(),
                &me.client.to_string(),
                &me.peer.to_string(),
            ],
            &[("ETCD_TLS_DIR", pki)],
        );
        script(
            "etcd-rbac.sh",
            &[
                &me.endpoint(),
                &format!("{pki}/ca.crt"),
                &format!("{pki}/root.crt"),
                &format!("{pki}/root.key"),
            ],
            &[],
        );
        me
    }
    fn pki(&self) -> std::path::PathBuf {
        self.dir.path().join("pki")
    }
    fn endpoint(&self) -> String {
        format!("https://127.0.0.1:{}", self.client)
    }
    /// Settings as `user` (its client certificate; `None`: no certificate).
    fn settings(&self, user: Option<&str>, ca: &str) -> EtcdSettings {
        let pki = self.pki();
        let mut s = EtcdSettings::new(vec![self.endpoint()]);
        s.connect_timeout = Duration::from_secs(2);
        s.request_timeout = Duration::from_secs(3);
        let cert = user.map(|u| (pki.join(format!("{u}.crt")), pki.join(format!("{u}.key"))));
        s.tls = Some(
            EtcdTls::from_files(
                &pki.join(ca),
                cert.as_ref().map(|(c, k)| (c.as_path(), k.as_path())),
                ["CA", "CERT", "KEY"],
            )
            .unwrap(),
        );
        s
    }
}

impl Drop for TlsEtcd {
    fn drop(&mut self) {
        let d = self.dir.path().join("etcd");
        let _ = Command::new("bash")
            .arg(repo_root().join("scripts/etcd.sh"))
            .args([
                "stop",
                d.to_str().unwrap_or_default(),
                &self.client.to_string(),
                &self.peer.to_string(),
            ])
            .env("ETCD_TLS_DIR", self.pki())
            .output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_reads_and_watches_but_cannot_write_and_strangers_are_refused() {
    shared::server::install_crypto_provider();
    let etcd = TlsEtcd::start();
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
