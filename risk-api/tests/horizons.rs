//! Issue 19 end to end: a JSON inventory's per-asset Mosca inputs
//! (`data_shelf_life_years`, `migration_time_years`, `exposure`,
//! `criticality`, `valid_until`) reach the real ML engine and come back as
//! the horizon it used; bad inputs are 422 naming the field.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{ml_engine, App};
use serde_json::{json, Value};
use shared::auth::Role;
use sqlx::PgPool;

fn factor<'a>(f: &'a Value, name: &str) -> &'a str {
    f["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["factor"] == name)
        .and_then(|x| x["detail"].as_str())
        .unwrap_or("")
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn inventory_inputs_reach_the_engine_and_pick_the_horizon(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    let inventory = json!([
        // Confidentiality: x = 25 shelf life + y = 3 migration.
        {"name": "archive TLS", "algorithm": "RSA", "parameter": "2048", "usage": "key_exchange",
         "exposure": "internet", "criticality": "high", "data_shelf_life_years": 25, "migration_time_years": 3},
        // Authenticity: y = 4 + validity left until 2046 (20 years from 2026); no shelf-life term.
        {"name": "firmware root", "algorithm": "ECDSA", "parameter": "P-256", "usage": "signature",
         "data_shelf_life_years": 0, "migration_time_years": 4, "valid_until": "2046-01-01"}
    ]);
    let (s, created) = app
        .post_json(
            &op,
            "/api/v1/assessments",
            &json!({"name": "horizons", "inventory": inventory}),
        )
        .await;
    assert_eq!(s, 202, "{created}");
    let id = created["id"].as_str().unwrap();
    let done = app.wait(&op, id).await;
    assert_eq!(done["status"], "completed", "{done}");
    let (_, page) = app
        .get(&op, &format!("/api/v1/assessments/{id}/findings"))
        .await;
    let items = page["items"].as_array().unwrap();
    let tls = items
        .iter()
        .find(|f| f["asset_name"] == "archive TLS")
        .unwrap();
    let quantum = factor(tls, "quantum");
    assert!(
        quantum.contains("harvest now") && quantum.contains("shelf life 25 + migration 3"),
        "{quantum}"
    );
    let root = items
        .iter()
        .find(|f| f["asset_name"] == "firmware root")
        .unwrap();
    let quantum = factor(root, "quantum");
    assert!(
        quantum.contains("forgeries") && quantum.contains("migration 4 + remaining validity"),
        "{quantum}"
    );
    assert!(!quantum.contains("(default)"), "{quantum}");
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn bad_mosca_inputs_are_422_with_the_field(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    for (asset, field) in [
        (
            json!({"name": "a", "algorithm": "RSA", "data_shelf_life_years": -1}),
            "inventory[0].data_shelf_life_years",
        ),
        (
            json!({"name": "a", "algorithm": "RSA", "migration_time_years": 1e9}),
            "inventory[0].migration_time_years",
        ),
        (
            json!({"name": "a", "algorithm": "RSA", "data_shelf_life_years": "NaN"}),
            "inventory[0].data_shelf_life_years",
        ),
        (
            json!({"name": "a", "algorithm": "RSA", "valid_until": "next tuesday"}),
            "inventory[0].valid_until",
        ),
        (
            json!({"name": "a", "algorithm": "RSA", "exposure": "moon"}),
            "inventory[0].exposure",
        ),
    ] {
        let (s, v) = app
            .post_json(
                &op,
                "/api/v1/assessments",
                &json!({"name": "x", "inventory": [asset]}),
            )
            .await;
        assert_eq!(s, 422, "{field}: {v}");
        assert!(v.to_string().contains(field), "{field}: {v}");
    }
}

/// The first finding named `name`.
fn finding<'a>(items: &'a [Value], name: &str) -> &'a Value {
    items
        .iter()
        .find(|f| f["asset_name"] == name)
        .unwrap_or_else(|| panic!("no finding {name}: {items:?}"))
}

