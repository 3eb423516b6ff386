//! In-process scoring speed: 10,000 mixed assets through the identity layer,
//! the knowledge base, the policy packs, Mosca and the calibrated severity
//! (`make bench`). Plain `main` (no bench framework): prints min/median/max
//! over repeated runs, for the usual mix (12 names repeated, as inventories
//! repeat them) and for 10,000 distinct spellings (no reuse of a resolved
//! identity within the batch).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use ml_engine::model::scoring::{Asset, Criticality, Exposure, Options};
use ml_engine::model::Engine;

fn main() {
    let engine = Engine::embedded().unwrap();
    let names: [(&str, Option<&str>); 12] = [
        ("RSA", Some("2048")),
        ("RSA-4096", None),
        ("ECDSA", Some("secp256r1")),
        ("ECDH", Some("secg/secp521r1")),
        ("AES-128-GCM", None),
        ("AES", Some("256")),
        ("ML-KEM-768", None),
        ("X25519MLKEM768", None),
        ("SHA-1", None),
        ("3DES", None),
        ("RSA-PKCS1-1.5-SHA512-2048", Some("512")),
        ("SomethingUnknown", None),
    ];
    let assets: Vec<Asset> = (0..10_000)
        .map(|i| {
            let (a, p) = names[i % names.len()];
            Asset {
                algorithm: a.into(),
                parameter: p.map(Into::into),
                family: None,
                usage: None,
                data_shelf_life_years: (i % 20) as f64,
                migration_time_years: 5.0,
                exposure: if i % 3 == 0 {
                    Exposure::Internet
                } else {
                    Exposure::Internal
                },
                criticality: Criticality::Medium,
                ..Asset::default()
            }
        })
        .collect();
    let opts = Options::new(2026, "central");
    run("10,000 assets (12 names)", &engine, &opts, &assets);
    // (Almost) every asset a different spelling: RSA moduli, JCA names, AES
    // IV lengths, ECDSA with a stray token, and 200 cipher-suite code points.
    let distinct: Vec<Asset> = (0..10_000u32)
        .map(|i| Asset {
            algorithm: match i % 5 {
                0 => format!("RSA-PKCS1-1.5-SHA256-{}", 1024 + i),
                1 => format!("0x{:04X}", 0xC000 + (i % 200)),
                2 => format!("SHA256withRSA/{i}"),
                3 => format!("AES-{}-GCM-128-{i}", [128, 192, 256][(i % 3) as usize]),
                _ => format!("ECDSA-secp384r1-SHA384-{i}"),
            },
            data_shelf_life_years: f64::from(i % 20),
            migration_time_years: 5.0,
            ..Asset::default()
        })
        .collect();
    run("10,000 mostly distinct names", &engine, &opts, &distinct);
}

fn run(what: &str, engine: &Engine, opts: &Options, assets: &[Asset]) {
    let mut times = Vec::new();
    let mut checksum = 0.0;
    for _ in 0..30 {
        let t = Instant::now();
        let out = engine.score_all(opts, assets);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        checksum += out.iter().map(|s| s.risk_score).sum::<f64>();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "ml-engine score_all, {what}, 30 runs: min {:.2} ms, median {:.2} ms, max {:.2} ms (checksum {checksum:.0})",
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
}
