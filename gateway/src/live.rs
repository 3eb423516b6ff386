//! Live configuration: the routing table in force, swapped atomically, fed
//! by etcd (initial prefix read, then a resuming watch), by a standalone
//! file, and by the on-disk cache of the last good config.
//!
//! etcd unreachable → the last good table keeps serving; after a restart
//! with etcd down, the cached snapshot (`QSGW_CONFIG_CACHE_PATH`) serves.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use arc_swap::ArcSwap;
use shared::etcd::{self, EtcdSettings, Kv, WatchEvent};
use shared::ids::{RouteId, UpstreamId};
use shared::qsgw::{self, ConfigKey, ConfigSnapshot, RouteConfig, UpstreamConfig};
use tokio_util::sync::CancellationToken;

use crate::health::HealthRegistry;
use crate::routing::RoutingTable;

/// The table in force plus readiness.
#[derive(Debug)]
pub struct LiveConfig {
    table: ArcSwap<RoutingTable>,
    snapshot: ArcSwap<Option<ConfigSnapshot>>,
    loaded: AtomicBool,
    /// Where the config in force came from ([`ConfigSource`] as u8).
    source: std::sync::atomic::AtomicU8,
    health: Arc<HealthRegistry>,
    cancel: CancellationToken,
}

impl LiveConfig {
    /// Nothing loaded yet; active health checkers stop with `cancel`;
    /// each target keeps up to `pool_size` idle upstream connections unless
    /// its upstream sets its own `pool_size`; active checks dial only what
    /// `guard` allows.
    pub fn new(
        cancel: CancellationToken,
        pool_size: usize,
        guard: shared::edge::TargetGuard,
    ) -> Self {
        Self {
            table: ArcSwap::from_pointee(RoutingTable::default()),
            snapshot: ArcSwap::from_pointee(None),
            loaded: AtomicBool::new(false),
            source: std::sync::atomic::AtomicU8::new(ConfigSource::None as u8),
            health: Arc::new(HealthRegistry::new(pool_size, guard)),
            cancel,
        }
    }

    /// Closes idle upstream connections past their idle timeout, every
    /// 15 s, until cancelled.
    pub fn spawn_pool_sweeper(&self) {
        let health = self.health.clone();
        let cancel = self.cancel.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(15));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    _ = tick.tick() => health.sweep_idle(),
                }
            }
        });
    }

    /// Target health (shared with the proxy for passive ejection).
    pub fn health(&self) -> &Arc<HealthRegistry> {
        &self.health
    }

    /// The table for this request.
    pub fn table(&self) -> arc_swap::Guard<Arc<RoutingTable>> {
        self.table.load()
    }

    /// Whether any config has been installed (readiness).
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// The snapshot in force (admin `/config`).
    pub fn snapshot(&self) -> Option<ConfigSnapshot> {
        self.snapshot.load().as_ref().clone()
    }

    /// Notes where the config in force came from (readiness shows it).
    pub fn set_source(&self, source: ConfigSource) {
        self.source.store(source as u8, Ordering::Release);
    }

    /// Where the config in force came from.
    pub fn source(&self) -> ConfigSource {
        match self.source.load(Ordering::Acquire) {
            1 => ConfigSource::File,
            2 => ConfigSource::Cache,
            3 => ConfigSource::Etcd,
            _ => ConfigSource::None,
        }
    }

    /// Installs a snapshot unless it equals the one in force. Returns
    /// whether the table changed.
    pub fn install(&self, snap: ConfigSnapshot) -> bool {
        if self.is_loaded() && self.snapshot.load().as_ref().as_ref() == Some(&snap) {
            return false;
        }
        self.health.reconcile(&snap, &self.cancel);
        let (table, skipped) = RoutingTable::build(&snap, &self.health);
        for s in skipped {
            tracing::warn!(problem = %s, "route not served");
        }
        tracing::info!(
            revision = snap.revision,
            routes = table.len(),
            "routing table swapped"
        );
        self.table.store(Arc::new(table));
        self.snapshot.store(Arc::new(Some(snap)));
        self.loaded.store(true, Ordering::Release);
        metrics::gauge!("qsgw_config_revision").set(self.table().revision() as f64);
        true
    }
}

/// Where the routing table in force came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ConfigSource {
    /// Nothing loaded.
    None = 0,
    /// `QSGW_CONFIG_FILE` (standalone).
    File = 1,
    /// The on-disk cache of the last good config: etcd not reached since
    /// the gateway started.
    Cache = 2,
    /// etcd, the control plane's published configuration.
    Etcd = 3,
}

/// Reads a snapshot file (standalone mode and the cache).
pub fn read_snapshot(path: &Path) -> anyhow::Result<ConfigSnapshot> {
    let text = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_slice(&text)
        .with_context(|| format!("{} is not a valid config snapshot", path.display()))
}

/// Writes the cache atomically (temp file + rename).
fn write_cache(path: &Path, snap: &ConfigSnapshot) {
    let tmp = path.with_extension("tmp");
    let res = serde_json::to_vec_pretty(snap)
        .map_err(anyhow::Error::from)
        .and_then(|bytes| {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, path)?;
            Ok(())
        });
    if let Err(e) = res {
        tracing::warn!(error = %e, path = %path.display(), "cannot write the config cache");
    }
}

/// The keys under `/qsgw/v1/` as typed state.
#[derive(Debug, Default, Clone)]
struct State {
    routes: BTreeMap<RouteId, RouteConfig>,
    upstreams: BTreeMap<UpstreamId, UpstreamConfig>,
    revision: i64,
}

