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
