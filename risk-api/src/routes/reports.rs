//! Report export: JSON, CSV and a printable HTML summary, streamed.

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use futures::{StreamExt, TryStreamExt};
use serde::Deserialize;
use shared::auth::RequireRole;
use shared::error::Problem;
use shared::json::AppQuery;
use tokio::sync::mpsc;
use utoipa::IntoParams;

use super::assessments::{summary_of, visible, AssessmentSummary};
use super::Reader;
use crate::repo::{findings, Assessment, Finding};
use crate::state::AppState;
use shared::error::ApiError;

/// Report format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// json (default), csv or html.
    pub format: Option<String>,
}

/// Rows per chunk sent to the client (and so the most a report holds in
/// memory at once, with the channel's few chunks in flight).
const ROWS_PER_CHUNK: usize = 500;
/// Rows shown in the HTML report (a page a browser can print).
const HTML_ROWS: i64 = 1000;

/// Exports an assessment's findings (priority order) with its summary.
/// Rows are streamed from the database to the client as they are read, so
/// a report's memory does not grow with the assessment; at most
/// `QRAP_REPORT_CONCURRENCY` reports are generated at once per replica, the
/// rest answer 429 with `Retry-After`.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/report", tag = "reports",
    params(("id" = String, Path, description = "Assessment id"), ReportQuery),
    responses(
        (status = 200, description = "JSON, CSV (text/csv) or HTML (text/html) report"),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
        (status = 429, description = "Too many reports being generated; retry after Retry-After seconds", body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject, assessment = %id))]
pub async fn report(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Reader>,
    Path(id): Path<String>,
    AppQuery(q): AppQuery<ReportQuery>,
) -> Result<Response, ApiError> {
    let format = q.format.unwrap_or_else(|| "json".into());
    if !["json", "csv", "html"].contains(&format.as_str()) {
        return Err(Problem::invalid_field("format", "must be json, csv or html").into());
    }
    let a = visible(&state, &p, &id).await?;
    if a.status != "completed" {
        return Err(Problem::conflict(format!(
            "the assessment is {}; reports exist once it is completed",
            a.status
        ))
        .into());
    }
    // Held by the producing task until the last row is sent.
    let permit = state
        .reports
        .clone()
        .try_acquire_owned()
        .map_err(|_| Problem::too_many_requests(REPORT_RETRY_AFTER_SECS))?;
    let summary = summary_of(&state, &a).await?;
    let filename = format!("attachment; filename=\"{}-report.{format}\"", a.id);
    let (content_type, attachment) = match format.as_str() {
        "csv" => ("text/csv; charset=utf-8", Some(filename)),
        "html" => ("text/html; charset=utf-8", None),
        _ => ("application/json", None),
    };
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let _permit = permit;
        if let Err(e) = produce(&state, &a, &summary, &format, &tx).await {
            tracing::error!(assessment = %a.id, error = %e, "report generation failed mid-stream");
            // The client sees a truncated body, never a complete-looking one.
            let _ = tx
                .send(Err(std::io::Error::other("report generation failed")))
                .await;
        }
    });
    // Fused: the HTTP layer may poll the body once more after its end (seen
    // with Chromium's fetch), and a bare `unfold` panics when polled again.
    let body = Body::from_stream(
        futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
        .fuse(),
    );
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(v) = attachment.and_then(|v| HeaderValue::from_str(&v).ok()) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

/// Seconds a client is asked to wait when every report slot is taken.
const REPORT_RETRY_AFTER_SECS: u64 = 5;

/// Why a stream stopped: the database failed, or the client went away.
#[derive(Debug)]
enum StreamError {
    Db(sqlx::Error),
    Encode(String),
    Gone,
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Db(e) => write!(f, "database: {e}"),
            Self::Encode(e) => write!(f, "encoding: {e}"),
            Self::Gone => f.write_str("client went away"),
        }
    }
}

async fn send(tx: &Sender, buf: &mut Vec<u8>) -> Result<(), StreamError> {
    let chunk = Bytes::from(std::mem::take(buf));
    tx.send(Ok(chunk)).await.map_err(|_| StreamError::Gone)
}

type Sender = mpsc::Sender<Result<Bytes, std::io::Error>>;

