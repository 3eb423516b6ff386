//! Validation against the official CycloneDX 1.6 and 1.7 JSON schemas
//! (`risk-api/schemas/`, embedded), with the three schemas they reference
//! by `$id` registered from the embedded copies: nothing is fetched.
//!
//! Uploads are checked before import (a strict upload with a schema error
//! is refused, naming the JSON pointer); `?strict=false` drops the top-level
//! components and dependency entries the errors are in and imports the
//! rest. Exported CBOMs are checked by the tests with the same validators.

use std::sync::LazyLock;

use jsonschema::{Draft, Registry, Validator};
use serde::Serialize;
use serde_json::Value;

const BOM_16: &str = include_str!("../../schemas/bom-1.6.schema.json");
const BOM_17: &str = include_str!("../../schemas/bom-1.7.schema.json");
const REFERENCED: [(&str, &str); 3] = [
    (
        "http://cyclonedx.org/schema/spdx.schema.json",
        include_str!("../../schemas/spdx.schema.json"),
    ),
    (
        "http://cyclonedx.org/schema/jsf-0.82.schema.json",
        include_str!("../../schemas/jsf-0.82.schema.json"),
    ),
    (
        "http://cyclonedx.org/schema/cryptography-defs.schema.json",
        include_str!("../../schemas/cryptography-defs.schema.json"),
    ),
];
/// Longest message kept per error (a message may quote the whole value).
const MAX_MESSAGE: usize = 300;

/// One schema violation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// JSON pointer of the offending value, e.g. `/components/3/cryptoProperties/assetType`.
    pub pointer: String,
    /// What the schema says is wrong.
    pub message: String,
}

fn build(main: &str) -> Result<Validator, String> {
    let parse = |t: &str| serde_json::from_str::<Value>(t).map_err(|e| e.to_string());
    let mut registry = Registry::new();
    for (uri, text) in REFERENCED {
        registry = registry.add(uri, parse(text)?).map_err(|e| e.to_string())?;
    }
    let registry = registry.prepare().map_err(|e| e.to_string())?;
    jsonschema::options()
        .with_draft(Draft::Draft7)
        .with_registry(&registry)
        .build(&parse(main)?)
        .map_err(|e| e.to_string())
}

static V16: LazyLock<Result<Validator, String>> = LazyLock::new(|| build(BOM_16));
static V17: LazyLock<Result<Validator, String>> = LazyLock::new(|| build(BOM_17));

/// The validator of a spec version (`1.6` or `1.7`). An embedded schema
/// that does not compile is a build defect, reported as an error.
fn validator(spec: &str) -> Result<&'static Validator, String> {
    let v = match spec {
        "1.6" => &*V16,
        "1.7" => &*V17,
        other => return Err(format!("no schema for specVersion {other:?}")),
    };
    v.as_ref().map_err(Clone::clone)
}

/// Up to `max` violations of `doc` against the `spec` schema (empty: valid).
pub fn validate(spec: &str, doc: &Value, max: usize) -> Result<Vec<Issue>, String> {
    let v = validator(spec)?;
    Ok(v.iter_errors(doc)
        .take(max)
        .map(|e| {
            let mut message = e.to_string();
            if let Some((i, _)) = message.char_indices().nth(MAX_MESSAGE) {
                message.truncate(i);
                message.push('…');
            }
            let pointer = e.instance_path().to_string();
            Issue {
                pointer: if pointer.is_empty() {
                    "/".into()
                } else {
                    pointer
                },
                message,
            }
        })
        .collect())
}

/// The top-level array entry (`/components/N`, `/dependencies/N`) a pointer
/// lies in.
fn entry(pointer: &str) -> Option<(&str, usize)> {
    let mut parts = pointer.trim_start_matches('/').split('/');
    let list = parts.next()?;
    let n = parts.next()?.parse().ok()?;
    matches!(list, "components" | "dependencies").then_some((list, n))
}

/// `?strict=false`: removes the top-level components and dependency
/// entries the issues lie in. Returns whether every issue was in one (an
/// issue elsewhere, e.g. in `metadata`, is listed but not removed).
pub fn drop_invalid(doc: &mut Value, issues: &[Issue]) -> bool {
    let mut all = true;
    for list in ["components", "dependencies"] {
        let bad: std::collections::HashSet<usize> = issues
            .iter()
            .filter_map(|i| entry(&i.pointer))
            .filter(|(l, _)| *l == list)
            .map(|(_, n)| n)
            .collect();
        if let Some(arr) = doc.get_mut(list).and_then(Value::as_array_mut) {
            let mut n = 0;
            arr.retain(|_| {
                let keep = !bad.contains(&n);
                n += 1;
                keep
            });
        }
    }
    for i in issues {
        if entry(&i.pointer).is_none() {
            all = false;
        }
    }
    all
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn read(path: &str) -> Value {
        let text = std::fs::read(shared::test_util::testdata().join(path)).unwrap();
        serde_json::from_slice(&text).unwrap()
    }

    /// The specification's own valid examples and the public CBOMs are
    /// valid (as Python's `jsonschema` 4.26, the reference implementation,
    /// also finds them with the same schemas).
    #[test]
    fn reference_documents_are_valid() {
        for f in [
            "cyclonedx/valid-cryptography-full-1.6.json",
            "cyclonedx/valid-cryptography-implementation-1.6.json",
            "cyclonedx/valid-cryptography-full-1.7.json",
            "cyclonedx/valid-cryptography-full-deprecated-1.7.json",
            "cyclonedx/valid-cryptography-certificate-1.7.json",
            "cyclonedx/valid-cryptography-certificate-advanced-1.7.json",
            "cyclonedx/valid-cryptography-implementation-1.7.json",
            "cbom/keycloak-cbom.json",
            "cbom/kafka-cbom.json",
            "cbom/cyclonedx-protocol.json",
            "cbom/cyclonedx-pq-migration.json",
        ] {
            let doc = read(f);
            let spec = doc["specVersion"].as_str().unwrap().to_owned();
            assert_eq!(validate(&spec, &doc, 10).unwrap(), [], "{f}");
        }
    }

    /// bom-1.7 `cryptoProperties.assetType` is an enum (algorithm,
    /// certificate, protocol, related-crypto-material).
    #[test]
    fn violations_name_the_pointer() {
        let mut doc = read("cyclonedx/valid-cryptography-full-1.7.json");
        doc["components"][1]["cryptoProperties"]["assetType"] = Value::from("spaceship");
        let issues = validate("1.7", &doc, 10).unwrap();
        assert!(
            issues
                .iter()
                .any(|i| i.pointer == "/components/1/cryptoProperties/assetType"),
            "{issues:?}"
        );
        let before = doc["components"].as_array().unwrap().len();
        assert!(drop_invalid(&mut doc, &issues));
        assert_eq!(doc["components"].as_array().unwrap().len(), before - 1);
        assert_eq!(validate("1.7", &doc, 10).unwrap(), []);
    }
}
