//! Key-exchange policy of a request: the strictest of the host's policy
//! (`QSGW_TLS_SNI_POLICIES`, else the listener's `QSGW_TLS_POLICY`) and the
//! route's `tls_policy`, checked against what the connection negotiated.
//!
//! The handshake can only apply the policy of the name in SNI; the request
//! names its host in `Host`/`:authority`, and a route may demand more than
//! its host. So every request is checked again:
//!
//! - the connection satisfies the policy → served;
//! - it does not, and SNI named another host whose policy is weaker than
//!   the requested host's → `421 Misdirected Request` (RFC 9110 §15.5.20:
//!   the client should open a connection for the right name, whose
//!   handshake then runs under the right policy; browsers coalescing HTTP/2
//!   connections do exactly this);
//! - otherwise → `403`, naming the policy and the negotiated group.

use std::collections::HashMap;

use shared::edge::{parent_domain, HostKind, HostPattern};
use shared::qsgw::TlsPolicy;

use crate::tls::TlsFacts;

/// How strict a policy is (higher is stricter).
fn rank(p: TlsPolicy) -> u8 {
    match p {
        TlsPolicy::ClassicalAllowed => 0,
        TlsPolicy::PqcPreferred => 1,
        TlsPolicy::PqcOnly => 2,
        TlsPolicy::Cnsa2 => 3,
    }
}

/// The stricter of two policies.
pub fn strictest(a: TlsPolicy, b: TlsPolicy) -> TlsPolicy {
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// Whether a connection meets `policy`: `CNSA2` needs ML-KEM-1024 (alone
/// or in the P-384 hybrid) and AES-256-GCM, `PQC_ONLY` a post-quantum
/// group, `PQC_PREFERRED` TLS 1.3 (its handshake offers nothing else),
/// `CLASSICAL_ALLOWED` anything.
pub fn satisfied_by(policy: TlsPolicy, tls: &TlsFacts) -> bool {
    match policy {
        TlsPolicy::Cnsa2 => {
            crate::tls::is_cnsa2_group(tls.kx_group) && tls.cipher_suite == crate::tls::CNSA2_SUITE
        }
        TlsPolicy::PqcOnly => tls.pqc,
        TlsPolicy::PqcPreferred => tls.protocol == "TLSv1.3",
        TlsPolicy::ClassicalAllowed => true,
    }
}

/// A per-host setting (exact names and `*.` wildcards) over a default:
/// the key-exchange policy (`QSGW_TLS_SNI_POLICIES`), the client
/// certificate demand (`QSGW_TLS_SNI_CLIENT_AUTH`) and the chains served
/// (`QSGW_TLS_SNI_CERTS`) all look a host up the same way.
#[derive(Debug, Clone)]
pub struct HostMap<T> {
    default: T,
    exact: HashMap<String, T>,
    wildcard: HashMap<String, T>,
    /// The patterns inserted, in insertion order, without repeats.
    patterns: Vec<HostPattern>,
}

/// The listener's policy and per-host overrides.
pub type HostPolicies = HostMap<TlsPolicy>;

impl<T: Clone> HostMap<T> {
    /// `default` for every host, no override.
    pub fn new(default: T) -> Self {
        Self {
            default,
            exact: HashMap::new(),
            wildcard: HashMap::new(),
            patterns: Vec::new(),
        }
    }

    /// Adds (or replaces) the value for `host` (a name or `*.domain`).
    pub fn insert(&mut self, host: &HostPattern, value: T) {
        let previous = match host.kind() {
            HostKind::Exact(h) => self.exact.insert(h.to_owned(), value),
            HostKind::Wildcard(s) => self.wildcard.insert(s.to_owned(), value),
        };
        if previous.is_none() {
            self.patterns.push(host.clone());
        }
    }

    /// The value for hosts no override names.
    pub fn default_value(&self) -> &T {
        &self.default
    }

    /// Whether some host has its own value.
    pub fn has_overrides(&self) -> bool {
        !self.exact.is_empty() || !self.wildcard.is_empty()
    }

    /// The patterns with their own value.
    pub fn patterns(&self) -> impl Iterator<Item = HostPattern> + '_ {
        self.patterns.iter().cloned()
    }

    /// The value of a (normalised) host name: its own, else its parent
    /// domain's wildcard, else the default (also for no name).
    pub fn of(&self, host: Option<&str>) -> &T {
        let Some(h) = host else {
            return &self.default;
        };
        if !self.has_overrides() {
            return &self.default;
        }
        if let Some(v) = self.exact.get(h) {
            return v;
        }
        parent_domain(h)
            .and_then(|d| self.wildcard.get(d))
            .unwrap_or(&self.default)
    }

    /// The value every host `pattern` matches gets: for a name, [`Self::of`]
    /// it; for `*.domain`, that wildcard's own value or the default.
    pub fn of_pattern(&self, pattern: &HostPattern) -> &T {
        match pattern.kind() {
            HostKind::Exact(h) => self.of(Some(h)),
            HostKind::Wildcard(s) => self.wildcard.get(s).unwrap_or(&self.default),
        }
    }
}

