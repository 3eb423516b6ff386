//! Reporting to the control plane: registration and heartbeat, and TLS
//! session records and threat events sent in batches to its ingest
//! endpoints.
//!
//! Records wait in bounded in-memory queues (oldest dropped and counted in
//! `qsgw_report_dropped_total{kind}` when full) until the gateway is
//! registered and the control plane answers; a failed batch goes back to the
//! front of its queue and is retried with backoff. Every record carries an id
//! chosen here, so a batch re-sent after a lost response is not stored twice
//! (the control plane inserts with `ON CONFLICT (id) DO NOTHING`). Nothing on
//! the request path ever waits for the control plane.
//!
//! In detail: the control plane link: registration (`QSGW_GATEWAY_NAME`,
//! backoff while the control plane is down, re-registration on 404),
//! heartbeat every `QSGW_HEARTBEAT_INTERVAL_SECS` with the revision served,
//! live target health (with each TLS target's last handshake), the
//! requests/5xx answered since the last accepted heartbeat, the sensor's
//! aggregates (`traffic_by_group`) and the certificate served
//! (`served_certificates`), TLS session records and threat events in bounded
//! queues (`QSGW_REPORT_BUFFER_SIZE` each, oldest dropped, counted and
//! logged), sent in batches of ≤ 1,000 once registered, failed batches
//! requeued in front with backoff (≤ 5 s, cut short as soon as a heartbeat or
//! registration gets through); heartbeat failures, failed batches and drops
//! are logged once, then one line a minute with the count (`throttle.rs`);
//! ids chosen by the gateway make re-sends idempotent; the messages are
//! `shared::qsgw`'s.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use serde::{Deserialize, Serialize};
use shared::config::Secret;
use shared::http_client::{ClientSettings, HttpClient};
use shared::qsgw::{
    Heartbeat, IngestBatch, IngestResult, RegisterGateway, TargetHealth, TargetTls, ThreatRecord,
    TlsSessionRecord,
};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::live::LiveConfig;

/// Most records in one ingest call (the control plane's limit).
pub const MAX_BATCH: usize = 1000;
/// How often queued records are sent when fewer than a batch are waiting.
pub const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// Longest wait between retries while the control plane is unreachable
/// (a heartbeat that gets through wakes the senders sooner).
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// At most one log line per this period for a repeating failure or drop.
pub const LOG_EVERY: Duration = Duration::from_secs(60);

/// An established session's record, held until the connection's first
/// request says which route it was for and what client sent it (what the
/// console's posture panel groups by), or until the connection ends
/// without a request. Sent exactly once either way.
#[derive(Debug)]
pub struct PendingSession {
    /// Set once the record has gone, so later requests skip the lock.
    sent: std::sync::atomic::AtomicBool,
    rec: std::sync::Mutex<Option<TlsSessionRecord>>,
    reporter: Reporter,
}

impl PendingSession {
    /// Holds `rec` for `reporter`.
    pub fn new(rec: TlsSessionRecord, reporter: Reporter) -> Self {
        Self {
            sent: std::sync::atomic::AtomicBool::new(false),
            rec: std::sync::Mutex::new(Some(rec)),
            reporter,
        }
    }

