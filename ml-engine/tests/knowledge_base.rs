//! Knowledge-base and scoring tables: threat class, policy status in 2030
//! and 2035, severity ordering, unknowns, determinism, calibration quality.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ml_engine::model::calibration::{Severity, EMBEDDED_EXAMPLES};
use ml_engine::model::kb::{KnowledgeBase, PolicyStatus as P, Threat as T, EMBEDDED};
use ml_engine::model::scoring::{Asset, Criticality, Exposure, Options, Scored, Usage};
use ml_engine::model::Engine;

fn engine() -> Engine {
    Engine::build(KnowledgeBase::parse(EMBEDDED).unwrap(), EMBEDDED_EXAMPLES).unwrap()
}

const OPTS: Options = Options {
    as_of_year: 2026,
    crqc_median_year: 2035.0,
    crqc_spread_years: 3.0,
};

fn asset(alg: &str, param: Option<&str>) -> Asset {
    Asset {
        algorithm: alg.into(),
        parameter: param.map(Into::into),
        family: None,
        usage: None,
        data_shelf_life_years: 5.0,
        migration_time_years: 5.0,
        exposure: Exposure::Internal,
        criticality: Criticality::Medium,
    }
}

fn score(e: &Engine, alg: &str, param: Option<&str>) -> Scored {
    ml_engine::model::scoring::score(&e.kb, &e.calibrator, &OPTS, &asset(alg, param))
}

fn status(s: &Scored, year: i32) -> P {
    s.policy_by_year
        .iter()
        .find(|y| y.year == year)
        .unwrap()
        .status
}

