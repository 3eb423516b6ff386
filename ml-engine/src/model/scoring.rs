//! Pure, deterministic scoring of one asset: identity (`identity.rs`) →
//! knowledge-base facts (strength, threat) → policy-pack verdicts
//! (`policy.rs`) → three lanes, one ranking:
//!
//! * **quantum** — what a CRQC would do, by horizon: *confidentiality*
//!   (key exchange, encryption: harvest now, decrypt later; H = x + y,
//!   weighted by how capturable the traffic is), *authenticity* (signatures,
//!   certificates: only forgeries after a CRQC matter; H = y + remaining
//!   validity, no shelf-life term), *symmetric* (Grover: a small term).
//!   Score = 25 + 75 × P(CRQC within H) × capture for Shor-breakable
//!   algorithms, whatever their classical key size; 0 for quantum-safe ones.
//! * **hygiene** — urgent for other reasons: classically weak (SHA-1, MD5,
//!   3DES, RSA-1024), disallowed, legacy use, deprecated, not approved.
//! * **identify** — names not recognised: a queue to resolve (40, MEDIUM),
//!   not a HIGH risk.
//!
//! The risk score is the larger of the quantum and hygiene lanes, times
//! criticality; severity is the QRAP triage thresholds (`calibration.rs`)
//! with a floor of HIGH for what is disallowed today. P(CRQC within H) comes
//! from the CRQC timeline bands (`timeline.rs`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calibration::{Calibrator, Severity};
use super::identity::{self, Identity};
use super::kb::{Family, KnowledgeBase, Primitive, Sizing, Threat};
use super::policy::{status_at, worst, Facts, Op, Packs, Status, TimelineStep, Verdict};
use super::timeline::{Band, Timelines};

pub use shared::qrap::{Criticality, Exposure, Policy, Usage};

/// How a usage reads in a recommendation.
fn usage_label(u: Usage) -> &'static str {
    match u {
        Usage::KeyExchange => "key exchange",
        Usage::Signature => "signatures",
        Usage::Encryption => "encryption",
        Usage::Hash => "hashing",
        Usage::Mac => "MAC",
        Usage::Kdf => "key derivation",
        Usage::Certificate => "certificate",
        Usage::Protocol => "protocol",
        Usage::Other => "use",
    }
}

/// The usage a primitive implies when the inventory does not say.
fn usage_of_primitive(p: Primitive) -> Usage {
    match p {
        Primitive::Signature => Usage::Signature,
        Primitive::Kem | Primitive::KeyAgree | Primitive::Combiner => Usage::KeyExchange,
        Primitive::Pke
        | Primitive::BlockCipher
        | Primitive::StreamCipher
        | Primitive::Ae
        | Primitive::KeyWrap => Usage::Encryption,
        Primitive::Hash | Primitive::Xof => Usage::Hash,
        Primitive::Mac => Usage::Mac,
        Primitive::Kdf | Primitive::Drbg => Usage::Kdf,
        Primitive::Other | Primitive::Unknown => Usage::Other,
    }
}

/// One asset to score (already validated by the route).
#[derive(Debug, Clone, Default)]
pub struct Asset {
    /// Algorithm name as found, e.g. `RSA`, `RSA-2048`, `ML-KEM-768`.
    pub algorithm: String,
    /// Key size, curve or parameter set, e.g. `2048`, `P-256`.
    pub parameter: Option<String>,
    /// Algorithm family when the source states it (CycloneDX 1.7).
    pub family: Option<String>,
    /// Object identifier.
    pub oid: Option<String>,
    /// What the asset is used for; `None`: implied by the algorithm's
    /// primitive once it is recognised.
    pub usage: Option<Usage>,
    /// Protect or only process (from CycloneDX `cryptoFunctions`); `None` = protect.
    pub op: Option<Op>,
    /// Years the protected data must stay confidential (Mosca's x).
    pub data_shelf_life_years: f64,
    /// Years a migration takes (Mosca's y).
    pub migration_time_years: f64,
    /// Years a signature or certificate made today must still be trusted
    /// (remaining validity: `notValidAfter`, a declared key or firmware
    /// lifetime); `None` = [`DEFAULT_VALIDITY_YEARS`].
    pub validity_years: Option<f64>,
    /// Where the asset is reachable from: weights the quantum lane by how
    /// capturable its traffic is.
    pub exposure: Exposure,
    /// Business criticality: the multiplier applied to the larger lane.
    pub criticality: Criticality,
}

/// Remaining validity assumed for signatures and certificates when the
/// inventory gives none: a year (CA/Browser Forum TLS certificates: at most
/// 398 days).
pub const DEFAULT_VALIDITY_YEARS: f64 = 1.0;

/// Confidence for the latest safe migration start when a request gives none.
pub const DEFAULT_CONFIDENCE: f64 = 0.9;

