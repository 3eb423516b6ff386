//! The TLS listener: connection cap, handshake under the key-exchange policy
//! chosen by SNI, per-connection TLS facts and metrics, HTTP/1.1 and HTTP/2
//! served by hyper, graceful drain on shutdown.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use rustls::ServerConfig;
use shared::qsgw::TlsPolicy;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::LazyConfigAcceptor;
use tokio_util::sync::CancellationToken;

use crate::proxy::{ConnInfo, Proxy};
use crate::report::{Reporter, SessionRecord};
use crate::tls::{self, CertKey, TlsFacts};

/// Longest time a client may take to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// TLS configs per policy, rebuilt when the certificate changes.
#[derive(Debug)]
pub struct TlsConfigs {
    by_policy: HashMap<TlsPolicy, Arc<ServerConfig>>,
}

impl TlsConfigs {
    /// Builds a config for every policy from one certificate, all
    /// resuming sessions from `sessions`.
    pub fn build(cert: &CertKey, sessions: &tls::SessionCache) -> anyhow::Result<Self> {
        let mut by_policy = HashMap::new();
        for p in [
            TlsPolicy::PqcOnly,
            TlsPolicy::PqcPreferred,
            TlsPolicy::ClassicalAllowed,
        ] {
            by_policy.insert(p, tls::server_config(p, cert, sessions)?);
        }
        Ok(Self { by_policy })
    }

    fn get(&self, p: TlsPolicy) -> Option<Arc<ServerConfig>> {
        self.by_policy.get(&p).cloned()
    }
}

/// Listener settings.
#[derive(Debug, Clone)]
pub struct ListenerOptions {
    /// Policy when no SNI override applies.
    pub default_policy: TlsPolicy,
    /// SNI host → policy.
    pub sni_policies: HashMap<String, TlsPolicy>,
    /// Connection cap.
    pub max_connections: usize,
    /// Most request header fields (HTTP/1.1; beyond it hyper answers 431).
    pub max_header_count: usize,
    /// Largest request head in bytes (HTTP/1.1 read buffer, HTTP/2 header list).
    pub max_header_bytes: usize,
    /// Where TLS session records go.
    pub reporter: Reporter,
    /// A connection with no byte either way and no request in flight for
    /// this long is closed (idle keep-alive and never-speaking clients).
    pub idle_timeout: Duration,
    /// An HTTP/1.1 request head not complete this long after its first
    /// byte drops the connection (slowloris).
    pub header_timeout: Duration,
}

/// The TLS front door.
#[derive(Debug)]
pub struct TlsListener {
    listener: TcpListener,
    configs: Arc<ArcSwap<TlsConfigs>>,
    opts: ListenerOptions,
    proxy: Proxy,
}

