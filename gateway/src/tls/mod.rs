//! TLS termination: certificates, key-exchange policy, per-connection facts.
//!
//! The policy decides which key-exchange groups and protocol versions a
//! listener offers:
//!
//! | policy | groups (server preference) | versions |
//! |---|---|---|
//! | `CNSA2` | SecP384r1MLKEM1024, MLKEM1024 (AES-256-GCM only) | TLS 1.3 |
//! | `PQC_ONLY` | X25519MLKEM768, SecP256r1MLKEM768 | TLS 1.3 |
//! | `PQC_PREFERRED` | X25519MLKEM768, SecP256r1MLKEM768, X25519, P-256, P-384 | TLS 1.3 |
//! | `CLASSICAL_ALLOWED` | same | TLS 1.3 and 1.2 |
//!
//! A classical-only client meets no common group under `PQC_ONLY`, and
//! rustls aborts the handshake with a `handshake_failure` alert.
//!
//! Layout: this module builds the rustls configs (groups and versions per
//! policy, the session cache, client-certificate verifiers); [`names`]
//! names groups and signature schemes; [`certs`] loads, picks and
//! generates certificates; [`facts`] reads a finished handshake; [`kx`]
//! adds the groups rustls lacks (SecP384r1MLKEM1024); [`reload`] holds the
//! listener's configs per host and reloads them; [`upstream`] is the
//! client side toward upstream targets.

pub mod certs;
pub mod facts;
pub mod kx;
pub mod names;
pub mod reload;
pub mod upstream;

pub use certs::*;
pub use facts::*;
pub use names::*;

use anyhow::Context;
use rustls::crypto::aws_lc_rs::{self, kx_group};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::ServerConfig;
use shared::qsgw::TlsPolicy;
use std::path::Path;
use std::sync::Arc;

/// Groups offered under `policy`, in server preference order.
pub fn kx_groups(policy: TlsPolicy) -> Vec<&'static dyn SupportedKxGroup> {
    let pq = [kx_group::X25519MLKEM768, kx_group::SECP256R1MLKEM768];
    match policy {
        TlsPolicy::Cnsa2 => vec![crate::tls::kx::SECP384R1MLKEM1024, kx_group::MLKEM1024],
        TlsPolicy::PqcOnly => pq.to_vec(),
        TlsPolicy::PqcPreferred | TlsPolicy::ClassicalAllowed => pq
            .into_iter()
            .chain([kx_group::X25519, kx_group::SECP256R1, kx_group::SECP384R1])
            .collect(),
    }
}

/// The crypto provider of `policy`, for the listener and the upstream
/// client alike: its groups ([`kx_groups`]) and, under `CNSA2`, AES-256-GCM
/// as the only cipher suite.
pub fn provider(policy: TlsPolicy) -> CryptoProvider {
    let mut provider = CryptoProvider {
        kx_groups: kx_groups(policy),
        ..aws_lc_rs::default_provider()
    };
    if policy == TlsPolicy::Cnsa2 {
        provider.cipher_suites = vec![aws_lc_rs::cipher_suite::TLS13_AES_256_GCM_SHA384];
    }
    provider
}

/// The protocol versions of `policy`: TLS 1.2 only under `CLASSICAL_ALLOWED`.
pub fn versions(policy: TlsPolicy) -> &'static [&'static rustls::SupportedProtocolVersion] {
    static WITH_TLS12: [&rustls::SupportedProtocolVersion; 2] =
        [&rustls::version::TLS13, &rustls::version::TLS12];
    static TLS13_ONLY: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS13];
    match policy {
        TlsPolicy::ClassicalAllowed => &WITH_TLS12,
        TlsPolicy::PqcOnly | TlsPolicy::PqcPreferred | TlsPolicy::Cnsa2 => &TLS13_ONLY,
    }
}

/// The server-side TLS session cache, shared by every policy's config and
/// kept across certificate reloads. Resumption stays post-quantum: TLS 1.3
/// resumption here is always PSK with a fresh (EC)DHE exchange under the
/// policy's groups (rustls accepts no PSK-only resumption).
#[derive(Debug, Clone)]
pub struct SessionCache(Option<Arc<rustls::server::ServerSessionMemoryCache>>);

