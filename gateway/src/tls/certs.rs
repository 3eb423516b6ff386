//! Certificates: the served chains (PEM files, one `ChainSet` picking by
//! the client's `signature_algorithms`), what a certificate is (`CertInfo`,
//! read with x509-parser) and the development chains `gateway gen-cert`
//! writes (finite validity, ML-DSA or classical).

use anyhow::Context;
use rustls::crypto::aws_lc_rs::{self};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

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
    /// Start of validity (the certificate's notBefore).
    pub not_before: chrono::DateTime<chrono::Utc>,
    /// End of validity (the certificate's notAfter).
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
    /// Ed25519 (RFC 8032), classical; the listener ranks it after ML-DSA and
    /// ECDSA chains when a client accepts several.
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
