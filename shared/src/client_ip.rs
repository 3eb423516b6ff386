//! Which address a request comes from: the TCP peer, or, when the peer is
//! one of the deployment's own proxies (`QSGW_TRUSTED_PROXIES` at the
//! gateway, `QUANTUN_TRUSTED_PROXIES` at the APIs), the right-most
//! `X-Forwarded-For` hop that is not a trusted proxy.
//!
//! The right-most untrusted hop is the one address no client can forge:
//! every hop left of it was written by the client or by proxies we do not
//! run (MDN, "X-Forwarded-For: Selecting an IP address"; nginx
//! `real_ip_recursive on`). Rate limits, login throttling and audit rows
//! key on it, so one place decides it for the gateway and the APIs.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderMap, HeaderName};
use axum::middleware::Next;
use axum::response::Response;

use crate::edge::IpNet;

/// `X-Forwarded-For`: believed only from a trusted proxy peer, walked from
/// the right; the gateway replaces it on what it forwards upstream.
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// The client address of a request, as [`middleware`] resolved it; an
/// extension of every request that came over a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// One `X-Forwarded-For` hop: an address, perhaps with a port or brackets.
pub fn parse_hop(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            s.strip_prefix('[')
                .and_then(|x| x.strip_suffix(']'))
                .and_then(|x| x.parse().ok())
        })
}

/// Walking `X-Forwarded-For` from the right behind the trusted `peer`: the
/// first hop that is not trusted (or the left-most when all are), and the
/// hops read to get there, right-most first. An entry that is not an
/// address ends the walk: what is left of it was written by someone
/// untrusted, so the client is the last address read (the peer when none).
pub fn forwarded_client(
    headers: &HeaderMap,
    peer: IpAddr,
    is_trusted: impl Fn(IpAddr) -> bool,
) -> (IpAddr, Vec<IpAddr>) {
    let mut ip = peer;
    let mut kept = Vec::new();
    let values: Vec<&str> = headers
        .get_all(&X_FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let hops = values
        .iter()
        .rev()
        .flat_map(|v| v.rsplit(','))
        .map(str::trim)
        .filter(|h| !h.is_empty());
    for hop in hops {
        let Some(addr) = parse_hop(hop) else { break };
        ip = addr;
        kept.push(addr);
        if !is_trusted(addr) {
            break;
        }
    }
    (ip, kept)
}

/// The trusted proxies of an API (`QUANTUN_TRUSTED_PROXIES`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    /// Trusts the networks `nets` (none: `X-Forwarded-For` is ignored).
    pub fn new(nets: Vec<IpNet>) -> Self {
        Self(nets.into())
    }

    /// Whether `ip` is one of them.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|n| n.contains(&ip))
    }

    /// The client of a request from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        forwarded_client(headers, peer, |ip| self.contains(ip)).0
    }
}

/// Middleware for [`axum::middleware::from_fn_with_state`]: records
/// [`ClientIp`] for the layers and handlers after it.
pub async fn middleware(
    axum::extract::State(trusted): axum::extract::State<TrustedProxies>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let ip = trusted.client(peer, req.headers());
        req.extensions_mut().insert(ClientIp(ip));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(X_FORWARDED_FOR, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies() -> TrustedProxies {
        TrustedProxies::new(crate::edge::parse_cidrs("10.0.0.0/8").unwrap())
    }

    /// MDN's rule (X-Forwarded-For, "Selecting an IP address"): behind
    /// trusted proxies the client is the right-most address that is not one
    /// of them, across repeated headers (RFC 9110 §5.3: repeated fields
    /// are one comma-joined list, in order).
    #[test]
    fn behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_client() {
        let t = proxies();
        let h = xff(&["203.0.113.7, 198.51.100.2", "10.0.0.3"]);
        assert_eq!(t.client(ip("10.0.0.1"), &h), ip("198.51.100.2"));
        // A client prepending a forged hop gains nothing.
        let h = xff(&["1.2.3.4, 203.0.113.7"]);
        assert_eq!(t.client(ip("10.0.0.1"), &h), ip("203.0.113.7"));
        // All hops trusted: the left-most.
        let h = xff(&["10.1.1.1, 10.2.2.2"]);
        assert_eq!(t.client(ip("10.0.0.1"), &h), ip("10.1.1.1"));
        // Garbage ends the walk at the last address read.
        let h = xff(&["203.0.113.7, not-an-ip, 10.0.0.9"]);
        assert_eq!(t.client(ip("10.0.0.1"), &h), ip("10.0.0.9"));
        let h = xff(&["[2001:db8::1]:4711"]);
        assert_eq!(t.client(ip("10.0.0.1"), &h), ip("2001:db8::1"));
    }

    /// An attacker connecting directly cannot choose its address by
    /// sending `X-Forwarded-For`.
    #[test]
    fn from_an_untrusted_peer_the_header_is_ignored() {
        let h = xff(&["10.0.0.5"]);
        assert_eq!(proxies().client(ip("198.51.100.9"), &h), ip("198.51.100.9"));
        assert_eq!(
            TrustedProxies::default().client(ip("10.0.0.1"), &h),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn hops_are_read_with_ports_and_brackets() {
        assert_eq!(parse_hop("[2001:db8::1]"), Some(ip("2001:db8::1")));
        assert_eq!(parse_hop("192.0.2.1:80"), Some(ip("192.0.2.1")));
        assert_eq!(parse_hop("unknown"), None);
    }
}
