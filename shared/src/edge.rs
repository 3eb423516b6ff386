//! The edge contract shared by the control plane (which validates routes
//! and upstream targets) and the gateway (which matches requests and
//! connects to targets): one parsed host pattern, one path
//! canonicalisation, one rule for which target addresses are internal
//! ([`TargetGuard`], over the address classes of [`crate::netguard`]).
//!
//! Both sides use these types, so a route the control plane accepts is a
//! route the gateway can match, and a target it refuses is one the gateway
//! also refuses to connect to (after DNS resolution, against rebinding).

use std::borrow::Cow;
use std::net::IpAddr;

use crate::netguard::AddressPolicy;
pub use crate::netguard::InternalAddress;
pub use ipnet::IpNet;

/// A route's host: an exact name, or `*.` and a suffix matching exactly one
/// more label (the single-label wildcard of RFC 6125 §6.4.3 and of
/// nginx/HAProxy `*.example.com` server names: `a.example.com` matches,
/// `example.com` and `a.b.example.com` do not).
///
/// The representation is private: the only ways in are [`HostPattern::parse`]
/// and deserialisation (which calls it), so a pattern the control plane
/// stores is one the gateway can match, and a document whose host does not
/// parse is refused on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPattern {
    /// The canonical spelling: lowercase, no trailing dot, `*.` kept.
    spelled: String,
    /// Whether `spelled` starts with `*.`.
    wildcard: bool,
}

/// A borrowed view of a [`HostPattern`], for tables that index exact names
/// and wildcard suffixes separately (the gateway's route table, its
/// per-host settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind<'a> {
    /// One host name, lowercase, no trailing dot.
    Exact(&'a str),
    /// The suffix of `*.suffix`, lowercase.
    Wildcard(&'a str),
}

impl HostPattern {
    /// Parses a route host (`api.example.com`, `*.example.com`): lowercased,
    /// trailing dot dropped; no port, no IP address in a wildcard, labels of
    /// letters, digits and hyphens (RFC 1123 §2.1), at least two labels
    /// after a `*.`.
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        let lower = s.trim().to_ascii_lowercase();
        let lower = lower.strip_suffix('.').unwrap_or(&lower);
        if let Some(suffix) = lower.strip_prefix("*.") {
            if !is_dns_name(suffix) {
                return Err("must be a host name or '*.' and a host name, without port");
            }
            if !suffix.contains('.') || suffix.parse::<IpAddr>().is_ok() {
                return Err(
                    "a wildcard must cover a domain of at least two labels (*.example.com)",
                );
            }
            return Ok(Self {
                spelled: format!("*.{suffix}"),
                wildcard: true,
            });
        }
        if lower.contains('*') {
            return Err("'*' is only allowed as the whole first label ('*.example.com')");
        }
        if !is_dns_name(lower) {
            return Err("must be a host name or '*.' and a host name, without port");
        }
        Ok(Self {
            spelled: lower.to_owned(),
            wildcard: false,
        })
    }

    /// Exact name or wildcard suffix, borrowed.
    pub fn kind(&self) -> HostKind<'_> {
        match self.spelled.strip_prefix("*.") {
            Some(suffix) if self.wildcard => HostKind::Wildcard(suffix),
            _ => HostKind::Exact(&self.spelled),
        }
    }

    /// Whether a request host (already [`request_host`]-normalised) matches
    /// this pattern.
    pub fn matches(&self, host: &str) -> bool {
        match self.kind() {
            HostKind::Exact(h) => h == host,
            HostKind::Wildcard(suffix) => wildcard_label(host, suffix).is_some(),
        }
    }

    /// The canonical spelling (`*.example.com` or the host).
    pub fn as_string(&self) -> String {
        self.spelled.clone()
    }
}

/// The canonical spelling, borrowed.
impl std::ops::Deref for HostPattern {
    type Target = str;
    fn deref(&self) -> &str {
        &self.spelled
    }
}

impl std::fmt::Display for HostPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.spelled)
    }
}

impl serde::Serialize for HostPattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for HostPattern {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for HostPattern {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .max_length(Some(255))
            .description(Some(
                "A host name, or '*.' and a domain of at least two labels (one-label \
                 wildcard, RFC 6125 §6.4.3); lowercase, no port, no trailing dot",
            ))
            .examples(["api.example.com", "*.example.com"])
            .into()
    }
}

