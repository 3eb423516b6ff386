//! The real-agent benchmark: agent strings from public sources that neither
//! the learned model nor the agent lists were built from, each sent under a
//! real browser's header names in that browser's order, so a bot can only be
//! caught by what its agent string gives away.
//!
//! | split | source | used for |
//! |---|---|---|
//! | training | npm `top-user-agents` (browsers), npm `crawler-user-agents` instances, the simulator's library and scanner strings | the learned model (`ai-engine generate`/`train`) |
//! | agent lists | npm `isbot` patterns, npm `crawler-user-agents` patterns | the agent-string channel |
//! | **held out** (this benchmark) | PyPI `crawlerdetect` 0.4.2 test fixture `crawlers.txt` (bots, MIT); npm `user-agents` 2.1.198 (browsers, BSD-2-Clause, weighted by real traffic share) | evaluation only |
//!
//! A bot agent that happens to appear verbatim in the training split is
//! counted, and the recall over the rest is reported apart.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use shared::features::RequestFeatures;
use shared::user_agent::ClaimedEngine;

use super::eval::{as_sync, score_stream, Agreement};
use super::{Model, Score, Verdict};
use crate::agent::AgentKnowledge;
use crate::model::Thresholds;
use crate::sim::{training_agents, CHROME_HEADERS, FIREFOX_HEADERS, SAFARI_HEADERS};

const BOTS: &str = include_str!("../../data/benchmark/crawlerdetect-crawlers.txt");
const BROWSERS: &str = include_str!("../../data/benchmark/user-agents-browsers.json");

/// A browser agent with its share of real traffic.
#[derive(Debug, Clone, Deserialize)]
pub struct WeightedAgent {
    /// The agent string.
    pub user_agent: String,
    /// Share of the source's traffic sample (the shares sum to 1).
    pub weight: f64,
}

/// The held-out agents.
#[derive(Debug, Clone)]
pub struct RealAgents {
    /// Bot agent strings.
    pub bots: Vec<String>,
    /// Browser agent strings, weighted.
    pub browsers: Vec<WeightedAgent>,
}

impl RealAgents {
    /// The sets vendored in `data/benchmark/` (see `data/SOURCES.md`).
    pub fn built_in() -> Result<Self, String> {
        let mut seen = HashSet::new();
        let bots = BOTS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && l.len() <= shared::features::MAX_USER_AGENT_LEN)
            .filter(|l| seen.insert(*l))
            .map(str::to_owned)
            .collect();
        let browsers: Vec<WeightedAgent> =
            serde_json::from_str(BROWSERS).map_err(|e| format!("browser set: {e}"))?;
        Ok(Self { bots, browsers })
    }
}

/// The header names a browser of `engine` sends on a navigation; an agent
/// that claims no engine gets desktop Firefox's (what the measurements that
/// opened issue 22 used).
pub fn browser_header_names(engine: ClaimedEngine) -> &'static [&'static str] {
    match engine {
        ClaimedEngine::Chromium => CHROME_HEADERS,
        ClaimedEngine::WebKit => SAFARI_HEADERS,
        ClaimedEngine::Firefox | ClaimedEngine::None => FIREFOX_HEADERS,
    }
}

/// One navigation per agent, each from its own client (a fresh window), as
/// an async route reports it (status and latency known).
pub fn navigations<'a>(agents: impl Iterator<Item = &'a str>) -> Vec<RequestFeatures> {
    agents
        .enumerate()
        .map(|(i, ua)| {
            let n = u32::try_from(i).unwrap_or(u32::MAX);
            RequestFeatures {
                // 198.18.0.0/15: the benchmarking range (RFC 2544).
                client_ip: IpAddr::V4(Ipv4Addr::from(0xc612_0000u32.wrapping_add(n))),
                method: "GET".into(),
                path: "/".into(),
                query_len: 0,
                header_names: browser_header_names(ClaimedEngine::of(Some(ua)))
                    .iter()
                    .map(|h| (*h).to_owned())
                    .collect(),
                user_agent: Some(ua.to_owned()),
                status: Some(200),
                latency_ms: Some(20.0),
                tls_protocol: Some("TLSv1.3".into()),
                tls_group: Some("X25519MLKEM768".into()),
                timestamp_ms: 1_763_800_000_000 + u64::from(n) * 1000,
            }
        })
        .collect()
}

