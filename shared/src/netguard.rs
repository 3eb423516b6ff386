//! The one classification of target addresses, for every outgoing
//! connection the configuration (or an operator) chooses: upstream targets
//! (the control plane's validation, [`crate::edge::TargetGuard`], and the
//! gateway's check of every resolved address at connect time) and the
//! control plane's webhooks ([`GuardedResolver`]).
//!
//! [`classify`] sorts an address by the IANA special-purpose address
//! registries (RFC 6890; IPv4:
//! <https://www.iana.org/assignments/iana-ipv4-special-registry>, IPv6:
//! <https://www.iana.org/assignments/iana-ipv6-special-registry>), judging
//! IPv4-mapped IPv6 addresses as their IPv4 address. Which classes a
//! caller refuses is its [`AddressPolicy`]: upstream targets may live on
//! private networks, production webhooks must be globally reachable.
//!
//! [`GuardedResolver`] applies a policy to every address a host name
//! resolves to, at connect time, so a name that later resolves to an
//! internal address (DNS rebinding) is refused as well.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Why a target address is refused: its class, or one of this
/// deployment's own services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InternalAddress {
    /// 127.0.0.0/8, ::1, `localhost`.
    Loopback,
    /// 169.254.0.0/16 (cloud metadata at 169.254.169.254), fe80::/10.
    LinkLocal,
    /// 0.0.0.0, ::, multicast, broadcast: never a backend.
    Unroutable,
    /// Private networks: RFC 1918, shared address space 100.64.0.0/10,
    /// unique-local fc00::/7.
    Private,
    /// The other special-purpose ranges: "this network" 0.0.0.0/8, IETF
    /// protocol assignments 192.0.0.0/24 and 2001::/23, documentation
    /// (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32,
    /// 3fff::/20), benchmarking (198.18.0.0/15, 2001:2::/48 inside
    /// 2001::/23), reserved 240.0.0.0/4, the IPv4/IPv6 translation prefixes
    /// 64:ff9b::/96 and 64:ff9b:1::/48 and 6to4 2002::/16, discard-only
    /// 100::/64, dummy 100:0:0:1::/64, SRv6 SIDs 5f00::/16.
    ///
    /// Conservative where the registry is not: the IETF blocks are refused
    /// whole although the registry marks a few anycast and overlay blocks
    /// inside them globally reachable (192.0.0.9, 192.0.0.10, 2001:1::1-3,
    /// AMT 2001:3::/32, AS112 2001:4:112::/48, ORCHIDv2 and DETs
    /// 2001:20::/27), none of them an HTTP receiver; 64:ff9b::/96 is
    /// globally reachable in the registry and 6to4 2002::/16 has no answer
    /// there, but both carry an IPv4 address a translator or relay turns
    /// them into, which may be a private one.
    Reserved,
    /// One of this deployment's own services (etcd, Postgres, control plane).
    InternalService,
}

impl InternalAddress {
    /// A phrase for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Loopback => "a loopback address",
            Self::LinkLocal => "a link-local address (cloud metadata lives at 169.254.169.254)",
            Self::Unroutable => "an unspecified, multicast or broadcast address",
            Self::Private => "a private network address",
            Self::Reserved => "a reserved, documentation or benchmarking address",
            Self::InternalService => "an internal service of this deployment",
        }
    }
}

/// The class of `ip` when it is not a globally reachable address (never
/// [`InternalAddress::InternalService`]); `None` for a global address.
pub fn classify(ip: IpAddr) -> Option<InternalAddress> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => classify_v4(v4),
            None => classify_v6(v6),
        },
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<InternalAddress> {
    let [a, b, c, _] = ip.octets();
    if ip.is_loopback() {
        Some(InternalAddress::Loopback)
    } else if ip.is_link_local() {
        Some(InternalAddress::LinkLocal)
    } else if ip.is_unspecified() || ip.is_multicast() || ip.is_broadcast() {
        Some(InternalAddress::Unroutable)
    } else if ip.is_private() || (a == 100 && (64..128).contains(&b)) {
        // RFC 1918, shared address space 100.64.0.0/10.
        Some(InternalAddress::Private)
    } else if ip.is_documentation()
        // "this network" 0.0.0.0/8
        || a == 0
        // IETF protocol assignments 192.0.0.0/24
        || (a == 192 && b == 0 && c == 0)
        // benchmarking 198.18.0.0/15
        || (a == 198 && (18..20).contains(&b))
        // reserved 240.0.0.0/4
        || a >= 240
    {
        Some(InternalAddress::Reserved)
    } else {
        None
    }
}

