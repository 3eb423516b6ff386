//! Issue 19: horizons, Mosca made explicit, CRQC timeline bands, lanes.
//! Worked examples write the arithmetic out (the log-logistic of
//! `data/crqc_timelines.json`: P(year) = 1 / (1 + ((year − base) / scale)^−shape),
//! shape from GRI 2023's 11 % at 5 and 31 % at 10 years, scale from each
//! band's GRI 2024 10-year figure); properties hold over generated assets.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ml_engine::model::calibration::Severity;
use ml_engine::model::scoring::{
    Asset, Criticality, Exposure, HorizonKind, Lane, Options, Scored, Usage,
};
use ml_engine::model::timeline::{Timelines, EMBEDDED};
use ml_engine::model::Engine;
use proptest::prelude::*;

fn engine() -> Engine {
    Engine::embedded().unwrap()
}

fn opts(band: &str) -> Options {
    Options::new(2026, band)
}

fn asset(name: &str, usage: Usage, x: f64, y: f64, v: Option<f64>, exposure: Exposure) -> Asset {
    Asset {
        algorithm: name.into(),
        usage: Some(usage),
        data_shelf_life_years: x,
        migration_time_years: y,
        validity_years: v,
        exposure,
        ..Asset::default()
    }
}

/// The GRI figures, by hand: shape = (logit 0.31 − logit 0.11) / ln(10/5).
fn by_hand(p10: f64, base: f64, year: f64) -> f64 {
    let logit = |p: f64| (p / (1.0 - p)).ln();
    let shape = (logit(0.31) - logit(0.11)) / (10f64 / 5.0).ln();
    let scale = (10f64.ln() - logit(p10) / shape).exp();
    1.0 / (1.0 + ((year - base) / scale).powf(-shape))
}

#[test]
fn timelines_load_validate_and_reproduce_their_anchors() {
    let t = Timelines::parse(EMBEDDED).unwrap();
    let ids: Vec<&str> = t.bands.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(ids, ["optimistic", "central", "pessimistic"]);
    assert_eq!(t.default_band, "central");
    // Each band gives back its published 10-year figure (GRI 2024: 34 %,
    // the 19-34 % midpoint 26.5 %, 19 %), and the shape GRI 2023's 5-year 11 %
    // relative to its 10-year 31 %.
    for (id, p10) in [
        ("optimistic", 0.34),
        ("central", 0.265),
        ("pessimistic", 0.19),
    ] {
        let b = t.band(id).unwrap();
        assert!((b.p_by(2035.0) - p10).abs() < 1e-9, "{id}");
        assert!((b.p_by(2035.0) - by_hand(p10, 2025.0, 2035.0)).abs() < 1e-9);
    }
    // Long tail: never certain, always rising.
    let c = t.band("central").unwrap();
    assert!(c.p_by(2100.0) < 1.0 && c.p_by(2060.0) > c.p_by(2050.0));
    assert_eq!(c.p_by(2025.0), 0.0);
    // Bad data is refused with a reason.
    let mut bad: serde_json::Value = serde_json::from_str(EMBEDDED).unwrap();
    bad["bands"][0]["anchor"]["p"] = 1.5.into();
    assert!(Timelines::parse(&bad.to_string())
        .unwrap_err()
        .contains("out of range"));
    let mut bad: serde_json::Value = serde_json::from_str(EMBEDDED).unwrap();
    bad["bands"][1]["anchor"]["source"] = "Blog".into();
    assert!(Timelines::parse(&bad.to_string())
        .unwrap_err()
        .contains("unknown source"));
}

