//! Request features: the wire type the gateway extracts from each request and
//! the AI engine scores, plus the pure helpers both sides use to read the
//! shape of a path, the user agent and the header list.
//!
//! One definition on purpose: if the gateway and the engine each had their
//! own idea of "path depth" or "headless marker", a model trained on one
//! would silently score the other wrong.
//!
//! The helpers never allocate except [`PathShape::of`] when the path holds
//! percent-escapes (it decodes into a scratch string to look for hidden
//! fragments); they are called per request on the gateway's hot path.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::FieldError;

/// Longest accepted path (bytes); longer ones are cut by the gateway.
pub const MAX_PATH_LEN: usize = 8192;
/// Longest accepted user agent (bytes).
pub const MAX_USER_AGENT_LEN: usize = 4096;
/// Most header names sent per request.
pub const MAX_HEADERS: usize = 256;
/// Longest header name.
pub const MAX_HEADER_NAME_LEN: usize = 256;
/// Largest query length we believe (bytes).
pub const MAX_QUERY_LEN: u32 = 1 << 20;
/// Largest latency we believe (one hour, in milliseconds).
pub const MAX_LATENCY_MS: f64 = 3_600_000.0;
/// Earliest accepted timestamp: 2000-01-01T00:00:00Z in Unix milliseconds.
pub const MIN_TIMESTAMP_MS: u64 = 946_684_800_000;
/// Latest accepted timestamp: 2100-01-01T00:00:00Z in Unix milliseconds.
pub const MAX_TIMESTAMP_MS: u64 = 4_102_444_800_000;

/// What the gateway knows about one request when it asks for a verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RequestFeatures {
    /// Client address (after trusted proxy headers are applied).
    #[schema(value_type = String, example = "203.0.113.7")]
    pub client_ip: IpAddr,
    /// HTTP method, e.g. `GET`.
    pub method: String,
    /// Request path without the query, as received (still percent-encoded).
    pub path: String,
    /// Length of the raw query string in bytes (0 when absent).
    #[serde(default)]
    pub query_len: u32,
    /// Header names in the order received (any case).
    #[serde(default)]
    pub header_names: Vec<String>,
    /// `User-Agent` value, when sent.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// Response status, when the request has been answered.
    #[serde(default)]
    pub status: Option<u16>,
    /// Upstream latency in milliseconds, when known.
    #[serde(default)]
    pub latency_ms: Option<f64>,
    /// TLS protocol, e.g. `TLSv1.3` (absent on plain HTTP).
    #[serde(default)]
    pub tls_protocol: Option<String>,
    /// Negotiated key-exchange group, e.g. `X25519MLKEM768`.
    #[serde(default)]
    pub tls_group: Option<String>,
    /// When the gateway saw the request (Unix milliseconds).
    pub timestamp_ms: u64,
}

