//! Login, the first admin, users CRUD (admin only), login throttling and
//! the audit trail of logins; password hashes never leave the database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assert_field_error, ADMIN_EMAIL, ADMIN_PASSWORD};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

async fn login(app: &common::TestApp, email: &str, password: &str) -> reqwest::Response {
    app.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(&json!({"email": email, "password": password})),
    )
    .await
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn bootstrap_admin_logs_in_and_token_works(pool: PgPool) {
    let app = common::spawn(pool).await;
    let r = login(&app, &ADMIN_EMAIL.to_uppercase(), ADMIN_PASSWORD).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["role"], "admin");
    assert_eq!(body["token_type"], "Bearer");
    let token = body["access_token"].as_str().unwrap();
    let claims = app.config.jwt.verify(token).unwrap();
    assert_eq!(claims.sub, body["user_id"].as_str().unwrap());
    let r = app
        .call(Method::GET, "/api/v1/users", Some(token), None)
        .await;
    assert_eq!(r.status(), 200);
    let users: Value = r.json().await.unwrap();
    // The bootstrap admin and the harness's one user per role.
    assert_eq!(
        users["items"].as_array().unwrap().len() as i64,
        1 + common::TEST_USERS
    );
    assert!(users["items"][0].get("password_hash").is_none());
    let last_login: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT last_login_at FROM users WHERE lower(email) = lower($1)")
            .bind(ADMIN_EMAIL)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(last_login.is_some());
    let pool2 = app.pool.clone();
    app.stop().await;

    // a second start does not create another admin
    let app = common::spawn(pool2).await;
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 1 + common::TEST_USERS);
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn failed_logins_are_401_and_audited_without_secrets(pool: PgPool) {
    let app = common::spawn(pool).await;
    let wrong = login(&app, ADMIN_EMAIL, "wrong-password-123").await;
    assert_eq!(wrong.status(), 401);
    let wrong: Value = wrong.json().await.unwrap();
    let unknown = login(&app, "nobody@example.com", "wrong-password-123").await;
    assert_eq!(unknown.status(), 401);
    let unknown: Value = unknown.json().await.unwrap();
    // same answer whether or not the account exists
    assert_eq!(wrong["detail"], unknown["detail"]);
    let rows: Vec<(String, String, String, Option<Value>)> = sqlx::query_as(
        "SELECT actor, action, outcome, after FROM qsgw_audit_log WHERE action LIKE 'auth.%' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, ADMIN_EMAIL);
    assert_eq!(rows[0].1, "auth.login_failed");
    assert_eq!(rows[0].2, "failure");
    assert_eq!(rows[1].0, "nobody@example.com");
    let dump: String = sqlx::query_scalar("SELECT string_agg(t::text, ' ') FROM qsgw_audit_log t")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(!dump.contains("wrong-password-123"));
    assert!(!dump.contains("argon2"), "no hash in the audit log: {dump}");

    // malformed logins are 4xx, not 401/500
    let r = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(&json!({"email": "a@b.c"})),
        )
        .await;
    assert_eq!(r.status(), 422);
    let p: Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("password"), "{p}");
    let r = login(
        &app,
        &format!("{}@x.io", "a".repeat(400)),
        "whatever-123456",
    )
    .await;
    assert_field_error(r, "email").await;
    let r = login(&app, "a@b.c", &"p".repeat(2000)).await;
    assert_field_error(r, "password").await;
    app.stop().await;
}

/// A login through a proxy at 127.0.0.1 (trusted in [`behind_a_proxy`])
/// on behalf of the client `from`.
async fn login_from(
    app: &common::TestApp,
    from: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    app.client
        .post(format!("{}/api/v1/auth/login", app.base))
        .header("x-forwarded-for", from)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

/// The app behind a load balancer at 127.0.0.0/8 (`QUANTUN_TRUSTED_PROXIES`),
/// so each test client can be a different address.
async fn behind_a_proxy(pool: PgPool) -> common::TestApp {
    let mut c = common::config(&pool, common::NO_ETCD);
    c.trusted_proxies =
        shared::client_ip::TrustedProxies::new(shared::edge::parse_cidrs("127.0.0.0/8").unwrap());
    c.login_limits.free_failures = 3;
    common::spawn_with(pool, c).await
}

/// Issue 16 item 7: an anonymous flood of wrong passwords for someone
/// else's e-mail slows the flooding address down but does not lock the
/// account (OWASP Authentication Cheat Sheet, "Account Lockout").
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn an_anonymous_login_flood_does_not_lock_the_account(pool: PgPool) {
    let app = behind_a_proxy(pool).await;
    let attacker = "203.0.113.7";
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let r = login_from(&app, attacker, ADMIN_EMAIL, "guess-guess-guess").await;
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert_eq!(
                r.headers()["retry-after"],
                "1",
                "the first back-off step is 1 s"
            );
        }
    }
    assert_eq!(
        statuses,
        [401, 401, 401, 401, 429, 429],
        "3 free failures, then back-off"
    );
    // Even the right password waits out the back-off from that address:
    // the flood cannot test guesses while held back.
    let r = login_from(&app, attacker, ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(r.status(), 429);
    // The owner, from their own address, logs in at once.
    let r = login_from(&app, "198.51.100.2", ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(r.status(), 200, "the account is not locked");
    app.stop().await;
}

/// A client connecting directly cannot pick its throttling key (or its
/// audit address) by sending `X-Forwarded-For`: the header counts only
/// from a trusted proxy, and none is trusted by default.
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn a_forged_forwarded_for_does_not_escape_the_throttle(pool: PgPool) {
    let mut c = common::config(&pool, common::NO_ETCD);
    c.login_limits.free_failures = 3;
    let app = common::spawn_with(pool, c).await;
    let mut statuses = Vec::new();
    for i in 0..5 {
        let r = login_from(
            &app,
            &format!("192.0.2.{i}"),
            ADMIN_EMAIL,
            "guess-guess-guess",
        )
        .await;
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 429], "{statuses:?}");
    let ip: Option<String> = sqlx::query_scalar(
        "SELECT host(client_ip) FROM qsgw_audit_log WHERE action = 'auth.login_failed' LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        ip.as_deref(),
        Some("127.0.0.1"),
        "the audit row names the real peer"
    );
    app.stop().await;
}

