//! The identity layer: one pure function from what an inventory says about
//! an algorithm (name, family, parameter, OID, usage) to a canonical
//! algorithm with its parameters (family, key length, curve, group,
//! parameter set, hash, mode, padding, scheme).
//!
//! Names are read as tokens, never as digits glued across tokens:
//! `RSA-PKCS1-1.5-SHA256-2048` is RSA + PKCS #1 v1.5 + SHA-256 + a 2048-bit
//! modulus, not RSA-2562048. The grammar follows CycloneDX's
//! `cryptography-defs.json` variant patterns, the JCA/OpenSSL spellings
//! (`SHA256withRSA`, `ecdsa-with-SHA384`, `PBKDF2WithHmacSHA256`), OIDs, TLS
//! cipher suites (`suite.rs`) and TLS named groups. The vocabulary (family
//! words, curves, groups, OIDs, aliases) is data from the knowledge base.
//! Anything not understood is listed in `unplaced`; a name with no family
//! stays unknown (never assumed safe).

use serde::Serialize;
use utoipa::ToSchema;

use super::kb::{is_oid, normalise, KnowledgeBase, Primitive, Sizing};
use super::suite::{self, Suite};

/// What the caller says about one asset (all optional except the name).
#[derive(Debug, Clone, Copy, Default)]
pub struct Input<'a> {
    /// Algorithm name as found.
    pub name: &'a str,
    /// Family when the source states it (CycloneDX `algorithmFamily`).
    pub family: Option<&'a str>,
    /// Key size, curve or parameter set (CycloneDX `parameterSetIdentifier`
    /// / `ellipticCurve`).
    pub parameter: Option<&'a str>,
    /// Object identifier.
    pub oid: Option<&'a str>,
    /// Usage hint (`signature`, `key_exchange`, `encryption`, ...).
    pub usage: Option<&'a str>,
}

/// How the identity was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ResolvedBy {
    /// From the name's tokens (with family/parameter).
    Name,
    /// From the OID.
    Oid,
    /// A TLS cipher suite (name or code point).
    TlsSuite,
    /// A TLS named group code point.
    TlsGroup,
    /// Not resolved.
    Unresolved,
}

/// The canonical algorithm.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Identity {
    /// Canonical name, e.g. `RSA-2048`, `ECDSA-P-256`, `ML-KEM-768`,
    /// `AES-128-GCM`, `HMAC-SHA-256`; the input when unknown.
    pub name: String,
    /// Canonical family (knowledge-base family), `None` when unknown.
    pub family: Option<String>,
    /// Primitive (CycloneDX vocabulary).
    pub primitive: Primitive,
    /// Scheme / padding of the family: `PKCS1-v1.5`, `PSS`, `OAEP`,
    /// `X9.31`, `HashML-DSA`, `ph`, `ctx`.
    pub scheme: Option<String>,
    /// Key or modulus length in bits.
    pub key_bits: Option<u32>,
    /// Canonical curve name.
    pub curve: Option<String>,
    /// Named finite-field group.
    pub group: Option<String>,
    /// Parameter set (ML-KEM `768`, SLH-DSA `SHA2-128s`, LMS `LMS_SHA256_M24_H10`).
    pub parameter_set: Option<String>,
    /// Hash (canonical family name of the hash, e.g. `SHA-256`).
    pub hash: Option<String>,
    /// Mode of operation.
    pub mode: Option<String>,
    /// Block-cipher padding named in the input, normalised (`PKCS7`,
    /// `NOPADDING`, …).
    pub padding: Option<String>,
    /// A pre-standard post-quantum algorithm (Kyber, Dilithium, SPHINCS+, draft hybrids).
    pub pre_standard: bool,
    /// The decomposition when the asset is a TLS cipher suite.
    pub suite: Option<Suite>,
    /// Parts that are algorithms in their own right (a suite's key
    /// exchange, authentication, cipher and MAC), each an `Identity`.
    #[schema(no_recursion)]
    pub components: Vec<Identity>,
    /// Tokens that could not be placed.
    pub unplaced: Vec<String>,
    /// How it was resolved.
    pub resolved_by: ResolvedBy,
}

impl Identity {
    /// Nothing known yet: the name as given, what could not be placed.
    fn unknown(name: impl Into<String>, unplaced: Vec<String>) -> Self {
        Self {
            name: name.into(),
            family: None,
            primitive: Primitive::Unknown,
            scheme: None,
            key_bits: None,
            curve: None,
            group: None,
            parameter_set: None,
            hash: None,
            mode: None,
            padding: None,
            pre_standard: false,
            suite: None,
            components: Vec::new(),
            unplaced,
            resolved_by: ResolvedBy::Unresolved,
        }
    }

    /// Whether a family was found.
    pub fn known(&self) -> bool {
        self.family.is_some() || self.suite.is_some()
    }
}

/// Longest name the layer reads; longer input is truncated for parsing
/// (and reported), so a 10 kB name costs no more than this.
const MAX_LEN: usize = 256;

