//! The hash-chained audit log: appending (inside the caller's
//! transaction), listing, the triage history of a finding key, and the
//! chain verification.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use super::Actor;

/// Appends an audit row. The chain trigger fills the id and the hashes
/// under its lock, so the row takes its place in the chain when the
/// caller's transaction commits, and disappears with it on a rollback.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"),
    fields(action = action, resource_type = resource_type, resource_id = resource_id, org = org))]
pub async fn append(
    conn: &mut PgConnection,
    actor: &Actor,
    org: Option<&str>,
    action: &str,
    resource_type: &str,
    resource_id: &str,
    details: Value,
) -> Result<(), sqlx::Error> {
    // The column is bounded (255); a longer client-sent id is cut, not refused.
    let request_id = actor
        .request_id
        .as_deref()
        .map(|r| r.chars().take(255).collect::<String>());
    sqlx::query!(
        "INSERT INTO qrap_audit_log (organization_id, actor, actor_role, action, resource_type, resource_id, details, request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        org,
        actor.subject,
        actor.role,
        action,
        resource_type,
        resource_id,
        details,
        request_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One audit row (hashes included, so a reader can check the chain).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Sequence number (the chain order).
    pub id: i64,
    /// When the action was recorded (database time).
    pub occurred_at: DateTime<Utc>,
    /// Organization concerned, if any.
    pub organization_id: Option<String>,
    /// Subject of the caller's token (`service:<name>` for an API key), or
    /// `system:risk-api` for the background runner.
    pub actor: String,
    /// Role of the caller (admin, operator, viewer or service); null for the background runner.
    pub actor_role: Option<String>,
    /// What, e.g. `assessment.create`.
    pub action: String,
    /// Kind of resource acted on, e.g. `assessment`, `organization`, `finding` or `token`.
    pub resource_type: Option<String>,
    /// Id of that resource (`asmnt_…`, `org_…`, `fnd_…`, or a revoked token's `jti`), at most 255
    /// characters.
    pub resource_id: Option<String>,
    /// Action-specific JSON (e.g. an upload's format and asset count); null when none.
    pub details: Option<Value>,
    /// The caller's `X-Request-Id` header as received, cut to 255 characters; null for the
    /// background runner or when the request had none.
    pub request_id: Option<String>,
    /// Hash of the previous row.
    pub prev_hash: String,
    /// SHA-256 (hex) over `prev_hash` and this row's fields, computed by the chain trigger; the
    /// next row's `prev_hash`.
    pub row_hash: String,
}

/// What the audit list is narrowed to; `None` matches everything. `org`
/// is the caller's tenancy scope, the others are the query's filters.
#[derive(Debug, Default, Clone, Copy)]
pub struct AuditFilter<'a> {
    /// The caller's organization (tenants), `None` for platform callers.
    pub org: Option<&'a str>,
    /// Exact action.
    pub action: Option<&'a str>,
    /// Exact resource type.
    pub resource_type: Option<&'a str>,
    /// Exact resource id.
    pub resource_id: Option<&'a str>,
}

/// The one copy of the audit list's `WHERE` (binds `$1..$4` from an
/// [`AuditFilter`]), shared by the page and its total.
macro_rules! audit_filtered {
    ($macro:ident!($($rec:path,)? $head:literal, $tail:literal), $f:expr $(, $arg:expr)*) => {
        sqlx::$macro!(
            $($rec,)?
            $head
                + " WHERE ($1::text IS NULL OR organization_id = $1) AND ($2::text IS NULL OR action = $2)
                    AND ($3::text IS NULL OR resource_type = $3) AND ($4::text IS NULL OR resource_id = $4) "
                + $tail,
            $f.org,
            $f.action,
            $f.resource_type,
            $f.resource_id
            $(, $arg)*
        )
    };
}

/// One page of the audit log, newest first (`limit + 1` rows from
/// `offset`, for the next-page test), and the total the filter matches.
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn page(
    pool: &PgPool,
    f: AuditFilter<'_>,
    limit: u32,
    offset: i64,
) -> Result<(Vec<AuditEntry>, i64), sqlx::Error> {
    let rows = audit_filtered!(
        query_as!(
            AuditEntry,
            "SELECT id, occurred_at, organization_id, actor, actor_role, action, resource_type,
                    resource_id, details, request_id, prev_hash, row_hash
             FROM qrap_audit_log",
            "ORDER BY id DESC LIMIT $5 OFFSET $6"
        ),
        f,
        i64::from(limit) + 1,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = audit_filtered!(
        query_scalar!(r#"SELECT count(*) AS "n!" FROM qrap_audit_log"#, ""),
        f
    )
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}

/// One inconsistency of the chain.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChainProblem {
    /// Audit row id.
    pub id: i64,
    /// row_hash_mismatch, broken_link or head_mismatch.
    pub problem: String,
}

/// Recomputes the whole chain in the database (`qrap_audit_verify()`):
/// every inconsistency, and the number of rows checked.
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn verify(pool: &PgPool) -> Result<(Vec<ChainProblem>, i64), sqlx::Error> {
    let problems = sqlx::query_as!(
        ChainProblem,
        r#"SELECT id AS "id!", problem AS "problem!" FROM qrap_audit_verify()"#
    )
    .fetch_all(pool)
    .await?;
    let rows = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM qrap_audit_log"#)
        .fetch_one(pool)
        .await?;
    Ok((problems, rows))
}

/// A `finding.triage` audit row: when, who, and the change in `details`.
#[derive(Debug)]
pub struct TriageChange {
    /// When it was recorded.
    pub occurred_at: DateTime<Utc>,
    /// Subject of the caller who changed the triage (`service:<name>` for an API key).
    pub actor: String,
    /// The caller's role: admin, operator, viewer or service.
    pub actor_role: Option<String>,
    /// `from`, `to`, `reason`, `expires_at`, `assessment_id`.
    pub details: Option<Value>,
}

/// The triage history of one finding key in one system, newest first (at
/// most 100): read back from the audit log, which is where the changes
/// are recorded (the triage table keeps only the current state).
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn triage_history(
    pool: &PgPool,
    org: &str,
    finding_key: &str,
    system_key: &str,
) -> Result<Vec<TriageChange>, sqlx::Error> {
    sqlx::query_as!(
        TriageChange,
        "SELECT occurred_at, actor, actor_role, details FROM qrap_audit_log
         WHERE organization_id = $1 AND action = 'finding.triage'
           AND details->>'finding_key' = $2 AND details->>'system_key' = $3
         ORDER BY id DESC LIMIT 100",
        org,
        finding_key,
        system_key
    )
    .fetch_all(pool)
    .await
}
