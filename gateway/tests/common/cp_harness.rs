//! A real control plane started in-process on a test database, for the
//! tests of what the gateway reports (registration, heartbeats, session
//! records, threat events).

use std::time::{Duration, Instant};

use clap::Parser;
use serde_json::Value;
use shared::auth::Role;
use shared::server::Shutdown;
use sqlx::PgPool;

pub const KEY: &str = "gateway-test-service-key-0123";

/// A running control plane and a viewer token for reading it.
pub struct ControlPlane {
    pub base: String,
    pub viewer: String,
    pub shutdown: Shutdown,
}

impl ControlPlane {
    /// Starts on `port` (0 = any); etcd points nowhere so the shared test
    /// etcd's `/qsgw/v1/` prefix is left alone.
    pub async fn start(pool: &PgPool, port: u16) -> Self {
        let cli = control_plane::config::Cli::try_parse_from([
            "control-plane",
            "--database-url",
            "postgres://unused@127.0.0.1/unused",
            "--jwt-secret",
            shared::test_util::TEST_JWT_SECRET,
            "--api-key",
            KEY,
            "--etcd-endpoints",
            "http://127.0.0.1:1",
        ])
        .unwrap();
        let mut c = control_plane::config::Config::from_settings(cli.settings).unwrap();
        c.database = (*pool.connect_options()).clone();
        c.host = "127.0.0.1".into();
        c.port = port;
        c.pool.min_conns = 0;
        c.pool.max_conns = 5;
        c.shutdown_grace = Duration::from_secs(1);
        let shutdown = Shutdown::new();
        let jwt = c.jwt.clone();
        let app = control_plane::startup::Application::build(c, shutdown.clone())
            .await
            .unwrap();
        // Control-plane tokens must name a real user (issue 16).
        let viewer_id = shared::ids::UserId::new();
        sqlx::query("INSERT INTO users (id, email, password_hash, role) VALUES ($1, $1 || '@test.example', '$argon2id$unusable', $2)")
            .bind(viewer_id.as_str())
            .bind(Role::Viewer.as_str())
            .execute(pool)
            .await
            .unwrap();
        let viewer = control_plane::auth::revocation::issue_for_user(
            pool,
            &jwt,
            viewer_id.as_str(),
            jwt.ttl(),
        )
        .await
        .unwrap()
        .unwrap()
        .0;
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Self {
            base,
            viewer,
            shutdown,
        }
    }

    pub async fn get(&self, path: &str) -> Value {
        let r = shared::test_util::client()
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.viewer)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "GET {path}");
        r.json().await.unwrap()
    }

    /// Polls `path` until `ok` holds on its body (10 s at most).
    pub async fn wait_for(&self, path: &str, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let body = self.get(path).await;
            if ok(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {body}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
