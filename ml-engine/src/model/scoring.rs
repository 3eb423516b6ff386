//! Pure, deterministic scoring of one asset: identity (`identity.rs`) →
//! knowledge-base facts (strength, threat) → policy-pack verdicts
//! (`policy.rs`) → Mosca's inequality, exposure and criticality → a
//! composite 0–100 score with the factors that explain it. Severity comes
//! from the calibration model (`calibration.rs`) plus two policy floors.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::calibration::{Calibrator, Severity};
use super::identity::{self, Identity};
use super::kb::{Family, KnowledgeBase, Primitive, Sizing, Threat};
use super::policy::{status_at, worst, Facts, Op, Packs, Status, TimelineStep, Verdict};

/// How an asset is used (the risk API's `usage` values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
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
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KeyExchange => "key_exchange",
            Self::Signature => "signature",
            Self::Encryption => "encryption",
            Self::Hash => "hash",
            Self::Mac => "mac",
            Self::Kdf => "kdf",
            Self::Certificate => "certificate",
            Self::Protocol => "protocol",
            Self::Other => "other",
        }
    }

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

    /// The usage a primitive implies when the inventory does not say.
    fn of_primitive(p: Primitive) -> Self {
        match p {
            Primitive::Signature => Self::Signature,
            Primitive::Kem | Primitive::KeyAgree | Primitive::Combiner => Self::KeyExchange,
            Primitive::Pke
            | Primitive::BlockCipher
            | Primitive::StreamCipher
            | Primitive::Ae
            | Primitive::KeyWrap => Self::Encryption,
            Primitive::Hash | Primitive::Xof => Self::Hash,
            Primitive::Mac => Self::Mac,
            Primitive::Kdf | Primitive::Drbg => Self::Kdf,
            Primitive::Other | Primitive::Unknown => Self::Other,
        }
    }
}

/// Where the asset is reachable from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
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
    /// Usage.
    pub usage: Option<Usage>,
    /// Protect or only process (from CycloneDX `cryptoFunctions`); `None` = protect.
    pub op: Option<Op>,
    /// Years the protected data must stay confidential (Mosca's x).
    pub data_shelf_life_years: f64,
    /// Years a migration takes (Mosca's y).
    pub migration_time_years: f64,
    /// Exposure.
    pub exposure: Exposure,
    /// Criticality.
    pub criticality: Criticality,
}

/// The policy pack a request is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// NIST (IR 8547 ipd, SP 800-131A Rev. 2 / Rev. 3 ipd, FIPS 186-5/203/204/205, SP 800-208).
    #[default]
    Nist,
    /// NSA CNSA 2.0 with its per-category dates.
    Cnsa2,
}

impl Policy {
    /// Pack id.
    pub fn id(self) -> &'static str {
        match self {
            Self::Nist => "nist",
            Self::Cnsa2 => "cnsa2",
        }
    }
}

/// Scoring parameters shared by a batch.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Options {
    /// The year "now" for policy status and Mosca (fixed per request, so
    /// results are reproducible).
    pub as_of_year: i32,
    /// Median year of arrival of a cryptographically relevant quantum computer.
    pub crqc_median_year: f64,
    /// Spread (logistic scale, years) of the CRQC arrival curve.
    pub crqc_spread_years: f64,
    /// The pack `status`, `policy_status` and severity follow.
    #[serde(default)]
    pub policy: Policy,
    /// CNSA 2.0 system category (`null` = the pack's default).
    #[serde(default)]
    pub cnsa2_category: Option<String>,
}

impl Options {
    /// Probability that a CRQC exists by `year`: a logistic curve centred on
    /// the median (P = 0.5 there), `spread` years per e-fold of the odds.
    pub fn crqc_probability_by(&self, year: f64) -> f64 {
        1.0 / (1.0 + (-(year - self.crqc_median_year) / self.crqc_spread_years).exp())
    }
}

/// Policy status in the old four-value vocabulary (`policy_status`, kept
/// for existing clients): legacy use reads as deprecated, not approved as
/// unknown (no verdict in that vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicyStatus {
    /// Approved.
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
    /// Canonical name (`RSA-2048`, `ECDSA-P-256`, a suite's IANA name), or the input when unknown.
    pub algorithm: String,
    /// Whether the algorithm was recognised.
    pub known: bool,
    /// Canonical family.
    pub family: Option<String>,
    /// The resolved identity: family, key length, curve, parameter set,
    /// hash, mode, scheme, suite decomposition and unplaced tokens.
    pub identity: Identity,
    /// Threat class.
    pub quantum_threat: Threat,
    /// Classical security strength (bits).
    pub classical_bits: Option<u32>,
    /// Whether `classical_bits` rests on an assumption (size not stated).
    pub strength_assumed: bool,
    /// NIST PQ category.
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
    /// Threat.
    pub threat: Threat,
    /// NIST PQ category.
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
    /// Identity.
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
    let usage = usage.or_else(|| facts.as_ref().map(|_| Usage::of_primitive(id.primitive)));
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
    cal: &Calibrator,
    opts: &Options,
    asset: &Asset,
) -> Scored {
    let r = resolve(kb, packs, opts, asset);
    score_resolved(cal, opts, asset, &r)
}

