//! `idempotency_keys`: a create's `Idempotency-Key`, claimed and completed
//! in the create's own transaction so a retry either waits for it or
//! replays its stored response.

use serde_json::Value;
use sqlx::{PgConnection, PgPool};

/// Inserts the key unless `actor` already used it; `true` when this call
/// claimed it. A concurrent claim blocks on the primary key until the
/// first transaction ends.
#[tracing::instrument(level = "debug", skip(conn, key, hash), err)]
pub async fn insert(
    conn: &mut PgConnection,
    actor: &str,
    key: &str,
    method: &str,
    path: &str,
    hash: &str,
) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query_scalar!(
        "INSERT INTO idempotency_keys (key, actor, method, path, request_hash)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (actor, key) DO NOTHING RETURNING key",
        key,
        actor,
        method,
        path,
        hash
    )
    .fetch_optional(conn)
    .await?;
    Ok(inserted.is_some())
}

/// A key already used: the request it was first used with and, once that
/// request completed, its response.
#[derive(Debug)]
pub struct Stored {
    /// Method of the first request.
    pub method: String,
    /// Path of the first request.
    pub path: String,
    /// Digest of the first request's body.
    pub request_hash: String,
    /// Its response status (none while it runs).
    pub response_status: Option<i32>,
    /// Its response body (none while it runs).
    pub response_body: Option<Value>,
}

/// The stored use of `actor`'s `key`.
#[tracing::instrument(level = "debug", skip(conn, key), err)]
pub async fn get(
    conn: &mut PgConnection,
    actor: &str,
    key: &str,
) -> Result<Option<Stored>, sqlx::Error> {
    sqlx::query_as!(
        Stored,
        "SELECT method, path, request_hash, response_status, response_body
         FROM idempotency_keys WHERE actor = $1 AND key = $2",
        actor,
        key
    )
    .fetch_optional(conn)
    .await
}

/// Stores the response of the create that claimed `key` (same
/// transaction).
#[tracing::instrument(level = "debug", skip(conn, key, body), err)]
pub async fn complete(
    conn: &mut PgConnection,
    actor: &str,
    key: &str,
    status: i32,
    body: &Value,
    resource_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE idempotency_keys SET response_status = $3, response_body = $4, resource_id = $5
         WHERE actor = $1 AND key = $2",
        actor,
        key,
        status,
        body,
        resource_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets keys older than `hours` (a retry that late creates anew).
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn delete_older_than(pool: &PgPool, hours: i32) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(hours => $1)",
        hours
    )
    .execute(pool)
    .await?
    .rows_affected())
}
