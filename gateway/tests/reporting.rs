//! The gateway with its real neighbours: the control plane (registration,
//! heartbeat, TLS session and threat ingest) on a fresh Postgres database,
//! and the AI engine (verdicts), both started in-process on port 0.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::Parser;
use common::cp_harness::{ControlPlane, KEY};
use common::*;
use serde_json::Value;
use shared::ids::UpstreamId;
use shared::qsgw::{ConfigSnapshot, InspectionMode, PathMatch};
use shared::server::Shutdown;
use sqlx::PgPool;

/// The real AI engine with the built-in model, no etcd.
async fn ai_engine() -> (String, Shutdown) {
    let cli = ai_engine::config::Cli::try_parse_from(["ai-engine", "--api-key", KEY]).unwrap();
    let mut c = ai_engine::config::Config::from_settings(cli.settings).unwrap();
    c.host = "127.0.0.1".into();
    c.port = 0;
    c.etcd = None;
    c.model_path = None;
    c.shutdown_grace = Duration::from_secs(1);
    let shutdown = Shutdown::new();
    let app = ai_engine::startup::Application::build(c, shutdown.clone())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (base, shutdown)
}

/// One route `/` (prefix) to `target` with the given inspection mode.
fn snapshot(target: SocketAddr, inspection: InspectionMode) -> ConfigSnapshot {
    let up = UpstreamId::new();
    let mut r = route("/", PathMatch::Prefix, &up);
    r.inspection = inspection;
    let mut sync = route("/sync", PathMatch::Prefix, &up);
    sync.inspection = InspectionMode::Sync;
    ConfigSnapshot {
        revision: 7,
        routes: vec![r, sync],
        upstreams: vec![upstream(&up, &[target])],
    }
}

