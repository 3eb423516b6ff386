//! Assessment runs are durable jobs: a risk-api process killed during a run
//! (SIGKILL, no shutdown path) is replaced by another instance that takes
//! the run over once the lease expires; SIGTERM hands unfinished runs back;
//! work queued while no worker runs is done when one starts; two instances
//! never run the same assessment. The ML engine is the real one, behind
//! the fault proxy only to hold a run open (a hang) at a known point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use shared::auth::Role;
use sqlx::PgPool;

/// Polls until the assessment is running under some worker's lease.
async fn wait_running(pool: &PgPool, id: &str) -> String {
    for _ in 0..400 {
        let row: (String, Option<String>) =
            sqlx::query_as("SELECT status, lease_owner FROM assessments WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
                .unwrap();
        if let ("running", Some(owner)) = (row.0.as_str(), row.1) {
            return owner;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("assessment {id} never started running");
}

async fn audit_actions(pool: &PgPool, id: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT action FROM qrap_audit_log WHERE resource_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn a_run_killed_mid_way_is_completed_by_another_instance(pool: PgPool) {
    let ml = ml_engine().await;
    // The first instance's scoring call hangs: the run is in flight when killed.
    let proxy = FaultProxy::start(&ml, HANG).await;
    let mut first = ChildApi::start(
        &pool,
        &proxy.url(),
        &[("QRAP_LEASE_SECS", "2"), ("QRAP_WORKER_POLL_MS", "100")],
    )
    .await;
    let org: String = sqlx::query_scalar(
        "INSERT INTO organizations (id, name) VALUES ('org_' || md5('kill'), 'Kill') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let jwt = config(&pool, &ml).jwt;
    let op = jwt
        .issue("op@example.com", Role::Operator, Some(&org))
        .unwrap()
        .0;
    let r = shared::test_util::client()
        .post(first.url("/api/v1/assessments"))
        .bearer_auth(&op)
        .json(&json!({"name": "killed", "inventory": inventory()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let owner = wait_running(&pool, &id).await;
    first.kill();

    // A second instance, with the engine answering again.
    proxy.set(FORWARD);
    let second = App::start_with(pool.clone(), &proxy.url(), |c| {
        c.workers.lease = Duration::from_secs(2);
        c.workers.poll = Duration::from_millis(100);
    })
    .await;
    let done = second.wait(&op, &id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["attempts"], 2, "the killed run and the take-over");
    assert_eq!(done["assets_scored"], 6);
    assert_eq!(
        second
            .count(
                "SELECT count(*) FROM findings WHERE assessment_id = $1",
                &id
            )
            .await,
        6
    );
    let actions = audit_actions(&pool, &id).await;
    assert_eq!(
        actions,
        [
            "assessment.create",
            "assessment.start",
            "assessment.resume",
            "assessment.complete"
        ]
    );
    let resumed_by: String = sqlx::query_scalar(
        "SELECT details->>'worker' FROM qrap_audit_log WHERE resource_id = $1 AND action = 'assessment.resume'",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_ne!(resumed_by, owner, "taken over by another worker");
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn sigterm_hands_the_run_back_and_it_completes_later(pool: PgPool) {
    let ml = ml_engine().await;
    let proxy = FaultProxy::start(&ml, HANG).await;
    let mut first = ChildApi::start(&pool, &proxy.url(), &[("QRAP_WORKER_POLL_MS", "100")]).await;
    let org: String = sqlx::query_scalar(
        "INSERT INTO organizations (id, name) VALUES ('org_' || md5('term'), 'Term') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let jwt = config(&pool, &ml).jwt;
    let op = jwt
        .issue("op@example.com", Role::Operator, Some(&org))
        .unwrap()
        .0;
    let r = shared::test_util::client()
        .post(first.url("/api/v1/assessments"))
        .bearer_auth(&op)
        .json(&json!({"name": "termed", "inventory": inventory()}))
        .send()
        .await
        .unwrap();
    let id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    wait_running(&pool, &id).await;
    let status = first.terminate().await;
    assert!(status.success(), "{status:?}");
    // Handed back at once (not left to a 60 s lease): pending, not counted.
    let (st, owner, attempts): (String, Option<String>, i32) =
        sqlx::query_as("SELECT status, lease_owner, attempts FROM assessments WHERE id = $1")
            .bind(&id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((st.as_str(), owner, attempts), ("pending", None, 0));

    proxy.set(FORWARD);
    let app = App::start(pool.clone(), &proxy.url()).await;
    let done = app.wait(&op, &id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["attempts"], 1);
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn queued_work_runs_when_workers_start_and_never_twice(pool: PgPool) {
    let ml = ml_engine().await;
    // An API-only replica: assessments are accepted and wait.
    let api_only = App::start_with(pool.clone(), &ml, |c| c.workers.workers = 0).await;
    let org = api_only.create_org("Queue").await;
    let op = api_only.token(Role::Operator, Some(&org));
    let mut ids = Vec::new();
    for i in 0..12 {
        let (s, v) = api_only
            .post_json(
                &op,
                "/api/v1/assessments",
                &json!({"name": format!("queued {i}"), "inventory": inventory()}),
            )
            .await;
        assert_eq!(s, 202, "{v}");
        ids.push(v["id"].as_str().unwrap().to_owned());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pending: i64 =
        sqlx::query_scalar("SELECT count(*) FROM assessments WHERE status = 'pending'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(pending, 12, "nothing runs without workers");

    // Two replicas with four workers each compete for the queue.
    let tweak = |c: &mut risk_api::config::Config| {
        c.workers.workers = 4;
        c.workers.poll = Duration::from_millis(50);
    };
    let (a, _b) = tokio::join!(
        App::start_with(pool.clone(), &ml, tweak),
        App::start_with(pool.clone(), &ml, tweak)
    );
    for id in &ids {
        let done = a.wait(&op, id).await;
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["attempts"], 1, "run exactly once");
        assert_eq!(
            audit_actions(&pool, id).await,
            [
                "assessment.create",
                "assessment.start",
                "assessment.complete"
            ]
        );
        assert_eq!(
            a.count("SELECT count(*) FROM findings WHERE assessment_id = $1", id)
                .await,
            6
        );
    }
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn a_run_interrupted_too_often_fails_with_the_reason(pool: PgPool) {
    let ml = ml_engine().await;
    let api_only = App::start_with(pool.clone(), &ml, |c| c.workers.workers = 0).await;
    let org = api_only.create_org("Crashy").await;
    let op = api_only.token(Role::Operator, Some(&org));
    let (_, v) = api_only
        .post_json(
            &op,
            "/api/v1/assessments",
            &json!({"name": "crashy", "inventory": inventory()}),
        )
        .await;
    let id = v["id"].as_str().unwrap().to_owned();
    // As left by three workers killed in turn: running, lease expired.
    sqlx::query(
        "UPDATE assessments SET status = 'running', attempts = 3, run_attempts = 3, lease_owner = 'gone/1/1#0',
             lease_expires_at = now() - interval '1 second' WHERE id = $1",
    )
    .bind(&id)
    .execute(&pool)
    .await
    .unwrap();
    let app = App::start_with(pool.clone(), &ml, |c| c.workers.max_attempts = 3).await;
    let done = app.wait(&op, &id).await;
    assert_eq!(done["status"], "failed");
    assert!(
        done["failure_reason"]
            .as_str()
            .unwrap()
            .contains("interrupted 3 times"),
        "{done}"
    );
    assert_eq!(done["attempts"], 3);
}
