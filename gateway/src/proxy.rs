//! One request, as named steps, each its own function with its own tests:
//!
//! 1. [`Proxy::resolve`]: host and canonical path → route (400/404/405);
//! 2. [`Proxy::client`]: who the client is (`X-Forwarded-For` believed only
//!    from `QSGW_TRUSTED_PROXIES`);
//! 3. [`Proxy::admit`]: rate limit (429) and key-exchange policy (403/421);
//! 4. [`Proxy::inspect`]: cached or sync threat verdict (403);
//! 5. `rewrite`: hop-by-hop headers out, forwarding headers set, path
//!    rewritten;
//! 6. [`Proxy::send`]: to a target, retried on another one when the
//!    request never reached the upstream (no copy of the request is kept);
//!    upgrades spliced;
//! 7. [`Refusal::problem`]: the one place mapping every refusal to its
//!    status (downstream 4xx, upstream 502/503/504, internal 500) as
//!    problem+json.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::IntoResponse;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri, Version};
use http_body_util::Either;
use shared::edge::{canonical_path, InternalAddress, IpNet, PathError, TargetGuard};
use shared::ratelimit::{IpRateLimiter, RateLimit};
use shared::request_id::{RequestId, X_REQUEST_ID};
use shared::Problem;
use tokio_util::sync::CancellationToken;

use shared::features::RequestFeatures;
use shared::qsgw::{BotPolicy, InspectionMode};

use crate::crawlers::Check;
use crate::inspect::{Inspector, Job, Verdict};
use crate::listener::ConnGuard;
use crate::live::LiveConfig;
use crate::policy::{HostMap, HostPolicies, PolicyRefusal};
use crate::report::Reporter;
use crate::routing::{upstream_path, Miss, RouteEntry, RouteMetrics, RoutingTable};
use crate::tls::ClientAuth;
use crate::tls::TlsFacts;
use crate::upstream::{self, PooledBody, SendError, UpstreamBody};
use shared::qsgw::ThreatRecord;

use shared::client_ip::X_FORWARDED_FOR;

/// The sensor's route id for a request no route matched.
static NO_ROUTE: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| Arc::from(""));
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
/// Subject DN of the client certificate the listener verified (mutual TLS).
pub const X_CLIENT_CERT_SUBJECT: HeaderName = HeaderName::from_static("x-client-cert-subject");
/// Public-key algorithm of that certificate (`ECDSA-P256`, `ML-DSA-65`, …).
pub const X_CLIENT_CERT_ALGORITHM: HeaderName = HeaderName::from_static("x-client-cert-algorithm");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
const X_REAL_IP: HeaderName = HeaderName::from_static("x-real-ip");
const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");

/// Hop-by-hop headers (RFC 9110 §7.6.1) never forwarded, besides those
/// named in `Connection`.
const HOP_BY_HOP: [HeaderName; 9] = [
    header::CONNECTION,
    KEEP_ALIVE,
    PROXY_CONNECTION,
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// What the gateway answers with: an upstream's streamed body, or one of
/// its own (problem documents).
pub type ProxyBody = Either<PooledBody, Body>;

/// Per-connection facts the proxy needs.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// Client address (the TCP peer, or the PROXY protocol source).
    pub peer: SocketAddr,
    /// The client address as an `X-Forwarded-For` value (made once per
    /// connection, not per request).
    pub peer_ip: HeaderValue,
    /// The connection's TLS facts (policy, inspection features).
    pub tls: Arc<TlsFacts>,
    /// Whether `peer` is a trusted proxy (its `X-Forwarded-For` counts).
    pub trusted_peer: bool,
    /// The connection's slot under the caps; an upgraded tunnel keeps it.
    pub guard: Option<Arc<ConnGuard>>,
    /// The TLS session record waiting for the first request's route and
    /// client (sent when that request is routed, or when the connection
    /// ends without one).
    pub session: Option<Arc<crate::report::PendingSession>>,
    /// The connection's meter for the sensor's per-route aggregates
    /// (absent when nothing is reported).
    pub meter: Option<Arc<crate::sensor::ConnMeter>>,
}

impl ConnInfo {
    /// Facts of a connection from `peer`.
    pub fn new(peer: SocketAddr, tls: TlsFacts) -> Self {
        let peer_ip = HeaderValue::try_from(peer.ip().to_string())
            .unwrap_or_else(|_| HeaderValue::from_static("unknown"));
        Self {
            peer,
            peer_ip,
            tls: Arc::new(tls),
            trusted_peer: false,
            guard: None,
            session: None,
            meter: None,
        }
    }
}

/// Edge settings of the request path.
#[derive(Debug, Clone)]
pub struct EdgeSettings {
    /// Listener policy and per-host overrides.
    pub policies: HostPolicies,
    /// Client-certificate demand, the listener's and per host: checked
    /// again per request by its host, as the policy is.
    pub client_auth: HostMap<ClientAuth>,
    /// `QSGW_TRUSTED_PROXIES`.
    pub trusted_proxies: Vec<IpNet>,
    /// `QSGW_PASS_FORWARDED_HEADERS`.
    pub pass_forwarded_headers: bool,
    /// Which target addresses may be connected to.
    pub targets: TargetGuard,
    /// An upgraded tunnel with no byte either way for this long is closed.
    pub tunnel_idle: Duration,
    /// Where policy refusals are recorded.
    pub reporter: Reporter,
    /// Search-engine crawler verification (`bots: allow_verified`); `None`
    /// when the gateway has no DNS to ask.
    pub crawlers: Option<crate::crawlers::Verifier>,
    /// Cancelled when the gateway drains (HTTP/1.1 answers then say
    /// `Connection: close`).
    pub draining: CancellationToken,
}

