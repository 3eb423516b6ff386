//! Attacks on the gateway's promises, each made the way an outsider would:
//! classical clients on post-quantum routes (rustls with chosen groups, and
//! Debian's curl and `openssl s_client`, OpenSSL 3.0, which offer only
//! classical groups), host and path tricks, forged client identity,
//! connection floods, and the admin listener.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::*;
use serde_json::Value;
use shared::ids::UpstreamId;
use shared::qsgw::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends `head` (a raw HTTP/1.1 request, `Connection: close`) on a fresh
/// TLS connection made with `groups` and `sni`; returns the status and the
/// body. Raw, because HTTP clients canonicalise paths before sending them.
async fn raw(
    g: &Gateway,
    groups: Vec<&'static dyn rustls::crypto::SupportedKxGroup>,
    sni: &str,
    head: &str,
) -> (u16, String) {
    let (_, mut tls) = handshake(
        g.tls_addr,
        client_config(groups, &g.cert_path(), false),
        sni,
    )
    .await
    .unwrap();
    tls.write_all(head.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn get(path: &str, host: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n")
}

/// The JSON in a body that may be chunked (the first `{` to the last `}`).
fn json_in(body: &str) -> Value {
    let (a, b) = (body.find('{').unwrap(), body.rfind('}').unwrap());
    serde_json::from_str(&body[a..=b]).unwrap()
}

fn snap(routes: Vec<RouteConfig>, up: UpstreamConfig) -> ConfigSnapshot {
    ConfigSnapshot {
        revision: 1,
        routes,
        upstreams: vec![up],
    }
}

#[tokio::test]
async fn classical_clients_get_403_on_a_pqc_only_route_and_pq_clients_are_served() {
    let (a, _t) = named_server("a").await;
    let up = UpstreamId::new();
    let mut pq = route("/pq", PathMatch::Prefix, &up);
    pq.tls_policy = Some(TlsPolicy::PqcOnly);
    let open = route("/", PathMatch::Prefix, &up);
    let g = start_standalone(&snap(vec![pq, open], upstream(&up, &[a])), &[]).await;

    // rustls offering only X25519 and P-256: the listener (PQC_PREFERRED)
    // accepts the handshake; the route refuses the request.
    let (status, body) = raw(
        &g,
        classical_groups(),
        "localhost",
        &get("/pq/x", "localhost"),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let p = json_in(&body);
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("PQC_ONLY") && detail.contains("X25519"),
        "{p}"
    );
    assert_eq!(
        raw(
            &g,
            classical_groups(),
            "localhost",
            &get("/other", "localhost")
        )
        .await
        .0,
        200,
        "routes without a policy still serve classical clients"
    );
    // X25519MLKEM768 first: served.
    assert_eq!(
        raw(&g, pq_groups(), "localhost", &get("/pq/x", "localhost"))
            .await
            .0,
        200
    );

    // Debian's curl (OpenSSL 3.0: X25519, P-256, … and no ML-KEM group).
    let port = g.tls_addr.port().to_string();
    let resolve = format!("localhost:{port}:127.0.0.1");
    // Child processes run beside the gateway (same runtime), so awaited.
    let curl = |path: &str| {
        tokio::process::Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "--cacert",
                g.cert_path().to_str().unwrap(),
                "--resolve",
                &resolve,
                &format!("https://localhost:{port}{path}"),
            ])
            .output()
    };
    let out = curl("/pq/x").await.unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "403");
    let out = curl("/other").await.unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
    let m = g.metrics().await;
    assert!(
        m.lines()
            .any(|l| l.starts_with("qsgw_policy_refusals_total{")
                && l.contains("policy=\"PQC_ONLY\"")
                && l.contains("status=\"403\"")),
        "{m}"
    );
    g.stop().await;
}

