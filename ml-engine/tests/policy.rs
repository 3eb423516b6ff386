//! Policy packs: statuses per pack and usage as the standards write them.
//! Each case names the document and section/table its expectation comes
//! from; none is read back from the engine.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ml_engine::model::calibration::Severity;
use ml_engine::model::policy::{Op, Packs, Status as S, EMBEDDED};
use ml_engine::model::scoring::{Asset, Options, Policy, Scored, Usage};
use ml_engine::model::Engine;

fn engine() -> Engine {
    Engine::embedded().unwrap()
}

fn opts(policy: Policy, category: Option<&str>) -> Options {
    Options {
        policy,
        cnsa2_category: category.map(Into::into),
        ..Options::new(2026, "central")
    }
}

fn asset(name: &str, param: Option<&str>, usage: Option<Usage>, op: Option<Op>) -> Asset {
    Asset {
        algorithm: name.into(),
        parameter: param.map(Into::into),
        usage,
        op,
        data_shelf_life_years: 5.0,
        migration_time_years: 5.0,
        ..Asset::default()
    }
}

fn at(s: &Scored, pack: &str, year: i32) -> S {
    let v = s.policies.iter().find(|v| v.pack == pack).unwrap();
    ml_engine::model::policy::status_at(&v.timeline, year)
}

/// (name, param, usage, op, [(year, status)], source)
type Case = (
    &'static str,
    Option<&'static str>,
    Option<Usage>,
    Option<Op>,
    &'static [(i32, S)],
    &'static str,
);

