//! `threat_events` as operators see them: filtered pages, statistics over
//! a window, and the triage steps (acknowledge, resolve). Gateways insert
//! them through [`super::ingest`].

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::routes::threats::{LabelCount, ThreatBucket, ThreatEvent};

/// The filter of `GET /api/v1/threats`; `None` matches anything.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    /// Exact severity.
    pub severity: Option<&'a str>,
    /// Exact threat type.
    pub threat_type: Option<&'a str>,
    /// Exact triage status.
    pub status: Option<&'a str>,
    /// Client address within this CIDR block (normalized text).
    pub cidr: Option<&'a str>,
    /// Exact route.
    pub route_id: Option<&'a str>,
    /// Detected at or after.
    pub from: Option<DateTime<Utc>>,
    /// Detected before.
    pub to: Option<DateTime<Utc>>,
}

/// A compile-checked `sqlx::$kind!` over the events a [`Filter`] matches:
/// the `head` literal (up to `FROM threat_events`), `WHERE` and the one
/// copy of the filter's conditions (`$1`..`$7`, bound from `$f`), then the
/// `tail` literal with the `$extra` arguments from `$8` on (literals joined
/// with `+` stay one checked statement).
macro_rules! filtered {
    ($kind:ident($($row:path)?), $head:literal, $tail:literal, $f:expr $(, $extra:expr)* $(,)?) => {
        sqlx::$kind!(
            $($row,)?
            $head + r#"
         WHERE ($1::text IS NULL OR severity = $1)
           AND ($2::text IS NULL OR threat_type = $2)
           AND ($3::text IS NULL OR status = $3)
           AND ($4::text IS NULL OR client_ip <<= $4::text::cidr)
           AND ($5::text IS NULL OR route_id = $5)
           AND ($6::timestamptz IS NULL OR detected_at >= $6)
           AND ($7::timestamptz IS NULL OR detected_at < $7)
           "# + $tail,
            $f.severity,
            $f.threat_type,
            $f.status,
            $f.cidr,
            $f.route_id,
            $f.from,
            $f.to
            $(, $extra)*
        )
    };
}

/// Up to `fetch` events matching `f` after the `(detected_at, id)` cursor
/// `after`, newest first.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn list(
    pool: &PgPool,
    f: &Filter<'_>,
    after: Option<&(DateTime<Utc>, String)>,
    fetch: i64,
) -> Result<Vec<ThreatEvent>, sqlx::Error> {
    filtered!(
        query_as(ThreatEvent),
        r#"SELECT id, gateway_id, host(client_ip) AS "client_ip!", user_agent, route_id, method,
            path, threat_type, severity, anomaly_score, bot_score, reasons, action_taken, status,
            acknowledged_by, acknowledged_at, resolved_by, resolved_at, note, detected_at, version
         FROM threat_events"#,
        r#"AND ($8::timestamptz IS NULL OR (detected_at, id) < ($8, $9))
         ORDER BY detected_at DESC, id DESC LIMIT $10"#,
        f,
        after.map(|a| a.0),
        after.map(|a| a.1.as_str()),
        fetch
    )
    .fetch_all(pool)
    .await
}

/// How many events match `f`, counted up to `cap` (so a page never costs
/// a full count of a growing table).
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn count(pool: &PgPool, f: &Filter<'_>, cap: i64) -> Result<i64, sqlx::Error> {
    filtered!(
        query_scalar(),
        r#"SELECT count(*) AS "n!" FROM (SELECT 1 FROM threat_events"#,
        "LIMIT $8) s",
        f,
        cap
    )
    .fetch_one(pool)
    .await
}

/// Event `id`, locked until the transaction ends with `lock` (a triage
/// step checks its version and status).
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn get(
    conn: &mut PgConnection,
    id: &str,
    lock: bool,
) -> Result<Option<ThreatEvent>, sqlx::Error> {
    if lock {
        sqlx::query_as!(
            ThreatEvent,
            r#"SELECT id, gateway_id, host(client_ip) AS "client_ip!", user_agent, route_id, method,
                path, threat_type, severity, anomaly_score, bot_score, reasons, action_taken, status,
                acknowledged_by, acknowledged_at, resolved_by, resolved_at, note, detected_at, version
             FROM threat_events WHERE id = $1 FOR UPDATE"#,
            id
        )
        .fetch_optional(conn)
        .await
    } else {
        sqlx::query_as!(
            ThreatEvent,
            r#"SELECT id, gateway_id, host(client_ip) AS "client_ip!", user_agent, route_id, method,
                path, threat_type, severity, anomaly_score, bot_score, reasons, action_taken, status,
                acknowledged_by, acknowledged_at, resolved_by, resolved_at, note, detected_at, version
             FROM threat_events WHERE id = $1"#,
            id
        )
        .fetch_optional(conn)
        .await
    }
}