impl RequestFeatures {
    /// Checks the bounds serde cannot express. Field names are prefixed with
    /// `prefix` (e.g. `items[3].`) so a batch error names the item.
    pub fn validate(&self, prefix: &str) -> Vec<FieldError> {
        let mut errs = Vec::new();
        let mut bad =
            |field: &str, msg: &str| errs.push(FieldError::new(format!("{prefix}{field}"), msg));
        if self.method.is_empty()
            || self.method.len() > 16
            || !self.method.bytes().all(|b| b.is_ascii_alphabetic())
        {
            bad("method", "must be 1 to 16 ASCII letters");
        }
        if !self.path.starts_with('/') && self.path != "*" {
            bad("path", "must start with '/'");
        } else if self.path.len() > MAX_PATH_LEN {
            bad("path", "must be at most 8192 bytes");
        }
        if self.query_len > MAX_QUERY_LEN {
            bad("query_len", "must be at most 1048576");
        }
        if self.header_names.len() > MAX_HEADERS {
            bad("header_names", "must hold at most 256 names");
        } else if let Some(i) = self
            .header_names
            .iter()
            .position(|h| h.is_empty() || h.len() > MAX_HEADER_NAME_LEN)
        {
            bad(&format!("header_names[{i}]"), "must be 1 to 256 bytes");
        }
        if self
            .user_agent
            .as_ref()
            .is_some_and(|u| u.len() > MAX_USER_AGENT_LEN)
        {
            bad("user_agent", "must be at most 4096 bytes");
        }
        if self.status.is_some_and(|s| !(100..=599).contains(&s)) {
            bad("status", "must be between 100 and 599");
        }
        if self
            .latency_ms
            .is_some_and(|l| !l.is_finite() || !(0.0..=MAX_LATENCY_MS).contains(&l))
        {
            bad(
                "latency_ms",
                "must be a finite number between 0 and 3600000",
            );
        }
        if self.tls_protocol.as_ref().is_some_and(|p| p.len() > 32) {
            bad("tls_protocol", "must be at most 32 bytes");
        }
        if self.tls_group.as_ref().is_some_and(|g| g.len() > 64) {
            bad("tls_group", "must be at most 64 bytes");
        }
        if !(MIN_TIMESTAMP_MS..=MAX_TIMESTAMP_MS).contains(&self.timestamp_ms) {
            bad(
                "timestamp_ms",
                "must be Unix milliseconds between 2000-01-01 and 2100-01-01",
            );
        }
        errs
    }
}

/// Case-insensitive substring search; `needle` must be lowercase ASCII.
pub fn contains_ci(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    if n.len() > h.len() {
        return false;
    }
    h.windows(n.len())
        .any(|w| w.iter().zip(n).all(|(a, b)| a.to_ascii_lowercase() == *b))
}

fn contains_any_ci(hay: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| contains_ci(hay, n))
}

/// Traversal fragments, checked on the decoded path.
const TRAVERSAL: &[&str] = &[
    "../",
    "..\\",
    "/etc/passwd",
    "/proc/self",
    "win.ini",
    "%2e%2e",
];
/// SQL injection fragments (lowercase).
const SQLI: &[&str] = &[
    "' or ",
    "'or'",
    "\" or ",
    " or 1=1",
    "union select",
    "union all select",
    "sleep(",
    "benchmark(",
    "information_schema",
    "' --",
    "'--",
    ";--",
    "/*",
    "xp_cmdshell",
    "drop table",
];
/// Script injection fragments (lowercase).
const XSS: &[&str] = &[
    "<script",
    "javascript:",
    "onerror=",
    "onload=",
    "<img",
    "<svg",
    "alert(",
    "document.cookie",
    "<iframe",
];
/// Extensions and names probed by vulnerability scanners.
const PROBED: &[&str] = &[
    ".php",
    ".asp",
    ".aspx",
    ".jsp",
    ".cgi",
    ".env",
    ".git",
    ".bak",
    ".sql",
    ".old",
    ".swp",
    "wp-admin",
    "wp-login",
    "phpmyadmin",
    ".htaccess",
    "/cgi-bin",
    "/actuator",
    "/.aws",
    "/server-status",
    "/config.json",
];
/// Static asset extensions a browser fetches after a page.
const STATIC: &[&str] = &[
    "css", "js", "png", "jpg", "jpeg", "gif", "svg", "ico", "woff", "woff2", "webp", "map",
];
/// Paths that take credentials.
const LOGIN: &[&str] = &[
    "login", "signin", "sign-in", "/auth", "/session", "/token", "password",
];

/// What the path looks like, without any notion of the site's routes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PathShape {
    /// Length in bytes.
    pub len: u16,
    /// Non-empty segments.
    pub depth: u8,
    /// The last segment has an extension.
    pub has_extension: bool,
    /// That extension is a static asset (css, js, images, fonts).
    pub static_asset: bool,
    /// Percent-escapes in the raw path.
    pub percent_escapes: u16,
    /// An escape decodes to another escape (`%252e`): a classic filter bypass.
    pub double_encoded: bool,
    /// Directory traversal or well-known system file.
    pub traversal: bool,
    /// SQL injection fragment.
    pub sqli: bool,
    /// Script injection fragment.
    pub xss: bool,
    /// A name scanners probe for (`.env`, `wp-login.php`, `.git`, ...).
    pub probed: bool,
    /// A login / token endpoint.
    pub login: bool,
}

