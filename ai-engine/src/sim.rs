//! Seeded traffic simulator: human browsing sessions and bot families,
//! labelled, for training and evaluation (`ai-engine generate`).
//!
//! User agents come from real data shipped by npm packages (see
//! `data/SOURCES.md`): browsers from `top-user-agents`, crawlers from
//! `crawler-user-agents`; library and scanner agents are the strings those
//! tools really send. The same seed always gives the same traffic.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::OnceLock;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use shared::features::RequestFeatures;

/// A labelled request (one JSON line).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labelled {
    /// What the gateway would send.
    pub features: RequestFeatures,
    /// Ground truth: a bot.
    pub bot: bool,
    /// `human` or the bot family.
    pub family: String,
    /// Session number (one client).
    pub session: u32,
}

/// Every family the simulator knows, `human` first.
pub const FAMILIES: [&str; 7] = [
    "human",
    "scraper",
    "credential_stuffing",
    "scanner",
    "api_abuse",
    "headless",
    "low_and_slow",
];

/// Families kept out of training by default (reported separately).
pub const DEFAULT_HELD_OUT: [&str; 2] = ["headless", "low_and_slow"];

const TOP_UAS: &str = include_str!("../data/top-user-agents.json");
const CRAWLER_UAS: &str = include_str!("../data/crawler-user-agents.json");

/// The browsers people use: the top list, less any agent no browser sends
/// (one entry, Chrome's product token without Chrome's engine tokens, ranks
/// there by a scraper's volume; see [`crate::agent::Flaw`]).
fn browser_uas() -> &'static [String] {
    static V: OnceLock<Vec<String>> = OnceLock::new();
    V.get_or_init(|| {
        serde_json::from_str::<Vec<String>>(TOP_UAS)
            .unwrap_or_default()
            .into_iter()
            .filter(|u| crate::agent::Flaw::of(u).is_none())
            .collect()
    })
}

/// Every agent string the simulator draws from (browsers, crawlers,
/// libraries, scanners): what the learned model was trained on, so an
/// evaluation can tell which of its agents the model has seen verbatim.
pub fn training_agents() -> impl Iterator<Item = &'static str> {
    browser_uas()
        .iter()
        .chain(crawler_uas())
        .map(String::as_str)
        .chain(LIBRARY_UAS.iter().copied())
        .chain(SCANNER_UAS.iter().copied())
}

fn crawler_uas() -> &'static [String] {
    #[derive(Deserialize)]
    struct Entry {
        #[serde(default)]
        instances: Vec<String>,
    }
    static V: OnceLock<Vec<String>> = OnceLock::new();
    V.get_or_init(|| {
        serde_json::from_str::<Vec<Entry>>(CRAWLER_UAS)
            .unwrap_or_default()
            .into_iter()
            .flat_map(|e| e.instances)
            .filter(|s| !s.is_empty() && s.len() < 1024)
            .collect()
    })
}

/// The strings HTTP libraries and tools send.
const LIBRARY_UAS: &[&str] = &[
    "python-requests/2.31.0",
    "python-requests/2.28.2",
    "Python-urllib/3.11",
    "curl/8.4.0",
    "curl/7.81.0",
    "Go-http-client/1.1",
    "Go-http-client/2.0",
    "okhttp/4.12.0",
    "axios/1.6.2",
    "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
    "Java/17.0.2",
    "Apache-HttpClient/4.5.14 (Java/17.0.8)",
    "Wget/1.21.2",
    "aiohttp/3.9.1",
    "Scrapy/2.11.0 (+https://scrapy.org)",
    "libwww-perl/6.72",
];
const SCANNER_UAS: &[&str] = &[
    "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:Port Check)",
    "sqlmap/1.7.11#stable (https://sqlmap.org)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 nuclei",
    "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
    "zgrab/0.x",
    "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
    "gobuster/3.6",
    "curl/7.68.0",
];

