//! Upstream target health: active checks (interval, path, expected status,
//! healthy/unhealthy thresholds from the upstream's config) and passive
//! ejection after consecutive proxy failures. State lives in a registry that
//! survives routing-table swaps; the hot path reads atomics only.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use shared::edge::TargetGuard;
use shared::ids::UpstreamId;
use shared::qsgw::{ConfigSnapshot, HealthCheck, PassiveEjection, Target, UpstreamConfig};
use tokio_util::sync::CancellationToken;

use crate::tls::upstream::{LegPosture, TlsMode, UpstreamTlsFacts};
use crate::upstream::Pool;
use shared::qsgw::UpstreamTls;

/// Milliseconds on a monotonic clock (process-local; for ejection windows
/// and connection idleness, never shown to anyone).
pub(crate) fn now_ms() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    u64::try_from(
        START
            .get_or_init(std::time::Instant::now)
            .elapsed()
            .as_millis(),
    )
    .unwrap_or(u64::MAX)
}

/// Health of one target of one upstream.
#[derive(Debug)]
pub struct TargetState {
    healthy: AtomicBool,
    successes: AtomicU32,
    failures: AtomicU32,
    proxy_failures: AtomicU32,
    ejected_until_ms: AtomicU64,
    in_flight: AtomicU32,
    label: (String, String),
    /// Idle keep-alive connections to the target.
    pub(crate) pool: Pool,
    /// Plain, TLS (the upstream's client) or a broken TLS block.
    tls: arc_swap::ArcSwap<TlsMode>,
    /// What the last TLS handshake with the target established.
    tls_facts: Mutex<Option<UpstreamTlsFacts>>,
    /// The leg's posture as last reported (events go out on a change).
    posture: Mutex<LegPosture>,
    /// Where posture events go (the registry's reporter, once set).
    events: Arc<arc_swap::ArcSwapOption<crate::report::Reporter>>,
}

/// Counts a request in flight to a target until dropped.
#[derive(Debug)]
pub struct InFlight<'a>(&'a TargetState);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl TargetState {
    fn new(
        upstream: &UpstreamId,
        target: &Target,
        max_idle: usize,
        events: Arc<arc_swap::ArcSwapOption<crate::report::Reporter>>,
    ) -> Self {
        Self {
            healthy: AtomicBool::new(true),
            successes: AtomicU32::new(0),
            failures: AtomicU32::new(0),
            proxy_failures: AtomicU32::new(0),
            ejected_until_ms: AtomicU64::new(0),
            in_flight: AtomicU32::new(0),
            label: (
                upstream.to_string(),
                format!("{}:{}", target.host, target.port),
            ),
            pool: Pool::new(max_idle),
            tls: arc_swap::ArcSwap::from_pointee(TlsMode::Plain),
            tls_facts: Mutex::new(None),
            posture: Mutex::new(LegPosture::default()),
            events,
        }
    }

    /// How the target is reached.
    pub fn tls_mode(&self) -> Arc<TlsMode> {
        self.tls.load_full()
    }

    /// Follows a changed TLS block: connections made under the old one
    /// are closed.
    fn set_tls_mode(&self, mode: &TlsMode) {
        if !self.tls.load().same(mode) {
            self.tls.store(Arc::new(mode.clone()));
            self.pool.clear();
        }
    }

