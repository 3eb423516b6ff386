//! Threat events: list/filter (viewer), acknowledge and resolve (operator).

use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::auth::{Operator, Principal, RequireRole, Viewer};
use shared::error::Problem;
use shared::ids::{RouteId, ThreatId};
use shared::json::{AppJson, AppQuery};
use shared::pagination::{decode_cursor, CountedPage, Page, PageParams};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Entry;
use crate::http::conditional::IfMatch;
use crate::http::context::Meta;
use crate::mutation::Mutation;
use crate::repo::{self, threats::Label, threats::Triage};
use crate::routes::ingest::SEVERITIES;
use crate::state::AppState;
use shared::error::ApiError;

/// A suspicious request or policy refusal a gateway reported (AI inspection verdict, bot,
/// key-exchange policy violation), with its triage state.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ThreatEvent {
    /// `thr_…` id chosen by the reporting gateway, or generated at ingest when
    /// it sent none.
    pub id: String,
    /// Reporting gateway.
    pub gateway_id: Option<String>,
    /// Address of the client the gateway attributed the request to (IPv4 or IPv6).
    pub client_ip: String,
    /// The request's User-Agent as the gateway reported it (at most 1024 characters); null when
    /// not reported.
    pub user_agent: Option<String>,
    /// Matched route.
    pub route_id: Option<String>,
    /// HTTP method of the request (null when not reported).
    pub method: Option<String>,
    /// Request path as the gateway saw it (null when not reported).
    pub path: Option<String>,
    /// Lower-snake-case kind reported by the gateway, e.g. `bot` or `credential_stuffing`.
    pub threat_type: String,
    /// `LOW`, `MEDIUM`, `HIGH` or `CRITICAL`, as reported.
    pub severity: String,
    /// The AI engine's anomaly score, 0..1; null when no inspection produced the event (e.g. a
    /// policy refusal).
    pub anomaly_score: Option<f32>,
    /// The AI engine's bot score, 0..1; null when no inspection produced the event.
    pub bot_score: Option<f32>,
    /// JSON array of the AI engine's reasons, as strings (at most 32).
    pub reasons: serde_json::Value,
    /// What the gateway did: `allowed`, `flagged` or `blocked`.
    pub action_taken: String,
    /// open, acknowledged or resolved.
    pub status: String,
    /// Subject of the caller who acknowledged the event (a user id, or `service:<name>`); null
    /// until acknowledged.
    pub acknowledged_by: Option<String>,
    /// When it was acknowledged; null until then (an event resolved without acknowledging stays
    /// null).
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// Subject of the caller who resolved the event; null until resolved.
    pub resolved_by: Option<String>,
    /// When it was resolved (final); null until then.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Operator's note from the last acknowledge or resolve that gave one
    /// (≤ 4000 characters).
    pub note: Option<String>,
    /// Detection time.
    pub detected_at: DateTime<Utc>,
    /// Starts at 1 and grows by one at each triage step; the `ETag` that
    /// `If-Match` must name.
    pub version: i64,
}

/// Filters of `GET /api/v1/threats`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreatFilter {
    /// LOW, MEDIUM, HIGH or CRITICAL.
    pub severity: Option<String>,
    /// Exact threat type, e.g. `bot` or `tls_policy_violation` (at most 64 characters).
    pub threat_type: Option<String>,
    /// open, acknowledged or resolved.
    pub status: Option<String>,
    /// IP address or CIDR block.
    pub client_ip: Option<String>,
    /// Only events on this route (`rt_…`).
    pub route_id: Option<String>,
    /// Detected at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Detected before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Page size.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (absent: the first page).
    pub cursor: Option<String>,
}

/// Body of acknowledge/resolve.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(example = json!({"note": "known scanner, blocked upstream"}))]
pub struct TriageBody {
    /// Optional note (≤ 4000 characters).
    #[serde(default)]
    pub note: Option<String>,
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_threats))
        .routes(routes!(threat_stats))
        .routes(routes!(get_threat))
        .routes(routes!(acknowledge_threat))
        .routes(routes!(resolve_threat))
}

