//! Training with linfa: k-means on human traffic (anomaly) and logistic
//! regression on everything (bot). Pure: labelled requests in, a
//! [`ModelFile`] out.

use super::request_shape::PathShape;
use super::vector::{observation, vectorize, Vector, FEATURE_NAMES, N_FEATURES, SCHEMA_VERSION};
use super::window::{WindowStats, WindowStore};
use super::{ModelFile, TrainingInfo, MODEL_FORMAT};
use crate::sim::Labelled;
use linfa::prelude::*;
use linfa::DatasetBase;
use linfa_clustering::KMeans;
use linfa_logistic::LogisticRegression;
use ndarray::{Array1, Array2};

/// Smallest standardisation scale: a feature (almost) constant in training
/// must not turn a small change into an infinite z-score.
const SCALE_FLOOR: f64 = 0.2;

/// Human rows given to k-means.
const KMEANS_SAMPLE: usize = 6000;

/// Features that by construction only ever point to automation (an attack
/// fragment, an automation token, headers contradicting the agent). The bot
/// classifier may not learn them as evidence of a *human*: when the training
/// families happen to never show one while a few people do, a plain fit gives
/// it a negative weight, and an unseen family showing it would be scored
/// *less* suspicious for it. A monotonic constraint, as fraud models use:
/// such a feature that comes out negative is dropped and the model refitted.
pub const SUSPICION_ONLY: &[&str] = &[
    "path_traversal",
    "path_sqli",
    "path_xss",
    "path_probed",
    "path_double_encoded",
    "user_agent_missing",
    "ua_automation",
    "ua_library",
    "ua_crawler",
    "ua_headless",
    "method_unusual",
    "ua_client_hints_missing",
    "ua_header_profile_mismatch",
];

/// Window capacity during replay (more than any training set's clients).
const REPLAY_CLIENTS: usize = 1 << 20;

/// What [`train`] fits and records in the model file; `ai-engine train` fills
/// it from its flags (defaults: 8 clusters, alpha 0.05, `sim::DEFAULT_HELD_OUT`
/// left out).
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// k-means clusters of human traffic.
    pub clusters: usize,
    /// Families left out of training.
    pub held_out: Vec<String>,
    /// Version string written into the file.
    pub version: String,
    /// Training time written into the file (RFC 3339).
    pub trained_at: String,
    /// L2 regularisation of the logistic regression.
    pub alpha: f64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            clusters: 8,
            held_out: crate::sim::DEFAULT_HELD_OUT
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            version: format!("{SCHEMA_VERSION}.0.0"),
            trained_at: "1970-01-01T00:00:00Z".into(),
            alpha: 0.05,
        }
    }
}

/// Replays labelled traffic (in time order) through a fresh window store,
/// as the live engine would see it, and returns one vector per request.
pub fn featurize(data: &[Labelled]) -> Vec<Vector> {
    replay(data).into_iter().map(|(v, _)| v).collect()
}

/// Like [`featurize`], with the window figures (the rate rules read them).
pub fn replay(data: &[Labelled]) -> Vec<(Vector, WindowStats)> {
    let mut store = WindowStore::new(REPLAY_CLIENTS);
    data.iter()
        .map(|l| {
            let f = &l.features;
            let shape = PathShape::of(&f.path);
            let w = store.observe(&observation(f, &shape));
            (vectorize(f, &shape, &w), w)
        })
        .collect()
}

fn to_array(rows: &[&Vector]) -> Array2<f64> {
    let mut a = Array2::zeros((rows.len(), N_FEATURES));
    for (i, r) in rows.iter().enumerate() {
        for j in 0..N_FEATURES {
            a[[i, j]] = r[j];
        }
    }
    a
}

