//! An organization's trend over its completed assessments, and the diff of
//! two assessments (new / fixed / unchanged findings) (issue 21 item 5).
//!
//! Both count *actionable* findings: those above INFO severity (a risk
//! score of at least the ML engine's LOW threshold). An INFO finding — a
//! post-quantum algorithm, or a symmetric cipher or hash with ample margin
//! such as AES-256 or SHA-256 — is no work item. The diff matches findings
//! on their key (see [`super::triage`]).

use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::auth::RequireRole;
use shared::error::Problem;
use shared::ids::{AssessmentId, OrgId};
use shared::json::{AppJson, AppQuery};
use utoipa::{IntoParams, ToSchema};

use super::assessments::visible;
use super::triage::EFFECTIVE_STATE;
use super::{parse_id, scope, Reader};
use crate::state::AppState;
use shared::error::ApiError;

/// A finding that needs action: above INFO severity.
const ACTIONABLE: &str = "f.severity <> 'INFO'";

/// Trend parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrendQuery {
    /// Only the assessments of this system (assessment name, compared
    /// trimmed, case-insensitively, whitespace collapsed).
    pub system: Option<String>,
    /// The newest N completed assessments, 1..500 (default 50).
    pub limit: Option<u32>,
}

/// One completed assessment on the trend.
#[derive(Debug, Serialize, ToSchema, sqlx::FromRow)]
pub struct TrendPoint {
    /// Id (`asmnt_…`) of the completed assessment.
    pub assessment_id: String,
    /// Its name.
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
    /// Distinct assets.
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

/// An organization's trend.
#[derive(Debug, Serialize, ToSchema)]
pub struct Trend {
    /// Id (`org_…`) of the organization, as in the path.
    pub organization_id: String,
    /// The system filter, as given.
    pub system: Option<String>,
    /// Completed assessments, oldest first.
    pub points: Vec<TrendPoint>,
}

/// The organization a caller may read, else 404.
async fn readable_org(
    state: &AppState,
    p: &shared::auth::Principal,
    raw: &str,
) -> Result<String, ApiError> {
    let own = scope(p)?;
    let id = parse_id(raw, OrgId::parse, "organization")?;
    if own.as_deref().is_some_and(|o| o != id.as_str()) {
        return Err(Problem::not_found("organization not found").into());
    }
    let found: Option<(String,)> = sqlx::query_as("SELECT id FROM organizations WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&state.pool)
        .await?;
    Ok(found
        .map(|(id,)| id)
        .ok_or_else(|| Problem::not_found("organization not found"))?)
}

/// An organization's trend over its completed assessments.
///
/// The organization's completed assessments over time, oldest first: the
/// overall score, severity counts, the quantum-safe share over asymmetric
/// (public-key) assets with hash and symmetric assets counted apart, and
/// actionable findings with those still open (effective triage state open
/// or in progress, as of now).
#[utoipa::path(get, path = "/api/v1/organizations/{id}/trend", tag = "organizations",
    params(("id" = String, Path, description = "Organization id"), TrendQuery),
    responses((status = 200, body = Trend), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn org_trend(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Reader>,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<TrendQuery>,
) -> Result<AppJson<Trend>, ApiError> {
    let org = readable_org(&state, &p, &id).await?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(Problem::invalid_field("limit", "must be 1..500").into());
    }
    if q.system.as_ref().is_some_and(|s| s.chars().count() > 200) {
        return Err(Problem::invalid_field("system", "must be at most 200 characters").into());
    }
    let mut points: Vec<TrendPoint> = sqlx::query_as(&format!(
        "SELECT a.id AS assessment_id, a.name, a.system_key, a.completed_at,
                a.overall_risk_score::float8 AS overall_risk_score,
                a.critical_count AS critical, a.high_count AS high, a.medium_count AS medium,
                a.low_count AS low, a.info_count AS info, a.distinct_asset_count AS distinct_assets,
                a.pqc_relevant_assets AS asymmetric_assets, a.quantum_safe_assets,
                a.pqc_readiness_pct::float8 AS quantum_safe_share_pct, a.hash_assets, a.symmetric_assets,
                (SELECT count(*) FROM findings f WHERE f.assessment_id = a.id AND {ACTIONABLE}) AS findings,
                (SELECT count(*) FROM findings f
                   LEFT JOIN finding_triage t ON t.organization_id = f.organization_id
                        AND t.system_key = a.system_key AND t.finding_key = f.finding_key
                  WHERE f.assessment_id = a.id AND {ACTIONABLE}
                    AND ({EFFECTIVE_STATE}) IN ('open', 'in_progress')) AS open_findings
         FROM assessments a
         WHERE a.organization_id = $1 AND a.status = 'completed'
           AND ($2::text IS NULL OR a.system_key = lower(regexp_replace(btrim($2), '\\s+', ' ', 'g')))
         ORDER BY a.completed_at DESC, a.id DESC
         LIMIT $3"
    ))
    .bind(&org)
    .bind(&q.system)
    .bind(i64::from(limit))
    .fetch_all(&state.pool)
    .await?;
    points.reverse();
    Ok(AppJson(Trend {
        organization_id: org,
        system: q.system,
        points,
    }))
}

/// Diff parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The assessment to compare against (the earlier one), of the same
    /// organization; required.
    pub base: Option<String>,
    /// At most this many entries per kind (new, fixed, unchanged) are
    /// listed, 1..5000 (default 1000); the counts are always complete.
    pub limit: Option<u32>,
}

/// One finding in a diff.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct DiffEntry {
    /// new (only in this assessment), fixed (only in the base) or unchanged.
    pub change: String,
    /// The finding key both are matched on.
    pub finding_key: String,
    /// The finding in this assessment (null when fixed).
    pub finding_id: Option<String>,
    /// The finding in the base (null when new).
    pub base_finding_id: Option<String>,
    /// Asset name.
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

/// The two assessments compared.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiffSide {
    /// Assessment id (`asmnt_…`).
    pub id: String,
    /// Name given at upload.
    pub name: String,
    /// When its scoring completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// Overall risk score.
    pub overall_risk_score: Option<f64>,
}

