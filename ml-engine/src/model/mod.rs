//! Pure scoring logic (no I/O): the knowledge base, the severity
//! calibration model and the per-asset scoring that combines them.

pub mod calibration;
pub mod kb;
pub mod scoring;

use calibration::Calibrator;
use kb::KnowledgeBase;

/// Everything scoring needs, built once at start.
#[derive(Debug, Clone)]
pub struct Engine {
    /// Knowledge base.
    pub kb: KnowledgeBase,
    /// Severity calibration.
    pub calibrator: Calibrator,
}

impl Engine {
    /// Fits the calibration over a parsed knowledge base.
    pub fn build(kb: KnowledgeBase, examples_csv: &str) -> Result<Self, String> {
        Ok(Self {
            kb,
            calibrator: Calibrator::train(examples_csv)?,
        })
    }

    /// Scores a batch in order.
    pub fn score_all(
        &self,
        opts: &scoring::Options,
        assets: &[scoring::Asset],
    ) -> Vec<scoring::Scored> {
        assets
            .iter()
            .map(|a| scoring::score(&self.kb, &self.calibrator, opts, a))
            .collect()
    }
}