const MODES: &[&str] = &[
    "ECB", "CBC", "CFB", "CFB1", "CFB8", "CFB64", "CFB128", "OFB", "CTR", "XTS", "CTS", "GCM",
    "CCM", "CCM8", "GCMSIV", "SIV", "OCB", "KW", "KWP", "WRAP", "WRAPPAD", "CNT", "EDE", "EDE3",
    "CBC3", "XCBC",
];
const PADDINGS: &[&str] = &[
    "PKCS5",
    "PKCS7",
    "PKCS5PADDING",
    "PKCS7PADDING",
    "NOPADDING",
    "ISO10126",
    "ISO10126PADDING",
    "ISO7816",
    "ZEROPADDING",
    "OAEPPADDING",
    "PKCS1PADDING",
];
/// Words that carry no algorithm information (namespaces, filler).
const NOISE: &[&str] = &[
    "WITH",
    "ID",
    "ALG",
    "ALGORITHM",
    "KEY",
    "KEYS",
    "BIT",
    "BITS",
    "PUBLIC",
    "PUBLICKEY",
    "SECG",
    "NIST",
    "X962",
    "X963",
    "X942",
    "BRAINPOOL",
    "OTHER",
    "WTLS",
    "ANSSI",
    "CRYSTALS",
    "MODE",
    "OID",
    "PADDING",
    "AND",
    "USING",
    "DERIVE",
    "EXTENDED",
    "PLUS",
    "BASE",
    "AUTH",
    "PSK",
    "DRAFT",
];
/// Words that say which primitive a multi-purpose family is used as
/// (`SM2-ENC`, `SM9-KEX`, `MILENAGE-KDF`, `GOST28147_MAC`).
const PRIMITIVE_WORDS: &[(&str, Primitive)] = &[
    ("MAC", Primitive::Mac),
    ("KDF", Primitive::Kdf),
    ("ENC", Primitive::Pke),
    ("ENCRYPTION", Primitive::Pke),
    ("PKE", Primitive::Pke),
    ("PUBLICKEYENCRYPTION", Primitive::Pke),
    ("KEX", Primitive::KeyAgree),
    ("KEYEXCHANGE", Primitive::KeyAgree),
    ("KEYAGREE", Primitive::KeyAgree),
    ("KEYAGREEMENT", Primitive::KeyAgree),
    ("KEM", Primitive::Kem),
    ("KEYENCAPSULATION", Primitive::Kem),
    ("SIG", Primitive::Signature),
    ("SIGNATURE", Primitive::Signature),
];
/// Scheme / padding words and the scheme they name.
const SCHEMES: &[(&str, &str)] = &[
    ("PKCS1", "PKCS1"),
    ("PKCS1V15", "PKCS1"),
    ("V15", "PKCS1"),
    ("PSS", "PSS"),
    ("OAEP", "OAEP"),
    ("X931", "X9.31"),
    ("PH", "ph"),
    ("CTX", "ctx"),
];
/// Hash-family names without a size: words, never split into SHA + 2.
const GENERIC: &[&str] = &["SHA2", "SHA3", "SHAKE"];
/// The longest fixed word that can start a glued token (modes, paddings,
/// schemes, primitive words); the knowledge base adds its own.
const LONGEST_FIXED_WORD: usize = {
    let mut m = 0;
    let mut i = 0;
    while i < MODES.len() {
        m = max(m, MODES[i].len());
        i += 1;
    }
    i = 0;
    while i < PADDINGS.len() {
        m = max(m, PADDINGS[i].len());
        i += 1;
    }
    i = 0;
    while i < SCHEMES.len() {
        m = max(m, SCHEMES[i].0.len());
        i += 1;
    }
    i = 0;
    while i < PRIMITIVE_WORDS.len() {
        m = max(m, PRIMITIVE_WORDS[i].0.len());
        i += 1;
    }
    m
};

