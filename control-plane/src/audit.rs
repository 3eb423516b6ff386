//! Writing `qsgw_audit_log` rows. Callers pass their open transaction so the
//! row commits or rolls back with the mutation it describes. Before/after
//! documents are the API representations, which never carry password
//! hashes or secrets.

use serde_json::Value;
use sqlx::PgConnection;

use crate::http::context::{Actor, Meta};

/// One audit entry.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// Dotted verb, e.g. `route.create`.
    pub action: &'a str,
    /// Resource type, e.g. `route`.
    pub resource_type: &'a str,
    /// Resource id.
    pub resource_id: Option<&'a str>,
    /// State before (None for creates).
    pub before: Option<Value>,
    /// State after (None for deletes).
    pub after: Option<Value>,
    /// `success` or `failure`.
    pub success: bool,
}

/// Inserts `entry` on `conn` (normally inside the mutation's transaction).
pub async fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    meta: &Meta,
    entry: Entry<'_>,
) -> Result<(), sqlx::Error> {
    // The actor column is capped at 320 characters; a hostile email in a
    // failed login must not make the audit insert (and the request) fail.
    let name: String = actor.name.chars().take(320).collect();
    let name = if name.is_empty() {
        "anonymous".to_owned()
    } else {
        name
    };
    sqlx::query(
        "INSERT INTO qsgw_audit_log
           (actor, actor_role, action, resource_type, resource_id, before, after,
            request_id, client_ip, outcome)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::inet, $10)",
    )
    .bind(name)
    .bind(actor.role.map(|r| r.as_str()))
    .bind(entry.action)
    .bind(entry.resource_type)
    .bind(entry.resource_id)
    .bind(entry.before)
    .bind(entry.after)
    .bind(&meta.request_id)
    .bind(meta.client_ip.map(|ip| ip.to_string()))
    .bind(if entry.success { "success" } else { "failure" })
    .execute(conn)
    .await?;
    Ok(())
}
