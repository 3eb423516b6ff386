//! Forwarding one request: route lookup, target choice, header rewriting,
//! streaming both ways, and error classification (downstream 4xx, upstream
//! 502/503/504), all answered as problem+json.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::response::IntoResponse;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri, Version};
use http_body_util::{Either, Empty};
use shared::ratelimit::{IpRateLimiter, RateLimit};
use shared::request_id::{RequestId, X_REQUEST_ID};
use shared::Problem;

use shared::features::RequestFeatures;
use shared::qsgw::InspectionMode;

use crate::inspect::{Inspector, Job, Verdict};
use crate::live::LiveConfig;
use crate::routing::{upstream_path, Miss, RouteEntry, RouteMetrics};
use crate::tls::TlsFacts;
use crate::upstream::{self, PooledBody, UpstreamBody};

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
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
    /// Client address.
    pub peer: SocketAddr,
    /// The client address as an `X-Forwarded-For` value (made once per
    /// connection, not per request).
    pub peer_ip: HeaderValue,
    /// The connection's TLS facts (inspection features).
    pub tls: Arc<TlsFacts>,
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
        }
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
}

/// What [`Proxy::forward`] hands back to [`Proxy::handle`].
struct Forwarded {
    metrics: Arc<RouteMetrics>,
    resp: Response<ProxyBody>,
    /// Analysis to queue once the status is known (async inspection, or a
    /// sync inspection that got no verdict in time).
    job: Option<Job>,
}

impl Forwarded {
    fn answer(metrics: Arc<RouteMetrics>, resp: Response<ProxyBody>) -> Self {
        Self {
            metrics,
            resp,
            job: None,
        }
    }
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
    ) -> Self {
        Self {
            live,
            default_timeout,
            limiter: IpRateLimiter::new(limit),
            inspector,
            unrouted: Arc::new(RouteMetrics::new("none")),
            traffic,
        }
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
        let Forwarded {
            metrics: route_metrics,
            mut resp,
            job,
        } = self.forward(req, conn, &rid).await;
        resp.headers_mut().insert(X_REQUEST_ID.clone(), rid);
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

    async fn forward(
        &self,
        req: Request<hyper::body::Incoming>,
        conn: &ConnInfo,
        rid: &HeaderValue,
    ) -> Forwarded {
        let host = request_host(&req);
        let host_str = host.as_ref().and_then(|h| h.to_str().ok());
        let found = self
            .live
            .table()
            .find(host_str, req.uri().path(), req.method().as_str());
        let entry: Arc<RouteEntry> = match found {
            Ok(e) => e,
            Err(Miss::NoRoute) => {
                return Forwarded::answer(
                    self.unrouted.clone(),
                    problem(
                        Problem::not_found("no route matches this host and path"),
                        rid,
                    ),
                )
            }
            Err(Miss::MethodNotAllowed) => {
                return Forwarded::answer(
                    self.unrouted.clone(),
                    problem(
                        Problem::new(
                            StatusCode::METHOD_NOT_ALLOWED,
                            "method-not-allowed",
                            "the route does not accept this method",
                        ),
                        rid,
                    ),
                )
            }
        };
        let label = entry.metrics.clone();

        // Per-IP rate limits: the route's own when set, else the global one.
        let limiter = entry.limiter.as_ref().unwrap_or(&self.limiter);
        if let Err(wait) = limiter.check(conn.peer.ip()) {
            label.rate_limited.increment(1);
            return Forwarded::answer(label, problem(Problem::too_many_requests(wait.max(1)), rid));
        }

        // Threat inspection: a blocked client is refused here; sync routes
        // wait (briefly) for a verdict; the rest is analysed after the fact.
        let mut job = None;
        if entry.route.inspection != InspectionMode::Off && self.inspector.is_enabled() {
            let ua = req
                .headers()
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok());
            let client = self.inspector.client_key(conn.peer.ip(), ua);
            if self.inspector.is_blocked(client) {
                return blocked(label, rid);
            }
            let pending = Job {
                features: features(&req, conn),
                route_id: label.id.clone(),
                client,
            };
            if entry.route.inspection == InspectionMode::Sync {
                // Boxed: the HTTP call's state stays off the common path.
                match Box::pin(self.inspector.verdict_now(&pending)).await {
                    Some(Verdict::Block) => return blocked(label, rid),
                    Some(_) => {}
                    None => job = Some(pending),
                }
            } else {
                job = Some(pending);
            }
        }

        // Origin-form target of the upstream request (HTTP/1.1 request
        // line): the client's own when the path is not rewritten.
        let Ok(uri) = upstream_uri(req.uri(), &entry.route) else {
            return Forwarded {
                metrics: label,
                resp: problem(
                    Problem::bad_request("the request path cannot be forwarded"),
                    rid,
                ),
                job,
            };
        };
        let upstream_cfg = &entry.upstream.config;
        let timeout = entry
            .route
            .timeout_ms
            .or(upstream_cfg.request_timeout_ms)
            .map_or(self.default_timeout, Duration::from_millis);
        let connect_timeout = Duration::from_millis(upstream_cfg.connect_timeout_ms.max(1));

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
        set_forwarded(&mut parts.headers, conn, host.as_ref());
        parts.headers.insert(X_REQUEST_ID.clone(), rid.clone());
        if !parts.headers.contains_key(header::HOST) {
            if let Some(h) = host {
                parts.headers.insert(header::HOST, h);
            }
        }
        parts.version = Version::HTTP_11;
        parts.uri = uri;
        // Extensions are per hop (hyper's connection facts); none go upstream.
        parts.extensions = http::Extensions::new();

        // Retries go to another target, only for idempotent methods without
        // a body (a streamed body cannot be replayed), only on failures
        // before a response.
        let replayable = matches!(
            parts.method,
            http::Method::GET | http::Method::HEAD | http::Method::OPTIONS
        ) && hyper::body::Body::size_hint(&body).exact() == Some(0)
            && !upgrade;
        let attempts = if replayable {
            1 + usize::from(entry.route.retries)
        } else {
            1
        };
        let mut body = Some(body);
        let mut spare = Some(parts);
        let mut previous: Option<&shared::qsgw::Target> = None;
        let mut last_error = None;
        for attempt in 0..attempts {
            let Some((target, state)) = entry.upstream.pick_except(previous) else {
                return Forwarded {
                    metrics: label,
                    resp: problem(Problem::unavailable("no healthy upstream target"), rid),
                    job,
                };
            };
            // The last attempt (usually the only one) takes the parts; an
            // earlier one sends a copy.
            let req_parts = if attempt + 1 == attempts {
                match spare.take() {
                    Some(p) => p,
                    None => break,
                }
            } else {
                match spare.as_ref() {
                    Some(p) => p.clone(),
                    None => break,
                }
            };
            let req_body: UpstreamBody = match body.take() {
                Some(b) if !replayable => Either::Left(b),
                _ => Either::Right(Empty::new()),
            };
            let upstream_req = Request::from_parts(req_parts, req_body);
            let in_flight = state.begin();
            let outcome = tokio::time::timeout(
                timeout,
                upstream::send(state, target, connect_timeout, upstream_req),
            )
            .await;
            drop(in_flight);
            match outcome {
                Ok(Ok((mut resp, sender))) => {
                    state.proxy_success();
                    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
                        if let Some(client_side) = client_upgrade {
                            let upstream_side = hyper::upgrade::on(&mut resp);
                            tokio::spawn(splice(client_side, upstream_side));
                        }
                        // The connection now belongs to the upgrade.
                        drop(sender);
                        let (parts, _) = resp.into_parts();
                        return Forwarded {
                            metrics: label,
                            resp: Response::from_parts(parts, Either::Right(Body::empty())),
                            job,
                        };
                    }
                    let mut resp = PooledBody::wrap(resp, sender, state);
                    strip_hop_by_hop(resp.headers_mut());
                    return Forwarded {
                        metrics: label,
                        resp: resp.map(Either::Left),
                        job,
                    };
                }
                Ok(Err(e)) => {
                    state.proxy_failure(&entry.upstream.config.ejection);
                    tracing::warn!(error = %e, attempt, request_id = rid.to_str().unwrap_or_default(), target = %format!("{}:{}", target.host, target.port), "upstream request failed");
                    last_error = Some(if e.is_connect() {
                        Problem::new(
                            StatusCode::BAD_GATEWAY,
                            "bad-gateway",
                            "the upstream refused the connection",
                        )
                    } else {
                        Problem::new(
                            StatusCode::BAD_GATEWAY,
                            "bad-gateway",
                            "the upstream connection failed",
                        )
                    });
                }
                Err(_) => {
                    state.proxy_failure(&entry.upstream.config.ejection);
                    last_error = Some(Problem::new(
                        StatusCode::GATEWAY_TIMEOUT,
                        "upstream-timeout",
                        "the upstream did not answer in time",
                    ));
                }
            }
            previous = Some(target);
        }
        let p = last_error.unwrap_or_else(|| Problem::unavailable("no healthy upstream target"));
        Forwarded {
            metrics: label,
            resp: problem(p, rid),
            job,
        }
    }
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