const NIST: &[Case] = &[
    // SHA-1: SP 800-131A Rev. 2 sec. 9 Table 8 and the Rev. 3 ipd retirement after 2030.
    ("SHA-1", None, Some(Usage::Signature), Some(Op::Protect), &[(2026, S::Disallowed), (2031, S::Disallowed)], "SP 800-131A Rev. 2 sec. 9 Table 8: SHA-1 digital signature generation disallowed"),
    ("SHA-1", None, Some(Usage::Signature), Some(Op::Process), &[(2026, S::LegacyUse), (2030, S::LegacyUse), (2031, S::Disallowed)], "SP 800-131A Rev. 2 Table 8 (verification legacy use); Rev. 3 ipd (SHA-1 retired after 2030)"),
    ("SHA-1", None, Some(Usage::Hash), None, &[(2026, S::Acceptable), (2030, S::Acceptable), (2031, S::Disallowed)], "SP 800-131A Rev. 2 Table 8 (non-signature uses acceptable); Rev. 3 ipd (after 2030 disallowed)"),
    ("HMAC-SHA1", None, None, None, &[(2026, S::Acceptable), (2030, S::Acceptable), (2031, S::Disallowed)], "SP 800-131A Rev. 2 sec. 10 Table 9 (HMAC-SHA-1 acceptable); Rev. 3 ipd (SHA-1 retired after 2030)"),
    ("PBKDF2WithHmacSHA1", None, None, None, &[(2030, S::Acceptable), (2031, S::Disallowed)], "SP 800-132 with SP 800-131A Rev. 3 ipd (SHA-1 retired after 2030)"),
    ("sha1WithRSAEncryption", Some("2048"), None, Some(Op::Protect), &[(2026, S::Disallowed)], "SP 800-131A Rev. 2 Table 8: SHA-1 for signature generation disallowed"),
    ("sha1WithRSAEncryption", Some("2048"), None, Some(Op::Process), &[(2026, S::LegacyUse), (2031, S::Disallowed)], "SP 800-131A Rev. 2 Table 8: verification legacy use; Rev. 3 ipd"),
    // DSA: FIPS 186-5 sec. 1.
    ("DSA", Some("2048"), Some(Usage::Signature), Some(Op::Protect), &[(2026, S::Disallowed)], "FIPS 186-5 sec. 1: DSA not approved for signature generation"),
    ("DSA", Some("2048"), Some(Usage::Signature), Some(Op::Process), &[(2026, S::LegacyUse), (2035, S::LegacyUse), (2036, S::Disallowed)], "FIPS 186-5 sec. 1 (verify only); IR 8547 ipd Table 3 (disallowed after 2035)"),
    // PKCS #1 v1.5 encryption / key transport: SP 800-131A Rev. 2 sec. 6 Table 5.
    ("RSA-PKCS1-1.5-2048", None, Some(Usage::KeyExchange), Some(Op::Protect), &[(2026, S::Disallowed)], "SP 800-131A Rev. 2 sec. 6 Table 5: PKCS #1 v1.5 key transport disallowed after 2023"),
    ("RSA-PKCS1-1.5-2048", None, Some(Usage::Encryption), Some(Op::Process), &[(2026, S::LegacyUse), (2036, S::Disallowed)], "SP 800-131A Rev. 2 sec. 1.2 (legacy use: decrypt) and sec. 6"),
    ("RSA-OAEP-SHA256-2048", None, Some(Usage::KeyExchange), None, &[(2026, S::Acceptable), (2031, S::Deprecated), (2036, S::Disallowed)], "SP 800-56B Rev. 2 (OAEP approved); IR 8547 ipd Table 2 (112-bit deprecated after 2030, disallowed after 2035)"),
    // IR 8547 ipd Tables 2-3.
    ("RSA", Some("2048"), Some(Usage::Signature), None, &[(2030, S::Acceptable), (2031, S::Deprecated), (2035, S::Deprecated), (2036, S::Disallowed)], "IR 8547 ipd Table 2: RSA-2048 (112-bit) deprecated after 2030, disallowed after 2035"),
    ("RSA", Some("3072"), Some(Usage::Signature), None, &[(2035, S::Acceptable), (2036, S::Disallowed)], "IR 8547 ipd Table 2: >= 128-bit disallowed after 2035"),
    ("ECDSA", Some("P-256"), None, None, &[(2035, S::Acceptable), (2036, S::Disallowed)], "IR 8547 ipd Table 2"),
    ("ECDH", Some("P-224"), None, None, &[(2031, S::Deprecated), (2036, S::Disallowed)], "IR 8547 ipd Table 3: 112-bit ECDH deprecated after 2030"),
    ("RSA-1024", None, Some(Usage::Signature), Some(Op::Protect), &[(2026, S::Disallowed)], "SP 800-131A Rev. 2 sec. 3 Table 2: < 112-bit signature generation disallowed"),
    ("RSA-1024", None, Some(Usage::Signature), Some(Op::Process), &[(2026, S::LegacyUse)], "SP 800-131A Rev. 2 sec. 3 Table 2: < 112-bit verification legacy use"),
    ("Ed25519", None, None, None, &[(2035, S::Acceptable), (2036, S::Disallowed)], "FIPS 186-5 sec. 7 (EdDSA approved); IR 8547 ipd Table 2"),
    // Not approved: IR 8547/SP 800-56A do not cover X25519 alone; RFC 8439 ciphers; password hashes.
    ("X25519", None, None, None, &[(2026, S::NotApproved)], "SP 800-56A Rev. 3 sec. 5.5.1: X25519 is not an approved key-agreement scheme"),
    ("X448", None, None, None, &[(2026, S::NotApproved)], "SP 800-56A Rev. 3 sec. 5.5.1"),
    ("ChaCha20-Poly1305", None, None, None, &[(2026, S::NotApproved)], "SP 800-140C: ChaCha20-Poly1305 is not an approved security function"),
    ("bcrypt", None, None, None, &[(2026, S::NotApproved)], "SP 800-132 approves PBKDF2 only"),
    ("scrypt", None, None, None, &[(2026, S::NotApproved)], "SP 800-132"),
    ("Argon2id", None, None, None, &[(2026, S::NotApproved)], "SP 800-132"),
    // Pre-standard PQC and draft hybrids: FIPS 203 sec. 1.3 / FIPS 204 sec. 1.3 / FIPS 205 sec. 1.1.
    ("Kyber768", None, None, None, &[(2026, S::NotApproved), (2040, S::NotApproved)], "FIPS 203 sec. 1.3: ML-KEM differs from CRYSTALS-Kyber"),
    ("Dilithium3", None, None, None, &[(2026, S::NotApproved)], "FIPS 204 sec. 1.3"),
    ("SPHINCS+-SHA2-128s", None, None, None, &[(2026, S::NotApproved)], "FIPS 205 sec. 1.1"),
    ("X25519Kyber768Draft00", None, None, None, &[(2026, S::NotApproved)], "draft-tls-westerbaan-xyber768d00: pre-standard Kyber"),
    // Approved PQC.
    ("ML-KEM-768", None, None, None, &[(2026, S::Acceptable), (2040, S::Acceptable)], "FIPS 203"),
    ("ML-DSA-65", None, None, None, &[(2040, S::Acceptable)], "FIPS 204"),
    ("SLH-DSA-SHA2-128s", None, None, None, &[(2040, S::Acceptable)], "FIPS 205"),
    ("LMS_SHA256_M32_H10", None, None, None, &[(2040, S::Acceptable)], "SP 800-208"),
    ("X25519MLKEM768", None, None, None, &[(2040, S::Acceptable)], "SP 800-227 sec. 4.6 / SP 800-56C Rev. 2 sec. 2 (hybrid with an approved component)"),
    // SHA-224 and the 224-bit hashes: SP 800-131A Rev. 3 ipd.
    ("SHA-224", None, None, None, &[(2030, S::Acceptable), (2031, S::Disallowed)], "SP 800-131A Rev. 3 ipd sec. 9: SHA-224 disallowed after 2030"),
    ("SHA3-224", None, None, None, &[(2031, S::Disallowed)], "SP 800-131A Rev. 3 ipd sec. 9"),
    ("HMAC-SHA224", None, None, None, &[(2031, S::Disallowed)], "SP 800-131A Rev. 3 ipd sec. 9-10"),
    ("SHA-256", None, None, None, &[(2040, S::Acceptable)], "FIPS 180-4; SP 800-131A Rev. 2 Table 8"),
    // TDEA: SP 800-131A Rev. 2 sec. 2 Table 1.
    ("3DES", None, Some(Usage::Encryption), Some(Op::Protect), &[(2026, S::Disallowed)], "SP 800-131A Rev. 2 Table 1: TDEA encryption disallowed after 2023"),
    ("3DES", None, Some(Usage::Encryption), Some(Op::Process), &[(2026, S::LegacyUse)], "SP 800-131A Rev. 2 Table 1: TDEA decryption legacy use"),
    ("AES-128-GCM", None, None, None, &[(2040, S::Acceptable)], "IR 8547 ipd sec. 4.2: AES-128 remains approved"),
    ("MD5", None, None, None, &[(2026, S::Disallowed)], "SP 800-131A Rev. 2 sec. 9; RFC 6151"),
    ("RC4", None, None, None, &[(2026, S::Disallowed)], "RFC 7465; SP 800-131A Rev. 2 sec. 2"),
];

