//! Test support: a real upstream server on port 0, the real gateway
//! Application on port 0 with a self-signed certificate, and TLS clients
//! with chosen key-exchange groups.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

pub mod cp_harness;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::routing::any;
use axum::{Json, Router};
use clap::Parser;
use gateway::config::{Cli, Config};
use gateway::startup::Application;
use rustls::crypto::aws_lc_rs::{self, kx_group};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use shared::ids::{RouteId, UpstreamId};
use shared::qsgw::*;
use shared::server::Shutdown;
use shared::test_util::TestServer;

/// An upstream that echoes what it received.
pub async fn echo_upstream() -> TestServer {
    let app = Router::new().fallback(any(|req: Request| async move {
        let headers: serde_json::Map<String, serde_json::Value> = req
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    serde_json::Value::from(v.to_str().unwrap_or("")),
                )
            })
            .collect();
        if req.uri().path() == "/slow" {
            tokio::time::sleep(Duration::from_secs(3)).await;
        }
        let method = req.method().as_str().to_owned();
        let path = req.uri().path().to_owned();
        let query = req.uri().query().map(str::to_owned);
        let body = axum::body::to_bytes(req.into_body(), 64 * 1024 * 1024)
            .await
            .unwrap_or_default();
        Json(serde_json::json!({
            "method": method,
            "path": path,
            "query": query,
            "headers": headers,
            "body_len": body.len(),
            "body_sum": body.iter().map(|b| u64::from(*b)).sum::<u64>(),
        }))
    }));
    TestServer::spawn(app).await
}

pub fn upstream(id: &UpstreamId, targets: &[SocketAddr]) -> UpstreamConfig {
    UpstreamConfig {
        id: id.clone(),
        name: format!("up-{id}"),
        targets: targets
            .iter()
            .map(|a| Target {
                host: a.ip().to_string(),
                port: a.port(),
                weight: 1,
            })
            .collect(),
        lb_policy: LbPolicy::RoundRobin,
        health_check: HealthCheck {
            enabled: false,
            path: "/health".into(),
            interval_ms: 1000,
            timeout_ms: 500,
            expected_status: 200,
            healthy_threshold: 1,
            unhealthy_threshold: 1,
        },
        ejection: PassiveEjection {
            after_failures: 0,
            duration_ms: 1000,
        },
        pool_size: None,
        connect_timeout_ms: 1000,
        request_timeout_ms: None,
        tls: None,
        version: 1,
    }
}

pub fn route(path: &str, m: PathMatch, up: &UpstreamId) -> RouteConfig {
    RouteConfig {
        id: RouteId::new(),
        name: format!("route {path}"),
        host: None,
        path: shared::edge::RoutePath::parse(path).expect("a canonical test path"),
        path_match: m,
        methods: vec![],
        upstream_id: up.clone(),
        strip_prefix: false,
        timeout_ms: None,
        retries: 0,
        rate_limit: None,
        tls_policy: None,
        inspection: InspectionMode::Off,
        bots: shared::qsgw::BotPolicy::Flag,
        client_cert_required: false,
        enabled: true,
        version: 1,
    }
}

/// A running gateway.
pub struct Gateway {
    pub dir: tempfile::TempDir,
    pub tls_addr: SocketAddr,
    pub admin: String,
    pub shutdown: Shutdown,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
    pub live: Arc<gateway::live::LiveConfig>,
    pub reporter: gateway::report::Reporter,
}

