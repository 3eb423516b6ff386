//! Pure, deterministic scoring of one asset: knowledge-base facts, policy
//! dates, Mosca's inequality, exposure and criticality → a composite 0–100
//! score with the factors that explain it. Severity comes from the
//! calibration model (`calibration.rs`) plus two policy floors.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calibration::{Calibrator, Severity};
use super::kb::{Entry, KnowledgeBase, PolicyStatus, Threat};

/// How an asset is used (the risk API's `usage` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Usage {
    /// Key exchange / key agreement / KEM.
    KeyExchange,
    /// Digital signature.
    Signature,
    /// Data encryption.
    Encryption,
    /// Hashing.
    Hash,
    /// Message authentication.
    Mac,
    /// Key derivation.
    Kdf,
    /// A certificate's key or signature.
    Certificate,
    /// A protocol (TLS, SSH, …).
    Protocol,
    /// Anything else.
    Other,
}

impl Usage {
    fn label(self) -> &'static str {
        match self {
            Self::KeyExchange => "key exchange",
            Self::Signature => "signatures",
            Self::Encryption => "encryption",
            Self::Hash => "hashing",
            Self::Mac => "MAC",
            Self::Kdf => "key derivation",
            Self::Certificate => "certificate",
            Self::Protocol => "protocol",
            Self::Other => "use",
        }
    }
}

/// Where the asset is reachable from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Exposure {
    /// Reachable from the internet (harvest-now-decrypt-later is easy).
    Internet,
    /// Internal network.
    #[default]
    Internal,
    /// Air-gapped or offline.
    Isolated,
}

/// Business criticality of the system holding the asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Criticality {
    /// Low.
    Low,
    /// Medium.
    #[default]
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

/// One asset to score (already validated by the route).
#[derive(Debug, Clone)]
pub struct Asset {
    /// Algorithm name as found, e.g. `RSA`, `RSA-2048`, `ML-KEM-768`.
    pub algorithm: String,
    /// Key size, curve or parameter set, e.g. `2048`, `P-256`.
    pub parameter: Option<String>,
    /// Algorithm family when the source states it (CycloneDX 1.7).
    pub family: Option<String>,
    /// Usage.
    pub usage: Option<Usage>,
    /// Years the protected data must stay confidential (Mosca's x).
    pub data_shelf_life_years: f64,
    /// Years a migration takes (Mosca's y).
    pub migration_time_years: f64,
    /// Exposure.
    pub exposure: Exposure,
    /// Criticality.
    pub criticality: Criticality,
}

/// Scoring parameters shared by a batch.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Options {
    /// The year "now" for policy status and Mosca (fixed per request, so
    /// results are reproducible).
    pub as_of_year: i32,
    /// Median year of arrival of a cryptographically relevant quantum computer.
    pub crqc_median_year: f64,
    /// Spread (logistic scale, years) of the CRQC arrival curve.
    pub crqc_spread_years: f64,
}

impl Options {
    /// Probability that a CRQC exists by `year`: a logistic curve centred on
    /// the median (P = 0.5 there), `spread` years per e-fold of the odds.
    pub fn crqc_probability_by(&self, year: f64) -> f64 {
        1.0 / (1.0 + (-(year - self.crqc_median_year) / self.crqc_spread_years).exp())
    }
}

/// Policy status in one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct YearStatus {
    /// Year.
    pub year: i32,
    /// Status that year.
    pub status: PolicyStatus,
}

/// Mosca's inequality: exposed when x + y > z.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct Mosca {
    /// x: data shelf life (years).
    pub shelf_life_years: f64,
    /// y: migration time (years).
    pub migration_years: f64,
    /// z: years until the CRQC median estimate.
    pub years_to_crqc: f64,
    /// x + y > z.
    pub exposed: bool,
    /// z − (x + y); negative = exposed.
    pub margin_years: f64,
    /// Probability a CRQC exists before the data stops needing protection
    /// and the migration is done.
    pub crqc_probability: f64,
}

/// One explaining factor.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Factor {
    /// Factor name, e.g. `quantum_threat`.
    pub factor: &'static str,
    /// Points it contributed (multipliers shown as the change they made).
    pub points: f64,
    /// Human explanation.
    pub detail: String,
}

