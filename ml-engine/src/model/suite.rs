//! TLS cipher suites: IANA names (`TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`,
//! SSLv2 `SSL_CK_*`), OpenSSL names (`ECDHE-RSA-AES128-GCM-SHA256`,
//! `EDH-DSS-DES-CBC3-SHA`, `EXP1024-RC4-SHA`) and two-byte code points
//! (through rustls' copy of the IANA registry), decomposed into key exchange,
//! authentication, bulk cipher (family, mode, effective key bits) and MAC.
//! Pure functions; the grammar follows the naming conventions of RFC 5246
//! Appendix C / the IANA registry and OpenSSL's `ciphers(1)` page. The test
//! `tests/identity.rs` checks every suite of testssl.sh's cipher mapping.

use serde::Serialize;
use utoipa::ToSchema;

/// A decomposed cipher suite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Suite {
    /// IANA name when known.
    pub iana: Option<String>,
    /// Code point when known.
    pub code: Option<u16>,
    /// Key exchange: RSA, DHE, DH, ECDHE, ECDH, PSK, DHE-PSK, ECDHE-PSK,
    /// RSA-PSK, SRP, KRB5, GOST, CECPQ1, ANY (TLS 1.3: by named group), NULL.
    pub kx: &'static str,
    /// Key-exchange size limit of export suites (512 or 1024 bits).
    pub kx_bits: Option<u32>,
    /// Authentication: RSA, DSS, ECDSA, DH, ECDH, PSK, SRP, KRB5, GOST01,
    /// GOST94, anon, ANY (TLS 1.3: by certificate), NULL.
    pub auth: &'static str,
    /// Bulk cipher family: AES, Camellia, ARIA, 3DES, DES, RC4, RC2, IDEA,
    /// SEED, ChaCha20-Poly1305, GOST-28147, NULL.
    pub cipher: &'static str,
    /// Mode: CBC, GCM, CCM, CCM8, CFB, CNT, or none (stream ciphers, NULL).
    pub mode: Option<&'static str>,
    /// Effective key bits of the bulk cipher (export: 40 or 56).
    pub cipher_bits: u32,
    /// MAC: AEAD, SHA1, SHA256, SHA384, MD5, GOST28147, GOSTR3411-94,
    /// STREEBOG256, NULL.
    pub mac: &'static str,
}

impl Suite {
    /// Canonical cipher name for the identity layer, e.g. `AES-128-GCM`.
    pub fn cipher_name(&self) -> String {
        match (self.cipher, self.mode) {
            ("NULL", _) => "NULL".into(),
            ("ChaCha20-Poly1305", _) => "ChaCha20-Poly1305".into(),
            ("3DES", _) => "3DES-CBC".into(),
            (c, Some(m)) if matches!(c, "AES" | "Camellia" | "ARIA") => {
                format!("{c}-{}-{m}", self.cipher_bits)
            }
            (c, Some(m)) => format!("{c}-{m}"),
            (c, None) => c.into(),
        }
    }
}

/// Parses a code point written `0xC0,0x2F`, `{0xC0, 0x2F}` or `0xC02F`.
pub fn parse_code(s: &str) -> Option<u16> {
    let t: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '{' | '}' | '\t'))
        .collect::<String>()
        .to_ascii_lowercase();
    let hex = |h: &str| u16::from_str_radix(h, 16).ok();
    if let Some((a, b)) = t.split_once(',') {
        let (a, b) = (a.strip_prefix("0x")?, b.strip_prefix("0x")?);
        if a.len() == 2 && b.len() == 2 {
            return Some((hex(a)? << 8) | hex(b)?);
        }
        return None;
    }
    let h = t.strip_prefix("0x")?;
    (h.len() == 4).then(|| hex(h)).flatten()
}

/// IANA name of a cipher-suite code point (rustls' copy of the registry).
pub fn iana_name(code: u16) -> Option<String> {
    let name = rustls::CipherSuite::from(code).as_str()?;
    // rustls joins two historical assignments of one code point with "_or_",
    // and spells the TLS 1.3 suites TLS13_*; IANA writes TLS_*.
    let name = name.split("_or_").next().unwrap_or(name);
    Some(match name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => name.to_owned(),
    })
}

/// Decomposes a suite given by code point.
pub fn by_code(code: u16) -> Option<Suite> {
    let name = iana_name(code)?;
    let mut s = by_iana(&name)?;
    s.code = Some(code);
    Some(s)
}

