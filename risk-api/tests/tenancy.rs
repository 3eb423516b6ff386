//! Tenancy across two organizations on every endpoint, roles, the audit
//! chain (verify detects an edited row), the token subcommand, rate and
//! body limits, organization CRUD input checks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{inventory, ml_engine, App, API_KEY, SECRET};
use serde_json::json;
use shared::auth::Role;
use shared::test_util::client;
use sqlx::PgPool;

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn organizations_see_only_themselves(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let a = app.create_org("Alpha").await;
    let b = app.create_org("Beta").await;
    let op_a = app.token(Role::Operator, Some(&a));
    let op_b = app.token(Role::Operator, Some(&b));
    let viewer_a = app.token(Role::Viewer, Some(&a));
    let (_, v) = app
        .post_json(
            &op_b,
            "/api/v1/assessments",
            &json!({"name": "b1", "inventory": inventory()}),
        )
        .await;
    let b_asm = v["id"].as_str().unwrap().to_owned();
    app.wait(&op_b, &b_asm).await;
    let (_, v) = app
        .post_json(
            &op_a,
            "/api/v1/assessments",
            &json!({"name": "a1", "inventory": inventory()}),
        )
        .await;
    let a_asm = v["id"].as_str().unwrap().to_owned();
    app.wait(&op_a, &a_asm).await;

    // Reads of B's resources by A's users: 404, as if they did not exist.
    for path in [
        format!("/api/v1/organizations/{b}"),
        format!("/api/v1/assessments/{b_asm}"),
        format!("/api/v1/assessments/{b_asm}/findings"),
        format!("/api/v1/assessments/{b_asm}/summary"),
        format!("/api/v1/assessments/{b_asm}/report?format=csv"),
    ] {
        for t in [&op_a, &viewer_a] {
            let (s, v) = app.get(t, &path).await;
            assert_eq!(s, 404, "{path}: {v}");
        }
    }
    // Own resources: 200.
    for path in [
        format!("/api/v1/organizations/{a}"),
        format!("/api/v1/assessments/{a_asm}"),
        format!("/api/v1/assessments/{a_asm}/findings"),
        format!("/api/v1/assessments/{a_asm}/summary"),
    ] {
        assert_eq!(app.get(&viewer_a, &path).await.0, 200, "{path}");
    }
    // Lists contain only A.
    let (_, orgs) = app.get(&viewer_a, "/api/v1/organizations").await;
    assert_eq!(orgs["items"].as_array().unwrap().len(), 1);
    assert_eq!(orgs["items"][0]["id"], a.as_str());
    let (_, list) = app
        .get(
            &viewer_a,
            &format!("/api/v1/assessments?organization_id={b}"),
        )
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let (_, list) = app.get(&viewer_a, "/api/v1/assessments").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // Writes into B: 404.
    let (s, _) = app
        .post_json(
            &op_a,
            &format!("/api/v1/assessments/{b_asm}/rerun"),
            &json!({}),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .post_json(
            &op_a,
            "/api/v1/assessments",
            &json!({"organization_id": b, "name": "sneaky", "inventory": inventory()}),
        )
        .await;
    assert_eq!(s, 404);
    // Deletes are admin-only, and admins see everything.
    let r = client()
        .delete(app.url(&format!("/api/v1/assessments/{a_asm}")))
        .bearer_auth(&op_a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = client()
        .patch(app.url(&format!("/api/v1/organizations/{a}")))
        .bearer_auth(&op_a)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let (_, all) = app.get(&app.admin(), "/api/v1/assessments").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    // Malformed ids are 404 too; a token without org sees nothing.
    assert_eq!(
        app.get(&op_a, "/api/v1/assessments/asmnt_'%20OR%201=1")
            .await
            .0,
        404
    );
    assert_eq!(
        app.get(&app.token(Role::Viewer, None), "/api/v1/assessments")
            .await
            .0,
        403
    );
    // An API key bound to no organization is a service client of no
    // tenant: it sees nothing (tenancy is a property of the credential).
    let r = client()
        .get(app.url(&format!("/api/v1/assessments/{b_asm}")))
        .header("x-api-key", API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = client()
        .get(app.url("/api/v1/assessments"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Admin deletes; the finding rows go with it.
    let r = client()
        .delete(app.url(&format!("/api/v1/assessments/{b_asm}")))
        .bearer_auth(app.admin())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM findings WHERE assessment_id = $1",
            &b_asm
        )
        .await,
        0
    );
    assert_eq!(
        app.get(&op_b, &format!("/api/v1/assessments/{b_asm}"))
            .await
            .0,
        404
    );
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn organization_crud_checks_input(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let admin = app.admin();
    let id = app.create_org("Gamma").await;
    let (s, _) = app
        .post_json(&admin, "/api/v1/organizations", &json!({"name": "gamma"}))
        .await;
    assert_eq!(s, 409);
    for body in [
        json!({"name": ""}),
        json!({"name": "x".repeat(201)}),
        json!({"name": "a\u{0000}b"}),
        json!({"name": "ok", "extra": 1}),
        json!({"name": 5}),
    ] {
        let (s, v) = app.post_json(&admin, "/api/v1/organizations", &body).await;
        assert_eq!(s, 422, "{body}: {v}");
    }
    let r = client()
        .patch(app.url(&format!("/api/v1/organizations/{id}")))
        .bearer_auth(&admin)
        .json(&json!({"description": "d"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["version"], 2);
    let r = client()
        .delete(app.url(&format!("/api/v1/organizations/{id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        app.get(&admin, &format!("/api/v1/organizations/{id}"))
            .await
            .0,
        404
    );
    // Every mutation left an audit row.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM qrap_audit_log WHERE resource_id = $1")
        .bind(&id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 3);
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn audit_verify_names_an_edited_row(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool.clone(), &ml).await;
    for name in ["One", "Two", "Three"] {
        app.create_org(name).await;
    }
    let (s, v) = app.get(&app.admin(), "/api/v1/audit/verify").await;
    assert_eq!(s, 200);
    assert_eq!(v["intact"], true);
    assert_eq!(v["rows"], 3);
    let viewer = app.token(Role::Viewer, Some(&app.create_org("Four").await));
    assert_eq!(app.get(&viewer, "/api/v1/audit/verify").await.0, 403);

    // Tamper as the database superuser: bypass the append-only trigger.
    let second: i64 =
        sqlx::query_scalar("SELECT id FROM qrap_audit_log ORDER BY id OFFSET 1 LIMIT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE qrap_audit_log DISABLE TRIGGER qrap_audit_log_no_update_delete")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE qrap_audit_log SET actor = 'mallory' WHERE id = $1")
        .bind(second)
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE qrap_audit_log ENABLE TRIGGER qrap_audit_log_no_update_delete")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let (_, v) = app.get(&app.admin(), "/api/v1/audit/verify").await;
    assert_eq!(v["intact"], false, "{v}");
    assert_eq!(v["first_broken_id"], second);
    assert_eq!(v["problems"][0]["problem"], "row_hash_mismatch");
}

/// Issue 16 item 7: the limit counts an authenticated request against its
/// principal and an unauthenticated one against its address. Users behind
/// one address do not share a budget; a caller without a valid credential
/// (here: forged tokens) spends only its address's budget, never a user's.
#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn rate_limit_keys_on_the_principal_after_auth_and_the_ip_before(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start_with(pool, &ml, |c| c.rate_limit_per_minute = 5).await;
    let get = |token: String| {
        let url = app.url("/api/v1/organizations");
        async move {
            client()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.AAAA".to_owned();
    let mut anonymous = Vec::new();
    for _ in 0..6 {
        anonymous.push(get(forged.clone()).await);
    }
    assert_eq!(
        anonymous,
        [401, 401, 401, 401, 401, 429],
        "per IP before auth"
    );
    // Same address, but a verified principal: its own budget.
    let admin = app.admin();
    let mut first = Vec::new();
    for _ in 0..6 {
        first.push(get(admin.clone()).await);
    }
    assert_eq!(
        first,
        [200, 200, 200, 200, 200, 429],
        "per principal after auth"
    );
    let other = app
        .jwt
        .issue("second-user@example.com", Role::Admin, None)
        .unwrap()
        .0;
    assert_eq!(
        get(other).await,
        200,
        "another user is not held back by the first"
    );
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn rate_limit_and_body_limit(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start_with(pool.clone(), &ml, |c| c.rate_limit_per_minute = 5).await;
    let admin = app.admin();
    let mut limited = None;
    for _ in 0..30 {
        let r = client()
            .get(app.url("/api/v1/organizations"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        if r.status() == 429 {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), 200);
    }
    let r = limited.expect("never rate limited");
    assert!(r.headers().get("retry-after").is_some());
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/problem+json"));

    // Body limit: 1 MiB for ordinary routes, the CBOM limit only on uploads.
    let app = App::start(pool, &ml).await;
    let admin = app.admin();
    let big = json!({"name": "x".repeat(2 * 1024 * 1024)});
    let (s, _) = app.post_json(&admin, "/api/v1/organizations", &big).await;
    assert_eq!(s, 413);
    let org = app.create_org("Big").await;
    let op = app.token(Role::Operator, Some(&org));
    let mut doc = String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":["#);
    let mut i = 0;
    while doc.len() < 2 * 1024 * 1024 {
        doc.push_str(&format!(r#"{{"type":"cryptographic-asset","bom-ref":"a{i}","name":"RSA-2048","cryptoProperties":{{"assetType":"algorithm","algorithmProperties":{{"primitive":"pke"}}}}}},"#));
        i += 1;
    }
    doc.pop();
    doc.push_str("]}");
    let (s, v) = app
        .post_raw(
            &op,
            "/api/v1/assessments",
            "application/vnd.cyclonedx+json",
            doc.into_bytes(),
        )
        .await;
    assert_eq!(s, 202, "{v}");
    let done = app.wait(&op, v["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
}

/// The `token` subcommand as `main` runs it (clap parsing, then
/// `mint_token`). Not through the binary: the shared cargo target directory
/// holds one `debug/risk-api`, which sibling checkouts rebuild mid-run.
#[test]
fn token_subcommand_mints_a_verifiable_token() {
    use clap::Parser;
    use risk_api::config::{mint_token, Cli, Command};
    let org = shared::ids::OrgId::new();
    let run = |args: &[&str]| {
        let mut argv = vec!["risk-api", "--jwt-secret", SECRET, "token"];
        argv.extend_from_slice(args);
        let cli = Cli::try_parse_from(argv).unwrap();
        match cli.command {
            Some(Command::Token { org, role, subject }) => {
                mint_token(&cli.settings, org.as_deref(), &role, &subject)
            }
            Some(Command::Migrate | Command::Web(_) | Command::ImportQsgw(_)) | None => {
                panic!("token subcommand not parsed")
            }
        }
    };
    let token = run(&["--org", org.as_str(), "--role", "operator"]).unwrap();
    let keys = shared::auth::JwtKeys::new(
        "QUANTUN_JWT_SECRET",
        &shared::config::Secret::new(SECRET),
        "qrap",
        risk_api::config::JWT_AUDIENCE,
        std::time::Duration::from_secs(60),
    )
    .unwrap();
    let claims = keys.verify(token.trim()).unwrap();
    assert_eq!(claims.org.as_deref(), Some(org.as_str()));
    assert_eq!(claims.role, Role::Operator);
    assert!(run(&["--role", "admin"]).is_ok());
    // Non-admin roles need an org; bad values name the flag.
    assert_eq!(run(&["--role", "viewer"]).unwrap_err().var, "--org");
    assert_eq!(run(&["--org", "org_nope"]).unwrap_err().var, "--org");
    assert_eq!(
        run(&["--org", org.as_str(), "--role", "king"])
            .unwrap_err()
            .var,
        "--role"
    );
    // Without a secret: the variable is named, nothing is signed.
    let cli = Cli::try_parse_from(["risk-api", "token", "--org", org.as_str()]).unwrap();
    let err = mint_token(&cli.settings, Some(org.as_str()), "viewer", "x").unwrap_err();
    assert_eq!(err.var, "QUANTUN_JWT_SECRET");
}
