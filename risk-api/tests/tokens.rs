//! Issue 16 item 5 (risk API): a QRAP token can be revoked before its
//! expiry, on every route, by an admin of its organization; the deny list
//! is bounded by token lifetime. And the JWT attack matrix of RFC 8725
//! against the real risk API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{ml_engine, App, SECRET};
use serde_json::json;
use shared::auth::{JwtKeys, Role};
use shared::config::Secret;
use sqlx::PgPool;

const REVOKE: &str = "/api/v1/tokens/revoke";

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn a_revoked_token_is_refused_everywhere_and_others_are_not(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let leaked = app.token(Role::Operator, Some(&org));
    let sibling = app.token(Role::Operator, Some(&org));
    let paths = [
        "/api/v1/me".to_owned(),
        format!("/api/v1/assessments?organization_id={org}"),
        format!("/api/v1/organizations/{org}"),
    ];
    for p in &paths {
        assert_eq!(app.get(&leaked, p).await.0, 200, "{p}");
    }
    // The organization's own admin revokes it.
    let org_admin = app.token(Role::Admin, Some(&org));
    let (s, v) = app
        .post_json(&org_admin, REVOKE, &json!({"token": leaked}))
        .await;
    assert_eq!(s, 204, "{v}");
    for p in &paths {
        let (s, v) = app.get(&leaked, p).await;
        assert_eq!(s, 401, "{p}: {v}");
        assert!(v["detail"].as_str().unwrap().contains("revoked"), "{v}");
    }
    let (s, _) = app
        .post_json(
            &leaked,
            &format!("/api/v1/assessments?organization_id={org}"),
            &json!({"name": "x", "inventory": common::inventory()}),
        )
        .await;
    assert_eq!(s, 401, "a revoked token cannot write either");
    // Same subject, same role, another token: unaffected.
    assert_eq!(app.get(&sibling, "/api/v1/me").await.0, 200);
    // Revoking again is a no-op.
    let (s, _) = app
        .post_json(&org_admin, REVOKE, &json!({"token": leaked}))
        .await;
    assert_eq!(s, 204);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM revoked_tokens")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn only_admins_revoke_and_only_within_their_organization(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let a = app.create_org("A").await;
    let b = app.create_org("B").await;
    let victim = app.token(Role::Viewer, Some(&b));
    // An operator, even of B, may not revoke.
    let (s, _) = app
        .post_json(
            &app.token(Role::Operator, Some(&b)),
            REVOKE,
            &json!({"token": victim}),
        )
        .await;
    assert_eq!(s, 403);
    // A's admin may not end B's sessions.
    let (s, _) = app
        .post_json(
            &app.token(Role::Admin, Some(&a)),
            REVOKE,
            &json!({"token": victim}),
        )
        .await;
    assert_eq!(s, 403);
    // Nor revoke blindly by id.
    let jti = app.jwt.verify(&victim).unwrap().jti;
    let (s, _) = app
        .post_json(
            &app.token(Role::Admin, Some(&a)),
            REVOKE,
            &json!({"jti": jti}),
        )
        .await;
    assert_eq!(s, 403);
    assert_eq!(app.get(&victim, "/api/v1/me").await.0, 200);
    // A platform admin may, by id.
    let (s, _) = app
        .post_json(&app.admin(), REVOKE, &json!({"jti": jti}))
        .await;
    assert_eq!(s, 204);
    assert_eq!(app.get(&victim, "/api/v1/me").await.0, 401);
    // Bad requests name the field.
    for body in [
        json!({}),
        json!({"token": "x", "jti": "y"}),
        json!({"token": "not-a-jwt"}),
    ] {
        let (s, v) = app.post_json(&app.admin(), REVOKE, &body).await;
        assert_eq!(s, 422, "{body}: {v}");
        assert_eq!(v["errors"][0]["field"], "token", "{v}");
    }
    let (s, v) = app
        .post_json(&app.admin(), REVOKE, &json!({"jti": "a\u{0000}b"}))
        .await;
    assert_eq!(s, 422, "{v}");
}

/// The deny list holds only what can still be presented: an expired
/// token is not stored, and entries past their token's expiry are purged.
#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn the_deny_list_expires_with_the_tokens(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    sqlx::query(
        "INSERT INTO revoked_tokens (jti, expires_at, revoked_by) VALUES ('old', now() - interval '1 minute', 'test')",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let mut claims = app.jwt.verify(&app.admin()).unwrap();
    claims.exp = chrono::Utc::now().timestamp() - 600;
    claims.jti = "already-expired".into();
    let expired = app.jwt.sign(&claims).unwrap();
    let (s, _) = app
        .post_json(&app.admin(), REVOKE, &json!({"token": expired}))
        .await;
    assert_eq!(s, 204);
    let live = app.token(Role::Viewer, None);
    let (s, _) = app
        .post_json(&app.admin(), REVOKE, &json!({"token": live}))
        .await;
    assert_eq!(s, 204);
    let jtis: Vec<String> = sqlx::query_scalar("SELECT jti FROM revoked_tokens ORDER BY jti")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(jtis, [app.jwt.verify(&live).unwrap().jti]);
}

/// RFC 8725 attacks (`shared::test_util::jwt_attacks`) against the real
/// risk API, a control-plane token signed with the same secret, and a
/// valid token in the query string: 401 each.
#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn jwt_attack_matrix(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let admin = app.admin();
    assert_eq!(app.get(&admin, "/api/v1/organizations").await.0, 200);
    let valid = app.jwt.verify(&admin).unwrap();
    for (attack, token) in shared::test_util::jwt_attacks(SECRET, &valid) {
        let (s, v) = app.get(&token, "/api/v1/organizations").await;
        assert_eq!(s, 401, "{attack}: {v}");
    }
    // A control-plane token (control-plane/src/config.rs JWT_ISSUER and
    // JWT_AUDIENCE) under the same secret.
    let qsgw = JwtKeys::new(
        "QSGW_JWT_SECRET",
        &Secret::new(SECRET),
        "qsgw",
        "qsgw-control-plane",
        std::time::Duration::from_secs(600),
    )
    .unwrap();
    let (t, _) = qsgw.issue(&valid.sub, Role::Admin, None).unwrap();
    assert_eq!(
        app.get(&t, "/api/v1/organizations").await.0,
        401,
        "control-plane token"
    );
    for q in ["access_token", "token", "jwt"] {
        let r = shared::test_util::client()
            .get(app.url(&format!("/api/v1/organizations?{q}={admin}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "?{q}=");
    }
}
