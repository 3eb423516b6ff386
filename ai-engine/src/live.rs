//! Live thresholds from etcd (`/qsgw/v1/ai/thresholds`).
//!
//! Starts in the background so an unreachable etcd never blocks startup:
//! the configured thresholds hold until a valid value arrives. A value that
//! is not valid JSON, has unknown fields or breaks a range or ordering is
//! logged and ignored (the previous thresholds stay); deleting the key goes
//! back to the configured thresholds.

use std::sync::Arc;

use shared::etcd::{connect_with_retry, get_prefix, watch_prefix, EtcdSettings, WatchEvent};
use shared::qsgw::AI_THRESHOLDS_KEY;
use tokio_util::sync::CancellationToken;

use crate::engine::Engine;
use crate::model::Thresholds;

/// Parses and checks a thresholds value as stored in etcd.
pub fn parse_thresholds(value: &[u8]) -> Result<Thresholds, String> {
    let t: Thresholds = serde_json::from_slice(value).map_err(|e| e.to_string())?;
    t.validate_all().map_err(|e| e.to_string())?;
    Ok(t)
}

fn apply(engine: &Engine, value: &[u8]) {
    match parse_thresholds(value) {
        Ok(t) => {
            engine.set_thresholds(t);
            tracing::info!(thresholds = ?t, "AI thresholds updated from etcd");
        }
        Err(e) => {
            tracing::warn!(key = AI_THRESHOLDS_KEY, error = %e, "invalid thresholds in etcd ignored; keeping the current ones");
        }
    }
}

/// Spawns the watcher; it stops when `cancel` fires.
pub fn spawn(
    settings: EtcdSettings,
    engine: Arc<Engine>,
    configured: Thresholds,
    cancel: CancellationToken,
) {
    tokio::spawn(async move {
        let revision = loop {
            let Some(mut client) = connect_with_retry(&settings, &cancel).await else {
                return;
            };
            match get_prefix(&mut client, AI_THRESHOLDS_KEY).await {
                Ok(snap) => {
                    if let Some(kv) = snap.kvs.iter().find(|kv| kv.key == AI_THRESHOLDS_KEY) {
                        apply(&engine, &kv.value);
                    }
                    break snap.revision;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read AI thresholds from etcd, retrying");
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                    }
                }
            }
        };
        let mut rx = watch_prefix(settings, AI_THRESHOLDS_KEY.to_owned(), revision + 1, cancel);
        while let Some(ev) = rx.recv().await {
            match ev {
                WatchEvent::Put(kv) if kv.key == AI_THRESHOLDS_KEY => apply(&engine, &kv.value),
                WatchEvent::Delete { key, .. } if key == AI_THRESHOLDS_KEY => {
                    engine.set_thresholds(configured);
                    tracing::info!("AI thresholds key deleted; back to the configured thresholds");
                }
                WatchEvent::Resync(snap) => {
                    match snap.kvs.iter().find(|kv| kv.key == AI_THRESHOLDS_KEY) {
                        Some(kv) => apply(&engine, &kv.value),
                        None => engine.set_thresholds(configured),
                    }
                }
                _ => {}
            }
        }
    });
}
