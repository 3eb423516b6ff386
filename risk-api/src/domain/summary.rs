//! Assessment results: finding rows from ML scores, remediation priority,
//! and the summary figures stored on the assessment.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::inventory::AssetRecord;

/// The part of the ML engine's per-asset answer the API keeps (a tolerant
/// reader: new fields from the engine are ignored).
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct MlResult {
    /// Canonical algorithm name.
    pub algorithm: String,
    /// Known to the knowledge base.
    pub known: bool,
    /// shor | grover | none | classically_weak | unknown.
    pub quantum_threat: String,
    /// Classical security strength in bits, when known; stored as the finding's `classical_level`.
    #[serde(default)]
    pub classical_bits: Option<i64>,
    /// NIST post-quantum security category (1..5) when one applies; stored as the finding's
    /// `nist_quantum_level`.
    #[serde(default)]
    pub nist_pq_category: Option<i64>,
    /// acceptable | deprecated | disallowed | unknown.
    pub policy_status: String,
    /// The engine's six-value status: acceptable | deprecated | disallowed
    /// | legacy_use | not_approved | unknown (absent from older engines).
    #[serde(default)]
    pub status: Option<String>,
    /// IR 8547 deprecated after.
    #[serde(default)]
    pub deprecated_after: Option<i32>,
    /// IR 8547 disallowed after.
    #[serde(default)]
    pub disallowed_after: Option<i32>,
    /// Mosca made explicit (x, y, validity, H, per band P(CRQC within H),
    /// slack and latest start year), kept as the engine sent it.
    #[serde(default)]
    pub mosca: Option<Value>,
    /// quantum | hygiene | identify | safe (absent from older engines).
    #[serde(default)]
    pub lane: Option<String>,
    /// The horizon of a quantum finding: `{kind, years, why}`.
    #[serde(default)]
    pub horizon: Option<Value>,
    /// Score 0..100 in the quantum lane (exposure to a CRQC).
    #[serde(default)]
    pub quantum_score: Option<f64>,
    /// Score 0..100 in the hygiene lane (weak today).
    #[serde(default)]
    pub hygiene_score: Option<f64>,
    /// Whether the asset's rank in its batch holds under every CRQC band.
    #[serde(default)]
    pub rank_holds_across_bands: Option<bool>,
    /// 0..100.
    pub risk_score: f64,
    /// CRITICAL..INFO.
    pub severity: String,
    /// Remediation advice, stored as the finding's `recommendation`.
    pub recommendation: String,
    /// JSON array of the factors behind the score, stored as the finding's `factors`.
    #[serde(default)]
    pub factors: Value,
    /// The engine's resolved identity; only its `primitive` (CycloneDX
    /// vocabulary) is read, to count hash and symmetric assets apart.
    #[serde(default)]
    pub identity: Option<IdentityLite>,
}

/// The part of the engine's `identity` the API reads.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct IdentityLite {
    /// CycloneDX primitive: `hash`, `block-cipher`, `signature`, ….
    #[serde(default)]
    pub primitive: Option<String>,
}

/// Hash functions and XOFs: shown apart from the quantum-safe share.
const HASH_PRIMITIVES: &[&str] = &["hash", "xof"];
/// Symmetric primitives: shown apart from the quantum-safe share.
const SYMMETRIC_PRIMITIVES: &[&str] = &[
    "block-cipher",
    "stream-cipher",
    "ae",
    "mac",
    "kdf",
    "key-wrap",
    "drbg",
];

impl MlResult {
    /// Mosca: exposed at the chosen band's median.
    pub fn mosca_exposed(&self) -> Option<bool> {
        self.mosca.as_ref()?.get("exposed")?.as_bool()
    }

    /// Mosca: z − H in years under the chosen band.
    pub fn mosca_margin_years(&self) -> Option<f64> {
        self.mosca.as_ref()?.get("margin_years")?.as_f64()
    }
}

/// A finding ready to insert.
#[derive(Debug, Clone)]
pub struct NewFinding {
    /// The asset as read from the inventory or CBOM (paths, checks and locations included).
    pub asset: AssetRecord,
    /// The ML engine's answer for the asset, after the structural checks raised it.
    pub ml: MlResult,
    /// Remediation order, 1 = first.
    pub priority: i32,
    /// CBOM claims that differ from ours.
    pub disagreement: Option<Value>,
}