/// Scores an asset whose identity and verdicts are already resolved.
pub fn score_resolved(cal: &Calibrator, opts: &Options, asset: &Asset, r: &Resolved) -> Scored {
    if r.identity.suite.is_some() {
        return score_suite(cal, opts, asset, r);
    }
    let id = &r.identity;
    let f = r.facts.as_ref();
    let pack_i = pack_index(r, opts);
    let verdict = r.verdicts.get(pack_i);
    let status = verdict.map_or(Status::Unknown, |v| v.status);
    let mut factors = Vec::with_capacity(6);
    let threat = f.map_or(Threat::Unknown, |f| f.threat);

    // 1. Threat class.
    let bits = f.map(|f| f.bits);
    let base = match (threat, bits) {
        (Threat::ClassicallyWeak, _) => 70.0,
        (Threat::Shor, _) => 40.0,
        (Threat::Unknown, _) => 55.0,
        (Threat::Grover, Some(b)) if b < 128 => 20.0,
        (Threat::Grover, Some(b)) if b < 192 => 8.0,
        (Threat::Grover, Some(b)) if b < 256 => 4.0,
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
            Threat::Unknown => format!(
                "algorithm not recognised ({}): treated as at risk, never as safe",
                if id.unplaced.is_empty() {
                    id.name.clone()
                } else {
                    id.unplaced.join(", ")
                }
            ),
        },
    });
    let mut total = base;

    // 2. Classical strength below 192 bits matters for public-key and broken algorithms.
    if let Some(f) = f.filter(|_| matches!(threat, Threat::Shor | Threat::ClassicallyWeak)) {
        let pts = (192.0 - f64::from(f.bits)).max(0.0) * 0.15;
        if pts > 0.0 {
            total += pts;
            factors.push(Factor {
                factor: "classical_strength",
                points: round2(pts),
                detail: format!(
                    "{} bits of classical security{}",
                    f.bits,
                    if f.assumed {
                        " (size not stated: assumed the smallest approved)"
                    } else {
                        ""
                    }
                ),
            });
        }
    }

    // 3. Policy today and the nearest change.
    let policy_pts = match status {
        Status::Disallowed => 20.0,
        Status::Deprecated | Status::LegacyUse => 12.0,
        Status::NotApproved => 8.0,
        Status::Unknown => 5.0,
        Status::Acceptable => 0.0,
    };
    if policy_pts > 0.0 {
        total += policy_pts;
        factors.push(Factor {
            factor: "policy_status",
            points: policy_pts,
            detail: format!(
                "{} in {} under {}{}",
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
    if let Some(v) = verdict.filter(|_| status == Status::Acceptable) {
        let next = v
            .timeline
            .iter()
            .filter_map(|s| {
                s.from_year
                    .filter(|y| *y > opts.as_of_year && s.status != Status::Acceptable)
            })
            .min();
        if let Some(y) = next {
            let pts = f64::from((10 - (y - 1 - opts.as_of_year)).max(0));
            if pts > 0.0 {
                total += pts;
                factors.push(Factor {
                    factor: "policy_deadline",
                    points: pts,
                    detail: format!(
                        "{} from {y} ({})",
                        status_at(&v.timeline, y).as_str(),
                        v.cites.first().map_or("", String::as_str)
                    ),
                });
            }
        }
    }

    // 4. Mosca's inequality for what a CRQC would break (and for unknowns).
    let mosca = matches!(threat, Threat::Shor | Threat::Unknown).then(|| mosca(opts, asset));
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
    total = exposure_criticality(total, asset, &mut factors);
    let risk_score = round2(total.clamp(0.0, 100.0));

    // Severity: calibrated, then floors that policy does not leave to a model.
    let mut severity = cal.severity(risk_score);
    if threat == Threat::Unknown {
        severity = severity.max(Severity::Medium);
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
        mosca,
        risk_score,
        severity,
        recommendation: recommendation(f, id, status, r.usage.or(asset.usage), &asset.algorithm),
        factors,
        note: f.and_then(|f| f.family.note.clone()),
        sources: f.map(|f| f.family.sources.clone()).unwrap_or_default(),
    }
}

/// A suite scores as its weakest part; the verdicts are the worst of its parts.
fn score_suite(cal: &Calibrator, opts: &Options, asset: &Asset, r: &Resolved) -> Scored {
    let mut best: Option<Scored> = None;
    for part in &r.parts {
        let mut a = asset.clone();
        a.usage = part.usage;
        let s = score_resolved(cal, opts, &a, part);
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
        let mut s = score_resolved(cal, opts, asset, &plain);
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

fn mosca(opts: &Options, asset: &Asset) -> Mosca {
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
}

fn exposure_criticality(total: f64, asset: &Asset, factors: &mut Vec<Factor>) -> f64 {
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
    let out = total * ex * cr;
    if (ex * cr - 1.0).abs() > f64::EPSILON {
        factors.push(Factor {
            factor: "exposure_criticality",
            points: round2(out - total),
            detail: format!(
                "{:?} exposure ×{ex}, {:?} criticality ×{cr}",
                asset.exposure, asset.criticality
            )
            .to_lowercase(),
        });
    }
    out
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
    let usage = usage.map(|u| format!(" {}", u.label())).unwrap_or_default();
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
