//! The real `gateway` binary: admin listener, config validation, SIGTERM.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use shared::test_util::{
    assert_config_error, assert_help_lists, client, free_port, run_bin, ChildService,
};

const BIN: &str = env!("CARGO_BIN_EXE_gateway");

#[test]
fn config_errors_name_the_variable() {
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_TLS_POLICY", "QUANTUM_MAYBE")]),
        "QSGW_TLS_POLICY",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_MAX_CONNECTIONS", "0")]),
        "QSGW_MAX_CONNECTIONS",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_ETCD_ENDPOINTS", ",")]),
        "QSGW_ETCD_ENDPOINTS",
    );
    assert_config_error(
        &run_bin(
            BIN,
            &[],
            &[("QSGW_CONTROL_PLANE_URL", "control-plane:8085")],
        ),
        "QSGW_CONTROL_PLANE_URL",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_RATE_LIMIT_BURST", "10")]),
        "QSGW_RATE_LIMIT_BURST",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_API_KEY", "short")]),
        "QSGW_API_KEY",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_TLS_SNI_POLICIES", "a.example=MAYBE")]),
        "QSGW_TLS_SNI_POLICIES",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_ENVIRONMENT", "staging")]),
        "QSGW_ENVIRONMENT",
    );
    assert_config_error(
        &run_bin(
            BIN,
            &[],
            &[
                ("QSGW_TLS_EXTRA_CERTS", "only-a-cert.pem"),
                // Past the production etcd guard, which is checked first.
                ("QSGW_ALLOW_INSECURE_ETCD", "true"),
            ],
        ),
        "QSGW_TLS_EXTRA_CERTS",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_TLS_CLIENT_AUTH", "sometimes")]),
        "QSGW_TLS_CLIENT_AUTH",
    );
    assert_config_error(
        &run_bin(
            BIN,
            &[],
            &[("QSGW_TLS_SNI_CLIENT_AUTH", "admin.example.com=sometimes")],
        ),
        "QSGW_TLS_SNI_CLIENT_AUTH",
    );
    assert_config_error(
        &run_bin(
            BIN,
            &[],
            &[("QSGW_TLS_SNI_CERTS", "admin.example.com=only-a-cert.pem")],
        ),
        "QSGW_TLS_SNI_CERTS",
    );
    assert_config_error(
        &run_bin(BIN, &[], &[("QSGW_RECORD_CLIENT_IP", "hashed")]),
        "QSGW_RECORD_CLIENT_IP",
    );
}

