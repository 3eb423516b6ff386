//! Live configuration from a real etcd: changes served within a second,
//! deletes honoured, an etcd outage survived on the last good config, and a
//! restart during the outage served from the on-disk cache.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use shared::ids::UpstreamId;
use shared::qsgw::{self, PathMatch};
use shared::test_util::EtcdInstance;

async fn status(client: &reqwest::Client, url: &str) -> Option<u16> {
    client
        .get(url)
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

async fn wait_status(client: &reqwest::Client, url: &str, want: u16, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if status(client, url).await == Some(want) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{url} did not answer {want} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_follow_etcd_and_survive_its_outage_and_a_restart() {
    let etcd = EtcdInstance::start();
    let echo = echo_upstream().await;
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache.json");
    let cfg = config(dir.path(), &["--etcd-endpoints", &etcd.endpoint()]);
    let g = start_with(dir, cfg).await;
    let client = https_client(&g);

    // Empty etcd → a loaded (empty) config: ready, everything 404.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !g.live.is_loaded() {
        assert!(tokio::time::Instant::now() < deadline, "initial etcd read");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status(&client, &url(&g, "/a/x")).await, Some(404));

    let mut etcd_client =
        shared::etcd::connect(&shared::etcd::EtcdSettings::new(vec![etcd.endpoint()]))
            .await
            .unwrap();
    let up = upstream(&UpstreamId::new(), &[echo.addr]);
    let a = route("/a", PathMatch::Prefix, &up.id);
    publish(&mut etcd_client, 1, &up, &[&a]).await;
    wait_status(&client, &url(&g, "/a/x"), 200, Duration::from_secs(1)).await;
    assert_eq!(g.live.table().revision(), 1);

    etcd_client
        .delete(qsgw::route_key(&a.id), None)
        .await
        .unwrap();
    wait_status(&client, &url(&g, "/a/x"), 404, Duration::from_secs(1)).await;
    publish(&mut etcd_client, 2, &up, &[&a]).await;
    wait_status(&client, &url(&g, "/a/x"), 200, Duration::from_secs(1)).await;

    // etcd down: traffic keeps flowing on the last good config.
    etcd.stop();
    for _ in 0..20 {
        assert_eq!(status(&client, &url(&g, "/a/x")).await, Some(200));
    }
    // etcd back: a change made now is picked up.
    etcd.resume();
    let b = route("/b", PathMatch::Prefix, &up.id);
    let mut etcd_client =
        shared::etcd::connect(&shared::etcd::EtcdSettings::new(vec![etcd.endpoint()]))
            .await
            .unwrap();
    publish(&mut etcd_client, 3, &up, &[&a, &b]).await;
    wait_status(&client, &url(&g, "/b/x"), 200, Duration::from_secs(15)).await;

    // Restart the gateway (same directory: certificate and cache) while
    // etcd is down: the cache serves both routes.
    // The cache is written just after the swap: wait for revision 3 on disk.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let saved = loop {
        let bytes = std::fs::read(&cache).unwrap_or_default();
        let rev = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v["revision"].as_i64());
        if rev == Some(3) {
            break bytes;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the last good config (revision 3) was saved"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let old_dir = {
        let Gateway {
            dir,
            shutdown,
            task,
            ..
        } = g;
        shutdown.trigger();
        task.await.unwrap().unwrap();
        dir
    };
    etcd.stop();
    let cfg = config(old_dir.path(), &["--etcd-endpoints", &etcd.endpoint()]);
    assert_eq!(std::fs::read(&cache).unwrap(), saved);
    let g2 = start_with(old_dir, cfg).await;
    assert!(g2.live.is_loaded(), "cache installed at start");
    let client2 = https_client(&g2);
    assert_eq!(status(&client2, &url(&g2, "/a/x")).await, Some(200));
    assert_eq!(status(&client2, &url(&g2, "/b/x")).await, Some(200));
    let ready = reqwest::get(format!("{}/health/ready", g2.admin))
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    g2.stop().await;
}
