//! Decision thresholds: where a score becomes a flag or a block. Part of
//! the model (it decides with them); set from the environment
//! (`config`), from etcd (`live`) or per request.

use shared::config::ConfigError;

/// Decision thresholds. Also the JSON stored at `/qsgw/v1/ai/thresholds`
/// (every field required, unknown fields refused).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Anomaly flag.
    pub anomaly: f64,
    /// Anomaly critical.
    pub anomaly_critical: f64,
    /// Requests/minute rate anomaly.
    pub rate_per_minute: u32,
    /// Multiple of baseline.
    pub rate_multiplier: f64,
    /// Bot flag.
    pub bot: f64,
    /// Bot block.
    pub bot_block: f64,
}

impl Thresholds {
    /// Checks ranges (for values that did not come through clap, e.g. etcd)
    /// and the orderings between thresholds.
    pub fn validate_all(&self) -> Result<(), ConfigError> {
        let unit = [
            ("QSGW_ANOMALY_THRESHOLD", self.anomaly),
            ("QSGW_ANOMALY_CRITICAL_THRESHOLD", self.anomaly_critical),
            ("QSGW_BOT_THRESHOLD", self.bot),
            ("QSGW_BOT_BLOCK_THRESHOLD", self.bot_block),
        ];
        for (var, v) in unit {
            if !(0.0..=1.0).contains(&v) {
                return Err(ConfigError::new(var, "must be between 0 and 1"));
            }
        }
        if !(1..=10_000_000).contains(&self.rate_per_minute) {
            return Err(ConfigError::new(
                "QSGW_ANOMALY_RATE_THRESHOLD",
                "must be between 1 and 10000000",
            ));
        }
        if !(1.0..=1000.0).contains(&self.rate_multiplier) {
            return Err(ConfigError::new(
                "QSGW_ANOMALY_RATE_MULTIPLIER",
                "must be between 1 and 1000",
            ));
        }
        self.validate()
    }

    /// Checks the orderings between thresholds.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.anomaly_critical < self.anomaly {
            return Err(ConfigError::new(
                "QSGW_ANOMALY_CRITICAL_THRESHOLD",
                format!(
                    "must not be below QSGW_ANOMALY_THRESHOLD ({})",
                    self.anomaly
                ),
            ));
        }
        if self.bot_block < self.bot {
            return Err(ConfigError::new(
                "QSGW_BOT_BLOCK_THRESHOLD",
                format!("must not be below QSGW_BOT_THRESHOLD ({})", self.bot),
            ));
        }
        Ok(())
    }
}
