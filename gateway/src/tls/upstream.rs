//! TLS from the gateway to an upstream's targets (the upstream's `tls`
//! block): a rustls client on aws-lc-rs with the same key-exchange policies
//! as the listener (X25519MLKEM768 first under `PQC_PREFERRED` and
//! `PQC_ONLY`, ML-KEM-1024 under `CNSA2`), certificates verified against
//! the configured CA bundle or Mozilla's root program (webpki-roots), an
//! optional client certificate for upstreams that require mutual TLS, and
//! ALPN `http/1.1`. One client config per upstream keeps rustls' session
//! cache, so new pooled connections resume (TLS 1.3 PSK with a fresh key
//! exchange, RFC 8446 §2.2) instead of a full handshake.
//!
//! Fail closed: an upstream whose TLS block cannot be built (unreadable
//! client key, a CA bundle without certificates) is never reached in
//! plaintext; its requests fail with the reason logged.

use std::sync::Arc;

use anyhow::Context;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use shared::qsgw::{TlsPolicy, UpstreamTls};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

/// What a TLS handshake with a target established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamTlsFacts {
    /// Negotiated key-exchange group ([`crate::tls::group_name`]).
    pub kx_group: &'static str,
    /// Whether it is post-quantum.
    pub pqc: bool,
    /// `TLSv1.3` or `TLSv1.2`.
    pub protocol: &'static str,
    /// The target certificate's public-key algorithm ([`crate::tls::cert_algorithm`]).
    pub cert_algorithm: &'static str,
    /// The target certificate's notAfter.
    pub not_after: Option<chrono::DateTime<chrono::Utc>>,
    /// The address the handshake ran with.
    pub peer_ip: Option<std::net::IpAddr>,
}

/// A target certificate expiring within this many days raises
/// `upstream_cert_expiry` (a fortnight leaves time to renew; the
/// CA/Browser Forum's shrinking maximum validity makes renewal frequent).
pub const CERT_EXPIRY_WARN_DAYS: i64 = 14;

/// What is wrong with an upstream leg, as posture events report it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LegPosture {
    /// The handshake negotiated a classical group.
    pub classical: bool,
    /// The certificate expires within [`CERT_EXPIRY_WARN_DAYS`] (or has).
    pub expiring: bool,
}

impl LegPosture {
    /// The posture of a handshake's facts at `now`.
    pub fn of(f: &UpstreamTlsFacts, now: chrono::DateTime<chrono::Utc>) -> Self {
        Self {
            classical: !f.pqc,
            expiring: f
                .not_after
                .is_some_and(|t| t - now < chrono::Duration::days(CERT_EXPIRY_WARN_DAYS)),
        }
    }
}

/// The TLS side of one upstream: its client config and server name.
#[derive(Debug)]
pub struct UpstreamTlsClient {
    config: Arc<ClientConfig>,
    sni: Option<ServerName<'static>>,
    policy: TlsPolicy,
}

/// How an upstream's targets are reached.
#[derive(Debug, Clone, Default)]
pub enum TlsMode {
    /// Plain HTTP/1.1 (no `tls` block, or `enabled: false`).
    #[default]
    Plain,
    /// TLS with this client.
    Tls(Arc<UpstreamTlsClient>),
    /// A TLS block that could not be built: never reached in plaintext.
    Broken(Arc<str>),
}

impl TlsMode {
    /// The mode of an upstream's `tls` block (errors logged once here).
    pub fn of(upstream: &str, tls: Option<&UpstreamTls>) -> Self {
        match tls.filter(|t| t.enabled) {
            None => Self::Plain,
            Some(t) => match UpstreamTlsClient::build(t) {
                Ok(c) => {
                    if !t.verify {
                        tracing::warn!(upstream, "upstream TLS certificate verification is OFF (tls.verify: false): any certificate is accepted, so the upstream leg is not authenticated");
                    }
                    Self::Tls(Arc::new(c))
                }
                Err(e) => {
                    let reason = format!("{e:#}");
                    tracing::error!(upstream, error = %reason, "upstream TLS settings unusable; its targets are not contacted (never in plaintext)");
                    Self::Broken(Arc::from(reason))
                }
            },
        }
    }

