//! The `routes` table. Writes run in the caller's transaction (the
//! mutation's), after [`lock_writes`], so the overlap check and the write
//! cannot interleave with another route change.

use sqlx::{PgConnection, PgPool};

use super::Keyset;
use crate::domain::route::{
    bots_db, inspection_db, path_match_db, DataClass, RouteRow, ValidRoute,
};

/// Advisory lock key serializing route writes ("QSGW" + 1).
const ROUTE_LOCK: i64 = 0x5153_4757_0001;

/// Serializes route writes until the transaction ends: the overlap check
/// reads other routes, and two concurrent writes must not both pass it.
#[tracing::instrument(level = "debug", skip_all, err)]
pub async fn lock_writes(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", ROUTE_LOCK)
        .execute(conn)
        .await?;
    Ok(())
}

/// One route; `None` when there is none.
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn get(conn: &mut PgConnection, id: &str) -> Result<Option<RouteRow>, sqlx::Error> {
    sqlx::query_as!(
        RouteRow,
        r#"SELECT id, name, host, path, path_match, methods, upstream_id, strip_prefix,
            timeout_ms, retries, rate_limit_rps, rate_limit_burst, tls_policy, inspection, bots,
            client_cert_required, enabled, data_shelf_life_years, data_class, version, created_at,
            updated_at
         FROM routes WHERE id = $1"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// One route, locked until the transaction ends, for an update or delete
/// that must see the version it checks `If-Match` against.
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn get_for_update(
    conn: &mut PgConnection,
    id: &str,
) -> Result<Option<RouteRow>, sqlx::Error> {
    sqlx::query_as!(
        RouteRow,
        r#"SELECT id, name, host, path, path_match, methods, upstream_id, strip_prefix,
            timeout_ms, retries, rate_limit_rps, rate_limit_burst, tls_policy, inspection, bots,
            client_cert_required, enabled, data_shelf_life_years, data_class, version, created_at,
            updated_at
         FROM routes WHERE id = $1 FOR UPDATE"#,
        id
    )
    .fetch_optional(conn)
    .await
}

/// Every route by id (the config snapshot).
#[tracing::instrument(level = "debug", skip_all, err)]
pub async fn all(conn: &mut PgConnection) -> Result<Vec<RouteRow>, sqlx::Error> {
    sqlx::query_as!(
        RouteRow,
        r#"SELECT id, name, host, path, path_match, methods, upstream_id, strip_prefix,
            timeout_ms, retries, rate_limit_rps, rate_limit_burst, tls_policy, inspection, bots,
            client_cert_required, enabled, data_shelf_life_years, data_class, version, created_at,
            updated_at
         FROM routes ORDER BY id"#
    )
    .fetch_all(conn)
    .await
}

/// A page of routes, newest first.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn list(pool: &PgPool, page: &Keyset) -> Result<Vec<RouteRow>, sqlx::Error> {
    sqlx::query_as!(
        RouteRow,
        r#"SELECT id, name, host, path, path_match, methods, upstream_id, strip_prefix,
            timeout_ms, retries, rate_limit_rps, rate_limit_burst, tls_policy, inspection, bots,
            client_cert_required, enabled, data_shelf_life_years, data_class, version, created_at,
            updated_at
         FROM routes
         WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2))
         ORDER BY created_at DESC, id DESC LIMIT $3"#,
        page.at,
        page.id.as_deref(),
        page.fetch
    )
    .fetch_all(pool)
    .await
}

/// Whether upstream `id` exists, kept from being deleted until the
/// transaction ends (`FOR SHARE`), so the route about to reference it does
/// not dangle.
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn upstream_exists(conn: &mut PgConnection, id: &str) -> Result<bool, sqlx::Error> {
    Ok(
        sqlx::query_scalar!("SELECT id FROM upstreams WHERE id = $1 FOR SHARE", id)
            .fetch_optional(conn)
            .await?
            .is_some(),
    )
}

/// Id and methods of the routes matching the same host, path and match
/// kind as `v` (other than `self_id`): the candidates of an overlap.
#[tracing::instrument(level = "debug", skip(conn, v), fields(path = %v.path), err)]
pub async fn same_match(
    conn: &mut PgConnection,
    v: &ValidRoute,
    self_id: Option<&str>,
) -> Result<Vec<(String, Vec<String>)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT id, methods FROM routes
         WHERE coalesce(lower(host), '') = coalesce($1, '') AND path = $2 AND path_match = $3
           AND ($4::text IS NULL OR id <> $4)",
        v.host.as_deref(),
        &v.path,
        path_match_db(v.path_match),
        self_id
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.methods)).collect())
}

/// A compile-checked write of route `$id` as the validated `$v` says: the
/// statement (`$1` the id, then the fields in the order bound here), then
/// the one copy of the `RETURNING` list of [`RouteRow`]. Insert and update
/// bind the same parameters, so they share it.
macro_rules! write_route {
    ($sql:literal, $conn:expr, $id:expr, $v:expr) => {
        sqlx::query_as!(
            RouteRow,
            $sql + r#"
         RETURNING id, name, host, path, path_match, methods, upstream_id, strip_prefix,
            timeout_ms, retries, rate_limit_rps, rate_limit_burst, tls_policy, inspection, bots,
            client_cert_required, enabled, data_shelf_life_years, data_class, version, created_at,
            updated_at"#,
            $id,
            &$v.name,
            $v.host.as_deref(),
            &$v.path,
            path_match_db($v.path_match),
            &$v.methods,
            $v.upstream_id.as_str(),
            $v.strip_prefix,
            $v.timeout_ms,
            $v.retries,
            $v.rate_limit.map(|r| r.0),
            $v.rate_limit.map(|r| r.1),
            $v.tls_policy.map(|t| t.as_str()),
            inspection_db($v.inspection),
            $v.enabled,
            bots_db($v.bots),
            $v.data_shelf_life_years,
            $v.data_class.map(DataClass::as_str),
            $v.client_cert_required
        )
        .fetch_one($conn)
        .await
    };
}

/// Inserts route `id` as `v` says.
#[tracing::instrument(level = "debug", skip(conn, v), fields(name = %v.name), err)]
pub async fn insert(
    conn: &mut PgConnection,
    id: &str,
    v: &ValidRoute,
) -> Result<RouteRow, sqlx::Error> {
    write_route!(
        r#"INSERT INTO routes (id, name, host, path, path_match, methods, upstream_id, strip_prefix,
            timeout_ms, retries, rate_limit_rps, rate_limit_burst, tls_policy, inspection, enabled, bots,
            data_shelf_life_years, data_class, client_cert_required)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)"#,
        conn,
        id,
        v
    )
}

/// Replaces route `id` with `v`, moving its version on by one.
#[tracing::instrument(level = "debug", skip(conn, v), err)]
pub async fn update(
    conn: &mut PgConnection,
    id: &str,
    v: &ValidRoute,
) -> Result<RouteRow, sqlx::Error> {
    write_route!(
        r#"UPDATE routes SET name=$2, host=$3, path=$4, path_match=$5, methods=$6, upstream_id=$7,
            strip_prefix=$8, timeout_ms=$9, retries=$10, rate_limit_rps=$11, rate_limit_burst=$12,
            tls_policy=$13, inspection=$14, enabled=$15, bots=$16, data_shelf_life_years=$17,
            data_class=$18, client_cert_required=$19, version = version + 1, updated_at = now()
         WHERE id = $1"#,
        conn,
        id,
        v
    )
}

/// Deletes route `id`.
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn delete(conn: &mut PgConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM routes WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}