impl utoipa::ToSchema for HostPattern {}

/// A route's path: absolute, at most 2048 bytes, no whitespace, control
/// characters, `?` or `#`, and already in the canonical form requests are
/// matched in ([`canonical_path`]): a path the gateway can never see, such
/// as `/a//b` or `/a/./b`, is refused where it is written instead of being
/// stored as a route that never matches.
///
/// The string is private; [`RoutePath::parse`] and deserialisation are the
/// ways in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoutePath(String);

/// Longest route path accepted, in bytes (as nginx's default
/// `large_client_header_buffers` line of 8k leaves room for).
pub const ROUTE_PATH_MAX: usize = 2048;

impl RoutePath {
    /// Checks `s` as a route path; the error is a sentence for the `path`
    /// field of a problem document.
    pub fn parse(s: &str) -> Result<Self, String> {
        if !s.starts_with('/') {
            return Err("must start with '/'".into());
        }
        if s.len() > ROUTE_PATH_MAX {
            return Err(format!("must be at most {ROUTE_PATH_MAX} bytes"));
        }
        if s.chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#')
        {
            return Err("must not contain whitespace, control characters, '?' or '#'".into());
        }
        match canonical_path(s) {
            Ok(Cow::Borrowed(_)) => Ok(Self(s.to_owned())),
            Ok(Cow::Owned(c)) if c == s => Ok(Self(c)),
            Ok(Cow::Owned(c)) => Err(format!(
                "is not in canonical form; requests are matched as '{c}' (RFC 3986 §6.2.2)"
            )),
            Err(e) => Err(format!("cannot be matched: {}", e.message())),
        }
    }

    /// A path read back from storage written before canonical form was
    /// required: canonicalised (`/a//b` becomes `/a/b`, the path such a
    /// route was always matched against), then checked as [`Self::parse`].
    pub fn canonicalised(s: &str) -> Result<Self, String> {
        let c = canonical_path(s).map_err(|e| format!("cannot be matched: {}", e.message()))?;
        Self::parse(&c)
    }

    /// The path.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for RoutePath {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RoutePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for RoutePath {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for RoutePath {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl serde::Serialize for RoutePath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for RoutePath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::parse(&raw).map_err(|e| serde::de::Error::custom(format!("path {e}")))
    }
}

impl utoipa::PartialSchema for RoutePath {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .pattern(Some("^/[^\\s?#\\\\]*$"))
            .max_length(Some(ROUTE_PATH_MAX))
            .description(Some(
                "Absolute path in canonical form (RFC 3986 §6.2.2: no dot segments, \
                 no empty segments, unreserved characters not percent-encoded)",
            ))
            .examples(["/orders", "/api/v1/"])
            .into()
    }
}

impl utoipa::ToSchema for RoutePath {}

/// The label a single-label wildcard for `suffix` covers in `host`, if any.
pub fn wildcard_label<'a>(host: &'a str, suffix: &str) -> Option<&'a str> {
    let label = host.strip_suffix(suffix)?.strip_suffix('.')?;
    (!label.is_empty() && !label.contains('.')).then_some(label)
}

/// The parent domain a wildcard for `host` would name (`a.example.com` →
/// `example.com`).
pub fn parent_domain(host: &str) -> Option<&str> {
    host.split_once('.').map(|(_, rest)| rest)
}

/// Whether `s` is a DNS name: labels of 1-63 letters, digits or hyphens, not
/// starting or ending with a hyphen, 253 bytes at most.
pub fn is_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A request's `Host` (or `:authority`) as routes see it: port removed
/// (IPv6 brackets kept intact), trailing dot removed, lowercase. Borrowed
/// when nothing changes.
pub fn request_host(h: &str) -> Cow<'_, str> {
    let h = if let Some(rest) = h.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        h.rsplit_once(':').map_or(h, |(name, port)| {
            if port.bytes().all(|b| b.is_ascii_digit()) {
                name
            } else {
                h
            }
        })
    };
    let h = h.strip_suffix('.').unwrap_or(h);
    if h.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(h.to_ascii_lowercase())
    } else {
        Cow::Borrowed(h)
    }
}

