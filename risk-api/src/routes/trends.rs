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
use super::{parse_id, scope, Reader};
pub use crate::repo::trends::{DiffEntry, TrendPoint};
use crate::repo::{organizations, trends};
use crate::state::AppState;
use shared::error::ApiError;

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
    if organizations::exists(&state.pool, id.as_str()).await? {
        Ok(id.as_str().to_owned())
    } else {
        Err(Problem::not_found("organization not found").into())
    }
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
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject, org = %id))]
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
    let mut points =
        trends::points(&state.pool, &org, q.system.as_deref(), i64::from(limit)).await?;
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

/// The two assessments compared.
#[derive(Debug, Serialize, ToSchema)]
pub struct DiffSide {
    /// Assessment id (`asmnt_…`).
    pub id: String,
    /// Name given at upload.
    pub name: String,
    /// When its scoring completed.
    pub completed_at: Option<DateTime<Utc>>,
    /// The assessment's overall risk score, 0..100: the mean of its worst and its average
    /// distinct-asset score; null when it has none.
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
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject, assessment = %id))]
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
    let rows = trends::diff(&state.pool, &base.id, &target.id).await?;
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
