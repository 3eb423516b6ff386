//! Per-client behaviour in a bounded sliding window.
//!
//! Each client (address + user-agent hash) keeps its last [`RING`] requests
//! in a fixed ring and a slow baseline of its own rate. The store holds at
//! most `capacity` clients; when full, the oldest client not seen since the
//! hand last passed it is evicted (CLOCK, a cheap LRU approximation), so
//! memory stays bounded whatever the number of distinct clients.
//!
//! Time comes from the request's own timestamp, not the wall clock: replaying
//! a recorded or simulated stream gives the same figures as live traffic.
//!
//! Only what is known when a request arrives is remembered, never its
//! outcome (status, latency): a route with `inspection: sync` asks for the
//! verdict before forwarding, so a window built from outcomes would differ
//! between sync and async routes and so would the verdicts.

use std::collections::{HashMap, VecDeque};

/// Requests remembered per client.
pub const RING: usize = 32;
/// The rate window (ms).
const MINUTE_MS: u64 = 60_000;
/// Time constant of the baseline (ms): it follows the client's rate over
/// about ten minutes, so a burst of seconds barely moves it. Per-request
/// smoothing would not do: a burst of many requests would drag the baseline
/// up with it and hide itself.
const BASELINE_TAU_MS: f64 = 600_000.0;

#[derive(Debug, Clone, Copy, Default)]
struct Event {
    t: u64,
    path: u32,
    /// bit 0: login endpoint; bit 1: static asset; bit 2: `Referer` sent.
    flags: u8,
}

#[derive(Debug, Clone)]
struct Client {
    ring: [Event; RING],
    /// Next slot to write.
    head: u8,
    len: u8,
    /// Long-run requests/minute (time-weighted EWMA); 0 until the client
    /// has a minute of history, before which no baseline is claimed.
    baseline: f64,
    /// When the client was first seen (ms).
    first_t: u64,
    /// Set on every request; cleared when the eviction hand passes (CLOCK).
    touched: bool,
}

/// One request as the window sees it.
#[derive(Debug, Clone, Copy)]
pub struct Observation {
    /// Client identity (see [`client_key`]).
    pub client: u64,
    /// Unix milliseconds.
    pub t_ms: u64,
    /// Hash of the path.
    pub path_hash: u32,
    /// Login / token endpoint.
    pub login: bool,
    /// A static asset (css, js, image, font): what a browser fetches after
    /// each page it renders.
    pub static_asset: bool,
    /// The request carried a `Referer`.
    pub referer: bool,
}

/// Behaviour of a client right after one of its requests.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowStats {
    /// Requests in the last minute (extrapolated from the ring when it holds
    /// less than a minute of a busy client).
    pub rate_per_min: f64,
    /// `rate_per_min` over the client's own baseline (1 until the client has
    /// a minute of history).
    pub baseline_ratio: f64,
    /// Coefficient of variation of inter-arrival times (std/mean): near 0
    /// for a metronome-regular script, around 1 or more for people. 1 when
    /// there are fewer than three intervals.
    pub interarrival_cv: f64,
    /// Distinct paths / requests in the ring.
    pub path_diversity: f64,
    /// Share of requests to login endpoints.
    pub login_ratio: f64,
    /// Requests remembered (1..=RING).
    pub samples: u8,
    /// Share of static-asset requests in the ring: browsers rendering pages
    /// fetch their sub-resources (unless cached); scripts and automation
    /// that only want the documents do not.
    pub asset_share: f64,
    /// Share of requests in the ring that carried a `Referer` (browsers
    /// send it on links followed and on sub-resources).
    pub referer_share: f64,
}

/// Client identity: the address plus the user agent, as the gateway's verdict
/// cache keys it (many people share one NAT address, one browser rarely
/// changes its agent).
pub fn client_key(ip: &std::net::IpAddr, ua: Option<&str>) -> u64 {
    let mut h = Fnv::default();
    match ip {
        std::net::IpAddr::V4(a) => h.write(&a.octets()),
        std::net::IpAddr::V6(a) => h.write(&a.octets()),
    }
    h.write(ua.unwrap_or("").as_bytes());
    h.0
}

/// FNV-1a path hash (stable across runs and builds, unlike `DefaultHasher`).
pub fn path_hash(path: &str) -> u32 {
    let mut h = Fnv::default();
    h.write(path.as_bytes());
    (h.0 ^ (h.0 >> 32)) as u32
}