/// Why a request path cannot be canonicalised safely (answered 400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PathError {
    /// `%2F` or `%5C`: an encoded separator would be read as a segment
    /// boundary by some upstreams and not by others.
    EncodedSeparator,
    /// A raw `\`, which some upstreams treat as `/`.
    Backslash,
    /// `%00`.
    Nul,
    /// `%` not followed by two hex digits.
    BadEscape,
    /// A `..` segment (also `%2e%2e`) with no segment left to remove, as in
    /// `/../etc`: refused rather than clamped to `/`.
    AboveRoot,
    /// Not an absolute path.
    NotAbsolute,
}

impl PathError {
    /// A sentence for the problem document.
    pub fn message(self) -> &'static str {
        match self {
            Self::EncodedSeparator => "the path contains an encoded '/' or '\\' (%2F, %5C)",
            Self::Backslash => "the path contains '\\'",
            Self::Nul => "the path contains an encoded NUL (%00)",
            Self::BadEscape => "the path contains '%' not followed by two hex digits",
            Self::AboveRoot => "the path climbs above the root with '..'",
            Self::NotAbsolute => "the path does not start with '/'",
        }
    }
}

/// The canonical form of a request path, which routes match and which is
/// forwarded (RFC 3986):
///
/// - percent-encoded unreserved characters (`ALPHA DIGIT - . _ ~`) are
///   decoded and the hex digits of other escapes uppercased (§6.2.2.1,
///   §6.2.2.2);
/// - dot segments are removed (§5.2.4, §6.2.2.3);
/// - empty segments (`//`) are merged into one `/` (not in RFC 3986, but
///   every common upstream — nginx `merge_slashes`, most frameworks —
///   serves `//x` as `/x`, so the route table must see it the same way).
///
/// Refused: `%2F`/`%5C`, a raw `\`, `%00`, a malformed escape, and `..`
/// above the root. Borrowed (no allocation) when the path is already
/// canonical, which is the usual case.
pub fn canonical_path(path: &str) -> Result<Cow<'_, str>, PathError> {
    let b = path.as_bytes();
    if b.first() != Some(&b'/') {
        return Err(PathError::NotAbsolute);
    }
    // Fast path: one scan for anything that may change the path.
    let mut needs_work = false;
    let mut prev = 0u8;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'%' => needs_work = true,
            b'\\' => return Err(PathError::Backslash),
            b'/' if prev == b'/' => needs_work = true,
            b'.' if prev == b'/' => {
                let next = b.get(i + 1).copied();
                if matches!(next, None | Some(b'/'))
                    || (next == Some(b'.') && matches!(b.get(i + 2), None | Some(b'/')))
                {
                    needs_work = true;
                }
            }
            _ => {}
        }
        prev = c;
    }
    if !needs_work {
        return Ok(Cow::Borrowed(path));
    }
    // Decode unreserved escapes, uppercase the others, refuse the unsafe.
    let mut decoded: Vec<u8> = Vec::with_capacity(path.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c != b'%' {
            decoded.push(c);
            i += 1;
            continue;
        }
        let (Some(h), Some(l)) = (
            b.get(i + 1).and_then(|x| hex(*x)),
            b.get(i + 2).and_then(|x| hex(*x)),
        ) else {
            return Err(PathError::BadEscape);
        };
        let byte = h * 16 + l;
        match byte {
            b'/' | b'\\' => return Err(PathError::EncodedSeparator),
            0 => return Err(PathError::Nul),
            b if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') => {
                decoded.push(b);
            }
            _ => decoded.extend_from_slice(&[
                b'%',
                b[i + 1].to_ascii_uppercase(),
                b[i + 2].to_ascii_uppercase(),
            ]),
        }
        i += 3;
    }
    // Only ASCII bytes were replaced, so the text stays UTF-8.
    let decoded = String::from_utf8(decoded).map_err(|_| PathError::BadEscape)?;
    // Dot segments and empty segments, segment by segment (§5.2.4 on an
    // absolute path).
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = decoded[1..].split('/').collect();
    let last = segments.len() - 1;
    let mut trailing_slash = false;
    for (n, seg) in segments.iter().enumerate() {
        match *seg {
            "" => trailing_slash = n == last,
            "." => trailing_slash = n == last,
            ".." => {
                if out.pop().is_none() {
                    return Err(PathError::AboveRoot);
                }
                trailing_slash = n == last;
            }
            s => {
                out.push(s);
                trailing_slash = false;
            }
        }
    }
    let mut canon = String::with_capacity(decoded.len());
    for s in &out {
        canon.push('/');
        canon.push_str(s);
    }
    if trailing_slash || canon.is_empty() {
        canon.push('/');
    }
    Ok(Cow::Owned(canon))
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Parses a comma-separated CIDR list (`10.0.0.0/8, ::1/128`); a bare
/// address is a single-host network.
pub fn parse_cidrs(s: &str) -> Result<Vec<IpNet>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| {
            x.parse::<IpNet>()
                .or_else(|_| x.parse::<IpAddr>().map(IpNet::from))
                .map(|n| n.trunc())
                .map_err(|_| format!("'{x}' is not a CIDR (10.0.0.0/8) or an IP address"))
        })
        .collect()
}