/// Parameters of `GET /api/v1/threats/stats`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ThreatStatsParams {
    /// Window start (default: 24 h before `to`).
    pub from: Option<DateTime<Utc>>,
    /// Window end (default: now).
    pub to: Option<DateTime<Utc>>,
    /// Bucket width: `minute`, `5m`, `15m`, `hour` (default), `6h` or
    /// `day`; at most 3,660 buckets per window.
    pub bucket: Option<String>,
}

/// A count under one label (severity, type or status).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LabelCount {
    /// The severity, threat type or triage status counted.
    pub label: String,
    /// Threat events.
    pub count: i64,
}

/// Threat events of one time bucket, by severity.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ThreatBucket {
    /// Bucket start.
    pub start: DateTime<Utc>,
    /// All events.
    pub total: i64,
    /// LOW events.
    pub low: i64,
    /// MEDIUM events.
    pub medium: i64,
    /// HIGH events.
    pub high: i64,
    /// CRITICAL events.
    pub critical: i64,
}

/// Threat statistics over a window (the console's "threats over time").
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "bucket": "hour", "bucket_seconds": 3600, "total": 12,
    "by_severity": [{"label": "HIGH", "count": 7}], "by_type": [{"label": "credential_stuffing", "count": 9}],
    "by_status": [{"label": "open", "count": 10}],
    "buckets": [{"start": "2026-01-01T00:00:00Z", "total": 3, "low": 0, "medium": 1, "high": 2, "critical": 0}]}))]
pub struct ThreatStats {
    /// Window start.
    pub from: DateTime<Utc>,
    /// Window end.
    pub to: DateTime<Utc>,
    /// Bucket width.
    pub bucket: String,
    /// Bucket width in seconds.
    pub bucket_seconds: i64,
    /// Events detected in the window.
    pub total: i64,
    /// Per severity, most frequent first.
    pub by_severity: Vec<LabelCount>,
    /// Per threat type, most frequent first.
    pub by_type: Vec<LabelCount>,
    /// Per triage status, most frequent first.
    pub by_status: Vec<LabelCount>,
    /// Every bucket of the window, oldest first, empty ones with zero
    /// counts (the first and last may be partial).
    pub buckets: Vec<ThreatBucket>,
}

/// Threat events over time by severity, and by type and status.
#[utoipa::path(get, path = "/api/v1/threats/stats", tag = "threats", params(ThreatStatsParams),
    security(("bearer" = [])),
    responses((status = 200, body = ThreatStats), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(bucket = p.bucket.as_deref()))]
pub async fn threat_stats(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<ThreatStatsParams>,
) -> Result<AppJson<ThreatStats>, ApiError> {
    let w = super::stats_window(p.from, p.to, p.bucket.as_deref())?;
    let (from, to) = (w.from, w.to);
    let pool = &state.pool;
    let by_severity = repo::threats::count_by(pool, Label::Severity, from, to).await?;
    let by_type = repo::threats::count_by(pool, Label::ThreatType, from, to).await?;
    let by_status = repo::threats::count_by(pool, Label::Status, from, to).await?;
    let rows = repo::threats::buckets(pool, from, to, w.bucket.seconds()).await?;
    let buckets = w.fill(
        rows,
        |b| b.start,
        |start| ThreatBucket {
            start,
            total: 0,
            low: 0,
            medium: 0,
            high: 0,
            critical: 0,
        },
    );
    let total = by_severity.iter().map(|c| c.count).sum();
    Ok(AppJson(ThreatStats {
        from,
        to,
        bucket: w.bucket.as_str().to_owned(),
        bucket_seconds: w.bucket.seconds(),
        total,
        by_severity,
        by_type,
        by_status,
        buckets,
    }))
}

