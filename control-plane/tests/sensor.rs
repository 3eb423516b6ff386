//! The gateway sensor's aggregates as the control plane receives them
//! (heartbeat `traffic_by_group` → `route_traffic`), hostile aggregates,
//! and retention of recorded traffic (issue 24 items 1 and 6).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::assert_field_error;
use control_plane::retention::{prune, Retention};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

async fn beat(app: &common::TestApp, gw: &str, body: Value) -> reqwest::Response {
    app.call_service(
        Method::POST,
        &format!("/api/v1/gateways/{gw}/heartbeat"),
        Some(&body),
    )
    .await
}

type Row = (String, String, bool, String, i64, i64, i64, i64);

async fn rows(pool: &PgPool) -> Vec<Row> {
    sqlx::query_as(
        "SELECT route_id, kx_group, pqc, client_family, sum(sessions)::int8, sum(requests)::int8,
                sum(bytes_in)::int8, sum(bytes_out)::int8
         FROM route_traffic GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 4",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn heartbeat_aggregates_are_summed_per_route_group_and_family(pool: PgPool) {
    let app = common::spawn(pool.clone()).await;
    let gw = app.register_gateway("gw-sensor").await;
    let rt = shared::ids::RouteId::new().to_string();
    let agg = |route: Option<&str>, kx: &str, pqc: bool, fam: &str, n: i64| {
        json!({"route_id": route, "kx_group": kx, "pqc": pqc, "client_family": fam,
               "sessions": n, "requests": 10 * n, "bytes_in": 100 * n, "bytes_out": 1000 * n})
    };
    // Two heartbeats in the same minute; the second repeats a key within
    // its own batch (a buggy or hostile gateway), which is summed, not a
    // 500.
    let r = beat(
        &app,
        &gw,
        json!({"config_revision_seen": 1, "traffic_by_group": [
            agg(Some(&rt), "X25519MLKEM768", true, "Chrome 131", 2),
            agg(Some(&rt), "X25519", false, "curl", 1),
            agg(None, "X25519", false, "none", 3)]}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let r = beat(
        &app,
        &gw,
        json!({"config_revision_seen": 1, "traffic_by_group": [
            agg(Some(&rt), "X25519", false, "curl", 4),
            agg(Some(&rt), "X25519", false, "curl", 5)]}),
    )
    .await;
    assert_eq!(r.status(), 200);
    // Expected sums by hand: curl on rt = 1 + 4 + 5 = 10 sessions, so
    // 100 requests, 1,000 bytes in, 10,000 bytes out.
    assert_eq!(
        rows(&pool).await,
        vec![
            (
                "".into(),
                "X25519".into(),
                false,
                "none".into(),
                3,
                30,
                300,
                3000
            ),
            (
                rt.clone(),
                "X25519".into(),
                false,
                "curl".into(),
                10,
                100,
                1000,
                10_000
            ),
            (
                rt.clone(),
                "X25519MLKEM768".into(),
                true,
                "Chrome 131".into(),
                2,
                20,
                200,
                2000
            ),
        ]
    );

    // Hostile aggregates name the field and store nothing.
    let before = rows(&pool).await;
    for (entry, field) in [
        (
            json!({"route_id": "rt_x", "kx_group": "X25519", "pqc": false, "client_family": "curl"}),
            "traffic_by_group[0].route_id",
        ),
        (
            json!({"kx_group": "X25519,secp256r1", "pqc": false, "client_family": "curl"}),
            "traffic_by_group[0].kx_group",
        ),
        (
            json!({"kx_group": "X25519", "pqc": false, "client_family": ""}),
            "traffic_by_group[0].client_family",
        ),
        (
            json!({"kx_group": "X25519", "pqc": false, "client_family": "x".repeat(65)}),
            "traffic_by_group[0].client_family",
        ),
        (
            json!({"kx_group": "X25519", "pqc": false, "client_family": "curl", "requests": -1}),
            "traffic_by_group[0].requests",
        ),
        (
            json!({"kx_group": "X25519", "pqc": false, "client_family": "curl", "bytes_out": i64::MAX}),
            "traffic_by_group[0].bytes_out",
        ),
    ] {
        let r = beat(
            &app,
            &gw,
            json!({"config_revision_seen": 1, "traffic_by_group": [entry]}),
        )
        .await;
        assert_field_error(r, field).await;
    }
    // A client address or raw agent is not a field the contract has.
    let r = beat(&app, &gw, json!({"config_revision_seen": 1, "traffic_by_group": [
        {"kx_group": "X25519", "pqc": false, "client_family": "curl", "client_ip": "203.0.113.9"}]})).await;
    assert_eq!(r.status(), 422);
    let many: Vec<Value> = (0..5001)
        .map(|i| agg(None, "X25519", false, &format!("f{i}"), 1))
        .collect();
    let r = beat(
        &app,
        &gw,
        json!({"config_revision_seen": 1, "traffic_by_group": many}),
    )
    .await;
    assert_field_error(r, "traffic_by_group").await;
    assert_eq!(rows(&pool).await, before);

    // Served certificates: kept as reported, hostile ones named.
    let cert = json!({"sha256": "ab".repeat(32), "subject": "CN=api.example.com", "issuer": "CN=Example CA",
        "serial": "01:02", "not_before": "2026-01-01T00:00:00Z", "not_after": "2027-01-01T00:00:00Z",
        "dns_names": ["api.example.com"], "public_key_algorithm": "ECDSA-P256",
        "signature_algorithm": "ecdsa-with-SHA256"});
    let r = beat(
        &app,
        &gw,
        json!({"config_revision_seen": 1, "served_certificates": [cert]}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let listed: Value = r.json().await.unwrap();
    assert_eq!(
        listed["served_certificates"][0]["public_key_algorithm"],
        "ECDSA-P256"
    );
    for (patch, field) in [
        (json!({"sha256": "XYZ"}), "served_certificates[0].sha256"),
        (
            json!({"not_after": "2025-01-01T00:00:00Z"}),
            "served_certificates[0].not_after",
        ),
        (
            json!({"public_key_algorithm": ""}),
            "served_certificates[0].public_key_algorithm",
        ),
        (
            json!({"dns_names": vec!["a.example"; 21]}),
            "served_certificates[0].dns_names",
        ),
    ] {
        let mut c = cert.clone();
        for (k, v) in patch.as_object().unwrap() {
            c[k] = v.clone();
        }
        let r = beat(
            &app,
            &gw,
            json!({"config_revision_seen": 1, "served_certificates": [c]}),
        )
        .await;
        assert_field_error(r, field).await;
    }
    let r = beat(
        &app,
        &gw,
        json!({"config_revision_seen": 1, "served_certificates": vec![cert.clone(); 17]}),
    )
    .await;
    assert_field_error(r, "served_certificates").await;

    // Only the service role reports: a viewer's token is refused.
    let r = app
        .call(
            Method::POST,
            &format!("/api/v1/gateways/{gw}/heartbeat"),
            Some(&app.viewer),
            Some(&json!({"config_revision_seen": 1, "traffic_by_group": [agg(None, "X25519", false, "curl", 1)]})),
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(rows(&pool).await, before);
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn retention_deletes_what_is_past_it_and_keeps_the_rest(pool: PgPool) {
    let app = common::spawn(pool.clone()).await;
    let gw = app.register_gateway("gw-retention").await;
    // Sessions 100, 40 and 1 days old; aggregates 500, 100 and 1 days old.
    for (i, days) in [100, 40, 1].into_iter().enumerate() {
        sqlx::query(
            "INSERT INTO tls_sessions (id, gateway_id, client_ip, protocol_version, cipher_suite, pqc, established_at)
             VALUES ($1, $2, '198.51.100.1', 'TLSv1.3', 'TLS13_AES_128_GCM_SHA256', false,
                     now() - make_interval(days => $3))",
        )
        .bind(format!("tls_{i:032x}"))
        .bind(&gw)
        .bind(days)
        .execute(&pool)
        .await
        .unwrap();
    }
    for days in [500, 100, 1] {
        sqlx::query(
            "INSERT INTO route_traffic (gateway_id, minute, route_id, kx_group, pqc, client_family, requests)
             VALUES ($1, date_trunc('minute', now() - make_interval(days => $2)), '', 'X25519', false, 'curl', 1)",
        )
        .bind(&gw)
        .bind(days)
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO gateway_traffic (gateway_id, minute, requests)
             VALUES ($1, date_trunc('minute', now() - make_interval(days => $2)), 1)",
        )
        .bind(&gw)
        .bind(days)
        .execute(&pool)
        .await
        .unwrap();
    }
    let r = Retention {
        tls_session_days: 30,
        traffic_days: 400,
    };
    let p = prune(&pool, r).await.unwrap();
    assert_eq!(
        (p.tls_sessions, p.route_traffic, p.gateway_traffic),
        (2, 1, 1)
    );
    let left: Vec<(i64,)> = sqlx::query_as(
        "SELECT (extract(epoch FROM now() - established_at) / 86400)::int8 FROM tls_sessions",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(left, vec![(1,)]);
    let left: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM route_traffic), (SELECT count(*) FROM gateway_traffic)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, (2, 2));
    // Idempotent: nothing more to delete.
    assert_eq!(prune(&pool, r).await.unwrap(), Default::default());
}

#[test]
fn retention_settings_are_bounded_and_named() {
    let parse = |extra: &[&str]| {
        let mut args = vec![
            "control-plane",
            "--jwt-secret",
            shared::test_util::TEST_JWT_SECRET,
        ];
        args.extend_from_slice(extra);
        <control_plane::config::Cli as clap::Parser>::try_parse_from(args)
    };
    let ok = parse(&[]).unwrap();
    assert_eq!(ok.settings.tls_session_retention_days, 90);
    assert_eq!(ok.settings.traffic_retention_days, 400);
    for bad in [
        ["--tls-session-retention-days", "0"],
        ["--traffic-retention-days", "3651"],
    ] {
        let e = parse(&bad).unwrap_err().to_string();
        assert!(e.contains(bad[0]), "{e}");
    }
}
