//! The PQC posture: which clients still reach the fleet over classical key
//! exchange, per route and SNI, and whom each policy refused — what the
//! console's overview panel shows, each figure linking to the TLS sessions
//! it counts. Read from `tls_sessions` (the gateways record the offered
//! groups and the listener policy with every handshake, and the route and
//! a coarse client family from the connection's first request) and from
//! `threat_events` of type `tls_policy_violation` (route-level refusals,
//! which happen after the handshake). The operator's target PQC share is a
//! one-row setting (`posture_settings`), changed by admins and audited.

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::auth::{Admin, RequireRole, Viewer};
use shared::error::Problem;
use shared::json::{AppJson, AppQuery};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Entry;
use crate::http::context::Meta;
use crate::mutation::Mutation;
use crate::repo;
use crate::state::AppState;
use shared::error::ApiError;

/// Rows in each top list.
const TOP: i64 = 10;

/// Groups carrying ML-KEM-1024, the only key establishment CNSA 2.0
/// admits (NSA CNSA 2.0 algorithms, 2022): MLKEM1024 (IANA 0x0202) and the
/// hybrid SecP384r1MLKEM1024 (0x11ED).
const CNSA2_GROUPS: &[&str] = &["MLKEM1024", "SecP384r1MLKEM1024", "0x11ed"];

/// Post-quantum groups as the gateway names offered groups: its names for
/// the ones it knows, `0x` + code point for the rest. From IANA's TLS
/// Supported Groups registry: SecP256r1MLKEM768 0x11EB, X25519MLKEM768
/// 0x11EC, SecP384r1MLKEM1024 0x11ED, MLKEM512 0x0200, MLKEM768 0x0201,
/// MLKEM1024 0x0202.
const PQ_GROUPS: &[&str] = &[
    "X25519MLKEM768",
    "SecP256r1MLKEM768",
    "MLKEM768",
    "MLKEM1024",
    "SecP384r1MLKEM1024",
    "0x11ed",
    "0x0200",
];

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(posture))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(route_pqc_only_impact))
        .routes(routes!(pqc_only_impact))
}

/// Parameters of `GET /api/v1/tls-sessions/posture`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PostureParams {
    /// Window start (default: 24 h before `to`).
    pub from: Option<DateTime<Utc>>,
    /// Window end (default: now).
    pub to: Option<DateTime<Utc>>,
}

/// A group of classical-only connections from one client: same address
/// prefix (/24 for IPv4, /48 for IPv6), SNI, client family and the
/// groups offered.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClassicalClient {
    /// The client's address prefix, e.g. `203.0.113.0/24`.
    pub client_prefix: String,
    /// SNI the client sent (null: none).
    pub sni: Option<String>,
    /// Client family of the first request (null: refused before any
    /// request, or no request sent).
    pub client_family: Option<String>,
    /// Key-exchange groups the client offered (null: not recorded).
    pub offered_groups: Option<Vec<String>>,
    /// Whether any offered group is post-quantum (a PQ-capable client that
    /// still negotiated classically points at the server's policy, not the
    /// client).
    pub offers_pq: bool,
    /// Established classical sessions.
    pub established: i64,
    /// Refused handshakes.
    pub refused: i64,
    /// Latest of them.
    pub last_seen: DateTime<Utc>,
}

/// PQC share of one route's or SNI's established sessions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ShareRow {
    /// Route id (per-route rows) or SNI (per-SNI rows; null: no SNI).
    pub key: Option<String>,
    /// Route name (per-route rows, when the route still exists).
    pub name: Option<String>,
    /// Established sessions.
    pub handshakes: i64,
    /// Of which post-quantum.
    pub pqc: i64,
    /// Refused handshakes (per SNI; per route they are counted in
    /// `refusals_by_route`).
    pub refused: i64,
}

/// Handshakes a listener policy refused.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyRefusals {
    /// `PQC_ONLY`, `PQC_PREFERRED`, `CLASSICAL_ALLOWED` (null: not recorded).
    pub policy: Option<String>,
    /// Refused handshakes.
    pub refused: i64,
}

/// Requests a route's own key-exchange policy refused (403/421), as the
/// gateways report them (at most one event per client and route a minute).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RouteRefusals {
    /// Route (`rt_…`) the refusal events name; null for events that named none.
    pub route_id: Option<String>,
    /// Route name (when it still exists).
    pub name: Option<String>,
    /// The route's policy now (null: the listener's).
    pub policy: Option<String>,
    /// Refusal events.
    pub refused: i64,
}

