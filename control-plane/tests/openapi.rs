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

/// The wire contracts the gateway and the control plane share are
/// documented from the shared types themselves (issue 20 item 1): the
/// ingest bodies are `IngestBatch<record>`, registration and heartbeat are
/// `shared::qsgw`'s, and a route's host and path carry the grammar of
/// `HostPattern` and `RoutePath` (the same parse both sides run).
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn contract_schemas_come_from_the_shared_types(pool: PgPool) {
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
    let text = doc.to_string();
    let body_ref = |path: &str| {
        doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"].clone()
    };
    // The record schema of a batch, resolved: utoipa writes the generic
    // `IngestBatch<T>` as its own component with T inline.
    let records = |path: &str| {
        let s = body_ref(path);
        let s = match s["$ref"].as_str() {
            Some(r) => doc["components"]["schemas"][r.rsplit('/').next().unwrap()].clone(),
            None => s,
        };
        s["properties"]["records"]["items"].clone()
    };
    let generated = |schema: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>| {
        serde_json::to_value(schema).unwrap()
    };
    assert_eq!(
        records("/api/v1/ingest/tls-sessions"),
        generated(<shared::qsgw::TlsSessionRecord as utoipa::PartialSchema>::schema()),
    );
    assert_eq!(
        records("/api/v1/ingest/threats"),
        generated(<shared::qsgw::ThreatRecord as utoipa::PartialSchema>::schema()),
    );
    assert_eq!(
        body_ref("/api/v1/gateways/register")["$ref"],
        "#/components/schemas/RegisterGateway"
    );
    assert_eq!(
        body_ref("/api/v1/gateways/{id}/heartbeat")["$ref"],
        "#/components/schemas/Heartbeat"
    );
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["RoutePath"]["maxLength"], 2048, "{text:.0}");
    assert!(schemas["RoutePath"]["description"]
        .as_str()
        .is_some_and(|d| d.contains("canonical")));
    assert!(schemas["HostPattern"]["description"]
        .as_str()
        .is_some_and(|d| d.contains("RFC 6125")));
    let route = schemas["RouteConfig"]["properties"].to_string();
    assert!(
        route.contains("#/components/schemas/HostPattern"),
        "{route}"
    );
    assert!(route.contains("#/components/schemas/RoutePath"), "{route}");
    app.stop().await;
}
