//! Findings of an assessment: filter (by triage state too) and sort
//! (priority first by default); each with its key and triage.

use axum::extract::{Path, State};
use serde::Deserialize;
use shared::auth::RequireRole;
use shared::error::Problem;
use shared::json::{AppJson, AppQuery};
use utoipa::IntoParams;

use super::assessments::visible;
use super::triage::{FindingView, TRIAGE_STATES};
use super::{counted_page, page, Reader};
use crate::repo::triage::{FindingFilter, FindingSort};
use crate::state::AppState;
use shared::error::ApiError;
use shared::pagination::CountedPage;

/// Filters and paging.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingQuery {
    /// CRITICAL, HIGH, MEDIUM, LOW or INFO.
    pub severity: Option<String>,
    /// shor, grover, none, classically_weak or unknown.
    pub threat: Option<String>,
    /// Algorithm name (exact, case-insensitive).
    pub algorithm: Option<String>,
    /// acceptable, deprecated, disallowed or unknown.
    pub policy_status: Option<String>,
    /// Effective triage state: open, in_progress, accepted_risk,
    /// false_positive or fixed (an expired accepted risk is open).
    pub triage_state: Option<String>,
    /// priority (default), -risk_score, risk_score, algorithm.
    pub sort: Option<String>,
    /// Page size 1..500.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (absent: the first page).
    pub cursor: Option<String>,
}

fn one_of(field: &str, v: &Option<String>, allowed: &[&str]) -> Result<(), Problem> {
    match v {
        Some(x) if !allowed.contains(&x.as_str()) => Err(Problem::invalid_field(
            field,
            format!("must be one of {}", allowed.join(", ")),
        )),
        _ => Ok(()),
    }
}

/// Checks the filters and the order of a findings list (422 naming the
/// parameter at fault).
fn checked(q: &FindingQuery) -> Result<(FindingFilter<'_>, FindingSort), Problem> {
    one_of(
        "severity",
        &q.severity,
        &["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFO"],
    )?;
    one_of(
        "threat",
        &q.threat,
        &["shor", "grover", "none", "classically_weak", "unknown"],
    )?;
    one_of(
        "policy_status",
        &q.policy_status,
        &["acceptable", "deprecated", "disallowed", "unknown"],
    )?;
    one_of("triage_state", &q.triage_state, TRIAGE_STATES)?;
    if q.algorithm
        .as_ref()
        .is_some_and(|a| a.chars().count() > 200)
    {
        return Err(Problem::invalid_field(
            "algorithm",
            "must be at most 200 characters",
        ));
    }
    let sort = FindingSort::parse(q.sort.as_deref().unwrap_or("priority")).ok_or_else(|| {
        Problem::invalid_field(
            "sort",
            "must be priority, -risk_score, risk_score or algorithm",
        )
    })?;
    let filter = FindingFilter {
        severity: q.severity.as_deref(),
        threat: q.threat.as_deref(),
        algorithm: q.algorithm.as_deref(),
        policy_status: q.policy_status.as_deref(),
        triage_state: q.triage_state.as_deref(),
    };
    Ok((filter, sort))
}

/// Findings of an assessment.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/findings", tag = "findings",
    params(("id" = String, Path, description = "Assessment id"), FindingQuery),
    responses((status = 200, body = CountedPage<FindingView>), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject, assessment = %id))]
pub async fn list_findings(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Reader>,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<FindingQuery>,
) -> Result<AppJson<CountedPage<FindingView>>, ApiError> {
    let a = visible(&state, &p, &id).await?;
    let (limit, offset) = page(q.limit, q.cursor.clone())?;
    let (filter, sort) = checked(&q)?;
    let (rows, total) =
        crate::repo::triage::page(&state.pool, &a.id, filter, sort, limit, offset).await?;
    Ok(AppJson(counted_page(rows, limit, offset, total)))
}