#[test]
fn production_without_a_certificate_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("missing.crt");
    let out = run_bin(
        BIN,
        &[],
        &[
            ("QSGW_TLS_CERT_PATH", cert.to_str().unwrap()),
            (
                "QSGW_TLS_KEY_PATH",
                dir.path().join("missing.key").to_str().unwrap(),
            ),
            ("QSGW_GATEWAY_PORT", &free_port().to_string()),
            ("QSGW_GATEWAY_ADMIN_PORT", &free_port().to_string()),
            ("QSGW_CONFIG_CACHE_PATH", ""),
            ("QSGW_ALLOW_INSECURE_ETCD", "true"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("QSGW_TLS_CERT_PATH"));
}

/// Issue 16 items 2 and 6: the gateway reads the control plane's etcd
/// settings with the same checks and error lines (shared::etcd), and its
/// production mode (the default) refuses plaintext etcd unless allowed.
#[test]
fn etcd_tls_settings_and_the_production_guard_name_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.crt");
    std::fs::write(
        &ca,
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let ca = ca.to_str().unwrap();
    let https = ("QSGW_ETCD_ENDPOINTS", "https://etcd.internal:2379");
    let plain = ("QSGW_ETCD_ENDPOINTS", "http://etcd.internal:2379");
    let dev = ("QSGW_ENVIRONMENT", "development");
    for (env, var) in [
        // Production (the default) refuses plaintext etcd ...
        (vec![plain], "QSGW_ETCD_ENDPOINTS"),
        (
            vec![("QSGW_ENVIRONMENT", "production"), plain],
            "QSGW_ETCD_ENDPOINTS",
        ),
        // ... https:// needs the CA, in development too ...
        (vec![https], "QSGW_ETCD_CA_PATH"),
        (vec![dev, https], "QSGW_ETCD_CA_PATH"),
        // ... a client certificate needs its key (and the reverse) ...
        (
            vec![
                https,
                ("QSGW_ETCD_CA_PATH", ca),
                ("QSGW_ETCD_CERT_PATH", ca),
            ],
            "QSGW_ETCD_KEY_PATH",
        ),
        (
            vec![https, ("QSGW_ETCD_CA_PATH", ca), ("QSGW_ETCD_KEY_PATH", ca)],
            "QSGW_ETCD_CERT_PATH",
        ),
        // ... files that cannot be read are named ...
        (
            vec![https, ("QSGW_ETCD_CA_PATH", "/nonexistent/ca.crt")],
            "QSGW_ETCD_CA_PATH",
        ),
        // ... a user needs a password (and the reverse), which in
        // production is a secret of at least 32 bytes.
        (
            vec![
                https,
                ("QSGW_ETCD_CA_PATH", ca),
                ("QSGW_ETCD_USERNAME", "qsgw-gateway"),
            ],
            "QSGW_ETCD_PASSWORD",
        ),
        (
            vec![
                https,
                ("QSGW_ETCD_CA_PATH", ca),
                ("QSGW_ETCD_PASSWORD", "x"),
            ],
            "QSGW_ETCD_USERNAME",
        ),
        (
            vec![
                https,
                ("QSGW_ETCD_CA_PATH", ca),
                ("QSGW_ETCD_USERNAME", "qsgw-gateway"),
                ("QSGW_ETCD_PASSWORD", "short"),
            ],
            "QSGW_ETCD_PASSWORD",
        ),
    ] {
        assert_config_error(&run_bin(BIN, &[], &env), var);
    }
    // Past the etcd checks (explicitly allowed plaintext, or https with its
    // CA; also standalone mode, which never dials etcd): the start stops
    // later, at the missing server certificate (exit 1).
    let missing = dir.path().join("missing.crt");
    let missing = missing.to_str().unwrap();
    let snapshot = dir.path().join("routes.json");
    std::fs::write(&snapshot, r#"{"revision":0,"upstreams":[],"routes":[]}"#).unwrap();
    for extra in [
        vec![plain, ("QSGW_ALLOW_INSECURE_ETCD", "true")],
        vec![https, ("QSGW_ETCD_CA_PATH", ca)],
        vec![plain, ("QSGW_CONFIG_FILE", snapshot.to_str().unwrap())],
    ] {
        let (admin, tls) = (free_port().to_string(), free_port().to_string());
        let mut env = vec![
            ("QSGW_TLS_CERT_PATH", missing),
            ("QSGW_TLS_KEY_PATH", missing),
            ("QSGW_GATEWAY_PORT", &tls),
            ("QSGW_GATEWAY_ADMIN_PORT", &admin),
            ("QSGW_CONFIG_CACHE_PATH", ""),
        ];
        env.extend(extra.iter().copied());
        let out = run_bin(BIN, &[], &env);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("QSGW_TLS_CERT_PATH"),
            "{extra:?}"
        );
    }
}

#[test]
fn help_lists_every_setting() {
    assert_help_lists(
        BIN,
        &[
            "QSGW_GATEWAY_HOST",
            "QSGW_GATEWAY_PORT",
            "QSGW_TLS_CERT_PATH",
            "QSGW_TLS_KEY_PATH",
            "QSGW_CONTROL_PLANE_URL",
            "QSGW_AI_ENGINE_URL",
            "QSGW_ETCD_ENDPOINTS",
            "QSGW_MAX_CONNECTIONS",
            "QSGW_WORKER_THREADS",
            "QSGW_BLOCKING_THREADS",
            "QSGW_UPSTREAM_POOL_SIZE",
            "QSGW_UPSTREAM_TIMEOUT_SECS",
            "QSGW_RATE_LIMIT_RPS",
            "QSGW_RATE_LIMIT_BURST",
            "QSGW_LOG_LEVEL",
            "QSGW_TLS_POLICY",
            "QSGW_GATEWAY_ADMIN_PORT",
            "QSGW_CONFIG_FILE",
            "QSGW_CONFIG_CACHE_PATH",
            "QSGW_ENVIRONMENT",
            "QSGW_TLS_SNI_POLICIES",
            "QSGW_ETCD_CA_PATH",
            "QSGW_ETCD_CERT_PATH",
            "QSGW_ETCD_KEY_PATH",
            "QSGW_ETCD_USERNAME",
            "QSGW_ETCD_PASSWORD",
            "QSGW_ALLOW_INSECURE_ETCD",
        ],
    );
}

#[tokio::test]
async fn admin_listener_reports_unready_without_config_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let (port_s, tls_s) = (port.to_string(), free_port().to_string());
    let cert = dir.path().join("c.crt");
    let key = dir.path().join("c.key");
    let svc = ChildService::spawn(
        BIN,
        &[
            ("QSGW_GATEWAY_ADMIN_PORT", &port_s),
            ("QSGW_GATEWAY_ADMIN_HOST", "127.0.0.1"),
            ("QSGW_GATEWAY_PORT", &tls_s),
            ("QSGW_GATEWAY_HOST", "127.0.0.1"),
            ("QSGW_ENVIRONMENT", "development"),
            ("QSGW_TLS_CERT_PATH", cert.to_str().unwrap()),
            ("QSGW_TLS_KEY_PATH", key.to_str().unwrap()),
            ("QSGW_CONFIG_CACHE_PATH", ""),
            ("QSGW_ETCD_ENDPOINTS", "http://127.0.0.1:1"),
            ("QSGW_WORKER_THREADS", "2"),
        ],
        port,
    )
    .await;
    assert!(
        cert.exists() && key.exists(),
        "a development certificate was generated"
    );
    let c = client();
    let r = c
        .get(format!("{}/health/ready", svc.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        503,
        "no config yet: etcd unreachable and no cache"
    );
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["checks"][0]["name"], "config");
    let doc: serde_json::Value = c
        .get(format!("{}/api/v1/openapi.json", svc.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["info"]["title"], "QSGW gateway admin API");
    assert!(doc["paths"]["/config"].is_object());
    assert!(c
        .get(format!("{}/metrics", svc.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("service=\"gateway\""));
    assert_eq!(svc.terminate().await.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_handshakes_with_an_ip_address_as_sni_log_almost_nothing() {
    // RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted in
    // HostName"; `openssl s_client -servername 127.0.0.1` sends one anyway
    // (any client can), and rustls warns once per such handshake.
    let dir = tempfile::tempdir().unwrap();
    let (admin, tls) = (free_port(), free_port());
    let (admin_s, tls_s) = (admin.to_string(), tls.to_string());
    let log = dir.path().join("gateway.log");
    let svc = ChildService::spawn_logged(
        BIN,
        &[
            ("QSGW_GATEWAY_ADMIN_PORT", &admin_s),
            ("QSGW_GATEWAY_PORT", &tls_s),
            ("QSGW_GATEWAY_HOST", "127.0.0.1"),
            ("QSGW_ENVIRONMENT", "development"),
            (
                "QSGW_TLS_CERT_PATH",
                dir.path().join("c.crt").to_str().unwrap(),
            ),
            (
                "QSGW_TLS_KEY_PATH",
                dir.path().join("c.key").to_str().unwrap(),
            ),
            ("QSGW_CONFIG_CACHE_PATH", ""),
            ("QSGW_ETCD_ENDPOINTS", "http://127.0.0.1:1"),
            ("QSGW_WORKER_THREADS", "2"),
        ],
        admin,
        &log,
    )
    .await;
    // One real ClientHello from `openssl s_client`, captured on a local
    // listener, then replayed 1,000 times (1,000 openssl processes would
    // take a minute on a busy machine).
    let capture = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let cap_port = capture.local_addr().unwrap().port();
    let openssl = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl s_client -connect 127.0.0.1:{cap_port} -servername 127.0.0.1 </dev/null >/dev/null 2>&1"
        ))
        .spawn()
        .unwrap();
    let (mut s, _) = capture.accept().await.unwrap();
    let mut head = [0u8; 5];
    s.read_exact(&mut head).await.unwrap();
    assert_eq!(head[0], 0x16, "a TLS handshake record");
    let mut hello = head.to_vec();
    hello.resize(5 + usize::from(u16::from_be_bytes([head[3], head[4]])), 0);
    s.read_exact(&mut hello[5..]).await.unwrap();
    drop(s);
    drop(openssl);
    let before = std::fs::read_to_string(&log).unwrap().lines().count();
    let hello = std::sync::Arc::new(hello);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let hello = hello.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..125 {
                let mut c = tokio::net::TcpStream::connect(("127.0.0.1", tls))
                    .await
                    .unwrap();
                c.write_all(&hello).await.unwrap();
                // The ServerHello: the gateway has read the ClientHello.
                let mut b = [0u8; 1];
                let _ = c.read_exact(&mut b).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let metrics = client()
        .get(format!("{}/metrics", svc.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let counted: f64 = metrics
        .lines()
        .find(|l| l.starts_with("qsgw_tls_handshakes_without_sni_total"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert!(counted >= 1000.0, "{metrics}");
    let after = std::fs::read_to_string(&log).unwrap();
    let added = after.lines().count() - before;
    assert!(
        added <= 5,
        "{added} log lines for 1,000 handshakes:\n{after}"
    );
    assert_eq!(svc.terminate().await.code(), Some(0));
}