/// Header names of a Chrome navigation over TLS, in the order Chrome sends them.
pub const CHROME_HEADERS: &[&str] = &[
    "host",
    "connection",
    "sec-ch-ua",
    "sec-ch-ua-mobile",
    "sec-ch-ua-platform",
    "upgrade-insecure-requests",
    "user-agent",
    "accept",
    "sec-fetch-site",
    "sec-fetch-mode",
    "sec-fetch-user",
    "sec-fetch-dest",
    "accept-encoding",
    "accept-language",
];
/// Header names of a Firefox navigation, in the order Firefox sends them.
pub const FIREFOX_HEADERS: &[&str] = &[
    "host",
    "user-agent",
    "accept",
    "accept-language",
    "accept-encoding",
    "connection",
    "upgrade-insecure-requests",
    "sec-fetch-dest",
    "sec-fetch-mode",
    "sec-fetch-site",
    "sec-fetch-user",
];
/// Header names of a Safari navigation, in the order the simulator uses.
pub const SAFARI_HEADERS: &[&str] = &[
    "host",
    "user-agent",
    "accept",
    "sec-fetch-site",
    "sec-fetch-dest",
    "accept-language",
    "sec-fetch-mode",
    "accept-encoding",
    "connection",
];
const REQUESTS_HEADERS: &[&str] = &[
    "host",
    "user-agent",
    "accept-encoding",
    "accept",
    "connection",
];
const CURL_HEADERS: &[&str] = &["host", "user-agent", "accept"];
const GO_HEADERS: &[&str] = &["host", "user-agent", "accept-encoding"];
const NODE_HEADERS: &[&str] = &[
    "accept",
    "user-agent",
    "accept-encoding",
    "host",
    "connection",
];
const SPOOF_HEADERS: &[&str] = &[
    "host",
    "user-agent",
    "accept",
    "accept-encoding",
    "connection",
];
const PUPPETEER_HEADERS: &[&str] = &[
    "host",
    "connection",
    "accept",
    "user-agent",
    "sec-fetch-site",
    "sec-fetch-mode",
    "sec-fetch-dest",
    "accept-encoding",
    "accept-language",
];

const PAGES: &[&str] = &[
    "/",
    "/products",
    "/products/category/shoes",
    "/products/category/bags",
    "/blog",
    "/about",
    "/cart",
    "/checkout",
    "/account",
    "/search",
    "/help/shipping",
    "/contact",
];
const ASSETS: &[&str] = &[
    "/static/app.js",
    "/static/vendor.js",
    "/static/site.css",
    "/static/logo.svg",
    "/static/fonts/inter.woff2",
    "/favicon.ico",
    "/static/img/hero.webp",
];
const PROBES: &[&str] = &[
    "/.env",
    "/.git/config",
    "/wp-login.php",
    "/wp-admin/setup-config.php",
    "/phpmyadmin/index.php",
    "/admin/config.php",
    "/server-status",
    "/actuator/env",
    "/.aws/credentials",
    "/backup.sql",
    "/config.json",
    "/cgi-bin/test.cgi",
    "/index.php?id=1",
    "/../../../../etc/passwd",
    "/static/..%2f..%2f..%2fetc%2fpasswd",
    "/download/%252e%252e%252fwin.ini",
    "/search/1%27%20OR%201=1--",
    "/item/1%20UNION%20SELECT%20username,password%20FROM%20users",
    "/q/%3Cscript%3Ealert(1)%3C/script%3E",
    "/p/%3Cimg%20src=x%20onerror=alert(1)%3E",
    "/api/v1/users?id=1;--",
    "/old/index.bak",
    "/.htaccess",
    "/WEB-INF/web.xml",
    "/login.aspx",
];

/// Generation options.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// RNG seed.
    pub seed: u64,
    /// Human sessions.
    pub humans: usize,
    /// Sessions per bot family.
    pub bots_per_family: usize,
    /// Families to produce (`human` included or not).
    pub families: Vec<String>,
    /// Start of the simulated hour (Unix ms).
    pub start_ms: u64,
}

impl SimOptions {
    /// All families, the given seed and sizes.
    pub fn new(seed: u64, humans: usize, bots_per_family: usize) -> Self {
        Self {
            seed,
            humans,
            bots_per_family,
            families: FAMILIES.iter().map(|s| (*s).to_owned()).collect(),
            start_ms: 1_763_800_000_000,
        }
    }
}

struct Session<'a> {
    rng: &'a mut StdRng,
    out: &'a mut Vec<Labelled>,
    ip: IpAddr,
    ua: Option<String>,
    headers: Vec<String>,
    family: &'static str,
    id: u32,
    t: u64,
    tls: bool,
}