impl PathShape {
    /// Reads the shape of a raw (percent-encoded) path.
    pub fn of(path: &str) -> Self {
        let escapes = count_escapes(path);
        let decoded;
        let mut twice = None;
        let view: &str = if escapes > 0 {
            decoded = percent_decode(path);
            if count_escapes(&decoded) > 0 {
                twice = Some(percent_decode(&decoded));
            }
            &decoded
        } else {
            path
        };
        let check = |frags: &[&str]| {
            contains_any_ci(view, frags)
                || twice.as_deref().is_some_and(|t| contains_any_ci(t, frags))
        };
        let last = path.rsplit('/').next().unwrap_or("");
        let ext = last
            .rsplit_once('.')
            .map(|(_, e)| e)
            .filter(|e| !e.is_empty() && e.len() <= 8);
        Self {
            len: u16::try_from(path.len()).unwrap_or(u16::MAX),
            depth: u8::try_from(path.split('/').filter(|s| !s.is_empty()).count())
                .unwrap_or(u8::MAX),
            has_extension: ext.is_some(),
            static_asset: ext.is_some_and(|e| STATIC.iter().any(|s| e.eq_ignore_ascii_case(s))),
            percent_escapes: u16::try_from(escapes).unwrap_or(u16::MAX),
            double_encoded: twice.is_some(),
            traversal: check(TRAVERSAL),
            sqli: check(SQLI),
            xss: check(XSS),
            probed: contains_any_ci(view, PROBED),
            login: contains_any_ci(view, LOGIN),
        }
    }
}