const fn max(a: usize, b: usize) -> usize {
    if a > b {
        a
    } else {
        b
    }
}
/// The most raw tokens one word may span (`IKE2_PRF_PLUS_DERIVE`).
const JOIN_WINDOW: usize = 5;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Prim(Primitive),
    Family(usize),
    Curve(usize),
    Group(usize),
    Num(u32),
    Mode(&'static str),
    Padding(String),
    Scheme(&'static str),
    /// `L=2048`, `N=224`, `M24`, `H10`, `S`/`F` after SLH-DSA sizes ...
    Word(String),
    Noise,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    raw: String,
    placed: bool,
    /// From the `family` field: a hint, not part of the name.
    hint: bool,
}

impl Token {
    fn new(tok: Tok, raw: impl Into<String>) -> Self {
        Self {
            tok,
            raw: raw.into(),
            placed: false,
            hint: false,
        }
    }
}

/// Splits on separators, keeping `1.5`, `X9.31`, `512/256`, `A5/1` whole.
fn split_raw(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let between_digits = || {
            i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(char::is_ascii_digit)
        };
        if c.is_ascii_alphanumeric() || ((c == '.' || c == '/') && between_digits()) {
            cur.push(c.to_ascii_uppercase());
        } else if c == '+' && i > 0 && chars[i - 1].is_ascii_alphanumeric() {
            // SPHINCS+, SPAKE2+
            cur.push_str("PLUS");
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

struct Lexer<'k> {
    kb: &'k KnowledgeBase,
}

impl Lexer<'_> {
    /// A whole token that is a known word.
    fn word(&self, w: &str) -> Option<Tok> {
        let n = normalise(w);
        if n.is_empty() {
            return Some(Tok::Noise);
        }
        if w.bytes().all(|b| b.is_ascii_digit()) {
            return w.parse().ok().map(Tok::Num).or(Some(Tok::Word(n)));
        }
        if w.contains('/') && w.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
            // 512/256 after SHA, 20/2 in XMSS^MT heights.
            return Some(Tok::Word(w.to_owned()));
        }
        if let Some(&i) = self.kb.family_by_word.get(&n) {
            return Some(Tok::Family(i));
        }
        if let Some(&i) = self.kb.curve_by_key.get(&n) {
            return Some(Tok::Curve(i));
        }
        if let Some(&i) = self.kb.group_by_key.get(&n) {
            return Some(Tok::Group(i));
        }
        if let Some(m) = MODES.iter().find(|m| **m == n) {
            // id-aes128-wrap is KW, id-aes128-wrap-pad KWP (RFC 3394 / 5649).
            return Some(Tok::Mode(match *m {
                "WRAP" => "KW",
                "WRAPPAD" => "KWP",
                m => m,
            }));
        }
        if PADDINGS.contains(&n.as_str()) {
            return Some(Tok::Padding(n));
        }
        if let Some((_, s)) = SCHEMES.iter().find(|(w, _)| *w == n) {
            return Some(Tok::Scheme(s));
        }
        if NOISE.contains(&n.as_str())
            || (n.starts_with("RFC") && n.len() > 3 && n[3..].bytes().all(|b| b.is_ascii_digit()))
        {
            return Some(Tok::Noise);
        }
        if let Some((_, p)) = PRIMITIVE_WORDS.iter().find(|(w, _)| *w == n) {
            return Some(Tok::Prim(*p));
        }
        if GENERIC.contains(&n.as_str()) {
            return Some(Tok::Word(n));
        }
        None
    }

    /// Whether a joined run of raw tokens is one word of the vocabulary.
    fn joinable(&self, n: &str) -> bool {
        self.kb.family_by_word.contains_key(n)
            || self.kb.curve_by_key.contains_key(n)
            || self.kb.group_by_key.contains_key(n)
            || MODES.contains(&n)
            || GENERIC.contains(&n)
    }

    /// Tokens of one input string: separator split, then glued words split
    /// by longest known prefix (`SHA256WITHRSAENCRYPTION` → SHA256, WITH,
    /// RSA, ENCRYPTION; `AES128GCM` → AES, 128, GCM), then adjacent tokens
    /// merged where the merge is a word (`ML` + `KEM`, `SHA` + `256`, `P` + `256`).
    fn tokens(&self, raws: &[String]) -> Vec<Token> {
        let mut out: Vec<Token> = Vec::new();
        let mut i = 0;
        while i < raws.len() {
            // The longest run of raw tokens that is one word (ML + KEM,
            // SP800 + 56C, 3GPP + XOR, SHA + 2 + 384, J + PAKE, P + 256).
            let mut took = 0;
            for j in (i + 2..=raws.len().min(i + JOIN_WINDOW)).rev() {
                let joined = normalise(&raws[i..j].concat());
                if self.joinable(&joined) {
                    if let Some(tok) = self.word(&joined) {
                        out.push(Token::new(tok, raws[i..j].join("-")));
                        took = j - i;
                        break;
                    }
                }
            }
            if took > 0 {
                i += took;
                continue;
            }
            let raw = &raws[i];
            if raw == "1.5" {
                out.push(Token::new(Tok::Scheme("PKCS1"), raw.clone()));
            } else {
                self.glued(raw, &mut out);
            }
            i += 1;
        }
        self.merge(out)
    }

    fn glued(&self, raw: &str, out: &mut Vec<Token>) {
        if let Some(tok) = self.word(raw) {
            out.push(Token::new(tok, raw));
            return;
        }
        // JCA: split at an inner WITH (SHA256WITHRSA, PBKDF2WITHHMACSHA256).
        if let Some(p) = raw.find("WITH").filter(|&p| p > 0 && p + 4 < raw.len()) {
            self.glued(&raw[..p], out);
            out.push(Token {
                tok: Tok::Noise,
                raw: "WITH".into(),
                placed: true,
                hint: false,
            });
            self.glued(&raw[p + 4..], out);
            return;
        }
        if let Some(parts) = self.split_known(raw) {
            out.extend(parts);
            return;
        }
        out.push(Token::new(Tok::Word(raw.to_owned()), raw));
    }

    /// Splits a glued token into known words and numbers (`AES128GCM` →
    /// AES, 128, GCM; `RSA2048` → RSA, 2048), or `None` when some piece
    /// would be an unknown word: `DESIGN` is not DES + IGN.
    fn split_known(&self, raw: &str) -> Option<Vec<Token>> {
        // Suffixes already known not to split: without this memo the search
        // is exponential (`CCM8CCM8…Q` tries CCM8 and CCM + 8 at every step).
        let mut failed = vec![false; raw.len() + 1];
        self.split_from(raw, 0, &mut failed)
    }

    fn split_from(&self, raw: &str, at: usize, failed: &mut [bool]) -> Option<Vec<Token>> {
        if failed[at] {
            return None;
        }
        let got = self.split_suffix(raw, at, failed);
        if got.is_none() {
            failed[at] = true;
        }
        got
    }

    fn split_suffix(&self, raw: &str, at: usize, failed: &mut [bool]) -> Option<Vec<Token>> {
        let s = &raw[at..];
        if s.is_empty() {
            return Some(Vec::new());
        }
        if let Some(tok) = self
            .word(s)
            .filter(|t| !matches!(t, Tok::Word(w) if !GENERIC.contains(&w.as_str())))
        {
            return Some(vec![Token::new(tok, s)]);
        }
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            let n = s[..digits].parse().ok()?;
            let mut v = vec![Token::new(Tok::Num(n), &s[..digits])];
            v.extend(self.split_from(raw, at + digits, failed)?);
            return Some(v);
        }
        // A head longer than every known word (letters and digits; `.` and
        // `/` do not count) cannot be one: this keeps the search quadratic
        // in the token's length at worst, linear in practice.
        let longest = self.kb.longest_word.max(LONGEST_FIXED_WORD)
            + s.bytes().filter(|b| !b.is_ascii_alphanumeric()).count();
        for end in (2..s.len().min(longest + 1)).rev() {
            if !s.is_char_boundary(end) {
                continue;
            }
            let head = &s[..end];
            let Some(tok) = self
                .word(head)
                .filter(|t| !matches!(t, Tok::Num(_) | Tok::Noise | Tok::Word(_)))
            else {
                continue;
            };
            if let Some(more) = self.split_from(raw, at + end, failed) {
                let mut v = vec![Token::new(tok, head)];
                v.extend(more);
                return Some(v);
            }
        }
        None
    }

    fn merge(&self, toks: Vec<Token>) -> Vec<Token> {
        let mut out: Vec<Token> = Vec::with_capacity(toks.len());
        for t in toks {
            if let Some(prev) = out.last().filter(|p| p.hint == t.hint) {
                let joined = format!("{}{}", prev.raw, t.raw);
                let mergeable = match (&prev.tok, &t.tok) {
                    // SHA + 256, SHA2 + 384, SHA3 + 256, SHAKE + 128, P + 256, MODP + 2048
                    (Tok::Family(_) | Tok::Word(_), Tok::Num(_)) => true,
                    (Tok::Family(_), Tok::Word(w)) if w.contains('/') => true,
                    // ML + KEM, SLH + DSA, HASHML + DSA; CHACHA20 + POLY1305
                    (Tok::Word(_), Tok::Family(_) | Tok::Word(_)) => true,
                    (Tok::Family(_), Tok::Family(_) | Tok::Word(_)) => true,
                    (Tok::Mode(_), Tok::Mode(_)) => true,
                    _ => false,
                };
                if mergeable {
                    if let Some(tok) = self.word(&joined).filter(|t| {
                        matches!(
                            t,
                            Tok::Family(_) | Tok::Curve(_) | Tok::Group(_) | Tok::Mode(_)
                        )
                    }) {
                        // Never glue a key size onto a public-key family (RSA + 2048).
                        let sized = matches!(prev.tok, Tok::Family(i) if matches!(self.kb.families[i].sizing, Sizing::Modulus | Sizing::Curve | Sizing::Key | Sizing::ParamSet));
                        if !sized {
                            let raw = joined;
                            out.pop();
                            out.push(Token::new(tok, raw));
                            continue;
                        }
                    }
                }
            }
            out.push(t);
        }
        out
    }
}