    /// Whether the record still waits for its first request (one atomic
    /// load: every later request on the connection skips the rest).
    pub fn is_pending(&self) -> bool {
        !self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Completes the record with the first request's client address (the
    /// one behind a trusted proxy, where there is one), route and user
    /// agent, and queues it; later calls do nothing.
    pub fn complete(
        &self,
        client_ip: std::net::IpAddr,
        route_id: Option<&str>,
        user_agent: Option<&str>,
    ) {
        use std::sync::atomic::Ordering;
        if self.sent.load(Ordering::Relaxed) {
            return;
        }
        let taken = self.rec.lock().ok().and_then(|mut r| r.take());
        self.sent.store(true, Ordering::Relaxed);
        if let Some(mut rec) = taken {
            rec.client_ip = client_ip.to_string();
            rec.route_id = route_id.map(str::to_owned);
            rec.client_family = Some(shared::user_agent::client_family(user_agent));
            self.reporter.session(rec);
        }
    }
}

impl Drop for PendingSession {
    fn drop(&mut self) {
        if let Some(rec) = self.rec.get_mut().ok().and_then(Option::take) {
            self.reporter.session(rec);
        }
    }
}

/// Records that get the gateway id stamped when sent.
trait Stamp {
    fn stamp(&mut self, gateway_id: &str);
}

impl Stamp for TlsSessionRecord {
    fn stamp(&mut self, gateway_id: &str) {
        self.gateway_id = Some(gateway_id.to_owned());
    }
}

impl Stamp for ThreatRecord {
    fn stamp(&mut self, gateway_id: &str) {
        self.gateway_id = Some(gateway_id.to_owned());
    }
}

/// A bounded FIFO: full → the oldest record is dropped and counted.
#[derive(Debug)]
struct Queue<T> {
    kind: &'static str,
    cap: usize,
    items: Mutex<VecDeque<T>>,
    ready: Notify,
    /// Drops are logged (throttled) as well as counted.
    drops: crate::throttle::Throttled,
}

impl<T> Queue<T> {
    fn new(kind: &'static str, cap: usize) -> Self {
        Self {
            kind,
            cap: cap.max(1),
            items: Mutex::new(VecDeque::new()),
            ready: Notify::new(),
            drops: crate::throttle::Throttled::new(LOG_EVERY),
        }
    }

    fn dropped(&self, n: u64) {
        metrics::counter!("qsgw_report_dropped_total", "kind" => self.kind).increment(n);
        if let Some(total) = self.drops.hit(n) {
            tracing::warn!(
                kind = self.kind,
                dropped = total,
                buffer = self.cap,
                "report buffer full while the control plane is unreachable: oldest records dropped (QSGW_REPORT_BUFFER_SIZE)"
            );
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<T>> {
        self.items.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, item: T) {
        let (len, full) = {
            let mut q = self.lock();
            let full = q.len() >= self.cap;
            if full {
                q.pop_front();
            }
            q.push_back(item);
            (q.len(), full)
        };
        if full {
            self.dropped(1);
        }
        if len >= MAX_BATCH {
            self.ready.notify_one();
        }
    }

    fn take(&self, n: usize) -> Vec<T> {
        let mut q = self.lock();
        let n = n.min(q.len());
        q.drain(..n).collect()
    }

    /// Puts a failed batch back in front, keeping the newest `cap` records.
    fn requeue(&self, batch: Vec<T>) {
        let mut q = self.lock();
        for item in batch.into_iter().rev() {
            q.push_front(item);
        }
        let mut dropped = 0u64;
        while q.len() > self.cap {
            q.pop_front();
            dropped += 1;
        }
        drop(q);
        if dropped > 0 {
            self.dropped(dropped);
        }
    }

    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// Requests answered since the last accepted heartbeat (the proxy counts,
/// the heartbeat reports and subtracts what the control plane accepted).
#[derive(Debug, Default)]
pub struct Traffic {
    requests: std::sync::atomic::AtomicU64,
    errors: std::sync::atomic::AtomicU64,
}

impl Traffic {
    /// Counts one answered request.
    pub fn count(&self, status: u16) {
        use std::sync::atomic::Ordering::Relaxed;
        self.requests.fetch_add(1, Relaxed);
        if status >= 500 {
            self.errors.fetch_add(1, Relaxed);
        }
    }

    fn pending(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        // Errors first: a request counted between the two loads then shows
        // in `requests` only, so errors never exceed requests.
        let errors = self.errors.load(Relaxed);
        (self.requests.load(Relaxed), errors)
    }

    fn sent(&self, requests: u64, errors: u64) {
        use std::sync::atomic::Ordering::Relaxed;
        self.requests.fetch_sub(requests, Relaxed);
        self.errors.fetch_sub(errors, Relaxed);
    }
}

/// The network address of `ip`'s /24 (IPv4) or /48 (IPv6), the prefixes
/// the console groups clients by.
pub fn network_of(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V4(v4) => {
            std::net::IpAddr::V4(std::net::Ipv4Addr::from(u32::from(v4) & 0xffff_ff00))
        }
        std::net::IpAddr::V6(v6) => std::net::IpAddr::V6(std::net::Ipv6Addr::from(
            u128::from(v6) & !((1u128 << 80) - 1),
        )),
    }
}

/// Where and how to report.
#[derive(Clone)]
pub struct ReportSettings {
    /// Control plane base URL.
    pub control_plane_url: String,
    /// Service key (`X-API-Key`).
    pub api_key: Secret,
    /// Name to register under.
    pub name: String,
    /// This machine's host name, registered beside the name.
    pub hostname: String,
    /// Address clients reach this gateway at (`host:port`).
    pub address: String,
    /// Key-exchange policy in force.
    pub tls_policy: shared::qsgw::TlsPolicy,
    /// Heartbeat period.
    pub heartbeat_every: Duration,
    /// Capacity of each queue.
    pub buffer: usize,
    /// Session records carry the client's /24 or /48 network only.
    pub client_prefix_only: bool,
    /// Request counters reported with each heartbeat.
    pub traffic: Arc<Traffic>,
    /// The certificates served now (they change on reload), reported with
    /// each heartbeat.
    pub certificates: CertificatesNow,
}

impl std::fmt::Debug for ReportSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportSettings")
            .field("control_plane_url", &self.control_plane_url)
            .field("name", &self.name)
            .field("address", &self.address)
            .field("tls_policy", &self.tls_policy)
            .field("heartbeat_every", &self.heartbeat_every)
            .field("buffer", &self.buffer)
            .finish_non_exhaustive()
    }
}

/// Reads the certificates the listener serves at the moment.
pub type CertificatesNow = Arc<dyn Fn() -> Vec<Arc<crate::tls::CertInfo>> + Send + Sync>;

#[derive(Debug)]
struct Inner {
    /// Session records carry the client's network, not its address.
    client_prefix_only: bool,
    /// Per-route aggregates reported with the heartbeat.
    sensor: Arc<crate::sensor::Sensor>,
    sessions: Queue<TlsSessionRecord>,
    threats: Queue<ThreatRecord>,
    gateway_id: ArcSwapOption<String>,
    /// Fired when the control plane answers after failures: the senders
    /// stop backing off and send at once.
    reachable: Notify,
}

/// Handle used by the listener (sessions) and the inspector (threats).
/// Cheap to clone; a disabled reporter (no service key) discards records.
#[derive(Debug, Clone, Default)]
pub struct Reporter {
    inner: Option<Arc<Inner>>,
}

impl Reporter {
    /// A reporter that discards everything (no control plane configured).
    pub fn disabled() -> Self {
        Self { inner: None }
    }