/// (name, param, CNSA 2.0 category, [(year, status)], source)
type CnsaCase = (
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static [(i32, S)],
    &'static str,
);

const CNSA2: &[CnsaCase] = &[
    // CNSA 2.0 CSA, algorithm table.
    (
        "ML-KEM-1024",
        None,
        "web_browsers_servers_cloud",
        &[(2026, S::Acceptable), (2040, S::Acceptable)],
        "CNSA 2.0: ML-KEM-1024",
    ),
    (
        "ML-KEM-768",
        None,
        "web_browsers_servers_cloud",
        &[(2026, S::NotApproved)],
        "CNSA 2.0 requires ML-KEM-1024",
    ),
    (
        "ML-DSA-87",
        None,
        "software_firmware_signing",
        &[(2026, S::Acceptable)],
        "CNSA 2.0: ML-DSA-87",
    ),
    (
        "ML-DSA-65",
        None,
        "software_firmware_signing",
        &[(2026, S::NotApproved)],
        "CNSA 2.0 requires ML-DSA-87",
    ),
    (
        "LMS",
        None,
        "software_firmware_signing",
        &[(2026, S::Acceptable)],
        "CNSA 2.0: LMS/XMSS for software and firmware signing",
    ),
    (
        "XMSS",
        None,
        "web_browsers_servers_cloud",
        &[(2026, S::NotApproved)],
        "CNSA 2.0: LMS/XMSS only for firmware signing",
    ),
    (
        "AES-256-GCM",
        None,
        "operating_systems",
        &[(2026, S::Acceptable)],
        "CNSA 2.0: AES-256",
    ),
    (
        "AES-128-GCM",
        None,
        "operating_systems",
        &[(2026, S::NotApproved)],
        "CNSA 2.0: AES-256 only",
    ),
    (
        "SHA-384",
        None,
        "operating_systems",
        &[(2026, S::Acceptable)],
        "CNSA 2.0: SHA-384/512",
    ),
    (
        "SHA-256",
        None,
        "operating_systems",
        &[(2026, S::NotApproved)],
        "CNSA 2.0: SHA-384/512 only",
    ),
    // Per-category dates (CNSA 2.0 CSA timeline): CNSA 1.0 until preferred, then exclusive.
    (
        "RSA",
        Some("3072"),
        "web_browsers_servers_cloud",
        &[
            (2024, S::Acceptable),
            (2025, S::Deprecated),
            (2032, S::Deprecated),
            (2033, S::Disallowed),
        ],
        "web browsers/servers/cloud: prefer by 2025, exclusive by 2033",
    ),
    (
        "RSA",
        Some("3072"),
        "software_firmware_signing",
        &[
            (2025, S::Deprecated),
            (2029, S::Deprecated),
            (2030, S::Disallowed),
        ],
        "software/firmware signing: prefer by 2025, exclusive by 2030",
    ),
    (
        "ECDH",
        Some("P-384"),
        "traditional_networking_equipment",
        &[
            (2025, S::Acceptable),
            (2026, S::Deprecated),
            (2030, S::Disallowed),
        ],
        "networking equipment: prefer by 2026, exclusive by 2030",
    ),
    (
        "ECDSA",
        Some("P-384"),
        "operating_systems",
        &[
            (2026, S::Acceptable),
            (2027, S::Deprecated),
            (2033, S::Disallowed),
        ],
        "operating systems: prefer by 2027, exclusive by 2033",
    ),
    (
        "DH",
        Some("ffdhe3072"),
        "niche_equipment",
        &[
            (2029, S::Acceptable),
            (2030, S::Deprecated),
            (2033, S::Disallowed),
        ],
        "niche equipment: prefer by 2030, exclusive by 2033",
    ),
    (
        "RSA",
        Some("4096"),
        "custom_and_legacy",
        &[(2032, S::Acceptable), (2033, S::Disallowed)],
        "custom/legacy: update or replace by 2033",
    ),
    (
        "ECDSA",
        Some("P-256"),
        "web_browsers_servers_cloud",
        &[(2026, S::NotApproved)],
        "CNSA 1.0/2.0: P-256 was never in the suite (P-384 only)",
    ),
    (
        "RSA",
        Some("2048"),
        "web_browsers_servers_cloud",
        &[(2026, S::NotApproved)],
        "CNSA 1.0: RSA >= 3072 only",
    ),
];