#[tokio::test]
async fn a_pqc_only_host_reached_through_another_sni_answers_421() {
    let (a, _t) = named_server("a").await;
    let up = UpstreamId::new();
    let g = start_standalone(
        &snap(
            vec![route("/", PathMatch::Prefix, &up)],
            upstream(&up, &[a]),
        ),
        &["--tls-sni-policies", "pq.example.com=PQC_ONLY"],
    )
    .await;
    // The classical client cannot shake hands under pq.example.com…
    assert!(handshake(
        g.tls_addr,
        client_config(classical_groups(), &g.cert_path(), false),
        "pq.example.com"
    )
    .await
    .is_err());
    // …so it shakes hands as localhost and asks for pq.example.com.
    let (status, body) = raw(
        &g,
        classical_groups(),
        "localhost",
        &get("/", "pq.example.com"),
    )
    .await;
    assert_eq!(status, 421, "{body}");
    assert!(json_in(&body)["detail"]
        .as_str()
        .unwrap()
        .contains("PQC_ONLY"));
    // A PQ connection made for localhost may ask for pq.example.com
    // (HTTP/2 coalescing does): it meets the policy.
    assert_eq!(
        raw(&g, pq_groups(), "localhost", &get("/", "pq.example.com"))
            .await
            .0,
        200
    );

    // `openssl s_client` (OpenSSL 3.0, classical groups only) with SNI
    // localhost and Host pq.example.com.
    let out = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "printf 'GET / HTTP/1.1\\r\\nHost: pq.example.com\\r\\nConnection: close\\r\\n\\r\\n' | openssl s_client -quiet -connect {} -servername localhost -CAfile {} 2>/dev/null",
            g.tls_addr,
            g.cert_path().display()
        ))
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("HTTP/1.1 421"), "{text}");
    g.stop().await;
}

#[tokio::test]
async fn wildcard_routes_are_served_for_one_label() {
    let (a, _ta) = named_server("wild").await;
    let (b, _tb) = named_server("any").await;
    let (up_a, up_b) = (UpstreamId::new(), UpstreamId::new());
    let mut wild = route("/", PathMatch::Prefix, &up_a);
    wild.host = Some(shared::edge::HostPattern::parse("*.example.com").expect("a valid pattern"));
    let any = route("/", PathMatch::Prefix, &up_b);
    let g = start_standalone(
        &ConfigSnapshot {
            revision: 1,
            routes: vec![wild, any],
            upstreams: vec![upstream(&up_a, &[a]), upstream(&up_b, &[b])],
        },
        &[],
    )
    .await;
    for (host, want) in [
        ("shop.example.com", "wild"),
        ("SHOP.example.com:8443", "wild"),
        ("a.b.example.com", "any"),
        ("example.com", "any"),
    ] {
        let (status, body) = raw(&g, pq_groups(), "localhost", &get("/", host)).await;
        assert_eq!(status, 200, "{host}");
        assert_eq!(json_in(&body)["name"], want, "{host}");
    }
    g.stop().await;
}

#[tokio::test]
async fn non_canonical_paths_meet_the_exact_routes_limit_and_unsafe_ones_get_400() {
    let echo = echo_upstream().await;
    let up = UpstreamId::new();
    let mut strict = route("/x", PathMatch::Exact, &up);
    strict.rate_limit = Some(RouteRateLimit { rps: 1, burst: 1 });
    let catch_all = route("/", PathMatch::Prefix, &up);
    let g = start_standalone(
        &snap(vec![strict, catch_all], upstream(&up, &[echo.addr])),
        &[],
    )
    .await;
    let (status, body) = raw(&g, pq_groups(), "localhost", &get("/x", "localhost")).await;
    assert_eq!(status, 200);
    assert_eq!(json_in(&body)["path"], "/x");
    // Each spelling is /x (RFC 3986 §5.2.4, §6.2.2.2; duplicate slashes
    // merged): the exact route's burst of 1 is spent, so 429, not the
    // unlimited catch-all.
    for path in ["//x", "/./x", "/%2e/x", "/a/../x", "/%78"] {
        let (status, body) = raw(&g, pq_groups(), "localhost", &get(path, "localhost")).await;
        assert_eq!(status, 429, "{path}: {body}");
    }
    // Forwarded canonical: the upstream sees the path routes matched.
    let (status, body) = raw(
        &g,
        pq_groups(),
        "localhost",
        &get("/other//./y/%7e?q=1", "localhost"),
    )
    .await;
    assert_eq!(status, 200);
    let seen = json_in(&body);
    assert_eq!(seen["path"], "/other/y/~");
    assert_eq!(seen["query"], "q=1");
    for path in ["/a%2fb", "/a%5Cb", "/../x", "/a%00", "/a%zz"] {
        let (status, body) = raw(&g, pq_groups(), "localhost", &get(path, "localhost")).await;
        assert_eq!(status, 400, "{path}: {body}");
    }
    g.stop().await;
}

