//! Issue 16 items 5 and 8: control-plane tokens are user sessions. A token
//! must name an existing, enabled user with its current role and token
//! version; password change, role change, disabling and logout end every
//! live token of that user at once; refresh tokens renew short access
//! tokens until then. Plus the JWT attack matrix (RFC 8725) against the
//! real API, and NUL characters at login.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{ADMIN_EMAIL, ADMIN_PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};
use shared::auth::{JwtKeys, Role};
use shared::config::Secret;
use sqlx::PgPool;

async fn login(app: &common::TestApp, email: &str, password: &str) -> Value {
    let r = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&json!({"email": email, "password": password})),
        )
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn status(app: &common::TestApp, token: &str) -> u16 {
    app.call(Method::GET, "/api/v1/routes", Some(token), None)
        .await
        .status()
        .as_u16()
}

async fn refresh(app: &common::TestApp, refresh_token: &str) -> (u16, Value) {
    let r = app
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(&json!({ "refresh_token": refresh_token })),
        )
        .await;
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn create_operator(app: &common::TestApp, email: &str) -> String {
    let r = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&app.admin),
            Some(&json!({"email": email, "password": "operator-pass-123", "role": "operator"})),
        )
        .await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    v["id"].as_str().unwrap().to_owned()
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn password_change_role_change_disable_and_logout_end_sessions(pool: PgPool) {
    let app = common::spawn(pool).await;
    let id = create_operator(&app, "ops@example.com").await;
    let patch = |body: Value| {
        let app = &app;
        let id = id.clone();
        async move {
            app.call(
                Method::PATCH,
                &format!("/api/v1/users/{id}"),
                Some(&app.admin),
                Some(&body),
            )
            .await
            .status()
        }
    };

    // Password change: the old access and refresh tokens die, a new login works.
    let s1 = login(&app, "ops@example.com", "operator-pass-123").await;
    let t1 = s1["access_token"].as_str().unwrap();
    assert_eq!(status(&app, t1).await, 200);
    assert_eq!(patch(json!({"password": "operator-pass-456"})).await, 200);
    assert_eq!(status(&app, t1).await, 401);
    assert_eq!(
        refresh(&app, s1["refresh_token"].as_str().unwrap()).await.0,
        401
    );
    let s2 = login(&app, "ops@example.com", "operator-pass-456").await;
    let t2 = s2["access_token"].as_str().unwrap();
    assert_eq!(status(&app, t2).await, 200);

    // Role change (even a promotion) ends it too.
    assert_eq!(patch(json!({"role": "admin"})).await, 200);
    assert_eq!(status(&app, t2).await, 401);
    assert_eq!(patch(json!({"role": "operator"})).await, 200);

    // Disable.
    let s3 = login(&app, "ops@example.com", "operator-pass-456").await;
    let t3 = s3["access_token"].as_str().unwrap();
    assert_eq!(status(&app, t3).await, 200);
    assert_eq!(patch(json!({"disabled": true})).await, 200);
    assert_eq!(status(&app, t3).await, 401);
    // Re-enabling does not bring the old token back.
    assert_eq!(patch(json!({"disabled": false})).await, 200);
    assert_eq!(status(&app, t3).await, 401);

    // Logout ends the access and the refresh token, and is audited.
    let s4 = login(&app, "ops@example.com", "operator-pass-456").await;
    let t4 = s4["access_token"].as_str().unwrap();
    let r4 = s4["refresh_token"].as_str().unwrap();
    let r = app
        .call(Method::POST, "/api/v1/auth/logout", Some(t4), None)
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(status(&app, t4).await, 401);
    assert_eq!(refresh(&app, r4).await.0, 401);
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM qsgw_audit_log WHERE action = 'auth.logout' AND actor = $1",
    )
    .bind(&id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(n, 1);
    // Another user's session is untouched by all of this.
    assert_eq!(status(&app, &app.operator).await, 200);
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn refresh_renews_short_access_tokens(pool: PgPool) {
    let app = common::spawn(pool).await;
    let s = login(&app, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    // 15 minutes by default (QSGW_JWT_TTL_SECS), refresh 12 h.
    assert_eq!(s["expires_in"], 900);
    assert_eq!(s["refresh_expires_in"], 43_200);
    let (code, r) = refresh(&app, s["refresh_token"].as_str().unwrap()).await;
    assert_eq!(code, 200, "{r}");
    let fresh = r["access_token"].as_str().unwrap();
    assert_eq!(status(&app, fresh).await, 200);
    // A refresh token is not an access token, nor the reverse.
    assert_eq!(
        status(&app, s["refresh_token"].as_str().unwrap()).await,
        401
    );
    assert_eq!(refresh(&app, fresh).await.0, 401);
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn tokens_must_name_an_existing_enabled_user(pool: PgPool) {
    let app = common::spawn(pool).await;
    let jwt = &app.config.jwt;
    // Validly signed, but the subject is no user: an invented user id, a
    // service name, or a real user with a role it does not have or an
    // old token version.
    let invented = shared::ids::UserId::new();
    let real = app.subject(&app.viewer);
    for (what, token) in [
        (
            "unknown user id",
            jwt.issue(invented.as_str(), Role::Admin, None).unwrap().0,
        ),
        (
            "service subject",
            jwt.issue("ci-bot", Role::Service, None).unwrap().0,
        ),
        (
            "admin name",
            jwt.issue("admin", Role::Admin, None).unwrap().0,
        ),
        (
            "role not the user's",
            jwt.issue(&real, Role::Admin, None).unwrap().0,
        ),
        (
            "stale token version",
            jwt.issue_with(&real, Role::Viewer, None, Some(7), jwt.ttl())
                .unwrap()
                .0,
        ),
    ] {
        assert_eq!(status(&app, &token).await, 401, "{what}");
    }
    // Deleted user.
    let id = create_operator(&app, "gone@example.com").await;
    let s = login(&app, "gone@example.com", "operator-pass-123").await;
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{id}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(status(&app, s["access_token"].as_str().unwrap()).await, 401);
    app.stop().await;
}

/// RFC 8725 attacks against the real control plane (see
/// `shared::test_util::jwt_attacks`), a QRAP token signed with the same
/// secret, and a valid token in the query string: 401 each.
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn jwt_attack_matrix(pool: PgPool) {
    let app = common::spawn(pool).await;
    let valid = app.config.jwt.verify(&app.admin).unwrap();
    assert_eq!(status(&app, &app.admin).await, 200);
    for (attack, token) in
        shared::test_util::jwt_attacks(shared::test_util::TEST_JWT_SECRET, &valid)
    {
        assert_eq!(status(&app, &token).await, 401, "{attack}");
    }
    // A risk-api token (issuer qrap, audience qrap-api) under the same secret.
    let qrap = JwtKeys::new(
        "X",
        &Secret::new(shared::test_util::TEST_JWT_SECRET),
        "qrap",
        "qrap-api",
        std::time::Duration::from_secs(600),
    )
    .unwrap();
    let (t, _) = qrap.issue(&valid.sub, Role::Admin, None).unwrap();
    assert_eq!(status(&app, &t).await, 401, "risk-api token");
    // The token in the query string is no credential.
    for q in ["access_token", "token", "jwt"] {
        let r = app
            .call(
                Method::GET,
                &format!("/api/v1/routes?{q}={}", app.admin),
                None,
                None,
            )
            .await;
        assert_eq!(r.status(), 401, "?{q}=");
    }
    app.stop().await;
}

/// Issue 16 item 8: a NUL in the login e-mail used to reach Postgres (500).
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn nul_in_login_is_422(pool: PgPool) {
    let app = common::spawn(pool).await;
    for body in [
        json!({"email": "a\u{0000}@example.com", "password": "whatever-123"}),
        json!({"email": "admin@example.com", "password": "x\u{0000}"}),
    ] {
        let r = app
            .call(Method::POST, "/api/v1/auth/login", None, Some(&body))
            .await;
        assert_eq!(r.status(), 422, "{body}");
    }
    let r = app
        .call(
            Method::POST,
            "/api/v1/upstreams",
            Some(&app.operator),
            Some(&json!({"name": "u1", "description": "d\u{0000}", "targets": [{"host": "10.0.0.1", "port": 80}]})),
        )
        .await;
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["errors"][0]["field"], "description", "{v}");
    app.stop().await;
}
