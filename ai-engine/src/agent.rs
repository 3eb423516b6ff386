//! Agent-string knowledge: the second evidence channel beside the learned
//! model.
//!
//! The learned model reads the shape of a request (headers, path, pacing);
//! a bot that sends a browser's header set looks like a browser to it even
//! when its `User-Agent` says `Uptime-Kuma/1.23.16`. This channel reads the
//! agent string against public pattern lists kept by the projects that
//! maintain them (not a list typed here), loaded as data so an operator can
//! update them without a rebuild (`QSGW_AI_AGENT_LISTS`):
//!
//! - npm `isbot` (Unlicense): generic patterns for bots, crawlers, HTTP
//!   libraries, monitoring services, headless and automation markers
//!   (`headless`, `phantomjs`, `selenium`, `playwright`), applied
//!   case-insensitively as isbot does;
//! - npm `crawler-user-agents` (MIT): named crawlers, applied
//!   case-sensitively as its own `is_crawler` does.
//!
//! Plus structural checks that no list can express: a browser agent whose
//! tokens contradict each other ([`Flaw`]).
//!
//! Either channel can raise the verdict: the bot score is the larger of the
//! model's probability and this channel's ([`AgentEvidence::bot_probability`]).
//!
//! isbot writes a few patterns with look-around (`(?<!lib)http`), which the
//! `regex` crate's automata do not support. Every other pattern is compiled
//! into one `regex::RegexSet`; the look-around ones into a second, small set
//! with their look-around removed (a superset of what they match), and only
//! a hit there is confirmed with `fancy-regex`. A browser agent, which hits
//! nothing, costs one pass of each set's automaton.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use regex::{RegexSet, RegexSetBuilder};

/// The isbot list built into the binary (`data/isbot-patterns.json`).
const ISBOT: &[u8] = include_bytes!("../data/isbot-patterns.json");
/// The crawler-user-agents list built into the binary.
const CRAWLER_USER_AGENTS: &[u8] = include_bytes!("../data/crawler-user-agents.json");

/// Bot probability of an agent a pattern list names: it says so itself.
pub const LISTED_P: f64 = 0.99;
/// Bot probability of a browser agent whose tokens contradict each other:
/// no browser release sends it, so it was written by hand or a tool.
pub const FLAW_P: f64 = 0.95;

/// Longest pattern accepted from a list file (bytes).
const MAX_PATTERN_LEN: usize = 1024;
/// Most patterns across all lists.
const MAX_PATTERNS: usize = 20_000;
/// Compiled size limit of the pattern set (bytes).
const SET_SIZE_LIMIT: usize = 256 << 20;

/// Why a pattern list is refused.
#[derive(Debug, thiserror::Error)]
#[error("{list}: {message}")]
pub struct ListError {
    /// Which list (file name or built-in name).
    pub list: String,
    /// What is wrong, naming the pattern.
    pub message: String,
}

/// One pattern list as read.
#[derive(Debug, Clone)]
pub struct PatternList {
    /// Where it came from (file path or built-in name).
    pub name: String,
    /// Applied case-insensitively (isbot's convention) or not
    /// (crawler-user-agents').
    pub case_insensitive: bool,
    /// The regular expressions.
    pub patterns: Vec<String>,
}

impl PatternList {
    /// Reads a list in either published layout: a JSON array of strings
    /// (isbot's `list` export, applied case-insensitively) or a JSON array
    /// of objects with a `pattern` field (crawler-user-agents.json, applied
    /// case-sensitively).
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Self, ListError> {
        let err = |message: String| ListError {
            list: name.to_owned(),
            message,
        };
        let v: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| err(format!("not JSON: {e}")))?;
        let items = v
            .as_array()
            .ok_or_else(|| err("must be a JSON array".into()))?;
        if items.is_empty() {
            return Err(err("holds no pattern".into()));
        }
        let case_insensitive = items[0].is_string();
        let mut patterns = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            let p = if case_insensitive {
                it.as_str()
            } else {
                it.get("pattern").and_then(|p| p.as_str())
            };
            let p = p.ok_or_else(|| {
                err(format!(
                    "item {i} must be {} like item 0",
                    if case_insensitive {
                        "a string"
                    } else {
                        "an object with a string \"pattern\""
                    }
                ))
            })?;
            if p.is_empty() || p.len() > MAX_PATTERN_LEN {
                return Err(err(format!(
                    "item {i}: a pattern must be 1 to {MAX_PATTERN_LEN} bytes"
                )));
            }
            patterns.push(p.to_owned());
        }
        Ok(Self {
            name: name.to_owned(),
            case_insensitive,
            patterns,
        })
    }

    /// Reads a list file.
    pub fn read(path: &Path) -> Result<Self, ListError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| ListError {
            list: name.clone(),
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(&name, &bytes)
    }
}