/// Numbers stored on a completed assessment.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Overall score over distinct assets: the mean of the worst asset and
    /// the average, so one critical asset is not drowned by many harmless
    /// ones, and an asset listed twice is not counted twice.
    pub overall_risk_score: f64,
    /// Finding rows of severity CRITICAL (`assessments.critical_count`).
    pub critical: i32,
    /// Finding rows of severity HIGH (`assessments.high_count`).
    pub high: i32,
    /// Finding rows of severity MEDIUM (`assessments.medium_count`).
    pub medium: i32,
    /// Finding rows of severity LOW (`assessments.low_count`).
    pub low: i32,
    /// Finding rows of severity INFO (`assessments.info_count`).
    pub info: i32,
    /// Share of the distinct public-key assets already post-quantum
    /// (threat none and acceptable by policy), 0..100; `None` when there is
    /// no public-key asset. Symmetric ciphers, hashes and MACs (Grover only)
    /// need no PQC migration and are not in it; unidentified names are
    /// counted in the `identify` lane instead.
    pub pqc_readiness_pct: Option<f64>,
    /// Earliest IR 8547 year after which a finding's algorithm is deprecated
    /// or disallowed.
    pub earliest_deadline_year: Option<i32>,
    /// Distinct assets (bom-ref, or name + algorithm + parameter + usage).
    pub distinct_assets: i32,
    /// Distinct public-key assets: the readiness denominator.
    pub pqc_relevant_assets: i32,
    /// Of those, the ones already post-quantum: the readiness numerator.
    pub quantum_safe_assets: i32,
    /// Distinct hash/XOF assets (no public-key row): not in the share,
    /// shown apart, since Grover's algorithm only halves their strength.
    pub hash_assets: i32,
    /// Distinct symmetric assets (ciphers, AEAD, MAC, KDF, key wrap, DRBG;
    /// no public-key row): not in the share, shown apart.
    pub symmetric_assets: i32,
    /// Distinct assets per lane (the lane of their worst row).
    pub lanes: std::collections::BTreeMap<String, i32>,
}

fn severity_rank(s: &str) -> u8 {
    match s {
        "CRITICAL" => 4,
        "HIGH" => 3,
        "MEDIUM" => 2,
        "LOW" => 1,
        _ => 0,
    }
}

/// Pairs assets with scores, records disagreements and assigns priorities
/// (severity, then score, then input order).
pub fn findings(assets: Vec<AssetRecord>, scores: Vec<MlResult>) -> Vec<NewFinding> {
    let mut out: Vec<NewFinding> = assets
        .into_iter()
        .zip(scores)
        .map(|(asset, mut ml)| {
            apply_checks(&asset, &mut ml);
            let disagreement = disagreement(&asset, &ml);
            NewFinding {
                asset,
                ml,
                priority: 0,
                disagreement,
            }
        })
        .collect();
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&out[a].ml, &out[b].ml);
        severity_rank(&y.severity)
            .cmp(&severity_rank(&x.severity))
            .then(y.risk_score.total_cmp(&x.risk_score))
            .then(a.cmp(&b))
    });
    for (rank, i) in order.into_iter().enumerate() {
        out[i].priority = i32::try_from(rank + 1).unwrap_or(i32::MAX);
    }
    out
}

/// The ML engine's status values (its `Status`), as `findings.policy_verdict` allows.
pub const VERDICTS: &[&str] = &[
    "acceptable",
    "deprecated",
    "disallowed",
    "legacy_use",
    "not_approved",
    "unknown",
];

/// Raises severity and policy status to what the asset's structural checks
/// demand (never lowers them), and lists the checks among the factors.
fn apply_checks(asset: &AssetRecord, ml: &mut MlResult) {
    for c in &asset.checks {
        if let Some(min) = c.min_severity {
            if severity_rank(min) > severity_rank(&ml.severity) {
                ml.severity = min.to_owned();
            }
        }
        if let Some(p) = c.policy {
            if policy_rank(p) > policy_rank(&ml.policy_status) {
                ml.policy_status = p.to_owned();
                ml.status = Some(p.to_owned());
            }
        }
        if let Value::Array(f) = &mut ml.factors {
            f.push(
                serde_json::json!({"check": c.code, "detail": c.message, "reference": c.reference}),
            );
        }
    }
}

fn policy_rank(p: &str) -> u8 {
    match p {
        "disallowed" => 3,
        "deprecated" => 2,
        "unknown" => 1,
        _ => 0,
    }
}

/// Where the document's claims differ from the knowledge base.
fn disagreement(asset: &AssetRecord, ml: &MlResult) -> Option<Value> {
    let mut items = Vec::new();
    if let Some(level) = asset.declared.nist_quantum_level {
        let declared_safe = level > 0;
        let computed_safe = matches!(ml.quantum_threat.as_str(), "none" | "grover");
        if declared_safe != computed_safe
            || (ml.nist_pq_category.is_some() && ml.nist_pq_category != Some(level))
        {
            items.push(serde_json::json!({
                "field": "nistQuantumSecurityLevel",
                "declared": level,
                "computed": ml.nist_pq_category.unwrap_or(0),
                "quantum_threat": ml.quantum_threat,
            }));
        }
    }
    if let (Some(d), Some(c)) = (asset.declared.classical_level, ml.classical_bits) {
        if d != c && ml.known {
            items.push(serde_json::json!({
                "field": "classicalSecurityLevel",
                "declared": d,
                "computed": c,
            }));
        }
    }
    (!items.is_empty()).then(|| Value::Array(items))
}

