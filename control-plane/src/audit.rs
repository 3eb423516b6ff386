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
    /// Id of the resource acted on, e.g. an `rt_…` id; `None` when there is none, such as a
    /// failed login for an unknown email.
    pub resource_id: Option<&'a str>,
    /// State before (None for creates).
    pub before: Option<Value>,
    /// State after (None for deletes).
    pub after: Option<Value>,
    /// `success` or `failure`.
    pub success: bool,
}

/// Inserts `entry` on `conn` (normally inside the mutation's transaction),
/// with the actor cut to what the column holds.
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
    let before = entry.before;
    let after = entry.after;
    crate::repo::audit_log::insert(
        conn,
        crate::repo::audit_log::NewRow {
            actor: &name,
            actor_role: actor.role.map(|r| r.as_str()),
            action: entry.action,
            resource_type: entry.resource_type,
            resource_id: entry.resource_id,
            before: before.as_ref(),
            after: after.as_ref(),
            request_id: &meta.request_id,
            client_ip: meta.client_ip.map(|ip| ip.to_string()),
            outcome: if entry.success { "success" } else { "failure" },
        },
    )
    .await
}
