//! Issue 21 item 6 (lists with totals): every list of the web app answers
//! the number of rows its filter matches over all pages, inside the
//! caller's tenant. Expected counts come from the inputs written here (the
//! six-asset inventory of `common::inventory`, three organizations).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{inventory, ml_engine, App};
use serde_json::json;
use shared::auth::Role;
use sqlx::PgPool;

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn lists_answer_the_total_of_every_page_inside_the_tenant(pool: PgPool) {
    let ml = ml_engine().await;
    let app = App::start(pool, &ml).await;
    let orgs = [
        app.create_org("Totals A").await,
        app.create_org("Totals B").await,
        app.create_org("Totals C").await,
    ];
    let op = app.token(Role::Operator, Some(&orgs[0]));
    let (s, created) = app
        .post_json(
            &op,
            "/api/v1/assessments",
            &json!({"name": "totals", "inventory": inventory()}),
        )
        .await;
    assert_eq!(s, 202, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(app.wait(&op, &id).await["status"], "completed");

    // Findings: six assets → six findings; a page of two says six.
    let (s, page) = app
        .get(&op, &format!("/api/v1/assessments/{id}/findings?limit=2"))
        .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["total"], 6);
    // One asset uses 3DES: the filtered total is one.
    let (_, page) = app
        .get(
            &op,
            &format!("/api/v1/assessments/{id}/findings?algorithm=3DES"),
        )
        .await;
    assert_eq!(page["total"], 1, "{page}");

    // Organizations: the platform admin sees three; a tenant its own one.
    let (_, page) = app.get(&app.admin(), "/api/v1/organizations?limit=1").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["total"], 3, "{page}");
    let (_, page) = app.get(&op, "/api/v1/organizations").await;
    assert_eq!(page["total"], 1, "{page}");

    // Assessments: one, none of them failed; another tenant sees none.
    let (_, page) = app.get(&op, "/api/v1/assessments").await;
    assert_eq!(page["total"], 1, "{page}");
    let (_, page) = app.get(&op, "/api/v1/assessments?status=failed").await;
    assert_eq!(page["total"], 0, "{page}");
    let other = app.token(Role::Operator, Some(&orgs[1]));
    let (_, page) = app.get(&other, "/api/v1/assessments").await;
    assert_eq!(page["total"], 0, "{page}");

    // Audit log: the tenant's total counts only its own rows, which the
    // platform-wide total includes.
    let (_, own) = app.get(&op, "/api/v1/audit-log?limit=1").await;
    let (_, all) = app.get(&app.admin(), "/api/v1/audit-log?limit=1").await;
    let (own, all) = (
        own["total"].as_i64().unwrap(),
        all["total"].as_i64().unwrap(),
    );
    assert!(own >= 1 && all > own, "own {own}, all {all}");
}