/// A triage step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Triage {
    /// `acknowledged`: someone is on it.
    Acknowledge,
    /// `resolved`: done (final).
    Resolve,
}

/// Moves event `id` to the status of `step` by `actor` (keeping the old
/// note unless `note` is given), its version on by one.
#[tracing::instrument(level = "debug", skip(conn, note), err)]
pub async fn triage(
    conn: &mut PgConnection,
    id: &str,
    step: Triage,
    actor: &str,
    note: Option<&str>,
) -> Result<ThreatEvent, sqlx::Error> {
    match step {
        Triage::Acknowledge => {
            sqlx::query_as!(
                ThreatEvent,
                r#"UPDATE threat_events SET status = 'acknowledged', acknowledged_by = $2,
                    acknowledged_at = now(), note = coalesce($3, note), version = version + 1,
                    updated_at = now()
                 WHERE id = $1
                 RETURNING id, gateway_id, host(client_ip) AS "client_ip!", user_agent, route_id,
                    method, path, threat_type, severity, anomaly_score, bot_score, reasons,
                    action_taken, status, acknowledged_by, acknowledged_at, resolved_by, resolved_at,
                    note, detected_at, version"#,
                id,
                actor,
                note
            )
            .fetch_one(conn)
            .await
        }
        Triage::Resolve => {
            sqlx::query_as!(
                ThreatEvent,
                r#"UPDATE threat_events SET status = 'resolved', resolved_by = $2,
                    resolved_at = now(), note = coalesce($3, note), version = version + 1,
                    updated_at = now()
                 WHERE id = $1
                 RETURNING id, gateway_id, host(client_ip) AS "client_ip!", user_agent, route_id,
                    method, path, threat_type, severity, anomaly_score, bot_score, reasons,
                    action_taken, status, acknowledged_by, acknowledged_at, resolved_by, resolved_at,
                    note, detected_at, version"#,
                id,
                actor,
                note
            )
            .fetch_one(conn)
            .await
        }
    }
}

/// What a statistics breakdown counts events by.
#[derive(Debug, Clone, Copy)]
pub enum Label {
    /// The event's `severity`: LOW, MEDIUM, HIGH or CRITICAL.
    Severity,
    /// The event's `threat_type`, a lower_snake kind such as `bot` or `tls_policy_violation`.
    ThreatType,
    /// The event's triage `status`: open, acknowledged or resolved.
    Status,
}

impl Label {
    /// The `threat_events` column counted by.
    fn column(self) -> &'static str {
        match self {
            Self::Severity => "severity",
            Self::ThreatType => "threat_type",
            Self::Status => "status",
        }
    }
}

/// Events detected in `[from, to)` per `label`, most frequent first.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn count_by(
    pool: &PgPool,
    label: Label,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<LabelCount>, sqlx::Error> {
    // One statement for every label: the column is chosen by name in SQL
    // (all three are TEXT), so the grouping and ordering are written once.
    sqlx::query_as!(
        LabelCount,
        r#"SELECT CASE $3::text WHEN 'severity' THEN severity
                                WHEN 'threat_type' THEN threat_type
                                ELSE status END AS "label!",
                  count(*) AS "count!"
           FROM threat_events
           WHERE detected_at >= $1 AND detected_at < $2
           GROUP BY 1 ORDER BY 2 DESC, 1"#,
        from,
        to,
        label.column()
    )
    .fetch_all(pool)
    .await
}

/// Events per bucket of `bucket_secs` (aligned to the Unix epoch) in
/// `[from, to)`, by severity; empty buckets are absent.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn buckets(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket_secs: i64,
) -> Result<Vec<ThreatBucket>, sqlx::Error> {
    sqlx::query_as!(
        ThreatBucket,
        r#"SELECT date_bin(make_interval(secs => $3::int8::float8), detected_at,
                TIMESTAMPTZ '1970-01-01 00:00:00+00') AS "start!",
                count(*) AS "total!",
                count(*) FILTER (WHERE severity = 'LOW') AS "low!",
                count(*) FILTER (WHERE severity = 'MEDIUM') AS "medium!",
                count(*) FILTER (WHERE severity = 'HIGH') AS "high!",
                count(*) FILTER (WHERE severity = 'CRITICAL') AS "critical!"
         FROM threat_events WHERE detected_at >= $1 AND detected_at < $2
         GROUP BY 1"#,
        from,
        to,
        bucket_secs
    )
    .fetch_all(pool)
    .await
}