struct Fnv(u64);
impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}
impl Fnv {
    fn write(&mut self, b: &[u8]) {
        for &x in b {
            self.0 ^= u64::from(x);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// The bounded store of client windows.
#[derive(Debug)]
pub struct WindowStore {
    clients: HashMap<u64, Client>,
    /// Insertion order for the CLOCK hand.
    order: VecDeque<u64>,
    capacity: usize,
}

impl WindowStore {
    /// A store holding at most `capacity` clients (at least 1).
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        Self {
            clients: HashMap::with_capacity(capacity.min(1 << 16)),
            order: VecDeque::with_capacity(capacity.min(1 << 16)),
            capacity,
        }
    }

    /// Clients currently held.
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether no client is held.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// Whether `client` is held.
    pub fn contains(&self, client: u64) -> bool {
        self.clients.contains_key(&client)
    }

    /// Records a request and returns its client's behaviour including it.
    pub fn observe(&mut self, o: &Observation) -> WindowStats {
        if !self.clients.contains_key(&o.client) {
            while self.clients.len() >= self.capacity {
                self.evict_one();
            }
            self.clients.insert(
                o.client,
                Client {
                    ring: [Event::default(); RING],
                    head: 0,
                    len: 0,
                    baseline: 0.0,
                    first_t: o.t_ms,
                    touched: false,
                },
            );
            self.order.push_back(o.client);
        }
        let Some(c) = self.clients.get_mut(&o.client) else {
            // Unreachable: inserted above. Neutral figures rather than a panic.
            return WindowStats::neutral();
        };
        c.touched = true;
        // Out-of-order timestamps (several gateways) are clamped so intervals
        // never go negative.
        let last_t = if c.len > 0 {
            c.ring[(usize::from(c.head) + RING - 1) % RING].t
        } else {
            0
        };
        let t = o.t_ms.max(last_t);
        let mut flags = 0;
        if o.login {
            flags |= 1;
        }
        if o.static_asset {
            flags |= 2;
        }
        if o.referer {
            flags |= 4;
        }
        c.ring[usize::from(c.head)] = Event {
            t,
            path: o.path_hash,
            flags,
        };
        c.head = ((usize::from(c.head) + 1) % RING) as u8;
        c.len = (c.len + 1).min(RING as u8);
        let stats = compute(c, t);
        // Baseline after the ratio: a burst is compared with what came before.
        if c.baseline > 0.0 {
            let dt = t.saturating_sub(last_t) as f64;
            let alpha = 1.0 - (-dt / BASELINE_TAU_MS).exp();
            c.baseline += alpha * (stats.rate_per_min - c.baseline);
        } else if t.saturating_sub(c.first_t) >= MINUTE_MS {
            c.baseline = stats.rate_per_min.max(1.0);
        }
        stats
    }

    fn evict_one(&mut self) {
        // Bounded: every entry is passed at most twice (once to clear it).
        for _ in 0..self.order.len().saturating_mul(2).max(1) {
            let Some(k) = self.order.pop_front() else {
                return;
            };
            match self.clients.get_mut(&k) {
                Some(c) if c.touched => {
                    c.touched = false;
                    self.order.push_back(k);
                }
                Some(_) => {
                    self.clients.remove(&k);
                    return;
                }
                None => {}
            }
        }
    }
}

impl WindowStats {
    /// What a client with no history looks like.
    pub fn neutral() -> Self {
        Self {
            rate_per_min: 1.0,
            baseline_ratio: 1.0,
            interarrival_cv: 1.0,
            path_diversity: 1.0,
            login_ratio: 0.0,
            samples: 1,
            asset_share: 0.0,
            referer_share: 0.0,
        }
    }
}

fn compute(c: &Client, now: u64) -> WindowStats {
    let n = usize::from(c.len);
    // Oldest to newest.
    let at = |i: usize| c.ring[(usize::from(c.head) + RING - n + i) % RING];
    let cutoff = now.saturating_sub(MINUTE_MS);
    let in_minute = (0..n).filter(|&i| at(i).t > cutoff).count();
    let rate = if in_minute == RING {
        // The ring holds less than a minute: extrapolate from its span (at
        // least one second, so a burst inside one millisecond stays finite).
        let span = (now - at(0).t).max(1000) as f64;
        (RING - 1) as f64 * MINUTE_MS as f64 / span
    } else {
        in_minute as f64
    };
    let baseline_ratio = if c.baseline > 0.0 {
        rate / c.baseline.max(1.0)
    } else {
        1.0
    };
    let interarrival_cv = if n >= 4 {
        let (mut sum, mut sq) = (0.0, 0.0);
        for i in 1..n {
            let d = (at(i).t - at(i - 1).t) as f64;
            sum += d;
            sq += d * d;
        }
        let k = (n - 1) as f64;
        let mean = sum / k;
        if mean <= 0.0 {
            0.0
        } else {
            ((sq / k - mean * mean).max(0.0)).sqrt() / mean
        }
    } else {
        1.0
    };
    let mut paths = [0u32; RING];
    for (i, p) in paths.iter_mut().enumerate().take(n) {
        *p = at(i).path;
    }
    let paths = &mut paths[..n];
    paths.sort_unstable();
    let distinct = 1 + paths.windows(2).filter(|w| w[0] != w[1]).count();
    let (mut login, mut assets, mut referers) = (0u32, 0u32, 0u32);
    for i in 0..n {
        let f = at(i).flags;
        login += u32::from(f & 1);
        assets += u32::from((f >> 1) & 1);
        referers += u32::from((f >> 2) & 1);
    }
    WindowStats {
        rate_per_min: rate,
        baseline_ratio,
        interarrival_cv,
        path_diversity: distinct as f64 / n as f64,
        login_ratio: f64::from(login) / n as f64,
        samples: n as u8,
        asset_share: f64::from(assets) / n as f64,
        referer_share: f64::from(referers) / n as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(client: u64, t: u64, path: u32) -> Observation {
        Observation {
            client,
            t_ms: t,
            path_hash: path,
            login: false,
            static_asset: false,
            referer: false,
        }
    }

    #[test]
    fn rate_counts_the_last_minute_and_extrapolates_a_full_ring() {
        let mut w = WindowStore::new(10);
        let mut s = WindowStats::neutral();
        for i in 0..10 {
            s = w.observe(&obs(1, 1_000_000 + i * 5_000, 7));
        }
        assert_eq!(s.rate_per_min, 10.0);
        // 70 s later only the requests inside the last minute count.
        let s = w.observe(&obs(1, 1_000_000 + 9 * 5_000 + 56_000, 7));
        assert_eq!(s.rate_per_min, 2.0);
        // 100 requests 100 ms apart: 600/min.
        let mut s = WindowStats::neutral();
        for i in 0..100 {
            s = w.observe(&obs(2, 5_000_000 + i * 100, i as u32));
        }
        assert!((s.rate_per_min - 600.0).abs() < 1e-9, "{}", s.rate_per_min);
        assert_eq!(s.path_diversity, 1.0);
    }

    #[test]
    fn baseline_ratio_jumps_on_a_burst_and_regularity_is_measured() {
        let mut w = WindowStore::new(10);
        // Ten minutes at 2 requests/minute, irregular.
        let mut t = 1_000_000;
        let mut s = WindowStats::neutral();
        for i in 0..20u64 {
            t += 20_000 + (i % 3) * 10_000;
            s = w.observe(&obs(1, t, 1));
        }
        assert!(s.interarrival_cv > 0.2, "{}", s.interarrival_cv);
        assert!(s.baseline_ratio < 1.6, "{}", s.baseline_ratio);
        // Then a metronome burst of 60 requests, 200 ms apart.
        for _ in 0..60 {
            t += 200;
            s = w.observe(&obs(1, t, 1));
        }
        assert!(s.baseline_ratio > 3.0, "{}", s.baseline_ratio);
        assert!(s.interarrival_cv < 0.01, "{}", s.interarrival_cv);
        assert!(s.path_diversity < 0.05);
    }

    #[test]
    fn login_asset_and_referer_ratios() {
        let mut w = WindowStore::new(4);
        for i in 0..4u64 {
            w.observe(&Observation {
                client: 9,
                t_ms: 1_000_000 + i,
                path_hash: 1,
                login: i < 3,
                static_asset: i == 1,
                referer: i > 0,
            });
        }
        let s = w.observe(&Observation {
            client: 9,
            t_ms: 1_000_010,
            path_hash: 1,
            login: false,
            static_asset: true,
            referer: true,
        });
        assert!((s.login_ratio - 0.6).abs() < 1e-9);
        // 2 assets and 4 referers among the 5 requests.
        assert!((s.asset_share - 0.4).abs() < 1e-9);
        assert!((s.referer_share - 0.8).abs() < 1e-9);
    }

    #[test]
    fn memory_is_bounded_under_a_million_clients_and_oldest_go_first() {
        let cap = 50_000;
        let mut w = WindowStore::new(cap);
        for k in 0..1_000_000u64 {
            w.observe(&obs(k, 1_000_000 + k, 1));
            if k == 10 {
                assert_eq!(w.len(), 11);
            }
        }
        assert_eq!(w.len(), cap);
        assert!(w.order.len() <= cap);
        assert!(!w.contains(0) && !w.contains(949_999));
        assert!(w.contains(999_999) && w.contains(950_000));
        // A client that keeps coming back survives a wave of new ones.
        let mut w = WindowStore::new(100);
        for k in 0..1_000u64 {
            w.observe(&obs(u64::MAX, 2_000_000 + k, 1));
            w.observe(&obs(k, 2_000_000 + k, 1));
        }
        assert!(w.contains(u64::MAX));
        assert_eq!(w.len(), 100);
    }

    #[test]
    fn out_of_order_and_identical_timestamps_stay_finite() {
        let mut w = WindowStore::new(2);
        for t in [5_000_000u64, 4_000_000, 5_000_000, 1, 5_000_000] {
            let s = w.observe(&obs(3, t, 1));
            assert!(s.rate_per_min.is_finite() && s.interarrival_cv.is_finite());
        }
    }
}
