//! Pure scoring: no I/O, no async. A [`Model`] is the parameters learnt by
//! [`train`] (standardisation, k-means centroids, logistic weights), stored
//! as one versioned JSON file ([`ModelFile`]) with its feature schema.
//!
//! Scoring a request is: window stats → [`vector::vectorize`] → standardise →
//! distance to the nearest human centroid (anomaly, calibrated to 0..1) and a
//! logistic probability (bot) → the agent-string channel
//! ([`crate::agent`]: the bot score is the larger of the two) → the rate
//! rules → a [`Verdict`] with the top reasons. Nothing on this path
//! allocates except the caller's output.

pub mod benchmark;
pub mod eval;
pub mod request_shape;
pub mod thresholds;
pub mod train;
pub mod vector;
pub mod window;

use serde::{Deserialize, Serialize};

use crate::agent::AgentEvidence;
pub use thresholds::Thresholds;
use vector::{Vector, FEATURE_NAMES, N_FEATURES, SCHEMA_VERSION};
use window::WindowStats;

/// `format` field of every model file.
pub const MODEL_FORMAT: &str = "quantun-ai-engine-model";

/// The anomaly score a human at the 99th percentile of training distances
/// gets: the default flag threshold, so ~1 % of ordinary traffic reaches it.
const CALIBRATION_AT_P99: f64 = 0.65;

/// Below this rate the baseline multiplier is not applied: going from one
/// request a minute to four is a person opening a page, not an attack.
pub const RATE_MULTIPLIER_FLOOR: f64 = 30.0;

/// The model file (JSON): parameters, schema and the evaluation figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// Always [`MODEL_FORMAT`].
    pub format: String,
    /// Feature schema version ([`vector::SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// Feature names in order ([`vector::FEATURE_NAMES`]).
    pub features: Vec<String>,
    /// Model version, e.g. `1.20261122.s7`.
    pub version: String,
    /// RFC 3339 training time.
    pub trained_at: String,
    /// What it was trained on.
    pub training: TrainingInfo,
    /// Per-feature mean used to standardise.
    pub mean: Vec<f64>,
    /// Per-feature scale used to standardise (never below a floor).
    pub scale: Vec<f64>,
    /// k-means centroids of human traffic (standardised space).
    pub centroids: Vec<Vec<f64>>,
    /// 99th percentile of human training distances to the nearest centroid.
    pub distance_p99: f64,
    /// Logistic regression weights (standardised space), bot = positive.
    pub weights: Vec<f64>,
    /// Logistic regression intercept.
    pub intercept: f64,
    /// Evaluation figures on a held-out set (free-form, reported by the API).
    pub metrics: serde_json::Value,
}

/// Training provenance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingInfo {
    /// Labelled requests used.
    pub samples: usize,
    /// Bot families seen in training.
    pub families: Vec<String>,
    /// Families kept out of training (evaluated separately).
    pub held_out_families: Vec<String>,
    /// k-means clusters.
    pub clusters: usize,
}

/// Why a model file is refused.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// Not JSON or not the model layout.
    #[error("model file is not a valid model: {0}")]
    Parse(String),
    /// A different feature schema than this build computes.
    #[error("model feature schema mismatch: {0}; retrain it with this build (`ai-engine train`)")]
    Schema(String),
    /// Non-finite or inconsistent parameters.
    #[error("model parameters are invalid: {0}")]
    Invalid(String),
}

/// A loaded, checked model ready to score.
#[derive(Debug, Clone)]
pub struct Model {
    file: ModelFile,
    mean: Vector,
    inv_scale: Vector,
    centroids: Vec<Vector>,
    weights: Vector,
}

/// allow / flag / block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Let it through.
    Allow,
    /// Let it through and report it.
    Flag,
    /// Refuse it.
    Block,
}

impl Verdict {
    /// Label for metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Flag => "flag",
            Self::Block => "block",
        }
    }
}

/// How bad it is.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Nothing notable.
    None,
    /// Some signal below every threshold.
    Low,
    /// The verdict is flag: a bot or anomaly threshold crossed, no block threshold.
    Medium,
    /// The verdict is block, by the bot score (the anomaly below its critical threshold).
    High,
    /// Blocked with a critical anomaly.
    Critical,
}

/// Which part of the engine a reason comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReasonSource {
    /// The bot classifier (contribution: weight × standardised value, log-odds).
    Bot,
    /// The anomaly model (contribution: share of the distance × anomaly score).
    Anomaly,
    /// A rate rule (contribution: the anomaly score it imposes).
    Rule,
    /// The agent-string channel (contribution: the bot probability it
    /// imposes).
    Agent,
}

/// One named feature and how much it pushed the score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Reason {
    /// Feature name from the schema.
    pub feature: &'static str,
    /// Contribution (see [`ReasonSource`] for the unit).
    pub contribution: f64,
    /// Which part of the engine produced it; sets the unit of `contribution`.
    pub source: ReasonSource,
}

/// Most reasons returned per request.
pub const MAX_REASONS: usize = 3;

