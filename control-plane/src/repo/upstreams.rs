//! The `upstreams` table. Writes run in the caller's (the mutation's)
//! transaction.

use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use super::Keyset;
use crate::domain::upstream::{lb_to_db, UpstreamRow, ValidUpstream};

/// `v`'s targets as the JSONB the column holds.
fn targets_json(v: &ValidUpstream) -> Value {
    serde_json::to_value(&v.targets).unwrap_or_else(|_| serde_json::json!([]))
}

/// One upstream; `None` when there is none.
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn get(conn: &mut PgConnection, id: &str) -> Result<Option<UpstreamRow>, sqlx::Error> {
    sqlx::query_as!(
        UpstreamRow,
        "SELECT id, name, description, targets, lb_policy, hc_enabled, hc_path,
            hc_interval_ms, hc_timeout_ms, hc_expected_status, hc_healthy_threshold,
            hc_unhealthy_threshold, eject_after_failures, eject_duration_ms, pool_size,
            connect_timeout_ms, request_timeout_ms, tls, version, created_at, updated_at
         FROM upstreams WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await
}

/// One upstream, locked until the transaction ends, for an update or
/// delete that must see the version it checks `If-Match` against.
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn get_for_update(
    conn: &mut PgConnection,
    id: &str,
) -> Result<Option<UpstreamRow>, sqlx::Error> {
    sqlx::query_as!(
        UpstreamRow,
        "SELECT id, name, description, targets, lb_policy, hc_enabled, hc_path,
            hc_interval_ms, hc_timeout_ms, hc_expected_status, hc_healthy_threshold,
            hc_unhealthy_threshold, eject_after_failures, eject_duration_ms, pool_size,
            connect_timeout_ms, request_timeout_ms, tls, version, created_at, updated_at
         FROM upstreams WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await
}

/// Every upstream by id (the config snapshot).
#[tracing::instrument(level = "debug", skip_all, err)]
pub async fn all(conn: &mut PgConnection) -> Result<Vec<UpstreamRow>, sqlx::Error> {
    sqlx::query_as!(
        UpstreamRow,
        "SELECT id, name, description, targets, lb_policy, hc_enabled, hc_path,
            hc_interval_ms, hc_timeout_ms, hc_expected_status, hc_healthy_threshold,
            hc_unhealthy_threshold, eject_after_failures, eject_duration_ms, pool_size,
            connect_timeout_ms, request_timeout_ms, tls, version, created_at, updated_at
         FROM upstreams ORDER BY id"
    )
    .fetch_all(conn)
    .await
}

/// A page of upstreams, newest first.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn list(pool: &PgPool, page: &Keyset) -> Result<Vec<UpstreamRow>, sqlx::Error> {
    sqlx::query_as!(
        UpstreamRow,
        "SELECT id, name, description, targets, lb_policy, hc_enabled, hc_path,
            hc_interval_ms, hc_timeout_ms, hc_expected_status, hc_healthy_threshold,
            hc_unhealthy_threshold, eject_after_failures, eject_duration_ms, pool_size,
            connect_timeout_ms, request_timeout_ms, tls, version, created_at, updated_at
         FROM upstreams
         WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2))
         ORDER BY created_at DESC, id DESC LIMIT $3",
        page.at,
        page.id.as_deref(),
        page.fetch
    )
    .fetch_all(pool)
    .await
}

/// A compile-checked write of upstream `$id` as the validated `$v` says: the
/// statement (`$1` the id, then the fields in the order bound here), then
/// the one copy of the `RETURNING` list of [`UpstreamRow`]. Insert and update
/// bind the same parameters, so they share it.
macro_rules! write_upstream {
    ($sql:literal, $conn:expr, $id:expr, $v:expr) => {
        sqlx::query_as!(
            UpstreamRow,
            $sql + "
         RETURNING id, name, description, targets, lb_policy, hc_enabled, hc_path,
            hc_interval_ms, hc_timeout_ms, hc_expected_status, hc_healthy_threshold,
            hc_unhealthy_threshold, eject_after_failures, eject_duration_ms, pool_size,
            connect_timeout_ms, request_timeout_ms, tls, version, created_at, updated_at",
            $id,
            &$v.name,
            $v.description.as_deref(),
            targets_json($v),
            lb_to_db($v.lb_policy),
            $v.hc_enabled,
            &$v.hc_path,
            $v.hc_interval_ms,
            $v.hc_timeout_ms,
            $v.hc_expected_status,
            $v.hc_healthy_threshold,
            $v.hc_unhealthy_threshold,
            $v.eject_after_failures,
            $v.eject_duration_ms,
            $v.pool_size,
            $v.connect_timeout_ms,
            $v.request_timeout_ms,
            $v.tls.as_ref()
        )
        .fetch_one($conn)
        .await
    };
}

/// Inserts upstream `id` as `v` says.
#[tracing::instrument(level = "debug", skip(conn, v), fields(name = %v.name), err)]
pub async fn insert(
    conn: &mut PgConnection,
    id: &str,
    v: &ValidUpstream,
) -> Result<UpstreamRow, sqlx::Error> {
    write_upstream!(
        "INSERT INTO upstreams (id, name, description, targets, lb_policy, hc_enabled, hc_path,
            hc_interval_ms, hc_timeout_ms, hc_expected_status, hc_healthy_threshold,
            hc_unhealthy_threshold, eject_after_failures, eject_duration_ms, pool_size,
            connect_timeout_ms, request_timeout_ms, tls)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)",
        conn,
        id,
        v
    )
}

/// Replaces upstream `id` with `v`, moving its version on by one.
#[tracing::instrument(level = "debug", skip(conn, v), err)]
pub async fn update(
    conn: &mut PgConnection,
    id: &str,
    v: &ValidUpstream,
) -> Result<UpstreamRow, sqlx::Error> {
    write_upstream!(
        "UPDATE upstreams SET name=$2, description=$3, targets=$4, lb_policy=$5, hc_enabled=$6,
            hc_path=$7, hc_interval_ms=$8, hc_timeout_ms=$9, hc_expected_status=$10,
            hc_healthy_threshold=$11, hc_unhealthy_threshold=$12, eject_after_failures=$13,
            eject_duration_ms=$14, pool_size=$15, connect_timeout_ms=$16, request_timeout_ms=$17,
            tls=$18, version = version + 1, updated_at = now()
         WHERE id = $1",
        conn,
        id,
        v
    )
}

/// Up to ten routes that still use upstream `id` (named in the 409 a
/// delete answers while any does).
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn routes_using(conn: &mut PgConnection, id: &str) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT id FROM routes WHERE upstream_id = $1 ORDER BY id LIMIT 10",
        id
    )
    .fetch_all(conn)
    .await
}

/// Deletes upstream `id`.
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn delete(conn: &mut PgConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM upstreams WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}