/// Writes the report in chunks of [`ROWS_PER_CHUNK`] rows read from a
/// database cursor.
async fn produce(
    state: &AppState,
    a: &Assessment,
    summary: &AssessmentSummary,
    format: &str,
    tx: &Sender,
) -> Result<(), StreamError> {
    let limit = if format == "html" {
        HTML_ROWS + 1
    } else {
        i64::MAX
    };
    let mut rows = findings::stream(&state.pool, &a.id, Some(limit));
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut n: i64 = 0;
    match format {
        "csv" => {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(CSV_HEADER)
                .map_err(|e| StreamError::Encode(e.to_string()))?;
            while let Some(f) = rows.try_next().await.map_err(StreamError::Db)? {
                w.write_record(csv_row(&f))
                    .map_err(|e| StreamError::Encode(e.to_string()))?;
                n += 1;
                if n % ROWS_PER_CHUNK as i64 == 0 {
                    buf = take_csv(w)?;
                    send(tx, &mut buf).await?;
                    // headers were written once, by the first writer
                    w = csv::WriterBuilder::new()
                        .has_headers(false)
                        .from_writer(Vec::new());
                }
            }
            buf = take_csv(w)?;
        }
        "html" => {
            buf.extend(html_head(a, summary).into_bytes());
            while let Some(f) = rows.try_next().await.map_err(StreamError::Db)? {
                n += 1;
                if n > HTML_ROWS {
                    break;
                }
                buf.extend(html_row(&f).into_bytes());
                if n % ROWS_PER_CHUNK as i64 == 0 {
                    send(tx, &mut buf).await?;
                }
            }
            buf.extend(html_tail(n > HTML_ROWS, summary.asset_count).into_bytes());
        }
        _ => {
            let head = serde_json::json!({"assessment": a, "summary": summary});
            let head =
                serde_json::to_string(&head).map_err(|e| StreamError::Encode(e.to_string()))?;
            // `{"assessment":…,"summary":…` + `,"findings":[` … `]}`
            buf.extend(
                head.as_bytes()
                    .strip_suffix(b"}")
                    .unwrap_or(head.as_bytes()),
            );
            buf.extend(b",\"findings\":[");
            while let Some(f) = rows.try_next().await.map_err(StreamError::Db)? {
                if n > 0 {
                    buf.push(b',');
                }
                serde_json::to_writer(&mut buf, &f)
                    .map_err(|e| StreamError::Encode(e.to_string()))?;
                n += 1;
                if n % ROWS_PER_CHUNK as i64 == 0 {
                    send(tx, &mut buf).await?;
                }
            }
            buf.extend(b"]}");
        }
    }
    send(tx, &mut buf).await
}

