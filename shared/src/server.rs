//! Serving with graceful shutdown.
//!
//! SIGTERM or SIGINT cancel the [`Shutdown`] token. Readiness turns 503 at
//! once, the listener stops accepting, in-flight requests complete, and if
//! draining takes longer than the grace period [`HttpServer::serve`] returns
//! anyway, so `main` returns and the process exit closes what is left. Background tasks watch the same token to flush and stop.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Default drain time (the spec's 30 s).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(30);

/// The process-wide shutdown signal.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
}

impl Shutdown {
    /// A token not yet triggered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels the token when SIGTERM or SIGINT arrives; a second signal
    /// during the drain exits at once (status 130), so an operator is never
    /// stuck behind a drain that does not finish.
    pub fn listen_for_signals(&self) {
        let token = self.token.clone();
        tokio::spawn(async move {
            let mut signals = Signals::new();
            signals.recv().await;
            tracing::info!("shutdown signal received, draining");
            token.cancel();
            signals.recv().await;
            tracing::warn!("second shutdown signal, exiting without waiting for the drain");
            std::process::exit(130);
        });
    }

    /// Triggers shutdown (tests, fatal errors).
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// The underlying token (give clones to background tasks).
    pub fn token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// Resolves once shutdown is triggered.
    pub async fn cancelled(&self) {
        self.token.cancelled().await;
    }
}

/// SIGTERM and SIGINT, registered once so that no signal between two
/// waits is lost.
struct Signals {
    #[cfg(unix)]
    streams: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let streams = match (
                signal(SignalKind::terminate()),
                signal(SignalKind::interrupt()),
            ) {
                (Ok(term), Ok(int)) => Some((term, int)),
                _ => None,
            };
            Self { streams }
        }
        #[cfg(not(unix))]
        Self {}
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        if let Some((term, int)) = self.streams.as_mut() {
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Transport limits of an API listener (issue 16 item 10).
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Longest time a client may take to send a request's headers
    /// (`*_HEADER_TIMEOUT_SECS`); a slow-header (slowloris) connection is
    /// closed after it.
    pub header_timeout: Duration,
    /// Most connections served at once (`*_MAX_CONNECTIONS`); further
    /// clients wait in the kernel's accept backlog.
    pub max_connections: usize,
}

impl Default for ServerLimits {
    /// 10 s to send the headers, 10,000 connections.
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            max_connections: 10_000,
        }
    }
}

/// A bound listener and the router it will serve.
#[derive(Debug)]
pub struct HttpServer {
    listener: TcpListener,
    router: Router,
    limits: ServerLimits,
}

impl HttpServer {
    /// Binds `host:port` (port 0 picks a free port).
    pub async fn bind(host: &str, port: u16, router: Router) -> std::io::Result<Self> {
        let listener = TcpListener::bind((host, port)).await?;
        Ok(Self::from_listener(listener, router))
    }

    /// Serves on an existing listener.
    pub fn from_listener(listener: TcpListener, router: Router) -> Self {
        Self {
            listener,
            router,
            limits: ServerLimits::default(),
        }
    }

