//! An assessment created from a live QSGW control plane (issue 24 item 5):
//! the REAL control plane started in-process on port 0 over its own
//! database, TLS sessions ingested through its real ingest API with the
//! gateways' service key on two routes, and QRAP pulling its runtime CBOM
//! with a read-only viewer key (`QSGW_VIEWER_API_KEYS`), scored by the real
//! ML engine. Expected values come from the inserted sessions and from the
//! standards named at each assertion; the attacks (internal URLs, a wrong
//! key, garbage and oversized answers, leaking the key) are checked against
//! the HTTP answers and the database rows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use clap::Parser;
use common::App;
use serde_json::{json, Value};
use shared::auth::Role;
use shared::test_util::{client, TestServer};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;

const SERVICE_KEY: &str = "cp-service-key-0123456789";
const VIEWER_KEY: &str = "cp-viewer-key-for-qrap-0123456789";

/// A running control plane with an operator token.
struct ControlPlane {
    base: String,
    operator: String,
    shutdown: shared::server::Shutdown,
}

/// The control plane on a database of its own (created next to the test's
/// QRAP database on the same server), with the service and viewer keys.
async fn control_plane(qrap: &PgPool) -> ControlPlane {
    let name = format!("qsgw_import_{}", uuid_hex());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(qrap)
        .await
        .unwrap();
    let options = (*qrap.connect_options()).clone().database(&name);
    let cli = control_plane::config::Cli::try_parse_from([
        "control-plane",
        "--database-url",
        "postgres://unused@127.0.0.1/unused",
        "--jwt-secret",
        shared::test_util::TEST_JWT_SECRET,
        "--api-key",
        SERVICE_KEY,
        "--viewer-api-keys",
        &format!("{VIEWER_KEY}:qrap"),
        // Nothing listens there: this test does not look at etcd.
        "--etcd-endpoints",
        "http://127.0.0.1:1",
    ])
    .unwrap();
    let mut config = control_plane::config::Config::from_settings(cli.settings).unwrap();
    config.database = options.clone();
    config.host = "127.0.0.1".into();
    config.port = 0;
    config.pool.min_conns = 0;
    config.pool.max_conns = 5;
    config.shutdown_grace = std::time::Duration::from_secs(1);
    let shutdown = shared::server::Shutdown::new();
    let app = control_plane::startup::Application::build(config.clone(), shutdown.clone())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(options)
        .await
        .unwrap();
    // An operator (control-plane tokens must name an existing user).
    let id = format!("usr_{:032x}", 2);
    sqlx::query(
        "INSERT INTO users (id, email, password_hash, role) VALUES ($1, 'op@test.example', '$argon2id$unusable', 'operator')",
    )
    .bind(&id)
    .execute(&pool)
    .await
    .unwrap();
    let operator =
        control_plane::auth::revocation::issue_for_user(&pool, &config.jwt, &id, config.jwt.ttl())
            .await
            .unwrap()
            .unwrap()
            .0;
    ControlPlane {
        base,
        operator,
        shutdown,
    }
}

fn uuid_hex() -> String {
    shared::ids::OrgId::new().as_str()[4..].to_owned()
}

