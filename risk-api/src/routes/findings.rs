//! Findings of an assessment: filter (by triage state too) and sort
//! (priority first by default); each with its key and triage.

use axum::extract::{Path, State};
use serde::Deserialize;
use shared::auth::RequireRole;
use shared::error::Problem;
use shared::json::{AppJson, AppQuery};
use utoipa::IntoParams;

use super::assessments::visible;
use super::triage::{triaged_cols, triaged_from, FindingView, TriagedRow, TRIAGE_STATES};
use super::{counted_page, page, Reader};
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

/// Loads one page of findings with their triage (`limit + 1` rows, for
/// the next-page test).
/// The findings list's filter inside [`triaged_from`] (`$1..$5`).
const FINDING_FILTER: &str = "assessment_id = $1 AND ($2::text IS NULL OR severity = $2) AND ($3::text IS NULL OR quantum_threat = $3)
             AND ($4::text IS NULL OR lower(algorithm) = lower($4)) AND ($5::text IS NULL OR policy_status = $5)";

pub async fn query_findings(
    state: &AppState,
    assessment_id: &str,
    q: &FindingQuery,
    limit: u32,
    offset: i64,
) -> Result<Vec<FindingView>, ApiError> {
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
        return Err(Problem::invalid_field("algorithm", "must be at most 200 characters").into());
    }
    let order = match q.sort.as_deref().unwrap_or("priority") {
        "priority" => "fc.priority ASC, fc.id ASC",
        "-risk_score" => "fc.risk_score DESC, fc.priority ASC, fc.id ASC",
        "risk_score" => "fc.risk_score ASC, fc.priority DESC, fc.id ASC",
        "algorithm" => "fc.algorithm ASC, fc.priority ASC, fc.id ASC",
        _ => {
            return Err(Problem::invalid_field(
                "sort",
                "must be priority, -risk_score, risk_score or algorithm",
            )
            .into())
        }
    };
    let rows: Vec<TriagedRow> = sqlx::query_as(&format!(
        "SELECT {} {} WHERE ($6::text IS NULL OR ({}) = $6)
         ORDER BY {order} LIMIT $7 OFFSET $8",
        triaged_cols(),
        triaged_from(FINDING_FILTER),
        super::triage::EFFECTIVE_STATE
    ))
    .bind(assessment_id)
    .bind(&q.severity)
    .bind(&q.threat)
    .bind(&q.algorithm)
    .bind(&q.policy_status)
    .bind(&q.triage_state)
    .bind(i64::from(limit) + 1)
    .bind(offset)
    .fetch_all(&state.pool)
    .await?;
    Ok(rows.into_iter().map(FindingView::from).collect())
}

/// Findings of an assessment.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/findings", tag = "findings",
    params(("id" = String, Path, description = "Assessment id"), FindingQuery),
    responses((status = 200, body = CountedPage<FindingView>), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn list_findings(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Reader>,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<FindingQuery>,
) -> Result<AppJson<CountedPage<FindingView>>, ApiError> {
    let a = visible(&state, &p, &id).await?;
    let (limit, offset) = page(q.limit, q.cursor.clone())?;
    let rows = query_findings(&state, &a.id, &q, limit, offset).await?;
    // Same filter as the page (validated by query_findings above).
    let total: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) {} WHERE ($6::text IS NULL OR ({}) = $6)",
        triaged_from(FINDING_FILTER),
        super::triage::EFFECTIVE_STATE
    ))
    .bind(&a.id)
    .bind(&q.severity)
    .bind(&q.threat)
    .bind(&q.algorithm)
    .bind(&q.policy_status)
    .bind(&q.triage_state)
    .fetch_one(&state.pool)
    .await?;
    Ok(AppJson(counted_page(rows, limit, offset, total)))
}
