//! Knowledge-base facts against their sources (SP 800-57 strengths, FIPS
//! 203/204/205 categories, RFC 7919/3526 groups, OIDs against the RustCrypto
//! `const-oid` registry), schema checks, and the scoring's orderings:
//! severity by strength, shelf life, unknowns, determinism, calibration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ml_engine::model::calibration::Severity;
use ml_engine::model::identity::{resolve, Input};
use ml_engine::model::kb::{KnowledgeBase, Threat as T, EMBEDDED};
use ml_engine::model::policy::Status;
use ml_engine::model::scoring::{Asset, Criticality, Exposure, Options, Scored, Usage};
use ml_engine::model::Engine;

fn engine() -> Engine {
    Engine::embedded().unwrap()
}

fn opts() -> Options {
    Options::new(2026, "central")
}

fn asset(alg: &str, param: Option<&str>) -> Asset {
    Asset {
        algorithm: alg.into(),
        parameter: param.map(Into::into),
        data_shelf_life_years: 5.0,
        migration_time_years: 5.0,
        exposure: Exposure::Internal,
        criticality: Criticality::Medium,
        ..Asset::default()
    }
}

fn score(e: &Engine, alg: &str, param: Option<&str>) -> Scored {
    e.score(&opts(), &asset(alg, param))
}

#[test]
fn modulus_strengths_are_sp800_57_table_2() {
    // SP 800-57 Pt 1 Rev 5 Table 2: 1024 → 80, 2048 → 112, 3072 → 128,
    // 7680 → 192, 15360 → 256; a size between rows has the lower row's strength.
    let e = engine();
    for (size, bits) in [
        (1024, 80),
        (2048, 112),
        (2560, 112),
        (3072, 128),
        (4096, 128),
        (7680, 192),
        (8192, 192),
        (15360, 256),
    ] {
        assert_eq!(e.kb.modulus_bits(size), bits, "{size}");
        assert_eq!(
            score(&e, "RSA", Some(&size.to_string())).classical_bits,
            Some(bits),
            "RSA-{size}"
        );
    }
}

#[test]
fn curve_strengths_are_half_the_order_size() {
    // SP 800-57 Pt 1 Table 2 (f = order bits, strength f/2); RFC 7748 sec. 1
    // (X25519 ~128, X448 ~224); RFC 5639 brainpool sizes.
    let e = engine();
    for (alg, param, bits) in [
        ("ECDSA", "P-224", 112),
        ("ECDSA", "P-256", 128),
        ("ECDSA", "P-384", 192),
        ("ECDSA", "P-521", 256),
        ("ECDH", "brainpoolP256r1", 128),
        ("ECDH", "brainpoolP512r1", 256),
        ("ECDSA", "secp256k1", 128),
        ("X25519", "", 128),
        ("X448", "", 224),
        ("Ed25519", "", 128),
        ("Ed448", "", 224),
    ] {
        let p = (!param.is_empty()).then_some(param);
        assert_eq!(
            score(&e, alg, p).classical_bits,
            Some(bits),
            "{alg} {param}"
        );
    }
}

#[test]
fn pqc_categories_are_the_fips_tables() {
    // FIPS 203 Table 2; FIPS 204 Table 1; FIPS 205 Table 2.
    let e = engine();
    for (alg, cat) in [
        ("ML-KEM-512", 1),
        ("ML-KEM-768", 3),
        ("ML-KEM-1024", 5),
        ("ML-DSA-44", 2),
        ("ML-DSA-65", 3),
        ("ML-DSA-87", 5),
        ("SLH-DSA-SHA2-128s", 1),
        ("SLH-DSA-SHAKE-192f", 3),
        ("SLH-DSA-SHA2-256s", 5),
    ] {
        let s = score(&e, alg, None);
        assert_eq!(s.nist_pq_category, Some(cat), "{alg}");
        assert_eq!(s.quantum_threat, T::None, "{alg}");
    }
    // PQC call for proposals sec. 4.A.5: the categories are defined by
    // AES-128/192/256 key search (1/3/5) and SHA-256/384 collisions (2/4).
    for (alg, cat) in [
        ("AES-128-GCM", 1),
        ("AES-192", 3),
        ("AES-256-CBC", 5),
        ("SHA-256", 2),
        ("SHA-384", 4),
        ("SHA3-256", 2),
    ] {
        assert_eq!(score(&e, alg, None).nist_pq_category, Some(cat), "{alg}");
    }
}