impl Session<'_> {
    fn emit(&mut self, method: &str, path: &str, query_len: u32, status: u16, extra: &[&str]) {
        let mut headers = self.headers.clone();
        headers.extend(extra.iter().map(|s| (*s).to_owned()));
        let latency = self.rng.gen_range(2.0..250.0_f64);
        let group = if self.rng.gen_bool(0.7) {
            "X25519MLKEM768"
        } else {
            "X25519"
        };
        self.out.push(Labelled {
            features: RequestFeatures {
                client_ip: self.ip,
                method: method.to_owned(),
                path: path.to_owned(),
                query_len,
                header_names: headers,
                user_agent: self.ua.clone(),
                status: Some(status),
                latency_ms: Some((latency * 10.0).round() / 10.0),
                tls_protocol: self.tls.then(|| "TLSv1.3".to_owned()),
                tls_group: self.tls.then(|| group.to_owned()),
                timestamp_ms: self.t,
            },
            bot: self.family != "human",
            family: self.family.to_owned(),
            session: self.id,
        });
    }

    /// Advances by a gap around `mean_ms` with coefficient of variation `cv`.
    fn wait(&mut self, mean_ms: f64, cv: f64) {
        let g = if cv <= 0.0 {
            mean_ms
        } else {
            // Log-normal with the requested mean and spread.
            let s2 = (1.0 + cv * cv).ln();
            let mu = mean_ms.ln() - s2 / 2.0;
            let n: f64 = sample_normal(self.rng);
            (mu + s2.sqrt() * n).exp()
        };
        self.t += g.clamp(1.0, 3_600_000.0) as u64;
    }
}