impl TlsListener {
    /// Binds `host:port`.
    pub async fn bind(
        host: &str,
        port: u16,
        configs: Arc<ArcSwap<TlsConfigs>>,
        opts: ListenerOptions,
        proxy: Proxy,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind((host, port)).await?;
        Ok(Self {
            listener,
            configs,
            opts,
            proxy,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts until `shutdown`, then lets open connections finish their
    /// requests for at most `grace`.
    pub async fn serve(self, shutdown: CancellationToken, grace: Duration) {
        let max = self.opts.max_connections;
        let permits = Arc::new(Semaphore::new(max));
        let opts = Arc::new(self.opts);
        // One set of HTTP builders shared by every connection (not 240
        // bytes of settings in each connection's task).
        let builder = Arc::new(HttpBuilders::new(&opts));
        loop {
            let (stream, peer) = tokio::select! {
                () = shutdown.cancelled() => break,
                r = self.listener.accept() => match r {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            // Responses go out as soon as they are written (as nginx's
            // tcp_nodelay): no Nagle delay behind an unacknowledged segment.
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!(error = %e, "TCP_NODELAY not set on a client connection");
            }
            // Over the cap: close the new connection, existing ones unaffected.
            // Every connection received is counted once in
            // qsgw_connections_total, labelled by the key-exchange group it
            // negotiated, or `refused` / `handshake_failed`.
            let Ok(permit) = permits.clone().try_acquire_owned() else {
                metrics::counter!("qsgw_connections_total", "kx_group" => "refused").increment(1);
                metrics::counter!("qsgw_connections_refused_total").increment(1);
                drop(stream);
                continue;
            };
            let configs = self.configs.clone();
            let opts = opts.clone();
            let proxy = self.proxy.clone();
            let shutdown = shutdown.clone();
            let builder = builder.clone();
            tokio::spawn(async move {
                let _permit = permit;
                // Boxed: the handshake's state is freed once it is done
                // instead of sizing the connection's task for its lifetime.
                let Some((tls, facts)) = Box::pin(handshake(stream, peer, &configs, &opts)).await
                else {
                    return;
                };
                metrics::gauge!("qsgw_connections_active").increment(1.0);
                serve_connection(tls, peer, facts, proxy, &opts, &builder, &shutdown).await;
                metrics::gauge!("qsgw_connections_active").decrement(1.0);
            });
        }
        drop(self.listener);
        // Drained when every connection has given its permit back.
        let all = u32::try_from(max).unwrap_or(u32::MAX);
        if tokio::time::timeout(grace, permits.acquire_many(all))
            .await
            .is_err()
        {
            tracing::warn!("TLS connections still open after the grace period");
        }
    }
}

/// HTTP settings of client connections: one builder per protocol the
/// client chose by ALPN, and one that detects it (no ALPN).
struct HttpBuilders {
    http1: hyper::server::conn::http1::Builder,
    http2: hyper::server::conn::http2::Builder<TokioExecutor>,
    auto: auto::Builder<TokioExecutor>,
}

impl HttpBuilders {
    fn new(opts: &ListenerOptions) -> Self {
        // writev(false): hyper flattens the response head and small body
        // chunks into one buffer, so rustls seals one TLS record per
        // response instead of one per slice.
        // No hyper header timer: it would cost a timer per request and,
        // armed while a keep-alive connection waits for its next request,
        // close idle connections long before the idle timeout. The
        // connection watchdog enforces the header timeout instead.
        let mut http1 = hyper::server::conn::http1::Builder::new();
        http1
            .writev(false)
            .timer(TokioTimer::new())
            .header_read_timeout(None)
            .max_headers(opts.max_header_count)
            .max_buf_size(opts.max_header_bytes);
        let mut http2 = hyper::server::conn::http2::Builder::new(TokioExecutor::new());
        http2
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(opts.max_header_bytes).unwrap_or(u32::MAX));
        let mut auto = auto::Builder::new(TokioExecutor::new());
        // Without ALPN the protocol is only known once hyper has read the
        // preface (HTTP/2 clients send frames with no request in flight), so
        // these few clients keep hyper's own header timer.
        auto.http1()
            .writev(false)
            .timer(TokioTimer::new())
            .header_read_timeout(opts.header_timeout)
            .max_headers(opts.max_header_count)
            .max_buf_size(opts.max_header_bytes);
        auto.http2()
            .timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(opts.max_header_bytes).unwrap_or(u32::MAX));
        Self { http1, http2, auto }
    }
}

/// What every request on one connection shares (one reference count per
/// request instead of a copy of each part).
struct ConnShared {
    proxy: Proxy,
    conn: ConnInfo,
    activity: Activity,
}

/// Serves HTTP on one TLS connection until the client leaves, the
/// connection has been idle (no byte either way, no request in flight) for
/// the idle timeout, or shutdown asks it to finish its requests and close.
async fn serve_connection(
    mut tls: tokio_rustls::server::TlsStream<TcpStream>,
    peer: SocketAddr,
    facts: TlsFacts,
    proxy: Proxy,
    opts: &ListenerOptions,
    builders: &HttpBuilders,
    shutdown: &CancellationToken,
) {
    // No HTTP state (hyper's buffers and timers) until the client's first
    // byte: thousands of connections opened and left idle stay small. The
    // byte stays in rustls' buffer for hyper to read.
    let spoke = tokio::select! {
        r = tls.fill_buf() => matches!(r, Ok(b) if !b.is_empty()),
        () = shutdown.cancelled() => false,
        () = tokio::time::sleep(opts.idle_timeout) => {
            metrics::counter!("qsgw_connections_idle_closed_total").increment(1);
            false
        }
    };
    if !spoke {
        // close_notify, then the socket closes when dropped.
        let _ = tokio::time::timeout(Duration::from_secs(1), tls.shutdown()).await;
        return;
    }
    // The HTTP side (several KiB with hyper's state) lives on the heap from
    // here on, so the task of a connection that never speaks stays small.
    Box::pin(serve_http(
        tls, peer, facts, proxy, opts, builders, shutdown,
    ))
    .await;
}

/// Serves HTTP once the client has spoken; see [`serve_connection`].
async fn serve_http(
    tls: tokio_rustls::server::TlsStream<TcpStream>,
    peer: SocketAddr,
    facts: TlsFacts,
    proxy: Proxy,
    opts: &ListenerOptions,
    builders: &HttpBuilders,
    shutdown: &CancellationToken,
) {
    let kx_group = facts.kx_group;
    let alpn = facts.alpn;
    let shared = Arc::new(ConnShared {
        proxy,
        conn: ConnInfo::new(peer, facts),
        activity: Activity::default(),
    });
    let for_requests = shared.clone();
    let service = hyper::service::service_fn(move |req| {
        let shared = for_requests.clone();
        async move {
            let busy = shared.activity.begin();
            let resp = shared.proxy.handle(req, &shared.conn).await;
            drop(busy);
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    let io = TokioIo::new(Tracked {
        inner: tls,
        shared: shared.clone(),
    });
    let http1 = alpn == Some("http/1.1");
    if http1 {
        // The first byte of the first request is already in (it is what
        // started this), so its head is pending.
        shared.activity.touch_read();
    }
    let watch = Watch {
        activity: &shared.activity,
        idle_timeout: opts.idle_timeout,
        header_timeout: http1.then_some(opts.header_timeout),
        shutdown,
        kx_group,
    };
    match alpn {
        Some("http/1.1") => {
            let conn = builders.http1.serve_connection(io, service).with_upgrades();
            watch.drive(conn, |c| c.graceful_shutdown()).await;
        }
        Some("h2") => {
            let conn = builders.http2.serve_connection(io, service);
            watch.drive(conn, |c| c.graceful_shutdown()).await;
        }
        _ => {
            let conn = builders.auto.serve_connection_with_upgrades(io, service);
            watch.drive(conn, |c| c.graceful_shutdown()).await;
        }
    }
}

/// Watches a connection being served: graceful close on shutdown or
/// idleness, dropped when an HTTP/1.1 request head does not arrive in time.
struct Watch<'a> {
    activity: &'a Activity,
    idle_timeout: Duration,
    /// HTTP/1.1 only (HTTP/2 clients send frames with no request pending).
    header_timeout: Option<Duration>,
    shutdown: &'a CancellationToken,
    kx_group: &'static str,
}

impl Watch<'_> {
    async fn drive<C, E>(self, conn: C, graceful: fn(std::pin::Pin<&mut C>))
    where
        C: std::future::Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let mut conn = std::pin::pin!(conn);
        let mut closing = false;
        loop {
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(error = %e, kx_group = %self.kx_group, "connection ended with an error");
                    }
                    return;
                }
                () = self.shutdown.cancelled(), if !closing => {
                    graceful(conn.as_mut());
                    closing = true;
                }
                stall = self.activity.stalled(self.idle_timeout, self.header_timeout), if !closing => {
                    match stall {
                        Stall::Idle => {
                            metrics::counter!("qsgw_connections_idle_closed_total").increment(1);
                            graceful(conn.as_mut());
                            closing = true;
                        }
                        Stall::Header => {
                            // Dropped, not closed gracefully: hyper would
                            // wait for the rest of the head.
                            metrics::counter!("qsgw_connections_header_timeout_total").increment(1);
                            tracing::debug!(kx_group = %self.kx_group, "request head not complete in time; connection dropped");
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// Whether a connection moved a byte lately, how many requests it is
/// serving, and whether a request head has begun to arrive. The I/O path
/// only sets flags (no clock read or timer per read, write or request); the
/// watchdog samples them.
#[derive(Debug, Default)]
struct Activity {
    moved: AtomicBool,
    /// Bytes were read since the last request began or ended: the next
    /// request's head is on its way.
    partial: AtomicBool,
    busy: AtomicUsize,
    /// Requests begun (wrapping), to tell one slow head from several.
    started: AtomicUsize,
}

/// Why the watchdog gave up on a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stall {
    /// Nothing moved and nothing was in flight for the idle timeout.
    Idle,
    /// A request head was still incomplete after the header timeout.
    Header,
}

/// A request in flight; the connection is not idle while one exists.
struct Busy<'a>(&'a Activity);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.moved.store(true, Relaxed);
        self.0.partial.store(false, Relaxed);
        self.0.busy.fetch_sub(1, Relaxed);
    }
}

impl Activity {
    fn touch(&self) {
        self.moved.store(true, Relaxed);
    }

    fn touch_read(&self) {
        self.moved.store(true, Relaxed);
        self.partial.store(true, Relaxed);
    }

    fn begin(&self) -> Busy<'_> {
        self.busy.fetch_add(1, Relaxed);
        self.started.fetch_add(1, Relaxed);
        self.partial.store(false, Relaxed);
        Busy(self)
    }

    /// Resolves once nothing moved and no request was in flight for `idle`,
    /// or once one request head has been incomplete for `header` (sampled
    /// every eighth of the shorter limit, so the close comes between the
    /// limit and 1⅛ × the limit).
    async fn stalled(&self, idle: Duration, header: Option<Duration>) -> Stall {
        let shortest = header.map_or(idle, |h| h.min(idle));
        let step = (shortest / 8).max(Duration::from_millis(50));
        let mut quiet = Duration::ZERO;
        let mut heading = Duration::ZERO;
        let mut started = self.started.load(Relaxed);
        loop {
            tokio::time::sleep(step).await;
            let moved = self.moved.swap(false, Relaxed);
            let now_started = self.started.load(Relaxed);
            let new_request = std::mem::replace(&mut started, now_started) != now_started;
            if self.busy.load(Relaxed) > 0 {
                quiet = Duration::ZERO;
                heading = Duration::ZERO;
                continue;
            }
            if let Some(limit) = header {
                if self.partial.load(Relaxed) && !new_request {
                    heading += step;
                    if heading >= limit {
                        return Stall::Header;
                    }
                } else {
                    heading = Duration::ZERO;
                }
            }
            if moved {
                quiet = Duration::ZERO;
            } else {
                quiet += step;
                if quiet >= idle {
                    return Stall::Idle;
                }
            }
        }
    }
}

/// The TLS stream, noting every byte read or written.
struct Tracked<T> {
    inner: T,
    shared: Arc<ConnShared>,
}

impl<T: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.shared.activity.touch_read();
        }
        r
    }
}

