//! Post-quantum TLS policy on the real listener, with clients that offer
//! chosen key-exchange groups.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use rustls::NamedGroup;
use shared::ids::UpstreamId;
use shared::qsgw::{ConfigSnapshot, PathMatch};

async fn gateway_with(extra: &[&str]) -> Gateway {
    let up = UpstreamId::new();
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![route("/", PathMatch::Prefix, &up)],
        upstreams: vec![upstream(&up, &[])],
    };
    start_standalone(&snap, extra).await
}

#[tokio::test]
async fn pq_client_negotiates_x25519mlkem768_and_classical_falls_back_under_preferred() {
    let g = gateway_with(&[]).await;
    let (group, _s) = handshake(
        g.tls_addr,
        client_config(pq_groups(), &g.cert_path(), false),
        "localhost",
    )
    .await
    .unwrap();
    assert_eq!(group, NamedGroup::X25519MLKEM768);
    let (group, _s) = handshake(
        g.tls_addr,
        client_config(classical_groups(), &g.cert_path(), false),
        "localhost",
    )
    .await
    .unwrap();
    assert_eq!(
        group,
        NamedGroup::X25519,
        "classical client accepted under PQC_PREFERRED"
    );
    // TLS 1.2 is refused outside CLASSICAL_ALLOWED.
    assert!(handshake(
        g.tls_addr,
        client_config(classical_groups(), &g.cert_path(), true),
        "localhost"
    )
    .await
    .is_err());
    let metrics = g.metrics().await;
    assert!(metrics.contains("kx_group=\"X25519MLKEM768\""), "{metrics}");
    g.stop().await;
}

#[tokio::test]
async fn classical_client_fails_under_pqc_only() {
    let g = gateway_with(&["--tls-policy", "PQC_ONLY"]).await;
    let err = handshake(
        g.tls_addr,
        client_config(classical_groups(), &g.cert_path(), false),
        "localhost",
    )
    .await
    .expect_err("no common group");
    let text = err.to_string().to_lowercase();
    assert!(
        text.contains("handshake") || text.contains("alert"),
        "{err}"
    );
    let (group, _s) = handshake(
        g.tls_addr,
        client_config(pq_groups(), &g.cert_path(), false),
        "localhost",
    )
    .await
    .unwrap();
    assert_eq!(group, NamedGroup::X25519MLKEM768);
    g.stop().await;
}

#[tokio::test]
async fn sni_override_applies_per_host() {
    let g = gateway_with(&[
        "--tls-policy",
        "PQC_ONLY",
        "--tls-sni-policies",
        "legacy.localhost=CLASSICAL_ALLOWED",
    ])
    .await;
    // The dev certificate only names localhost, so verify by group only:
    // a handshake failure on name would be a certificate error, not a kx one.
    let cfg = client_config(classical_groups(), &g.cert_path(), false);
    let err = handshake(g.tls_addr, cfg.clone(), "localhost")
        .await
        .expect_err("PQC_ONLY for localhost");
    assert!(!err.to_string().contains("certificate"), "{err}");
    let err = handshake(g.tls_addr, cfg, "legacy.localhost")
        .await
        .expect_err("name mismatch expected");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "kx accepted, then name check failed: {err}"
    );
    g.stop().await;
}

#[tokio::test]
async fn replaced_certificate_is_used_by_new_handshakes_while_open_connections_continue() {
    let g = gateway_with(&[]).await;
    let first = std::fs::read(g.cert_path()).unwrap();
    let (_, old_conn) = handshake(
        g.tls_addr,
        client_config(pq_groups(), &g.cert_path(), false),
        "localhost",
    )
    .await
    .unwrap();
    // Replace both files with a new self-signed pair.
    gateway::tls::generate_dev_cert(&g.cert_path(), &g.key_path()).unwrap();
    let second = std::fs::read(g.cert_path()).unwrap();
    assert_ne!(first, second);
    // Within a few seconds new handshakes present the new certificate.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, s) = handshake(
            g.tls_addr,
            client_config(pq_groups(), &g.cert_path(), false),
            "localhost",
        )
        .await
        .map_or((NamedGroup::X25519, None), |(g, s)| (g, Some(s)));
        if let Some(s) = s {
            let served = s.get_ref().1.peer_certificates().unwrap()[0].to_vec();
            let expected: Vec<u8> = rustls::pki_types::CertificateDer::from_pem_slice(&second)
                .unwrap()
                .to_vec();
            if served == expected {
                break;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "new certificate never served"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The connection opened before the swap still works.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut old_conn = old_conn;
    old_conn
        .write_all(b"GET /health HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    old_conn.read_to_end(&mut buf).await.unwrap();
    assert!(
        String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 "),
        "{}",
        String::from_utf8_lossy(&buf)
    );
    g.stop().await;
}

use rustls::pki_types::pem::PemObject;

/// Connects with `cfg`, sends one request and reads the answer to the end
/// (which also takes in the session ticket); returns how the handshake went.
async fn one_request(
    g: &Gateway,
    cfg: &std::sync::Arc<rustls::ClientConfig>,
) -> (rustls::HandshakeKind, NamedGroup) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let connector = tokio_rustls::TlsConnector::from(cfg.clone());
    let tcp = tokio::net::TcpStream::connect(g.tls_addr).await.unwrap();
    let mut s = connector
        .connect(
            rustls::pki_types::ServerName::try_from("localhost").unwrap(),
            tcp,
        )
        .await
        .unwrap();
    let (kind, group) = {
        let c = s.get_ref().1;
        (
            c.handshake_kind().unwrap(),
            c.negotiated_key_exchange_group().unwrap().name(),
        )
    };
    s.write_all(b"GET / HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut answer)).await;
    assert!(answer.starts_with(b"HTTP/1.1 "), "{answer:?}");
    (kind, group)
}

#[tokio::test]
async fn sessions_resume_with_a_fresh_post_quantum_exchange_unless_the_cache_is_off() {
    let g = gateway_with(&[]).await;
    let cfg = std::sync::Arc::new(client_config(pq_groups(), &g.cert_path(), false));
    let first = one_request(&g, &cfg).await;
    assert_eq!(
        first,
        (rustls::HandshakeKind::Full, NamedGroup::X25519MLKEM768)
    );
    // The second connection resumes, and still runs the hybrid exchange
    // (PSK with DHE: the resumed session is as quantum-safe as the first).
    let second = one_request(&g, &cfg).await;
    assert_eq!(
        second,
        (rustls::HandshakeKind::Resumed, NamedGroup::X25519MLKEM768)
    );
    g.stop().await;

    let g = gateway_with(&["--tls-session-cache", "0"]).await;
    let cfg = std::sync::Arc::new(client_config(pq_groups(), &g.cert_path(), false));
    for _ in 0..2 {
        assert_eq!(
            one_request(&g, &cfg).await,
            (rustls::HandshakeKind::Full, NamedGroup::X25519MLKEM768)
        );
    }
    g.stop().await;
}