#[tokio::test]
async fn forwarded_for_is_ignored_from_clients_and_honoured_from_trusted_proxies() {
    let echo = echo_upstream().await;
    let up = UpstreamId::new();
    let mut r = route("/", PathMatch::Prefix, &up);
    r.rate_limit = Some(RouteRateLimit { rps: 1, burst: 1 });
    let s = snap(vec![r], upstream(&up, &[echo.addr]));
    let spoof = |ip: &str| {
        format!(
            "GET /h HTTP/1.1\r\nhost: localhost\r\nx-forwarded-for: {ip}\r\nforwarded: for={ip}\r\nx-real-ip: {ip}\r\nconnection: close\r\n\r\n"
        )
    };

    // Untrusted peer: its X-Forwarded-For is replaced, Forwarded and
    // X-Real-IP removed, and rotating it does not escape the rate limit.
    let g = start_standalone(&s, &[]).await;
    let (status, body) = raw(&g, pq_groups(), "localhost", &spoof("198.51.100.1")).await;
    assert_eq!(status, 200);
    let h = &json_in(&body)["headers"];
    assert_eq!(h["x-forwarded-for"], "127.0.0.1");
    assert!(
        h.get("forwarded").is_none() && h.get("x-real-ip").is_none(),
        "{h}"
    );
    assert_eq!(h["x-forwarded-proto"], "https");
    assert_eq!(h["x-forwarded-host"], "localhost");
    let (status, _) = raw(&g, pq_groups(), "localhost", &spoof("198.51.100.2")).await;
    assert_eq!(status, 429, "a forged X-Forwarded-For is not a new client");
    g.stop().await;

    // Trusted peer (a load balancer on 127.0.0.1): the right-most
    // untrusted address is the client; its rate limit is its own.
    let g = start_standalone(&s, &["--trusted-proxies", "127.0.0.1/32, 10.0.0.0/8"]).await;
    let (status, body) = raw(
        &g,
        pq_groups(),
        "localhost",
        &spoof("203.0.113.5, 198.51.100.1, 10.1.2.3"),
    )
    .await;
    assert_eq!(status, 200);
    let h = &json_in(&body)["headers"];
    assert_eq!(
        h["x-forwarded-for"], "198.51.100.1, 10.1.2.3, 127.0.0.1",
        "only the client and the trusted hops after it are kept"
    );
    assert_eq!(
        raw(&g, pq_groups(), "localhost", &spoof("198.51.100.2"))
            .await
            .0,
        200,
        "another client behind the proxy has its own limit"
    );
    assert_eq!(
        raw(&g, pq_groups(), "localhost", &spoof("198.51.100.1"))
            .await
            .0,
        429
    );
    g.stop().await;
}

/// A PROXY protocol v2 header (HAProxy `proxy-protocol.txt` §2.2) for a
/// TCP/IPv4 client `src`.
fn proxy_v2(src: SocketAddr) -> Vec<u8> {
    let SocketAddr::V4(v4) = src else {
        panic!("IPv4 only here")
    };
    let mut h = gateway::proxy_protocol::SIGNATURE.to_vec();
    h.extend_from_slice(&[0x21, 0x11, 0x00, 0x0C]);
    h.extend_from_slice(&v4.ip().octets());
    h.extend_from_slice(&[127, 0, 0, 1]);
    h.extend_from_slice(&v4.port().to_be_bytes());
    h.extend_from_slice(&443u16.to_be_bytes());
    h
}

