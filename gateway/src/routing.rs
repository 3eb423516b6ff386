//! The routing table: built from a [`ConfigSnapshot`], swapped atomically,
//! read lock-free by every request. Requests never call etcd.
//!
//! Matching: the request host (lowercased, port removed) selects the routes
//! for that host, then those of a `*.` wildcard covering it (one label,
//! [`shared::edge::HostPattern`]), then host-less routes; the request path
//! is the canonical one ([`shared::edge::canonical_path`]). Among a host's
//! routes, an exact
//! path match beats the longest prefix match (prefixes match on segment
//! boundaries: `/api` matches `/api` and `/api/x`, not `/apix`); a route with
//! a method list only matches those methods.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use shared::edge::{parent_domain, HostKind, HostPattern};
use shared::qsgw::{ConfigSnapshot, LbPolicy, PathMatch, RouteConfig, Target, UpstreamConfig};

use shared::ratelimit::{IpRateLimiter, RateLimit};

use crate::health::HealthRegistry;
use crate::target::TargetState;

/// A route with its upstream resolved.
#[derive(Debug, Clone)]
pub struct RouteEntry {
    /// The route's match, policies and limits, from the config in force.
    pub route: RouteConfig,
    /// State of the upstream named by `route.upstream_id` (targets, health,
    /// balancing cursor), shared with every route using that upstream.
    pub upstream: Arc<UpstreamState>,
    /// The route's own per-IP limit, when it overrides the global one.
    pub limiter: Option<IpRateLimiter>,
    /// The route's metric handles, registered once per table build.
    pub metrics: Arc<RouteMetrics>,
}

/// Metric handles of one route (or of requests that matched none), so the
/// request path neither formats labels nor looks them up.
#[derive(Debug)]
pub struct RouteMetrics {
    /// Route id (`none` when no route matched), shared with threat reports.
    pub id: Arc<str>,
    /// `qsgw_requests_total` by status class 1xx..5xx.
    requests: [metrics::Counter; 5],
    /// `qsgw_request_duration_seconds`.
    pub duration: metrics::Histogram,
    /// `qsgw_rate_limited_total`.
    pub rate_limited: metrics::Counter,
    /// `qsgw_requests_blocked_total`.
    pub blocked: metrics::Counter,
}

impl RouteMetrics {
    /// Registers the handles of route `id`.
    pub fn new(id: &str) -> Self {
        let label = id.to_owned();
        let class = |c: &'static str| metrics::counter!("qsgw_requests_total", "route" => label.clone(), "status_class" => c);
        Self {
            requests: [
                class("1xx"),
                class("2xx"),
                class("3xx"),
                class("4xx"),
                class("5xx"),
            ],
            duration: metrics::histogram!("qsgw_request_duration_seconds", "route" => label.clone()),
            rate_limited: metrics::counter!("qsgw_rate_limited_total", "route" => label.clone()),
            blocked: metrics::counter!("qsgw_requests_blocked_total", "route" => label),
            id: Arc::from(id),
        }
    }

    /// Counts one answered request.
    pub fn answered(&self, status: u16, seconds: f64) {
        let i = usize::from(status / 100).clamp(1, 5) - 1;
        self.requests[i].increment(1);
        self.duration.record(seconds);
    }
}

/// A per-second rate as the shared limiter's per-minute quota.
pub fn rate(rps: u32, burst: u32) -> Option<RateLimit> {
    Some(RateLimit {
        per_minute: std::num::NonZeroU32::new(rps.saturating_mul(60))?,
        burst: std::num::NonZeroU32::new(burst.max(1))?,
    })
}

/// An upstream, its targets' health and its balancing cursor (shared by
/// every route using it).
#[derive(Debug)]
pub struct UpstreamState {
    /// The upstream's document from the config in force: targets,
    /// balancing policy, timeouts, TLS.
    pub config: UpstreamConfig,
    targets: Vec<(Target, Arc<TargetState>)>,
    cursor: AtomicUsize,
}

impl UpstreamState {
    /// Picks the next available target (healthy, not ejected, weight > 0)
    /// by the upstream's policy.
    pub fn pick(&self) -> Option<(&Target, &Arc<TargetState>)> {
        self.pick_except(None)
    }

