//! The knowledge base: per-algorithm facts loaded from versioned data
//! (`ml-engine/data/knowledge_base.json`), validated once, then looked up by
//! normalised name. No I/O here: the caller hands in the file's text.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The knowledge base shipped with the engine (the default when
/// `QRAP_ML_KNOWLEDGE_BASE` is not set).
pub const EMBEDDED: &str = include_str!("../../data/knowledge_base.json");

/// What a quantum computer does to an algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Threat {
    /// Shor's algorithm breaks it (RSA, DH, ECC).
    Shor,
    /// Grover's algorithm weakens it (symmetric ciphers, hashes, MACs).
    Grover,
    /// Not affected (post-quantum algorithms).
    None,
    /// Already broken or too weak without a quantum computer.
    ClassicallyWeak,
    /// Not in the knowledge base: never assumed safe.
    Unknown,
}

impl Threat {
    /// Wire name (also the database value in the risk API).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shor => "shor",
            Self::Grover => "grover",
            Self::None => "none",
            Self::ClassicallyWeak => "classically_weak",
            Self::Unknown => "unknown",
        }
    }
}

/// Policy status of an algorithm in a given year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PolicyStatus {
    /// Approved.
    Acceptable,
    /// May still be used, with accepted risk (NIST "deprecated").
    Deprecated,
    /// Must not be used.
    Disallowed,
    /// Not in the knowledge base.
    Unknown,
}

/// One algorithm or parameter set.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Canonical name, e.g. `RSA-2048`.
    pub name: String,
    /// Other spellings seen in inventories and CBOMs.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Family, e.g. `RSA`, `ECDSA`, `AES`.
    pub family: String,
    /// Primitive: pke, signature, kem, key_agreement, block_cipher, aead, hash, mac, kdf, …
    pub primitive: String,
    /// Key size in bits where the family is sized by it (RSA, DH, DSA, AES).
    pub key_size: Option<u32>,
    /// Classical security strength in bits (SP 800-57).
    pub classical_bits: u32,
    /// NIST post-quantum security category 1..5, for PQC algorithms.
    pub nist_pq_category: Option<u8>,
    /// Quantum threat class.
    pub quantum_threat: Threat,
    /// NIST IR 8547: deprecated after this year.
    pub deprecated_after: Option<i32>,
    /// NIST IR 8547: disallowed after this year.
    pub disallowed_after: Option<i32>,
    /// Already disallowed today (SP 800-131A, FIPS 186-5, …).
    pub disallowed_now: bool,
    /// Listed in CNSA 2.0.
    pub cnsa2_approved: bool,
    /// What to migrate to, if anything.
    pub migration_target: Option<String>,
    /// Migration target when the algorithm signs rather than exchanges keys
    /// (RSA does both).
    #[serde(default)]
    pub signature_migration_target: Option<String>,
    /// Caveat shown with findings.
    pub note: Option<String>,
    /// Keys into the knowledge base's `sources`.
    pub sources: Vec<String>,
}

/// A CNSA 2.0 transition deadline for one system category.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Cnsa2Deadline {
    /// System category, e.g. `web_browsers_servers_cloud`.
    pub category: String,
    /// Support and prefer CNSA 2.0 algorithms by this year.
    pub prefer_by: i32,
    /// Use CNSA 2.0 algorithms exclusively by this year.
    pub exclusive_by: i32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: u32,
    version: String,
    #[allow(dead_code)] // documentation inside the data file
    description: String,
    sources: BTreeMap<String, String>,
    cnsa2_deadlines: Vec<Cnsa2Deadline>,
    entries: Vec<Entry>,
}

/// A validated knowledge base with its lookup index.
#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    /// Data version (`version` in the file).
    pub version: String,
    /// Citation text by key.
    pub sources: BTreeMap<String, String>,
    /// CNSA 2.0 deadlines per system category.
    pub cnsa2_deadlines: Vec<Cnsa2Deadline>,
    entries: Vec<Entry>,
    by_key: HashMap<String, usize>,
}

