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
    assert_eq!(t["buckets"].as_array().unwrap().len(), 1);

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
