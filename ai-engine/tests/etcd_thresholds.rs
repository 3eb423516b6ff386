//! Live thresholds from a real (private) etcd: a valid value takes effect,
//! an invalid one is ignored, deleting the key restores the configured ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use shared::qsgw::AI_THRESHOLDS_KEY;
use shared::test_util::EtcdInstance;

async fn bot_block(app: &App) -> f64 {
    app.get("/api/v1/models").await.1["items"][0]["thresholds"]["bot_block"]
        .as_f64()
        .unwrap()
}

/// Polls until the models endpoint shows `want` (the watch is asynchronous).
async fn wait_for(app: &App, want: f64) {
    for _ in 0..200 {
        if bot_block(app).await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("bot_block never became {want}, is {}", bot_block(app).await);
}

#[tokio::test]
async fn thresholds_from_etcd_take_effect_and_invalid_values_are_ignored() {
    let etcd = EtcdInstance::start();
    let mut kv = etcd_client::Client::connect([etcd.endpoint()], None)
        .await
        .unwrap();
    // A value present before start is read at start.
    kv.put(AI_THRESHOLDS_KEY, r#"{"anomaly":0.65,"anomaly_critical":0.85,"rate_per_minute":300,"rate_multiplier":3.0,"bot":0.7,"bot_block":0.95}"#, None).await.unwrap();
    let mut cfg = config();
    cfg.etcd = Some(shared::etcd::EtcdSettings::new(vec![etcd.endpoint()]));
    let app = App::spawn(cfg).await;
    wait_for(&app, 0.95).await;
    let browser_req = browser("198.51.100.9", "/", T0);
    assert_eq!(
        app.post("/api/v1/analyze", &browser_req).await.1["verdict"],
        "allow"
    );

    // Everything is a bot now: the same request is blocked.
    kv.put(AI_THRESHOLDS_KEY, r#"{"anomaly":0.65,"anomaly_critical":0.85,"rate_per_minute":300,"rate_multiplier":3.0,"bot":0.0,"bot_block":0.0}"#, None).await.unwrap();
    wait_for(&app, 0.0).await;
    let (_, b) = app
        .post("/api/v1/analyze", &browser("198.51.100.9", "/", T0 + 5_000))
        .await;
    assert_eq!(b["verdict"], "block", "{b}");

    // Invalid values are ignored: not JSON, NaN, bad ordering, unknown field.
    for bad in [
        "not json",
        r#"{"anomaly":NaN,"anomaly_critical":0.85,"rate_per_minute":300,"rate_multiplier":3.0,"bot":0.0,"bot_block":0.0}"#,
        r#"{"anomaly":0.9,"anomaly_critical":0.5,"rate_per_minute":300,"rate_multiplier":3.0,"bot":0.0,"bot_block":0.0}"#,
        r#"{"anomaly":0.65,"anomaly_critical":0.85,"rate_per_minute":300,"rate_multiplier":3.0,"bot":0.0,"bot_block":7}"#,
        r#"{"anomaly":0.65,"anomaly_critical":0.85,"rate_per_minute":300,"rate_multiplier":3.0,"bot":0.0,"bot_block":0.5,"x":1}"#,
    ] {
        kv.put(AI_THRESHOLDS_KEY, bad, None).await.unwrap();
    }
    // A marker write after the bad ones proves they were all processed.
    kv.put(AI_THRESHOLDS_KEY, r#"{"anomaly":0.65,"anomaly_critical":0.85,"rate_per_minute":300,"rate_multiplier":3.0,"bot":0.0,"bot_block":0.01}"#, None).await.unwrap();
    wait_for(&app, 0.01).await;
    kv.put(AI_THRESHOLDS_KEY, "{broken", None).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(bot_block(&app).await, 0.01);

    // Deleting the key restores the configured thresholds.
    kv.delete(AI_THRESHOLDS_KEY, None).await.unwrap();
    wait_for(&app, 0.9).await;
    app.shutdown.trigger();
}

#[test]
fn parse_thresholds_names_the_problem() {
    use ai_engine::live::parse_thresholds;
    let ok = br#"{"anomaly":0.6,"anomaly_critical":0.8,"rate_per_minute":100,"rate_multiplier":2.0,"bot":0.5,"bot_block":0.9}"#;
    assert_eq!(parse_thresholds(ok).unwrap().rate_per_minute, 100);
    let e = parse_thresholds(br#"{"anomaly":0.6,"anomaly_critical":0.8,"rate_per_minute":0,"rate_multiplier":2.0,"bot":0.5,"bot_block":0.9}"#).unwrap_err();
    assert!(e.contains("QSGW_ANOMALY_RATE_THRESHOLD"), "{e}");
    let e = parse_thresholds(br#"{"anomaly":0.6}"#).unwrap_err();
    assert!(e.contains("missing field"), "{e}");
}