/// The result of scoring one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// 0..1 (rate rules included).
    pub anomaly: f64,
    /// 0..1 probability of a bot.
    pub bot: f64,
    /// Allow, flag or block, from the bot and anomaly scores against the thresholds.
    pub verdict: Verdict,
    /// Derived from the verdict (an allowed request with a bot or anomaly
    /// score of 0.5 or more is `low`).
    pub severity: Severity,
    /// Top reasons, strongest first; `n_reasons` are valid.
    pub reasons: [Option<Reason>; MAX_REASONS],
}

impl Score {
    /// The valid reasons.
    pub fn reasons(&self) -> impl Iterator<Item = &Reason> {
        self.reasons.iter().flatten()
    }
}

fn finite_all(v: &[f64]) -> bool {
    v.iter().all(|x| x.is_finite())
}

fn to_vector(v: &[f64], what: &str) -> Result<Vector, ModelError> {
    let arr: Vector = v.try_into().map_err(|_| {
        ModelError::Invalid(format!(
            "{what} has {} values, expected {N_FEATURES}",
            v.len()
        ))
    })?;
    if !finite_all(&arr) {
        return Err(ModelError::Invalid(format!(
            "{what} holds a non-finite value"
        )));
    }
    Ok(arr)
}

impl Model {
    /// Parses and checks a model file.
    pub fn from_json(bytes: &[u8]) -> Result<Self, ModelError> {
        let file: ModelFile =
            serde_json::from_slice(bytes).map_err(|e| ModelError::Parse(e.to_string()))?;
        Self::from_file(file)
    }

    /// Checks a parsed model file against this build's schema.
    pub fn from_file(file: ModelFile) -> Result<Self, ModelError> {
        if file.format != MODEL_FORMAT {
            return Err(ModelError::Parse(format!(
                "format is {:?}, expected {MODEL_FORMAT:?}",
                file.format
            )));
        }
        if file.schema_version != SCHEMA_VERSION {
            return Err(ModelError::Schema(format!(
                "file has schema version {}, this build computes version {SCHEMA_VERSION}",
                file.schema_version
            )));
        }
        if file.features.len() != N_FEATURES
            || file.features.iter().zip(FEATURE_NAMES).any(|(a, b)| a != b)
        {
            return Err(ModelError::Schema(format!(
                "file lists {} features that differ from this build's {N_FEATURES}",
                file.features.len()
            )));
        }
        let mean = to_vector(&file.mean, "mean")?;
        let scale = to_vector(&file.scale, "scale")?;
        if scale.iter().any(|s| *s <= 0.0) {
            return Err(ModelError::Invalid("scale must be positive".into()));
        }
        let weights = to_vector(&file.weights, "weights")?;
        if file.centroids.is_empty() {
            return Err(ModelError::Invalid("no centroids".into()));
        }
        let centroids = file
            .centroids
            .iter()
            .map(|c| to_vector(c, "centroid"))
            .collect::<Result<Vec<_>, _>>()?;
        if !(file.intercept.is_finite() && file.distance_p99.is_finite() && file.distance_p99 > 0.0)
        {
            return Err(ModelError::Invalid(
                "intercept or distance_p99 is not a positive finite number".into(),
            ));
        }
        let mut inv_scale = [0.0; N_FEATURES];
        for (i, s) in scale.iter().enumerate() {
            inv_scale[i] = 1.0 / s;
        }
        Ok(Self {
            file,
            mean,
            inv_scale,
            centroids,
            weights,
        })
    }

    /// The file it came from (version, metrics, ...).
    pub fn file(&self) -> &ModelFile {
        &self.file
    }

