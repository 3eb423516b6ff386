//! The post-quantum posture over a window, from the TLS session records,
//! the route refusals among the threat events and the sensor aggregates;
//! the operator's target share (`posture_settings`); and the PQC-only dry
//! run. Every function reads `[from, to)`.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::routes::posture::{
    ClassicalClient, ImpactRow, PolicyRefusals, PostureSettings, RouteRefusals, ShareRow,
};

/// Established, of which post-quantum, and refused handshakes.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn totals(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<(i64, i64, i64), sqlx::Error> {
    let r = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE outcome = 'established') AS "handshakes!",
                count(*) FILTER (WHERE outcome = 'established' AND pqc) AS "pqc!",
                count(*) FILTER (WHERE outcome = 'failed') AS "refused!"
         FROM tls_sessions WHERE established_at >= $1 AND established_at < $2"#,
        from,
        to
    )
    .fetch_one(pool)
    .await?;
    Ok((r.handshakes, r.pqc, r.refused))
}

/// The `top` largest groups of classical-only connections (by client
/// prefix, SNI, family and offered groups); `pq_groups` tells which offers
/// were post-quantum.
#[tracing::instrument(level = "debug", skip(pool, pq_groups), err)]
pub async fn classical_clients(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    top: i64,
    pq_groups: &[&str],
) -> Result<Vec<ClassicalClient>, sqlx::Error> {
    sqlx::query_as!(
        ClassicalClient,
        r#"SELECT network(set_masklen(client_ip, CASE WHEN family(client_ip) = 4 THEN 24 ELSE 48 END))::text
                    AS "client_prefix!",
                sni, client_family, offered_groups,
                COALESCE(offered_groups && $4::text[], false) AS "offers_pq!",
                count(*) FILTER (WHERE outcome = 'established') AS "established!",
                count(*) FILTER (WHERE outcome = 'failed') AS "refused!",
                max(established_at) AS "last_seen!"
         FROM tls_sessions
         WHERE established_at >= $1 AND established_at < $2 AND NOT pqc
         GROUP BY 1, sni, client_family, offered_groups
         ORDER BY count(*) DESC, max(established_at) DESC LIMIT $3"#,
        from,
        to,
        top,
        pq_groups as &[&str]
    )
    .fetch_all(pool)
    .await
}

/// PQC share of established sessions per route (of the first request),
/// the `top` busiest.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn share_by_route(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    top: i64,
) -> Result<Vec<ShareRow>, sqlx::Error> {
    sqlx::query_as!(
        ShareRow,
        r#"SELECT s.route_id AS "key?", r.name AS "name?", count(*) AS "handshakes!",
                count(*) FILTER (WHERE s.pqc) AS "pqc!", 0::int8 AS "refused!"
         FROM tls_sessions s LEFT JOIN routes r ON r.id = s.route_id
         WHERE s.established_at >= $1 AND s.established_at < $2 AND s.outcome = 'established'
           AND s.route_id IS NOT NULL
         GROUP BY s.route_id, r.name ORDER BY count(*) DESC, s.route_id LIMIT $3"#,
        from,
        to,
        top
    )
    .fetch_all(pool)
    .await
}

/// PQC share and refusals per SNI, the `top` busiest.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn share_by_sni(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    top: i64,
) -> Result<Vec<ShareRow>, sqlx::Error> {
    sqlx::query_as!(
        ShareRow,
        r#"SELECT sni AS "key?", NULL::text AS "name?",
                count(*) FILTER (WHERE outcome = 'established') AS "handshakes!",
                count(*) FILTER (WHERE outcome = 'established' AND pqc) AS "pqc!",
                count(*) FILTER (WHERE outcome = 'failed') AS "refused!"
         FROM tls_sessions WHERE established_at >= $1 AND established_at < $2
         GROUP BY sni ORDER BY count(*) DESC, sni NULLS LAST LIMIT $3"#,
        from,
        to,
        top
    )
    .fetch_all(pool)
    .await
}

