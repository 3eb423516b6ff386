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
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use shared::ratelimit::{IpRateLimiter, RateLimit};
use shared::request_id::RequestId;
use shared::Problem;

use shared::features::RequestFeatures;
use shared::qsgw::InspectionMode;

use crate::inspect::{Inspector, Job, Verdict};
use crate::live::LiveConfig;
use crate::routing::{upstream_path, Miss, RouteMetrics};
use crate::tls::TlsFacts;

/// Hop-by-hop headers (RFC 9110 §7.6.1) never forwarded.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
];

/// Per-connection facts the proxy needs.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// Client address.
    pub peer: SocketAddr,
    /// The connection's TLS facts (inspection features).
    pub tls: Arc<TlsFacts>,
}

/// The forwarding service shared by all connections.
#[derive(Debug, Clone)]
pub struct Proxy {
    live: Arc<LiveConfig>,
    client: Client<HttpConnector, Body>,
    default_timeout: Duration,
    limiter: IpRateLimiter,
    inspector: Inspector,
    unrouted: Arc<RouteMetrics>,
    traffic: Arc<crate::report::Traffic>,
}

/// What [`Proxy::forward`] hands back to [`Proxy::handle`].
struct Forwarded {
    metrics: Arc<RouteMetrics>,
    resp: Response<Body>,
    /// Analysis to queue once the status is known (async inspection, or a
    /// sync inspection that got no verdict in time).
    job: Option<Job>,
}

impl Forwarded {
    fn answer(metrics: Arc<RouteMetrics>, resp: Response<Body>) -> Self {
        Self {
            metrics,
            resp,
            job: None,
        }
    }
}

impl Proxy {
    /// A proxy with an upstream connection pool of `pool_size` idle
    /// connections per target.
    pub fn new(
        live: Arc<LiveConfig>,
        pool_size: usize,
        default_timeout: Duration,
        limit: RateLimit,
        inspector: Inspector,
        traffic: Arc<crate::report::Traffic>,
    ) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(pool_size)
            .pool_idle_timeout(Duration::from_secs(90))
            .build(connector);
        Self {
            live,
            client,
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
    ) -> Response<Body> {
        let start = Instant::now();
        let rid = req
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .and_then(RequestId::parse)
            .unwrap_or_else(RequestId::generate);
        let Forwarded {
            metrics: route_metrics,
            mut resp,
            job,
        } = shared::request_id::scope(rid.clone(), self.forward(req, conn, &rid)).await;
        resp.headers_mut()
            .insert("x-request-id", rid.header_value());
        if let Some(mut job) = job {
            job.features.status = Some(resp.status().as_u16());
            job.features.latency_ms = Some(
                (start.elapsed().as_secs_f64() * 1000.0).min(shared::features::MAX_LATENCY_MS),
            );
            self.inspector.submit(job);
        }
        route_metrics.answered(resp.status().as_u16(), start.elapsed().as_secs_f64());
        self.traffic.count(resp.status().as_u16());
        resp
    }

    async fn forward(
        &self,
        req: Request<hyper::body::Incoming>,
        conn: &ConnInfo,
        rid: &RequestId,
    ) -> Forwarded {
        let host = request_host(&req);
        let path = req.uri().path().to_owned();
        let table = self.live.table();
        let entry = match table.find(host.as_deref(), &path, req.method().as_str()) {
            Ok(e) => e,
            Err(Miss::NoRoute) => {
                return Forwarded::answer(
                    self.unrouted.clone(),
                    problem(Problem::not_found("no route matches this host and path")),
                )
            }
            Err(Miss::MethodNotAllowed) => {
                return Forwarded::answer(
                    self.unrouted.clone(),
                    problem(Problem::new(
                        StatusCode::METHOD_NOT_ALLOWED,
                        "method-not-allowed",
                        "the route does not accept this method",
                    )),
                )
            }
        };
        let label = entry.metrics.clone();

        // Per-IP rate limits: the route's own when set, else the global one.
        let limiter = entry.limiter.as_ref().unwrap_or(&self.limiter);
        if let Err(wait) = limiter.check(conn.peer.ip()) {
            label.rate_limited.increment(1);
            return Forwarded::answer(label, problem(Problem::too_many_requests(wait.max(1))));
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
                return blocked(label);
            }
            let pending = Job {
                features: features(&req, &path, conn),
                route_id: label.id.clone(),
                client,
            };
            if entry.route.inspection == InspectionMode::Sync {
                match self.inspector.verdict_now(&pending).await {
                    Some(Verdict::Block) => return blocked(label),
                    Some(_) => {}
                    None => job = Some(pending),
                }
            } else {
                job = Some(pending);
            }
        }

        let mut upath = upstream_path(&entry.route, &path);
        if let Some(q) = req.uri().query() {
            upath.push('?');
            upath.push_str(q);
        }
        let timeout = entry
            .route
            .timeout_ms
            .or(entry.upstream.config.request_timeout_ms)
            .map_or(self.default_timeout, Duration::from_millis);

