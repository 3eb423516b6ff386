//! Training, the model file, and scoring of known samples, in process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ai_engine::agent::{AgentEvidence, AgentKnowledge};
use ai_engine::engine::Engine;
use ai_engine::model::train::{featurize, train, TrainOptions, SUSPICION_ONLY};
use ai_engine::model::window::WindowStats;
use ai_engine::model::Thresholds;
use ai_engine::model::{Model, ModelError, Verdict};
use ai_engine::sim::{generate, SimOptions};

fn thresholds() -> Thresholds {
    Thresholds {
        anomaly: 0.65,
        anomaly_critical: 0.85,
        rate_per_minute: 300,
        rate_multiplier: 3.0,
        bot: 0.70,
        bot_block: 0.90,
    }
}

/// A small model (about a second to train).
fn small_model() -> Model {
    let data = generate(&SimOptions::new(3, 40, 4));
    let file = train(
        &data,
        &TrainOptions {
            clusters: 4,
            ..TrainOptions::default()
        },
    )
    .unwrap();
    Model::from_file(file).unwrap()
}

#[test]
fn a_trained_model_round_trips_through_its_file_and_scores_identically() {
    let model = small_model();
    let bytes = model.to_json();
    let back = Model::from_json(&bytes).unwrap();
    assert_eq!(back.file(), model.file());
    let eval = generate(&SimOptions::new(11, 10, 2));
    let t = thresholds();
    let w = WindowStats::neutral();
    for v in featurize(&eval) {
        let (a, b) = (
            model.score(&v, &w, &AgentEvidence::default(), &t),
            back.score(&v, &w, &AgentEvidence::default(), &t),
        );
        assert_eq!(a, b);
        assert!((0.0..=1.0).contains(&a.anomaly) && (0.0..=1.0).contains(&a.bot));
    }
}

#[test]
fn a_mismatching_schema_is_refused_clearly() {
    let model = small_model();
    let mut v: serde_json::Value = serde_json::from_slice(&model.to_json()).unwrap();
    v["schema_version"] = 999.into();
    let err = Model::from_json(v.to_string().as_bytes()).unwrap_err();
    assert!(matches!(err, ModelError::Schema(_)), "{err}");
    assert!(err.to_string().contains("schema version 999"), "{err}");
    let mut v: serde_json::Value = serde_json::from_slice(&model.to_json()).unwrap();
    v["features"][3] = "something_else".into();
    assert!(matches!(
        Model::from_json(v.to_string().as_bytes()),
        Err(ModelError::Schema(_))
    ));
    let mut v: serde_json::Value = serde_json::from_slice(&model.to_json()).unwrap();
    v["weights"] = serde_json::json!([1.0, 2.0]);
    assert!(matches!(
        Model::from_json(v.to_string().as_bytes()),
        Err(ModelError::Invalid(_))
    ));
    let mut v: serde_json::Value = serde_json::from_slice(&model.to_json()).unwrap();
    v["format"] = "pickle".into();
    assert!(matches!(
        Model::from_json(v.to_string().as_bytes()),
        Err(ModelError::Parse(_))
    ));
    assert!(matches!(Model::from_json(b"{}"), Err(ModelError::Parse(_))));
    assert!(matches!(
        Model::from_json(b"\xff\xfe"),
        Err(ModelError::Parse(_))
    ));
}

#[test]
fn the_built_in_model_loads_and_separates_fresh_traffic() {
    let model = Engine::default_model().unwrap();
    assert!(!model.file().version.is_empty());
    // Traffic from a seed the model never saw, scored through the engine.
    let data = generate(&SimOptions::new(12345, 30, 3));
    let engine = Engine::new(
        model,
        AgentKnowledge::built_in().unwrap(),
        thresholds(),
        10_000,
    );
    let reqs: Vec<_> = data.iter().map(|l| l.features.clone()).collect();
    let scores = engine.analyze(&reqs);
    let humans_blocked = data
        .iter()
        .zip(&scores)
        .filter(|(l, s)| !l.bot && s.verdict == Verdict::Block)
        .count();
    let humans = data.iter().filter(|l| !l.bot).count();
    assert!(
        humans_blocked * 100 <= humans,
        "{humans_blocked} of {humans} humans blocked"
    );
    // The held-out families too: the built-in model never saw them.
    for fam in [
        "scanner",
        "credential_stuffing",
        "api_abuse",
        "scraper",
        "headless",
        "low_and_slow",
    ] {
        let (n, caught) = data
            .iter()
            .zip(&scores)
            .filter(|(l, _)| l.family == fam)
            .fold((0, 0), |(n, c), (_, s)| {
                (n + 1, c + usize::from(s.verdict != Verdict::Allow))
            });
        assert!(n > 0 && caught * 10 >= n * 9, "{fam}: {caught}/{n}");
    }
}

#[test]
fn suspicion_only_features_never_count_as_evidence_of_a_human() {
    let model = small_model();
    let f = model.file();
    for name in SUSPICION_ONLY {
        let i = f.features.iter().position(|n| n == name).unwrap();
        assert!(f.weights[i] >= 0.0, "{name}: {}", f.weights[i]);
    }
    // The built-in model too.
    let f = Engine::default_model().unwrap().file().clone();
    for name in SUSPICION_ONLY {
        let i = f.features.iter().position(|n| n == name).unwrap();
        assert!(f.weights[i] >= 0.0, "{name}: {}", f.weights[i]);
    }
}

#[test]
fn thresholds_change_the_verdict() {
    let model = Engine::default_model().unwrap();
    let data = generate(&SimOptions::new(5, 5, 0));
    let reqs: Vec<_> = data.iter().map(|l| l.features.clone()).collect();
    let engine = Engine::new(
        model,
        AgentKnowledge::built_in().unwrap(),
        thresholds(),
        1000,
    );
    let allowed = engine
        .analyze(&reqs)
        .iter()
        .filter(|s| s.verdict == Verdict::Allow)
        .count();
    assert!(allowed * 10 >= reqs.len() * 9);
    engine.set_thresholds(Thresholds {
        bot: 0.0,
        bot_block: 0.0,
        ..thresholds()
    });
    assert!(engine
        .analyze(&reqs)
        .iter()
        .all(|s| s.verdict == Verdict::Block));
}