/// How one detector did on both sets.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Detection {
    /// Bots flagged or blocked / bots.
    pub bot_recall: f64,
    /// Share of bot agents (0..1) this detector blocks rather than only
    /// flags: the stricter part of `bot_recall`.
    pub bot_blocked: f64,
    /// Browser agents flagged or blocked / browser agents.
    pub browser_fpr: f64,
    /// The same weighted by each browser agent's share of real traffic.
    pub browser_fpr_weighted: f64,
}

/// Everything the real-agent benchmark reports.
#[derive(Debug, Clone, Serialize)]
pub struct AgentReport {
    /// Distinct bot agents.
    pub bots: u64,
    /// Bot agents found verbatim in the training split.
    pub bots_seen_in_training: u64,
    /// Distinct browser agents.
    pub browsers: u64,
    /// Browser agents found verbatim in the training split.
    pub browsers_seen_in_training: u64,
    /// The agent-string channel alone (lists and structural checks).
    pub agent_only: Detection,
    /// The learned model alone, agent + browser header names.
    pub model_only: Detection,
    /// The engine's verdict, agent + browser header names.
    pub verdict: Detection,
    /// The verdict's bot recall over the bots not seen in training.
    pub verdict_recall_unseen: f64,
    /// Sync (no status, no latency) against async verdicts, both sets.
    pub sync_async: Agreement,
    /// Bot agents the verdict allowed (at most 30, for reading).
    pub missed_bots: Vec<String>,
    /// Browser agents the verdict flagged or blocked (at most 30).
    pub flagged_browsers: Vec<String>,
}

fn caught(s: &Score) -> bool {
    s.verdict != Verdict::Allow
}

fn share(hits: impl Iterator<Item = bool>) -> f64 {
    let (mut n, mut k) = (0u64, 0u64);
    for h in hits {
        n += 1;
        k += u64::from(h);
    }
    if n == 0 {
        0.0
    } else {
        k as f64 / n as f64
    }
}

