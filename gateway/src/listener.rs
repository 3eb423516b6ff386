//! The TLS listener: PROXY protocol header (optional), connection caps
//! (total and per client IP), handshake under the key-exchange policy
//! chosen by SNI, per-connection TLS facts and metrics, HTTP/1.1 and HTTP/2
//! served by hyper under explicit limits, closes on idleness (requests, not
//! bytes: HTTP/2 PINGs do not keep a connection open), on maximum age and
//! on shutdown, each with a hard deadline.
//!
//! In detail: tLS accept loop: connection cap (`QSGW_MAX_CONNECTIONS`, extra
//! connections closed), PROXY protocol v2 (`QSGW_PROXY_PROTOCOL`, accepted
//! only from `QSGW_TRUSTED_PROXIES`), per-IP cap
//! (`QSGW_MAX_CONNECTIONS_PER_IP`, sharded counters; trusted proxies without
//! PROXY protocol exempt), `qsgw_connections_refused_total{reason}`,
//! `TCP_NODELAY`, SNI → policy, handshake timeout, handshakes without a
//! usable SNI counted (`qsgw_tls_handshakes_without_sni_total`; rustls'
//! per-connection warnings are not logged), then no HTTP state until the
//! client's first byte (an idle TLS connection costs ≈ 10 KiB); HTTP/1.1 or
//! HTTP/2 chosen by ALPN, HTTP/2 limits explicit (`QSGW_H2_*`: streams, fixed
//! windows, pending resets; header list `QSGW_MAX_HEADER_BYTES`), header
//! count/size limits (→ 431), one watchdog per connection (flags set by the
//! request path, sampled every eighth of the shorter limit; no timer per
//! request): idle = no request begun, ended or in flight for
//! `QSGW_IDLE_TIMEOUT_SECS` (HTTP/2 PINGs and other frames do not count),
//! HTTP/1.1 header timeout (slowloris → dropped), maximum age
//! (`QSGW_MAX_CONNECTION_AGE_SECS` → GOAWAY / `Connection: close`), and a
//! hard deadline (`QSGW_CLOSE_TIMEOUT_SECS`) after any graceful close, so a
//! client that never acknowledges the GOAWAY is dropped; the connection's
//! `ConnGuard` (permit, per-IP slot, `qsgw_connections_active`) is shared
//! with an upgraded tunnel; a TLS session record per handshake; graceful
//! drain (waits for every permit).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use shared::qsgw::TlsPolicy;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_rustls::LazyConfigAcceptor;
use tokio_util::sync::CancellationToken;

use crate::config::H2Limits;
use crate::policy::HostPolicies;
use crate::proxy::{ConnInfo, Proxy};
use crate::report::{PendingSession, Reporter};
use crate::tls::reload::TlsConfigs;
use crate::tls::{self, TlsFacts};
use shared::qsgw::TlsSessionRecord;