#[test]
fn nist_statuses_per_usage_follow_the_documents() {
    let e = engine();
    let o = opts(Policy::Nist, None);
    let mut failures = Vec::new();
    for (name, param, usage, op, want, source) in NIST {
        let s = e.score(&o, &asset(name, *param, *usage, *op));
        assert!(s.known, "{name}");
        for (year, status) in *want {
            let got = at(&s, "nist", *year);
            if got != *status {
                failures.push(format!("{name} {param:?} {usage:?} {op:?} in {year}: {got:?}, want {status:?} [{source}]"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cnsa2_statuses_follow_the_category_dates() {
    let e = engine();
    let mut failures = Vec::new();
    for (name, param, cat, want, source) in CNSA2 {
        let o = opts(Policy::Cnsa2, Some(cat));
        let s = e.score(&o, &asset(name, *param, None, None));
        for (year, status) in *want {
            let got = at(&s, "cnsa2", *year);
            if got != *status {
                failures.push(format!(
                    "{name} {param:?} [{cat}] in {year}: {got:?}, want {status:?} [{source}]"
                ));
            }
        }
        // The requested pack drives `status`.
        assert_eq!(s.policy, "cnsa2");
        assert_eq!(s.status, at(&s, "cnsa2", 2026), "{name}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_result_carries_both_packs_with_citations_and_drafts_labelled() {
    let e = engine();
    let s = e.score(
        &opts(Policy::Nist, None),
        &asset("RSA", Some("2048"), Some(Usage::KeyExchange), None),
    );
    let packs: Vec<&str> = s.policies.iter().map(|v| v.pack.as_str()).collect();
    assert_eq!(packs, ["nist", "cnsa2"]);
    let nist = &s.policies[0];
    // IR 8547 is an initial public draft: the verdict says so.
    assert!(nist.draft, "{nist:?}");
    assert!(
        nist.cites.iter().any(|c| c.contains("IR 8547")),
        "{:?}",
        nist.cites
    );
    // A timeline with the years where the status changes, not a boolean.
    let years: Vec<Option<i32>> = nist.timeline.iter().map(|t| t.from_year).collect();
    assert_eq!(years, [None, Some(2031), Some(2036)]);
    // Legacy fields agree with the NIST timeline (IR 8547: after 2030 / after 2035).
    assert_eq!(s.deprecated_after, Some(2030));
    assert_eq!(s.disallowed_after, Some(2035));
    assert!(!s.cnsa2_approved);
    // AES-256 is in CNSA 2.0.
    assert!(
        e.score(
            &opts(Policy::Nist, None),
            &asset("AES-256-GCM", None, None, None)
        )
        .cnsa2_approved
    );
}

#[test]
fn disallowed_today_floors_severity_at_high_in_the_requested_pack() {
    let e = engine();
    let s = e.score(
        &opts(Policy::Nist, None),
        &asset(
            "DSA",
            Some("2048"),
            Some(Usage::Signature),
            Some(Op::Protect),
        ),
    );
    assert_eq!(s.status, S::Disallowed);
    assert!(s.severity >= Severity::High);
    // Verification only: legacy use, no floor.
    let v = e.score(
        &opts(Policy::Nist, None),
        &asset(
            "DSA",
            Some("2048"),
            Some(Usage::Signature),
            Some(Op::Process),
        ),
    );
    assert_eq!(v.status, S::LegacyUse);
    assert!(v.risk_score < s.risk_score);
}

#[test]
fn every_rule_cites_a_document_of_its_pack() {
    let packs = Packs::parse(EMBEDDED).unwrap();
    for p in &packs.packs {
        for r in &p.rules {
            assert!(p.documents.contains_key(&r.source), "{} {}", p.id, r.id);
            assert!(
                r.cite.contains("sec.")
                    || r.cite.contains("Table")
                    || r.cite.contains("CNSA")
                    || r.cite.contains("FIPS")
                    || r.cite.contains("SP "),
                "{}: {}",
                r.id,
                r.cite
            );
        }
    }
    let nist = packs.get("nist").unwrap();
    assert!(nist.documents["IR8547"].draft && nist.documents["SP800-131A-R3"].draft);
    assert!(!nist.documents["FIPS203"].draft);
}

#[test]
fn bad_packs_are_rejected_with_a_reason() {
    let good: serde_json::Value = serde_json::from_str(EMBEDDED).unwrap();
    let mut bad_source = good.clone();
    bad_source["packs"][0]["rules"][0]["source"] = "NOPE".into();
    let mut no_catch_all = good.clone();
    no_catch_all["packs"][0]["rules"]
        .as_array_mut()
        .unwrap()
        .pop();
    let mut bad_from = good.clone();
    bad_from["packs"][0]["rules"][0]["timeline"][0]["from"] = 2020.into();
    let mut extra = good.clone();
    extra["packs"][0]["rules"][0]["when"]["colour"] = "red".into();
    for (doc, needle) in [
        (bad_source, "unknown source"),
        (no_catch_all, "match everything"),
        (bad_from, "from = null"),
        (extra, "colour"),
    ] {
        let err = Packs::parse(&doc.to_string()).unwrap_err();
        assert!(err.contains(needle), "{err}");
    }
}
