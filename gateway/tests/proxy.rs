//! Proxying through the real gateway to a real upstream on port 0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use shared::ids::UpstreamId;
use shared::qsgw::{ConfigSnapshot, PathMatch, Target};

#[tokio::test]
async fn forwards_with_forwarding_headers_and_strip_prefix() {
    let echo = echo_upstream().await;
    let up = UpstreamId::new();
    let mut r = route("/svc", PathMatch::Prefix, &up);
    r.strip_prefix = true;
    let snap = ConfigSnapshot {
        revision: 3,
        routes: vec![r],
        upstreams: vec![upstream(&up, &[echo.addr])],
    };
    let g = start_standalone(&snap, &[]).await;
    let c = https_client(&g);

    let resp = c
        .get(url(&g, "/svc/items/1?x=1"))
        .header("x-request-id", "trace-42")
        .header("connection", "keep-alive, x-secret-hop")
        .header("x-secret-hop", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["x-request-id"], "trace-42");
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["path"], "/items/1");
    assert_eq!(body["query"], "x=1");
    let h = &body["headers"];
    assert_eq!(h["x-forwarded-for"], "127.0.0.1");
    assert_eq!(h["x-forwarded-proto"], "https");
    assert!(h["x-forwarded-host"]
        .as_str()
        .unwrap()
        .starts_with("localhost"));
    assert_eq!(h["x-request-id"], "trace-42");
    assert!(
        h.get("x-secret-hop").is_none(),
        "headers named in Connection are not forwarded"
    );

    // POST bodies stream through.
    let resp = c
        .post(url(&g, "/svc/upload"))
        .body(vec![7u8; 300_000])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["method"], "POST");
    assert_eq!(
        (body["body_len"].as_u64(), body["body_sum"].as_u64()),
        (Some(300_000), Some(2_100_000))
    );
    g.stop().await;
}

async fn problem(resp: reqwest::Response, status: u16) -> Value {
    assert_eq!(resp.status().as_u16(), status);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["status"], status);
    v
}

#[tokio::test]
async fn error_classes_are_problem_json() {
    let echo = echo_upstream().await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    }; // dropped: nothing listens there
    let (ok, refused, empty) = (UpstreamId::new(), UpstreamId::new(), UpstreamId::new());
    let mut slow = route("/slow", PathMatch::Exact, &ok);
    slow.timeout_ms = Some(200);
    let mut drained = upstream(&empty, &[echo.addr]);
    drained.targets = vec![Target {
        host: "127.0.0.1".into(),
        port: echo.addr.port(),
        weight: 0,
    }];
    let mut only_post = route("/post-only", PathMatch::Exact, &ok);
    only_post.methods = vec!["POST".into()];
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![
            slow,
            route("/refused", PathMatch::Prefix, &refused),
            route("/empty", PathMatch::Prefix, &empty),
            only_post,
        ],
        upstreams: vec![
            upstream(&ok, &[echo.addr]),
            upstream(&refused, &[closed]),
            drained,
        ],
    };
    let g = start_standalone(&snap, &[]).await;
    let c = https_client(&g);
    problem(c.get(url(&g, "/nothing-here")).send().await.unwrap(), 404).await;
    problem(c.get(url(&g, "/post-only")).send().await.unwrap(), 405).await;
    problem(c.get(url(&g, "/empty/x")).send().await.unwrap(), 503).await;
    let v = problem(c.get(url(&g, "/refused/x")).send().await.unwrap(), 502).await;
    assert!(v["detail"].as_str().unwrap().contains("refused"));
    let started = std::time::Instant::now();
    problem(c.get(url(&g, "/slow")).send().await.unwrap(), 504).await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the route timeout applied, not the upstream's 3 s"
    );
    g.stop().await;
}

