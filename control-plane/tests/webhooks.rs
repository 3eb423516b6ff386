//! Signed webhooks from the durable outbox. The receiver is a local fake
//! server (a third party by nature): it verifies the signature and answers
//! from a script (500, 500, 200) to inject failures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::Sha256;
use shared::config::Secret;
use shared::test_util::TestServer;
use sqlx::PgPool;

const SECRET: &str = "webhook-secret-0123456789";

#[derive(Clone, Default)]
struct Receiver {
    /// Statuses answered to each delivery's successive attempts (then 200).
    script: Arc<Vec<u16>>,
    /// (delivery id, signature valid, body) per request.
    seen: Arc<Mutex<Vec<(String, bool, Value)>>>,
}

fn verify(headers: &HeaderMap, body: &[u8]) -> bool {
    let Some(sig) = headers
        .get("x-qsgw-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some((t, v1)) = sig.split_once(',') else {
        return false;
    };
    let (Some(t), Some(v1)) = (t.strip_prefix("t="), v1.strip_prefix("v1=")) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let Ok(given) = hex::decode(v1) else {
        return false;
    };
    mac.verify_slice(&given).is_ok()
}

async fn receive(
    State(r): State<Receiver>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let id = headers
        .get("x-qsgw-delivery")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let valid = verify(&headers, &body);
    let mut seen = r.seen.lock().unwrap();
    let attempt = seen.iter().filter(|(d, _, _)| *d == id).count();
    seen.push((
        id,
        valid,
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    ));
    let code = r.script.get(attempt).copied().unwrap_or(200);
    StatusCode::from_u16(code).unwrap()
}

async fn receiver(script: Vec<u16>) -> (TestServer, Receiver) {
    let r = Receiver {
        script: Arc::new(script),
        ..Receiver::default()
    };
    let server = TestServer::spawn(
        Router::new()
            .route("/hook", post(receive))
            .with_state(r.clone()),
    )
    .await;
    (server, r)
}

fn config(pool: &PgPool, url: &str) -> control_plane::config::Config {
    let mut c = common::config(pool, common::NO_ETCD);
    c.webhook = Some((url.to_owned(), Secret::new(SECRET)));
    c.webhook_min_severity = "HIGH".to_owned();
    c.webhook_backoff_base = Duration::from_millis(50);
    c.webhook_poll = Duration::from_millis(50);
    c
}

fn threat(severity: &str) -> Value {
    json!({"client_ip": "203.0.113.9", "threat_type": "bot", "severity": severity, "action_taken": "flagged",
           "detected_at": chrono::Utc::now().to_rfc3339()})
}

async fn wait_delivery(pool: &PgPool, status: &str) -> (String, i32) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let row: Option<(String, i32)> =
            sqlx::query_as("SELECT id, attempts FROM webhook_deliveries WHERE status = $1")
                .bind(status)
                .fetch_optional(pool)
                .await
                .unwrap();
        if let Some(r) = row {
            return r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no delivery reached {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn delivered_once_after_two_failures_with_valid_signatures(pool: PgPool) {
    let (hook, rx) = receiver(vec![500, 500, 200]).await;
    let cfg = config(&pool, &hook.url("/hook"));
    let app = common::spawn_with(pool, cfg).await;
    let batch = json!({"records": [threat("CRITICAL"), threat("LOW"), threat("HIGH")]});
    let r = app
        .call_service(Method::POST, "/api/v1/ingest/threats", Some(&batch))
        .await;
    assert_eq!(r.status(), 200);
    // only HIGH and above are enqueued
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_deliveries")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 2);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let delivered: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if delivered == 2 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "deliveries never completed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seen = rx.seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        6,
        "2 failures + 1 success per delivery: {seen:?}"
    );
    assert!(
        seen.iter().all(|(_, valid, _)| *valid),
        "every signature verifies"
    );
    assert!(seen
        .iter()
        .all(|(_, _, body)| body["type"] == "threat.detected"));
    // the failed attempts were retries of the same delivery
    let first = &seen[0].0;
    assert_eq!(seen.iter().filter(|(id, _, _)| id == first).count(), 3);
    let attempts: Vec<(Option<i32>,)> = sqlx::query_as(
        "SELECT status_code FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id",
    )
    .bind(first)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        attempts
            .into_iter()
            .map(|a| a.0.unwrap())
            .collect::<Vec<_>>(),
        [500, 500, 200]
    );

    let r = app
        .call(
            Method::GET,
            "/api/v1/webhooks/deliveries?status=delivered",
            Some(&app.operator),
            None,
        )
        .await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.call(
            Method::GET,
            "/api/v1/webhooks/deliveries",
            Some(&app.viewer),
            None
        )
        .await
        .status(),
        403
    );
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn a_restart_between_attempts_still_delivers(pool: PgPool) {
    let (hook, rx) = receiver(vec![500]).await;
    let mut cfg = config(&pool, &hook.url("/hook"));
    // The first process would wait a long time before retrying.
    cfg.webhook_backoff_base = Duration::from_secs(3600);
    let app = common::spawn_with(pool.clone(), cfg.clone()).await;
    let r = app
        .call_service(
            Method::POST,
            "/api/v1/ingest/threats",
            Some(&json!({"records": [threat("CRITICAL")]})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while rx.seen.lock().unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (id, attempts) = wait_delivery(&pool, "pending").await;
    assert_eq!(attempts, 1);
    app.stop().await;

    // Time passes (the backoff elapses) while the control plane is down.
    sqlx::query("UPDATE webhook_deliveries SET next_attempt_at = now() WHERE id = $1")
        .bind(&id)
        .execute(&pool)
        .await
        .unwrap();
    cfg.webhook_backoff_base = Duration::from_millis(50);
    let app = common::spawn_with(pool.clone(), cfg).await;
    let (delivered, attempts) = wait_delivery(&pool, "delivered").await;
    assert_eq!(delivered, id);
    assert_eq!(attempts, 2);
    let seen = rx.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|(d, valid, _)| *d == id && *valid));
    app.stop().await;
}