impl Gateway {
    /// The admin listener's `/metrics` text.
    pub async fn metrics(&self) -> String {
        shared::test_util::client()
            .get(format!("{}/metrics", self.admin))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub fn cert_path(&self) -> PathBuf {
        self.dir.path().join("server.crt")
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.path().join("server.key")
    }

    pub async fn stop(self) {
        self.shutdown.trigger();
        self.task.await.unwrap().unwrap();
    }
}

/// Gateway settings for a test, as flags (never env vars).
pub fn config(dir: &Path, extra: &[&str]) -> Config {
    let cert = dir.join("server.crt");
    let key = dir.join("server.key");
    let cache = dir.join("cache.json");
    let mut args = vec![
        "gateway".to_owned(),
        "--environment".into(),
        "development".into(),
        "--tls-cert-path".into(),
        cert.to_string_lossy().into_owned(),
        "--tls-key-path".into(),
        key.to_string_lossy().into_owned(),
        "--config-cache-path".into(),
        cache.to_string_lossy().into_owned(),
        "--etcd-endpoints".into(),
        "http://127.0.0.1:1".into(),
        // The test upstreams listen on loopback, which targets may not use
        // unless allowed (as `make run` allows it).
        "--allowed-private-targets".into(),
        "127.0.0.0/8".into(),
    ];
    // A flag given in `extra` replaces the default above.
    for pair in extra.chunks(2) {
        if let Some(i) = args.iter().position(|a| a == pair[0]) {
            args.drain(i..i + 2);
        }
        args.extend(pair.iter().map(|s| s.to_string()));
    }
    let cli = Cli::try_parse_from(args).unwrap();
    let mut c = Config::from_settings(cli.settings).unwrap();
    c.host = "127.0.0.1".into();
    c.port = 0;
    c.admin_host = "127.0.0.1".into();
    c.admin_port = 0;
    c.shutdown_grace = Duration::from_secs(5);
    c
}

/// Starts the gateway serving `snapshot` from a standalone file.
pub async fn start_standalone(snapshot: &ConfigSnapshot, extra: &[&str]) -> Gateway {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("routes.json");
    std::fs::write(&file, serde_json::to_vec(snapshot).unwrap()).unwrap();
    let mut args = vec!["--config-file", file.to_str().unwrap()];
    args.extend_from_slice(extra);
    let c = config(dir.path(), &args);
    start_with(dir, c).await
}

pub async fn start_with(dir: tempfile::TempDir, c: Config) -> Gateway {
    let shutdown = Shutdown::new();
    let app = Application::build(c, shutdown.clone())
        .await
        .expect("gateway builds");
    let tls_addr: SocketAddr = format!("127.0.0.1:{}", app.tls_port()).parse().unwrap();
    let admin = format!("http://127.0.0.1:{}", app.port());
    let live = app.live();
    let reporter = app.reporter();
    let task = tokio::spawn(app.run_until_stopped());
    Gateway {
        dir,
        tls_addr,
        admin,
        shutdown,
        task,
        live,
        reporter,
    }
}

/// A rustls client config offering only `groups`, trusting `cert_pem`.
pub fn client_config(
    groups: Vec<&'static dyn SupportedKxGroup>,
    cert_pem: &Path,
    tls12: bool,
) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(cert_pem).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = CryptoProvider {
        kx_groups: groups,
        ..aws_lc_rs::default_provider()
    };
    let versions: &[&'static rustls::SupportedProtocolVersion] = if tls12 {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13]
    };
    let mut cfg = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    cfg
}

pub fn pq_groups() -> Vec<&'static dyn SupportedKxGroup> {
    vec![kx_group::X25519MLKEM768, kx_group::X25519]
}

pub fn classical_groups() -> Vec<&'static dyn SupportedKxGroup> {
    vec![kx_group::X25519, kx_group::SECP256R1]
}

/// Opens a TLS connection and returns the negotiated group, or the error.
pub async fn handshake(
    addr: SocketAddr,
    cfg: rustls::ClientConfig,
    sni: &str,
) -> Result<
    (
        rustls::NamedGroup,
        tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
    ),
    std::io::Error,
> {
    let connector = tokio_rustls::TlsConnector::from(Arc::new(cfg));
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let stream = connector
        .connect(ServerName::try_from(sni.to_owned()).unwrap(), tcp)
        .await?;
    let group = stream
        .get_ref()
        .1
        .negotiated_key_exchange_group()
        .unwrap()
        .name();
    Ok((group, stream))
}

/// An HTTPS client trusting the gateway's certificate, offering PQ groups,
/// with `localhost` pinned to the gateway's address.
pub fn https_client(g: &Gateway) -> reqwest::Client {
    shared::server::install_crypto_provider();
    reqwest::Client::builder()
        .use_preconfigured_tls(client_config(pq_groups(), &g.cert_path(), false))
        .resolve("localhost", g.tls_addr)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

pub fn url(g: &Gateway, path: &str) -> String {
    format!("https://localhost:{}{}", g.tls_addr.port(), path)
}

/// A server answering `{"name": name}` on every path, plus an upgrade
/// endpoint `/upgrade` that echoes bytes after `101 Switching Protocols`.
pub async fn named_server_on(
    listener: tokio::net::TcpListener,
    name: &'static str,
) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    use axum::http::{header, StatusCode};
    let addr = listener.local_addr().unwrap();
    let app = Router::new()
        .route(
            "/upgrade",
            any(|mut req: Request| async move {
                let on = hyper::upgrade::on(&mut req);
                tokio::spawn(async move {
                    if let Ok(up) = on.await {
                        let io = hyper_util::rt::TokioIo::new(up);
                        let (mut r, mut w) = tokio::io::split(io);
                        let _ = tokio::io::copy(&mut r, &mut w).await;
                    }
                });
                axum::response::Response::builder()
                    .status(StatusCode::SWITCHING_PROTOCOLS)
                    .header(header::CONNECTION, "upgrade")
                    .header(header::UPGRADE, "echo")
                    .body(axum::body::Body::empty())
                    .unwrap()
            }),
        )
        .fallback(any(move || async move {
            Json(serde_json::json!({ "name": name }))
        }));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (addr, task)
}