/// Behind a trusted proxy the audit log names the client, not the proxy.
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn the_audit_log_names_the_client_behind_a_trusted_proxy(pool: PgPool) {
    let app = behind_a_proxy(pool).await;
    // A forged left-most hop is ignored: the right-most untrusted one counts.
    let r = login_from(
        &app,
        "192.0.2.99, 198.51.100.2",
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
    )
    .await;
    assert_eq!(r.status(), 200);
    let ip: Option<String> = sqlx::query_scalar(
        "SELECT host(client_ip) FROM qsgw_audit_log WHERE action = 'auth.login' LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(ip.as_deref(), Some("198.51.100.2"));
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn logins_are_throttled_per_ip(pool: PgPool) {
    let app = common::spawn(pool).await;
    let mut last = 0;
    for i in 0..21 {
        last = login(&app, &format!("user{i}@example.com"), "guess-guess-guess")
            .await
            .status()
            .as_u16();
    }
    assert_eq!(last, 429, "the 21st attempt from one IP is refused");
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn users_crud_is_admin_only(pool: PgPool) {
    let app = common::spawn(pool).await;
    let new_user = json!({"email": "ops@example.com", "password": "operator-pass-123", "role": "operator", "display_name": "Ops"});
    for t in [&app.operator, &app.viewer] {
        assert_eq!(
            app.call(Method::GET, "/api/v1/users", Some(t), None)
                .await
                .status(),
            403
        );
        assert_eq!(
            app.call(Method::POST, "/api/v1/users", Some(t), Some(&new_user))
                .await
                .status(),
            403
        );
    }
    assert_eq!(
        app.call_service(Method::GET, "/api/v1/users", None)
            .await
            .status(),
        403
    );
    assert_eq!(
        app.call(Method::GET, "/api/v1/users", None, None)
            .await
            .status(),
        401
    );

    let r = app
        .call(
            Method::POST,
            "/api/v1/users",
            Some(&app.admin),
            Some(&new_user),
        )
        .await;
    assert_eq!(r.status(), 201);
    let user: Value = r.json().await.unwrap();
    let id = user["id"].as_str().unwrap().to_owned();
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());
    // duplicate email (case-insensitive), bad role, weak password, bad email
    let mut dup = new_user.clone();
    dup["email"] = json!("OPS@example.com");
    assert_field_error(
        app.call(Method::POST, "/api/v1/users", Some(&app.admin), Some(&dup))
            .await,
        "email",
    )
    .await;
    let mut b = new_user.clone();
    b["role"] = json!("service");
    b["email"] = json!("svc@example.com");
    assert_field_error(
        app.call(Method::POST, "/api/v1/users", Some(&app.admin), Some(&b))
            .await,
        "role",
    )
    .await;
    let mut b = new_user.clone();
    b["password"] = json!("short");
    b["email"] = json!("p@example.com");
    assert_field_error(
        app.call(Method::POST, "/api/v1/users", Some(&app.admin), Some(&b))
            .await,
        "password",
    )
    .await;
    let mut b = new_user.clone();
    b["email"] = json!("not an email");
    assert_field_error(
        app.call(Method::POST, "/api/v1/users", Some(&app.admin), Some(&b))
            .await,
        "email",
    )
    .await;

    // the new operator logs in
    let r = login(&app, "ops@example.com", "operator-pass-123").await;
    assert_eq!(r.status(), 200);
    let tok: Value = r.json().await.unwrap();
    assert_eq!(tok["role"], "operator");

    let op_token = tok["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.call(Method::GET, "/api/v1/routes", Some(&op_token), None)
            .await
            .status(),
        200
    );

    // update with If-Match: stale → 412; then disable → login refused
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/users/{id}")))
        .bearer_auth(&app.admin)
        .header("if-match", "\"7\"")
        .json(&json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/users/{id}")))
        .bearer_auth(&app.admin)
        .header("if-match", "\"1\"")
        .json(&json!({"disabled": true, "password": "new-password-456"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(updated["disabled"], true);
    assert_eq!(updated["version"], 2);
    assert_eq!(
        login(&app, "ops@example.com", "new-password-456")
            .await
            .status(),
        401
    );

    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/users/{id}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/users/{id}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/users/{id}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .call(
            Method::GET,
            "/api/v1/users/usr_'%20or%201=1",
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 404);

    let actions: Vec<String> = app.audit().await.into_iter().map(|(a, _)| a).collect();
    for a in [
        "user.create",
        "user.update",
        "user.delete",
        "auth.login",
        "auth.login_failed",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{a} missing from {actions:?}"
        );
    }
    let dump: String = sqlx::query_scalar("SELECT string_agg(t::text, ' ') FROM qsgw_audit_log t")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(
        !dump.contains("argon2")
            && !dump.contains("operator-pass-123")
            && !dump.contains("new-password-456")
    );
    app.stop().await;
}

/// Issue 16 item 7: `QSGW_CP_RATE_LIMIT` counts a user's requests against
/// the user (another user behind the same address is not held back),
/// unauthenticated ones against the address, and leaves the gateways' API
/// key alone (one key serves the whole fleet).
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn the_api_limit_keys_on_the_user_after_auth_and_the_address_before(pool: PgPool) {
    let mut c = common::config(&pool, common::NO_ETCD);
    c.rate_limit = shared::ratelimit::RateLimit::per_minute(5);
    let app = common::spawn_with(pool, c).await;
    let statuses = |token: Option<String>| {
        let app = &app;
        async move {
            let mut out = Vec::new();
            for _ in 0..6 {
                out.push(
                    app.call(Method::GET, "/api/v1/routes", token.as_deref(), None)
                        .await
                        .status()
                        .as_u16(),
                );
            }
            out
        }
    };
    assert_eq!(
        statuses(Some(app.operator.clone())).await,
        [200, 200, 200, 200, 200, 429]
    );
    assert_eq!(
        statuses(Some(app.viewer.clone())).await,
        [200, 200, 200, 200, 200, 429],
        "the viewer has its own budget on the same address"
    );
    assert_eq!(
        statuses(None).await,
        [401, 401, 401, 401, 401, 429],
        "no credential: the address's budget"
    );
    for _ in 0..20 {
        let s = app
            .call_service(Method::GET, "/api/v1/config/snapshot", None)
            .await
            .status();
        assert_ne!(s, 429, "the gateways' key is not limited");
    }
    // Probes stay reachable for the exhausted address.
    let r = app
        .client
        .get(format!("{}/health", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.stop().await;
}

/// Issue 21 (lock-out): an admin cannot demote or disable itself, and two
/// admins demoting each other at the same moment cannot leave the control
/// plane without an enabled admin: one change wins, the other is refused.
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn the_last_admin_cannot_be_removed(pool: PgPool) {
    let app = common::spawn(pool).await;
    let a = app.subject(&app.admin);
    for body in [json!({"role": "operator"}), json!({"disabled": true})] {
        let r = app
            .call(
                Method::PATCH,
                &format!("/api/v1/users/{a}"),
                Some(&app.admin),
                Some(&body),
            )
            .await;
        assert_eq!(r.status(), 409, "{body}");
    }
    // The bootstrap admin (B) and the harness's admin (A) demote each
    // other at once.
    let b_login: Value = login(&app, ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let b_token = b_login["access_token"].as_str().unwrap().to_owned();
    let b = b_login["user_id"].as_str().unwrap().to_owned();
    let demote = json!({"role": "viewer"});
    let (path_b, path_a) = (format!("/api/v1/users/{b}"), format!("/api/v1/users/{a}"));
    let (ra, rb) = tokio::join!(
        app.call(Method::PATCH, &path_b, Some(&app.admin), Some(&demote)),
        app.call(Method::PATCH, &path_a, Some(&b_token), Some(&demote)),
    );
    let mut statuses = [ra.status().as_u16(), rb.status().as_u16()];
    statuses.sort_unstable();
    // The loser is refused: 409 (last admin) or 401 (its own session
    // ended with the winner's change before its request was checked).
    assert_eq!(statuses[0], 200, "{statuses:?}");
    assert!(matches!(statuses[1], 401 | 409), "{statuses:?}");
    let admins: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE role = 'admin' AND NOT disabled")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(admins, 1, "one enabled admin is left");
    app.stop().await;
}