/// Issue 16 item 10: a webhook receiver answering a redirect does not get
/// the signed alert re-sent to the redirect target (RFC 9110 §15.4: a
/// client MAY follow; we must not): the attempt records the 3xx as a
/// failure, the other host sees nothing.
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn redirects_are_not_followed(pool: PgPool) {
    let (elsewhere, other) = receiver(vec![]).await;
    let target = elsewhere.url("/hook");
    let bounce = TestServer::spawn(Router::new().route(
        "/hook",
        post(move || {
            let target = target.clone();
            async move { (StatusCode::TEMPORARY_REDIRECT, [("location", target)]) }
        }),
    ))
    .await;
    let app = common::spawn_with(pool.clone(), config(&pool, &bounce.url("/hook"))).await;
    let batch = json!({"records": [threat("CRITICAL")]});
    let r = app
        .call_service(Method::POST, "/api/v1/ingest/threats", Some(&batch))
        .await;
    assert_eq!(r.status(), 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let code = loop {
        let code: Option<Option<i32>> =
            sqlx::query_scalar("SELECT status_code FROM webhook_attempts ORDER BY id LIMIT 1")
                .fetch_optional(&app.pool)
                .await
                .unwrap();
        if let Some(c) = code {
            break c;
        }
        assert!(tokio::time::Instant::now() < deadline, "no attempt");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(code, Some(307));
    let status: String = sqlx::query_scalar("SELECT status FROM webhook_deliveries")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_ne!(status, "delivered");
    assert!(
        other.seen.lock().unwrap().is_empty(),
        "the redirect was followed"
    );
}

/// Issue 16 item 10: with the private-target guard on (production), a
/// webhook whose host resolves only to loopback is refused at connect
/// time and the attempt records why; the receiver sees nothing.
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn private_targets_are_refused_when_guarded(pool: PgPool) {
    let (hook, rx) = receiver(vec![]).await;
    // `localhost` goes through the resolver (an IP literal is checked
    // before it); all are refused. `127.1` and `2130706433` are 127.0.0.1
    // to reqwest's URL parser (WHATWG URL Standard, IPv4 parser), which
    // then connects without asking the resolver: the live receiver on
    // 127.0.0.1 would get the POST if the check read them as names.
    let urls = [
        hook.url("/hook").replace("127.0.0.1", "localhost"),
        hook.url("/hook"),
        hook.url("/hook").replace("127.0.0.1", "127.1"),
        hook.url("/hook").replace("127.0.0.1", "2130706433"),
    ];
    for url in urls.iter().cloned() {
        let settings = control_plane::webhook::WebhookSettings {
            url,
            secret: Secret::new(SECRET),
            backoff_base: Duration::from_secs(3600),
            poll: Duration::from_millis(50),
            timeout: Duration::from_secs(5),
            block_private_targets: true,
        };
        let client = control_plane::webhook::client(&settings).unwrap();
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, event_type, payload) VALUES ($1, 'threat', '{}')",
        )
        .bind(format!("whd_{}", uuid::Uuid::new_v4().simple()))
        .execute(&pool)
        .await
        .unwrap();
        let n = control_plane::webhook::run_once(&pool, &client, &settings)
            .await
            .unwrap();
        assert_eq!(n, 1);
    }
    let errors: Vec<Option<String>> =
        sqlx::query_scalar("SELECT error FROM webhook_attempts ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(errors.len(), urls.len());
    for e in errors {
        let e = e.unwrap_or_default();
        assert!(e.contains("private or local"), "{e}");
    }
    assert!(rx.seen.lock().unwrap().is_empty());
}