        let upgrade = is_upgrade(req.headers());
        let (mut parts, body) = req.into_parts();
        let client_upgrade = if upgrade {
            parts.extensions.remove::<hyper::upgrade::OnUpgrade>()
        } else {
            None
        };
        let upgrade_proto = parts.headers.get(header::UPGRADE).cloned();
        strip_hop_by_hop(&mut parts.headers);
        if let (true, Some(proto)) = (upgrade, upgrade_proto) {
            // WebSocket and other upgrades pass through.
            parts
                .headers
                .insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            parts.headers.insert(header::UPGRADE, proto);
        }
        set_forwarded(&mut parts.headers, conn, host.as_deref());
        parts.headers.insert("x-request-id", rid.header_value());
        if parts.headers.get(header::HOST).is_none() {
            if let Some(h) = host.as_deref().and_then(|h| HeaderValue::from_str(h).ok()) {
                parts.headers.insert(header::HOST, h);
            }
        }
        parts.version = Version::HTTP_11;

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
        let mut body = Some(Body::new(body));
        let mut spare = Some(parts);
        let mut previous: Option<shared::qsgw::Target> = None;
        let mut last_error = None;
        for attempt in 0..attempts {
            let Some((target, state)) = entry.upstream.pick_except(previous.as_ref()) else {
                return Forwarded {
                    metrics: label,
                    resp: problem(Problem::unavailable("no healthy upstream target")),
                    job,
                };
            };
            let uri: Uri = match format!("http://{}:{}{}", target.host, target.port, upath).parse()
            {
                Ok(u) => u,
                Err(_) => {
                    return Forwarded {
                        metrics: label,
                        resp: problem(Problem::bad_request("the request path cannot be forwarded")),
                        job,
                    }
                }
            };
            // The last attempt (usually the only one) takes the parts; an
            // earlier one sends a copy.
            let mut req_parts = if attempt + 1 == attempts {
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
            req_parts.uri = uri;
            let req_body = if replayable {
                Body::empty()
            } else {
                body.take().unwrap_or_else(Body::empty)
            };
            let upstream_req = Request::from_parts(req_parts, req_body);
            let in_flight = state.begin();
            let outcome = tokio::time::timeout(timeout, self.client.request(upstream_req)).await;
            drop(in_flight);
            match outcome {
                Ok(Ok(mut resp)) => {
                    state.proxy_success();
                    if resp.status() == StatusCode::SWITCHING_PROTOCOLS {
                        if let Some(client_side) = client_upgrade {
                            let upstream_side = hyper::upgrade::on(&mut resp);
                            tokio::spawn(splice(client_side, upstream_side));
                        }
                        let (parts, _) = resp.into_parts();
                        return Forwarded {
                            metrics: label,
                            resp: Response::from_parts(parts, Body::empty()),
                            job,
                        };
                    }
                    let (mut parts, body) = resp.into_parts();
                    strip_hop_by_hop(&mut parts.headers);
                    return Forwarded {
                        metrics: label,
                        resp: Response::from_parts(parts, Body::new(body)),
                        job,
                    };
                }
                Ok(Err(e)) => {
                    state.proxy_failure(&entry.upstream.config.ejection);
                    tracing::warn!(error = %e, attempt, target = %format!("{}:{}", target.host, target.port), "upstream request failed");
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
            previous = Some(target.clone());
        }
        let p = last_error.unwrap_or_else(|| Problem::unavailable("no healthy upstream target"));
        Forwarded {
            metrics: label,
            resp: problem(p),
            job,
        }
    }
}

fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| {
                v.split(',')
                    .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
            })
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

fn blocked(label: Arc<RouteMetrics>) -> Forwarded {
    label.blocked.increment(1);
    Forwarded::answer(
        label,
        problem(Problem::forbidden(
            "the request was blocked by threat inspection",
        )),
    )
}

/// The AI engine's view of a request (status and latency are added once
/// the response is known), clamped to the bounds the engine accepts so one
/// hostile request cannot get a whole batch refused.
fn features<B>(req: &Request<B>, path: &str, conn: &ConnInfo) -> RequestFeatures {
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

fn problem(p: Problem) -> Response<Body> {
    p.into_response()
}

/// Host from the `Host` header (HTTP/1.1) or the URI authority (HTTP/2).
fn request_host<B>(req: &Request<B>) -> Option<String> {
    req.headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()))
}

fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // Headers named in Connection are hop-by-hop too.
    let listed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for name in listed {
        headers.remove(name);
    }
    for name in HOP_BY_HOP {
        headers.remove(name);
    }
    headers.remove(header::UPGRADE);
}

fn set_forwarded(headers: &mut HeaderMap, conn: &ConnInfo, host: Option<&str>) {
    let ip = conn.peer.ip().to_string();
    let xff = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prev) if !prev.trim().is_empty() => format!("{prev}, {ip}"),
        _ => ip,
    };
    if let Ok(v) = HeaderValue::from_str(&xff) {
        headers.insert("x-forwarded-for", v);
    }
    headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
    if let Some(v) = host.and_then(|h| HeaderValue::from_str(h).ok()) {
        headers.insert("x-forwarded-host", v);
    }
}
