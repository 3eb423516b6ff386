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

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use rustls::crypto::aws_lc_rs::{self, kx_group};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::ServerConnection;
use rustls::{NamedGroup, ServerConfig};
use shared::qsgw::TlsPolicy;

/// Groups offered under `policy`, in server preference order.
pub fn kx_groups(policy: TlsPolicy) -> Vec<&'static dyn SupportedKxGroup> {
    let pq = [kx_group::X25519MLKEM768, kx_group::SECP256R1MLKEM768];
    match policy {
        TlsPolicy::Cnsa2 => vec![crate::kx::SECP384R1MLKEM1024, kx_group::MLKEM1024],
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

/// Whether a negotiated group is post-quantum (hybrid or pure ML-KEM).
pub fn is_post_quantum(group: NamedGroup) -> bool {
    matches!(
        group,
        NamedGroup::X25519MLKEM768
            | NamedGroup::secp256r1MLKEM768
            | NamedGroup::MLKEM768
            | NamedGroup::MLKEM1024
    ) || u16::from(group) == crate::kx::SECP384R1MLKEM1024_CODE
}

/// Whether a negotiated group meets CNSA 2.0 (ML-KEM-1024, alone or in
/// the SecP384r1MLKEM1024 hybrid).
pub fn is_cnsa2_group(name: &str) -> bool {
    matches!(name, "MLKEM1024" | "SecP384r1MLKEM1024")
}

/// The only cipher suite CNSA 2.0 allows in TLS 1.3 (AES-256).
pub const CNSA2_SUITE: &str = "TLS13_AES_256_GCM_SHA384";

/// The IANA-style name of a group (`X25519MLKEM768`, `X25519`, …); groups
/// this gateway never offers are `other`.
pub fn group_name(group: NamedGroup) -> &'static str {
    match group {
        NamedGroup::X25519MLKEM768 => "X25519MLKEM768",
        NamedGroup::secp256r1MLKEM768 => "SecP256r1MLKEM768",
        NamedGroup::MLKEM768 => "MLKEM768",
        NamedGroup::MLKEM1024 => "MLKEM1024",
        NamedGroup::X25519 => "X25519",
        NamedGroup::X448 => "X448",
        NamedGroup::secp256r1 => "secp256r1",
        NamedGroup::secp384r1 => "secp384r1",
        NamedGroup::secp521r1 => "secp521r1",
        NamedGroup::FFDHE2048 => "ffdhe2048",
        NamedGroup::FFDHE3072 => "ffdhe3072",
        NamedGroup::FFDHE4096 => "ffdhe4096",
        NamedGroup::FFDHE6144 => "ffdhe6144",
        NamedGroup::FFDHE8192 => "ffdhe8192",
        g if u16::from(g) == crate::kx::SECP384R1MLKEM1024_CODE => "SecP384r1MLKEM1024",
        _ => "other",
    }
}

/// A group a ClientHello offered, as recorded: [`group_name`] for the
/// groups we know, `0x` and the code point otherwise; `None` for GREASE
/// values (RFC 8701 §2: `0x?A?A`), which say nothing about the client.
pub fn offered_group_name(group: NamedGroup) -> Option<String> {
    let code = u16::from(group);
    if is_grease(code) {
        return None;
    }
    Some(match group_name(group) {
        "other" => format!("0x{code:04x}"),
        name => name.to_owned(),
    })
}

/// RFC 8701 §2 GREASE values (`0x?A?A`, both bytes equal), reserved in the
/// groups and signature-scheme registries alike.
fn is_grease(code: u16) -> bool {
    code & 0x0f0f == 0x0a0a && (code >> 12) == ((code >> 4) & 0x0f)
}

/// The `&'static` name of a group already named by [`group_name`] (a
/// sensor report handed back after a failed heartbeat); `other` for
/// anything else.
pub fn known_group_name(name: &str) -> &'static str {
    KNOWN_GROUPS
        .into_iter()
        .map(group_name)
        .find(|n| *n == name)
        .unwrap_or("other")
}

/// Every group [`group_name`] names.
const KNOWN_GROUPS: [NamedGroup; 15] = [
    NamedGroup::Unknown(crate::kx::SECP384R1MLKEM1024_CODE),
    NamedGroup::X25519MLKEM768,
    NamedGroup::secp256r1MLKEM768,
    NamedGroup::MLKEM768,
    NamedGroup::MLKEM1024,
    NamedGroup::X25519,
    NamedGroup::X448,
    NamedGroup::secp256r1,
    NamedGroup::secp384r1,
    NamedGroup::secp521r1,
    NamedGroup::FFDHE2048,
    NamedGroup::FFDHE3072,
    NamedGroup::FFDHE4096,
    NamedGroup::FFDHE6144,
    NamedGroup::FFDHE8192,
];

