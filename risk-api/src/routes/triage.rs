//! Finding detail and triage (issue 21 item 5).
//!
//! # The same finding
//!
//! A triage decision belongs to a finding *key*, not to one finding row:
//! every run deletes and re-writes its findings, and a new upload of the
//! same system has new rows too. The key (`findings.finding_key`, computed
//! by the database function `qrap_finding_key` in migration 0008) is
//!
//! * for a CBOM finding: its bom-ref and canonical algorithm;
//! * for an inventory finding: its asset name (where the algorithm is used),
//!   asset type, canonical algorithm, parameter and usage, trimmed and
//!   lower-cased;
//!
//! as a SHA-256 digest (`fk_` + 64 hex). A triage row is kept per
//! organization, *system* (`assessments.system_key`: the assessment's name,
//! trimmed, lower case, whitespace collapsed) and key, so the next
//! assessment of the same system in the same organization — a re-run, or a
//! new upload under the same name — shows the same state, and another
//! system's identical bom-ref does not.
//!
//! # Effective state
//!
//! What counts is the *effective* state: `open` when never triaged; `open`
//! again once an accepted risk is past its `expires_at`; `open` again when a
//! finding marked `fixed` is found by a run completed after it was so
//! marked (it was not fixed); else the recorded state.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use shared::auth::RequireRole;
use shared::error::{FieldError, Problem};
use shared::ids::FindingId;
use shared::json::AppJson;
use utoipa::ToSchema;

use super::{actor, db, parse_id, scope, Reader, Writer};
use crate::repo::{self, Finding, FINDING_COLS};
use crate::state::AppState;

/// The triage states, in the order a finding usually moves through them.
pub const TRIAGE_STATES: &[&str] = &[
    "open",
    "in_progress",
    "accepted_risk",
    "false_positive",
    "fixed",
];

/// SQL of the effective state of a finding row `fc` of assessment `a` with
/// its triage row `t` (see the module docs).
pub const EFFECTIVE_STATE: &str = "CASE WHEN t.state IS NULL THEN 'open'
     WHEN t.state = 'accepted_risk' AND t.expires_at <= now() THEN 'open'
     WHEN t.state = 'fixed' AND a.completed_at > t.updated_at THEN 'open'
     ELSE t.state END";

/// `findings` rows matching `filter` (a condition on the table's own
/// columns, binds from `$1`), with their assessment `a` and triage `t`.
pub fn triaged_from(filter: &str) -> String {
    format!(
        "FROM (SELECT {FINDING_COLS}, finding_key FROM findings WHERE {filter}) fc
         JOIN assessments a ON a.id = fc.assessment_id
         LEFT JOIN finding_triage t ON t.organization_id = fc.organization_id
              AND t.system_key = a.system_key AND t.finding_key = fc.finding_key"
    )
}

/// The select list matching [`TriagedRow`].
pub fn triaged_cols() -> String {
    format!(
        "fc.*, a.system_key, a.name AS assessment_name, t.state AS t_state, t.reason AS t_reason,
         t.expires_at AS t_expires_at, t.updated_by AS t_updated_by, t.updated_at AS t_updated_at,
         t.version AS t_version,
         coalesce(t.state = 'accepted_risk' AND t.expires_at <= now(), false) AS t_expired,
         coalesce(t.state = 'fixed' AND a.completed_at > t.updated_at, false) AS t_reopened,
         {EFFECTIVE_STATE} AS triage_state"
    )
}

/// A finding row with its triage, as read by [`triaged_from`].
#[derive(Debug, sqlx::FromRow)]
pub struct TriagedRow {
    #[sqlx(flatten)]
    finding: Finding,
    finding_key: String,
    system_key: String,
    assessment_name: String,
    t_state: Option<String>,
    t_reason: Option<String>,
    t_expires_at: Option<DateTime<Utc>>,
    t_updated_by: Option<String>,
    t_updated_at: Option<DateTime<Utc>>,
    t_version: Option<i64>,
    t_expired: bool,
    t_reopened: bool,
    triage_state: String,
}

/// The triage of a finding.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Triage {
    /// Effective state: open, in_progress, accepted_risk, false_positive or
    /// fixed. `open` when never triaged, when an accepted risk has expired
    /// (`expired`), or when a finding marked fixed was found again by a run
    /// completed after it was marked (`reopened`).
    pub state: String,
    /// The state as last recorded; null when never triaged.
    pub recorded_state: Option<String>,
    /// Why (required for accepted_risk).
    pub reason: Option<String>,
    /// accepted_risk only: when the acceptance ends and the finding counts
    /// as open again.
    pub expires_at: Option<DateTime<Utc>>,
    /// An accepted risk past its expiry.
    pub expired: bool,
    /// Marked fixed, but found again by a later run.
    pub reopened: bool,
    /// Who recorded it.
    pub updated_by: Option<String>,
    /// When the state was last recorded; null when never triaged.
    pub updated_at: Option<DateTime<Utc>>,
    /// Changes so far (1 after the first).
    pub version: Option<i64>,
}

