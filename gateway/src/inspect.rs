//! Threat inspection: the AI engine's verdicts applied per client.
//!
//! For a route with `inspection: async` the request's features (the shared
//! definition in [`shared::features`]) go into a bounded queue once the
//! response status is known; a background task sends them to the AI engine
//! in batches of up to 1,000 (`POST /api/v1/analyze/batch`). When the queue
//! is full the request is not analysed and `qsgw_ai_dropped_total` counts it:
//! the request path never waits. Verdicts are cached per client IP (the
//! right-most untrusted address, see `proxy`) for
//! `QSGW_AI_VERDICT_TTL_SECS`, at most `QSGW_AI_CACHE_CLIENTS` of them; a
//! cached `block` answers 403.
//!
//! A route with `inspection: sync` asks `POST /api/v1/analyze` before
//! forwarding and waits at most `QSGW_AI_TIMEOUT_MS`; no answer in time (or
//! an engine that is down) lets the request through (fail open), and the
//! request is then analysed through the queue like an async one.
//!
//! A flag or block verdict that changes a client's cached verdict becomes a
//! threat event for the control plane (one event per client and verdict per
//! TTL, not one per request); `qsgw_threats_total{type,severity}` counts
//! every flagged or blocked request.

use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde::Deserialize;
use shared::config::Secret;
use shared::features::RequestFeatures;
use shared::http_client::{ClientSettings, HttpClient};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::proxy::clip;
use crate::report::Reporter;
use shared::qsgw::ThreatRecord;

/// Most items per batch call (the AI engine's limit).
pub const MAX_BATCH: usize = 1000;
/// Longest wait for a batch answer.
pub const BATCH_TIMEOUT: Duration = Duration::from_secs(2);

/// The AI engine's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Let through.
    Allow,
    /// Let through and report.
    Flag,
    /// Refuse with 403.
    Block,
}

#[derive(Debug, Clone, Deserialize)]
struct ReasonOut {
    feature: String,
    contribution: f64,
    source: String,
}

/// One answer of the AI engine (the fields the gateway uses).
#[derive(Debug, Clone, Deserialize)]
struct Analysis {
    anomaly_score: f64,
    bot_score: f64,
    verdict: Verdict,
    severity: String,
    #[serde(default)]
    reasons: Vec<ReasonOut>,
}

#[derive(Debug, Deserialize)]
struct BatchOut {
    results: Vec<Analysis>,
}

/// A request waiting for analysis.
#[derive(Debug, Clone)]
pub struct Job {
    /// What the engine scores.
    pub features: RequestFeatures,
    /// Route the request matched.
    pub route_id: Arc<str>,
    /// Cache key of the client.
    pub client: u64,
}

/// Settings of the inspection path.
#[derive(Debug, Clone)]
pub struct InspectSettings {
    /// AI engine base URL.
    pub ai_engine_url: String,
    /// Service key (`X-API-Key`).
    pub api_key: Secret,
    /// Budget of a sync verdict.
    pub timeout: Duration,
    /// How long a client's verdict is reused.
    pub verdict_ttl: Duration,
    /// Capacity of the analysis queue.
    pub queue: usize,
    /// Most clients whose verdict is cached.
    pub cache_capacity: u64,
}

#[derive(Debug)]
struct Inner {
    client: HttpClient,
    analyze_url: String,
    batch_url: String,
    key: Secret,
    timeout: Duration,
    /// A client's verdict, and whether the engine took it for a bot
    /// (routes with `bots: block_all` refuse those too).
    cache: moka::sync::Cache<u64, (Verdict, bool)>,
    hasher: std::collections::hash_map::RandomState,
    tx: mpsc::Sender<Job>,
    reporter: Reporter,
}

/// Handle shared by all connections; disabled when no service key is set.
#[derive(Debug, Clone, Default)]
pub struct Inspector {
    inner: Option<Arc<Inner>>,
}

impl Inspector {
    /// Inspection off: every request passes, nothing is sent.
    pub fn disabled() -> Self {
        Self { inner: None }
    }