/// A signature scheme a ClientHello offered, by its name in the IANA "TLS
/// SignatureScheme" registry (RFC 8446 §4.2.3; `mldsa44/65/87` from
/// draft-ietf-tls-mldsa, code points 0x0904-0x0906); `0x` and the code
/// point for the others; `None` for GREASE values (RFC 8701 §2 reserves
/// `0x?A?A` in this registry too).
pub fn offered_sig_alg_name(scheme: rustls::SignatureScheme) -> Option<String> {
    let code = u16::from(scheme);
    if is_grease(code) {
        return None;
    }
    let name = match code {
        0x0201 => "rsa_pkcs1_sha1",
        0x0203 => "ecdsa_sha1",
        0x0401 => "rsa_pkcs1_sha256",
        0x0403 => "ecdsa_secp256r1_sha256",
        0x0501 => "rsa_pkcs1_sha384",
        0x0503 => "ecdsa_secp384r1_sha384",
        0x0601 => "rsa_pkcs1_sha512",
        0x0603 => "ecdsa_secp521r1_sha512",
        0x0804 => "rsa_pss_rsae_sha256",
        0x0805 => "rsa_pss_rsae_sha384",
        0x0806 => "rsa_pss_rsae_sha512",
        0x0807 => "ed25519",
        0x0808 => "ed448",
        0x0809 => "rsa_pss_pss_sha256",
        0x080a => "rsa_pss_pss_sha384",
        0x080b => "rsa_pss_pss_sha512",
        0x081a => "ecdsa_brainpoolP256r1tls13_sha256",
        0x081b => "ecdsa_brainpoolP384r1tls13_sha384",
        0x081c => "ecdsa_brainpoolP512r1tls13_sha512",
        0x0904 => "mldsa44",
        0x0905 => "mldsa65",
        0x0906 => "mldsa87",
        _ => return Some(format!("0x{code:04x}")),
    };
    Some(name.to_owned())
}

/// At most this many offered signature schemes are recorded per handshake
/// (the control plane refuses more): real clients offer 8 to 16.
pub const MAX_OFFERED_SIG_ALGS: usize = 32;

/// The public-key algorithm of a certificate, as the TLS session records
/// and the runtime CBOM name it: `ECDSA-P256`, `ECDSA-P384`, `ECDSA-P521`,
/// `RSA-<bits>`, `Ed25519`, `Ed448`, `ML-DSA-44/65/87`, or `unknown`.
/// Read from the SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) by OID: RFC 3279
/// (rsaEncryption, id-ecPublicKey), RFC 5480 §2.1.1.1 (the named curves),
/// RFC 8410 §3 (Ed25519/Ed448), and NIST's CSOR / FIPS 204 for ML-DSA
/// (2.16.840.1.101.3.4.3.17-19).
pub fn cert_algorithm(leaf: &CertificateDer<'_>) -> &'static str {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(leaf.as_ref()) else {
        return "unknown";
    };
    let spki = cert.public_key();
    match spki.algorithm.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.1" => match spki.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(k)) => match k.key_size() {
                2048 => "RSA-2048",
                3072 => "RSA-3072",
                4096 => "RSA-4096",
                8192 => "RSA-8192",
                1024 => "RSA-1024",
                _ => "RSA",
            },
            _ => "RSA",
        },
        "1.2.840.10045.2.1" => match spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok())
            .map(|o| o.to_id_string())
            .as_deref()
        {
            Some("1.2.840.10045.3.1.7") => "ECDSA-P256",
            Some("1.3.132.0.34") => "ECDSA-P384",
            Some("1.3.132.0.35") => "ECDSA-P521",
            _ => "ECDSA",
        },
        "1.3.101.112" => "Ed25519",
        "1.3.101.113" => "Ed448",
        "2.16.840.1.101.3.4.3.17" => "ML-DSA-44",
        "2.16.840.1.101.3.4.3.18" => "ML-DSA-65",
        "2.16.840.1.101.3.4.3.19" => "ML-DSA-87",
        _ => "unknown",
    }
}