    /// Starts registration, heartbeats and the two senders.
    pub fn spawn(
        settings: ReportSettings,
        live: Arc<LiveConfig>,
        cancel: CancellationToken,
    ) -> anyhow::Result<Self> {
        let inner = Arc::new(Inner {
            client_prefix_only: settings.client_prefix_only,
            sensor: Arc::default(),
            sessions: Queue::new("tls_session", settings.buffer),
            threats: Queue::new("threat", settings.buffer),
            gateway_id: ArcSwapOption::empty(),
            reachable: Notify::new(),
        });
        let client = HttpClient::new(&ClientSettings::new(concat!(
            "quantun-gateway/",
            env!("CARGO_PKG_VERSION")
        )))?;
        let base = settings.control_plane_url.trim_end_matches('/').to_owned();
        let ctx = Arc::new(Ctx {
            client,
            base,
            key: settings.api_key.clone(),
        });
        tokio::spawn(registration_loop(
            inner.clone(),
            ctx.clone(),
            settings,
            live,
            cancel.clone(),
        ));
        tokio::spawn(send_loop(
            inner.clone(),
            ctx.clone(),
            "/api/v1/ingest/tls-sessions",
            |i: &Inner| &i.sessions,
            cancel.clone(),
        ));
        tokio::spawn(send_loop(
            inner.clone(),
            ctx,
            "/api/v1/ingest/threats",
            |i: &Inner| &i.threats,
            cancel,
        ));
        Ok(Self { inner: Some(inner) })
    }