/// The result for one asset.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Scored {
    /// Canonical knowledge-base name, or the input when unknown.
    pub algorithm: String,
    /// Whether the knowledge base knows the algorithm.
    pub known: bool,
    /// Family.
    pub family: Option<String>,
    /// Threat class.
    pub quantum_threat: Threat,
    /// Classical security strength (bits).
    pub classical_bits: Option<u32>,
    /// NIST PQ category.
    pub nist_pq_category: Option<u8>,
    /// Status in the `as_of_year`.
    pub policy_status: PolicyStatus,
    /// Status in the years that matter (as of, 2030, 2031, 2035, 2036).
    pub policy_by_year: Vec<YearStatus>,
    /// IR 8547 deprecated after.
    pub deprecated_after: Option<i32>,
    /// IR 8547 disallowed after.
    pub disallowed_after: Option<i32>,
    /// CNSA 2.0 approved.
    pub cnsa2_approved: bool,
    /// Mosca's inequality (for quantum-vulnerable or unknown algorithms).
    pub mosca: Option<Mosca>,
    /// Composite score 0..100 (two decimals).
    pub risk_score: f64,
    /// Severity.
    pub severity: Severity,
    /// What to do.
    pub recommendation: String,
    /// Why the score is what it is.
    pub factors: Vec<Factor>,
    /// Caveat from the knowledge base.
    pub note: Option<String>,
    /// Source keys (see `GET /api/v1/models`).
    pub sources: Vec<String>,
}

const YEARS: [i32; 4] = [2030, 2031, 2035, 2036];

