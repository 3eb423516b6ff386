//! Issue 16 item 8: text reaching Postgres. PostgreSQL refuses U+0000 in
//! `text` and `jsonb` (PostgreSQL 16 docs, §8.3 Character Types: "the
//! character with code zero (sometimes called NUL) cannot be stored"), so
//! every field that carries one must be a 422 naming the field, never a
//! 500. And the OpenAPI document lists query parameters as query
//! parameters.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{ml_engine, App};
use serde_json::json;
use shared::auth::Role;
use shared::test_util::client;
use sqlx::PgPool;

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn nul_characters_are_422_naming_the_field(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let admin = app.admin();
    let (s, v) = app
        .post_json(
            &admin,
            "/api/v1/organizations",
            &json!({"name": "Nul", "description": "a\u{0000}b"}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["errors"][0]["field"], "description");

    let org = app.create_org("Tenant").await;
    let op = app.token(Role::Operator, Some(&org));
    // CBOM fields: component name, bom-ref, primitive, parameter set.
    for (field, component) in [
        (
            "components[0].name",
            json!({"type": "cryptographic-asset", "bom-ref": "k1", "name": "RSA\u{0000}", "cryptoProperties": {"assetType": "algorithm", "algorithmProperties": {"primitive": "pke"}}}),
        ),
        (
            "components[0].bom-ref",
            json!({"type": "cryptographic-asset", "bom-ref": "k\u{0000}1", "name": "RSA", "cryptoProperties": {"assetType": "algorithm", "algorithmProperties": {"primitive": "pke"}}}),
        ),
        (
            "components[0].cryptoProperties.algorithmProperties.primitive",
            json!({"type": "cryptographic-asset", "bom-ref": "k1", "name": "RSA", "cryptoProperties": {"assetType": "algorithm", "algorithmProperties": {"primitive": "p\u{0000}ke"}}}),
        ),
        (
            "components[0].cryptoProperties.algorithmProperties.parameterSetIdentifier",
            json!({"type": "cryptographic-asset", "bom-ref": "k1", "name": "RSA", "cryptoProperties": {"assetType": "algorithm", "algorithmProperties": {"primitive": "pke", "parameterSetIdentifier": "2048\u{0000}"}}}),
        ),
    ] {
        let doc =
            json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [component]});
        let (s, v) = app
            .post_raw(
                &op,
                "/api/v1/assessments",
                "application/vnd.cyclonedx+json",
                serde_json::to_vec(&doc).unwrap(),
            )
            .await;
        assert_eq!(s, 422, "{field}: {v}");
        assert_eq!(v["errors"][0]["field"], field, "{v}");
    }
    // Query parameters: %00 in a CBOM upload's description.
    let doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": []});
    let (s, v) = app
        .post_raw(
            &op,
            "/api/v1/assessments?description=a%00b",
            "application/vnd.cyclonedx+json",
            serde_json::to_vec(&doc).unwrap(),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["errors"][0]["field"], "description");
    // Inventory asset names.
    let (s, v) = app
        .post_json(
            &op,
            "/api/v1/assessments",
            &json!({"name": "inv", "inventory": [{"name": "a\u{0000}", "algorithm": "RSA"}]}),
        )
        .await;
    assert_eq!(s, 422, "{v}");
    assert_eq!(v["errors"][0]["field"], "inventory[0].name");
    // Nothing was stored by any of these.
    assert_eq!(
        app.count(
            "SELECT count(*) FROM assessments WHERE organization_id = $1",
            &org
        )
        .await,
        0
    );
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn openapi_lists_query_parameters_in_the_query(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let doc: serde_json::Value = client()
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    shared::test_util::assert_openapi_path_params(&doc);
    let params = doc["paths"]["/api/v1/assessments"]["post"]["parameters"]
        .as_array()
        .unwrap();
    for name in ["name", "organization_id", "description"] {
        let p = params.iter().find(|p| p["name"] == name).unwrap();
        assert_eq!(p["in"], "query", "{p}");
        assert_ne!(p["required"], true, "{p}");
    }
}

/// An audit row names the request id the caller was answered with: a
/// well-formed `X-Request-Id` is kept, a malformed or oversized one is
/// replaced by a generated id (the shared middleware's rule) instead of
/// being stored as sent, and a request without one still gets an id.
#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn audit_rows_name_the_request_id_the_caller_was_answered_with(pool: PgPool) {
    let app = App::start(pool, "http://127.0.0.1:1").await;
    let admin = app.admin();
    let junk = format!("injected id\t{}", "x".repeat(300));
    for (n, sent) in [Some("req-from-client-42"), Some(junk.as_str()), None]
        .into_iter()
        .enumerate()
    {
        let mut req = client()
            .post(app.url("/api/v1/organizations"))
            .bearer_auth(&admin)
            .json(&json!({ "name": format!("Audited {n}") }));
        if let Some(id) = sent {
            req = req.header("x-request-id", id);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 201);
        let echoed = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        let org: serde_json::Value = r.json().await.unwrap();
        let stored: Option<String> = sqlx::query_scalar(
            "SELECT request_id FROM qrap_audit_log WHERE resource_id = $1 AND action LIKE 'organization.%'",
        )
        .bind(org["id"].as_str().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(stored.as_deref(), Some(echoed.as_str()), "sent {sent:?}");
        match sent {
            Some("req-from-client-42") => assert_eq!(echoed, "req-from-client-42"),
            _ => assert!(echoed.starts_with("req_") && echoed.len() == 36, "{echoed}"),
        }
    }
}