impl<T: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Tracked<T> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.shared.activity.touch();
        }
        r
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.shared.activity.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// What the ClientHello said, kept to explain a failed handshake.
struct Hello {
    sni: Option<String>,
    offered: Vec<rustls::NamedGroup>,
    policy: TlsPolicy,
}

async fn handshake(
    stream: TcpStream,
    peer: SocketAddr,
    configs: &ArcSwap<TlsConfigs>,
    opts: &ListenerOptions,
) -> Option<(tokio_rustls::server::TlsStream<TcpStream>, TlsFacts)> {
    let started = Instant::now();
    let mut hello: Option<Hello> = None;
    let work = async {
        let start = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), stream).await?;
        let ch = start.client_hello();
        let sni = ch.server_name().map(|s| s.to_ascii_lowercase());
        let policy = sni
            .as_deref()
            .and_then(|s| opts.sni_policies.get(s).copied())
            .unwrap_or(opts.default_policy);
        hello = Some(Hello {
            sni,
            offered: ch.named_groups().map(<[_]>::to_vec).unwrap_or_default(),
            policy,
        });
        let config = configs
            .load()
            .get(policy)
            .ok_or_else(|| std::io::Error::other("no TLS config for policy"))?;
        start.into_stream(config).await
    };
    let outcome = tokio::time::timeout(HANDSHAKE_TIMEOUT, work).await;
    let elapsed = started.elapsed();
    match outcome {
        Ok(Ok(tls)) => {
            let facts = TlsFacts::of(tls.get_ref().1);
            metrics::histogram!(
                "qsgw_tls_handshake_duration_seconds",
                "kx_group" => facts.kx_group,
                "protocol" => facts.protocol,
            )
            .record(elapsed.as_secs_f64());
            metrics::counter!("qsgw_tls_handshakes_total", "kx_group" => facts.kx_group, "pqc" => if facts.pqc { "true" } else { "false" }).increment(1);
            metrics::counter!("qsgw_connections_total", "kx_group" => facts.kx_group).increment(1);
            if opts.reporter.is_enabled() {
                opts.reporter.session(SessionRecord {
                    id: SessionRecord::new_id(),
                    gateway_id: None,
                    client_ip: peer.ip().to_string(),
                    sni: facts.sni.clone(),
                    protocol_version: Some(facts.protocol.to_owned()),
                    cipher_suite: Some(facts.cipher_suite.to_owned()),
                    kx_group: Some(facts.kx_group.to_owned()),
                    pqc: facts.pqc,
                    alpn: facts.alpn.map(str::to_owned),
                    handshake_duration_us: i64::try_from(elapsed.as_micros()).ok(),
                    established_at: chrono::Utc::now(),
                    outcome: "established",
                    failure_reason: None,
                });
            }
            Some((tls, facts))
        }
        Ok(Err(e)) => {
            metrics::counter!("qsgw_tls_handshake_failures_total").increment(1);
            metrics::counter!("qsgw_connections_total", "kx_group" => "handshake_failed")
                .increment(1);
            tracing::debug!(error = %e, "TLS handshake failed");
            // Only handshakes that got as far as a ClientHello are sessions
            // worth recording (not port scans or garbage).
            if let (Some(h), true) = (hello, opts.reporter.is_enabled()) {
                opts.reporter
                    .session(failed_session(peer, h, &e.to_string(), elapsed));
            }
            None
        }
        Err(_) => {
            metrics::counter!("qsgw_tls_handshake_failures_total").increment(1);
            metrics::counter!("qsgw_connections_total", "kx_group" => "handshake_failed")
                .increment(1);
            None
        }
    }
}

