//! Evaluation: precision, recall, F1, ROC AUC and confusion matrices per
//! task, recall per bot family, held-out families apart, and whether sync
//! and async inspection agree.
//!
//! Requests are scored through an [`Engine`], in order, each with its
//! client's window so far: exactly as live.

use std::sync::Arc;

use serde::Serialize;
use shared::features::RequestFeatures;

use super::{Model, Score, Verdict};
use crate::agent::AgentKnowledge;
use crate::engine::Engine;
use crate::model::Thresholds;
use crate::sim::Labelled;

/// Window capacity while evaluating (more than any evaluation set's clients).
const EVAL_CLIENTS: usize = 1 << 20;

/// Scores requests in order through a fresh engine, as live.
pub fn score_stream(
    model: &Model,
    agents: &Arc<AgentKnowledge>,
    t: &Thresholds,
    reqs: &[RequestFeatures],
) -> Vec<Score> {
    Engine::new(model.clone(), agents.clone(), *t, EVAL_CLIENTS).analyze(reqs)
}

/// The same requests as a sync route asks for them: before forwarding, so
/// without status or latency.
pub fn as_sync(reqs: &[RequestFeatures]) -> Vec<RequestFeatures> {
    reqs.iter()
        .map(|r| RequestFeatures {
            status: None,
            latency_ms: None,
            ..r.clone()
        })
        .collect()
}

/// Sync and async verdicts compared request by request.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Agreement {
    /// Requests compared.
    pub requests: u64,
    /// Requests whose sync and async verdicts are the same.
    pub same_verdict: u64,
    /// `same_verdict / requests`.
    pub share: f64,
}

impl Agreement {
    /// Compares two verdict lists position by position.
    pub fn of(async_scores: &[Score], sync_scores: &[Score]) -> Self {
        let requests = async_scores.len().min(sync_scores.len()) as u64;
        let same_verdict = async_scores
            .iter()
            .zip(sync_scores)
            .filter(|(a, s)| a.verdict == s.verdict)
            .count() as u64;
        Self {
            requests,
            same_verdict,
            share: ratio(same_verdict, requests),
        }
    }
}

/// The one line both reports (simulated and real-agent) print for it.
impl std::fmt::Display for Agreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sync/async verdict agreement: {} of {} requests ({:.4})",
            self.same_verdict, self.requests, self.share
        )
    }
}

/// Binary classification figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Binary {
    /// True positives.
    pub tp: u64,
    /// False positives.
    pub fp: u64,
    /// True negatives.
    pub tn: u64,
    /// False negatives.
    pub fn_: u64,
    /// tp / (tp + fp).
    pub precision: f64,
    /// tp / (tp + fn).
    pub recall: f64,
    /// Harmonic mean.
    pub f1: f64,
    /// fp / (fp + tn): share of humans caught.
    pub fpr: f64,
    /// Area under the ROC curve of the score.
    pub roc_auc: f64,
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Figures for predictions `pred` of labels `truth`, with `scores` for AUC.
pub fn binary(truth: &[bool], pred: &[bool], scores: &[f64]) -> Binary {
    let (mut tp, mut fp, mut tn, mut fn_) = (0, 0, 0, 0);
    for (t, p) in truth.iter().zip(pred) {
        match (t, p) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (false, false) => tn += 1,
            (true, false) => fn_ += 1,
        }
    }
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    Binary {
        tp,
        fp,
        tn,
        fn_,
        precision,
        recall,
        f1: if precision + recall > 0.0 {
            2.0 * precision * recall / (precision + recall)
        } else {
            0.0
        },
        fpr: ratio(fp, fp + tn),
        roc_auc: roc_auc(truth, scores),
    }
}

/// ROC AUC by the rank-sum (Mann-Whitney) formula, ties averaged; 0.5 when
/// one class is absent.
pub fn roc_auc(truth: &[bool], scores: &[f64]) -> f64 {
    let mut idx: Vec<usize> = (0..truth.len().min(scores.len())).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut rank_sum, mut pos) = (0.0, 0u64);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &idx[i..=j] {
            if truth[k] {
                rank_sum += avg;
                pos += 1;
            }
        }
        i = j + 1;
    }
    let neg = idx.len() as u64 - pos;
    if pos == 0 || neg == 0 {
        return 0.5;
    }
    (rank_sum - (pos * (pos + 1)) as f64 / 2.0) / (pos * neg) as f64
}

/// Recall of one bot family (verdict flag or block counts as caught).
#[derive(Debug, Clone, Serialize)]
pub struct FamilyRecall {
    /// Family name.
    pub family: String,
    /// Evaluation requests of this family (the recall's denominator).
    pub requests: u64,
    /// Share flagged or blocked.
    pub recall: f64,
    /// Share blocked.
    pub blocked: f64,
    /// Kept out of training.
    pub held_out: bool,
}

/// Everything `ai-engine evaluate` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Requests evaluated.
    pub requests: u64,
    /// Bot classifier alone, at the bot flag threshold.
    pub bot: Binary,
    /// Anomaly model with rate rules, at the anomaly flag threshold.
    pub anomaly: Binary,
    /// Final verdict: caught = flag or block; AUC on max(bot, anomaly).
    pub verdict: Binary,
    /// Final verdict counting only `block` as positive.
    pub block: Binary,
    /// Share of human requests (0..1) the final verdict blocks: the false
    /// positives that cost a real user the request (`block`'s FPR).
    pub human_fpr_at_block: f64,
    /// Recall and blocked share per bot family of the evaluation set, with
    /// whether it was held out of training.
    pub families: Vec<FamilyRecall>,
    /// Same figures over the families seen in training only.
    pub seen_verdict: Binary,
    /// The same stream scored as a sync route sends it (no status, no
    /// latency) against as an async route does.
    pub sync_async: Agreement,
}