impl EdgeSettings {
    /// Settings with everything at its default (tests, benches).
    pub fn new(policies: HostPolicies) -> Self {
        Self {
            policies,
            client_auth: HostMap::new(ClientAuth::None),
            trusted_proxies: Vec::new(),
            pass_forwarded_headers: false,
            targets: TargetGuard::default(),
            tunnel_idle: Duration::from_secs(60),
            reporter: Reporter::disabled(),
            crawlers: None,
            draining: CancellationToken::new(),
        }
    }

    /// Whether `ip` is a trusted proxy.
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        !self.trusted_proxies.is_empty() && self.trusted_proxies.iter().any(|n| n.contains(&ip))
    }
}

/// The forwarding service shared by all connections.
#[derive(Debug, Clone)]
pub struct Proxy {
    live: Arc<LiveConfig>,
    default_timeout: Duration,
    limiter: IpRateLimiter,
    inspector: Inspector,
    unrouted: Arc<RouteMetrics>,
    traffic: Arc<crate::report::Traffic>,
    edge: Arc<EdgeSettings>,
    /// Policy refusals already recorded per (client, route), so a client
    /// retrying in a loop makes one threat event a minute, not thousands.
    recorded: moka::sync::Cache<(IpAddr, Arc<str>), ()>,
}

/// What [`Proxy::forward`] hands back to [`Proxy::handle`].
struct Forwarded {
    metrics: Arc<RouteMetrics>,
    resp: Response<ProxyBody>,
    /// Analysis to queue once the status is known (async inspection, or a
    /// sync inspection that got no verdict in time).
    job: Option<Job>,
}

/// Why the gateway answered a request itself. [`Refusal::problem`] is
/// the one place that gives each its status.
#[derive(Debug)]
pub enum Refusal {
    /// The path cannot be canonicalised safely (400).
    BadPath(PathError),
    /// No route for host and path (404).
    NoRoute,
    /// A route matches host and path but not the method (405).
    MethodNotAllowed,
    /// Over the per-IP rate (429, seconds to wait).
    RateLimited(u64),
    /// The connection's key exchange does not meet the policy (403/421).
    Policy(PolicyRefusal),
    /// Threat inspection blocked the client (403).
    Blocked,
    /// No available target (503).
    NoHealthyTarget,
    /// The target resolved to an address targets may not use (502).
    TargetForbidden(InternalAddress),
    /// The route requires a client certificate and the connection has
    /// none the listener verified (403).
    ClientCertRequired,
    /// The request's host requires a client certificate
    /// (`QSGW_TLS_SNI_CLIENT_AUTH`) but the connection was made for a
    /// name (SNI) that did not ask for one (421: connect again with this
    /// host name, and that handshake asks).
    ClientCertMisdirected,
    /// Connection refused or not established (502).
    UpstreamRefused,
    /// The TLS handshake with the target failed, or the upstream's TLS
    /// block is unusable (502; never retried in plaintext).
    UpstreamTls,
    /// The connection broke before a response (502).
    UpstreamFailed,
    /// No response in time (504).
    UpstreamTimeout,
    /// A bug of ours (500).
    Internal(&'static str),
}

impl Refusal {
    /// The problem document answered for this refusal.
    pub fn problem(&self) -> Problem {
        match self {
            Self::BadPath(e) => Problem::new(StatusCode::BAD_REQUEST, "bad-path", e.message()),
            Self::NoRoute => Problem::not_found("no route matches this host and path"),
            Self::MethodNotAllowed => Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "the route does not accept this method",
            ),
            Self::RateLimited(wait) => Problem::too_many_requests((*wait).max(1)),
            Self::Policy(p) if p.misdirected => Problem::new(
                StatusCode::MISDIRECTED_REQUEST,
                "misdirected-request",
                format!(
                    "this host requires key-exchange policy {} but the connection was made for another name (SNI) and negotiated {}; connect again with this host name",
                    p.required.as_str(),
                    p.negotiated
                ),
            ),
            Self::Policy(p) => Problem::new(
                StatusCode::FORBIDDEN,
                "tls-policy",
                format!(
                    "this route requires key-exchange policy {}; the connection negotiated {}",
                    p.required.as_str(),
                    p.negotiated
                ),
            ),
            Self::Blocked => Problem::forbidden("the request was blocked by threat inspection"),
            Self::ClientCertRequired => Problem::new(
                StatusCode::FORBIDDEN,
                "client-certificate-required",
                "this route requires a client certificate (mutual TLS); connect with one the gateway's client CA signed",
            ),
            Self::ClientCertMisdirected => Problem::new(
                StatusCode::MISDIRECTED_REQUEST,
                "misdirected-request",
                "this host requires a client certificate (mutual TLS) but the connection was made for another name (SNI) without one; connect again with this host name",
            ),
            Self::NoHealthyTarget => Problem::unavailable("no healthy upstream target"),
            Self::TargetForbidden(class) => Problem::new(
                StatusCode::BAD_GATEWAY,
                "bad-gateway",
                format!(
                    "the upstream target resolves to {}, which targets may not use",
                    class.describe()
                ),
            ),
            Self::UpstreamTls => Problem::new(
                StatusCode::BAD_GATEWAY,
                "upstream-tls",
                "the TLS handshake with the upstream failed (certificate, name, key-exchange policy or client certificate; the gateway logs the reason)",
            ),
            Self::UpstreamRefused => Problem::new(
                StatusCode::BAD_GATEWAY,
                "bad-gateway",
                "the upstream refused the connection",
            ),
            Self::UpstreamFailed => Problem::new(
                StatusCode::BAD_GATEWAY,
                "bad-gateway",
                "the upstream connection failed",
            ),
            Self::UpstreamTimeout => Problem::new(
                StatusCode::GATEWAY_TIMEOUT,
                "upstream-timeout",
                "the upstream did not answer in time",
            ),
            Self::Internal(what) => {
                tracing::error!(what, "internal error on the request path");
                Problem::internal_opaque()
            }
        }
    }

