//! HTTP handlers, one module per resource, each with `#[utoipa::path]`.

pub mod audit_log;
pub mod auth;
pub mod cbom;
pub mod config;
pub mod exposure;
pub mod gateways;
pub mod ingest;
pub mod posture;
// The Route resource's handlers, named like every other resource's module
// (upstreams, users, ...).
#[allow(clippy::module_inception)]
pub mod routes;
pub mod threats;
pub mod tls_sessions;
pub mod upstreams;
pub mod users;
pub mod webhooks;

use shared::error::Problem;

/// `part / whole`, `None` when there is no whole: the shares the TLS,
/// posture, exposure and CBOM endpoints report.
#[allow(clippy::cast_precision_loss)] // counts far below 2^52
pub fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Parses a path id, answering 404 "no such resource" for anything that is
/// not one ([`shared::ids::path_id`], the copy risk-api uses too).
pub fn path_id<T>(
    raw: &str,
    parse: impl Fn(&str) -> Result<T, shared::ids::InvalidId>,
) -> Result<T, Problem> {
    shared::ids::path_id(raw, parse, "no such resource")
}

/// The width of a stats time bucket. Every width divides a UTC day, so
/// buckets are aligned to multiples of the width since the Unix epoch: a
/// bucket starts on the same instants whichever window asks for it, and the
/// SQL (`date_bin` with that origin, in [`crate::repo`]) and
/// [`StatsWindow::starts`] agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// One minute (`minute` or `1m`).
    Minute,
    /// Five minutes (`5m`).
    FiveMinutes,
    /// Fifteen minutes (`15m`).
    FifteenMinutes,
    /// One hour (`hour` or `1h`).
    Hour,
    /// Six hours (`6h`).
    SixHours,
    /// One UTC day (`day` or `1d`).
    Day,
}

/// What a bad `bucket` parameter is told.
pub const BUCKET_VALUES: &str =
    "must be minute, 5m, 15m, hour, 6h or day (1m, 1h and 1d are accepted too)";

impl Bucket {
    /// Parses the query value; the unit names of the first API version
    /// (`minute`, `hour`, `day`) stay accepted.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "minute" | "1m" => Self::Minute,
            "5m" => Self::FiveMinutes,
            "15m" => Self::FifteenMinutes,
            "hour" | "1h" => Self::Hour,
            "6h" => Self::SixHours,
            "day" | "1d" => Self::Day,
            _ => return None,
        })
    }

    /// The name answered in responses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::FiveMinutes => "5m",
            Self::FifteenMinutes => "15m",
            Self::Hour => "hour",
            Self::SixHours => "6h",
            Self::Day => "day",
        }
    }

    /// The width in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            Self::Minute => 60,
            Self::FiveMinutes => 300,
            Self::FifteenMinutes => 900,
            Self::Hour => 3600,
            Self::SixHours => 6 * 3600,
            Self::Day => 86_400,
        }
    }

    /// The longest window asked for with this width: at most
    /// [`MAX_BUCKETS`] buckets, so one request cannot ask for millions of
    /// zero-filled rows.
    fn max_span(self) -> chrono::Duration {
        chrono::Duration::seconds(self.seconds() * MAX_BUCKETS)
    }
}

/// Most buckets one stats response holds (the window is refused beyond).
/// 3,660 keeps what the first version allowed by day (ten years) and gives
/// 61 h by minute, 12.7 days by 5 minutes, 38 days by 15 minutes, 152 days
/// by hour and 2.5 years by 6 hours.
pub const MAX_BUCKETS: i64 = 3660;

/// A validated stats window: `[from, to)` cut into [`Bucket`]s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsWindow {
    /// Start (inclusive).
    pub from: chrono::DateTime<chrono::Utc>,
    /// End (exclusive).
    pub to: chrono::DateTime<chrono::Utc>,
    /// Bucket width.
    pub bucket: Bucket,
}

impl StatsWindow {
    /// The start of every bucket that overlaps `[from, to)`, oldest first.
    /// The first and the last may reach outside the window (they are
    /// counted over the part inside it only).
    pub fn starts(&self) -> Vec<chrono::DateTime<chrono::Utc>> {
        let step = self.bucket.seconds();
        let first = self.from.timestamp().div_euclid(step) * step;
        let end = self.to.timestamp_micros();
        let mut out = Vec::new();
        let mut t = first;
        while t * 1_000_000 < end {
            if let Some(at) = chrono::DateTime::from_timestamp(t, 0) {
                out.push(at);
            }
            t += step;
        }
        out
    }