    /// Notes what a TLS handshake with the target established, and
    /// raises a posture event when the leg turned classical
    /// (`upstream_classical_tls`) or its certificate started to expire
    /// (`upstream_cert_expiry`): once per change, not per handshake.
    pub fn tls_established(&self, facts: UpstreamTlsFacts) {
        let now = chrono::Utc::now();
        let posture = LegPosture::of(&facts, now);
        let before = std::mem::replace(
            &mut *self
                .posture
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            posture,
        );
        if let Some(reporter) = self.events.load_full() {
            let event = |threat_type: &'static str, severity: &'static str, reason: String| {
                shared::qsgw::ThreatRecord {
                    id: Some(shared::qsgw::ThreatRecord::new_id()),
                    gateway_id: None,
                    client_ip: facts
                        .peer_ip
                        .map_or_else(|| "0.0.0.0".to_owned(), |ip| ip.to_string()),
                    user_agent: None,
                    route_id: None,
                    method: None,
                    path: None,
                    threat_type: threat_type.into(),
                    severity: severity.into(),
                    anomaly_score: None,
                    bot_score: None,
                    reasons: vec![reason],
                    action_taken: "flagged".into(),
                    detected_at: now,
                }
            };
            if posture.classical && !before.classical {
                reporter.threat(event(
                    "upstream_classical_tls",
                    "MEDIUM",
                    format!(
                        "upstream {} target {} negotiated {}: no post-quantum key exchange on the upstream leg",
                        self.label.0, self.label.1, facts.kx_group
                    ),
                ));
            }
            if posture.expiring && !before.expiring {
                let left = facts.not_after.map(|t| (t - now).num_days()).unwrap_or(0);
                reporter.threat(event(
                    "upstream_cert_expiry",
                    if left < 3 { "HIGH" } else { "MEDIUM" },
                    format!(
                        "upstream {} target {}: certificate ({}) expires {} ({} days)",
                        self.label.0,
                        self.label.1,
                        facts.cert_algorithm,
                        facts
                            .not_after
                            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
                            .unwrap_or_default(),
                        left
                    ),
                ));
            }
        }
        *self
            .tls_facts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(facts);
    }

    /// What the last TLS handshake with the target established.
    pub fn tls_facts(&self) -> Option<UpstreamTlsFacts> {
        self.tls_facts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Whether the target may receive traffic now.
    pub fn available(&self) -> bool {
        if !self.healthy.load(Ordering::Relaxed) {
            return false;
        }
        // 0 = not ejected (no clock read on the usual path).
        let until = self.ejected_until_ms.load(Ordering::Relaxed);
        if until == 0 {
            return true;
        }
        if now_ms() < until {
            return false;
        }
        let _ =
            self.ejected_until_ms
                .compare_exchange(until, 0, Ordering::Relaxed, Ordering::Relaxed);
        true
    }

    /// Requests in flight (least-connections balancing).
    pub fn in_flight(&self) -> u32 {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Marks a request in flight until the guard drops.
    pub fn begin(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self)
    }

    /// A proxied request succeeded.
    pub fn proxy_success(&self) {
        self.proxy_failures.store(0, Ordering::Relaxed);
    }

    /// A proxied request failed (connect error, reset, timeout): eject
    /// after `after_failures` in a row.
    pub fn proxy_failure(&self, ejection: &PassiveEjection) {
        let n = self.proxy_failures.fetch_add(1, Ordering::Relaxed) + 1;
        if ejection.after_failures > 0 && n >= ejection.after_failures {
            self.ejected_until_ms
                .store((now_ms() + ejection.duration_ms).max(1), Ordering::Relaxed);
            self.proxy_failures.store(0, Ordering::Relaxed);
            tracing::warn!(upstream = %self.label.0, target = %self.label.1, for_ms = ejection.duration_ms, "target ejected after consecutive failures");
            self.publish(0.0);
        }
    }

    fn active_result(&self, ok: bool, hc: &HealthCheck) {
        if ok {
            self.failures.store(0, Ordering::Relaxed);
            let n = self.successes.fetch_add(1, Ordering::Relaxed) + 1;
            if n >= hc.healthy_threshold && !self.healthy.swap(true, Ordering::Relaxed) {
                tracing::info!(upstream = %self.label.0, target = %self.label.1, "target healthy again");
            }
        } else {
            self.successes.store(0, Ordering::Relaxed);
            let n = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
            if n >= hc.unhealthy_threshold && self.healthy.swap(false, Ordering::Relaxed) {
                tracing::warn!(upstream = %self.label.0, target = %self.label.1, "target unhealthy");
            }
        }
        self.publish(if self.available() { 1.0 } else { 0.0 });
    }

    fn publish(&self, v: f64) {
        metrics::gauge!("qsgw_upstream_health", "upstream" => self.label.0.clone(), "target" => self.label.1.clone()).set(v);
    }
}

/// The `Host` of a health check: the target's name and port (an IPv6
/// literal in brackets).
fn host_header(t: &Target) -> String {
    if t.host.contains(':') {
        format!("[{}]:{}", t.host, t.port)
    } else {
        format!("{}:{}", t.host, t.port)
    }
}

/// Every target's state, and the active checkers.
#[derive(Debug)]
pub struct HealthRegistry {
    states: Mutex<HashMap<(UpstreamId, String, u16), Arc<TargetState>>>,
    checkers: Mutex<HashMap<UpstreamId, (UpstreamConfig, CancellationToken)>>,
    /// Each upstream's TLS block and the client built from it (rebuilt
    /// only when the block changes, so sessions keep resuming).
    tls: Mutex<HashMap<UpstreamId, (Option<UpstreamTls>, TlsMode)>>,
    /// Where upstream posture events go, once the reporter exists.
    events: Arc<arc_swap::ArcSwapOption<crate::report::Reporter>>,
    default_pool_size: usize,
    /// The proxy's target guard: active checks dial only the addresses it
    /// allows, so a health path cannot be aimed at loopback, a metadata
    /// address or an internal service either.
    guard: TargetGuard,
}

impl Default for HealthRegistry {
    fn default() -> Self {
        Self::new(DEFAULT_POOL_SIZE, TargetGuard::default())
    }
}

/// Idle connections kept per target when neither the upstream's
/// `pool_size` nor `QSGW_UPSTREAM_POOL_SIZE` says otherwise.
pub const DEFAULT_POOL_SIZE: usize = 100;

impl HealthRegistry {
    /// An empty registry; targets keep `default_pool_size` idle
    /// connections unless their upstream sets `pool_size`; active checks
    /// dial only what `guard` allows.
    pub fn new(default_pool_size: usize, guard: TargetGuard) -> Self {
        Self {
            states: Mutex::default(),
            checkers: Mutex::default(),
            tls: Mutex::default(),
            events: Arc::default(),
            default_pool_size,
            guard,
        }
    }