/// A certificate read for the session records and the heartbeat: identity,
/// validity and algorithms; never the key. Reported as
/// [`shared::qsgw::ServedCertificate`] ([`CertInfo::report`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// SHA-256 of the DER certificate, lowercase hex.
    pub sha256: String,
    /// Subject distinguished name (RFC 4514 string).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number, colon-separated hex.
    pub serial: String,
    /// notBefore.
    pub not_before: chrono::DateTime<chrono::Utc>,
    /// notAfter.
    pub not_after: chrono::DateTime<chrono::Utc>,
    /// DNS names of the subjectAltName extension (at most 20).
    pub dns_names: Vec<String>,
    /// Public-key algorithm ([`cert_algorithm`]).
    pub public_key_algorithm: &'static str,
    /// The issuer's signature algorithm, by its RFC name
    /// (`ecdsa-with-SHA256`, `sha256WithRSAEncryption`, `ML-DSA-65`, …) or
    /// its OID when not one of those.
    pub signature_algorithm: String,
}

impl CertInfo {
    /// The heartbeat's form (`served_certificates`).
    pub fn report(&self) -> shared::qsgw::ServedCertificate {
        shared::qsgw::ServedCertificate {
            sha256: self.sha256.clone(),
            subject: self.subject.clone(),
            issuer: self.issuer.clone(),
            serial: self.serial.clone(),
            not_before: self.not_before,
            not_after: self.not_after,
            dns_names: self.dns_names.clone(),
            public_key_algorithm: self.public_key_algorithm.to_owned(),
            signature_algorithm: self.signature_algorithm.clone(),
        }
    }

    /// Reads a leaf certificate; `None` if it does not parse (rustls would
    /// not have accepted it either).
    pub fn of(leaf: &CertificateDer<'_>) -> Option<Self> {
        use sha2::Digest;
        let (_, cert) = x509_parser::parse_x509_certificate(leaf.as_ref()).ok()?;
        let time = |t: &x509_parser::time::ASN1Time| {
            chrono::DateTime::<chrono::Utc>::from_timestamp(t.timestamp(), 0)
        };
        let dns_names = cert
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|san| {
                san.value
                    .general_names
                    .iter()
                    .filter_map(|n| match n {
                        x509_parser::extensions::GeneralName::DNSName(d) => Some((*d).to_owned()),
                        _ => None,
                    })
                    .take(20)
                    .collect()
            })
            .unwrap_or_default();
        let sig_oid = cert.signature_algorithm.algorithm.to_id_string();
        // RFC 5758 §3.2 (ECDSA), RFC 4055 §5 and RFC 8017 App. C (RSA),
        // RFC 8410 §3 (EdDSA), NIST CSOR (ML-DSA).
        let signature_algorithm = match sig_oid.as_str() {
            "1.2.840.10045.4.3.2" => "ecdsa-with-SHA256",
            "1.2.840.10045.4.3.3" => "ecdsa-with-SHA384",
            "1.2.840.10045.4.3.4" => "ecdsa-with-SHA512",
            "1.2.840.113549.1.1.11" => "sha256WithRSAEncryption",
            "1.2.840.113549.1.1.12" => "sha384WithRSAEncryption",
            "1.2.840.113549.1.1.13" => "sha512WithRSAEncryption",
            "1.2.840.113549.1.1.10" => "RSASSA-PSS",
            "1.3.101.112" => "Ed25519",
            "1.3.101.113" => "Ed448",
            "2.16.840.1.101.3.4.3.17" => "ML-DSA-44",
            "2.16.840.1.101.3.4.3.18" => "ML-DSA-65",
            "2.16.840.1.101.3.4.3.19" => "ML-DSA-87",
            other => other,
        }
        .to_owned();
        Some(Self {
            sha256: hex::encode(sha2::Sha256::digest(leaf.as_ref())),
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            serial: cert.raw_serial_as_string(),
            not_before: time(&cert.validity().not_before)?,
            not_after: time(&cert.validity().not_after)?,
            dns_names,
            public_key_algorithm: cert_algorithm(leaf),
            signature_algorithm,
        })
    }
}

/// At most this many offered groups are recorded per handshake (the
/// control plane refuses more): real clients offer 2 to 10.
pub const MAX_OFFERED_GROUPS: usize = 32;

/// Certificate chain and key.
#[derive(Debug)]
pub struct CertKey {
    /// Leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// Private key.
    pub key: PrivateKeyDer<'static>,
}

