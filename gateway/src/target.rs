//! A target's live state, owned in one place: its health (active checks'
//! streak, passive ejection, in-flight count for least-connections) and
//! its pool of idle upstream connections. `health.rs` runs the checks that
//! change the state, `upstream.rs` dials and sends on the connections; both
//! read and write it here, so neither depends on the other's internals.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{Either, Empty};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use shared::ids::UpstreamId;
use shared::qsgw::{HealthCheck, PassiveEjection, Target};

use crate::tls::upstream::{LegPosture, TlsMode, UpstreamTlsFacts};

/// A request body sent upstream: the client's, streamed, or empty (the
/// replayable requests that may be retried on another target).
pub type UpstreamBody = Either<Incoming, Empty<Bytes>>;

/// How long an unused connection is kept.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(90);

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
    pub(crate) label: (String, String),
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
    pub(crate) fn new(
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
    pub(crate) fn set_tls_mode(&self, mode: &TlsMode) {
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

    pub(crate) fn active_result(&self, ok: bool, hc: &HealthCheck) {
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

    pub(crate) fn publish(&self, v: f64) {
        metrics::gauge!("qsgw_upstream_health", "upstream" => self.label.0.clone(), "target" => self.label.1.clone()).set(v);
    }
}

/// Idle connections of one target.
#[derive(Debug)]
pub struct Pool {
    idle: Mutex<VecDeque<Idle>>,
    max_idle: AtomicUsize,
}

#[derive(Debug)]
struct Idle {
    sender: SendRequest<UpstreamBody>,
    since: Instant,
}

impl Pool {
    /// An empty pool keeping at most `max_idle` idle connections.
    pub fn new(max_idle: usize) -> Self {
        Self {
            idle: Mutex::new(VecDeque::new()),
            max_idle: AtomicUsize::new(max_idle),
        }
    }

    /// Changes the idle limit (the upstream's `pool_size` changed);
    /// connections over it are closed.
    pub fn set_max_idle(&self, max_idle: usize) {
        if self.max_idle.swap(max_idle, Ordering::Relaxed) == max_idle {
            return;
        }
        let mut idle = self.lock();
        while idle.len() > max_idle {
            idle.pop_front();
        }
    }

    /// Closes connections idle longer than [`IDLE_TIMEOUT`] or closed by
    /// the upstream (run periodically, so an unused target does not keep
    /// its connections forever).
    pub fn sweep(&self) {
        let now = Instant::now();
        self.lock()
            .retain(|c| !c.sender.is_closed() && now.duration_since(c.since) < IDLE_TIMEOUT);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Idle>> {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The most recently used live idle connection.
    pub(crate) fn checkout(&self) -> Option<SendRequest<UpstreamBody>> {
        // Staleness is left to `sweep`: an old connection the upstream
        // still keeps open is as good as a new one.
        let mut idle = self.lock();
        while let Some(c) = idle.pop_back() {
            if !c.sender.is_closed() {
                return Some(c.sender);
            }
        }
        None
    }

    /// Closes every idle connection (the target's TLS settings changed).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Takes a connection back after a complete exchange.
    pub(crate) fn release(&self, sender: SendRequest<UpstreamBody>) {
        if sender.is_closed() {
            return;
        }
        let max = self.max_idle.load(Ordering::Relaxed);
        let mut idle = self.lock();
        if idle.len() < max {
            idle.push_back(Idle {
                sender,
                since: Instant::now(),
            });
        }
    }
}
