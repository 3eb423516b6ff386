//! What every handler shares.

use std::sync::{Arc, OnceLock};

use shared::error::Problem;

use crate::model::scoring::Options;
use crate::model::Engine;

/// Router state.
#[derive(Debug, Clone)]
pub struct AppState {
    /// Set once the calibration model is trained; until then scoring is 503.
    pub engine: Arc<OnceLock<Arc<Engine>>>,
    /// Default scoring parameters (from the configuration).
    pub defaults: Options,
}

impl AppState {
    /// The engine, or 503 while it is still loading.
    pub fn engine(&self) -> Result<Arc<Engine>, Problem> {
        self.engine
            .get()
            .cloned()
            .ok_or_else(|| Problem::unavailable("the model is still loading"))
    }
}