/// Resolves one asset. Pure and deterministic.
pub fn resolve(kb: &KnowledgeBase, input: &Input<'_>) -> Identity {
    let name = input.name.trim();
    let mut notes = Vec::new();
    let name = if name.len() > MAX_LEN {
        notes.push(format!(
            "name longer than {MAX_LEN} characters: only the start was read"
        ));
        let mut end = MAX_LEN;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        &name[..end]
    } else {
        name
    };
    let group_hint = input.family.is_some_and(|f| {
        let n = normalise(f);
        n.contains("GROUP") || n == "TLSGROUP" || n == "NAMEDGROUP"
    });
    // Code points: cipher suites (rustls' registry), else named groups.
    if let Some(code) = suite::parse_code(name) {
        if !group_hint {
            if let Some(s) = suite::by_code(code) {
                return from_suite(kb, s, name);
            }
        }
        if let Some(g) = named_group(kb, code) {
            let mut id = resolve(
                kb,
                &Input {
                    name: &g,
                    usage: Some("key_exchange"),
                    ..Input::default()
                },
            );
            id.resolved_by = ResolvedBy::TlsGroup;
            return id;
        }
        return Identity::unknown(
            name,
            vec![format!("{name} (unassigned or unknown code point)")],
        );
    }
    // IANA / OpenSSL cipher-suite names; a family hint "cipher suite" (a
    // CBOM protocol's cipherSuites) makes OpenSSL names like AES128-CCM,
    // which are also cipher names, suites.
    let upper = name.to_ascii_uppercase();
    if upper.starts_with("TLS_") || upper.starts_with("SSL_") {
        if let Some(s) = suite::by_iana(name) {
            return from_suite(kb, s, name);
        }
    }
    let suite_hint = input.family.is_some_and(|f| normalise(f).contains("SUITE"));
    if suite_hint {
        if let Some(s) = suite::by_openssl(name) {
            return from_suite(kb, s, name);
        }
    }
    // An OID given as the name.
    let oid = input
        .oid
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .or_else(|| is_oid(name).then_some(name));
    let oid_name = oid.and_then(|o| kb.oid(o)).map(|o| o.name.as_str());
    let curve_by_oid = oid
        .and_then(|o| kb.curve_by_oid(o))
        .map(|c| c.name.as_str());

    let by_name = if is_oid(name) {
        None
    } else {
        Some(parse(kb, name, input))
    };
    // Leftover tokens may mean an OpenSSL cipher-suite name (AES128-SHA,
    // ECDHE-RSA-AES128-GCM-SHA256).
    if by_name
        .as_ref()
        .is_some_and(|id| !id.unplaced.is_empty() || id.family.is_none())
    {
        if let Some(s) = suite::by_openssl(name) {
            return from_suite(kb, s, name);
        }
    }
    let mut id = match by_name {
        Some(id) if id.family.is_some() => {
            let mut id = id;
            // The OID may add what the name leaves open (the hash of
            // `RSA-2048` with sha256WithRSAEncryption); the name wins on conflict.
            if let Some(o) = oid_name {
                let via = parse(
                    kb,
                    o,
                    &Input {
                        name: o,
                        ..Input::default()
                    },
                );
                if via.family == id.family
                    || (via.family.as_deref() == Some("RSA") && id.family.as_deref() == Some("RSA"))
                {
                    if id.hash.is_none() {
                        id.hash = via.hash;
                    }
                    if id.scheme.is_none() {
                        id.scheme = via.scheme;
                    }
                    if id.key_bits.is_none() {
                        id.key_bits = via.key_bits;
                    }
                    if id.mode.is_none() {
                        id.mode = via.mode;
                    }
                    if id.hash.is_some()
                        && id.family.as_deref() == Some("RSA")
                        && id.primitive == Primitive::Pke
                        && via.primitive == Primitive::Signature
                    {
                        id.primitive = Primitive::Signature;
                    }
                    rename(kb, &mut id);
                }
            }
            if id.curve.is_none() && sizing_of(kb, &id) == Some(Sizing::Curve) {
                if let Some(c) = curve_by_oid {
                    id.curve = Some(c.to_owned());
                    rename(kb, &mut id);
                }
            }
            id
        }
        other => {
            // The name says nothing we know: try the OID, then a suite.
            if let Some(o) = oid_name {
                let mut id = parse(
                    kb,
                    o,
                    &Input {
                        name: o,
                        family: input.family,
                        parameter: input.parameter,
                        oid: None,
                        usage: input.usage,
                    },
                );
                id.resolved_by = ResolvedBy::Oid;
                if let Some(prev) = other {
                    id.unplaced.extend(prev.unplaced);
                }
                id
            } else if let Some(s) = suite::by_openssl(name) {
                return from_suite(kb, s, name);
            } else {
                other.unwrap_or_else(|| {
                    Identity::unknown(name, vec![format!("{name} (unknown OID)")])
                })
            }
        }
    };
    id.unplaced.extend(notes);
    id
}

fn named_group(kb: &KnowledgeBase, code: u16) -> Option<String> {
    if let Some(g) = kb.tls_groups.iter().find(|g| g.code == code) {
        return Some(g.name.clone());
    }
    let g = rustls::NamedGroup::from(code);
    g.as_str().map(str::to_owned)
}

fn sizing_of(kb: &KnowledgeBase, id: &Identity) -> Option<Sizing> {
    id.family
        .as_deref()
        .and_then(|f| kb.family(f))
        .map(|f| f.sizing)
}

fn from_suite(kb: &KnowledgeBase, s: Suite, given: &str) -> Identity {
    let mut components = Vec::new();
    let mut push = |name: &str, usage: &str| {
        let id = resolve(
            kb,
            &Input {
                name,
                usage: Some(usage),
                ..Input::default()
            },
        );
        if id.family.is_some() {
            components.push(id);
        }
    };
    match s.kx {
        "RSA" | "RSA-PSK" => push(
            &s.kx_bits
                .map_or("RSA-PKCS1-1.5".to_owned(), |b| format!("RSA-PKCS1-1.5-{b}")),
            "key_exchange",
        ),
        "DHE" | "DH" | "DHE-PSK" => push(
            &s.kx_bits.map_or("DH".to_owned(), |b| format!("DH-{b}")),
            "key_exchange",
        ),
        "ECDHE" | "ECDH" | "ECDHE-PSK" => push("ECDH", "key_exchange"),
        "SRP" => push("SRP", "key_exchange"),
        "GOST" => push("GOSTR3410", "key_exchange"),
        "CECPQ1" => push("CECPQ1", "key_exchange"),
        _ => {}
    }
    match s.auth {
        "RSA" if s.kx != "RSA" => push("RSA-PKCS1-1.5-SHA256", "signature"),
        "DSS" => push("DSA", "signature"),
        "ECDSA" => push("ECDSA", "signature"),
        "GOST01" | "GOST94" => push("GOSTR3410", "signature"),
        _ => {}
    }
    match s.cipher {
        "NULL" => {}
        "ChaCha20-Poly1305" => push("ChaCha20-Poly1305", "encryption"),
        "RC4" => push("RC4", "encryption"),
        c => push(
            &match (c, s.mode) {
                ("AES" | "Camellia" | "ARIA", Some(m)) => format!("{c}-{}-{m}", s.cipher_bits),
                (_, Some(m)) => format!("{c}-{m}"),
                _ => c.to_owned(),
            },
            "encryption",
        ),
    }
    match s.mac {
        "SHA1" => push("HMAC-SHA1", "mac"),
        "SHA256" => push("HMAC-SHA256", "mac"),
        "SHA384" => push("HMAC-SHA384", "mac"),
        "MD5" => push("HMAC-MD5", "mac"),
        _ => {}
    }
    let mut unplaced = Vec::new();
    if s.cipher == "NULL" {
        unplaced.push("NULL cipher: no confidentiality".to_owned());
    }
    if s.auth == "anon" || s.auth == "NULL" {
        unplaced.push("anonymous: no authentication".to_owned());
    }
    // The IANA name when known (code points, TLS_* names), else the OpenSSL
    // name as given.
    let name = s
        .iana
        .clone()
        .unwrap_or_else(|| given.trim().to_ascii_uppercase());
    Identity {
        primitive: Primitive::Other,
        pre_standard: components.iter().any(|c| c.pre_standard),
        suite: Some(s),
        components,
        resolved_by: ResolvedBy::TlsSuite,
        ..Identity::unknown(name, unplaced)
    }
}

