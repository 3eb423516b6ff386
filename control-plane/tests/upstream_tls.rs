//! An upstream's TLS block through the API: stored and published as given,
//! hostile blocks refused by field (issue 23 item 1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::assert_field_error;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

/// A real CA certificate (generated here with rcgen, PEM).
fn ca_pem() -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.self_signed(&key).unwrap().pem()
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn upstream_tls_blocks_round_trip_and_hostile_ones_name_the_field(pool: PgPool) {
    let app = common::spawn(pool).await;
    let ca = ca_pem();
    let mut body = common::upstream_body("orders-tls");
    body["tls"] = json!({"sni": "orders.internal", "ca": ca, "policy": "PQC_ONLY",
        "client_cert_path": "/etc/qsgw/upstream/client.crt", "client_key_path": "/etc/qsgw/upstream/client.key"});
    let created = app.create_upstream_body(&body).await;
    // Defaults filled in: enabled and verify on.
    assert_eq!(created["tls"]["enabled"], true, "{created}");
    assert_eq!(created["tls"]["verify"], true);
    assert_eq!(created["tls"]["policy"], "PQC_ONLY");
    assert_eq!(created["tls"]["ca"], ca.as_str());
    let id = created["id"].as_str().unwrap();
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/upstreams/{id}"),
            Some(&app.viewer),
            None,
        )
        .await;
    let got: Value = r.json().await.unwrap();
    assert_eq!(got["tls"], created["tls"]);

    for (tls, field) in [
        (json!({"sni": "*.internal"}), "tls.sni"),
        (json!({"sni": "bad name"}), "tls.sni"),
        (json!({"ca": "not a certificate"}), "tls.ca"),
        (json!({"ca": "x".repeat(70_000)}), "tls.ca"),
        (
            json!({"client_cert_path": "relative/client.crt", "client_key_path": "/k"}),
            "tls.client_cert_path",
        ),
        (
            json!({"client_cert_path": "/etc/c.crt"}),
            "tls.client_key_path",
        ),
    ] {
        let mut b = common::upstream_body("bad-tls");
        b["tls"] = tls;
        let r = app
            .call(
                Method::POST,
                "/api/v1/upstreams",
                Some(&app.operator),
                Some(&b),
            )
            .await;
        assert_field_error(r, field).await;
    }
    // Unknown fields and policies are refused, not ignored.
    for tls in [
        json!({"verfy": false}),
        json!({"policy": "SOMETIMES"}),
        json!({"client_key": "-----BEGIN PRIVATE KEY-----"}),
    ] {
        let mut b = common::upstream_body("bad-tls");
        b["tls"] = tls.clone();
        let r = app
            .call(
                Method::POST,
                "/api/v1/upstreams",
                Some(&app.operator),
                Some(&b),
            )
            .await;
        assert_eq!(r.status(), 422, "{tls}");
    }
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn a_route_may_require_a_client_certificate(pool: PgPool) {
    let app = common::spawn(pool).await;
    let up = app.create_upstream("mtls-backend").await;
    let mut body = common::route_body(up["id"].as_str().unwrap(), "/secure");
    assert_eq!(app.create_route(&body).await["client_cert_required"], false);
    body["path"] = json!("/secure2");
    body["client_cert_required"] = json!(true);
    let created = app.create_route(&body).await;
    assert_eq!(created["client_cert_required"], true);
    body["client_cert_required"] = json!("yes");
    body["path"] = json!("/secure3");
    let r = app
        .call(
            Method::POST,
            "/api/v1/routes",
            Some(&app.operator),
            Some(&body),
        )
        .await;
    assert_eq!(r.status(), 422);
}
