//! Post-quantum TLS policy on the real listener, with clients that offer
//! chosen key-exchange groups.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use clap::Parser;
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

/// A rustls client offering exactly `groups` and `suites`, TLS 1.3 only,
/// trusting the gateway's certificate.
fn suite_client(
    g: &Gateway,
    groups: Vec<&'static dyn rustls::crypto::SupportedKxGroup>,
    suites: Vec<rustls::SupportedCipherSuite>,
) -> rustls::ClientConfig {
    use rustls::crypto::{aws_lc_rs, CryptoProvider};
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::CertificateDer::pem_file_iter(g.cert_path()).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = CryptoProvider {
        kx_groups: groups,
        cipher_suites: suites,
        ..aws_lc_rs::default_provider()
    };
    let mut cfg = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    cfg
}

/// Runs the tlslite-ng client (scripts/test.sh installs it into a venv and
/// names its python in QUANTUN_TLSLITE_PYTHON) against the gateway (as a
/// child process awaited on the runtime, which keeps serving the gateway).
async fn tlslite(g: &Gateway, groups: &str, cipher: &str) -> serde_json::Value {
    let python = std::env::var("QUANTUN_TLSLITE_PYTHON")
        .expect("QUANTUN_TLSLITE_PYTHON (run through scripts/test.sh, which installs tlslite-ng)");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/tlslite_client.py"
    );
    let out = tokio::process::Command::new(python)
        .arg(script)
        .arg("127.0.0.1")
        .arg(g.tls_addr.port().to_string())
        .arg("localhost")
        .arg(groups)
        .arg(cipher)
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[tokio::test]
async fn cnsa2_accepts_only_ml_kem_1024_with_aes_256_and_interoperates_with_tlslite_ng() {
    use rustls::crypto::aws_lc_rs::{cipher_suite, kx_group};
    let (target, _t) = named_server("cnsa").await;
    let up = UpstreamId::new();
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![route("/", PathMatch::Prefix, &up)],
        upstreams: vec![upstream(&up, &[target])],
    };
    let g = start_standalone(&snap, &["--tls-policy", "CNSA2"]).await;
    let aes256 = || vec![cipher_suite::TLS13_AES_256_GCM_SHA384];
    // CNSA 2.0 (NSA, 2022) admits ML-KEM-1024 only: X25519MLKEM768, whose
    // ML-KEM-768 is NIST category 3 (FIPS 203 Table 2), is refused.
    let err = handshake(
        g.tls_addr,
        suite_client(
            &g,
            vec![kx_group::X25519MLKEM768, kx_group::X25519],
            aes256(),
        ),
        "localhost",
    )
    .await
    .expect_err("X25519MLKEM768 is not CNSA 2.0");
    assert!(!err.to_string().contains("certificate"), "{err}");
    // ML-KEM-1024 alone: accepted.
    let (group, s) = handshake(
        g.tls_addr,
        suite_client(&g, vec![kx_group::MLKEM1024], aes256()),
        "localhost",
    )
    .await
    .unwrap();
    assert_eq!(group, NamedGroup::MLKEM1024);
    assert_eq!(
        s.get_ref().1.negotiated_cipher_suite().unwrap().suite(),
        rustls::CipherSuite::TLS13_AES_256_GCM_SHA384
    );
    // The P-384 hybrid (code point 0x11ED in IANA's TLS Supported Groups):
    // accepted. (This client is the gateway's own hybrid code; tlslite-ng
    // below is the independent check.)
    let (group, _s) = handshake(
        g.tls_addr,
        suite_client(&g, vec![gateway::tls::kx::SECP384R1MLKEM1024], aes256()),
        "localhost",
    )
    .await
    .unwrap();
    assert_eq!(u16::from(group), 0x11ed);
    // ML-KEM-1024 but only AES-128: CNSA 2.0 requires AES-256.
    assert!(handshake(
        g.tls_addr,
        suite_client(
            &g,
            vec![kx_group::MLKEM1024],
            vec![cipher_suite::TLS13_AES_128_GCM_SHA256]
        ),
        "localhost"
    )
    .await
    .is_err());

    // tlslite-ng 0.8.2 (pure Python, its own ML-KEM and P-384) offering
    // only secp384r1mlkem1024: the hybrid's layout (ECDH share first, then
    // ML-KEM; secret ECDH ‖ ML-KEM, draft-ietf-tls-ecdhe-mlkem) must agree
    // byte for byte or the Finished messages would not verify.
    let r = tlslite(&g, "secp384r1mlkem1024", "aes256gcm").await;
    assert_eq!(r["ok"], true, "{r}");
    assert_eq!(r["group"], "secp384r1mlkem1024", "{r}");
    assert_eq!(r["cipher"], "aes256gcm", "{r}");
    assert_eq!(r["version"], serde_json::json!([3, 4]), "TLS 1.3: {r}");
    assert!(
        r["status"].as_str().unwrap().starts_with("HTTP/1.1 200"),
        "{r}"
    );
    // And refused when it offers only X25519MLKEM768.
    let r = tlslite(&g, "x25519mlkem768", "aes256gcm").await;
    assert_eq!(r["ok"], false, "{r}");
    g.stop().await;
}