fn dead_url() -> String {
    format!("http://127.0.0.1:{}", shared::test_util::free_port())
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn registers_heartbeats_and_reports_established_and_refused_handshakes(pool: PgPool) {
    let cp = ControlPlane::start(&pool, 0).await;
    let (target, _t) = named_server("a").await;
    let snap = snapshot(target, InspectionMode::Off);
    let root_route = snap.routes[0].id.to_string();
    let g = start_standalone(
        &snap,
        &[
            "--api-key",
            KEY,
            "--control-plane-url",
            &cp.base,
            "--ai-engine-url",
            &dead_url(),
            "--gateway-name",
            "edge-test-1",
            "--heartbeat-interval-secs",
            "1",
            "--tls-policy",
            "PQC_ONLY",
        ],
    )
    .await;

    // Registered under its name; the heartbeat reports the revision served.
    let gws = cp
        .wait_for("/api/v1/gateways", "registration and heartbeat", |b| {
            b["items"][0]["config_revision_seen"] == 7
        })
        .await;
    let gw = &gws["items"][0];
    assert_eq!(gw["name"], "edge-test-1");
    assert_eq!(gw["liveness"], "online");
    assert_eq!(gw["tls_policy"], "PQC_ONLY");
    let gw_id = gw["id"].as_str().unwrap().to_owned();
    assert_eq!(g.reporter.gateway_id().as_deref(), Some(&gw_id));

    // One PQ handshake that serves a request (Debian 12's curl agent, so
    // the record names the family "curl"); one PQ handshake that never
    // sends a request (recorded when it closes, with no route or family);
    // one classical-only client refused.
    let r = https_client(&g)
        .get(url(&g, "/x"))
        .header("user-agent", "curl/7.88.1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let silent = handshake(
        g.tls_addr,
        client_config(pq_groups(), &g.cert_path(), false),
        "localhost",
    )
    .await
    .unwrap();
    drop(silent);
    let refused = handshake(
        g.tls_addr,
        client_config(classical_groups(), &g.cert_path(), false),
        "localhost",
    )
    .await;
    assert!(refused.is_err(), "PQC_ONLY refuses a classical-only client");

    let sessions = cp
        .wait_for("/api/v1/tls-sessions", "both session records", |b| {
            let items = b["items"].as_array().unwrap();
            items
                .iter()
                .filter(|s| s["outcome"] == "established")
                .count()
                == 2
                && items.iter().any(|s| s["outcome"] == "failed")
        })
        .await;
    let items = sessions["items"].as_array().unwrap();
    let ok = items
        .iter()
        .find(|s| s["outcome"] == "established" && !s["route_id"].is_null())
        .unwrap();
    // The posture fields: what the client offered (rustls sends its
    // provider's groups in order in supported_groups, RFC 8446 §4.2.7),
    // the listener policy, the first request's route and client family.
    assert_eq!(
        ok["offered_groups"],
        serde_json::json!(["X25519MLKEM768", "X25519"])
    );
    assert_eq!(ok["policy"], "PQC_ONLY");
    assert_eq!(ok["route_id"], root_route.as_str());
    assert_eq!(ok["client_family"], "curl");
    let quiet = items
        .iter()
        .find(|s| s["outcome"] == "established" && s["route_id"].is_null())
        .unwrap();
    assert!(quiet["client_family"].is_null(), "{quiet}");
    assert_eq!(
        quiet["offered_groups"],
        serde_json::json!(["X25519MLKEM768", "X25519"])
    );
    assert_eq!(ok["kx_group"], "X25519MLKEM768");
    assert_eq!(ok["pqc"], true);
    assert_eq!(ok["protocol_version"], "TLSv1.3");
    assert_eq!(ok["gateway_id"], gw_id.as_str());
    assert_eq!(ok["sni"], "localhost");
    let failed = items.iter().find(|s| s["outcome"] == "failed").unwrap();
    assert_eq!(failed["pqc"], false);
    assert!(failed["cipher_suite"].is_null() && failed["kx_group"].is_null());
    let reason = failed["failure_reason"].as_str().unwrap();
    assert!(reason.contains("PQC_ONLY"), "{reason}");
    assert!(
        reason.contains("X25519") && reason.contains("none post-quantum"),
        "{reason}"
    );
    assert_eq!(failed["gateway_id"], gw_id.as_str());
    assert_eq!(
        failed["offered_groups"],
        serde_json::json!(["X25519", "secp256r1"])
    );
    assert_eq!(failed["policy"], "PQC_ONLY");
    assert!(failed["route_id"].is_null() && failed["client_family"].is_null());

    // Every connection received is counted once, by group or failure.
    let m = g.metrics().await;
    for group in ["X25519MLKEM768", "handshake_failed"] {
        assert!(
            m.lines().any(|l| l.starts_with("qsgw_connections_total{")
                && l.contains(&format!("kx_group=\"{group}\""))),
            "{group}: {m}"
        );
    }

    // Heartbeats carry the live target health and the requests answered.
    let gws = cp
        .wait_for("/api/v1/gateways", "target health in a heartbeat", |b| {
            b["items"][0]["upstream_health"]
                .as_array()
                .is_some_and(|h| h.len() == 1)
        })
        .await;
    let h = &gws["items"][0]["upstream_health"][0];
    assert_eq!(h["target"], target.to_string().as_str());
    assert_eq!(h["healthy"], true);
    cp.wait_for(
        "/api/v1/gateways/traffic?bucket=minute",
        "request counts",
        |b| b["requests"].as_i64().unwrap_or(0) >= 1,
    )
    .await;

    // The statistics count the refused attempt apart from the handshakes.
    let stats = cp.get("/api/v1/tls-sessions/stats").await;
    assert_eq!(stats["failed"], 1, "{stats}");
    assert_eq!(stats["pqc_share"], 1.0, "{stats}");
    g.stop().await;
    cp.shutdown.trigger();
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn records_wait_while_the_control_plane_is_down_and_arrive_when_it_is_back(pool: PgPool) {
    let cp_port = shared::test_util::free_port();
    let cp_url = format!("http://127.0.0.1:{cp_port}");
    let (target, _t) = named_server("a").await;
    let g = start_standalone(
        &snapshot(target, InspectionMode::Off),
        &[
            "--api-key",
            KEY,
            "--control-plane-url",
            &cp_url,
            "--ai-engine-url",
            &dead_url(),
        ],
    )
    .await;
    let c = https_client(&g);
    for _ in 0..3 {
        // A fresh connection each time: one handshake per request.
        let c = https_client(&g);
        assert_eq!(c.get(url(&g, "/")).send().await.unwrap().status(), 200);
    }
    drop(c);
    // Nothing is lost while the control plane is down: it waits, bounded.
    let (sessions, _) = g.reporter.pending();
    assert!(sessions >= 3, "{sessions} session records buffered");
    assert!(g.reporter.gateway_id().is_none());

    // The control plane comes up on the address the gateway knows.
    let cp = ControlPlane::start(&pool, cp_port).await;
    let got = cp
        .wait_for("/api/v1/tls-sessions", "the buffered records", |b| {
            b["items"].as_array().unwrap().len() >= 3
        })
        .await;
    let gw_id = g.reporter.gateway_id().expect("registered once it was up");
    assert!(got["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["gateway_id"] == gw_id.as_str()));
    assert_eq!(g.reporter.pending(), (0, 0));
    g.stop().await;
    cp.shutdown.trigger();
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn ai_verdicts_block_a_scanner_and_the_threat_reaches_the_control_plane(pool: PgPool) {
    let cp = ControlPlane::start(&pool, 0).await;
    let (ai, ai_stop) = ai_engine().await;
    let (target, _t) = named_server("a").await;
    let g = start_standalone(
        &snapshot(target, InspectionMode::Async),
        &[
            "--api-key",
            KEY,
            "--control-plane-url",
            &cp.base,
            "--ai-engine-url",
            &ai,
            "--ai-timeout-ms",
            "2000",
        ],
    )
    .await;
    let scanner = reqwest::Client::builder()
        .use_preconfigured_tls(client_config(pq_groups(), &g.cert_path(), false))
        .resolve("localhost", g.tls_addr)
        .user_agent("sqlmap/1.7.2#stable (https://sqlmap.org)")
        .build()
        .unwrap();

    // Async route: the first probe is served (analysis happens after the
    // fact); once the verdict is cached the same client gets 403.
    let first = scanner.get(url(&g, "/.env")).send().await.unwrap();
    assert_eq!(
        first.status(),
        200,
        "async inspection never delays the request"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let blocked = loop {
        let r = scanner
            .get(url(&g, "/wp-admin/../../etc/passwd"))
            .send()
            .await
            .unwrap();
        if r.status() == 403 {
            break r;
        }
        assert!(Instant::now() < deadline, "the scanner was never blocked");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        blocked.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = blocked.json().await.unwrap();
    assert_eq!(body["status"], 403);

    // The threat event reaches the control plane with scores and reasons.
    let threats = cp
        .wait_for("/api/v1/threats", "the threat event", |b| {
            !b["items"].as_array().unwrap().is_empty()
        })
        .await;
    let t = &threats["items"][0];
    assert_eq!(t["client_ip"], "127.0.0.1");
    assert_eq!(t["action_taken"], "blocked");
    assert!(t["user_agent"].as_str().unwrap().starts_with("sqlmap"));
    assert!(
        matches!(t["severity"].as_str(), Some("HIGH" | "CRITICAL")),
        "{t}"
    );
    assert!(!t["reasons"].as_array().unwrap().is_empty(), "{t}");
    assert!(t["route_id"].as_str().unwrap().starts_with("rt_"));
    let m = g.metrics().await;
    assert!(m.contains("qsgw_threats_total{"), "{m}");
    assert!(m.contains("qsgw_requests_blocked_total{"), "{m}");

    // Sync route, a new client: blocked on its very first request.
    let sync_scanner = reqwest::Client::builder()
        .use_preconfigured_tls(client_config(pq_groups(), &g.cert_path(), false))
        .resolve("localhost", g.tls_addr)
        .user_agent("Nikto/2.5.0")
        .build()
        .unwrap();
    let r = sync_scanner
        .get(url(&g, "/sync/.git/config"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "sync inspection blocks before forwarding");
    g.stop().await;
    ai_stop.trigger();
    cp.shutdown.trigger();
}

#[tokio::test]
async fn a_blocked_client_stays_blocked_whatever_user_agent_it_sends_next() {
    let (ai, ai_stop) = ai_engine().await;
    let (target, _t) = named_server("a").await;
    let g = start_standalone(
        &snapshot(target, InspectionMode::Async),
        &[
            "--api-key",
            KEY,
            "--control-plane-url",
            &dead_url(),
            "--ai-engine-url",
            &ai,
            "--ai-timeout-ms",
            "2000",
        ],
    )
    .await;
    let with_agent = |ua: &str| {
        reqwest::Client::builder()
            .use_preconfigured_tls(client_config(pq_groups(), &g.cert_path(), false))
            .resolve("localhost", g.tls_addr)
            .user_agent(ua)
            .build()
            .unwrap()
    };
    // A scanner's probe on the sync route: blocked, and the verdict cached.
    let r = with_agent("Nikto/2.5.0")
        .get(url(&g, "/sync/.git/config"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The same address as a browser, on the harmless async route: still
    // blocked (the block is keyed by client IP; the agent is only a
    // scoring feature).
    for ua in [
        "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
        "curl/7.88.1",
    ] {
        let r = with_agent(ua).get(url(&g, "/")).send().await.unwrap();
        assert_eq!(r.status(), 403, "{ua}");
    }
    g.stop().await;
    ai_stop.trigger();
}

#[tokio::test]
async fn ai_engine_and_control_plane_down_or_silent_never_fail_a_request() {
    let (target, _t) = named_server("a").await;
    // An AI engine that accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let _hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            open.push(s);
        }
    });
    for (ai, counted) in [
        (dead_url(), "qsgw_ai_errors_total"),
        (silent_url, "qsgw_ai_timeouts_total"),
    ] {
        let g = start_standalone(
            &snapshot(target, InspectionMode::Async),
            &[
                "--api-key",
                KEY,
                "--control-plane-url",
                &dead_url(),
                "--ai-engine-url",
                &ai,
                "--ai-timeout-ms",
                "25",
            ],
        )
        .await;
        let c = https_client(&g);
        for path in ["/", "/sync/x", "/.env"] {
            let r = c.get(url(&g, path)).send().await.unwrap();
            assert_eq!(r.status(), 200, "{path} with the AI engine at {ai}");
        }
        let m = g.metrics().await;
        assert!(
            m.contains(counted),
            "the sync call failed open and was counted in {counted}: {m}"
        );
        g.stop().await;
    }
}

/// A stand-in for the public DNS (Google's and Bing's name servers are a
/// third party this machine cannot reach): an authoritative UDP server on
/// 127.0.0.1 port 0 answering PTR and A queries from fixed tables, NXDOMAIN
/// otherwise. The gateway's real resolver (hickory) asks it over the wire.
async fn fake_dns(
    ptr: Vec<(&'static str, &'static str)>,
    a: Vec<(&'static str, &'static str)>,
) -> SocketAddr {
    use hickory_proto::op::{Message, MessageType, ResponseCode};
    use hickory_proto::rr::rdata::{A, PTR};
    use hickory_proto::rr::{Name, RData, Record, RecordType};
    let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = sock.local_addr().unwrap();
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((n, from)) = sock.recv_from(&mut buf).await else {
                return;
            };
            let Ok(q) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut r = Message::new();
            r.set_id(q.id());
            r.set_message_type(MessageType::Response);
            r.set_op_code(q.op_code());
            r.set_recursion_desired(q.recursion_desired());
            r.set_recursion_available(true);
            r.set_authoritative(true);
            let mut found = false;
            for query in q.queries() {
                r.add_query(query.clone());
                let name = query.name().to_ascii().to_ascii_lowercase();
                match query.query_type() {
                    RecordType::PTR => {
                        for (rev, host) in &ptr {
                            if name == *rev {
                                found = true;
                                r.add_answer(Record::from_rdata(
                                    query.name().clone(),
                                    60,
                                    RData::PTR(PTR(Name::from_ascii(host).unwrap())),
                                ));
                            }
                        }
                    }
                    RecordType::A => {
                        for (host, ip) in &a {
                            if name == *host {
                                found = true;
                                r.add_answer(Record::from_rdata(
                                    query.name().clone(),
                                    60,
                                    RData::A(A(ip.parse().unwrap())),
                                ));
                            }
                        }
                    }
                    // Known names have no AAAA: an empty answer.
                    _ => found = a.iter().any(|(h, _)| name == *h),
                }
            }
            if !found {
                r.set_response_code(ResponseCode::NXDomain);
            }
            let _ = sock.send_to(&r.to_vec().unwrap(), from).await;
        }
    });
    addr
}

/// An HTTPS client that says it is `ip` behind the trusted proxy 127.0.0.1
/// (X-Forwarded-For), with `ua` as its agent.
fn client_as(g: &Gateway, ua: &str, ip: &str) -> reqwest::Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert("x-forwarded-for", ip.parse().unwrap());
    reqwest::Client::builder()
        .use_preconfigured_tls(client_config(pq_groups(), &g.cert_path(), false))
        .resolve("localhost", g.tls_addr)
        .user_agent(ua)
        .default_headers(h)
        .build()
        .unwrap()
}

/// Polls `path` as `c` until it answers `want` (10 s at most).
async fn until_status(g: &Gateway, c: &reqwest::Client, path: &str, want: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = c.get(url(g, path)).send().await.unwrap().status().as_u16();
        if s == want {
            return;
        }
        assert!(Instant::now() < deadline, "{path}: still {s}, want {want}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// Googlebot's agent string as Google documents it ("Googlebot user agents",
// developers.google.com/search/docs/crawling-indexing/google-common-crawlers).
const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn allow_verified_lets_a_dns_confirmed_crawler_in_and_refuses_impostors(pool: PgPool) {
    let cp = ControlPlane::start(&pool, 0).await;
    let (ai, ai_stop) = ai_engine().await;
    // Verification as Google documents it: PTR of the address in
    // googlebot.com (or google.com, googleusercontent.com), and an A
    // record of that name giving the address back.
    let dns = fake_dns(
        vec![
            // The real Googlebot.
            (
                "1.66.249.66.in-addr.arpa.",
                "crawl-66-249-66-1.googlebot.com.",
            ),
            // PTR in googlebot.com (the impostor controls its own reverse
            // zone) but the name does not resolve back to it.
            (
                "7.113.0.203.in-addr.arpa.",
                "crawl-66-249-66-2.googlebot.com.",
            ),
            // A name merely ending in the right letters.
            ("8.113.0.203.in-addr.arpa.", "crawl.evilgooglebot.com."),
        ],
        vec![
            ("crawl-66-249-66-1.googlebot.com.", "66.249.66.1"),
            ("crawl-66-249-66-2.googlebot.com.", "66.249.66.2"),
            ("crawl.evilgooglebot.com.", "203.0.113.8"),
        ],
    )
    .await;
    let (target, _t) = named_server("a").await;
    let mut s = snapshot(target, InspectionMode::Sync);
    s.routes[0].bots = shared::qsgw::BotPolicy::AllowVerified;
    s.routes[0].inspection = InspectionMode::Sync;
    let g = start_standalone(
        &s,
        &[
            "--api-key",
            KEY,
            "--control-plane-url",
            &cp.base,
            "--ai-engine-url",
            &ai,
            "--ai-timeout-ms",
            "2000",
            "--trusted-proxies",
            "127.0.0.1/32",
            "--bot-dns-servers",
            &dns.to_string(),
            "--bot-dns-timeout-ms",
            "500",
        ],
    )
    .await;
    // The engine on its own refuses the crawler's agent string (it is a
    // bot); once DNS confirms it, allow_verified lets it through.
    let google = client_as(&g, GOOGLEBOT, "66.249.66.1");
    until_status(&g, &google, "/page", 200).await;
    for _ in 0..3 {
        let r = google.get(url(&g, "/page")).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    // Impostors copying the agent string: refused once the check ends,
    // whatever the engine would say, and reported.
    for ip in ["203.0.113.7", "203.0.113.8", "203.0.113.9"] {
        until_status(&g, &client_as(&g, GOOGLEBOT, ip), "/page", 403).await;
    }
    let threats = cp
        .wait_for("/api/v1/threats?limit=100", "impostor reports", |b| {
            b["items"].as_array().is_some_and(|i| {
                i.iter()
                    .filter(|t| t["reasons"].to_string().contains("do not confirm"))
                    .count()
                    == 3
            })
        })
        .await;
    assert!(threats["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["reasons"].to_string().contains("do not confirm"))
        .all(|t| t["action_taken"] == "blocked" && t["client_ip"] != "66.249.66.1"));
    let m = g.metrics().await;
    let count = |result: &str| {
        m.lines()
            .find(|l| {
                l.starts_with("qsgw_crawler_checks_total{")
                    && l.contains(&format!("result=\"{result}\""))
            })
            .and_then(|l| l.rsplit(' ').next())
            .map(str::to_owned)
    };
    assert_eq!(
        count("verified").as_deref(),
        Some("1"),
        "one check, cached: {m}"
    );
    assert_eq!(count("refuted").as_deref(), Some("3"), "{m}");
    g.stop().await;
    ai_stop.trigger();
    cp.shutdown.trigger();
}

/// The real AI engine with a bot-block threshold no score reaches: bots
/// are flagged, never blocked by the engine itself.
async fn lenient_ai_engine() -> (String, Shutdown) {
    let cli = ai_engine::config::Cli::try_parse_from(["ai-engine", "--api-key", KEY]).unwrap();
    let mut c = ai_engine::config::Config::from_settings(cli.settings).unwrap();
    c.host = "127.0.0.1".into();
    c.port = 0;
    c.etcd = None;
    c.model_path = None;
    c.thresholds.bot_block = 1.0;
    c.thresholds.anomaly_critical = 1.0;
    c.shutdown_grace = Duration::from_secs(1);
    let shutdown = Shutdown::new();
    let app = ai_engine::startup::Application::build(c, shutdown.clone())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (base, shutdown)
}

#[tokio::test]
async fn block_all_refuses_the_bots_a_flag_route_only_reports() {
    let (ai, ai_stop) = lenient_ai_engine().await;
    let (target, _t) = named_server("a").await;
    let up = UpstreamId::new();
    let mut flag = route("/", PathMatch::Prefix, &up);
    flag.inspection = InspectionMode::Sync;
    let mut strict = route("/strict", PathMatch::Prefix, &up);
    strict.inspection = InspectionMode::Sync;
    strict.bots = shared::qsgw::BotPolicy::BlockAll;
    let s = ConfigSnapshot {
        revision: 7,
        routes: vec![flag, strict],
        upstreams: vec![upstream(&up, &[target])],
    };
    let g = start_standalone(
        &s,
        &[
            "--api-key",
            KEY,
            "--control-plane-url",
            &dead_url(),
            "--ai-engine-url",
            &ai,
            "--ai-timeout-ms",
            "2000",
            "--trusted-proxies",
            "127.0.0.1/32",
        ],
    )
    .await;
    // python-requests' own agent string (requests.utils.default_user_agent).
    let ua = "python-requests/2.31.0";
    let r = client_as(&g, ua, "198.51.100.20")
        .get(url(&g, "/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "flag: the engine's flag lets it through");
    let strict_client = client_as(&g, ua, "198.51.100.21");
    let r = strict_client
        .get(url(&g, "/strict/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "block_all: a flagged bot is refused");
    // The cached verdict keeps refusing it on block_all routes.
    let r = strict_client
        .get(url(&g, "/strict/y"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let m = g.metrics().await;
    assert!(
        m.lines()
            .any(|l| l.starts_with("qsgw_ai_verdicts_total{") && l.contains("verdict=\"flag\"")),
        "the engine flagged, the route refused: {m}"
    );
    g.stop().await;
    ai_stop.trigger();
}

/// A `route_traffic` key and its sums over heartbeats: route_id, kx_group,
/// pqc, client_family, sessions, requests, bytes_in, bytes_out.
type SensorRow = (String, String, bool, String, i64, i64, i64, i64);

/// Body size of the sensor test's upstream (known, so the bytes the sensor
/// counts can be bounded from the HTTP/1.1 framing around it).
const BODY: usize = 100_000;

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn the_sensor_reports_sessions_requests_and_bytes_per_route_group_and_family(pool: PgPool) {
    use rustls::crypto::aws_lc_rs::kx_group;
    let cp = ControlPlane::start(&pool, 0).await;
    let body = axum::Router::new().fallback(|| async { "x".repeat(BODY) });
    let upstream_server = shared::test_util::TestServer::spawn(body).await;
    let up = UpstreamId::new();
    let a = route("/a", PathMatch::Prefix, &up);
    let b = route("/b", PathMatch::Prefix, &up);
    let (ra, rb) = (a.id.to_string(), b.id.to_string());
    let snap = ConfigSnapshot {
        revision: 3,
        routes: vec![a, b],
        upstreams: vec![upstream(&up, &[upstream_server.addr])],
    };
    let g = start_standalone(
        &snap,
        &[
            "--api-key",
            KEY,
            "--control-plane-url",
            &cp.base,
            "--ai-engine-url",
            &dead_url(),
            "--heartbeat-interval-secs",
            "1",
            "--tls-policy",
            "PQC_PREFERRED",
            "--record-client-ip",
            "prefix",
        ],
    )
    .await;
    // Real rustls clients offering chosen groups; each reqwest client keeps
    // one HTTP/1.1 connection alive for its sequential requests.
    let client = |groups: Vec<&'static dyn rustls::crypto::SupportedKxGroup>, ua: &str| {
        shared::server::install_crypto_provider();
        reqwest::Client::builder()
            .use_preconfigured_tls(client_config(groups, &g.cert_path(), false))
            .resolve("localhost", g.tls_addr)
            .user_agent(ua)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    };
    let chrome_ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    let get = |c: reqwest::Client, path: &'static str| {
        let u = url(&g, path);
        async move {
            let r = c.get(u).send().await.unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(r.bytes().await.unwrap().len(), BODY);
        }
    };
    // PQ client (a browser's agent): three requests to /a on one connection.
    let pq = client(pq_groups(), chrome_ua);
    for _ in 0..3 {
        get(pq.clone(), "/a/x").await;
    }
    // Classical-only client (curl's agent): two requests to /b.
    let classical = client(classical_groups(), "curl/7.88.1");
    for _ in 0..2 {
        get(classical.clone(), "/b/y").await;
    }
    // A CNSA 2.0-minded client offering ML-KEM-1024 first, then the hybrid
    // this listener prefers (RFC 8446 §4.2.8: the server picks from its own
    // preference among the client's groups): one request to /b.
    let cnsa = client(
        vec![kx_group::MLKEM1024, kx_group::X25519MLKEM768],
        "Go-http-client/1.1",
    );
    get(cnsa.clone(), "/b/z").await;
    drop((pq, classical, cnsa));

    // Sums over the heartbeats that carried them, by key.
    let deadline = Instant::now() + Duration::from_secs(15);
    let rows = loop {
        let rows: Vec<SensorRow> = sqlx::query_as(
            "SELECT route_id, kx_group, pqc, client_family, sum(sessions)::int8, sum(requests)::int8,
                    sum(bytes_in)::int8, sum(bytes_out)::int8
             FROM route_traffic GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 4",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let requests: i64 = rows.iter().map(|r| r.5).sum();
        if requests == 6 {
            break rows;
        }
        assert!(Instant::now() < deadline, "sensor rows: {rows:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let find = |route: &str, group: &str, fam: &str| {
        rows.iter()
            .find(|r| r.0 == route && r.1 == group && r.3 == fam)
            .unwrap_or_else(|| panic!("no row {route} {group} {fam}: {rows:?}"))
            .clone()
    };
    // Groups as RFC 8446 negotiation gives them: the PQ client and the
    // CNSA client get X25519MLKEM768 (the listener's first choice they
    // offer), the classical-only client X25519 (its first offer the
    // listener also has). Families from the agents (Chrome 131, curl,
    // go-http-client).
    let pq_row = find(&ra, "X25519MLKEM768", "Chrome 131");
    assert!(pq_row.2);
    assert_eq!((pq_row.4, pq_row.5), (1, 3), "{pq_row:?}");
    let cl_row = find(&rb, "X25519", "curl");
    assert!(!cl_row.2);
    assert_eq!((cl_row.4, cl_row.5), (1, 2), "{cl_row:?}");
    let cn_row = find(&rb, "X25519MLKEM768", "go-http-client");
    assert_eq!((cn_row.4, cn_row.5), (1, 1), "{cn_row:?}");
    // Bytes written: each response is the 100,000-byte body plus an
    // HTTP/1.1 status line and headers (well under 1 KiB each); bytes
    // read: the request heads only (GET, no body).
    for (row, n) in [(&pq_row, 3), (&cl_row, 2), (&cn_row, 1)] {
        let body = i64::try_from(BODY).unwrap() * n;
        assert!(
            row.7 >= body && row.7 < body + 1024 * n,
            "bytes_out {row:?}"
        );
        assert!(row.6 > 0 && row.6 < 1024 * n, "bytes_in {row:?}");
    }
    assert_eq!(rows.len(), 3, "nothing else counted: {rows:?}");

    // Per handshake: the offered signature schemes (RFC 8446 §9.1: a
    // TLS 1.3 client must support rsa_pkcs1_sha256, rsa_pss_rsae_sha256
    // and ecdsa_secp256r1_sha256, and rustls offers them) and the served
    // certificate's algorithm, read independently with openssl.
    let sessions = cp
        .wait_for("/api/v1/tls-sessions", "three session records", |b| {
            b["items"].as_array().is_some_and(|i| i.len() == 3)
        })
        .await;
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(g.cert_path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let expected_cert = if text.contains("ASN1 OID: prime256v1") {
        "ECDSA-P256"
    } else if text.contains("ASN1 OID: secp384r1") {
        "ECDSA-P384"
    } else {
        panic!("unexpected dev certificate: {text}")
    };
    for s in sessions["items"].as_array().unwrap() {
        let sig: Vec<&str> = s["offered_sig_algs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        for must in [
            "ecdsa_secp256r1_sha256",
            "rsa_pss_rsae_sha256",
            "rsa_pkcs1_sha256",
        ] {
            assert!(sig.contains(&must), "{must} in {sig:?}");
        }
        assert_eq!(s["cert_algorithm"], expected_cert, "{s}");
        // --record-client-ip prefix: the client's /24, not 127.0.0.1.
        assert_eq!(s["client_ip"], "127.0.0.0", "{s}");
    }

    // The certificate served, reported with the heartbeat: fingerprint and
    // expiry as openssl reads them from the same file.
    let out = std::process::Command::new("openssl")
        .args([
            "x509",
            "-noout",
            "-fingerprint",
            "-sha256",
            "-enddate",
            "-in",
        ])
        .arg(g.cert_path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let fingerprint = text
        .lines()
        .find_map(|l| {
            l.split_once("Fingerprint=")
                .map(|(_, f)| f.replace(':', "").to_lowercase())
        })
        .unwrap();
    let end = text
        .lines()
        .find_map(|l| l.strip_prefix("notAfter="))
        .unwrap();
    let end =
        chrono::NaiveDateTime::parse_from_str(end.trim_end_matches(" GMT"), "%b %e %H:%M:%S %Y")
            .unwrap()
            .and_utc();
    let gws = cp
        .wait_for("/api/v1/gateways", "served certificates", |b| {
            b["items"][0]["served_certificates"]
                .as_array()
                .is_some_and(|c| c.len() == 1)
        })
        .await;
    let c = &gws["items"][0]["served_certificates"][0];
    assert_eq!(c["sha256"], fingerprint.as_str(), "{c}");
    assert_eq!(c["public_key_algorithm"], expected_cert, "{c}");
    assert_eq!(
        chrono::DateTime::parse_from_rfc3339(c["not_after"].as_str().unwrap()).unwrap(),
        end,
        "{c}"
    );
    g.stop().await;
    cp.shutdown.trigger();
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn refused_client_certificate_handshakes_are_recorded_with_the_reason(pool: PgPool) {
    let cp = ControlPlane::start(&pool, 0).await;
    let (target, _t) = named_server("a").await;
    let dir = tempfile::tempdir().unwrap();
    let (ca, alice) = client_ca_and_cert(dir.path(), "alice");
    // A certificate from a CA the gateway does not trust, though it has the
    // same name as the trusted one.
    let other = tempfile::tempdir().unwrap();
    let (_, mallory) = client_ca_and_cert(other.path(), "mallory");
    let g = start_standalone(
        &snapshot(target, InspectionMode::Off),
        &[
            "--api-key",
            KEY,
            "--control-plane-url",
            &cp.base,
            "--ai-engine-url",
            &dead_url(),
            "--heartbeat-interval-secs",
            "1",
            "--tls-client-auth",
            "required",
            "--tls-client-ca-path",
            ca.to_str().unwrap(),
        ],
    )
    .await;
    let get = |identity| {
        let c = client_for(&g, "localhost", tls13_client(&[&g.cert_path()], identity));
        let u = url(&g, "/x");
        async move { c.get(u).send().await }
    };
    assert!(get(None).await.is_err(), "no certificate, no request");
    assert!(
        get(Some(mallory)).await.is_err(),
        "an unknown issuer's certificate"
    );
    assert_eq!(get(Some(alice)).await.unwrap().status(), 200);

    // Each refusal is a failed session whose reason is what rustls
    // refused the handshake for (rustls::Error's Display): no certificate
    // at all, or one whose issuer's name matches a trusted CA but whose
    // signature that CA's key does not verify (webpki's BadSignature).
    let sessions = cp
        .wait_for("/api/v1/tls-sessions", "two refused handshakes", |b| {
            b["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["outcome"] == "failed")
                .count()
                == 2
        })
        .await;
    let reasons: Vec<&str> = sessions["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["outcome"] == "failed")
        .map(|s| s["failure_reason"].as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("peer sent no certificates")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("invalid peer certificate: BadSignature")),
        "{reasons:?}"
    );
    g.stop().await;
    cp.shutdown.trigger();
}