/// A finding with its identity across assessments and its triage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingView {
    /// The finding.
    #[serde(flatten)]
    pub finding: Finding,
    /// Identity across assessments (`fk_` + SHA-256 hex): bom-ref +
    /// algorithm, or name + type + algorithm + parameter + usage.
    pub finding_key: String,
    /// The system the triage is kept for (the assessment name, normalised).
    pub system_key: String,
    /// The assessment's name.
    pub assessment_name: String,
    /// Its triage.
    pub triage: Triage,
}

impl From<TriagedRow> for FindingView {
    fn from(r: TriagedRow) -> Self {
        Self {
            finding: r.finding,
            finding_key: r.finding_key,
            system_key: r.system_key,
            assessment_name: r.assessment_name,
            triage: Triage {
                state: r.triage_state,
                recorded_state: r.t_state,
                reason: r.t_reason,
                expires_at: r.t_expires_at,
                expired: r.t_expired,
                reopened: r.t_reopened,
                updated_by: r.t_updated_by,
                updated_at: r.t_updated_at,
                version: r.t_version,
            },
        }
    }
}

/// One triage change, from the audit log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TriageEvent {
    /// When the change was recorded (the audit row's time).
    pub at: DateTime<Utc>,
    /// Subject of the caller who made the change (`service:<name>` for an API key).
    pub actor: String,
    /// Their role.
    pub actor_role: Option<String>,
    /// Effective state before.
    pub from: Option<String>,
    /// State recorded.
    pub to: Option<String>,
    /// Reason given.
    pub reason: Option<String>,
    /// Expiry given (accepted_risk).
    pub expires_at: Option<String>,
    /// The assessment whose finding was triaged.
    pub assessment_id: Option<String>,
}

/// A finding with everything the detail drawer shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingDetail {
    /// The finding and its triage.
    #[serde(flatten)]
    pub view: FindingView,
    /// Triage changes of this finding key in this system, newest first
    /// (at most 100).
    pub history: Vec<TriageEvent>,
}

/// Body of a triage change.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct TriageRequest {
    /// open, in_progress, accepted_risk, false_positive or fixed (required).
    #[serde(default)]
    pub state: String,
    /// Why; required for accepted_risk; up to 2000 characters.
    #[serde(default)]
    pub reason: Option<String>,
    /// accepted_risk only, and then required: an RFC 3339 time or a
    /// `YYYY-MM-DD` date (the acceptance then lasts through that day,
    /// UTC); must be in the future. Once past, the finding counts as open.
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// Loads one finding with its triage, confined to `org` when given.
pub async fn load(
    state: &AppState,
    id: &str,
    org: Option<&str>,
) -> Result<Option<FindingView>, Problem> {
    let row: Option<TriagedRow> = sqlx::query_as(&format!(
        "SELECT {} {}",
        triaged_cols(),
        triaged_from("id = $1 AND ($2::text IS NULL OR organization_id = $2)")
    ))
    .bind(id)
    .bind(org)
    .fetch_optional(&state.pool)
    .await
    .map_err(db)?;
    Ok(row.map(FindingView::from))
}

/// Finds a finding the caller may see, else 404 (another tenant's finding
/// is as absent as a missing one).
async fn visible(
    state: &AppState,
    p: &shared::auth::Principal,
    raw: &str,
) -> Result<FindingView, Problem> {
    let own = scope(p)?;
    let id = parse_id(raw, FindingId::parse, "finding")?;
    load(state, id.as_str(), own.as_deref())
        .await?
        .ok_or_else(|| Problem::not_found("finding not found"))
}

/// One finding with everything that explains it, and its triage.
///
/// The finding with its score factors, horizon and Mosca figures (per CRQC
/// band), recommendation, CBOM path (bom-ref, paths, `location:line`
/// occurrences), its triage (effective state: an expired accepted risk is
/// open again) and the triage history of the same finding in this system.
#[utoipa::path(get, path = "/api/v1/findings/{id}", tag = "findings",
    params(("id" = String, Path, description = "Finding id")),
    responses((status = 200, body = FindingDetail), (status = 404, body = Problem)),
    security(("bearer" = [])))]
pub async fn get_finding(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Reader>,
    Path(id): Path<String>,
) -> Result<AppJson<FindingDetail>, Problem> {
    let view = visible(&state, &p, &id).await?;
    let history = history(&state, &view).await?;
    Ok(AppJson(FindingDetail { view, history }))
}

