//! Scoring throughput, in process and through the HTTP batch endpoint.
//! Run with `make bench-ai`. Bounded: a fixed number of batches, cut short
//! after a time budget, so it never runs away on a busy machine.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use ai_engine::config::Config;
use ai_engine::engine::Engine;
use ai_engine::model::Thresholds;
use ai_engine::sim::{generate, SimOptions};
use ai_engine::startup::Application;
use shared::auth::ApiKeys;
use shared::config::{LogLevel, Secret};
use shared::features::RequestFeatures;
use shared::server::Shutdown;

const SEED_PER_WORKER: f64 = 2_000.0;
const BATCH: usize = 1000;
const BATCHES: usize = 200;
const BUDGET: Duration = Duration::from_secs(15);
const KEY: &str = "bench-service-key-0123456789";

fn thresholds() -> Thresholds {
    Thresholds {
        anomaly: 0.65,
        anomaly_critical: 0.85,
        rate_per_minute: 300,
        rate_multiplier: 3.0,
        bot: 0.7,
        bot_block: 0.9,
    }
}

fn batches() -> Vec<Vec<RequestFeatures>> {
    let data = generate(&SimOptions::new(99, 300, 30));
    let reqs: Vec<RequestFeatures> = data.into_iter().map(|l| l.features).collect();
    reqs.chunks(BATCH)
        .filter(|c| c.len() == BATCH)
        .map(<[_]>::to_vec)
        .collect()
}

fn in_process(label: &str, threads: usize, batches: &[Vec<RequestFeatures>]) -> f64 {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let engine = Engine::new(
        Engine::default_model().unwrap(),
        ai_engine::agent::AgentKnowledge::built_in().unwrap(),
        thresholds(),
        100_000,
    );
    pool.install(|| {
        for b in batches.iter().take(3) {
            std::hint::black_box(engine.analyze(b));
        }
        let started = Instant::now();
        let mut n = 0usize;
        for b in batches.iter().cycle().take(BATCHES) {
            n += std::hint::black_box(engine.analyze(b)).len();
            if started.elapsed() > BUDGET {
                break;
            }
        }
        let rate = n as f64 / started.elapsed().as_secs_f64();
        println!(
            "in-process {label}: {n} analyses, {rate:.0}/s total, {:.0}/s per core, {:.1}x the seed's {SEED_PER_WORKER}/s per worker",
            rate / threads as f64,
            rate / threads as f64 / SEED_PER_WORKER
        );
        rate / threads as f64
    })
}

async fn http(cores: usize, batches: &[Vec<RequestFeatures>]) {
    let config = Config {
        host: "127.0.0.1".into(),
        port: 0,
        workers: cores,
        thresholds: thresholds(),
        api_keys: ApiKeys::single("QSGW_API_KEY", &Secret::new(KEY), "bench").unwrap(),
        log_level: LogLevel::Warn,
        shutdown_grace: Duration::from_secs(1),
        model_path: None,
        etcd: None,
        window_clients: 100_000,
        agents: ai_engine::agent::AgentKnowledge::built_in().unwrap(),
    };
    let shutdown = Shutdown::new();
    let app = Application::build(config, shutdown.clone()).await.unwrap();
    let url = format!("http://127.0.0.1:{}/api/v1/analyze/batch", app.port());
    tokio::spawn(app.run_until_stopped());
    let bodies: Vec<Arc<Vec<u8>>> = batches
        .iter()
        .map(|b| Arc::new(serde_json::to_vec(&serde_json::json!({ "items": b })).unwrap()))
        .collect();
    let client = reqwest::Client::new();
    let send = |body: Arc<Vec<u8>>| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let r = client
                .post(&url)
                .header("x-api-key", KEY)
                .header("content-type", "application/json")
                .body(body.to_vec())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.bytes().await.unwrap().len()
        }
    };
    for b in bodies.iter().take(2) {
        send(b.clone()).await;
    }
    // Two requests in flight so the server always has work while the
    // client serialises and parses.
    let started = Instant::now();
    let mut n = 0usize;
    let mut it = bodies.iter().cycle().take(BATCHES / 2);
    loop {
        let (a, b) = (it.next(), it.next());
        let Some(a) = a else { break };
        let fa = send(a.clone());
        match b {
            Some(b) => {
                let (_, _) = tokio::join!(fa, send(b.clone()));
                n += 2 * BATCH;
            }
            None => {
                fa.await;
                n += BATCH;
            }
        }
        if started.elapsed() > BUDGET {
            break;
        }
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    println!(
        "HTTP batch endpoint ({BATCH}/request, 2 in flight, server and client share {cores} cores): {n} analyses, {rate:.0}/s total, {:.0}/s per core, {:.1}x the seed's {SEED_PER_WORKER}/s per worker",
        rate / cores as f64,
        rate / cores as f64 / SEED_PER_WORKER
    );
    shutdown.trigger();
}

fn main() {
    shared::server::install_crypto_provider();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let batches = batches();
    println!(
        "ai-engine throughput: {} batches of {BATCH} simulated requests (seed 99), {cores} cores",
        batches.len()
    );
    in_process("1 thread", 1, &batches);
    in_process(&format!("{cores} threads"), cores, &batches);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(http(cores, &batches));
}