/// Parses name + family + parameter tokens into an identity.
fn parse(kb: &KnowledgeBase, name: &str, input: &Input<'_>) -> Identity {
    let lexer = Lexer { kb };
    // Whole-name alias first (DESede, id-ecPublicKey, 128-EEA3 ...).
    let key = normalise(name);
    if let Some(&a) = kb.alias_by_key.get(&key) {
        let target = kb.aliases[a].name.as_str();
        if normalise(target) != key {
            return parse(kb, target, input);
        }
    }
    let param_raws: Vec<String> = input.parameter.map(split_raw).unwrap_or_default();
    // The family field is a hint: it names the family when the name does
    // not (and is otherwise read only for RSASSA/RSAES). Its tokens go first.
    let mut toks: Vec<Token> = input
        .family
        .map(|f| lexer.tokens(&split_raw(f)))
        .unwrap_or_default()
        .into_iter()
        .map(|mut t| {
            t.hint = true;
            t
        })
        .collect();
    match kb.family_by_word.get(&key) {
        // `3GPP-XOR`, `128-EEA3`, `SHA-512/224`, `X25519Kyber768Draft00`
        Some(&i) if !key.is_empty() => {
            toks.push(Token::new(Tok::Family(i), key.clone()));
            toks.extend(lexer.tokens(&param_raws));
        }
        _ => {
            let mut raws = split_raw(name);
            raws.extend(param_raws);
            toks.extend(lexer.tokens(&raws));
        }
    }
    let mut toks = lexer.merge(toks);
    // The primary family: the first non-hash family of the name; a hash only
    // when nothing else names a family (SHA256withRSA is RSA).
    let fam_of = |t: &Token| match t.tok {
        Tok::Family(i) => Some(i),
        _ => None,
    };
    let is_hashish = |i: usize| {
        matches!(kb.families[i].primitive, Primitive::Hash | Primitive::Xof)
            && kb.families[i].sizing == Sizing::Fixed
    };
    let pick = |from_name: bool| {
        let cands = || {
            toks.iter()
                .enumerate()
                .filter(move |(_, t)| t.hint != from_name)
                .filter_map(|(p, t)| fam_of(t).map(|i| (p, i)))
        };
        cands()
            .find(|(_, i)| !is_hashish(*i))
            .or_else(|| cands().next())
    };
    let primary = pick(true).or_else(|| pick(false));
    let primary_from_name = primary.is_some_and(|(p, _)| !toks[p].hint);
    // Curve-only input beside an EC family word from the family field.
    let Some((_, fi)) = primary else {
        // A bare curve is an elliptic-curve key (`secp256r1`, `prime256v1`).
        if let Some(ci) = toks.iter().find_map(|t| {
            if let Tok::Curve(c) = t.tok {
                Some(c)
            } else {
                None
            }
        }) {
            if let Some(ec) = kb.family("EC") {
                let ec_word = ec.words.first().cloned().unwrap_or_default();
                let mut id = parse(
                    kb,
                    &format!("{ec_word}-{}", normalise(&kb.curves[ci].name)),
                    &Input {
                        usage: input.usage,
                        ..Input::default()
                    },
                );
                id.unplaced.clear();
                return id;
            }
        }
        if let Some(g) = toks.iter().find_map(|t| {
            if let Tok::Group(g) = t.tok {
                Some(g)
            } else {
                None
            }
        }) {
            return parse(kb, &format!("DH-{}", kb.groups[g].name), &Input::default());
        }
        let unplaced = toks
            .iter()
            .filter(|t| !matches!(t.tok, Tok::Noise))
            .map(|t| t.raw.clone())
            .collect::<Vec<_>>();
        let unplaced = if unplaced.is_empty() {
            vec![name.to_owned()]
        } else {
            unplaced
        };
        return Identity::unknown(name, unplaced);
    };
    let fam = &kb.families[fi];
    let mut id = Identity {
        family: Some(fam.name.clone()),
        primitive: fam.primitive,
        pre_standard: fam.pre_standard,
        resolved_by: ResolvedBy::Name,
        ..Identity::unknown(String::new(), Vec::new())
    };
    let norm_all = normalise(&format!("{name}{}", input.parameter.unwrap_or("")));
    let mut nums: Vec<(usize, u32)> = Vec::new();
    let mut other_families: Vec<usize> = Vec::new();
    let mut words: Vec<(usize, String)> = Vec::new();
    for (p, t) in toks.iter_mut().enumerate() {
        if t.hint
            && primary_from_name
            && !matches!(t.tok, Tok::Curve(_) | Tok::Group(_) | Tok::Num(_))
        {
            // The name already says the family: the hint is only a hint.
            t.placed = true;
            continue;
        }
        match &t.tok {
            Tok::Noise => t.placed = true,
            Tok::Prim(_) => {}
            Tok::Family(i) if *i == fi => t.placed = true,
            Tok::Family(i) => {
                let f = &kb.families[*i];
                if is_hashish(*i) {
                    if id.hash.is_none() {
                        id.hash = Some(f.name.clone());
                    }
                    t.placed = true;
                } else {
                    other_families.push(p);
                }
            }
            Tok::Curve(c) => {
                if id.curve.is_none() {
                    id.curve = Some(kb.curves[*c].name.clone());
                }
                t.placed = true;
            }
            Tok::Group(g) => {
                if id.group.is_none() {
                    id.group = Some(kb.groups[*g].name.clone());
                    id.key_bits = Some(kb.groups[*g].bits);
                }
                t.placed = true;
            }
            Tok::Num(n) => nums.push((p, *n)),
            Tok::Mode(m) => {
                if id.mode.is_none() {
                    id.mode = Some((*m).to_owned());
                }
                t.placed = true;
            }
            Tok::Padding(pd) => {
                id.padding = Some(pd.clone());
                t.placed = true;
            }
            Tok::Scheme(s) => {
                match *s {
                    "PKCS1" => id.scheme = Some("PKCS1-v1.5".into()),
                    "ph" | "ctx" => id.scheme = Some((*s).into()),
                    other => id.scheme = Some(other.into()),
                }
                t.placed = true;
            }
            Tok::Word(w) => words.push((p, w.clone())),
        }
    }
    // Family-specific readings of the remaining tokens.
    let fam_name = fam.name.as_str();
    // Other families beside the primary: constructions absorb them.
    for &p in &other_families {
        let Tok::Family(i) = toks[p].tok else {
            continue;
        };
        let other = kb.families[i].name.as_str();
        let absorbed = match fam_name {
            "HMAC" | "HKDF" | "PBKDF2" | "PBKDF1" | "PBES1" | "PBES2" | "PBMAC1" | "KBKDF"
            | "SP800-56C-KDF" | "TLS-PRF" | "SSH-KDF" | "IKE-PRF" | "CMAC" | "HPKE" | "EC"
            | "Fortuna" | "Yarrow" | "CTR_DRBG" | "Hash_DRBG" | "HMAC_DRBG" | "OPAQUE"
            | "SPAKE2" | "SPAKE2+" | "J-PAKE" | "SRP" | "X3DH" | "BLS" | "SM9" | "ChaCha20"
            | "MGF1" => true,
            // RSA-PSS-SHA256-MGF1, RSA-OAEP-SHA256-MGF1-SHA256
            "RSA" => other == "MGF1",
            // AES-128-CTR-HMAC-SHA1, SEED-128-CBC-HMAC-SHA256
            // AES-128-CMAC, AES-GMAC, AES-CMAC-PRF-128
            _ if matches!(
                fam.primitive,
                Primitive::BlockCipher | Primitive::StreamCipher | Primitive::Ae
            ) =>
            {
                matches!(other, "HMAC" | "CMAC" | "GMAC" | "TLS-PRF")
            }
            // ECDH + X25519 (`X25519` with family ECDH), EdDSA + Ed25519
            "ECDH" => matches!(other, "X25519" | "X448" | "EC"),
            "ECDSA" | "EdDSA" => matches!(other, "EdDSA" | "EC"),
            "DH" => matches!(other, "DH"),
            _ => false,
        };
        if absorbed {
            toks[p].placed = true;
            if fam_name == "ECDH" && matches!(other, "X25519" | "X448") {
                id.curve = Some(if other == "X25519" {
                    "Curve25519".into()
                } else {
                    "Curve448".into()
                });
            }
            if matches!(
                fam.primitive,
                Primitive::BlockCipher | Primitive::StreamCipher | Primitive::Ae
            ) {
                match other {
                    "HMAC" => {
                        let h = id
                            .hash
                            .take()
                            .map(|h| format!("-HMAC-{}", h.replace('-', "")))
                            .unwrap_or_else(|| "-HMAC".into());
                        id.mode = Some(
                            format!("{}{h}", id.mode.clone().unwrap_or_default())
                                .trim_start_matches('-')
                                .to_owned(),
                        );
                        id.primitive = Primitive::Ae;
                    }
                    "CMAC" | "GMAC" => {
                        id.mode = Some(other.to_owned());
                        id.primitive = Primitive::Mac;
                    }
                    "TLS-PRF" => {
                        id.mode = Some(
                            format!("{}-PRF", id.mode.clone().unwrap_or_default())
                                .trim_start_matches('-')
                                .to_owned(),
                        );
                        id.primitive = Primitive::Mac;
                    }
                    _ => {}
                }
            }
        }
    }
    let absorbing = matches!(
        fam_name,
        "HPKE"
            | "EC"
            | "OPAQUE"
            | "SPAKE2"
            | "SPAKE2+"
            | "J-PAKE"
            | "X3DH"
            | "BLS"
            | "PBES1"
            | "PBES2"
            | "PBMAC1"
            | "Fortuna"
            | "Yarrow"
            | "CTR_DRBG"
            | "SRP"
            | "ChaCha20"
    ) && !other_families.is_empty();
    // Hybrid groups spelt out: X25519 + ML-KEM-768 etc.
    if let Some(h) = hybrid(kb, &toks) {
        return parse(kb, h, &Input::default());
    }
    // Key sizes, curves, parameter sets by sizing.
    let hash_out = id
        .hash
        .as_deref()
        .and_then(|h| kb.family(h))
        .and_then(|h| h.output_bits);
    let take_num = |toks: &mut [Token], p: usize| toks[p].placed = true;
    match fam.sizing {
        Sizing::Modulus => {
            // L=2048 / N=224 (DSA); the largest other number ≥ 256 is the modulus.
            for (p, w) in &words {
                if (w == "L" || w == "N") && nums.iter().any(|(q, _)| *q == p + 1) {
                    toks[*p].placed = true;
                }
            }
            let l_num = words
                .iter()
                .find(|(_, w)| w == "L")
                .and_then(|(p, _)| nums.iter().find(|(q, _)| *q == p + 1))
                .map(|x| x.1);
            let n_pos: Vec<usize> = words
                .iter()
                .filter(|(_, w)| w == "N")
                .filter_map(|(p, _)| nums.iter().find(|(q, _)| *q == p + 1).map(|x| x.0))
                .collect();
            let cands: Vec<(usize, u32)> = nums
                .iter()
                .copied()
                .filter(|(p, n)| !n_pos.contains(p) && Some(*n) != hash_out && *n >= 256)
                .collect();
            let bits = l_num.or_else(|| cands.iter().map(|x| x.1).max());
            if id.key_bits.is_none() {
                id.key_bits = bits;
            }
            for (p, n) in nums.clone() {
                let is_hash_len = Some(n) == hash_out;
                if Some(n) == id.key_bits || is_hash_len || n_pos.contains(&p) || n < 256 {
                    take_num(&mut toks, p);
                }
            }
        }
        Sizing::Curve => {
            if id.curve.is_none() {
                // ECDSA + 256: the P-curve of that size.
                if let Some((p, n)) = nums
                    .iter()
                    .copied()
                    .find(|(_, n)| matches!(n, 192 | 224 | 256 | 384 | 521 | 25519 | 448))
                {
                    let c = match n {
                        25519 => "Curve25519".to_owned(),
                        448 => "Curve448".to_owned(),
                        n => format!("P-{n}"),
                    };
                    id.curve = kb.curve(&c).map(|c| c.name.clone());
                    take_num(&mut toks, p);
                }
            }
            // Family words that imply a curve (Ed25519, Ed448).
            if id.curve.is_none() {
                let words_of_fam: Vec<&str> = toks
                    .iter()
                    .filter(|t| t.tok == Tok::Family(fi))
                    .map(|t| t.raw.as_str())
                    .collect();
                for w in words_of_fam {
                    let n = normalise(w);
                    if n.contains("25519") {
                        id.curve = Some("Edwards25519".into());
                    } else if n.contains("448") {
                        id.curve = Some("Edwards448".into());
                    }
                }
            }
            for (p, n) in nums.clone() {
                if Some(n) == hash_out || n < 64 {
                    take_num(&mut toks, p);
                }
            }
        }
        Sizing::ParamSet => {
            let sets = fam.param_sets.as_deref().unwrap_or_default();
            // Numeric ids (768, 65, 3) from number tokens; others (SHA2-128s)
            // from the normalised text.
            let mut found = None;
            for (p, n) in &nums {
                if let Some(s) = sets.iter().find(|s| s.id == n.to_string()) {
                    found = Some(s.id.clone());
                    take_num(&mut toks, *p);
                    break;
                }
            }
            if found.is_none() {
                for s in sets {
                    let k = normalise(&s.id);
                    if k.chars().any(|c| c.is_ascii_alphabetic()) && norm_all.contains(&k) {
                        found = Some(s.id.clone());
                        for t in toks.iter_mut() {
                            if k.contains(&normalise(&t.raw)) {
                                t.placed = true;
                            }
                        }
                        id.hash = None;
                        break;
                    }
                }
            }
            id.parameter_set = found;
            // HashML-DSA-65-SHA512: the pre-hash.
            if toks
                .iter()
                .any(|t| t.tok == Tok::Family(fi) && normalise(&t.raw).starts_with("HASH"))
            {
                id.scheme = Some(format!("Hash{}", fam.name));
            }
            for (p, n) in nums.clone() {
                if Some(n) == hash_out {
                    take_num(&mut toks, p);
                }
            }
        }
        Sizing::Key => {
            let sizes = fam.key_sizes.as_deref().unwrap_or_default();
            if let Some((p, n)) = nums.iter().copied().find(|(_, n)| sizes.contains(n)) {
                id.key_bits = Some(n);
                take_num(&mut toks, p);
            }
            // Tag and IV lengths (AES-128-GCM-128-12, SM4-ECB-PKCS7-12) are
            // parameters of the mode; a size no key has (AES-512) stays unplaced.
            for (p, n) in nums.clone() {
                if (id.key_bits.is_some() && (id.mode.is_some() || n <= 256))
                    || (id.mode.is_some() && n <= 256)
                {
                    take_num(&mut toks, p);
                }
            }
        }
        Sizing::Hash | Sizing::Fixed => {
            // Tag/output lengths, iterations, costs: parameters, not identity.
            for (p, _) in nums.clone() {
                take_num(&mut toks, p);
            }
            // LMS_SHA256_M24_H10, XMSS-SHA2_20_256, SM2-256 ...
            if matches!(fam_name, "LMS" | "XMSS") {
                // LMS_SHA256_M24_H10, XMSS-SHA2_10_256, XMSSMT-SHA2_20/2_256: the
                // whole spelling is the parameter set.
                for (p, _) in &words {
                    toks[*p].placed = true;
                }
                let parts: Vec<&str> = toks
                    .iter()
                    .filter(|t| !matches!(t.tok, Tok::Noise))
                    .map(|t| t.raw.as_str())
                    .collect();
                if parts.len() > 1 {
                    id.parameter_set = Some(parts.join("_"));
                }
            }
        }
    }
    if absorbing {
        for (p, _) in &nums {
            toks[*p].placed = true;
        }
    }
    // Mode → primitive (SP 800-38C/D/F, RFC 8452): authenticated encryption,
    // key wrap, MACs.
    if matches!(fam.sizing, Sizing::Key | Sizing::Fixed)
        && matches!(fam.primitive, Primitive::BlockCipher)
    {
        if let Some(m) = id.mode.as_deref() {
            match m {
                "GCM" | "CCM" | "CCM8" | "GCMSIV" | "SIV" | "OCB" => id.primitive = Primitive::Ae,
                "KW" | "KWP" | "WRAP" => id.primitive = Primitive::KeyWrap,
                "CMAC" | "GMAC" | "XCBC" => id.primitive = Primitive::Mac,
                _ => {}
            }
        }
    }
    // Words that name the use (SM2-ENC, MILENAGE-KDF, GOST28147_MAC).
    for t in toks.iter_mut() {
        if let Tok::Prim(p) = t.tok {
            t.placed = true;
            if fam_name != "RSA" && fam.sizing != Sizing::Hash {
                id.primitive = p;
            }
        }
    }
    // Per-word primitives of a family (128-EIA3 is ZUC's MAC, KMACXOF a MAC,
    // TupleHashXOF an XOF, Ascon-Hash256 a hash).
    if let Some(map) = &fam.word_primitives {
        for t in toks.iter().filter(|t| t.tok == Tok::Family(fi)) {
            if let Some(p) = map.get(&normalise(&t.raw)) {
                id.primitive = *p;
            }
        }
    }
    // SLH-DSA sizes leave S/F letters; Argon2id-style suffixes.
    for (p, w) in &words {
        if (fam_name == "SLH-DSA" && (w == "S" || w == "F"))
            || (fam_name == "Argon2" && matches!(w.as_str(), "ID" | "I" | "D"))
        {
            toks[*p].placed = true;
        }
    }
    // RSA scheme → primitive; EC family + usage → ECDSA/ECDH.
    if fam_name == "RSA" {
        let raw_words: Vec<String> = toks
            .iter()
            .filter(|t| t.tok == Tok::Family(fi))
            .map(|t| normalise(&t.raw))
            .collect();
        let sig_word = raw_words.iter().any(|w| w == "RSASSA" || w == "RSAPSS");
        let enc_word = raw_words.iter().any(|w| w == "RSAES" || w == "RSAOAEP");
        if raw_words.iter().any(|w| w == "RSAPSS") && id.scheme.is_none() {
            id.scheme = Some("PSS".into());
        }
        if raw_words.iter().any(|w| w == "RSAOAEP") && id.scheme.is_none() {
            id.scheme = Some("OAEP".into());
        }
        id.primitive = match id.scheme.as_deref() {
            Some("PSS" | "X9.31") => Primitive::Signature,
            Some("OAEP") => Primitive::Pke,
            _ if sig_word => Primitive::Signature,
            _ if enc_word => Primitive::Pke,
            _ if id.hash.is_some() => Primitive::Signature,
            _ if matches!(input.usage, Some("signature" | "certificate")) => Primitive::Signature,
            _ => Primitive::Pke,
        };
        if (sig_word || id.hash.is_some()) && id.scheme.is_none() {
            // RSASSA-PKCS1, sha256WithRSAEncryption, SHA256withRSA: PKCS #1 v1.5 (RFC 8017 sec. 8.2).
            id.scheme = Some("PKCS1-v1.5".into());
        }
        if enc_word && id.scheme.is_none() {
            id.scheme = Some("PKCS1-v1.5".into());
        }
    }
    // ECDH over Curve25519/448 is X25519/X448; EdDSA on Edwards curves.
    if matches!(fam_name, "ECDH" | "EC") {
        match id.curve.as_deref() {
            Some("Curve25519") => return retarget(kb, id, "X25519", &toks),
            Some("Curve448") => return retarget(kb, id, "X448", &toks),
            Some("Edwards25519" | "Edwards448") if fam_name == "EC" => {
                let f = kb.family("EdDSA").map(|f| f.name.clone());
                id.family = f;
                id.primitive = Primitive::Signature;
            }
            _ => {}
        }
    }
    if fam_name == "EdDSA" {
        if let Some(c) = id.curve.as_deref() {
            id.curve = Some(match c {
                "Curve25519" => "Edwards25519".into(),
                "Curve448" => "Edwards448".into(),
                c => c.to_owned(),
            });
        }
    }
    if fam_name == "EC" {
        match input.usage {
            Some("signature" | "certificate") => {
                id.family = Some("ECDSA".into());
                id.primitive = Primitive::Signature;
            }
            Some("key_exchange") => {
                id.family = Some("ECDH".into());
                id.primitive = Primitive::KeyAgree;
            }
            _ => {}
        }
    }
    if fam_name == "DSA" || fam_name == "ECDSA" || fam_name == "EdDSA" {
        id.primitive = Primitive::Signature;
    }
    id.unplaced = unplaced(&toks);
    // A cipher followed by a bare hash (AES128-SHA, RC4-MD5) is a TLS suite
    // name, not a cipher with a hash: leave the hash unplaced.
    if matches!(
        fam.primitive,
        Primitive::BlockCipher | Primitive::StreamCipher | Primitive::Ae
    ) {
        if let Some(h) = id.hash.take() {
            id.unplaced.push(h);
        }
    }
    finish(kb, id)
}