    /// Like [`UpstreamState::pick`], avoiding `avoid` when another target is
    /// available (retries go elsewhere).
    pub fn pick_except(&self, avoid: Option<&Target>) -> Option<(&Target, &Arc<TargetState>)> {
        // Two passes over the (short) target list instead of collecting the
        // candidates: no allocation per request.
        let live = self
            .targets
            .iter()
            .filter(|(t, s)| t.weight > 0 && s.available())
            .count();
        if live == 0 {
            return None;
        }
        let avoid = avoid.filter(|_| live > 1);
        let candidates = || {
            self.targets
                .iter()
                .filter(move |(t, s)| t.weight > 0 && Some(t) != avoid && s.available())
                .map(|(t, s)| (t, s))
        };
        let count = if avoid.is_some() {
            candidates().count()
        } else {
            live
        };
        let n = self.cursor.fetch_add(1, Ordering::Relaxed);
        match self.config.lb_policy {
            LbPolicy::Weighted => {
                let total: usize = candidates().map(|(t, _)| t.weight as usize).sum();
                let mut slot = n % total.max(1);
                let mut last = None;
                for (t, s) in candidates() {
                    let w = t.weight as usize;
                    if slot < w {
                        return Some((t, s));
                    }
                    slot -= w;
                    last = Some((t, s));
                }
                last
            }
            LbPolicy::RoundRobin => candidates().nth(n % count.max(1)),
            LbPolicy::LeastConn => {
                // Fewest in-flight requests; the rotating start breaks ties.
                let len = count.max(1);
                let start = n % len;
                candidates()
                    .enumerate()
                    .min_by_key(|(i, (_, s))| (s.in_flight(), (i + len - start) % len))
                    .map(|(_, c)| c)
            }
        }
    }
}

/// Why a request found no route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    /// No route for host and path.
    NoRoute,
    /// A route matches host and path but not the method.
    MethodNotAllowed,
}

/// An immutable routing table.
#[derive(Debug, Default)]
pub struct RoutingTable {
    revision: i64,
    by_host: HashMap<String, Vec<Arc<RouteEntry>>>,
    /// `*.suffix` routes by suffix.
    by_wildcard: HashMap<String, Vec<Arc<RouteEntry>>>,
    any_host: Vec<Arc<RouteEntry>>,
    routes: usize,
}

impl RoutingTable {
    /// Builds the table; routes that are disabled or whose upstream is
    /// missing are skipped (and reported). Target health comes from
    /// `health`, which outlives tables.
    pub fn build(snapshot: &ConfigSnapshot, health: &HealthRegistry) -> (Self, Vec<String>) {
        let upstreams: HashMap<_, _> = snapshot
            .upstreams
            .iter()
            .map(|u| {
                let state = UpstreamState {
                    config: u.clone(),
                    targets: u
                        .targets
                        .iter()
                        .map(|t| (t.clone(), health.state(u, t)))
                        .collect(),
                    cursor: AtomicUsize::new(0),
                };
                (u.id.clone(), Arc::new(state))
            })
            .collect();
        let mut table = Self {
            revision: snapshot.revision,
            ..Self::default()
        };
        let mut skipped = Vec::new();
        for r in snapshot.routes.iter().filter(|r| r.enabled) {
            let Some(up) = upstreams.get(&r.upstream_id) else {
                skipped.push(format!(
                    "route {} references unknown upstream {}",
                    r.id, r.upstream_id
                ));
                continue;
            };
            let entry = Arc::new(RouteEntry {
                route: r.clone(),
                upstream: up.clone(),
                limiter: r
                    .rate_limit
                    .and_then(|l| rate(l.rps, l.burst))
                    .map(IpRateLimiter::new),
                metrics: Arc::new(RouteMetrics::new(r.id.as_str())),
            });
            // The host was parsed when the document was read (HostPattern's
            // Deserialize): a route here always has a matchable host.
            match r.host.as_ref().map(HostPattern::kind) {
                Some(HostKind::Exact(h)) => {
                    table.by_host.entry(h.to_owned()).or_default().push(entry)
                }
                Some(HostKind::Wildcard(s)) => {
                    table
                        .by_wildcard
                        .entry(s.to_owned())
                        .or_default()
                        .push(entry);
                }
                None => table.any_host.push(entry),
            }
            table.routes += 1;
        }
        (table, skipped)
    }

    /// Config revision this table was built from.
    pub fn revision(&self) -> i64 {
        self.revision
    }

    /// Number of routes served.
    pub fn len(&self) -> usize {
        self.routes
    }

    /// Whether no route is served.
    pub fn is_empty(&self) -> bool {
        self.routes == 0
    }

