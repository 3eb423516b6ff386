//! Gateways, ingest, TLS sessions and their statistics, threat triage and
//! the audit log through the real API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::assert_field_error;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

async fn register(app: &common::TestApp, name: &str) -> String {
    let r = app
        .call_service(Method::POST, "/api/v1/gateways/register", Some(&json!({"name": name, "address": "10.0.0.5:8443", "software_version": "0.1.0", "labels": {"region": "eu"}})))
        .await;
    assert_eq!(r.status(), 200);
    let gw: Value = r.json().await.unwrap();
    gw["id"].as_str().unwrap().to_owned()
}

fn tls(gw: &str, ip: &str, kx: &str, pqc: bool) -> Value {
    json!({"gateway_id": gw, "client_ip": ip, "sni": "api.example.com", "protocol_version": "TLSv1.3",
           "cipher_suite": "TLS13_AES_128_GCM_SHA256", "kx_group": kx, "pqc": pqc,
           "handshake_duration_us": 1500, "established_at": chrono::Utc::now().to_rfc3339()})
}

fn threat(ip: &str, severity: &str) -> Value {
    json!({"client_ip": ip, "threat_type": "credential_stuffing", "severity": severity, "anomaly_score": 0.9,
           "reasons": ["burst"], "action_taken": "blocked", "method": "POST", "path": "/login",
           "detected_at": chrono::Utc::now().to_rfc3339()})
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn gateways_register_heartbeat_and_list_with_liveness(pool: PgPool) {
    let app = common::spawn(pool).await;
    let id = register(&app, "gw-1").await;
    // re-registering with the same name keeps the id
    assert_eq!(register(&app, "gw-1").await, id);
    let r = app
        .call_service(
            Method::POST,
            &format!("/api/v1/gateways/{id}/heartbeat"),
            Some(&json!({"config_revision_seen": 7})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .call(Method::GET, "/api/v1/gateways", Some(&app.viewer), None)
        .await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["liveness"], "online");
    assert_eq!(page["items"][0]["config_revision_seen"], 7);
    sqlx::query("UPDATE gateways SET last_heartbeat_at = now() - interval '5 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/gateways/{id}"),
            Some(&app.viewer),
            None,
        )
        .await;
    let gw: Value = r.json().await.unwrap();
    assert_eq!(gw["liveness"], "offline");

    // roles: humans cannot register, service cannot list
    let body = json!({"name": "gw-x"});
    assert_eq!(
        app.call(
            Method::POST,
            "/api/v1/gateways/register",
            Some(&app.operator),
            Some(&body)
        )
        .await
        .status(),
        403
    );
    assert_eq!(
        app.call(Method::POST, "/api/v1/gateways/register", None, Some(&body))
            .await
            .status(),
        401
    );
    assert_eq!(
        app.call_service(Method::GET, "/api/v1/gateways", None)
            .await
            .status(),
        403
    );
    // validation and unknown gateway
    let r = app
        .call_service(
            Method::POST,
            &format!("/api/v1/gateways/{id}/heartbeat"),
            Some(&json!({"config_revision_seen": -1})),
        )
        .await;
    assert_field_error(r, "config_revision_seen").await;
    let other = shared::ids::GatewayId::new();
    let r = app
        .call_service(
            Method::POST,
            &format!("/api/v1/gateways/{other}/heartbeat"),
            Some(&json!({"config_revision_seen": 1})),
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .call_service(
            Method::POST,
            "/api/v1/gateways/register",
            Some(&json!({"name": ""})),
        )
        .await;
    assert_field_error(r, "name").await;
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn tls_ingest_mixed_batch_list_and_stats(pool: PgPool) {
    let app = common::spawn(pool).await;
    let gw = register(&app, "gw-tls").await;
    let unknown_gw = shared::ids::GatewayId::new().to_string();
    let mut with_extra = tls(&gw, "10.1.0.9", "x25519", false);
    with_extra["surprise"] = json!(true);
    let batch = json!({"records": [
        tls(&gw, "10.1.0.1", "X25519MLKEM768", true),
        tls(&gw, "not-an-ip", "X25519MLKEM768", true),
        tls(&gw, "10.1.0.2", "X25519MLKEM768", true),
        with_extra,
        tls(&unknown_gw, "10.1.0.3", "x25519", false),
        tls(&gw, "192.168.1.1", "x25519", false),
        {"client_ip": "10.0.0.1"},
    ]});
    let r = app
        .call_service(Method::POST, "/api/v1/ingest/tls-sessions", Some(&batch))
        .await;
    assert_eq!(r.status(), 200);
    let res: Value = r.json().await.unwrap();
    assert_eq!(res["received"], 7);
    assert_eq!(res["accepted"], 3);
    assert_eq!(res["inserted"], 3);
    let rejected: Vec<(u64, String)> = res["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap(),
                r["errors"][0]["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        rejected.iter().map(|r| r.0).collect::<Vec<_>>(),
        [1, 3, 4, 6],
        "{res}"
    );
    assert_eq!(rejected[0].1, "client_ip");
    assert_eq!(rejected[2].1, "gateway_id");

    // list with a CIDR filter
    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions?client_ip=10.1.0.0/16",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions?pqc=false",
            Some(&app.viewer),
            None,
        )
        .await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"][0]["client_ip"], "192.168.1.1");
    for bad in [
        "client_ip=10.0.0.0/33",
        "client_ip='%20OR%201=1",
        "gateway_id=x",
        "limit=0",
    ] {
        let r = app
            .call(
                Method::GET,
                &format!("/api/v1/tls-sessions?{bad}"),
                Some(&app.viewer),
                None,
            )
            .await;
        assert_eq!(r.status(), 422, "{bad}");
    }

    // stats
    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions/stats?bucket=minute",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["handshakes"], 3);
    assert_eq!(s["pqc"], 2);
    assert!((s["pqc_share"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(s["by_group"][0]["kx_group"], "X25519MLKEM768");
    assert_eq!(s["by_group"][0]["handshakes"], 2);
    let total: i64 = s["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["handshakes"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 3);
    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions/stats?bucket=week",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_field_error(r, "bucket").await;

    // 1001 records → 413, nothing stored
    let many: Vec<Value> = (0..1001)
        .map(|i| {
            tls(
                &gw,
                &format!("10.2.{}.{}", i / 250, i % 250),
                "x25519",
                false,
            )
        })
        .collect();
    let r = app
        .call_service(
            Method::POST,
            "/api/v1/ingest/tls-sessions",
            Some(&json!({"records": many})),
        )
        .await;
    assert_eq!(r.status(), 413);
    let p: Value = r.json().await.unwrap();
    assert!(
        p["detail"].as_str().unwrap().contains("at most 1000"),
        "{p}"
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM tls_sessions")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 3);
    // 1000 is fine
    let many: Vec<Value> = (0..1000)
        .map(|i| {
            tls(
                &gw,
                &format!("10.3.{}.{}", i / 250, i % 250),
                "x25519",
                false,
            )
        })
        .collect();
    let r = app
        .call_service(
            Method::POST,
            "/api/v1/ingest/tls-sessions",
            Some(&json!({"records": many})),
        )
        .await;
    assert_eq!(r.status(), 200);

    // hostile bodies: not an object, invalid UTF-8, deep nesting, records not a list
    for body in [
        b"[]".to_vec(),
        b"{\"records\": [\"\xff\xfe\"]}".to_vec(),
        format!(
            "{{\"records\": {}{}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        )
        .into_bytes(),
        b"{\"records\": {\"a\": 1}}".to_vec(),
        b"{\"records\": [1, null, \"x\"]}".to_vec(),
    ] {
        let r = app
            .client
            .post(app.url("/api/v1/ingest/tls-sessions"))
            .header("x-api-key", common::API_KEY)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = r.status();
        assert!(status.is_client_error() || status == 200, "{status}");
        if status == 200 {
            // scalar records are each rejected by index, never stored
            let res: Value = r.json().await.unwrap();
            assert_eq!(res["accepted"], 0, "{res}");
            assert_eq!(res["rejected"].as_array().unwrap().len(), 3);
        }
    }

    // roles: viewer/operator cannot ingest
    for t in [&app.viewer, &app.operator] {
        let r = app
            .call(
                Method::POST,
                "/api/v1/ingest/tls-sessions",
                Some(t),
                Some(&json!({"records": []})),
            )
            .await;
        assert_eq!(r.status(), 403);
    }
    assert_eq!(
        app.call_service(Method::GET, "/api/v1/tls-sessions", None)
            .await
            .status(),
        403
    );
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn threats_ingest_filter_and_triage_with_audit(pool: PgPool) {
    let app = common::spawn(pool).await;
    let mut bad_sev = threat("10.9.0.1", "SEVERE");
    bad_sev["anomaly_score"] = json!(2.0);
    let batch =
        json!({"records": [threat("10.9.0.1", "HIGH"), bad_sev, threat("172.16.0.5", "LOW")]});
    let r = app
        .call_service(Method::POST, "/api/v1/ingest/threats", Some(&batch))
        .await;
    let res: Value = r.json().await.unwrap();
    assert_eq!(res["accepted"], 2, "{res}");
    let fields: Vec<&str> = res["rejected"][0]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["severity", "anomaly_score"]);
    // no webhook configured → nothing enqueued
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_deliveries")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 0);

    let r = app
        .call(
            Method::GET,
            "/api/v1/threats?severity=HIGH",
            Some(&app.viewer),
            None,
        )
        .await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let id = page["items"][0]["id"].as_str().unwrap().to_owned();
    let r = app
        .call(
            Method::GET,
            "/api/v1/threats?client_ip=172.16.0.0/12&status=open",
            Some(&app.viewer),
            None,
        )
        .await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"][0]["client_ip"], "172.16.0.5");
    for bad in [
        "severity=lol",
        "client_ip=10.0.0.300",
        "status=closed",
        "from=yesterday",
        "route_id=1;DROP",
    ] {
        let r = app
            .call(
                Method::GET,
                &format!("/api/v1/threats?{bad}"),
                Some(&app.viewer),
                None,
            )
            .await;
        assert_eq!(r.status(), 422, "{bad}");
    }

    // triage
    let ack = format!("/api/v1/threats/{id}/acknowledge");
    assert_eq!(
        app.call(Method::POST, &ack, Some(&app.viewer), Some(&json!({})))
            .await
            .status(),
        403
    );
    let r = app
        .call(
            Method::POST,
            &ack,
            Some(&app.operator),
            Some(&json!({"note": "looking"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["status"], "acknowledged");
    assert_eq!(t["acknowledged_by"], app.subject(&app.operator));
    let resolve = format!("/api/v1/threats/{id}/resolve");
    assert_eq!(
        app.call(
            Method::POST,
            &resolve,
            Some(&app.operator),
            Some(&json!({}))
        )
        .await
        .status(),
        200
    );
    assert_eq!(
        app.call(
            Method::POST,
            &resolve,
            Some(&app.operator),
            Some(&json!({}))
        )
        .await
        .status(),
        409
    );

    // the audit log shows both, to admins only
    let r = app
        .call(
            Method::GET,
            "/api/v1/audit-log?resource_type=threat_event",
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["threat.resolve", "threat.acknowledge"]);
    assert_eq!(page["items"][1]["before"]["status"], "open");
    let r = app
        .call(
            Method::GET,
            "/api/v1/audit-log?action=threat.acknowledge&limit=1",
            Some(&app.admin),
            None,
        )
        .await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.call(Method::GET, "/api/v1/audit-log", Some(&app.operator), None)
            .await
            .status(),
        403
    );
    let r = app
        .call(
            Method::GET,
            "/api/v1/audit-log?actor=x'%20OR%20'1'='1",
            Some(&app.admin),
            None,
        )
        .await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 0);
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn threat_stats_count_by_severity_type_status_and_time_bucket(pool: PgPool) {
    let app = common::spawn(pool).await;
    let old = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339();
    let mut outside = threat("10.1.0.9", "CRITICAL");
    outside["detected_at"] = json!(old);
    let mut scan = threat("10.1.0.3", "LOW");
    scan["threat_type"] = json!("scanner");
    let batch =
        json!({"records": [threat("10.1.0.1", "HIGH"), threat("10.1.0.2", "HIGH"), scan, outside]});
    let r = app
        .call_service(Method::POST, "/api/v1/ingest/threats", Some(&batch))
        .await;
    let res: Value = r.json().await.unwrap();
    assert_eq!(res["accepted"], 4, "{res}");

    // Default window: the last 24 h, hourly buckets; the 3-day-old event is out.
    let r = app
        .call(
            Method::GET,
            "/api/v1/threats/stats",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["bucket"], "hour");
    assert_eq!(s["total"], 3, "{s}");
    assert_eq!(
        s["by_severity"],
        json!([{"label": "HIGH", "count": 2}, {"label": "LOW", "count": 1}])
    );
    assert_eq!(
        s["by_type"],
        json!([{"label": "credential_stuffing", "count": 2}, {"label": "scanner", "count": 1}])
    );
    assert_eq!(s["by_status"], json!([{"label": "open", "count": 3}]));
    let buckets = s["buckets"].as_array().unwrap();
    let sum = |k: &str| buckets.iter().map(|b| b[k].as_i64().unwrap()).sum::<i64>();
    assert_eq!(
        (sum("total"), sum("high"), sum("low"), sum("critical")),
        (3, 2, 1, 0)
    );

    // A 4-day window by day includes it.
    let from = (chrono::Utc::now() - chrono::Duration::days(4)).format("%Y-%m-%dT%H:%M:%SZ");
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/threats/stats?bucket=day&from={from}"),
            Some(&app.viewer),
            None,
        )
        .await;
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["total"], 4, "{s}");
    assert_eq!(s["by_severity"][0], json!({"label": "HIGH", "count": 2}));

    // Bad parameters name the field; no token is 401.
    let r = app
        .call(
            Method::GET,
            "/api/v1/threats/stats?bucket=week",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_field_error(r, "bucket").await;
    let r = app
        .call(
            Method::GET,
            "/api/v1/threats/stats?bucket=minute&from=2020-01-01T00:00:00Z",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_field_error(r, "from").await;
    let r = app
        .call(Method::GET, "/api/v1/threats/stats", None, None)
        .await;
    assert_eq!(r.status(), 401);
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn tls_sessions_filter_by_protocol_and_cipher(pool: PgPool) {
    let app = common::spawn(pool).await;
    let gw = register(&app, "gw-filter").await;
    let mut tls12 = tls(&gw, "10.2.0.1", "secp256r1", false);
    tls12["protocol_version"] = json!("TLSv1.2");
    tls12["cipher_suite"] = json!("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    let mut aes256 = tls(&gw, "10.2.0.2", "X25519MLKEM768", true);
    aes256["cipher_suite"] = json!("TLS13_AES_256_GCM_SHA384");
    let batch = json!({"records": [tls(&gw, "10.2.0.3", "X25519MLKEM768", true), tls12, aes256]});
    let r = app
        .call_service(Method::POST, "/api/v1/ingest/tls-sessions", Some(&batch))
        .await;
    let res: Value = r.json().await.unwrap();
    assert_eq!(res["accepted"], 3, "{res}");

    let ips = |page: &Value| -> Vec<String> {
        let mut v: Vec<String> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["client_ip"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let get = |q: &'static str| {
        let app = &app;
        async move {
            let r = app
                .call(
                    Method::GET,
                    &format!("/api/v1/tls-sessions?{q}"),
                    Some(&app.viewer),
                    None,
                )
                .await;
            assert_eq!(r.status(), 200, "{q}");
            r.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(ips(&get("protocol_version=TLSv1.2").await), ["10.2.0.1"]);
    assert_eq!(
        ips(&get("protocol_version=TLSv1.3").await),
        ["10.2.0.2", "10.2.0.3"]
    );
    assert_eq!(
        ips(&get("cipher_suite=TLS13_AES_256_GCM_SHA384").await),
        ["10.2.0.2"]
    );
    assert_eq!(
        ips(&get("protocol_version=TLSv1.3&cipher_suite=TLS13_AES_128_GCM_SHA256").await),
        ["10.2.0.3"]
    );
    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions?cipher_suite=",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_field_error(r, "cipher_suite").await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn refused_handshakes_are_recorded_apart_from_the_pqc_share(pool: PgPool) {
    let app = common::spawn(pool).await;
    let gw = register(&app, "gw-refused").await;
    let now = chrono::Utc::now().to_rfc3339();
    let failed = json!({"gateway_id": gw, "client_ip": "10.2.0.1", "sni": "pq.example.com", "pqc": false,
        "outcome": "failed", "failure_reason": "peer is incompatible: NoKxGroupsInCommon; policy PQC_ONLY",
        "established_at": now});
    let mut established_without_suite = tls(&gw, "10.2.0.2", "X25519", false);
    established_without_suite
        .as_object_mut()
        .unwrap()
        .remove("cipher_suite");
    let mut reason_on_success = tls(&gw, "10.2.0.3", "X25519", false);
    reason_on_success["failure_reason"] = json!("nothing failed");
    let mut bad_outcome = tls(&gw, "10.2.0.4", "X25519", false);
    bad_outcome["outcome"] = json!("maybe");
    let batch = json!({"records": [
        failed,
        tls(&gw, "10.2.0.5", "X25519MLKEM768", true),
        established_without_suite,
        reason_on_success,
        bad_outcome,
    ]});
    let r = app
        .call_service(Method::POST, "/api/v1/ingest/tls-sessions", Some(&batch))
        .await;
    assert_eq!(r.status(), 200);
    let res: Value = r.json().await.unwrap();
    assert_eq!(res["accepted"], 2, "{res}");
    let fields: Vec<&str> = res["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["errors"][0]["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["cipher_suite", "failure_reason", "outcome"],
        "{res}"
    );

    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions?outcome=failed",
            Some(&app.viewer),
            None,
        )
        .await;
    let page: Value = r.json().await.unwrap();
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(items[0]["client_ip"], "10.2.0.1");
    assert!(items[0]["protocol_version"].is_null());
    assert!(items[0]["failure_reason"]
        .as_str()
        .unwrap()
        .contains("PQC_ONLY"));
    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions?outcome=sideways",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_eq!(r.status(), 422);

    // The PQC share counts established handshakes only.
    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions/stats",
            Some(&app.viewer),
            None,
        )
        .await;
    let stats: Value = r.json().await.unwrap();
    assert_eq!(stats["handshakes"], 1, "{stats}");
    assert_eq!(stats["failed"], 1, "{stats}");
    assert_eq!(stats["pqc_share"], 1.0, "{stats}");
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn heartbeats_carry_target_health_and_request_counts(pool: PgPool) {
    let app = common::spawn(pool).await;
    let gw = register(&app, "gw-health").await;
    let up = shared::ids::UpstreamId::new().to_string();
    let beat = |body: Value| {
        let app = &app;
        let gw = gw.clone();
        async move {
            app.call_service(
                Method::POST,
                &format!("/api/v1/gateways/{gw}/heartbeat"),
                Some(&body),
            )
            .await
        }
    };
    for (requests, errors) in [(10, 1), (5, 0)] {
        let r = beat(
            json!({"config_revision_seen": 1, "requests": requests, "errors": errors,
            "upstream_health": [{"upstream_id": up, "target": "10.0.0.1:80", "healthy": true},
                                {"upstream_id": up, "target": "10.0.0.2:80", "healthy": false}]}),
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/gateways/{gw}"),
            Some(&app.viewer),
            None,
        )
        .await;
    let g: Value = r.json().await.unwrap();
    let health = g["upstream_health"].as_array().unwrap();
    assert_eq!(health.len(), 2, "{g}");
    assert_eq!(health[1]["healthy"], false);

    // A heartbeat without health keeps the last report.
    assert_eq!(beat(json!({"config_revision_seen": 1})).await.status(), 200);
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/gateways/{gw}"),
            Some(&app.viewer),
            None,
        )
        .await;
    let g: Value = r.json().await.unwrap();
    assert_eq!(g["upstream_health"].as_array().unwrap().len(), 2);

    // Requests over time: both heartbeats summed in this minute.
    let r = app
        .call(
            Method::GET,
            "/api/v1/gateways/traffic?bucket=minute",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!(
        (t["requests"].as_i64(), t["errors"].as_i64()),
        (Some(15), Some(1)),
        "{t}"
    );
    // Every minute of the last 24 h is answered (zero-filled); only this
    // one carries requests.
    let buckets = t["buckets"].as_array().unwrap();
    assert!((1440..=1441).contains(&buckets.len()), "{}", buckets.len());
    assert_eq!(
        buckets
            .iter()
            .filter(|b| b["requests"].as_i64() != Some(0))
            .count(),
        1
    );

    // Hostile or inconsistent heartbeats name the field.
    for (body, field) in [
        (
            json!({"config_revision_seen": 1, "requests": 1, "errors": 2}),
            "errors",
        ),
        (
            json!({"config_revision_seen": 1, "requests": -1}),
            "requests",
        ),
        (
            json!({"config_revision_seen": 1, "upstream_health": [{"upstream_id": "x", "target": "a:1", "healthy": true}]}),
            "upstream_health[0].upstream_id",
        ),
        (
            json!({"config_revision_seen": 1, "upstream_health": [{"upstream_id": up, "target": "", "healthy": true}]}),
            "upstream_health[0].target",
        ),
    ] {
        let r = beat(body).await;
        assert_field_error(r, field).await;
    }
    let many: Vec<Value> = (0..1001)
        .map(|i| json!({"upstream_id": up, "target": format!("10.0.{}.{}:80", i / 250, i % 250), "healthy": true}))
        .collect();
    let r = beat(json!({"config_revision_seen": 1, "upstream_health": many})).await;
    assert_field_error(r, "upstream_health").await;
    for bad in [
        "bucket=week",
        "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
    ] {
        let r = app
            .call(
                Method::GET,
                &format!("/api/v1/gateways/traffic?{bad}"),
                Some(&app.viewer),
                None,
            )
            .await;
        assert_eq!(r.status(), 422, "{bad}");
    }
}

/// A TLS session at a fixed instant (the stats and export tests place
/// sessions in a past window no other row shares).
fn tls_at(gw: &str, id: u32, ip: &str, at: &str, kx: Option<&str>, pqc: bool) -> Value {
    json!({"id": format!("tls_{id:032x}"), "gateway_id": gw, "client_ip": ip, "sni": "api.example.com",
           "protocol_version": "TLSv1.3", "cipher_suite": "TLS13_AES_128_GCM_SHA256", "kx_group": kx,
           "pqc": pqc, "handshake_duration_us": 1500, "established_at": at})
}

async fn ingest_tls(app: &common::TestApp, records: Vec<Value>) {
    let n = records.len();
    let r = app
        .call_service(
            Method::POST,
            "/api/v1/ingest/tls-sessions",
            Some(&json!({ "records": records })),
        )
        .await;
    let res: Value = r.json().await.unwrap();
    assert_eq!(res["accepted"], n, "{res}");
}

async fn get_json(app: &common::TestApp, path: &str) -> Value {
    let r = app.call(Method::GET, path, Some(&app.viewer), None).await;
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

// Stats answer every bucket of the window, empty ones as zero, on UTC
// minute (and 5-minute) boundaries, so a chart gets a real time axis: the
// console's overview drew 11:46 next to 11:57 when empty minutes were
// missing (issue 21).
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn stats_answer_every_bucket_of_the_window_with_zeros(pool: PgPool) {
    let app = common::spawn(pool).await;
    let gw = register(&app, "gw-buckets").await;
    let refused = json!({"gateway_id": gw, "client_ip": "10.5.0.3", "outcome": "failed", "pqc": false,
        "failure_reason": "no shared group", "established_at": "2025-06-01T10:04:30Z"});
    ingest_tls(
        &app,
        vec![
            tls_at(
                &gw,
                1,
                "10.5.0.1",
                "2025-06-01T10:01:10Z",
                Some("X25519MLKEM768"),
                true,
            ),
            tls_at(
                &gw,
                2,
                "10.5.0.2",
                "2025-06-01T10:01:50Z",
                Some("X25519"),
                false,
            ),
            refused,
            // outside the window (to is exclusive)
            tls_at(
                &gw,
                3,
                "10.5.0.2",
                "2025-06-01T10:06:00Z",
                Some("X25519"),
                false,
            ),
        ],
    )
    .await;
    let mut t = threat("10.5.0.9", "HIGH");
    t["detected_at"] = json!("2025-06-01T10:02:59Z");
    let r = app
        .call_service(
            Method::POST,
            "/api/v1/ingest/threats",
            Some(&json!({ "records": [t] })),
        )
        .await;
    assert_eq!(r.status(), 200);
    // The heartbeat stamps the current minute, so a past minute of traffic
    // is written as the heartbeat handler writes it.
    sqlx::query(
        "INSERT INTO gateway_traffic (gateway_id, minute, requests, errors)
         VALUES ($1, '2025-06-01T10:03:00Z', 40, 2), ($1, '2025-06-01T10:05:00Z', 7, 0)",
    )
    .bind(&gw)
    .execute(&app.pool)
    .await
    .unwrap();

    let window = "from=2025-06-01T10:00:00Z&to=2025-06-01T10:06:00Z";
    let minutes: Vec<String> = (0..6).map(|m| format!("2025-06-01T10:0{m}:00Z")).collect();
    let starts = |s: &Value| -> Vec<String> {
        s["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| {
                chrono::DateTime::parse_from_rfc3339(b["start"].as_str().unwrap())
                    .unwrap()
                    .with_timezone(&chrono::Utc)
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string()
            })
            .collect()
    };
    let col = |s: &Value, k: &str| -> Vec<i64> {
        s["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b[k].as_i64().unwrap())
            .collect()
    };

    let tls = get_json(
        &app,
        &format!("/api/v1/tls-sessions/stats?bucket=minute&{window}"),
    )
    .await;
    assert_eq!(starts(&tls), minutes);
    assert_eq!(
        (tls["bucket"].as_str(), tls["bucket_seconds"].as_i64()),
        (Some("minute"), Some(60))
    );
    assert_eq!(col(&tls, "handshakes"), [0, 2, 0, 0, 0, 0]);
    assert_eq!(col(&tls, "pqc"), [0, 1, 0, 0, 0, 0]);
    assert_eq!(col(&tls, "failed"), [0, 0, 0, 0, 1, 0]);
    assert_eq!(
        (tls["handshakes"].as_i64(), tls["failed"].as_i64()),
        (Some(2), Some(1))
    );

    let threats = get_json(&app, &format!("/api/v1/threats/stats?bucket=1m&{window}")).await;
    assert_eq!(starts(&threats), minutes);
    assert_eq!(col(&threats, "total"), [0, 0, 1, 0, 0, 0]);
    assert_eq!(col(&threats, "high"), [0, 0, 1, 0, 0, 0]);

    let traffic = get_json(
        &app,
        &format!("/api/v1/gateways/traffic?bucket=minute&{window}"),
    )
    .await;
    assert_eq!(starts(&traffic), minutes);
    assert_eq!(col(&traffic, "requests"), [0, 0, 0, 40, 0, 7]);
    assert_eq!(col(&traffic, "errors"), [0, 0, 0, 2, 0, 0]);

    // 5-minute buckets over 10:00–10:10: 10:00 holds the minutes above,
    // 10:05 the session at 10:06 the first window left out.
    let five = get_json(
        &app,
        "/api/v1/tls-sessions/stats?bucket=5m&from=2025-06-01T10:00:00Z&to=2025-06-01T10:10:00Z",
    )
    .await;
    assert_eq!(
        starts(&five),
        ["2025-06-01T10:00:00Z", "2025-06-01T10:05:00Z"]
    );
    assert_eq!(five["bucket_seconds"], 300);
    assert_eq!(col(&five, "handshakes"), [2, 1]);
    assert_eq!(col(&five, "failed"), [1, 0]);

    // A window that does not start on a boundary: its first bucket starts
    // before it (10:01:30 → 10:01) and counts only what is inside.
    let partial = get_json(
        &app,
        "/api/v1/tls-sessions/stats?bucket=minute&from=2025-06-01T10:01:30Z&to=2025-06-01T10:03:00Z",
    )
    .await;
    assert_eq!(
        starts(&partial),
        ["2025-06-01T10:01:00Z", "2025-06-01T10:02:00Z"]
    );
    assert_eq!(col(&partial, "handshakes"), [1, 0]);

    // Bad bucket widths and oversized windows name the field.
    for (path, field) in [
        ("/api/v1/tls-sessions/stats?bucket=2m", "bucket"),
        ("/api/v1/threats/stats?bucket=10m", "bucket"),
        ("/api/v1/gateways/traffic?bucket=", "bucket"),
        (
            "/api/v1/tls-sessions/stats?bucket=minute&from=2025-06-01T00:00:00Z&to=2025-06-04T00:00:00Z",
            "from",
        ),
    ] {
        let r = app.call(Method::GET, path, Some(&app.viewer), None).await;
        assert_field_error(r, field).await;
    }
}

// Group-by counts are computed by the database over every matching
// session (the list is paginated; a browser cannot group what it has not
// fetched). Expected counts written out from the sessions ingested below.
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn tls_sessions_group_by_client_group_and_sni(pool: PgPool) {
    let app = common::spawn(pool).await;
    let gw = register(&app, "gw-groups").await;
    let at = "2025-06-02T08:00:00Z";
    let with_sni = |mut v: Value, sni: Option<&str>| {
        v["sni"] = json!(sni);
        v
    };
    ingest_tls(
        &app,
        vec![
            with_sni(tls_at(&gw, 11, "10.3.0.1", at, Some("X25519MLKEM768"), true), Some("a.example")),
            with_sni(tls_at(&gw, 12, "10.3.0.1", at, Some("X25519MLKEM768"), true), Some("a.example")),
            with_sni(tls_at(&gw, 13, "10.3.0.1", at, Some("X25519"), false), Some("b.example")),
            json!({"gateway_id": gw, "client_ip": "10.3.0.2", "sni": "a.example", "outcome": "failed",
                   "pqc": false, "failure_reason": "no shared group", "established_at": at}),
            with_sni(tls_at(&gw, 14, "10.3.0.3", at, Some("X25519MLKEM768"), true), None),
        ],
    )
    .await;
    let groups = |v: &Value| -> Vec<(Value, i64, i64, i64, i64)> {
        v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["key"].clone(),
                    g["sessions"].as_i64().unwrap(),
                    g["established"].as_i64().unwrap(),
                    g["pqc"].as_i64().unwrap(),
                    g["failed"].as_i64().unwrap(),
                )
            })
            .collect()
    };

    let by_client = get_json(&app, "/api/v1/tls-sessions/groups?by=client_ip").await;
    assert_eq!(
        groups(&by_client),
        [
            (json!("10.3.0.1"), 3, 3, 2, 0),
            (json!("10.3.0.2"), 1, 0, 0, 1),
            (json!("10.3.0.3"), 1, 1, 1, 0),
        ]
    );
    assert_eq!(
        (
            by_client["by"].as_str(),
            by_client["total_sessions"].as_i64(),
            by_client["total_groups"].as_i64()
        ),
        (Some("client_ip"), Some(5), Some(3))
    );
    assert_eq!(
        by_client["groups"][0]["last_seen"]
            .as_str()
            .map(|s| s.starts_with("2025-06-02T08:00:00")),
        Some(true)
    );

    // The refused handshake negotiated no group: its key is null, last.
    let by_group = get_json(&app, "/api/v1/tls-sessions/groups?by=kx_group").await;
    assert_eq!(
        groups(&by_group),
        [
            (json!("X25519MLKEM768"), 3, 3, 3, 0),
            (json!("X25519"), 1, 1, 0, 0),
            (Value::Null, 1, 0, 0, 1),
        ]
    );

    let by_sni = get_json(&app, "/api/v1/tls-sessions/groups?by=sni").await;
    assert_eq!(
        groups(&by_sni),
        [
            (json!("a.example"), 3, 2, 2, 1),
            (json!("b.example"), 1, 1, 0, 0),
            (Value::Null, 1, 1, 1, 0),
        ]
    );

    // The list's filters apply; limit cuts the groups, not the totals.
    let est = get_json(
        &app,
        "/api/v1/tls-sessions/groups?by=sni&outcome=established&limit=1",
    )
    .await;
    assert_eq!(groups(&est), [(json!("a.example"), 2, 2, 2, 0)]);
    assert_eq!(
        (est["total_sessions"].as_i64(), est["total_groups"].as_i64()),
        (Some(4), Some(3))
    );
    let one = get_json(
        &app,
        "/api/v1/tls-sessions/groups?by=client_ip&sni=b.example",
    )
    .await;
    assert_eq!(groups(&one), [(json!("10.3.0.1"), 1, 1, 0, 0)]);
    let none = get_json(
        &app,
        "/api/v1/tls-sessions/groups?by=sni&client_ip=10.9.0.0/16",
    )
    .await;
    assert_eq!(
        (
            none["total_sessions"].as_i64(),
            none["total_groups"].as_i64()
        ),
        (Some(0), Some(0))
    );

    // The list says how many sessions match across pages.
    let page = get_json(&app, "/api/v1/tls-sessions?client_ip=10.3.0.1&limit=1").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert!(page["next_cursor"].is_string());
    assert_eq!(
        (page["total"].as_i64(), page["total_capped"].as_bool()),
        (Some(3), Some(false))
    );

    for (q, field) in [
        ("by=gateway", "by"),
        ("by=", "by"),
        ("", "by"),
        ("by=sni&limit=0", "limit"),
        ("by=sni&outcome=maybe", "outcome"),
        ("by=sni&sni=", "sni"),
        ("by=sni&cursor=abc", "cursor"),
    ] {
        let r = app
            .call(
                Method::GET,
                &format!("/api/v1/tls-sessions/groups?{q}"),
                Some(&app.viewer),
                None,
            )
            .await;
        assert_field_error(r, field).await;
    }
    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions/groups?by=sni",
            None,
            None,
        )
        .await;
    assert_eq!(r.status(), 401);
}

// CSV export: RFC 4180 (section 2: records end in CRLF; a field holding a
// comma, a double quote or a line break is enclosed in double quotes, and a
// double quote inside is doubled), the same filter as the list, newest
// first. The expected text is written out by hand from those rules.
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn tls_sessions_export_csv_per_rfc_4180(pool: PgPool) {
    let app = common::spawn(pool).await;
    let gw = register(&app, "gw-csv").await;
    let refused = json!({"id": format!("tls_{:032x}", 21), "gateway_id": gw, "client_ip": "10.4.0.1",
        "sni": "pq.example.com", "outcome": "failed", "pqc": false,
        "failure_reason": "client said \"no\", offered X25519, secp256r1",
        "established_at": "2025-06-03T09:00:02Z"});
    let mut formula = tls_at(
        &gw,
        22,
        "10.4.0.2",
        "2025-06-03T09:00:01Z",
        Some("X25519"),
        false,
    );
    formula["sni"] = json!("=1+2.example");
    ingest_tls(
        &app,
        vec![
            refused,
            formula,
            tls_at(
                &gw,
                23,
                "10.4.0.3",
                "2025-06-03T09:00:00.5Z",
                Some("X25519MLKEM768"),
                true,
            ),
            tls_at(
                &gw,
                24,
                "10.9.0.1",
                "2025-06-03T09:00:03Z",
                Some("X25519MLKEM768"),
                true,
            ),
        ],
    )
    .await;
    let header = "established_at,outcome,failure_reason,client_ip,sni,protocol_version,cipher_suite,kx_group,pqc,resumed,alpn,handshake_duration_us,gateway_id,id\r\n";
    let refused_row = format!(
        "2025-06-03T09:00:02.000000Z,failed,\"client said \"\"no\"\", offered X25519, secp256r1\",10.4.0.1,pq.example.com,,,,false,false,,,{gw},tls_{:032x}\r\n",
        21
    );

    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions/export.csv?outcome=failed",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment; filename=\"tls-sessions-")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    assert_eq!(r.headers()["x-export-truncated"], "false");
    assert_eq!(r.text().await.unwrap(), format!("{header}{refused_row}"));

    // The list's filters select the same rows, newest first; a cell that
    // would run as a spreadsheet formula starts with a quote.
    let body = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions/export.csv?client_ip=10.4.0.0/16",
            Some(&app.viewer),
            None,
        )
        .await
        .text()
        .await
        .unwrap();
    let rest = format!(
        "2025-06-03T09:00:01.000000Z,established,,10.4.0.2,'=1+2.example,TLSv1.3,TLS13_AES_128_GCM_SHA256,X25519,false,false,,1500,{gw},tls_{:032x}\r\n\
         2025-06-03T09:00:00.500000Z,established,,10.4.0.3,api.example.com,TLSv1.3,TLS13_AES_128_GCM_SHA256,X25519MLKEM768,true,false,,1500,{gw},tls_{:032x}\r\n",
        22, 23
    );
    assert_eq!(body, format!("{header}{refused_row}{rest}"));
    let list = get_json(&app, "/api/v1/tls-sessions?client_ip=10.4.0.0/16").await;
    assert_eq!(list["total"], 3);

    // The failure-reason filter matches text inside the reason, whatever
    // its case; `%` and `_` are plain characters, not patterns.
    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions/export.csv?failure_reason=SAID%20%22NO",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_eq!(r.text().await.unwrap(), format!("{header}{refused_row}"));
    for pattern in ["%25", "_", "said%25"] {
        let page = get_json(
            &app,
            &format!("/api/v1/tls-sessions?failure_reason={pattern}"),
        )
        .await;
        assert_eq!(page["total"], 0, "{pattern}: {page}");
    }

    // Nothing matches: the header alone.
    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions/export.csv?sni=nowhere.example",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_eq!(r.text().await.unwrap(), header);

    for (q, field) in [
        ("outcome=sideways", "outcome"),
        ("client_ip=10.0.0.0/33", "client_ip"),
        ("from=2025-06-04T00:00:00Z&to=2025-06-03T00:00:00Z", "from"),
        ("by=sni", "by"),
        ("pqc=maybe", "pqc"),
        ("failure_reason=", "failure_reason"),
    ] {
        let r = app
            .call(
                Method::GET,
                &format!("/api/v1/tls-sessions/export.csv?{q}"),
                Some(&app.viewer),
                None,
            )
            .await;
        assert_field_error(r, field).await;
    }
    let r = app
        .call(Method::GET, "/api/v1/tls-sessions/export.csv", None, None)
        .await;
    assert_eq!(r.status(), 401);
}

// The documented bounds: a total counts at most 100,000 sessions, an
// export holds at most 100,000 rows (the newest) and says it was cut.
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn tls_export_and_total_stop_at_100000_rows(pool: PgPool) {
    let app = common::spawn(pool).await;
    // 100,001 sessions one second apart, the newest at 2025-06-10T00:00:00Z;
    // written in one statement (ingest takes 1,000 per batch).
    sqlx::query(
        "INSERT INTO tls_sessions (id, client_ip, sni, protocol_version, cipher_suite, kx_group, pqc,
            resumed, established_at, outcome)
         SELECT 'tls_' || lpad(to_hex(i), 32, '0'), '10.6.0.1', 'bulk.example', 'TLSv1.3',
            'TLS13_AES_128_GCM_SHA256', 'X25519MLKEM768', true, false,
            TIMESTAMPTZ '2025-06-10T00:00:00Z' - make_interval(secs => i), 'established'
         FROM generate_series(0, 100000) AS i",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let page = get_json(&app, "/api/v1/tls-sessions?sni=bulk.example&limit=1").await;
    assert_eq!(
        (page["total"].as_i64(), page["total_capped"].as_bool()),
        (Some(100_000), Some(true))
    );

    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions/export.csv?sni=bulk.example",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_eq!(r.headers()["x-export-truncated"], "true");
    let body = r.text().await.unwrap();
    let lines: Vec<&str> = body.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 1 + 100_000);
    // newest first: i = 0 … 99,999; the oldest (i = 100,000, 1 day 3:46:40
    // earlier) is the one left out.
    assert!(
        lines[1].starts_with("2025-06-10T00:00:00.000000Z,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[100_000].starts_with("2025-06-08T20:13:21.000000Z,"),
        "{}",
        lines[100_000]
    );

    // Exactly the cap (the newest left out by `to`, exclusive): complete.
    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions/export.csv?sni=bulk.example&to=2025-06-10T00:00:00Z",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_eq!(r.headers()["x-export-truncated"], "false");
    assert_eq!(
        r.text().await.unwrap().split_terminator("\r\n").count(),
        1 + 100_000
    );
}