fn count_escapes(s: &str) -> usize {
    let b = s.as_bytes();
    b.windows(3)
        .filter(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
        .count()
}

/// Decodes `%XX` escapes (and `+` is left alone: it is a path). Invalid
/// escapes and non-UTF-8 results are kept lossily: we only search it.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = |c: u8| char::from(c).to_digit(16);
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Tokens of a user agent that give a client away.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UaTokens {
    /// Length in bytes (0 when absent).
    pub len: u16,
    /// No user agent, or an empty one.
    pub missing: bool,
    /// Browser automation (Selenium, WebDriver, Puppeteer, Playwright, PhantomJS).
    pub automation: bool,
    /// HTTP library or command-line tool (curl, python-requests, Go, Java, ...).
    pub library: bool,
    /// Self-declared crawler (`bot`, `crawler`, `spider`, ...).
    pub crawler: bool,
    /// Headless browser marker (`HeadlessChrome`, ...).
    pub headless: bool,
    /// Looks like a mainstream browser (`Mozilla/5.0` with an engine token).
    pub browser_like: bool,
}

const AUTOMATION: &[&str] = &[
    "selenium",
    "webdriver",
    "puppeteer",
    "playwright",
    "phantomjs",
    "cypress",
];
const LIBRARY: &[&str] = &[
    "curl/",
    "wget/",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "httpx",
    "go-http-client",
    "java/",
    "okhttp",
    "apache-httpclient",
    "axios/",
    "node-fetch",
    "libwww-perl",
    "scrapy",
    "httpie",
    "ruby",
    "php/",
    "guzzlehttp",
    "postmanruntime",
    "masscan",
    "zgrab",
    "nikto",
    "sqlmap",
    "nuclei",
    "gobuster",
    "dirbuster",
];
const CRAWLER: &[&str] = &[
    "bot",
    "crawler",
    "spider",
    "crawl",
    "slurp",
    "archiver",
    "facebookexternalhit",
];
const HEADLESS: &[&str] = &["headless", "phantomjs", "electron/"];
const ENGINES: &[&str] = &["applewebkit", "gecko/", "chrome/", "firefox/", "safari/"];

impl UaTokens {
    /// Reads a user agent.
    pub fn of(ua: Option<&str>) -> Self {
        let Some(ua) = ua.filter(|u| !u.trim().is_empty()) else {
            return Self {
                missing: true,
                ..Self::default()
            };
        };
        Self {
            len: u16::try_from(ua.len()).unwrap_or(u16::MAX),
            missing: false,
            automation: contains_any_ci(ua, AUTOMATION),
            library: contains_any_ci(ua, LIBRARY),
            crawler: contains_any_ci(ua, CRAWLER),
            headless: contains_any_ci(ua, HEADLESS),
            browser_like: ua.starts_with("Mozilla/5.0") && contains_any_ci(ua, ENGINES),
        }
    }
}

/// A coarse, privacy-preserving family for a user agent, what the console
/// groups TLS sessions by: `Chrome 131` / `Firefox 133` / `Safari 17` /
/// `WebKit` for mainstream browsers (engine as [`ClaimedEngine`] reads it,
/// and the major version), the product name of a library or tool (`curl`,
/// `python-requests`, `go-http-client`; lower case, at most 32 characters),
/// `crawler`, `automation` (headless or driven browsers), `none` (no
/// agent) or `other`. Never the raw agent, which can carry identifiers.
pub fn client_family(ua: Option<&str>) -> String {
    let t = UaTokens::of(ua);
    let Some(ua) = ua.filter(|_| !t.missing) else {
        return "none".to_owned();
    };
    if t.automation || t.headless {
        return "automation".to_owned();
    }
    if t.crawler {
        return "crawler".to_owned();
    }
    let major = |token: &str| -> Option<String> {
        let at = find_ci(ua, token)? + token.len();
        let digits: String = ua[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .take(4)
            .collect();
        (!digits.is_empty()).then_some(digits)
    };
    match ClaimedEngine::of(Some(ua)) {
        ClaimedEngine::Chromium => {
            return major("chrome/").map_or("Chrome".to_owned(), |v| format!("Chrome {v}"));
        }
        ClaimedEngine::Firefox => {
            return major("firefox/").map_or("Firefox".to_owned(), |v| format!("Firefox {v}"));
        }
        ClaimedEngine::WebKit => {
            return major("version/").map_or("WebKit".to_owned(), |v| format!("Safari {v}"));
        }
        ClaimedEngine::None => {}
    }
    if t.library {
        // The product token (RFC 9110 §10.1.5): the name before the first
        // `/` or space.
        let name: String = ua
            .split(['/', ' '])
            .next()
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            .take(32)
            .collect::<String>()
            .to_ascii_lowercase();
        if !name.is_empty() {
            return name;
        }
    }
    "other".to_owned()
}

/// Byte offset of `needle` (ASCII) in `hay`, ignoring ASCII case.
fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let n = needle.as_bytes();
    hay.as_bytes()
        .windows(n.len())
        .position(|w| w.eq_ignore_ascii_case(n))
}

/// Facts about the header list a browser would get right.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderFacts {
    /// Number of headers.
    pub count: u16,
    /// `Accept` present.
    pub accept: bool,
    /// `Accept-Language` present (libraries rarely send it).
    pub accept_language: bool,
    /// `Accept-Encoding` present.
    pub accept_encoding: bool,
    /// Number of `Sec-Fetch-*` headers (browsers send 3 or 4).
    pub sec_fetch: u8,
    /// `Cookie` present.
    pub cookie: bool,
    /// `Referer` present.
    pub referer: bool,
    /// The order browsers use: `User-Agent` before `Accept`, and `Accept`
    /// before `Accept-Encoding` and `Accept-Language`. Libraries that set
    /// `Accept-Encoding` first, or send `Accept` before `User-Agent`, fail it.
    pub browser_order: bool,
}