/// Parses an IP or CIDR filter into CIDR text, or 422 on `field`.
pub fn parse_cidr(field: &str, s: &str) -> Result<String, Problem> {
    let bad = || {
        Problem::invalid_field(
            field,
            "must be an IP address or CIDR block, e.g. 10.0.0.0/8",
        )
    };
    let (ip, bits) = match s.split_once('/') {
        Some((ip, bits)) => (ip, Some(bits)),
        None => (s, None),
    };
    let ip: std::net::IpAddr = ip.parse().map_err(|_| bad())?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let bits: u8 = match bits {
        Some(b) => b.parse().map_err(|_| bad())?,
        None => max,
    };
    if bits > max {
        return Err(bad());
    }
    // Normalize host bits away: Postgres refuses `10.0.0.1/8` as cidr.
    let net = match ip {
        std::net::IpAddr::V4(v4) => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits))
            };
            std::net::IpAddr::V4((u32::from(v4) & mask).into())
        }
        std::net::IpAddr::V6(v6) => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits))
            };
            std::net::IpAddr::V6((u128::from(v6) & mask).into())
        }
    };
    Ok(format!("{net}/{bits}"))
}

/// List threat events, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/threats", tag = "threats", params(ThreatFilter),
    security(("bearer" = [])),
    responses((status = 200, body = CountedPage<ThreatEvent>), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(severity = f.severity.as_deref(), status = f.status.as_deref(), route_id = f.route_id.as_deref(), limit = f.limit))]
pub async fn list_threats(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(f): AppQuery<ThreatFilter>,
) -> Result<AppJson<CountedPage<ThreatEvent>>, ApiError> {
    let limit = PageParams {
        limit: f.limit,
        cursor: None,
    }
    .limit()?;
    let cursor: Option<(DateTime<Utc>, String)> = f
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(decode_cursor)
        .transpose()?;
    if let Some(s) = &f.severity {
        if !SEVERITIES.contains(&s.as_str()) {
            return Err(Problem::invalid_field(
                "severity",
                "must be LOW, MEDIUM, HIGH or CRITICAL",
            )
            .into());
        }
    }
    if let Some(s) = &f.status {
        if !matches!(s.as_str(), "open" | "acknowledged" | "resolved") {
            return Err(
                Problem::invalid_field("status", "must be open, acknowledged or resolved").into(),
            );
        }
    }
    if f.route_id
        .as_deref()
        .is_some_and(|r| RouteId::parse(r).is_err())
    {
        return Err(Problem::invalid_field("route_id", "must be an rt_ id").into());
    }
    if f.threat_type.as_deref().is_some_and(|t| t.len() > 64) {
        return Err(Problem::invalid_field("threat_type", "must be at most 64 characters").into());
    }
    let cidr = f
        .client_ip
        .as_deref()
        .map(|c| parse_cidr("client_ip", c))
        .transpose()?;
    let filter = repo::threats::Filter {
        severity: f.severity.as_deref(),
        threat_type: f.threat_type.as_deref(),
        status: f.status.as_deref(),
        cidr: cidr.as_deref(),
        route_id: f.route_id.as_deref(),
        from: f.from,
        to: f.to,
    };
    let rows =
        repo::threats::list(&state.pool, &filter, cursor.as_ref(), i64::from(limit) + 1).await?;
    // The total of every page, counted up to the cap (one past it tells
    // "more than"), so a page never costs a full count of a growing table.
    let counted =
        repo::threats::count(&state.pool, &filter, super::tls_sessions::TOTAL_CAP + 1).await?;
    Ok(AppJson(
        Page::from_overfetch(rows, limit, |t| (t.detected_at, t.id.clone()))
            .with_total(counted, super::tls_sessions::TOTAL_CAP),
    ))
}

