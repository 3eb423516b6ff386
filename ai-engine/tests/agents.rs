//! Issue 22: the agent string as its own evidence, and verdicts that do not
//! depend on whether the request was asked about before forwarding (sync)
//! or after (async).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use ai_engine::agent::AgentKnowledge;
use ai_engine::config::agent_knowledge;
use ai_engine::engine::Engine;
use ai_engine::model::benchmark::{self, RealAgents};
use ai_engine::model::eval::{as_sync, score_stream};
use ai_engine::sim::{generate, SimOptions, FIREFOX_HEADERS};
use common::{config, thresholds, App, T0};
use serde_json::{json, Value};

/// Header names of a real Chromium 156 navigation, in order, as received by
/// a plain socket from Debian's `chromium` 156.0.8078.114 (`--user-agent`
/// set to the normal, non-headless agent below), captured 2026-12-04.
const CHROMIUM_156_NAV: &[&str] = &[
    "Host",
    "Connection",
    "sec-ch-ua",
    "sec-ch-ua-mobile",
    "sec-ch-ua-platform",
    "Upgrade-Insecure-Requests",
    "User-Agent",
    "Accept",
    "Sec-Fetch-Site",
    "Sec-Fetch-Mode",
    "Sec-Fetch-User",
    "Sec-Fetch-Dest",
    "Accept-Encoding",
    "Accept-Language",
];
const CHROMIUM_156_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36";

fn request(ip: &str, ua: &str, headers: &[&str], t: u64, answered: bool) -> Value {
    let mut v = json!({
        "client_ip": ip, "method": "GET", "path": "/", "query_len": 0,
        "header_names": headers, "user_agent": ua,
        "tls_protocol": "TLSv1.3", "tls_group": "X25519MLKEM768", "timestamp_ms": t
    });
    if answered {
        v["status"] = json!(200);
        v["latency_ms"] = json!(12.5);
    }
    v
}

#[tokio::test]
async fn a_real_browser_gets_the_same_verdict_asked_before_or_after_forwarding() {
    // Issue 22 measured `flag` (anomaly 0.70 on `latency_log`) for this
    // request without status and latency, `allow` with them.
    let app = App::spawn(config()).await;
    for page in 0..5u64 {
        let t = T0 + page * 7_000;
        let (s, sync) = app
            .post(
                "/api/v1/analyze",
                &request("198.51.100.20", CHROMIUM_156_UA, CHROMIUM_156_NAV, t, false),
            )
            .await;
        assert_eq!(s, 200, "{sync}");
        let (_, asynch) = app
            .post(
                "/api/v1/analyze",
                &request("198.51.100.21", CHROMIUM_156_UA, CHROMIUM_156_NAV, t, true),
            )
            .await;
        assert_eq!(sync["verdict"], "allow", "page {page}: {sync}");
        assert_eq!(sync, asynch, "page {page}");
    }
}

#[test]
fn a_whole_simulated_stream_scores_identically_without_status_and_latency() {
    let model = Engine::default_model().unwrap();
    let agents = AgentKnowledge::built_in().unwrap();
    let data = generate(&SimOptions::new(4242, 40, 4));
    let reqs: Vec<_> = data.iter().map(|l| l.features.clone()).collect();
    assert!(reqs
        .iter()
        .all(|r| r.status.is_some() && r.latency_ms.is_some()));
    let asynch = score_stream(&model, &agents, &thresholds(), &reqs);
    let sync = score_stream(&model, &agents, &thresholds(), &as_sync(&reqs));
    assert_eq!(asynch.len(), reqs.len());
    for (i, (a, s)) in asynch.iter().zip(&sync).enumerate() {
        assert_eq!(a, s, "request {i}: {:?}", reqs[i]);
    }
}

