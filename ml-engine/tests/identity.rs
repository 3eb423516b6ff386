//! The identity layer against its references: a table of real-world names
//! (each row cites where the spelling and its meaning come from), every
//! family and variant pattern of CycloneDX's `cryptography-defs.json`, every
//! suite of testssl.sh's cipher mapping (by IANA name, OpenSSL name and code
//! point), TLS named groups, name-variant agreement, and hostile input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use ml_engine::model::identity::{resolve, Identity, Input};
use ml_engine::model::kb::{KnowledgeBase, Primitive, EMBEDDED};
use ml_engine::model::scoring::{Asset, Options};
use ml_engine::model::Engine;
use serde_json::Value;

fn kb() -> KnowledgeBase {
    KnowledgeBase::parse(EMBEDDED).unwrap()
}

fn id(
    kb: &KnowledgeBase,
    name: &str,
    family: Option<&str>,
    param: Option<&str>,
    oid: Option<&str>,
) -> Identity {
    resolve(
        kb,
        &Input {
            name,
            family,
            parameter: param,
            oid,
            usage: None,
        },
    )
}

/// (name, family, parameter, oid) → (canonical name, family, hash, source of the expectation)
struct Row {
    name: &'static str,
    family: Option<&'static str>,
    param: Option<&'static str>,
    oid: Option<&'static str>,
    want: &'static str,
    fam: &'static str,
    hash: Option<&'static str>,
    source: &'static str,
}

const fn r(name: &'static str, want: &'static str, fam: &'static str, source: &'static str) -> Row {
    Row {
        name,
        family: None,
        param: None,
        oid: None,
        want,
        fam,
        hash: None,
        source,
    }
}
const fn rh(
    name: &'static str,
    want: &'static str,
    fam: &'static str,
    hash: &'static str,
    source: &'static str,
) -> Row {
    Row {
        name,
        family: None,
        param: None,
        oid: None,
        want,
        fam,
        hash: Some(hash),
        source,
    }
}
const fn rp(
    name: &'static str,
    family: Option<&'static str>,
    param: Option<&'static str>,
    want: &'static str,
    fam: &'static str,
    source: &'static str,
) -> Row {
    Row {
        name,
        family,
        param,
        oid: None,
        want,
        fam,
        hash: None,
        source,
    }
}
const fn ro(
    oid: &'static str,
    want: &'static str,
    fam: &'static str,
    hash: Option<&'static str>,
    source: &'static str,
) -> Row {
    Row {
        name: oid,
        family: None,
        param: None,
        oid: None,
        want,
        fam,
        hash,
        source,
    }
}

const CDX: &str = "CycloneDX cryptography-defs.json";

