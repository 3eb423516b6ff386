//! `gateways` (registration and heartbeat state) and the per-minute
//! traffic gateways report with their heartbeats (`gateway_traffic`, and
//! the sensor's `route_traffic`).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use super::Keyset;
use crate::routes::gateways::{Gateway, GroupTraffic, TrafficBucket};

/// What a registration stores.
#[derive(Debug)]
pub struct Registration<'a> {
    /// Id given when the name is new (kept when it registers again).
    pub new_id: &'a str,
    /// Unique instance name.
    pub name: &'a str,
    /// Host name the gateway reported (at most 253 characters).
    pub hostname: Option<&'a str>,
    /// Address the gateway reported as reachable, e.g. `10.0.0.5:8443` (at most 300 characters).
    pub address: Option<&'a str>,
    /// Version string the gateway reported (at most 100 characters).
    pub software_version: Option<&'a str>,
    /// TLS policy it enforces.
    pub tls_policy: &'a str,
    /// Labels (a JSON object).
    pub labels: &'a Value,
}

/// Registers `r` or, when its name is known, registers it again (same id,
/// version moved on); the gateway's id.
#[tracing::instrument(level = "debug", skip(conn, r), fields(name = r.name), err)]
pub async fn upsert(conn: &mut PgConnection, r: &Registration<'_>) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO gateways (id, name, hostname, address, software_version, tls_policy, labels,
            last_heartbeat_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, now())
         ON CONFLICT (name) DO UPDATE SET hostname = EXCLUDED.hostname, address = EXCLUDED.address,
            software_version = EXCLUDED.software_version, tls_policy = EXCLUDED.tls_policy,
            labels = EXCLUDED.labels, last_heartbeat_at = now(), version = gateways.version + 1,
            updated_at = now()
         RETURNING id",
        r.new_id,
        r.name,
        r.hostname,
        r.address,
        r.software_version,
        r.tls_policy,
        r.labels
    )
    .fetch_one(conn)
    .await
}

/// Gateway `id` as listed (liveness from the heartbeat age, the current
/// config revision beside the one it applied).
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn get(conn: &mut PgConnection, id: &str) -> Result<Option<Gateway>, sqlx::Error> {
    sqlx::query_as!(
        Gateway,
        r#"SELECT g.id, g.name, g.hostname, g.address, g.software_version,
            g.config_revision_seen,
            (SELECT revision FROM config_revision) AS "config_revision_current!",
            g.tls_policy, g.labels, g.registered_at, g.last_heartbeat_at,
            CASE WHEN g.last_heartbeat_at IS NULL THEN 'unknown'
                 WHEN g.last_heartbeat_at > now() - make_interval(secs => 30) THEN 'online'
                 ELSE 'offline' END AS "liveness!", g.upstream_health, g.served_certificates,
            g.version, g.created_at
         FROM gateways g WHERE g.id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// A page of gateways, newest first.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn list(pool: &PgPool, page: &Keyset) -> Result<Vec<Gateway>, sqlx::Error> {
    sqlx::query_as!(
        Gateway,
        r#"SELECT g.id, g.name, g.hostname, g.address, g.software_version,
            g.config_revision_seen,
            (SELECT revision FROM config_revision) AS "config_revision_current!",
            g.tls_policy, g.labels, g.registered_at, g.last_heartbeat_at,
            CASE WHEN g.last_heartbeat_at IS NULL THEN 'unknown'
                 WHEN g.last_heartbeat_at > now() - make_interval(secs => 30) THEN 'online'
                 ELSE 'offline' END AS "liveness!", g.upstream_health, g.served_certificates,
            g.version, g.created_at
         FROM gateways g
         WHERE ($1::timestamptz IS NULL OR (g.created_at, g.id) < ($1, $2))
         ORDER BY g.created_at DESC, g.id DESC LIMIT $3"#,
        page.at,
        page.id.as_deref(),
        page.fetch
    )
    .fetch_all(pool)
    .await
}

/// What a heartbeat updates; `None` keeps the stored value.
#[derive(Debug)]
pub struct Beat<'a> {
    /// Config revision the gateway applied.
    pub config_revision_seen: i64,
    /// Version string the gateway reported with the heartbeat (at most 100 characters); `None`
    /// keeps the stored one.
    pub software_version: Option<&'a str>,
    /// Target health (JSON array).
    pub upstream_health: Option<Value>,
    /// Served certificates (JSON array).
    pub served_certificates: Option<Value>,
}