/// Copies bytes both ways between an upgraded client and upstream.
async fn splice(client: hyper::upgrade::OnUpgrade, upstream: hyper::upgrade::OnUpgrade) {
    match tokio::try_join!(client, upstream) {
        Ok((c, u)) => {
            let mut c = hyper_util::rt::TokioIo::new(c);
            let mut u = hyper_util::rt::TokioIo::new(u);
            if let Err(e) = tokio::io::copy_bidirectional(&mut c, &mut u).await {
                tracing::debug!(error = %e, "upgraded connection ended");
            }
        }
        Err(e) => tracing::debug!(error = %e, "upgrade failed"),
    }
}

fn blocked(label: Arc<RouteMetrics>, rid: &HeaderValue) -> Forwarded {
    label.blocked.increment(1);
    Forwarded::answer(
        label,
        problem(
            Problem::forbidden("the request was blocked by threat inspection"),
            rid,
        ),
    )
}

/// The AI engine's view of a request (status and latency are added once
/// the response is known), clamped to the bounds the engine accepts so one
/// hostile request cannot get a whole batch refused.
fn features<B>(req: &Request<B>, conn: &ConnInfo) -> RequestFeatures {
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
        client_ip: conn.peer.ip(),
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

/// The request target sent upstream: path (prefix stripped when the route
/// says so) and query, in origin form.
fn upstream_uri(uri: &Uri, route: &shared::qsgw::RouteConfig) -> Result<Uri, http::Error> {
    let path = upstream_path(route, uri.path());
    if *path == *uri.path() {
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

fn set_forwarded(headers: &mut HeaderMap, conn: &ConnInfo, host: Option<&HeaderValue>) {
    let xff = match headers
        .get(&X_FORWARDED_FOR)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
    {
        Some(prev) => HeaderValue::try_from(format!("{prev}, {}", conn.peer.ip()))
            .unwrap_or_else(|_| conn.peer_ip.clone()),
        None => conn.peer_ip.clone(),
    };
    headers.insert(X_FORWARDED_FOR, xff);
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static("https"));
    if let Some(h) = host {
        headers.insert(X_FORWARDED_HOST, h.clone());
    }
}