const TABLE: &[Row] = &[
    // --- the issue's examples: CycloneDX spellings of RSA signatures ---
    rh(
        "RSA-PKCS1-1.5-SHA256-2048",
        "RSA-2048",
        "RSA",
        "SHA-256",
        "CycloneDX defs RSASSA-PKCS1 pattern RSA-PKCS1-1.5[-{hashAlgorithm}][-{keyLength}]",
    ),
    rh(
        "RSA-PKCS1-1.5-SHA1-1024",
        "RSA-1024",
        "RSA",
        "SHA-1",
        "CycloneDX defs RSASSA-PKCS1 pattern",
    ),
    Row {
        name: "RSA-PKCS1-1.5-SHA512",
        family: Some("RSASSA-PKCS1"),
        param: Some("4096"),
        oid: None,
        want: "RSA-4096",
        fam: "RSA",
        hash: Some("SHA-512"),
        source: "CycloneDX defs RSASSA-PKCS1; parameterSetIdentifier = key length",
    },
    rh(
        "RSA-PKCS1-1.5-SHA512-2048",
        "RSA-2048",
        "RSA",
        "SHA-512",
        "testdata/cbom/cyclonedx-algorithm.json component",
    ),
    rh(
        "RSA-PSS-SHA256-MGF1-32-2048",
        "RSA-2048",
        "RSA",
        "SHA-256",
        "CycloneDX defs RSASSA-PSS pattern RSA-PSS[-{hash}][-{mgf}][-{saltLength}][-{keyLength}]",
    ),
    rh(
        "RSA-OAEP-SHA256-MGF1-3072",
        "RSA-3072",
        "RSA",
        "SHA-256",
        "CycloneDX defs RSAES-OAEP pattern",
    ),
    rh(
        "RSA-X9.31-SHA256-2048",
        "RSA-2048",
        "RSA",
        "SHA-256",
        "CycloneDX defs RSA-X931 pattern RSA-X9.31[-{hash}][-{keyLength}]",
    ),
    r(
        "RSA-PKCS1-1.5-2048",
        "RSA-2048",
        "RSA",
        "CycloneDX defs RSAES-PKCS1 pattern RSA-PKCS1-1.5[-{keyLength}]",
    ),
    // --- PQC with family + parameter (CycloneDX algorithmFamily / parameterSetIdentifier) ---
    rp(
        "ML-KEM",
        None,
        Some("ML-KEM-768"),
        "ML-KEM-768",
        "ML-KEM",
        "FIPS 203 sec. 8 Table 2; testdata/cbom/cyclonedx-pq-migration.json",
    ),
    rp(
        "ML-KEM",
        None,
        Some("768"),
        "ML-KEM-768",
        "ML-KEM",
        "FIPS 203 sec. 8 Table 2 (parameter set 768)",
    ),
    rp(
        "ML-DSA",
        None,
        Some("ML-DSA-65"),
        "ML-DSA-65",
        "ML-DSA",
        "FIPS 204 sec. 4 Table 1",
    ),
    rp(
        "SLH-DSA",
        None,
        Some("SLH-DSA-SHA2-128s"),
        "SLH-DSA-SHA2-128s",
        "SLH-DSA",
        "FIPS 205 sec. 11 Table 2",
    ),
    rp(
        "DH",
        None,
        Some("ffdhe2048"),
        "DH-2048",
        "DH",
        "RFC 7919 Appendix A.1 (ffdhe2048)",
    ),
    r("ML-KEM-512", "ML-KEM-512", "ML-KEM", "FIPS 203 Table 2"),
    r("ML-KEM-1024", "ML-KEM-1024", "ML-KEM", "FIPS 203 Table 2"),
    r(
        "MLKEM768",
        "ML-KEM-768",
        "ML-KEM",
        "draft-ietf-tls-mlkem sec. 3 (MLKEM768)",
    ),
    r("ML-DSA-44", "ML-DSA-44", "ML-DSA", "FIPS 204 Table 1"),
    r("ML-DSA-87", "ML-DSA-87", "ML-DSA", "FIPS 204 Table 1"),
    r(
        "HashML-DSA-65-SHA512",
        "HashML-DSA-65",
        "ML-DSA",
        "CycloneDX defs ML-DSA pattern HashML-DSA-(44|65|87)[-{hash}]; FIPS 204 sec. 5.4",
    ),
    r(
        "SLH-DSA-SHAKE-256f",
        "SLH-DSA-SHAKE-256f",
        "SLH-DSA",
        "FIPS 205 Table 2",
    ),
    r(
        "SLH-DSA-SHA2-192s",
        "SLH-DSA-SHA2-192s",
        "SLH-DSA",
        "FIPS 205 Table 2",
    ),
    r(
        "SLH-DSA-SHAKE-128s",
        "SLH-DSA-SHAKE-128s",
        "SLH-DSA",
        "FIPS 205 Table 2",
    ),
    r(
        "HashSLH-DSA-SHA2-256s-SHA512",
        "HashSLH-DSA-SHA2-256s",
        "SLH-DSA",
        "CycloneDX defs SLH-DSA pattern; FIPS 205 sec. 10.2",
    ),
    r(
        "LMS_SHA256_M24_H10",
        "LMS",
        "LMS",
        "RFC 9858 / SP 800-208 sec. 4 (LMS_SHA256_M24_H10)",
    ),
    r("LMS", "LMS", "LMS", "SP 800-208"),
    r("HSS-LMS", "LMS", "LMS", "RFC 8554 sec. 6 (HSS)"),
    r(
        "XMSS-SHA2_10_256",
        "XMSS",
        "XMSS",
        "RFC 8391 sec. 5.3 (XMSS-SHA2_10_256)",
    ),
    r(
        "XMSSMT-SHA2_20/2_256",
        "XMSS",
        "XMSS",
        "RFC 8391 sec. 5.4 (XMSSMT-SHA2_20/2_256)",
    ),
    // --- pre-standard PQC ---
    r(
        "Kyber768",
        "Kyber-768",
        "Kyber",
        "CRYSTALS-Kyber round 3 (Kyber768); FIPS 203 sec. 1.3",
    ),
    r(
        "CRYSTALS-Kyber-1024",
        "Kyber-1024",
        "Kyber",
        "CRYSTALS-Kyber round 3",
    ),
    r(
        "Dilithium3",
        "Dilithium-3",
        "Dilithium",
        "CRYSTALS-Dilithium round 3; FIPS 204 sec. 1.3",
    ),
    r(
        "SPHINCS+-SHA2-128s",
        "SPHINCS+",
        "SPHINCS+",
        "SPHINCS+ round 3; FIPS 205 sec. 1.1",
    ),
    r("Falcon-512", "Falcon-512", "Falcon", "Falcon round 3"),
    r(
        "X25519Kyber768Draft00",
        "X25519Kyber768Draft00",
        "X25519Kyber768Draft00",
        "draft-tls-westerbaan-xyber768d00",
    ),
    // --- hybrids ---
    r(
        "X25519MLKEM768",
        "X25519MLKEM768",
        "X25519MLKEM768",
        "draft-ietf-tls-ecdhe-mlkem sec. 2",
    ),
    r(
        "SecP256r1MLKEM768",
        "SecP256r1MLKEM768",
        "SecP256r1MLKEM768",
        "draft-ietf-tls-ecdhe-mlkem sec. 2",
    ),
    r(
        "SecP384r1MLKEM1024",
        "SecP384r1MLKEM1024",
        "SecP384r1MLKEM1024",
        "draft-ietf-tls-ecdhe-mlkem sec. 2",
    ),
    r(
        "X25519-ML-KEM-768",
        "X25519MLKEM768",
        "X25519MLKEM768",
        "draft-ietf-tls-ecdhe-mlkem sec. 2 (the same group spelt out)",
    ),
    // --- JCA / OpenSSL signature spellings ---
    rh(
        "SHA256withRSA",
        "RSA",
        "RSA",
        "SHA-256",
        "JCA Standard Names: Signature SHA256withRSA",
    ),
    rh(
        "SHA1withRSA",
        "RSA",
        "RSA",
        "SHA-1",
        "JCA Standard Names: Signature SHA1withRSA",
    ),
    rh(
        "SHA384withECDSA",
        "ECDSA",
        "ECDSA",
        "SHA-384",
        "JCA Standard Names: Signature SHA384withECDSA",
    ),
    rh(
        "SHA256withECDSA",
        "ECDSA",
        "ECDSA",
        "SHA-256",
        "JCA Standard Names",
    ),
    rh(
        "SHA256withDSA",
        "DSA",
        "DSA",
        "SHA-256",
        "JCA Standard Names: Signature SHA256withDSA",
    ),
    rh(
        "SHA256withRSA/PSS",
        "RSA",
        "RSA",
        "SHA-256",
        "JCA Standard Names: Signature <digest>withRSA/PSS",
    ),
    rh(
        "sha1WithRSAEncryption",
        "RSA",
        "RSA",
        "SHA-1",
        "RFC 8017 Appendix C (sha1WithRSAEncryption); OpenSSL objects.txt",
    ),
    rh(
        "sha256WithRSAEncryption",
        "RSA",
        "RSA",
        "SHA-256",
        "RFC 8017 Appendix C",
    ),
    rh(
        "ecdsa-with-SHA384",
        "ECDSA",
        "ECDSA",
        "SHA-384",
        "RFC 5758 sec. 3.2 (ecdsa-with-SHA384)",
    ),
    rh(
        "ecdsa-with-SHA1",
        "ECDSA",
        "ECDSA",
        "SHA-1",
        "RFC 3279 sec. 2.2.3",
    ),
    rh(
        "SHA512withRSA",
        "RSA",
        "RSA",
        "SHA-512",
        "testdata/cbom/cyclonedx-certificate.json; JCA",
    ),
    r(
        "id-ecPublicKey",
        "EC",
        "EC",
        "RFC 5480 sec. 2.1.1 (id-ecPublicKey)",
    ),
    r(
        "rsaEncryption",
        "RSA",
        "RSA",
        "RFC 8017 Appendix C (rsaEncryption)",
    ),
    rh(
        "PBKDF2WithHmacSHA256",
        "PBKDF2-HMAC-SHA-256",
        "PBKDF2",
        "SHA-256",
        "JCA Standard Names: SecretKeyFactory PBKDF2WithHmacSHA256",
    ),
    rh(
        "PBKDF2WithHmacSHA1",
        "PBKDF2-HMAC-SHA-1",
        "PBKDF2",
        "SHA-1",
        "JCA Standard Names: SecretKeyFactory PBKDF2WithHmacSHA1",
    ),
    rh(
        "HmacSHA256",
        "HMAC-SHA-256",
        "HMAC",
        "SHA-256",
        "JCA Standard Names: Mac HmacSHA256",
    ),
    rh(
        "HmacSHA1",
        "HMAC-SHA-1",
        "HMAC",
        "SHA-1",
        "JCA Standard Names: Mac HmacSHA1",
    ),
    rh(
        "HMAC-SHA512",
        "HMAC-SHA-512",
        "HMAC",
        "SHA-512",
        "testdata/cbom/kafka-cbom.json; CycloneDX defs HMAC[-{hash}]",
    ),
    rh(
        "HMAC-SHA-384",
        "HMAC-SHA-384",
        "HMAC",
        "SHA-384",
        "FIPS 198-1 with FIPS 180-4 names",
    ),
    rh(
        "HKDF-SHA256",
        "HKDF-SHA-256",
        "HKDF",
        "SHA-256",
        "CycloneDX defs HKDF[-{hash}]; RFC 5869",
    ),
    rh(
        "PBKDF2-SHA256",
        "PBKDF2-HMAC-SHA-256",
        "PBKDF2",
        "SHA-256",
        "CycloneDX defs PBKDF2[-{hash}]",
    ),
    r(
        "DESede",
        "3DES",
        "3DES",
        "JCA Standard Names: Cipher DESede",
    ),
    r(
        "DES-EDE3-CBC",
        "3DES-CBC",
        "3DES",
        "OpenSSL cipher name des-ede3-cbc",
    ),
    r("TripleDES", "3DES", "3DES", "JCA alias"),
    r("3DES", "3DES", "3DES", CDX),
    r(
        "AES/GCM/NoPadding",
        "AES-GCM",
        "AES",
        "JCA transformation AES/GCM/NoPadding (key length from the key)",
    ),
    r(
        "AES_256/GCM/NoPadding",
        "AES-256-GCM",
        "AES",
        "JCA Standard Names: Cipher AES_256/GCM/NoPadding",
    ),
    r(
        "aes-128-cbc",
        "AES-128-CBC",
        "AES",
        "OpenSSL enc name aes-128-cbc",
    ),
    r(
        "id-aes256-GCM",
        "AES-256-GCM",
        "AES",
        "CSOR / RFC 5084 (id-aes256-GCM)",
    ),
    r(
        "AES128-CBC-PKCS5",
        "AES-128-CBC",
        "AES",
        "testdata/cbom/keycloak-cbom.json",
    ),
    // --- parameters written in every way ---
    rp(
        "RSA",
        None,
        Some("2048"),
        "RSA-2048",
        "RSA",
        "SP 800-57 Pt 1 Table 2 (2048-bit modulus)",
    ),
    rp(
        "RSA",
        None,
        Some("2048-bit"),
        "RSA-2048",
        "RSA",
        "SP 800-57 Pt 1 Table 2",
    ),
    rp(
        "RSA",
        None,
        Some("2048 bits"),
        "RSA-2048",
        "RSA",
        "SP 800-57 Pt 1 Table 2",
    ),
    rp(
        "RSA",
        None,
        Some("RSA-2048"),
        "RSA-2048",
        "RSA",
        "SP 800-57 Pt 1 Table 2",
    ),
    rp(
        "DSA",
        None,
        Some("L=2048, N=224"),
        "DSA-2048",
        "DSA",
        "FIPS 186-4 sec. 4.2 (L = 2048, N = 224)",
    ),
    rp(
        "DSA",
        None,
        Some("2048"),
        "DSA-2048",
        "DSA",
        "testdata/cbom/kafka-cbom.json",
    ),
    r("rsa2048", "RSA-2048", "RSA", "common inventory spelling"),
    r("RSA-4096", "RSA-4096", "RSA", "SP 800-57 Pt 1 Table 2"),
    r("RSA 3072", "RSA-3072", "RSA", "SP 800-57 Pt 1 Table 2"),
    // --- curves and their aliases ---
    r(
        "secp256r1",
        "EC-P-256",
        "EC",
        "SEC 2 sec. 2.4.2; CycloneDX defs secg/secp256r1 alias P-256",
    ),
    r(
        "prime256v1",
        "EC-P-256",
        "EC",
        "X9.62 prime256v1; CycloneDX defs alias of P-256",
    ),
    r("P-256", "EC-P-256", "EC", "FIPS 186-4 D.1.2.3; SP 800-186"),
    r(
        "EC-secp384r1",
        "EC-P-384",
        "EC",
        "testdata/cbom/keycloak-cbom.json; SEC 2 alias of P-384",
    ),
    r(
        "EC-secp256r1",
        "EC-P-256",
        "EC",
        "testdata/cbom/keycloak-cbom.json",
    ),
    r("secp521r1", "EC-P-521", "EC", "SEC 2"),
    r(
        "ECDSA-P-256",
        "ECDSA-P-256",
        "ECDSA",
        "CycloneDX defs ECDSA[-{ellipticCurve}][-{hash}]",
    ),
    rh(
        "ECDSA-P-256-SHA-256",
        "ECDSA-P-256",
        "ECDSA",
        "SHA-256",
        "testdata/cbom/cyclonedx-pq-migration.json",
    ),
    rh(
        "ECDSA-secp384r1-SHA384",
        "ECDSA-P-384",
        "ECDSA",
        "SHA-384",
        "CycloneDX defs ECDSA pattern",
    ),
    rp(
        "ECDSA",
        None,
        Some("P-256"),
        "ECDSA-P-256",
        "ECDSA",
        "SP 800-186",
    ),
    rp(
        "ECDSA",
        None,
        Some("secp384r1"),
        "ECDSA-P-384",
        "ECDSA",
        "SEC 2",
    ),
    rp(
        "ECDH",
        None,
        Some("secg/secp521r1"),
        "ECDH-P-521",
        "ECDH",
        "testdata/cbom/cyclonedx-algorithm.json ellipticCurve",
    ),
    r(
        "ECDH-secp521r1",
        "ECDH-P-521",
        "ECDH",
        "testdata/cbom/cyclonedx-algorithm.json",
    ),
    rp(
        "ECDH",
        None,
        Some("nist/P-256"),
        "ECDH-P-256",
        "ECDH",
        "testdata/cbom/cyclonedx-pq-migration.json",
    ),
    r(
        "ECDHE-P-384",
        "ECDH-P-384",
        "ECDH",
        "CycloneDX defs ECDH[E][-{ellipticCurve}]",
    ),
    r(
        "ECDH-brainpoolP256r1",
        "ECDH-brainpoolP256r1",
        "ECDH",
        "RFC 5639 sec. 3.4",
    ),
    r(
        "ECDSA-brainpoolP384r1",
        "ECDSA-brainpoolP384r1",
        "ECDSA",
        "RFC 5639 sec. 3.6",
    ),
    r(
        "ECDSA-secp256k1",
        "ECDSA-secp256k1",
        "ECDSA",
        "SEC 2 sec. 2.4.1",
    ),
    r(
        "ECDSA-K-283",
        "ECDSA-K-283",
        "ECDSA",
        "FIPS 186-4 D.1.3 / CycloneDX defs nist/K-283",
    ),
    r(
        "ECDSA-sect283k1",
        "ECDSA-K-283",
        "ECDSA",
        "CycloneDX defs alias sect283k1 of K-283",
    ),
    r("X25519", "X25519", "X25519", "RFC 7748 sec. 5"),
    r("X448", "X448", "X448", "RFC 7748 sec. 5"),
    rp(
        "ECDH",
        None,
        Some("other/Curve25519"),
        "X25519",
        "X25519",
        "testdata/cbom/cyclonedx-protocol.json (X25519 as ECDH on Curve25519)",
    ),
    r("Ed25519", "Ed25519", "EdDSA", "RFC 8032 sec. 5.1"),
    r("Ed448", "Ed448", "EdDSA", "RFC 8032 sec. 5.2"),
    r(
        "Ed25519ph",
        "Ed25519",
        "EdDSA",
        "RFC 8032 sec. 5.1 (Ed25519ph); CycloneDX defs Ed(25519|448)[(ph|ctx)]",
    ),
    rp(
        "EdDSA",
        None,
        Some("Ed25519"),
        "Ed25519",
        "EdDSA",
        "RFC 8032",
    ),
    // --- finite-field groups ---
    r("ffdhe3072", "DH-3072", "DH", "RFC 7919 Appendix A.2"),
    r("ffdhe8192", "DH-8192", "DH", "RFC 7919 Appendix A.5"),
    r(
        "MODP-2048",
        "DH-2048",
        "DH",
        "RFC 3526 sec. 3 (2048-bit MODP group 14)",
    ),
    r(
        "MODP-1024",
        "DH-1024",
        "DH",
        "RFC 2409 sec. 6.2 (Oakley group 2)",
    ),
    r(
        "FFDHE-ffdhe4096",
        "DH-4096",
        "DH",
        "CycloneDX defs FFDH(E)[-{namedGroup}]; RFC 7919",
    ),
    r("DH-2048", "DH-2048", "DH", "SP 800-57 Pt 1 Table 2"),
    // --- symmetric ---
    r(
        "AES-128-GCM",
        "AES-128-GCM",
        "AES",
        "CycloneDX defs AES pattern; SP 800-38D",
    ),
    r(
        "AES-128-GCM-128-12",
        "AES-128-GCM",
        "AES",
        "testdata/cbom/cyclonedx-algorithm.json (tag 128, IV 12)",
    ),
    r(
        "AES-256-CBC-PKCS7",
        "AES-256-CBC",
        "AES",
        "CycloneDX defs AES[-(128|192|256)][-(mode)][-{padding}]",
    ),
    r("AES-192-CTR", "AES-192-CTR", "AES", "SP 800-38A"),
    r("AES-256-XTS", "AES-256-XTS", "AES", "SP 800-38E"),
    r("AES-128-KW", "AES-128-KW", "AES", "SP 800-38F"),
    r(
        "AES-256-GCM-SIV",
        "AES-256-GCMSIV",
        "AES",
        "RFC 8452; CycloneDX defs AES-GCM-SIV",
    ),
    r("AES128GCM", "AES-128-GCM", "AES", "compact spelling"),
    r(
        "ChaCha20-Poly1305",
        "ChaCha20-Poly1305",
        "ChaCha20-Poly1305",
        "RFC 8439",
    ),
    r(
        "CHACHA20-POLY1305",
        "ChaCha20-Poly1305",
        "ChaCha20-Poly1305",
        "OpenSSL name",
    ),
    r(
        "Camellia-256-CBC",
        "Camellia-256-CBC",
        "Camellia",
        "RFC 3713; CycloneDX defs",
    ),
    r(
        "ARIA-128-GCM",
        "ARIA-128-GCM",
        "ARIA",
        "RFC 5794; CycloneDX defs",
    ),
    r(
        "SM4-GCM",
        "SM4-GCM",
        "SM4",
        "RFC 8998; CycloneDX defs SM4-(GCM|CCM)",
    ),
    r("DES-CBC", "DES-CBC", "DES", "FIPS 46-3"),
    r("RC4", "RC4", "RC4", "RFC 7465"),
    r("RC2-40-CBC", "RC2", "RC2", "RFC 2268"),
    r("Blowfish-CBC", "Blowfish", "Blowfish", CDX),
    r("IDEA-CBC", "IDEA", "IDEA", CDX),
    // --- hashes ---
    r("SHA-1", "SHA-1", "SHA-1", "FIPS 180-4"),
    r("SHA1", "SHA-1", "SHA-1", "testdata/cbom/keycloak-cbom.json"),
    rp(
        "SHA1",
        None,
        Some("160"),
        "SHA-1",
        "SHA-1",
        "testdata/cbom/keycloak-cbom.json (parameterSetIdentifier = digest length)",
    ),
    r(
        "SHA256",
        "SHA-256",
        "SHA-256",
        "testdata/cbom/kafka-cbom.json",
    ),
    r("SHA-384", "SHA-384", "SHA-384", "FIPS 180-4"),
    rp(
        "SHA-2",
        None,
        Some("384"),
        "SHA-384",
        "SHA-384",
        "testdata/cbom/cyclonedx-protocol.json (algorithmFamily SHA-2, parameterSetIdentifier 384)",
    ),
    r(
        "SHA-512/256",
        "SHA-512/256",
        "SHA-512/256",
        "FIPS 180-4 sec. 6.7",
    ),
    r("SHA-224", "SHA-224", "SHA-224", "FIPS 180-4"),
    r("SHA3-256", "SHA3-256", "SHA3-256", "FIPS 202"),
    r("SHAKE256", "SHAKE256", "SHAKE256", "FIPS 202"),
    r("MD5", "MD5", "MD5", "RFC 1321"),
    r("RIPEMD-160", "RIPEMD-160", "RIPEMD-160", CDX),
    // --- password hashes, KDFs, DRBGs ---
    r(
        "Argon2id",
        "Argon2",
        "Argon2",
        "RFC 9106; CycloneDX defs Argon2(id|i|d)",
    ),
    r("bcrypt", "bcrypt", "bcrypt", CDX),
    r("scrypt", "scrypt", "scrypt", "RFC 7914"),
    r("CTR_DRBG-AES-256", "CTR_DRBG", "CTR_DRBG", "SP 800-90A"),
    r(
        "ConcatenationKDF",
        "SP800-56C-KDF",
        "SP800-56C-KDF",
        "testdata/cbom/keycloak-cbom.json; SP 800-56C one-step (concatenation) KDF",
    ),
    // --- others from cryptography-defs ---
    r("SM2", "SM2", "SM2", "GB/T 32918; CycloneDX defs"),
    r(
        "GOST R 34.10-2012",
        "GOST-R-34.10",
        "GOST-R-34.10",
        "RFC 7091 (GOST R 34.10-2012); CycloneDX defs GOSTR3410",
    ),
    r("SM3", "SM3", "SM3", "GB/T 32905"),
    r(
        "128-EEA3",
        "ZUC",
        "ZUC",
        "3GPP TS 35.221; CycloneDX defs ZUC",
    ),
    r("A5/1", "A5/1", "A5/1", CDX),
    // --- OIDs alone ---
    ro(
        "1.2.840.113549.1.1.11",
        "RSA",
        "RSA",
        Some("SHA-256"),
        "RFC 8017 Appendix C: sha256WithRSAEncryption",
    ),
    ro(
        "1.2.840.113549.1.1.5",
        "RSA",
        "RSA",
        Some("SHA-1"),
        "RFC 8017 Appendix C: sha1WithRSAEncryption",
    ),
    ro(
        "1.2.840.113549.1.1.10",
        "RSA",
        "RSA",
        None,
        "RFC 8017 Appendix C: id-RSASSA-PSS",
    ),
    ro(
        "1.2.840.10045.4.3.3",
        "ECDSA",
        "ECDSA",
        Some("SHA-384"),
        "RFC 5758 sec. 3.2: ecdsa-with-SHA384",
    ),
    ro(
        "1.2.840.10045.2.1",
        "EC",
        "EC",
        None,
        "RFC 5480 sec. 2.1.1: id-ecPublicKey",
    ),
    ro(
        "1.3.101.112",
        "Ed25519",
        "EdDSA",
        None,
        "RFC 8410 sec. 3: id-Ed25519",
    ),
    ro(
        "1.3.101.110",
        "X25519",
        "X25519",
        None,
        "RFC 8410 sec. 3: id-X25519",
    ),
    ro(
        "2.16.840.1.101.3.4.3.18",
        "ML-DSA-65",
        "ML-DSA",
        None,
        "RFC 9881 / CSOR: id-ml-dsa-65",
    ),
    ro(
        "2.16.840.1.101.3.4.4.2",
        "ML-KEM-768",
        "ML-KEM",
        None,
        "CSOR: id-alg-ml-kem-768",
    ),
    ro(
        "2.16.840.1.101.3.4.3.20",
        "SLH-DSA-SHA2-128s",
        "SLH-DSA",
        None,
        "RFC 9814 / CSOR: id-slh-dsa-sha2-128s",
    ),
    ro(
        "2.16.840.1.101.3.4.2.1",
        "SHA-256",
        "SHA-256",
        None,
        "CSOR hashAlgs: id-sha256",
    ),
    ro(
        "2.16.840.1.101.3.4.1.46",
        "AES-256-GCM",
        "AES",
        None,
        "CSOR aes: id-aes256-GCM",
    ),
    ro(
        "1.2.840.10040.4.1",
        "DSA",
        "DSA",
        None,
        "RFC 3279 sec. 2.3.2: id-dsa",
    ),
    ro(
        "1.3.14.3.2.26",
        "SHA-1",
        "SHA-1",
        None,
        "RFC 3279 sec. 2.2.1: id-sha1",
    ),
    ro(
        "1.2.840.113549.2.9",
        "HMAC-SHA-256",
        "HMAC",
        Some("SHA-256"),
        "RFC 4231 sec. 3.1: id-hmacWithSHA256",
    ),
    // --- name + OID: the OID adds what the name leaves open ---
    Row {
        name: "RSA-2048",
        family: None,
        param: None,
        oid: Some("1.2.840.113549.1.1.11"),
        want: "RSA-2048",
        fam: "RSA",
        hash: Some("SHA-256"),
        source: "testdata/cbom/cyclonedx-protocol.json (RSA-2048 key with sha256WithRSAEncryption)",
    },
    Row {
        name: "EC-secp521r1",
        family: None,
        param: None,
        oid: Some("1.2.840.10045.2.1"),
        want: "EC-P-521",
        fam: "EC",
        hash: None,
        source: "testdata/cbom/keycloak-cbom.json",
    },
    Row {
        name: "ML-KEM-1024",
        family: None,
        param: None,
        oid: Some("2.16.840.1.101.3.4.1.48"),
        want: "ML-KEM-1024",
        fam: "ML-KEM",
        hash: None,
        source:
            "testdata/cbom/cyclonedx-algorithm.json: the name wins over an OID from the AES arc",
    },
    Row {
        name: "AES",
        family: None,
        param: Some("128"),
        oid: Some("2.16.840.1.101.3.4.1"),
        want: "AES-128",
        fam: "AES",
        hash: None,
        source: "testdata/cbom/keycloak-cbom.json (AES arc OID, 128-bit key)",
    },
];

