//! Retention of recorded traffic: TLS session records (one per handshake,
//! with the client's address) after `QSGW_TLS_SESSION_RETENTION_DAYS`
//! (default 90), the per-minute aggregates (`gateway_traffic`, the
//! sensor's `route_traffic`) after `QSGW_TRAFFIC_RETENTION_DAYS` (default
//! 400, so a year-on-year exposure trend stays possible). Deleted hourly in
//! batches, so a backlog (a first start with years of rows, a lowered
//! setting) never holds a long lock or a long transaction.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::repo;

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
#[tracing::instrument(skip(pool), err)]
pub async fn prune(pool: &sqlx::PgPool, r: Retention) -> Result<Pruned, sqlx::Error> {
    let tls_days = days(r.tls_session_days);
    let traffic_days = days(r.traffic_days);
    let tls = drain(|| repo::retention::tls_sessions_batch(pool, tls_days, BATCH)).await?;
    let gw = drain(|| repo::retention::gateway_traffic_batch(pool, traffic_days, BATCH)).await?;
    let route = drain(|| repo::retention::route_traffic_batch(pool, traffic_days, BATCH)).await?;
    Ok(Pruned {
        tls_sessions: tls,
        gateway_traffic: gw,
        route_traffic: route,
    })
}

/// A retention in days as the SQL interval takes it (saturating).
fn days(days: u32) -> i32 {
    i32::try_from(days).unwrap_or(i32::MAX)
}

/// Runs `batch` until one deletes fewer than [`BATCH`] rows; the total.
async fn drain<F, Fut>(mut batch: F) -> Result<u64, sqlx::Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<u64, sqlx::Error>>,
{
    let mut total = 0;
    loop {
        let n = batch().await?;
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