fn cipher_of(
    tokens: &[&str],
    export: Option<u32>,
) -> Option<(&'static str, Option<&'static str>, u32, usize)> {
    // Returns (family, mode, bits, tokens used).
    let t0 = *tokens.first()?;
    let t1 = tokens.get(1).copied().unwrap_or("");
    let t2 = tokens.get(2).copied().unwrap_or("");
    let t3 = tokens.get(3).copied().unwrap_or("");
    let size = |t: &str| t.parse::<u32>().ok();
    let aead_mode = |t: &str, next: &str| match (t, next) {
        ("GCM", _) => Some(("GCM", 1)),
        ("CCM", "8") => Some(("CCM8", 2)),
        ("CCM", _) => Some(("CCM", 1)),
        ("CBC", _) => Some(("CBC", 1)),
        _ => None,
    };
    Some(match t0 {
        "AES" | "CAMELLIA" | "ARIA" => {
            let fam = match t0 {
                "AES" => "AES",
                "CAMELLIA" => "Camellia",
                _ => "ARIA",
            };
            let bits = size(t1)?;
            let (mode, used) = aead_mode(t2, t3).unwrap_or(("CBC", 0));
            (fam, Some(mode), bits, 2 + used)
        }
        "CHACHA20" if t1 == "POLY1305" => ("ChaCha20-Poly1305", None, 256, 2),
        "3DES" => ("3DES", Some("CBC"), 168, if t1 == "EDE" { 3 } else { 2 }),
        "DES40" => ("DES", Some("CBC"), 40, 2),
        "DES" => {
            // DES_CBC, DES_CBC_40 (KRB5 export), DES_64_CBC (SSLv2, 56
            // effective bits), DES_64_CFB64, DES_192_EDE3_CBC (SSLv2 3DES).
            if t1 == "192" && t2 == "EDE3" {
                return Some(("3DES", Some("CBC"), 168, 4));
            }
            let (skip, mode) = if t1 == "64" {
                (2, if t2.starts_with("CFB") { "CFB" } else { "CBC" })
            } else {
                (1, "CBC")
            };
            let mut used = skip + 1;
            let mut bits = export.map_or(56, |e| if e == 512 { 40 } else { 56 });
            if tokens.get(used).copied() == Some("40") {
                bits = 40;
                used += 1;
            }
            ("DES", Some(mode), bits, used)
        }
        "RC4" => {
            let n = size(t1);
            let mut bits = n.unwrap_or(128);
            let mut used = 1 + usize::from(n.is_some());
            if tokens.get(used).copied() == Some("EXPORT40") {
                bits = 40;
                used += 1;
            }
            ("RC4", None, bits, used)
        }
        "RC2" => {
            // RC2_CBC_40, RC2_56 (export 1024), RC2_128_CBC[_EXPORT40] (SSLv2)
            let mut used = 1;
            let mut bits = 128;
            while let Some(t) = tokens.get(used) {
                match *t {
                    "CBC" => {}
                    "EXPORT40" | "40" => bits = 40,
                    "56" => bits = 56,
                    "128" => bits = 128,
                    _ => break,
                }
                used += 1;
            }
            ("RC2", Some("CBC"), bits, used)
        }
        "IDEA" => {
            let used = 1
                + usize::from(t1 == "128")
                + usize::from(tokens.get(1 + usize::from(t1 == "128")) == Some(&"CBC"));
            ("IDEA", Some("CBC"), 128, used)
        }
        "SEED" => ("SEED", Some("CBC"), 128, if t1 == "CBC" { 2 } else { 1 }),
        "28147" => (
            "GOST-28147",
            Some("CNT"),
            256,
            if t1 == "CNT" { 2 } else { 1 },
        ),
        "NULL" => ("NULL", None, 0, 1),
        _ => return None,
    })
}

fn mac_of(tokens: &[&str], aead: bool) -> Option<&'static str> {
    let toks: Vec<&str> = tokens.iter().copied().filter(|t| *t != "OLD").collect();
    Some(match toks.as_slice() {
        [] if aead => "AEAD",
        [_] if aead => "AEAD",
        ["SHA"] => "SHA1",
        ["SHA256"] => "SHA256",
        ["SHA384"] => "SHA384",
        ["MD5"] | ["MD5", "1"] => "MD5",
        ["NULL"] => "NULL",
        ["IMIT"] => "GOST28147",
        ["GOST94"] | ["GOSTR3411"] => "GOSTR3411-94",
        _ => return None,
    })
}