#[test]
fn names_resolve_as_their_sources_say() {
    let kb = kb();
    assert!(TABLE.len() >= 150, "{} rows", TABLE.len());
    let mut failures = Vec::new();
    for row in TABLE {
        let got = id(&kb, row.name, row.family, row.param, row.oid);
        let ok = got.name == row.want
            && got.family.as_deref() == Some(row.fam)
            && (row.hash.is_none() || got.hash.as_deref() == row.hash);
        if !ok {
            failures.push(format!(
                "{:?} family={:?} param={:?} oid={:?}: got {} / {:?} / hash {:?} (unplaced {:?}); want {} / {} / {:?} [{}]",
                row.name, row.family, row.param, row.oid, got.name, got.family, got.hash, got.unplaced, row.want, row.fam, row.hash, row.source
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows:\n{}",
        failures.len(),
        TABLE.len(),
        failures.join("\n")
    );
}

#[test]
fn key_lengths_come_from_tokens_not_glued_digits() {
    // The issue's failures: digits of the hash were glued to the key length.
    let kb = kb();
    for (name, param, bits) in [
        ("RSA-PKCS1-1.5-SHA256-2048", None, 2048),
        ("RSA-PKCS1-1.5-SHA1-1024", None, 1024),
        ("RSA-PKCS1-1.5-SHA512", Some("4096"), 4096),
        ("SHA512withRSA", Some("512"), 0),
    ] {
        let got = id(&kb, name, None, param, None);
        assert_eq!(got.key_bits.unwrap_or(0), bits, "{name} {param:?}: {got:?}");
        assert!(got.unplaced.is_empty(), "{name}: {:?}", got.unplaced);
    }
}

#[test]
fn unknown_stays_unknown_and_says_which_token() {
    let kb = kb();
    // DESIGN is not DES + IGN: glued words split only into known words.
    for (name, token) in [
        ("FooCrypt-9000", "FOOCRYPT"),
        ("RSA-ish", "ISH"),
        ("GOST-R-3410-Frobnicate", "FROBNICATE"),
        ("design-doc", "DESIGN"),
    ] {
        let got = id(&kb, name, None, None, None);
        assert!(
            got.unplaced.iter().any(|t| t.eq_ignore_ascii_case(token)),
            "{name}: {got:?}"
        );
    }
    let got = id(&kb, "FooCrypt", None, None, None);
    assert!(!got.known());
    assert_eq!(got.primitive, Primitive::Unknown);
    // An OID nobody assigned: unknown, with the OID named.
    let got = id(&kb, "1.2.3.4.5.6.7", None, None, None);
    assert!(!got.known());
    assert!(got.unplaced[0].contains("1.2.3.4.5.6.7"), "{got:?}");
}

#[test]
fn hostile_names_give_a_result_not_a_panic() {
    let kb = kb();
    let long = "RSA-".repeat(2_500); // 10 kB
                                     // Glued words that split two ways at every step (CCM8 or CCM + 8), then
                                     // fail: exponential without the split's memo (2^60 tries).
    let glued = format!("{}Q", "CCM8".repeat(60));
    for name in [
        "",
        "   ",
        long.as_str(),
        glued.as_str(),
        "\u{0000}\u{0007}RSA",
        "\u{202e}kem",
        "ñáß-∞-😀",
        "0x",
        "0xZZ,0x01",
        "TLS_",
        "TLS_FOO_WITH_BAR_BAZ",
        "-----",
        "1.2.3.",
        "L=, N=",
        "SHA-512/",
        "ML-KEM-99999999999999999999",
    ] {
        let got = id(&kb, name, Some(name), Some(name), Some(name));
        // Deterministic and bounded.
        assert_eq!(got, id(&kb, name, Some(name), Some(name), Some(name)));
        assert!(got.name.len() <= 300, "{}", got.name.len());
    }
    let got = id(&kb, &long, None, None, None);
    assert!(
        got.unplaced.iter().any(|u| u.contains("longer than")),
        "{:?}",
        got.unplaced
    );
}

// ---------------------------------------------------------------------------
// CycloneDX cryptography-defs.json: every family, every variant pattern.
// ---------------------------------------------------------------------------

/// CycloneDX family → our canonical family (read from the defs file's
/// family and pattern; where ours is finer, the pattern decides).
fn cdx_family(cdx: &str, pattern: &str) -> &'static str {
    match cdx {
        "RSASSA-PKCS1" | "RSASSA-PSS" | "RSA-X931" | "RSAES-PKCS1" | "RSAES-OAEP" => "RSA",
        "EdDSA" => "EdDSA",
        "ECDSA" => "ECDSA",
        "ECIES" => "EC",
        "HPKE" => "HPKE",
        "MQV" if pattern.starts_with("FFMQV") => "DH",
        "MQV" => "ECDH",
        "ElGamal" if pattern.starts_with("EC-") => "EC",
        "ElGamal" => "ElGamal",
        "DSA" => "DSA",
        "ECDH" if pattern.starts_with("x25519") => "X25519",
        "ECDH" => "ECDH",
        "FFDH" => "DH",
        "SRP" => "SRP",
        "J-PAKE" => "J-PAKE",
        "SHA-1" => "SHA-1",
        "SHA-2" => "SHA-224",
        "SHA-3" => match pattern.split('(').next().unwrap_or("") {
            "SHA3-" => "SHA3-224",
            "SHAKE" => "SHAKE128",
            "cSHAKE" => "cSHAKE128",
            "KMAC" | "KMACXOF" => "KMAC128",
            "TupleHash" | "TupleHashXOF" => "TupleHash128",
            _ => "ParallelHash128",
        },
        "AES" => "AES",
        "HKDF" => "HKDF",
        "HMAC" => "HMAC",
        "CMAC" => "CMAC",
        "UMAC" => "UMAC",
        "ChaCha" => "ChaCha20",
        "Poly1305" => "Poly1305",
        "ChaCha20" if pattern == "ChaCha20" => "ChaCha20",
        "ChaCha20" => "ChaCha20-Poly1305",
        "Salsa20" => "Salsa20",
        "RC4" => "RC4",
        "3DES" => "3DES",
        "DES" => "DES",
        "IDEA" => "IDEA",
        "RC2" => "RC2",
        "ML-DSA" => "ML-DSA",
        "SLH-DSA" => "SLH-DSA",
        "XMSS" => "XMSS",
        "LMS" => "LMS",
        "ML-KEM" => "ML-KEM",
        "IKE-PRF" => "IKE-PRF",
        "ANSI-KDF" => "SP800-56C-KDF",
        "SSH-KDF" => "SSH-KDF",
        "TLS-PRF" => "TLS-PRF",
        "GOST" if pattern.starts_with("GOSTR3410") => "GOST-R-34.10",
        "GOST" if pattern.starts_with("GOSTR3411") && pattern.contains("HMAC") => "HMAC",
        "GOST" if pattern.starts_with("GOSTR3411") => "Streebog",
        "GOST" => "GOST-28147",
        "SM2" => "SM2",
        "SM3" => "SM3",
        "SM4" => "SM4",
        "SM9" => "SM9",
        "SEED" => "SEED",
        "ARIA" => "ARIA",
        "CAMELLIA" => "Camellia",
        "Twofish" => "Twofish",
        "Blowfish" => "Blowfish",
        "Skipjack" => "Skipjack",
        "SP800-108" => "KBKDF",
        "SP800-56C" => "SP800-56C-KDF",
        "BLAKE2" if pattern.contains("HMAC") => "HMAC",
        "BLAKE2" => "BLAKE2",
        "BLAKE3" => "BLAKE3",
        "X3DH" => "X3DH",
        "BLS" => "BLS",
        "OPAQUE" => "OPAQUE",
        "MILENAGE" => "MILENAGE",
        "SPAKE2" => "SPAKE2",
        "SPAKE2PLUS" => "SPAKE2+",
        "TUAK" => "TUAK",
        "ZUC" => "ZUC",
        "SNOW3G" => "SNOW3G",
        "3GPP-XOR" => "3GPP-XOR",
        "MD2" => "MD2",
        "MD4" => "MD4",
        "MD5" => "MD5",
        "RIPEMD" => "RIPEMD-128",
        "Whirlpool" => "Whirlpool",
        "Serpent" => "Serpent",
        "CAST5" => "CAST5",
        "CAST6" => "CAST6",
        "RC5" => "RC5",
        "RC6" => "RC6",
        "HC" if pattern.contains("256") => "HC-256",
        "HC" => "HC-128",
        "RABBIT" => "Rabbit",
        "Ascon" => "Ascon",
        "SipHash" => "SipHash",
        "Argon2" => "Argon2",
        "PBKDF1" => "PBKDF1",
        "PBKDF2" => "PBKDF2",
        "PBES1" => "PBES1",
        "PBES2" => "PBES2",
        "PBMAC1" => "PBMAC1",
        "bcrypt" => "bcrypt",
        "scrypt" => "scrypt",
        "yescrypt" => "yescrypt",
        "A5/1" => "A5/1",
        "A5/2" => "A5/2",
        "CMEA" => "CMEA",
        "Fortuna" => "Fortuna",
        "Yarrow" => "Yarrow",
        "CTR_DRBG" => "CTR_DRBG",
        "Hash_DRBG" => "Hash_DRBG",
        "HMAC_DRBG" => "HMAC_DRBG",
        other => panic!("cryptography-defs.json has a family the test does not map: {other}"),
    }
}

/// A concrete instance of a variant pattern: every optional part included,
/// the first alternative of each group, every placeholder filled with a
/// value of its kind (so `AES[-(128|192|256)][-(GCM|CCM)][-{tagLength}]`
/// becomes `AES-128-GCM-128`).
fn instance(family: &str, pattern: &str) -> String {
    // A top-level alternative (`x25519|x448`): the first.
    let mut depth = 0;
    let mut cut = pattern.len();
    for (i, c) in pattern.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            '|' if depth == 0 => {
                cut = i;
                break;
            }
            _ => {}
        }
    }
    let chars: Vec<char> = pattern[..cut].chars().collect();
    let mut pos = 0;
    expand(family, &chars, &mut pos, None)
}