    /// Serialises the model file (pretty JSON).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(&self.file).unwrap_or_default()
    }

    /// Standardises a raw vector.
    pub fn standardise(&self, x: &Vector) -> Vector {
        let mut z = [0.0; N_FEATURES];
        for i in 0..N_FEATURES {
            z[i] = (x[i] - self.mean[i]) * self.inv_scale[i];
        }
        z
    }

    /// Bot probability and the per-feature log-odds terms.
    fn bot(&self, z: &Vector) -> (f64, Vector) {
        let mut terms = [0.0; N_FEATURES];
        let mut logit = self.file.intercept;
        for i in 0..N_FEATURES {
            terms[i] = self.weights[i] * z[i];
            logit += terms[i];
        }
        (1.0 / (1.0 + (-logit).exp()), terms)
    }

    /// Calibrated anomaly score and per-feature squared distances to the
    /// nearest centroid.
    fn anomaly(&self, z: &Vector) -> (f64, Vector) {
        let mut best = f64::INFINITY;
        let mut best_i = 0;
        for (ci, c) in self.centroids.iter().enumerate() {
            let mut d = 0.0;
            for i in 0..N_FEATURES {
                let e = z[i] - c[i];
                d += e * e;
            }
            if d < best {
                best = d;
                best_i = ci;
            }
        }
        let mut parts = [0.0; N_FEATURES];
        let c = &self.centroids[best_i];
        for i in 0..N_FEATURES {
            let e = z[i] - c[i];
            parts[i] = e * e;
        }
        (calibrate(best.sqrt(), self.file.distance_p99), parts)
    }

    /// Raw model outputs before thresholds: (anomaly, bot).
    pub fn raw_scores(&self, x: &Vector) -> (f64, f64) {
        let z = self.standardise(x);
        (self.anomaly(&z).0, self.bot(&z).0)
    }

    /// Scores one vector with its window and the agent-string evidence
    /// under `t`.
    pub fn score(
        &self,
        x: &Vector,
        w: &WindowStats,
        agent: &AgentEvidence,
        t: &Thresholds,
    ) -> Score {
        let z = self.standardise(x);
        let (mut anomaly, dist_parts) = self.anomaly(&z);
        let (mut bot, terms) = self.bot(&z);
        let mut reasons = Top::default();
        let total: f64 = dist_parts.iter().sum();
        if anomaly >= 0.5 && total > 0.0 {
            for (i, p) in dist_parts.iter().enumerate() {
                reasons.offer(FEATURE_NAMES[i], p / total * anomaly, ReasonSource::Anomaly);
            }
        }
        if bot >= 0.5 {
            for (i, c) in terms.iter().enumerate() {
                reasons.offer(FEATURE_NAMES[i], *c, ReasonSource::Bot);
            }
        }
        // Either evidence can raise the verdict: the agent string's when it
        // says more than the model.
        if let Some((p, feature)) = agent.bot_probability() {
            if p > bot {
                bot = p;
                reasons.force(feature, p, ReasonSource::Agent);
            }
        }
        // Rate rules: a fixed ceiling, and a jump over the client's own habit.
        if w.rate_per_min > f64::from(t.rate_per_minute) {
            let imposed = t.anomaly_critical.max(0.9);
            anomaly = anomaly.max(imposed);
            reasons.force(FEATURE_NAMES[0], imposed, ReasonSource::Rule);
        } else if w.rate_per_min >= RATE_MULTIPLIER_FLOOR && w.baseline_ratio > t.rate_multiplier {
            let imposed = t.anomaly.max(0.7).min(t.anomaly_critical);
            anomaly = anomaly.max(imposed);
            reasons.force(FEATURE_NAMES[1], imposed, ReasonSource::Rule);
        }
        let verdict = if bot >= t.bot_block || anomaly >= t.anomaly_critical {
            Verdict::Block
        } else if bot >= t.bot || anomaly >= t.anomaly {
            Verdict::Flag
        } else {
            Verdict::Allow
        };
        let severity = match verdict {
            Verdict::Block if anomaly >= t.anomaly_critical => Severity::Critical,
            Verdict::Block => Severity::High,
            Verdict::Flag => Severity::Medium,
            Verdict::Allow if bot >= 0.5 || anomaly >= 0.5 => Severity::Low,
            Verdict::Allow => Severity::None,
        };
        Score {
            anomaly,
            bot,
            verdict,
            severity,
            reasons: reasons.0,
        }
    }
}

/// Maps a distance to 0..1: 0 at the centroid, [`CALIBRATION_AT_P99`] at the
/// human 99th percentile, approaching 1 far away.
fn calibrate(d: f64, p99: f64) -> f64 {
    1.0 - (1.0 - CALIBRATION_AT_P99).powf(d / p99)
}

/// The strongest few positive contributions, without allocating.
#[derive(Default)]
struct Top([Option<Reason>; MAX_REASONS]);

impl Top {
    fn offer(&mut self, feature: &'static str, contribution: f64, source: ReasonSource) {
        // NaN and non-positive contributions are not reasons.
        if contribution.is_nan() || contribution <= 0.0 {
            return;
        }
        // Keep one entry per feature (the larger).
        if let Some(r) = self.0.iter_mut().flatten().find(|r| r.feature == feature) {
            if contribution > r.contribution {
                *r = Reason {
                    feature,
                    contribution,
                    source,
                };
                self.sort();
            }
            return;
        }
        let weakest = self
            .0
            .iter()
            .position(Option::is_none)
            .unwrap_or(MAX_REASONS - 1);
        if self.0[weakest].is_none_or(|r| r.contribution < contribution) {
            self.0[weakest] = Some(Reason {
                feature,
                contribution,
                source,
            });
            self.sort();
        }
    }

    /// A rule always shows, first.
    fn force(&mut self, feature: &'static str, contribution: f64, source: ReasonSource) {
        self.0.rotate_right(1);
        self.0[0] = Some(Reason {
            feature,
            contribution,
            source,
        });
        for i in 1..MAX_REASONS {
            if self.0[i].is_some_and(|r| r.feature == feature) {
                self.0[i] = None;
            }
        }
        self.0[1..].sort_by(cmp_reason);
    }

    fn sort(&mut self) {
        self.0.sort_by(cmp_reason);
    }
}

fn cmp_reason(a: &Option<Reason>, b: &Option<Reason>) -> std::cmp::Ordering {
    let key = |r: &Option<Reason>| r.map_or(f64::NEG_INFINITY, |r| r.contribution);
    key(b).total_cmp(&key(a))
}