impl Clone for CertKey {
    fn clone(&self) -> Self {
        Self {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

/// Reads a PEM chain and key.
pub fn load_cert_key(cert_path: &Path, key_path: &Path) -> anyhow::Result<CertKey> {
    let chain = CertificateDer::pem_file_iter(cert_path)
        .with_context(|| {
            format!(
                "cannot read certificate {} (QSGW_TLS_CERT_PATH)",
                cert_path.display()
            )
        })?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| {
            format!(
                "invalid PEM in {} (QSGW_TLS_CERT_PATH)",
                cert_path.display()
            )
        })?;
    if chain.is_empty() {
        anyhow::bail!(
            "no certificate in {} (QSGW_TLS_CERT_PATH)",
            cert_path.display()
        );
    }
    let key = PrivateKeyDer::from_pem_file(key_path).with_context(|| {
        format!(
            "cannot read a private key from {} (QSGW_TLS_KEY_PATH)",
            key_path.display()
        )
    })?;
    Ok(CertKey { chain, key })
}

/// The listener's certificate chains, strongest first: each handshake gets
/// the first chain whose key can sign with a scheme the client offered in
/// `signature_algorithms` (RFC 8446 §4.2.3), so ML-DSA goes to clients
/// that offer it and ECDSA or RSA to the rest; the main chain when none
/// fits (the handshake then fails as it would with one certificate).
#[derive(Debug)]
pub struct ChainSet {
    /// (key, algorithm name, rank); sorted by rank, configuration order
    /// kept among equals, the main chain first.
    chains: Vec<(Arc<rustls::sign::CertifiedKey>, &'static str, u8)>,
    /// The main chain (`QSGW_TLS_CERT_PATH`), the fallback.
    main: (Arc<rustls::sign::CertifiedKey>, &'static str),
    infos: Vec<Arc<CertInfo>>,
}

/// Preference among chains: ML-DSA (strongest parameter set first), then
/// ECDSA, Ed25519/Ed448, RSA.
fn rank(alg: &str) -> u8 {
    match alg {
        "ML-DSA-87" => 9,
        "ML-DSA-65" => 8,
        "ML-DSA-44" => 7,
        a if a.starts_with("ECDSA") => 5,
        "Ed25519" | "Ed448" => 4,
        a if a.starts_with("RSA") => 3,
        _ => 0,
    }
}

impl ChainSet {
    /// The main chain and the extra ones.
    pub fn new(main: &CertKey, extra: &[CertKey]) -> anyhow::Result<Self> {
        let mut chains = Vec::new();
        let mut infos = Vec::new();
        for (i, ck) in std::iter::once(main).chain(extra).enumerate() {
            let key = aws_lc_rs::sign::any_supported_type(&ck.key).with_context(|| {
                if i == 0 {
                    "the key of QSGW_TLS_CERT_PATH is not usable".to_owned()
                } else {
                    format!("the key of QSGW_TLS_EXTRA_CERTS entry {i} is not usable")
                }
            })?;
            let certified = rustls::sign::CertifiedKey::new(ck.chain.clone(), key);
            certified.keys_match().with_context(|| {
                format!("certificate chain {i}: the certificate and key do not match")
            })?;
            let info = ck.chain.first().and_then(CertInfo::of);
            let alg = info.as_ref().map_or("unknown", |i| i.public_key_algorithm);
            infos.extend(info.map(Arc::new));
            chains.push((Arc::new(certified), alg, rank(alg)));
        }
        let main = chains
            .first()
            .map(|(k, a, _)| (k.clone(), *a))
            .context("no certificate chain")?;
        // Stable: equal ranks keep the main chain and configuration order.
        chains.sort_by_key(|c| std::cmp::Reverse(c.2));
        Ok(Self {
            chains,
            main,
            infos,
        })
    }

    /// The chain for a client offering `offered`, with its algorithm.
    pub fn choose(
        &self,
        offered: &[rustls::SignatureScheme],
    ) -> Option<(&Arc<rustls::sign::CertifiedKey>, &'static str)> {
        Some(
            self.chains
                .iter()
                .find(|(k, _, _)| k.key.choose_scheme(offered).is_some())
                .map_or((&self.main.0, self.main.1), |(k, a, _)| (k, *a)),
        )
    }

    /// Every chain's certificate, as reported to the control plane.
    pub fn infos(&self) -> Vec<Arc<CertInfo>> {
        self.infos.clone()
    }
}

impl rustls::server::ResolvesServerCert for ChainSet {
    fn resolve(
        &self,
        hello: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.choose(hello.signature_schemes())
            .map(|(k, _)| k.clone())
    }
}

/// Algorithms `gateway gen-cert` issues development chains with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CertAlg {
    /// ML-DSA-44 (FIPS 204, category 2).
    #[value(name = "ml-dsa-44")]
    MlDsa44,
    /// ML-DSA-65 (FIPS 204, category 3).
    #[value(name = "ml-dsa-65")]
    MlDsa65,
    /// ML-DSA-87 (FIPS 204, category 5).
    #[value(name = "ml-dsa-87")]
    MlDsa87,
    /// ECDSA on P-256 with SHA-256.
    #[value(name = "ecdsa-p256")]
    EcdsaP256,
    /// ECDSA on P-384 with SHA-384.
    #[value(name = "ecdsa-p384")]
    EcdsaP384,
    /// Ed25519.
    #[value(name = "ed25519")]
    Ed25519,
}

impl CertAlg {
    fn rcgen(self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            Self::MlDsa44 => &rcgen::PKCS_ML_DSA_44,
            Self::MlDsa65 => &rcgen::PKCS_ML_DSA_65,
            Self::MlDsa87 => &rcgen::PKCS_ML_DSA_87,
            Self::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Self::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            Self::Ed25519 => &rcgen::PKCS_ED25519,
        }
    }

    /// File name stem (`ml-dsa-65`).
    pub fn stem(self) -> &'static str {
        match self {
            Self::MlDsa44 => "ml-dsa-44",
            Self::MlDsa65 => "ml-dsa-65",
            Self::MlDsa87 => "ml-dsa-87",
            Self::EcdsaP256 => "ecdsa-p256",
            Self::EcdsaP384 => "ecdsa-p384",
            Self::Ed25519 => "ed25519",
        }
    }
}

/// Validity of a development root (10 years).
const ROOT_DAYS: i64 = 3650;
/// Validity of a development leaf: 397 days, under the 398 that browsers
/// and the CA/Browser Forum allow a server certificate.
const LEAF_DAYS: i64 = 397;

/// Valid from yesterday (clock skew) for `days`: a finite notAfter, where
/// rcgen's default (4096-01-01) would reach the runtime CBOM as a date
/// tools read as "never expires".
fn dev_validity(params: &mut rcgen::CertificateParams, days: i64) {
    let day = |d: chrono::DateTime<chrono::Utc>| {
        use chrono::Datelike;
        rcgen::date_time_ymd(
            d.year(),
            u8::try_from(d.month()).unwrap_or(1),
            u8::try_from(d.day()).unwrap_or(1),
        )
    };
    let now = chrono::Utc::now();
    params.not_before = day(now - chrono::Duration::days(1));
    params.not_after = day(now + chrono::Duration::days(days));
}

/// Paths `generate_chain` wrote.
#[derive(Debug, Clone)]
pub struct GeneratedChain {
    /// The root CA certificate (to trust in clients).
    pub root: std::path::PathBuf,
    /// Leaf then root (for `QSGW_TLS_CERT_PATH` or an extra chain).
    pub chain: std::path::PathBuf,
    /// The leaf's private key (mode 0600).
    pub key: std::path::PathBuf,
    /// Base64 SHA-256 of the leaf's SubjectPublicKeyInfo: the pin
    /// Chromium's `--ignore-certificate-errors-spki-list` takes (and HPKP's
    /// pin-sha256, RFC 7469 §2.4).
    pub spki_sha256: String,
}

/// Writes a development chain in `dir`: a root CA and a leaf for `names`
/// (the first is its common name) it signs, both with `alg` (so the whole
/// path is post-quantum for the ML-DSA ones).
pub fn generate_chain(
    alg: CertAlg,
    dir: &Path,
    names: &[String],
) -> anyhow::Result<GeneratedChain> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let root_key = KeyPair::generate_for(alg.rcgen()).context("generating the root key")?;
    let mut root = CertificateParams::new(Vec::<String>::new())?;
    dev_validity(&mut root, ROOT_DAYS);
    root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root.distinguished_name.push(
        DnType::CommonName,
        format!("QSGW development root ({})", alg.stem()),
    );
    let root_cert = root.self_signed(&root_key)?;
    let issuer = Issuer::new(root, root_key);
    let leaf_key = KeyPair::generate_for(alg.rcgen()).context("generating the leaf key")?;
    let first = names.first().context("the leaf needs a name")?;
    let mut leaf = CertificateParams::new(names.to_vec())
        .context("a leaf name is not a DNS name or IP address")?;
    leaf.distinguished_name
        .push(DnType::CommonName, first.as_str());
    dev_validity(&mut leaf, LEAF_DAYS);
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;
    let out = GeneratedChain {
        root: dir.join(format!("{}-root.crt", alg.stem())),
        chain: dir.join(format!("{}.crt", alg.stem())),
        key: dir.join(format!("{}.key", alg.stem())),
        spki_sha256: {
            use base64::Engine as _;
            use rcgen::PublicKeyData as _;
            use sha2::Digest as _;
            base64::engine::general_purpose::STANDARD
                .encode(sha2::Sha256::digest(leaf_key.subject_public_key_info()))
        },
    };
    std::fs::write(&out.root, root_cert.pem())
        .with_context(|| format!("writing {}", out.root.display()))?;
    std::fs::write(
        &out.chain,
        format!("{}{}", leaf_cert.pem(), root_cert.pem()),
    )
    .with_context(|| format!("writing {}", out.chain.display()))?;
    write_private(&out.key, leaf_key.serialize_pem().as_bytes())?;
    Ok(out)
}

