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
//!
//! Several control-plane replicas publish to one etcd, so a process-local
//! lock is not enough: every write reads the resources and the revision in
//! one REPEATABLE READ snapshot, and its etcd transaction carries a compare
//! on the revision key (its `mod_revision` unchanged since it was read,
//! and never a value newer than the snapshot's). When another replica got
//! there first the publisher re-reads and retries, so etcd only moves
//! forward and ends at the latest database state.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use shared::error::Problem;
use shared::etcd::etcd_client::{Client, Compare, CompareOp, GetOptions, Txn, TxnOp};
use shared::etcd::LazyClient;
use shared::ids::{RouteId, UpstreamId};
use shared::qsgw;
use sqlx::PgPool;
use tokio::sync::{Mutex, Notify};
use tokio_util::sync::CancellationToken;

use crate::repo;

/// etcd's default limit is 128 operations per transaction.
const MAX_OPS_PER_TXN: usize = 100;
/// Bound on one publish attempt, so a hung etcd never holds a request.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(5);
/// Re-read-and-retry rounds when another replica wrote in between.
const MAX_ROUNDS: usize = 20;

/// The revision key as etcd holds it: the published revision (0 when
/// absent) and the key's `mod_revision` (0 when absent).
async fn etcd_revision(client: &mut Client) -> Result<(i64, i64), String> {
    let resp = client
        .get(qsgw::REVISION_KEY, None)
        .await
        .map_err(|e| e.to_string())?;
    Ok(match resp.kvs().first() {
        Some(kv) => (
            std::str::from_utf8(kv.value())
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0),
            kv.mod_revision(),
        ),
        None => (0, 0),
    })
}

/// The condition under which a write of a snapshot may land: nobody wrote
/// the revision key since it was read at `mod_revision`.
fn unchanged_since(mod_revision: i64) -> Compare {
    Compare::mod_revision(qsgw::REVISION_KEY, CompareOp::Equal, mod_revision)
}

/// The outcome of one conditional write.
enum Round {
    /// The transaction's condition held: the write landed.
    Done,
    /// Another replica wrote first (or published a newer snapshot): re-read.
    Raced,
}

/// A changed config resource.
#[derive(Debug, Clone)]
pub enum Change {
    /// A route (created, updated or deleted).
    Route(RouteId),
    /// An upstream (created, updated or deleted): its etcd key is put from the row, or deleted
    /// when the row is gone.
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
        let mut client = self.etcd.get().await.map_err(|e| e.to_string())?;
        for _ in 0..MAX_ROUNDS {
            if let Round::Done = self.publish_round(&mut client, changes).await? {
                return Ok(());
            }
        }
        Err("lost the race to other replicas too often".to_owned())
    }

    /// Reads `changes` and the revision in one snapshot and writes them if
    /// etcd still holds what was seen and nothing newer.
    async fn publish_round(
        &self,
        client: &mut Client,
        changes: &[Change],
    ) -> Result<Round, String> {
        let (seen, mod_revision) = etcd_revision(client).await?;
        let mut tx = self.pool.begin().await.map_err(|e| e.to_string())?;
        repo::config::read_consistently(&mut tx)
            .await
            .map_err(|e| e.to_string())?;
        let revision = repo::config::revision(&mut tx)
            .await
            .map_err(|e| e.to_string())?;
        if revision < seen {
            // etcd already holds a newer snapshot (another replica): ours
            // was read before it; the next round reads again.
            return Ok(Round::Raced);
        }
        let mut ops = Vec::with_capacity(changes.len() + 1);
        for c in changes {
            match c {
                Change::Route(id) => {
                    let key = qsgw::route_key(id);
                    match repo::routes::get(&mut tx, id.as_str())
                        .await
                        .map_err(|e| e.to_string())?
                    {
                        Some(row) => ops.push(TxnOp::put(key, to_json(&row.to_config())?, None)),
                        None => ops.push(TxnOp::delete(key, None)),
                    }
                }
                Change::Upstream(id) => {
                    let key = qsgw::upstream_key(id);
                    match repo::upstreams::get(&mut tx, id.as_str())
                        .await
                        .map_err(|e| e.to_string())?
                    {
                        Some(row) => ops.push(TxnOp::put(key, to_json(&row.to_config())?, None)),
                        None => ops.push(TxnOp::delete(key, None)),
                    }
                }
            }
        }
        drop(tx);
        ops.push(TxnOp::put(qsgw::REVISION_KEY, revision.to_string(), None));
        let resp = client
            .txn(
                Txn::new()
                    .when(vec![unchanged_since(mod_revision)])
                    .and_then(ops),
            )
            .await
            .map_err(|e| e.to_string())?;
        Ok(if resp.succeeded() {
            Round::Done
        } else {
            Round::Raced
        })
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
        let mut client = self.etcd.get().await.map_err(|e| e.to_string())?;
        for _ in 0..MAX_ROUNDS {
            if let Round::Done = self.full_sync_round(&mut client).await? {
                return Ok(());
            }
        }
        Err(format!(
            "etcd's {} stays ahead of the database's revision (another replica publishing, or a restored database backup: delete that key to republish)",
            qsgw::REVISION_KEY
        ))
    }

    async fn full_sync_round(&self, client: &mut Client) -> Result<Round, String> {
        let (seen, mod_revision) = etcd_revision(client).await?;
        let snap = repo::config::snapshot(&self.pool)
            .await
            .map_err(|e| e.to_string())?;
        if snap.revision < seen {
            return Ok(Round::Raced);
        }
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
        // Every chunk is conditional on the revision key being untouched:
        // a replica that publishes in the middle makes the rest of this
        // round a no-op, and the next round starts from its newer state.
        for chunk in chunks {
            let resp = client
                .txn(
                    Txn::new()
                        .when(vec![unchanged_since(mod_revision)])
                        .and_then(chunk),
                )
                .await
                .map_err(|e| e.to_string())?;
            if !resp.succeeded() {
                return Ok(Round::Raced);
            }
        }
        tracing::info!(
            revision = snap.revision,
            routes = snap.routes.len(),
            upstreams = snap.upstreams.len(),
            "published full config to etcd"
        );
        Ok(Round::Done)
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