fn classify_v6(ip: Ipv6Addr) -> Option<InternalAddress> {
    let s = ip.segments();
    if ip.is_loopback() {
        Some(InternalAddress::Loopback)
    } else if (s[0] & 0xffc0) == 0xfe80 {
        // link-local fe80::/10
        Some(InternalAddress::LinkLocal)
    } else if ip.is_unspecified() || ip.is_multicast() {
        Some(InternalAddress::Unroutable)
    } else if (s[0] & 0xfe00) == 0xfc00 {
        // unique local fc00::/7
        Some(InternalAddress::Private)
    } else if reserved_v6(s) {
        Some(InternalAddress::Reserved)
    } else {
        None
    }
}

/// The IPv6 blocks of [`InternalAddress::Reserved`].
fn reserved_v6(s: [u16; 8]) -> bool {
    match s {
        // IETF protocol assignments 2001::/23 (TEREDO, benchmarking
        // 2001:2::/48, ...), documentation 2001:db8::/32
        [0x2001, b, ..] => b < 0x0200 || b == 0x0db8,
        // 6to4 2002::/16 (embeds IPv4; N/A in the registry)
        [0x2002, ..] => true,
        // documentation 3fff::/20 (RFC 9637)
        [0x3fff, b, ..] => b < 0x1000,
        // IPv4/IPv6 translation 64:ff9b::/96 (embeds IPv4) and the
        // local-use 64:ff9b:1::/48 (RFC 8215)
        [0x0064, 0xff9b, ..] => true,
        // discard-only 100::/64 (RFC 6666), dummy prefix 100:0:0:1::/64
        // (RFC 9780)
        [0x0100, 0, 0, d, ..] => d <= 1,
        // SRv6 SIDs 5f00::/16 (RFC 9602)
        [0x5f00, ..] => true,
        _ => false,
    }
}

/// Which address classes a caller refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressPolicy {
    /// Upstream targets: loopback, link-local and unroutable addresses are
    /// refused; private networks and the other special-purpose ranges are
    /// allowed (backends live there).
    Upstream,
    /// Production webhooks: only globally reachable addresses.
    GlobalOnly,
}

impl AddressPolicy {
    /// Checks one address.
    pub fn check(self, ip: IpAddr) -> Result<(), InternalAddress> {
        match (self, classify(ip)) {
            (_, None) => Ok(()),
            (Self::Upstream, Some(InternalAddress::Private | InternalAddress::Reserved)) => Ok(()),
            (_, Some(class)) => Err(class),
        }
    }

    /// Checks a configured host before any DNS resolution: an IP literal
    /// by its class, `localhost` names as loopback; other names pass (they
    /// are checked when resolved).
    pub fn check_host(self, host: &str) -> Result<(), InternalAddress> {
        let host = normalise_host(host);
        match host.parse::<IpAddr>() {
            Ok(ip) => self.check(ip),
            Err(_) if is_localhost(&host) => Err(InternalAddress::Loopback),
            Err(_) => Ok(()),
        }
    }

    /// Checks the host of `url` before any DNS resolution: reqwest connects
    /// to an IP literal without asking the resolver, so
    /// [`GuardedResolver`] never sees it.
    ///
    /// The host is the one reqwest will connect to: the URL is parsed by
    /// the same WHATWG parser (`url`, re-exported by reqwest), which reads
    /// `127.1`, `0x7f.0.0.1`, `0177.0.0.1` and `2130706433` as 127.0.0.1
    /// and percent-decodes names. A URL that parser refuses cannot be
    /// requested at all; its host is still checked as written.
    pub fn check_url(self, url: &str) -> Result<(), InternalAddress> {
        match reqwest::Url::parse(url.trim()) {
            // The serialised host: IPv4 in dotted decimal, IPv6 bracketed.
            Ok(u) => u.host_str().map_or(Ok(()), |host| self.check_host(host)),
            Err(_) => {
                crate::edge::url_host_port(url).map_or(Ok(()), |(host, _)| self.check_host(&host))
            }
        }
    }
}

