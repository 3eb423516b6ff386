//! The PQC posture (issue 21, item 2) through the real API: ingested
//! sessions with offered groups, listener policy, route and client family;
//! the posture's figures written out by hand from those sessions; the
//! target setting (admin only, audited, validated); the list filters the
//! panel links to; bad posture fields at ingest.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::assert_field_error;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

async fn create_route(app: &common::TestApp) -> String {
    let r = app
        .call(
            Method::POST,
            "/api/v1/upstreams",
            Some(&app.admin),
            Some(&common::upstream_body("shop-backend")),
        )
        .await;
    assert_eq!(r.status(), 201);
    let up: Value = r.json().await.unwrap();
    let mut body = common::route_body(up["id"].as_str().unwrap(), "/shop");
    body["name"] = json!("shop");
    let r = app
        .call(
            Method::POST,
            "/api/v1/routes",
            Some(&app.admin),
            Some(&body),
        )
        .await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An established session `secs` seconds ago.
#[allow(clippy::too_many_arguments)]
fn established(
    gw: &str,
    ip: &str,
    sni: &str,
    kx: &str,
    pqc: bool,
    offered: &[&str],
    route: &str,
    family: &str,
    secs: i64,
) -> Value {
    json!({"gateway_id": gw, "client_ip": ip, "sni": sni, "protocol_version": "TLSv1.3",
           "cipher_suite": "TLS13_AES_128_GCM_SHA256", "kx_group": kx, "pqc": pqc,
           "offered_groups": offered, "policy": "PQC_PREFERRED", "route_id": route,
           "client_family": family,
           "established_at": (chrono::Utc::now() - chrono::Duration::seconds(secs)).to_rfc3339()})
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn posture_names_classical_clients_per_route_sni_and_policy(pool: PgPool) {
    let app = common::spawn(pool).await;
    let gw = app.register_gateway("gw-posture").await;
    let route = create_route(&app).await;
    let shop = "shop.example.com";
    // Five handshakes:
    // 1. a PQ browser (must not be listed as classical);
    // 2.+3. two curl clients in 203.0.113.0/24 offering only classical groups;
    // 4. a client refused under PQC_ONLY (no request, so no route or family);
    // 5. an IPv6 client that offered X25519MLKEM768 yet negotiated X25519.
    let refused = json!({"gateway_id": gw, "client_ip": "198.51.100.20", "sni": "pq.example.com",
        "pqc": false, "outcome": "failed", "policy": "PQC_ONLY", "offered_groups": ["X25519", "secp256r1"],
        "failure_reason": "peer is incompatible: NoKxGroupsInCommon; policy PQC_ONLY; client offered groups [X25519, secp256r1] (none post-quantum)",
        "established_at": (chrono::Utc::now() - chrono::Duration::seconds(40)).to_rfc3339()});
    let batch = json!({"records": [
        established(&gw, "203.0.113.7", shop, "X25519MLKEM768", true, &["X25519MLKEM768", "X25519"], &route, "Chrome 131", 50),
        established(&gw, "203.0.113.8", shop, "X25519", false, &["X25519", "secp256r1"], &route, "curl", 30),
        established(&gw, "203.0.113.9", shop, "X25519", false, &["X25519", "secp256r1"], &route, "curl", 20),
        refused,
        established(&gw, "2001:db8:1:2::5", shop, "X25519", false, &["X25519MLKEM768", "X25519"], &route, "Firefox 133", 10),
    ]});
    let r = app
        .call_service(Method::POST, "/api/v1/ingest/tls-sessions", Some(&batch))
        .await;
    let res: Value = r.json().await.unwrap();
    assert_eq!(res["inserted"], 5, "{res}");
    // A route-level refusal (the route's PQC_ONLY answered 403/421).
    let threat = json!({"records": [{"gateway_id": gw, "client_ip": "203.0.113.8", "route_id": route,
        "threat_type": "tls_policy_violation", "severity": "MEDIUM", "action_taken": "blocked",
        "reasons": ["route requires PQC_ONLY; connection negotiated X25519"],
        "detected_at": chrono::Utc::now().to_rfc3339()}]});
    let r = app
        .call_service(Method::POST, "/api/v1/ingest/threats", Some(&threat))
        .await;
    assert_eq!(r.status(), 200);

    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions/posture",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let p: Value = r.json().await.unwrap();
    // Established: 1, 2, 3, 5; of which PQ: 1 → 1/4. Refused: 4.
    assert_eq!(p["handshakes"], 4, "{p}");
    assert_eq!(p["pqc"], 1);
    assert_eq!(p["pqc_share"], 0.25);
    assert_eq!(p["refused"], 1);
    assert_eq!(p["target"], Value::Null);
    let clients = p["classical_clients"].as_array().unwrap();
    let rows: Vec<(String, i64, i64, bool)> = clients
        .iter()
        .map(|c| {
            (
                c["client_prefix"].as_str().unwrap().to_owned(),
                c["established"].as_i64().unwrap(),
                c["refused"].as_i64().unwrap(),
                c["offers_pq"].as_bool().unwrap(),
            )
        })
        .collect();
    // Most connections first (2 and 3 share a /24, SNI, family and offer),
    // then by latest: session 5 (10 s ago) before session 4 (40 s ago).
    assert_eq!(
        rows,
        [
            ("203.0.113.0/24".to_owned(), 2, 0, false),
            ("2001:db8:1::/48".to_owned(), 1, 0, true),
            ("198.51.100.0/24".to_owned(), 0, 1, false),
        ],
        "{p}"
    );
    assert_eq!(clients[0]["client_family"], "curl");
    assert_eq!(clients[0]["sni"], shop);
    assert_eq!(clients[0]["offered_groups"], json!(["X25519", "secp256r1"]));
    assert_eq!(clients[2]["client_family"], Value::Null);
    assert!(
        clients.iter().all(|c| c["client_family"] != "Chrome 131"),
        "the PQ browser is not a classical client: {p}"
    );
    assert_eq!(
        p["by_route"],
        json!([{"key": route, "name": "shop", "handshakes": 4, "pqc": 1, "refused": 0}])
    );
    assert_eq!(
        p["by_sni"],
        json!([
            {"key": shop, "name": null, "handshakes": 4, "pqc": 1, "refused": 0},
            {"key": "pq.example.com", "name": null, "handshakes": 0, "pqc": 0, "refused": 1},
        ])
    );
    assert_eq!(
        p["refusals_by_policy"],
        json!([{"policy": "PQC_ONLY", "refused": 1}])
    );
    assert_eq!(
        p["refusals_by_route"],
        json!([{"route_id": route, "name": "shop", "policy": "PQC_ONLY", "refused": 1}])
    );

    // The list filters each posture figure links to.
    let count = |q: String| {
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
            r.json::<Value>().await.unwrap()["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(
        count(format!(
            "client_ip=203.0.113.0/24&sni={shop}&pqc=false&client_family=curl"
        ))
        .await,
        2
    );
    assert_eq!(count(format!("route_id={route}")).await, 4);
    assert_eq!(count("policy=PQC_ONLY&outcome=failed".into()).await, 1);
    assert_eq!(count("sni=pq.example.com".into()).await, 1);
    assert_eq!(count("sni=-".into()).await, 0);
    for (q, field) in [
        ("route_id=rt_nope", "route_id"),
        ("policy=PQC_MAYBE", "policy"),
        ("client_family=", "client_family"),
    ] {
        let r = app
            .call(
                Method::GET,
                &format!("/api/v1/tls-sessions?{q}"),
                Some(&app.viewer),
                None,
            )
            .await;
        assert_field_error(r, field).await;
    }
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn posture_target_is_admin_only_validated_and_audited(pool: PgPool) {
    let app = common::spawn(pool).await;
    let put = |token: String, body: Value| {
        let app = &app;
        async move {
            app.call(
                Method::PUT,
                "/api/v1/posture/settings",
                Some(&token),
                Some(&body),
            )
            .await
        }
    };
    // An operator or viewer cannot move the target.
    for token in [app.operator.clone(), app.viewer.clone()] {
        let r = put(token, json!({"pqc_share_target": 0.5})).await;
        assert_eq!(r.status(), 403);
    }
    for bad in [json!(1.5), json!(-0.1), json!("95%")] {
        let r = put(app.admin.clone(), json!({"pqc_share_target": bad})).await;
        assert_field_error(r, "pqc_share_target").await;
    }
    let r = put(app.admin.clone(), json!({"pqc_share_target": 0.95})).await;
    assert_eq!(r.status(), 200);
    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions/posture",
            Some(&app.viewer),
            None,
        )
        .await;
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["target"], 0.95);
    // No sessions: no share to speak of (not 0 %).
    assert_eq!(p["pqc_share"], Value::Null);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM qsgw_audit_log WHERE action = 'posture.update' AND outcome = 'success'
           AND after->>'pqc_share_target' = '0.95'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn ingest_rejects_bad_posture_fields_by_name(pool: PgPool) {
    let app = common::spawn(pool).await;
    let gw = app.register_gateway("gw-posture-bad").await;
    let base = || {
        json!({"gateway_id": gw, "client_ip": "10.9.0.1", "protocol_version": "TLSv1.3",
               "cipher_suite": "TLS13_AES_128_GCM_SHA256", "kx_group": "X25519", "pqc": false,
               "established_at": chrono::Utc::now().to_rfc3339()})
    };
    let with = |k: &str, v: Value| {
        let mut b = base();
        b[k] = v;
        b
    };
    let many: Vec<String> = (0..33).map(|i| format!("0x{i:04x}")).collect();
    let batch = json!({"records": [
        with("offered_groups", json!(["X25519,secp256r1"])),
        with("offered_groups", json!(many)),
        with("policy", json!("PQC_SOMETIMES")),
        with("route_id", json!("rt_x")),
        with("client_family", json!("x".repeat(65))),
        with("offered_groups", json!(["X25519", "0x11ec"])),
    ]});
    let r = app
        .call_service(Method::POST, "/api/v1/ingest/tls-sessions", Some(&batch))
        .await;
    let res: Value = r.json().await.unwrap();
    let fields: Vec<&str> = res["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["errors"][0]["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "offered_groups",
            "offered_groups",
            "policy",
            "route_id",
            "client_family"
        ],
        "{res}"
    );
    assert_eq!(res["accepted"], 1);
}

/// Item 6 of issue 21 (lists with totals): the threats list says how many
/// events match over every page, with the filter applied.
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn threat_list_total_counts_every_page_of_the_filter(pool: PgPool) {
    let app = common::spawn(pool).await;
    let ev = |ip: &str, kind: &str| {
        json!({"client_ip": ip, "threat_type": kind, "severity": "LOW", "action_taken": "flagged",
               "reasons": [], "detected_at": chrono::Utc::now().to_rfc3339()})
    };
    let batch = json!({"records": [ev("10.3.0.1", "scanner"), ev("10.3.0.2", "scanner"), ev("10.3.0.3", "scanner"), ev("10.3.0.4", "bot")]});
    let r = app
        .call_service(Method::POST, "/api/v1/ingest/threats", Some(&batch))
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .call(
            Method::GET,
            "/api/v1/threats?threat_type=scanner&limit=2",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    // 3 scanners match; the page holds 2 of them, the total says 3.
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["total"], 3);
    assert_eq!(page["total_capped"], false);
    assert!(page["next_cursor"].is_string());
}

/// Item 6 of issue 21 (lists with totals): the audit log says how many rows
/// match over every page.
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn audit_log_total_counts_every_page_of_the_filter(pool: PgPool) {
    let app = common::spawn(pool).await;
    for name in ["audit-a", "audit-b", "audit-c"] {
        let r = app
            .call(
                Method::POST,
                "/api/v1/upstreams",
                Some(&app.admin),
                Some(&common::upstream_body(name)),
            )
            .await;
        assert_eq!(r.status(), 201);
    }
    let r = app
        .call(
            Method::GET,
            "/api/v1/audit-log?action=upstream.create&limit=2",
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    // Three creates audited; a page of two; the total says three.
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["total"], 3);
    assert_eq!(page["total_capped"], false);
}

/// Issue 24 item 3 (PQC_ONLY dry run): from the recorded ClientHellos, who
/// switching a route to PQC_ONLY, or to CNSA 2.0 (ML-KEM-1024 only, per
/// NSA's CNSA 2.0 algorithm list), would refuse. Figures written out from
/// the six sessions below.
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn pqc_only_dry_run_counts_who_would_be_refused(pool: PgPool) {
    let app = common::spawn(pool).await;
    let gw = app.register_gateway("gw-dry-run").await;
    let route = create_route(&app).await;
    let shop = "shop.example.com";
    let mut unknown = established(
        &gw,
        "192.0.2.60",
        shop,
        "X25519",
        false,
        &[],
        &route,
        "curl",
        5,
    );
    unknown.as_object_mut().unwrap().remove("offered_groups");
    let batch = json!({"records": [
        // 1. offers X25519MLKEM768: fine for PQC_ONLY, refused by CNSA 2.0.
        established(&gw, "203.0.113.7", shop, "X25519MLKEM768", true, &["X25519MLKEM768", "X25519"], &route, "Chrome 131", 50),
        // 2., 3. classical only: refused by both.
        established(&gw, "203.0.113.8", shop, "X25519", false, &["X25519", "secp256r1"], &route, "curl", 40),
        established(&gw, "203.0.113.9", shop, "X25519", false, &["X25519", "secp256r1"], &route, "curl", 30),
        // 4. like 1, over IPv6.
        established(&gw, "2001:db8:1:2::5", shop, "X25519MLKEM768", true, &["X25519MLKEM768", "X25519"], &route, "Firefox 133", 20),
        // 5. offers ML-KEM-1024: fine for both.
        established(&gw, "198.51.100.30", shop, "X25519MLKEM768", true, &["MLKEM1024", "X25519MLKEM768"], &route, "other", 10),
        // 6. recorded before offered groups were: counted apart.
        unknown,
    ]});
    let r = app
        .call_service(Method::POST, "/api/v1/ingest/tls-sessions", Some(&batch))
        .await;
    let res: Value = r.json().await.unwrap();
    assert_eq!(res["inserted"], 6, "{res}");
    // The gateway's sensor aggregates for the same traffic: requests per
    // route, negotiated group and family (plus another route's, which the
    // route's dry run must not count).
    let other_route = shared::ids::RouteId::new().to_string();
    let agg = |rt: &str, kx: &str, pqc: bool, fam: &str, requests: i64| json!({"route_id": rt, "kx_group": kx, "pqc": pqc, "client_family": fam, "sessions": 1, "requests": requests});
    let r = app
        .call_service(
            Method::POST,
            &format!("/api/v1/gateways/{gw}/heartbeat"),
            Some(&json!({"config_revision_seen": 0, "traffic_by_group": [
                agg(&route, "X25519MLKEM768", true, "Chrome 131", 50),
                agg(&route, "X25519", false, "curl", 70),
                agg(&route, "X25519MLKEM768", true, "Firefox 133", 20),
                agg(&route, "X25519MLKEM768", true, "other", 10),
                agg(&other_route, "X25519", false, "curl", 1000)]})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let get = |path: String| {
        let app = &app;
        async move {
            let r = app.call(Method::GET, &path, Some(&app.viewer), None).await;
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, pqc) = get(format!("/api/v1/routes/{route}/pqc-only-impact")).await;
    assert_eq!(s, 200, "{pqc}");
    // PQC_ONLY: 5 sessions from 5 addresses; 2 and 3 refused → 2/5.
    assert_eq!(pqc["mode"], "PQC_ONLY");
    assert_eq!(
        (pqc["sessions"].as_i64(), pqc["clients"].as_i64()),
        (Some(5), Some(5))
    );
    assert_eq!(pqc["would_refuse_sessions"], 2);
    assert_eq!(pqc["would_refuse_clients"], 2);
    assert_eq!(pqc["session_share"], 0.4);
    assert_eq!(pqc["client_share"], 0.4);
    assert_eq!(pqc["unknown_sessions"], 1);
    // Requests: 50 + 70 + 20 + 10 = 150 on the route, the 70 under X25519
    // refused → 70/150.
    assert_eq!(pqc["requests"], 150);
    assert_eq!(pqc["would_refuse_requests"], 70);
    assert_eq!(pqc["request_share"], 70.0 / 150.0);
    assert_eq!(
        pqc["by_client_family"],
        json!([{"client_family": "curl", "client_prefix": null, "offered_groups": null, "sessions": 2, "clients": 2, "requests": 70}])
    );
    assert_eq!(
        pqc["top_offenders"],
        json!([{"client_family": "curl", "client_prefix": "203.0.113.0/24", "offered_groups": ["X25519", "secp256r1"], "sessions": 2, "clients": 2, "requests": null}])
    );
    // Over all traffic the other route's 1,000 classical requests count too.
    let (_, all) = get("/api/v1/tls-sessions/pqc-only-impact".into()).await;
    assert_eq!(all["requests"], 1150);
    assert_eq!(all["would_refuse_requests"], 1070);
    // CNSA 2.0: only session 5 offers ML-KEM-1024 → 4/5 refused.
    let (_, cnsa) = get(format!("/api/v1/routes/{route}/pqc-only-impact?mode=CNSA2")).await;
    assert_eq!(cnsa["would_refuse_sessions"], 4, "{cnsa}");
    assert_eq!(cnsa["session_share"], 0.8);
    // The aggregates do not hold offered groups: no request figure.
    assert_eq!(cnsa["requests"], Value::Null);
    let families: Vec<(&str, i64)> = cnsa["by_client_family"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["client_family"].as_str().unwrap(),
                r["sessions"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        families,
        [("curl", 2), ("Chrome 131", 1), ("Firefox 133", 1)]
    );
    // The per-host form gives the same for this SNI, nothing for another.
    let (_, by_sni) = get(format!("/api/v1/tls-sessions/pqc-only-impact?sni={shop}")).await;
    assert_eq!(by_sni["would_refuse_sessions"], 2);
    assert_eq!(by_sni["requests"], Value::Null);
    let (_, other) = get("/api/v1/tls-sessions/pqc-only-impact?sni=other.example.com".into()).await;
    assert_eq!(other["sessions"], 0);
    assert_eq!(other["session_share"], Value::Null);
    // Bad input, unknown route.
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/routes/{route}/pqc-only-impact?mode=SOMETIMES"),
            Some(&app.viewer),
            None,
        )
        .await;
    assert_field_error(r, "mode").await;
    let r = app
        .call(
            Method::GET,
            "/api/v1/routes/rt_00000000000000000000000000000000/pqc-only-impact",
            Some(&app.viewer),
            None,
        )
        .await;
    assert_eq!(r.status(), 404);
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn cnsa2_is_a_policy_routes_gateways_and_session_records_carry(pool: PgPool) {
    let app = common::spawn(pool).await;
    // A gateway whose listener runs CNSA2 registers with it.
    let r = app
        .call_service(
            Method::POST,
            "/api/v1/gateways/register",
            Some(&json!({"name": "gw-cnsa", "tls_policy": "CNSA2"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let gw: Value = r.json().await.unwrap();
    assert_eq!(gw["tls_policy"], "CNSA2");
    let gw = gw["id"].as_str().unwrap().to_owned();
    // A route may demand it.
    let up = app.create_upstream("cnsa-backend").await;
    let mut body = common::route_body(up["id"].as_str().unwrap(), "/cnsa");
    body["tls_policy"] = json!("CNSA2");
    let created = app.create_route(&body).await;
    assert_eq!(created["tls_policy"], "CNSA2");
    let route = created["id"].as_str().unwrap().to_owned();
    // Its sessions are recorded under it, with the P-384 hybrid's name.
    let mut rec = established(
        &gw,
        "203.0.113.5",
        "api.example.com",
        "SecP384r1MLKEM1024",
        true,
        &["SecP384r1MLKEM1024", "MLKEM1024"],
        &route,
        "other",
        5,
    );
    rec["policy"] = json!("CNSA2");
    rec["cipher_suite"] = json!("TLS13_AES_256_GCM_SHA384");
    let r = app
        .call_service(
            Method::POST,
            "/api/v1/ingest/tls-sessions",
            Some(&json!({"records": [rec]})),
        )
        .await;
    let res: Value = r.json().await.unwrap();
    assert_eq!(res["inserted"], 1, "{res}");
    // The CNSA 2.0 dry run counts the hybrid as ML-KEM-1024 capable.
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/routes/{route}/pqc-only-impact?mode=CNSA2"),
            Some(&app.viewer),
            None,
        )
        .await;
    let d: Value = r.json().await.unwrap();
    assert_eq!(
        (d["sessions"].as_i64(), d["would_refuse_sessions"].as_i64()),
        (Some(1), Some(0)),
        "{d}"
    );
    let r = app
        .call(
            Method::GET,
            "/api/v1/tls-sessions?policy=CNSA2",
            Some(&app.viewer),
            None,
        )
        .await;
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["total"], 1, "{list}");
}
