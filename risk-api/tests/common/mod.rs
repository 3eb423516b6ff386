//! Test harness: the real risk API on port 0 over the test's fresh
//! database, the real ML engine in-process, and a fault proxy in front of it
//! (a fake only for faults: 500 or a hang).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::IntoResponse;
use clap::Parser;
use risk_api::config::{Cli, Config};
use risk_api::startup::Application;
use serde_json::Value;
use shared::auth::{JwtKeys, Role};
use shared::server::Shutdown;
use shared::test_util::{client, TestServer};
use sqlx::PgPool;

pub const SECRET: &str = "0123456789abcdef0123456789abcdef-qrap";
pub const API_KEY: &str = "qrap-key-0123456789abcdef";

/// The public CBOM fixtures, vendored in `testdata/cbom` (sources and
/// licences in `testdata/cbom/SOURCES.md`).
pub fn fixtures() -> std::path::PathBuf {
    shared::test_util::testdata().join("cbom")
}

/// Starts the real ML engine in-process on port 0 and waits until ready.
pub async fn ml_engine() -> String {
    let cli = ml_engine::config::Cli::try_parse_from([
        "ml-engine",
        "--host",
        "127.0.0.1",
        "--as-of-year",
        "2026",
    ])
    .unwrap();
    let mut config = ml_engine::config::Config::from_settings(cli.settings).unwrap();
    config.port = 0;
    let app = ml_engine::startup::Application::build(config, Shutdown::new())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    for _ in 0..600 {
        if client()
            .get(format!("{base}/health/ready"))
            .send()
            .await
            .unwrap()
            .status()
            == 200
        {
            return base;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("ml-engine never became ready");
}

/// Fault modes of [`FaultProxy`].
pub const FORWARD: u8 = 0;
/// Answer 500.
pub const FAIL_500: u8 = 1;
/// Never answer.
pub const HANG: u8 = 2;

/// A fake ML endpoint for faults: forwards to the real engine, answers 500,
/// or hangs, as the test switches it.
pub struct FaultProxy {
    pub server: TestServer,
    pub mode: Arc<AtomicU8>,
}

#[derive(Clone)]
struct ProxyState {
    mode: Arc<AtomicU8>,
    upstream: String,
}

async fn proxy(State(s): State<ProxyState>, body: Bytes) -> axum::response::Response {
    match s.mode.load(Ordering::SeqCst) {
        FAIL_500 => (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        HANG => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            "never".into_response()
        }
        _ => {
            let r = client()
                .post(format!("{}/api/v1/score", s.upstream))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let bytes = r.bytes().await.unwrap();
            (status, [("content-type", "application/json")], bytes).into_response()
        }
    }
}

impl FaultProxy {
    pub async fn start(upstream: &str, mode: u8) -> Self {
        let mode = Arc::new(AtomicU8::new(mode));
        let router = axum::Router::new()
            .route("/api/v1/score", axum::routing::post(proxy))
            .with_state(ProxyState {
                mode: mode.clone(),
                upstream: upstream.to_owned(),
            });
        Self {
            server: TestServer::spawn_with_grace(router, Duration::from_millis(100)).await,
            mode,
        }
    }

    pub fn url(&self) -> String {
        self.server.url("")
    }

    pub fn set(&self, mode: u8) {
        self.mode.store(mode, Ordering::SeqCst);
    }
}

/// A running risk API.
pub struct App {
    pub base: String,
    pub jwt: JwtKeys,
    pub pool: PgPool,
    pub shutdown: Shutdown,
}

pub fn config(pool: &PgPool, ml_url: &str) -> Config {
    let cli = Cli::try_parse_from([
        "risk-api",
        "--db-password",
        "unused",
        "--jwt-secret",
        SECRET,
        "--api-keys",
        &format!("{API_KEY}:ci"),
        "--ml-url",
        ml_url,
        "--rate-limit",
        "100000",
    ])
    .unwrap();
    let mut config = Config::from_settings(cli.settings).unwrap();
    config.database = (*pool.connect_options()).clone();
    config.host = "127.0.0.1".into();
    config.port = 0;
    config.pool.min_conns = 0;
    config.pool.max_conns = 5;
    config
}

impl App {
    pub async fn start(pool: PgPool, ml_url: &str) -> Self {
        Self::start_with(pool, ml_url, |_| {}).await
    }

    pub async fn start_with(pool: PgPool, ml_url: &str, tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = config(&pool, ml_url);
        tweak(&mut config);
        let jwt = config.jwt.clone();
        let shutdown = Shutdown::new();
        let app = Application::build(config, shutdown.clone()).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Self {
            base,
            jwt,
            pool,
            shutdown,
        }
    }

    pub fn token(&self, role: Role, org: Option<&str>) -> String {
        self.jwt.issue("tester@example.com", role, org).unwrap().0
    }

    pub fn admin(&self) -> String {
        self.token(Role::Admin, None)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let r = client()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_json(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        let r = client()
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_raw(&self, token: &str, path: &str, ct: &str, body: Vec<u8>) -> (u16, Value) {
        let r = client()
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn create_org(&self, name: &str) -> String {
        let (s, v) = self
            .post_json(
                &self.admin(),
                "/api/v1/organizations",
                &serde_json::json!({"name": name}),
            )
            .await;
        assert_eq!(s, 201, "{v}");
        v["id"].as_str().unwrap().to_owned()
    }

    /// Polls an assessment until it is completed or failed.
    pub async fn wait(&self, token: &str, id: &str) -> Value {
        for _ in 0..1200 {
            let (s, v) = self.get(token, &format!("/api/v1/assessments/{id}")).await;
            assert_eq!(s, 200, "{v}");
            if v["status"] == "completed" || v["status"] == "failed" {
                return v;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("assessment {id} never finished");
    }

    pub async fn count(&self, sql: &str, id: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .bind(id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

pub fn inventory() -> Value {
    serde_json::json!([
        {"name": "api gateway TLS", "algorithm": "RSA", "parameter": "2048", "usage": "key_exchange", "exposure": "internet", "data_shelf_life_years": 10},
        {"name": "legacy VPN", "algorithm": "3DES", "usage": "encryption"},
        {"name": "code signing", "algorithm": "ECDSA", "parameter": "P-256", "usage": "signature"},
        {"name": "new KEM", "algorithm": "ML-KEM-768", "usage": "key_exchange"},
        {"name": "disk", "algorithm": "AES-256-GCM", "usage": "encryption"},
        {"name": "mystery", "algorithm": "FooCipher"}
    ])
}

/// The risk-api binary as a child process on the test's database: for
/// what only a separate process shows (its peak memory, SIGKILL).
pub struct ChildApi {
    pub child: std::process::Child,
    pub base: String,
}

/// The `QRAP_*` settings of a child on `pool`'s database.
pub fn child_env(pool: &PgPool, ml_url: &str, port: u16) -> Vec<(String, String)> {
    let o = pool.connect_options();
    vec![
        ("QRAP_API_HOST".into(), "127.0.0.1".into()),
        ("QRAP_API_PORT".into(), port.to_string()),
        ("QRAP_DB_HOST".into(), o.get_host().to_owned()),
        ("QRAP_DB_PORT".into(), o.get_port().to_string()),
        (
            "QRAP_DB_NAME".into(),
            o.get_database().unwrap_or("postgres").to_owned(),
        ),
        ("QRAP_DB_USER".into(), o.get_username().to_owned()),
        // make test's PostgreSQL trusts local connections
        ("QRAP_DB_PASSWORD".into(), "unused".into()),
        ("QRAP_DB_SSLMODE".into(), "disable".into()),
        ("QRAP_DB_MIN_CONNS".into(), "0".into()),
        ("QRAP_DB_MAX_CONNS".into(), "5".into()),
        ("QRAP_ML_URL".into(), ml_url.into()),
        ("QRAP_RATE_LIMIT".into(), "100000".into()),
        ("QRAP_LOG_LEVEL".into(), "warn".into()),
        ("QUANTUN_JWT_SECRET".into(), SECRET.into()),
        ("QUANTUN_API_KEYS".into(), format!("{API_KEY}:ci")),
    ]
}

impl ChildApi {
    /// Starts `risk-api` with [`child_env`] plus `extra` and waits for /health.
    pub async fn start(pool: &PgPool, ml_url: &str, extra: &[(&str, &str)]) -> Self {
        let port = shared::test_util::free_port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_risk-api"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(child_env(pool, ml_url, port))
            .envs(extra.iter().copied())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let me = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..400 {
            if let Ok(r) = client().get(me.url("/health")).send().await {
                if r.status() == 200 {
                    return me;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the risk-api child never answered /health");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `VmHWM` (peak resident set) of the child, in bytes.
    pub fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let line = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .expect("VmHWM in /proc/<pid>/status");
        let kb: u64 = line
            .split_whitespace()
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap();
        kb * 1024
    }

    /// Resets the peak resident set to the current one (`echo 5 >
    /// /proc/<pid>/clear_refs`, Linux ≥ 4.0), so a later [`Self::peak_rss`]
    /// measures only what happens in between.
    pub fn reset_peak_rss(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5").unwrap();
    }

    /// SIGKILL: no shutdown path runs.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits (at most 30 s) for the exit.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let ok = std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        assert!(ok.success());
        for _ in 0..600 {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("risk-api did not exit after SIGTERM");
    }
}

impl Drop for ChildApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
