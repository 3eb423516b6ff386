//! Settings of the AI engine (the seed's `QSGW_AI_*`, `QSGW_ANOMALY_*` and
//! `QSGW_BOT_*` variables).

use std::sync::Arc;
use std::time::Duration;

use crate::agent::AgentKnowledge;
use crate::model::Thresholds;
use clap::{Args, Parser};
use shared::auth::ApiKeys;
use shared::config::{parse_port, require_secret, ConfigError, LogLevel, Secret};

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "ai-engine",
    version,
    about = "QSGW AI engine: anomaly and bot scoring of gateway traffic"
)]
pub struct Cli {
    /// Settings file (TOML, keys are the variable names); environment variables win over it.
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<std::path::PathBuf>,
    /// Every setting, as a flag or its environment variable (`QSGW_…`).
    #[command(flatten)]
    pub settings: Settings,
    /// Offline tool to run instead of serving.
    #[command(subcommand)]
    pub command: Option<crate::cli::Command>,
}

fn unit_interval(s: &str) -> Result<f64, String> {
    shared::config::parse_in_range(s, 0.0_f64, 1.0)
}

/// Raw settings.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Bind address.
    #[arg(long = "host", env = "QSGW_AI_HOST", default_value = "0.0.0.0")]
    pub host: String,
    /// Listen port.
    #[arg(long = "port", env = "QSGW_AI_PORT", default_value = "8086", value_parser = parse_port)]
    pub port: u16,
    /// Worker threads serving and scoring requests.
    #[arg(long = "workers", env = "QSGW_AI_WORKERS", default_value = "4", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: u16,
    /// Anomaly score from which a request is flagged (0..1).
    #[arg(long = "anomaly-threshold", env = "QSGW_ANOMALY_THRESHOLD", default_value = "0.65", value_parser = unit_interval)]
    pub anomaly_threshold: f64,
    /// Anomaly score from which a request is critical (0..1, not below the anomaly threshold).
    #[arg(long = "anomaly-critical-threshold", env = "QSGW_ANOMALY_CRITICAL_THRESHOLD", default_value = "0.85", value_parser = unit_interval)]
    pub anomaly_critical_threshold: f64,
    /// Requests per minute from one client that count as a rate anomaly.
    #[arg(long = "anomaly-rate-threshold", env = "QSGW_ANOMALY_RATE_THRESHOLD", default_value = "300", value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub anomaly_rate_threshold: u32,
    /// Multiple of a client's own baseline rate that counts as a rate anomaly.
    #[arg(long = "anomaly-rate-multiplier", env = "QSGW_ANOMALY_RATE_MULTIPLIER", default_value = "3.0", value_parser = |s: &str| shared::config::parse_in_range(s, 1.0_f64, 1000.0))]
    pub anomaly_rate_multiplier: f64,
    /// Bot probability from which a request is flagged (0..1).
    #[arg(long = "bot-threshold", env = "QSGW_BOT_THRESHOLD", default_value = "0.70", value_parser = unit_interval)]
    pub bot_threshold: f64,
    /// Bot probability from which a request is blocked (0..1, not below the bot threshold).
    #[arg(long = "bot-block-threshold", env = "QSGW_BOT_BLOCK_THRESHOLD", default_value = "0.90", value_parser = unit_interval)]
    pub bot_block_threshold: f64,
    /// API key gateways present in X-API-Key (required, at least 16 bytes).
    #[arg(long = "api-key", env = "QSGW_API_KEY", hide_env_values = true)]
    pub api_key: Option<Secret>,
    /// Log level: trace, debug, info, warn or error.
    #[arg(long = "log-level", env = "QSGW_LOG_LEVEL", default_value = "info")]
    pub log_level: LogLevel,
    /// Model file written by `ai-engine train`; the model built into the binary when unset.
    #[arg(long = "model-path", env = "QSGW_AI_MODEL_PATH")]
    pub model_path: Option<std::path::PathBuf>,
    /// Agent-pattern list files (comma-separated JSON: isbot's list of strings, or crawler-user-agents.json) replacing the built-in lists; `scripts/ai-agent-lists.sh` fetches current ones.
    #[arg(long = "agent-lists", env = "QSGW_AI_AGENT_LISTS")]
    pub agent_lists: Option<String>,
    /// etcd endpoints (comma-separated) to watch live thresholds at /qsgw/v1/ai/thresholds; no watch when unset.
    #[arg(long = "etcd-endpoints", env = "QSGW_ETCD_ENDPOINTS")]
    pub etcd_endpoints: Option<String>,
    /// etcd TLS and authentication (the AI engine's etcd user is read-only on /qsgw/v1/).
    #[command(flatten)]
    pub etcd: shared::etcd::EtcdClientArgs,
    /// Deployment environment: production refuses plaintext (http://) etcd endpoints unless QSGW_ALLOW_INSECURE_ETCD (one of: production, development).
    #[arg(long = "environment", env = "QSGW_ENVIRONMENT", default_value = "development", value_parser = ["production", "development"])]
    pub environment: String,
    /// Accept plaintext (http://) etcd endpoints in production.
    #[arg(long = "allow-insecure-etcd", env = "QSGW_ALLOW_INSECURE_ETCD", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub allow_insecure_etcd: bool,
    /// Most clients whose sliding window is kept in memory (oldest evicted beyond).
    #[arg(long = "window-clients", env = "QSGW_AI_WINDOW_CLIENTS", default_value = "100000", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub window_clients: u64,
    /// Seconds to drain in-flight requests on SIGTERM.
    #[arg(long = "shutdown-grace-secs", env = "QSGW_AI_SHUTDOWN_GRACE_SECS", default_value = "30", value_parser = clap::value_parser!(u64).range(0..=600))]
    pub shutdown_grace_secs: u64,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bind address of the API listener (QSGW_AI_HOST, default 0.0.0.0).
    pub host: String,
    /// Listen port (0 in tests).
    pub port: u16,
    /// Tokio worker threads serving and scoring requests (QSGW_AI_WORKERS,
    /// default 4).
    pub workers: usize,
    /// Start-up scoring thresholds (`QSGW_ANOMALY_THRESHOLD`, …); with an
    /// etcd watch, `/qsgw/v1/ai/thresholds` overrides them live.
    pub thresholds: Thresholds,
    /// The one key gateways must present in `X-API-Key` (QSGW_API_KEY,
    /// required, 16+ bytes); callers with it act as `service:gateway`.
    pub api_keys: ApiKeys,
    /// Minimum level of the JSON log lines (QSGW_LOG_LEVEL, default info);
    /// `RUST_LOG` is not read.
    pub log_level: LogLevel,
    /// How long in-flight requests may finish after SIGTERM
    /// (QSGW_AI_SHUTDOWN_GRACE_SECS, default 30 s).
    pub shutdown_grace: Duration,
    /// Model file; `None` means the built-in model.
    pub model_path: Option<std::path::PathBuf>,
    /// etcd connection for live thresholds (`None`: no watch).
    pub etcd: Option<shared::etcd::EtcdSettings>,
    /// Sliding-window capacity (clients).
    pub window_clients: usize,
    /// Compiled agent-pattern lists (built-in or `QSGW_AI_AGENT_LISTS`).
    pub agents: Arc<AgentKnowledge>,
}