/// A browser agent whose tokens contradict each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// `Mozilla/5.0 (...)` followed by no rendering-engine token
    /// (`AppleWebKit/`, `Gecko`, `Trident/`, `Presto/`, `Goanna/`): every
    /// browser that sends the `Mozilla/5.0` prefix names its engine.
    NoEngine,
    /// `Firefox/N` (N ≥ 5) with a different `rv:` major: Firefox sends its
    /// own version in `rv:` since Firefox 5, except 110 to 119, which kept
    /// `rv:109.0`.
    FirefoxRvVersion,
}

impl Flaw {
    /// Reason name.
    pub fn feature(self) -> &'static str {
        match self {
            Self::NoEngine => "agent_no_engine",
            Self::FirefoxRvVersion => "agent_firefox_rv_version",
        }
    }

    /// Checks a browser-like agent's tokens against each other.
    pub fn of(ua: &str) -> Option<Self> {
        if !ua.starts_with("Mozilla/5.0 (") {
            return None;
        }
        const ENGINES: [&str; 5] = ["AppleWebKit/", "Gecko", "Trident/", "Presto/", "Goanna/"];
        if !ENGINES.iter().any(|e| ua.contains(e)) {
            return Some(Self::NoEngine);
        }
        if let (Some(fx), Some(rv)) = (version_after(ua, "Firefox/"), version_after(ua, "rv:")) {
            let frozen = rv == 109 && (110..=119).contains(&fx);
            if fx >= 5 && rv != fx && !frozen {
                return Some(Self::FirefoxRvVersion);
            }
        }
        None
    }
}

/// The major version number right after `token`, if any.
fn version_after(ua: &str, token: &str) -> Option<u32> {
    let i = ua.find(token)? + token.len();
    let digits = ua[i..].bytes().take_while(u8::is_ascii_digit).count();
    ua[i..i + digits].parse().ok()
}

/// What the agent string says about the client.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AgentEvidence {
    /// A listed pattern matches ([`AgentKnowledge::find`] says which).
    pub listed: bool,
    /// A structural contradiction.
    pub flaw: Option<Flaw>,
}

impl AgentEvidence {
    /// The channel's bot probability (0 when it knows nothing) and the
    /// reason name.
    pub fn bot_probability(&self) -> Option<(f64, &'static str)> {
        if self.listed {
            Some((LISTED_P, "agent_listed"))
        } else {
            self.flaw.map(|f| (FLAW_P, f.feature()))
        }
    }
}

/// The compiled lists.
#[derive(Debug)]
pub struct AgentKnowledge {
    /// Every pattern without look-around: a hit is a match.
    plain: RegexSet,
    /// Index (into `patterns`) of each `plain` member.
    plain_index: Vec<u32>,
    /// The look-around patterns with their look-around removed (supersets).
    loose: RegexSet,
    /// The same patterns exact, with their index, to confirm a `loose` hit.
    exact: Vec<(u32, fancy_regex::Regex)>,
    lists: Vec<(String, usize)>,
    /// Every pattern as written, in list order, with its list.
    patterns: Vec<(u16, String)>,
    /// Whether the structural checks run ([`Flaw`]).
    structural: bool,
}

fn build_set(src: &[String]) -> Result<RegexSet, regex::Error> {
    RegexSetBuilder::new(src)
        .size_limit(SET_SIZE_LIMIT)
        .dfa_size_limit(SET_SIZE_LIMIT)
        .build()
}