#[test]
fn finite_field_groups_are_the_rfc_sizes() {
    // RFC 7919 Appendix A; RFC 3526 sec. 2-7; RFC 2409 sec. 6.
    let e = engine();
    for (g, bits) in [
        ("ffdhe2048", 2048),
        ("ffdhe3072", 3072),
        ("ffdhe4096", 4096),
        ("ffdhe6144", 6144),
        ("ffdhe8192", 8192),
        ("MODP-1536", 1536),
        ("group14", 2048),
        ("MODP-4096", 4096),
        ("Oakley Group 2", 1024),
    ] {
        let id = resolve(
            &e.kb,
            &Input {
                name: "DH",
                parameter: Some(g),
                ..Input::default()
            },
        );
        assert_eq!(id.key_bits, Some(bits), "{g}: {id:?}");
    }
}

#[test]
fn every_oid_names_what_the_const_oid_registry_names() {
    // The RustCrypto const-oid database (RFC 5912/5480/8410, NIST CSOR, FIPS
    // 203/204/205 modules) is an independent registry: the name it gives an
    // OID must resolve to the same algorithm as the knowledge base's entry.
    let kb = KnowledgeBase::parse(EMBEDDED).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for o in &kb.oids {
        let Ok(oid) = const_oid::ObjectIdentifier::new(&o.oid) else {
            failures.push(format!("{}: not an OID", o.oid));
            continue;
        };
        let Some(name) = const_oid::db::DB.by_oid(&oid) else {
            continue;
        };
        checked += 1;
        let ours = resolve(
            &kb,
            &Input {
                name: &o.name,
                ..Input::default()
            },
        );
        let theirs = resolve(
            &kb,
            &Input {
                name,
                ..Input::default()
            },
        );
        let same =
            ours.family == theirs.family && ours.name == theirs.name && ours.hash == theirs.hash;
        if !same {
            failures.push(format!(
                "{} ({}): ours {:?} {} {:?} vs registry {name:?} → {:?} {} {:?}",
                o.oid,
                o.name,
                ours.family,
                ours.name,
                ours.hash,
                theirs.family,
                theirs.name,
                theirs.hash
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 50, "only {checked} OIDs found in the registry");
}

#[test]
fn whole_name_aliases_resolve_to_their_targets() {
    // JCA Standard Algorithm Names (DESede, TripleDES), OpenSSL object names
    // (des-ede3-cbc, id-ecPublicKey, dhKeyAgreement), 3GPP TS 35.221 (128-EEA3).
    let kb = KnowledgeBase::parse(EMBEDDED).unwrap();
    for a in &kb.aliases {
        let via = resolve(
            &kb,
            &Input {
                name: &a.alias,
                ..Input::default()
            },
        );
        let direct = resolve(
            &kb,
            &Input {
                name: &a.name,
                ..Input::default()
            },
        );
        assert!(via.known(), "{}", a.alias);
        assert_eq!(
            (via.name, via.family),
            (direct.name, direct.family),
            "{}",
            a.alias
        );
    }
}

#[test]
fn severity_orders_by_strength_for_the_same_shelf_life() {
    let e = engine();
    let chains: &[&[&str]] = &[
        // Classically weak and disallowed (SP 800-131A) above quantum-only.
        &["RSA-1024", "RSA-2048"],
        &["DH-1024", "DH-2048"],
        &["ECDSA-P-192", "ECDSA-P-224"],
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
    // Shor's cost grows only polynomially: a bigger modulus is no safer.
    assert_eq!(r2048.quantum_score, r4096.quantum_score);
    assert_eq!(r2048.severity, r4096.severity);
}

#[test]
fn longer_shelf_life_raises_the_score_of_shor_breakable_keys() {
    let e = engine();
    let mut a = asset("RSA-2048", None);
    let short = e.score(&opts(), &a);
    a.data_shelf_life_years = 25.0;
    let long = e.score(&opts(), &a);
    // Central band median 2042.3 (z = 16.3 from 2026): x + y = 30 > z.
    assert!(long.risk_score > short.risk_score);
    assert!(long.mosca.unwrap().exposed);
    let m = short.mosca.as_ref().unwrap();
    assert!(!m.exposed || m.margin_years < 0.0);
    // Symmetric algorithms get Grover's small term only.
    let aes = score(&e, "AES-256-GCM", None);
    assert_eq!(
        aes.horizon.as_ref().map(|h| h.kind),
        Some(ml_engine::model::scoring::HorizonKind::Symmetric)
    );
    assert!(aes.quantum_score < 5.0, "{}", aes.quantum_score);
}

#[test]
fn unknown_algorithms_are_never_safe() {
    let e = engine();
    for alg in ["FooCrypt-9000", "", "\u{202e}kem"] {
        let s = score(&e, alg, None);
        assert!(!s.known, "{alg}");
        assert_eq!(s.quantum_threat, T::Unknown);
        assert_eq!(s.status, Status::Unknown);
        assert!(s.severity >= Severity::Medium, "{alg}: {:?}", s.severity);
        assert!(s.recommendation.contains("Identify"));
    }
}

#[test]
fn recommendations_are_concrete() {
    let e = engine();
    let mut a = asset("RSA", Some("2048"));
    a.usage = Some(Usage::KeyExchange);
    let kex = e.score(&opts(), &a);
    assert!(
        kex.recommendation
            .starts_with("RSA-2048 key exchange → X25519MLKEM768"),
        "{}",
        kex.recommendation
    );
    a.usage = Some(Usage::Signature);
    let sig = e.score(&opts(), &a);
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
    let base = e.score(&opts(), &a).risk_score;
    a.exposure = Exposure::Internet;
    a.criticality = Criticality::Critical;
    let high = e.score(&opts(), &a).risk_score;
    a.exposure = Exposure::Isolated;
    a.criticality = Criticality::Low;
    let low = e.score(&opts(), &a).risk_score;
    assert!(high > base && base > low, "{high} {base} {low}");
}

#[test]
fn scoring_is_deterministic() {
    let (e1, e2) = (engine(), engine());
    let names = [
        "RSA-2048",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "ML-KEM-768",
        "SHA-1",
        "Mystery",
        "0x11EC",
    ];
    let assets: Vec<Asset> = names.iter().map(|n| asset(n, None)).collect();
    assert_eq!(
        e1.score_all(&opts(), &assets),
        e2.score_all(&opts(), &assets)
    );
    // The batch cache gives what scoring one by one gives.
    let one_by_one: Vec<Scored> = assets.iter().map(|a| e1.score(&opts(), a)).collect();
    let mut batch = e1.score_all(&opts(), &assets);
    // Only the batch knows ranks.
    assert!(batch.iter().all(|s| s.rank_holds_across_bands.is_some()));
    for s in &mut batch {
        s.rank_holds_across_bands = None;
    }
    assert_eq!(batch, one_by_one);
    assert_eq!(e1.calibrator.info.version, e2.calibrator.info.version);
}

#[test]
fn severity_is_the_qrap_triage_thresholds() {
    // QRAP triage policy: CRITICAL >= 80, HIGH >= 60, MEDIUM >= 35, LOW >= 15.
    let e = engine();
    for (score, sev) in [
        (100.0, Severity::Critical),
        (80.0, Severity::Critical),
        (79.99, Severity::High),
        (60.0, Severity::High),
        (59.99, Severity::Medium),
        (35.0, Severity::Medium),
        (34.99, Severity::Low),
        (15.0, Severity::Low),
        (14.99, Severity::Info),
        (0.0, Severity::Info),
        (f64::NAN, Severity::Critical),
    ] {
        assert_eq!(e.calibrator.severity(score), sev, "{score}");
    }
}

#[test]
fn bad_knowledge_bases_are_rejected_with_a_reason() {
    let good: serde_json::Value = serde_json::from_str(EMBEDDED).unwrap();
    let mut no_source = good.clone();
    no_source["families"][0]["sources"] = serde_json::json!([]);
    let mut bad_source = good.clone();
    bad_source["families"][0]["sources"] = serde_json::json!(["NOPE"]);
    let mut dup = good.clone();
    dup["families"][1]["words"] = serde_json::json!(["rsa"]);
    let mut extra = good.clone();
    extra["families"][0]["surprise"] = serde_json::json!(1);
    let mut unknown_threat = good.clone();
    unknown_threat["families"][0]["threat"] = serde_json::json!("unknown");
    let mut dup_curve = good.clone();
    dup_curve["curves"][1]["aliases"] = serde_json::json!(["secp192r1"]);
    let mut bad_oid = good.clone();
    bad_oid["oids"][0]["oid"] = serde_json::json!("1.2.x");
    for (doc, needle) in [
        (no_source, "cites no source"),
        (bad_source, "unknown source"),
        (dup, "already used"),
        (extra, "surprise"),
        (unknown_threat, "unknown"),
        (dup_curve, "already used"),
        (bad_oid, "not a dotted OID"),
    ] {
        let err = KnowledgeBase::parse(&doc.to_string()).unwrap_err();
        assert!(err.contains(needle), "{err}");
    }
    assert!(KnowledgeBase::parse("{").is_err());
    assert!(KnowledgeBase::parse("[]").is_err());
}

#[test]
fn every_record_cites_a_known_source() {
    let kb = KnowledgeBase::parse(EMBEDDED).unwrap();
    assert!(kb.len() >= 100);
    let cited = |s: &[String]| !s.is_empty() && s.iter().all(|k| kb.sources.contains_key(k));
    assert!(kb.families.iter().all(|f| cited(&f.sources)));
    assert!(kb.curves.iter().all(|c| cited(&c.sources)));
    assert!(kb.groups.iter().all(|g| cited(&g.sources)));
    assert!(kb.oids.iter().all(|o| cited(&o.sources)));
    assert!(kb.aliases.iter().all(|a| cited(&a.sources)));
}