#[tokio::test]
async fn bots_sending_a_browsers_header_set_are_caught_by_their_agent_string() {
    let app = App::spawn(config()).await;
    // The agents issue 22 measured at a bot probability of 0.0001 under
    // desktop Firefox's header names, and HTTP clients' own agents.
    let agents = [
        "Uptime-Kuma/1.23.16",
        "Jersey/2.25.1 (HttpUrlConnection 1.8.0_141)",
        "Mozilla/5.0 (compatible; Feedwind/3.0; +http://feed.mikle.com/support/description/)",
        "pulsetic.com (+https://pulsetic.com)",
        "WhatsApp/2.12.555 A",
        "curl/8.4.0",
        "python-requests/2.31.0",
        "Go-http-client/1.1",
    ];
    for (i, ua) in agents.iter().enumerate() {
        let ip = format!("192.0.2.{}", 10 + i);
        let (s, b) = app
            .post(
                "/api/v1/analyze",
                &request(&ip, ua, FIREFOX_HEADERS, T0, false),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert_ne!(b["verdict"], "allow", "{ua}: {b}");
        assert!(b["bot_score"].as_f64().unwrap() >= 0.9, "{ua}: {b}");
        assert_eq!(b["reasons"][0]["source"], "agent", "{ua}: {b}");
        assert_eq!(b["reasons"][0]["feature"], "agent_listed", "{ua}: {b}");
    }
    // HeadlessChrome's own agent under Chromium's exact header set.
    let headless = CHROMIUM_156_UA.replace("Chrome/", "HeadlessChrome/");
    let (_, b) = app
        .post(
            "/api/v1/analyze",
            &request("192.0.2.40", &headless, CHROMIUM_156_NAV, T0, false),
        )
        .await;
    assert_ne!(b["verdict"], "allow", "{b}");
    // A forged browser agent: Chrome's product token without the engine
    // tokens every Chromium sends, under Chromium's own header set.
    let forged = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.0.0";
    let (_, b) = app
        .post(
            "/api/v1/analyze",
            &request("192.0.2.41", forged, CHROMIUM_156_NAV, T0, false),
        )
        .await;
    assert_ne!(b["verdict"], "allow", "{b}");
    assert_eq!(b["reasons"][0]["feature"], "agent_no_engine", "{b}");
}

#[tokio::test]
async fn agent_lists_are_data_replaced_without_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let isbot_style = dir.path().join("mine.json");
    std::fs::write(&isbot_style, r#"["^acme-uptime/", "(?<!not-)probe"]"#).unwrap();
    let cua_style = dir.path().join("cua.json");
    std::fs::write(
        &cua_style,
        r#"[{"pattern": "ExampleCrawler\\/", "url": "x"}]"#,
    )
    .unwrap();
    let files = format!("{}, {}", isbot_style.display(), cua_style.display());
    let agents = agent_knowledge(Some(&files)).unwrap();
    assert_eq!(agents.lists().len(), 2);
    // The built-in lists are replaced, not extended.
    assert!(agents.find("curl/8.4.0").is_none());
    let mut cfg = config();
    cfg.agents = agents;
    let app = App::spawn(cfg).await;
    let verdict = |ua: &'static str, ip: &'static str| {
        let app = &app;
        async move {
            let (_, b) = app
                .post(
                    "/api/v1/analyze",
                    &request(ip, ua, CHROMIUM_156_NAV, T0, false),
                )
                .await;
            b
        }
    };
    // isbot-style lists are case-insensitive, crawler-user-agents-style not.
    let b = verdict("ACME-Uptime/2.0 (Linux)", "192.0.2.50").await;
    assert_eq!(b["reasons"][0]["feature"], "agent_listed", "{b}");
    let b = verdict("Mozilla/5.0 (compatible; ExampleCrawler/1.0)", "192.0.2.51").await;
    assert_eq!(b["reasons"][0]["feature"], "agent_listed", "{b}");
    let b = verdict("Mozilla/5.0 (compatible; examplecrawler/1.0)", "192.0.2.52").await;
    assert_ne!(b["reasons"][0]["feature"], "agent_listed", "{b}");
    let b = verdict("my-not-probe", "192.0.2.53").await;
    assert_ne!(b["reasons"][0]["feature"], "agent_listed", "{b}");
    let b = verdict("my-probe", "192.0.2.54").await;
    assert_eq!(b["reasons"][0]["feature"], "agent_listed", "{b}");
}

#[test]
fn held_out_real_agents_meet_the_issue_targets() {
    // Issue 22's targets on a public agent set used neither in training nor
    // for the lists: >= 95 % of bots flagged or blocked, >= 99.5 % of
    // modern browsers allowed, sync and async verdicts 100 % the same.
    let model = Engine::default_model().unwrap();
    let agents: Arc<AgentKnowledge> = AgentKnowledge::built_in().unwrap();
    let set = RealAgents::built_in().unwrap();
    assert!(set.bots.len() > 3000 && set.browsers.len() > 900);
    let r = benchmark::run(&model, &agents, &thresholds(), &set);
    assert!(r.verdict.bot_recall >= 0.95, "{}", r.render());
    assert!(r.verdict.browser_fpr <= 0.005, "{}", r.render());
    assert!(r.verdict.browser_fpr_weighted <= 0.005, "{}", r.render());
    assert_eq!(r.sync_async.share, 1.0, "{}", r.render());
    // Each channel adds something: together they beat either alone.
    assert!(r.verdict.bot_recall >= r.agent_only.bot_recall);
    assert!(r.verdict.bot_recall > r.model_only.bot_recall);
}