fn expand(family: &str, chars: &[char], pos: &mut usize, close: Option<char>) -> String {
    let mut out = String::new();
    let mut alternatives: Vec<String> = Vec::new();
    while *pos < chars.len() {
        let c = chars[*pos];
        *pos += 1;
        match c {
            '[' => out.push_str(&expand(family, chars, pos, Some(']'))),
            '(' => out.push_str(&expand(family, chars, pos, Some(')'))),
            '|' if close == Some(')') => alternatives.push(std::mem::take(&mut out)),
            c if Some(c) == close => break,
            '{' => {
                let mut name = String::new();
                while *pos < chars.len() && chars[*pos] != '}' {
                    name.push(chars[*pos]);
                    *pos += 1;
                }
                *pos += 1;
                out.push_str(placeholder(family, &name));
            }
            c => out.push(c),
        }
    }
    if alternatives.is_empty() {
        out
    } else {
        alternatives.swap_remove(0)
    }
}

fn placeholder(family: &str, name: &str) -> &'static str {
    match name {
        "hashAlgorithm" | "hashfun" | "auxFunction" => "SHA256",
        "keyLength" if family.starts_with("RSA") || family == "ElGamal" => "2048",
        "keyLength" if family == "3DES" => "168",
        "keyLength" if family == "DES" => "56",
        "keyLength" => "128",
        "length" => "2048",
        "maskGenAlgorithm" => "MGF1",
        "saltLength" => "32",
        "ellipticCurve" | "group" => "P-256",
        "namedGroup" => "ffdhe2048",
        "kdf" => "HKDF-SHA256",
        "symmetricCipher" | "aead" => "AES-128-GCM",
        "mac" | "prfFunction" | "macAlgorithm" => "HMAC-SHA256",
        "kem" => "X25519",
        "padding" => "PKCS7",
        "ivlen" | "ivLength" => "12",
        "tagLength" => "128",
        "cipherAlgorithm" | "otherBlockCipher" | "blockCipher" => "AES",
        "mode" => "CBC",
        "authmode" => "GCM",
        "h" | "treeHeight" | "treeheight" => "10",
        "d" => "2",
        "nbits" => "256",
        "bytesPerNode" | "bytespernode" => "32",
        "dkmLength" | "outputLength" => "256",
        "ksf" => "Argon2id",
        "compressionRounds" => "2",
        "finalizationRounds" => "4",
        "memoryKiB" => "65536",
        "passes" => "3",
        "parallelism" => "4",
        "saltLenBytes" => "16",
        "secretLenBytes" | "associatedDataLenBytes" | "t" => "0",
        "tagLenBytes" | "dkLen" => "32",
        "iterations" => "10000",
        "encryptionAlgorithm" => "AES-128-CBC",
        "cost" => "12",
        "N" => "16384",
        "r" => "8",
        "p" => "1",
        "N_log2" => "14",
        other => panic!("placeholder {other} of {family} has no test value"),
    }
}

