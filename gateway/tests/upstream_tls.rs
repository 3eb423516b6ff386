//! TLS from the gateway to its upstreams, against real rustls servers on
//! port 0 with a test CA (issue 23 item 1): verified post-quantum legs,
//! a wrong CA, a classical-only origin under `PQC_ONLY`, mutual TLS, and
//! session resumption across pooled connections.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::*;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::crypto::{aws_lc_rs, CryptoProvider, SupportedKxGroup};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use shared::ids::UpstreamId;
use shared::qsgw::{ConfigSnapshot, PathMatch, TlsPolicy, UpstreamTls};

/// A CA and the PEM of its certificate.
struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.self_signed(&key).unwrap();
    Ca {
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// A leaf for `names` (or a client certificate with `cn`) signed by `ca`.
fn leaf(ca: &Ca, names: &[&str], cn: &str) -> Leaf {
    leaf_until(ca, names, cn, None)
}

/// A certificate, its key, and both as PEM.
type Leaf = (
    CertificateDer<'static>,
    PrivateKeyDer<'static>,
    String,
    String,
);

/// Same, valid until `days` from today when given.
fn leaf_until(ca: &Ca, names: &[&str], cn: &str, days: Option<i64>) -> Leaf {
    use chrono::Datelike;
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(names.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    if let Some(days) = days {
        let end = chrono::Utc::now() + chrono::Duration::days(days);
        params.not_after = rcgen::date_time_ymd(
            end.year(),
            u8::try_from(end.month()).unwrap(),
            u8::try_from(end.day()).unwrap(),
        );
    }
    let cert = params.signed_by(&key, &ca.issuer).unwrap();
    (
        cert.der().clone(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        cert.pem(),
        key.serialize_pem(),
    )
}

/// What the upstream saw of one connection.
#[derive(Debug, Clone)]
struct Seen {
    group: Option<rustls::NamedGroup>,
    resumed: bool,
    client_cert: bool,
}

/// A TLS upstream (HTTP/1.1, answers `tls-ok` and closes each connection
/// when `close` is set) offering `groups`, requiring a client certificate
/// from `client_ca` when given.
async fn tls_upstream(
    ca: &Ca,
    groups: Vec<&'static dyn SupportedKxGroup>,
    client_ca: Option<&Ca>,
    close: bool,
) -> (SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    tls_upstream_until(ca, groups, client_ca, close, None).await
}

async fn tls_upstream_until(
    ca: &Ca,
    groups: Vec<&'static dyn SupportedKxGroup>,
    client_ca: Option<&Ca>,
    close: bool,
    days: Option<i64>,
) -> (SocketAddr, Arc<Mutex<Vec<Seen>>>) {
    let (cert, key, _, _) = leaf_until(ca, &["localhost"], "upstream", days);
    let provider = Arc::new(CryptoProvider {
        kx_groups: groups,
        ..aws_lc_rs::default_provider()
    });
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap();
    let builder = match client_ca {
        Some(c) => {
            let mut roots = rustls::RootCertStore::empty();
            roots
                .add(CertificateDer::from_pem_slice(c.pem.as_bytes()).unwrap())
                .unwrap();
            builder.with_client_cert_verifier(
                rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .build()
                .unwrap(),
            )
        }
        None => builder.with_no_client_auth(),
    };
    let mut cfg = builder.with_single_cert(vec![cert], key).unwrap();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let log = log.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                {
                    let c = tls.get_ref().1;
                    log.lock().unwrap().push(Seen {
                        group: c.negotiated_key_exchange_group().map(|g| g.name()),
                        resumed: c.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
                        client_cert: c.peer_certificates().is_some_and(|p| !p.is_empty()),
                    });
                }
                let svc = hyper::service::service_fn(move |_req| async move {
                    let mut resp = http::Response::new(http_body_util::Full::new(
                        bytes::Bytes::from_static(b"tls-ok"),
                    ));
                    if close {
                        resp.headers_mut()
                            .insert("connection", http::HeaderValue::from_static("close"));
                    }
                    Ok::<_, std::convert::Infallible>(resp)
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), svc)
                    .await;
            });
        }
    });
    (addr, seen)
}

fn tls_block(ca: &Ca) -> UpstreamTls {
    UpstreamTls {
        enabled: true,
        sni: Some("localhost".into()),
        ca: Some(ca.pem.clone()),
        verify: true,
        client_cert_path: None,
        client_key_path: None,
        policy: None,
    }
}