impl AgentKnowledge {
    /// Compiles lists; errors name the list and the pattern.
    pub fn compile(lists: &[PatternList]) -> Result<Self, ListError> {
        let total: usize = lists.iter().map(|l| l.patterns.len()).sum();
        if total > MAX_PATTERNS {
            return Err(ListError {
                list: "agent lists".into(),
                message: format!("{total} patterns, at most {MAX_PATTERNS}"),
            });
        }
        let (mut plain_src, mut plain_index) = (Vec::new(), Vec::new());
        let (mut loose_src, mut exact) = (Vec::new(), Vec::new());
        let mut patterns = Vec::with_capacity(total);
        // Where each set member came from, to name it in an error.
        let (mut plain_at, mut loose_at) = (Vec::new(), Vec::new());
        for (li, l) in lists.iter().enumerate() {
            let flags = if l.case_insensitive { "(?i)" } else { "" };
            for (pi, p) in l.patterns.iter().enumerate() {
                let index = u32::try_from(patterns.len()).unwrap_or(u32::MAX);
                let p_rs = js_class_dashes(p);
                let (loose, had_lookaround) = strip_lookaround(&p_rs);
                if had_lookaround {
                    let re = fancy_regex::Regex::new(&format!("{flags}{p_rs}")).map_err(|e| {
                        ListError {
                            list: l.name.clone(),
                            message: format!("pattern {pi} ({p:?}): {}", one_line(&e.to_string())),
                        }
                    })?;
                    exact.push((index, re));
                    loose_src.push(format!("{flags}(?:{loose})"));
                    loose_at.push((li, pi));
                } else {
                    plain_src.push(format!("{flags}(?:{loose})"));
                    plain_index.push(index);
                    plain_at.push((li, pi));
                }
                patterns.push((u16::try_from(li).unwrap_or(u16::MAX), p.clone()));
            }
        }
        let named = |src: &[String], at: &[(usize, usize)], e: regex::Error| {
            // Name the pattern: the first that fails on its own.
            match src.iter().position(|p| regex::Regex::new(p).is_err()) {
                Some(i) => {
                    let (li, pi) = at[i];
                    ListError {
                        list: lists[li].name.clone(),
                        message: format!(
                            "pattern {pi} ({:?}): {}",
                            lists[li].patterns[pi],
                            one_line(&e.to_string())
                        ),
                    }
                }
                None => ListError {
                    list: "agent lists".into(),
                    message: one_line(&e.to_string()),
                },
            }
        };
        let plain = build_set(&plain_src).map_err(|e| named(&plain_src, &plain_at, e))?;
        let loose = build_set(&loose_src).map_err(|e| named(&loose_src, &loose_at, e))?;
        Ok(Self {
            plain,
            plain_index,
            loose,
            exact,
            lists: lists
                .iter()
                .map(|l| (l.name.clone(), l.patterns.len()))
                .collect(),
            patterns,
            structural: true,
        })
    }

    /// A channel that knows nothing: no list, no structural check (to
    /// measure the learned model alone).
    pub fn none() -> Self {
        Self {
            plain: RegexSet::empty(),
            plain_index: Vec::new(),
            loose: RegexSet::empty(),
            exact: Vec::new(),
            lists: Vec::new(),
            patterns: Vec::new(),
            structural: false,
        }
    }

    /// The lists built into the binary (isbot, crawler-user-agents),
    /// compiled once per process.
    pub fn built_in() -> Result<Arc<Self>, ListError> {
        static K: OnceLock<Arc<AgentKnowledge>> = OnceLock::new();
        if let Some(k) = K.get() {
            return Ok(k.clone());
        }
        let lists = [
            PatternList::parse("built-in isbot list", ISBOT)?,
            PatternList::parse("built-in crawler-user-agents list", CRAWLER_USER_AGENTS)?,
        ];
        let k = Arc::new(Self::compile(&lists)?);
        Ok(K.get_or_init(|| k).clone())
    }

    /// Reads and compiles list files (the `QSGW_AI_AGENT_LISTS` setting).
    pub fn from_files(paths: &[std::path::PathBuf]) -> Result<Self, ListError> {
        let lists = paths
            .iter()
            .map(|p| PatternList::read(p))
            .collect::<Result<Vec<_>, _>>()?;
        Self::compile(&lists)
    }

    /// The lists compiled: (name, patterns).
    pub fn lists(&self) -> &[(String, usize)] {
        &self.lists
    }

    /// A pattern by index (see [`Self::find`]), with the name of its list.
    pub fn pattern(&self, i: u32) -> Option<(&str, &str)> {
        let (list, p) = self.patterns.get(usize::try_from(i).ok()?)?;
        let name = self
            .lists
            .get(usize::from(*list))
            .map_or("", |l| l.0.as_str());
        Some((name, p.as_str()))
    }