#[test]
fn every_cyclonedx_family_and_pattern_resolves() {
    let kb = kb();
    let path = shared::test_util::testdata().join("cyclonedx/cryptography-defs.json");
    let defs: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut failures = Vec::new();
    let mut patterns = 0;
    let families = defs["algorithms"].as_array().unwrap();
    assert!(families.len() >= 90);
    for f in families {
        let cdx = f["family"].as_str().unwrap();
        for v in f["variant"].as_array().unwrap() {
            let pattern = v["pattern"].as_str().unwrap();
            let primitive: Primitive = serde_json::from_value(v["primitive"].clone()).unwrap();
            let name = instance(cdx, pattern);
            patterns += 1;
            let want = cdx_family(cdx, pattern);
            // As a CBOM states it: name + algorithmFamily.
            let with_family = id(&kb, &name, Some(cdx), None, None);
            // Name alone.
            let alone = id(&kb, &name, None, None, None);
            for (how, got) in [("with family", &with_family), ("alone", &alone)] {
                let fam_ok = got.family.as_deref() == Some(want);
                let prim_ok = got.primitive == primitive;
                if !fam_ok || !prim_ok || !got.unplaced.is_empty() {
                    failures.push(format!(
                        "{cdx} {pattern:?} → {name:?} ({how}): family {:?} primitive {:?} unplaced {:?}; want {want} {primitive:?}",
                        got.family, got.primitive, got.unplaced
                    ));
                }
            }
        }
    }
    assert!(patterns >= 140, "{patterns} patterns");
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn curve_aliases_and_oids_match_cryptography_defs() {
    // Every curve alias and OID in the knowledge base that CycloneDX lists
    // must name the same curve there (cryptography-defs.json ellipticCurves).
    let kb = kb();
    let path = shared::test_util::testdata().join("cyclonedx/cryptography-defs.json");
    let defs: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut cdx: BTreeMap<String, (Option<String>, Vec<String>)> = BTreeMap::new();
    for ns in defs["ellipticCurves"].as_array().unwrap() {
        for c in ns["curves"].as_array().unwrap() {
            let name = c["name"].as_str().unwrap().to_ascii_lowercase();
            let aliases = c["aliases"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| x["name"].as_str().unwrap().to_ascii_lowercase())
                        .collect()
                })
                .unwrap_or_default();
            cdx.insert(name, (c["oid"].as_str().map(str::to_owned), aliases));
        }
    }
    let mut checked = 0;
    for c in &kb.curves {
        let names: Vec<String> = std::iter::once(c.name.to_ascii_lowercase())
            .chain(c.aliases.iter().map(|a| a.to_ascii_lowercase()))
            .collect();
        // The OIDs CycloneDX gives for any of the names we use for this curve.
        let theirs: Vec<&String> = names
            .iter()
            .filter_map(|n| cdx.get(n))
            .filter_map(|(o, _)| o.as_ref())
            .collect();
        let listed: Vec<&String> = names.iter().filter(|n| cdx.contains_key(*n)).collect();
        if listed.is_empty() {
            continue;
        }
        checked += 1;
        if let (Some(ours), false) = (&c.oid, theirs.is_empty()) {
            assert!(
                theirs.contains(&ours),
                "{}: our OID {ours} is none of CycloneDX's {theirs:?}",
                c.name
            );
        }
        // Every name we list is the same curve there: CycloneDX lists the
        // others as its aliases (or the other way round).
        // Where CycloneDX lists two of our names, it must say they are one curve.
        if listed.len() >= 2 {
            for n in &listed {
                let aliases = &cdx[*n].1;
                let related = listed
                    .iter()
                    .any(|m| m != n && (aliases.contains(*m) || cdx[*m].1.contains(*n)));
                assert!(
                    related,
                    "{}: {n} is not an alias of {listed:?} in cryptography-defs.json",
                    c.name
                );
            }
        }
    }
    assert!(checked >= 30, "{checked}");
}