#[tokio::test]
async fn max_connections_refuses_the_extra_connection() {
    let up = UpstreamId::new();
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![route("/", PathMatch::Prefix, &up)],
        upstreams: vec![upstream(&up, &[])],
    };
    let g = start_standalone(&snap, &["--max-connections", "1"]).await;
    let (_, first) = handshake(
        g.tls_addr,
        client_config(pq_groups(), &g.cert_path(), false),
        "localhost",
    )
    .await
    .unwrap();
    let second = handshake(
        g.tls_addr,
        client_config(pq_groups(), &g.cert_path(), false),
        "localhost",
    )
    .await;
    assert!(
        second.is_err(),
        "the second connection is closed before the handshake"
    );
    drop(first);
    // Once the first closes, a new connection is accepted again.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while handshake(
        g.tls_addr,
        client_config(pq_groups(), &g.cert_path(), false),
        "localhost",
    )
    .await
    .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "capacity never came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    g.stop().await;
}

#[tokio::test]
async fn header_count_and_size_limits_answer_431() {
    let echo = echo_upstream().await;
    let up = UpstreamId::new();
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![route("/", PathMatch::Prefix, &up)],
        upstreams: vec![upstream(&up, &[echo.addr])],
    };
    let g = start_standalone(
        &snap,
        &["--max-header-count", "40", "--max-header-bytes", "16384"],
    )
    .await;
    let send = |n: usize, value_len: usize| {
        let g_url = url(&g, "/h");
        let c = https_client(&g);
        async move {
            let mut req = c.get(g_url);
            for i in 0..n {
                req = req.header(format!("x-h-{i}"), "v".repeat(value_len));
            }
            req.send().await.map(|r| r.status().as_u16())
        }
    };
    assert_eq!(send(20, 10).await.unwrap(), 200, "within both limits");
    assert_eq!(send(60, 10).await.unwrap(), 431, "over the count limit");
    assert_eq!(send(10, 4000).await.unwrap(), 431, "over the size limit");
    g.stop().await;
}

#[tokio::test]
async fn silent_connections_are_closed_after_the_idle_timeout_but_slow_requests_finish() {
    use tokio::io::AsyncReadExt;
    let echo = echo_upstream().await;
    let up = UpstreamId::new();
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![route("/", PathMatch::Prefix, &up)],
        upstreams: vec![upstream(&up, &[echo.addr])],
    };
    let g = start_standalone(&snap, &["--idle-timeout-secs", "1"]).await;
    // A client that completes the handshake and never sends a request.
    let (_, mut silent) = handshake(
        g.tls_addr,
        client_config(pq_groups(), &g.cert_path(), false),
        "localhost",
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(8), silent.read(&mut buf))
        .await
        .expect("the gateway closed the silent connection");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "closed, not answered: {read:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
    // A request that takes 3 s upstream is in flight, not idle.
    let r = https_client(&g).get(url(&g, "/slow")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let m = g.metrics().await;
    assert!(m.contains("qsgw_connections_idle_closed_total"), "{m}");
    g.stop().await;
}

/// A gateway started with `flags`, routing `/` to an echo upstream, and
/// one HTTP/1.1 TLS connection to it.
async fn one_connection(
    flags: &[&str],
) -> (
    Gateway,
    shared::test_util::TestServer,
    tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
) {
    let echo = echo_upstream().await;
    let up = UpstreamId::new();
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![route("/", PathMatch::Prefix, &up)],
        upstreams: vec![upstream(&up, &[echo.addr])],
    };
    let g = start_standalone(&snap, flags).await;
    let (_, tls) = handshake(
        g.tls_addr,
        client_config(pq_groups(), &g.cert_path(), false),
        "localhost",
    )
    .await
    .unwrap();
    (g, echo, tls)
}

