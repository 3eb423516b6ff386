//! The OpenAPI document lists every endpoint of the control plane, each
//! with its responses, and the docs page is served.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::Value;
use sqlx::PgPool;

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn every_endpoint_is_documented(pool: PgPool) {
    let app = common::spawn(pool).await;
    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("post", "/api/v1/auth/login"),
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users"),
        ("get", "/api/v1/users/{id}"),
        ("patch", "/api/v1/users/{id}"),
        ("delete", "/api/v1/users/{id}"),
        ("get", "/api/v1/upstreams"),
        ("post", "/api/v1/upstreams"),
        ("get", "/api/v1/upstreams/{id}"),
        ("put", "/api/v1/upstreams/{id}"),
        ("delete", "/api/v1/upstreams/{id}"),
        ("get", "/api/v1/routes"),
        ("post", "/api/v1/routes"),
        ("get", "/api/v1/routes/{id}"),
        ("put", "/api/v1/routes/{id}"),
        ("delete", "/api/v1/routes/{id}"),
        ("get", "/api/v1/config/snapshot"),
        ("post", "/api/v1/gateways/register"),
        ("post", "/api/v1/gateways/{id}/heartbeat"),
        ("get", "/api/v1/gateways"),
        ("get", "/api/v1/gateways/{id}"),
        ("post", "/api/v1/ingest/tls-sessions"),
        ("post", "/api/v1/ingest/threats"),
        ("get", "/api/v1/tls-sessions"),
        ("get", "/api/v1/tls-sessions/stats"),
        ("get", "/api/v1/tls-sessions/groups"),
        ("get", "/api/v1/tls-sessions/export.csv"),
        ("get", "/api/v1/threats"),
        ("get", "/api/v1/threats/{id}"),
        ("post", "/api/v1/threats/{id}/acknowledge"),
        ("post", "/api/v1/threats/{id}/resolve"),
        ("get", "/api/v1/audit-log"),
        ("get", "/api/v1/webhooks/deliveries"),
        ("get", "/api/v1/exposure"),
    ];
    for (method, path) in expected {
        let op = &paths
            .get(path)
            .unwrap_or_else(|| panic!("{path} missing from the OpenAPI document"))[method];
        assert!(op.is_object(), "{method} {path} missing");
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path} has no responses"
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for s in [
        "RouteInput",
        "UpstreamInput",
        "LoginRequest",
        "IngestResult",
        "TlsStats",
        "TlsGroups",
    ] {
        assert!(
            schemas[s].get("example").is_some() || schemas[s].get("examples").is_some(),
            "{s} has no example"
        );
    }
    let r = app
        .client
        .get(app.url("/api/v1/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.stop().await;
}
