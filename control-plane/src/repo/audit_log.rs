//! `qsgw_audit_log`: appended to in the transaction of the change it
//! describes, and read (filtered, newest first) by admins.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use crate::routes::audit_log::AuditRow;

/// One row to append, already checked by [`crate::audit::record`].
#[derive(Debug)]
pub struct NewRow<'a> {
    /// Actor name, at most 320 characters.
    pub actor: &'a str,
    /// Actor role, when known.
    pub actor_role: Option<&'a str>,
    /// Dotted verb.
    pub action: &'a str,
    /// Kind of resource acted on, e.g. `route`, `upstream`, `user` (at most 64 characters).
    pub resource_type: &'a str,
    /// Id of that resource (at most 255 characters); `None` when the action names none.
    pub resource_id: Option<&'a str>,
    /// API representation of the resource before the change (`None` for creates).
    pub before: Option<&'a Value>,
    /// API representation of the resource after the change (`None` for deletes).
    pub after: Option<&'a Value>,
    /// Id of the request: its `X-Request-Id` when well-formed, else one the stack generated
    /// (`bootstrap` or `reset-password` for the command-line changes).
    pub request_id: &'a str,
    /// Client address, as text.
    pub client_ip: Option<String>,
    /// `success` or `failure`.
    pub outcome: &'a str,
}

/// Appends `row` on `conn` (normally inside the mutation's transaction).
#[tracing::instrument(level = "debug", skip_all,
    fields(action = row.action, resource_id = row.resource_id, outcome = row.outcome), err)]
pub async fn insert(conn: &mut PgConnection, row: NewRow<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO qsgw_audit_log
           (actor, actor_role, action, resource_type, resource_id, before, after,
            request_id, client_ip, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::inet, $10)",
        row.actor,
        row.actor_role,
        row.action,
        row.resource_type,
        row.resource_id,
        row.before,
        row.after,
        row.request_id,
        row.client_ip,
        row.outcome
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The filter of `GET /api/v1/audit-log`; `None` matches anything.
#[derive(Debug, Default)]
pub struct Filter<'a> {
    /// Exact actor.
    pub actor: Option<&'a str>,
    /// Exact action.
    pub action: Option<&'a str>,
    /// Exact resource type.
    pub resource_type: Option<&'a str>,
    /// Exact resource id.
    pub resource_id: Option<&'a str>,
    /// Occurred at or after.
    pub from: Option<DateTime<Utc>>,
    /// Occurred before.
    pub to: Option<DateTime<Utc>>,
}

/// Up to `fetch` rows matching `f` with an id below `before` (the cursor),
/// newest first.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn list(
    pool: &PgPool,
    f: &Filter<'_>,
    before: Option<i64>,
    fetch: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as!(
        AuditRow,
        "SELECT id, occurred_at, actor, actor_role, action, resource_type, resource_id, before,
            after, request_id, host(client_ip) AS client_ip, outcome
         FROM qsgw_audit_log
         WHERE ($1::text IS NULL OR actor = $1)
           AND ($2::text IS NULL OR action = $2)
           AND ($3::text IS NULL OR resource_type = $3)
           AND ($4::text IS NULL OR resource_id = $4)
           AND ($5::timestamptz IS NULL OR occurred_at >= $5)
           AND ($6::timestamptz IS NULL OR occurred_at < $6)
           AND ($7::int8 IS NULL OR id < $7)
         ORDER BY id DESC LIMIT $8",
        f.actor,
        f.action,
        f.resource_type,
        f.resource_id,
        f.from,
        f.to,
        before,
        fetch
    )
    .fetch_all(pool)
    .await
}

/// How many rows match `f`, counted up to `cap` (so a huge log costs a
/// bounded scan; the caller says "more than" at the cap).
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn count(pool: &PgPool, f: &Filter<'_>, cap: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM (SELECT 1 FROM qsgw_audit_log
         WHERE ($1::text IS NULL OR actor = $1)
           AND ($2::text IS NULL OR action = $2)
           AND ($3::text IS NULL OR resource_type = $3)
           AND ($4::text IS NULL OR resource_id = $4)
           AND ($5::timestamptz IS NULL OR occurred_at >= $5)
           AND ($6::timestamptz IS NULL OR occurred_at < $6)
         LIMIT $7) s"#,
        f.actor,
        f.action,
        f.resource_type,
        f.resource_id,
        f.from,
        f.to,
        cap
    )
    .fetch_one(pool)
    .await
}