/// The record of a refused handshake: what the client offered, under which
/// policy, and rustls' reason.
fn failed_session(peer: SocketAddr, h: Hello, error: &str, elapsed: Duration) -> SessionRecord {
    let offered: Vec<String> = h
        .offered
        .iter()
        .map(|g| match tls::group_name(*g) {
            "other" => format!("{g:?}"),
            name => name.to_owned(),
        })
        .collect();
    let any_pq = h.offered.iter().any(|g| tls::is_post_quantum(*g));
    let reason = format!(
        "{error}; policy {}; client offered groups [{}]{}",
        h.policy.as_str(),
        offered.join(", "),
        if any_pq { "" } else { " (none post-quantum)" }
    );
    SessionRecord {
        id: SessionRecord::new_id(),
        gateway_id: None,
        client_ip: peer.ip().to_string(),
        sni: h.sni,
        protocol_version: None,
        cipher_suite: None,
        kx_group: None,
        pqc: false,
        alpn: None,
        handshake_duration_us: i64::try_from(elapsed.as_micros()).ok(),
        established_at: chrono::Utc::now(),
        outcome: "failed",
        failure_reason: Some(crate::proxy::clip(&reason, 500).to_owned()),
    }
}

/// Reloads the certificate when either file changes (checked every
/// `every`) or on SIGHUP; new handshakes use the new certificate, open
/// connections keep theirs.
pub fn spawn_cert_reloader(
    cert: PathBuf,
    key: PathBuf,
    configs: Arc<ArcSwap<TlsConfigs>>,
    sessions: tls::SessionCache,
    every: Duration,
    cancel: CancellationToken,
) {
    tokio::spawn(async move {
        let stamp = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let mut last: (Option<SystemTime>, Option<SystemTime>) = (stamp(&cert), stamp(&key));
        #[cfg(unix)]
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        loop {
            #[cfg(unix)]
            let hup_fut = async {
                match hup.as_mut() {
                    Some(h) => {
                        h.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            #[cfg(not(unix))]
            let hup_fut = std::future::pending::<()>();
            let forced = tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(every) => false,
                () = hup_fut => true,
            };
            let now = (stamp(&cert), stamp(&key));
            if !forced && now == last {
                continue;
            }
            last = now;
            match tls::load_cert_key(&cert, &key).and_then(|ck| TlsConfigs::build(&ck, &sessions)) {
                Ok(c) => {
                    configs.store(Arc::new(c));
                    tracing::info!(cert = %cert.display(), "TLS certificate reloaded");
                }
                Err(e) => tracing::error!(
                    error = format!("{e:#}"),
                    "TLS certificate reload failed, keeping the previous one"
                ),
            }
        }
    });
}
