//! CycloneDX 1.6/1.7 CBOM import: every cryptographic asset becomes a
//! record to score. Keys, certificates and protocols are followed through
//! their `bom-ref` links to the algorithms they use; the document's own
//! quantum levels are kept only to be compared with ours.

use std::collections::HashMap;

use serde_json::Value;
use shared::error::{FieldError, Problem};

use super::inventory::{AssetRecord, Declared, MAX_ASSETS};

/// Spec versions accepted.
pub const SPEC_VERSIONS: &[&str] = &["1.6", "1.7"];
/// Deepest component nesting followed.
const MAX_DEPTH: usize = 32;

/// A parsed CBOM.
#[derive(Debug, Clone)]
pub struct Cbom {
    /// `specVersion`.
    pub spec_version: String,
    /// Assets to score.
    pub assets: Vec<AssetRecord>,
}

fn s<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

fn clip(s: &str, max: usize) -> String {
    let cleaned: String = s.chars().filter(|c| !c.is_control()).collect();
    match cleaned.char_indices().nth(max) {
        Some((i, _)) => cleaned[..i].to_owned(),
        None => cleaned,
    }
}

/// Maps a CycloneDX `primitive` to our usage.
fn usage_of(primitive: Option<&str>) -> Option<String> {
    let u = match primitive? {
        "signature" => "signature",
        "key-agree" | "kem" | "pke" | "key-agreement" => "key_exchange",
        "ae" | "block-cipher" | "stream-cipher" | "combiner" => "encryption",
        "hash" | "xof" => "hash",
        "mac" => "mac",
        "kdf" => "kdf",
        _ => "other",
    };
    Some(u.to_owned())
}

/// Parses a document already known to be JSON.
pub fn parse(doc: &Value) -> Result<Cbom, Problem> {
    let obj = doc
        .as_object()
        .ok_or_else(|| Problem::invalid_field("body", "a CycloneDX document is a JSON object"))?;
    if obj.get("bomFormat").and_then(Value::as_str) != Some("CycloneDX") {
        return Err(Problem::invalid_field(
            "bomFormat",
            "must be \"CycloneDX\" (this is not a CycloneDX BOM)",
        ));
    }
    let spec = obj
        .get("specVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !SPEC_VERSIONS.contains(&spec) {
        return Err(Problem::invalid_field(
            "specVersion",
            format!("must be one of {} (got {spec:?})", SPEC_VERSIONS.join(", ")),
        ));
    }
    let mut flat: Vec<&Value> = Vec::new();
    if let Some(c) = obj.get("components") {
        let list = c
            .as_array()
            .ok_or_else(|| Problem::invalid_field("components", "must be an array"))?;
        collect(list, 0, &mut flat)?;
    }
    let by_ref: HashMap<&str, &Value> = flat
        .iter()
        .filter_map(|c| s(c, "bom-ref").map(|r| (r, *c)))
        .collect();
    let mut assets = Budget::new();
    for c in &flat {
        let Some(cp) = c.get("cryptoProperties") else {
            continue;
        };
        let name = s(c, "name").unwrap_or("unnamed");
        let bom_ref = s(c, "bom-ref").map(|r| clip(r, 1000));
        match s(cp, "assetType") {
            Some("algorithm") => {
                assets.push(|| algorithm_record(c, name, bom_ref, "algorithm", None))?;
            }
            Some("related-crypto-material") => {
                let props = cp.get("relatedCryptoMaterialProperties");
                let alg_ref = props.and_then(|p| s(p, "algorithmRef"));
                let size = props
                    .and_then(|p| p.get("size"))
                    .and_then(Value::as_u64)
                    .map(|n| n.to_string());
                if let Some(r) = alg_ref {
                    assets.push(|| linked(&by_ref, r, name, bom_ref.clone(), "key", None, size))?;
                }
            }
            Some("certificate") => {
                let props = cp.get("certificateProperties");
                if let Some(r) = props.and_then(|p| s(p, "signatureAlgorithmRef")) {
                    assets.push(|| {
                        linked(
                            &by_ref,
                            r,
                            name,
                            bom_ref.clone(),
                            "certificate",
                            Some("certificate"),
                            None,
                        )
                    })?;
                }
                // The certified public key: a key component pointing at its algorithm.
                if let Some(key) = props
                    .and_then(|p| s(p, "subjectPublicKeyRef"))
                    .and_then(|r| by_ref.get(r))
                {
                    let kp = key
                        .get("cryptoProperties")
                        .and_then(|k| k.get("relatedCryptoMaterialProperties"));
                    if let Some(r) = kp.and_then(|k| s(k, "algorithmRef")) {
                        let size = kp
                            .and_then(|k| k.get("size"))
                            .and_then(Value::as_u64)
                            .map(|n| n.to_string());
                        assets.push(|| {
                            linked(
                                &by_ref,
                                r,
                                &format!("{name} public key"),
                                bom_ref.clone(),
                                "certificate",
                                Some("certificate"),
                                size,
                            )
                        })?;
                    }
                }
            }
            Some("protocol") => {
                let props = cp.get("protocolProperties");
                let suites = props
                    .and_then(|p| p.get("cipherSuites"))
                    .and_then(Value::as_array);
                for suite in suites.into_iter().flatten() {
                    let suite_name = s(suite, "name").unwrap_or("cipher suite");
                    let refs = suite.get("algorithms").and_then(Value::as_array);
                    for r in refs.into_iter().flatten().filter_map(Value::as_str) {
                        assets.push(|| {
                            linked(
                                &by_ref,
                                r,
                                &format!("{name} {suite_name}"),
                                bom_ref.clone(),
                                "protocol",
                                None,
                                None,
                            )
                        })?;
                    }
                }
            }
            _ => {}
        }
    }
    let assets = assets.items;
    if assets.is_empty() {
        return Err(Problem::validation(vec![FieldError::new(
            "components",
            "no cryptographic assets (components with cryptoProperties) found",
        )]));
    }
    Ok(Cbom {
        spec_version: spec.to_owned(),
        assets,
    })
}

