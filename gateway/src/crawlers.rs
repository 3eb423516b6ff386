//! Verified crawlers: a client whose user agent claims to be a search
//! engine's crawler is checked the way the search engines document it
//! (`data/verified_crawlers.json`): a reverse DNS lookup of its address must
//! give a host name in the crawler's domains, and a forward lookup of that
//! name must give the address back. A route with `bots: allow_verified`
//! lets a verified crawler through whatever the AI engine thinks of its
//! agent string, and refuses an impostor that copies the string.
//!
//! The check runs off the request path: the first request of a client
//! starts it in the background (at most [`MAX_IN_FLIGHT`] at once) and is
//! judged as if nothing were claimed; the answer is cached per (address,
//! crawler) for [`VERIFIED_TTL`] (verified) or [`REFUTED_TTL`] (refuted, or
//! DNS failed: an unverifiable claim is not trusted).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::TokioResolver;
use serde::Deserialize;
use tokio::sync::Semaphore;

/// The crawler list built into the binary.
pub const EMBEDDED: &str = include_str!("../data/verified_crawlers.json");
/// How long a verified (address, crawler) pair is trusted.
pub const VERIFIED_TTL: Duration = Duration::from_secs(6 * 3600);
/// How long a refuted claim is remembered.
pub const REFUTED_TTL: Duration = Duration::from_secs(3600);
/// How long a started check suppresses another for the same pair.
const PENDING_TTL: Duration = Duration::from_secs(30);
/// Checks running at once; more claims wait for a later request.
pub const MAX_IN_FLIGHT: usize = 64;
/// Pairs remembered per cache.
const CACHE_CAPACITY: u64 = 100_000;

/// One crawler operator.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crawler {
    /// Operator, e.g. `Google`.
    pub name: String,
    /// Agent tokens that claim it (case-insensitive substrings).
    pub agent_tokens: Vec<String>,
    /// Domains its reverse DNS names end in.
    pub domains: Vec<String>,
    /// Where the operator documents the check.
    pub cite: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: u32,
    version: String,
    #[allow(dead_code)]
    description: String,
    crawlers: Vec<Crawler>,
}

/// What is known about a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Reverse and forward DNS agree: it is the crawler.
    Verified,
    /// DNS does not confirm it: an impostor.
    Refuted,
    /// Not known yet (the check runs in the background).
    Pending,
}

/// How the crawler verifier resolves names: which servers, how long a
/// lookup may take.
#[derive(Debug, Clone)]
pub struct VerifierSettings {
    /// Name servers to ask (`QSGW_BOT_DNS_SERVERS`); empty: the system's
    /// (`/etc/resolv.conf`).
    pub dns_servers: Vec<SocketAddr>,
    /// Budget of one lookup.
    pub dns_timeout: Duration,
}

struct Inner {
    crawlers: Vec<Crawler>,
    /// Lower-cased tokens with their crawler's index.
    tokens: Vec<(String, usize)>,
    resolver: TokioResolver,
    verified: moka::sync::Cache<(IpAddr, usize), ()>,
    refuted: moka::sync::Cache<(IpAddr, usize), ()>,
    pending: moka::sync::Cache<(IpAddr, usize), ()>,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("crawlers", &self.crawlers.len())
            .finish_non_exhaustive()
    }
}

/// Shared by every connection.
#[derive(Debug, Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

impl Verifier {
    /// Loads the built-in list and builds the resolver.
    pub fn new(settings: &VerifierSettings) -> anyhow::Result<Self> {
        let file: File =
            serde_json::from_str(EMBEDDED).context("data/verified_crawlers.json is malformed")?;
        anyhow::ensure!(
            file.format == 1,
            "verified_crawlers.json format {}",
            file.format
        );
        let mut tokens = Vec::new();
        for (i, c) in file.crawlers.iter().enumerate() {
            anyhow::ensure!(
                !c.domains.is_empty() && !c.agent_tokens.is_empty(),
                "crawler {} lists no domain or token",
                c.name
            );
            tokens.extend(c.agent_tokens.iter().map(|t| (t.to_ascii_lowercase(), i)));
        }
        let mut opts = ResolverOpts::default();
        opts.timeout = settings.dns_timeout;
        opts.attempts = 2;
        let builder = if settings.dns_servers.is_empty() {
            TokioResolver::builder_tokio()
                .context("reading the system's DNS settings (/etc/resolv.conf) for crawler verification; set QSGW_BOT_DNS_SERVERS")?
        } else {
            let mut config = ResolverConfig::new();
            for addr in &settings.dns_servers {
                config.add_name_server(NameServerConfig::new(*addr, Protocol::Udp));
                config.add_name_server(NameServerConfig::new(*addr, Protocol::Tcp));
            }
            TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
        };
        let cache = |ttl| {
            moka::sync::Cache::builder()
                .max_capacity(CACHE_CAPACITY)
                .time_to_live(ttl)
                .build()
        };
        tracing::debug!(version = %file.version, crawlers = file.crawlers.len(), "verified crawler list loaded");
        Ok(Self {
            inner: Arc::new(Inner {
                crawlers: file.crawlers,
                tokens,
                resolver: builder.with_options(opts).build(),
                verified: cache(VERIFIED_TTL),
                refuted: cache(REFUTED_TTL),
                pending: cache(PENDING_TTL),
                permits: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
            }),
        })
    }

