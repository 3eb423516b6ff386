//! What the QRAP web app needs from the API beyond the CRUD: who am I
//! (`/api/v1/me`), the audit log itself (`/api/v1/audit-log`, tenant-scoped)
//! and the NIST deadline timeline in the summary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;

use common::{inventory, ml_engine, App, API_KEY};
use serde_json::json;
use shared::auth::Role;
use shared::test_util::client;
use sqlx::PgPool;

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn me_describes_the_caller_and_refuses_no_or_bad_credentials(pool: PgPool) {
    let app = App::start(pool, "http://127.0.0.1:9").await;
    let org = app.create_org("Acme").await;

    let (s, v) = app.get(&app.admin(), "/api/v1/me").await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["role"], "admin");
    assert_eq!(v["subject"], "tester@example.com");
    assert_eq!(v["organization_id"], serde_json::Value::Null);
    assert_eq!(v["is_admin"], true);
    assert_eq!(v["can_write"], true);
    assert_eq!(v["method"], "jwt");

    let (s, v) = app
        .get(&app.token(Role::Viewer, Some(&org)), "/api/v1/me")
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["role"], "viewer");
    assert_eq!(v["organization_id"], org.as_str());
    assert_eq!(v["is_admin"], false);
    assert_eq!(v["can_write"], false);

    let (_, v) = app
        .get(&app.token(Role::Operator, Some(&org)), "/api/v1/me")
        .await;
    assert_eq!(v["can_write"], true);
    assert_eq!(v["is_admin"], false);

    let r = client()
        .get(app.url("/api/v1/me"))
        .header("x-api-key", API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["role"], "service");
    assert_eq!(v["method"], "api_key");
    assert_eq!(v["subject"], "service:ci");

    let r = client().get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/problem+json"));
    let (s, _) = app.get("not.a.jwt", "/api/v1/me").await;
    assert_eq!(s, 401);
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn audit_log_lists_newest_first_filters_and_confines_tenants(pool: PgPool) {
    let app = App::start(pool, "http://127.0.0.1:9").await;
    let acme = app.create_org("Acme").await;
    let globex = app.create_org("Globex").await;
    let admin = app.admin();

    let (s, v) = app.get(&admin, "/api/v1/audit-log").await;
    assert_eq!(s, 200, "{v}");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["resource_id"], globex.as_str(), "newest first");
    assert_eq!(items[1]["resource_id"], acme.as_str());
    assert_eq!(items[0]["action"], "organization.create");
    assert_eq!(items[0]["prev_hash"], items[1]["row_hash"], "chain visible");
    assert!(items[0]["id"].as_i64().unwrap() > items[1]["id"].as_i64().unwrap());

    // Paging.
    let (_, p1) = app.get(&admin, "/api/v1/audit-log?limit=1").await;
    assert_eq!(p1["items"].as_array().unwrap().len(), 1);
    let cursor = p1["next_cursor"].as_str().unwrap();
    let (_, p2) = app
        .get(
            &admin,
            &format!("/api/v1/audit-log?limit=1&cursor={cursor}"),
        )
        .await;
    assert_eq!(p2["items"][0]["resource_id"], acme.as_str());

    // Filters.
    let (_, f) = app
        .get(&admin, &format!("/api/v1/audit-log?resource_id={acme}"))
        .await;
    assert_eq!(f["items"].as_array().unwrap().len(), 1);
    let (_, f) = app
        .get(&admin, "/api/v1/audit-log?action=assessment.create")
        .await;
    assert_eq!(f["items"].as_array().unwrap().len(), 0);

    // A tenant sees its organization's rows only.
    let viewer = app.token(Role::Viewer, Some(&acme));
    let (s, v) = app.get(&viewer, "/api/v1/audit-log").await;
    assert_eq!(s, 200, "{v}");
    let items = v["items"].as_array().unwrap();
    assert!(!items.is_empty());
    assert!(
        items.iter().all(|r| r["organization_id"] == acme.as_str()),
        "{v}"
    );

    // Bad input names the field.
    let long = "a".repeat(101);
    let (s, v) = app
        .get(&admin, &format!("/api/v1/audit-log?action={long}"))
        .await;
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("action"), "{v}");
    let (s, v) = app.get(&admin, "/api/v1/audit-log?limit=0").await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = app.get(&admin, "/api/v1/audit-log?bogus=1").await;
    assert_eq!(s, 422, "{v}");
    let r = client()
        .get(app.url("/api/v1/audit-log"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn summary_lists_the_nist_deadlines_the_findings_hit(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let org = app.create_org("Acme").await;
    let op = app.token(Role::Operator, Some(&org));
    let (s, created) = app
        .post_json(
            &op,
            "/api/v1/assessments",
            &json!({"name": "deadlines", "inventory": inventory()}),
        )
        .await;
    assert_eq!(s, 202, "{created}");
    let id = created["id"].as_str().unwrap();
    assert_eq!(app.wait(&op, id).await["status"], "completed");

    let (_, findings) = app
        .get(&op, &format!("/api/v1/assessments/{id}/findings"))
        .await;
    let mut expected: BTreeMap<i64, (i64, i64)> = BTreeMap::new();
    for f in findings["items"].as_array().unwrap() {
        if let Some(y) = f["nist_deprecated_year"].as_i64() {
            expected.entry(y).or_default().0 += 1;
        }
        if let Some(y) = f["nist_disallowed_year"].as_i64() {
            expected.entry(y).or_default().1 += 1;
        }
    }
    let (s, summary) = app
        .get(&op, &format!("/api/v1/assessments/{id}/summary"))
        .await;
    assert_eq!(s, 200, "{summary}");
    let got: BTreeMap<i64, (i64, i64)> = summary["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["year"].as_i64().unwrap(),
                (
                    d["deprecated"].as_i64().unwrap(),
                    d["disallowed"].as_i64().unwrap(),
                ),
            )
        })
        .collect();
    assert_eq!(got, expected);
    // RSA-2048 (112-bit): deprecated after 2030; it and ECDSA P-256:
    // disallowed after 2035.
    assert_eq!(got[&2030], (1, 0), "{summary}");
    assert_eq!(got[&2035], (0, 2), "{summary}");
    let years: Vec<i64> = got.keys().copied().collect();
    let mut sorted = years.clone();
    sorted.sort_unstable();
    assert_eq!(years, sorted, "ascending");
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn the_web_app_is_served_at_app_with_its_modules_and_a_strict_csp(pool: PgPool) {
    let app = App::start(pool, "http://127.0.0.1:9").await;
    let r = client().get(app.url("/app/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let index = r.text().await.unwrap();
    // The shared boot loader loads the entry module (error + Retry if it fails).
    assert!(
        index.contains(r#"src="/app/common/boot.js" data-app="/app/main.js""#),
        "{index}"
    );
    assert!(index.contains(r#"href="/app/common/theme.css""#), "{index}");
    assert!(
        index.contains("/app/vendor/chart.js/chart.umd.js"),
        "{index}"
    );
    assert!(!index.contains("<script>"), "no inline script");

    // A client-side route falls back to the app.
    let r = client()
        .get(app.url("/app/assessments/asmnt_x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let r = client()
        .get(app.url("/app/config.json"))
        .send()
        .await
        .unwrap();
    let cfg: serde_json::Value = r.json().await.unwrap();
    assert_eq!(cfg["api_base"], "");
    assert_eq!(cfg["product"], "qrap");

    for (path, needle) in [
        ("/app/main.js", "api/v1/me"),
        ("/app/views/assessment.js", "/findings"),
        ("/app/api.js", "sessionStorage"),
        ("/app/vendor/htm/preact-standalone.module.js", "export"),
        ("/app/common/boot.js", "data-app"),
        ("/app/common/ui.js", "export function CopyId"),
    ] {
        let r = client().get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript"));
        assert!(r.text().await.unwrap().contains(needle), "{path}");
    }
    let r = client().get(app.url("/app/nope.js")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    // The API is unaffected.
    let (s, _) = app.get(&app.admin(), "/api/v1/me").await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn standalone_web_app_calls_the_configured_api_url() {
    let router = risk_api::startup::web_router("https://qrap-api.example.com:8443/");
    let s = shared::test_util::TestServer::spawn(router).await;
    let r = s.client().get(s.url("/config.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("connect-src 'self' https://qrap-api.example.com:8443;"),
        "{csp}"
    );
    let c: serde_json::Value = r.json().await.unwrap();
    assert_eq!(c["api_base"], "https://qrap-api.example.com:8443");
    assert_eq!(c["prefix"], "/");
    let r = s.client().get(s.url("/")).send().await.unwrap();
    assert!(r
        .text()
        .await
        .unwrap()
        .contains(r#"src="/common/boot.js" data-app="/main.js""#));
    let r = s.client().get(s.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