impl HeaderFacts {
    /// Reads a header-name list in received order.
    pub fn of<S: AsRef<str>>(names: &[S]) -> Self {
        let mut f = Self {
            count: u16::try_from(names.len()).unwrap_or(u16::MAX),
            ..Self::default()
        };
        let (mut ua, mut acc, mut enc, mut lang) = (None, None, None, None);
        for (i, n) in names.iter().enumerate() {
            let n = n.as_ref();
            if n.eq_ignore_ascii_case("user-agent") {
                ua = Some(i);
            } else if n.eq_ignore_ascii_case("accept") {
                acc = Some(i);
                f.accept = true;
            } else if n.eq_ignore_ascii_case("accept-encoding") {
                enc = Some(i);
                f.accept_encoding = true;
            } else if n.eq_ignore_ascii_case("accept-language") {
                lang = Some(i);
                f.accept_language = true;
            } else if n.eq_ignore_ascii_case("cookie") {
                f.cookie = true;
            } else if n.eq_ignore_ascii_case("referer") {
                f.referer = true;
            } else if n.len() > 10 && n.as_bytes()[..10].eq_ignore_ascii_case(b"sec-fetch-") {
                f.sec_fetch = f.sec_fetch.saturating_add(1);
            }
        }
        f.browser_order = match (ua, acc, enc, lang) {
            (Some(u), Some(a), Some(e), Some(l)) => u < a && a < e && a < l,
            _ => false,
        };
        f
    }
}

/// The browser engine a user agent claims to be.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClaimedEngine {
    /// Not a mainstream browser agent (library, crawler, missing, ...).
    #[default]
    None,
    /// Chrome, Edge, Opera, Brave, Electron and other Blink browsers
    /// (`Chrome/` token; not Chrome on iOS, which is WebKit).
    Chromium,
    /// Firefox (`Gecko/` and `Firefox/`).
    Firefox,
    /// Safari and every other WebKit agent (iOS browsers included).
    WebKit,
}

impl ClaimedEngine {
    /// Reads the engine a user agent claims.
    pub fn of(ua: Option<&str>) -> Self {
        let Some(ua) = ua.filter(|u| u.starts_with("Mozilla/5.0")) else {
            return Self::None;
        };
        if contains_ci(ua, "firefox/") && contains_ci(ua, "gecko/") {
            Self::Firefox
        } else if contains_ci(ua, "chrome/") && !contains_ci(ua, "crios/") {
            Self::Chromium
        } else if contains_ci(ua, "applewebkit/") {
            Self::WebKit
        } else {
            Self::None
        }
    }
}

/// Whether the header list fits the browser the user agent claims: what a
/// detector checks when an agent string alone proves nothing (automation
/// frameworks and spoofing scripts copy a real browser's agent, rarely its
/// exact header set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BrowserClaim {
    /// The engine the agent claims.
    pub engine: ClaimedEngine,
    /// Number of `Sec-CH-UA*` client-hint headers sent.
    pub client_hints: u8,
    /// Claims a Chromium browser over TLS but sends no `Sec-CH-UA`: every
    /// Chromium release since 89 (2021) sends the low-entropy client hints to
    /// secure origins on every request. Plain HTTP is exempt (browsers send
    /// no client hints, and no `Sec-Fetch-*`, to insecure origins).
    pub hints_missing: bool,
    /// The header list contradicts the claimed engine: `Accept` before
    /// `User-Agent`; the `Accept-Encoding` / `Accept-Language` pair in the
    /// other engine's order (Chromium sends encoding first, Firefox and
    /// WebKit language first); or client hints from a non-Chromium agent.
    pub profile_mismatch: bool,
}