/// Writes a self-signed certificate for `localhost`/127.0.0.1 to the two
/// paths (key mode 0600). Used outside production when no certificate exists.
pub fn generate_dev_cert(cert_path: &Path, key_path: &Path) -> anyhow::Result<()> {
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let mut params =
        rcgen::CertificateParams::new(names).context("generating the development certificate")?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    dev_validity(&mut params, LEAF_DAYS);
    let signing_key =
        rcgen::KeyPair::generate().context("generating the development certificate's key")?;
    let cert = params
        .self_signed(&signing_key)
        .context("generating the development certificate")?;
    let certified = rcgen::CertifiedKey { cert, signing_key };
    for p in [cert_path, key_path] {
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
    }
    std::fs::write(cert_path, certified.cert.pem())
        .with_context(|| format!("writing {}", cert_path.display()))?;
    write_private(key_path, certified.signing_key.serialize_pem().as_bytes())?;
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(bytes)?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
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

/// Facts about an established TLS connection. Static names (no heap) for
/// everything but the SNI: it lives as long as the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFacts {
    /// `TLSv1.3` or `TLSv1.2`.
    pub protocol: &'static str,
    /// Cipher suite name.
    pub cipher_suite: &'static str,
    /// Key-exchange group name.
    pub kx_group: &'static str,
    /// Whether the group is post-quantum.
    pub pqc: bool,
    /// Negotiated ALPN protocol (`h2` or `http/1.1`, the two offered).
    pub alpn: Option<&'static str>,
    /// SNI sent by the client, lowercase.
    pub sni: Option<String>,
    /// The verified client certificate (mutual TLS at the edge): its
    /// subject DN and public-key algorithm, forwarded to upstreams.
    pub client_cert: Option<ClientCert>,
}