/// Scoring parameters shared by a batch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Options {
    /// The year "now" for policy status and Mosca (fixed per request, so
    /// results are reproducible).
    pub as_of_year: i32,
    /// CRQC timeline band the score follows (`optimistic`, `central`,
    /// `pessimistic`; see `GET /api/v1/models`). Every band's figures are in
    /// `mosca.bands` either way.
    pub crqc_timeline: String,
    /// A median year that replaces the band (same shape): the v1 override.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crqc_median_year: Option<f64>,
    /// Confidence for "the latest year the migration must start" (0.5..0.99).
    pub confidence: f64,
    /// The pack `status`, `policy_status` and severity follow.
    #[serde(default)]
    pub policy: Policy,
    /// CNSA 2.0 system category (`null` = the pack's default).
    #[serde(default)]
    pub cnsa2_category: Option<String>,
}

impl Options {
    /// A year and a band with the other defaults: no median override,
    /// [`DEFAULT_CONFIDENCE`], the NIST pack, no CNSA 2.0 category.
    pub fn new(as_of_year: i32, crqc_timeline: impl Into<String>) -> Self {
        Self {
            as_of_year,
            crqc_timeline: crqc_timeline.into(),
            crqc_median_year: None,
            confidence: DEFAULT_CONFIDENCE,
            policy: Policy::Nist,
            cnsa2_category: None,
        }
    }
}

/// Policy status in the old four-value vocabulary (`policy_status`, kept
/// for existing clients): legacy use reads as deprecated, not approved as
/// unknown (no verdict in that vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicyStatus {
    /// Approved by the pack in that year.
    Acceptable,
    /// Deprecated or legacy use.
    Deprecated,
    /// Must not be used.
    Disallowed,
    /// Not recognised, or not approved.
    Unknown,
}

impl From<Status> for PolicyStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Acceptable => Self::Acceptable,
            Status::Deprecated | Status::LegacyUse => Self::Deprecated,
            Status::Disallowed => Self::Disallowed,
            Status::NotApproved | Status::Unknown => Self::Unknown,
        }
    }
}

/// Policy status in one year (legacy projection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct YearStatus {
    /// Calendar year the status applies to.
    pub year: i32,
    /// Status that year.
    pub status: PolicyStatus,
}

/// Which lane ranks an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Lane {
    /// Quantum exposure (harvest now/decrypt later, forgeries, Grover).
    Quantum,
    /// Classical hygiene: weak or disallowed today, whatever quantum does.
    Hygiene,
    /// Not recognised: identify it first.
    Identify,
    /// Nothing to do.
    Safe,
}

/// Which horizon a quantum finding uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HorizonKind {
    /// Key exchange / encryption: x + y.
    Confidentiality,
    /// Signatures / certificates: y + remaining validity.
    Authenticity,
    /// Symmetric ciphers, hashes, MACs under Grover: x + y, small weight.
    Symmetric,
}

/// The horizon a quantum finding uses, and why.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Horizon {
    /// Which horizon applies: confidentiality, authenticity or symmetric.
    pub kind: HorizonKind,
    /// H in years from the as-of year.
    pub years: f64,
    /// Why this horizon, with its terms.
    pub why: String,
}

/// Mosca under one CRQC band.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct BandRisk {
    /// Band id.
    pub band: String,
    /// The band's median year.
    pub median_year: f64,
    /// z: years from the as-of year to the median.
    pub years_to_crqc: f64,
    /// P(a CRQC exists within the horizon).
    pub p_within_horizon: f64,
    /// Mosca slack z − H (negative: exposed at the median).
    pub slack_years: f64,
    /// The latest year the migration must start for P(CRQC before the
    /// horizon ends) ≤ 1 − confidence.
    pub latest_start_year: i32,
    /// The quantum lane's score under this band (before criticality).
    pub quantum_score: f64,
}