    /// `rows` (non-empty buckets from SQL, any order) with every missing
    /// bucket of the window added as `empty(start)`, oldest first. Charts
    /// then get a real time axis: one point per bucket, evenly spaced,
    /// zero where nothing happened.
    pub fn fill<T>(
        &self,
        rows: Vec<T>,
        start_of: impl Fn(&T) -> chrono::DateTime<chrono::Utc>,
        empty: impl Fn(chrono::DateTime<chrono::Utc>) -> T,
    ) -> Vec<T> {
        let mut by_start: std::collections::HashMap<_, T> =
            rows.into_iter().map(|r| (start_of(&r), r)).collect();
        self.starts()
            .into_iter()
            .map(|s| by_start.remove(&s).unwrap_or_else(|| empty(s)))
            .collect()
    }
}

/// The window and bucket width of a stats request (threats, TLS sessions,
/// gateway traffic), validated: default the last 24 h by hour; at most
/// [`MAX_BUCKETS`] buckets, so a request cannot ask for unbounded rows.
pub fn stats_window(
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
    bucket: Option<&str>,
) -> Result<StatsWindow, Problem> {
    let to = to.unwrap_or_else(chrono::Utc::now);
    let from = from.unwrap_or(to - chrono::Duration::hours(24));
    if from >= to {
        return Err(Problem::invalid_field("from", "must be before to"));
    }
    let bucket = match bucket {
        None => Bucket::Hour,
        Some(b) => {
            Bucket::parse(b).ok_or_else(|| Problem::invalid_field("bucket", BUCKET_VALUES))?
        }
    };
    if to - from > bucket.max_span() {
        return Err(Problem::invalid_field(
            "from",
            format!(
                "the window is too long for {} buckets (at most {MAX_BUCKETS} buckets)",
                bucket.as_str()
            ),
        ));
    }
    Ok(StatsWindow { from, to, bucket })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn buckets_cover_the_window_aligned_to_the_epoch() {
        // 10:07:30 to 10:20:00 by 5 minutes: 10:05 (partial), 10:10, 10:15.
        let w = StatsWindow {
            from: Utc.with_ymd_and_hms(2026, 1, 5, 10, 7, 30).unwrap(),
            to: Utc.with_ymd_and_hms(2026, 1, 5, 10, 20, 0).unwrap(),
            bucket: Bucket::FiveMinutes,
        };
        let at = |h, m| Utc.with_ymd_and_hms(2026, 1, 5, h, m, 0).unwrap();
        assert_eq!(w.starts(), [at(10, 5), at(10, 10), at(10, 15)]);
        let filled = w.fill(vec![(at(10, 15), 7)], |r| r.0, |s| (s, 0));
        assert_eq!(filled, [(at(10, 5), 0), (at(10, 10), 0), (at(10, 15), 7)]);
    }

    #[test]
    fn days_are_utc_days() {
        let w = StatsWindow {
            from: Utc.with_ymd_and_hms(2026, 1, 5, 23, 0, 0).unwrap(),
            to: Utc.with_ymd_and_hms(2026, 1, 6, 0, 0, 1).unwrap(),
            bucket: Bucket::Day,
        };
        assert_eq!(
            w.starts(),
            [
                Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 1, 6, 0, 0, 0).unwrap()
            ]
        );
    }

    #[test]
    fn windows_are_bounded_and_named() {
        let to = Utc.with_ymd_and_hms(2026, 1, 5, 0, 0, 0).unwrap();
        let err = |from, b| {
            stats_window(Some(from), Some(to), b).unwrap_err().errors[0]
                .field
                .clone()
        };
        assert_eq!(err(to, None), "from");
        assert_eq!(err(to - chrono::Duration::hours(1), Some("week")), "bucket");
        assert_eq!(
            err(to - chrono::Duration::hours(62), Some("minute")),
            "from"
        );
        let ok = stats_window(Some(to - chrono::Duration::hours(61)), Some(to), Some("1m"));
        assert_eq!(ok.unwrap().starts().len(), 3660);
    }
}
