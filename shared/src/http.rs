//! The HTTP stack every API shares, as tower layers around an axum router.
//!
//! Outermost first:
//! 1. request id (accept/generate, echo, task-local), client address
//!    ([`crate::client_ip`], behind `QUANTUN_TRUSTED_PROXIES`),
//! 2. trace + metrics (one span per request with `request_id`, `method`,
//!    `path`; `http_requests_total` and `http_request_duration_seconds`
//!    labelled by the matched route, never the raw path),
//! 3. compression, 4. CORS (only for configured origins),
//! 5. security headers, 6. problem+json for every error response the
//!    framework generates (404, 405, 413, 408/503 timeouts, panics),
//! 7. panic catcher, 8. handler timeout, 9. body size limit,
//! 10. rate limit per principal, or per client IP before authentication
//!     (optional, 429 + `Retry-After`).

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tracing::Instrument;

use crate::client_ip::{self, TrustedProxies};
use crate::error::Problem;
use crate::ratelimit::{self, KeyedLimiter, RateLimit};
use crate::request_id::{self, RequestId};

/// Options of the common stack.
#[derive(Debug, Clone)]
pub struct StackOptions {
    /// Largest accepted request body.
    pub body_limit: usize,
    /// Time a handler may take before the request is answered 503.
    pub request_timeout: Duration,
    /// Origins allowed by CORS; empty means same-origin only.
    pub cors_origins: Vec<String>,
    /// Per-caller limit; `None` disables it.
    pub rate_limit: Option<RateLimit>,
    /// Verifies credentials for the rate limit, which then counts a request
    /// against its principal; `None`: against its client IP.
    pub rate_limit_auth: Option<std::sync::Arc<crate::auth::Authenticator>>,
    /// Whether API-key service principals are limited too (the risk API's
    /// tenant CI keys are; the control plane's gateway key is not, as one
    /// key serves the whole gateway fleet's heartbeats and ingest).
    pub rate_limit_services: bool,
    /// Proxies whose `X-Forwarded-For` names the client
    /// (`QUANTUN_TRUSTED_PROXIES`); none by default.
    pub trusted_proxies: TrustedProxies,
    /// Path prefixes the per-IP limit does not count: probes, scrapes and
    /// the static files of a dashboard (a page load is a dozen requests;
    /// only its API calls should spend the client's budget).
    pub rate_limit_exempt: Vec<&'static str>,
}

impl Default for StackOptions {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            cors_origins: Vec::new(),
            rate_limit: None,
            rate_limit_auth: None,
            rate_limit_services: true,
            trusted_proxies: TrustedProxies::default(),
            rate_limit_exempt: vec!["/health", "/metrics"],
        }
    }
}

/// Content-Security-Policy for the APIs and the dashboards they serve: only
/// same-origin scripts, styles, images and connections; no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Wraps `router` in the common stack.
pub fn apply_stack(router: Router, opts: &StackOptions) -> Router {
    let timeout = opts.request_timeout;
    let limit = opts.body_limit;
    let inner = ServiceBuilder::new()
        .layer(middleware::from_fn(request_id::middleware))
        .layer(middleware::from_fn_with_state(
            opts.trusted_proxies.clone(),
            client_ip::middleware,
        ))
        .layer(middleware::from_fn(trace_and_measure))
        .layer(CompressionLayer::new())
        .option_layer(cors_layer(&opts.cors_origins))
        .layer(security_header(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        ))
        .layer(security_header(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(security_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(security_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(security_header(
            header::REFERRER_POLICY,
            "strict-origin-when-cross-origin",
        ))
        .layer(middleware::from_fn(move |req, next| {
            problem_for_errors(limit, req, next)
        }))
        .layer(CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                tracing::error!("handler panicked");
                Problem::internal_opaque().into_response()
            },
        ))
        .layer(middleware::from_fn(move |req, next| {
            handler_timeout(timeout, req, next)
        }))
        .layer(DefaultBodyLimit::max(limit))
        .layer(RequestBodyLimitLayer::new(limit));
    // Innermost: a rejected request costs no body read and no handler.
    let router = match opts.rate_limit {
        Some(r) => router.layer(middleware::from_fn_with_state(
            ratelimit::Limited {
                limiter: KeyedLimiter::new(r),
                exempt: std::sync::Arc::from(opts.rate_limit_exempt.clone()),
                auth: opts.rate_limit_auth.clone(),
                limit_services: opts.rate_limit_services,
            },
            ratelimit::middleware,
        )),
        None => router,
    };
    router.layer(inner)
}

fn security_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

fn cors_layer(origins: &[String]) -> Option<CorsLayer> {
    if origins.is_empty() {
        return None;
    }
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::OPTIONS,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::IF_MATCH,
                HeaderName::from_static("x-api-key"),
                HeaderName::from_static("x-request-id"),
                HeaderName::from_static("idempotency-key"),
            ])
            .expose_headers([
                HeaderName::from_static("x-request-id"),
                header::ETAG,
                header::RETRY_AFTER,
                header::LOCATION,
            ])
            .allow_credentials(true)
            .max_age(Duration::from_secs(600)),
    )
}