/// The assets found so far, counted as they are expanded: the limit is
/// checked before each record is built, so a document whose references
/// fan out (one protocol naming one algorithm 200,000 times) stops at the
/// limit instead of building every expansion first.
struct Budget {
    items: Vec<AssetRecord>,
}

impl Budget {
    fn new() -> Self {
        Self { items: Vec::new() }
    }

    fn push(&mut self, make: impl FnOnce() -> AssetRecord) -> Result<(), Problem> {
        if self.items.len() >= MAX_ASSETS {
            return Err(Problem::invalid_field(
                "components",
                format!("more than {MAX_ASSETS} cryptographic assets (counting every reference a protocol, key or certificate makes)"),
            ));
        }
        self.items.push(make());
        Ok(())
    }
}

fn collect<'a>(list: &'a [Value], depth: usize, out: &mut Vec<&'a Value>) -> Result<(), Problem> {
    if depth > MAX_DEPTH {
        return Err(Problem::invalid_field(
            "components",
            format!("nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    for c in list {
        if !c.is_object() {
            return Err(Problem::invalid_field(
                "components",
                "every component must be an object",
            ));
        }
        out.push(c);
        if let Some(inner) = c.get("components").and_then(Value::as_array) {
            collect(inner, depth + 1, out)?;
        }
    }
    Ok(())
}

/// A record for an algorithm component (1.6 `curve`, 1.7 `ellipticCurve`
/// and `algorithmFamily` both read).
fn algorithm_record(
    c: &Value,
    name: &str,
    asset_ref: Option<String>,
    asset_type: &str,
    usage: Option<&str>,
) -> AssetRecord {
    let props = c
        .get("cryptoProperties")
        .and_then(|p| p.get("algorithmProperties"));
    let get = |k: &str| props.and_then(|p| s(p, k));
    let parameter = get("ellipticCurve")
        .or_else(|| get("curve"))
        .or_else(|| get("parameterSetIdentifier"))
        .map(|p| clip(p, 200));
    let int = |k: &str| props.and_then(|p| p.get(k)).and_then(Value::as_i64);
    AssetRecord {
        name: clip(name, 1000),
        asset_ref,
        asset_type: Some(asset_type.to_owned()),
        algorithm: clip(name, 200),
        parameter,
        family: get("algorithmFamily").map(|f| clip(f, 200)),
        usage: usage
            .map(str::to_owned)
            .or_else(|| usage_of(get("primitive"))),
        declared: Declared {
            nist_quantum_level: int("nistQuantumSecurityLevel"),
            classical_level: int("classicalSecurityLevel"),
        },
        ..AssetRecord::default()
    }
}

/// A record for a key, certificate or protocol that points at an algorithm.
/// A dangling reference is kept as an unknown algorithm: never assumed safe.
fn linked(
    by_ref: &HashMap<&str, &Value>,
    target: &str,
    name: &str,
    asset_ref: Option<String>,
    asset_type: &str,
    usage: Option<&str>,
    size: Option<String>,
) -> AssetRecord {
    match by_ref.get(target) {
        Some(alg) => {
            let mut r = algorithm_record(
                alg,
                s(alg, "name").unwrap_or(target),
                asset_ref,
                asset_type,
                usage,
            );
            r.name = clip(name, 1000);
            if r.parameter.is_none() {
                r.parameter = size;
            }
            r
        }
        None => AssetRecord {
            name: clip(name, 1000),
            asset_ref,
            asset_type: Some(asset_type.to_owned()),
            algorithm: clip(&format!("unresolved bom-ref {target}"), 200),
            usage: usage.map(str::to_owned),
            ..AssetRecord::default()
        },
    }
}