#[tokio::test]
async fn proxy_protocol_v2_names_the_client_and_is_required() {
    let echo = echo_upstream().await;
    let up = UpstreamId::new();
    let g = start_standalone(
        &snap(
            vec![route("/", PathMatch::Prefix, &up)],
            upstream(&up, &[echo.addr]),
        ),
        &["--proxy-protocol", "v2", "--trusted-proxies", "127.0.0.1"],
    )
    .await;
    let mut tcp = tokio::net::TcpStream::connect(g.tls_addr).await.unwrap();
    tcp.write_all(&proxy_v2("203.0.113.9:40000".parse().unwrap()))
        .await
        .unwrap();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(client_config(
        pq_groups(),
        &g.cert_path(),
        false,
    )));
    let mut tls = connector
        .connect("localhost".try_into().unwrap(), tcp)
        .await
        .unwrap();
    tls.write_all(
        b"GET / HTTP/1.1\r\nhost: localhost\r\nx-forwarded-for: 1.1.1.1\r\nconnection: close\r\n\r\n",
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out);
    let body = json_in(text.split_once("\r\n\r\n").unwrap().1);
    assert_eq!(body["headers"]["x-forwarded-for"], "203.0.113.9");

    // Without the header the connection is refused.
    assert!(handshake(
        g.tls_addr,
        client_config(pq_groups(), &g.cert_path(), false),
        "localhost"
    )
    .await
    .is_err());
    g.stop().await;
}

#[tokio::test]
async fn connections_per_ip_are_capped() {
    let up = UpstreamId::new();
    let g = start_standalone(
        &snap(vec![route("/", PathMatch::Prefix, &up)], upstream(&up, &[])),
        &["--max-connections-per-ip", "3"],
    )
    .await;
    let cfg = || client_config(pq_groups(), &g.cert_path(), false);
    let mut open = Vec::new();
    for _ in 0..3 {
        open.push(handshake(g.tls_addr, cfg(), "localhost").await.unwrap());
    }
    assert!(
        handshake(g.tls_addr, cfg(), "localhost").await.is_err(),
        "the fourth connection from 127.0.0.1 is closed"
    );
    open.pop();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while handshake(g.tls_addr, cfg(), "localhost").await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the slot never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let m = g.metrics().await;
    assert!(
        m.lines()
            .any(|l| l.starts_with("qsgw_connections_refused_total{")
                && l.contains("reason=\"per_ip\"")),
        "{m}"
    );
    g.stop().await;
}

