//! Publishing configuration to etcd (`shared::qsgw` layout).
//!
//! After a config mutation commits, [`Publisher::publish`] writes the
//! changed resource keys and the revision key in one etcd transaction. It
//! re-reads the resources from Postgres under a lock rather than trusting
//! the caller's copy, so two concurrent mutations can never leave an older
//! state in etcd. When etcd is unreachable the publisher marks itself
//! dirty and the reconciler ([`Publisher::spawn_reconciler`]) republishes
//! the full state once etcd answers again; the same full republish runs at
//! start, because etcd may have been wiped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use shared::error::Problem;
use shared::etcd::etcd_client::{GetOptions, Txn, TxnOp};
use shared::etcd::LazyClient;
use shared::ids::{RouteId, UpstreamId};
use shared::qsgw;
use sqlx::PgPool;
use tokio::sync::{Mutex, Notify};
use tokio_util::sync::CancellationToken;

use crate::db;

/// etcd's default limit is 128 operations per transaction.
const MAX_OPS_PER_TXN: usize = 100;
/// Bound on one publish attempt, so a hung etcd never holds a request.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(5);

/// A changed config resource.
#[derive(Debug, Clone)]
pub enum Change {
    /// A route (created, updated or deleted).
    Route(RouteId),
    /// An upstream.
    Upstream(UpstreamId),
}

/// The etcd writer.
#[derive(Debug)]
pub struct Publisher {
    pool: PgPool,
    etcd: Arc<LazyClient>,
    lock: Mutex<()>,
    dirty: AtomicBool,
    wake: Notify,
}

impl Publisher {
    /// A publisher that still owes a full republish (done by the reconciler).
    pub fn new(pool: PgPool, etcd: Arc<LazyClient>) -> Self {
        Self {
            pool,
            etcd,
            lock: Mutex::new(()),
            dirty: AtomicBool::new(true),
            wake: Notify::new(),
        }
    }

    /// Whether etcd is behind Postgres (a full republish is pending).
    pub fn is_dirty(&self) -> bool {
        self.dirty.load(Ordering::SeqCst)
    }

    /// Publishes `changes` after their transaction committed. Never fails
    /// the request: on error the reconciler takes over.
    pub async fn publish(&self, changes: &[Change]) {
        if self.is_dirty() {
            // A full republish is due anyway and will include these changes.
            self.wake.notify_one();
            return;
        }
        let _guard = self.lock.lock().await;
        let result = tokio::time::timeout(PUBLISH_TIMEOUT, self.publish_changes(changes)).await;
        let err = match result {
            Ok(Ok(())) => return,
            Ok(Err(e)) => e,
            Err(_) => "timed out".to_owned(),
        };
        tracing::warn!(error = %err, "etcd publish failed; the reconciler will republish");
        self.dirty.store(true, Ordering::SeqCst);
        self.etcd.reset().await;
        self.wake.notify_one();
    }