#[test]
fn worked_example_confidentiality_rsa_2048_tls_key_exchange_with_10_year_data() {
    // x = 10 (data shelf life), y = 5 (migration): H = x + y = 15 years,
    // from 2026 to 2041. Central band (GRI 2024 midpoint, base 2025):
    // P(CRQC by 2041) = 1 / (1 + (16 / scale)^-shape) with scale = 17.296,
    // shape = 1.862: (16 / 17.296)^-1.862 = 1.156 → P = 0.4638.
    let e = engine();
    let s = e.score(
        &opts("central"),
        &asset(
            "RSA-2048",
            Usage::KeyExchange,
            10.0,
            5.0,
            None,
            Exposure::Internet,
        ),
    );
    let h = s.horizon.as_ref().unwrap();
    assert_eq!(h.kind, HorizonKind::Confidentiality);
    assert_eq!(h.years, 15.0);
    let m = s.mosca.as_ref().unwrap();
    let p = by_hand(0.265, 2025.0, 2041.0);
    assert!((p - 0.4638).abs() < 5e-4, "{p}");
    assert!((m.crqc_probability - p).abs() < 1e-4);
    // Slack z − H: the central median is 2025 + 17.296 = 2042.3, z = 16.3, slack = 1.3.
    assert!(
        (m.years_to_crqc - 16.3).abs() < 0.01 && (m.margin_years - 1.3).abs() < 0.01,
        "{m:?}"
    );
    // Latest start at 90 % confidence: Q(0.1) = 2025 + 17.296 × (0.1/0.9)^(1/1.862)
    // = 2030.31; minus H = 15 → 2015: it should have started years ago.
    assert_eq!(m.latest_start_year, 2015);
    // Every band is reported, the chosen one first: central 0.4638, then
    // optimistic 0.5528 and pessimistic 0.3601.
    let ps: Vec<(&str, f64)> = m
        .bands
        .iter()
        .map(|b| (b.band.as_str(), b.p_within_horizon))
        .collect();
    assert_eq!(
        ps,
        [
            ("central", 0.4638),
            ("optimistic", 0.5528),
            ("pessimistic", 0.3601)
        ]
    );
    // Quantum lane: 25 + 75 × P × capture (internet = 1) = 25 + 75 × 0.4638 = 59.79.
    assert_eq!(s.lane, Lane::Quantum);
    assert!((s.risk_score - 59.79).abs() < 0.02, "{}", s.risk_score);
    assert_eq!(s.severity, Severity::Medium);
}

#[test]
fn worked_example_authenticity_ecdsa_p256_code_signing_key_valid_3_years() {
    // Authenticity: H = y + remaining validity = 5 + 3 = 8 years (no shelf
    // life term, even when one is given), 2026 → 2034.
    // P(central, 2034) = 1 / (1 + (9 / 17.296)^-1.862) = 0.2286.
    let e = engine();
    let s = e.score(
        &opts("central"),
        &asset(
            "ECDSA-P-256",
            Usage::Signature,
            30.0,
            5.0,
            Some(3.0),
            Exposure::Internal,
        ),
    );
    let h = s.horizon.as_ref().unwrap();
    assert_eq!(h.kind, HorizonKind::Authenticity);
    assert_eq!(h.years, 8.0);
    let m = s.mosca.as_ref().unwrap();
    let p = by_hand(0.265, 2025.0, 2034.0);
    assert!((p - 0.2286).abs() < 5e-4, "{p}");
    assert!((m.crqc_probability - p).abs() < 1e-4);
    assert_eq!(m.validity_years, Some(3.0));
    // Latest start: 2030.31 − 8 → 2022.
    assert_eq!(m.latest_start_year, 2022);
    // 25 + 75 × 0.2286 × 0.85 (internal, authenticity) = 39.57: MEDIUM.
    assert!((s.risk_score - 39.57).abs() < 0.02, "{}", s.risk_score);
    // A firmware root key valid 20 years: H = 25, P(central, 2051) = 0.6814,
    // 25 + 75 × 0.6814 × 0.85 = 68.44: HIGH (v1 said MEDIUM with shelf life 0).
    let root = e.score(
        &opts("central"),
        &asset(
            "ECDSA-P-256",
            Usage::Signature,
            0.0,
            5.0,
            Some(20.0),
            Exposure::Internal,
        ),
    );
    assert!(
        (root.risk_score - 68.44).abs() < 0.05,
        "{}",
        root.risk_score
    );
    assert_eq!(root.severity, Severity::High);
}

#[test]
fn the_bands_move_the_score_and_the_report_says_whether_rank_holds() {
    let e = engine();
    let a = asset(
        "RSA-2048",
        Usage::KeyExchange,
        10.0,
        5.0,
        None,
        Exposure::Internet,
    );
    let opt = e.score(&opts("optimistic"), &a).risk_score;
    let cen = e.score(&opts("central"), &a).risk_score;
    let pes = e.score(&opts("pessimistic"), &a).risk_score;
    assert!(opt > cen && cen > pes, "{opt} {cen} {pes}");
    // 3DES (hygiene, same under every band) vs RSA-2048 with 10-year data:
    // the rank holds; two quantum assets with different horizons keep theirs.
    let batch = vec![
        asset(
            "3DES",
            Usage::Encryption,
            5.0,
            5.0,
            None,
            Exposure::Internal,
        ),
        a.clone(),
        asset(
            "RSA-2048",
            Usage::KeyExchange,
            0.0,
            1.0,
            None,
            Exposure::Isolated,
        ),
    ];
    let out = e.score_all(&opts("central"), &batch);
    assert!(
        out.iter().all(|s| s.rank_holds_across_bands == Some(true)),
        "{:?}",
        out.iter()
            .map(|s| (s.risk_score, s.rank_holds_across_bands))
            .collect::<Vec<_>>()
    );
    // A SHA-1 checksum (hygiene 60 × 0.9 = 54) next to RSA-2048 with 8 years
    // of data: the order depends on the band.
    let near = vec![
        Asset {
            criticality: Criticality::Low,
            ..asset("SHA-1", Usage::Hash, 0.0, 0.0, None, Exposure::Isolated)
        },
        asset(
            "RSA-2048",
            Usage::KeyExchange,
            8.0,
            5.0,
            None,
            Exposure::Internet,
        ),
    ];
    let out = e.score_all(&opts("central"), &near);
    // central: RSA 25 + 75 × P(2039) = 25 + 75 × 0.4028 = 55.21 > SHA-1 54;
    // pessimistic: 25 + 75 × 0.3050 = 47.88 < 54: the order flips.
    assert!(
        out[1].risk_score > out[0].risk_score,
        "{} {}",
        out[0].risk_score,
        out[1].risk_score
    );
    assert_eq!(out[1].rank_holds_across_bands, Some(false));
}