impl SessionCache {
    /// A cache of at most `capacity` sessions; 0 turns resumption off.
    pub fn new(capacity: usize) -> Self {
        Self((capacity > 0).then(|| rustls::server::ServerSessionMemoryCache::new(capacity)))
    }

    fn apply(&self, cfg: &mut ServerConfig) {
        match &self.0 {
            Some(cache) => {
                cfg.session_storage = cache.clone();
                // One ticket (a cache key, not a stateless ticket) per
                // handshake; a resumed connection gets the next one.
                cfg.send_tls13_tickets = 1;
            }
            None => {
                cfg.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
                cfg.send_tls13_tickets = 0;
            }
        }
    }
}

/// A rustls server config for `policy` with ALPN h2 and http/1.1.
pub fn server_config(
    policy: TlsPolicy,
    chains: &Arc<ChainSet>,
    client_auth: Option<&Arc<dyn rustls::server::danger::ClientCertVerifier>>,
    sessions: &SessionCache,
) -> anyhow::Result<Arc<ServerConfig>> {
    let mut cfg = ServerConfig::builder_with_provider(Arc::new(provider(policy)))
        .with_protocol_versions(versions(policy))
        .context("TLS protocol versions")?
        .with_client_cert_verifier(
            client_auth
                .cloned()
                .unwrap_or_else(|| rustls::server::WebPkiClientVerifier::no_client_auth()),
        )
        .with_cert_resolver(chains.clone());
    cfg.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    sessions.apply(&mut cfg);
    Ok(Arc::new(cfg))
}

/// Who must present a client certificate at the listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ClientAuth {
    /// No certificate asked for.
    #[value(name = "none")]
    None,
    /// Asked for; clients without one are served, a wrong one is refused.
    #[value(name = "optional")]
    Optional,
    /// Required: the handshake fails without a certificate the CA signed.
    #[value(name = "required")]
    Required,
}

/// The listener's client-certificate verifiers, one per mode, over the CA
/// bundle of `QSGW_TLS_CLIENT_CA_PATH` (the same CA for every host).
#[derive(Clone, Default)]
pub struct ClientVerifiers {
    optional: Option<Arc<dyn rustls::server::danger::ClientCertVerifier>>,
    required: Option<Arc<dyn rustls::server::danger::ClientCertVerifier>>,
}

impl std::fmt::Debug for ClientVerifiers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientVerifiers")
            .field("ca", &self.required.is_some())
            .finish()
    }
}

impl ClientVerifiers {
    /// Verifiers for the CA bundle at `ca`; none (no client certificate
    /// asked for, whatever the mode) without one.
    pub fn new(ca: Option<&Path>) -> anyhow::Result<Self> {
        let Some(ca) = ca else {
            return Ok(Self::default());
        };
        let mut roots = rustls::RootCertStore::empty();
        for c in CertificateDer::pem_file_iter(ca)
            .with_context(|| format!("cannot read {} (QSGW_TLS_CLIENT_CA_PATH)", ca.display()))?
        {
            roots
                .add(c.with_context(|| format!("{} (QSGW_TLS_CLIENT_CA_PATH)", ca.display()))?)
                .context("QSGW_TLS_CLIENT_CA_PATH: certificate not usable as a trust anchor")?;
        }
        anyhow::ensure!(
            !roots.is_empty(),
            "no certificate in {} (QSGW_TLS_CLIENT_CA_PATH)",
            ca.display()
        );
        let roots = Arc::new(roots);
        let builder = || {
            rustls::server::WebPkiClientVerifier::builder_with_provider(
                roots.clone(),
                Arc::new(aws_lc_rs::default_provider()),
            )
        };
        Ok(Self {
            optional: Some(
                builder()
                    .allow_unauthenticated()
                    .build()
                    .context("client certificate verifier")?,
            ),
            required: Some(builder().build().context("client certificate verifier")?),
        })
    }

    /// The verifier of `mode` (`None` for [`ClientAuth::None`]).
    pub fn get(
        &self,
        mode: ClientAuth,
    ) -> Option<&Arc<dyn rustls::server::danger::ClientCertVerifier>> {
        match mode {
            ClientAuth::None => None,
            ClientAuth::Optional => self.optional.as_ref(),
            ClientAuth::Required => self.required.as_ref(),
        }
    }
}