    /// Sets the header-read timeout and the connection cap.
    #[must_use]
    pub fn with_limits(mut self, limits: ServerLimits) -> Self {
        self.limits = limits;
        self
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` fires, then drains for at most `grace`.
    ///
    /// hyper-util's auto (HTTP/1.1 + h2c) connection builder with a timer,
    /// so the header-read timeout applies (axum::serve sets no timer, and a
    /// client sending one header byte at a time kept its connection
    /// forever); a semaphore caps open connections.
    pub async fn serve(self, shutdown: Shutdown, grace: Duration) -> std::io::Result<()> {
        use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
        use hyper_util::server::conn::auto::Builder;

        let addr = self.listener.local_addr()?;
        let token = shutdown.token();
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_timeout);
        builder
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(Some(Duration::from_secs(30)));
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(
            self.limits.max_connections.max(1),
        ));
        tracing::info!(%addr, max_connections = self.limits.max_connections, header_timeout_secs = self.limits.header_timeout.as_secs(), "listening");
        loop {
            let permit = tokio::select! {
                () = token.cancelled() => break,
                p = permits.clone().acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            let (stream, peer) = tokio::select! {
                () = token.cancelled() => break,
                r = self.listener.accept() => match r {
                    Ok(c) => c,
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
            };
            let _ = stream.set_nodelay(true);
            let router = self.router.clone();
            let svc = hyper::service::service_fn(
                move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    let mut router = router.clone();
                    async move {
                        use tower::Service;
                        router.call(req.map(axum::body::Body::new)).await
                    }
                },
            );
            let conn = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                .into_owned();
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, %peer, "connection ended with an error");
                }
                drop(permit);
            });
        }
        drop(self.listener);
        tokio::select! {
            () = graceful.shutdown() => {
                tracing::info!(%addr, "stopped");
            }
            () = tokio::time::sleep(grace) => {
                tracing::warn!(%addr, grace_secs = grace.as_secs(), "drain timed out, dropping remaining connections");
            }
        }
        Ok(())
    }
}

/// Builds the tokio runtime with `workers` threads (default: one per core)
/// and at most `blocking` blocking threads.
pub fn runtime(
    workers: Option<usize>,
    blocking: Option<usize>,
) -> std::io::Result<tokio::runtime::Runtime> {
    // One worker: the current-thread scheduler (no work-stealing queues or
    // cross-thread wake-ups to pay for when there is nobody to steal from).
    let mut b = if workers == Some(1) {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    b.enable_all();
    if let Some(n) = workers.filter(|n| *n > 1) {
        b.worker_threads(n);
    }
    if let Some(n) = blocking.filter(|n| *n > 0) {
        b.max_blocking_threads(n);
    }
    b.build()
}

/// Installs aws-lc-rs as rustls's process-wide crypto provider. Must run
/// before any TLS object is built: sqlx and others pull in `ring` as well,
/// and rustls refuses to choose between two providers on its own.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Process settings for [`run_main`].
#[derive(Debug, Clone, Copy)]
pub struct MainOptions {
    /// Service name (logs, metrics).
    pub name: &'static str,
    /// Minimum level of the JSON log lines on stdout (the service's
    /// `*_LOG_LEVEL`; `RUST_LOG` is not read); dependencies log at `warn`
    /// unless this is `trace`.
    pub log_level: crate::config::LogLevel,
    /// Tokio worker threads (None = one per core).
    pub workers: Option<usize>,
    /// Cap on tokio's blocking-thread pool (file reads, CPU-heavy work moved
    /// off the workers); None or 0 keeps tokio's default.
    pub blocking: Option<usize>,
}

/// The body of every service's `main`, after its settings are validated:
/// telemetry, crypto provider, runtime, signal handling; `start` builds the
/// application and returns the future that serves it. Start-up failures
/// are logged and exit 1; a clean drain exits 0.
pub fn run_main<F, Fut, R>(opts: MainOptions, start: F) -> std::process::ExitCode
where
    F: FnOnce(Shutdown) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<R>>,
    R: std::future::Future<Output = std::io::Result<()>>,
{
    use std::process::ExitCode;
    crate::telemetry::init(opts.name, opts.log_level);
    install_crypto_provider();
    let rt = match runtime(opts.workers, opts.blocking) {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let serve = rt.block_on(async {
        let shutdown = Shutdown::new();
        shutdown.listen_for_signals();
        start(shutdown).await
    });
    let serve = match serve {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "start-up failed");
            // Exit without dropping the runtime: dropping it cancels the
            // tasks the failed start had spawned in no set order, and a task
            // inside etcd-client's `Client::connect` then unwraps a send to
            // the channel worker dropped before it, a panic printed after
            // the real error. Nothing is left to drain: nothing served yet.
            std::mem::forget(rt);
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async {
        match serve.await {
            Ok(()) => {
                tracing::info!("stopped cleanly");
                ExitCode::SUCCESS
            }
            Err(e) => {
                tracing::error!(error = %e, "server failed");
                ExitCode::FAILURE
            }
        }
    })
}
