//! Severity calibration: a multinomial logistic regression (linfa) trained
//! on the labelled examples in `data/severity_examples.csv` maps the
//! composite score to a severity. Every fifth example is held out for the
//! reported accuracy. Training is deterministic (L-BFGS from zeros), and the
//! fitted model is tabulated at 0.01-point steps so scoring a batch is a
//! table lookup per asset.

use linfa::prelude::*;
use linfa_logistic::MultiLogisticRegression;
use ndarray::{Array1, Array2};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The labelled examples shipped with the engine.
pub const EMBEDDED_EXAMPLES: &str = include_str!("../../data/severity_examples.csv");

/// Severity, ordered INFO < LOW < MEDIUM < HIGH < CRITICAL.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Upper-case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "INFO",
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
            Self::Critical => "CRITICAL",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "INFO" => Self::Info,
            "LOW" => Self::Low,
            "MEDIUM" => Self::Medium,
            "HIGH" => Self::High,
            "CRITICAL" => Self::Critical,
            _ => return None,
        })
    }

    fn from_index(i: usize) -> Self {
        [
            Self::Info,
            Self::Low,
            Self::Medium,
            Self::High,
            Self::Critical,
        ][i.min(4)]
    }
}

/// What `GET /api/v1/models` reports about the calibration.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelInfo {
    /// Model identifier.
    pub name: &'static str,
    /// Version: algorithm, data set size and a digest of the data.
    pub version: String,
    /// Examples used for training.
    pub train_examples: usize,
    /// Examples held out.
    pub held_out_examples: usize,
    /// Share of held-out examples whose label the model predicts.
    pub held_out_accuracy: f64,
    /// Lowest score of each severity after calibration.
    pub thresholds: Vec<(Severity, f64)>,
}

/// A fitted, tabulated calibration.
#[derive(Debug, Clone)]
pub struct Calibrator {
    table: Vec<Severity>,
    /// Report for `/models`.
    pub info: ModelInfo,
}

const STEPS: usize = 10_000;

fn feature(score: f64) -> f64 {
    // Centred and scaled: the solver is told to expect normalised input.
    (score - 50.0) / 25.0
}

impl Calibrator {
    /// Parses the examples and fits the model.
    pub fn train(csv_text: &str) -> Result<Self, String> {
        let mut rows: Vec<(f64, Severity)> = Vec::new();
        for (n, line) in csv_text.lines().enumerate().skip(1) {
            if line.trim().is_empty() {
                continue;
            }
            let (s, l) = line
                .split_once(',')
                .ok_or_else(|| format!("line {}: expected score,severity", n + 1))?;
            let score: f64 = s
                .trim()
                .parse()
                .map_err(|_| format!("line {}: score {s:?} is not a number", n + 1))?;
            if !(0.0..=100.0).contains(&score) {
                return Err(format!("line {}: score must be 0..100", n + 1));
            }
            let sev = Severity::parse(l.trim())
                .ok_or_else(|| format!("line {}: unknown severity {l:?}", n + 1))?;
            rows.push((score, sev));
        }
        if rows.len() < 50 {
            return Err(format!("only {} examples (need at least 50)", rows.len()));
        }
        let (test, train): (Vec<_>, Vec<_>) =
            rows.iter().enumerate().partition(|(i, _)| i % 5 == 4);
        let x = Array2::from_shape_fn((train.len(), 1), |(i, _)| feature(train[i].1 .0));
        let y: Array1<usize> = train.iter().map(|(_, (_, s))| *s as usize).collect();
        let model = MultiLogisticRegression::default()
            .alpha(1e-4)
            .max_iterations(1_000)
            .fit(&Dataset::new(x, y))
            .map_err(|e| format!("training failed: {e}"))?;

        let grid = Array2::from_shape_fn((STEPS + 1, 1), |(i, _)| {
            feature(i as f64 * 100.0 / STEPS as f64)
        });
        let table: Vec<Severity> = model
            .predict(&grid)
            .iter()
            .map(|&c| Severity::from_index(c))
            .collect();
        if table.windows(2).any(|w| w[1] < w[0]) {
            return Err("the fitted model is not monotone in the score".into());
        }
        let correct = test
            .iter()
            .filter(|(_, (s, l))| table[index(*s)] == *l)
            .count();
        let mut thresholds = Vec::new();
        for (i, sev) in table.iter().enumerate() {
            if thresholds.last().is_none_or(|(s, _)| s != sev) {
                thresholds.push((*sev, i as f64 * 100.0 / STEPS as f64));
            }
        }
        let digest = csv_text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        Ok(Self {
            table,
            info: ModelInfo {
                name: "severity-calibration-multinomial-logistic",
                version: format!("1.{}.{:08x}", rows.len(), digest & 0xffff_ffff),
                train_examples: train.len(),
                held_out_examples: test.len(),
                held_out_accuracy: (correct as f64 / test.len().max(1) as f64 * 10_000.0).round()
                    / 10_000.0,
                thresholds,
            },
        })
    }

    /// Severity of a composite score (clamped to 0..100).
    pub fn severity(&self, score: f64) -> Severity {
        self.table[index(score)]
    }
}

fn index(score: f64) -> usize {
    let s = if score.is_finite() {
        score.clamp(0.0, 100.0)
    } else {
        100.0
    };
    // in range by the clamp; the cast cannot truncate meaningfully
    ((s * STEPS as f64 / 100.0).round() as usize).min(STEPS)
}
