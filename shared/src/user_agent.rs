//! Reading a user agent: the tokens that give a client away
//! ([`UaTokens`]), the browser engine it claims ([`ClaimedEngine`]) and the
//! coarse family the console groups TLS sessions by ([`client_family`]).
//! Used by the gateway (the family of a connection's first request) and the
//! AI engine (model inputs), so both read an agent the same way. Pure; no
//! allocation except the family's name.

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

/// Whether `hay` contains any of `needles` (lowercase ASCII), ignoring
/// ASCII case.
pub fn contains_any_ci(hay: &str, needles: &[&str]) -> bool {
    needles.iter().any(|n| contains_ci(hay, n))
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

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    const FIREFOX_UA: &str =
        "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
    const SAFARI_UA: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15";

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
