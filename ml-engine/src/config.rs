//! Settings of the ML engine (the seed's `QRAP_ML_*` variables).

use std::time::Duration;

use clap::{Args, Parser};
use shared::config::{parse_port, ConfigError, LogLevel};

use crate::model::kb::{KnowledgeBase, EMBEDDED};
use crate::model::policy::{self, Packs};
use crate::model::scoring::Options;
use crate::model::timeline::{self, Timelines};

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
    /// Every setting, as a flag or its environment variable (`QRAP_…`).
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
    /// Knowledge-base JSON file; empty = the one built into the binary (ml-engine/data/knowledge_base.json).
    #[arg(
        long = "knowledge-base",
        env = "QRAP_ML_KNOWLEDGE_BASE",
        default_value = ""
    )]
    pub knowledge_base: String,
    /// Policy packs JSON file; empty = the packs built into the binary (ml-engine/data/policy_packs.json).
    #[arg(
        long = "policy-packs",
        env = "QRAP_ML_POLICY_PACKS",
        default_value = ""
    )]
    pub policy_packs: String,
    /// CRQC timelines JSON file; empty = the bands built into the binary (ml-engine/data/crqc_timelines.json).
    #[arg(
        long = "crqc-timelines",
        env = "QRAP_ML_CRQC_TIMELINES",
        default_value = ""
    )]
    pub crqc_timelines: String,
    /// Default CRQC timeline band (optimistic, central, pessimistic); empty = the file's default.
    #[arg(long = "crqc-band", env = "QRAP_ML_CRQC_BAND", default_value = "")]
    pub crqc_band: String,
    /// A median CRQC year replacing the band (same shape); 0 = use the band.
    #[arg(long = "crqc-year", env = "QRAP_ML_CRQC_YEAR", default_value = "0", value_parser = clap::value_parser!(u16).range(0..=2100))]
    pub crqc_year: u16,
    /// The year scoring treats as "now"; 0 = the current year at start (requests may override it).
    #[arg(long = "as-of-year", env = "QRAP_ML_AS_OF_YEAR", default_value = "0", value_parser = clap::value_parser!(u16).range(0..=2100))]
    pub as_of_year: u16,
    /// Maximum request body size in bytes (a 10,000-asset batch is about 2 MB).
    #[arg(long = "max-body-size", env = "QRAP_ML_MAX_BODY_SIZE", default_value = "16777216", value_parser = clap::value_parser!(u64).range(1024..=268_435_456))]
    pub max_body_size: u64,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bind address of the API listener (QRAP_ML_HOST, default 0.0.0.0).
    pub host: String,
    /// Listen port (0 in tests).
    pub port: u16,
    /// Minimum level of the JSON log lines (QRAP_ML_LOG_LEVEL, default info);
    /// `RUST_LOG` is not read.
    pub log_level: LogLevel,
    /// Tokio worker threads serving and scoring requests (QRAP_ML_WORKERS,
    /// default 2).
    pub workers: usize,
    /// How long in-flight requests may finish after SIGTERM
    /// (QRAP_ML_SHUTDOWN_GRACE_SECS, default 30 s).
    pub shutdown_grace: Duration,
    /// The parsed, validated knowledge base.
    pub knowledge_base: KnowledgeBase,
    /// The parsed, validated policy packs.
    pub packs: Packs,
    /// The parsed, fitted CRQC timelines.
    pub timelines: Timelines,
    /// Default scoring parameters.
    pub scoring: Options,
    /// Largest request body in bytes, larger → 413 (QRAP_ML_MAX_BODY_SIZE,
    /// default 16 MiB; a 10,000-asset batch is about 2 MB).
    pub max_body_size: usize,
}

impl Config {
    /// Validates raw settings.
    pub fn from_settings(s: Settings) -> Result<Self, ConfigError> {
        let text = if s.knowledge_base.trim().is_empty() {
            EMBEDDED.to_owned()
        } else {
            std::fs::read_to_string(s.knowledge_base.trim()).map_err(|e| {
                ConfigError::new(
                    "QRAP_ML_KNOWLEDGE_BASE",
                    format!("cannot read {}: {e}", s.knowledge_base.trim()),
                )
            })?
        };
        let knowledge_base = KnowledgeBase::parse(&text)
            .map_err(|e| ConfigError::new("QRAP_ML_KNOWLEDGE_BASE", e))?;
        let packs_text = if s.policy_packs.trim().is_empty() {
            policy::EMBEDDED.to_owned()
        } else {
            std::fs::read_to_string(s.policy_packs.trim()).map_err(|e| {
                ConfigError::new(
                    "QRAP_ML_POLICY_PACKS",
                    format!("cannot read {}: {e}", s.policy_packs.trim()),
                )
            })?
        };
        let packs =
            Packs::parse(&packs_text).map_err(|e| ConfigError::new("QRAP_ML_POLICY_PACKS", e))?;
        if packs.get("nist").is_none() || packs.get("cnsa2").is_none() {
            return Err(ConfigError::new(
                "QRAP_ML_POLICY_PACKS",
                "must define the packs \"nist\" and \"cnsa2\"",
            ));
        }
        let tl_text = if s.crqc_timelines.trim().is_empty() {
            timeline::EMBEDDED.to_owned()
        } else {
            std::fs::read_to_string(s.crqc_timelines.trim()).map_err(|e| {
                ConfigError::new(
                    "QRAP_ML_CRQC_TIMELINES",
                    format!("cannot read {}: {e}", s.crqc_timelines.trim()),
                )
            })?
        };
        let timelines = Timelines::parse(&tl_text)
            .map_err(|e| ConfigError::new("QRAP_ML_CRQC_TIMELINES", e))?;
        let band = if s.crqc_band.trim().is_empty() {
            timelines.default_band.clone()
        } else {
            s.crqc_band.trim().to_owned()
        };
        if timelines.band(&band).is_none() {
            let ids: Vec<&str> = timelines.bands.iter().map(|b| b.id.as_str()).collect();
            return Err(ConfigError::new(
                "QRAP_ML_CRQC_BAND",
                format!("{band:?} is not a band ({})", ids.join(", ")),
            ));
        }
        if s.crqc_year != 0 && s.crqc_year < 2020 {
            return Err(ConfigError::new(
                "QRAP_ML_CRQC_YEAR",
                "must be 0 or 2020..=2100",
            ));
        }
        let as_of_year = if s.as_of_year == 0 {
            chrono_free_current_year()
        } else {
            i32::from(s.as_of_year)
        };
        Ok(Self {
            knowledge_base,
            packs,
            timelines,
            scoring: Options {
                crqc_median_year: (s.crqc_year != 0).then(|| f64::from(s.crqc_year)),
                ..Options::new(as_of_year, band)
            },
            max_body_size: usize::try_from(s.max_body_size).unwrap_or(usize::MAX),
            host: s.host,
            port: s.port,
            log_level: s.log_level,
            workers: usize::from(s.workers),
            shutdown_grace: Duration::from_secs(s.shutdown_grace_secs),
        })
    }
}

/// The current UTC year from the system clock (days since 1970 → civil year),
/// without pulling a date crate into the engine.
fn chrono_free_current_year() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    i32::try_from(year).unwrap_or(2026)
}