    /// Whether any listed pattern matches the agent: one pass of the plain
    /// set's automaton, and of the small look-around set's (only a hit there
    /// runs the exact pattern).
    pub fn is_listed(&self, ua: &str) -> bool {
        self.plain.is_match(ua) || (self.loose.is_match(ua) && self.confirmed(ua).next().is_some())
    }

    /// Look-around patterns whose exact form matches.
    fn confirmed<'a>(&'a self, ua: &'a str) -> impl Iterator<Item = u32> + 'a {
        self.loose.matches(ua).into_iter().filter_map(move |i| {
            let (index, re) = &self.exact[i];
            // A pattern too complex to run counts as no match: a list entry
            // never turns into a false alarm.
            re.is_match(ua).unwrap_or(false).then_some(*index)
        })
    }

    /// The first listed pattern (in list order) the agent matches: which
    /// entry named it, for diagnostics. Slower than [`Self::is_listed`].
    pub fn find(&self, ua: &str) -> Option<u32> {
        let plain = self
            .plain
            .matches(ua)
            .into_iter()
            .map(|i| self.plain_index[i])
            .min();
        let around = self.confirmed(ua).min();
        match (plain, around) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Everything the channel says about an agent (nothing when absent: a
    /// missing agent is the learned model's feature).
    pub fn evidence(&self, ua: Option<&str>) -> AgentEvidence {
        let Some(ua) = ua.filter(|u| !u.trim().is_empty()) else {
            return AgentEvidence::default();
        };
        AgentEvidence {
            listed: self.is_listed(ua),
            flaw: if self.structural { Flaw::of(ua) } else { None },
        }
    }
}

/// A compiler's multi-line diagnostic on one line (start-up errors are one
/// line).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// isbot's patterns are JavaScript regular expressions, where a `-` next to
/// a class escape inside brackets (`[\w\d-.]`) is a literal dash; the
/// `regex` crate refuses it as a range. Escapes such dashes; nothing else of
/// the JavaScript syntax these lists use differs.
fn js_class_dashes(p: &str) -> String {
    let b = p.as_bytes();
    let shorthand = |i: usize| i + 1 < b.len() && b[i] == b'\\' && b"dDwWsS".contains(&b[i + 1]);
    let mut out = String::with_capacity(p.len() + 4);
    let mut class = false;
    let mut prev_shorthand = false;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 1 < b.len() && p.is_char_boundary(i + 2) {
            let was = shorthand(i);
            out.push_str(&p[i..i + 2]);
            i += 2;
            prev_shorthand = class && was;
            continue;
        }
        let c = b[i];
        if class && c == b'-' && (prev_shorthand || shorthand(i + 1)) {
            let next_is_end = b.get(i + 1) == Some(&b']');
            if !next_is_end {
                out.push_str("\\-");
                i += 1;
                prev_shorthand = false;
                continue;
            }
        }
        if class {
            class = c != b']';
        } else if c == b'[' {
            class = true;
        }
        prev_shorthand = false;
        let len = p[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&p[i..i + len]);
        i += len;
    }
    out
}

/// Removes look-around groups (`(?=`, `(?!`, `(?<=`, `(?<!`) from a
/// pattern, which leaves a pattern matching a superset; says whether any
/// was removed. Escapes and character classes are skipped over so a `(`
/// inside them is not taken for a group.
fn strip_lookaround(p: &str) -> (String, bool) {
    let b = p.as_bytes();
    let mut out = String::with_capacity(p.len());
    let mut removed = false;
    let mut i = 0;
    let mut class = false;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            let end = (i + 2).min(b.len());
            // Escapes are ASCII in these lists; a multi-byte char after a
            // backslash is copied whole below.
            if p.is_char_boundary(end) {
                out.push_str(&p[i..end]);
                i = end;
                continue;
            }
        }
        if class {
            class = c != b']';
        } else if c == b'[' {
            class = true;
        } else if c == b'(' && is_lookaround(&b[i..]) {
            i = skip_group(b, i);
            removed = true;
            continue;
        }
        // Copy one whole char.
        let len = p[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&p[i..i + len]);
        i += len;
    }
    (out, removed)
}

fn is_lookaround(s: &[u8]) -> bool {
    s.starts_with(b"(?=")
        || s.starts_with(b"(?!")
        || s.starts_with(b"(?<=")
        || s.starts_with(b"(?<!")
}