/// The CSV text of one chunk.
fn take_csv(w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, StreamError> {
    w.into_inner()
        .map_err(|e| StreamError::Encode(e.error().to_string()))
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

const CSV_HEADER: [&str; 23] = [
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
    "occurrences",
    "paths",
    "policy_verdict",
    "lane",
    "horizon",
    "horizon_years",
    "crqc_probability",
    "latest_start_year",
    "rank_holds_across_bands",
];

/// A number from the finding's Mosca or horizon object.
fn num(v: Option<&serde_json::Value>, key: &str) -> Option<f64> {
    v?.get(key)?.as_f64()
}

/// Paths as text: `a > b > c | d > e` (one line per finding, so a CSV
/// row is a line).
fn paths_text(paths: &serde_json::Value) -> String {
    paths
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(serde_json::Value::as_array)
        .map(|p| {
            p.iter()
                .filter_map(serde_json::Value::as_str)
                .collect::<Vec<_>>()
                .join(" > ")
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

fn csv_row(f: &Finding) -> [String; 23] {
    [
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
        f.occurrences.to_string(),
        cell(&paths_text(&f.paths)),
        f.policy_verdict.clone().unwrap_or_default(),
        f.lane.clone().unwrap_or_default(),
        f.horizon
            .as_ref()
            .and_then(|h| h.get("kind")?.as_str())
            .unwrap_or_default()
            .to_owned(),
        num(f.horizon.as_ref(), "years").map_or_else(String::new, |v| format!("{v:.2}")),
        num(f.mosca.as_ref(), "crqc_probability").map_or_else(String::new, |v| format!("{v:.4}")),
        num(f.mosca.as_ref(), "latest_start_year").map_or_else(String::new, |v| format!("{v:.0}")),
        f.rank_holds_across_bands
            .map(|b| b.to_string())
            .unwrap_or_default(),
    ]
}

/// The horizon cell: why this horizon, P(CRQC within it) under the band,
/// and the latest year the migration must start.
fn horizon_text(f: &Finding) -> String {
    let Some(why) = f.horizon.as_ref().and_then(|h| h.get("why")?.as_str()) else {
        return String::new();
    };
    let m = f.mosca.as_ref();
    let band = m.and_then(|m| m.get("band")?.as_str()).unwrap_or("");
    let mut out = why.to_owned();
    if let (Some(p), Some(start)) = (num(m, "crqc_probability"), num(m, "latest_start_year")) {
        out.push_str(&format!(
            "; P(CRQC within it) {:.0}% ({band} band); start migrating by {start:.0}",
            p * 100.0
        ));
    }
    if f.rank_holds_across_bands == Some(false) {
        out.push_str("; its rank changes with the CRQC timeline band");
    }
    out
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

fn html_row(f: &Finding) -> String {
    format!(
        "<tr><td>{}</td><td class=\"{}\">{}</td><td>{:.2}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
        f.priority,
        esc(&f.severity.to_ascii_lowercase()),
        esc(&f.severity),
        f.risk_score,
        esc(&f.asset_name),
        esc(&f.algorithm),
        esc(&f.quantum_threat),
        // The engine's own word where it says more (legacy use, not approved).
        esc(match f.policy_verdict.as_deref() {
            Some("legacy_use") => "legacy use",
            Some("not_approved") => "not approved",
            _ => &f.policy_status,
        }),
        esc(f.lane.as_deref().unwrap_or("")),
        esc(&horizon_text(f)),
        esc(f.recommendation.as_deref().unwrap_or("")),
        // CBOM: how many places use it and the bom-ref paths to them.
        if f.occurrences > 1 || f.paths.as_array().is_some_and(|p| p.len() > 1) {
            format!("{} × {}", f.occurrences, esc(&paths_text(&f.paths)))
        } else {
            esc(&paths_text(&f.paths))
        },
    )
}

fn html_tail(truncated: bool, total: i32) -> String {
    let more = if truncated {
        format!("<p>Showing the first {HTML_ROWS} of {total} findings; the CSV export has all.</p>")
    } else {
        String::new()
    };
    format!("</table>{more}</body></html>")
}

fn html_head(a: &Assessment, s: &AssessmentSummary) -> String {
    // Inline styles only: the CSP allows 'self' style sheets, and a printed
    // report must stand alone.
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>QRAP report: {name}</title></head>\
<body style=\"font-family:sans-serif;margin:2em\"><h1>Quantum risk report: {name}</h1>\
<p>Assessment {id} &middot; organization {org} &middot; completed {done}</p>\
<table border=\"1\" cellpadding=\"4\" style=\"border-collapse:collapse\">\
<tr><th>Overall risk score</th><td>{score}</td></tr><tr><th>Assets</th><td>{assets} ({distinct} distinct)</td></tr>\
<tr><th>PQC readiness</th><td>{ready}%</td></tr><tr><th>Earliest NIST IR 8547 deadline</th><td>{deadline}</td></tr>\
<tr><th>Findings by severity</th><td>{counts}</td></tr><tr><th>Distinct assets by lane</th><td>{lanes}</td></tr>\
<tr><th>Scored with</th><td>{defaults} (CRQC timelines {tl})</td></tr>\
<tr><th>Ranks that change with the CRQC band</th><td>{band_dependent}</td></tr></table>\
<h2>Findings by priority</h2><table border=\"1\" cellpadding=\"4\" style=\"border-collapse:collapse\">\
<tr><th>#</th><th>Severity</th><th>Score</th><th>Asset</th><th>Algorithm</th><th>Threat</th><th>Policy</th><th>Lane</th><th>Horizon (Mosca)</th><th>Recommendation</th><th>Where (bom-ref paths)</th></tr>\n",
        name = esc(&a.name),
        id = esc(&a.id),
        org = esc(&a.organization_id),
        done = a.completed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        score = s.overall_risk_score.map_or("-".into(), |v| format!("{v:.2}")),
        assets = s.asset_count,
        distinct = s.distinct_asset_count.map_or("-".into(), |v| v.to_string()),
        ready = s.pqc_readiness_pct.map_or("-".into(), |v| format!("{v:.1}")),
        deadline = s.earliest_deadline_year.map_or("-".into(), |y| y.to_string()),
        counts = esc(&s.counts.to_string()),
        lanes = esc(&s.lanes.to_string()),
        defaults = esc(&if s.defaults.as_object().is_some_and(|o| !o.is_empty()) {
            s.defaults.to_string()
        } else {
            "the ML engine's defaults".to_owned()
        }),
        tl = esc(s.crqc_timelines_version.as_deref().unwrap_or("-")),
        band_dependent = s.rank_depends_on_band,
    )
}
