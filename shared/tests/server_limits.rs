//! Issue 16 item 10: API listeners close slow-header (slowloris)
//! connections after the header-read timeout and serve at most
//! `max_connections` at once. Real sockets on port 0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use shared::server::{HttpServer, ServerLimits, Shutdown};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn start(limits: ServerLimits) -> (std::net::SocketAddr, Shutdown) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = Router::new().route("/", get(|| async { "ok" }));
    let shutdown = Shutdown::new();
    let server = HttpServer::from_listener(listener, router).with_limits(limits);
    tokio::spawn(server.serve(shutdown.clone(), Duration::from_secs(1)));
    (addr, shutdown)
}

/// Reads until EOF or `within`; returns what was read and whether the
/// peer closed.
async fn read_until_close(s: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&buf).into_owned(), true),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => return (String::from_utf8_lossy(&buf).into_owned(), false),
        }
    }
}

#[tokio::test]
async fn slow_headers_are_cut_off_after_the_timeout() {
    let (addr, shutdown) = start(ServerLimits {
        header_timeout: Duration::from_secs(1),
        max_connections: 100,
    })
    .await;
    // A slowloris client: the request line and one header, then a byte
    // now and then, never the blank line that ends the headers.
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let started = Instant::now();
    let dribble = async {
        for _ in 0..20 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if s.write_all(b"X").await.is_err() {
                break;
            }
        }
    };
    dribble.await;
    let (_, closed) = read_until_close(&mut s, Duration::from_secs(3)).await;
    assert!(
        closed,
        "connection still open after {:?}",
        started.elapsed()
    );
    // A well-behaved client is served.
    let mut ok = TcpStream::connect(addr).await.unwrap();
    ok.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (resp, _) = read_until_close(&mut ok, Duration::from_secs(5)).await;
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    shutdown.trigger();
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_for_a_free_slot() {
    let (addr, shutdown) = start(ServerLimits {
        header_timeout: Duration::from_secs(30),
        max_connections: 1,
    })
    .await;
    // The one slot: an idle connection that sent nothing yet.
    let idle = TcpStream::connect(addr).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut second = TcpStream::connect(addr).await.unwrap();
    second
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (resp, _) = read_until_close(&mut second, Duration::from_millis(700)).await;
    assert!(resp.is_empty(), "served beyond the cap: {resp}");
    // Free the slot: the waiting client is served.
    drop(idle);
    let (resp, _) = read_until_close(&mut second, Duration::from_secs(5)).await;
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    shutdown.trigger();
}