/// Mosca's inequality made explicit: x, y, validity, H, and per band z,
/// P(CRQC within H), slack and the latest safe start.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Mosca {
    /// x: data shelf life (years; confidentiality only).
    pub shelf_life_years: f64,
    /// y: migration time (years).
    pub migration_years: f64,
    /// Remaining validity of signatures (authenticity only).
    pub validity_years: Option<f64>,
    /// H: the horizon in years (x + y; y + remaining validity for signatures).
    pub horizon_years: f64,
    /// Band the score follows.
    pub band: String,
    /// Confidence for `latest_start_year`.
    pub confidence: f64,
    /// z under the chosen band: years to its median.
    pub years_to_crqc: f64,
    /// H > z under the chosen band.
    pub exposed: bool,
    /// z − H under the chosen band.
    pub margin_years: f64,
    /// P(CRQC within H) under the chosen band.
    pub crqc_probability: f64,
    /// The latest year the migration must start (chosen band, confidence).
    pub latest_start_year: i32,
    /// Every band.
    pub bands: Vec<BandRisk>,
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
    /// Canonical name (`RSA-2048`, `ECDSA-P-256`, a suite's IANA name), or the input when unknown.
    pub algorithm: String,
    /// Whether the algorithm was recognised.
    pub known: bool,
    /// Canonical family.
    pub family: Option<String>,
    /// The resolved identity: family, key length, curve, parameter set,
    /// hash, mode, scheme, suite decomposition and unplaced tokens.
    pub identity: Identity,
    /// How a quantum computer affects it (Shor, Grover, none);
    /// `classically_weak` when already weak, a Shor or Grover target under
    /// 112 bits included; `unknown` when not recognised.
    pub quantum_threat: Threat,
    /// Classical security strength (bits).
    pub classical_bits: Option<u32>,
    /// Whether `classical_bits` rests on an assumption (size not stated).
    pub strength_assumed: bool,
    /// NIST post-quantum security category 1..5 where one applies: a PQC
    /// parameter set's (the smallest when unstated), 1/3/5 for AES-128/192/256,
    /// 2 or 4 for SHA-256 or SHA-384/512 (SHA-3 alike), else from the classical
    /// bits of a quantum-safe family; `None` otherwise (Shor-breakable, other
    /// symmetric, unknown).
    pub nist_pq_category: Option<u8>,
    /// Status under the requested pack in `as_of_year`, for this usage.
    pub status: Status,
    /// The requested pack's id.
    pub policy: &'static str,
    /// Verdict of every pack (status timeline, rules, citations).
    pub policies: Vec<Verdict>,
    /// `status` in the old four-value vocabulary.
    pub policy_status: PolicyStatus,
    /// Legacy: status in the years that matter (as of, 2030, 2031, 2035, 2036).
    pub policy_by_year: Vec<YearStatus>,
    /// Last year before the requested pack deprecates it.
    pub deprecated_after: Option<i32>,
    /// Last year before the requested pack disallows it.
    pub disallowed_after: Option<i32>,
    /// Acceptable under CNSA 2.0 once its transition ends (in the category).
    pub cnsa2_approved: bool,
    /// Which lane ranks it.
    pub lane: Lane,
    /// The horizon of its quantum finding, and why.
    pub horizon: Option<Horizon>,
    /// Mosca (for quantum-vulnerable and symmetric algorithms).
    pub mosca: Option<Mosca>,
    /// Quantum lane score (0..100).
    pub quantum_score: f64,
    /// Hygiene lane score (0..100).
    pub hygiene_score: f64,
    /// Whether the asset's rank in this batch is the same under every CRQC
    /// band (set by batch scoring).
    pub rank_holds_across_bands: Option<bool>,
    /// Composite score 0..100 (two decimals): the larger lane, times criticality.
    pub risk_score: f64,
    /// Triage severity from the risk score (QRAP thresholds); MEDIUM in the
    /// identify lane, at least HIGH for what is disallowed today.
    pub severity: Severity,
    /// What to do.
    pub recommendation: String,
    /// Why the score is what it is.
    pub factors: Vec<Factor>,
    /// Caveat from the knowledge base.
    pub note: Option<String>,
    /// Knowledge-base source keys (see `GET /api/v1/models`).
    pub sources: Vec<String>,
}

const YEARS: [i32; 4] = [2030, 2031, 2035, 2036];

/// Strength and threat of a resolved algorithm.
#[derive(Debug, Clone)]
pub struct AlgFacts {
    /// Family record.
    pub family: Family,
    /// Classical bits.
    pub bits: u32,
    /// Whether `bits` is assumed.
    pub assumed: bool,
    /// How a quantum computer affects it (Shor, Grover, none), or classically weak or unknown.
    pub threat: Threat,
    /// NIST post-quantum category 1..5 (see [`Scored::nist_pq_category`]).
    pub pq_category: Option<u8>,
}

/// Facts of an identity (`None` when the family is unknown).
pub fn facts(kb: &KnowledgeBase, id: &Identity) -> Option<AlgFacts> {
    let family = kb.family(id.family.as_deref()?)?.clone();
    let mut pq = None;
    let (bits, assumed) = match family.sizing {
        Sizing::Modulus => match id.key_bits {
            Some(k) => (kb.modulus_bits(k), false),
            // Not stated: the smallest approved size (2048 bits, 112-bit).
            None => (112, true),
        },
        Sizing::Curve => match id.curve.as_deref().and_then(|c| kb.curve(c)) {
            Some(c) => (c.bits, false),
            None => (family.default_bits.unwrap_or(112), true),
        },
        Sizing::ParamSet => {
            let sets = family.param_sets.as_deref().unwrap_or_default();
            match id
                .parameter_set
                .as_deref()
                .and_then(|p| sets.iter().find(|s| s.id == p))
            {
                Some(s) => {
                    pq = Some(s.pq_category);
                    (s.bits, false)
                }
                None => {
                    let s = sets.iter().min_by_key(|s| s.bits);
                    pq = s.map(|s| s.pq_category);
                    (s.map_or(0, |s| s.bits), true)
                }
            }
        }
        Sizing::Key => {
            let sizes = family.key_sizes.as_deref().unwrap_or_default();
            match id.key_bits {
                Some(k) => (k, false),
                None => (sizes.iter().copied().min().unwrap_or(0), true),
            }
        }
        Sizing::Hash => match id.hash.as_deref().and_then(|h| kb.family(h)) {
            // SP 800-57 Pt 1 Table 3: HMAC/KDF strength from the hash output.
            Some(h) if h.weak && h.output_bits.unwrap_or(0) < 160 => (h.bits.unwrap_or(0), false),
            Some(h) => match h.output_bits {
                Some(o) if o <= 160 => (128, false),
                Some(o) if o <= 224 => (192, false),
                Some(_) => (256, false),
                None => (h.bits.unwrap_or(128), false),
            },
            None => (128, true),
        },
        Sizing::Fixed => {
            let mut b = family.bits.unwrap_or(0);
            if family.name == "LMS"
                && id
                    .parameter_set
                    .as_deref()
                    .is_some_and(|p| p.contains("M24"))
            {
                b = 192;
            }
            (b, false)
        }
    };
    // NIST PQC call for proposals sec. 4.A.5: categories 1/3/5 are key search
    // on AES-128/192/256, 2/4 collision search on SHA-256/384 (SHA3 alike).
    if family.name == "AES" {
        pq = match bits {
            256 => Some(5),
            192 => Some(3),
            128 => Some(1),
            _ => None,
        };
    }
    if matches!(family.primitive, Primitive::Hash) && family.name.starts_with("SHA") {
        pq = match family.output_bits {
            Some(256) => Some(2),
            Some(384 | 512) => Some(4),
            _ => None,
        };
    }
    if pq.is_none() && family.threat == Threat::None {
        pq = match bits {
            b if b >= 256 => Some(5),
            b if b >= 192 => Some(3),
            b if b >= 128 => Some(1),
            _ => None,
        };
    }
    let threat =
        if family.weak || (bits < 112 && matches!(family.threat, Threat::Shor | Threat::Grover)) {
            Threat::ClassicallyWeak
        } else {
            family.threat
        };
    Some(AlgFacts {
        family,
        bits,
        assumed,
        threat,
        pq_category: pq,
    })
}