impl Config {
    /// Validates raw settings.
    pub fn from_settings(s: Settings) -> Result<Self, ConfigError> {
        let thresholds = Thresholds {
            anomaly: s.anomaly_threshold,
            anomaly_critical: s.anomaly_critical_threshold,
            rate_per_minute: s.anomaly_rate_threshold,
            rate_multiplier: s.anomaly_rate_multiplier,
            bot: s.bot_threshold,
            bot_block: s.bot_block_threshold,
        };
        thresholds.validate()?;
        let key = require_secret("QSGW_API_KEY", s.api_key, ApiKeys::MIN_LEN)?;
        Ok(Self {
            host: s.host,
            port: s.port,
            workers: usize::from(s.workers),
            thresholds,
            api_keys: ApiKeys::single("QSGW_API_KEY", &key, "gateway")?,
            log_level: s.log_level,
            shutdown_grace: Duration::from_secs(s.shutdown_grace_secs),
            model_path: s.model_path,
            etcd: etcd_settings(
                s.etcd_endpoints,
                s.etcd,
                &shared::guard::Guard::new(
                    s.environment
                        .parse()
                        .map_err(|e: String| ConfigError::new("QSGW_ENVIRONMENT", e))?,
                ),
                s.allow_insecure_etcd,
            )?,
            window_clients: usize::try_from(s.window_clients).unwrap_or(usize::MAX),
            agents: agent_knowledge(s.agent_lists.as_deref())?,
        })
    }
}

/// The etcd connection when `QSGW_ETCD_ENDPOINTS` is set, with the same
/// TLS and credential settings (and errors) as the control plane and the
/// gateway, and the same production guard on plaintext endpoints
/// (`QSGW_ENVIRONMENT=production`, `QSGW_ALLOW_INSECURE_ETCD`).
fn etcd_settings(
    endpoints: Option<String>,
    args: shared::etcd::EtcdClientArgs,
    guard: &shared::guard::Guard,
    allow_insecure: bool,
) -> Result<Option<shared::etcd::EtcdSettings>, ConfigError> {
    let Some(endpoints) = endpoints.filter(|e| !e.trim().is_empty()) else {
        return Ok(None);
    };
    let endpoints = shared::etcd::parse_endpoints(&endpoints)
        .map_err(|e| ConfigError::new("QSGW_ETCD_ENDPOINTS", e))?;
    shared::etcd::refuse_plaintext(&endpoints, guard, allow_insecure)?;
    args.settings(endpoints, guard).map(Some)
}

/// The agent lists: the files named in `QSGW_AI_AGENT_LISTS`, else the
/// built-in ones. A list that cannot be read or compiled stops start-up.
pub fn agent_knowledge(files: Option<&str>) -> Result<Arc<AgentKnowledge>, ConfigError> {
    const VAR: &str = "QSGW_AI_AGENT_LISTS";
    let paths: Vec<std::path::PathBuf> = files
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(std::path::PathBuf::from)
        .collect();
    if paths.is_empty() {
        return AgentKnowledge::built_in().map_err(|e| ConfigError::new(VAR, e.to_string()));
    }
    AgentKnowledge::from_files(&paths)
        .map(Arc::new)
        .map_err(|e| ConfigError::new(VAR, e.to_string()))
}