/// The posture over a window.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Posture {
    /// Window start.
    pub from: DateTime<Utc>,
    /// Window end.
    pub to: DateTime<Utc>,
    /// Established sessions.
    pub handshakes: i64,
    /// Of which post-quantum.
    pub pqc: i64,
    /// pqc / handshakes (null when none: no share to speak of).
    pub pqc_share: Option<f64>,
    /// Refused handshakes.
    pub refused: i64,
    /// The operator's target share (null: none set).
    pub target: Option<f64>,
    /// Top classical-only clients, most connections first.
    pub classical_clients: Vec<ClassicalClient>,
    /// Per route (of the connection's first request), most sessions first.
    pub by_route: Vec<ShareRow>,
    /// Per SNI, most sessions first.
    pub by_sni: Vec<ShareRow>,
    /// Refused handshakes per listener policy.
    pub refusals_by_policy: Vec<PolicyRefusals>,
    /// Requests refused by a route's policy, per route.
    pub refusals_by_route: Vec<RouteRefusals>,
}

/// The console's posture settings.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PostureSettings {
    /// Target PQC share of established sessions, 0 to 1 (null: none).
    pub pqc_share_target: Option<f64>,
}

/// PQC posture: classical-only clients, share per route and SNI, refusals.
#[utoipa::path(get, path = "/api/v1/tls-sessions/posture", tag = "tls-sessions", params(PostureParams),
    security(("bearer" = [])),
    responses((status = 200, body = Posture), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(from = ?p.from, to = ?p.to))]
pub async fn posture(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<PostureParams>,
) -> Result<AppJson<Posture>, ApiError> {
    // Same window rules as the statistics (from < to, at most 93 days).
    let window = super::stats_window(p.from, p.to, Some("hour"))?;
    let (from, to) = (window.from, window.to);
    let pool = &state.pool;
    let (handshakes, pqc, refused) = repo::posture::totals(pool, from, to).await?;
    let classical_clients =
        repo::posture::classical_clients(pool, from, to, TOP, PQ_GROUPS).await?;
    let by_route = repo::posture::share_by_route(pool, from, to, TOP).await?;
    let by_sni = repo::posture::share_by_sni(pool, from, to, TOP).await?;
    let refusals_by_policy = repo::posture::refusals_by_policy(pool, from, to).await?;
    let refusals_by_route = repo::posture::refusals_by_route(pool, from, to, TOP).await?;
    let settings = load_settings(&state).await?;
    let pqc_share = super::ratio(pqc, handshakes);
    Ok(AppJson(Posture {
        from,
        to,
        handshakes,
        pqc,
        pqc_share,
        refused,
        target: settings.pqc_share_target,
        classical_clients,
        by_route,
        by_sni,
        refusals_by_policy,
        refusals_by_route,
    }))
}

/// The stored settings, or none set.
async fn load_settings(state: &AppState) -> Result<PostureSettings, ApiError> {
    let settings = repo::posture::settings(&state.pool).await?;
    Ok(settings.unwrap_or(PostureSettings {
        pqc_share_target: None,
    }))
}

/// Read the posture settings.
#[utoipa::path(get, path = "/api/v1/posture/settings", tag = "tls-sessions",
    security(("bearer" = [])),
    responses((status = 200, body = PostureSettings)))]
#[tracing::instrument(skip_all)]
pub async fn get_settings(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
) -> Result<AppJson<PostureSettings>, ApiError> {
    Ok(AppJson(load_settings(&state).await?))
}

/// Set the posture settings (admin; audited as `posture.update`).
#[utoipa::path(put, path = "/api/v1/posture/settings", tag = "tls-sessions", request_body = PostureSettings,
    security(("bearer" = [])),
    responses((status = 200, body = PostureSettings), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(actor = %role.0.subject, target = body.pqc_share_target))]