impl BrowserClaim {
    /// Reads an agent, the header names in received order, and whether the
    /// request came over TLS.
    pub fn of<S: AsRef<str>>(ua: Option<&str>, names: &[S], tls: bool) -> Self {
        let engine = ClaimedEngine::of(ua);
        let (mut ua_at, mut acc, mut enc, mut lang) = (None, None, None, None);
        let mut hints = 0u8;
        for (i, n) in names.iter().enumerate() {
            let n = n.as_ref();
            if n.eq_ignore_ascii_case("user-agent") {
                ua_at = Some(i);
            } else if n.eq_ignore_ascii_case("accept") {
                acc = Some(i);
            } else if n.eq_ignore_ascii_case("accept-encoding") {
                enc = Some(i);
            } else if n.eq_ignore_ascii_case("accept-language") {
                lang = Some(i);
            } else if n.len() >= 9 && n.as_bytes()[..9].eq_ignore_ascii_case(b"sec-ch-ua") {
                hints = hints.saturating_add(1);
            }
        }
        let mut mismatch = false;
        if engine != ClaimedEngine::None {
            if let (Some(u), Some(a)) = (ua_at, acc) {
                mismatch |= a < u;
            }
            if let (Some(e), Some(l)) = (enc, lang) {
                mismatch |= match engine {
                    ClaimedEngine::Chromium => l < e,
                    _ => e < l,
                };
            }
            mismatch |= engine != ClaimedEngine::Chromium && hints > 0;
        }
        Self {
            engine,
            client_hints: hints,
            hints_missing: engine == ClaimedEngine::Chromium && tls && hints == 0,
            profile_mismatch: mismatch,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> RequestFeatures {
        RequestFeatures {
            client_ip: "203.0.113.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
            method: "GET".into(),
            path: "/index.html".into(),
            query_len: 0,
            header_names: vec!["host".into()],
            user_agent: None,
            status: Some(200),
            latency_ms: Some(3.5),
            tls_protocol: Some("TLSv1.3".into()),
            tls_group: Some("X25519MLKEM768".into()),
            timestamp_ms: 1_700_000_000_000,
        }
    }

    #[test]
    fn validation_names_each_field() {
        assert!(sample().validate("").is_empty());
        let mut f = sample();
        f.method = "G ET".into();
        f.path = "no-slash".into();
        f.status = Some(999);
        f.latency_ms = Some(f64::NAN);
        f.timestamp_ms = 5;
        f.header_names = vec!["a".into(), String::new()];
        let fields: Vec<_> = f
            .validate("items[2].")
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "items[2].method",
                "items[2].path",
                "items[2].header_names[1]",
                "items[2].status",
                "items[2].latency_ms",
                "items[2].timestamp_ms"
            ]
        );
        let mut f = sample();
        f.latency_ms = Some(f64::INFINITY);
        f.path = format!("/{}", "a".repeat(MAX_PATH_LEN));
        f.header_names = vec!["x".into(); MAX_HEADERS + 1];
        f.user_agent = Some("u".repeat(MAX_USER_AGENT_LEN + 1));
        assert_eq!(f.validate("").len(), 4);
    }

    #[test]
    fn path_shape_finds_hostile_fragments_through_encodings() {
        let p = PathShape::of("/api/v1/users/42");
        assert_eq!(
            (p.depth, p.has_extension, p.traversal, p.sqli, p.xss),
            (4, false, false, false, false)
        );
        let p = PathShape::of("/static/app.min.CSS");
        assert!(p.has_extension && p.static_asset && !p.probed);
        assert!(PathShape::of("/../../etc/passwd").traversal);
        let p = PathShape::of("/files/%2e%2e%2f%2e%2e%2fetc%2fpasswd");
        assert!(p.traversal && p.percent_escapes == 7 && !p.double_encoded);
        let p = PathShape::of("/files/%252e%252e%252fwin.ini");
        assert!(p.double_encoded && p.traversal);
        assert!(PathShape::of("/item/1%27%20OR%201=1--").sqli);
        assert!(PathShape::of("/search/UNION%20SELECT%20password").sqli);
        assert!(PathShape::of("/q/%3Cscript%3Ealert(1)%3C%2Fscript%3E").xss);
        assert!(PathShape::of("/p/%3Cimg%20src=x%20onerror=alert(1)%3E").xss);
        assert!(PathShape::of("/wp-login.php").probed);
        assert!(PathShape::of("/.env").probed);
        assert!(PathShape::of("/api/login").login && !PathShape::of("/blog/post").login);
        // Broken escapes never panic and are not counted.
        let p = PathShape::of("/bad%zz%4");
        assert_eq!(p.percent_escapes, 0);
        let p = PathShape::of("/%");
        assert_eq!(p.percent_escapes, 0);
        // Invalid UTF-8 after decoding is searched lossily.
        assert!(!PathShape::of("/%ff%fe").traversal);
    }