    /// Whether records go anywhere.
    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Queues a TLS session record (with the client's network only, when
    /// so configured).
    pub fn session(&self, mut rec: TlsSessionRecord) {
        if let Some(i) = &self.inner {
            if i.client_prefix_only {
                if let Ok(ip) = rec.client_ip.parse::<std::net::IpAddr>() {
                    rec.client_ip = network_of(ip).to_string();
                }
            }
            i.sessions.push(rec);
        }
    }

    /// A meter for a connection that negotiated `kx_group`, feeding the
    /// aggregates the heartbeat reports; `None` when nothing is reported.
    pub fn meter(
        &self,
        kx_group: &'static str,
        pqc: bool,
    ) -> Option<Arc<crate::sensor::ConnMeter>> {
        self.inner.as_ref().map(|i| {
            Arc::new(crate::sensor::ConnMeter::new(
                i.sensor.clone(),
                kx_group,
                pqc,
            ))
        })
    }

    /// Queues a threat event.
    pub fn threat(&self, ev: ThreatRecord) {
        if let Some(i) = &self.inner {
            i.threats.push(ev);
        }
    }

    /// The id the control plane gave this gateway, once registered.
    pub fn gateway_id(&self) -> Option<Arc<String>> {
        self.inner.as_ref().and_then(|i| i.gateway_id.load_full())
    }

    /// Records waiting: (sessions, threats).
    pub fn pending(&self) -> (usize, usize) {
        self.inner
            .as_ref()
            .map_or((0, 0), |i| (i.sessions.len(), i.threats.len()))
    }
}

#[derive(Debug)]
struct Ctx {
    client: HttpClient,
    base: String,
    key: Secret,
}

impl Ctx {
    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .post(&format!("{}{path}", self.base))
            .header("x-api-key", self.key.expose())
    }
}

#[derive(Debug, Deserialize)]
struct Registered {
    id: String,
}

async fn sleep_or_cancel(d: Duration, cancel: &CancellationToken) -> bool {
    tokio::select! {
        () = cancel.cancelled() => false,
        () = tokio::time::sleep(d) => true,
    }
}

/// Registers (retrying with backoff), then heartbeats the revision served;
/// re-registers if the control plane no longer knows this gateway.
async fn registration_loop(
    inner: Arc<Inner>,
    ctx: Arc<Ctx>,
    settings: ReportSettings,
    live: Arc<LiveConfig>,
    cancel: CancellationToken,
) {
    let hostname = settings.hostname.clone();
    let mut backoff = Duration::from_millis(500);
    let mut warned = false;
    let heartbeat_failures = crate::throttle::Throttled::new(LOG_EVERY);
    let mut failing = false;
    loop {
        let Some(id) = inner.gateway_id.load_full() else {
            let body = RegisterGateway {
                name: settings.name.clone(),
                hostname: Some(hostname.clone()),
                address: Some(settings.address.clone()),
                software_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
                tls_policy: Some(settings.tls_policy),
                labels: None,
            };
            let outcome = match ctx
                .post("/api/v1/gateways/register")
                .json(&body)
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => {
                    r.json::<Registered>().await.map_err(|e| e.to_string())
                }
                Ok(r) => Err(format!("status {}", r.status())),
                Err(e) => Err(e.to_string()),
            };
            match outcome {
                Ok(reg) => {
                    tracing::info!(gateway_id = %reg.id, name = %settings.name, "registered with the control plane");
                    inner.gateway_id.store(Some(Arc::new(reg.id)));
                    inner.sessions.ready.notify_one();
                    inner.threats.ready.notify_one();
                    inner.reachable.notify_waiters();
                    backoff = Duration::from_millis(500);
                    warned = false;
                }
                Err(e) => {
                    if warned {
                        tracing::debug!(error = %e, "control plane registration failed; retrying");
                    } else {
                        tracing::warn!(error = %e, url = %ctx.base, "control plane registration failed; retrying with backoff (traffic is unaffected)");
                        warned = true;
                    }
                    if !sleep_or_cancel(backoff, &cancel).await {
                        return;
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
            continue;
        };
        if !sleep_or_cancel(settings.heartbeat_every, &cancel).await {
            return;
        }
        let revision = live.table().revision();
        // The registry holds exactly the targets of the config in force
        // (reconciled at every swap).
        let mut health: Vec<TargetHealth> = live
            .health()
            .report()
            .into_iter()
            .map(|(upstream_id, target, healthy, tls)| TargetHealth {
                upstream_id,
                target,
                healthy,
                // The upstream leg's last TLS handshake (for the runtime
                // CBOM and the console's upstream view).
                tls: tls.map(|t| TargetTls {
                    protocol: t.protocol.to_owned(),
                    kx_group: t.kx_group.to_owned(),
                    pqc: t.pqc,
                    cert_algorithm: t.cert_algorithm.to_owned(),
                    cert_not_after: t.not_after,
                }),
            })
            .collect();
        health.truncate(1000);
        let (requests, errors) = settings.traffic.pending();
        let mut body = Heartbeat {
            config_revision_seen: revision,
            software_version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            upstream_health: Some(health),
            requests: Some(i64::try_from(requests).unwrap_or(i64::MAX)),
            errors: Some(i64::try_from(errors).unwrap_or(i64::MAX)),
            traffic_by_group: Some(inner.sensor.take()),
            served_certificates: Some(
                (settings.certificates)()
                    .iter()
                    .map(|c| c.report())
                    .collect(),
            ),
        };
        let sent = ctx
            .post(&format!("/api/v1/gateways/{id}/heartbeat"))
            .json(&body)
            .send()
            .await;
        // Restored for the next heartbeat unless the control plane took them.
        let by_group = body.traffic_by_group.take().unwrap_or_default();
        match sent {
            Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => {
                inner.sensor.restore(by_group);
                tracing::warn!(gateway_id = %id, "the control plane no longer knows this gateway; registering again");
                inner.gateway_id.store(None);
            }
            Ok(r) if r.status().is_success() => {
                settings.traffic.sent(requests, errors);
                metrics::counter!("qsgw_heartbeats_total", "outcome" => "ok").increment(1);
                if std::mem::take(&mut failing) {
                    let missed = heartbeat_failures.reset();
                    tracing::info!(missed, "the control plane answers heartbeats again");
                    inner.reachable.notify_waiters();
                }
            }
            Ok(r) => {
                // A refused report (4xx) would be refused again: dropped.
                if r.status().is_server_error()
                    || r.status() == reqwest::StatusCode::TOO_MANY_REQUESTS
                {
                    inner.sensor.restore(by_group);
                }
                metrics::counter!("qsgw_heartbeats_total", "outcome" => "error").increment(1);
                failing = true;
                if let Some(n) = heartbeat_failures.hit(1) {
                    tracing::warn!(status = %r.status(), failures = n, "heartbeat refused by the control plane");
                }
            }
            Err(e) => {
                inner.sensor.restore(by_group);
                metrics::counter!("qsgw_heartbeats_total", "outcome" => "error").increment(1);
                failing = true;
                if let Some(n) = heartbeat_failures.hit(1) {
                    tracing::warn!(error = %e, failures = n, "heartbeat failed (traffic is unaffected; records are buffered)");
                }
            }
        }
    }
}

enum SendError {
    /// Worth retrying (control plane down, 5xx, 429).
    Retry(String),
    /// Retrying cannot help (4xx): the batch is dropped.
    Drop(String),
}

/// Sends one queue's records in batches once registered, every
/// [`FLUSH_EVERY`] or as soon as a full batch waits.
async fn send_loop<T, F>(
    inner: Arc<Inner>,
    ctx: Arc<Ctx>,
    path: &'static str,
    queue: F,
    cancel: CancellationToken,
) where
    T: Serialize + Stamp + Send + 'static,
    F: Fn(&Inner) -> &Queue<T> + Send + 'static,
{
    let mut backoff = Duration::from_millis(500);
    let failures = crate::throttle::Throttled::new(LOG_EVERY);
    loop {
        let q = queue(&inner);
        tokio::select! {
            () = cancel.cancelled() => return,
            () = tokio::time::sleep(FLUSH_EVERY) => {}
            () = q.ready.notified() => {}
        }
        while let Some(gw) = inner.gateway_id.load_full() {
            let mut batch = queue(&inner).take(MAX_BATCH);
            if batch.is_empty() {
                break;
            }
            for r in &mut batch {
                r.stamp(&gw);
            }
            let kind = queue(&inner).kind;
            let batch = IngestBatch { records: batch };
            let sent = send(&ctx, path, &batch).await;
            let batch = batch.records;
            match sent {
                Ok(result) => {
                    backoff = Duration::from_millis(500);
                    let unreported = failures.reset();
                    if unreported > 0 {
                        tracing::info!(
                            kind,
                            failed_batches = unreported,
                            "report batches reach the control plane again"
                        );
                    }
                    metrics::counter!("qsgw_report_sent_total", "kind" => kind)
                        .increment(u64::try_from(result.inserted).unwrap_or(0));
                    if let Some(first) = result.rejected.first() {
                        metrics::counter!("qsgw_report_rejected_total", "kind" => kind)
                            .increment(result.rejected.len() as u64);
                        tracing::warn!(kind, rejected = result.rejected.len(), first = %serde_json::to_string(first).unwrap_or_default(), "the control plane rejected records");
                    }
                }
                Err(SendError::Drop(e)) => {
                    metrics::counter!("qsgw_report_dropped_total", "kind" => kind)
                        .increment(batch.len() as u64);
                    tracing::error!(kind, error = %e, records = batch.len(), "the control plane refused a batch; dropped");
                }
                Err(SendError::Retry(e)) => {
                    if let Some(n) = failures.hit(1) {
                        tracing::warn!(kind, error = %e, failed_batches = n, waiting = queue(&inner).len(), "report batch failed; records stay buffered and are retried");
                    }
                    queue(&inner).requeue(batch);
                    // Back off, unless the control plane is seen answering
                    // again (heartbeat or registration): then at once.
                    let woken = tokio::select! {
                        () = cancel.cancelled() => return,
                        () = tokio::time::sleep(backoff) => false,
                        () = inner.reachable.notified() => true,
                    };
                    backoff = if woken {
                        Duration::from_millis(500)
                    } else {
                        (backoff * 2).min(MAX_BACKOFF)
                    };
                    break;
                }
            }
        }
    }
}

async fn send<T: Serialize>(
    ctx: &Ctx,
    path: &str,
    batch: &IngestBatch<T>,
) -> Result<IngestResult, SendError> {
    let resp = ctx
        .post(path)
        .json(batch)
        .send()
        .await
        .map_err(|e| SendError::Retry(e.to_string()))?;
    let status = resp.status();
    if status.is_success() {
        return resp
            .json::<IngestResult>()
            .await
            .map_err(|e| SendError::Retry(e.to_string()));
    }
    let msg = format!("status {status}");
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        Err(SendError::Retry(msg))
    } else {
        Err(SendError::Drop(msg))
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn network_of_keeps_the_24_or_48_prefix() {
        // Documentation addresses (RFC 5737, RFC 3849); prefixes by hand.
        for (ip, net) in [
            ("203.0.113.77", "203.0.113.0"),
            ("198.51.100.255", "198.51.100.0"),
            ("2001:db8:1:2::5", "2001:db8:1::"),
            ("2001:db8:abcd:ffff:1:2:3:4", "2001:db8:abcd::"),
        ] {
            assert_eq!(network_of(ip.parse().unwrap()).to_string(), net, "{ip}");
        }
    }

    use super::*;

    #[test]
    fn full_queue_drops_the_oldest() {
        let q = Queue::new("t", 3);
        for i in 0..5 {
            q.push(i);
        }
        assert_eq!(q.take(10), vec![2, 3, 4]);
    }

    #[test]
    fn requeued_batch_goes_first_and_the_cap_holds() {
        let q = Queue::new("t", 4);
        for i in 0..4 {
            q.push(i);
        }
        let batch = q.take(2);
        q.push(4);
        q.push(5);
        q.requeue(batch);
        // 0 and 1 came back in front; the cap keeps the newest four.
        assert_eq!(q.take(10), vec![2, 3, 4, 5]);
        let q = Queue::new("t", 10);
        q.push(7);
        let b = q.take(5);
        q.push(8);
        q.requeue(b);
        assert_eq!(q.take(10), vec![7, 8]);
    }
}
