//! Login throttling that an anonymous caller cannot turn against a user.
//!
//! Two checks before a password is verified:
//! - every attempt spends the client address's token bucket (`governor`),
//!   which bounds how fast one address can guess across accounts;
//! - failed attempts are counted per (client address, e-mail): past a few
//!   free failures each further one doubles the wait (exponential back-off,
//!   capped), and a successful login clears the pair.
//!
//! There is no per-account lock: one that anyone can trigger by failing
//! logins for someone else's e-mail is a denial of service (OWASP
//! Authentication Cheat Sheet, "Account Lockout"; NIST SP 800-63B §5.2.2
//! asks to limit failed attempts without letting an attacker lock the
//! subscriber out). The owner, from their own address, logs in while a
//! flood from another address is held back.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Failure records kept at most; past it the stale, then the oldest go.
const MAX_TRACKED: usize = 100_000;

/// Sizes of the login limits.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimitSettings {
    /// Attempts per client IP in a burst.
    pub ip_burst: NonZeroU32,
    /// Time to regain one attempt, per IP.
    pub ip_refill: Duration,
    /// Failures per (IP, e-mail) answered without delay.
    pub free_failures: u32,
    /// Wait after the first failure past the free ones; doubles with each
    /// further failure.
    pub backoff_base: Duration,
    /// Longest wait. A pair's failures are remembered for four times as
    /// long ([`LoginLimitSettings::forget_after`]), so waiting out the
    /// longest wait does not buy the free failures again.
    pub backoff_max: Duration,
}

impl Default for LoginLimitSettings {
    /// 20 attempts per IP refilled over a minute; 5 free failures per
    /// (IP, e-mail), then 1 s, 2 s, 4 s … up to 15 minutes.
    fn default() -> Self {
        Self {
            ip_burst: NonZeroU32::new(20).unwrap_or(NonZeroU32::MIN),
            ip_refill: Duration::from_secs(3),
            free_failures: 5,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(15 * 60),
        }
    }
}

impl LoginLimitSettings {
    /// How long after its last failure a pair starts afresh.
    pub fn forget_after(&self) -> Duration {
        self.backoff_max.saturating_mul(4)
    }
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
    until: Instant,
}

type Pair = (Option<IpAddr>, String);

/// The login limits of one control-plane replica.
#[derive(Debug)]
pub struct LoginLimits {
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    failures: Mutex<HashMap<Pair, Failures>>,
    settings: LoginLimitSettings,
}