/// What scoring needs from the identity and the packs for one distinct
/// (name, family, parameter, OID, usage, op): cached per batch.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The identity resolved from name, family, parameter and OID.
    pub identity: Identity,
    /// Facts (when known).
    pub facts: Option<AlgFacts>,
    /// Verdicts per pack, in pack order.
    pub verdicts: Vec<Verdict>,
    /// Effective usage.
    pub usage: Option<Usage>,
    /// For suites: the resolved components with their verdicts.
    pub parts: Vec<Resolved>,
}

/// Resolves identity, facts and verdicts.
pub fn resolve(kb: &KnowledgeBase, packs: &Packs, opts: &Options, asset: &Asset) -> Resolved {
    let usage_str = asset.usage.map(Usage::as_str);
    let id = identity::resolve(
        kb,
        &identity::Input {
            name: &asset.algorithm,
            family: asset.family.as_deref(),
            parameter: asset.parameter.as_deref(),
            oid: asset.oid.as_deref(),
            usage: usage_str,
        },
    );
    resolve_identity(kb, packs, opts, id, asset.usage, asset.op)
}

fn resolve_identity(
    kb: &KnowledgeBase,
    packs: &Packs,
    opts: &Options,
    id: Identity,
    usage: Option<Usage>,
    op: Option<Op>,
) -> Resolved {
    let category = opts.cnsa2_category.as_deref();
    if id.suite.is_some() {
        let parts: Vec<Resolved> = id
            .components
            .iter()
            .map(|c| {
                let u = component_usage(c);
                resolve_identity(kb, packs, opts, c.clone(), Some(u), op)
            })
            .collect();
        let verdicts = packs
            .packs
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut v = p.unknown(category);
                let mut first = true;
                for part in &parts {
                    if let Some(pv) = part.verdicts.get(i) {
                        v.timeline = if first {
                            pv.timeline.clone()
                        } else {
                            worst(&v.timeline, &pv.timeline)
                        };
                        first = false;
                        v.rules.extend(pv.rules.iter().cloned());
                        v.cites.extend(pv.cites.iter().cloned());
                        v.draft |= pv.draft;
                    }
                }
                v.status = status_at(&v.timeline, opts.as_of_year);
                v
            })
            .collect();
        return Resolved {
            identity: id,
            facts: None,
            verdicts,
            usage: Some(Usage::Protocol),
            parts,
        };
    }
    let facts = facts(kb, &id);
    let usage = usage.or_else(|| facts.as_ref().map(|_| usage_of_primitive(id.primitive)));
    let op = op.unwrap_or(Op::Protect);
    let verdicts = match &facts {
        None => packs.packs.iter().map(|p| p.unknown(category)).collect(),
        Some(f) => {
            let usage_s = usage.map_or("other", Usage::as_str);
            let main = Facts {
                family: id.family.as_deref().unwrap_or(""),
                name: &id.name,
                hash: id.hash.as_deref(),
                bits: f.bits,
                usage: usage_s,
                op,
                pre_standard: id.pre_standard || f.family.pre_standard,
                weak: f.family.weak,
                scheme: id.scheme.as_deref(),
            };
            // A signature is also judged by its hash used for signatures
            // (sha1WithRSAEncryption: SHA-1 signature generation).
            let hash_family = (id.primitive == Primitive::Signature)
                .then(|| id.hash.as_deref().and_then(|h| kb.family(h)))
                .flatten();
            let hash_facts = hash_family.map(|h| Facts {
                family: &h.name,
                name: &h.name,
                hash: None,
                bits: h.bits.unwrap_or(0),
                usage: "signature",
                op,
                pre_standard: false,
                weak: h.weak,
                scheme: None,
            });
            packs
                .packs
                .iter()
                .map(|p| p.verdict(&main, hash_facts.as_ref(), category, opts.as_of_year))
                .collect()
        }
    };
    Resolved {
        identity: id,
        facts,
        verdicts,
        usage,
        parts: Vec::new(),
    }
}