/// Decomposes an IANA (or SSLv2 `SSL_CK_`) name.
pub fn by_iana(name: &str) -> Option<Suite> {
    let upper = name.trim().to_ascii_uppercase();
    let rest = upper
        .strip_prefix("TLS_")
        .or_else(|| upper.strip_prefix("SSL_"))?;
    let mut tokens: Vec<&str> = rest.split('_').filter(|t| !t.is_empty()).collect();
    if tokens.last() == Some(&"OLD") {
        tokens.pop();
    }
    if tokens.first() == Some(&"CK") {
        return by_sslv2(name, &tokens[1..]);
    }
    let with = tokens.iter().position(|t| *t == "WITH");
    let (kx, kx_bits, auth, enc_and_mac): (&str, Option<u32>, &str, &[&str]) = match with {
        // TLS 1.3: `TLS_AES_128_GCM_SHA256` (key exchange and authentication
        // are negotiated separately).
        None => ("ANY", None, "ANY", &tokens[..]),
        Some(w) => {
            let left = &tokens[..w];
            let (kx, bits, auth) = kx_auth_iana(left)?;
            (kx, bits, auth, &tokens[w + 1..])
        }
    };
    let export = kx_bits;
    let (cipher, mode, cipher_bits, used) = cipher_of(enc_and_mac, export)?;
    let aead = matches!(mode, Some("GCM" | "CCM" | "CCM8")) || cipher == "ChaCha20-Poly1305";
    let mac_tokens = &enc_and_mac[used..];
    let mac = if kx == "ANY" && aead {
        "AEAD"
    } else {
        mac_of(mac_tokens, aead)?
    };
    Some(Suite {
        iana: Some(name.trim().to_owned()),
        code: None,
        kx,
        kx_bits,
        auth,
        cipher,
        mode,
        cipher_bits,
        mac,
    })
}

/// SSLv2: `SSL_CK_{cipher}[_EXPORT40]_WITH_{mac}`, RSA key exchange; the
/// export ciphers (and the NULL cipher) limited RSA to 512 bits.
fn by_sslv2(name: &str, tokens: &[&str]) -> Option<Suite> {
    if tokens == ["NULL"] {
        return Some(Suite {
            iana: Some(name.trim().to_owned()),
            code: None,
            kx: "NULL",
            kx_bits: None,
            auth: "NULL",
            cipher: "NULL",
            mode: None,
            cipher_bits: 0,
            mac: "NULL",
        });
    }
    let w = tokens.iter().position(|t| *t == "WITH")?;
    let (cipher, mode, cipher_bits, used) = cipher_of(&tokens[..w], None)?;
    if used != w {
        return None;
    }
    let export = tokens[..w].contains(&"EXPORT40") || cipher == "NULL";
    Some(Suite {
        iana: Some(name.trim().to_owned()),
        code: None,
        kx: "RSA",
        kx_bits: export.then_some(512),
        auth: "RSA",
        cipher,
        mode,
        cipher_bits,
        mac: mac_of(&tokens[w + 1..], false)?,
    })
}

fn kx_auth_iana(left: &[&str]) -> Option<(&'static str, Option<u32>, &'static str)> {
    let export = |t: Option<&&str>| match t.copied() {
        Some("EXPORT") => Some(512),
        Some("EXPORT1024") => Some(1024),
        _ => None,
    };
    Some(match left {
        ["NULL"] => ("NULL", None, "NULL"),
        ["RSA", rest @ ..] if rest.first() == Some(&"PSK") => ("RSA-PSK", None, "RSA"),
        ["RSA", "FIPS"] => ("RSA", None, "RSA"),
        ["RSA", rest @ ..] => ("RSA", export(rest.first()), "RSA"),
        ["DH", "anon", rest @ ..] | ["DH", "ANON", rest @ ..] => {
            ("DHE", export(rest.first()), "anon")
        }
        ["DH", a, rest @ ..] if matches!(*a, "DSS" | "RSA") => ("DH", export(rest.first()), "DH"),
        ["DHE", "PSK"] | ["PSK", "DHE"] => ("DHE-PSK", None, "PSK"),
        ["DHE", a, rest @ ..] => (
            "DHE",
            export(rest.first()),
            match *a {
                "DSS" => "DSS",
                "RSA" => "RSA",
                _ => return None,
            },
        ),
        ["ECDH", "anon"] | ["ECDH", "ANON"] => ("ECDHE", None, "anon"),
        ["ECDH", a] if matches!(*a, "ECDSA" | "RSA") => ("ECDH", None, "ECDH"),
        ["ECDHE", "PSK"] => ("ECDHE-PSK", None, "PSK"),
        ["ECDHE", "ECDSA"] => ("ECDHE", None, "ECDSA"),
        ["ECDHE", "RSA"] => ("ECDHE", None, "RSA"),
        ["PSK"] => ("PSK", None, "PSK"),
        ["SRP", "SHA"] => ("SRP", None, "SRP"),
        ["SRP", "SHA", "RSA"] => ("SRP", None, "RSA"),
        ["SRP", "SHA", "DSS"] => ("SRP", None, "DSS"),
        // Kerberos export suites limit the cipher (`_40`), not the key exchange.
        ["KRB5", ..] => ("KRB5", None, "KRB5"),
        ["GOSTR341094", "RSA"] => ("RSA", None, "RSA"),
        ["GOSTR341094"] => ("GOST", None, "GOST94"),
        ["GOSTR341001"] => ("GOST", None, "GOST01"),
        ["CECPQ1", "RSA"] => ("CECPQ1", None, "RSA"),
        ["CECPQ1", "ECDSA"] => ("CECPQ1", None, "ECDSA"),
        _ => return None,
    })
}

