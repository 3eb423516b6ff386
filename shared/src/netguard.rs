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
    /// Other ranges that are not globally reachable: "this network"
    /// 0.0.0.0/8, IETF protocol assignments 192.0.0.0/24, documentation,
    /// benchmarking 198.18.0.0/15, reserved 240.0.0.0/4, NAT64
    /// 64:ff9b::/96, discard-only 100::/64.
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
    } else if (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0] == 0x0064 && s[1] == 0xff9b)
        || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0)
    {
        // documentation 2001:db8::/32, NAT64 64:ff9b::/96 (embeds IPv4),
        // discard-only 100::/64
        Some(InternalAddress::Reserved)
    } else {
        None
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

    /// [`Self::check_host`] on the host of `url` (reqwest does not resolve
    /// IP literals, so [`GuardedResolver`] never sees them).
    pub fn check_url(self, url: &str) -> Result<(), InternalAddress> {
        crate::edge::url_host_port(url).map_or(Ok(()), |(host, _)| self.check_host(&host))
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
}