/// Which upstream target addresses are refused: those
/// [`AddressPolicy::Upstream`] refuses (loopback, link-local, unroutable)
/// and the deployment's own services (by host and port), unless an allowed
/// CIDR covers the address.
#[derive(Debug, Clone, Default)]
pub struct TargetGuard {
    /// `QSGW_ALLOWED_PRIVATE_TARGETS`.
    pub allowed: Vec<IpNet>,
    /// Internal services as (lowercase host or IP, port).
    pub internal: Vec<(String, u16)>,
}

impl TargetGuard {
    /// A guard allowing `allowed` and refusing the `internal` services.
    pub fn new(allowed: Vec<IpNet>, internal: Vec<(String, u16)>) -> Self {
        Self { allowed, internal }
    }

    fn allows_ip(&self, ip: IpAddr) -> bool {
        self.allowed.iter().any(|n| n.contains(&ip))
    }

    /// Checks a configured target (host name or IP literal) before any DNS
    /// resolution: literals by class, `localhost` as loopback, and the
    /// internal services by name and port.
    pub fn check_target(&self, host: &str, port: u16) -> Result<(), InternalAddress> {
        let lower = crate::netguard::normalise_host(host);
        if let Ok(ip) = lower.parse::<IpAddr>() {
            return self.check_addr(ip, port);
        }
        if crate::netguard::is_localhost(&lower) && !self.allows_ip(IpAddr::from([127, 0, 0, 1])) {
            return Err(InternalAddress::Loopback);
        }
        if self.internal.iter().any(|(h, p)| *h == lower && *p == port) {
            return Err(InternalAddress::InternalService);
        }
        Ok(())
    }

    /// Checks a resolved address (the gateway, right before connecting).
    pub fn check_addr(&self, ip: IpAddr, port: u16) -> Result<(), InternalAddress> {
        if self.allows_ip(ip) {
            return Ok(());
        }
        AddressPolicy::Upstream.check(ip)?;
        let text = ip.to_string();
        if self.internal.iter().any(|(h, p)| *h == text && *p == port) {
            return Err(InternalAddress::InternalService);
        }
        Ok(())
    }
}