fn component_usage(c: &Identity) -> Usage {
    match c.primitive {
        Primitive::Signature => Usage::Signature,
        Primitive::Mac => Usage::Mac,
        Primitive::KeyAgree | Primitive::Kem => Usage::KeyExchange,
        Primitive::Pke if c.family.as_deref() == Some("RSA") => Usage::KeyExchange,
        _ => Usage::Encryption,
    }
}

/// Scores one asset.
pub fn score(
    kb: &KnowledgeBase,
    packs: &Packs,
    timelines: &Timelines,
    cal: &Calibrator,
    opts: &Options,
    asset: &Asset,
) -> Scored {
    let r = resolve(kb, packs, opts, asset);
    score_resolved(cal, &bands_for(timelines, opts), opts, asset, &r)
}

/// The bands a request uses: every band of the data, the chosen one first;
/// a `crqc_median_year` override replaces the chosen one.
pub fn bands_for(timelines: &Timelines, opts: &Options) -> Vec<Band> {
    let mut out: Vec<Band> = Vec::with_capacity(timelines.bands.len() + 1);
    let chosen = opts
        .crqc_median_year
        .and_then(|m| timelines.custom(m))
        .or_else(|| timelines.band(&opts.crqc_timeline).cloned())
        .or_else(|| timelines.band(&timelines.default_band).cloned());
    if let Some(c) = chosen {
        out.push(c);
    }
    for b in &timelines.bands {
        if !out.iter().any(|o| o.id == b.id) {
            out.push(b.clone());
        }
    }
    out
}

/// How capturable the asset's traffic or artefacts are, per horizon.
fn capture(kind: HorizonKind, exposure: Exposure) -> f64 {
    match (kind, exposure) {
        (HorizonKind::Authenticity, Exposure::Internet) => 1.0,
        (HorizonKind::Authenticity, Exposure::Internal) => 0.85,
        (HorizonKind::Authenticity, Exposure::Isolated) => 0.7,
        (_, Exposure::Internet) => 1.0,
        (_, Exposure::Internal) => 0.8,
        (_, Exposure::Isolated) => 0.5,
    }
}

fn criticality_factor(c: Criticality) -> f64 {
    match c {
        Criticality::Low => 0.9,
        Criticality::Medium => 1.0,
        Criticality::High => 1.05,
        Criticality::Critical => 1.15,
    }
}

/// The quantum lane before criticality, given P(CRQC within H).
fn quantum_points(kind: HorizonKind, p: f64, capture: f64, bits: u32) -> f64 {
    match kind {
        HorizonKind::Confidentiality | HorizonKind::Authenticity => 25.0 + 75.0 * p * capture,
        // Grover only halves strength: a small term, smaller at >= 128 bits
        // (IR 8547 sec. 4.2 keeps AES-128 approved).
        // AES-256 keeps more margin than AES-128.
        HorizonKind::Symmetric => {
            10.0 * p
                * capture
                * if bits < 128 {
                    1.0
                } else {
                    0.3 * 128.0 / f64::from(bits)
                }
        }
    }
}

fn horizon_of(f: &AlgFacts, id: &Identity, usage: Option<Usage>, asset: &Asset) -> Option<Horizon> {
    let x = asset.data_shelf_life_years;
    let y = asset.migration_time_years;
    match f.family.threat {
        Threat::Shor => {
            let signs = match usage {
                Some(Usage::Signature | Usage::Certificate) => true,
                Some(_) => false,
                None => id.primitive == Primitive::Signature,
            };
            Some(if signs {
                let v = asset.validity_years.unwrap_or(DEFAULT_VALIDITY_YEARS);
                Horizon {
                    kind: HorizonKind::Authenticity,
                    years: y + v,
                    why: format!(
                        "signatures: only forgeries made after a CRQC exists matter, for as long as a signature must be trusted: migration {y} + remaining validity {v}{} years (no shelf-life term)",
                        if asset.validity_years.is_none() { " (default)" } else { "" }
                    ),
                }
            } else {
                Horizon {
                    kind: HorizonKind::Confidentiality,
                    years: x + y,
                    why: format!(
                        "key exchange / encryption: data recorded today is readable once a CRQC exists (harvest now, decrypt later): shelf life {x} + migration {y} years"
                    ),
                }
            })
        }
        Threat::Grover => Some(Horizon {
            kind: HorizonKind::Symmetric,
            years: x + y,
            why: format!("Grover's algorithm halves the effective strength: shelf life {x} + migration {y} years, small weight"),
        }),
        _ => None,
    }
}