/// Decomposes an OpenSSL name (`ECDHE-ECDSA-AES256-GCM-SHA384`).
pub fn by_openssl(name: &str) -> Option<Suite> {
    let upper = name.trim().to_ascii_uppercase();
    if upper.starts_with("TLS_") {
        // OpenSSL uses the IANA names for TLS 1.3 suites.
        return by_iana(&upper);
    }
    let mut tokens: Vec<&str> = upper.split('-').filter(|t| !t.is_empty()).collect();
    if tokens.last() == Some(&"OLD") {
        tokens.pop();
    }
    if tokens == ["NULL"] {
        // OpenSSL's name for TLS_NULL_WITH_NULL_NULL.
        return by_iana("TLS_NULL_WITH_NULL_NULL").map(|mut s| {
            s.iana = None;
            s
        });
    }
    if tokens.len() < 2 {
        return None;
    }
    let mut i = 0;
    let export = match tokens[0] {
        "EXP" => {
            i += 1;
            Some(512)
        }
        "EXP1024" => {
            i += 1;
            Some(1024)
        }
        _ => None,
    };
    let at = |k: usize| tokens.get(k).copied().unwrap_or("");
    let (kx, auth, used) = match (at(i), at(i + 1)) {
        ("ECDHE", "RSA") => ("ECDHE", "RSA", 2),
        ("ECDHE", "ECDSA") => ("ECDHE", "ECDSA", 2),
        ("ECDHE", "PSK") => ("ECDHE-PSK", "PSK", 2),
        ("ECDH", "RSA") | ("ECDH", "ECDSA") => ("ECDH", "ECDH", 2),
        // OpenSSL's ECDHE-ARIA256-GCM-SHA384 is TLS_ECDHE_RSA_WITH_ARIA_256_GCM_SHA384,
        // ECDH-ARIA256-GCM-SHA384 TLS_ECDH_RSA_...
        ("ECDHE", _) => ("ECDHE", "RSA", 1),
        ("ECDH", _) => ("ECDH", "ECDH", 1),
        ("AECDH", _) => ("ECDHE", "anon", 1),
        ("DHE", "RSA") | ("EDH", "RSA") => ("DHE", "RSA", 2),
        ("DHE", "DSS") | ("EDH", "DSS") => ("DHE", "DSS", 2),
        ("DHE", "PSK") => ("DHE-PSK", "PSK", 2),
        ("DH", "RSA") | ("DH", "DSS") => ("DH", "DH", 2),
        ("ADH", _) => ("DHE", "anon", 1),
        ("DH", "ANON") => ("DHE", "anon", 2),
        ("RSA", "PSK") => ("RSA-PSK", "RSA", 2),
        ("PSK", _) => ("PSK", "PSK", 1),
        ("SRP", "RSA") => ("SRP", "RSA", 2),
        ("SRP", "DSS") => ("SRP", "DSS", 2),
        ("SRP", _) => ("SRP", "SRP", 1),
        ("KRB5", _) => ("KRB5", "KRB5", 1),
        ("GOST94", _) => ("GOST", "GOST94", 1),
        ("GOST2001", _) => ("GOST", "GOST01", 1),
        ("GOST2012256", _) => ("GOST", "GOST01", 1),
        // GOST-MD5, GOST-GOST94: RSA key exchange, GOST 28147 cipher.
        ("GOST", _) => ("RSA", "RSA", 0),
        _ => ("RSA", "RSA", 0),
    };
    i += used;
    let rest = &tokens[i..];
    // OpenSSL spellings of the bulk cipher.
    let (cipher, mode, mut bits, n): (&'static str, Option<&'static str>, u32, usize) = {
        let t0 = rest.first().copied().unwrap_or("");
        let t1 = rest.get(1).copied().unwrap_or("");
        let t2 = rest.get(2).copied().unwrap_or("");
        let sized = |prefix: &str| t0.strip_prefix(prefix).and_then(|n| n.parse::<u32>().ok());
        let aead = |t: &str| match t {
            "GCM" => Some(("GCM", 1)),
            "CCM" => Some(("CCM", 1)),
            "CCM8" => Some(("CCM8", 1)),
            _ => None,
        };
        if let Some(b) = sized("AES").or_else(|| (t0 == "AES").then(|| t1.parse().ok()).flatten()) {
            let skip = if t0 == "AES" { 2 } else { 1 };
            let next = rest.get(skip).copied().unwrap_or("");
            let (m, u) = aead(next).unwrap_or(if next == "CBC" {
                ("CBC", 1)
            } else {
                ("CBC", 0)
            });
            ("AES", Some(m), b, skip + u)
        } else if let Some(b) = sized("CAMELLIA") {
            let (m, u) = aead(t1).unwrap_or(if t1 == "CBC" { ("CBC", 1) } else { ("CBC", 0) });
            ("Camellia", Some(m), b, 1 + u)
        } else if let Some(b) = sized("ARIA") {
            let (m, u) = aead(t1).unwrap_or(if t1 == "CBC" { ("CBC", 1) } else { ("CBC", 0) });
            ("ARIA", Some(m), b, 1 + u)
        } else {
            match (t0, t1) {
                ("CHACHA20", "POLY1305") => ("ChaCha20-Poly1305", None, 256, 2),
                ("DES", "CBC3") => ("3DES", Some("CBC"), 168, 2),
                ("DES", "CBC") => ("DES", Some("CBC"), 56, 2),
                ("DES", "CFB") => ("DES", Some("CFB"), 56, 2),
                ("RC4", "64") => ("RC4", None, 64, 2),
                ("RC4", _) => ("RC4", None, 128, 1),
                ("RC2", "CBC") => ("RC2", Some("CBC"), 128, 2),
                ("RC2", _) => ("RC2", Some("CBC"), 128, 1),
                ("IDEA", "CBC") => ("IDEA", Some("CBC"), 128, 2),
                ("IDEA", _) => ("IDEA", Some("CBC"), 128, 1),
                ("SEED", _) => ("SEED", Some("CBC"), 128, 1),
                ("GOST89" | "GOST", _) => ("GOST-28147", Some("CNT"), 256, 1),
                ("NULL", _) => ("NULL", None, 0, 1),
                // SRP-AES-256-CBC-SHA style handled above; 3DES spelt out:
                ("3DES", "EDE") => ("3DES", Some("CBC"), 168, if t2 == "CBC" { 3 } else { 2 }),
                _ => return None,
            }
        }
    };
    let export = if kx == "KRB5" { None } else { export };
    match (
        export.or(if tokens[0] == "EXP" { Some(512) } else { None }),
        cipher,
    ) {
        (Some(512), "DES" | "RC4" | "RC2") => bits = 40,
        (Some(1024), "DES" | "RC4" | "RC2") => bits = 56,
        _ => {}
    }
    let aead = matches!(mode, Some("GCM" | "CCM" | "CCM8")) || cipher == "ChaCha20-Poly1305";
    let mac_tokens = &rest[n..];
    // A bare cipher (`CHACHA20-POLY1305`, `AES128-GCM`) is not a suite name:
    // OpenSSL's RSA-implied names always end in a MAC or CCM.
    if used == 0 && mac_tokens.is_empty() && !matches!(mode, Some("CCM" | "CCM8")) {
        return None;
    }
    let mac = match mac_tokens {
        [] if aead => "AEAD",
        ["SHA256" | "SHA384"] if aead => "AEAD",
        ["SHA"] => "SHA1",
        ["SHA256"] => "SHA256",
        ["SHA384"] => "SHA384",
        ["MD5"] => "MD5",
        ["M1"] => "MD5",
        ["GOST89" | "GOST89MAC" | "GOST89STREAM"] => "GOST28147",
        ["GOST94"] => "GOSTR3411-94",
        ["STREEBOG256"] => "STREEBOG256",
        _ => return None,
    };
    Some(Suite {
        iana: None,
        code: None,
        kx,
        kx_bits: export,
        auth,
        cipher,
        mode,
        cipher_bits: bits,
        mac,
    })
}