/// Counts of a diff.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct DiffCounts {
    /// Actionable findings only in this assessment.
    pub new: usize,
    /// Actionable findings only in the base.
    pub fixed: usize,
    /// In both.
    pub unchanged: usize,
}

/// What changed from `base` to this assessment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentDiff {
    /// The earlier assessment.
    pub base: DiffSide,
    /// This assessment.
    pub target: DiffSide,
    /// Complete counts.
    pub counts: DiffCounts,
    /// New findings, worst first.
    pub new: Vec<DiffEntry>,
    /// Fixed findings, worst first.
    pub fixed: Vec<DiffEntry>,
    /// Unchanged findings, worst first.
    pub unchanged: Vec<DiffEntry>,
}

/// What changed since an earlier assessment: new, fixed and unchanged findings.
///
/// Compares the actionable findings (above INFO severity) of this
/// assessment with those of `base`, matched on the finding key: `new` are
/// only here, `fixed` only in the base, `unchanged` in both (with both
/// severities and scores). Both must be completed assessments of the
/// same organization.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/diff", tag = "assessments",
    params(("id" = String, Path, description = "Assessment id (the later one)"), DiffQuery),
    responses(
        (status = 200, body = AssessmentDiff),
        (status = 404, body = Problem),
        (status = 409, description = "Not both completed", body = Problem),
        (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn assessment_diff(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Reader>,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<DiffQuery>,
) -> Result<AppJson<AssessmentDiff>, ApiError> {
    let target = visible(&state, &p, &id).await?;
    let Some(base_raw) = q.base.as_deref() else {
        return Err(Problem::invalid_field(
            "base",
            "is required: the assessment to compare against",
        )
        .into());
    };
    if AssessmentId::parse(base_raw).is_err() {
        return Err(Problem::invalid_field("base", "is not an assessment id").into());
    }
    let base = visible(&state, &p, base_raw).await?;
    if base.organization_id != target.organization_id {
        return Err(Problem::invalid_field(
            "base",
            "must be an assessment of the same organization",
        )
        .into());
    }
    let limit = q.limit.unwrap_or(1000);
    if !(1..=5000).contains(&limit) {
        return Err(Problem::invalid_field("limit", "must be 1..5000").into());
    }
    for a in [&base, &target] {
        if a.status != "completed" {
            return Err(Problem::conflict(format!(
                "assessment {} is {}; only completed assessments can be compared",
                a.id, a.status
            ))
            .into());
        }
    }
    let rows: Vec<DiffEntry> = sqlx::query_as(&format!(
        "WITH b AS (SELECT DISTINCT ON (f.finding_key) f.finding_key, f.id, f.asset_name, f.algorithm, f.severity,
                           f.risk_score::float8 AS risk_score, f.priority
                    FROM findings f WHERE f.assessment_id = $1 AND {ACTIONABLE}
                    ORDER BY f.finding_key, f.priority),
              t AS (SELECT DISTINCT ON (f.finding_key) f.finding_key, f.id, f.asset_name, f.algorithm, f.severity,
                           f.risk_score::float8 AS risk_score, f.priority
                    FROM findings f WHERE f.assessment_id = $2 AND {ACTIONABLE}
                    ORDER BY f.finding_key, f.priority)
         SELECT CASE WHEN b.finding_key IS NULL THEN 'new' WHEN t.finding_key IS NULL THEN 'fixed' ELSE 'unchanged' END AS change,
                finding_key, t.id AS finding_id, b.id AS base_finding_id,
                coalesce(t.asset_name, b.asset_name) AS asset_name, coalesce(t.algorithm, b.algorithm) AS algorithm,
                coalesce(t.severity, b.severity) AS severity, b.severity AS base_severity,
                coalesce(t.risk_score, b.risk_score) AS risk_score, b.risk_score AS base_risk_score
         FROM b FULL JOIN t USING (finding_key)
         ORDER BY coalesce(t.priority, b.priority), finding_key"
    ))
    .bind(&base.id)
    .bind(&target.id)
    .fetch_all(&state.pool)
    .await?;
    let mut counts = DiffCounts::default();
    let (mut new, mut fixed, mut unchanged) = (Vec::new(), Vec::new(), Vec::new());
    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
    for r in rows {
        let (n, list) = match r.change.as_str() {
            "new" => (&mut counts.new, &mut new),
            "fixed" => (&mut counts.fixed, &mut fixed),
            _ => (&mut counts.unchanged, &mut unchanged),
        };
        *n += 1;
        if list.len() < cap {
            list.push(r);
        }
    }
    let side = |a: &crate::repo::Assessment| DiffSide {
        id: a.id.clone(),
        name: a.name.clone(),
        completed_at: a.completed_at,
        overall_risk_score: a.overall_risk_score,
    };
    Ok(AppJson(AssessmentDiff {
        base: side(&base),
        target: side(&target),
        counts,
        new,
        fixed,
        unchanged,
    }))
}