fn mosca_of(bands: &[Band], opts: &Options, asset: &Asset, h: &Horizon, bits: u32) -> Mosca {
    let now = f64::from(opts.as_of_year);
    let cap = capture(h.kind, asset.exposure);
    let per: Vec<BandRisk> = bands
        .iter()
        .map(|b| {
            let p = b.p_by(now + h.years);
            let z = b.median() - now;
            BandRisk {
                band: b.id.clone(),
                median_year: round2(b.median()),
                years_to_crqc: round2(z),
                p_within_horizon: round4(p),
                slack_years: round2(z - h.years),
                latest_start_year: year_floor(b.quantile(1.0 - opts.confidence) - h.years),
                quantum_score: round2(quantum_points(h.kind, p, cap, bits)),
            }
        })
        .collect();
    let first = per.first().cloned();
    Mosca {
        shelf_life_years: if h.kind == HorizonKind::Authenticity {
            0.0
        } else {
            asset.data_shelf_life_years
        },
        migration_years: asset.migration_time_years,
        validity_years: (h.kind == HorizonKind::Authenticity)
            .then(|| asset.validity_years.unwrap_or(DEFAULT_VALIDITY_YEARS)),
        horizon_years: round2(h.years),
        band: first.as_ref().map(|b| b.band.clone()).unwrap_or_default(),
        confidence: opts.confidence,
        years_to_crqc: first.as_ref().map_or(0.0, |b| b.years_to_crqc),
        exposed: first.as_ref().is_some_and(|b| b.slack_years < 0.0),
        margin_years: first.as_ref().map_or(0.0, |b| b.slack_years),
        crqc_probability: first.as_ref().map_or(0.0, |b| b.p_within_horizon),
        latest_start_year: first
            .as_ref()
            .map_or(opts.as_of_year, |b| b.latest_start_year),
        bands: per,
    }
}

fn year_floor(y: f64) -> i32 {
    if y.is_finite() {
        // in range: a year between 1900 and 2200 after the clamp
        y.clamp(1900.0, 2200.0).floor() as i32
    } else {
        2200
    }
}

/// The hygiene lane before criticality: urgent for reasons other than a
/// quantum computer.
fn hygiene_points(weak: bool, status: Status, pre_standard: bool) -> f64 {
    let status_pts = match status {
        Status::Disallowed => 65.0,
        Status::LegacyUse => 40.0,
        Status::Deprecated => 35.0,
        Status::NotApproved if pre_standard => 45.0,
        Status::NotApproved => 20.0,
        Status::Acceptable | Status::Unknown => 0.0,
    };
    let weak_pts = if weak { 60.0 } else { 0.0 };
    let both = if weak && status == Status::Disallowed {
        20.0
    } else {
        0.0
    };
    (f64::max(weak_pts, status_pts) + both).min(100.0)
}