/// Lookup key: upper-case ASCII letters and digits only, so `ML-KEM-768`,
/// `mlkem768` and `ML_KEM 768` meet.
pub fn normalise(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl KnowledgeBase {
    /// Parses and validates the file's text. The error says which entry and
    /// what is wrong, for a one-line startup error.
    pub fn parse(text: &str) -> Result<Self, String> {
        let file: File = serde_json::from_str(text).map_err(|e| format!("not valid: {e}"))?;
        if file.format != 1 {
            return Err(format!("unsupported format {} (expected 1)", file.format));
        }
        if file.version.trim().is_empty() {
            return Err("version is empty".into());
        }
        if file.entries.is_empty() {
            return Err("has no entries".into());
        }
        let mut by_key = HashMap::new();
        for (i, e) in file.entries.iter().enumerate() {
            let at = || format!("entries[{i}] ({})", e.name);
            if normalise(&e.name).is_empty() {
                return Err(format!("{}: empty name", at()));
            }
            if e.sources.is_empty() {
                return Err(format!("{}: cites no source", at()));
            }
            if let Some(s) = e.sources.iter().find(|s| !file.sources.contains_key(*s)) {
                return Err(format!("{}: unknown source {s:?}", at()));
            }
            if let (Some(d), Some(x)) = (e.deprecated_after, e.disallowed_after) {
                if d > x {
                    return Err(format!(
                        "{}: deprecated_after is after disallowed_after",
                        at()
                    ));
                }
            }
            if e.nist_pq_category.is_some_and(|c| !(1..=5).contains(&c)) {
                return Err(format!("{}: nist_pq_category must be 1..5", at()));
            }
            if e.quantum_threat == Threat::Unknown {
                return Err(format!("{}: an entry cannot have threat unknown", at()));
            }
            for key in std::iter::once(&e.name).chain(e.aliases.iter()) {
                let k = normalise(key);
                if let Some(prev) = by_key.insert(k, i) {
                    if prev != i {
                        return Err(format!(
                            "{}: name or alias {key:?} already used by {}",
                            at(),
                            file.entries[prev].name
                        ));
                    }
                }
            }
        }
        Ok(Self {
            version: file.version,
            sources: file.sources,
            cnsa2_deadlines: file.cnsa2_deadlines,
            entries: file.entries,
            by_key,
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries (never true after `parse`).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All entries.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Exact lookup by name or alias (normalised).
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.by_key.get(&normalise(name)).map(|&i| &self.entries[i])
    }

    /// Resolves an asset's algorithm: exact name, name + parameter, family +
    /// parameter, then for size-graded families (RSA, DH, DSA, AES) the
    /// weakest listed size not above the given one. `None` = unknown.
    pub fn resolve(
        &self,
        algorithm: &str,
        parameter: Option<&str>,
        family: Option<&str>,
    ) -> Option<&Entry> {
        let param = parameter.map(str::trim).filter(|p| !p.is_empty());
        // A full name ("AES-128-GCM", "ECDH-secp521r1") says more than a
        // family + parameter pair built from it.
        if let Some(e) = self.get(algorithm) {
            return Some(e);
        }
        if let Some(p) = param {
            let p = p.rsplit('/').next().unwrap_or(p);
            for base in [Some(algorithm), family].into_iter().flatten() {
                if let Some(e) = self.get(&format!("{base}-{p}")) {
                    return Some(e);
                }
            }
        }
        self.resolve_sized(algorithm, param, family)
    }

    fn resolve_sized(
        &self,
        algorithm: &str,
        param: Option<&str>,
        family: Option<&str>,
    ) -> Option<&Entry> {
        let alg = normalise(algorithm);
        let fam_hint = family.map(normalise).unwrap_or_default();
        let family = ["RSA", "DH", "DSA", "AES"].into_iter().find(|f| {
            fam_hint.starts_with(f)
                || (alg.starts_with(f) && !alg.starts_with("RSASSA") || alg == *f)
                || (*f == "DH" && (alg.starts_with("FFDHE") || alg.starts_with("DHE")))
        })?;
        // The size: for public-key families the largest number in the name
        // that can be a modulus size ("RSA-PKCS1-1.5-SHA512-2048" → 2048,
        // where the CBOM's parameter is the hash), else the parameter, else
        // the first number in the name.
        let numbers: Vec<u32> = alg
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|d| d.parse().ok())
            .collect();
        let param_num: Option<u32> = param.and_then(|p| p.trim().parse().ok());
        let size = if family == "AES" {
            param_num.or_else(|| numbers.first().copied())
        } else {
            numbers
                .iter()
                .copied()
                .filter(|n| *n >= 512)
                .max()
                .or(param_num)
        }?;
        // Only the bare size entries (`RSA-2048`, `AES-128`), not the modes.
        let candidates: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| {
                e.family == family
                    && e.key_size
                        .is_some_and(|k| e.name == format!("{family}-{k}"))
            })
            .collect();
        let smallest = candidates.iter().min_by_key(|e| e.key_size)?;
        if size < smallest.key_size.unwrap_or(0) {
            // Smaller than anything listed: weaker than the weakest entry.
            return Some(smallest);
        }
        candidates
            .into_iter()
            .filter(|e| e.key_size.is_some_and(|k| k <= size))
            .max_by_key(|e| e.key_size)
    }

    /// Policy status of `entry` in `year`: IR 8547 dates, SP 800-131A items.
    pub fn status_in(entry: &Entry, year: i32) -> PolicyStatus {
        if entry.disallowed_now || entry.disallowed_after.is_some_and(|y| year > y) {
            PolicyStatus::Disallowed
        } else if entry.deprecated_after.is_some_and(|y| year > y) {
            PolicyStatus::Deprecated
        } else {
            PolicyStatus::Acceptable
        }
    }
}