    /// Sends upstream posture events (`upstream_classical_tls`,
    /// `upstream_cert_expiry`) through `reporter` from now on.
    pub fn report_events_to(&self, reporter: crate::report::Reporter) {
        if reporter.is_enabled() {
            self.events.store(Some(Arc::new(reporter)));
        }
    }

    /// Idle connections per target for `upstream`.
    fn pool_size(&self, upstream: &UpstreamConfig) -> usize {
        upstream
            .pool_size
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(self.default_pool_size)
    }

    /// Closes pooled connections idle too long or closed by their upstream.
    pub fn sweep_idle(&self) {
        let states: Vec<Arc<TargetState>> = self
            .states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        for s in states {
            s.pool.sweep();
        }
    }

    /// The state of `target` in `upstream` (created healthy), its pool
    /// sized for the upstream's `pool_size`.
    pub fn state(&self, upstream: &UpstreamConfig, target: &Target) -> Arc<TargetState> {
        let pool_size = self.pool_size(upstream);
        let key = (upstream.id.clone(), target.host.clone(), target.port);
        let mut map = self
            .states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let state = map.entry(key).or_insert_with(|| {
            let s = Arc::new(TargetState::new(
                &upstream.id,
                target,
                pool_size,
                self.events.clone(),
            ));
            s.publish(1.0);
            s
        });
        // An existing target follows a changed `pool_size` and TLS block.
        state.pool.set_max_idle(pool_size);
        let mode = self
            .tls
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&upstream.id)
            .map(|(_, m)| m.clone())
            .unwrap_or_default();
        state.set_tls_mode(&mode);
        state.clone()
    }

    /// Every known target as (upstream id, `host:port`, available now,
    /// what its last TLS handshake established).
    pub fn report(&self) -> Vec<(String, String, bool, Option<UpstreamTlsFacts>)> {
        let map = self
            .states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.values()
            .map(|s| {
                (
                    s.label.0.clone(),
                    s.label.1.clone(),
                    s.available(),
                    s.tls_facts(),
                )
            })
            .collect()
    }

