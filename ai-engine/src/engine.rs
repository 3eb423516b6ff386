//! The scoring engine: the model, the live thresholds and the per-client
//! windows behind one handle shared by every request.
//!
//! A batch is scored in three steps so the only serial part is the cheap
//! window update: path shapes in parallel (rayon), window updates under one
//! lock in request order, then vectors and scores in parallel.

use std::sync::{Arc, Mutex, RwLock};

use rayon::prelude::*;
use shared::features::RequestFeatures;

use crate::agent::AgentKnowledge;
use crate::model::request_shape::PathShape;
use crate::model::vector::{observation, vectorize};
use crate::model::window::{WindowStats, WindowStore};
use crate::model::Thresholds;
use crate::model::{Model, ModelError, Score};

/// The model built into the binary (trained by `make model`, committed).
pub const DEFAULT_MODEL: &[u8] = include_bytes!("../models/default.json");

/// Below this many requests a batch is scored on the calling thread: the
/// hand-off to rayon costs more than it saves.
const PARALLEL_MIN: usize = 64;

/// Model + agent lists + thresholds + windows.
#[derive(Debug)]
pub struct Engine {
    model: Arc<Model>,
    agents: Arc<AgentKnowledge>,
    thresholds: RwLock<Thresholds>,
    windows: Mutex<WindowStore>,
}

impl Engine {
    /// A new engine with empty windows.
    pub fn new(
        model: Model,
        agents: Arc<AgentKnowledge>,
        thresholds: Thresholds,
        window_clients: usize,
    ) -> Self {
        Self {
            model: Arc::new(model),
            agents,
            thresholds: RwLock::new(thresholds),
            windows: Mutex::new(WindowStore::new(window_clients)),
        }
    }

    /// The agent lists in use.
    pub fn agents(&self) -> &AgentKnowledge {
        &self.agents
    }

    /// Loads the built-in model.
    pub fn default_model() -> Result<Model, ModelError> {
        Model::from_json(DEFAULT_MODEL)
    }

    /// The model loaded at start-up (QSGW_AI_MODEL_PATH or the built-in one),
    /// fixed for the process's life, unlike the thresholds.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Current thresholds.
    pub fn thresholds(&self) -> Thresholds {
        // A poisoned lock only means a panic elsewhere while writing a Copy
        // value: the value itself is whole.
        *self.thresholds.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the thresholds (from etcd).
    pub fn set_thresholds(&self, t: Thresholds) {
        *self.thresholds.write().unwrap_or_else(|p| p.into_inner()) = t;
    }

    fn observe_all(&self, reqs: &[RequestFeatures], shapes: &[PathShape]) -> Vec<WindowStats> {
        let mut w = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        reqs.iter()
            .zip(shapes)
            .map(|(r, s)| w.observe(&observation(r, s)))
            .collect()
    }

    /// Scores validated requests, in order.
    pub fn analyze(&self, reqs: &[RequestFeatures]) -> Vec<Score> {
        let t = self.thresholds();
        if reqs.len() < PARALLEL_MIN {
            let shapes: Vec<PathShape> = reqs.iter().map(|r| PathShape::of(&r.path)).collect();
            let windows = self.observe_all(reqs, &shapes);
            return reqs
                .iter()
                .zip(&shapes)
                .zip(&windows)
                .map(|((r, s), w)| self.score_one(r, s, w, &t))
                .collect();
        }
        let shapes: Vec<PathShape> = reqs.par_iter().map(|r| PathShape::of(&r.path)).collect();
        let windows = self.observe_all(reqs, &shapes);
        reqs.par_iter()
            .zip(shapes.par_iter())
            .zip(windows.par_iter())
            .map(|((r, s), w)| self.score_one(r, s, w, &t))
            .collect()
    }

    fn score_one(
        &self,
        r: &RequestFeatures,
        s: &PathShape,
        w: &WindowStats,
        t: &Thresholds,
    ) -> Score {
        let agent = self.agents.evidence(r.user_agent.as_deref());
        self.model.score(&vectorize(r, s, w), w, &agent, t)
    }
}