#[test]
fn lanes_rank_urgent_hygiene_and_long_lived_secrets_sensibly() {
    let e = engine();
    let o = opts("central");
    // v1's inversion: a SHA-1 checksum on an isolated low-criticality system
    // outranked RSA-2048 protecting 25-year secrets.
    let sha1 = e.score(
        &o,
        &Asset {
            criticality: Criticality::Low,
            ..asset("SHA-1", Usage::Hash, 0.0, 5.0, None, Exposure::Isolated)
        },
    );
    let rsa = e.score(
        &o,
        &asset(
            "RSA-2048",
            Usage::KeyExchange,
            25.0,
            5.0,
            None,
            Exposure::Internal,
        ),
    );
    assert!(
        rsa.risk_score > sha1.risk_score,
        "{} vs {}",
        rsa.risk_score,
        sha1.risk_score
    );
    assert_eq!(sha1.lane, Lane::Hygiene);
    assert_eq!(rsa.lane, Lane::Quantum);
    // Unknown names are a queue to identify: MEDIUM, not HIGH, and below a
    // known quantum-vulnerable key exchange with long-lived data.
    let unk = e.score(
        &o,
        &asset(
            "FrobCipher",
            Usage::KeyExchange,
            25.0,
            5.0,
            None,
            Exposure::Internet,
        ),
    );
    assert_eq!(unk.lane, Lane::Identify);
    assert_eq!(unk.severity, Severity::Medium);
    assert!(unk.risk_score < rsa.risk_score);
    // ECDH-P-384 does not score below P-256 (Shor's cost is polynomial).
    let p256 = e.score(
        &o,
        &asset(
            "ECDH-P-256",
            Usage::KeyExchange,
            10.0,
            5.0,
            None,
            Exposure::Internal,
        ),
    );
    let p384 = e.score(
        &o,
        &asset(
            "ECDH-P-384",
            Usage::KeyExchange,
            10.0,
            5.0,
            None,
            Exposure::Internal,
        ),
    );
    assert_eq!(p256.quantum_score, p384.quantum_score);
    // 3DES encryption is disallowed and broken: hygiene, at least HIGH.
    let tdes = e.score(
        &o,
        &asset(
            "3DES",
            Usage::Encryption,
            5.0,
            5.0,
            None,
            Exposure::Internal,
        ),
    );
    assert_eq!(tdes.lane, Lane::Hygiene);
    assert!(tdes.severity >= Severity::High);
}

fn shor_names() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "RSA-2048",
        "RSA-3072",
        "ECDH-P-256",
        "ECDSA-P-384",
        "DH-2048",
        "X25519",
        "Ed25519",
        "RSA-1024",
    ])
}

fn any_names() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "RSA-2048",
        "ECDH-P-256",
        "ECDSA-P-384",
        "ML-KEM-768",
        "ML-DSA-65",
        "AES-128-GCM",
        "AES-256-GCM",
        "SHA-1",
        "SHA-256",
        "3DES",
        "HMAC-SHA256",
        "X25519MLKEM768",
        "Kyber768",
        "FrobCipher",
        "SLH-DSA-SHA2-128s",
    ])
}

fn usages() -> impl Strategy<Value = Usage> {
    prop::sample::select(vec![
        Usage::KeyExchange,
        Usage::Signature,
        Usage::Encryption,
        Usage::Certificate,
        Usage::Hash,
    ])
}

fn exposures() -> impl Strategy<Value = Exposure> {
    prop::sample::select(vec![
        Exposure::Internet,
        Exposure::Internal,
        Exposure::Isolated,
    ])
}

