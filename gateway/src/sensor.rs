//! The gateway as a live cryptography sensor: sessions, requests and bytes
//! counted per (route, negotiated key-exchange group, client family) and
//! reported with each heartbeat, so the control plane can say how much of a
//! route's traffic still crosses classical key exchange (the
//! harvest-now-decrypt-later exposure) without storing a record per request.
//!
//! Privacy and bounds, by construction: a key holds a route id, a group name
//! and the coarse [`shared::user_agent::client_family`] of the connection's
//! first request, never an address or a raw user agent. At most
//! [`MAX_KEYS`] keys are held between two heartbeats (a new key past that
//! counts under the family [`OTHER`]); each report keeps the
//! [`TOP_FAMILIES`] largest families per (route, group) and folds the rest
//! into [`OTHER`].
//!
//! Attribution, stated because HTTP/1.1 keep-alive and HTTP/2 let one
//! connection carry requests for several routes: a connection's session
//! counts once, under the route of its first request; each request counts
//! under its own route; bytes (TLS application data, both ways) count
//! under the route of the request that was current when they were measured
//! (measured at each request's start and when the connection ends), so a
//! response body is counted with the route that asked for it and a request
//! head with the one before it. A connection that ends without a request
//! counts one session under no route (`""`) and family `none`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Most keys held between two heartbeats.
pub const MAX_KEYS: usize = 4096;
/// Families reported per (route, group); the rest are folded into [`OTHER`].
pub const TOP_FAMILIES: usize = 10;
/// The family that stands for everything folded away.
pub const OTHER: &str = "other";

/// One aggregate as reported in the heartbeat's `traffic_by_group` (the
/// contract lives in `shared::qsgw`, read by the control plane).
pub use shared::qsgw::GroupTraffic;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    route_id: Arc<str>,
    kx_group: &'static str,
    pqc: bool,
    client_family: Arc<str>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    sessions: u64,
    requests: u64,
    bytes_in: u64,
    bytes_out: u64,
}

impl Counts {
    fn add(&mut self, o: Self) {
        self.sessions = self.sessions.saturating_add(o.sessions);
        self.requests = self.requests.saturating_add(o.requests);
        self.bytes_in = self.bytes_in.saturating_add(o.bytes_in);
        self.bytes_out = self.bytes_out.saturating_add(o.bytes_out);
    }
}

/// The gateway-wide aggregates between two heartbeats.
#[derive(Debug, Default)]
pub struct Sensor {
    map: Mutex<HashMap<Key, Counts>>,
}

impl Sensor {
    fn add(&self, mut key: Key, c: Counts) {
        let mut m = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if m.len() >= MAX_KEYS && !m.contains_key(&key) {
            key.client_family = Arc::from(OTHER);
        }
        m.entry(key).or_default().add(c);
    }

    /// Takes everything counted so far, the top [`TOP_FAMILIES`] families
    /// per (route, group) and the rest folded into [`OTHER`]; the sensor
    /// starts again from zero. Give it back with [`Sensor::restore`] if
    /// the report is not accepted.
    pub fn take(&self) -> Vec<GroupTraffic> {
        let taken = std::mem::take(&mut *self.map.lock().unwrap_or_else(PoisonError::into_inner));
        fold(taken)
    }

    /// Adds back a report the control plane did not accept (bounded like
    /// any other counting).
    pub fn restore(&self, report: Vec<GroupTraffic>) {
        for g in report {
            let key = Key {
                route_id: Arc::from(g.route_id.unwrap_or_default()),
                kx_group: crate::tls::known_group_name(&g.kx_group),
                pqc: g.pqc,
                client_family: Arc::from(g.client_family),
            };
            self.add(
                key,
                Counts {
                    sessions: u64::try_from(g.sessions).unwrap_or(0),
                    requests: u64::try_from(g.requests).unwrap_or(0),
                    bytes_in: u64::try_from(g.bytes_in).unwrap_or(0),
                    bytes_out: u64::try_from(g.bytes_out).unwrap_or(0),
                },
            );
        }
    }
}

