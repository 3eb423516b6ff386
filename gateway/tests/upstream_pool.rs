//! The gateway's upstream connection pool against a real upstream server
//! that counts the TCP connections it accepts and still has open.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use shared::ids::UpstreamId;
use shared::qsgw::{ConfigSnapshot, PathMatch};

/// How the test upstream treats its connections.
#[derive(Clone, Copy)]
enum Mode {
    /// Keep-alive; closes a connection idle for this long.
    KeepAlive(Duration),
    /// Answers every request with `Connection: close`.
    Close,
}

struct Counting {
    addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
    open: Arc<AtomicUsize>,
}

impl Counting {
    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }
}

/// An HTTP/1.1 upstream on port 0: `/slow` answers after 300 ms, anything
/// else at once, with body `ok`.
async fn counting_upstream(mode: Mode) -> Counting {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let open = Arc::new(AtomicUsize::new(0));
    let (acc, opn) = (accepted.clone(), open.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            acc.fetch_add(1, Ordering::SeqCst);
            opn.fetch_add(1, Ordering::SeqCst);
            let opn = opn.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(
                    move |req: Request<hyper::body::Incoming>| async move {
                        if req.uri().path() == "/slow" {
                            tokio::time::sleep(Duration::from_millis(300)).await;
                        }
                        let mut resp = Response::new(Full::new(Bytes::from_static(b"ok")));
                        if matches!(mode, Mode::Close) {
                            resp.headers_mut()
                                .insert("connection", "close".parse().unwrap());
                        }
                        Ok::<_, Infallible>(resp)
                    },
                );
                let mut builder = hyper::server::conn::http1::Builder::new();
                builder.timer(TokioTimer::new());
                if let Mode::KeepAlive(idle) = mode {
                    // Waiting this long for the next request closes it.
                    builder.header_read_timeout(idle);
                }
                let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                opn.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    Counting {
        addr,
        accepted,
        open,
    }
}

async fn gateway_for(up_server: &Counting, pool_size: Option<u32>) -> Gateway {
    let up = UpstreamId::new();
    let mut u = upstream(&up, &[up_server.addr]);
    u.pool_size = pool_size;
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![route("/", PathMatch::Prefix, &up)],
        upstreams: vec![u],
    };
    start_standalone(&snap, &[]).await
}

async fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn sequential_requests_reuse_one_upstream_connection() {
    let server = counting_upstream(Mode::KeepAlive(Duration::from_secs(30))).await;
    let g = gateway_for(&server, None).await;
    let c = https_client(&g);
    for i in 0..30 {
        let r = c.get(url(&g, &format!("/n/{i}"))).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "ok");
        // Bodiless answers (HEAD) hand the connection back too.
        let r = c.head(url(&g, &format!("/h/{i}"))).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(
        server.accepted(),
        1,
        "one keep-alive connection for 60 requests"
    );
    g.stop().await;
}

#[tokio::test]
async fn the_upstream_pool_size_caps_the_idle_connections_kept() {
    let server = counting_upstream(Mode::KeepAlive(Duration::from_secs(30))).await;
    let g = gateway_for(&server, Some(2)).await;
    let c = https_client(&g);
    // Eight requests in flight at once need eight upstream connections.
    let burst: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            let u = url(&g, "/slow");
            tokio::spawn(async move { c.get(u).send().await.unwrap().status() })
        })
        .collect();
    for t in burst {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(server.accepted(), 8);
    // Afterwards only `pool_size` of them stay open...
    eventually("idle connections trimmed to the pool size", || {
        server.open() == 2
    })
    .await;
    // ...and are the ones reused: no new connection for sequential traffic.
    for _ in 0..10 {
        assert_eq!(c.get(url(&g, "/x")).send().await.unwrap().status(), 200);
    }
    assert_eq!(server.accepted(), 8);
    g.stop().await;
}

#[tokio::test]
async fn connections_the_upstream_closes_are_not_reused() {
    // `Connection: close` on every answer: each request needs a new one.
    let server = counting_upstream(Mode::Close).await;
    let g = gateway_for(&server, None).await;
    let c = https_client(&g);
    for _ in 0..10 {
        let r = c.get(url(&g, "/x")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "ok");
    }
    assert_eq!(server.accepted(), 10);
    g.stop().await;

    // An upstream that drops keep-alive connections idle for 100 ms: a
    // pooled connection it closed is skipped, not answered with 502.
    let server = counting_upstream(Mode::KeepAlive(Duration::from_millis(100))).await;
    let g = gateway_for(&server, None).await;
    let c = https_client(&g);
    for _ in 0..5 {
        let r = c.get(url(&g, "/x")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    assert_eq!(
        server.accepted(),
        5,
        "a fresh connection after each idle close"
    );
    g.stop().await;
}