    /// Starts, restarts or stops active checkers to match `snap`.
    pub fn reconcile(self: &Arc<Self>, snap: &ConfigSnapshot, parent: &CancellationToken) {
        {
            let mut tls = self
                .tls
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            tls.retain(|id, _| snap.upstreams.iter().any(|u| &u.id == id));
            for u in &snap.upstreams {
                let changed = tls.get(&u.id).is_none_or(|(cfg, _)| *cfg != u.tls);
                if changed {
                    let mode = TlsMode::of(&u.name, u.tls.as_ref());
                    tls.insert(u.id.clone(), (u.tls.clone(), mode));
                }
            }
        }
        let mut checkers = self
            .checkers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let wanted: HashMap<&UpstreamId, &UpstreamConfig> = snap
            .upstreams
            .iter()
            .filter(|u| u.health_check.enabled)
            .map(|u| (&u.id, u))
            .collect();
        checkers.retain(|id, (cfg, token)| {
            let keep = wanted.get(id).is_some_and(|u| *u == cfg);
            if !keep {
                token.cancel();
            }
            keep
        });
        for (id, up) in wanted {
            if checkers.contains_key(id) {
                continue;
            }
            let token = parent.child_token();
            checkers.insert(id.clone(), ((*up).clone(), token.clone()));
            let me = self.clone();
            let up = (*up).clone();
            tokio::spawn(async move { me.check_loop(up, token).await });
        }
        // Targets no longer configured: forget their state (and health gauge).
        let live: std::collections::HashSet<(UpstreamId, String, u16)> = snap
            .upstreams
            .iter()
            .flat_map(|u| {
                u.targets
                    .iter()
                    .map(|t| (u.id.clone(), t.host.clone(), t.port))
            })
            .collect();
        let mut states = self
            .states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        states.retain(|k, _| live.contains(k));
    }

    async fn check_loop(&self, up: UpstreamConfig, cancel: CancellationToken) {
        let hc = up.health_check.clone();
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_millis(hc.timeout_ms)));
        let client: Client<HttpConnector, Body> =
            Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
        let mut tick = tokio::time::interval(Duration::from_millis(hc.interval_ms.max(100)));
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = tick.tick() => {}
            }
            for t in &up.targets {
                let state = self.state(&up, t);
                let ok = match &*state.tls_mode() {
                    crate::tls::upstream::TlsMode::Plain => self.probe(&client, t, &hc).await,
                    // Over the upstream's own TLS client: the check sees
                    // what proxied requests see (and records the facts).
                    _ => self.probe_tls(&state, t, &hc).await,
                };
                state.active_result(ok, &hc);
            }
        }
    }

    /// One active check of a TLS target: a GET of the health path on a new
    /// connection made exactly as the proxy makes them.
    async fn probe_tls(&self, state: &TargetState, t: &Target, hc: &HealthCheck) -> bool {
        use http_body_util::{Either, Empty};
        let timeout = Duration::from_millis(hc.timeout_ms);
        let attempt = async {
            let mut sender = crate::upstream::connect(state, t, timeout, &self.guard)
                .await
                .map_err(|e| e.to_string())?;
            let req = http::Request::get(hc.path.as_str())
                .header("user-agent", "qsgw-health-check")
                .header(http::header::HOST, host_header(t))
                .body(Either::Right(Empty::new()))
                .map_err(|e| e.to_string())?;
            let resp = sender.send_request(req).await.map_err(|e| e.to_string())?;
            Ok::<u16, String>(resp.status().as_u16())
        };
        match tokio::time::timeout(timeout, attempt).await {
            Ok(Ok(status)) => status == hc.expected_status,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, target = %format!("{}:{}", t.host, t.port), "TLS health check failed");
                false
            }
            Err(_) => false,
        }
    }

    /// One active check of `t`: a GET of the health path to the first
    /// address the guard allows (the IP itself, so what was checked is
    /// what is dialled), with the target's name in `Host`.
    async fn probe(
        &self,
        client: &Client<HttpConnector, Body>,
        t: &Target,
        hc: &HealthCheck,
    ) -> bool {
        let timeout = Duration::from_millis(hc.timeout_ms);
        let addr = match tokio::time::timeout(
            timeout,
            crate::upstream::allowed_addrs(t, &self.guard),
        )
        .await
        {
            Ok(Ok(addrs)) => addrs[0],
            Ok(Err(e)) => {
                tracing::debug!(error = %e, target = %format!("{}:{}", t.host, t.port), "health check not sent");
                return false;
            }
            Err(_) => return false,
        };
        let Ok(uri) = format!("http://{addr}{}", hc.path).parse::<http::Uri>() else {
            return false;
        };
        let Ok(req) = http::Request::get(uri)
            .header("user-agent", "qsgw-health-check")
            .header(http::header::HOST, host_header(t))
            .body(Body::empty())
        else {
            return false;
        };
        matches!(
            tokio::time::timeout(timeout, client.request(req)).await,
            Ok(Ok(resp)) if resp.status().as_u16() == hc.expected_status
        )
    }
}
