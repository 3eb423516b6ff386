//! What a request's path and header list look like ([`PathShape`],
//! [`HeaderFacts`]) and whether the headers fit the browser the user agent
//! claims ([`BrowserClaim`]): the feature engineering the model's vector
//! (`vector.rs`) and the training data (`train.rs`) read from the gateway's
//! raw [`shared::features::RequestFeatures`]. The user agent itself is read
//! by [`shared::user_agent`] (the gateway groups sessions by it too).
//!
//! Never allocates except [`PathShape::of`] when the path holds
//! percent-escapes (it decodes into a scratch string to look for hidden
//! fragments).

use shared::user_agent::{contains_any_ci, ClaimedEngine};

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
}