/// Runs the benchmark.
pub fn run(
    model: &Model,
    agents: &Arc<AgentKnowledge>,
    t: &Thresholds,
    set: &RealAgents,
) -> AgentReport {
    let training: HashSet<&str> = training_agents().collect();
    let bot_reqs = navigations(set.bots.iter().map(String::as_str));
    let browser_reqs = navigations(set.browsers.iter().map(|b| b.user_agent.as_str()));
    let total_weight: f64 = set.browsers.iter().map(|b| b.weight).sum();
    let detection = |bots: &[bool], blocked: &[bool], browsers: &[bool]| Detection {
        bot_recall: share(bots.iter().copied()),
        bot_blocked: share(blocked.iter().copied()),
        browser_fpr: share(browsers.iter().copied()),
        browser_fpr_weighted: if total_weight > 0.0 {
            set.browsers
                .iter()
                .zip(browsers)
                .filter(|(_, f)| **f)
                .map(|(b, _)| b.weight)
                .sum::<f64>()
                .max(0.0)
                / total_weight
        } else {
            0.0
        },
    };

    let agent_hit = |r: &RequestFeatures| {
        agents
            .evidence(r.user_agent.as_deref())
            .bot_probability()
            .is_some_and(|(p, _)| p >= t.bot)
    };
    let bot_agent: Vec<bool> = bot_reqs.iter().map(agent_hit).collect();
    let browser_agent: Vec<bool> = browser_reqs.iter().map(agent_hit).collect();
    let agent_blocked: Vec<bool> = bot_reqs
        .iter()
        .map(|r| {
            agents
                .evidence(r.user_agent.as_deref())
                .bot_probability()
                .is_some_and(|(p, _)| p >= t.bot_block)
        })
        .collect();

    let none = Arc::new(AgentKnowledge::none());
    let bot_model = score_stream(model, &none, t, &bot_reqs);
    let browser_model = score_stream(model, &none, t, &browser_reqs);

    let bot_scores = score_stream(model, agents, t, &bot_reqs);
    let browser_scores = score_stream(model, agents, t, &browser_reqs);
    let bot_caught: Vec<bool> = bot_scores.iter().map(caught).collect();
    let browser_caught: Vec<bool> = browser_scores.iter().map(caught).collect();

    let mut all_async = bot_scores.clone();
    all_async.extend_from_slice(&browser_scores);
    let mut all_sync = score_stream(model, agents, t, &as_sync(&bot_reqs));
    all_sync.extend(score_stream(model, agents, t, &as_sync(&browser_reqs)));

    let unseen: Vec<bool> = set
        .bots
        .iter()
        .zip(&bot_caught)
        .filter(|(b, _)| !training.contains(b.as_str()))
        .map(|(_, c)| *c)
        .collect();
    AgentReport {
        bots: set.bots.len() as u64,
        bots_seen_in_training: set
            .bots
            .iter()
            .filter(|b| training.contains(b.as_str()))
            .count() as u64,
        browsers: set.browsers.len() as u64,
        browsers_seen_in_training: set
            .browsers
            .iter()
            .filter(|b| training.contains(b.user_agent.as_str()))
            .count() as u64,
        agent_only: detection(&bot_agent, &agent_blocked, &browser_agent),
        model_only: detection(
            &bot_model.iter().map(caught).collect::<Vec<_>>(),
            &bot_model
                .iter()
                .map(|s| s.verdict == Verdict::Block)
                .collect::<Vec<_>>(),
            &browser_model.iter().map(caught).collect::<Vec<_>>(),
        ),
        verdict: detection(
            &bot_caught,
            &bot_scores
                .iter()
                .map(|s| s.verdict == Verdict::Block)
                .collect::<Vec<_>>(),
            &browser_caught,
        ),
        verdict_recall_unseen: share(unseen.into_iter()),
        sync_async: Agreement::of(&all_async, &all_sync),
        missed_bots: set
            .bots
            .iter()
            .zip(&bot_caught)
            .filter(|(_, c)| !**c)
            .take(30)
            .map(|(b, _)| b.clone())
            .collect(),
        flagged_browsers: set
            .browsers
            .iter()
            .zip(&browser_caught)
            .filter(|(_, c)| **c)
            .take(30)
            .map(|(b, _)| b.user_agent.clone())
            .collect(),
    }
}

impl AgentReport {
    /// Plain-text rendering for the terminal and BENCHMARKS.md.
    pub fn render(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "real-agent benchmark (held out): {} bot agents (crawlerdetect 0.4.2 fixtures; {} also in the training split), {} browser agents (user-agents 2.1.198; {} also in training), one navigation each with the header names of the browser the agent claims",
            self.bots, self.bots_seen_in_training, self.browsers, self.browsers_seen_in_training
        );
        let _ = writeln!(
            s,
            "{:<44} {:>10} {:>10} {:>12} {:>14}",
            "detector", "bot recall", "bots block", "browser FPR", "FPR (traffic)"
        );
        for (name, d) in [
            ("agent string alone (lists + structure)", &self.agent_only),
            ("learned model alone (agent + headers)", &self.model_only),
            ("engine verdict (agent + headers)", &self.verdict),
        ] {
            let _ = writeln!(
                s,
                "{:<44} {:>10.4} {:>10.4} {:>12.4} {:>14.4}",
                name, d.bot_recall, d.bot_blocked, d.browser_fpr, d.browser_fpr_weighted
            );
        }
        let _ = writeln!(
            s,
            "engine verdict bot recall on agents not in training: {:.4}",
            self.verdict_recall_unseen
        );
        let _ = writeln!(s, "{}", self.sync_async);
        if !self.missed_bots.is_empty() {
            let _ = writeln!(s, "bots allowed (first {}):", self.missed_bots.len());
            for b in &self.missed_bots {
                let _ = writeln!(s, "  {b}");
            }
        }
        if !self.flagged_browsers.is_empty() {
            let _ = writeln!(
                s,
                "browsers flagged or blocked (first {}):",
                self.flagged_browsers.len()
            );
            for b in &self.flagged_browsers {
                let _ = writeln!(s, "  {b}");
            }
        }
        s
    }
}
