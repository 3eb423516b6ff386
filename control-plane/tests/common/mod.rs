//! Test harness: the real control plane (`Application::build`) on port 0
//! against a fresh `#[sqlx::test]` database, with tokens per role and one
//! helper per endpoint.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use clap::Parser;
use control_plane::config::{Cli, Config};
use control_plane::startup::Application;
use reqwest::{Method, Response};
use serde_json::{json, Value};
use shared::auth::Role;
use shared::config::Secret;
use shared::server::Shutdown;
use sqlx::PgPool;

/// Bootstrap admin credentials.
pub const ADMIN_EMAIL: &str = "admin@example.com";
/// Bootstrap admin password.
pub const ADMIN_PASSWORD: &str = "admin-password-0123";
/// Service API key.
pub const API_KEY: &str = "test-service-key-0123456789";
/// An etcd endpoint nothing listens on: tests that do not look at etcd must
/// not write the shared `/qsgw/v1/` prefix other suites may read.
pub const NO_ETCD: &str = "http://127.0.0.1:1";

/// A running control plane.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub pool: PgPool,
    pub config: Config,
    pub shutdown: Shutdown,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
    pub admin: String,
    pub operator: String,
    pub viewer: String,
}

/// The config for `pool`'s database and `etcd`.
pub fn config(pool: &PgPool, etcd: &str) -> Config {
    let cli = Cli::try_parse_from([
        "control-plane",
        "--database-url",
        "postgres://unused@127.0.0.1/unused",
        "--jwt-secret",
        shared::test_util::TEST_JWT_SECRET,
        "--api-key",
        API_KEY,
        "--etcd-endpoints",
        etcd,
    ])
    .expect("valid flags");
    let mut c = Config::from_settings(cli.settings).expect("valid config");
    c.database = (*pool.connect_options()).clone();
    c.host = "127.0.0.1".into();
    c.port = 0;
    c.pool.min_conns = 0;
    c.pool.max_conns = 5;
    c.bootstrap_admin = Some((ADMIN_EMAIL.to_owned(), Secret::new(ADMIN_PASSWORD)));
    c.shutdown_grace = std::time::Duration::from_secs(2);
    // No refill during a test: throttling assertions must not depend on speed.
    c.login_limits.ip_refill = std::time::Duration::from_secs(3600);
    c
}

/// Starts the app on `pool` with etcd at `etcd`.
pub async fn spawn_with(pool: PgPool, config: Config) -> TestApp {
    let shutdown = Shutdown::new();
    let app = Application::build(config.clone(), shutdown.clone())
        .await
        .expect("build");
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(app.run_until_stopped());
    let admin = user_token(&pool, &config, Role::Admin).await;
    let operator = user_token(&pool, &config, Role::Operator).await;
    let viewer = user_token(&pool, &config, Role::Viewer).await;
    TestApp {
        base,
        client: shared::test_util::client(),
        pool,
        admin,
        operator,
        viewer,
        config,
        shutdown,
        server,
    }
}

/// A token of a real user with `role` (created for the purpose): control-
/// plane tokens must name an existing, enabled user.
pub async fn user_token(pool: &PgPool, config: &Config, role: Role) -> String {
    let id = create_user(pool, role).await;
    control_plane::auth::revocation::issue_for_user(pool, &config.jwt, &id, config.jwt.ttl())
        .await
        .unwrap()
        .unwrap()
        .0
}

/// Number of users [`spawn_with`] adds next to the bootstrap admin.
pub const TEST_USERS: i64 = 3;

/// The test user of `role` (one fixed id per role, no usable password),
/// created on first use; returns its id.
pub async fn create_user(pool: &PgPool, role: Role) -> String {
    let n = match role {
        Role::Admin => 1,
        Role::Operator => 2,
        Role::Viewer => 3,
        Role::Service => panic!("control-plane users are admin, operator or viewer"),
    };
    let id = format!("usr_{n:032x}");
    sqlx::query(
        "INSERT INTO users (id, email, password_hash, role) VALUES ($1, $2, '$argon2id$unusable', $3)
         ON CONFLICT (id) DO NOTHING",
    )
    .bind(&id)
    .bind(format!("test-{}@test.example", role.as_str()))
    .bind(role.as_str())
    .execute(pool)
    .await
    .unwrap();
    id
}

/// Starts the app without a reachable etcd.
pub async fn spawn(pool: PgPool) -> TestApp {
    let c = config(&pool, NO_ETCD);
    spawn_with(pool, c).await
}

impl TestApp {
    /// The user id a token of this app names.
    pub fn subject(&self, token: &str) -> String {
        self.config.jwt.verify(token).unwrap().sub
    }

    /// `base + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with a bearer token (`None`: anonymous).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.unwrap()
    }

    /// Same with the service API key.
    pub async fn call_service(&self, method: Method, path: &str, body: Option<&Value>) -> Response {
        let mut req = self
            .client
            .request(method, self.url(path))
            .header("x-api-key", API_KEY);
        if let Some(b) = body {
            req = req.json(b);
        }
        req.send().await.unwrap()
    }

    /// Creates an upstream as operator, asserting 201.
    pub async fn create_upstream(&self, name: &str) -> Value {
        let r = self
            .call(
                Method::POST,
                "/api/v1/upstreams",
                Some(&self.operator),
                Some(&upstream_body(name)),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    /// Registers a gateway named `name` with the service key; its id.
    pub async fn register_gateway(&self, name: &str) -> String {
        let r = self
            .call_service(
                Method::POST,
                "/api/v1/gateways/register",
                Some(&serde_json::json!({"name": name, "address": "10.0.0.5:8443", "software_version": "0.1.0"})),
            )
            .await;
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates an upstream from `body` as operator, asserting 201.
    pub async fn create_upstream_body(&self, body: &Value) -> Value {
        let r = self
            .call(
                Method::POST,
                "/api/v1/upstreams",
                Some(&self.operator),
                Some(body),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    /// Creates a route as operator, asserting 201.
    pub async fn create_route(&self, body: &Value) -> Value {
        let r = self
            .call(
                Method::POST,
                "/api/v1/routes",
                Some(&self.operator),
                Some(body),
            )
            .await;
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        r.json().await.unwrap()
    }

    /// Audit rows (action, resource_id), oldest first.
    pub async fn audit(&self) -> Vec<(String, Option<String>)> {
        sqlx::query_as("SELECT action, resource_id FROM qsgw_audit_log ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.shutdown.trigger();
        let _ = self.server.await;
    }
}

/// A valid upstream body.
pub fn upstream_body(name: &str) -> Value {
    json!({
        "name": name,
        "targets": [{"host": "10.0.0.5", "port": 8080, "weight": 2}, {"host": "backend.internal", "port": 9000}],
        "lb_policy": "weighted",
        "health_check": {"enabled": true, "path": "/healthz", "interval_ms": 5000, "timeout_ms": 1000},
        "connect_timeout_ms": 2000
    })
}

/// A valid route body for `upstream_id`.
pub fn route_body(upstream_id: &str, path: &str) -> Value {
    json!({
        "name": format!("route {path}"),
        "host": "API.Example.com",
        "path": path,
        "methods": ["POST", "GET"],
        "upstream_id": upstream_id,
        "timeout_ms": 3000,
        "rate_limit": {"rps": 50, "burst": 100},
        "tls_policy": "PQC_ONLY",
        "inspection": "sync"
    })
}

/// Asserts a 422 problem naming `field`.
pub async fn assert_field_error(r: Response, field: &str) -> Value {
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 422, "expected 422 on {field}: {body}");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {body}"))
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert!(fields.contains(&field), "expected field {field} in {body}");
    body
}
