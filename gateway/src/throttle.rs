//! Log lines that repeat while a dependency is down (etcd, the control
//! plane) are throttled: the first occurrence is logged at once, then at
//! most one line per period saying how many occurrences it stands for.
//! Nothing is silent (the counters and the summary lines say it all), and
//! nothing floods the log.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// One throttled warning.
#[derive(Debug)]
pub struct Throttled {
    period: Duration,
    state: Mutex<(Option<Instant>, u64)>,
}

impl Throttled {
    /// At most one line per `period`.
    pub fn new(period: Duration) -> Self {
        Self {
            period,
            state: Mutex::new((None, 0)),
        }
    }

    /// Counts `n` occurrences; returns how many to report when a line is
    /// due now (the first ever, or the first after a period), else `None`.
    pub fn hit(&self, n: u64) -> Option<u64> {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.1 += n;
        let now = Instant::now();
        if s.0
            .is_some_and(|last| now.duration_since(last) < self.period)
        {
            return None;
        }
        s.0 = Some(now);
        Some(std::mem::take(&mut s.1))
    }

    /// Forgets the episode (the dependency answered): the next failure is
    /// logged at once again. Returns occurrences not yet reported.
    pub fn reset(&self) -> u64 {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.0 = None;
        std::mem::take(&mut s.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_is_logged_then_one_summary_per_period() {
        let t = Throttled::new(Duration::from_millis(50));
        assert_eq!(t.hit(1), Some(1));
        assert_eq!(t.hit(1), None);
        assert_eq!(t.hit(3), None);
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(t.hit(1), Some(5));
        assert_eq!(t.hit(2), None);
        assert_eq!(t.reset(), 2);
        assert_eq!(t.hit(1), Some(1));
    }
}
