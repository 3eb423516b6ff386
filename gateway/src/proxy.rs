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
use shared::request_id::RequestId;
use shared::Problem;

use crate::live::LiveConfig;
use crate::routing::{upstream_path, Miss};

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
}

/// The forwarding service shared by all connections.
#[derive(Debug, Clone)]
pub struct Proxy {
    live: Arc<LiveConfig>,
    client: Client<HttpConnector, Body>,
    default_timeout: Duration,
}

impl Proxy {
    /// A proxy with an upstream connection pool of `pool_size` idle
    /// connections per target.
    pub fn new(live: Arc<LiveConfig>, pool_size: usize, default_timeout: Duration) -> Self {
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
        let (route_label, resp) =
            shared::request_id::scope(rid.clone(), self.forward(req, conn, &rid)).await;
        let mut resp = resp;
        resp.headers_mut()
            .insert("x-request-id", rid.header_value());
        let class = format!("{}xx", resp.status().as_u16() / 100);
        metrics::counter!("qsgw_requests_total", "route" => route_label.clone(), "status_class" => class).increment(1);
        metrics::histogram!("qsgw_request_duration_seconds", "route" => route_label)
            .record(start.elapsed().as_secs_f64());
        resp
    }

    async fn forward(
        &self,
        req: Request<hyper::body::Incoming>,
        conn: &ConnInfo,
        rid: &RequestId,
    ) -> (String, Response<Body>) {
        let host = request_host(&req);
        let path = req.uri().path().to_owned();
        let table = self.live.table();
        let entry = match table.find(host.as_deref(), &path, req.method().as_str()) {
            Ok(e) => e,
            Err(Miss::NoRoute) => {
                return (
                    "none".into(),
                    problem(Problem::not_found("no route matches this host and path")),
                )
            }
            Err(Miss::MethodNotAllowed) => {
                return (
                    "none".into(),
                    problem(Problem::new(
                        StatusCode::METHOD_NOT_ALLOWED,
                        "method-not-allowed",
                        "the route does not accept this method",
                    )),
                )
            }
        };
        let label = entry.route.id.to_string();
        let Some(target) = entry.upstream.pick() else {
            return (
                label,
                problem(Problem::unavailable("no healthy upstream target")),
            );
        };
        let mut upath = upstream_path(&entry.route, &path);
        if let Some(q) = req.uri().query() {
            upath.push('?');
            upath.push_str(q);
        }
        let uri: Uri = match format!("http://{}:{}{}", target.host, target.port, upath).parse() {
            Ok(u) => u,
            Err(_) => {
                return (
                    label,
                    problem(Problem::bad_request("the request path cannot be forwarded")),
                )
            }
        };
        let timeout = entry
            .route
            .timeout_ms
            .or(entry.upstream.config.request_timeout_ms)
            .map_or(self.default_timeout, Duration::from_millis);

        let (mut parts, body) = req.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        set_forwarded(&mut parts.headers, conn, host.as_deref());
        parts.headers.insert("x-request-id", rid.header_value());
        if parts.headers.get(header::HOST).is_none() {
            if let Some(h) = host.as_deref().and_then(|h| HeaderValue::from_str(h).ok()) {
                parts.headers.insert(header::HOST, h);
            }
        }
        parts.uri = uri;
        parts.version = Version::HTTP_11;
        let upstream_req = Request::from_parts(parts, Body::new(body));

        match tokio::time::timeout(timeout, self.client.request(upstream_req)).await {
            Err(_) => (
                label,
                problem(Problem::new(
                    StatusCode::GATEWAY_TIMEOUT,
                    "upstream-timeout",
                    "the upstream did not answer in time",
                )),
            ),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, target = %format!("{}:{}", target.host, target.port), "upstream request failed");
                let detail = if e.is_connect() {
                    "the upstream refused the connection"
                } else {
                    "the upstream connection failed"
                };
                (
                    label,
                    problem(Problem::new(StatusCode::BAD_GATEWAY, "bad-gateway", detail)),
                )
            }
            Ok(Ok(resp)) => {
                let (mut parts, body) = resp.into_parts();
                strip_hop_by_hop(&mut parts.headers);
                (label, Response::from_parts(parts, Body::new(body)))
            }
        }
    }
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