// ---------------------------------------------------------------------------
// testssl.sh's cipher-mapping.txt: every suite decomposes as testssl says.
// ---------------------------------------------------------------------------

const MAPPING: &str = "/etc/testssl/cipher-mapping.txt";

struct Expect {
    kx: &'static str,
    kx_bits: Option<u32>,
    auth: &'static str,
    cipher: &'static str,
    mode: Option<&'static str>,
    bits: u32,
    mac: &'static str,
}

/// testssl's vocabulary → the identity layer's (its Kx=ECDH is ephemeral
/// ECDHE, Kx=ECDH/RSA the static one; Au=None is anonymous).
fn expect(kx: &str, au: &str, enc: &str, mac: &str) -> Expect {
    let (kx_name, kx_bits) = match kx.split_once('(') {
        Some((k, b)) => (k, b.trim_end_matches(')').parse().ok()),
        None => (kx, None),
    };
    let kx = match kx_name {
        "ECDH" => "ECDHE",
        "DH" => "DHE",
        "DH/RSA" | "DH/DSS" => "DH",
        "ECDH/RSA" | "ECDH/ECDSA" => "ECDH",
        "RSA" => "RSA",
        "PSK" => "PSK",
        "DHEPSK" => "DHE-PSK",
        "ECDHEPSK" => "ECDHE-PSK",
        "RSAPSK" => "RSA-PSK",
        "SRP" => "SRP",
        "KRB5" => "KRB5",
        "GOST" => "GOST",
        "CECPQ1" => "CECPQ1",
        "any" => "ANY",
        "None" => "NULL",
        other => panic!("testssl Kx {other}"),
    };
    let auth = match au {
        "RSA" => "RSA",
        "DSS" => "DSS",
        "ECDSA" => "ECDSA",
        "DH" => "DH",
        "ECDH" => "ECDH",
        "PSK" => "PSK",
        "SRP" => "SRP",
        "KRB5" => "KRB5",
        "GOST01" => "GOST01",
        "GOST94" => "GOST94",
        "any" => "ANY",
        "None" if kx == "NULL" => "NULL",
        "None" => "anon",
        other => panic!("testssl Au {other}"),
    };
    let (label, bits) = match enc.split_once('(') {
        Some((e, b)) => (e, b.trim_end_matches(')').parse().unwrap()),
        None => (enc, 0),
    };
    let (cipher, mode) = match label {
        "AESGCM" => ("AES", Some("GCM")),
        "AESCCM" => ("AES", Some("CCM")),
        "AESCCM8" => ("AES", Some("CCM8")),
        "AES" => ("AES", Some("CBC")),
        "CamelliaGCM" => ("Camellia", Some("GCM")),
        "Camellia" => ("Camellia", Some("CBC")),
        "ARIAGCM" => ("ARIA", Some("GCM")),
        "ARIA" => ("ARIA", Some("CBC")),
        "ChaCha20" => ("ChaCha20-Poly1305", None),
        "3DES" => ("3DES", None),
        "DES" => ("DES", None),
        "RC4" => ("RC4", None),
        "RC2" => ("RC2", None),
        "IDEA" => ("IDEA", None),
        "SEED" => ("SEED", None),
        "GOST" => ("GOST-28147", None),
        "None" => ("NULL", None),
        other => panic!("testssl Enc {other}"),
    };
    // FIPS 46-3: a DES key is 64 bits of which 8 are parity; testssl writes
    // DES(64) for SSL_CK_DES_64_CFB64_WITH_MD5_1 but DES(56) for the other
    // 64-bit-key SSLv2 DES suites. Effective strength is 56 in both.
    let bits = if cipher == "DES" && bits == 64 {
        56
    } else {
        bits
    };
    let mac = match mac {
        "AEAD" => "AEAD",
        "SHA1" => "SHA1",
        "SHA256" => "SHA256",
        "SHA384" => "SHA384",
        "MD5" | "M1" => "MD5",
        "GOST89IMIT" => "GOST28147",
        "GOST94" | "GOSTR3411" => "GOSTR3411-94",
        "STREEBOG256" => "STREEBOG256",
        "Null" => "NULL",
        other => panic!("testssl Mac {other}"),
    };
    Expect {
        kx,
        kx_bits,
        auth,
        cipher,
        mode,
        bits,
        mac,
    }
}