impl State {
    fn from_kvs(kvs: &[Kv]) -> Self {
        let mut s = Self::default();
        for kv in kvs {
            s.put(kv);
        }
        s
    }

    fn put(&mut self, kv: &Kv) {
        match qsgw::parse_key(&kv.key) {
            ConfigKey::Route(id) => match serde_json::from_slice::<RouteConfig>(&kv.value) {
                Ok(r) => {
                    self.routes.insert(id, r);
                }
                Err(e) => {
                    tracing::warn!(key = %kv.key, error = %e, "ignoring an invalid route document")
                }
            },
            ConfigKey::Upstream(id) => match serde_json::from_slice::<UpstreamConfig>(&kv.value) {
                Ok(u) => {
                    self.upstreams.insert(id, u);
                }
                Err(e) => {
                    tracing::warn!(key = %kv.key, error = %e, "ignoring an invalid upstream document")
                }
            },
            ConfigKey::Revision => {
                if let Some(r) = std::str::from_utf8(&kv.value)
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                {
                    self.revision = r;
                }
            }
            ConfigKey::AiThresholds | ConfigKey::Other => {}
        }
    }

    fn delete(&mut self, key: &str) {
        match qsgw::parse_key(key) {
            ConfigKey::Route(id) => {
                self.routes.remove(&id);
            }
            ConfigKey::Upstream(id) => {
                self.upstreams.remove(&id);
            }
            _ => {}
        }
    }

    fn snapshot(&self) -> ConfigSnapshot {
        ConfigSnapshot {
            revision: self.revision,
            routes: self.routes.values().cloned().collect(),
            upstreams: self.upstreams.values().cloned().collect(),
        }
    }
}

/// Keeps `live` in sync with etcd until `cancel`; saves every installed
/// snapshot to `cache`.
pub fn spawn_etcd_source(
    settings: EtcdSettings,
    live: Arc<LiveConfig>,
    cache: Option<PathBuf>,
    cancel: CancellationToken,
) {
    tokio::spawn(async move {
        let install = |state: &State| {
            let snap = state.snapshot();
            live.set_source(ConfigSource::Etcd);
            if live.install(snap.clone()) {
                if let Some(path) = cache.as_deref() {
                    write_cache(path, &snap);
                }
            }
        };
        // Initial read, retried until etcd answers (logged once, then a
        // line a minute with the count).
        let failures = crate::throttle::Throttled::new(std::time::Duration::from_secs(60));
        let (mut state, start) = loop {
            let Some(mut client) = etcd::connect_with_retry(&settings, &cancel).await else {
                return;
            };
            match etcd::get_prefix(&mut client, qsgw::PREFIX).await {
                Ok(snap) => break (State::from_kvs(&snap.kvs), snap.revision + 1),
                Err(e) => {
                    if let Some(n) = failures.hit(1) {
                        tracing::warn!(error = %e, failures = n, "reading the config from etcd failed, retrying every second");
                    }
                    tokio::select! {
                        () = cancel.cancelled() => return,
                        () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                    }
                }
            }
        };
        install(&state);
        let mut rx = etcd::watch_prefix(settings, qsgw::PREFIX.to_owned(), start, cancel.clone());
        while let Some(first) = rx.recv().await {
            // Apply everything already queued (one etcd transaction arrives
            // as several events) before rebuilding once.
            let mut next = Some(first);
            while let Some(ev) = next.take() {
                match ev {
                    WatchEvent::Put(kv) => state.put(&kv),
                    WatchEvent::Delete { key, .. } => state.delete(&key),
                    WatchEvent::Resync(snap) => state = State::from_kvs(&snap.kvs),
                }
                next = rx.try_recv().ok();
            }
            install(&state);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(key: String, doc: serde_json::Value) -> Kv {
        Kv {
            key,
            value: serde_json::to_vec(&doc).expect("json"),
            mod_revision: 1,
        }
    }

    fn route_doc(id: &RouteId, host: &str, path: &str) -> serde_json::Value {
        serde_json::json!({
            "id": id, "name": "r", "host": host, "path": path, "path_match": "prefix",
            "methods": [], "upstream_id": UpstreamId::new(), "strip_prefix": false,
            "timeout_ms": null, "retries": 1, "rate_limit": null, "tls_policy": null,
            "inspection": "off", "enabled": true, "version": 1
        })
    }

    /// A route document in etcd that another writer (an older control
    /// plane, `etcdctl put`) filled with a host the shared grammar refuses
    /// (RFC 6125 §6.4.3 allows `*` only as the whole left-most label) or a
    /// path no canonical request path can equal is not served; the valid
    /// documents beside it are.
    #[test]
    fn route_documents_with_unmatchable_hosts_or_paths_are_ignored() {
        let good = RouteId::new();
        let bad_host = RouteId::new();
        let bad_path = RouteId::new();
        let state = State::from_kvs(&[
            kv(
                qsgw::route_key(&good),
                route_doc(&good, "*.example.com", "/a"),
            ),
            kv(
                qsgw::route_key(&bad_host),
                route_doc(&bad_host, "a.*.example.com", "/b"),
            ),
            kv(
                qsgw::route_key(&bad_path),
                route_doc(&bad_path, "api.example.com", "/c//d"),
            ),
        ]);
        let ids: Vec<&RouteId> = state.routes.keys().collect();
        assert_eq!(ids, vec![&good]);
        assert_eq!(state.routes[&good].host.as_deref(), Some("*.example.com"));
    }
}