async fn findings_of(app: &App, token: &str, id: &str) -> Vec<Value> {
    let done = app.wait(token, id).await;
    assert_eq!(done["status"], "completed", "{done}");
    let (_, page) = app
        .get(token, &format!("/api/v1/assessments/{id}/findings"))
        .await;
    page["items"].as_array().unwrap().clone()
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn json_upload_defaults_fill_what_assets_leave_out_and_pick_the_band(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    let body = json!({
        "name": "defaults",
        "defaults": {"data_shelf_life_years": 12.0, "migration_time_years": 4.0,
                     "exposure": "internet", "criticality": "high", "crqc_timeline": "pessimistic"},
        "inventory": [
            {"name": "uses the defaults", "algorithm": "RSA", "parameter": "2048", "usage": "key_exchange"},
            {"name": "says its own", "algorithm": "RSA", "parameter": "2048", "usage": "key_exchange",
             "data_shelf_life_years": 2, "criticality": "low"}
        ]
    });
    let (s, created) = app.post_json(&op, "/api/v1/assessments", &body).await;
    assert_eq!(s, 202, "{created}");
    assert_eq!(created["defaults"], body["defaults"], "stored as given");
    let id = created["id"].as_str().unwrap();
    let items = findings_of(&app, &op, id).await;
    let d = finding(&items, "uses the defaults");
    assert_eq!(d["lane"], "quantum");
    assert_eq!(d["horizon"]["kind"], "confidentiality");
    assert_eq!(d["mosca"]["shelf_life_years"], 12.0);
    assert_eq!(d["mosca"]["migration_years"], 4.0);
    assert_eq!(d["mosca"]["horizon_years"], 16.0, "H = x + y = 12 + 4");
    assert_eq!(d["mosca"]["band"], "pessimistic");
    assert!(factor(d, "criticality").contains("high"), "{d}");
    let own = finding(&items, "says its own");
    assert_eq!(own["mosca"]["shelf_life_years"], 2.0, "the asset's x wins");
    assert_eq!(
        own["mosca"]["migration_years"], 4.0,
        "the default y fills in"
    );
    assert!(factor(own, "criticality").contains("low"), "{own}");
    // Same algorithm, longer horizon: never a lower score (issue 19 item 6).
    assert!(d["risk_score"].as_f64() >= own["risk_score"].as_f64());
    let (_, sum) = app
        .get(&op, &format!("/api/v1/assessments/{id}/summary"))
        .await;
    assert_eq!(sum["defaults"]["crqc_timeline"], "pessimistic");
    assert!(sum["crqc_timelines_version"].is_string(), "{sum}");
}

/// A CycloneDX 1.6 CBOM: an RSA-2048 key transport algorithm carrying its
/// own migration time, an ECDSA P-256 signature without inputs, and a
/// document-level default criticality, all as `quantun:` properties.
fn cbom_with_inputs() -> Value {
    json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "metadata": {"properties": [
            {"name": "quantun:criticality", "value": "critical"},
            {"name": "quantun:crqc_timeline", "value": "pessimistic"}
        ]},
        "components": [
            {"type": "cryptographic-asset", "bom-ref": "rsa-kt", "name": "RSA-2048",
             "cryptoProperties": {"assetType": "algorithm", "algorithmProperties":
                {"primitive": "pke", "parameterSetIdentifier": "2048", "cryptoFunctions": ["encapsulate"]}},
             "properties": [{"name": "quantun:migration_time_years", "value": "7"},
                            {"name": "vendor:ignored", "value": "x"}]},
            {"type": "cryptographic-asset", "bom-ref": "ecdsa", "name": "ECDSA",
             "cryptoProperties": {"assetType": "algorithm", "algorithmProperties":
                {"primitive": "signature", "curve": "secp256r1", "cryptoFunctions": ["sign"]}}}
        ]
    })
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn cbom_inputs_come_from_query_metadata_and_component_properties(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    let (s, created) = app
        .post_raw(
            &op,
            "/api/v1/assessments?data_shelf_life_years=15&validity_years=3&crqc_timeline=optimistic",
            "application/vnd.cyclonedx+json",
            serde_json::to_vec(&cbom_with_inputs()).unwrap(),
        )
        .await;
    assert_eq!(s, 202, "{created}");
    // The query wins over the document's metadata; the rest of the
    // metadata fills in.
    assert_eq!(
        created["defaults"],
        json!({"data_shelf_life_years": 15.0, "validity_years": 3.0,
               "crqc_timeline": "optimistic", "criticality": "critical"})
    );
    let id = created["id"].as_str().unwrap();
    let items = findings_of(&app, &op, id).await;
    let rsa = items.iter().find(|f| f["asset_ref"] == "rsa-kt").unwrap();
    assert_eq!(rsa["mosca"]["shelf_life_years"], 15.0, "query default x");
    assert_eq!(
        rsa["mosca"]["migration_years"], 7.0,
        "the component's own y"
    );
    assert_eq!(
        rsa["mosca"]["band"], "optimistic",
        "query band over metadata"
    );
    assert!(factor(rsa, "criticality").contains("critical"), "{rsa}");
    let ecdsa = items.iter().find(|f| f["asset_ref"] == "ecdsa").unwrap();
    assert_eq!(ecdsa["horizon"]["kind"], "authenticity");
    assert_eq!(
        ecdsa["mosca"]["validity_years"], 3.0,
        "query default validity"
    );
    assert_eq!(
        ecdsa["mosca"]["horizon_years"], 8.0,
        "H = y + validity = 5 + 3"
    );

    // The export writes the defaults back under the names an upload reads.
    let (s, out) = app
        .get(&op, &format!("/api/v1/assessments/{id}/cbom"))
        .await;
    assert_eq!(s, 200, "{out}");
    let props = out["metadata"]["properties"].as_array().unwrap();
    assert!(props
        .iter()
        .any(|p| p["name"] == "quantun:crqc_timeline" && p["value"] == "optimistic"));
    let rsa_out = out["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["properties"]
                .as_array()
                .is_some_and(|p| p.iter().any(|p| p["value"] == "RSA-2048"))
        })
        .unwrap();
    assert!(rsa_out["properties"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "quantun:horizon" && p["value"] == "confidentiality"));
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn bad_defaults_are_422_naming_the_field_or_pointer(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    let cbom = serde_json::to_vec(&cbom_with_inputs()).unwrap();
    let ct = "application/vnd.cyclonedx+json";
    for (query, field) in [
        ("data_shelf_life_years=-1", "data_shelf_life_years"),
        ("migration_time_years=1e9", "migration_time_years"),
        ("validity_years=NaN", "validity_years"),
        ("data_shelf_life_years=inf", "data_shelf_life_years"),
        ("exposure=moon", "exposure"),
        ("crqc_timeline=doomsday", "crqc_timeline"),
        ("cnsa2_category=toasters", "cnsa2_category"),
    ] {
        let (s, v) = app
            .post_raw(
                &op,
                &format!("/api/v1/assessments?{query}"),
                ct,
                cbom.clone(),
            )
            .await;
        assert_eq!(s, 422, "{query}: {v}");
        assert_eq!(v["errors"][0]["field"], field, "{query}: {v}");
    }
    // An unknown band is named with the engine's list.
    let (_, v) = app
        .post_raw(
            &op,
            "/api/v1/assessments?crqc_timeline=doomsday",
            ct,
            cbom.clone(),
        )
        .await;
    let msg = v["errors"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains("central") && msg.contains("pessimistic"),
        "{msg}"
    );

    // Bad `quantun:` properties, by JSON pointer.
    let mut doc = cbom_with_inputs();
    doc["components"][0]["properties"][0]["value"] = json!("-3");
    doc["metadata"]["properties"][0]["value"] = json!("urgent");
    let (s, v) = app
        .post_raw(
            &op,
            "/api/v1/assessments",
            ct,
            serde_json::to_vec(&doc).unwrap(),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    let fields: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"/components/0/properties/0/value"), "{v}");
    assert!(fields.contains(&"/metadata/properties/0/value"), "{v}");

    // JSON inventory: the body's defaults, never the query.
    let inv = json!([{"name": "a", "algorithm": "RSA"}]);
    for (defaults, field) in [
        (
            json!({"migration_time_years": 1e9}),
            "defaults.migration_time_years",
        ),
        (
            json!({"data_shelf_life_years": -0.5}),
            "defaults.data_shelf_life_years",
        ),
        (json!({"criticality": "urgent"}), "defaults.criticality"),
        (
            json!({"crqc_timeline": "doomsday"}),
            "defaults.crqc_timeline",
        ),
        (json!({"shelf_life": 3}), "defaults.shelf_life"),
    ] {
        let (s, v) = app
            .post_json(
                &op,
                "/api/v1/assessments",
                &json!({"name": "x", "inventory": inv, "defaults": defaults}),
            )
            .await;
        assert_eq!(s, 422, "{field}: {v}");
        assert!(v.to_string().contains(field), "{field}: {v}");
    }
    let (s, v) = app
        .post_json(
            &op,
            "/api/v1/assessments?crqc_timeline=central",
            &json!({"name": "x", "inventory": inv}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["errors"][0]["field"], "crqc_timeline", "{v}");
    let (_, list) = app.get(&op, "/api/v1/assessments").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0, "nothing stored");
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn readiness_and_the_overall_score_count_distinct_public_key_assets(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    // NIST IR 8547 (ipd, 2024) section 4 lists only public-key algorithms
    // (RSA, ECDSA, EdDSA, DH, ECDH) for the post-quantum transition; SHA-2
    // and AES stay approved (section 4.2), so a hash or an AES key is not
    // a "PQC-ready" asset and must not raise readiness. The same RSA key
    // listed twice is one asset.
    let inventory = json!([
        {"name": "api TLS", "algorithm": "RSA", "parameter": "2048", "usage": "key_exchange"},
        {"name": "api TLS", "algorithm": "RSA-2048", "usage": "key_exchange"},
        {"name": "new KEM", "algorithm": "ML-KEM-768", "usage": "key_exchange"},
        {"name": "checksums", "algorithm": "SHA-256", "usage": "hash"},
        {"name": "disk", "algorithm": "AES-256-GCM", "usage": "encryption"},
        {"name": "mystery", "algorithm": "FooCipher"}
    ]);
    let (s, created) = app
        .post_json(
            &op,
            "/api/v1/assessments",
            &json!({"name": "distinct", "inventory": inventory}),
        )
        .await;
    assert_eq!(s, 202, "{created}");
    let id = created["id"].as_str().unwrap();
    let items = findings_of(&app, &op, id).await;
    assert_eq!(items.len(), 6, "every row stays a finding");
    let (_, sum) = app
        .get(&op, &format!("/api/v1/assessments/{id}/summary"))
        .await;
    assert_eq!(sum["asset_count"], 6);
    assert_eq!(sum["distinct_asset_count"], 5, "{sum}");
    assert_eq!(
        sum["pqc_relevant_assets"], 2,
        "RSA-2048 and ML-KEM-768: {sum}"
    );
    assert_eq!(sum["pqc_readiness_pct"], 50.0, "{sum}");
    assert_eq!(sum["lanes"]["identify"], 1, "{sum}");
    assert!(sum["lanes"]["quantum"].as_i64().unwrap() >= 1, "{sum}");
    // Overall = (worst + mean over the 5 distinct assets) / 2.
    let mut worst: std::collections::BTreeMap<String, f64> = Default::default();
    for f in &items {
        let key = if f["asset_name"] == "api TLS" {
            "api TLS".to_owned()
        } else {
            f["asset_name"].as_str().unwrap().to_owned()
        };
        let v = worst.entry(key).or_insert(0.0);
        *v = v.max(f["risk_score"].as_f64().unwrap());
    }
    assert_eq!(worst.len(), 5);
    let max = worst.values().copied().fold(0.0, f64::max);
    let mean = worst.values().sum::<f64>() / 5.0;
    let expected = ((max + mean) / 2.0 * 100.0).round() / 100.0;
    assert_eq!(
        sum["overall_risk_score"].as_f64().unwrap(),
        expected,
        "{sum}"
    );

    // A system with no post-quantum algorithm is 0 % ready, whatever its
    // hashes; one with no public-key cryptography has no readiness figure.
    for (inv, want) in [
        (
            json!([{"name": "t", "algorithm": "RSA-2048", "usage": "key_exchange"},
                   {"name": "h", "algorithm": "SHA-256", "usage": "hash"},
                   {"name": "h2", "algorithm": "SHA3-256", "usage": "hash"}]),
            json!(0.0),
        ),
        (
            json!([{"name": "h", "algorithm": "SHA-256", "usage": "hash"}]),
            Value::Null,
        ),
    ] {
        let (_, c) = app
            .post_json(
                &op,
                "/api/v1/assessments",
                &json!({"name": "r", "inventory": inv}),
            )
            .await;
        let done = app.wait(&op, c["id"].as_str().unwrap()).await;
        assert_eq!(done["pqc_readiness_pct"], want, "{done}");
    }
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn scoring_options_list_the_engine_s_bands_and_categories(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let viewer = app.token(Role::Viewer, Some(&org));
    let (s, o) = app.get(&viewer, "/api/v1/scoring-options").await;
    assert_eq!(s, 200, "{o}");
    let bands: Vec<&str> = o["crqc_timelines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(bands, ["optimistic", "central", "pessimistic"]);
    assert_eq!(o["default_crqc_timeline"], "central");
    // CNSA 2.0 (NSA CSA, Sept 2022, updated 2024): the category for web
    // browsers, servers and cloud services prefers CNSA 2.0 by 2025 and
    // uses it exclusively by 2033.
    let web = o["cnsa2_categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "web_browsers_servers_cloud")
        .unwrap();
    assert_eq!(web["prefer_by"], 2025);
    assert_eq!(web["exclusive_by"], 2033);
    assert_eq!(o["engine_defaults"]["data_shelf_life_years"], 5.0);
    let (s, _) = app.get("not-a-token", "/api/v1/scoring-options").await;
    assert_eq!(s, 401);
}

/// README's worked example: the shelf life and migration time given once
/// as the assessment's defaults score exactly as the ML engine scores the
/// assets with those inputs written out (`POST /api/v1/score`, the README's
/// first call), and the signing key's authenticity horizon ignores the
/// shelf-life default (H = y + validity = 5 + 3, Mosca's inequality for
/// signatures).
#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn readme_worked_example_matches_the_engine_with_inputs_written_out(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    let (s, created) = app
        .post_json(
            &op,
            "/api/v1/assessments",
            &json!({"name": "worked example",
              "defaults": {"data_shelf_life_years": 10, "migration_time_years": 5},
              "inventory": [
                {"name": "api TLS", "algorithm": "RSA-2048", "usage": "key_exchange", "exposure": "internet"},
                {"name": "release signing", "algorithm": "ECDSA", "parameter": "P-256", "usage": "signature",
                 "validity_years": 3}]}),
        )
        .await;
    assert_eq!(s, 202, "{created}");
    let items = findings_of(&app, &op, created["id"].as_str().unwrap()).await;
    let direct: Value = reqwest::Client::new()
        .post(format!("{ml}/api/v1/score"))
        .json(&json!({"assets": [
            {"algorithm": "RSA-2048", "usage": "key_exchange", "exposure": "internet",
             "data_shelf_life_years": 10, "migration_time_years": 5},
            {"algorithm": "ECDSA", "parameter": "P-256", "usage": "signature",
             "migration_time_years": 5, "validity_years": 3}]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (name, i) in [("api TLS", 0), ("release signing", 1)] {
        let f = finding(&items, name);
        let d = &direct["results"][i];
        assert_eq!(f["risk_score"], d["risk_score"], "{name}");
        assert_eq!(f["lane"], d["lane"], "{name}");
        assert_eq!(f["horizon"], d["horizon"], "{name}");
        assert_eq!(f["mosca"], d["mosca"], "{name}");
    }
    let sig = finding(&items, "release signing");
    assert_eq!(sig["horizon"]["kind"], "authenticity");
    assert_eq!(sig["mosca"]["horizon_years"], 8.0);
}