    async fn publish_changes(&self, changes: &[Change]) -> Result<(), String> {
        let mut conn = self.pool.acquire().await.map_err(|e| e.to_string())?;
        let mut ops = Vec::with_capacity(changes.len() + 1);
        for c in changes {
            match c {
                Change::Route(id) => {
                    let key = qsgw::route_key(id);
                    match db::route(&mut conn, id.as_str(), false)
                        .await
                        .map_err(|e| e.to_string())?
                    {
                        Some(row) => ops.push(TxnOp::put(key, to_json(&row.to_config())?, None)),
                        None => ops.push(TxnOp::delete(key, None)),
                    }
                }
                Change::Upstream(id) => {
                    let key = qsgw::upstream_key(id);
                    match db::upstream(&mut conn, id.as_str(), false)
                        .await
                        .map_err(|e| e.to_string())?
                    {
                        Some(row) => ops.push(TxnOp::put(key, to_json(&row.to_config())?, None)),
                        None => ops.push(TxnOp::delete(key, None)),
                    }
                }
            }
        }
        let revision = db::revision(&mut conn).await.map_err(|e| e.to_string())?;
        drop(conn);
        ops.push(TxnOp::put(qsgw::REVISION_KEY, revision.to_string(), None));
        let mut client = self.etcd.get().await.map_err(|e| e.to_string())?;
        client
            .txn(Txn::new().and_then(ops))
            .await
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    /// Writes the whole state from Postgres and deletes keys of resources
    /// that no longer exist. The revision key goes last, so a watcher that
    /// sees it has seen everything before it.
    pub async fn full_sync(&self) -> Result<(), String> {
        let _guard = self.lock.lock().await;
        tokio::time::timeout(PUBLISH_TIMEOUT * 4, self.full_sync_locked())
            .await
            .map_err(|_| "timed out".to_owned())?
    }

    async fn full_sync_locked(&self) -> Result<(), String> {
        let snap = db::snapshot(&self.pool).await.map_err(|e| e.to_string())?;
        let mut client = self.etcd.get().await.map_err(|e| e.to_string())?;
        let mut wanted = std::collections::HashSet::new();
        let mut ops = Vec::new();
        for r in &snap.routes {
            let key = qsgw::route_key(&r.id);
            ops.push(TxnOp::put(key.clone(), to_json(&Ok(r.clone()))?, None));
            wanted.insert(key);
        }
        for u in &snap.upstreams {
            let key = qsgw::upstream_key(&u.id);
            ops.push(TxnOp::put(key.clone(), to_json(&Ok(u.clone()))?, None));
            wanted.insert(key);
        }
        for prefix in [qsgw::ROUTES_PREFIX, qsgw::UPSTREAMS_PREFIX] {
            let resp = client
                .get(
                    prefix,
                    Some(GetOptions::new().with_prefix().with_keys_only()),
                )
                .await
                .map_err(|e| e.to_string())?;
            for kv in resp.kvs() {
                let key = String::from_utf8_lossy(kv.key()).into_owned();
                if !wanted.contains(&key) {
                    ops.push(TxnOp::delete(key, None));
                }
            }
        }
        let mut chunks: Vec<Vec<TxnOp>> = Vec::new();
        let mut rest = ops;
        while rest.len() > MAX_OPS_PER_TXN {
            let tail = rest.split_off(MAX_OPS_PER_TXN);
            chunks.push(rest);
            rest = tail;
        }
        rest.push(TxnOp::put(
            qsgw::REVISION_KEY,
            snap.revision.to_string(),
            None,
        ));
        chunks.push(rest);
        for chunk in chunks {
            client
                .txn(Txn::new().and_then(chunk))
                .await
                .map_err(|e| e.to_string())?;
        }
        tracing::info!(
            revision = snap.revision,
            routes = snap.routes.len(),
            upstreams = snap.upstreams.len(),
            "published full config to etcd"
        );
        Ok(())
    }

    /// Runs until `cancel`: whenever dirty, republishes everything, retrying
    /// with backoff (200 ms doubling to 5 s) while etcd is down.
    pub fn spawn_reconciler(
        self: Arc<Self>,
        cancel: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut delay = Duration::from_millis(200);
            loop {
                if self.is_dirty() {
                    self.dirty.store(false, Ordering::SeqCst);
                    match self.full_sync().await {
                        Ok(()) => delay = Duration::from_millis(200),
                        Err(e) => {
                            tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "etcd republish failed");
                            self.dirty.store(true, Ordering::SeqCst);
                            self.etcd.reset().await;
                            tokio::select! {
                                () = cancel.cancelled() => return,
                                () = tokio::time::sleep(delay) => {}
                            }
                            delay = (delay * 2).min(Duration::from_secs(5));
                            continue;
                        }
                    }
                }
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = self.wake.notified() => {}
                    // Also re-check periodically: a wake-up can race with the flag.
                    () = tokio::time::sleep(Duration::from_secs(5)) => {}
                }
            }
        })
    }
}

fn to_json<T: serde::Serialize>(v: &Result<T, Problem>) -> Result<Vec<u8>, String> {
    match v {
        Ok(v) => serde_json::to_vec(v).map_err(|e| e.to_string()),
        Err(p) => Err(p.detail.clone()),
    }
}
