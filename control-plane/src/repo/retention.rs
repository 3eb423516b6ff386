//! Deleting recorded traffic past its retention, one bounded batch per
//! statement (so a backlog never holds a long lock or transaction); the
//! caller repeats until a batch comes back short.

use sqlx::PgPool;

/// Deletes up to `batch` TLS session records established more than `days`
/// ago; how many went.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn tls_sessions_batch(pool: &PgPool, days: i32, batch: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "DELETE FROM tls_sessions WHERE id IN (SELECT id FROM tls_sessions
            WHERE established_at < now() - make_interval(days => $1) LIMIT $2)",
        days,
        batch
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// Deletes up to `batch` per-minute gateway request counts older than
/// `days`; how many went.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn gateway_traffic_batch(
    pool: &PgPool,
    days: i32,
    batch: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "DELETE FROM gateway_traffic WHERE (gateway_id, minute) IN (SELECT gateway_id, minute
            FROM gateway_traffic WHERE minute < now() - make_interval(days => $1) LIMIT $2)",
        days,
        batch
    )
    .execute(pool)
    .await?
    .rows_affected())
}

/// Deletes up to `batch` per-minute sensor aggregates older than `days`;
/// how many went.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn route_traffic_batch(pool: &PgPool, days: i32, batch: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "DELETE FROM route_traffic WHERE (gateway_id, minute, route_id, kx_group, client_family) IN
            (SELECT gateway_id, minute, route_id, kx_group, client_family FROM route_traffic
             WHERE minute < now() - make_interval(days => $1) LIMIT $2)",
        days,
        batch
    )
    .execute(pool)
    .await?
    .rows_affected())
}
