//! Helpers shared by the integration tests: an app on port 0 and sample requests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use ai_engine::config::Config;
use ai_engine::model::Thresholds;
use ai_engine::startup::Application;
use serde_json::{json, Value};
use shared::auth::ApiKeys;
use shared::config::{LogLevel, Secret};
use shared::server::Shutdown;

pub const KEY: &str = "gateway-service-key-0123456789";

pub fn thresholds() -> Thresholds {
    Thresholds {
        anomaly: 0.65,
        anomaly_critical: 0.85,
        rate_per_minute: 300,
        rate_multiplier: 3.0,
        bot: 0.70,
        bot_block: 0.90,
    }
}

pub fn config() -> Config {
    Config {
        host: "127.0.0.1".into(),
        port: 0,
        workers: 2,
        thresholds: thresholds(),
        api_keys: ApiKeys::single("QSGW_API_KEY", &Secret::new(KEY), "gateway").unwrap(),
        log_level: LogLevel::Info,
        shutdown_grace: Duration::from_secs(1),
        model_path: None,
        etcd: None,
        window_clients: 10_000,
        agents: ai_engine::agent::AgentKnowledge::built_in().unwrap(),
    }
}

pub struct App {
    pub base: String,
    pub client: reqwest::Client,
    pub shutdown: Shutdown,
}

impl App {
    pub async fn spawn(config: Config) -> Self {
        let shutdown = Shutdown::new();
        let app = Application::build(config, shutdown.clone()).await.unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Self {
            base,
            client: shared::test_util::client(),
            shutdown,
        }
    }

    pub async fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("x-api-key", KEY)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .header("x-api-key", KEY)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }
}

pub const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
pub const CHROME_HEADERS: &[&str] = &[
    "host",
    "connection",
    "sec-ch-ua",
    "sec-ch-ua-mobile",
    "sec-ch-ua-platform",
    "upgrade-insecure-requests",
    "user-agent",
    "accept",
    "sec-fetch-site",
    "sec-fetch-mode",
    "sec-fetch-user",
    "sec-fetch-dest",
    "accept-encoding",
    "accept-language",
];

pub const T0: u64 = 1_763_900_000_000;

/// One ordinary browser page view.
pub fn browser(ip: &str, path: &str, t: u64) -> Value {
    json!({
        "client_ip": ip, "method": "GET", "path": path, "query_len": 0,
        "header_names": CHROME_HEADERS, "user_agent": CHROME, "status": 200,
        "latency_ms": 12.5, "tls_protocol": "TLSv1.3", "tls_group": "X25519MLKEM768",
        "timestamp_ms": t
    })
}

/// A later request of the same browser session: it carries the site's cookie
/// and, when it follows a link or loads a page's asset, a `Referer`.
pub fn browser_in_session(ip: &str, path: &str, t: u64, referer: bool) -> Value {
    let mut names: Vec<&str> = CHROME_HEADERS.to_vec();
    if referer {
        names.push("referer");
    }
    names.push("cookie");
    let mut v = browser(ip, path, t);
    v["header_names"] = json!(names);
    v
}

/// A vulnerability scanner probe.
pub fn scanner(ip: &str, path: &str, t: u64) -> Value {
    json!({
        "client_ip": ip, "method": "GET", "path": path,
        "header_names": ["host", "user-agent", "accept"],
        "user_agent": "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:Port Check)",
        "status": 404, "timestamp_ms": t
    })
}

/// A credential-stuffing attempt.
pub fn stuffing(ip: &str, t: u64) -> Value {
    json!({
        "client_ip": ip, "method": "POST", "path": "/login",
        "header_names": ["host", "user-agent", "accept-encoding", "accept", "connection", "content-type", "content-length"],
        "user_agent": "python-requests/2.31.0", "status": 401, "latency_ms": 40.0,
        "tls_protocol": "TLSv1.3", "tls_group": "X25519", "timestamp_ms": t
    })
}