/// occurred_at, actor, actor_role, details of an audit row.
type AuditRow = (DateTime<Utc>, String, Option<String>, Option<Value>);

async fn history(state: &AppState, v: &FindingView) -> Result<Vec<TriageEvent>, Problem> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "SELECT occurred_at, actor, actor_role, details FROM qrap_audit_log
         WHERE organization_id = $1 AND action = 'finding.triage'
           AND details->>'finding_key' = $2 AND details->>'system_key' = $3
         ORDER BY id DESC LIMIT 100",
    )
    .bind(&v.finding.organization_id)
    .bind(&v.finding_key)
    .bind(&v.system_key)
    .fetch_all(&state.pool)
    .await
    .map_err(db)?;
    let text = |d: &Option<Value>, k: &str| {
        d.as_ref()
            .and_then(|d| d.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Ok(rows
        .into_iter()
        .map(|(at, actor, actor_role, d)| TriageEvent {
            at,
            actor,
            actor_role,
            from: text(&d, "from"),
            to: text(&d, "to"),
            reason: text(&d, "reason"),
            expires_at: text(&d, "expires_at"),
            assessment_id: text(&d, "assessment_id"),
        })
        .collect())
}

/// The expiry as given: an RFC 3339 time, or a date meaning the end of
/// that day (UTC), i.e. the next midnight.
fn parse_expiry(raw: &str) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    let d = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
    d.succ_opt()?.and_hms_opt(0, 0, 0).map(|t| t.and_utc())
}

/// A checked triage request: state, reason, expiry.
type Checked = (String, Option<String>, Option<DateTime<Utc>>);

/// Checks a triage request; returns (state, reason, expiry) or a 422
/// naming every bad field.
fn check(req: &TriageRequest, now: DateTime<Utc>) -> Result<Checked, Problem> {
    let mut errors = Vec::new();
    if req.state.is_empty() {
        errors.push(FieldError::new("state", "is required"));
    } else if !TRIAGE_STATES.contains(&req.state.as_str()) {
        errors.push(FieldError::new(
            "state",
            format!("must be one of {}", TRIAGE_STATES.join(", ")),
        ));
    }
    let reason = req
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if let Some(r) = reason {
        if let Err(e) = shared::validation::multi_line("reason", r) {
            errors.push(e);
        } else if r.chars().count() > 2000 {
            errors.push(FieldError::new("reason", "must be at most 2000 characters"));
        }
    }
    let accepted = req.state == "accepted_risk";
    let mut expiry = None;
    match req
        .expires_at
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        None if accepted => errors.push(FieldError::new(
            "expires_at",
            "is required for accepted_risk (an accepted risk must expire)",
        )),
        None => {}
        Some(_) if !accepted => errors.push(FieldError::new(
            "expires_at",
            "only an accepted_risk expires; leave it out for other states",
        )),
        Some(raw) => match parse_expiry(raw) {
            None => errors.push(FieldError::new(
                "expires_at",
                "must be an RFC 3339 time or a YYYY-MM-DD date",
            )),
            Some(t) if t <= now => {
                errors.push(FieldError::new("expires_at", "must be in the future"));
            }
            Some(t) => expiry = Some(t),
        },
    }
    if accepted && reason.is_none() {
        errors.push(FieldError::new(
            "reason",
            "is required for accepted_risk (say why the risk is accepted)",
        ));
    }
    if errors.is_empty() {
        Ok((req.state.clone(), reason.map(str::to_owned), expiry))
    } else {
        Err(Problem::validation(errors))
    }
}

/// Records the triage state of a finding.
///
/// Operator, admin or service; a viewer gets 403. The state is kept for the finding key in the
/// assessment's system, so every assessment of that system shows it and
/// the next one inherits it. `accepted_risk` needs a `reason` and a future
/// `expires_at`; once that time has passed the finding counts as open
/// again (`triage.state` = open, `triage.expired` = true). Each change is an
/// audit row `finding.triage` with the state before and after.
#[utoipa::path(post, path = "/api/v1/findings/{id}/triage", tag = "findings",
    params(("id" = String, Path, description = "Finding id")),
    request_body = TriageRequest,
    responses(
        (status = 200, description = "Recorded; the finding with its new triage", body = FindingView),
        (status = 403, description = "Viewer", body = Problem),
        (status = 404, body = Problem),
        (status = 422, description = "Unknown state, accepted_risk without reason or expiry, expiry not in the future", body = Problem)),
    security(("bearer" = [])))]
