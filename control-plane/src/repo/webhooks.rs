//! The webhook outbox (`webhook_deliveries`, filled by threat ingest in the
//! same statement as the events) and its attempt log: leased and updated
//! by the delivery worker, listed by operators.

use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use super::Keyset;
use crate::routes::webhooks::Delivery;

/// A page of deliveries with `status` (any when `None`), newest first.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn list(
    pool: &PgPool,
    status: Option<&str>,
    page: &Keyset,
) -> Result<Vec<Delivery>, sqlx::Error> {
    sqlx::query_as!(
        Delivery,
        "SELECT id, threat_event_id, event_type, payload, status, attempts, max_attempts,
            next_attempt_at, last_attempt_at, last_status_code, last_error, delivered_at, created_at
         FROM webhook_deliveries
         WHERE ($1::text IS NULL OR status = $1)
           AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3))
         ORDER BY created_at DESC, id DESC LIMIT $4",
        status,
        page.at,
        page.id.as_deref(),
        page.fetch
    )
    .fetch_all(pool)
    .await
}

/// A delivery the worker leased.
#[derive(Debug)]
pub struct Due {
    /// Delivery id.
    pub id: String,
    /// Body to send.
    pub payload: Value,
    /// Attempts made so far.
    pub attempts: i32,
    /// Attempt limit.
    pub max_attempts: i32,
}

/// Leases up to 16 due deliveries for `lease_secs` (`delivering`, next
/// attempt pushed past the lease): another replica's worker skips them, and
/// a worker that dies mid-send leaves them due again when the lease ends.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn lease_due(pool: &PgPool, lease_secs: f64) -> Result<Vec<Due>, sqlx::Error> {
    sqlx::query_as!(
        Due,
        "UPDATE webhook_deliveries SET status = 'delivering',
            next_attempt_at = now() + make_interval(secs => $1)
         WHERE id IN (SELECT id FROM webhook_deliveries
                      WHERE status IN ('pending', 'delivering') AND next_attempt_at <= now()
                      ORDER BY next_attempt_at LIMIT 16 FOR UPDATE SKIP LOCKED)
         RETURNING id, payload, attempts, max_attempts",
        lease_secs
    )
    .fetch_all(pool)
    .await
}

/// Logs one attempt (in the transaction that also updates the delivery).
#[tracing::instrument(level = "debug", skip(conn, error), err)]
pub async fn record_attempt(
    conn: &mut PgConnection,
    delivery_id: &str,
    status_code: Option<i32>,
    error: Option<&str>,
    duration_ms: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO webhook_attempts (delivery_id, status_code, error, duration_ms)
         VALUES ($1, $2, $3, $4)",
        delivery_id,
        status_code,
        error,
        duration_ms
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks delivery `id` delivered after its `attempts`-th attempt.
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn mark_delivered(
    conn: &mut PgConnection,
    id: &str,
    attempts: i32,
    status_code: Option<i32>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE webhook_deliveries SET status = 'delivered', attempts = $2, last_attempt_at = now(),
            last_status_code = $3, last_error = NULL, delivered_at = now() WHERE id = $1",
        id,
        attempts,
        status_code
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a failed attempt: `failed` for good with `give_up`, else
/// `pending` again in `retry_in_secs`.
#[tracing::instrument(level = "debug", skip(conn, last_error), err)]
pub async fn mark_failed(
    conn: &mut PgConnection,
    id: &str,
    give_up: bool,
    attempts: i32,
    status_code: Option<i32>,
    last_error: Option<&str>,
    retry_in_secs: f64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE webhook_deliveries SET status = $2, attempts = $3, last_attempt_at = now(),
            last_status_code = $4, last_error = $5,
            next_attempt_at = now() + make_interval(secs => $6) WHERE id = $1",
        id,
        if give_up { "failed" } else { "pending" },
        attempts,
        status_code,
        last_error,
        retry_in_secs
    )
    .execute(conn)
    .await?;
    Ok(())
}