pub async fn put_settings(
    role: RequireRole<Admin>,
    State(state): State<AppState>,
    meta: Meta,
    AppJson(body): AppJson<PostureSettings>,
) -> Result<AppJson<PostureSettings>, ApiError> {
    if body
        .pqc_share_target
        .is_some_and(|t| !(0.0..=1.0).contains(&t) || t.is_nan())
    {
        return Err(Problem::invalid_field(
            "pqc_share_target",
            "must be a share from 0 to 1 (e.g. 0.95), or null",
        )
        .into());
    }
    let before = load_settings(&state).await?;
    let mut tx = state.pool.begin().await?;
    repo::posture::put_settings(&mut tx, body.pqc_share_target).await?;
    Mutation::new(
        tx,
        &state,
        &role.0,
        &meta,
        Entry {
            action: "posture.update",
            resource_type: "posture_settings",
            resource_id: None,
            before: serde_json::to_value(&before).ok(),
            after: serde_json::to_value(&body).ok(),
            success: true,
        },
    )
    .committed()
    .await?;
    Ok(AppJson(body))
}

/// Parameters of the PQC-only dry run.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImpactParams {
    /// Window start (default: 7 days before `to`).
    pub from: Option<DateTime<Utc>>,
    /// Window end (default: now).
    pub to: Option<DateTime<Utc>>,
    /// `PQC_ONLY` (default: a client must offer any post-quantum group) or
    /// `CNSA2` (it must offer ML-KEM-1024).
    pub mode: Option<String>,
    /// Only sessions with this SNI (`-`: none) — the per-host dry run.
    pub sni: Option<String>,
    /// Only sessions whose first request went to this route (`rt_…`).
    pub route_id: Option<String>,
}

/// One group of would-be-refused sessions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImpactRow {
    /// Client family (`curl`, `Chrome 131`, …; null: none recorded).
    pub client_family: Option<String>,
    /// Client address prefix (/24 or /48); only in `top_offenders`.
    pub client_prefix: Option<String>,
    /// Groups offered; only in `top_offenders`.
    pub offered_groups: Option<Vec<String>>,
    /// Sessions that would be refused.
    pub sessions: i64,
    /// Distinct client addresses among them.
    pub clients: i64,
    /// Requests those clients' sessions carried, from the gateways' sensor
    /// aggregates (`PQC_ONLY` over all traffic or a route; null otherwise).
    #[serde(default)]
    pub requests: Option<i64>,
}

/// What switching to `mode` would refuse, from the ClientHellos recorded in
/// the window. Counts are TLS sessions (connections) and distinct client
/// addresses from the session records, and requests from the gateways'
/// sensor aggregates (per route, group and client family): a listener
/// that prefers the post-quantum groups negotiates a classical group only
/// with a client that offered none it supports, so the requests carried
/// under classical groups are exactly those `PQC_ONLY` would refuse. The
/// aggregates do not hold the SNI or the offered groups, so the request
/// figures are null for the per-host dry run and for `CNSA2`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PqcOnlyImpact {
    /// `PQC_ONLY` or `CNSA2`.
    pub mode: String,
    /// Window start.
    pub from: DateTime<Utc>,
    /// Window end.
    pub to: DateTime<Utc>,
    /// Sessions in the scope whose offered groups were recorded.
    pub sessions: i64,
    /// Distinct client addresses among them.
    pub clients: i64,
    /// Sessions whose client offered no acceptable group.
    pub would_refuse_sessions: i64,
    /// Distinct client addresses among those.
    pub would_refuse_clients: i64,
    /// would_refuse_sessions / sessions (null: no session).
    pub session_share: Option<f64>,
    /// would_refuse_clients / clients (null: no client).
    pub client_share: Option<f64>,
    /// Requests in the scope and window (null: see above).
    pub requests: Option<i64>,
    /// Of those, carried under a classical group: refused under `PQC_ONLY`.
    pub would_refuse_requests: Option<i64>,
    /// would_refuse_requests / requests (null: no request, or see above).
    pub request_share: Option<f64>,
    /// Sessions in the scope without recorded offered groups (before the
    /// gateways recorded them): not counted above.
    pub unknown_sessions: i64,
    /// Would-be-refused sessions per client family, most first.
    pub by_client_family: Vec<ImpactRow>,
    /// The largest groups of would-be-refused sessions (prefix, family,
    /// offered groups), most first.
    pub top_offenders: Vec<ImpactRow>,
}

/// PQC_ONLY (or CNSA 2.0) dry run for a route: who would be refused.
#[utoipa::path(get, path = "/api/v1/routes/{id}/pqc-only-impact", tag = "tls-sessions",
    params(("id" = String, Path, description = "rt_…"), ImpactParams),
    security(("bearer" = [])),
    responses((status = 200, body = PqcOnlyImpact), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(id = %id, mode = p.mode.as_deref()))]