/// Scores `data` (time-ordered, as generated) and computes the report.
pub fn evaluate(
    model: &Model,
    agents: &Arc<AgentKnowledge>,
    data: &[Labelled],
    t: &Thresholds,
    held_out: &[String],
) -> Report {
    let reqs: Vec<RequestFeatures> = data.iter().map(|l| l.features.clone()).collect();
    let scores = score_stream(model, agents, t, &reqs);
    let sync_async = Agreement::of(&scores, &score_stream(model, agents, t, &as_sync(&reqs)));
    let truth: Vec<bool> = data.iter().map(|l| l.bot).collect();
    let bot_s: Vec<f64> = scores.iter().map(|s| s.bot).collect();
    let an_s: Vec<f64> = scores.iter().map(|s| s.anomaly).collect();
    let max_s: Vec<f64> = scores.iter().map(|s| s.bot.max(s.anomaly)).collect();
    let bot_p: Vec<bool> = bot_s.iter().map(|s| *s >= t.bot).collect();
    let an_p: Vec<bool> = an_s.iter().map(|s| *s >= t.anomaly).collect();
    let caught: Vec<bool> = scores.iter().map(|s| s.verdict != Verdict::Allow).collect();
    let blocked: Vec<bool> = scores.iter().map(|s| s.verdict == Verdict::Block).collect();
    let block = binary(&truth, &blocked, &max_s);
    let mut names: Vec<&str> = data
        .iter()
        .filter(|l| l.bot)
        .map(|l| l.family.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let families = names
        .into_iter()
        .map(|f| {
            let idx: Vec<usize> = (0..data.len()).filter(|&i| data[i].family == f).collect();
            let n = idx.len() as u64;
            FamilyRecall {
                family: f.to_owned(),
                requests: n,
                recall: ratio(idx.iter().filter(|&&i| caught[i]).count() as u64, n),
                blocked: ratio(idx.iter().filter(|&&i| blocked[i]).count() as u64, n),
                held_out: held_out.iter().any(|h| h == f),
            }
        })
        .collect();
    let seen: Vec<usize> = (0..data.len())
        .filter(|&i| !held_out.iter().any(|h| *h == data[i].family))
        .collect();
    let pick = |v: &[bool]| seen.iter().map(|&i| v[i]).collect::<Vec<_>>();
    let seen_verdict = binary(
        &pick(&truth),
        &pick(&caught),
        &seen.iter().map(|&i| max_s[i]).collect::<Vec<_>>(),
    );
    Report {
        requests: data.len() as u64,
        bot: binary(&truth, &bot_p, &bot_s),
        anomaly: binary(&truth, &an_p, &an_s),
        verdict: binary(&truth, &caught, &max_s),
        human_fpr_at_block: block.fpr,
        block,
        families,
        seen_verdict,
        sync_async,
    }
}

impl Report {
    /// Plain-text rendering for the terminal and BENCHMARKS.md.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(s, "requests evaluated: {}", self.requests);
        let _ = writeln!(
            s,
            "{:<34} {:>9} {:>9} {:>9} {:>9} {:>9}   confusion [[TN FP] [FN TP]]",
            "task", "precision", "recall", "F1", "ROC AUC", "FPR"
        );
        let row = |s: &mut String, name: &str, b: &Binary| {
            let _ = writeln!(
                s,
                "{:<34} {:>9.4} {:>9.4} {:>9.4} {:>9.4} {:>9.4}   [[{} {}] [{} {}]]",
                name, b.precision, b.recall, b.f1, b.roc_auc, b.fpr, b.tn, b.fp, b.fn_, b.tp
            );
        };
        row(&mut s, "bot classifier (p >= bot thr)", &self.bot);
        row(&mut s, "anomaly + rate rules (>= thr)", &self.anomaly);
        row(&mut s, "verdict flag|block, all families", &self.verdict);
        row(
            &mut s,
            "verdict flag|block, seen families",
            &self.seen_verdict,
        );
        row(&mut s, "verdict block", &self.block);
        let _ = writeln!(
            s,
            "human false-positive rate at block: {:.4}",
            self.human_fpr_at_block
        );
        let _ = writeln!(s, "{}", self.sync_async);
        let _ = writeln!(
            s,
            "{:<22} {:>9} {:>9} {:>9}  training",
            "family", "requests", "recall", "blocked"
        );
        for f in &self.families {
            let _ = writeln!(
                s,
                "{:<22} {:>9} {:>9.4} {:>9.4}  {}",
                f.family,
                f.requests,
                f.recall,
                f.blocked,
                if f.held_out { "HELD OUT" } else { "seen" }
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_and_counts() {
        let truth = [false, false, true, true];
        assert_eq!(roc_auc(&truth, &[0.1, 0.2, 0.8, 0.9]), 1.0);
        assert_eq!(roc_auc(&truth, &[0.9, 0.8, 0.2, 0.1]), 0.0);
        assert_eq!(roc_auc(&truth, &[0.5, 0.5, 0.5, 0.5]), 0.5);
        assert_eq!(roc_auc(&[true, true], &[0.1, 0.2]), 0.5);
        let b = binary(&truth, &[false, true, true, false], &[0.0; 4]);
        assert_eq!((b.tp, b.fp, b.tn, b.fn_), (1, 1, 1, 1));
        assert_eq!((b.precision, b.recall, b.f1, b.fpr), (0.5, 0.5, 0.5, 0.5));
    }
}