/// The tokens nothing placed.
fn unplaced(toks: &[Token]) -> Vec<String> {
    toks.iter()
        .filter(|t| !t.placed && !matches!(t.tok, Tok::Noise))
        .map(|t| t.raw.clone())
        .collect()
}

/// The identity as `family` (X25519 for ECDH over Curve25519), finished.
fn retarget(kb: &KnowledgeBase, mut id: Identity, family: &str, toks: &[Token]) -> Identity {
    if let Some(f) = kb.family(family) {
        id.family = Some(f.name.clone());
        id.primitive = f.primitive;
        id.curve = None;
    }
    id.unplaced = unplaced(toks);
    finish(kb, id)
}

/// X25519 + ML-KEM-768 written out → the TLS hybrid group.
fn hybrid(kb: &KnowledgeBase, toks: &[Token]) -> Option<&'static str> {
    let has_fam = |n: &str| {
        toks.iter()
            .any(|t| matches!(t.tok, Tok::Family(i) if kb.families[i].name == n))
    };
    let has_curve = |n: &str| {
        toks.iter()
            .any(|t| matches!(t.tok, Tok::Curve(c) if kb.curves[c].name == n))
    };
    let has_num = |n: u32| toks.iter().any(|t| t.tok == Tok::Num(n));
    let x25519 = has_fam("X25519") || has_curve("Curve25519");
    if has_fam("ML-KEM") {
        if x25519 && has_num(768) {
            return Some("X25519MLKEM768");
        }
        if has_curve("P-256") && has_num(768) {
            return Some("SecP256r1MLKEM768");
        }
        if has_curve("P-384") && has_num(1024) {
            return Some("SecP384r1MLKEM1024");
        }
    }
    if has_fam("Kyber") && x25519 && has_num(768) {
        return Some("X25519Kyber768Draft00");
    }
    None
}