#[tokio::test]
async fn a_cnsa2_route_refuses_requests_over_a_weaker_exchange() {
    let (target, _t) = named_server("strict").await;
    let up = UpstreamId::new();
    let mut strict = route("/strict", PathMatch::Prefix, &up);
    strict.tls_policy = Some(shared::qsgw::TlsPolicy::Cnsa2);
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![strict, route("/", PathMatch::Prefix, &up)],
        upstreams: vec![upstream(&up, &[target])],
    };
    let g = start_standalone(&snap, &[]).await;
    let c = https_client(&g);
    assert_eq!(c.get(url(&g, "/open")).send().await.unwrap().status(), 200);
    // X25519MLKEM768 under the PQC_PREFERRED listener does not meet the
    // route's CNSA2: refused, naming the policy.
    let r = c.get(url(&g, "/strict/x")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let body = r.text().await.unwrap();
    assert!(body.contains("CNSA2"), "{body}");
    g.stop().await;
}

#[tokio::test]
async fn ml_dsa_goes_to_clients_that_offer_it_and_ecdsa_to_the_rest() {
    use rustls::pki_types::pem::PemObject;
    let dir = tempfile::tempdir().unwrap();
    let localhost = ["localhost".to_owned()];
    let ml = gateway::tls::generate_chain(gateway::tls::CertAlg::MlDsa65, dir.path(), &localhost)
        .unwrap();
    let ec = gateway::tls::generate_chain(gateway::tls::CertAlg::EcdsaP256, dir.path(), &localhost)
        .unwrap();
    let up = UpstreamId::new();
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![route("/", PathMatch::Prefix, &up)],
        upstreams: vec![upstream(&up, &[])],
    };
    let extra = format!("{}:{}", ml.chain.display(), ml.key.display());
    let g = start_standalone(
        &snap,
        &[
            "--tls-cert-path",
            ec.chain.to_str().unwrap(),
            "--tls-key-path",
            ec.key.to_str().unwrap(),
            "--tls-extra-certs",
            &extra,
        ],
    )
    .await;
    let leaf_of = |path: &std::path::Path| {
        rustls::pki_types::CertificateDer::pem_file_iter(path)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
    };
    // rustls (aws-lc-rs) offers mldsa44/65/87 in signature_algorithms
    // beside ECDSA, RSA-PSS and EdDSA: it gets the ML-DSA-65 leaf, which
    // it verifies up to the ML-DSA root.
    let mut roots = rustls::RootCertStore::empty();
    for r in [&ml.root, &ec.root] {
        roots.add(leaf_of(r)).unwrap();
    }
    let cfg = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS13])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let (_, s) = handshake(g.tls_addr, cfg, "localhost").await.unwrap();
    let served = s.get_ref().1.peer_certificates().unwrap()[0].clone();
    assert_eq!(served, leaf_of(&ml.chain), "the ML-DSA-65 leaf");

    // OpenSSL 3.0 (Debian 12) offers no ML-DSA: it gets the ECDSA leaf
    // (and, trusting the ECDSA root, verifies it).
    let port = g.tls_addr.port().to_string();
    let out = tokio::process::Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            "-servername",
            "localhost",
            "-CAfile",
        ])
        .arg(&ec.root)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("QSGW development root (ecdsa-p256)"),
        "{text}"
    );
    assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
    assert!(!text.contains("ml-dsa"), "{text}");
    g.stop().await;

    // The leaves are valid now and expire within the 398 days browsers
    // allow a server certificate, as openssl reads them (`-checkend N`
    // exits 1 when the certificate expires within N seconds).
    for leaf in [&ec.chain, &ml.chain] {
        let checkend = |secs: u32| {
            std::process::Command::new("openssl")
                .args(["x509", "-noout", "-checkend", &secs.to_string(), "-in"])
                .arg(leaf)
                .status()
                .unwrap()
                .success()
        };
        assert!(checkend(0), "{} is valid now", leaf.display());
        assert!(
            !checkend(398 * 86_400),
            "{} expires within 398 days",
            leaf.display()
        );
    }
}