/// Index just past the group opening at `start`.
fn skip_group(b: &[u8], start: usize) -> usize {
    let mut depth = 0usize;
    let mut class = false;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                i += 2;
                continue;
            }
            b']' if class => class = false,
            _ if class => {}
            b'[' => class = true,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookaround_is_stripped_to_a_superset() {
        assert_eq!(strip_lookaround("(?<!lib)http"), ("http".into(), true));
        assert_eq!(
            strip_lookaround("(?<! channel/|google/)google(?!(?:wv|app|/google| pixel))"),
            ("google".into(), true)
        );
        assert_eq!(strip_lookaround("java(?!;)"), ("java".into(), true));
        assert_eq!(
            strip_lookaround(r"[(?!]x\(?!"),
            (r"[(?!]x\(?!".into(), false)
        );
        assert_eq!(strip_lookaround("(?:a|b)c"), ("(?:a|b)c".into(), false));
        assert_eq!(strip_lookaround("é(?=x)ü"), ("éü".into(), true));
        // Unbalanced input never panics.
        assert_eq!(strip_lookaround("a(?!b"), ("a".into(), true));
        assert_eq!(strip_lookaround("\\"), ("\\".into(), false));
    }

    #[test]
    fn javascript_class_dashes_become_literal() {
        assert_eq!(js_class_dashes(r"[\w\d-.]+"), r"[\w\d\-.]+");
        assert_eq!(js_class_dashes(r"[.-\w]"), r"[.\-\w]");
        assert_eq!(js_class_dashes(r"[a-z\w-]"), r"[a-z\w-]");
        assert_eq!(js_class_dashes(r"\w-\d"), r"\w-\d");
        assert_eq!(js_class_dashes("é[\\s-x]"), "é[\\s\\-x]");
    }

    #[test]
    fn list_files_in_either_layout_and_bad_ones_named() {
        let l = PatternList::parse("a", br#"["bot", "^curl"]"#).unwrap();
        assert!(l.case_insensitive && l.patterns == ["bot", "^curl"]);
        let l = PatternList::parse("b", br#"[{"pattern": "Googlebot\\/", "url": "x"}]"#).unwrap();
        assert!(!l.case_insensitive && l.patterns == ["Googlebot\\/"]);
        for (bad, msg) in [
            (&b"{}"[..], "must be a JSON array"),
            (b"[]", "holds no pattern"),
            (b"[\"a\", 3]", "item 1 must be a string"),
            (
                b"[{\"pattern\": \"a\"}, {\"x\": 1}]",
                "item 1 must be an object",
            ),
            (b"[\"\"]", "item 0: a pattern must be 1 to"),
            (b"nope", "not JSON"),
        ] {
            let e = PatternList::parse("f.json", bad).unwrap_err().to_string();
            assert!(e.starts_with("f.json: ") && e.contains(msg), "{e}");
        }
        let l = PatternList::parse("f.json", br#"["ok", "bad(", "x"]"#).unwrap();
        let e = AgentKnowledge::compile(&[l]).unwrap_err().to_string();
        assert!(e.contains("f.json: pattern 1 (\"bad(\")"), "{e}");
    }

    /// Agents the lists must name, each as the client itself sends it.
    const AUTOMATED: &[&str] = &[
        // The five the model scored 0.0001 in the measurements of issue 22.
        "Uptime-Kuma/1.23.16",
        "Jersey/2.25.1 (HttpUrlConnection 1.8.0_141)",
        "Mozilla/5.0 (compatible; Feedwind/3.0; +http://feed.mikle.com/support/description/)",
        "pulsetic.com (+https://pulsetic.com)",
        "WhatsApp/2.12.555 A",
        // HTTP libraries' default agents (each library's documented format).
        "curl/8.4.0",
        "Wget/1.21.2",
        "python-requests/2.31.0",
        "Python-urllib/3.11",
        "python-httpx/0.27.0",
        "Python/3.11 aiohttp/3.9.1",
        "Go-http-client/1.1",
        "Go-http-client/2.0",
        "okhttp/4.12.0",
        "Java/17.0.2",
        "Apache-HttpClient/4.5.14 (Java/17.0.8)",
        "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
        "axios/1.6.2",
        "undici",
        "libwww-perl/6.72",
        "PostmanRuntime/7.36.0",
        // Headless and automation markers.
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36",
        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
        // Crawlers.
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    ];

    #[test]
    fn the_built_in_lists_name_automated_clients() {
        let k = AgentKnowledge::built_in().unwrap();
        assert_eq!(k.lists().len(), 2);
        let missed: Vec<&str> = AUTOMATED
            .iter()
            .copied()
            .filter(|ua| k.evidence(Some(ua)).bot_probability().is_none())
            .collect();
        assert!(missed.is_empty(), "not recognised: {missed:?}");
        let i = k.find("curl/8.4.0").unwrap();
        let (list, pattern) = k.pattern(i).unwrap();
        assert!(list.contains("isbot") && !pattern.is_empty());
        // Look-around is honoured: isbot's `(?<!lib)http` must not fire on
        // "libhttp", while the superset `http` would.
        let only = PatternList::parse("t", br#"["(?<!lib)http"]"#).unwrap();
        let k1 = AgentKnowledge::compile(&[only]).unwrap();
        assert!(k1.find("libhttp/1").is_none() && k1.find("xhttp/1").is_some());
        // Absent or blank agents are the model's business.
        assert_eq!(k.evidence(None), AgentEvidence::default());
        assert_eq!(k.evidence(Some("  ")), AgentEvidence::default());
    }

    #[test]
    fn no_built_in_list_or_check_fires_on_real_browsers() {
        // Two public browser sets: npm top-user-agents (the 100 most common
        // agents) and npm user-agents (952 agents sampled from real traffic).
        // One entry of the first is no browser's: Chrome's agent without its
        // engine tokens (see `structural_flaws`), a scraper's string common
        // enough to rank; it is the only one that fires.
        let k = AgentKnowledge::built_in().unwrap();
        let top: Vec<String> =
            serde_json::from_str(include_str!("../data/top-user-agents.json")).unwrap();
        const FORGED: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.0.0";
        assert!(top.iter().any(|u| u == FORGED));
        assert_eq!(k.evidence(Some(FORGED)).flaw, Some(Flaw::NoEngine));
        let top = top.into_iter().filter(|u| u != FORGED);
        let sampled: Vec<serde_json::Value> =
            serde_json::from_str(include_str!("../data/benchmark/user-agents-browsers.json"))
                .unwrap();
        let sampled = sampled
            .iter()
            .map(|v| v["user_agent"].as_str().unwrap().to_owned());
        let all: Vec<String> = top.chain(sampled).collect();
        assert!(all.len() > 1000);
        let fired: Vec<(&String, AgentEvidence)> = all
            .iter()
            .map(|ua| (ua, k.evidence(Some(ua))))
            .filter(|(_, e)| e.bot_probability().is_some())
            .collect();
        assert!(fired.is_empty(), "{fired:?}");
    }

    #[test]
    fn structural_flaws() {
        // No engine token after the Mozilla/5.0 prefix.
        assert_eq!(
            Flaw::of("Mozilla/5.0 (Windows NT 10.0; Win64; x64)"),
            Some(Flaw::NoEngine)
        );
        // A Chrome agent without Chrome's engine tokens (Chromium's agent
        // format: "Mozilla/5.0 (<platform>) AppleWebKit/537.36 (KHTML, like
        // Gecko) Chrome/<major>.0.0.0 Safari/537.36").
        assert_eq!(
            Flaw::of("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0.0.0"),
            Some(Flaw::NoEngine)
        );
        // Real traffic (npm user-agents) holds Chrome tokens over Safari's
        // WebKit version, so that is not treated as a contradiction.
        assert_eq!(
            Flaw::of("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/605.1.15"),
            None
        );
        // Firefox 120 with rv:118.0; Firefox 115 ESR's real rv:109.0 is fine,
        // and so is Firefox 3.6's Gecko rv.
        assert_eq!(
            Flaw::of("Mozilla/5.0 (X11; Linux x86_64; rv:118.0) Gecko/20100101 Firefox/120.0"),
            Some(Flaw::FirefoxRvVersion)
        );
        for ok in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0",
            "Mozilla/5.0 (Windows; U; Windows NT 5.1; en-US; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3",
            "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
            "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0)",
            "Opera/9.80 (Windows NT 6.1) Presto/2.12.388 Version/12.16",
        ] {
            assert_eq!(Flaw::of(ok), None, "{ok}");
        }
    }
}