/// Sets the canonical name from the parts.
fn finish(kb: &KnowledgeBase, mut id: Identity) -> Identity {
    rename(kb, &mut id);
    id
}

fn rename(kb: &KnowledgeBase, id: &mut Identity) {
    let Some(fam) = id.family.clone() else { return };
    let sizing = kb.family(&fam).map_or(Sizing::Fixed, |f| f.sizing);
    id.name = match sizing {
        Sizing::Modulus => match id.key_bits {
            Some(b) => format!("{fam}-{b}"),
            None => fam,
        },
        Sizing::Curve => match (fam.as_str(), id.curve.as_deref()) {
            ("EdDSA", Some("Edwards25519")) => "Ed25519".into(),
            ("EdDSA", Some("Edwards448")) => "Ed448".into(),
            (f, Some(c)) => format!("{f}-{c}"),
            (f, None) => f.into(),
        },
        Sizing::ParamSet => match (&id.scheme, &id.parameter_set) {
            (Some(s), Some(p)) if s.starts_with("Hash") => format!("{s}-{p}"),
            (_, Some(p)) => format!("{fam}-{p}"),
            _ => fam,
        },
        Sizing::Key => {
            let mut n = fam.clone();
            if let Some(b) = id.key_bits {
                n.push_str(&format!("-{b}"));
            }
            if let Some(m) = &id.mode {
                n.push_str(&format!("-{m}"));
            }
            n
        }
        Sizing::Hash => match &id.hash {
            Some(h) if fam == "PBKDF2" => format!("PBKDF2-HMAC-{h}"),
            Some(h) => format!("{fam}-{h}"),
            None => fam,
        },
        Sizing::Fixed => {
            let mut n = fam.clone();
            if fam == "3DES" || fam == "DES" {
                if let Some(m) = id
                    .mode
                    .as_deref()
                    .filter(|m| !matches!(*m, "EDE" | "EDE3" | "CBC3"))
                {
                    n.push_str(&format!("-{m}"));
                }
            }
            n
        }
    };
}
