//! Pure scoring logic (no I/O): the identity layer, the knowledge base,
//! the policy packs, the severity calibration model and the per-asset
//! scoring that combines them.

pub mod calibration;
pub mod identity;
pub mod kb;
pub mod policy;
pub mod scoring;
pub mod suite;
pub mod timeline;

use std::collections::HashMap;

use calibration::Calibrator;
use kb::KnowledgeBase;
use policy::{Op, Packs};
use scoring::{Resolved, Usage};
use timeline::Timelines;

/// Everything scoring needs, built once at start.
#[derive(Debug, Clone)]
pub struct Engine {
    /// Knowledge base.
    pub kb: KnowledgeBase,
    /// Policy packs.
    pub packs: Packs,
    /// CRQC timeline bands.
    pub timelines: Timelines,
    /// Severity thresholds.
    pub calibrator: Calibrator,
}

type Key<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<Usage>,
    Option<Op>,
);

impl Engine {
    /// Puts the parsed data together.
    pub fn build(kb: KnowledgeBase, packs: Packs, timelines: Timelines) -> Self {
        Self {
            kb,
            packs,
            timelines,
            calibrator: Calibrator::new(),
        }
    }

    /// The shipped knowledge base, packs and timelines.
    pub fn embedded() -> Result<Self, String> {
        Ok(Self::build(
            KnowledgeBase::parse(kb::EMBEDDED)?,
            Packs::parse(policy::EMBEDDED)?,
            Timelines::parse(timeline::EMBEDDED)?,
        ))
    }

    /// Scores one asset.
    pub fn score(&self, opts: &scoring::Options, asset: &scoring::Asset) -> scoring::Scored {
        scoring::score(
            &self.kb,
            &self.packs,
            &self.timelines,
            &self.calibrator,
            opts,
            asset,
        )
    }

    /// Scores a batch in order. Identity and policy verdicts are resolved
    /// once per distinct (name, family, parameter, OID, usage, op): real
    /// inventories repeat a few dozen algorithms thousands of times.
    pub fn score_all(
        &self,
        opts: &scoring::Options,
        assets: &[scoring::Asset],
    ) -> Vec<scoring::Scored> {
        let bands = scoring::bands_for(&self.timelines, opts);
        let mut cache: HashMap<Key<'_>, Resolved> = HashMap::new();
        let mut out: Vec<scoring::Scored> = assets
            .iter()
            .map(|a| {
                let key: Key<'_> = (
                    a.algorithm.as_str(),
                    a.family.as_deref(),
                    a.parameter.as_deref(),
                    a.oid.as_deref(),
                    a.usage,
                    a.op,
                );
                let r = cache
                    .entry(key)
                    .or_insert_with(|| scoring::resolve(&self.kb, &self.packs, opts, a));
                scoring::score_resolved(&self.calibrator, &bands, opts, a, r)
            })
            .collect();
        scoring::mark_rank_stability(&mut out);
        out
    }
}
