//! An organization's trend over its completed assessments, and the diff of
//! two assessments. Both count actionable findings only: severity above
//! INFO (`f.severity <> 'INFO'` below).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

/// One completed assessment on the trend.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrendPoint {
    /// Id (`asmnt_…`) of the completed assessment.
    pub assessment_id: String,
    /// Name given at upload (`system_key` is its normalised form).
    pub name: String,
    /// The system (normalised name).
    pub system_key: String,
    /// When it completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Overall risk score 0..100.
    pub overall_risk_score: Option<f64>,
    /// CRITICAL findings.
    pub critical: i32,
    /// HIGH findings.
    pub high: i32,
    /// MEDIUM findings.
    pub medium: i32,
    /// LOW findings.
    pub low: i32,
    /// INFO findings.
    pub info: i32,
    /// Distinct assets scored (bom-ref, or name + algorithm + parameter + usage): the base of
    /// the overall risk score; null when not recorded.
    pub distinct_assets: Option<i32>,
    /// Distinct asymmetric (public-key) assets: the share's denominator.
    pub asymmetric_assets: Option<i32>,
    /// Of those, already post-quantum.
    pub quantum_safe_assets: Option<i32>,
    /// quantum_safe_assets / asymmetric_assets in percent; null without
    /// public-key assets.
    pub quantum_safe_share_pct: Option<f64>,
    /// Distinct hash assets (outside the share).
    pub hash_assets: Option<i32>,
    /// Distinct symmetric assets (outside the share).
    pub symmetric_assets: Option<i32>,
    /// Actionable findings (above INFO severity).
    pub findings: i64,
    /// Of those, effectively open or in progress today.
    pub open_findings: i64,
}

/// One finding in a diff.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiffEntry {
    /// new (only in this assessment), fixed (only in the base) or unchanged.
    pub change: String,
    /// The finding key both are matched on.
    pub finding_key: String,
    /// The finding in this assessment (null when fixed).
    pub finding_id: Option<String>,
    /// The finding in the base (null when new).
    pub base_finding_id: Option<String>,
    /// Where the algorithm is used (the finding's `asset_name`), from this assessment's finding,
    /// or the base's when fixed.
    pub asset_name: String,
    /// Algorithm as the finding names it (canonical when recognised).
    pub algorithm: String,
    /// Severity in this assessment (the base's when fixed).
    pub severity: String,
    /// Severity in the base (null when new).
    pub base_severity: Option<String>,
    /// Risk score in this assessment (the base's when fixed).
    pub risk_score: f64,
    /// Risk score in the base (null when new).
    pub base_risk_score: Option<f64>,
}

/// The newest `limit` completed assessments of an organization, newest
/// first, narrowed to one system when `system` is given (normalised as
/// `assessments.system_key` is). Open findings are counted with their
/// effective triage state (`qrap_triage_effective_state`, migration 0010) as of now.
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn points(
    pool: &PgPool,
    org: &str,
    system: Option<&str>,
    limit: i64,
) -> Result<Vec<TrendPoint>, sqlx::Error> {
    sqlx::query_as!(
        TrendPoint,
        r#"SELECT a.id AS assessment_id, a.name, a.system_key AS "system_key!", a.completed_at,
                a.overall_risk_score::float8 AS overall_risk_score,
                a.critical_count AS critical, a.high_count AS high, a.medium_count AS medium,
                a.low_count AS low, a.info_count AS info, a.distinct_asset_count AS distinct_assets,
                a.pqc_relevant_assets AS asymmetric_assets, a.quantum_safe_assets,
                a.pqc_readiness_pct::float8 AS quantum_safe_share_pct, a.hash_assets, a.symmetric_assets,
                (SELECT count(*) FROM findings f WHERE f.assessment_id = a.id AND f.severity <> 'INFO') AS "findings!",
                (SELECT count(*) FROM findings f
                   LEFT JOIN finding_triage t ON t.organization_id = f.organization_id
                        AND t.system_key = a.system_key AND t.finding_key = f.finding_key
                  WHERE f.assessment_id = a.id AND f.severity <> 'INFO'
                    AND qrap_triage_effective_state(t.state, t.expires_at, t.updated_at, a.completed_at) IN ('open', 'in_progress')) AS "open_findings!"
         FROM assessments a
         WHERE a.organization_id = $1 AND a.status = 'completed'
           AND ($2::text IS NULL OR a.system_key = lower(regexp_replace(btrim($2), '\s+', ' ', 'g')))
         ORDER BY a.completed_at DESC, a.id DESC
         LIMIT $3"#,
        org,
        system,
        limit
    )
    .fetch_all(pool)
    .await
}

/// Every actionable finding key of `base` and `target` (completed
/// assessments), matched on the key: `new` only in the target, `fixed`
/// only in the base, else `unchanged`; worst (lowest priority number)
/// first. A key found several times in one assessment counts once, with
/// its best-ranked finding.
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn diff(pool: &PgPool, base: &str, target: &str) -> Result<Vec<DiffEntry>, sqlx::Error> {
    sqlx::query_as!(
        DiffEntry,
        r#"WITH b AS (SELECT DISTINCT ON (f.finding_key) f.finding_key, f.id, f.asset_name, f.algorithm, f.severity,
                           f.risk_score::float8 AS risk_score, f.priority
                    FROM findings f WHERE f.assessment_id = $1 AND f.severity <> 'INFO'
                    ORDER BY f.finding_key, f.priority),
              t AS (SELECT DISTINCT ON (f.finding_key) f.finding_key, f.id, f.asset_name, f.algorithm, f.severity,
                           f.risk_score::float8 AS risk_score, f.priority
                    FROM findings f WHERE f.assessment_id = $2 AND f.severity <> 'INFO'
                    ORDER BY f.finding_key, f.priority)
         SELECT CASE WHEN b.finding_key IS NULL THEN 'new' WHEN t.finding_key IS NULL THEN 'fixed' ELSE 'unchanged' END AS "change!",
                finding_key AS "finding_key!", t.id AS "finding_id?", b.id AS "base_finding_id?",
                coalesce(t.asset_name, b.asset_name) AS "asset_name!", coalesce(t.algorithm, b.algorithm) AS "algorithm!",
                coalesce(t.severity, b.severity) AS "severity!", b.severity AS "base_severity?",
                coalesce(t.risk_score, b.risk_score) AS "risk_score!", b.risk_score AS "base_risk_score?"
         FROM b FULL JOIN t USING (finding_key)
         ORDER BY coalesce(t.priority, b.priority), finding_key"#,
        base,
        target
    )
    .fetch_all(pool)
    .await
}