fn sample_normal(rng: &mut StdRng) -> f64 {
    // Box-Muller: enough for a simulator, no extra dependency.
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn owned(h: &[&str]) -> Vec<String> {
    h.iter().map(|s| (*s).to_owned()).collect()
}

fn pick<'a>(rng: &mut StdRng, v: &'a [&'a str]) -> &'a str {
    v.choose(rng).copied().unwrap_or("/")
}

fn browser_ua(rng: &mut StdRng) -> String {
    browser_uas().choose(rng).cloned().unwrap_or_else(|| {
        "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0".into()
    })
}

fn headers_for_browser(ua: &str) -> &'static [&'static str] {
    if ua.contains("Firefox/") {
        FIREFOX_HEADERS
    } else if ua.contains("Chrome/") || ua.contains("Edg/") {
        CHROME_HEADERS
    } else {
        SAFARI_HEADERS
    }
}

/// Generates labelled traffic sorted by time.
pub fn generate(opts: &SimOptions) -> Vec<Labelled> {
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let mut out = Vec::new();
    let mut id = 0u32;
    let wants = |f: &str| opts.families.iter().any(|x| x == f);
    let mut plan: Vec<&'static str> = Vec::new();
    if wants("human") {
        plan.extend(std::iter::repeat_n("human", opts.humans));
    }
    for f in &FAMILIES[1..] {
        if wants(f) {
            plan.extend(std::iter::repeat_n(*f, opts.bots_per_family));
        }
    }
    for family in plan {
        id += 1;
        // Distinct addresses per session, in a documentation-like private range.
        let ip = IpAddr::V4(Ipv4Addr::from(
            0x0a00_0000u32 + id * 7 + rng.gen_range(0..7),
        ));
        let t = opts.start_ms + rng.gen_range(0..3_600_000);
        let mut s = Session {
            rng: &mut rng,
            out: &mut out,
            ip,
            ua: None,
            headers: Vec::new(),
            family,
            id,
            t,
            tls: true,
        };
        match family {
            "human" => human(&mut s),
            "scraper" => scraper(&mut s),
            "credential_stuffing" => stuffing(&mut s),
            "scanner" => scanner(&mut s),
            "api_abuse" => api_abuse(&mut s),
            "headless" => headless(&mut s),
            _ => low_and_slow(&mut s),
        }
    }
    out.sort_by_key(|l| (l.features.timestamp_ms, l.session));
    out
}

fn human(s: &mut Session<'_>) {
    let ua = browser_ua(s.rng);
    let mut h = owned(headers_for_browser(&ua));
    // Some privacy setups strip Sec-Fetch or reorder; a few old browsers.
    if s.rng.gen_bool(0.05) {
        h.retain(|x| !x.starts_with("sec-"));
    }
    s.tls = s.rng.gen_bool(0.97);
    // Browsers send neither client hints nor Sec-Fetch-* to insecure origins.
    if !s.tls {
        h.retain(|x| !x.starts_with("sec-"));
    }
    // A few sit behind a proxy or antivirus that rewrites the header block
    // (names re-sorted), so header order is not a clean human signal.
    if s.rng.gen_bool(0.02) {
        h.sort();
    }
    s.headers = h;
    s.ua = Some(ua);
    // Returning visitors carry the site's cookie from their first request.
    let returning = s.rng.gen_bool(0.4);
    let pages = s.rng.gen_range(2..30);
    let mut first = true;
    for _ in 0..pages {
        let roll = s.rng.gen_range(0..100);
        let (method, path, q, status): (&str, String, u32, u16) = if roll < 10 {
            (
                "GET",
                format!("/products/{}", s.rng.gen_range(1..5000)),
                0,
                200,
            )
        } else if roll < 14 {
            let st = if s.rng.gen_bool(0.3) { 401 } else { 302 };
            ("POST", "/login".into(), 0, st)
        } else if roll < 22 {
            ("GET", "/search".into(), s.rng.gen_range(3..60), 200)
        } else if roll < 30 {
            (
                "GET",
                format!("/blog/post-{}", s.rng.gen_range(1..300)),
                0,
                200,
            )
        } else if roll < 32 {
            (
                "GET",
                format!("/products/{}", s.rng.gen_range(5000..9000)),
                0,
                404,
            )
        } else {
            ("GET", pick(s.rng, PAGES).to_owned(), 0, 200)
        };
        // Later pages come from a link (Referer) except typed addresses and
        // bookmarks.
        let extra: &[&str] = match (first, returning) {
            (true, false) => &[],
            (true, true) => &["cookie"],
            (false, _) if s.rng.gen_bool(0.1) => &["cookie"],
            (false, _) => &["referer", "cookie"],
        };
        s.emit(method, &path, q, status, extra);
        first = false;
        // The page's assets, fetched at once unless cached.
        if s.rng.gen_bool(0.6) {
            for _ in 0..s.rng.gen_range(1..7) {
                s.wait(60.0, 0.8);
                let a = pick(s.rng, ASSETS).to_owned();
                let st = if s.rng.gen_bool(0.3) { 304 } else { 200 };
                s.emit("GET", &a, 0, st, &["referer", "cookie"]);
            }
        }
        // Reading time.
        let read_ms = s.rng.gen_range(3_000.0..40_000.0);
        s.wait(read_ms, 1.0);
    }
}

fn scraper(s: &mut Session<'_>) {
    let roll = s.rng.gen_range(0..10);
    if roll < 6 {
        s.ua = crawler_uas().choose(s.rng).cloned();
        s.headers = owned(if s.rng.gen_bool(0.5) {
            CURL_HEADERS
        } else {
            SPOOF_HEADERS
        });
    } else if roll < 9 {
        s.ua = Some(pick(s.rng, LIBRARY_UAS).to_owned());
        s.headers = owned(REQUESTS_HEADERS);
    } else {
        // Spoofed browser agent, library headers.
        s.ua = Some(browser_ua(s.rng));
        s.headers = owned(SPOOF_HEADERS);
    }
    let n = s.rng.gen_range(20..120);
    let gap = s.rng.gen_range(500.0..4_000.0);
    let cv = s.rng.gen_range(0.05..0.4);
    let mut id = s.rng.gen_range(1..5000);
    for _ in 0..n {
        id += 1;
        let st = if s.rng.gen_bool(0.08) { 404 } else { 200 };
        let path = format!("/products/{id}");
        s.emit("GET", &path, 0, st, &[]);
        s.wait(gap, cv);
    }
}

fn stuffing(s: &mut Session<'_>) {
    if s.rng.gen_bool(0.6) {
        s.ua = Some(pick(s.rng, LIBRARY_UAS).to_owned());
        s.headers = owned(if s.rng.gen_bool(0.5) {
            REQUESTS_HEADERS
        } else {
            GO_HEADERS
        });
    } else {
        s.ua = Some(browser_ua(s.rng));
        s.headers = owned(SPOOF_HEADERS);
    }
    let path = if s.rng.gen_bool(0.5) {
        "/login"
    } else {
        "/api/v1/auth/token"
    };
    let n = s.rng.gen_range(30..150);
    let gap = s.rng.gen_range(80.0..800.0);
    for _ in 0..n {
        let st = if s.rng.gen_bool(0.97) { 401 } else { 200 };
        s.emit("POST", path, 0, st, &["content-type", "content-length"]);
        s.wait(gap, 0.3);
    }
}

fn scanner(s: &mut Session<'_>) {
    let roll = s.rng.gen_range(0..10);
    if roll < 6 {
        s.ua = Some(pick(s.rng, SCANNER_UAS).to_owned());
    } else if roll < 8 {
        s.ua = None;
    } else {
        s.ua = Some(browser_ua(s.rng));
    }
    s.headers = owned(if s.rng.gen_bool(0.5) {
        CURL_HEADERS
    } else {
        GO_HEADERS
    });
    if s.ua.is_none() {
        s.headers.retain(|h| h != "user-agent");
    }
    s.tls = s.rng.gen_bool(0.6);
    let n = s.rng.gen_range(15..80);
    let gap = s.rng.gen_range(50.0..2_000.0);
    for _ in 0..n {
        let p = pick(s.rng, PROBES).to_owned();
        let st = match s.rng.gen_range(0..10) {
            0 => 403,
            1 => 400,
            _ => 404,
        };
        let method = if s.rng.gen_bool(0.1) {
            "OPTIONS"
        } else {
            "GET"
        };
        s.emit(method, &p, 0, st, &[]);
        s.wait(gap, 0.5);
    }
}

fn api_abuse(s: &mut Session<'_>) {
    s.ua = Some(pick(s.rng, LIBRARY_UAS).to_owned());
    s.headers = owned(if s.rng.gen_bool(0.5) {
        NODE_HEADERS
    } else {
        GO_HEADERS
    });
    let n = s.rng.gen_range(60..200);
    let gap = s.rng.gen_range(20.0..200.0);
    let endpoint = pick(
        s.rng,
        &[
            "/api/v1/items",
            "/api/v1/prices",
            "/api/v1/search",
            "/api/v1/stock",
        ],
    )
    .to_owned();
    for i in 0..n {
        let st = if i > 50 && s.rng.gen_bool(0.4) {
            429
        } else {
            200
        };
        let q = s.rng.gen_range(8..40);
        s.emit("GET", &endpoint, q, st, &["authorization"]);
        s.wait(gap, 0.2);
    }
}

fn headless(s: &mut Session<'_>) {
    let ua = browser_ua(s.rng);
    s.ua = Some(if s.rng.gen_bool(0.5) {
        ua.replace("Chrome/", "HeadlessChrome/")
    } else {
        ua
    });
    let mut h = owned(PUPPETEER_HEADERS);
    if s.rng.gen_bool(0.5) {
        h.retain(|x| x != "accept-language");
    }
    s.headers = h;
    let n = s.rng.gen_range(20..80);
    let gap = s.rng.gen_range(1_000.0..4_000.0);
    for _ in 0..n {
        let path = format!("/products/{}", s.rng.gen_range(1..5000));
        s.emit("GET", &path, 0, 200, &["cookie"]);
        s.wait(gap, 0.3);
    }
}

fn low_and_slow(s: &mut Session<'_>) {
    s.ua = Some(browser_ua(s.rng));
    s.headers = owned(SPOOF_HEADERS);
    let n = s.rng.gen_range(10..40);
    let gap = s.rng.gen_range(20_000.0..60_000.0);
    let mut id = s.rng.gen_range(1..5000);
    for _ in 0..n {
        id += 1;
        let path = if s.rng.gen_bool(0.3) {
            "/login".to_owned()
        } else {
            format!("/products/{id}")
        };
        let st = if path == "/login" { 401 } else { 200 };
        let method = if path == "/login" { "POST" } else { "GET" };
        s.emit(method, &path, 0, st, &[]);
        s.wait(gap, 0.03);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_files_load_and_generation_is_seeded() {
        assert_eq!(browser_uas().len(), 99);
        assert!(crawler_uas().len() > 1000);
        let a = generate(&SimOptions::new(1, 5, 2));
        let b = generate(&SimOptions::new(1, 5, 2));
        let c = generate(&SimOptions::new(2, 5, 2));
        assert_eq!(a, b);
        assert_ne!(a, c);
        for f in FAMILIES {
            assert!(a.iter().any(|l| l.family == f), "{f}");
        }
        assert!(a
            .windows(2)
            .all(|w| w[0].features.timestamp_ms <= w[1].features.timestamp_ms));
        assert!(a.iter().all(|l| l.features.validate("").is_empty()));
    }
}