/// Scores an asset whose identity and verdicts are already resolved.
pub fn score_resolved(
    cal: &Calibrator,
    bands: &[Band],
    opts: &Options,
    asset: &Asset,
    r: &Resolved,
) -> Scored {
    if r.identity.suite.is_some() {
        return score_suite(cal, bands, opts, asset, r);
    }
    let id = &r.identity;
    let f = r.facts.as_ref();
    let pack_i = pack_index(r, opts);
    let verdict = r.verdicts.get(pack_i);
    let status = verdict.map_or(Status::Unknown, |v| v.status);
    let mut factors = Vec::with_capacity(5);
    let threat = f.map_or(Threat::Unknown, |f| f.threat);
    let bits = f.map(|f| f.bits);
    let crit = criticality_factor(asset.criticality);

    // Quantum lane.
    let usage = r.usage.or(asset.usage);
    let horizon = f.and_then(|f| horizon_of(f, id, usage, asset));
    let mosca = horizon
        .as_ref()
        .zip(f)
        .map(|(h, f)| mosca_of(bands, opts, asset, h, f.bits));
    let quantum = mosca
        .as_ref()
        .and_then(|m| m.bands.first())
        .map_or(0.0, |b| b.quantum_score);
    if let (Some(h), Some(m)) = (&horizon, &mosca) {
        factors.push(Factor {
            factor: "quantum",
            points: round2(quantum),
            detail: format!(
                "{}: H = {} years; P(CRQC within H) = {:.2} under the {} band (z = {} years, slack {} years); start by {} for {:.0}% confidence",
                h.why, m.horizon_years, m.crqc_probability, m.band, m.years_to_crqc, m.margin_years, m.latest_start_year, opts.confidence * 100.0
            ),
        });
    } else if threat == Threat::None {
        factors.push(Factor {
            factor: "quantum",
            points: 0.0,
            detail: "not known to be affected by quantum algorithms".into(),
        });
    }

    // Hygiene lane.
    let weak = f.is_some_and(|f| f.family.weak || f.bits < 112);
    let pre_standard = id.pre_standard || f.is_some_and(|f| f.family.pre_standard);
    let hygiene = if f.is_some() {
        hygiene_points(weak, status, pre_standard)
    } else {
        0.0
    };
    if hygiene > 0.0 {
        factors.push(Factor {
            factor: "hygiene",
            points: round2(hygiene),
            detail: format!(
                "{}{} in {} under {}{}",
                if weak {
                    format!(
                        "classically weak ({} bits{}); ",
                        f.map_or(0, |f| f.bits),
                        if f.is_some_and(|f| f.family.weak) {
                            ", broken family"
                        } else {
                            ""
                        }
                    )
                } else {
                    String::new()
                },
                status.as_str(),
                opts.as_of_year,
                opts.policy.id(),
                verdict
                    .and_then(|v| v.cites.first())
                    .map(|c| format!(" ({c})"))
                    .unwrap_or_default()
            ),
        });
    }

    // One ranking: the larger lane; unknown names are a queue to identify.
    let (lane, raw) = if f.is_none() {
        factors.push(Factor {
            factor: "identify",
            points: 40.0,
            detail: format!(
                "algorithm not recognised ({}): identify it; never assumed safe",
                if id.unplaced.is_empty() {
                    id.name.clone()
                } else {
                    id.unplaced.join(", ")
                }
            ),
        });
        (Lane::Identify, 40.0)
    } else if quantum <= 0.0 && hygiene <= 0.0 {
        (Lane::Safe, 0.0)
    } else if quantum >= hygiene {
        (Lane::Quantum, quantum)
    } else {
        (Lane::Hygiene, hygiene)
    };
    let total = if lane == Lane::Identify {
        raw
    } else {
        raw * crit
    };
    if (crit - 1.0).abs() > f64::EPSILON && lane != Lane::Identify && raw > 0.0 {
        factors.push(Factor {
            factor: "criticality",
            points: round2(total - raw),
            detail: format!("{:?} criticality ×{crit}", asset.criticality).to_lowercase(),
        });
    }
    let risk_score = round2(total.clamp(0.0, 100.0));

    // Severity: the triage thresholds, a HIGH floor for what is disallowed
    // today, MEDIUM for what must first be identified.
    let mut severity = cal.severity(risk_score);
    if lane == Lane::Identify {
        severity = Severity::Medium;
    }
    if status == Status::Disallowed {
        severity = severity.max(Severity::High);
    }
    let timeline = verdict.map(|v| v.timeline.as_slice()).unwrap_or_default();
    Scored {
        algorithm: id.name.clone(),
        known: f.is_some(),
        family: id.family.clone(),
        identity: id.clone(),
        quantum_threat: threat,
        classical_bits: bits,
        strength_assumed: f.is_some_and(|f| f.assumed),
        nist_pq_category: f.and_then(|f| f.pq_category),
        status,
        policy: opts.policy.id(),
        policies: r.verdicts.clone(),
        policy_status: status.into(),
        policy_by_year: by_year(timeline, opts.as_of_year),
        deprecated_after: after(timeline, Status::Deprecated),
        disallowed_after: after(timeline, Status::Disallowed),
        cnsa2_approved: r
            .verdicts
            .iter()
            .find(|v| v.pack == "cnsa2")
            .is_some_and(|v| {
                v.timeline
                    .last()
                    .is_some_and(|s| s.status == Status::Acceptable)
            }),
        lane,
        horizon,
        mosca,
        quantum_score: round2((quantum * crit).min(100.0)),
        hygiene_score: round2((hygiene * crit).min(100.0)),
        rank_holds_across_bands: None,
        risk_score,
        severity,
        recommendation: recommendation(f, id, status, usage, &asset.algorithm),
        factors,
        note: f.and_then(|f| f.family.note.clone()),
        sources: f.map(|f| f.family.sources.clone()).unwrap_or_default(),
    }
}

/// A suite scores as its weakest part; the verdicts are the worst of its parts.
fn score_suite(
    cal: &Calibrator,
    bands: &[Band],
    opts: &Options,
    asset: &Asset,
    r: &Resolved,
) -> Scored {
    let mut best: Option<Scored> = None;
    for part in &r.parts {
        let mut a = asset.clone();
        a.usage = part.usage;
        let s = score_resolved(cal, bands, opts, &a, part);
        if best.as_ref().is_none_or(|b| s.risk_score > b.risk_score) {
            best = Some(s);
        }
    }
    let pack_i = pack_index(r, opts);
    let verdict = r.verdicts.get(pack_i);
    let status = verdict.map_or(Status::Unknown, |v| v.status);
    let timeline = verdict.map(|v| v.timeline.as_slice()).unwrap_or_default();
    let Some(mut s) = best else {
        // No scorable part (e.g. PSK with an AEAD): nothing quantum-vulnerable to report.
        let mut plain = unknown_like(r);
        plain.identity.suite = None;
        let mut s = score_resolved(cal, bands, opts, asset, &plain);
        s.algorithm = r.identity.name.clone();
        s.identity = r.identity.clone();
        return s;
    };
    let weakest = s.algorithm.clone();
    s.recommendation = format!(
        "{}: weakest part {weakest}: {}",
        r.identity.name, s.recommendation
    );
    s.algorithm = r.identity.name.clone();
    s.family = None;
    s.identity = r.identity.clone();
    s.status = status;
    s.policy_status = status.into();
    s.policies = r.verdicts.clone();
    s.policy_by_year = by_year(timeline, opts.as_of_year);
    s.deprecated_after = after(timeline, Status::Deprecated);
    s.disallowed_after = after(timeline, Status::Disallowed);
    s.cnsa2_approved = r
        .verdicts
        .iter()
        .find(|v| v.pack == "cnsa2")
        .is_some_and(|v| {
            v.timeline
                .last()
                .is_some_and(|x| x.status == Status::Acceptable)
        });
    if status == Status::Disallowed {
        s.severity = s.severity.max(Severity::High);
    }
    s
}