/// Opens a TLS connection and upgrades it to the upstream's echo tunnel.
async fn tunnel(g: &Gateway) -> tokio_rustls::client::TlsStream<tokio::net::TcpStream> {
    let (head, tls) = upgrade(g).await;
    assert!(head.starts_with("http/1.1 101"), "{head}");
    tls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgraded_tunnels_count_against_the_cap_and_idle_out() {
    let (a, _t) = named_server("a").await;
    let up = UpstreamId::new();
    let g = start_standalone(
        &snap(
            vec![route("/", PathMatch::Prefix, &up)],
            upstream(&up, &[a]),
        ),
        &["--max-connections", "200", "--idle-timeout-secs", "2"],
    )
    .await;
    let mut tunnels = Vec::new();
    for _ in 0..200 {
        tunnels.push(tunnel(&g).await);
    }
    // Every tunnel still holds its slot: the 201st connection is refused.
    assert!(handshake(
        g.tls_addr,
        client_config(pq_groups(), &g.cert_path(), false),
        "localhost"
    )
    .await
    .is_err());
    // One tunnel talks: its bytes are counted.
    tunnels[0].write_all(b"hello").await.unwrap();
    let mut back = [0u8; 5];
    tunnels[0].read_exact(&mut back).await.unwrap();
    let m = g.metrics().await;
    let up_bytes: f64 = m
        .lines()
        .find(|l| l.starts_with("qsgw_tunnel_bytes_total{") && l.contains("direction=\"upstream\""))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(up_bytes >= 5.0, "{m}");
    // Silent for the idle timeout: every tunnel is closed…
    for t in &mut tunnels {
        let mut buf = [0u8; 16];
        let n = tokio::time::timeout(Duration::from_secs(10), t.read(&mut buf))
            .await
            .expect("an idle tunnel was closed");
        assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
    }
    // …and gives its slot back.
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
            "slots never came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    g.stop().await;
}

/// An HTTP/2 frame header (RFC 9113 §4.1).
fn h2_frame(kind: u8, flags: u8, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut f = vec![len[1], len[2], len[3], kind, flags, 0, 0, 0, 0];
    f.extend_from_slice(payload);
    f
}

#[tokio::test]
async fn http2_connections_sending_only_pings_close_at_the_idle_limit_even_if_they_ignore_goaway() {
    let up = UpstreamId::new();
    let g = start_standalone(
        &snap(vec![route("/", PathMatch::Prefix, &up)], upstream(&up, &[])),
        &["--idle-timeout-secs", "1", "--close-timeout-secs", "1"],
    )
    .await;
    let mut cfg = client_config(pq_groups(), &g.cert_path(), false);
    cfg.alpn_protocols = vec![b"h2".to_vec()];
    let (_, tls) = handshake(g.tls_addr, cfg, "localhost").await.unwrap();
    let (mut rd, mut wr) = tokio::io::split(tls);
    // Preface and SETTINGS (RFC 9113 §3.4), then a PING (§6.7) every
    // 200 ms; nothing the server sends is acknowledged (not its SETTINGS,
    // not the PING of its graceful GOAWAY).
    wr.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .unwrap();
    wr.write_all(&h2_frame(0x4, 0, &[])).await.unwrap();
    let pinger = tokio::spawn(async move {
        for i in 0u64.. {
            if wr
                .write_all(&h2_frame(0x6, 0, &i.to_be_bytes()))
                .await
                .is_err()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let started = std::time::Instant::now();
    let mut buf = vec![0u8; 4096];
    let closed = tokio::time::timeout(Duration::from_secs(8), async {
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the PING-only connection was never closed");
    assert!(started.elapsed() >= Duration::from_millis(900));
    pinger.abort();
    let m = g.metrics().await;
    assert!(m.contains("qsgw_connections_idle_closed_total"), "{m}");
    assert!(m.contains("qsgw_connections_close_timeout_total"), "{m}");
    g.stop().await;
}

#[tokio::test]
async fn admin_config_needs_the_service_key_while_health_and_metrics_stay_open() {
    let up = UpstreamId::new();
    let s = snap(vec![route("/", PathMatch::Prefix, &up)], upstream(&up, &[]));
    let key = "an-admin-service-key-0123456789";
    let g = start_standalone(
        &s,
        &[
            "--api-key",
            key,
            "--control-plane-url",
            "http://127.0.0.1:1",
            "--ai-engine-url",
            "http://127.0.0.1:1",
        ],
    )
    .await;
    let c = shared::test_util::client();
    let config = format!("{}/config", g.admin);
    assert_eq!(c.get(&config).send().await.unwrap().status(), 401);
    assert_eq!(
        c.get(&config)
            .header("x-api-key", "wrong-key-0123456789")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let r = c
        .get(&config)
        .header("x-api-key", key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["revision"], 1);
    for open in ["/health", "/health/ready", "/metrics"] {
        let r = c.get(format!("{}{open}", g.admin)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{open}");
    }
    g.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_answers_503_during_the_drain_while_in_flight_requests_finish() {
    let echo = echo_upstream().await;
    let up = UpstreamId::new();
    let g = start_standalone(
        &snap(
            vec![route("/", PathMatch::Prefix, &up)],
            upstream(&up, &[echo.addr]),
        ),
        &[],
    )
    .await;
    let c = https_client(&g);
    let slow = tokio::spawn({
        let c = c.clone();
        let u = url(&g, "/slow");
        async move { c.get(u).send().await.unwrap() }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    g.shutdown.trigger();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ready = shared::test_util::client()
        .get(format!("{}/health/ready", g.admin))
        .send()
        .await
        .expect("the admin listener is still up during the drain");
    assert_eq!(ready.status(), 503);
    let r = slow.await.unwrap();
    assert_eq!(r.status(), 200, "the in-flight request finished");
    assert_eq!(
        r.headers()["connection"],
        "close",
        "and told the client the connection closes"
    );
    g.task.await.unwrap().unwrap();
}
