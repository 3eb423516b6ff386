//! Assessments as durable jobs: the leases the runner's workers take,
//! renew, hand back and finish (see `crate::runner` for the protocol).

use serde_json::Value;
use sqlx::{PgConnection, PgPool};

use crate::domain::summary::Summary;

/// A leased assessment.
#[derive(Debug)]
pub struct Job {
    /// Id (`asmnt_…`) of the leased assessment.
    pub id: String,
    /// Organization (`org_…`) that owns the assessment, under which the run stores its findings
    /// and audit rows.
    pub organization_id: String,
    /// How to read its source document.
    pub source_format: String,
    /// Runs over its life (this one included).
    pub attempts: i32,
    /// Runs since it was last queued (this one included).
    pub run_attempts: i32,
    /// `running` when taken over from an expired lease, else `pending`.
    pub was: String,
}

/// Leases the oldest runnable assessment (`pending`, or `running` with an
/// expired lease) for `lease_secs`, skipping rows other workers hold, and
/// counts the attempt. `None` when there is nothing to do.
#[tracing::instrument(level = "debug", skip(conn), err(level = "debug"))]
pub async fn lease_next(
    conn: &mut PgConnection,
    owner: &str,
    lease_secs: f64,
) -> Result<Option<Job>, sqlx::Error> {
    sqlx::query_as!(
        Job,
        r#"WITH next AS (
             SELECT id, status AS was FROM assessments
             WHERE status = 'pending' OR (status = 'running' AND lease_expires_at < now())
             ORDER BY created_at, id
             LIMIT 1
             FOR UPDATE SKIP LOCKED)
         UPDATE assessments a SET status = 'running', lease_owner = $1,
             lease_expires_at = now() + make_interval(secs => $2), attempts = a.attempts + 1,
             run_attempts = a.run_attempts + 1,
             started_at = now(), failure_reason = NULL, assets_scored = 0,
             updated_at = now(), version = a.version + 1
         FROM next WHERE a.id = next.id
         RETURNING a.id, a.organization_id, a.source_format, a.attempts, a.run_attempts, next.was AS "was!""#,
        owner,
        lease_secs
    )
    .fetch_optional(conn)
    .await
}

/// Fails a just-leased assessment that has used up its attempts, and
/// un-counts the lease that found it so (it did not run).
#[tracing::instrument(level = "debug", skip(conn, reason), err(level = "debug"))]
pub async fn fail_exhausted(
    conn: &mut PgConnection,
    id: &str,
    reason: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE assessments SET status = 'failed', failure_reason = $2, lease_owner = NULL,
             lease_expires_at = NULL, attempts = attempts - 1, run_attempts = run_attempts - 1,
             updated_at = now()
         WHERE id = $1",
        id,
        reason
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Renews a lease and records progress; `false` when the lease is no
/// longer `owner`'s (expired and taken over, or the assessment deleted or
/// re-queued).
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn renew(
    pool: &PgPool,
    id: &str,
    owner: &str,
    lease_secs: f64,
    assets_scored: i32,
) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!(
        "UPDATE assessments SET lease_expires_at = now() + make_interval(secs => $3), assets_scored = $4
         WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        id,
        owner,
        lease_secs,
        assets_scored
    )
    .execute(pool)
    .await?;
    Ok(r.rows_affected() > 0)
}

/// Gives an unfinished run back (shutdown): `pending` again, this attempt
/// not counted. A lease no longer ours is left alone.
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn hand_back(pool: &PgPool, id: &str, owner: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE assessments SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,
             attempts = greatest(attempts - 1, 0), run_attempts = greatest(run_attempts - 1, 0), started_at = NULL, assets_scored = 0,
             updated_at = now(), version = version + 1
         WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        id,
        owner
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// What a run scores: the stored source document (`None` if it was
/// removed by hand) and the scoring defaults. `None` when the assessment
/// is gone.
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn source(
    pool: &PgPool,
    id: &str,
) -> Result<Option<(Option<Value>, Value)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT source_document, defaults FROM assessments WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.source_document, r.defaults)))
}

/// Locks the assessment for the completing transaction if the run is
/// still `owner`'s (not deleted, not taken over after the lease expired):
/// only then may its results be written.
#[tracing::instrument(level = "debug", skip(conn), err(level = "debug"))]
pub async fn lock_if_ours(
    conn: &mut PgConnection,
    id: &str,
    owner: &str,
) -> Result<bool, sqlx::Error> {
    let still = sqlx::query_scalar!(
        "SELECT status FROM assessments WHERE id = $1 AND status = 'running' AND lease_owner = $2 FOR UPDATE",
        id,
        owner
    )
    .fetch_optional(conn)
    .await?;
    Ok(still.is_some())
}

/// Marks an assessment completed with its summary and ends the lease.
#[tracing::instrument(level = "debug", skip(conn, s), err(level = "debug"))]
pub async fn complete(
    conn: &mut PgConnection,
    id: &str,
    asset_count: usize,
    s: &Summary,
    crqc_timelines_version: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE assessments SET status = 'completed', asset_count = $2, overall_risk_score = $3::float8, critical_count = $4,
             high_count = $5, medium_count = $6, low_count = $7, info_count = $8, pqc_readiness_pct = $9::float8,
             earliest_deadline_year = $10, distinct_asset_count = $11, pqc_relevant_assets = $12,
             lane_counts = $13, crqc_timelines_version = $14,
             quantum_safe_assets = $15, hash_assets = $16, symmetric_assets = $17,
             failure_reason = NULL, completed_at = now(), updated_at = now(),
             lease_owner = NULL, lease_expires_at = NULL, assets_scored = $2, version = version + 1
         WHERE id = $1",
        id,
        i32::try_from(asset_count).unwrap_or(i32::MAX),
        s.overall_risk_score,
        s.critical,
        s.high,
        s.medium,
        s.low,
        s.info,
        s.pqc_readiness_pct,
        s.earliest_deadline_year,
        s.distinct_assets,
        s.pqc_relevant_assets,
        serde_json::to_value(&s.lanes).unwrap_or(Value::Null),
        crqc_timelines_version,
        s.quantum_safe_assets,
        s.hash_assets,
        s.symmetric_assets
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a run failed with its reason if the lease is still `owner`'s;
/// the organization when it was (for the audit row), else `None`.
#[tracing::instrument(level = "debug", skip(conn, reason), err(level = "debug"))]
pub async fn fail(
    conn: &mut PgConnection,
    id: &str,
    owner: &str,
    reason: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE assessments SET status = 'failed', failure_reason = $2, completed_at = NULL,
             lease_owner = NULL, lease_expires_at = NULL, updated_at = now(), version = version + 1
         WHERE id = $1 AND status = 'running' AND lease_owner = $3 RETURNING organization_id",
        id,
        reason,
        owner
    )
    .fetch_optional(conn)
    .await
}