    fn from_upstream(e: &upstream::UpstreamError) -> Self {
        match e {
            upstream::UpstreamError::Forbidden(class) => Self::TargetForbidden(*class),
            upstream::UpstreamError::Tls(_) => Self::UpstreamTls,
            e if e.is_connect() => Self::UpstreamRefused,
            _ => Self::UpstreamFailed,
        }
    }
}

/// The route a request resolved to, with its host and canonical path.
#[derive(Debug)]
pub struct Resolved<'r> {
    /// The route.
    pub entry: Arc<RouteEntry>,
    /// The request host, normalised (policy, wildcard matching).
    pub host: Option<Cow<'r, str>>,
    /// The canonical path.
    pub path: Cow<'r, str>,
}

/// Who the client is, as the request path uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// The right-most untrusted address (rate limits, inspection).
    pub ip: IpAddr,
    /// The `X-Forwarded-For` sent upstream: the client, the trusted hops
    /// after it, and the peer.
    pub forwarded_for: HeaderValue,
}

/// The request as it goes upstream, and what an upgrade needs.
#[derive(Debug)]
pub struct Outgoing {
    req: Request<UpstreamBody>,
    client_upgrade: Option<hyper::upgrade::OnUpgrade>,
}

impl Proxy {
    /// A proxy over the routes of `live` (whose targets hold the upstream
    /// connection pools).
    pub fn new(
        live: Arc<LiveConfig>,
        default_timeout: Duration,
        limit: RateLimit,
        inspector: Inspector,
        traffic: Arc<crate::report::Traffic>,
        edge: EdgeSettings,
    ) -> Self {
        Self {
            live,
            default_timeout,
            limiter: IpRateLimiter::new(limit),
            inspector,
            unrouted: Arc::new(RouteMetrics::new("none")),
            traffic,
            edge: Arc::new(edge),
            recorded: moka::sync::Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(60))
                .build(),
        }
    }

    /// The edge settings (the listener reads the trusted proxies).
    pub fn edge(&self) -> &EdgeSettings {
        &self.edge
    }

    /// Handles one request end to end; never fails (errors are responses).
    pub async fn handle(
        &self,
        req: Request<hyper::body::Incoming>,
        conn: &ConnInfo,
    ) -> Response<ProxyBody> {
        let start = Instant::now();
        let rid = req
            .headers()
            .get(&X_REQUEST_ID)
            .filter(|v| RequestId::is_valid(v.as_bytes()))
            .cloned()
            .unwrap_or_else(RequestId::generate_header_value);
        let http1 = req.version() < Version::HTTP_2;
        let Forwarded {
            metrics: route_metrics,
            mut resp,
            job,
        } = self.forward(req, conn, &rid).await;
        resp.headers_mut().insert(X_REQUEST_ID.clone(), rid);
        if http1 && self.edge.draining.is_cancelled() {
            // Draining: the client learns with this answer that the
            // connection closes, instead of from a reset on its next request.
            resp.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        let status = resp.status().as_u16();
        if let Some(mut job) = job {
            job.features.status = Some(status);
            job.features.latency_ms = Some(
                (start.elapsed().as_secs_f64() * 1000.0).min(shared::features::MAX_LATENCY_MS),
            );
            self.inspector.submit(job);
        }
        route_metrics.answered(status, start.elapsed().as_secs_f64());
        self.traffic.count(status);
        resp
    }

    /// The steps in order; a refusal at any step becomes its answer.
    async fn forward(
        &self,
        req: Request<hyper::body::Incoming>,
        conn: &ConnInfo,
        rid: &HeaderValue,
    ) -> Forwarded {
        let table = self.live.table();
        let resolved = self.resolve(&table, &req);
        let client = self.client(req.headers(), conn);
        let ua = || {
            req.headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
        };
        if let Some(pending) = conn.session.as_ref().filter(|p| p.is_pending()) {
            let route = resolved.as_ref().ok().map(|r| &*r.entry.metrics.id);
            pending.complete(client.ip, route, ua());
        }
        if let Some(meter) = &conn.meter {
            let route = resolved
                .as_ref()
                .map_or(&*NO_ROUTE, |r| &r.entry.metrics.id);
            meter.request(route, ua());
        }
        let (entry, canonical, client) = match resolved {
            Ok(r) => {
                if let Err(x) = self.admit(&r, &client, conn) {
                    return refused(r.entry.metrics.clone(), x, None, rid);
                }
                // Owned only when canonicalisation changed the path.
                let canonical = match r.path {
                    Cow::Owned(p) => Some(p),
                    Cow::Borrowed(_) => None,
                };
                (r.entry, canonical, client)
            }
            Err(x) => return refused(self.unrouted.clone(), x, None, rid),
        };
        let label = entry.metrics.clone();
        let job = match self.inspect(&entry, &req, conn, &client).await {
            Ok(job) => job,
            Err(x) => return refused(label, x, None, rid),
        };
        let out = match rewrite(req, &entry, canonical, &client, &self.edge, rid, &conn.tls) {
            Ok(out) => out,
            Err(x) => return refused(label, x, job, rid),
        };
        match self.send(&entry, out, conn, rid).await {
            Ok(resp) => Forwarded {
                metrics: label,
                resp,
                job,
            },
            Err(x) => refused(label, x, job, rid),
        }
    }

    /// Step 1: the route for the request's host and canonical path.
    pub fn resolve<'r, B>(
        &self,
        table: &RoutingTable,
        req: &'r Request<B>,
    ) -> Result<Resolved<'r>, Refusal> {
        let path = canonical_path(req.uri().path()).map_err(Refusal::BadPath)?;
        let host = request_host_str(req).map(shared::edge::request_host);
        let routed_host = host.as_deref().filter(|_| table.has_host_routes());
        let entry = table
            .find(routed_host, &path, req.method().as_str())
            .map_err(|m| match m {
                Miss::NoRoute => Refusal::NoRoute,
                Miss::MethodNotAllowed => Refusal::MethodNotAllowed,
            })?;
        Ok(Resolved { entry, host, path })
    }

    /// Step 2: the client's address. From an untrusted peer, the peer
    /// itself (whatever `X-Forwarded-For` says); from a trusted proxy, the
    /// right-most address in `X-Forwarded-For` that is not a trusted proxy.
    pub fn client(&self, headers: &HeaderMap, conn: &ConnInfo) -> Client {
        if !conn.trusted_peer || !headers.contains_key(&X_FORWARDED_FOR) {
            return Client {
                ip: conn.peer.ip(),
                forwarded_for: conn.peer_ip.clone(),
            };
        }
        client_from_chain(headers, conn, &self.edge)
    }

    /// Step 3: the rate limit (the route's own or the global one) and the
    /// key-exchange policy.
    pub fn admit(&self, r: &Resolved<'_>, client: &Client, conn: &ConnInfo) -> Result<(), Refusal> {
        let entry = &r.entry;
        let limiter = entry.limiter.as_ref().unwrap_or(&self.limiter);
        if let Err(wait) = limiter.check(client.ip) {
            entry.metrics.rate_limited.increment(1);
            return Err(Refusal::RateLimited(wait));
        }
        if let Err(p) = crate::policy::check(
            &self.edge.policies,
            &conn.tls,
            r.host.as_deref(),
            entry.route.tls_policy,
        ) {
            self.record_policy_refusal(&p, entry, client, conn);
            return Err(Refusal::Policy(p));
        }
        if conn.tls.client_cert.is_none() {
            let refusal = if *self.edge.client_auth.of(r.host.as_deref()) == ClientAuth::Required {
                // The handshake asked what SNI's host asks; the request
                // names a host that asks more (a certificate).
                Some(Refusal::ClientCertMisdirected)
            } else {
                entry
                    .route
                    .client_cert_required
                    .then_some(Refusal::ClientCertRequired)
            };
            if let Some(refusal) = refusal {
                metrics::counter!("qsgw_client_cert_refusals_total", "route" => entry.metrics.id.to_string()).increment(1);
                return Err(refusal);
            }
        }
        Ok(())
    }

    /// Counts a policy refusal, and records it for the control plane as a
    /// threat event (once per client and route a minute).
    fn record_policy_refusal(
        &self,
        p: &PolicyRefusal,
        entry: &RouteEntry,
        client: &Client,
        conn: &ConnInfo,
    ) {
        let status = if p.misdirected { "421" } else { "403" };
        metrics::counter!("qsgw_policy_refusals_total", "route" => entry.metrics.id.to_string(), "policy" => p.required.as_str(), "status" => status).increment(1);
        if !self.edge.reporter.is_enabled() {
            return;
        }
        let key = (client.ip, entry.metrics.id.clone());
        if self.recorded.contains_key(&key) {
            return;
        }
        self.recorded.insert(key, ());
        let reason = format!(
            "route requires {}; connection negotiated {} over {} (SNI {}); answered {status}",
            p.required.as_str(),
            p.negotiated,
            conn.tls.protocol,
            conn.tls.sni.as_deref().unwrap_or("none"),
        );
        self.edge.reporter.threat(ThreatRecord {
            id: Some(ThreatRecord::new_id()),
            gateway_id: None,
            client_ip: client.ip.to_string(),
            user_agent: None,
            route_id: Some(entry.metrics.id.to_string()),
            method: None,
            path: None,
            threat_type: "tls_policy_violation".into(),
            severity: "MEDIUM".into(),
            anomaly_score: None,
            bot_score: None,
            reasons: vec![clip(&reason, 500).to_owned()],
            action_taken: "blocked".into(),
            detected_at: chrono::Utc::now(),
        });
    }

    /// Step 4: threat inspection. A client whose cached verdict is
    /// `block` is refused; sync routes wait (briefly) for a verdict; the
    /// rest is analysed after the answer (the returned job).
    pub async fn inspect<B>(
        &self,
        entry: &RouteEntry,
        req: &Request<B>,
        conn: &ConnInfo,
        client: &Client,
    ) -> Result<Option<Job>, Refusal> {
        let bots = entry.route.bots;
        if bots == BotPolicy::AllowVerified {
            match self.crawler_check(entry, req, client) {
                Some(Check::Verified) => return Ok(None),
                Some(Check::Refuted) => {
                    entry.metrics.blocked.increment(1);
                    return Err(Refusal::Blocked);
                }
                // Not known yet: judged as if nothing were claimed.
                Some(Check::Pending) | None => {}
            }
        }
        if entry.route.inspection == InspectionMode::Off || !self.inspector.is_enabled() {
            return Ok(None);
        }
        let key = self.inspector.client_key(client.ip);
        let block_bots = bots == BotPolicy::BlockAll;
        if self.inspector.is_blocked(key, block_bots) {
            entry.metrics.blocked.increment(1);
            return Err(Refusal::Blocked);
        }
        let pending = Job {
            features: features(req, conn, client.ip),
            route_id: entry.metrics.id.clone(),
            client: key,
        };
        if entry.route.inspection == InspectionMode::Sync {
            // Boxed: the HTTP call's state stays off the common path.
            match Box::pin(self.inspector.verdict_now(&pending)).await {
                Some((Verdict::Block, _)) => {
                    entry.metrics.blocked.increment(1);
                    return Err(Refusal::Blocked);
                }
                Some((Verdict::Flag, true)) if block_bots => {
                    entry.metrics.blocked.increment(1);
                    return Err(Refusal::Blocked);
                }
                Some(_) => return Ok(None),
                None => {}
            }
        }
        Ok(Some(pending))
    }

    /// `bots: allow_verified`: what is known about the crawler the client's
    /// agent claims to be (`None`: it claims none, or verification is
    /// off). A refuted claim is reported once, when the check ends.
    fn crawler_check<B>(
        &self,
        entry: &RouteEntry,
        req: &Request<B>,
        client: &Client,
    ) -> Option<Check> {
        let verifier = self.edge.crawlers.as_ref()?;
        let ua = req
            .headers()
            .get(hyper::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())?;
        let crawler = verifier.claimed(ua)?;
        let reporter = self.edge.reporter.clone();
        let event = ThreatRecord {
            id: Some(ThreatRecord::new_id()),
            gateway_id: None,
            client_ip: client.ip.to_string(),
            user_agent: Some(clip(ua, 1024).to_owned()),
            route_id: Some(entry.metrics.id.to_string()),
            method: Some(req.method().as_str().to_owned()),
            path: Some(clip(req.uri().path(), 2048).to_owned()),
            threat_type: "bot".into(),
            severity: "HIGH".into(),
            anomaly_score: None,
            bot_score: None,
            reasons: vec![format!(
                "claims to be {}'s crawler; reverse and forward DNS of {} do not confirm it (bots: allow_verified)",
                verifier.name(crawler),
                client.ip
            )],
            action_taken: "blocked".into(),
            detected_at: chrono::Utc::now(),
        };
        let check = verifier.check(client.ip, crawler, move || reporter.threat(event));
        if check == Check::Verified {
            metrics::counter!("qsgw_crawlers_verified_requests_total").increment(1);
        }
        Some(check)
    }

    /// Step 6: sends to a target picked by the balancer. A request that
    /// never reached the upstream (connect refused or timed out, pooled
    /// connection found closed, address refused) comes back whole and goes
    /// to another target, up to the route's retries, whatever its method:
    /// nothing was sent, so nothing is repeated, and no copy was needed.
    /// A request that reached the upstream is not retried, except an
    /// idempotent bodiless one that failed on a reused connection (see
    /// [`upstream::send`]); a timeout is never retried.
    pub async fn send(
        &self,
        entry: &RouteEntry,
        out: Outgoing,
        conn: &ConnInfo,
        rid: &HeaderValue,
    ) -> Result<Response<ProxyBody>, Refusal> {
        let upstream_cfg = &entry.upstream.config;
        let timeout = entry
            .route
            .timeout_ms
            .or(upstream_cfg.request_timeout_ms)
            .map_or(self.default_timeout, Duration::from_millis);
        let connect_timeout = Duration::from_millis(upstream_cfg.connect_timeout_ms.max(1));
        let attempts = 1 + usize::from(entry.route.retries);
        let Outgoing {
            mut req,
            client_upgrade,
        } = out;
        let idempotent_bodiless = matches!(
            *req.method(),
            http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
        ) && hyper::body::Body::size_hint(req.body()).exact() == Some(0)
            && client_upgrade.is_none();
        let mut previous: Option<&shared::qsgw::Target> = None;
        let mut last = Refusal::NoHealthyTarget;
        for attempt in 0..attempts {
            let Some((target, state)) = entry.upstream.pick_except(previous) else {
                return Err(last);
            };
            previous = Some(target);
            let in_flight = state.begin();
            let outcome = tokio::time::timeout(
                timeout,
                upstream::send(
                    state,
                    target,
                    connect_timeout,
                    &self.edge.targets,
                    idempotent_bodiless && attempt + 1 < attempts,
                    req,
                ),
            )
            .await;
            drop(in_flight);
            let e = match outcome {
                Ok(Ok((resp, sender))) => {
                    state.proxy_success();
                    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
                        return Ok(self.upgraded(resp, sender, client_upgrade, conn));
                    }
                    let mut resp = PooledBody::wrap(resp, sender, state);
                    strip_hop_by_hop(resp.headers_mut());
                    return Ok(resp.map(Either::Left));
                }
                Ok(Err(SendError::NotSent(e, back))) => {
                    req = *back;
                    e
                }
                Ok(Err(SendError::Failed(e))) => {
                    state.proxy_failure(&upstream_cfg.ejection);
                    tracing::warn!(error = %e, attempt, request_id = rid.to_str().unwrap_or_default(), target = %format!("{}:{}", target.host, target.port), "upstream request failed");
                    return Err(Refusal::from_upstream(&e));
                }
                Err(_) => {
                    state.proxy_failure(&upstream_cfg.ejection);
                    return Err(Refusal::UpstreamTimeout);
                }
            };
            if !matches!(e, upstream::UpstreamError::Forbidden(_)) {
                state.proxy_failure(&upstream_cfg.ejection);
            }
            tracing::warn!(error = %e, attempt, request_id = rid.to_str().unwrap_or_default(), target = %format!("{}:{}", target.host, target.port), "upstream not reached");
            last = Refusal::from_upstream(&e);
        }
        Err(last)
    }

    /// A `101 Switching Protocols`: the client's and the upstream's
    /// connections are spliced in a task that keeps the client
    /// connection's slot under the caps until the tunnel ends.
    fn upgraded(
        &self,
        mut resp: Response<hyper::body::Incoming>,
        sender: hyper::client::conn::http1::SendRequest<UpstreamBody>,
        client_upgrade: Option<hyper::upgrade::OnUpgrade>,
        conn: &ConnInfo,
    ) -> Response<ProxyBody> {
        if let Some(client_side) = client_upgrade {
            let upstream_side = hyper::upgrade::on(&mut resp);
            tokio::spawn(crate::tunnel::splice(
                client_side,
                upstream_side,
                conn.guard.clone(),
                self.edge.tunnel_idle,
            ));
        }
        // The connection now belongs to the upgrade.
        drop(sender);
        let (parts, _) = resp.into_parts();
        Response::from_parts(parts, Either::Right(Body::empty()))
    }
}