/// Per (route, group): the largest families by requests (then sessions,
/// then bytes, then name, so the cut is deterministic), the rest summed
/// under [`OTHER`].
fn fold(taken: HashMap<Key, Counts>) -> Vec<GroupTraffic> {
    type Slot = (Arc<str>, &'static str, bool);
    let mut by_slot: HashMap<Slot, Vec<(Arc<str>, Counts)>> = HashMap::new();
    for (k, c) in taken {
        by_slot
            .entry((k.route_id, k.kx_group, k.pqc))
            .or_default()
            .push((k.client_family, c));
    }
    let mut out = Vec::new();
    for ((route, group, pqc), mut fams) in by_slot {
        fams.sort_by(|(an, a), (bn, b)| {
            b.requests
                .cmp(&a.requests)
                .then(b.sessions.cmp(&a.sessions))
                .then((b.bytes_in + b.bytes_out).cmp(&(a.bytes_in + a.bytes_out)))
                .then(an.cmp(bn))
        });
        let mut other = Counts::default();
        let mut kept = Vec::new();
        for (i, (fam, c)) in fams.into_iter().enumerate() {
            if i < TOP_FAMILIES && &*fam != OTHER {
                kept.push((fam.to_string(), c));
            } else {
                other.add(c);
            }
        }
        if other != Counts::default() {
            kept.push((OTHER.to_owned(), other));
        }
        for (fam, c) in kept {
            out.push(GroupTraffic {
                route_id: (!route.is_empty()).then(|| route.to_string()),
                kx_group: group.to_owned(),
                pqc,
                client_family: fam,
                sessions: wire(c.sessions),
                requests: wire(c.requests),
                bytes_in: wire(c.bytes_in),
                bytes_out: wire(c.bytes_out),
            });
        }
    }
    out
}

/// A count as the heartbeat carries it (the control plane's BIGINT).
fn wire(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[derive(Debug, Default)]
struct MeterState {
    family: Option<Arc<str>>,
    route: Option<Arc<str>>,
    flushed_in: u64,
    flushed_out: u64,
}

/// One connection's meter: the byte counts the TLS stream adds to, and
/// what it reported last. Reports its remainder when dropped (the
/// connection has ended).
#[derive(Debug)]
pub struct ConnMeter {
    sensor: Arc<Sensor>,
    kx_group: &'static str,
    pqc: bool,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    state: Mutex<MeterState>,
}

impl ConnMeter {
    /// A meter for a connection that negotiated `kx_group`.
    pub fn new(sensor: Arc<Sensor>, kx_group: &'static str, pqc: bool) -> Self {
        Self {
            sensor,
            kx_group,
            pqc,
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            state: Mutex::new(MeterState::default()),
        }
    }

    /// Application bytes read from the client.
    pub fn read(&self, n: usize) {
        self.bytes_in.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Application bytes written to the client.
    pub fn wrote(&self, n: usize) {
        self.bytes_out.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Counts a request for `route_id` (`""` = no route); the connection's
    /// first request also fixes its client family from `user_agent` and
    /// counts the session.
    pub fn request(&self, route_id: &Arc<str>, user_agent: Option<&str>) {
        let route = route_id.clone();
        let mut st = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let first = st.family.is_none();
        let family = st
            .family
            .get_or_insert_with(|| Arc::from(shared::user_agent::client_family(user_agent)))
            .clone();
        let (din, dout) = self.delta(&mut st);
        // The bytes measured since the last request belong to it (its
        // response body); the first request takes its own head.
        let bytes_route = st.route.clone().unwrap_or_else(|| route.clone());
        if din + dout > 0 && bytes_route != route {
            self.sensor.add(
                self.key(bytes_route, family.clone()),
                Counts {
                    bytes_in: din,
                    bytes_out: dout,
                    ..Counts::default()
                },
            );
            self.sensor.add(
                self.key(route.clone(), family),
                Counts {
                    sessions: u64::from(first),
                    requests: 1,
                    ..Counts::default()
                },
            );
        } else {
            self.sensor.add(
                self.key(route.clone(), family),
                Counts {
                    sessions: u64::from(first),
                    requests: 1,
                    bytes_in: din,
                    bytes_out: dout,
                },
            );
        }
        st.route = Some(route);
    }

    fn delta(&self, st: &mut MeterState) -> (u64, u64) {
        let now_in = self.bytes_in.load(Ordering::Relaxed);
        let now_out = self.bytes_out.load(Ordering::Relaxed);
        let d = (
            now_in.saturating_sub(st.flushed_in),
            now_out.saturating_sub(st.flushed_out),
        );
        st.flushed_in = now_in;
        st.flushed_out = now_out;
        d
    }

    fn key(&self, route_id: Arc<str>, client_family: Arc<str>) -> Key {
        Key {
            route_id,
            kx_group: self.kx_group,
            pqc: self.pqc,
            client_family,
        }
    }
}

impl Drop for ConnMeter {
    fn drop(&mut self) {
        let mut st = std::mem::take(self.state.get_mut().unwrap_or_else(PoisonError::into_inner));
        let (din, dout) = self.delta(&mut st);
        match (st.route.take(), st.family.take()) {
            (Some(route), Some(family)) => {
                if din + dout > 0 {
                    self.sensor.add(
                        self.key(route, family),
                        Counts {
                            bytes_in: din,
                            bytes_out: dout,
                            ..Counts::default()
                        },
                    );
                }
            }
            _ => self.sensor.add(
                self.key(Arc::from(""), Arc::from("none")),
                Counts {
                    sessions: 1,
                    bytes_in: din,
                    bytes_out: dout,
                    ..Counts::default()
                },
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(r: &'a [GroupTraffic], route: Option<&str>, fam: &str) -> &'a GroupTraffic {
        r.iter()
            .find(|g| g.route_id.as_deref() == route && g.client_family == fam)
            .unwrap_or_else(|| panic!("no row {route:?} {fam}: {r:?}"))
    }

    #[test]
    fn bytes_follow_the_request_that_asked_for_them() {
        let sensor = Arc::new(Sensor::default());
        let a: Arc<str> = Arc::from("rt_a");
        let b: Arc<str> = Arc::from("rt_b");
        {
            let m = ConnMeter::new(sensor.clone(), "X25519MLKEM768", true);
            m.read(100); // head of request 1
            m.request(&a, Some("curl/7.88.1"));
            m.wrote(5000); // response 1
            m.read(80); // head of request 2
            m.request(&b, Some("python-requests/2.28.1"));
            m.wrote(700); // response 2
        }
        let r = sensor.take();
        // Family fixed by the first request (curl), one session under rt_a.
        let ra = row(&r, Some("rt_a"), "curl");
        assert_eq!(
            (ra.sessions, ra.requests, ra.bytes_in, ra.bytes_out),
            (1, 1, 180, 5000)
        );
        let rb = row(&r, Some("rt_b"), "curl");
        assert_eq!(
            (rb.sessions, rb.requests, rb.bytes_in, rb.bytes_out),
            (0, 1, 0, 700)
        );
        assert_eq!(r.len(), 2);
        assert!(sensor.take().is_empty(), "take drains");
    }

    #[test]
    fn a_connection_without_a_request_counts_under_no_route() {
        let sensor = Arc::new(Sensor::default());
        drop(ConnMeter::new(sensor.clone(), "X25519", false));
        let r = sensor.take();
        let g = row(&r, None, "none");
        assert_eq!((g.sessions, g.requests, g.pqc), (1, 0, false));
    }

    #[test]
    fn families_past_the_top_fold_into_other() {
        let sensor = Arc::new(Sensor::default());
        let route: Arc<str> = Arc::from("rt_a");
        for i in 0..(TOP_FAMILIES + 5) {
            let m = ConnMeter::new(sensor.clone(), "X25519", false);
            // Family i sends i+1 requests, so the largest are the last.
            let ua = format!("Mozilla/5.0 Chrome/{}.0.0.0 Safari/537.36", 100 + i);
            for _ in 0..=i {
                m.request(&route, Some(&ua));
            }
        }
        let r = sensor.take();
        assert_eq!(r.len(), TOP_FAMILIES + 1);
        // Folded: families 0..5, i.e. 1+2+3+4+5 = 15 requests in 5 sessions.
        let o = row(&r, Some("rt_a"), OTHER);
        assert_eq!((o.sessions, o.requests), (5, 15));
        assert!(r.iter().any(|g| g.client_family == "Chrome 114"));
        assert!(!r.iter().any(|g| g.client_family == "Chrome 104"));
    }

    #[test]
    fn keys_are_bounded_between_heartbeats() {
        let sensor = Arc::new(Sensor::default());
        for i in 0..(MAX_KEYS + 100) {
            let route: Arc<str> = Arc::from(format!("rt_{i}").as_str());
            let m = ConnMeter::new(sensor.clone(), "X25519", false);
            m.request(&route, Some("curl/8"));
        }
        let held = sensor.map.lock().map(|m| m.len()).unwrap_or(0);
        assert!(held <= MAX_KEYS + 100, "{held}");
        let r = sensor.take();
        let total: i64 = r.iter().map(|g| g.requests).sum();
        assert_eq!(total, (MAX_KEYS + 100) as i64, "nothing lost when folding");
        assert_eq!(r.iter().filter(|g| g.client_family == OTHER).count(), 100);
    }
}