async fn gateway_to(target: SocketAddr, tls: UpstreamTls) -> Gateway {
    let up = UpstreamId::new();
    let mut u = upstream(&up, &[target]);
    u.tls = Some(tls);
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![route("/", PathMatch::Prefix, &up)],
        upstreams: vec![u],
    };
    start_standalone(&snap, &[]).await
}

use rustls::pki_types::pem::PemObject;

#[tokio::test]
async fn verified_post_quantum_leg_and_resumption_on_new_connections() {
    let ca = ca("Test CA");
    let (addr, seen) = tls_upstream(
        &ca,
        vec![
            aws_lc_rs::kx_group::X25519MLKEM768,
            aws_lc_rs::kx_group::X25519,
        ],
        None,
        true,
    )
    .await;
    let g = gateway_to(addr, tls_block(&ca)).await;
    let c = https_client(&g);
    for _ in 0..2 {
        let r = c.get(url(&g, "/x")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "tls-ok");
    }
    let seen = seen.lock().unwrap().clone();
    // The upstream closes after each answer, so two connections: both
    // negotiated X25519MLKEM768 (the gateway offers it first, RFC 8446
    // §4.2.8), the second resumed the first's session (RFC 8446 §2.2).
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(
        seen.iter()
            .all(|s| s.group == Some(rustls::NamedGroup::X25519MLKEM768)),
        "{seen:?}"
    );
    assert!(!seen[0].resumed && seen[1].resumed, "{seen:?}");
    let m = g.metrics().await;
    assert!(
        m.lines()
            .any(|l| l.starts_with("qsgw_upstream_tls_handshakes_total{")
                && l.contains("kx_group=\"X25519MLKEM768\"")
                && l.contains("pqc=\"true\"")),
        "{m}"
    );
    g.stop().await;
}

#[tokio::test]
async fn an_upstream_certificate_from_another_ca_is_refused_with_502() {
    let ca_a = ca("Upstream CA");
    let ca_b = ca("Some other CA");
    let (addr, seen) = tls_upstream(
        &ca_a,
        vec![aws_lc_rs::kx_group::X25519MLKEM768],
        None,
        false,
    )
    .await;
    let g = gateway_to(addr, tls_block(&ca_b)).await;
    let r = https_client(&g).get(url(&g, "/x")).send().await.unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: serde_json::Value = r.json().await.unwrap();
    assert!(p["type"].as_str().unwrap().ends_with("upstream-tls"), "{p}");
    assert!(seen.lock().unwrap().is_empty(), "no handshake completed");
    let m = g.metrics().await;
    assert!(m.contains("qsgw_upstream_tls_failures_total"), "{m}");
    g.stop().await;
}

#[tokio::test]
async fn a_classical_only_origin_is_refused_under_pqc_only_and_served_under_preferred() {
    let ca = ca("Test CA");
    let classical = vec![aws_lc_rs::kx_group::X25519, aws_lc_rs::kx_group::SECP256R1];
    let (addr, _) = tls_upstream(&ca, classical.clone(), None, false).await;
    let mut strict = tls_block(&ca);
    strict.policy = Some(TlsPolicy::PqcOnly);
    let g = gateway_to(addr, strict).await;
    let r = https_client(&g).get(url(&g, "/x")).send().await.unwrap();
    assert_eq!(r.status(), 502, "no common group under PQC_ONLY");
    g.stop().await;

    let (addr, seen) = tls_upstream(&ca, classical, None, false).await;
    let g = gateway_to(addr, tls_block(&ca)).await;
    let r = https_client(&g).get(url(&g, "/x")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        seen.lock().unwrap()[0].group,
        Some(rustls::NamedGroup::X25519)
    );
    g.stop().await;
}