/// Refused handshakes per listener policy.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn refusals_by_policy(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<PolicyRefusals>, sqlx::Error> {
    sqlx::query_as!(
        PolicyRefusals,
        r#"SELECT policy AS "policy?", count(*) AS "refused!" FROM tls_sessions
         WHERE established_at >= $1 AND established_at < $2 AND outcome = 'failed'
         GROUP BY policy ORDER BY count(*) DESC"#,
        from,
        to
    )
    .fetch_all(pool)
    .await
}

/// Requests refused by a route's own policy, per route, the `top` most.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn refusals_by_route(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    top: i64,
) -> Result<Vec<RouteRefusals>, sqlx::Error> {
    sqlx::query_as!(
        RouteRefusals,
        r#"SELECT t.route_id AS "route_id?", r.name AS "name?", r.tls_policy AS "policy?",
                count(*) AS "refused!"
         FROM threat_events t LEFT JOIN routes r ON r.id = t.route_id
         WHERE t.detected_at >= $1 AND t.detected_at < $2 AND t.threat_type = 'tls_policy_violation'
         GROUP BY t.route_id, r.name, r.tls_policy ORDER BY count(*) DESC LIMIT $3"#,
        from,
        to,
        top
    )
    .fetch_all(pool)
    .await
}

/// The stored settings; `None` until an admin first sets them.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn settings(pool: &PgPool) -> Result<Option<PostureSettings>, sqlx::Error> {
    sqlx::query_as!(
        PostureSettings,
        "SELECT pqc_share_target FROM posture_settings WHERE id"
    )
    .fetch_optional(pool)
    .await
}

/// Stores the settings (in the transaction that audits the change).
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn put_settings(
    conn: &mut PgConnection,
    pqc_share_target: Option<f64>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO posture_settings (id, pqc_share_target, updated_at) VALUES (TRUE, $1, now())
         ON CONFLICT (id) DO UPDATE SET pqc_share_target = EXCLUDED.pqc_share_target, updated_at = now()",
        pqc_share_target
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether route `id` exists.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn route_exists(pool: &PgPool, id: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM routes WHERE id = $1) AS "exists!""#,
        id
    )
    .fetch_one(pool)
    .await
}

/// The sessions a dry run looks at: established in `[from, to)`, of one
/// route and one SNI (`-`: none) when given; `accepted` are the groups the
/// simulated policy accepts.
#[derive(Debug)]
pub struct Scope<'a> {
    /// Window start.
    pub from: DateTime<Utc>,
    /// Window end.
    pub to: DateTime<Utc>,
    /// Only this route.
    pub route_id: Option<&'a str>,
    /// Only this SNI (`-`: sessions without one).
    pub sni: Option<&'a str>,
    /// Groups the simulated policy accepts.
    pub accepted: &'a [&'a str],
}

/// A dry run's totals.
#[derive(Debug)]
pub struct ImpactTotals {
    /// Sessions with recorded offered groups.
    pub sessions: i64,
    /// Distinct client addresses among them.
    pub clients: i64,
    /// Sessions that offered no accepted group.
    pub refuse_sessions: i64,
    /// Distinct client addresses among those.
    pub refuse_clients: i64,
    /// Sessions without recorded offered groups.
    pub unknown: i64,
}