    /// Finds the route for a request: `host` as
    /// [`shared::edge::request_host`] normalises it, `path` canonical.
    /// Exact host beats wildcard beats no host.
    pub fn find(
        &self,
        host: Option<&str>,
        path: &str,
        method: &str,
    ) -> Result<Arc<RouteEntry>, Miss> {
        let mut method_mismatch = false;
        if let Some(h) = host {
            let exact = self.by_host.get(h);
            let wildcard = if self.by_wildcard.is_empty() {
                None
            } else {
                parent_domain(h).and_then(|d| self.by_wildcard.get(d))
            };
            for routes in [exact, wildcard].into_iter().flatten() {
                match best(routes, path, method) {
                    Ok(e) => return Ok(e),
                    Err(Miss::MethodNotAllowed) => method_mismatch = true,
                    Err(Miss::NoRoute) => {}
                }
            }
        }
        match best(&self.any_host, path, method) {
            Ok(e) => Ok(e),
            Err(Miss::NoRoute) if method_mismatch => Err(Miss::MethodNotAllowed),
            Err(m) => Err(m),
        }
    }

    /// Every route (for the admin `/config` view).
    pub fn entries(&self) -> impl Iterator<Item = &Arc<RouteEntry>> {
        self.by_host
            .values()
            .chain(self.by_wildcard.values())
            .flatten()
            .chain(self.any_host.iter())
    }

    /// Whether any route names a host (else the request's host is not
    /// needed to route).
    pub fn has_host_routes(&self) -> bool {
        !self.by_host.is_empty() || !self.by_wildcard.is_empty()
    }
}

/// How well a route's path matches: exact beats any prefix, longer prefix
/// beats shorter.
fn path_score(route: &RouteConfig, path: &str) -> Option<usize> {
    match route.path_match {
        PathMatch::Exact => (route.path == path).then_some(usize::MAX),
        PathMatch::Prefix => {
            let p = route.path.trim_end_matches('/');
            if p.is_empty() {
                return Some(0); // "/" matches everything
            }
            let ok =
                path == p || (path.starts_with(p) && path.as_bytes().get(p.len()) == Some(&b'/'));
            ok.then_some(p.len())
        }
    }
}

fn method_ok(route: &RouteConfig, method: &str) -> bool {
    route.methods.is_empty() || route.methods.iter().any(|m| m == method)
}

fn best(routes: &[Arc<RouteEntry>], path: &str, method: &str) -> Result<Arc<RouteEntry>, Miss> {
    let mut best: Option<(usize, &Arc<RouteEntry>)> = None;
    let mut path_matched = false;
    for e in routes {
        let Some(score) = path_score(&e.route, path) else {
            continue;
        };
        path_matched = true;
        if !method_ok(&e.route, method) {
            continue;
        }
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, e));
        }
    }
    match best {
        Some((_, e)) => Ok(e.clone()),
        None if path_matched => Err(Miss::MethodNotAllowed),
        None => Err(Miss::NoRoute),
    }
}