/// Longest time a client may take to complete the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Listener settings.
#[derive(Debug, Clone)]
pub struct ListenerOptions {
    /// The listener's policy and per-host overrides (chosen by SNI).
    pub policies: HostPolicies,
    /// Connection cap.
    pub max_connections: usize,
    /// Concurrent connections per client IP.
    pub max_connections_per_ip: u32,
    /// Every connection starts with a PROXY v2 header.
    pub proxy_protocol: bool,
    /// A connection older than this is asked to close.
    pub max_connection_age: Duration,
    /// A connection asked to close is dropped after this.
    pub close_timeout: Duration,
    /// HTTP/2 limits.
    pub h2: H2Limits,
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
        let per_ip = Arc::new(IpSlots::new(self.opts.max_connections_per_ip));
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
                refuse("max_connections");
                drop(stream);
                continue;
            };
            let configs = self.configs.clone();
            let opts = opts.clone();
            let proxy = self.proxy.clone();
            let shutdown = shutdown.clone();
            let builder = builder.clone();
            let per_ip = per_ip.clone();
            tokio::spawn(async move {
                // Boxed: the admission and handshake state is freed once
                // done instead of sizing the connection's task for its
                // lifetime.
                let Some((stream, peer, trusted_peer, slot)) =
                    Box::pin(admit(stream, peer, &proxy, &opts, &per_ip)).await
                else {
                    return;
                };
                let Some((tls, facts, pending)) =
                    Box::pin(handshake(stream, peer, &configs, &opts)).await
                else {
                    return;
                };
                let meter = opts.reporter.meter(facts.kx_group, facts.pqc);
                let mut conn = ConnInfo::new(peer, facts);
                conn.session = pending;
                conn.meter = meter;
                conn.trusted_peer = trusted_peer;
                conn.guard = Some(Arc::new(ConnGuard::new(permit, slot)));
                serve_connection(tls, conn, proxy, &opts, &builder, &shutdown).await;
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

/// Counts a connection closed before its handshake.
fn refuse(reason: &'static str) {
    metrics::counter!("qsgw_connections_total", "kx_group" => "refused").increment(1);
    metrics::counter!("qsgw_connections_refused_total", "reason" => reason).increment(1);
}

/// A connection's place under the caps, held until the connection (or the
/// upgraded tunnel it became) ends; counted in `qsgw_connections_active`.
#[derive(Debug)]
pub struct ConnGuard {
    _permit: OwnedSemaphorePermit,
    _slot: Option<IpSlot>,
}

impl ConnGuard {
    fn new(permit: OwnedSemaphorePermit, slot: Option<IpSlot>) -> Self {
        metrics::gauge!("qsgw_connections_active").increment(1.0);
        Self {
            _permit: permit,
            _slot: slot,
        }
    }
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        metrics::gauge!("qsgw_connections_active").decrement(1.0);
    }
}

/// Open connections per client IP, in shards so accepting connections from
/// many clients does not contend on one lock.
#[derive(Debug)]
struct IpSlots {
    cap: u32,
    shards: Vec<std::sync::Mutex<HashMap<IpAddr, u32>>>,
}

const IP_SHARDS: usize = 16;

impl IpSlots {
    fn new(cap: u32) -> Self {
        Self {
            cap,
            shards: (0..IP_SHARDS)
                .map(|_| std::sync::Mutex::default())
                .collect(),
        }
    }

    fn shard(&self, ip: IpAddr) -> std::sync::MutexGuard<'_, HashMap<IpAddr, u32>> {
        let n = match ip {
            IpAddr::V4(v4) => usize::from(v4.octets()[3]),
            IpAddr::V6(v6) => usize::from(v6.octets()[15]),
        };
        self.shards[n % IP_SHARDS]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A slot for `ip`, or `None` when it has `cap` connections open.
    fn acquire(self: &Arc<Self>, ip: IpAddr) -> Option<IpSlot> {
        let mut map = self.shard(ip);
        let n = map.entry(ip).or_insert(0);
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        drop(map);
        Some(IpSlot {
            slots: self.clone(),
            ip,
        })
    }
}

/// One open connection of one client IP.
#[derive(Debug)]
struct IpSlot {
    slots: Arc<IpSlots>,
    ip: IpAddr,
}

impl Drop for IpSlot {
    fn drop(&mut self) {
        let mut map = self.slots.shard(self.ip);
        if let Some(n) = map.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// Before the handshake: the PROXY header (when configured; only from a
/// trusted proxy), then the per-IP cap on the client it names. A trusted
/// proxy without PROXY protocol carries many clients and is not capped per
/// IP. Returns the stream, the client address, whether the TCP peer is a
/// trusted proxy (its `X-Forwarded-For` then counts), and the IP slot.
async fn admit(
    mut stream: TcpStream,
    peer: SocketAddr,
    proxy: &Proxy,
    opts: &ListenerOptions,
    per_ip: &Arc<IpSlots>,
) -> Option<(TcpStream, SocketAddr, bool, Option<IpSlot>)> {
    let trusted = proxy.edge().is_trusted(peer.ip());
    let mut client = peer;
    if opts.proxy_protocol {
        if !trusted {
            refuse("proxy_untrusted");
            tracing::debug!(%peer, "PROXY protocol connection from an address not in QSGW_TRUSTED_PROXIES; closed");
            return None;
        }
        match tokio::time::timeout(
            HANDSHAKE_TIMEOUT,
            crate::proxy_protocol::read_v2(&mut stream),
        )
        .await
        {
            Ok(Ok(Some(src))) => client = src,
            Ok(Ok(None)) => {}
            Ok(Err(e)) => {
                refuse("proxy_header");
                metrics::counter!("qsgw_proxy_protocol_errors_total", "reason" => e.label())
                    .increment(1);
                return None;
            }
            Err(_) => {
                refuse("proxy_header");
                metrics::counter!("qsgw_proxy_protocol_errors_total", "reason" => "timeout")
                    .increment(1);
                return None;
            }
        }
    }
    // With PROXY protocol the header names the client; without it, a
    // trusted proxy's connection carries many clients.
    let slot = if trusted && !opts.proxy_protocol {
        None
    } else {
        match per_ip.acquire(client.ip()) {
            Some(s) => Some(s),
            None => {
                refuse("per_ip");
                return None;
            }
        }
    };
    // With PROXY protocol the named client is who the request path sees;
    // its X-Forwarded-For (if any) is not believed.
    let trusted_peer = trusted && !opts.proxy_protocol;
    Some((stream, client, trusted_peer, slot))
}

/// The HTTP/2 limits, all explicit (hyper's defaults change between
/// releases): streams, header list, flow-control windows (fixed, not
/// adaptive, so one client cannot grow our buffers), and the bound on
/// rapid resets.
macro_rules! h2_limits {
    ($b:expr, $opts:expr) => {{
        let opts: &ListenerOptions = $opts;
        $b.timer(TokioTimer::new())
            .max_header_list_size(u32::try_from(opts.max_header_bytes).unwrap_or(u32::MAX))
            .max_concurrent_streams(opts.h2.max_concurrent_streams)
            .initial_stream_window_size(opts.h2.stream_window)
            .initial_connection_window_size(opts.h2.connection_window)
            .adaptive_window(false)
            .max_pending_accept_reset_streams(opts.h2.max_pending_resets);
    }};
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
        h2_limits!(http2, opts);
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
        h2_limits!(auto.http2(), opts);
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
    conn: ConnInfo,
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
    Box::pin(serve_http(tls, conn, proxy, opts, builders, shutdown)).await;
}

/// Serves HTTP once the client has spoken; see [`serve_connection`].
async fn serve_http(
    tls: tokio_rustls::server::TlsStream<TcpStream>,
    conn: ConnInfo,
    proxy: Proxy,
    opts: &ListenerOptions,
    builders: &HttpBuilders,
    shutdown: &CancellationToken,
) {
    let kx_group = conn.tls.kx_group;
    let alpn = conn.tls.alpn;
    let shared = Arc::new(ConnShared {
        proxy,
        conn,
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
        max_age: opts.max_connection_age,
        close_timeout: opts.close_timeout,
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

/// Watches a connection being served: graceful close (HTTP/2 GOAWAY,
/// HTTP/1.1 close after the answer in flight) on shutdown, idleness or
/// maximum age, then dropped if it has not closed within the close
/// timeout (a client that never acknowledges the GOAWAY); dropped at once
/// when an HTTP/1.1 request head does not arrive in time.
struct Watch<'a> {
    activity: &'a Activity,
    idle_timeout: Duration,
    /// HTTP/1.1 only (HTTP/2 clients send frames with no request pending).
    header_timeout: Option<Duration>,
    max_age: Duration,
    close_timeout: Duration,
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
        let age = tokio::time::sleep(self.max_age);
        let mut age = std::pin::pin!(age);
        // Armed when a graceful close begins.
        let deadline = tokio::time::sleep(Duration::MAX / 4);
        let mut deadline = std::pin::pin!(deadline);
        let close_by = |deadline: std::pin::Pin<&mut tokio::time::Sleep>| {
            deadline.reset(tokio::time::Instant::now() + self.close_timeout);
        };
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
                    close_by(deadline.as_mut());
                }
                () = age.as_mut(), if !closing => {
                    metrics::counter!("qsgw_connections_max_age_closed_total").increment(1);
                    graceful(conn.as_mut());
                    closing = true;
                    close_by(deadline.as_mut());
                }
                () = deadline.as_mut(), if closing => {
                    metrics::counter!("qsgw_connections_close_timeout_total").increment(1);
                    tracing::debug!(kx_group = %self.kx_group, "connection did not close in time after being asked; dropped");
                    return;
                }
                stall = self.activity.stalled(self.idle_timeout, self.header_timeout), if !closing => {
                    match stall {
                        Stall::Idle => {
                            metrics::counter!("qsgw_connections_idle_closed_total").increment(1);
                            graceful(conn.as_mut());
                            closing = true;
                            close_by(deadline.as_mut());
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

/// Whether a request began or ended lately, how many requests a
/// connection is serving, and whether a request head has begun to arrive.
/// Idleness counts requests, not bytes: HTTP/2 PINGs, SETTINGS or
/// WINDOW_UPDATE frames alone do not keep a connection open. The I/O path
/// only sets flags (no clock read or timer per read, write or request); the
/// watchdog samples them.
#[derive(Debug, Default)]
struct Activity {
    /// A request began or ended since the last sample.
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
    fn touch_read(&self) {
        self.partial.store(true, Relaxed);
    }

    fn begin(&self) -> Busy<'_> {
        self.moved.store(true, Relaxed);
        self.busy.fetch_add(1, Relaxed);
        self.started.fetch_add(1, Relaxed);
        self.partial.store(false, Relaxed);
        Busy(self)
    }

    /// Resolves once no request began, ended or was in flight for `idle`,
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

/// The TLS stream, noting that bytes of a request head arrived and
/// counting application bytes both ways for the sensor.
struct Tracked<T> {
    inner: T,
    shared: Arc<ConnShared>,
}

impl<T> Tracked<T> {
    fn wrote(&self, r: &std::task::Poll<std::io::Result<usize>>) {
        if let (std::task::Poll::Ready(Ok(n)), Some(m)) = (r, &self.shared.conn.meter) {
            m.wrote(*n);
        }
    }
}

impl<T: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Tracked<T> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        if n > 0 {
            self.shared.activity.touch_read();
            if let Some(m) = &self.shared.conn.meter {
                m.read(n);
            }
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
        self.wrote(&r);
        r
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.wrote(&r);
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
    sig_algs: Vec<String>,
    policy: TlsPolicy,
}

async fn handshake(
    stream: TcpStream,
    peer: SocketAddr,
    configs: &ArcSwap<TlsConfigs>,
    opts: &ListenerOptions,
) -> Option<(
    tokio_rustls::server::TlsStream<TcpStream>,
    TlsFacts,
    Option<Arc<PendingSession>>,
)> {
    let started = Instant::now();
    let mut hello: Option<Hello> = None;
    let mut served_cert = "unknown";
    let work = async {
        let start = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), stream).await?;
        let ch = start.client_hello();
        let sni = ch.server_name().map(|s| s.to_ascii_lowercase());
        if sni.is_none() {
            // No SNI, or one rustls refused to read (an IP address, which
            // RFC 6066 §3 forbids): counted, where rustls alone would log a
            // warning per handshake for any client to flood the log with.
            metrics::counter!("qsgw_tls_handshakes_without_sni_total").increment(1);
        }
        let policy = *opts.policies.of(sni.as_deref());
        let loaded = configs.load();
        let profile = loaded.profile(sni.as_deref());
        let recorded = opts.reporter.is_enabled();
        if recorded {
            // The chain the resolver will pick, for the session record.
            served_cert = profile
                .chains()
                .choose(ch.signature_schemes())
                .map_or("unknown", |(_, alg)| alg);
        }
        hello = Some(Hello {
            sni,
            offered: ch.named_groups().map(<[_]>::to_vec).unwrap_or_default(),
            // Named only when a record will carry them.
            sig_algs: if recorded {
                ch.signature_schemes()
                    .iter()
                    .filter_map(|s| tls::offered_sig_alg_name(*s))
                    .take(tls::MAX_OFFERED_SIG_ALGS)
                    .collect()
            } else {
                Vec::new()
            },
            policy,
        });
        let config = profile
            .config(policy)
            .ok_or_else(|| std::io::Error::other("no TLS config for policy"))?;
        drop(loaded);
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
            let pending = opts.reporter.is_enabled().then(|| {
                let (offered_groups, offered_sig_algs, policy) = hello
                    .map(|h| (offered_names(&h.offered), h.sig_algs, h.policy.as_str()))
                    .unwrap_or_default();
                let rec = TlsSessionRecord {
                    id: Some(TlsSessionRecord::new_id()),
                    gateway_id: None,
                    client_ip: peer.ip().to_string(),
                    sni: facts.sni.clone(),
                    protocol_version: Some(facts.protocol.to_owned()),
                    cipher_suite: Some(facts.cipher_suite.to_owned()),
                    kx_group: Some(facts.kx_group.to_owned()),
                    pqc: facts.pqc,
                    resumed: false,
                    alpn: facts.alpn.map(str::to_owned),
                    handshake_duration_us: i64::try_from(elapsed.as_micros()).ok(),
                    established_at: chrono::Utc::now(),
                    outcome: Some("established".into()),
                    failure_reason: None,
                    offered_groups: Some(offered_groups),
                    offered_sig_algs: Some(offered_sig_algs),
                    cert_algorithm: Some(served_cert.into()),
                    policy: Some(policy.into()),
                    route_id: None,
                    client_family: None,
                };
                Arc::new(PendingSession::new(rec, opts.reporter.clone()))
            });
            Some((tls, facts, pending))
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
fn failed_session(peer: SocketAddr, h: Hello, error: &str, elapsed: Duration) -> TlsSessionRecord {
    let offered = offered_names(&h.offered);
    let any_pq = h.offered.iter().any(|g| tls::is_post_quantum(*g));
    let reason = format!(
        "{error}; policy {}; client offered groups [{}]{}",
        h.policy.as_str(),
        offered.join(", "),
        if any_pq { "" } else { " (none post-quantum)" }
    );
    TlsSessionRecord {
        id: Some(TlsSessionRecord::new_id()),
        gateway_id: None,
        client_ip: peer.ip().to_string(),
        sni: h.sni,
        protocol_version: None,
        cipher_suite: None,
        kx_group: None,
        pqc: false,
        resumed: false,
        alpn: None,
        handshake_duration_us: i64::try_from(elapsed.as_micros()).ok(),
        established_at: chrono::Utc::now(),
        outcome: Some("failed".into()),
        failure_reason: Some(crate::proxy::clip(&reason, 500).to_owned()),
        offered_groups: Some(offered),
        offered_sig_algs: Some(h.sig_algs),
        cert_algorithm: None,
        policy: Some(h.policy.as_str().into()),
        route_id: None,
        client_family: None,
    }
}

/// The offered groups as recorded: GREASE left out, at most
/// [`tls::MAX_OFFERED_GROUPS`].
fn offered_names(offered: &[rustls::NamedGroup]) -> Vec<String> {
    offered
        .iter()
        .filter_map(|g| tls::offered_group_name(*g))
        .take(tls::MAX_OFFERED_GROUPS)
        .collect()
}