/// Trains both models. Errors name what is missing (no humans, no bots, a
/// linfa failure).
pub fn train(data: &[Labelled], opts: &TrainOptions) -> Result<ModelFile, String> {
    let vectors = featurize(data);
    let keep: Vec<usize> = (0..data.len())
        .filter(|&i| !opts.held_out.iter().any(|h| *h == data[i].family))
        .collect();
    let rows: Vec<&Vector> = keep.iter().map(|&i| &vectors[i]).collect();
    let labels: Vec<bool> = keep.iter().map(|&i| data[i].bot).collect();
    let humans: Vec<&Vector> = keep
        .iter()
        .filter(|&&i| !data[i].bot)
        .map(|&i| &vectors[i])
        .collect();
    if humans.len() < opts.clusters.max(2) * 4 {
        return Err(format!(
            "need at least {} human requests, got {}",
            opts.clusters * 4,
            humans.len()
        ));
    }
    if !labels.iter().any(|b| *b) {
        return Err("no bot requests in the training data".into());
    }
    // Standardisation over the training rows.
    let n = rows.len() as f64;
    let mut mean = vec![0.0; N_FEATURES];
    let mut scale = vec![0.0; N_FEATURES];
    for r in &rows {
        for j in 0..N_FEATURES {
            mean[j] += r[j] / n;
        }
    }
    for r in &rows {
        for j in 0..N_FEATURES {
            scale[j] += (r[j] - mean[j]).powi(2) / n;
        }
    }
    for s in &mut scale {
        *s = s.sqrt().max(SCALE_FLOOR);
    }
    let z = |v: &Vector| -> Vector {
        let mut o = [0.0; N_FEATURES];
        for j in 0..N_FEATURES {
            o[j] = (v[j] - mean[j]) / scale[j];
        }
        o
    };
    let z_rows: Vec<Vector> = rows.iter().map(|r| z(r)).collect();
    let z_humans: Vec<Vector> = humans.iter().map(|r| z(r)).collect();

    // Anomaly: k-means over human traffic.
    // A strided sample is plenty for centroids and keeps training in seconds.
    let stride = (z_humans.len() / KMEANS_SAMPLE).max(1);
    let human_refs: Vec<&Vector> = z_humans.iter().step_by(stride).collect();
    let kmeans = KMeans::params(opts.clusters)
        .max_n_iterations(200)
        .tolerance(1e-4)
        .n_runs(1)
        .fit(&DatasetBase::from(to_array(&human_refs)))
        .map_err(|e| format!("k-means failed: {e}"))?;
    let centroids: Vec<Vec<f64>> = kmeans
        .centroids()
        .rows()
        .into_iter()
        .map(|r| r.to_vec())
        .collect();
    let mut dists: Vec<f64> = z_humans
        .iter()
        .map(|h| {
            centroids
                .iter()
                .map(|c| c.iter().zip(h).map(|(a, b)| (a - b).powi(2)).sum::<f64>())
                .fold(f64::INFINITY, f64::min)
                .sqrt()
        })
        .collect();
    dists.sort_by(f64::total_cmp);
    let p99 = dists[((dists.len() as f64 * 0.99) as usize).min(dists.len() - 1)].max(1e-6);

    // Bot: logistic regression (bool labels: `true` is the positive class),
    // refitted without any suspicion-only feature that came out negative.
    let mut dropped = [false; N_FEATURES];
    let mut x = to_array(&z_rows.iter().collect::<Vec<_>>());
    let labels = Array1::from(labels);
    let (weights, intercept) = loop {
        let dataset = Dataset::new(x.clone(), labels.clone());
        let logistic = LogisticRegression::default()
            .alpha(opts.alpha)
            .max_iterations(150)
            .fit(&dataset)
            .map_err(|e| format!("logistic regression failed: {e}"))?;
        // linfa names one class positive; we want P(bot), so flip the sign
        // when it picked the human class.
        let sign = if logistic.labels().pos.class {
            1.0
        } else {
            -1.0
        };
        let weights: Vec<f64> = logistic.params().iter().map(|w| sign * w).collect();
        let wrong: Vec<usize> = (0..N_FEATURES)
            .filter(|&j| {
                !dropped[j] && weights[j] < 0.0 && SUSPICION_ONLY.contains(&FEATURE_NAMES[j])
            })
            .collect();
        if wrong.is_empty() {
            let mut weights = weights;
            for (w, d) in weights.iter_mut().zip(dropped) {
                if d {
                    *w = 0.0;
                }
            }
            break (weights, sign * logistic.intercept());
        }
        for j in wrong {
            dropped[j] = true;
            x.column_mut(j).fill(0.0);
        }
    };

    let mut families: Vec<String> = data
        .iter()
        .filter(|l| l.bot && !opts.held_out.contains(&l.family))
        .map(|l| l.family.clone())
        .collect();
    families.sort();
    families.dedup();
    Ok(ModelFile {
        format: MODEL_FORMAT.to_owned(),
        schema_version: SCHEMA_VERSION,
        features: FEATURE_NAMES.iter().map(|s| (*s).to_owned()).collect(),
        version: opts.version.clone(),
        trained_at: opts.trained_at.clone(),
        training: TrainingInfo {
            samples: rows.len(),
            families,
            held_out_families: opts.held_out.clone(),
            clusters: opts.clusters,
        },
        mean,
        scale,
        centroids,
        distance_p99: p99,
        weights,
        intercept,
        metrics: serde_json::Value::Null,
    })
}
