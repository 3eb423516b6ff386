//! Upstream HTTP/1.1 connections. Each target keeps a pool of idle
//! keep-alive connections (hyper's `client::conn::http1`, one
//! [`SendRequest`] per connection): the most recently used one is reused
//! first, a connection goes back to the pool only once its response body
//! has been read to the end (never with unread bytes), and connections
//! idle longer than [`IDLE_TIMEOUT`] or closed by the upstream are dropped.
//!
//! This replaces hyper-util's general-purpose client, whose pool is keyed
//! by scheme and authority under one lock and which spawns a task per
//! request to return its connection: here the pool hangs off the target's
//! state, found by the balancer already, and the connection is handed back
//! by the response body itself.
//!
//! In detail: upstream HTTP/1.1 connections (over TLS when the upstream has a
//! `tls` block, within the connect timeout; `502 upstream-tls` on a failed
//! handshake): per target an idle pool of hyper `client::conn::http1` senders
//! (most recently used first, at most the upstream's `pool_size` or
//! `QSGW_UPSTREAM_POOL_SIZE`); a new connection resolves the target and
//! checks every address with the `TargetGuard` before connecting (DNS
//! rebinding; `qsgw_upstream_address_refused_total`); a request that was not
//! sent (connect failure, pooled connection found closed) comes back whole
//! for the next target; an idempotent bodiless request is copied only when it
//! goes on a reused connection of a route with retries left (the upstream may
//! close a keep-alive connection as the request is written, RFC 9112 §9.3.1);
//! the response body hands its connection back when read to the end.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{Either, Empty};
use hyper::body::{Body as _, Frame, Incoming, SizeHint};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use shared::edge::TargetGuard;
use shared::qsgw::Target;
use tokio::net::TcpStream;

use crate::target::TargetState;
pub use crate::target::{UpstreamBody, IDLE_TIMEOUT};
use crate::tls::upstream::TlsMode;

/// Why an upstream request got no response.
#[derive(Debug)]
pub enum UpstreamError {
    /// No TCP connection (refused, unreachable, DNS, connect timeout).
    Connect(std::io::Error),
    /// Every address the target resolved to is one targets may not use
    /// (loopback, link-local, an internal service), unless allowed by
    /// `QSGW_ALLOWED_PRIVATE_TARGETS`.
    Forbidden(shared::edge::InternalAddress),
    /// The connection broke before a complete response head.
    Request(hyper::Error),
    /// The TLS handshake with the target failed (unknown CA, wrong name,
    /// no common key-exchange group under the upstream's policy, a
    /// missing client certificate), or the upstream's TLS block is
    /// unusable. Never retried in plaintext.
    Tls(String),
}

impl UpstreamError {
    /// Whether the upstream could not be reached at all.
    pub fn is_connect(&self) -> bool {
        matches!(self, Self::Connect(_) | Self::Forbidden(_) | Self::Tls(_))
    }
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "connect: {e}"),
            Self::Request(e) => write!(f, "request: {e}"),
            Self::Forbidden(c) => write!(f, "target address refused: {}", c.describe()),
            Self::Tls(e) => write!(f, "upstream TLS: {e}"),
        }
    }
}

/// Why [`send`] got no response.
#[derive(Debug)]
pub enum SendError {
    /// The request never reached the upstream: it comes back whole (body
    /// unread), for another target.
    NotSent(UpstreamError, Box<Request<UpstreamBody>>),
    /// The request was (perhaps partly) sent; it cannot be replayed.
    Failed(UpstreamError),
}

/// Sends `req` (origin-form URI) to `target` on an idle pooled connection,
/// or a new one. A pooled connection found closed before the request was
/// written is skipped; the request then goes on the next one.
///
/// Returns the response and the connection, which the caller hands back
/// through [`PooledBody::wrap`] (or drops, after an upgrade).
///
/// `replayable` (an idempotent request without a body, on a route with
/// retries left): on a reused connection the upstream may have closed it
/// just as the request was written (RFC 9112 §9.3.1), which hyper cannot
/// tell from a failure after sending; such a request is copied before it
/// goes on a reused connection, and the copy comes back as not sent. No
/// other request is ever copied.
pub async fn send(
    state: &TargetState,
    target: &Target,
    connect_timeout: Duration,
    guard: &TargetGuard,
    replayable: bool,
    mut req: Request<UpstreamBody>,
) -> Result<(Response<Incoming>, SendRequest<UpstreamBody>), SendError> {
    while let Some(mut sender) = state.pool.checkout() {
        if sender.ready().await.is_err() {
            continue;
        }
        let copy = replayable.then(|| bodiless_copy(&req));
        match sender.try_send_request(req).await {
            Ok(resp) => return Ok((resp, sender)),
            Err(mut e) => match (e.take_message(), copy) {
                (Some(unsent), _) => req = unsent,
                (None, Some(copy)) => {
                    return Err(SendError::NotSent(
                        UpstreamError::Request(e.into_error()),
                        Box::new(copy),
                    ))
                }
                (None, None) => {
                    return Err(SendError::Failed(UpstreamError::Request(e.into_error())))
                }
            },
        }
    }
    // Boxed: connecting (DNS, TCP, handshake) is the rare path and its
    // state would otherwise enlarge every request's future.
    let mut sender = match Box::pin(connect(state, target, connect_timeout, guard)).await {
        Ok(s) => s,
        Err(e) => return Err(SendError::NotSent(e, Box::new(req))),
    };
    match sender.try_send_request(req).await {
        Ok(resp) => Ok((resp, sender)),
        Err(mut e) => match e.take_message() {
            Some(unsent) => Err(SendError::NotSent(
                UpstreamError::Request(e.into_error()),
                Box::new(unsent),
            )),
            None => Err(SendError::Failed(UpstreamError::Request(e.into_error()))),
        },
    }
}