fn crits() -> impl Strategy<Value = Criticality> {
    prop::sample::select(vec![
        Criticality::Low,
        Criticality::Medium,
        Criticality::High,
        Criticality::Critical,
    ])
}

fn score(e: &Engine, a: &Asset) -> Scored {
    e.score(&opts("central"), a)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn longer_shelf_life_or_migration_never_lowers_a_score(
        name in any_names(), usage in usages(), ex in exposures(), cr in crits(),
        x in 0.0f64..60.0, y in 0.0f64..30.0, dx in 0.0f64..30.0, dy in 0.0f64..20.0, v in prop::option::of(0.0f64..30.0),
    ) {
        let e = engine();
        let a = Asset { criticality: cr, ..asset(name, usage, x, y, v, ex) };
        let base = score(&e, &a).risk_score;
        let longer = score(&e, &Asset { data_shelf_life_years: x + dx, migration_time_years: y + dy, ..a.clone() }).risk_score;
        prop_assert!(longer >= base, "{name} {usage:?}: {base} → {longer}");
    }

    #[test]
    fn internet_exposure_never_scores_below_internal(
        name in any_names(), usage in usages(), cr in crits(), x in 0.0f64..60.0, y in 0.0f64..30.0, v in prop::option::of(0.0f64..30.0),
    ) {
        let e = engine();
        let inet = score(&e, &Asset { criticality: cr, ..asset(name, usage, x, y, v, Exposure::Internet) }).risk_score;
        let int = score(&e, &Asset { criticality: cr, ..asset(name, usage, x, y, v, Exposure::Internal) }).risk_score;
        let iso = score(&e, &Asset { criticality: cr, ..asset(name, usage, x, y, v, Exposure::Isolated) }).risk_score;
        prop_assert!(inet >= int && int >= iso, "{name}: {inet} {int} {iso}");
    }

    #[test]
    fn quantum_safe_never_outranks_vulnerable_in_the_quantum_lane(
        vuln in shor_names(), safe in prop::sample::select(vec!["ML-KEM-768", "ML-DSA-87", "SLH-DSA-SHA2-128s", "X25519MLKEM768", "LMS"]),
        usage in usages(), ex in exposures(), x in 0.0f64..60.0, y in 0.0f64..30.0, v in prop::option::of(0.0f64..30.0),
    ) {
        let e = engine();
        let q_v = score(&e, &asset(vuln, usage, x, y, v, ex)).quantum_score;
        let q_s = score(&e, &asset(safe, usage, x, y, v, ex)).quantum_score;
        prop_assert!(q_s <= q_v, "{safe} {q_s} > {vuln} {q_v}");
    }

    #[test]
    fn classical_key_size_never_changes_the_quantum_lane(
        usage in usages(), ex in exposures(), cr in crits(), x in 0.0f64..60.0, y in 0.0f64..30.0, v in prop::option::of(0.0f64..30.0),
        fam in prop::sample::select(vec![&["RSA-1024", "RSA-2048", "RSA-3072", "RSA-4096", "RSA-15360"][..], &["ECDH-P-224", "ECDH-P-256", "ECDH-P-384", "ECDH-P-521"][..], &["DH-2048", "DH-3072", "DH-8192"][..]]),
    ) {
        let e = engine();
        let qs: Vec<f64> = fam.iter().map(|n| score(&e, &Asset { criticality: cr, ..asset(n, usage, x, y, v, ex) }).quantum_score).collect();
        prop_assert!(qs.windows(2).all(|w| w[0] == w[1]), "{fam:?}: {qs:?}");
    }

    #[test]
    fn identical_assets_with_different_spellings_score_the_same(
        usage in usages(), ex in exposures(), cr in crits(), x in 0.0f64..60.0, y in 0.0f64..30.0, v in prop::option::of(0.0f64..30.0),
        group in prop::sample::select(vec![
            vec![("RSA-2048", None), ("RSA", Some("2048")), ("rsa2048", None), ("RSA", Some("2048-bit"))],
            vec![("ECDSA-P-256", None), ("ECDSA", Some("secp256r1")), ("ECDSA", Some("prime256v1"))],
            vec![("ML-KEM-768", None), ("ML-KEM", Some("768")), ("MLKEM768", None)],
            vec![("SHA-1", None), ("SHA1", None), ("sha-1", None)],
        ]),
    ) {
        let e = engine();
        let scores: Vec<(f64, Severity)> = group.iter().map(|(n, p)| {
            let s = score(&e, &Asset { parameter: p.map(Into::into), criticality: cr, ..asset(n, usage, x, y, v, ex) });
            (s.risk_score, s.severity)
        }).collect();
        prop_assert!(scores.windows(2).all(|w| w[0] == w[1]), "{group:?}: {scores:?}");
    }
}