/// (algorithm, parameter, canonical name, threat, status 2030, status 2035)
type Case = (&'static str, Option<&'static str>, &'static str, T, P, P);

const CASES: &[Case] = &[
    (
        "RSA-1024",
        None,
        "RSA-1024",
        T::ClassicallyWeak,
        P::Disallowed,
        P::Disallowed,
    ),
    (
        "RSA",
        Some("2048"),
        "RSA-2048",
        T::Shor,
        P::Acceptable,
        P::Deprecated,
    ),
    (
        "rsa2048",
        None,
        "RSA-2048",
        T::Shor,
        P::Acceptable,
        P::Deprecated,
    ),
    (
        "RSA",
        Some("3072"),
        "RSA-3072",
        T::Shor,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "RSA-4096",
        None,
        "RSA-4096",
        T::Shor,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "RSA",
        Some("2560"),
        "RSA-2048",
        T::Shor,
        P::Acceptable,
        P::Deprecated,
    ),
    (
        "RSA",
        Some("512"),
        "RSA-1024",
        T::ClassicallyWeak,
        P::Disallowed,
        P::Disallowed,
    ),
    (
        "RSA-15360",
        None,
        "RSA-15360",
        T::Shor,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "DH",
        Some("2048"),
        "DH-2048",
        T::Shor,
        P::Acceptable,
        P::Deprecated,
    ),
    (
        "ffdhe3072",
        None,
        "DH-3072",
        T::Shor,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "DH-1024",
        None,
        "DH-1024",
        T::ClassicallyWeak,
        P::Disallowed,
        P::Disallowed,
    ),
    (
        "DSA",
        Some("2048"),
        "DSA-2048",
        T::Shor,
        P::Disallowed,
        P::Disallowed,
    ),
    (
        "ECDSA",
        Some("P-224"),
        "ECDSA-P-224",
        T::Shor,
        P::Acceptable,
        P::Deprecated,
    ),
    (
        "ECDSA",
        Some("P-256"),
        "ECDSA-P-256",
        T::Shor,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "ECDSA",
        Some("secp384r1"),
        "ECDSA-P-384",
        T::Shor,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "ECDSA-P-521",
        None,
        "ECDSA-P-521",
        T::Shor,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "ECDH",
        Some("secg/secp521r1"),
        "ECDH-P-521",
        T::Shor,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "ECDH",
        Some("prime256v1"),
        "ECDH-P-256",
        T::Shor,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "ECDSA",
        Some("secp256k1"),
        "ECDSA-secp256k1",
        T::Shor,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "ECDSA",
        Some("brainpoolP256r1"),
        "ECDSA-brainpoolP256r1",
        T::Shor,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "ECDSA",
        Some("P-192"),
        "ECDSA-P-192",
        T::ClassicallyWeak,
        P::Disallowed,
        P::Disallowed,
    ),
    (
        "Ed25519",
        None,
        "Ed25519",
        T::Shor,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "Ed448",
        None,
        "Ed448",
        T::Shor,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "X25519",
        None,
        "X25519",
        T::Shor,
        P::Acceptable,
        P::Acceptable,
    ),
    ("X448", None, "X448", T::Shor, P::Acceptable, P::Acceptable),
    (
        "ML-KEM-512",
        None,
        "ML-KEM-512",
        T::None,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "ML-KEM-768",
        None,
        "ML-KEM-768",
        T::None,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "mlkem1024",
        None,
        "ML-KEM-1024",
        T::None,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "ML-DSA-44",
        None,
        "ML-DSA-44",
        T::None,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "ML-DSA-65",
        None,
        "ML-DSA-65",
        T::None,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "ML-DSA-87",
        None,
        "ML-DSA-87",
        T::None,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "SLH-DSA-SHA2-128s",
        None,
        "SLH-DSA-SHA2-128s",
        T::None,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "SLH-DSA-SHAKE-256f",
        None,
        "SLH-DSA-SHAKE-256f",
        T::None,
        P::Acceptable,
        P::Acceptable,
    ),
    ("LMS", None, "LMS", T::None, P::Acceptable, P::Acceptable),
    ("XMSS", None, "XMSS", T::None, P::Acceptable, P::Acceptable),
    (
        "X25519MLKEM768",
        None,
        "X25519MLKEM768",
        T::None,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "SecP256r1MLKEM768",
        None,
        "SecP256r1MLKEM768",
        T::None,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "AES-128-GCM",
        None,
        "AES-128-GCM",
        T::Grover,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "AES",
        Some("192"),
        "AES-192",
        T::Grover,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "AES-256-CBC",
        None,
        "AES-256-CBC",
        T::Grover,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "AES-128-GCM-128-12",
        None,
        "AES-128-GCM",
        T::Grover,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "3DES",
        None,
        "3DES",
        T::ClassicallyWeak,
        P::Disallowed,
        P::Disallowed,
    ),
    (
        "DESede",
        None,
        "3DES",
        T::ClassicallyWeak,
        P::Disallowed,
        P::Disallowed,
    ),
    (
        "ChaCha20-Poly1305",
        None,
        "ChaCha20-Poly1305",
        T::Grover,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "SHA-1",
        None,
        "SHA-1",
        T::ClassicallyWeak,
        P::Disallowed,
        P::Disallowed,
    ),
    (
        "MD5",
        None,
        "MD5",
        T::ClassicallyWeak,
        P::Disallowed,
        P::Disallowed,
    ),
    (
        "SHA256",
        None,
        "SHA-256",
        T::Grover,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "SHA-384",
        None,
        "SHA-384",
        T::Grover,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "SHA3-256",
        None,
        "SHA3-256",
        T::Grover,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "HMAC-SHA256",
        None,
        "HMAC-SHA256",
        T::Grover,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "HMAC-SHA1",
        None,
        "HMAC-SHA1",
        T::Grover,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "HKDF-SHA256",
        None,
        "HKDF-SHA256",
        T::Grover,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "PBKDF2WithHmacSHA256",
        None,
        "PBKDF2-HMAC-SHA256",
        T::Grover,
        P::Acceptable,
        P::Acceptable,
    ),
    (
        "RC4",
        None,
        "RC4",
        T::ClassicallyWeak,
        P::Disallowed,
        P::Disallowed,
    ),
];

#[test]
fn knowledge_base_table() {
    let e = engine();
    assert!(CASES.len() >= 40);
    for (alg, param, name, threat, s2030, s2035) in CASES {
        let s = score(&e, alg, *param);
        let ctx = format!("{alg} {param:?}");
        assert!(s.known, "{ctx} unknown");
        assert_eq!(&s.algorithm, name, "{ctx}");
        assert_eq!(s.quantum_threat, *threat, "{ctx} threat");
        assert_eq!(status(&s, 2030), *s2030, "{ctx} 2030");
        assert_eq!(status(&s, 2035), *s2035, "{ctx} 2035");
        // IR 8547: every quantum-vulnerable public-key algorithm is gone after 2035.
        if *threat == T::Shor {
            assert_eq!(status(&s, 2036), P::Disallowed, "{ctx} 2036");
        }
        if *threat == T::None {
            assert!(s.severity <= Severity::Low, "{ctx}: {:?}", s.severity);
        }
        if *s2030 == P::Disallowed {
            assert!(s.severity >= Severity::High, "{ctx}: {:?}", s.severity);
        }
        assert!((0.0..=100.0).contains(&s.risk_score), "{ctx}");
        assert!(!s.factors.is_empty(), "{ctx}");
        assert!(!s.sources.is_empty(), "{ctx} cites nothing");
    }
}

#[test]
fn severity_orders_by_strength_for_the_same_shelf_life() {
    let e = engine();
    let chains: &[&[&str]] = &[
        &["RSA-1024", "RSA-2048", "RSA-4096"],
        &["DH-1024", "DH-2048", "DH-4096"],
        &["ECDSA-P-192", "ECDSA-P-224", "ECDSA-P-384"],
        &["RSA-2048", "AES-128-GCM", "ML-KEM-768"],
        &["3DES", "AES-128", "AES-256"],
    ];
    for chain in chains {
        for w in chain.windows(2) {
            let (a, b) = (score(&e, w[0], None), score(&e, w[1], None));
            assert!(
                a.risk_score > b.risk_score,
                "{} {} <= {} {}",
                w[0],
                a.risk_score,
                w[1],
                b.risk_score
            );
            assert!(a.severity >= b.severity, "{} vs {}", w[0], w[1]);
        }
    }
    let r1024 = score(&e, "RSA-1024", None);
    let r2048 = score(&e, "RSA-2048", None);
    let r4096 = score(&e, "RSA-4096", None);
    assert!(r1024.severity > r4096.severity);
    assert!(r2048.severity >= r4096.severity);
}

#[test]
fn longer_shelf_life_raises_the_score_of_shor_breakable_keys() {
    let e = engine();
    let mut a = asset("RSA-2048", None);
    let short = ml_engine::model::scoring::score(&e.kb, &e.calibrator, &OPTS, &a);
    a.data_shelf_life_years = 25.0;
    let long = ml_engine::model::scoring::score(&e.kb, &e.calibrator, &OPTS, &a);
    assert!(long.risk_score > short.risk_score);
    assert!(long.mosca.unwrap().exposed);
    assert!(!short.mosca.unwrap().exposed || short.mosca.unwrap().margin_years < 0.0);
    // Symmetric algorithms are not subject to Mosca's inequality.
    assert!(score(&e, "AES-256-GCM", None).mosca.is_none());
}

#[test]
fn unknown_algorithms_are_never_safe() {
    let e = engine();
    for alg in [
        "FooCrypt-9000",
        "RSA-ish",
        "",
        "GOST R 34.10-2012",
        "\u{202e}kem",
    ] {
        let s = score(&e, alg, None);
        assert!(!s.known, "{alg}");
        assert_eq!(s.quantum_threat, T::Unknown);
        assert_eq!(s.policy_status, P::Unknown);
        assert!(s.severity >= Severity::Medium, "{alg}: {:?}", s.severity);
        assert!(s.recommendation.contains("Identify"));
    }
}

#[test]
fn recommendations_are_concrete() {
    let e = engine();
    let mut a = asset("RSA", Some("2048"));
    a.usage = Some(Usage::KeyExchange);
    let kex = ml_engine::model::scoring::score(&e.kb, &e.calibrator, &OPTS, &a);
    assert!(
        kex.recommendation
            .starts_with("RSA-2048 key exchange → X25519MLKEM768"),
        "{}",
        kex.recommendation
    );
    a.usage = Some(Usage::Signature);
    let sig = ml_engine::model::scoring::score(&e.kb, &e.calibrator, &OPTS, &a);
    assert!(
        sig.recommendation.contains("ML-DSA"),
        "{}",
        sig.recommendation
    );
    assert!(score(&e, "ML-KEM-1024", None)
        .recommendation
        .contains("no change"));
}

#[test]
fn exposure_and_criticality_move_the_score() {
    let e = engine();
    let mut a = asset("ECDH-P-256", None);
    let base = ml_engine::model::scoring::score(&e.kb, &e.calibrator, &OPTS, &a).risk_score;
    a.exposure = Exposure::Internet;
    a.criticality = Criticality::Critical;
    let high = ml_engine::model::scoring::score(&e.kb, &e.calibrator, &OPTS, &a).risk_score;
    a.exposure = Exposure::Isolated;
    a.criticality = Criticality::Low;
    let low = ml_engine::model::scoring::score(&e.kb, &e.calibrator, &OPTS, &a).risk_score;
    assert!(high > base && base > low, "{high} {base} {low}");
}

#[test]
fn scoring_is_deterministic() {
    let (e1, e2) = (engine(), engine());
    let assets: Vec<Asset> = CASES.iter().map(|c| asset(c.0, c.1)).collect();
    assert_eq!(e1.score_all(&OPTS, &assets), e2.score_all(&OPTS, &assets));
    assert_eq!(e1.calibrator.info.version, e2.calibrator.info.version);
}

#[test]
fn calibration_reports_held_out_accuracy_and_is_monotone() {
    let e = engine();
    let info = &e.calibrator.info;
    assert!(info.held_out_examples >= 100);
    assert!(
        info.held_out_accuracy > 0.85,
        "accuracy {}",
        info.held_out_accuracy
    );
    let sev: Vec<Severity> = info.thresholds.iter().map(|t| t.0).collect();
    assert_eq!(
        sev,
        [
            Severity::Info,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical
        ]
    );
}

#[test]
fn bad_knowledge_bases_are_rejected_with_a_reason() {
    let good: serde_json::Value = serde_json::from_str(EMBEDDED).unwrap();
    let mut no_source = good.clone();
    no_source["entries"][0]["sources"] = serde_json::json!([]);
    let mut bad_source = good.clone();
    bad_source["entries"][0]["sources"] = serde_json::json!(["NOPE"]);
    let mut dup = good.clone();
    dup["entries"][1]["aliases"] = serde_json::json!(["rsa-1024"]);
    let mut extra = good.clone();
    extra["entries"][0]["surprise"] = serde_json::json!(1);
    let mut unknown_threat = good.clone();
    unknown_threat["entries"][0]["quantum_threat"] = serde_json::json!("unknown");
    for (doc, needle) in [
        (no_source, "cites no source"),
        (bad_source, "unknown source"),
        (dup, "already used"),
        (extra, "surprise"),
        (unknown_threat, "unknown"),
    ] {
        let err = KnowledgeBase::parse(&doc.to_string()).unwrap_err();
        assert!(err.contains(needle), "{err}");
    }
    assert!(KnowledgeBase::parse("{").is_err());
    assert!(KnowledgeBase::parse("[]").is_err());
}

#[test]
fn every_entry_cites_a_known_source() {
    let kb = KnowledgeBase::parse(EMBEDDED).unwrap();
    assert!(kb.len() >= 100);
    for e in kb.entries() {
        assert!(
            e.sources.iter().all(|s| kb.sources.contains_key(s)),
            "{}",
            e.name
        );
    }
}