/// `(host, port)` of a URL (`http://etcd:2379` → `("etcd", 2379)`), with the
/// scheme's default port; for listing a deployment's internal services.
pub fn url_host_port(url: &str) -> Option<(String, u16)> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let default = match scheme {
        "https" => 443,
        "postgres" | "postgresql" => 5432,
        _ => 80,
    };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']')?;
        let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
        (h, port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().ok()),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return None;
    }
    Some((host.to_ascii_lowercase(), port.unwrap_or(default)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_cover_exactly_one_label_as_rfc_6125_says() {
        // RFC 6125 §6.4.3: "*.example.com" matches "foo.example.com" but
        // not "bar.foo.example.com" or "example.com".
        let w = HostPattern::parse("*.Example.com.").unwrap();
        assert_eq!(w.kind(), HostKind::Wildcard("example.com"));
        assert!(w.matches("foo.example.com"));
        assert!(!w.matches("bar.foo.example.com"));
        assert!(!w.matches("example.com"));
        assert!(!w.matches("fooexample.com"));
        assert_eq!(
            HostPattern::parse("API.example.com").unwrap().kind(),
            HostKind::Exact("api.example.com")
        );
        for bad in [
            "*.com",
            "f*.example.com",
            "a.*.example.com",
            "*",
            "example.com:443",
            "-a.example.com",
            "a..b",
            "",
        ] {
            assert!(HostPattern::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn route_paths_must_be_in_the_form_requests_are_matched_in() {
        // Canonical already (RFC 3986 §6.2.2): accepted as written.
        for ok in ["/", "/orders", "/api/v1/", "/caf%C3%A9", "/a-b_c.d~e"] {
            assert_eq!(RoutePath::parse(ok).unwrap().as_str(), ok, "{ok}");
        }
        // §6.2.2.3 dot segments, merged empty segments, §6.2.2.2 an encoded
        // unreserved character, §6.2.2.1 lowercase hex: a request can never
        // carry these spellings after canonicalisation, so such a route
        // would never match; the error names the form that would.
        for (bad, canon) in [
            ("/a//b", "/a/b"),
            ("/a/./b", "/a/b"),
            ("/a/b/../c", "/a/c"),
            ("/%7Euser", "/~user"),
            ("/caf%c3%a9", "/caf%C3%A9"),
        ] {
            let e = RoutePath::parse(bad).unwrap_err();
            assert!(e.contains(&format!("'{canon}'")), "{bad}: {e}");
            assert_eq!(RoutePath::canonicalised(bad).unwrap().as_str(), canon);
        }
        for bad in ["orders", "/a?b=1", "/a#f", "/a b", "/a%2Fb", "/..", "/a\\b"] {
            assert!(RoutePath::parse(bad).is_err(), "{bad}");
        }
        assert!(RoutePath::parse(&format!("/{}", "a".repeat(ROUTE_PATH_MAX))).is_err());
    }

    #[test]
    fn parsed_edge_types_round_trip_through_json_and_refuse_bad_documents() {
        let host: HostPattern = serde_json::from_str("\"*.Example.COM\"").unwrap();
        assert_eq!(serde_json::to_string(&host).unwrap(), "\"*.example.com\"");
        let path: RoutePath = serde_json::from_str("\"/orders/\"").unwrap();
        assert_eq!(serde_json::to_string(&path).unwrap(), "\"/orders/\"");
        assert!(serde_json::from_str::<HostPattern>("\"a.*.example.com\"").is_err());
        let e = serde_json::from_str::<RoutePath>("\"/a//b\"").unwrap_err();
        assert!(
            e.to_string().contains("path is not in canonical form"),
            "{e}"
        );
    }

    #[test]
    fn request_hosts_lose_port_case_and_trailing_dot() {
        assert_eq!(request_host("Shop.Example.com.:8443"), "shop.example.com");
        assert_eq!(request_host("[::1]:8443"), "::1");
        assert!(matches!(request_host("plain.example"), Cow::Borrowed(_)));
    }

    #[test]
    fn dot_segments_are_removed_as_in_rfc_3986_section_5_2_4() {
        // The worked example of RFC 3986 §5.2.4.
        assert_eq!(canonical_path("/a/b/c/./../../g").unwrap(), "/a/g");
        // RFC 3986 §5.4.1 normal examples, resolved against
        // "http://a/b/c/d;p?q" (the merged paths below are the base's
        // directory plus the reference).
        assert_eq!(canonical_path("/b/c/.").unwrap(), "/b/c/");
        assert_eq!(canonical_path("/b/c/./").unwrap(), "/b/c/");
        assert_eq!(canonical_path("/b/c/..").unwrap(), "/b/");
        assert_eq!(canonical_path("/b/c/../").unwrap(), "/b/");
        assert_eq!(canonical_path("/b/c/../g").unwrap(), "/b/g");
        assert_eq!(canonical_path("/b/c/../..").unwrap(), "/");
        assert_eq!(canonical_path("/b/c/../../g").unwrap(), "/g");
        // RFC 3986 §5.4.2 abnormal examples keep "g." and "..g" as names.
        assert_eq!(canonical_path("/b/c/g.").unwrap(), "/b/c/g.");
        assert_eq!(canonical_path("/b/c/..g").unwrap(), "/b/c/..g");
        assert_eq!(canonical_path("/b/c/./g/.").unwrap(), "/b/c/g/");
    }

    #[test]
    fn percent_encoding_is_normalised_as_in_rfc_3986_section_6_2_2() {
        // §6.2.2.2: "%7Euser" is "~user"; unreserved "%41" is "A".
        assert_eq!(canonical_path("/%7Euser/%41").unwrap(), "/~user/A");
        // §6.2.2.1: hex digits of other escapes are uppercase.
        assert_eq!(canonical_path("/a%3ab").unwrap(), "/a%3Ab");
        // "%2e" is "." and then a dot segment.
        assert_eq!(canonical_path("/%2e/x").unwrap(), "/x");
        assert_eq!(canonical_path("/a/%2E%2E/x").unwrap(), "/x");
        assert_eq!(canonical_path("//x").unwrap(), "/x");
        assert_eq!(canonical_path("/./x").unwrap(), "/x");
        assert_eq!(canonical_path("/x//y///").unwrap(), "/x/y/");
        assert!(matches!(canonical_path("/api/v1/x"), Ok(Cow::Borrowed(_))));
        assert!(matches!(
            canonical_path("/a.b/.c/..d"),
            Ok(Cow::Borrowed(_))
        ));
    }

    #[test]
    fn unsafe_paths_are_refused() {
        assert_eq!(canonical_path("/a%2fb"), Err(PathError::EncodedSeparator));
        assert_eq!(canonical_path("/a%5Cb"), Err(PathError::EncodedSeparator));
        assert_eq!(canonical_path("/a\\b"), Err(PathError::Backslash));
        assert_eq!(canonical_path("/a%00"), Err(PathError::Nul));
        assert_eq!(canonical_path("/a%zz"), Err(PathError::BadEscape));
        assert_eq!(canonical_path("/a%4"), Err(PathError::BadEscape));
        assert_eq!(canonical_path("/../etc"), Err(PathError::AboveRoot));
        assert_eq!(canonical_path("/a/%2e%2e/.."), Err(PathError::AboveRoot));
        assert_eq!(canonical_path("*"), Err(PathError::NotAbsolute));
    }

    #[test]
    fn internal_addresses_follow_the_iana_special_purpose_registry() {
        // RFC 6890 / IANA IPv4 and IPv6 Special-Purpose Address Registries.
        let g = TargetGuard::new(vec![], vec![("etcd".into(), 2379)]);
        assert_eq!(
            g.check_target("127.0.0.1", 2379),
            Err(InternalAddress::Loopback)
        );
        assert_eq!(g.check_target("::1", 80), Err(InternalAddress::Loopback));
        assert_eq!(
            g.check_target("::ffff:127.0.0.1", 80),
            Err(InternalAddress::Loopback)
        );
        assert_eq!(
            g.check_target("169.254.169.254", 80),
            Err(InternalAddress::LinkLocal)
        );
        assert_eq!(
            g.check_target("fe80::1", 80),
            Err(InternalAddress::LinkLocal)
        );
        assert_eq!(
            g.check_target("0.0.0.0", 80),
            Err(InternalAddress::Unroutable)
        );
        assert_eq!(
            g.check_target("localhost", 80),
            Err(InternalAddress::Loopback)
        );
        assert_eq!(
            g.check_target("ETCD", 2379),
            Err(InternalAddress::InternalService)
        );
        assert_eq!(g.check_target("etcd", 80), Ok(()));
        assert_eq!(g.check_target("10.0.0.5", 8080), Ok(()));
        assert_eq!(g.check_target("backend.internal", 8080), Ok(()));
        let allowed = TargetGuard::new(parse_cidrs("127.0.0.0/8, ::1").unwrap(), vec![]);
        assert_eq!(allowed.check_target("127.0.0.1", 2379), Ok(()));
        assert_eq!(allowed.check_target("localhost", 80), Ok(()));
        assert_eq!(allowed.check_target("::1", 80), Ok(()));
        assert!(parse_cidrs("10.0.0.0/33").is_err());
    }

    #[test]
    fn urls_give_host_and_port() {
        assert_eq!(
            url_host_port("http://etcd:2379"),
            Some(("etcd".into(), 2379))
        );
        assert_eq!(
            url_host_port("postgres://u:p@DB/qsgw"),
            Some(("db".into(), 5432))
        );
        assert_eq!(url_host_port("https://[::1]:9/x"), Some(("::1".into(), 9)));
    }
}
