//! Decision thresholds: where a score becomes a flag or a block. Part of
//! the model (it decides with them); set from the environment
//! (`config`), from etcd (`live`) or per request.

use shared::config::ConfigError;

/// Decision thresholds. Also the JSON stored at `/qsgw/v1/ai/thresholds`
/// (every field required, unknown fields refused).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Anomaly score (0..1) from which a request is flagged
    /// (QSGW_ANOMALY_THRESHOLD, default 0.65).
    pub anomaly: f64,
    /// Anomaly score (0..1, not below `anomaly`) from which a request is
    /// blocked with severity critical (QSGW_ANOMALY_CRITICAL_THRESHOLD, default 0.85).
    pub anomaly_critical: f64,
    /// Requests per minute from one client above which its anomaly is raised
    /// to at least `anomaly_critical` (QSGW_ANOMALY_RATE_THRESHOLD, default 300).
    pub rate_per_minute: u32,
    /// Multiple of a client's own baseline rate above which (at 30+ requests a
    /// minute) its anomaly is raised to at least `anomaly`
    /// (QSGW_ANOMALY_RATE_MULTIPLIER, 1..=1000, default 3.0).
    pub rate_multiplier: f64,
    /// Bot probability (0..1) from which a request is flagged
    /// (QSGW_BOT_THRESHOLD, default 0.70).
    pub bot: f64,
    /// Bot probability (0..1, not below `bot`) from which a request is blocked
    /// (QSGW_BOT_BLOCK_THRESHOLD, default 0.90).
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
