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
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use shared::auth::RequireRole;
use shared::error::ApiError;
use shared::error::{FieldError, Problem};
use shared::ids::FindingId;
use shared::json::AppJson;
use utoipa::ToSchema;

use super::{actor, parse_id, scope, Reader, Writer};
use crate::repo::audit;
use crate::repo::triage::{self as triage_rows, TriageWrite};
pub use crate::repo::triage::{FindingView, Triage};
use crate::state::AppState;

/// The triage states, in the order a finding usually moves through them.
pub const TRIAGE_STATES: &[&str] = &[
    "open",
    "in_progress",
    "accepted_risk",
    "false_positive",
    "fixed",
];

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
) -> Result<Option<FindingView>, ApiError> {
    Ok(triage_rows::load(&state.pool, id, org).await?)
}

/// Finds a finding the caller may see, else 404 (another tenant's finding
/// is as absent as a missing one).
async fn visible(
    state: &AppState,
    p: &shared::auth::Principal,
    raw: &str,
) -> Result<FindingView, ApiError> {
    let own = scope(p)?;
    let id = parse_id(raw, FindingId::parse, "finding")?;
    Ok(load(state, id.as_str(), own.as_deref())
        .await?
        .ok_or_else(|| Problem::not_found("finding not found"))?)
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
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject, finding = %id))]
pub async fn get_finding(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Reader>,
    Path(id): Path<String>,
) -> Result<AppJson<FindingDetail>, ApiError> {
    let view = visible(&state, &p, &id).await?;
    let history = history(&state, &view).await?;
    Ok(AppJson(FindingDetail { view, history }))
}

/// The triage changes of a finding's key in its system, from the audit
/// log (`details` holds the change).
async fn history(state: &AppState, v: &FindingView) -> Result<Vec<TriageEvent>, ApiError> {
    let rows = audit::triage_history(
        &state.pool,
        &v.finding.organization_id,
        &v.finding_key,
        &v.system_key,
    )
    .await?;
    let text = |d: &Option<Value>, k: &str| {
        d.as_ref()
            .and_then(|d| d.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Ok(rows
        .into_iter()
        .map(|r| TriageEvent {
            from: text(&r.details, "from"),
            to: text(&r.details, "to"),
            reason: text(&r.details, "reason"),
            expires_at: text(&r.details, "expires_at"),
            assessment_id: text(&r.details, "assessment_id"),
            at: r.occurred_at,
            actor: r.actor,
            actor_role: r.actor_role,
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
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject, finding = %id))]
pub async fn triage_finding(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Writer>,
    Path(id): Path<String>,
    AppJson(req): AppJson<TriageRequest>,
) -> Result<AppJson<FindingView>, ApiError> {
    let before = visible(&state, &p, &id).await?;
    let (to, reason, expires_at) = check(&req, Utc::now())?;
    let f = &before.finding;
    let mut tx = state.pool.begin().await?;
    // Changes of one key are serialised, and the state before is read
    // under that lock, so the audit rows of a key chain: each one's
    // `from` is the previous `to`.
    triage_rows::lock_key(
        &mut tx,
        &f.organization_id,
        &before.system_key,
        &before.finding_key,
    )
    .await?;
    let from = triage_rows::effective_state(&mut tx, &f.assessment_id, &before.finding_key).await?;
    let updated_by: String = p.subject.chars().take(320).collect();
    triage_rows::upsert(
        &mut tx,
        &TriageWrite {
            organization_id: &f.organization_id,
            system_key: &before.system_key,
            finding_key: &before.finding_key,
            state: &to,
            reason: reason.as_deref(),
            expires_at,
            updated_by: &updated_by,
        },
    )
    .await?;
    audit::append(
        &mut tx,
        &actor(&p),
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
    .await?;
    tx.commit().await?;
    Ok(load(&state, &f.id, Some(&f.organization_id))
        .await?
        .map(AppJson)
        .ok_or_else(|| Problem::not_found("finding not found"))?)
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