fn check(e: &Expect, s: &ml_engine::model::suite::Suite) -> Result<(), String> {
    let mut bad = Vec::new();
    if s.kx != e.kx {
        bad.push(format!("kx {} ≠ {}", s.kx, e.kx));
    }
    if e.kx_bits.is_some() && s.kx_bits != e.kx_bits {
        bad.push(format!("kx bits {:?} ≠ {:?}", s.kx_bits, e.kx_bits));
    }
    if s.auth != e.auth {
        bad.push(format!("auth {} ≠ {}", s.auth, e.auth));
    }
    if s.cipher != e.cipher {
        bad.push(format!("cipher {} ≠ {}", s.cipher, e.cipher));
    }
    if e.mode.is_some() && s.mode != e.mode {
        bad.push(format!("mode {:?} ≠ {:?}", s.mode, e.mode));
    }
    if s.cipher_bits != e.bits {
        bad.push(format!("bits {} ≠ {}", s.cipher_bits, e.bits));
    }
    if s.mac != e.mac {
        bad.push(format!("mac {} ≠ {}", s.mac, e.mac));
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join(", "))
    }
}

#[test]
fn every_testssl_suite_decomposes_as_testssl_says() {
    let kb = kb();
    let text = std::fs::read_to_string(MAPPING).unwrap_or_else(|e| {
        panic!("{MAPPING}: {e}. Install Debian's testssl.sh package (scripts/setup.sh / scripts/lib.sh ensure_deps do)")
    });
    struct Line {
        code: Vec<u8>,
        openssl: String,
        iana: String,
        expect: Expect,
    }
    let mut lines = Vec::new();
    for l in text.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = l.split_whitespace().collect();
        assert!(f.len() >= 9, "{l}");
        let code: Vec<u8> = f[0]
            .split(',')
            .map(|b| u8::from_str_radix(b.trim_start_matches("0x"), 16).unwrap())
            .collect();
        let field = |k: &str| f.iter().find_map(|x| x.strip_prefix(k)).unwrap();
        lines.push(Line {
            code,
            openssl: f[2].to_owned(),
            iana: f[3].to_owned(),
            expect: expect(field("Kx="), field("Au="), field("Enc="), field("Mac=")),
        });
    }
    assert!(lines.len() >= 360, "{} suites", lines.len());
    let mut failures = Vec::new();
    let (mut by_iana, mut by_openssl, mut by_code) = (0, 0, 0);
    let mut unknown_codes = Vec::new();
    for line in &lines {
        let e = &line.expect;
        if line.iana != "-" {
            by_iana += 1;
            let got = id(&kb, &line.iana, None, None, None);
            match got.suite.as_ref() {
                Some(s) => {
                    if let Err(d) = check(e, s) {
                        failures.push(format!("IANA {}: {d}", line.iana));
                    }
                }
                None => failures.push(format!(
                    "IANA {}: not a suite ({:?})",
                    line.iana, got.unplaced
                )),
            }
        }
        if line.openssl != "-" {
            by_openssl += 1;
            // As a CBOM's protocol lists it: a cipher suite (AES128-CCM is
            // also a cipher's name; the hint says which is meant).
            let got = id(&kb, &line.openssl, Some("TLS cipher suite"), None, None);
            // OpenSSL reuses a few names across SSLv2 and TLS rows (NULL-MD5,
            // DES-CBC3-SHA): any row with that name may match.
            let ok = got.suite.as_ref().is_some_and(|s| {
                lines
                    .iter()
                    .filter(|o| o.openssl == line.openssl)
                    .any(|o| check(&o.expect, s).is_ok())
            });
            if !ok {
                failures.push(format!(
                    "OpenSSL {}: {}",
                    line.openssl,
                    got.suite.as_ref().map_or_else(
                        || format!("not a suite ({:?})", got.unplaced),
                        |s| check(e, s).err().unwrap_or_default()
                    )
                ));
            }
        }
        if line.code.len() == 2 {
            let text = format!("0x{:02X},0x{:02X}", line.code[0], line.code[1]);
            let got = id(&kb, &text, None, None, None);
            match got.suite.as_ref() {
                Some(s) => {
                    by_code += 1;
                    if let Err(d) = check(e, s) {
                        failures.push(format!("code {text} ({}): {d}", line.iana));
                    }
                }
                None => unknown_codes.push(text),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        by_iana >= 350 && by_openssl >= 300,
        "{by_iana} {by_openssl}"
    );
    // Codes rustls' IANA registry does not list must be ones IANA never
    // assigned (private use, experiments, pre-RFC 7905 drafts).
    for c in &unknown_codes {
        let unassigned = c.starts_with("0xFF,") // private use (GOST vendor, SSL_RSA_FIPS)
            || c.starts_with("0x16,0xB") // Google's CECPQ1 experiment
            || matches!(c.as_str(), "0xCC,0x13" | "0xCC,0x14" | "0xCC,0x15"); // draft ChaCha20 codes, IANA took 0xCCA8-AE
        assert!(unassigned, "IANA-assigned code point {c} not resolved");
    }
    assert!(
        by_code >= 330,
        "{by_code} code points resolved; unknown: {unknown_codes:?}"
    );
}

#[test]
fn suites_are_scored_by_their_parts() {
    let e = Engine::embedded().unwrap();
    let opts = Options::new(2026, "central");
    let s = e.score(
        &opts,
        &Asset {
            algorithm: "ECDHE-RSA-AES128-GCM-SHA256".into(),
            data_shelf_life_years: 5.0,
            migration_time_years: 5.0,
            ..Asset::default()
        },
    );
    let suite = s.identity.suite.as_ref().unwrap();
    // RFC 5289 sec. 3.2 (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256).
    assert_eq!(
        (
            suite.kx,
            suite.auth,
            suite.cipher,
            suite.mode,
            suite.cipher_bits,
            suite.mac
        ),
        ("ECDHE", "RSA", "AES", Some("GCM"), 128, "AEAD")
    );
    let parts: Vec<&str> = s
        .identity
        .components
        .iter()
        .map(|c| c.family.as_deref().unwrap())
        .collect();
    assert_eq!(parts, ["ECDH", "RSA", "AES"]);
    // Its weakest part is quantum-vulnerable key exchange (IR 8547).
    assert_eq!(s.quantum_threat, ml_engine::model::kb::Threat::Shor);
    assert!(
        s.recommendation.contains("weakest part"),
        "{}",
        s.recommendation
    );
}

// ---------------------------------------------------------------------------
// TLS named groups.
// ---------------------------------------------------------------------------

#[test]
fn tls_named_groups_by_code_point() {
    let kb = kb();
    // (code, canonical name, pre-standard, source)
    for (code, want, pre, source) in [
        (
            "0x11EC",
            "X25519MLKEM768",
            false,
            "draft-ietf-tls-ecdhe-mlkem sec. 2: X25519MLKEM768 = 0x11EC",
        ),
        (
            "0x11EB",
            "SecP256r1MLKEM768",
            false,
            "draft-ietf-tls-ecdhe-mlkem sec. 2: SecP256r1MLKEM768 = 0x11EB",
        ),
        (
            "0x11ED",
            "SecP384r1MLKEM1024",
            false,
            "draft-ietf-tls-ecdhe-mlkem sec. 2: SecP384r1MLKEM1024 = 0x11ED",
        ),
        (
            "0x0200",
            "ML-KEM-512",
            false,
            "draft-ietf-tls-mlkem sec. 3: MLKEM512 = 0x0200",
        ),
        (
            "0x0201",
            "ML-KEM-768",
            false,
            "draft-ietf-tls-mlkem sec. 3: MLKEM768 = 0x0201",
        ),
        (
            "0x0202",
            "ML-KEM-1024",
            false,
            "draft-ietf-tls-mlkem sec. 3: MLKEM1024 = 0x0202",
        ),
        (
            "0x6399",
            "X25519Kyber768Draft00",
            true,
            "draft-tls-westerbaan-xyber768d00-02 sec. 3: 0x6399",
        ),
        (
            "0x001D",
            "X25519",
            false,
            "RFC 8422 sec. 5.1.1 / RFC 8446 sec. 4.2.7: x25519 = 0x001D",
        ),
        (
            "0x001E",
            "X448",
            false,
            "RFC 8446 sec. 4.2.7: x448 = 0x001E",
        ),
        (
            "0x0017",
            "ECDH-P-256",
            false,
            "RFC 8446 sec. 4.2.7: secp256r1 = 0x0017",
        ),
        (
            "0x0018",
            "ECDH-P-384",
            false,
            "RFC 8446 sec. 4.2.7: secp384r1 = 0x0018",
        ),
        (
            "0x0100",
            "DH-2048",
            false,
            "RFC 7919 sec. 6 / RFC 8446 sec. 4.2.7: ffdhe2048 = 0x0100",
        ),
        (
            "0x0104",
            "DH-8192",
            false,
            "RFC 8446 sec. 4.2.7: ffdhe8192 = 0x0104",
        ),
    ] {
        let got = id(&kb, code, Some("TLS named group"), None, None);
        assert_eq!(got.name, want, "{code} [{source}]: {got:?}");
        assert_eq!(got.pre_standard, pre, "{code} [{source}]");
    }
    // The hybrid group code points are not cipher suites: no hint needed.
    assert_eq!(id(&kb, "0x11EC", None, None, None).name, "X25519MLKEM768");
    assert_eq!(
        id(&kb, "0x6399", None, None, None).name,
        "X25519Kyber768Draft00"
    );
}

// ---------------------------------------------------------------------------
// Name variants: one algorithm, many spellings, one answer.
// ---------------------------------------------------------------------------

type Spelling = (
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

const VARIANTS: &[&[Spelling]] = &[
    &[
        ("RSA-2048", None, None, None),
        ("RSA", None, Some("2048"), None),
        ("rsa2048", None, None, None),
        ("RSA", None, Some("2048-bit"), None),
        ("RSA", None, Some("2048 bits"), None),
        ("RSA", None, Some("RSA-2048"), None),
        ("RSA_2048", None, None, None),
        ("rsaEncryption", None, Some("2048"), None),
        ("1.2.840.113549.1.1.1", None, Some("2048"), None),
    ],
    &[
        ("ML-KEM-768", None, None, None),
        ("ML-KEM", None, Some("ML-KEM-768"), None),
        ("ML-KEM", None, Some("768"), None),
        ("MLKEM768", None, None, None),
        ("ml_kem_768", None, None, None),
        ("2.16.840.1.101.3.4.4.2", None, None, None),
        ("0x0201", Some("TLS group"), None, None),
        ("x", None, None, Some("2.16.840.1.101.3.4.4.2")),
    ],
    &[
        ("ECDSA-P-256", None, None, None),
        ("ECDSA", None, Some("P-256"), None),
        ("ECDSA", None, Some("secp256r1"), None),
        ("ECDSA", None, Some("prime256v1"), None),
        ("ECDSA", None, Some("nist/P-256"), None),
        ("ECDSA-secp256r1", None, None, None),
        ("ecdsa", Some("ECDSA"), Some("NIST P-256"), None),
    ],
    &[
        ("ECDH-P-384", None, None, None),
        ("ECDH", None, Some("secp384r1"), None),
        ("ECDHE-P-384", None, None, None),
        ("ECDH-secp384r1", None, None, None),
        ("ECDH", None, Some("ansip384r1"), None),
    ],
    &[
        ("X25519", None, None, None),
        ("ECDH", None, Some("Curve25519"), None),
        ("ECDH", None, Some("other/Curve25519"), None),
        ("x25519", None, None, None),
        ("1.3.101.110", None, None, None),
        ("0x001D", Some("TLS group"), None, None),
    ],
    &[
        ("DH-2048", None, None, None),
        ("ffdhe2048", None, None, None),
        ("DH", None, Some("ffdhe2048"), None),
        ("FFDHE-2048", None, None, None),
        ("MODP-2048", None, None, None),
        ("DH", None, Some("2048"), None),
    ],
    &[
        ("AES-256-GCM", None, None, None),
        ("AES-GCM", None, Some("256"), None),
        ("aes-256-gcm", None, None, None),
        ("AES_256_GCM", None, None, None),
        ("AES256GCM", None, None, None),
        ("2.16.840.1.101.3.4.1.46", None, None, None),
        ("AES_256/GCM/NoPadding", None, None, None),
        ("AES-256-GCM-128-12", None, None, None),
    ],
    &[
        ("SHA-256", None, None, None),
        ("SHA256", None, None, None),
        ("sha-256", None, None, None),
        ("SHA2-256", None, None, None),
        ("SHA-2", None, Some("256"), None),
        ("2.16.840.1.101.3.4.2.1", None, None, None),
        ("SHA256", None, Some("256"), None),
    ],
    &[
        ("SHA-1", None, None, None),
        ("SHA1", None, None, None),
        ("sha-1", None, None, None),
        ("SHA1", None, Some("160"), None),
        ("1.3.14.3.2.26", None, None, None),
    ],
    &[
        ("HMAC-SHA256", None, None, None),
        ("HmacSHA256", None, None, None),
        ("HMAC-SHA-256", None, None, None),
        ("hmacWithSHA256", None, None, None),
        ("1.2.840.113549.2.9", None, None, None),
    ],
    &[
        ("3DES", None, None, None),
        ("DESede", None, None, None),
        ("TripleDES", None, None, None),
        ("TDEA", None, None, None),
        ("DES-EDE3", None, None, None),
    ],
];

/// What must agree between spellings: name, family, key bits, curve, parameter set, mode.
type Key = (
    String,
    Option<String>,
    Option<u32>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn key(i: &Identity) -> Key {
    (
        i.name.clone(),
        i.family.clone(),
        i.key_bits,
        i.curve.clone(),
        i.parameter_set.clone(),
        i.mode.clone(),
    )
}

#[test]
fn every_spelling_of_an_algorithm_gets_the_same_identity_and_score() {
    let e = Engine::embedded().unwrap();
    let opts = Options::new(2026, "central");
    for group in VARIANTS {
        let (n0, f0, p0, o0) = group[0];
        let first = id(&e.kb, n0, f0, p0, o0);
        assert!(first.known(), "{n0}");
        let asset = |n: &str, f: Option<&str>, p: Option<&str>, o: Option<&str>| Asset {
            algorithm: n.into(),
            family: f.map(Into::into),
            parameter: p.map(Into::into),
            oid: o.map(Into::into),
            data_shelf_life_years: 5.0,
            migration_time_years: 5.0,
            ..Asset::default()
        };
        let s0 = e.score(&opts, &asset(n0, f0, p0, o0));
        for &(n, f, p, o) in &group[1..] {
            let got = id(&e.kb, n, f, p, o);
            assert_eq!(key(&got), key(&first), "{n:?} {f:?} {p:?} {o:?} vs {n0}");
            let s = e.score(&opts, &asset(n, f, p, o));
            assert_eq!(
                (s.risk_score, s.severity, s.status),
                (s0.risk_score, s0.severity, s0.status),
                "{n:?} {p:?} vs {n0}"
            );
        }
    }
}
