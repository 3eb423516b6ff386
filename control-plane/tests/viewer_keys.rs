//! Read-only API keys for machine readers such as QRAP
//! (`QSGW_VIEWER_API_KEYS`, issue 24 item 5): they read what a viewer
//! reads and nothing more. Attacked here: writes, ingest, registration and
//! heartbeats with a viewer key; the gateways' service key keeps exactly
//! its rights; an unknown key is 401; bad configurations are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use clap::Parser;
use control_plane::config::{Cli, Config};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

const VIEWER_KEY: &str = "qrap-viewer-key-0123456789";

async fn with_key(
    app: &common::TestApp,
    key: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(method, app.url(path))
        .header("x-api-key", key);
    if let Some(b) = body {
        req = req.json(b);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn a_viewer_key_reads_and_cannot_write_ingest_or_heartbeat(pool: PgPool) {
    let mut config = common::config(&pool, common::NO_ETCD);
    let cli = Cli::try_parse_from([
        "control-plane",
        "--database-url",
        "postgres://unused@127.0.0.1/unused",
        "--jwt-secret",
        shared::test_util::TEST_JWT_SECRET,
        "--api-key",
        common::API_KEY,
        "--viewer-api-keys",
        &format!("{VIEWER_KEY}:qrap"),
    ])
    .unwrap();
    config.api_keys = Config::from_settings(cli.settings).unwrap().api_keys;
    let app = common::spawn_with(pool, config).await;

    // Reads: the runtime CBOM, routes, sessions.
    for path in ["/api/v1/cbom", "/api/v1/routes", "/api/v1/tls-sessions"] {
        let (status, body) = with_key(&app, VIEWER_KEY, Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
    }

    // Writes need operator: 403, and nothing is created.
    let up = app.create_upstream("viewer-keys").await;
    let up = up["id"].as_str().unwrap();
    let (status, body) = with_key(
        &app,
        VIEWER_KEY,
        Method::POST,
        "/api/v1/routes",
        Some(&common::route_body(up, "/v")),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = with_key(
        &app,
        VIEWER_KEY,
        Method::POST,
        "/api/v1/upstreams",
        Some(&common::upstream_body("nope")),
    )
    .await;
    assert_eq!(status, 403);
    let routes: i64 = sqlx::query_scalar("SELECT count(*) FROM routes")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(routes, 0);

    // Registration, heartbeat and ingest need the service role: 403.
    let register = json!({"name": "gw-v", "address": "10.0.0.9:8443", "software_version": "0.1.0"});
    let (status, _) = with_key(
        &app,
        VIEWER_KEY,
        Method::POST,
        "/api/v1/gateways/register",
        Some(&register),
    )
    .await;
    assert_eq!(status, 403);
    // The service key keeps its rights: it registers the gateway …
    let (status, gw) = with_key(
        &app,
        common::API_KEY,
        Method::POST,
        "/api/v1/gateways/register",
        Some(&register),
    )
    .await;
    assert_eq!(status, 200, "{gw}");
    let gw = gw["id"].as_str().unwrap().to_owned();
    let heartbeat = json!({"status": "healthy", "active_connections": 1, "requests_total": 1});
    let path = format!("/api/v1/gateways/{gw}/heartbeat");
    let (status, _) = with_key(&app, VIEWER_KEY, Method::POST, &path, Some(&heartbeat)).await;
    assert_eq!(status, 403);
    let batch = json!({"records": [{"gateway_id": gw, "client_ip": "10.5.0.1", "pqc": true,
        "protocol_version": "TLSv1.3", "cipher_suite": "TLS13_AES_128_GCM_SHA256",
        "kx_group": "X25519MLKEM768", "established_at": chrono::Utc::now().to_rfc3339()}]});
    let (status, _) = with_key(
        &app,
        VIEWER_KEY,
        Method::POST,
        "/api/v1/ingest/tls-sessions",
        Some(&batch),
    )
    .await;
    assert_eq!(status, 403);
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM tls_sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0, "a viewer key ingested");
    // … ingests, and still does not read what only viewers read.
    let (status, body) = with_key(
        &app,
        common::API_KEY,
        Method::POST,
        "/api/v1/ingest/tls-sessions",
        Some(&batch),
    )
    .await;
    assert_eq!((status, &body["inserted"]), (200, &json!(1)), "{body}");
    let (status, _) = with_key(&app, common::API_KEY, Method::GET, "/api/v1/cbom", None).await;
    assert_eq!(status, 403);

    // An unknown key, or the viewer key with a byte changed: 401.
    for key in ["qrap-viewer-key-0123456780", "not-a-configured-key-at-all"] {
        let (status, _) = with_key(&app, key, Method::GET, "/api/v1/cbom", None).await;
        assert_eq!(status, 401, "{key}");
    }
}

fn settings(viewer: &str) -> control_plane::config::Settings {
    Cli::try_parse_from([
        "control-plane",
        "--database-url",
        "postgres://unused@127.0.0.1/unused",
        "--jwt-secret",
        shared::test_util::TEST_JWT_SECRET,
        "--api-key",
        common::API_KEY,
        "--viewer-api-keys",
        viewer,
    ])
    .unwrap()
    .settings
}

#[test]
fn bad_viewer_key_settings_are_refused_naming_the_variable() {
    for bad in [
        // shorter than 16 bytes
        "short-key:qrap",
        // the service key again: one value, one role
        common::API_KEY,
        // a name the service key already has
        "another-viewer-key-0123:gateway",
        // commas only
        " , ",
    ] {
        let e = Config::from_settings(settings(bad)).unwrap_err();
        assert_eq!(e.var, "QSGW_VIEWER_API_KEYS", "{bad}");
    }
    assert!(Config::from_settings(settings(&format!("{VIEWER_KEY}:qrap,{VIEWER_KEY}x"))).is_ok());
}
