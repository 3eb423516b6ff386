//! 100 MB through the gateway each way with bounded memory. One test per
//! file: it measures this process's resident memory (gateway, client and
//! upstream all live here, and all of them stream), so nothing else may run
//! beside it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use common::*;
use futures::StreamExt;
use shared::ids::UpstreamId;
use shared::qsgw::{ConfigSnapshot, PathMatch};
use shared::test_util::TestServer;

const MIB: usize = 1 << 20;
const TOTAL_MIB: usize = 100;

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

/// `/sink` counts a streamed upload; `/source` streams `TOTAL_MIB` MiB.
async fn streaming_upstream() -> TestServer {
    let app = Router::new()
        .route(
            "/sink",
            post(|req: Request| async move {
                let mut n = 0u64;
                let mut s = req.into_body().into_data_stream();
                while let Some(chunk) = s.next().await {
                    n += chunk.unwrap().len() as u64;
                }
                Json(serde_json::json!({ "len": n }))
            }),
        )
        .route(
            "/source",
            get(|| async {
                let chunk = Bytes::from(vec![b'q'; MIB]);
                let s = futures::stream::iter(
                    (0..TOTAL_MIB).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
                );
                Body::from_stream(s)
            }),
        );
    TestServer::spawn(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundred_megabytes_stream_both_ways_with_bounded_memory() {
    let up_server = streaming_upstream().await;
    let up = UpstreamId::new();
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![route("/", PathMatch::Prefix, &up)],
        upstreams: vec![upstream(&up, &[up_server.addr])],
    };
    let g = start_standalone(&snap, &["--upstream-timeout-secs", "120"]).await;
    let c = reqwest::Client::builder()
        .use_preconfigured_tls(client_config(pq_groups(), &g.cert_path(), false))
        .resolve("localhost", g.tls_addr)
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    // Warm up the connection and pools, then take the baseline.
    assert_eq!(
        c.get(url(&g, "/source")).send().await.unwrap().status(),
        200
    );
    let baseline = rss_bytes();
    let peak = Arc::new(AtomicU64::new(baseline));
    let sampler = {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_bytes(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };

    // Upload: the client produces chunks lazily, the upstream only counts.
    let chunk = Bytes::from(vec![b'u'; MIB]);
    let body =
        futures::stream::iter((0..TOTAL_MIB).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let r = c
        .post(url(&g, "/sink"))
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let got: serde_json::Value = r.json().await.unwrap();
    assert_eq!(got["len"], (TOTAL_MIB * MIB) as u64);

    // Download: counted chunk by chunk as it arrives.
    let mut r = c.get(url(&g, "/source")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let mut n = 0usize;
    while let Some(chunk) = r.chunk().await.unwrap() {
        n += chunk.len();
    }
    assert_eq!(n, TOTAL_MIB * MIB);

    sampler.abort();
    let growth = peak.load(Ordering::Relaxed).saturating_sub(baseline);
    // Buffering either body anywhere on the path would add ≥ 100 MiB.
    assert!(
        growth < 40 * MIB as u64,
        "resident memory grew by {} MiB while streaming 2 × {TOTAL_MIB} MiB",
        growth / MIB as u64
    );
    g.stop().await;
}