#[tokio::test]
async fn a_request_head_trickling_in_is_dropped_after_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (g, _echo, tls) =
        one_connection(&["--header-timeout-secs", "1", "--idle-timeout-secs", "60"]).await;
    let (mut rd, mut wr) = tokio::io::split(tls);
    let started = std::time::Instant::now();
    // Slowloris: a header line every 200 ms, so bytes keep moving (the idle
    // timeout never fires) but the head never ends.
    let trickle = tokio::spawn(async move {
        wr.write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\n")
            .await?;
        wr.flush().await?;
        for i in 0..50 {
            tokio::time::sleep(Duration::from_millis(200)).await;
            wr.write_all(format!("x-slow-{i}: y\r\n").as_bytes())
                .await?;
            wr.flush().await?;
        }
        Ok::<_, std::io::Error>(())
    });
    let mut buf = [0u8; 256];
    let read = tokio::time::timeout(Duration::from_secs(10), rd.read(&mut buf))
        .await
        .expect("the gateway dropped the connection");
    let took = started.elapsed();
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "dropped, not answered: {read:?}"
    );
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "dropped after {took:?} (header timeout 1 s)"
    );
    trickle.abort();
    let m = g.metrics().await;
    assert!(m.contains("qsgw_connections_header_timeout_total"), "{m}");
    g.stop().await;
}

#[tokio::test]
async fn idle_keep_alive_connections_outlive_the_header_timeout() {
    use http_body_util::BodyExt;
    let (g, _echo, tls) =
        one_connection(&["--header-timeout-secs", "1", "--idle-timeout-secs", "30"]).await;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .unwrap();
    tokio::spawn(conn);
    // Between requests the connection waits 2.5 s for the next head, more
    // than the header timeout: that is idle time, not a slow head.
    for i in 0..3 {
        let req = http::Request::get(format!("/keep/{i}"))
            .header("host", "localhost")
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .unwrap();
        let resp = sender.send_request(req).await.unwrap();
        assert_eq!(resp.status(), 200, "request {i} on the same connection");
        resp.into_body().collect().await.unwrap();
        tokio::time::sleep(Duration::from_millis(2500)).await;
    }
    assert!(!sender.is_closed(), "the connection is still open");
    g.stop().await;
}

#[tokio::test]
async fn http2_and_alpn_less_clients_are_proxied_to_http1_upstreams() {
    let echo = echo_upstream().await;
    let up = UpstreamId::new();
    let mut r = route("/svc", PathMatch::Prefix, &up);
    r.strip_prefix = true;
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![r, route("/", PathMatch::Prefix, &up)],
        upstreams: vec![upstream(&up, &[echo.addr])],
    };
    let g = start_standalone(&snap, &[]).await;
    for (alpn, version) in [
        (vec![b"h2".to_vec()], reqwest::Version::HTTP_2),
        (Vec::new(), reqwest::Version::HTTP_11),
    ] {
        let mut tls = client_config(pq_groups(), &g.cert_path(), false);
        tls.alpn_protocols = alpn;
        let c = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .resolve("localhost", g.tls_addr)
            .build()
            .unwrap();
        // Stripped prefix (a rewritten target) and an unchanged one.
        for (path, upstream_path) in [("/svc/items/1?x=1", "/items/1"), ("/plain?y=2", "/plain")] {
            let resp = c.get(url(&g, path)).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{version:?} {path}");
            assert_eq!(resp.version(), version);
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["path"], upstream_path, "{version:?}");
            assert!(body["query"].as_str().unwrap().len() == 3, "{body}");
            let h = &body["headers"];
            // HTTP/2 has no Host header: the authority becomes one.
            assert!(
                h["host"].as_str().unwrap().starts_with("localhost"),
                "{version:?}: {h}"
            );
            assert!(h["x-forwarded-host"]
                .as_str()
                .unwrap()
                .starts_with("localhost"));
            assert_eq!(h["x-forwarded-for"], "127.0.0.1");
            assert!(h["x-request-id"].as_str().unwrap().starts_with("req_"));
        }
        // A POST body streams through on either protocol.
        let resp = c
            .post(url(&g, "/svc/upload"))
            .body(vec![9u8; 100_000])
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["body_len"], 100_000, "{version:?}");
    }
    g.stop().await;
}