/// Read a threat event.
#[utoipa::path(get, path = "/api/v1/threats/{id}", tag = "threats", params(("id" = String, Path, description = "thr_…")),
    security(("bearer" = [])),
    responses((status = 200, body = ThreatEvent), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn get_threat(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<AppJson<ThreatEvent>, ApiError> {
    let id = super::path_id(&id, ThreatId::parse)?;
    let event = repo::threats::get(&mut *state.pool.acquire().await?, id.as_str(), false).await?;
    Ok(event
        .map(AppJson)
        .ok_or_else(|| Problem::not_found("no such threat event"))?)
}

/// One triage step of event `id` to status `to` (`acknowledged` or
/// `resolved`) by `actor`: 409 once resolved or already there, audited in
/// the same transaction.
#[tracing::instrument(skip(state, principal, meta, if_match, note), fields(actor = %principal.subject))]
async fn triage(
    state: &AppState,
    principal: &Principal,
    meta: &Meta,
    if_match: IfMatch,
    id: &str,
    to: &'static str,
    note: Option<String>,
) -> Result<AppJson<ThreatEvent>, ApiError> {
    if note.as_ref().is_some_and(|n| n.chars().count() > 4000) {
        return Err(Problem::invalid_field("note", "must be at most 4000 characters").into());
    }
    let id = super::path_id(id, ThreatId::parse)?;
    let mut tx = state.pool.begin().await?;
    let before = repo::threats::get(&mut tx, id.as_str(), true)
        .await?
        .ok_or_else(|| Problem::not_found("no such threat event"))?;
    if_match.check(before.version)?;
    if before.status == "resolved" || before.status == to {
        return Err(
            Problem::conflict(format!("the threat event is already {}", before.status)).into(),
        );
    }
    let step = if to == "acknowledged" {
        Triage::Acknowledge
    } else {
        Triage::Resolve
    };
    let after = repo::threats::triage(
        &mut tx,
        id.as_str(),
        step,
        &principal.subject,
        note.as_deref(),
    )
    .await?;
    Mutation::new(
        tx,
        state,
        principal,
        meta,
        Entry {
            action: if to == "acknowledged" {
                "threat.acknowledge"
            } else {
                "threat.resolve"
            },
            resource_type: "threat_event",
            resource_id: Some(id.as_str()),
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&after).ok(),
            success: true,
        },
    )
    .committed()
    .await?;
    Ok(AppJson(after))
}

/// Acknowledge a threat event.
#[utoipa::path(post, path = "/api/v1/threats/{id}/acknowledge", tag = "threats", request_body = TriageBody,
    params(("id" = String, Path, description = "thr_…"), ("If-Match" = Option<String>, Header, description = "ETag (version)")),
    security(("bearer" = [])),
    responses((status = 200, body = ThreatEvent), (status = 409, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn acknowledge_threat(
    role: RequireRole<Operator>,
    State(state): State<AppState>,
    meta: Meta,
    if_match: IfMatch,
    Path(id): Path<String>,
    AppJson(body): AppJson<TriageBody>,
) -> Result<AppJson<ThreatEvent>, ApiError> {
    triage(
        &state,
        &role.0,
        &meta,
        if_match,
        &id,
        "acknowledged",
        body.note,
    )
    .await
}

/// Resolve a threat event.
#[utoipa::path(post, path = "/api/v1/threats/{id}/resolve", tag = "threats", request_body = TriageBody,
    params(("id" = String, Path, description = "thr_…"), ("If-Match" = Option<String>, Header, description = "ETag (version)")),
    security(("bearer" = [])),
    responses((status = 200, body = ThreatEvent), (status = 409, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn resolve_threat(
    role: RequireRole<Operator>,
    State(state): State<AppState>,
    meta: Meta,
    if_match: IfMatch,
    Path(id): Path<String>,
    AppJson(body): AppJson<TriageBody>,
) -> Result<AppJson<ThreatEvent>, ApiError> {
    triage(&state, &role.0, &meta, if_match, &id, "resolved", body.note).await
}