/// Health probes and metric scrapes: container engines and Prometheus call
/// them every few seconds, so they are logged at debug, not info (a failed
/// one, 5xx, still at error).
fn is_probe(path: &str) -> bool {
    path == "/health" || path.starts_with("/health/") || path == "/metrics"
}

/// One span per request; logs completion and records HTTP metrics.
async fn trace_and_measure(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let rid = req
        .extensions()
        .get::<RequestId>()
        .map(|r| r.as_str().to_owned())
        .unwrap_or_default();
    let probe = is_probe(req.uri().path());
    let span = tracing::info_span!(
        "request",
        request_id = %rid,
        method = %method,
        path = %req.uri().path(),
        route = %route,
        actor = tracing::field::Empty,
    );
    let resp = next.run(req).instrument(span.clone()).await;
    let status = resp.status().as_u16();
    let elapsed = start.elapsed();
    let duration_ms = (elapsed.as_secs_f64() * 1000.0 * 100.0).round() / 100.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(status, duration_ms, "request completed");
        } else if probe {
            tracing::debug!(status, duration_ms, "request completed");
        } else {
            tracing::info!(status, duration_ms, "request completed");
        }
    });
    let labels = [
        ("method", method.as_str().to_owned()),
        ("route", route),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels[..2])
        .record(elapsed.as_secs_f64());
    resp
}

/// Answers 503 problem+json when the handler exceeds `timeout`.
async fn handler_timeout(timeout: Duration, req: Request, next: Next) -> Response {
    match tokio::time::timeout(timeout, next.run(req)).await {
        Ok(resp) => resp,
        Err(_) => {
            let mut p = Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                format!(
                    "the request did not complete within {} s",
                    timeout.as_secs_f64()
                ),
            );
            p.retry_after = Some(1);
            p.into_response()
        }
    }
}

/// Rewrites error responses produced by axum or tower layers (404 fallback,
/// 405, 413, extractor rejections: empty or `text/plain` bodies) into
/// problem+json, keeping their status and useful headers.
async fn problem_for_errors(body_limit: usize, req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    // Handlers answer errors deliberately (problem+json, or a JSON body such
    // as the readiness report); only bodiless or plain-text framework errors
    // are rewritten.
    let deliberate = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| !ct.starts_with("text/plain"));
    if deliberate {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    // Framework error bodies are short text; anything else is not shown.
    let text = axum::body::to_bytes(body, 4096)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .unwrap_or_default();
    let mut problem = match status {
        StatusCode::NOT_FOUND => Problem::not_found("no such resource"),
        StatusCode::METHOD_NOT_ALLOWED => Problem::new(
            status,
            "method-not-allowed",
            "method not allowed on this resource",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => Problem::payload_too_large(body_limit),
        s if s.is_server_error() => {
            let mut p = Problem::new(s, "internal", "internal error");
            if s == StatusCode::SERVICE_UNAVAILABLE {
                p = Problem::unavailable("service unavailable");
            }
            p
        }
        s => {
            let detail = if text.trim().is_empty() {
                s.canonical_reason().unwrap_or("error").to_owned()
            } else {
                text.trim().to_owned()
            };
            Problem::new(s, "client-error", detail)
        }
    };
    problem.status = status.as_u16();
    let mut out = problem.into_response();
    for name in [header::ALLOW, header::RETRY_AFTER, header::WWW_AUTHENTICATE] {
        if let Some(v) = parts.headers.get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

/// A fallback handler answering 404 problem+json (routers get it through
/// [`apply_stack`] anyway; use this one for nested routers).
pub async fn not_found() -> Response {
    Problem::not_found("no such resource").into_response()
}

/// An empty body (used by tests and health probes).
pub fn empty() -> Body {
    Body::empty()
}