/// Scores one asset.
pub fn score(kb: &KnowledgeBase, cal: &Calibrator, opts: &Options, asset: &Asset) -> Scored {
    let entry = kb.resolve(
        &asset.algorithm,
        asset.parameter.as_deref(),
        asset.family.as_deref(),
    );
    let mut factors = Vec::with_capacity(6);
    let threat = entry.map_or(Threat::Unknown, |e| e.quantum_threat);

    // 1. Threat class.
    let base = match (threat, entry) {
        (Threat::ClassicallyWeak, _) => 70.0,
        (Threat::Shor, _) => 40.0,
        (Threat::Unknown, _) => 55.0,
        (Threat::Grover, Some(e)) if e.classical_bits < 128 => 20.0,
        (Threat::Grover, Some(e)) if e.classical_bits < 192 => 8.0,
        (Threat::Grover, Some(e)) if e.classical_bits < 256 => 4.0,
        (Threat::Grover, _) => 2.0,
        (Threat::None, _) => 0.0,
    };
    factors.push(Factor {
        factor: "quantum_threat",
        points: base,
        detail: match threat {
            Threat::Shor => "Shor's algorithm breaks it on a CRQC".into(),
            Threat::Grover => "Grover's algorithm halves its effective strength".into(),
            Threat::None => "not known to be affected by quantum algorithms".into(),
            Threat::ClassicallyWeak => "already weak or broken without a quantum computer".into(),
            Threat::Unknown => "algorithm not recognised: treated as at risk, never as safe".into(),
        },
    });
    let mut total = base;

    // 2. Classical strength below 192 bits matters for public-key and broken algorithms.
    if let Some(e) = entry.filter(|_| matches!(threat, Threat::Shor | Threat::ClassicallyWeak)) {
        let pts = (192.0 - f64::from(e.classical_bits)).max(0.0) * 0.15;
        if pts > 0.0 {
            total += pts;
            factors.push(Factor {
                factor: "classical_strength",
                points: round2(pts),
                detail: format!("{} bits of classical security", e.classical_bits),
            });
        }
    }

    // 3. Policy today and the nearest deadline.
    let status = entry.map_or(PolicyStatus::Unknown, |e| {
        KnowledgeBase::status_in(e, opts.as_of_year)
    });
    let policy_pts = match status {
        PolicyStatus::Disallowed => 20.0,
        PolicyStatus::Deprecated => 12.0,
        PolicyStatus::Unknown => 5.0,
        PolicyStatus::Acceptable => 0.0,
    };
    if policy_pts > 0.0 {
        total += policy_pts;
        factors.push(Factor {
            factor: "policy_status",
            points: policy_pts,
            detail: format!("{status:?} in {}", opts.as_of_year).to_lowercase(),
        });
    }
    if let Some(e) = entry {
        let next = [e.deprecated_after, e.disallowed_after]
            .into_iter()
            .flatten()
            .filter(|y| *y >= opts.as_of_year)
            .min();
        if let Some(y) = next.filter(|_| status == PolicyStatus::Acceptable) {
            let pts = f64::from((10 - (y - opts.as_of_year)).max(0));
            if pts > 0.0 {
                total += pts;
                factors.push(Factor {
                    factor: "policy_deadline",
                    points: pts,
                    detail: format!("NIST IR 8547 status changes after {y}"),
                });
            }
        }
    }

    // 4. Mosca's inequality for what a CRQC would break (and for unknowns).
    let mosca = matches!(threat, Threat::Shor | Threat::Unknown).then(|| {
        let x = asset.data_shelf_life_years;
        let y = asset.migration_time_years;
        let z = opts.crqc_median_year - f64::from(opts.as_of_year);
        let p = opts.crqc_probability_by(f64::from(opts.as_of_year) + x + y);
        Mosca {
            shelf_life_years: x,
            migration_years: y,
            years_to_crqc: z,
            exposed: x + y > z,
            margin_years: round2(z - (x + y)),
            crqc_probability: round4(p),
        }
    });
    if let Some(m) = &mosca {
        let pts = 25.0 * m.crqc_probability;
        total += pts;
        factors.push(Factor {
            factor: "mosca",
            points: round2(pts),
            detail: format!(
                "shelf life {} + migration {} years vs CRQC in {} years (P = {:.2}){}",
                m.shelf_life_years,
                m.migration_years,
                m.years_to_crqc,
                m.crqc_probability,
                if m.exposed { ": exposed" } else { "" }
            ),
        });
    }

    // 5. Exposure and criticality scale what is at stake.
    let ex = match asset.exposure {
        Exposure::Internet => 1.15,
        Exposure::Internal => 1.0,
        Exposure::Isolated => 0.85,
    };
    let cr = match asset.criticality {
        Criticality::Low => 0.9,
        Criticality::Medium => 1.0,
        Criticality::High => 1.05,
        Criticality::Critical => 1.15,
    };
    let before = total;
    total *= ex * cr;
    if (ex * cr - 1.0).abs() > f64::EPSILON {
        factors.push(Factor {
            factor: "exposure_criticality",
            points: round2(total - before),
            detail: format!(
                "{:?} exposure ×{ex}, {:?} criticality ×{cr}",
                asset.exposure, asset.criticality
            )
            .to_lowercase(),
        });
    }
    let risk_score = round2(total.clamp(0.0, 100.0));

    // Severity: calibrated, then floors that policy does not leave to a model.
    let mut severity = cal.severity(risk_score);
    if threat == Threat::Unknown {
        severity = severity.max(Severity::Medium);
    }
    if status == PolicyStatus::Disallowed {
        severity = severity.max(Severity::High);
    }

    let mut policy_by_year = Vec::with_capacity(YEARS.len() + 1);
    for year in std::iter::once(opts.as_of_year).chain(YEARS) {
        if policy_by_year.iter().any(|s: &YearStatus| s.year == year) {
            continue;
        }
        policy_by_year.push(YearStatus {
            year,
            status: entry.map_or(PolicyStatus::Unknown, |e| KnowledgeBase::status_in(e, year)),
        });
    }

    Scored {
        algorithm: entry.map_or_else(|| asset.algorithm.clone(), |e| e.name.clone()),
        known: entry.is_some(),
        family: entry.map(|e| e.family.clone()),
        quantum_threat: threat,
        classical_bits: entry.map(|e| e.classical_bits),
        nist_pq_category: entry.and_then(|e| e.nist_pq_category),
        policy_status: status,
        policy_by_year,
        deprecated_after: entry.and_then(|e| e.deprecated_after),
        disallowed_after: entry.and_then(|e| e.disallowed_after),
        cnsa2_approved: entry.is_some_and(|e| e.cnsa2_approved),
        mosca,
        risk_score,
        severity,
        recommendation: recommendation(entry, asset),
        factors,
        note: entry.and_then(|e| e.note.clone()),
        sources: entry.map(|e| e.sources.clone()).unwrap_or_default(),
    }
}

fn recommendation(entry: Option<&Entry>, asset: &Asset) -> String {
    let Some(e) = entry else {
        return format!(
            "Identify the algorithm behind {:?} and record it precisely; it is treated as at risk until then",
            asset.algorithm
        );
    };
    let signing = matches!(asset.usage, Some(Usage::Signature | Usage::Certificate));
    let target = if signing {
        e.signature_migration_target
            .as_ref()
            .or(e.migration_target.as_ref())
    } else {
        e.migration_target.as_ref()
    };
    let usage = asset
        .usage
        .map(|u| format!(" {}", u.label()))
        .unwrap_or_default();
    match target {
        Some(t) => format!("{}{usage} → {t}", e.name),
        None => format!(
            "{}{usage}: quantum-safe at its strength; no change needed",
            e.name
        ),
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}