/// Records a heartbeat of gateway `id`; `false` when there is no such
/// gateway (it must register first).
#[tracing::instrument(level = "debug", skip(conn, b), fields(revision = b.config_revision_seen), err)]
pub async fn heartbeat(
    conn: &mut PgConnection,
    id: &str,
    b: Beat<'_>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE gateways SET last_heartbeat_at = now(), config_revision_seen = $2,
            software_version = coalesce($3, software_version),
            upstream_health = coalesce($4, upstream_health),
            served_certificates = coalesce($5, served_certificates), updated_at = now()
         WHERE id = $1",
        id,
        b.config_revision_seen,
        b.software_version,
        b.upstream_health,
        b.served_certificates
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Adds a heartbeat's request and 5xx counts to gateway `id`'s current
/// minute.
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn add_traffic(
    conn: &mut PgConnection,
    id: &str,
    requests: i64,
    errors: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO gateway_traffic (gateway_id, minute, requests, errors)
         VALUES ($1, date_trunc('minute', now()), $2, $3)
         ON CONFLICT (gateway_id, minute) DO UPDATE
            SET requests = gateway_traffic.requests + EXCLUDED.requests,
                errors = gateway_traffic.errors + EXCLUDED.errors",
        id,
        requests,
        errors
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Adds a heartbeat's sensor aggregates to gateway `id`'s current minute,
/// one statement for the whole batch.
#[tracing::instrument(level = "debug", skip(conn, rows), fields(rows = rows.len()), err)]
pub async fn add_route_traffic(
    conn: &mut PgConnection,
    id: &str,
    rows: &[GroupTraffic],
) -> Result<(), sqlx::Error> {
    let col = |f: fn(&GroupTraffic) -> String| rows.iter().map(f).collect::<Vec<_>>();
    let num = |f: fn(&GroupTraffic) -> i64| rows.iter().map(f).collect::<Vec<_>>();
    sqlx::query!(
        "INSERT INTO route_traffic AS t (gateway_id, minute, route_id, kx_group, pqc, client_family,
            sessions, requests, bytes_in, bytes_out)
         SELECT $1, date_trunc('minute', now()), rt, kx, bool_or(pqc), fam,
                sum(s)::int8, sum(r)::int8, sum(bi)::int8, sum(bo)::int8
         FROM UNNEST($2::text[], $3::text[], $4::bool[], $5::text[], $6::int8[], $7::int8[],
                     $8::int8[], $9::int8[]) AS u(rt, kx, pqc, fam, s, r, bi, bo)
         -- One row per key even if the batch repeats one (ON CONFLICT
         -- may not touch a row twice in one statement).
         GROUP BY rt, kx, fam
         ON CONFLICT (gateway_id, minute, route_id, kx_group, client_family) DO UPDATE
            SET sessions = t.sessions + EXCLUDED.sessions,
                requests = t.requests + EXCLUDED.requests,
                bytes_in = t.bytes_in + EXCLUDED.bytes_in,
                bytes_out = t.bytes_out + EXCLUDED.bytes_out",
        id,
        &col(|g| g.route_id.clone().unwrap_or_default()),
        &col(|g| g.kx_group.clone()),
        &rows.iter().map(|g| g.pqc).collect::<Vec<_>>(),
        &col(|g| g.client_family.clone()),
        &num(|g| g.sessions),
        &num(|g| g.requests),
        &num(|g| g.bytes_in),
        &num(|g| g.bytes_out)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Requests and 5xx summed over gateways per bucket of `bucket_secs`
/// (aligned to the Unix epoch) in `[from, to)`; empty buckets are absent.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn traffic(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket_secs: i64,
) -> Result<Vec<TrafficBucket>, sqlx::Error> {
    sqlx::query_as!(
        TrafficBucket,
        r#"SELECT date_bin(make_interval(secs => $3::int8::float8), minute,
                TIMESTAMPTZ '1970-01-01 00:00:00+00') AS "start!",
            sum(requests)::int8 AS "requests!", sum(errors)::int8 AS "errors!"
         FROM gateway_traffic WHERE minute >= $1 AND minute < $2
         GROUP BY 1"#,
        from,
        to,
        bucket_secs
    )
    .fetch_all(pool)
    .await
}