    /// Starts the batch sender.
    pub fn spawn(
        settings: InspectSettings,
        reporter: Reporter,
        cancel: CancellationToken,
    ) -> anyhow::Result<Self> {
        let mut cs = ClientSettings::new(concat!("quantun-gateway/", env!("CARGO_PKG_VERSION")));
        cs.connect_timeout = Duration::from_secs(1);
        cs.timeout = BATCH_TIMEOUT;
        let client = HttpClient::new(&cs)?;
        let base = settings.ai_engine_url.trim_end_matches('/');
        let (tx, rx) = mpsc::channel(settings.queue.max(1));
        let inner = Arc::new(Inner {
            client,
            analyze_url: format!("{base}/api/v1/analyze"),
            batch_url: format!("{base}/api/v1/analyze/batch"),
            key: settings.api_key,
            timeout: settings.timeout,
            cache: moka::sync::Cache::builder()
                .max_capacity(settings.cache_capacity)
                .time_to_live(settings.verdict_ttl)
                .build(),
            hasher: std::collections::hash_map::RandomState::new(),
            tx,
            reporter,
        });
        tokio::spawn(batch_loop(inner.clone(), rx, cancel));
        Ok(Self { inner: Some(inner) })
    }

    /// Whether requests are inspected at all.
    pub fn is_enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// The cache key of a client: a keyed hash of its IP. The user agent
    /// is a scoring feature, not part of the key: a blocked client that
    /// changes its agent stays blocked, and rotating agents cannot fill
    /// the (bounded) cache with one client's entries.
    pub fn client_key(&self, ip: IpAddr) -> u64 {
        self.inner.as_ref().map_or(0, |i| i.hasher.hash_one(ip))
    }

    /// Whether the client's cached verdict refuses it: `block`, or (with
    /// `block_bots`, a route with `bots: block_all`) a bot flagged.
    pub fn is_blocked(&self, client: u64, block_bots: bool) -> bool {
        self.inner
            .as_ref()
            .is_some_and(|i| match i.cache.get(&client) {
                Some((Verdict::Block, _)) => true,
                Some((Verdict::Flag, bot)) => bot && block_bots,
                _ => false,
            })
    }

    /// Sync inspection: the verdict within the budget and whether the
    /// engine took the client for a bot, or `None` (fail open).
    pub async fn verdict_now(&self, job: &Job) -> Option<(Verdict, bool)> {
        let inner = self.inner.as_ref()?;
        let call = async {
            let resp = inner
                .client
                .post(&inner.analyze_url)
                .header("x-api-key", inner.key.expose())
                .json(&job.features)
                .send()
                .await
                .ok()?;
            if !resp.status().is_success() {
                tracing::debug!(status = %resp.status(), "AI engine refused a sync analysis");
                return None;
            }
            resp.json::<Analysis>().await.ok()
        };
        match tokio::time::timeout(inner.timeout, call).await {
            Ok(Some(a)) => {
                let v = (a.verdict, threat_type(&a) == "bot");
                apply(inner, job, &a);
                Some(v)
            }
            Ok(None) => {
                metrics::counter!("qsgw_ai_errors_total", "kind" => "sync").increment(1);
                None
            }
            Err(_) => {
                metrics::counter!("qsgw_ai_timeouts_total").increment(1);
                None
            }
        }
    }

    /// Async inspection: queue the request; a full queue drops it (counted).
    pub fn submit(&self, job: Job) {
        if let Some(inner) = &self.inner {
            if inner.tx.try_send(job).is_err() {
                metrics::counter!("qsgw_ai_dropped_total").increment(1);
            }
        }
    }
}

/// Caches a verdict; reports flagged or blocked clients.
fn apply(inner: &Inner, job: &Job, a: &Analysis) {
    metrics::counter!("qsgw_ai_verdicts_total", "verdict" => verdict_label(a.verdict)).increment(1);
    let previous = inner.cache.get(&job.client).map(|(v, _)| v);
    inner
        .cache
        .insert(job.client, (a.verdict, threat_type(a) == "bot"));
    if a.verdict == Verdict::Allow {
        return;
    }
    let threat_type = threat_type(a);
    let severity = severity(&a.severity, a.verdict);
    metrics::counter!("qsgw_threats_total", "type" => threat_type, "severity" => severity)
        .increment(1);
    if previous == Some(a.verdict) {
        return;
    }
    let f = &job.features;
    inner.reporter.threat(ThreatRecord {
        id: Some(ThreatRecord::new_id()),
        gateway_id: None,
        client_ip: f.client_ip.to_string(),
        user_agent: f.user_agent.as_deref().map(|u| clip(u, 1024).to_owned()),
        route_id: Some(job.route_id.to_string()),
        method: Some(f.method.clone()),
        path: Some(clip(&f.path, 2048).to_owned()),
        threat_type: threat_type.into(),
        severity: severity.into(),
        anomaly_score: Some(a.anomaly_score.clamp(0.0, 1.0)),
        bot_score: Some(a.bot_score.clamp(0.0, 1.0)),
        reasons: a
            .reasons
            .iter()
            .take(32)
            .map(|r| {
                let reason = format!("{} ({}, {:+.3})", r.feature, r.source, r.contribution);
                clip(&reason, 500).to_owned()
            })
            .collect(),
        action_taken: match a.verdict {
            Verdict::Block => "blocked",
            _ => "flagged",
        }
        .into(),
        detected_at: Utc::now(),
    });
}

fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::Allow => "allow",
        Verdict::Flag => "flag",
        Verdict::Block => "block",
    }
}

/// `bot`, `anomaly` or `rate_anomaly`, from the strongest reason.
fn threat_type(a: &Analysis) -> &'static str {
    match a.reasons.first().map(|r| r.source.as_str()) {
        Some("bot") => "bot",
        Some("rule") => "rate_anomaly",
        Some("anomaly") => "anomaly",
        _ if a.bot_score >= a.anomaly_score => "bot",
        _ => "anomaly",
    }
}

/// The control plane's severity scale from the engine's.
fn severity(s: &str, v: Verdict) -> &'static str {
    match s {
        "critical" => "CRITICAL",
        "high" => "HIGH",
        "medium" => "MEDIUM",
        "low" => "LOW",
        _ if v == Verdict::Block => "HIGH",
        _ => "LOW",
    }
}

async fn batch_loop(inner: Arc<Inner>, mut rx: mpsc::Receiver<Job>, cancel: CancellationToken) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    let mut warned = false;
    loop {
        jobs.clear();
        let n = tokio::select! {
            () = cancel.cancelled() => return,
            n = rx.recv_many(&mut jobs, MAX_BATCH) => n,
        };
        if n == 0 {
            return;
        }
        let items: Vec<&RequestFeatures> = jobs.iter().map(|j| &j.features).collect();
        let sent = inner
            .client
            .post(&inner.batch_url)
            .header("x-api-key", inner.key.expose())
            .json(&serde_json::json!({ "items": items }))
            .send()
            .await;
        let out = match sent {
            Ok(r) if r.status().is_success() => {
                r.json::<BatchOut>().await.map_err(|e| e.to_string())
            }
            Ok(r) => Err(format!("status {}", r.status())),
            Err(e) => Err(e.to_string()),
        };
        match out {
            Ok(out) if out.results.len() == jobs.len() => {
                warned = false;
                for (job, a) in jobs.iter().zip(&out.results) {
                    apply(&inner, job, a);
                }
            }
            Ok(out) => {
                metrics::counter!("qsgw_ai_errors_total", "kind" => "batch").increment(1);
                tracing::warn!(
                    sent = jobs.len(),
                    got = out.results.len(),
                    "AI engine answered a batch with the wrong number of results"
                );
            }
            Err(e) => {
                metrics::counter!("qsgw_ai_errors_total", "kind" => "batch").increment(1);
                if warned {
                    tracing::debug!(error = %e, "AI engine batch failed");
                } else {
                    tracing::warn!(error = %e, requests = jobs.len(), "AI engine batch failed; requests pass uninspected until it answers");
                    warned = true;
                }
                // Do not spin while the engine is down; the queue bounds
                // what waits meanwhile.
                tokio::select! {
                    () = cancel.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_millis(200)) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analysis(verdict: Verdict, severity: &str, source: Option<&str>) -> Analysis {
        Analysis {
            anomaly_score: 0.2,
            bot_score: 0.95,
            verdict,
            severity: severity.to_owned(),
            reasons: source
                .map(|s| ReasonOut {
                    feature: "ua_headless".into(),
                    contribution: 1.5,
                    source: s.into(),
                })
                .into_iter()
                .collect(),
        }
    }

    #[test]
    fn threat_type_follows_the_strongest_reason() {
        assert_eq!(
            threat_type(&analysis(Verdict::Block, "high", Some("bot"))),
            "bot"
        );
        assert_eq!(
            threat_type(&analysis(Verdict::Flag, "medium", Some("rule"))),
            "rate_anomaly"
        );
        assert_eq!(
            threat_type(&analysis(Verdict::Flag, "medium", Some("anomaly"))),
            "anomaly"
        );
        assert_eq!(threat_type(&analysis(Verdict::Flag, "medium", None)), "bot");
    }

    #[test]
    fn severities_map_to_the_control_plane_scale() {
        assert_eq!(severity("critical", Verdict::Block), "CRITICAL");
        assert_eq!(severity("medium", Verdict::Flag), "MEDIUM");
        assert_eq!(severity("none", Verdict::Block), "HIGH");
        assert_eq!(severity("bogus", Verdict::Flag), "LOW");
    }

    #[test]
    fn clipping_keeps_utf8_boundaries() {
        assert_eq!(clip("héllo", 2), "h");
        assert_eq!(clip("abc", 10), "abc");
    }
}