impl LoginLimits {
    /// Limits sized by `s`.
    pub fn new(s: LoginLimitSettings) -> Self {
        let quota = Quota::with_period(s.ip_refill.max(Duration::from_millis(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(s.ip_burst);
        Self {
            per_ip: RateLimiter::keyed(quota),
            failures: Mutex::new(HashMap::new()),
            settings: s,
        }
    }

    /// `Ok` when `email` may try to log in from `ip` now, else the wait.
    pub fn check(&self, ip: Option<IpAddr>, email: &str) -> Result<(), Duration> {
        if let Some(ip) = ip {
            if self.per_ip.len() > MAX_TRACKED {
                self.per_ip.retain_recent();
            }
            self.per_ip
                .check_key(&ip)
                .map_err(|nu| nu.wait_time_from(DefaultClock::default().now()))?;
        }
        self.backoff_at(ip, email, Instant::now())
    }

    /// A failed attempt of `email` from `ip`.
    pub fn failed(&self, ip: Option<IpAddr>, email: &str) {
        self.failed_at(ip, email, Instant::now());
    }

    /// A successful login of `email` from `ip`: its failures are forgotten.
    pub fn succeeded(&self, ip: Option<IpAddr>, email: &str) {
        self.lock().remove(&(ip, email.to_owned()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Pair, Failures>> {
        // A panic while holding the lock leaves plain counters behind;
        // they are still valid.
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn backoff_at(&self, ip: Option<IpAddr>, email: &str, now: Instant) -> Result<(), Duration> {
        match self.lock().get(&(ip, email.to_owned())) {
            Some(f) if f.until > now => Err(f.until - now),
            _ => Ok(()),
        }
    }

    fn failed_at(&self, ip: Option<IpAddr>, email: &str, now: Instant) {
        let s = self.settings;
        let mut map = self.lock();
        let key = (ip, email.to_owned());
        if !map.contains_key(&key) && map.len() >= MAX_TRACKED {
            // Failures older than the forget window no longer matter; when
            // a flood of invented e-mails keeps them all fresh, the oldest
            // goes (that pair starts again from its free failures).
            map.retain(|_, f| now.saturating_duration_since(f.last) < s.forget_after());
            if map.len() >= MAX_TRACKED {
                if let Some(oldest) = map
                    .iter()
                    .min_by_key(|(_, f)| f.last)
                    .map(|(k, _)| k.clone())
                {
                    map.remove(&oldest);
                }
            }
        }
        let f = map.entry(key).or_insert(Failures {
            count: 0,
            last: now,
            until: now,
        });
        if now.saturating_duration_since(f.last) >= s.forget_after() {
            f.count = 0;
        }
        f.count = f.count.saturating_add(1);
        f.last = now;
        f.until = now + wait_after(f.count, s);
    }

    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.lock().len()
    }
}

/// The wait after the `count`-th failure in a row.
fn wait_after(count: u32, s: LoginLimitSettings) -> Duration {
    let Some(over) = count.checked_sub(s.free_failures + 1) else {
        return Duration::ZERO;
    };
    let factor = 1u32.checked_shl(over.min(31)).unwrap_or(u32::MAX);
    s.backoff_base
        .checked_mul(factor)
        .unwrap_or(s.backoff_max)
        .min(s.backoff_max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> LoginLimitSettings {
        LoginLimitSettings {
            free_failures: 2,
            ..LoginLimitSettings::default()
        }
    }

    const EMAIL: &str = "owner@example.com";

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn waits_double_past_the_free_failures_up_to_the_cap() {
        let l = LoginLimits::new(settings());
        let attacker = ip("203.0.113.7");
        let mut t = Instant::now();
        let mut waits = Vec::new();
        for _ in 0..14 {
            l.failed_at(attacker, EMAIL, t);
            let wait = l.backoff_at(attacker, EMAIL, t).err().unwrap_or_default();
            waits.push(wait.as_secs());
            // The next attempt comes as soon as it is allowed.
            t += wait;
            assert!(l.backoff_at(attacker, EMAIL, t).is_ok());
        }
        assert_eq!(
            waits,
            [0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900],
            "two free failures, then 1 s doubling, capped at 15 minutes"
        );
    }

    #[test]
    fn another_address_and_a_success_are_not_held_back() {
        let l = LoginLimits::new(settings());
        let (attacker, owner) = (ip("203.0.113.7"), ip("198.51.100.2"));
        let t = Instant::now();
        for _ in 0..10 {
            l.failed_at(attacker, EMAIL, t);
        }
        assert!(l.backoff_at(attacker, EMAIL, t).is_err());
        assert!(
            l.backoff_at(owner, EMAIL, t).is_ok(),
            "the account is not locked"
        );
        l.failed_at(owner, EMAIL, t);
        l.succeeded(owner, EMAIL);
        assert!(l.backoff_at(owner, EMAIL, t).is_ok());
        assert_eq!(l.tracked(), 1, "the owner's record went with the success");
    }

    #[test]
    fn failures_are_forgotten_after_four_times_the_longest_wait() {
        let l = LoginLimits::new(settings());
        let a = ip("203.0.113.7");
        let t = Instant::now();
        for _ in 0..5 {
            l.failed_at(a, EMAIL, t);
        }
        let later = t + settings().forget_after();
        l.failed_at(a, EMAIL, later);
        assert!(
            l.backoff_at(a, EMAIL, later).is_ok(),
            "a fresh first failure is free"
        );
    }

    #[test]
    fn invented_emails_do_not_grow_memory_without_bound() {
        let l = LoginLimits::new(settings());
        let a = ip("203.0.113.7");
        let t = Instant::now();
        for i in 0..MAX_TRACKED + 50 {
            l.failed_at(a, &format!("u{i}@example.com"), t);
        }
        assert_eq!(l.tracked(), MAX_TRACKED);
    }
}