/// Totals of the dry run over `s`.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn impact_totals(pool: &PgPool, s: &Scope<'_>) -> Result<ImpactTotals, sqlx::Error> {
    sqlx::query_as!(
        ImpactTotals,
        r#"SELECT count(*) FILTER (WHERE offered_groups IS NOT NULL) AS "sessions!",
                count(DISTINCT client_ip) FILTER (WHERE offered_groups IS NOT NULL) AS "clients!",
                count(*) FILTER (WHERE offered_groups IS NOT NULL AND NOT offered_groups && $5::text[])
                    AS "refuse_sessions!",
                count(DISTINCT client_ip) FILTER (WHERE offered_groups IS NOT NULL AND NOT offered_groups && $5::text[])
                    AS "refuse_clients!",
                count(*) FILTER (WHERE offered_groups IS NULL) AS "unknown!"
         FROM tls_sessions
         WHERE established_at >= $1 AND established_at < $2 AND outcome = 'established'
           AND ($3::text IS NULL OR route_id = $3)
           AND ($4::text IS NULL OR sni IS NOT DISTINCT FROM NULLIF($4, '-'))"#,
        s.from,
        s.to,
        s.route_id,
        s.sni,
        s.accepted as &[&str]
    )
    .fetch_one(pool)
    .await
}

/// Would-be-refused sessions of `s` per client family, the `top` most.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn impact_by_client_family(
    pool: &PgPool,
    s: &Scope<'_>,
    top: i64,
) -> Result<Vec<ImpactRow>, sqlx::Error> {
    sqlx::query_as!(
        ImpactRow,
        r#"SELECT client_family AS "client_family?", NULL::text AS "client_prefix?",
                NULL::text[] AS "offered_groups?", count(*) AS "sessions!",
                count(DISTINCT client_ip) AS "clients!", NULL::int8 AS "requests?"
         FROM tls_sessions
         WHERE established_at >= $1 AND established_at < $2 AND outcome = 'established'
           AND ($3::text IS NULL OR route_id = $3)
           AND ($4::text IS NULL OR sni IS NOT DISTINCT FROM NULLIF($4, '-'))
           AND offered_groups IS NOT NULL AND NOT offered_groups && $5::text[]
         GROUP BY client_family ORDER BY count(*) DESC, client_family NULLS LAST LIMIT $6"#,
        s.from,
        s.to,
        s.route_id,
        s.sni,
        s.accepted as &[&str],
        top
    )
    .fetch_all(pool)
    .await
}

/// The `top` largest groups (client prefix, family, offered groups) of
/// would-be-refused sessions of `s`.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn impact_top_offenders(
    pool: &PgPool,
    s: &Scope<'_>,
    top: i64,
) -> Result<Vec<ImpactRow>, sqlx::Error> {
    sqlx::query_as!(
        ImpactRow,
        r#"SELECT client_family AS "client_family?",
                network(set_masklen(client_ip, CASE WHEN family(client_ip) = 4 THEN 24 ELSE 48 END))::text
                    AS "client_prefix?",
                offered_groups AS "offered_groups?", count(*) AS "sessions!",
                count(DISTINCT client_ip) AS "clients!", NULL::int8 AS "requests?"
         FROM tls_sessions
         WHERE established_at >= $1 AND established_at < $2 AND outcome = 'established'
           AND ($3::text IS NULL OR route_id = $3)
           AND ($4::text IS NULL OR sni IS NOT DISTINCT FROM NULLIF($4, '-'))
           AND offered_groups IS NOT NULL AND NOT offered_groups && $5::text[]
         GROUP BY 1, 2, offered_groups ORDER BY count(*) DESC, 2 LIMIT $6"#,
        s.from,
        s.to,
        s.route_id,
        s.sni,
        s.accepted as &[&str],
        top
    )
    .fetch_all(pool)
    .await
}

/// Requests per client family from the sensor aggregates (minute rows: the
/// window's start is rounded down to the minute): all, and carried under a
/// classical group.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn requests_by_client_family(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    route_id: Option<&str>,
) -> Result<Vec<(String, i64, i64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT client_family, sum(requests)::int8 AS "requests!",
                coalesce(sum(requests) FILTER (WHERE NOT pqc), 0)::int8 AS "classical!"
         FROM route_traffic
         WHERE minute >= date_trunc('minute', $1::timestamptz) AND minute < $2
           AND ($3::text IS NULL OR route_id = $3)
         GROUP BY client_family"#,
        from,
        to,
        route_id
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.client_family, r.requests, r.classical))
        .collect())
}