/// A copy of a request without a body (method, target, headers).
fn bodiless_copy(req: &Request<UpstreamBody>) -> Request<UpstreamBody> {
    let mut copy = Request::new(Either::Right(Empty::new()));
    *copy.method_mut() = req.method().clone();
    *copy.uri_mut() = req.uri().clone();
    *copy.version_mut() = req.version();
    *copy.headers_mut() = req.headers().clone();
    copy
}

/// The addresses `target` resolves to that `guard` allows, in resolver
/// order. The check runs on the resolved addresses, right before use, so a
/// name that later resolves to loopback or a metadata address (DNS
/// rebinding) is refused like a literal one. Proxied requests and active
/// health checks both dial through it.
pub async fn allowed_addrs(
    target: &Target,
    guard: &TargetGuard,
) -> Result<Vec<std::net::SocketAddr>, UpstreamError> {
    let addrs = tokio::net::lookup_host((target.host.as_str(), target.port))
        .await
        .map_err(UpstreamError::Connect)?;
    let mut refused = None;
    let mut allowed = Vec::new();
    for addr in addrs {
        match guard.check_addr(addr.ip(), addr.port()) {
            Ok(()) => allowed.push(addr),
            Err(class) => {
                metrics::counter!("qsgw_upstream_address_refused_total").increment(1);
                refused = Some(class);
            }
        }
    }
    match (allowed.is_empty(), refused) {
        (false, _) => Ok(allowed),
        (true, Some(class)) => Err(UpstreamError::Forbidden(class)),
        (true, None) => Err(UpstreamError::Connect(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "the target resolved to no address",
        ))),
    }
}

/// Connects to the first allowed address of the target that answers.
async fn dial(target: &Target, guard: &TargetGuard) -> Result<TcpStream, UpstreamError> {
    let mut last_err = None;
    for addr in allowed_addrs(target, guard).await? {
        match TcpStream::connect(addr).await {
            Ok(s) => return Ok(s),
            Err(e) => last_err = Some(e),
        }
    }
    Err(UpstreamError::Connect(last_err.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "no address")
    })))
}

/// Opens a keep-alive HTTP/1.1 connection, over TLS when the target's
/// upstream says so (the handshake within the same connect timeout); its
/// I/O runs in its own task.
pub(crate) async fn connect(
    state: &TargetState,
    target: &Target,
    timeout: Duration,
    guard: &TargetGuard,
) -> Result<SendRequest<UpstreamBody>, UpstreamError> {
    let timed_out = || {
        UpstreamError::Connect(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "connect timed out",
        ))
    };
    let mode = state.tls_mode();
    if let TlsMode::Broken(reason) = &*mode {
        return Err(UpstreamError::Tls(reason.to_string()));
    }
    let deadline = tokio::time::Instant::now() + timeout;
    let stream = tokio::time::timeout_at(deadline, dial(target, guard))
        .await
        .map_err(|_| timed_out())??;
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(error = %e, "TCP_NODELAY not set on an upstream connection");
    }
    match &*mode {
        TlsMode::Tls(client) => {
            let (tls, facts) = tokio::time::timeout_at(deadline, client.connect(&target.host, stream))
                .await
                .map_err(|_| timed_out())?
                .map_err(|e| {
                    metrics::counter!("qsgw_upstream_tls_failures_total").increment(1);
                    tracing::warn!(target = %format!("{}:{}", target.host, target.port), error = %e, "upstream TLS handshake failed");
                    UpstreamError::Tls(e.to_string())
                })?;
            state.tls_established(facts);
            http1_over(TokioIo::new(tls)).await
        }
        _ => http1_over(TokioIo::new(stream)).await,
    }
}

/// The HTTP/1.1 client side of a connection, driven by its own task.
async fn http1_over<I>(io: I) -> Result<SendRequest<UpstreamBody>, UpstreamError>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, conn) = http1::Builder::new()
        .handshake(io)
        .await
        .map_err(UpstreamError::Request)?;
    tokio::spawn(async move {
        if let Err(e) = conn.with_upgrades().await {
            tracing::debug!(error = %e, "upstream connection ended with an error");
        }
    });
    Ok(sender)
}

/// An upstream response body that returns its connection to the target's
/// pool when read to the end. Dropped earlier (client gone), or failing,
/// it closes the connection instead.
#[derive(Debug)]
pub struct PooledBody {
    inner: Incoming,
    back: Option<(SendRequest<UpstreamBody>, Arc<TargetState>)>,
}

impl PooledBody {
    /// The response with its body tied to `sender` (handed back at once
    /// when the body is already complete, e.g. `Content-Length: 0`).
    pub fn wrap(
        resp: Response<Incoming>,
        sender: SendRequest<UpstreamBody>,
        state: &Arc<TargetState>,
    ) -> Response<Self> {
        let (parts, inner) = resp.into_parts();
        let mut body = Self {
            inner,
            back: Some((sender, state.clone())),
        };
        if body.inner.is_end_stream() {
            body.release();
        }
        Response::from_parts(parts, body)
    }

    fn release(&mut self) {
        if let Some((sender, state)) = self.back.take() {
            state.pool.release(sender);
        }
    }
}

impl hyper::body::Body for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let r = Pin::new(&mut this.inner).poll_frame(cx);
        match &r {
            Poll::Ready(None) => this.release(),
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => this.release(),
            Poll::Ready(Some(Err(_))) => this.back = None,
            _ => {}
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
