//! Names of what a handshake negotiated or offered, as session records,
//! metrics and the runtime CBOM carry them: key-exchange groups (IANA TLS
//! Supported Groups registry names), GREASE left out (RFC 8701), signature
//! schemes (IANA TLS SignatureScheme registry), and the bounds on how many
//! offered values a record keeps.

use rustls::NamedGroup;

/// Whether a negotiated group is post-quantum (hybrid or pure ML-KEM).
pub fn is_post_quantum(group: NamedGroup) -> bool {
    matches!(
        group,
        NamedGroup::X25519MLKEM768
            | NamedGroup::secp256r1MLKEM768
            | NamedGroup::MLKEM768
            | NamedGroup::MLKEM1024
    ) || u16::from(group) == crate::tls::kx::SECP384R1MLKEM1024_CODE
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
        g if u16::from(g) == crate::tls::kx::SECP384R1MLKEM1024_CODE => "SecP384r1MLKEM1024",
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
    NamedGroup::Unknown(crate::tls::kx::SECP384R1MLKEM1024_CODE),
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

/// At most this many offered groups are recorded per handshake (the
/// control plane refuses more): real clients offer 2 to 10.
pub const MAX_OFFERED_GROUPS: usize = 32;