/// A client certificate the listener verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCert {
    /// Subject DN (RFC 4514 string), as an `X-Client-Cert-Subject` value.
    pub subject: http::HeaderValue,
    /// Public-key algorithm ([`cert_algorithm`]).
    pub algorithm: &'static str,
}

impl TlsFacts {
    /// Reads the facts from a finished handshake.
    pub fn of(conn: &ServerConnection) -> Self {
        let group = conn.negotiated_key_exchange_group().map(|g| g.name());
        Self {
            protocol: match conn.protocol_version() {
                Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
                Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
                _ => "unknown",
            },
            cipher_suite: conn
                .negotiated_cipher_suite()
                .and_then(|s| s.suite().as_str())
                .unwrap_or("unknown"),
            kx_group: group.map_or("unknown", group_name),
            pqc: group.is_some_and(is_post_quantum),
            alpn: match conn.alpn_protocol() {
                Some(b"h2") => Some("h2"),
                Some(b"http/1.1") => Some("http/1.1"),
                _ => None,
            },
            sni: conn.server_name().map(str::to_ascii_lowercase),
            client_cert: conn
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|leaf| {
                    let info = CertInfo::of(leaf)?;
                    // A DN with bytes a header cannot carry is replaced,
                    // never passed through.
                    let subject = http::HeaderValue::from_str(&info.subject)
                        .unwrap_or_else(|_| http::HeaderValue::from_static("(unrepresentable)"));
                    Some(ClientCert {
                        subject,
                        algorithm: info.public_key_algorithm,
                    })
                }),
        }
    }
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