/// The path to send upstream: with `strip_prefix`, the matched prefix is
/// removed (keeping a leading `/`).
/// Borrowed from `path` whenever no rewrite is needed.
pub fn upstream_path<'a>(route: &RouteConfig, path: &'a str) -> std::borrow::Cow<'a, str> {
    if !route.strip_prefix || route.path_match == PathMatch::Exact && route.path == "/" {
        return path.into();
    }
    let p = route.path.trim_end_matches('/');
    match path.strip_prefix(p) {
        Some("") => "/".into(),
        Some(rest) if rest.starts_with('/') => rest.into(),
        _ => path.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::ids::{RouteId, UpstreamId};
    use shared::qsgw::*;

    fn upstream(id: &UpstreamId) -> UpstreamConfig {
        UpstreamConfig {
            id: id.clone(),
            name: "u".into(),
            targets: vec![Target {
                host: "127.0.0.1".into(),
                port: 1,
                weight: 1,
            }],
            lb_policy: LbPolicy::RoundRobin,
            health_check: HealthCheck {
                enabled: false,
                path: "/".into(),
                interval_ms: 1000,
                timeout_ms: 100,
                expected_status: 200,
                healthy_threshold: 1,
                unhealthy_threshold: 1,
            },
            ejection: PassiveEjection {
                after_failures: 0,
                duration_ms: 1000,
            },
            pool_size: None,
            connect_timeout_ms: 1000,
            request_timeout_ms: None,
            tls: None,
            version: 1,
        }
    }

    fn route(
        name: &str,
        host: Option<&str>,
        path: &str,
        m: PathMatch,
        methods: &[&str],
        up: &UpstreamId,
    ) -> RouteConfig {
        RouteConfig {
            id: RouteId::new(),
            name: name.into(),
            host: host.map(|h| HostPattern::parse(h).expect("a valid test host")),
            path: shared::edge::RoutePath::parse(path).expect("a canonical test path"),
            path_match: m,
            methods: methods.iter().map(|s| s.to_string()).collect(),
            upstream_id: up.clone(),
            strip_prefix: false,
            timeout_ms: None,
            retries: 0,
            rate_limit: None,
            tls_policy: None,
            inspection: InspectionMode::Off,
            bots: shared::qsgw::BotPolicy::Flag,
            client_cert_required: false,
            enabled: true,
            version: 1,
        }
    }

    fn table(routes: Vec<RouteConfig>, up: &UpstreamId) -> RoutingTable {
        RoutingTable::build(
            &ConfigSnapshot {
                revision: 7,
                routes,
                upstreams: vec![upstream(up)],
            },
            &HealthRegistry::default(),
        )
        .0
    }

    fn name(
        t: &RoutingTable,
        host: Option<&str>,
        path: &str,
        method: &str,
    ) -> Result<String, Miss> {
        let host = host.map(shared::edge::request_host);
        t.find(host.as_deref(), path, method)
            .map(|e| e.route.name.clone())
    }

    #[test]
    fn exact_beats_longest_prefix_beats_shorter_prefix() {
        let u = UpstreamId::new();
        let t = table(
            vec![
                route("root", None, "/", PathMatch::Prefix, &[], &u),
                route("api", None, "/api", PathMatch::Prefix, &[], &u),
                route("api-v1", None, "/api/v1", PathMatch::Prefix, &[], &u),
                route("exact", None, "/api/v1/status", PathMatch::Exact, &[], &u),
            ],
            &u,
        );
        assert_eq!(name(&t, None, "/api/v1/status", "GET").unwrap(), "exact");
        assert_eq!(name(&t, None, "/api/v1/status/x", "GET").unwrap(), "api-v1");
        assert_eq!(name(&t, None, "/api/v2", "GET").unwrap(), "api");
        assert_eq!(
            name(&t, None, "/apix", "GET").unwrap(),
            "root",
            "prefix matches on segments"
        );
        assert_eq!(name(&t, None, "/", "GET").unwrap(), "root");
        assert_eq!(t.revision(), 7);
    }

    #[test]
    fn host_routes_win_and_fall_back_to_any_host() {
        let u = UpstreamId::new();
        let t = table(
            vec![
                route(
                    "shop",
                    Some("Shop.Example.com"),
                    "/",
                    PathMatch::Prefix,
                    &[],
                    &u,
                ),
                route("any", None, "/", PathMatch::Prefix, &[], &u),
                route(
                    "shop-only-api",
                    Some("shop.example.com"),
                    "/api",
                    PathMatch::Prefix,
                    &["POST"],
                    &u,
                ),
            ],
            &u,
        );
        assert_eq!(
            name(&t, Some("shop.example.com:8443"), "/x", "GET").unwrap(),
            "shop"
        );
        assert_eq!(
            name(&t, Some("SHOP.example.com."), "/x", "GET").unwrap(),
            "shop"
        );
        assert_eq!(name(&t, Some("other.example"), "/x", "GET").unwrap(), "any");
        assert_eq!(name(&t, None, "/x", "GET").unwrap(), "any");
        assert_eq!(
            name(&t, Some("shop.example.com"), "/api/y", "POST").unwrap(),
            "shop-only-api"
        );
        // GET /api on the shop host: the method-limited route is skipped, the
        // host's "/" route serves it.
        assert_eq!(
            name(&t, Some("shop.example.com"), "/api/y", "GET").unwrap(),
            "shop"
        );
    }

    #[test]
    fn exact_host_beats_wildcard_beats_any_host() {
        let u = UpstreamId::new();
        let t = table(
            vec![
                route(
                    "wild",
                    Some("*.example.com"),
                    "/",
                    PathMatch::Prefix,
                    &[],
                    &u,
                ),
                route(
                    "www",
                    Some("www.example.com"),
                    "/",
                    PathMatch::Prefix,
                    &[],
                    &u,
                ),
                route("any", None, "/", PathMatch::Prefix, &[], &u),
                route(
                    "wild-post",
                    Some("*.example.com"),
                    "/submit",
                    PathMatch::Exact,
                    &["POST"],
                    &u,
                ),
            ],
            &u,
        );
        assert_eq!(
            name(&t, Some("www.example.com"), "/", "GET").unwrap(),
            "www"
        );
        assert_eq!(
            name(&t, Some("Shop.example.com:8443"), "/", "GET").unwrap(),
            "wild"
        );
        // One label only (RFC 6125 §6.4.3).
        assert_eq!(
            name(&t, Some("a.b.example.com"), "/", "GET").unwrap(),
            "any"
        );
        assert_eq!(name(&t, Some("example.com"), "/", "GET").unwrap(), "any");
        // The exact host's routes are searched before the wildcard's.
        assert_eq!(
            name(&t, Some("www.example.com"), "/submit", "POST").unwrap(),
            "www"
        );
        assert_eq!(
            name(&t, Some("api.example.com"), "/submit", "POST").unwrap(),
            "wild-post"
        );
    }

    #[test]
    fn methods_and_misses() {
        let u = UpstreamId::new();
        let t = table(
            vec![route(
                "post",
                None,
                "/submit",
                PathMatch::Exact,
                &["POST", "PUT"],
                &u,
            )],
            &u,
        );
        assert_eq!(name(&t, None, "/submit", "PUT").unwrap(), "post");
        assert_eq!(
            name(&t, None, "/submit", "GET"),
            Err(Miss::MethodNotAllowed)
        );
        assert_eq!(name(&t, None, "/other", "GET"), Err(Miss::NoRoute));
    }

    #[test]
    fn disabled_routes_and_dangling_upstreams_are_skipped() {
        let u = UpstreamId::new();
        let mut off = route("off", None, "/off", PathMatch::Prefix, &[], &u);
        off.enabled = false;
        let dangling = route(
            "dangling",
            None,
            "/d",
            PathMatch::Prefix,
            &[],
            &UpstreamId::new(),
        );
        let (t, skipped) = RoutingTable::build(
            &ConfigSnapshot {
                revision: 1,
                routes: vec![off, dangling],
                upstreams: vec![upstream(&u)],
            },
            &HealthRegistry::default(),
        );
        assert!(t.is_empty());
        assert_eq!(skipped.len(), 1);
        assert_eq!(name(&t, None, "/off", "GET"), Err(Miss::NoRoute));
    }

    #[test]
    fn balancing_spreads_as_configured() {
        let u = UpstreamId::new();
        let mut up = upstream(&u);
        up.targets = vec![
            Target {
                host: "a".into(),
                port: 1,
                weight: 3,
            },
            Target {
                host: "b".into(),
                port: 1,
                weight: 1,
            },
            Target {
                host: "drained".into(),
                port: 1,
                weight: 0,
            },
        ];
        up.lb_policy = LbPolicy::Weighted;
        let snap = ConfigSnapshot {
            revision: 1,
            routes: vec![route("r", None, "/", PathMatch::Prefix, &[], &u)],
            upstreams: vec![up.clone()],
        };
        let t = RoutingTable::build(&snap, &HealthRegistry::default()).0;
        let e = t.find(None, "/", "GET").unwrap();
        let mut counts = std::collections::HashMap::new();
        for _ in 0..400 {
            *counts
                .entry(e.upstream.pick().unwrap().0.host.clone())
                .or_insert(0) += 1;
        }
        assert_eq!(
            (counts["a"], counts["b"], counts.get("drained")),
            (300, 100, None)
        );
        up.lb_policy = LbPolicy::RoundRobin;
        let snap = ConfigSnapshot {
            upstreams: vec![up],
            ..snap
        };
        let t = RoutingTable::build(&snap, &HealthRegistry::default()).0;
        let e = t.find(None, "/", "GET").unwrap();
        let picks: Vec<String> = (0..4)
            .map(|_| e.upstream.pick().unwrap().0.host.clone())
            .collect();
        assert_eq!(picks, vec!["a", "b", "a", "b"]);
    }

    #[test]
    fn strip_prefix_keeps_a_leading_slash() {
        let u = UpstreamId::new();
        let mut r = route("s", None, "/qsgw", PathMatch::Prefix, &[], &u);
        r.strip_prefix = true;
        assert_eq!(upstream_path(&r, "/qsgw/api/v1/x"), "/api/v1/x");
        assert_eq!(upstream_path(&r, "/qsgw"), "/");
        r.strip_prefix = false;
        assert_eq!(upstream_path(&r, "/qsgw/api"), "/qsgw/api");
    }
}