    #[test]
    fn ua_tokens() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
        let t = UaTokens::of(Some(chrome));
        assert!(t.browser_like && !t.library && !t.crawler && !t.headless && !t.automation);
        let t = UaTokens::of(Some(&chrome.replace("Chrome/", "HeadlessChrome/")));
        assert!(t.headless && t.browser_like);
        assert!(UaTokens::of(Some("python-requests/2.31.0")).library);
        assert!(UaTokens::of(Some("curl/8.4.0")).library);
        assert!(UaTokens::of(Some("Go-http-client/1.1")).library);
        assert!(
            UaTokens::of(Some(
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
            ))
            .crawler
        );
        assert!(UaTokens::of(Some("Mozilla/5.0 Selenium WebDriver")).automation);
        assert!(UaTokens::of(None).missing);
        assert!(UaTokens::of(Some("   ")).missing);
        assert_eq!(UaTokens::of(Some("abc")).len, 3);
    }

    #[test]
    fn header_order_and_presence() {
        let chrome = [
            "Host",
            "Connection",
            "sec-ch-ua",
            "User-Agent",
            "Accept",
            "Sec-Fetch-Site",
            "Sec-Fetch-Mode",
            "Sec-Fetch-Dest",
            "Accept-Encoding",
            "Accept-Language",
            "Cookie",
        ];
        let h = HeaderFacts::of(&chrome);
        assert!(h.browser_order && h.accept_language && h.cookie && !h.referer);
        assert_eq!((h.count, h.sec_fetch), (11, 3));
        // python-requests: Accept-Encoding before Accept, no Accept-Language.
        let h = HeaderFacts::of(&[
            "Host",
            "User-Agent",
            "Accept-Encoding",
            "Accept",
            "Connection",
        ]);
        assert!(!h.browser_order && !h.accept_language && h.accept && h.accept_encoding);
        // All the right headers in the wrong order.
        let h = HeaderFacts::of(&["Accept", "User-Agent", "Accept-Encoding", "Accept-Language"]);
        assert!(!h.browser_order);
        let empty: [&str; 0] = [];
        assert_eq!(HeaderFacts::of(&empty), HeaderFacts::default());
        // A multi-byte character across the prefix length never panics.
        let h = HeaderFacts::of(&["sec-fetché-mode", "sec-ch-uéa", "ééééééé"]);
        assert_eq!(h.sec_fetch, 0);
        let c = BrowserClaim::of(Some(CHROME_UA), &["sec-ch-uéa", "ééééé"], true);
        assert_eq!(c.client_hints, 0);
    }

    const CHROME_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    const FIREFOX_UA: &str =
        "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
    const SAFARI_UA: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15";
    const CHROME_NAV: &[&str] = &[
        "host",
        "sec-ch-ua",
        "sec-ch-ua-mobile",
        "sec-ch-ua-platform",
        "user-agent",
        "accept",
        "sec-fetch-site",
        "accept-encoding",
        "accept-language",
    ];
    const FIREFOX_NAV: &[&str] = &[
        "host",
        "user-agent",
        "accept",
        "accept-language",
        "accept-encoding",
        "sec-fetch-dest",
    ];
    // What an automation framework sends: Accept before User-Agent, no hints.
    const AUTOMATION_NAV: &[&str] = &[
        "host",
        "accept",
        "user-agent",
        "sec-fetch-site",
        "accept-encoding",
        "accept-language",
    ];

    #[test]
    fn claimed_engine() {
        assert_eq!(ClaimedEngine::of(Some(CHROME_UA)), ClaimedEngine::Chromium);
        assert_eq!(
            ClaimedEngine::of(Some(&CHROME_UA.replace("Chrome/", "HeadlessChrome/"))),
            ClaimedEngine::Chromium
        );
        assert_eq!(ClaimedEngine::of(Some(FIREFOX_UA)), ClaimedEngine::Firefox);
        assert_eq!(ClaimedEngine::of(Some(SAFARI_UA)), ClaimedEngine::WebKit);
        let crios = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1";
        assert_eq!(ClaimedEngine::of(Some(crios)), ClaimedEngine::WebKit);
        assert_eq!(ClaimedEngine::of(Some("curl/8.4.0")), ClaimedEngine::None);
        assert_eq!(ClaimedEngine::of(None), ClaimedEngine::None);
    }

    #[test]
    fn browser_claim_checks_headers_against_the_agent() {
        // Real browsers, each with its own header set: consistent.
        let c = BrowserClaim::of(Some(CHROME_UA), CHROME_NAV, true);
        assert_eq!(c.client_hints, 3);
        assert!(!c.hints_missing && !c.profile_mismatch);
        let c = BrowserClaim::of(Some(FIREFOX_UA), FIREFOX_NAV, true);
        assert!(!c.hints_missing && !c.profile_mismatch && c.client_hints == 0);
        let c = BrowserClaim::of(Some(SAFARI_UA), FIREFOX_NAV, true);
        assert!(!c.hints_missing && !c.profile_mismatch);
        // Chrome's agent without client hints over TLS; not over plain HTTP.
        let no_hints: Vec<&str> = CHROME_NAV
            .iter()
            .copied()
            .filter(|h| !h.starts_with("sec-ch"))
            .collect();
        let c = BrowserClaim::of(Some(CHROME_UA), &no_hints, true);
        assert!(c.hints_missing && !c.profile_mismatch);
        assert!(!BrowserClaim::of(Some(CHROME_UA), &no_hints, false).hints_missing);
        // Automation order under any browser agent.
        for ua in [CHROME_UA, FIREFOX_UA, SAFARI_UA] {
            assert!(BrowserClaim::of(Some(ua), AUTOMATION_NAV, true).profile_mismatch);
        }
        // Chrome's header set under a Firefox or Safari agent (encoding
        // before language, client hints).
        assert!(BrowserClaim::of(Some(FIREFOX_UA), CHROME_NAV, true).profile_mismatch);
        assert!(BrowserClaim::of(Some(SAFARI_UA), CHROME_NAV, true).profile_mismatch);
        // Firefox's order under a Chrome agent.
        assert!(BrowserClaim::of(Some(CHROME_UA), FIREFOX_NAV, true).profile_mismatch);
        // No browser claim: nothing to contradict.
        let c = BrowserClaim::of(Some("python-requests/2.31.0"), AUTOMATION_NAV, true);
        assert_eq!(c, BrowserClaim::default());
        let empty: [&str; 0] = [];
        assert!(BrowserClaim::of(Some(CHROME_UA), &empty, true).hints_missing);
    }

    /// Agents as the clients send them: Chrome 131 on Windows and Firefox
    /// 133 (their documented formats: developer.chrome.com "User-Agent
    /// reduction", developer.mozilla.org "User-Agent" reference), Safari 17
    /// on macOS, curl 7.88.1 (Debian 12's curl), python-requests 2.28.1
    /// (Debian 12's python3-requests), Go's net/http default, Googlebot.
    #[test]
    fn client_family_reads_real_agents() {
        let cases = [
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36", "Chrome 131"),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", "Firefox 133"),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15", "Safari 17"),
            ("curl/7.88.1", "curl"),
            ("python-requests/2.28.1", "python-requests"),
            ("Go-http-client/1.1", "go-http-client"),
            ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "crawler"),
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36", "automation"),
            ("", "none"),
            ("SomethingElse", "other"),
        ];
        for (ua, want) in cases {
            assert_eq!(client_family(Some(ua)), want, "{ua}");
        }
        assert_eq!(client_family(None), "none");
    }
}