/// An HTTPS client trusting the gateway, presenting `identity` if given.
fn mtls_client(g: &Gateway, identity: Option<Identity>) -> reqwest::Client {
    client_for(g, "localhost", tls13_client(&[&g.cert_path()], identity))
}

#[tokio::test]
async fn edge_mutual_tls_required_and_optional_forward_only_the_verified_subject() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, (chain, key)) = client_ca_and_cert(dir.path(), "alice");
    let echo = echo_upstream().await;
    let up = UpstreamId::new();
    let mut secure = route("/secure", PathMatch::Prefix, &up);
    secure.client_cert_required = true;
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![secure, route("/", PathMatch::Prefix, &up)],
        upstreams: vec![upstream(&up, &[echo.addr])],
    };
    let ca = ca.to_str().unwrap().to_owned();
    let headers_seen = |c: reqwest::Client, g: &Gateway| {
        let u = url(g, "/who");
        async move {
            let r = c
                .get(u)
                .header("x-client-cert-subject", "CN=admin")
                .header("x-client-cert-algorithm", "ML-DSA-87")
                .send()
                .await?;
            assert_eq!(r.status(), 200);
            let body: serde_json::Value = r.json().await?;
            Ok::<_, reqwest::Error>(body["headers"].clone())
        }
    };

    // Required: no certificate, no connection; alice's certificate gets
    // through and the upstream learns who she is (the spoofed copies gone).
    let g = start_standalone(
        &snap,
        &["--tls-client-auth", "required", "--tls-client-ca-path", &ca],
    )
    .await;
    assert!(
        headers_seen(mtls_client(&g, None), &g).await.is_err(),
        "a client without a certificate is refused"
    );
    let h = headers_seen(mtls_client(&g, Some((chain.clone(), key.clone_key()))), &g)
        .await
        .unwrap();
    assert_eq!(h["x-client-cert-subject"], "CN=alice", "{h}");
    assert_eq!(h["x-client-cert-algorithm"], "ECDSA-P256", "{h}");
    g.stop().await;

    // Optional: served without a certificate, and then no subject at all
    // reaches the upstream (not the client's forged one).
    let g = start_standalone(
        &snap,
        &["--tls-client-auth", "optional", "--tls-client-ca-path", &ca],
    )
    .await;
    let h = headers_seen(mtls_client(&g, None), &g).await.unwrap();
    assert!(h.get("x-client-cert-subject").is_none(), "{h}");
    assert!(h.get("x-client-cert-algorithm").is_none(), "{h}");
    let h = headers_seen(mtls_client(&g, Some((chain.clone(), key.clone_key()))), &g)
        .await
        .unwrap();
    assert_eq!(h["x-client-cert-subject"], "CN=alice", "{h}");
    // A route that requires a certificate refuses the anonymous client
    // (403 problem) and serves alice.
    let r = mtls_client(&g, None)
        .get(url(&g, "/secure/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let p: serde_json::Value = r.json().await.unwrap();
    assert!(
        p["type"]
            .as_str()
            .unwrap()
            .ends_with("client-certificate-required"),
        "{p}"
    );
    let r = mtls_client(&g, Some((chain, key)))
        .get(url(&g, "/secure/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    g.stop().await;

    // Without a CA bundle the gateway does not start (one line naming
    // the variable).
    let settings =
        gateway::config::Cli::try_parse_from(["gateway", "--tls-client-auth", "required"])
            .unwrap()
            .settings;
    let err = gateway::config::Config::from_settings(settings).unwrap_err();
    assert_eq!(err.var, "QSGW_TLS_CLIENT_CA_PATH", "{err}");
}

/// One HTTP/1.1 GET for `host` on a connection whose SNI is `sni` (the two
/// differ when a client reuses a connection, or lies): status and body.
async fn get_with_sni(
    g: &Gateway,
    cfg: rustls::ClientConfig,
    sni: &str,
    host: &str,
) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_, mut s) = handshake(g.tls_addr, cfg, sni).await?;
    s.write_all(
        format!("GET /who HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut out = Vec::new();
    s.read_to_end(&mut out).await?;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Ok((status, text))
}

/// The first certificate of a PEM file.
fn first_cert(path: &std::path::Path) -> rustls::pki_types::CertificateDer<'static> {
    use rustls::pki_types::pem::PemObject;
    rustls::pki_types::CertificateDer::pem_file_iter(path)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn per_host_chains_and_client_auth_follow_sni_and_a_request_cannot_borrow_a_lax_connection() {
    use gateway::tls::{generate_chain, CertAlg};
    let dir = tempfile::tempdir().unwrap();
    let chain = |alg, name: &str| {
        generate_chain(
            alg,
            &dir.path().join(name).join(alg.stem()),
            &[name.to_owned()],
        )
        .unwrap()
    };
    // pq.test serves an ML-DSA-65 and an ECDSA chain of its own;
    // secure.test its own ECDSA chain and demands a client certificate;
    // every other name the listener's (self-signed localhost) certificate,
    // no client certificate asked.
    let pq_ml = chain(CertAlg::MlDsa65, "pq.test");
    let pq_ec = chain(CertAlg::EcdsaP256, "pq.test");
    let sec_ec = chain(CertAlg::EcdsaP256, "secure.test");
    let (ca, alice) = client_ca_and_cert(dir.path(), "alice");
    let pair = |host: &str, c: &gateway::tls::GeneratedChain| {
        format!("{host}={}:{}", c.chain.display(), c.key.display())
    };
    let sni_certs = [
        pair("pq.test", &pq_ml),
        pair("pq.test", &pq_ec),
        pair("secure.test", &sec_ec),
    ]
    .join(",");
    let echo = echo_upstream().await;
    let up = UpstreamId::new();
    let snap = ConfigSnapshot {
        revision: 1,
        routes: vec![route("/", PathMatch::Prefix, &up)],
        upstreams: vec![upstream(&up, &[echo.addr])],
    };
    let g = start_standalone(
        &snap,
        &[
            "--tls-sni-certs",
            &sni_certs,
            "--tls-sni-client-auth",
            "secure.test=required",
            "--tls-client-ca-path",
            ca.to_str().unwrap(),
        ],
    )
    .await;
    let roots: Vec<&std::path::Path> = vec![&pq_ml.root, &pq_ec.root, &sec_ec.root];
    let served = |cfg: rustls::ClientConfig, sni: &'static str| {
        let addr = g.tls_addr;
        async move {
            let (_, s) = handshake(addr, cfg, sni).await.unwrap();
            s.get_ref().1.peer_certificates().unwrap()[0].clone()
        }
    };

    // Chains by SNI, and by the client's signature_algorithms within a
    // host: rustls offers ML-DSA and gets pq.test's ML-DSA-65 leaf ...
    assert_eq!(
        served(tls13_client(&roots, None), "pq.test").await,
        first_cert(&pq_ml.chain)
    );
    // ... OpenSSL 3.0 (Debian 12) offers none and gets pq.test's ECDSA
    // leaf, which it verifies for the name.
    let out = tokio::process::Command::new("openssl")
        .args(["s_client", "-connect"])
        .arg(format!("127.0.0.1:{}", g.tls_addr.port()))
        .args([
            "-servername",
            "pq.test",
            "-verify_hostname",
            "pq.test",
            "-CAfile",
        ])
        .arg(&pq_ec.root)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("CN = pq.test"), "{text}");
    assert!(
        text.contains("QSGW development root (ecdsa-p256)"),
        "{text}"
    );
    assert!(text.contains("Verify return code: 0 (ok)"), "{text}");
    // Another name gets the listener's certificate.
    assert_eq!(
        served(tls13_client(&[&g.cert_path()], None), "localhost").await,
        first_cert(&g.cert_path())
    );

    // secure.test: no certificate, no request; alice's is verified and
    // named to the upstream.
    let anonymous = client_for(&g, "secure.test", tls13_client(&roots, None));
    assert!(
        anonymous
            .get("https://secure.test/who")
            .send()
            .await
            .is_err(),
        "secure.test demands a client certificate"
    );
    let r = client_for(&g, "secure.test", tls13_client(&roots, Some(alice)))
        .get("https://secure.test/who")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["headers"]["x-client-cert-subject"], "CN=alice");
    // pq.test asks for none.
    let r = client_for(&g, "pq.test", tls13_client(&roots, None))
        .get("https://pq.test/who")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // The attack: a handshake for pq.test (no certificate asked), then a
    // request naming secure.test. The gateway checks the Host against the
    // per-host demand: 421 (RFC 9110 §15.5.20), never the upstream.
    let (status, text) = get_with_sni(&g, tls13_client(&roots, None), "pq.test", "secure.test")
        .await
        .unwrap();
    assert_eq!(status, 421, "{text}");
    assert!(text.contains("misdirected-request"), "{text}");
    assert!(
        !text.contains("\"path\""),
        "the upstream was not reached: {text}"
    );
    let (status, _) = get_with_sni(&g, tls13_client(&roots, None), "pq.test", "pq.test")
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(g
        .metrics()
        .await
        .lines()
        .any(|l| l.starts_with("qsgw_client_cert_refusals_total{")));
    g.stop().await;

    // A name that is not a host, or a demand that is not a mode, stops the
    // start with the variable named.
    for (var, flag, value) in [
        (
            "QSGW_TLS_SNI_CLIENT_AUTH",
            "--tls-sni-client-auth",
            "secure.test=always",
        ),
        (
            "QSGW_TLS_SNI_CLIENT_AUTH",
            "--tls-sni-client-auth",
            "secure.test",
        ),
        (
            "QSGW_TLS_SNI_CERTS",
            "--tls-sni-certs",
            "secure.test=only-a-cert.pem",
        ),
        (
            "QSGW_TLS_SNI_CERTS",
            "--tls-sni-certs",
            "bad host=a.pem:b.pem",
        ),
    ] {
        let settings = gateway::config::Cli::try_parse_from(["gateway"].into_iter().chain([
            "--tls-client-ca-path",
            ca.to_str().unwrap(),
            flag,
            value,
        ]))
        .unwrap()
        .settings;
        let err = gateway::config::Config::from_settings(settings).unwrap_err();
        assert_eq!(err.var, var, "{value}: {err}");
    }
    let settings = gateway::config::Cli::try_parse_from([
        "gateway",
        "--tls-sni-client-auth",
        "secure.test=optional",
    ])
    .unwrap()
    .settings;
    let err = gateway::config::Config::from_settings(settings).unwrap_err();
    assert_eq!(err.var, "QSGW_TLS_CLIENT_CA_PATH", "{err}");
}
