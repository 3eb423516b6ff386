//! Balancing, ejection and recovery of targets, retries, rate limits and
//! upgrade pass-through, against real servers on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use serde_json::Value;
use shared::ids::UpstreamId;
use shared::qsgw::{ConfigSnapshot, LbPolicy, PathMatch, RouteRateLimit};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn name_of(c: &reqwest::Client, url: &str) -> Result<String, u16> {
    let r = c.get(url).send().await.unwrap();
    if r.status() != 200 {
        return Err(r.status().as_u16());
    }
    let v: Value = r.json().await.unwrap();
    Ok(v["name"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_target_is_ejected_traffic_continues_and_it_returns_when_healthy() {
    let (a, _ta) = named_server("a").await;
    let (b, tb) = named_server("b").await;
    let up_id = UpstreamId::new();
    let mut up = upstream(&up_id, &[a, b]);
    up.health_check.enabled = true;
    up.health_check.path = "/health".into();
    up.health_check.interval_ms = 200;
    up.health_check.timeout_ms = 200;
    up.health_check.healthy_threshold = 1;
    up.health_check.unhealthy_threshold = 1;
    up.ejection.after_failures = 1;
    up.ejection.duration_ms = 500;
    let mut r = route("/", PathMatch::Prefix, &up_id);
    r.retries = 1;
    let g = start_standalone(
        &ConfigSnapshot {
            revision: 1,
            routes: vec![r],
            upstreams: vec![up],
        },
        &[],
    )
    .await;
    let c = https_client(&g);

    let mut seen = HashMap::new();
    for _ in 0..10 {
        *seen
            .entry(name_of(&c, &url(&g, "/x")).await.unwrap())
            .or_insert(0) += 1;
    }
    assert_eq!((seen["a"], seen["b"]), (5, 5), "round robin spreads evenly");

    // Kill b: every request still succeeds (retried on a, then b is out).
    tb.abort();
    let _ = tb.await;
    for _ in 0..20 {
        assert_eq!(name_of(&c, &url(&g, "/x")).await.unwrap(), "a");
    }
    let metrics = g.metrics().await;
    let b_line = metrics
        .lines()
        .find(|l| l.starts_with("qsgw_upstream_health") && l.contains(&format!("{b}")))
        .unwrap();
    assert!(b_line.ends_with(" 0"), "{b_line}");

    // b comes back on the same port: health checks bring it back.
    let listener = tokio::net::TcpListener::bind(b).await.unwrap();
    let (_b2, _tb2) = named_server_on(listener, "b").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if name_of(&c, &url(&g, "/x")).await.unwrap() == "b" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "b never came back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    g.stop().await;
}

#[tokio::test]
async fn least_connections_and_weights() {
    let (a, _ta) = named_server("a").await;
    let (b, _tb) = named_server("b").await;
    let up_id = UpstreamId::new();
    let mut up = upstream(&up_id, &[a, b]);
    up.lb_policy = LbPolicy::Weighted;
    up.targets[0].weight = 3;
    up.targets[1].weight = 1;
    let g = start_standalone(
        &ConfigSnapshot {
            revision: 1,
            routes: vec![route("/", PathMatch::Prefix, &up_id)],
            upstreams: vec![up],
        },
        &[],
    )
    .await;
    let c = https_client(&g);
    let mut seen = HashMap::new();
    for _ in 0..40 {
        *seen
            .entry(name_of(&c, &url(&g, "/")).await.unwrap())
            .or_insert(0) += 1;
    }
    assert_eq!((seen["a"], seen["b"]), (30, 10));
    g.stop().await;
}

#[tokio::test]
async fn rate_limit_answers_429_after_the_burst_and_routes_can_override() {
    let (a, _ta) = named_server("a").await;
    let up_id = UpstreamId::new();
    let mut generous = route("/generous", PathMatch::Prefix, &up_id);
    generous.rate_limit = Some(RouteRateLimit {
        rps: 1000,
        burst: 1000,
    });
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![route("/strict", PathMatch::Prefix, &up_id), generous],
        upstreams: vec![upstream(&up_id, &[a])],
    };
    let g = start_standalone(&snap, &["--rate-limit-rps", "1", "--rate-limit-burst", "3"]).await;
    let c = https_client(&g);
    for _ in 0..3 {
        assert_eq!(
            c.get(url(&g, "/strict")).send().await.unwrap().status(),
            200
        );
    }
    let r = c.get(url(&g, "/strict")).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(
        r.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    for _ in 0..20 {
        assert_eq!(
            c.get(url(&g, "/generous")).send().await.unwrap().status(),
            200
        );
    }
    g.stop().await;
}

#[tokio::test]
async fn upgrade_passes_through_and_echoes() {
    let (a, _ta) = named_server("a").await;
    let up_id = UpstreamId::new();
    let g = start_standalone(
        &ConfigSnapshot {
            revision: 1,
            routes: vec![route("/", PathMatch::Prefix, &up_id)],
            upstreams: vec![upstream(&up_id, &[a])],
        },
        &[],
    )
    .await;
    let (head, mut tls) = upgrade(&g).await;
    assert!(head.starts_with("http/1.1 101"), "{head}");
    assert!(head.contains("upgrade: echo"), "{head}");
    let msg = b"ping through the quantum-safe tunnel";
    tls.write_all(msg).await.unwrap();
    tls.flush().await.unwrap();
    let mut echoed = vec![0u8; msg.len()];
    tokio::time::timeout(Duration::from_secs(5), tls.read_exact(&mut echoed))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&echoed, msg);
    g.stop().await;
}

/// A server that counts the requests to its health path and remembers the
/// last `Host` it was sent.
async fn health_counter() -> (
    std::net::SocketAddr,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
    std::sync::Arc<std::sync::Mutex<String>>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    let hits = Arc::new(AtomicUsize::new(0));
    let host = Arc::new(Mutex::new(String::new()));
    let (h, last) = (hits.clone(), host.clone());
    let app = axum::Router::new().route(
        "/health",
        axum::routing::get(move |headers: axum::http::HeaderMap| {
            let (h, last) = (h.clone(), last.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                *last.lock().unwrap() = headers
                    .get("host")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                "ok"
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (addr, hits, host)
}

fn checked_upstream(id: &UpstreamId, target: std::net::SocketAddr) -> shared::qsgw::UpstreamConfig {
    let mut up = upstream(id, &[target]);
    up.targets[0].host = "localhost".into();
    up.health_check.enabled = true;
    up.health_check.path = "/health".into();
    up.health_check.interval_ms = 100;
    up.health_check.timeout_ms = 500;
    up
}

/// Issue 17 item 7: active health checks dial through the same target
/// guard as proxied requests. A target whose name resolves to loopback
/// (here `localhost`, as a DNS-rebinding name would) gets no request from
/// the gateway unless loopback is allowed, and is reported unhealthy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_checks_do_not_reach_refused_addresses() {
    use std::sync::atomic::Ordering;
    let (addr, hits, host) = health_counter().await;
    let up_id = UpstreamId::new();
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![route("/", PathMatch::Prefix, &up_id)],
        upstreams: vec![checked_upstream(&up_id, addr)],
    };
    // Only a documentation range is allowed: loopback is refused.
    let g = start_standalone(&snap, &["--allowed-private-targets", "192.0.2.0/24"]).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        hits.load(Ordering::SeqCst),
        0,
        "no health check reached loopback"
    );
    let metrics = g.metrics().await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("qsgw_upstream_address_refused_total") && !l.ends_with(" 0")),
        "{metrics}"
    );
    g.stop().await;

    // Allowed (as `make run` allows loopback): the checks arrive, naming
    // the target in Host.
    let g = start_standalone(&snap, &[]).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while hits.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no health check arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(*host.lock().unwrap(), format!("localhost:{}", addr.port()));
    g.stop().await;
}
