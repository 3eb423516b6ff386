//! The seven public CBOMs in `testdata/cbom/` (IBM CBOMkit examples,
//! CycloneDX bom-examples): every algorithm component resolves to a pinned
//! canonical algorithm. The expectations are read from each component's own
//! fields (name, algorithmFamily, parameterSetIdentifier, curve, OID) and
//! the standards they name; a wrong key length, curve or hash fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ml_engine::model::identity::{resolve, Input};
use ml_engine::model::kb::{KnowledgeBase, EMBEDDED};
use serde_json::Value;

/// (component name, canonical name, hash, key bits) per fixture; `None`
/// canonical = stays unknown (not an algorithm name).
type Pin = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<u32>,
);

const FIXTURES: &[(&str, &[Pin])] = &[
    (
        "cyclonedx-algorithm.json",
        &[
            ("AES-128-GCM-128-12", Some("AES-128-GCM"), None, Some(128)),
            // parameterSetIdentifier 512 is SHA-512's length, not the modulus.
            (
                "RSA-PKCS1-1.5-SHA512-2048",
                Some("RSA-2048"),
                Some("SHA-512"),
                Some(2048),
            ),
            ("ECDH-secp521r1", Some("ECDH-P-521"), None, None),
            // OID 2.16.840.1.101.3.4.1.48 is in the AES arc: the name wins.
            ("ML-KEM-1024", Some("ML-KEM-1024"), None, None),
            // ECDH on other/Curve25519, OID id-X25519 (RFC 8410): X25519.
            (
                "draft-ietf-tls-hybrid-design-13",
                Some("X25519"),
                None,
                None,
            ),
        ],
    ),
    (
        "cyclonedx-certificate.json",
        &[
            ("SHA512withRSA", Some("RSA"), Some("SHA-512"), None),
            ("RSA-2048", Some("RSA-2048"), None, Some(2048)),
        ],
    ),
    (
        "cyclonedx-key.json",
        &[
            ("RSA-2048", Some("RSA-2048"), None, Some(2048)),
            ("AES-128-GCM", Some("AES-128-GCM"), None, Some(128)),
        ],
    ),
    (
        "cyclonedx-pq-migration.json",
        &[
            ("ML-KEM-768", Some("ML-KEM-768"), None, None),
            ("ML-DSA-65", Some("ML-DSA-65"), None, None),
            ("ECDH-P-256", Some("ECDH-P-256"), None, None),
            (
                "ECDSA-P-256-SHA-256",
                Some("ECDSA-P-256"),
                Some("SHA-256"),
                None,
            ),
        ],
    ),
    (
        "cyclonedx-protocol.json",
        &[
            ("RSA-PKCS1-1.5-SHA512", Some("RSA"), Some("SHA-512"), None),
            ("X25519", Some("X25519"), None, None),
            (
                "RSA-PKCS1-1.5-SHA256-2048",
                Some("RSA-2048"),
                Some("SHA-256"),
                Some(2048),
            ),
            ("AES-256-GCM", Some("AES-256-GCM"), None, Some(256)),
            // OID 2.16.840.1.101.3.4.2.9 is id-sha3-384 in CSOR; name and family say SHA-2 384.
            ("SHA-384", Some("SHA-384"), None, None),
        ],
    ),
    (
        "kafka-cbom.json",
        &[
            ("SHA256", Some("SHA-256"), None, None),
            ("DSA", Some("DSA-2048"), None, Some(2048)),
            ("HMAC-SHA512", Some("HMAC-SHA-512"), Some("SHA-512"), None),
            ("PRIVATE KEY", None, None, None),
            ("RSA-2048", Some("RSA-2048"), None, Some(2048)),
            ("SHA512", Some("SHA-512"), None, None),
            ("EC", Some("EC"), None, None),
        ],
    ),
    (
        "keycloak-cbom.json",
        &[
            ("ECDH", Some("ECDH"), None, None),
            ("SHA1", Some("SHA-1"), None, None),
            ("EC-secp521r1", Some("EC-P-521"), None, None),
            ("RAW", None, None, None),
            ("EdDSA", Some("EdDSA"), None, None),
            ("HMAC-SHA256", Some("HMAC-SHA-256"), Some("SHA-256"), None),
            ("RSA-2048", Some("RSA-2048"), None, Some(2048)),
            ("DSA", Some("DSA-2048"), None, Some(2048)),
            ("Ed25519", Some("Ed25519"), None, None),
            ("EC", Some("EC"), None, None),
            ("EC-secp384r1", Some("EC-P-384"), None, None),
            ("AES", Some("AES-128"), None, Some(128)),
            // "HMACSHA2": HMAC with a SHA-2 of unstated size (the size stays open).
            ("HMACSHA2", Some("HMAC"), None, None),
            ("MGF1", Some("MGF1"), None, None),
            ("AES128-CBC-PKCS5", Some("AES-128-CBC"), None, Some(128)),
            ("AES128-GCM", Some("AES-128-GCM"), None, Some(128)),
            ("ConcatenationKDF", Some("SP800-56C-KDF"), None, None),
            ("SHA256", Some("SHA-256"), None, None),
            ("SHA512", Some("SHA-512"), None, None),
            ("AES128", Some("AES-128"), None, Some(128)),
            ("RSASSA-PSS", Some("RSA"), None, None),
            ("EC-secp256r1", Some("EC-P-256"), None, None),
        ],
    ),
];

fn components(v: &Value, out: &mut Vec<Value>) {
    for c in v["components"].as_array().into_iter().flatten() {
        out.push(c.clone());
        components(c, out);
    }
}

#[test]
fn every_public_cbom_algorithm_resolves_to_its_pinned_identity() {
    let kb = KnowledgeBase::parse(EMBEDDED).unwrap();
    let mut failures = Vec::new();
    let mut seen = 0;
    for (file, pins) in FIXTURES {
        let path = shared::test_util::testdata().join("cbom").join(file);
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut all = Vec::new();
        components(&doc, &mut all);
        for c in all {
            let cp = &c["cryptoProperties"];
            if cp["assetType"] != "algorithm" {
                continue;
            }
            seen += 1;
            let name = c["name"].as_str().unwrap();
            let ap = &cp["algorithmProperties"];
            let family = ap["algorithmFamily"].as_str();
            let param = ap["parameterSetIdentifier"].as_str();
            let curve = ap["ellipticCurve"].as_str().or(ap["curve"].as_str());
            // A curve field says more than a numeric parameter beside it.
            let parameter = curve.or(param);
            let oid = cp["oid"].as_str();
            let Some((_, want, hash, bits)) = pins.iter().find(|p| p.0 == name) else {
                failures.push(format!(
                    "{file}: component {name:?} has no pinned expectation"
                ));
                continue;
            };
            let got = resolve(
                &kb,
                &Input {
                    name,
                    family,
                    parameter,
                    oid,
                    usage: None,
                },
            );
            let ok = match want {
                None => !got.known(),
                Some(w) => {
                    got.name == *w
                        && (hash.is_none() || got.hash.as_deref() == *hash)
                        && (bits.is_none() || got.key_bits == *bits)
                }
            };
            if !ok {
                failures.push(format!(
                    "{file}: {name:?} (family {family:?}, parameter {parameter:?}, oid {oid:?}) → {} hash {:?} bits {:?} unplaced {:?}; want {want:?} {hash:?} {bits:?}",
                    got.name, got.hash, got.key_bits, got.unplaced
                ));
            }
        }
    }
    assert!(seen >= 45, "{seen} algorithm components");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
