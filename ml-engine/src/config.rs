//! Settings of the ML engine (the seed's `QRAP_ML_*` variables).

use std::time::Duration;

use clap::{Args, Parser};
use shared::config::{parse_port, ConfigError, LogLevel};

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "ml-engine",
    version,
    about = "QRAP ML engine: quantum risk scoring of cryptographic assets"
)]
pub struct Cli {
    /// Settings file (TOML, keys are the variable names); environment variables win over it.
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<std::path::PathBuf>,
    /// Settings.
    #[command(flatten)]
    pub settings: Settings,
}

/// Raw settings.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Bind address.
    #[arg(long = "host", env = "QRAP_ML_HOST", default_value = "0.0.0.0")]
    pub host: String,
    /// Listen port.
    #[arg(long = "port", env = "QRAP_ML_PORT", default_value = "8084", value_parser = parse_port)]
    pub port: u16,
    /// Log level: trace, debug, info, warn or error.
    #[arg(long = "log-level", env = "QRAP_ML_LOG_LEVEL", default_value = "info")]
    pub log_level: LogLevel,
    /// Worker threads serving and scoring requests.
    #[arg(long = "workers", env = "QRAP_ML_WORKERS", default_value = "2", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: u16,
    /// Seconds to drain in-flight requests on SIGTERM.
    #[arg(long = "shutdown-grace-secs", env = "QRAP_ML_SHUTDOWN_GRACE_SECS", default_value = "30", value_parser = clap::value_parser!(u64).range(0..=600))]
    pub shutdown_grace_secs: u64,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bind address.
    pub host: String,
    /// Listen port (0 in tests).
    pub port: u16,
    /// Log level.
    pub log_level: LogLevel,
    /// Worker threads.
    pub workers: usize,
    /// Drain time.
    pub shutdown_grace: Duration,
}

impl Config {
    /// Validates raw settings.
    pub fn from_settings(s: Settings) -> Result<Self, ConfigError> {
        Ok(Self {
            host: s.host,
            port: s.port,
            log_level: s.log_level,
            workers: usize::from(s.workers),
            shutdown_grace: Duration::from_secs(s.shutdown_grace_secs),
        })
    }
}
