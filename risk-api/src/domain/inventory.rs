//! The asset list an assessment scores, from a JSON inventory or a CBOM.

use serde::{Deserialize, Serialize};
use shared::error::{FieldError, Problem};
use utoipa::ToSchema;

/// Most assets one assessment may hold.
pub const MAX_ASSETS: usize = 100_000;

/// `usage` values (the `findings.usage` CHECK list).
pub const USAGES: &[&str] = &[
    "key_exchange",
    "signature",
    "encryption",
    "hash",
    "mac",
    "kdf",
    "certificate",
    "protocol",
    "other",
];
use super::inputs::{check_years, CRITICALITIES, EXPOSURES};

/// One asset of a JSON inventory.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct InventoryAsset {
    /// Where the algorithm is used, e.g. `api.example.com TLS`.
    pub name: String,
    /// Algorithm, e.g. `RSA`, `RSA-2048`, `ECDSA`, `AES-256-GCM`.
    pub algorithm: String,
    /// Key size, curve or parameter set.
    #[serde(default)]
    pub parameter: Option<String>,
    /// key_exchange, signature, encryption, hash, mac, kdf, certificate, protocol or other.
    #[serde(default)]
    pub usage: Option<String>,
    /// Free-form asset type, e.g. `certificate`, `key`, `library`.
    #[serde(default)]
    pub asset_type: Option<String>,
    /// Years the protected data must stay confidential.
    #[serde(default)]
    pub data_shelf_life_years: Option<f64>,
    /// Years a migration would take.
    #[serde(default)]
    pub migration_time_years: Option<f64>,
    /// internet, internal or isolated.
    #[serde(default)]
    pub exposure: Option<String>,
    /// low, medium, high or critical.
    #[serde(default)]
    pub criticality: Option<String>,
    /// When a certificate or signing key stops being trusted
    /// (`YYYY-MM-DD` or an RFC 3339 time): the ML engine's authenticity
    /// horizon is migration time + the validity left.
    #[serde(default)]
    pub valid_until: Option<String>,
    /// Or the years a signature made today must stay trusted (declared
    /// key or firmware lifetime), 0..=100.
    #[serde(default)]
    pub validity_years: Option<f64>,
}

/// An asset ready for scoring, whatever its source.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AssetRecord {
    /// Display name.
    pub name: String,
    /// CycloneDX bom-ref.
    pub asset_ref: Option<String>,
    /// Asset type (algorithm, key, certificate, protocol, …).
    pub asset_type: Option<String>,
    /// Algorithm as found.
    pub algorithm: String,
    /// Parameter as found.
    pub parameter: Option<String>,
    /// Family when the document states it.
    pub family: Option<String>,
    /// One of [`USAGES`].
    pub usage: Option<String>,
    /// Mosca x.
    pub data_shelf_life_years: Option<f64>,
    /// Mosca y.
    pub migration_time_years: Option<f64>,
    /// One of [`EXPOSURES`]; `None`: the upload's default, else the ML
    /// engine's.
    pub exposure: Option<String>,
    /// One of [`CRITICALITIES`]; `None`: the upload's default, else the ML
    /// engine's.
    pub criticality: Option<String>,
    /// What the document claims (compared after scoring).
    pub declared: Declared,
    /// CBOM: the paths of bom-refs (with `cipherSuite:`/`provides`/…
    /// labels between them) by which the asset is reached, at most
    /// [`super::cbom::MAX_PATHS`].
    pub paths: Vec<Vec<String>>,
    /// CBOM: how many paths reach the asset (all of them, not only those kept).
    pub occurrences: u32,
    /// CBOM: structural checks applied to the score (protocol version, mode, padding, …).
    pub checks: Vec<super::cbom::Check>,
    /// Certificate `notValidAfter`, key `expirationDate` or the
    /// inventory's / `quantun:valid_until` value, as given.
    pub valid_until: Option<String>,
    /// Declared years a signature must stay trusted (when no `valid_until`).
    pub validity_years: Option<f64>,
    /// CBOM: the component's `oid`.
    pub oid: Option<String>,
    /// CBOM: the algorithm's `cryptoFunctions` (CycloneDX values only,
    /// each once), sent to the ML engine: only verify/decrypt/decapsulate
    /// is legacy use where a standard allows it (NIST SP 800-131A Rev. 2 §1.2).
    pub crypto_functions: Vec<String>,
    /// CBOM: `evidence.occurrences` as `location:line`.
    pub locations: Vec<String>,
}

/// Claims a CBOM makes about an algorithm, to compare with our own.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Declared {
    /// `nistQuantumSecurityLevel` (0 = quantum-vulnerable).
    pub nist_quantum_level: Option<i64>,
    /// `classicalSecurityLevel` in bits.
    pub classical_level: Option<i64>,
}

fn text(field: String, v: &str, max: usize, errors: &mut Vec<FieldError>) {
    if v.trim().is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            format!("must be 1..{max} printable characters"),
        ));
    }
}

/// Validates a JSON inventory into records, naming every bad field
/// (`inventory[3].algorithm`).
pub fn from_inventory(items: &[InventoryAsset]) -> Result<Vec<AssetRecord>, Problem> {
    let mut errors = Vec::new();
    if items.is_empty() || items.len() > MAX_ASSETS {
        return Err(Problem::invalid_field(
            "inventory",
            format!("must hold 1 to {MAX_ASSETS} assets"),
        ));
    }
    for (i, a) in items.iter().enumerate() {
        let f = |n: &str| format!("inventory[{i}].{n}");
        text(f("name"), &a.name, 1000, &mut errors);
        text(f("algorithm"), &a.algorithm, 200, &mut errors);
        for (n, v, max) in [
            ("parameter", &a.parameter, 200),
            ("asset_type", &a.asset_type, 64),
        ] {
            if let Some(v) = v {
                text(f(n), v, max, &mut errors);
            }
        }
        for (n, v, allowed) in [
            ("usage", &a.usage, USAGES),
            ("exposure", &a.exposure, EXPOSURES),
            ("criticality", &a.criticality, CRITICALITIES),
        ] {
            if v.as_deref().is_some_and(|v| !allowed.contains(&v)) {
                errors.push(FieldError::new(
                    f(n),
                    format!("must be one of {}", allowed.join(", ")),
                ));
            }
        }
        for (n, v) in [
            ("data_shelf_life_years", a.data_shelf_life_years),
            ("migration_time_years", a.migration_time_years),
            ("validity_years", a.validity_years),
        ] {
            check_years(&f(n), v, &mut errors);
        }
        if a.valid_until
            .as_deref()
            .is_some_and(|d| d.len() > 64 || !crate::ml::is_date(d))
        {
            errors.push(FieldError::new(
                f("valid_until"),
                "must be YYYY-MM-DD or an RFC 3339 time",
            ));
        }
        if errors.len() >= 100 {
            break;
        }
    }
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    Ok(items
        .iter()
        .map(|a| AssetRecord {
            name: a.name.trim().to_owned(),
            asset_ref: None,
            asset_type: a.asset_type.clone(),
            algorithm: a.algorithm.trim().to_owned(),
            parameter: a.parameter.clone(),
            family: None,
            usage: a.usage.clone(),
            data_shelf_life_years: a.data_shelf_life_years,
            migration_time_years: a.migration_time_years,
            exposure: a.exposure.clone(),
            criticality: a.criticality.clone(),
            valid_until: a.valid_until.clone(),
            validity_years: a.validity_years,
            occurrences: 1,
            ..AssetRecord::default()
        })
        .collect())
}