pub async fn triage_finding(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Writer>,
    headers: HeaderMap,
    Path(id): Path<String>,
    AppJson(req): AppJson<TriageRequest>,
) -> Result<AppJson<FindingView>, Problem> {
    let before = visible(&state, &p, &id).await?;
    let (to, reason, expires_at) = check(&req, Utc::now())?;
    let f = &before.finding;
    let mut tx = state.pool.begin().await.map_err(db)?;
    // Changes of one key are serialised (a transaction-scoped advisory
    // lock on it), and the state before is read under that lock, so the
    // audit rows of a key chain: each one's `from` is the previous `to`.
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2 || '/' || $3, 0))")
        .bind(&f.organization_id)
        .bind(&before.system_key)
        .bind(&before.finding_key)
        .execute(&mut *tx)
        .await
        .map_err(db)?;
    let (from,): (String,) = sqlx::query_as(&format!(
        "SELECT {EFFECTIVE_STATE} FROM assessments a
         LEFT JOIN finding_triage t ON t.organization_id = a.organization_id
              AND t.system_key = a.system_key AND t.finding_key = $2
         WHERE a.id = $1"
    ))
    .bind(&f.assessment_id)
    .bind(&before.finding_key)
    .fetch_one(&mut *tx)
    .await
    .map_err(db)?;
    sqlx::query(
        "INSERT INTO finding_triage (organization_id, system_key, finding_key, state, reason, expires_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (organization_id, system_key, finding_key) DO UPDATE
         SET state = EXCLUDED.state, reason = EXCLUDED.reason, expires_at = EXCLUDED.expires_at,
             updated_by = EXCLUDED.updated_by, version = finding_triage.version + 1, updated_at = now()",
    )
    .bind(&f.organization_id)
    .bind(&before.system_key)
    .bind(&before.finding_key)
    .bind(&to)
    .bind(&reason)
    .bind(expires_at)
    .bind(p.subject.chars().take(320).collect::<String>())
    .execute(&mut *tx)
    .await
    .map_err(db)?;
    repo::audit(
        &mut tx,
        &actor(&p, &headers),
        Some(&f.organization_id),
        "finding.triage",
        "finding",
        &f.id,
        json!({
            "finding_key": before.finding_key,
            "system_key": before.system_key,
            "assessment_id": f.assessment_id,
            "from": from,
            "to": to,
            "reason": reason,
            "expires_at": expires_at.map(|t| t.to_rfc3339()),
        }),
    )
    .await
    .map_err(db)?;
    tx.commit().await.map_err(db)?;
    load(&state, &f.id, Some(&f.organization_id))
        .await?
        .map(AppJson)
        .ok_or_else(|| Problem::not_found("finding not found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(state: &str, reason: Option<&str>, expires_at: Option<&str>) -> TriageRequest {
        TriageRequest {
            state: state.into(),
            reason: reason.map(Into::into),
            expires_at: expires_at.map(Into::into),
        }
    }

    fn fields(p: &Problem) -> String {
        serde_json::to_string(p).unwrap_or_default()
    }

    #[test]
    fn a_date_lasts_through_that_day_utc() {
        assert_eq!(
            parse_expiry("2030-01-31").map(|t| t.to_rfc3339()),
            Some("2030-02-01T00:00:00+00:00".into())
        );
        assert_eq!(
            parse_expiry("2030-01-31T12:00:00+02:00").map(|t| t.to_rfc3339()),
            Some("2030-01-31T10:00:00+00:00".into())
        );
        assert_eq!(parse_expiry("next tuesday"), None);
    }

    #[test]
    fn accepted_risk_needs_reason_and_future_expiry() {
        let now = "2026-06-01T00:00:00Z"
            .parse::<DateTime<Utc>>()
            .ok()
            .unwrap_or_default();
        let e = check(&req("accepted_risk", None, None), now)
            .err()
            .map(|p| fields(&p));
        let e = e.unwrap_or_default();
        assert!(e.contains("expires_at") && e.contains("reason"), "{e}");
        let e = check(
            &req("accepted_risk", Some("x"), Some("2026-05-31T23:59:59Z")),
            now,
        )
        .err()
        .map(|p| fields(&p))
        .unwrap_or_default();
        assert!(e.contains("must be in the future"), "{e}");
        assert!(check(&req("accepted_risk", Some("x"), Some("2026-06-01")), now).is_ok());
        let e = check(&req("wontfix", None, None), now)
            .err()
            .map(|p| fields(&p))
            .unwrap_or_default();
        assert!(e.contains("\"state\""), "{e}");
        let e = check(&req("fixed", None, Some("2027-01-01")), now)
            .err()
            .map(|p| fields(&p))
            .unwrap_or_default();
        assert!(e.contains("expires_at"), "{e}");
    }
}