pub async fn route_pqc_only_impact(
    role: RequireRole<Viewer>,
    State(state): State<AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    AppQuery(mut p): AppQuery<ImpactParams>,
) -> Result<AppJson<PqcOnlyImpact>, ApiError> {
    let id = super::path_id(&id, shared::ids::RouteId::parse)?;
    if !repo::posture::route_exists(&state.pool, id.as_str()).await? {
        return Err(Problem::not_found("no such route").into());
    }
    p.route_id = Some(id.to_string());
    pqc_only_impact(role, State(state), AppQuery(p)).await
}

/// PQC_ONLY (or CNSA 2.0) dry run over any scope (all, one SNI, one route).
#[utoipa::path(get, path = "/api/v1/tls-sessions/pqc-only-impact", tag = "tls-sessions", params(ImpactParams),
    security(("bearer" = [])),
    responses((status = 200, body = PqcOnlyImpact), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(mode = p.mode.as_deref(), route_id = p.route_id.as_deref(), sni = p.sni.as_deref()))]
pub async fn pqc_only_impact(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<ImpactParams>,
) -> Result<AppJson<PqcOnlyImpact>, ApiError> {
    let mode = p.mode.unwrap_or_else(|| "PQC_ONLY".to_owned());
    let accepted: &[&str] = match mode.as_str() {
        "PQC_ONLY" => PQ_GROUPS,
        "CNSA2" => CNSA2_GROUPS,
        _ => return Err(Problem::invalid_field("mode", "must be PQC_ONLY or CNSA2").into()),
    };
    if p.route_id
        .as_deref()
        .is_some_and(|r| shared::ids::RouteId::parse(r).is_err())
    {
        return Err(Problem::invalid_field("route_id", "must be an rt_ id").into());
    }
    if p.sni
        .as_deref()
        .is_some_and(|v| v.is_empty() || v.len() > 253)
    {
        return Err(Problem::invalid_field("sni", "must be 1 to 253 characters").into());
    }
    let to = p.to.unwrap_or_else(Utc::now);
    let from = p.from.unwrap_or(to - chrono::Duration::days(7));
    let window = super::stats_window(Some(from), Some(to), Some("hour"))?;
    let (from, to) = (window.from, window.to);
    let pool = &state.pool;
    let scope = repo::posture::Scope {
        from,
        to,
        route_id: p.route_id.as_deref(),
        sni: p.sni.as_deref(),
        accepted,
    };
    let totals = repo::posture::impact_totals(pool, &scope).await?;
    let by_client_family = repo::posture::impact_by_client_family(pool, &scope, TOP).await?;
    let top_offenders = repo::posture::impact_top_offenders(pool, &scope, TOP).await?;
    let repo::posture::ImpactTotals {
        sessions,
        clients,
        refuse_sessions,
        refuse_clients,
        unknown,
    } = totals;
    let mut by_client_family = by_client_family;
    // Requests, from the sensor aggregates (minute rows: the window's ends
    // are rounded to the minute the rows carry).
    let (requests, refuse_requests) = if mode == "PQC_ONLY" && p.sni.is_none() {
        let rows =
            repo::posture::requests_by_client_family(pool, from, to, p.route_id.as_deref()).await?;
        let classical: std::collections::HashMap<&str, i64> =
            rows.iter().map(|(f, _, c)| (f.as_str(), *c)).collect();
        for r in &mut by_client_family {
            r.requests = Some(
                r.client_family
                    .as_deref()
                    .and_then(|f| classical.get(f).copied())
                    .unwrap_or(0),
            );
        }
        (
            Some(rows.iter().map(|r| r.1).sum::<i64>()),
            Some(rows.iter().map(|r| r.2).sum::<i64>()),
        )
    } else {
        (None, None)
    };
    let share = super::ratio;
    Ok(AppJson(PqcOnlyImpact {
        requests,
        would_refuse_requests: refuse_requests,
        request_share: requests.zip(refuse_requests).and_then(|(w, p)| share(p, w)),
        mode,
        from,
        to,
        sessions,
        clients,
        would_refuse_sessions: refuse_sessions,
        would_refuse_clients: refuse_clients,
        session_share: share(refuse_sessions, sessions),
        client_share: share(refuse_clients, clients),
        unknown_sessions: unknown,
        by_client_family,
        top_offenders,
    }))
}
