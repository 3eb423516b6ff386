//! Issue 16 item 9, for the risk API as an operator runs it (the real
//! binary): readiness reports the ML engine as a non-critical check (down:
//! `degraded`, still 200, so the pods stay in rotation for reads), and a
//! failed assessment run is logged with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::{child_env, config, inventory, ml_engine};
use serde_json::{json, Value};
use shared::test_util::{client, free_port, ChildService};
use sqlx::PgPool;

async fn ready(base: &str) -> (u16, Value) {
    let r = client()
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {report}"))
}

async fn spawn(pool: &PgPool, ml_url: &str, log: &std::path::Path) -> ChildService {
    let port = free_port();
    let mut env = child_env(pool, ml_url, port);
    env.retain(|(k, _)| k != "QRAP_LOG_LEVEL");
    env.push(("QRAP_LOG_LEVEL".into(), "info".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    ChildService::spawn_logged(env!("CARGO_BIN_EXE_risk-api"), &env, port, log).await
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn a_missing_ml_engine_degrades_readiness_and_failed_runs_are_logged(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("risk-api.log");
    // Nothing listens on the discard port.
    let api = spawn(&pool, "http://127.0.0.1:9", &log).await;
    let (status, report) = ready(&api.base).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["status"], "degraded", "{report}");
    let ml = check(&report, "ml_engine");
    assert_eq!(ml["status"], "down");
    assert_eq!(ml["critical"], false);
    assert_eq!(check(&report, "database")["status"], "up");

    // A run that needs the engine fails, with a reason in the API and in
    // the log.
    let c = client();
    let admin = config(&pool, "http://127.0.0.1:9")
        .jwt
        .issue("admin@example.com", shared::auth::Role::Admin, None)
        .unwrap()
        .0;
    let org: Value = c
        .post(format!("{}/api/v1/organizations", api.base))
        .bearer_auth(&admin)
        .json(&json!({"name": "Degraded"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let org_id = org["id"].as_str().unwrap_or_else(|| panic!("{org}"));
    let created: Value = c
        .post(format!(
            "{}/api/v1/assessments?organization_id={org_id}",
            api.base
        ))
        .bearer_auth(&admin)
        .json(&json!({"name": "needs the engine", "inventory": inventory()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let done = loop {
        let a: Value = c
            .get(format!("{}/api/v1/assessments/{id}", api.base))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if a["status"] == "failed" || a["status"] == "completed" {
            break a;
        }
        assert!(tokio::time::Instant::now() < deadline, "still {a}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(done["status"], "failed", "{done}");
    api.terminate().await;
    let text = std::fs::read_to_string(&log).unwrap();
    let line: Value = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["msg"] == "assessment run failed")
        .unwrap_or_else(|| panic!("no failed-run line in the log:\n{text}"));
    assert_eq!(line["level"], "warn", "{line}");
    assert_eq!(line["assessment"], id, "{line}");
    assert!(
        line["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("unreachable"),
        "{line}"
    );
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn with_the_ml_engine_up_readiness_is_ready(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let ml = ml_engine().await;
    let api = spawn(&pool, &ml, &dir.path().join("risk-api.log")).await;
    let (status, report) = ready(&api.base).await;
    assert_eq!(status, 200);
    assert_eq!(report["status"], "ready", "{report}");
    assert_eq!(check(&report, "ml_engine")["status"], "up");
    api.terminate().await;
}