/// What makes two finding rows the same asset: the CBOM bom-ref, or for
/// an inventory the name, canonical algorithm and usage (the canonical
/// name already carries the key size or curve, so `RSA` + `2048` and
/// `RSA-2048` are one asset); the parameter as given only counts for
/// names the engine does not know.
fn asset_key(f: &NewFinding) -> String {
    match &f.asset.asset_ref {
        Some(r) => format!("ref\u{0}{r}"),
        None => format!(
            "inv\u{0}{}\u{0}{}\u{0}{}\u{0}{}",
            f.asset.name.trim().to_lowercase(),
            f.ml.algorithm.to_lowercase(),
            if f.ml.known {
                String::new()
            } else {
                f.asset
                    .parameter
                    .as_deref()
                    .unwrap_or("")
                    .trim()
                    .to_lowercase()
            },
            f.asset.usage.as_deref().unwrap_or("")
        ),
    }
}

/// One distinct asset: its worst row, and what its rows say about PQC.
struct Distinct<'a> {
    worst: &'a NewFinding,
    /// Some row is public-key cryptography (Shor-breakable or post-quantum).
    public_key: bool,
    /// Every public-key row is post-quantum and acceptable.
    ready: bool,
    /// Some row is a hash or XOF.
    hash: bool,
    /// Some row is a symmetric primitive.
    symmetric: bool,
}

/// Summary figures: severity counts and the earliest deadline over finding
/// rows; the overall score, readiness and lanes over distinct assets.
pub fn summarise(findings: &[NewFinding]) -> Summary {
    let mut s = Summary::default();
    if findings.is_empty() {
        return s;
    }
    let mut assets: Vec<Distinct<'_>> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for f in findings {
        match f.ml.severity.as_str() {
            "CRITICAL" => s.critical += 1,
            "HIGH" => s.high += 1,
            "MEDIUM" => s.medium += 1,
            "LOW" => s.low += 1,
            _ => s.info += 1,
        }
        let year = [f.ml.deprecated_after, f.ml.disallowed_after]
            .into_iter()
            .flatten()
            .min();
        s.earliest_deadline_year = match (s.earliest_deadline_year, year) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let public_key = matches!(f.ml.quantum_threat.as_str(), "shor" | "none");
        let ready = f.ml.quantum_threat == "none" && f.ml.policy_status == "acceptable";
        let i = *index.entry(asset_key(f)).or_insert_with(|| {
            assets.push(Distinct {
                worst: f,
                public_key: false,
                ready: true,
                hash: false,
                symmetric: false,
            });
            assets.len() - 1
        });
        let d = &mut assets[i];
        if f.ml.risk_score > d.worst.ml.risk_score {
            d.worst = f;
        }
        if public_key {
            d.public_key = true;
            d.ready &= ready;
        }
        let primitive = f.ml.identity.as_ref().and_then(|i| i.primitive.as_deref());
        if let Some(p) = primitive {
            d.hash |= HASH_PRIMITIVES.contains(&p);
            d.symmetric |= SYMMETRIC_PRIMITIVES.contains(&p);
        }
    }
    let (mut max, mut sum, mut ready) = (0.0_f64, 0.0_f64, 0_i32);
    for d in &assets {
        max = max.max(d.worst.ml.risk_score);
        sum += d.worst.ml.risk_score;
        if d.public_key {
            s.pqc_relevant_assets += 1;
            if d.ready {
                ready += 1;
            }
        } else if d.hash {
            s.hash_assets += 1;
        } else if d.symmetric {
            s.symmetric_assets += 1;
        }
        let lane = d.worst.ml.lane.clone().unwrap_or_else(|| "unknown".into());
        *s.lanes.entry(lane).or_insert(0) += 1;
    }
    let n = assets.len() as f64;
    s.distinct_assets = i32::try_from(assets.len()).unwrap_or(i32::MAX);
    s.quantum_safe_assets = ready;
    s.overall_risk_score = round2(((max + sum / n) / 2.0).clamp(0.0, 100.0));
    s.pqc_readiness_pct = (s.pqc_relevant_assets > 0)
        .then(|| round2(f64::from(ready) * 100.0 / f64::from(s.pqc_relevant_assets)));
    s
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
