//! Report export: JSON, CSV and a printable HTML summary.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use shared::auth::RequireRole;
use shared::error::Problem;
use shared::json::{AppJson, AppQuery};
use utoipa::IntoParams;

use super::assessments::{summary_of, visible};
use super::findings::{query_findings, FindingQuery};
use super::Reader;
use crate::repo::Finding;
use crate::state::AppState;

/// Report format.
#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportQuery {
    /// json (default), csv or html.
    pub format: Option<String>,
}

/// Exports an assessment's findings (priority order) with its summary.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/report", tag = "reports",
    params(("id" = String, Path, description = "Assessment id"), ReportQuery),
    responses(
        (status = 200, description = "JSON, CSV (text/csv) or HTML (text/html) report"),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("bearer" = [])))]
pub async fn report(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Reader>,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Response, Problem> {
    let format = q.format.unwrap_or_else(|| "json".into());
    if !["json", "csv", "html"].contains(&format.as_str()) {
        return Err(Problem::invalid_field(
            "format",
            "must be json, csv or html",
        ));
    }
    let a = visible(&state, &p, &id).await?;
    if a.status != "completed" {
        return Err(Problem::conflict(format!(
            "the assessment is {}; reports exist once it is completed",
            a.status
        )));
    }
    let summary = summary_of(&state, &a).await?;
    let findings = query_findings(&state, &a.id, &FindingQuery::default(), None, 0).await?;
    let filename = format!("attachment; filename=\"{}-report.{format}\"", a.id);
    Ok(match format.as_str() {
        "csv" => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, filename),
            ],
            csv(&findings).map_err(Problem::internal)?,
        )
            .into_response(),
        "html" => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned())],
            html(&a, &summary, &findings),
        )
            .into_response(),
        _ => {
            AppJson(serde_json::json!({"assessment": a, "summary": summary, "findings": findings}))
                .into_response()
        }
    })
}

/// Cells starting with these are formulas to spreadsheet programs; they are
/// prefixed with a quote (CSV injection).
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn csv(findings: &[Finding]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "priority",
        "severity",
        "risk_score",
        "asset_name",
        "asset_ref",
        "algorithm",
        "parameter",
        "usage",
        "quantum_threat",
        "policy_status",
        "nist_deprecated_after",
        "nist_disallowed_after",
        "mosca_exposed",
        "recommendation",
    ])?;
    for f in findings {
        w.write_record([
            f.priority.to_string(),
            f.severity.clone(),
            format!("{:.2}", f.risk_score),
            cell(&f.asset_name),
            cell(f.asset_ref.as_deref().unwrap_or("")),
            cell(&f.algorithm),
            cell(f.parameter.as_deref().unwrap_or("")),
            f.usage.clone().unwrap_or_default(),
            f.quantum_threat.clone(),
            f.policy_status.clone(),
            f.nist_deprecated_year
                .map(|y| y.to_string())
                .unwrap_or_default(),
            f.nist_disallowed_year
                .map(|y| y.to_string())
                .unwrap_or_default(),
            f.mosca_exposed.map(|b| b.to_string()).unwrap_or_default(),
            cell(f.recommendation.as_deref().unwrap_or("")),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

fn html(
    a: &crate::repo::Assessment,
    s: &super::assessments::AssessmentSummary,
    findings: &[Finding],
) -> String {
    let mut rows = String::new();
    for f in findings.iter().take(1000) {
        rows.push_str(&format!(
            "<tr><td>{}</td><td class=\"{}\">{}</td><td>{:.2}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            f.priority,
            esc(&f.severity.to_ascii_lowercase()),
            esc(&f.severity),
            f.risk_score,
            esc(&f.asset_name),
            esc(&f.algorithm),
            esc(&f.quantum_threat),
            esc(&f.policy_status),
            esc(f.recommendation.as_deref().unwrap_or("")),
        ));
    }
    let more = if findings.len() > 1000 {
        format!(
            "<p>Showing the first 1000 of {} findings; the CSV export has all.</p>",
            findings.len()
        )
    } else {
        String::new()
    };
    // Inline styles only: the CSP allows 'self' style sheets, and a printed
    // report must stand alone.
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>QRAP report: {name}</title></head>\
<body style=\"font-family:sans-serif;margin:2em\"><h1>Quantum risk report: {name}</h1>\
<p>Assessment {id} &middot; organization {org} &middot; completed {done}</p>\
<table border=\"1\" cellpadding=\"4\" style=\"border-collapse:collapse\">\
<tr><th>Overall risk score</th><td>{score}</td></tr><tr><th>Assets</th><td>{assets}</td></tr>\
<tr><th>PQC readiness</th><td>{ready}%</td></tr><tr><th>Earliest NIST IR 8547 deadline</th><td>{deadline}</td></tr>\
<tr><th>Findings by severity</th><td>{counts}</td></tr></table>\
<h2>Findings by priority</h2><table border=\"1\" cellpadding=\"4\" style=\"border-collapse:collapse\">\
<tr><th>#</th><th>Severity</th><th>Score</th><th>Asset</th><th>Algorithm</th><th>Threat</th><th>Policy</th><th>Recommendation</th></tr>\n{rows}</table>{more}</body></html>",
        name = esc(&a.name),
        id = esc(&a.id),
        org = esc(&a.organization_id),
        done = a.completed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        score = s.overall_risk_score.map_or("-".into(), |v| format!("{v:.2}")),
        assets = s.asset_count,
        ready = s.pqc_readiness_pct.map_or("-".into(), |v| format!("{v:.1}")),
        deadline = s.earliest_deadline_year.map_or("-".into(), |y| y.to_string()),
        counts = esc(&s.counts.to_string()),
    )
}