/// [`named_server_on`] on a fresh port.
pub async fn named_server(name: &'static str) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    named_server_on(
        tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
        name,
    )
    .await
}

/// Publishes an upstream, its routes and the revision in one transaction,
/// as the control plane does.
pub async fn publish(
    c: &mut shared::etcd::etcd_client::Client,
    revision: i64,
    up: &UpstreamConfig,
    routes: &[&RouteConfig],
) {
    let mut ops = vec![
        shared::etcd::etcd_client::TxnOp::put(
            shared::qsgw::upstream_key(&up.id),
            serde_json::to_vec(up).unwrap(),
            None,
        ),
        shared::etcd::etcd_client::TxnOp::put(
            shared::qsgw::REVISION_KEY,
            revision.to_string(),
            None,
        ),
    ];
    for r in routes {
        ops.push(shared::etcd::etcd_client::TxnOp::put(
            shared::qsgw::route_key(&r.id),
            serde_json::to_vec(r).unwrap(),
            None,
        ));
    }
    c.txn(shared::etcd::etcd_client::Txn::new().and_then(ops))
        .await
        .unwrap();
}

/// Opens a TLS connection (PQ groups, SNI localhost) and asks `/upgrade`
/// for the upstream's echo tunnel: the response head, lower-cased, and the
/// stream to go on with.
pub async fn upgrade(
    g: &Gateway,
) -> (
    String,
    tokio_rustls::client::TlsStream<tokio::net::TcpStream>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_, mut tls) = handshake(
        g.tls_addr,
        client_config(pq_groups(), &g.cert_path(), false),
        "localhost",
    )
    .await
    .unwrap();
    tls.write_all(
        b"GET /upgrade HTTP/1.1\r\nhost: localhost\r\nconnection: Upgrade\r\nupgrade: echo\r\n\r\n",
    )
    .await
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        tls.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    (String::from_utf8_lossy(&head).to_lowercase(), tls)
}

/// A client certificate chain and its key.
pub type Identity = (
    Vec<CertificateDer<'static>>,
    rustls::pki_types::PrivateKeyDer<'static>,
);

/// A CA (`client-ca.pem` in `dir`) and a client certificate it signs for
/// `cn` (also written as `client.pem` and `client.key`, for openssl).
pub fn client_ca_and_cert(dir: &Path, cn: &str) -> (PathBuf, Identity) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "Client CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(Vec::<String>::new()).unwrap();
    leaf.distinguished_name.push(DnType::CommonName, cn);
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    let path = dir.join("client-ca.pem");
    std::fs::write(&path, ca_cert.pem()).unwrap();
    std::fs::write(dir.join("client.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("client.key"), key.serialize_pem()).unwrap();
    (
        path,
        (
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        ),
    )
}

/// A TLS 1.3 rustls client (aws-lc-rs defaults: X25519MLKEM768 first,
/// ML-DSA among the signature schemes) trusting the PEM files `roots`,
/// speaking http/1.1, presenting `identity` if given.
pub fn tls13_client(roots: &[&Path], identity: Option<Identity>) -> rustls::ClientConfig {
    shared::server::install_crypto_provider();
    let mut store = rustls::RootCertStore::empty();
    for path in roots {
        for c in CertificateDer::pem_file_iter(path).unwrap() {
            store.add(c.unwrap()).unwrap();
        }
    }
    let b = rustls::ClientConfig::builder_with_provider(Arc::new(aws_lc_rs::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(store);
    let mut cfg = match identity {
        Some((chain, key)) => b.with_client_auth_cert(chain, key).unwrap(),
        None => b.with_no_client_auth(),
    };
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    cfg
}

/// An HTTPS client over `cfg` with `host` pinned to the gateway.
pub fn client_for(g: &Gateway, host: &str, cfg: rustls::ClientConfig) -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls(cfg)
        .resolve(host, g.tls_addr)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}