impl ControlPlane {
    async fn call(
        &self,
        auth: (&str, &str),
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> Value {
        let r = client()
            .request(method, format!("{}{path}", self.base))
            .header(auth.0, auth.1)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    async fn route(&self, upstream: &str, host: &str, path: &str) -> String {
        let bearer = format!("Bearer {}", self.operator);
        let v = self
            .call(
                ("authorization", &bearer),
                reqwest::Method::POST,
                "/api/v1/routes",
                &json!({"name": format!("route {path}"), "host": host, "path": path,
                        "upstream_id": upstream}),
            )
            .await;
        v["id"].as_str().unwrap().to_owned()
    }
}

/// Two routes; through the real ingest API with the service key: two
/// X25519MLKEM768 handshakes on /pay, one X25519 handshake on /legacy.
/// Returns (pay route id, legacy route id).
async fn traffic(cp: &ControlPlane) -> (String, String) {
    let bearer = format!("Bearer {}", cp.operator);
    let up = cp
        .call(
            ("authorization", &bearer),
            reqwest::Method::POST,
            "/api/v1/upstreams",
            &json!({"name": "shop", "targets": [{"host": "10.0.0.5", "port": 8080}]}),
        )
        .await;
    let up = up["id"].as_str().unwrap();
    let pay = cp.route(up, "shop.example.com", "/pay").await;
    let legacy = cp.route(up, "shop.example.com", "/legacy").await;
    let service = ("x-api-key", SERVICE_KEY);
    let gw = cp
        .call(
            service,
            reqwest::Method::POST,
            "/api/v1/gateways/register",
            &json!({"name": "gw-1", "address": "10.0.0.9:8443", "software_version": "0.1.0"}),
        )
        .await;
    let gw = gw["id"].as_str().unwrap();
    let session = |ip: &str, kx: &str, pqc: bool, route: &str| {
        json!({"gateway_id": gw, "client_ip": ip, "sni": "shop.example.com",
               "protocol_version": "TLSv1.3", "cipher_suite": "TLS13_AES_128_GCM_SHA256",
               "kx_group": kx, "pqc": pqc, "route_id": route,
               "established_at": chrono::Utc::now().to_rfc3339()})
    };
    let v = cp
        .call(
            service,
            reqwest::Method::POST,
            "/api/v1/ingest/tls-sessions",
            &json!({"records": [
                session("198.51.100.1", "X25519MLKEM768", true, &pay),
                session("198.51.100.2", "X25519MLKEM768", true, &pay),
                session("198.51.100.3", "X25519", false, &legacy),
            ]}),
        )
        .await;
    assert_eq!(v["inserted"], 3);
    (pay, legacy)
}

fn body(org: &str, url: &str, key: &str) -> Value {
    json!({"name": "Live traffic", "organization_id": org,
           "source": {"qsgw": {"url": url, "api_key": key, "window": "24h"}}})
}

/// The field names of a 422 problem.
fn fields(v: &Value) -> Vec<String> {
    v["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str().map(str::to_owned))
        .collect()
}

/// How many rows of `table` mention `needle` anywhere (every column, as text).
async fn rows_mentioning(pool: &PgPool, table: &str, needle: &str) -> i64 {
    sqlx::query_scalar(&format!(
        "SELECT count(*) FROM {table} t WHERE row_to_json(t)::text LIKE '%' || $1 || '%'"
    ))
    .bind(needle)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// QRAP allowed to reach the in-process control plane on loopback over
/// plain http (the two development settings).
fn allow_loopback(c: &mut risk_api::config::Config) {
    c.qsgw.allowed = shared::edge::parse_cidrs("127.0.0.0/8").unwrap();
    c.qsgw.allow_http_loopback = true;
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn live_traffic_becomes_an_assessment_whose_findings_name_the_routes(pool: PgPool) {
    let cp = control_plane(&pool).await;
    let (pay, legacy) = traffic(&cp).await;
    let ml = common::ml_engine().await;
    let app = App::start_with(pool.clone(), &ml, allow_loopback).await;
    let org = app.create_org("Shop").await;
    let op = app.token(Role::Operator, Some(&org));

    let (s, created) = app
        .post_json(
            &op,
            "/api/v1/assessments",
            &body(&org, &cp.base, VIEWER_KEY),
        )
        .await;
    assert_eq!(s, 202, "{created}");
    assert_eq!(created["source_format"], "qsgw-runtime-cbom");
    assert_eq!(created["source_url"], cp.base.as_str());
    assert_eq!(created["source_spec_version"], "1.7");
    assert!(created["description"].as_str().unwrap().contains(&cp.base));
    let id = created["id"].as_str().unwrap().to_owned();
    let done = app.wait(&op, &id).await;
    assert_eq!(done["status"], "completed", "{done}");

    // Listed in the organization next to uploaded inventories.
    let (_, list) = app
        .get(&op, &format!("/api/v1/assessments?organization_id={org}"))
        .await;
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["id"] == id.as_str() && a["source_format"] == "qsgw-runtime-cbom"));

    let (s, page) = app
        .get(&op, &format!("/api/v1/assessments/{id}/findings?limit=500"))
        .await;
    assert_eq!(s, 200);
    let items = page["items"].as_array().unwrap();
    let by_ref = |r: &str| {
        items
            .iter()
            .find(|f| f["asset_ref"] == r)
            .unwrap_or_else(|| panic!("no finding for {r} in {items:#?}"))
            .clone()
    };
    let loc = |f: &Value| -> Vec<String> {
        f["locations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_owned())
            .collect()
    };
    // X25519 (RFC 7748) is elliptic-curve Diffie-Hellman: Shor's algorithm
    // breaks it, and NIST IR 8547 (ipd, Table 4) deprecates ECDH after 2030.
    let x25519 = by_ref("crypto/algorithm/kx-x25519");
    assert_eq!(x25519["quantum_threat"], "shor", "{x25519:#}");
    assert_eq!(x25519["lane"], "quantum", "{x25519:#}");
    assert_eq!(
        loc(&x25519),
        vec![format!("qsgw route {legacy} (shop.example.com/legacy)")]
    );
    // X25519MLKEM768 (draft-ietf-tls-ecdhe-mlkem) is quantum-safe through
    // its ML-KEM-768 half (FIPS 203).
    let hybrid = by_ref("crypto/algorithm/kx-x25519mlkem768");
    assert_eq!(hybrid["quantum_threat"], "none", "{hybrid:#}");
    assert_eq!(
        loc(&hybrid),
        vec![format!("qsgw route {pay} (shop.example.com/pay)")]
    );
    // TLS 1.3 was negotiated on both routes, /pay twice and /legacy once:
    // most sessions first.
    let tls = by_ref("crypto/protocol/tls@1.3");
    assert_eq!(
        loc(&tls),
        vec![
            format!("qsgw route {pay} (shop.example.com/pay)"),
            format!("qsgw route {legacy} (shop.example.com/legacy)"),
        ]
    );

    // The key was used for one request and kept nowhere: not in the
    // assessment (its job row: status, lease, attempts live there), its
    // findings or the audit log; the audit entry names the control plane.
    for table in ["assessments", "findings", "qrap_audit_log"] {
        assert_eq!(
            rows_mentioning(&pool, table, VIEWER_KEY).await,
            0,
            "{table}"
        );
    }
    let details: Value = sqlx::query_scalar(
        "SELECT details FROM qrap_audit_log WHERE action = 'assessment.create' AND resource_id = $1",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(details["format"], "qsgw-runtime-cbom");
    assert_eq!(details["source_url"], cp.base.as_str());
    assert_eq!(details["window"], "24h");

    // A viewer of QRAP cannot create one (operator, admin or service only).
    let viewer = app.token(Role::Viewer, Some(&org));
    let (s, _) = app
        .post_json(
            &viewer,
            "/api/v1/assessments",
            &body(&org, &cp.base, VIEWER_KEY),
        )
        .await;
    assert_eq!(s, 403);

    // `risk-api import-qsgw` does the same from the command line, the key
    // from QRAP_QSGW_API_KEY (never argv), into this database. (tokio's
    // Command: the control plane answering it runs on this test's runtime.)
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_risk-api"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(common::child_env(
            &pool,
            &ml,
            shared::test_util::free_port(),
        ))
        .env("QRAP_QSGW_ALLOWED_TARGETS", "127.0.0.1/32")
        .env("QRAP_QSGW_ALLOW_HTTP_LOOPBACK", "true")
        .env("QRAP_QSGW_API_KEY", VIEWER_KEY)
        .args([
            "import-qsgw",
            "--url",
            &cp.base,
            "--org",
            &org,
            "--window",
            "7d",
        ])
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(!stderr.contains(VIEWER_KEY) && !stdout.contains(VIEWER_KEY));
    let cli = app.wait(&op, &stdout).await;
    assert_eq!(cli["status"], "completed", "{cli}");
    assert_eq!(cli["source_format"], "qsgw-runtime-cbom");
    assert_eq!(cli["name"], "QSGW live traffic (7d)");
    assert_eq!(cli["created_by"], "cli:import-qsgw");
    for table in ["assessments", "findings", "qrap_audit_log"] {
        assert_eq!(
            rows_mentioning(&pool, table, VIEWER_KEY).await,
            0,
            "{table}"
        );
    }
    // A wrong key from the command line (here from --api-key-file): the
    // upstream 401, exit 1, the key not echoed.
    let key_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(key_file.path(), "a-wrong-key-0123456789\n").unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_risk-api"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(common::child_env(
            &pool,
            &ml,
            shared::test_util::free_port(),
        ))
        .env("QRAP_QSGW_ALLOWED_TARGETS", "127.0.0.1/32")
        .env("QRAP_QSGW_ALLOW_HTTP_LOOPBACK", "true")
        .args([
            "import-qsgw",
            "--url",
            &cp.base,
            "--org",
            &org,
            "--api-key-file",
        ])
        .arg(key_file.path())
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    assert!(!stderr.contains("a-wrong-key-0123456789"), "{stderr}");

    cp.shutdown.trigger();
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn refused_urls_wrong_keys_and_bad_answers_are_clear_problems(pool: PgPool) {
    let cp = control_plane(&pool).await;
    traffic(&cp).await;
    let ml = common::ml_engine().await;
    // Without the allow settings first.
    let strict = App::start(pool.clone(), &ml).await;
    // The OpenAPI document describes the new body: `source.qsgw` with the
    // key as a password-format string, beside the optional `inventory`.
    let doc: Value = client()
        .get(strict.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["QsgwSource"]["properties"]["api_key"]["format"], "password",
        "{:#}",
        schemas["QsgwSource"]
    );
    assert!(schemas["CreateAssessment"]["properties"]["source"].is_object());
    let required = schemas["CreateAssessment"]["required"].to_string();
    assert!(
        !required.contains("inventory") && !required.contains("source"),
        "{required}"
    );
    let org = strict.create_org("Shop").await;
    let op = strict.token(Role::Operator, Some(&org));
    // Cloud metadata (link-local, RFC 3927) and loopback: refused before
    // anything is sent, naming the field.
    for url in [
        "https://169.254.169.254/latest/meta-data",
        "http://169.254.169.254",
        "https://127.0.0.1:8085",
        cp.base.as_str(),
        "https://localhost",
        "https://[::1]/",
        "https://0x7f.0.0.1/",
    ] {
        let (s, v) = strict
            .post_json(&op, "/api/v1/assessments", &body(&org, url, VIEWER_KEY))
            .await;
        assert_eq!(s, 422, "{url}: {v}");
        assert_eq!(fields(&v), vec!["source.qsgw.url"], "{url}: {v}");
        assert!(!v.to_string().contains(VIEWER_KEY));
    }
    // Both an inventory and a source, or neither: 422 naming the field.
    let mut both = body(&org, "https://cp.example.com", VIEWER_KEY);
    both["inventory"] = common::inventory();
    let (s, v) = strict.post_json(&op, "/api/v1/assessments", &both).await;
    assert_eq!((s, fields(&v)), (422, vec!["source".to_owned()]), "{v}");
    assert!(!v.to_string().contains(VIEWER_KEY));
    let (s, v) = strict
        .post_json(
            &op,
            "/api/v1/assessments",
            &json!({"name": "x", "organization_id": org}),
        )
        .await;
    assert_eq!((s, fields(&v)), (422, vec!["inventory".to_owned()]), "{v}");
    let mut bad_window = body(&org, "https://cp.example.com", VIEWER_KEY);
    bad_window["source"]["qsgw"]["window"] = json!("1y");
    let (s, v) = strict
        .post_json(&op, "/api/v1/assessments", &bad_window)
        .await;
    assert_eq!(
        (s, fields(&v)),
        (422, vec!["source.qsgw.window".to_owned()]),
        "{v}"
    );
    strict.shutdown.trigger();

    // Allowed to reach loopback: the real control plane, with a wrong key.
    let app = App::start_with(pool.clone(), &ml, |c| {
        allow_loopback(c);
        c.qsgw.max_bytes = 64 * 1024;
    })
    .await;
    let op = app.token(Role::Operator, Some(&org));
    let wrong = "cp-wrong-key-0123456789abcdef";
    let (s, v) = app
        .post_json(&op, "/api/v1/assessments", &body(&org, &cp.base, wrong))
        .await;
    assert_eq!(s, 502, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("401"), "{v}");
    assert!(!v.to_string().contains(wrong));
    // The service key is no reader of the CBOM either (403 upstream).
    let (s, v) = app
        .post_json(
            &op,
            "/api/v1/assessments",
            &body(&org, &cp.base, SERVICE_KEY),
        )
        .await;
    assert_eq!(s, 502, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("403"), "{v}");

    // A control plane that answers garbage, a 500, a redirect to the
    // metadata address, or more than the limit (64 KiB here): 502 with the
    // reason, never a 500, and no redirect followed.
    let fake = axum::Router::new()
        .route(
            "/garbage/api/v1/cbom",
            axum::routing::get(|| async { "this is not JSON {" }),
        )
        .route(
            "/notcbom/api/v1/cbom",
            axum::routing::get(|| async { axum::Json(json!({"bomFormat": "SPDX"})) }),
        )
        .route(
            "/fail/api/v1/cbom",
            axum::routing::get(|| async {
                (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom")
            }),
        )
        .route(
            "/redirect/api/v1/cbom",
            axum::routing::get(|| async {
                axum::response::Redirect::temporary("http://169.254.169.254/latest/meta-data")
            }),
        )
        .route(
            "/huge/api/v1/cbom",
            axum::routing::get(|| async { vec![b' '; 1024 * 1024] }),
        );
    let fake = TestServer::spawn(fake).await;
    for (path, reason) in [
        ("/garbage", "cannot import"),
        ("/notcbom", "cannot import"),
        ("/fail", "500"),
        ("/redirect", "redirect"),
        ("/huge", "more than 65536 bytes"),
    ] {
        let (s, v) = app
            .post_json(
                &op,
                "/api/v1/assessments",
                &body(&org, &fake.url(path), VIEWER_KEY),
            )
            .await;
        assert_eq!(s, 502, "{path}: {v}");
        assert_eq!(v["status"], 502, "{path}: {v}");
        assert!(
            v["detail"].as_str().unwrap().contains(reason),
            "{path}: {v}"
        );
    }
    // Nothing was stored by any of these, and the keys appear nowhere.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM assessments")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
    for key in [VIEWER_KEY, wrong, SERVICE_KEY] {
        assert_eq!(rows_mentioning(&pool, "qrap_audit_log", key).await, 0);
    }
    cp.shutdown.trigger();
}

/// Plain http to loopback is a development setting: production refuses it
/// at start, naming the variable; a bad CIDR list is named too.
#[test]
fn qsgw_settings_are_checked_at_start() {
    let settings = |extra: &[&str]| {
        let mut argv = vec!["risk-api"];
        argv.extend_from_slice(extra);
        risk_api::config::Cli::try_parse_from(argv)
            .unwrap()
            .settings
    };
    let e = risk_api::config::qsgw_settings(&settings(&[
        "--environment",
        "production",
        "--qsgw-allow-http-loopback",
        "true",
    ]))
    .unwrap_err();
    assert_eq!(e.var, "QRAP_QSGW_ALLOW_HTTP_LOOPBACK");
    let e = risk_api::config::qsgw_settings(&settings(&["--qsgw-allowed-targets", "10.0.0.0/33"]))
        .unwrap_err();
    assert_eq!(e.var, "QRAP_QSGW_ALLOWED_TARGETS");
    let ok = risk_api::config::qsgw_settings(&settings(&[
        "--qsgw-allowed-targets",
        "10.0.0.0/8, 127.0.0.1",
        "--qsgw-allow-http-loopback",
        "true",
    ]))
    .unwrap();
    assert_eq!(ok.allowed.len(), 2);
    assert!(ok.allow_http_loopback);
    // The answer is capped as CBOM uploads are (QRAP_CBOM_MAX_BODY_SIZE, 32 MiB by default).
    assert_eq!(ok.max_bytes, 32 * 1024 * 1024);
}
