//! Retention of recorded traffic: TLS session records (one per handshake,
//! with the client's address) after `QSGW_TLS_SESSION_RETENTION_DAYS`
//! (default 90), the per-minute aggregates (`gateway_traffic`, the
//! sensor's `route_traffic`) after `QSGW_TRAFFIC_RETENTION_DAYS` (default
//! 400, so a year-on-year exposure trend stays possible). Deleted hourly in
//! batches, so a backlog (a first start with years of rows, a lowered
//! setting) never holds a long lock or a long transaction.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// Rows deleted per statement.
pub const BATCH: i64 = 10_000;

/// How long each kind of record is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// TLS session records, in days.
    pub tls_session_days: u32,
    /// Per-minute traffic aggregates, in days.
    pub traffic_days: u32,
}

/// Rows deleted by one [`prune`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    /// From `tls_sessions`.
    pub tls_sessions: u64,
    /// From `gateway_traffic`.
    pub gateway_traffic: u64,
    /// From `route_traffic`.
    pub route_traffic: u64,
}

/// Deletes everything past its retention, a batch at a time.
pub async fn prune(pool: &sqlx::PgPool, r: Retention) -> Result<Pruned, sqlx::Error> {
    let tls = drain(
        pool,
        "DELETE FROM tls_sessions WHERE id IN (SELECT id FROM tls_sessions
            WHERE established_at < now() - make_interval(days => $1) LIMIT $2)",
        r.tls_session_days,
    )
    .await?;
    let gw = drain(
        pool,
        "DELETE FROM gateway_traffic WHERE (gateway_id, minute) IN (SELECT gateway_id, minute
            FROM gateway_traffic WHERE minute < now() - make_interval(days => $1) LIMIT $2)",
        r.traffic_days,
    )
    .await?;
    let route = drain(
        pool,
        "DELETE FROM route_traffic WHERE (gateway_id, minute, route_id, kx_group, client_family) IN
            (SELECT gateway_id, minute, route_id, kx_group, client_family FROM route_traffic
             WHERE minute < now() - make_interval(days => $1) LIMIT $2)",
        r.traffic_days,
    )
    .await?;
    Ok(Pruned {
        tls_sessions: tls,
        gateway_traffic: gw,
        route_traffic: route,
    })
}

async fn drain(pool: &sqlx::PgPool, sql: &str, days: u32) -> Result<u64, sqlx::Error> {
    let days = i32::try_from(days).unwrap_or(i32::MAX);
    let mut total = 0;
    loop {
        let n = sqlx::query(sql)
            .bind(days)
            .bind(BATCH)
            .execute(pool)
            .await?
            .rows_affected();
        total += n;
        if n < u64::try_from(BATCH).unwrap_or(u64::MAX) {
            return Ok(total);
        }
    }
}

/// Prunes at start and then hourly until `cancel`.
pub fn spawn(pool: sqlx::PgPool, r: Retention, cancel: CancellationToken) {
    tokio::spawn(async move {
        loop {
            match prune(&pool, r).await {
                Ok(p) if p != Pruned::default() => {
                    tracing::info!(?p, "deleted records past their retention");
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "retention pruning failed; retrying in an hour")
                }
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(Duration::from_secs(3600)) => {}
            }
        }
    });
}