/// The answer for a refusal, with its route's metrics.
fn refused(
    metrics: Arc<RouteMetrics>,
    refusal: Refusal,
    job: Option<Job>,
    rid: &HeaderValue,
) -> Forwarded {
    Forwarded {
        metrics,
        resp: problem(refusal.problem(), rid),
        job,
    }
}

/// The client behind a trusted peer ([`shared::client_ip::forwarded_client`]),
/// and the `X-Forwarded-For` the gateway sends on: the hops it read, in
/// order, then the peer.
fn client_from_chain(headers: &HeaderMap, conn: &ConnInfo, edge: &EdgeSettings) -> Client {
    let (ip, kept) =
        shared::client_ip::forwarded_client(headers, conn.peer.ip(), |a| edge.is_trusted(a));
    let mut chain = String::new();
    for a in kept.iter().rev() {
        chain.push_str(&a.to_string());
        chain.push_str(", ");
    }
    chain.push_str(&conn.peer.ip().to_string());
    Client {
        ip,
        forwarded_for: HeaderValue::try_from(chain).unwrap_or_else(|_| conn.peer_ip.clone()),
    }
}

/// Step 5: the request as it goes upstream: canonical path (prefix
/// stripped when the route says so) and the client's query; hop-by-hop
/// headers removed (an upgrade's `Connection`/`Upgrade` kept); the
/// forwarding headers set by the gateway alone.
fn rewrite(
    req: Request<hyper::body::Incoming>,
    entry: &RouteEntry,
    canonical: Option<String>,
    client: &Client,
    edge: &EdgeSettings,
    rid: &HeaderValue,
    tls: &TlsFacts,
) -> Result<Outgoing, Refusal> {
    let uri = upstream_uri(req.uri(), canonical, &entry.route)
        .map_err(|_| Refusal::Internal("the canonical path did not form a URI"))?;
    let host = request_host(&req);
    let upgrade = is_upgrade(req.headers());
    let (mut parts, body) = req.into_parts();
    let client_upgrade = if upgrade {
        parts.extensions.remove::<hyper::upgrade::OnUpgrade>()
    } else {
        None
    };
    let upgrade_proto = parts.headers.get(header::UPGRADE).cloned();
    // Room for the forwarding headers and the id (one growth at most).
    parts.headers.reserve(5);
    strip_hop_by_hop(&mut parts.headers);
    if let (true, Some(proto)) = (upgrade, upgrade_proto) {
        // WebSocket and other upgrades pass through.
        parts
            .headers
            .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        parts.headers.insert(header::UPGRADE, proto);
    }
    if !edge.pass_forwarded_headers {
        parts.headers.remove(header::FORWARDED);
        parts.headers.remove(X_REAL_IP);
    }
    parts
        .headers
        .insert(X_FORWARDED_FOR, client.forwarded_for.clone());
    parts
        .headers
        .insert(X_FORWARDED_PROTO, HeaderValue::from_static("https"));
    if let Some(h) = &host {
        parts.headers.insert(X_FORWARDED_HOST, h.clone());
    }
    parts.headers.insert(X_REQUEST_ID.clone(), rid.clone());
    // The verified client certificate, set by the gateway alone: a copy
    // the client sent is never passed on.
    parts.headers.remove(&X_CLIENT_CERT_SUBJECT);
    parts.headers.remove(&X_CLIENT_CERT_ALGORITHM);
    if let Some(c) = &tls.client_cert {
        parts
            .headers
            .insert(X_CLIENT_CERT_SUBJECT, c.subject.clone());
        parts.headers.insert(
            X_CLIENT_CERT_ALGORITHM,
            HeaderValue::from_static(c.algorithm),
        );
    }
    if !parts.headers.contains_key(header::HOST) {
        if let Some(h) = host {
            parts.headers.insert(header::HOST, h);
        }
    }
    parts.version = Version::HTTP_11;
    parts.uri = uri;
    // Extensions are per hop (hyper's connection facts); none go upstream.
    parts.extensions = http::Extensions::new();
    Ok(Outgoing {
        req: Request::from_parts(parts, Either::Left(body)),
        client_upgrade,
    })
}

fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .flat_map(connection_tokens)
            .any(|t| t.eq_ignore_ascii_case("upgrade"))
}

/// The options a `Connection` value lists (RFC 9110 §7.6.1).
fn connection_tokens(v: &HeaderValue) -> impl Iterator<Item = &str> {
    v.to_str()
        .ok()
        .into_iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The AI engine's view of a request (status and latency are added once
/// the response is known), clamped to the bounds the engine accepts so one
/// hostile request cannot get a whole batch refused.
fn features<B>(req: &Request<B>, conn: &ConnInfo, client_ip: IpAddr) -> RequestFeatures {
    use shared::features::{
        MAX_HEADERS, MAX_HEADER_NAME_LEN, MAX_PATH_LEN, MAX_QUERY_LEN, MAX_USER_AGENT_LEN,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let method = req.method().as_str();
    let method = if !method.is_empty()
        && method.len() <= 16
        && method.bytes().all(|b| b.is_ascii_alphabetic())
    {
        method.to_owned()
    } else {
        "OTHER".to_owned()
    };
    let path = req.uri().path();
    let path = if path.starts_with('/') || path == "*" {
        clip(path, MAX_PATH_LEN).to_owned()
    } else {
        "/".to_owned()
    };
    RequestFeatures {
        client_ip,
        method,
        path,
        query_len: req.uri().query().map_or(0, |q| {
            u32::try_from(q.len())
                .unwrap_or(u32::MAX)
                .min(MAX_QUERY_LEN)
        }),
        header_names: req
            .headers()
            .keys()
            .take(MAX_HEADERS)
            .map(|k| clip(k.as_str(), MAX_HEADER_NAME_LEN).to_owned())
            .collect(),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .map(|v| clip(&String::from_utf8_lossy(v.as_bytes()), MAX_USER_AGENT_LEN).to_owned()),
        status: None,
        latency_ms: None,
        tls_protocol: Some(clip(conn.tls.protocol, 32).to_owned()),
        tls_group: Some(clip(conn.tls.kx_group, 64).to_owned()),
        timestamp_ms: now,
    }
}

/// `s` cut to at most `max` bytes on a character boundary (also used for
/// the bounded fields of threat events and session records).
pub(crate) fn clip(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The request target sent upstream: the canonical path (prefix stripped
/// when the route says so) and the query, in origin form.
fn upstream_uri(
    uri: &Uri,
    canonical: Option<String>,
    route: &shared::qsgw::RouteConfig,
) -> Result<Uri, http::Error> {
    let original = uri.path();
    let canonical_path = canonical.as_deref().unwrap_or(original);
    let path = upstream_path(route, canonical_path);
    if canonical.is_none() && *path == *original {
        if uri.scheme().is_none() && uri.authority().is_none() {
            // Already origin form and unchanged (HTTP/1.1): no copy.
            return Ok(uri.clone());
        }
        // HTTP/2 (or absolute form): keep only path and query.
        let mut parts = http::uri::Parts::default();
        parts.path_and_query = uri.path_and_query().cloned();
        return Ok(Uri::from_parts(parts)?);
    }
    let mut target = path.into_owned();
    if let Some(q) = uri.query() {
        target.push('?');
        target.push_str(q);
    }
    Ok(Uri::try_from(target)?)
}

/// A problem document answered by the gateway itself, with the request id.
fn problem(mut p: Problem, rid: &HeaderValue) -> Response<ProxyBody> {
    p.request_id = rid.to_str().ok().map(str::to_owned);
    p.into_response().map(Either::Right)
}

/// Host from the `Host` header (HTTP/1.1) or the URI authority (HTTP/2),
/// as text (no copy).
fn request_host_str<B>(req: &Request<B>) -> Option<&str> {
    match req.headers().get(header::HOST) {
        Some(h) => h.to_str().ok(),
        None => req.uri().authority().map(http::uri::Authority::as_str),
    }
}

/// Host from the `Host` header (HTTP/1.1) or the URI authority (HTTP/2).
fn request_host<B>(req: &Request<B>) -> Option<HeaderValue> {
    match req.headers().get(header::HOST) {
        Some(h) => Some(h.clone()),
        None => req
            .uri()
            .authority()
            .and_then(|a| HeaderValue::from_str(a.as_str()).ok()),
    }
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Usually none is present: one pass over the names, no lookups.
    if !headers.keys().any(|k| HOP_BY_HOP.contains(k)) {
        return;
    }
    // Headers named in Connection are hop-by-hop too, removed by name as
    // text (no header name is allocated for tokens like `keep-alive`);
    // each value is a cheap clone, taken one at a time (no list).
    let mut i = 0;
    while let Some(v) = headers.get_all(header::CONNECTION).iter().nth(i).cloned() {
        for token in connection_tokens(&v) {
            headers.remove(token);
        }
        i += 1;
    }
    for name in &HOP_BY_HOP {
        headers.remove(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::HostPolicies;
    use shared::qsgw::TlsPolicy;

    fn conn(peer: &str, trusted: bool) -> ConnInfo {
        let mut c = ConnInfo::new(
            peer.parse().unwrap(),
            TlsFacts {
                protocol: "TLSv1.3",
                cipher_suite: "TLS13_AES_128_GCM_SHA256",
                kx_group: "X25519MLKEM768",
                pqc: true,
                alpn: None,
                sni: None,
                client_cert: None,
            },
        );
        c.trusted_peer = trusted;
        c
    }

    fn edge(trusted: &str) -> EdgeSettings {
        let mut e = EdgeSettings::new(HostPolicies::new(TlsPolicy::PqcPreferred));
        e.trusted_proxies = shared::edge::parse_cidrs(trusted).unwrap();
        e
    }

    fn xff(v: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for x in v {
            h.append(X_FORWARDED_FOR, HeaderValue::from_str(x).unwrap());
        }
        h
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() {
        // MDN's X-Forwarded-For guidance (and RFC 7239 §5.2 for the
        // chain's order): walk from the right, skip trusted proxies.
        let e = edge("10.0.0.0/8, 192.0.2.1");
        let c = conn("192.0.2.1:1000", true);
        let got = client_from_chain(&xff(&["203.0.113.7, 198.51.100.2", "10.0.0.3"]), &c, &e);
        assert_eq!(got.ip, "198.51.100.2".parse::<IpAddr>().unwrap());
        assert_eq!(got.forwarded_for, "198.51.100.2, 10.0.0.3, 192.0.2.1");
        // All trusted: the left-most.
        let got = client_from_chain(&xff(&["10.1.1.1, 10.2.2.2"]), &c, &e);
        assert_eq!(got.ip, "10.1.1.1".parse::<IpAddr>().unwrap());
        // Garbage ends the walk at the last trusted hop that reported it.
        let got = client_from_chain(&xff(&["203.0.113.7, not-an-ip, 10.0.0.9"]), &c, &e);
        assert_eq!(got.ip, "10.0.0.9".parse::<IpAddr>().unwrap());
        assert_eq!(got.forwarded_for, "10.0.0.9, 192.0.2.1");
        // Ports and brackets as some proxies write them.
        let got = client_from_chain(&xff(&["[2001:db8::1]:4711"]), &c, &e);
        assert_eq!(got.ip, "2001:db8::1".parse::<IpAddr>().unwrap());
        assert_eq!(
            shared::client_ip::parse_hop("[2001:db8::1]"),
            "2001:db8::1".parse().ok()
        );
    }

    #[test]
    fn refusals_map_to_the_rfc_9110_status_codes() {
        use crate::policy::PolicyRefusal;
        let policy = |misdirected| {
            Refusal::Policy(PolicyRefusal {
                required: TlsPolicy::PqcOnly,
                negotiated: "X25519",
                misdirected,
            })
        };
        for (r, status) in [
            (Refusal::BadPath(PathError::AboveRoot), 400),
            (Refusal::NoRoute, 404),
            (Refusal::MethodNotAllowed, 405),
            (Refusal::RateLimited(3), 429),
            (policy(false), 403),
            (policy(true), 421),
            (Refusal::Blocked, 403),
            (Refusal::NoHealthyTarget, 503),
            (Refusal::TargetForbidden(InternalAddress::Loopback), 502),
            (Refusal::UpstreamRefused, 502),
            (Refusal::UpstreamTls, 502),
            (Refusal::ClientCertRequired, 403),
            (Refusal::ClientCertMisdirected, 421),
            (Refusal::UpstreamFailed, 502),
            (Refusal::UpstreamTimeout, 504),
            (Refusal::Internal("test"), 500),
        ] {
            assert_eq!(r.problem().status, status, "{r:?}");
        }
    }

    #[test]
    fn the_forwarded_target_is_the_canonical_path_with_the_query() {
        let up = shared::ids::UpstreamId::new();
        let route = shared::qsgw::RouteConfig {
            id: shared::ids::RouteId::new(),
            name: "r".into(),
            host: None,
            path: shared::edge::RoutePath::parse("/api").expect("a canonical path"),
            path_match: shared::qsgw::PathMatch::Prefix,
            methods: vec![],
            upstream_id: up,
            strip_prefix: true,
            timeout_ms: None,
            retries: 0,
            rate_limit: None,
            tls_policy: None,
            inspection: InspectionMode::Off,
            bots: shared::qsgw::BotPolicy::Flag,
            client_cert_required: false,
            enabled: true,
            version: 1,
        };
        let uri: Uri = "/api//v1/./x?a=1".parse().unwrap();
        let canon = canonical_path(uri.path()).unwrap().into_owned();
        assert_eq!(
            upstream_uri(&uri, Some(canon), &route).unwrap(),
            "/v1/x?a=1"
        );
        let uri: Uri = "/api/v1?a=1".parse().unwrap();
        assert_eq!(upstream_uri(&uri, None, &route).unwrap(), "/v1?a=1");
    }
}