    /// The crawler a user agent claims to be, if any.
    pub fn claimed(&self, user_agent: &str) -> Option<usize> {
        if user_agent.len() > 4096 {
            return None;
        }
        let ua = user_agent.to_ascii_lowercase();
        self.inner
            .tokens
            .iter()
            .find(|(t, _)| ua.contains(t.as_str()))
            .map(|(_, i)| *i)
    }

    /// The crawler's operator name.
    pub fn name(&self, crawler: usize) -> &str {
        self.inner
            .crawlers
            .get(crawler)
            .map_or("crawler", |c| c.name.as_str())
    }

    /// What is known about `ip` claiming `crawler`. When nothing is, a
    /// background check starts (unless one runs or too many do), and
    /// `on_refuted` runs once if it refutes the claim.
    pub fn check(
        &self,
        ip: IpAddr,
        crawler: usize,
        on_refuted: impl FnOnce() + Send + 'static,
    ) -> Check {
        let key = (ip, crawler);
        let inner = &self.inner;
        if inner.verified.contains_key(&key) {
            return Check::Verified;
        }
        if inner.refuted.contains_key(&key) {
            return Check::Refuted;
        }
        if inner.pending.contains_key(&key) {
            return Check::Pending;
        }
        let Ok(permit) = inner.permits.clone().try_acquire_owned() else {
            metrics::counter!("qsgw_crawler_checks_total", "result" => "skipped").increment(1);
            return Check::Pending;
        };
        inner.pending.insert(key, ());
        let inner = self.inner.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let Some(c) = inner.crawlers.get(crawler) else {
                return;
            };
            let ok = confirm(&inner.resolver, ip, &c.domains).await;
            inner.pending.invalidate(&key);
            if ok {
                inner.verified.insert(key, ());
                metrics::counter!("qsgw_crawler_checks_total", "result" => "verified").increment(1);
            } else {
                inner.refuted.insert(key, ());
                metrics::counter!("qsgw_crawler_checks_total", "result" => "refuted").increment(1);
                on_refuted();
            }
        });
        Check::Pending
    }
}

/// Whether `host` (a DNS name, trailing dot allowed) is `domain` or under it.
fn in_domain(host: &str, domain: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    host == domain
        || host
            .strip_suffix(domain.as_str())
            .is_some_and(|rest| rest.ends_with('.'))
}

/// Reverse lookup of `ip`, then a forward lookup of each name in one of
/// `domains`: true when one of them resolves back to `ip`. Any DNS failure
/// is a refusal (an unverifiable claim is not trusted).
async fn confirm(resolver: &TokioResolver, ip: IpAddr, domains: &[String]) -> bool {
    let Ok(names) = resolver.reverse_lookup(ip).await else {
        return false;
    };
    for ptr in names.iter().take(8) {
        let host = ptr.0.to_utf8();
        if !domains.iter().any(|d| in_domain(&host, d)) {
            continue;
        }
        if let Ok(addrs) = resolver.lookup_ip(host.as_str()).await {
            if addrs.iter().any(|a| a == ip) {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_is_in_a_domain_only_at_a_label_boundary() {
        assert!(in_domain(
            "crawl-66-249-66-1.googlebot.com.",
            "googlebot.com"
        ));
        assert!(in_domain("googlebot.com", "googlebot.com"));
        assert!(in_domain("MSNBOT-1.SEARCH.MSN.COM.", "search.msn.com"));
        // Suffix tricks an impostor controls.
        assert!(!in_domain("evilgooglebot.com", "googlebot.com"));
        assert!(!in_domain("googlebot.com.evil.example", "googlebot.com"));
    }

    #[tokio::test]
    async fn documented_agent_strings_claim_their_crawler() {
        let v = Verifier::new(&VerifierSettings {
            dns_servers: vec!["127.0.0.1:9".parse().unwrap()],
            dns_timeout: Duration::from_millis(100),
        })
        .unwrap();
        // Agent strings as Google and Bing document them.
        let google = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
        let bing = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36";
        assert_eq!(v.claimed(google).map(|i| v.name(i)), Some("Google"));
        assert_eq!(v.claimed(bing).map(|i| v.name(i)), Some("Bing"));
        assert_eq!(
            v.claimed("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
            None
        );
    }
}