    /// Same mode (cheap comparison for reconciliation).
    pub fn same(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Plain, Self::Plain) => true,
            (Self::Tls(a), Self::Tls(b)) => Arc::ptr_eq(a, b),
            (Self::Broken(a), Self::Broken(b)) => a == b,
            _ => false,
        }
    }
}

impl UpstreamTlsClient {
    /// Builds the client for `t`.
    pub fn build(t: &UpstreamTls) -> anyhow::Result<Self> {
        let policy = t.policy.unwrap_or(TlsPolicy::PqcPreferred);
        let provider = Arc::new(crate::tls::provider(policy));
        let builder = ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(crate::tls::versions(policy))
            .context("TLS protocol versions")?;
        let builder = if t.verify {
            let mut roots = rustls::RootCertStore::empty();
            match &t.ca {
                Some(pem) => {
                    for c in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                        roots
                            .add(c.context("tls.ca: not a PEM certificate")?)
                            .context("tls.ca: certificate not usable as a trust anchor")?;
                    }
                    anyhow::ensure!(!roots.is_empty(), "tls.ca holds no certificate");
                }
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            builder.with_root_certificates(roots)
        } else {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        };
        let mut config = match (&t.client_cert_path, &t.client_key_path) {
            (Some(cert), Some(key)) => {
                let ck = crate::tls::load_cert_key(cert.as_ref(), key.as_ref())
                    .context("tls.client_cert_path / tls.client_key_path")?;
                builder
                    .with_client_auth_cert(ck.chain, ck.key)
                    .context("the client certificate and key do not match")?
            }
            (None, None) => builder.with_no_client_auth(),
            _ => anyhow::bail!("tls.client_cert_path and tls.client_key_path go together"),
        };
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let sni = t
            .sni
            .as_deref()
            .map(|s| ServerName::try_from(s.to_owned()).context("tls.sni is not a server name"))
            .transpose()?;
        Ok(Self {
            config: Arc::new(config),
            sni,
            policy,
        })
    }

    /// The policy the client applies.
    pub fn policy(&self) -> TlsPolicy {
        self.policy
    }

    /// Runs the handshake on `tcp` to a target named `host`.
    pub async fn connect(
        &self,
        host: &str,
        tcp: TcpStream,
    ) -> Result<(TlsStream<TcpStream>, UpstreamTlsFacts), std::io::Error> {
        let name = match &self.sni {
            Some(n) => n.clone(),
            None => ServerName::try_from(host.to_owned()).map_err(|e| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("server name: {e}"),
                )
            })?,
        };
        let peer_ip = tcp.peer_addr().ok().map(|a| a.ip());
        let connector = tokio_rustls::TlsConnector::from(self.config.clone());
        let stream = connector.connect(name, tcp).await?;
        let facts = {
            let c = stream.get_ref().1;
            let group = c.negotiated_key_exchange_group().map(|g| g.name());
            let info = c
                .peer_certificates()
                .and_then(|p| p.first())
                .and_then(crate::tls::CertInfo::of);
            UpstreamTlsFacts {
                kx_group: group.map_or("unknown", crate::tls::group_name),
                pqc: group.is_some_and(crate::tls::is_post_quantum),
                protocol: match c.protocol_version() {
                    Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
                    Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
                    _ => "unknown",
                },
                cert_algorithm: info.as_ref().map_or("unknown", |i| i.public_key_algorithm),
                not_after: info.map(|i| i.not_after),
                peer_ip,
            }
        };
        metrics::counter!(
            "qsgw_upstream_tls_handshakes_total",
            "kx_group" => facts.kx_group,
            "pqc" => if facts.pqc { "true" } else { "false" },
        )
        .increment(1);
        Ok((stream, facts))
    }
}

/// `tls.verify: false`: accepts any certificate (signatures over the
/// handshake are still checked, so the peer holds the key it presented).
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