impl HostMap<TlsPolicy> {
    /// The listener's policy.
    pub fn default_policy(&self) -> TlsPolicy {
        self.default
    }
}

/// A request the connection's key exchange does not qualify for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRefusal {
    /// The policy the request needed.
    pub required: TlsPolicy,
    /// The group the connection negotiated.
    pub negotiated: &'static str,
    /// 421 rather than 403: SNI named a host with a weaker policy.
    pub misdirected: bool,
}

/// Checks a request for `host` (normalised, `None` when absent) on a
/// connection with `tls`, for a route demanding `route_policy`.
pub fn check(
    policies: &HostPolicies,
    tls: &TlsFacts,
    host: Option<&str>,
    route_policy: Option<TlsPolicy>,
) -> Result<(), PolicyRefusal> {
    let host_policy = *policies.of(host);
    let required = route_policy.map_or(host_policy, |r| strictest(host_policy, r));
    if satisfied_by(required, tls) {
        return Ok(());
    }
    let sni = tls.sni.as_deref();
    let sni_policy = *policies.of(sni);
    let misdirected = sni != host && rank(host_policy) > rank(sni_policy);
    Err(PolicyRefusal {
        required,
        negotiated: tls.kx_group,
        misdirected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(group: &'static str, pqc: bool, sni: Option<&str>) -> TlsFacts {
        TlsFacts {
            protocol: "TLSv1.3",
            cipher_suite: "TLS13_AES_128_GCM_SHA256",
            kx_group: group,
            pqc,
            alpn: None,
            sni: sni.map(str::to_owned),
            client_cert: None,
        }
    }

    #[test]
    fn strictest_of_host_and_route_applies() {
        let mut p = HostPolicies::new(TlsPolicy::PqcPreferred);
        p.insert(
            &HostPattern::parse("pq.example.com").unwrap(),
            TlsPolicy::PqcOnly,
        );
        p.insert(
            &HostPattern::parse("*.legacy.example").unwrap(),
            TlsPolicy::ClassicalAllowed,
        );
        let classical = facts("X25519", false, Some("www.example.com"));
        let pq = facts("X25519MLKEM768", true, Some("www.example.com"));
        assert_eq!(check(&p, &classical, Some("www.example.com"), None), Ok(()));
        // Route demands PQC_ONLY: 403 on the same name.
        let r = check(
            &p,
            &classical,
            Some("www.example.com"),
            Some(TlsPolicy::PqcOnly),
        )
        .unwrap_err();
        assert_eq!((r.required, r.misdirected), (TlsPolicy::PqcOnly, false));
        assert_eq!(r.negotiated, "X25519");
        assert_eq!(
            check(&p, &pq, Some("www.example.com"), Some(TlsPolicy::PqcOnly)),
            Ok(())
        );
        // A route cannot relax its host: CLASSICAL_ALLOWED on a PQC_ONLY host.
        let on_pq = facts("X25519", false, Some("pq.example.com"));
        assert!(check(
            &p,
            &on_pq,
            Some("pq.example.com"),
            Some(TlsPolicy::ClassicalAllowed)
        )
        .is_err());
        // Host asks more than SNI gave: 421.
        let r = check(&p, &classical, Some("pq.example.com"), None).unwrap_err();
        assert!(r.misdirected);
        // No SNI at all counts as another name.
        let r = check(
            &p,
            &facts("X25519", false, None),
            Some("pq.example.com"),
            None,
        )
        .unwrap_err();
        assert!(r.misdirected);
        assert_eq!(*p.of(Some("a.legacy.example")), TlsPolicy::ClassicalAllowed);
        assert_eq!(*p.of(Some("legacy.example")), TlsPolicy::PqcPreferred);
    }
}
