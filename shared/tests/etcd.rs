//! etcd plumbing against real etcd processes: the shared one `make test`
//! starts, and private ones this file stops and restarts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use shared::etcd::{connect, get_prefix, watch_prefix, EtcdSettings, WatchEvent};
use shared::test_util::{etcd_endpoints, EtcdInstance};
use tokio::sync::mpsc::Receiver;
use tokio_util::sync::CancellationToken;

fn unique_prefix(name: &str) -> String {
    format!("/test/{name}/{}/", uuid::Uuid::new_v4().simple())
}

async fn next(rx: &mut Receiver<WatchEvent>, within: Duration) -> WatchEvent {
    tokio::time::timeout(within, rx.recv())
        .await
        .expect("no watch event in time")
        .expect("watch channel closed")
}

fn put_key(ev: &WatchEvent) -> (&str, &[u8]) {
    match ev {
        WatchEvent::Put(kv) => (kv.key.as_str(), kv.value.as_slice()),
        other => panic!("expected a put, got {other:?}"),
    }
}

#[tokio::test]
async fn prefix_get_and_watch_see_puts_and_deletes() {
    let settings = EtcdSettings::new(etcd_endpoints());
    let mut c = connect(&settings).await.unwrap();
    let p = unique_prefix("basic");
    c.put(format!("{p}a"), "1", None).await.unwrap();
    c.put(format!("{p}b"), "2", None).await.unwrap();
    c.put(format!("{p}z-outside"), "x", None).await.unwrap();
    let snap = get_prefix(&mut c, &p).await.unwrap();
    assert_eq!(snap.kvs.len(), 3);
    assert!(snap.revision >= snap.kvs.iter().map(|k| k.mod_revision).max().unwrap());

    let cancel = CancellationToken::new();
    let mut rx = watch_prefix(
        settings.clone(),
        p.clone(),
        snap.revision + 1,
        cancel.clone(),
    );
    c.put(format!("{p}c"), "3", None).await.unwrap();
    c.delete(format!("{p}a"), None).await.unwrap();
    c.put("/test/other-prefix/ignored", "no", None)
        .await
        .unwrap();
    let ev = next(&mut rx, Duration::from_secs(5)).await;
    assert_eq!(put_key(&ev), (format!("{p}c").as_str(), &b"3"[..]));
    match next(&mut rx, Duration::from_secs(5)).await {
        WatchEvent::Delete { key, .. } => assert_eq!(key, format!("{p}a")),
        other => panic!("expected delete, got {other:?}"),
    }
    cancel.cancel();
    // The watcher stops and closes its channel.
    assert!(tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_resumes_after_etcd_restart_and_sees_change_made_meanwhile() {
    let etcd = EtcdInstance::start();
    let settings = EtcdSettings::new(vec![etcd.endpoint()]);
    let mut c = connect(&settings).await.unwrap();
    let p = "/qsgw/v1/routes/";
    c.put(format!("{p}r1"), "v1", None).await.unwrap();
    let snap = get_prefix(&mut c, p).await.unwrap();
    let cancel = CancellationToken::new();
    let mut rx = watch_prefix(
        settings.clone(),
        p.to_owned(),
        snap.revision + 1,
        cancel.clone(),
    );

    c.put(format!("{p}r2"), "before-restart", None)
        .await
        .unwrap();
    assert_eq!(
        put_key(&next(&mut rx, Duration::from_secs(5)).await).0,
        format!("{p}r2")
    );

    // Kill etcd; the watcher loses its stream and starts backing off.
    etcd.stop();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    etcd.resume();
    // Change the data right away, while the watcher is still disconnected.
    let mut c2 = connect(&settings).await.unwrap();
    c2.put(format!("{p}r3"), "while-watcher-down", None)
        .await
        .unwrap();
    c2.delete(format!("{p}r1"), None).await.unwrap();

    let ev = next(&mut rx, Duration::from_secs(20)).await;
    assert_eq!(
        put_key(&ev),
        (format!("{p}r3").as_str(), &b"while-watcher-down"[..])
    );
    match next(&mut rx, Duration::from_secs(5)).await {
        WatchEvent::Delete { key, .. } => assert_eq!(key, format!("{p}r1")),
        other => panic!("expected delete, got {other:?}"),
    }
    // Nothing from before the restart is delivered twice.
    assert!(tokio::time::timeout(Duration::from_millis(500), rx.recv())
        .await
        .is_err());
    cancel.cancel();
}

#[tokio::test]
async fn compacted_history_triggers_a_full_resync() {
    let settings = EtcdSettings::new(etcd_endpoints());
    let mut c = connect(&settings).await.unwrap();
    let p = unique_prefix("compact");
    let first = c.put(format!("{p}a"), "1", None).await.unwrap();
    let old_rev = first.header().unwrap().revision();
    c.put(format!("{p}a"), "2", None).await.unwrap();
    let last = c.put(format!("{p}b"), "3", None).await.unwrap();
    c.compact(last.header().unwrap().revision(), None)
        .await
        .unwrap();

    // A watcher that wants history from before the compaction gets the
    // current state instead.
    let cancel = CancellationToken::new();
    let mut rx = watch_prefix(settings, p.clone(), old_rev, cancel.clone());
    match next(&mut rx, Duration::from_secs(5)).await {
        WatchEvent::Resync(snap) => {
            let mut kv: Vec<(String, Vec<u8>)> =
                snap.kvs.into_iter().map(|k| (k.key, k.value)).collect();
            kv.sort();
            assert_eq!(
                kv,
                vec![
                    (format!("{p}a"), b"2".to_vec()),
                    (format!("{p}b"), b"3".to_vec())
                ]
            );
        }
        other => panic!("expected resync, got {other:?}"),
    }
    // And keeps watching from there.
    c.put(format!("{p}c"), "4", None).await.unwrap();
    assert_eq!(
        put_key(&next(&mut rx, Duration::from_secs(5)).await).0,
        format!("{p}c")
    );
    cancel.cancel();
}