#[tokio::test]
async fn an_upstream_requiring_a_client_certificate_gets_the_gateways() {
    let ca = ca("Test CA");
    let (addr, seen) = tls_upstream(
        &ca,
        vec![aws_lc_rs::kx_group::X25519MLKEM768],
        Some(&ca),
        false,
    )
    .await;
    // Without a client certificate: refused by the upstream.
    let g = gateway_to(addr, tls_block(&ca)).await;
    let r = https_client(&g).get(url(&g, "/x")).send().await.unwrap();
    assert_eq!(r.status(), 502);
    g.stop().await;
    // With the gateway's client certificate (files on the gateway host).
    let dir = tempfile::tempdir().unwrap();
    let (_, _, cert_pem, key_pem) = leaf(&ca, &["gateway.test"], "qsgw gateway");
    let (cert_path, key_path) = (dir.path().join("client.crt"), dir.path().join("client.key"));
    std::fs::write(&cert_path, cert_pem).unwrap();
    std::fs::write(&key_path, key_pem).unwrap();
    let mut tls = tls_block(&ca);
    tls.client_cert_path = Some(cert_path.to_string_lossy().into_owned());
    tls.client_key_path = Some(key_path.to_string_lossy().into_owned());
    let g = gateway_to(addr, tls).await;
    let r = https_client(&g).get(url(&g, "/x")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        seen.lock().unwrap().iter().any(|s| s.client_cert),
        "{:?}",
        seen.lock().unwrap()
    );
    g.stop().await;
}

#[tokio::test]
async fn an_unusable_tls_block_never_falls_back_to_plaintext() {
    // A plain HTTP upstream; the TLS block names a key file that does not
    // exist, so the gateway must refuse rather than speak plaintext.
    let (target, _t) = named_server("plain").await;
    let ca = ca("Test CA");
    let mut tls = tls_block(&ca);
    tls.client_cert_path = Some("/nonexistent/client.crt".into());
    tls.client_key_path = Some("/nonexistent/client.key".into());
    let g = gateway_to(target, tls).await;
    let r = https_client(&g).get(url(&g, "/x")).send().await.unwrap();
    assert_eq!(r.status(), 502);
    g.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn a_classical_or_expiring_upstream_leg_raises_one_posture_event_per_change(
    pool: sqlx::PgPool,
) {
    use common::cp_harness::{ControlPlane, KEY};
    let cp = ControlPlane::start(&pool, 0).await;
    let ca = ca("Test CA");
    // Classical groups only, and a certificate ending in 5 days (inside
    // the 14-day warning); it closes each connection, so every request is
    // a new handshake.
    let (addr, seen) =
        tls_upstream_until(&ca, vec![aws_lc_rs::kx_group::X25519], None, true, Some(5)).await;
    let up = UpstreamId::new();
    let mut u = upstream(&up, &[addr]);
    u.tls = Some(tls_block(&ca));
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![route("/", PathMatch::Prefix, &up)],
        upstreams: vec![u],
    };
    let dead_ai = format!("http://127.0.0.1:{}", shared::test_util::free_port());
    let g = start_standalone(
        &snap,
        &[
            "--api-key",
            KEY,
            "--control-plane-url",
            &cp.base,
            "--ai-engine-url",
            &dead_ai,
            "--heartbeat-interval-secs",
            "1",
        ],
    )
    .await;
    let c = https_client(&g);
    for _ in 0..3 {
        assert_eq!(c.get(url(&g, "/x")).send().await.unwrap().status(), 200);
    }
    assert_eq!(seen.lock().unwrap().len(), 3, "three handshakes");
    cp.wait_for("/api/v1/threats?limit=100", "posture events", |b| {
        b["items"].as_array().is_some_and(|i| i.len() >= 2)
    })
    .await;
    // Time for any duplicate to arrive (the gateway sends every second).
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    // One event of each kind, not one per handshake.
    let threats = cp.get("/api/v1/threats?limit=100").await;
    let mut types: Vec<&str> = threats["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["threat_type"].as_str().unwrap())
        .collect();
    types.sort_unstable();
    assert_eq!(
        types,
        ["upstream_cert_expiry", "upstream_classical_tls"],
        "{threats}"
    );
    let classical = threats["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["threat_type"] == "upstream_classical_tls")
        .unwrap();
    let reason = classical["reasons"][0].as_str().unwrap();
    assert!(
        reason.contains("X25519") && reason.contains(&up.to_string()),
        "{reason}"
    );
    // The heartbeat carries the leg's last handshake.
    let gws = cp
        .wait_for("/api/v1/gateways", "upstream TLS facts", |b| {
            !b["items"][0]["upstream_health"][0]["tls"].is_null()
        })
        .await;
    let tls = &gws["items"][0]["upstream_health"][0]["tls"];
    assert_eq!(tls["kx_group"], "X25519", "{tls}");
    assert_eq!(tls["pqc"], false);
    assert_eq!(tls["protocol"], "TLSv1.3");
    g.stop().await;
    cp.shutdown.trigger();
}