/// A host as configured, lowercase, without IPv6 brackets or a trailing dot.
pub fn normalise_host(host: &str) -> String {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let lower = bare.to_ascii_lowercase();
    match lower.strip_suffix('.') {
        Some(s) => s.to_owned(),
        None => lower,
    }
}

/// `localhost` and `*.localhost` (lowercase): always loopback (RFC 6761 §6.3).
pub fn is_localhost(host: &str) -> bool {
    host == "localhost" || host.ends_with(".localhost")
}

/// A reqwest DNS resolver that drops the addresses its policy refuses and
/// fails when none is left.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver(pub AddressPolicy);

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.0;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| policy.check(a.ip()).is_ok())
                .collect();
            if addrs.is_empty() {
                return Err(format!(
                    "{host} resolves only to private or local addresses (refused)"
                )
                .into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AddressPolicy::{GlobalOnly, Upstream};

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// Examples from the IANA special-purpose registries (RFC 6890 §2.2).
    #[test]
    fn special_purpose_addresses_are_private() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(GlobalOnly.check(ip(a)).is_err(), "{a}");
        }
        for a in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(GlobalOnly.check(ip(a)).is_ok(), "{a}");
            assert!(Upstream.check(ip(a)).is_ok(), "{a}");
        }
    }

    /// Every block the IANA IPv4 and IPv6 Special-Purpose Address
    /// Registries mark "Globally Reachable: False" (registries as of
    /// 2025-10, RFC 6890 as amended by RFC 8190; multicast from the
    /// multicast registries), checked at its first and last address, is
    /// refused for webhooks; so are the blocks this module refuses more
    /// conservatively than the registry (see [`InternalAddress::Reserved`]).
    /// The addresses just outside the IPv4 blocks and around the IPv6
    /// ones, and well-known public resolvers, stay allowed.
    #[test]
    fn every_non_global_registry_block_is_refused_at_both_ends() {
        for (block, first, last) in [
            ("0.0.0.0/8", "0.0.0.0", "0.255.255.255"),
            ("10.0.0.0/8", "10.0.0.0", "10.255.255.255"),
            ("100.64.0.0/10", "100.64.0.0", "100.127.255.255"),
            ("127.0.0.0/8", "127.0.0.0", "127.255.255.255"),
            ("169.254.0.0/16", "169.254.0.0", "169.254.255.255"),
            ("172.16.0.0/12", "172.16.0.0", "172.31.255.255"),
            ("192.0.0.0/24", "192.0.0.0", "192.0.0.255"),
            ("192.0.2.0/24", "192.0.2.0", "192.0.2.255"),
            ("192.168.0.0/16", "192.168.0.0", "192.168.255.255"),
            ("198.18.0.0/15", "198.18.0.0", "198.19.255.255"),
            ("198.51.100.0/24", "198.51.100.0", "198.51.100.255"),
            ("203.0.113.0/24", "203.0.113.0", "203.0.113.255"),
            ("224.0.0.0/4", "224.0.0.0", "239.255.255.255"),
            ("240.0.0.0/4", "240.0.0.0", "255.255.255.255"),
            ("::/128", "::", "::"),
            ("::1/128", "::1", "::1"),
            ("::ffff:0:0/96", "::ffff:0.0.0.0", "::ffff:10.255.255.255"),
            ("64:ff9b::/96", "64:ff9b::", "64:ff9b::ffff:ffff"),
            (
                "64:ff9b:1::/48",
                "64:ff9b:1::",
                "64:ff9b:1:ffff:ffff:ffff:ffff:ffff",
            ),
            ("100::/64", "100::", "100::ffff:ffff:ffff:ffff"),
            (
                "100:0:0:1::/64",
                "100:0:0:1::",
                "100::1:ffff:ffff:ffff:ffff",
            ),
            (
                "2001::/23",
                "2001::",
                "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
            (
                "2001:2::/48",
                "2001:2::",
                "2001:2:0:ffff:ffff:ffff:ffff:ffff",
            ),
            (
                "2001:db8::/32",
                "2001:db8::",
                "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
            (
                "2002::/16",
                "2002::",
                "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
            (
                "3fff::/20",
                "3fff::",
                "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
            (
                "5f00::/16",
                "5f00::",
                "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
            (
                "fc00::/7",
                "fc00::",
                "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
            (
                "fe80::/10",
                "fe80::",
                "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
            (
                "ff00::/8",
                "ff00::",
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            ),
        ] {
            for a in [first, last] {
                assert!(GlobalOnly.check(ip(a)).is_err(), "{a} in {block}");
            }
        }
        for a in [
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.0",
            "169.253.255.255",
            "169.255.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.0.1.255",
            "192.0.3.0",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "198.51.99.255",
            "198.51.101.0",
            "203.0.112.255",
            "203.0.114.0",
            "223.255.255.255",
            "2001:200::1",
            "2001:db9::1",
            "2001:4860:4860::8888",
            "2620:fe::fe",
            "3fff:1000::1",
        ] {
            assert_eq!(GlobalOnly.check(ip(a)), Ok(()), "{a}");
        }
    }

    /// The upstream policy refuses only loopback, link-local and
    /// unroutable addresses: backends live on private networks.
    #[test]
    fn upstreams_may_use_private_networks() {
        for (a, class) in [
            ("127.0.0.1", InternalAddress::Loopback),
            ("::1", InternalAddress::Loopback),
            ("::ffff:127.0.0.1", InternalAddress::Loopback),
            ("169.254.169.254", InternalAddress::LinkLocal),
            ("fe80::1", InternalAddress::LinkLocal),
            ("0.0.0.0", InternalAddress::Unroutable),
            ("::", InternalAddress::Unroutable),
            ("224.0.0.1", InternalAddress::Unroutable),
            ("255.255.255.255", InternalAddress::Unroutable),
        ] {
            assert_eq!(Upstream.check(ip(a)), Err(class), "{a}");
            assert_eq!(GlobalOnly.check(ip(a)), Err(class), "{a}");
        }
        for (a, class) in [
            ("10.0.0.5", InternalAddress::Private),
            ("100.64.0.1", InternalAddress::Private),
            ("fd12::1", InternalAddress::Private),
            ("192.0.2.1", InternalAddress::Reserved),
            ("240.0.0.1", InternalAddress::Reserved),
            ("2001:db8::1", InternalAddress::Reserved),
            ("2001:2::1", InternalAddress::Reserved),
            ("3fff::1", InternalAddress::Reserved),
            ("5f00::1", InternalAddress::Reserved),
            ("2002:a00:1::1", InternalAddress::Reserved),
        ] {
            assert_eq!(Upstream.check(ip(a)), Ok(()), "{a}");
            assert_eq!(GlobalOnly.check(ip(a)), Err(class), "{a}");
        }
    }

    #[test]
    fn literal_hosts() {
        assert!(GlobalOnly.check_url("https://127.0.0.1:8443/hook").is_err());
        assert!(GlobalOnly.check_url("https://[::1]/x").is_err());
        assert!(GlobalOnly
            .check_url("http://user:pw@169.254.169.254/latest")
            .is_err());
        assert!(GlobalOnly.check_url("https://localhost/x").is_err());
        assert!(GlobalOnly.check_url("https://hooks.example.com/x").is_ok());
        assert!(GlobalOnly.check_url("https://8.8.8.8/x").is_ok());
    }

    /// The WHATWG URL Standard's IPv4 parser
    /// (<https://url.spec.whatwg.org/#concept-ipv4-parser>), which reqwest
    /// uses, reads all of these hosts as 127.0.0.1 (or 10.0.0.1) and
    /// connects without DNS: each is refused as the address it means, not
    /// waved through as a name. Percent-encoded names are decoded first
    /// (host parser step 4), so `%6Cocalhost` is `localhost`.
    #[test]
    fn literal_hosts_are_judged_as_the_http_client_reads_them() {
        for url in [
            "https://127.1/hook",
            "https://0x7f.0.0.1/hook",
            "https://0177.0.0.1/hook",
            "https://2130706433/hook",
            "https://0x7f000001:8443/hook",
            "https://10.1/hook",
            "https://[::ffff:7f00:1]/hook",
            "https://%6Cocalhost/hook",
            "https://LOCALHOST./hook",
            "https://api.localhost/hook",
        ] {
            assert!(GlobalOnly.check_url(url).is_err(), "{url}");
        }
        assert_eq!(
            GlobalOnly.check_url("https://127.1/hook"),
            Err(InternalAddress::Loopback)
        );
        assert_eq!(
            GlobalOnly.check_url("https://10.1/hook"),
            Err(InternalAddress::Private)
        );
        // 8.8.8.8 written as one number is still a public address.
        assert_eq!(GlobalOnly.check_url("https://134744072/x"), Ok(()));
    }
}