fn unknown_like(r: &Resolved) -> Resolved {
    Resolved {
        identity: r.identity.clone(),
        facts: None,
        verdicts: r.verdicts.clone(),
        usage: r.usage,
        parts: Vec::new(),
    }
}

fn pack_index(r: &Resolved, opts: &Options) -> usize {
    r.verdicts
        .iter()
        .position(|v| v.pack == opts.policy.id())
        .unwrap_or(0)
}

/// Sets `rank_holds_across_bands`: whether each asset's rank in the batch
/// (by risk score, ties sharing a rank) is the same under every band.
pub fn mark_rank_stability(results: &mut [Scored]) {
    let n_bands = results
        .iter()
        .filter_map(|s| s.mosca.as_ref().map(|m| m.bands.len()))
        .max()
        .unwrap_or(0);
    if n_bands == 0 || results.is_empty() {
        for s in results.iter_mut() {
            s.rank_holds_across_bands = Some(true);
        }
        return;
    }
    // The risk score an asset would have under band k.
    let score_under = |s: &Scored, k: usize| -> f64 {
        let crit = if s.quantum_score > 0.0 && s.mosca.is_some() {
            s.quantum_score
                / s.mosca
                    .as_ref()
                    .and_then(|m| m.bands.first())
                    .map_or(1.0, |b| b.quantum_score.max(1e-9))
        } else {
            1.0
        };
        match s.mosca.as_ref().and_then(|m| m.bands.get(k)) {
            Some(b) if s.lane != Lane::Identify => {
                f64::max(b.quantum_score * crit, s.hygiene_score).min(100.0)
            }
            _ => s.risk_score,
        }
    };
    let ranks: Vec<Vec<usize>> = (0..n_bands)
        .map(|k| {
            let scores: Vec<f64> = results.iter().map(|s| round2(score_under(s, k))).collect();
            let mut order: Vec<usize> = (0..scores.len()).collect();
            order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
            let mut rank = vec![0; scores.len()];
            for (pos, &i) in order.iter().enumerate() {
                rank[i] = if pos > 0 && scores[order[pos - 1]] == scores[i] {
                    rank[order[pos - 1]]
                } else {
                    pos
                };
            }
            rank
        })
        .collect();
    for (i, s) in results.iter_mut().enumerate() {
        s.rank_holds_across_bands = Some(ranks.iter().all(|r| r[i] == ranks[0][i]));
    }
}

fn by_year(timeline: &[TimelineStep], as_of: i32) -> Vec<YearStatus> {
    let mut out: Vec<YearStatus> = Vec::with_capacity(YEARS.len() + 1);
    for year in std::iter::once(as_of).chain(YEARS) {
        if out.iter().any(|s| s.year == year) {
            continue;
        }
        out.push(YearStatus {
            year,
            status: if timeline.is_empty() {
                PolicyStatus::Unknown
            } else {
                status_at(timeline, year).into()
            },
        });
    }
    out
}

/// The last year before the timeline first reaches `status`.
fn after(timeline: &[TimelineStep], status: Status) -> Option<i32> {
    timeline
        .iter()
        .find(|s| s.status == status && s.from_year.is_some())
        .and_then(|s| s.from_year)
        .map(|y| y - 1)
}

fn recommendation(
    f: Option<&AlgFacts>,
    id: &Identity,
    status: Status,
    usage: Option<Usage>,
    input: &str,
) -> String {
    let Some(f) = f else {
        return format!(
            "Identify the algorithm behind {input:?} and record it precisely{}; it is treated as at risk until then",
            if id.unplaced.is_empty() { String::new() } else { format!(" (could not place: {})", id.unplaced.join(", ")) }
        );
    };
    let signing = matches!(usage, Some(Usage::Signature | Usage::Certificate))
        || id.primitive == Primitive::Signature;
    let target = if signing {
        f.family
            .signature_migration_target
            .as_ref()
            .or(f.family.migration_target.as_ref())
    } else {
        f.family.migration_target.as_ref()
    };
    let usage = usage
        .map(|u| format!(" {}", usage_label(u)))
        .unwrap_or_default();
    // ML-KEM-1024's target "ML-KEM-1024 where CNSA 2.0 applies" is itself.
    let target = target.filter(|t| !t.starts_with(&format!("{} ", id.name)));
    match target {
        Some(t) => format!("{}{usage} → {t}", id.name),
        None if status == Status::Acceptable => format!(
            "{}{usage}: quantum-safe at its strength; no change needed",
            id.name
        ),
        None => format!(
            "{}{usage}: {} under the selected policy; review its use",
            id.name,
            status.as_str().replace('_', " ")
        ),
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn round4(v: f64) -> f64 {
    (v * 10_000.0).round() / 10_000.0
}
