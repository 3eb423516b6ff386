//! Gateways: registration and heartbeats (service key), listing with
//! liveness derived from the heartbeat age (viewer).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::auth::{RequireRole, Service, Viewer};
use shared::error::{ApiError, Problem};
use shared::ids::GatewayId;
use shared::json::{AppJson, AppQuery};
use shared::pagination::{Page, PageParams};
use shared::qsgw::TlsPolicy;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::audit::Entry;
use crate::domain::validate::Errors;
use crate::http::context::Meta;
use crate::mutation::Mutation;
pub use shared::qsgw::{
    GroupTraffic, Heartbeat, RegisterGateway, ServedCertificate, TargetHealth, TargetTls,
};

use crate::repo::{self, Keyset};
use crate::state::AppState;

/// A heartbeat younger than this means the gateway is online.
pub const ONLINE_SECS: i64 = 30;

/// Most certificates in one heartbeat.
pub const MAX_CERTIFICATES: usize = 16;

fn check_certificates(e: &mut Errors, certs: &[ServedCertificate]) {
    if certs.len() > MAX_CERTIFICATES {
        e.add(
            "served_certificates",
            format!("at most {MAX_CERTIFICATES} certificates"),
        );
        return;
    }
    for (i, c) in certs.iter().enumerate() {
        let f = |name: &str| format!("served_certificates[{i}].{name}");
        if c.sha256.len() != 64
            || !c
                .sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            e.add(f("sha256"), "must be 64 lowercase hex digits");
        }
        e.text(&f("subject"), &c.subject, 0, 1024);
        e.text(&f("issuer"), &c.issuer, 0, 1024);
        e.text(&f("serial"), &c.serial, 0, 200);
        e.text(&f("public_key_algorithm"), &c.public_key_algorithm, 1, 64);
        e.text(&f("signature_algorithm"), &c.signature_algorithm, 1, 64);
        if c.not_after < c.not_before {
            e.add(f("not_after"), "must not be before not_before");
        }
        if c.dns_names.len() > 20 || c.dns_names.iter().any(|d| d.is_empty() || d.len() > 253) {
            e.add(f("dns_names"), "at most 20 names of 1 to 253 characters");
        }
    }
}

/// Largest count in one aggregate: far above what a gateway can see
/// between two heartbeats (25 s at most), and low enough that the sums of
/// a minute's rows cannot overflow a BIGINT.
pub const MAX_COUNT: i64 = 1_000_000_000_000_000;

/// Most sensor aggregates in one heartbeat.
pub const MAX_GROUP_TRAFFIC: usize = 5000;

/// Checks a heartbeat's sensor aggregates.
fn check_group_traffic(e: &mut Errors, rows: &[GroupTraffic]) {
    if rows.len() > MAX_GROUP_TRAFFIC {
        e.add(
            "traffic_by_group",
            format!("at most {MAX_GROUP_TRAFFIC} entries"),
        );
        return;
    }
    for (i, r) in rows.iter().enumerate() {
        if r.route_id
            .as_deref()
            .is_some_and(|id| shared::ids::RouteId::parse(id).is_err())
        {
            e.add(
                format!("traffic_by_group[{i}].route_id"),
                "must be an rt_ id",
            );
        }
        if !crate::domain::validate::is_tls_name(&r.kx_group) {
            e.add(
                format!("traffic_by_group[{i}].kx_group"),
                "1 to 64 characters from A-Z a-z 0-9 _ -",
            );
        }
        e.text(
            &format!("traffic_by_group[{i}].client_family"),
            &r.client_family,
            1,
            64,
        );
        for (name, v) in [
            ("sessions", r.sessions),
            ("requests", r.requests),
            ("bytes_in", r.bytes_in),
            ("bytes_out", r.bytes_out),
        ] {
            if !(0..=MAX_COUNT).contains(&v) {
                e.add(
                    format!("traffic_by_group[{i}].{name}"),
                    format!("must be between 0 and {MAX_COUNT}"),
                );
            }
        }
    }
}

/// Most targets in one heartbeat.
pub const MAX_TARGETS: usize = 1000;

/// Requests per bucket, summed over gateways.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TrafficBucket {
    /// Bucket start.
    pub start: DateTime<Utc>,
    /// Requests answered.
    pub requests: i64,
    /// Of those, 5xx.
    pub errors: i64,
}

/// Requests over time, from gateway heartbeats.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Traffic {
    /// Window start (the query's `from`; default 24 h before `to`).
    pub from: DateTime<Utc>,
    /// Window end (the query's `to`; default the time of the request).
    pub to: DateTime<Utc>,
    /// Bucket width: `minute`, `5m`, `15m`, `hour`, `6h` or `day`.
    pub bucket: String,
    /// Bucket width in seconds.
    pub bucket_seconds: i64,
    /// Requests in the window.
    pub requests: i64,
    /// 5xx answers in the window.
    pub errors: i64,
    /// Every bucket of the window, oldest first, empty ones with zero
    /// counts (the first and last may be partial).
    pub buckets: Vec<TrafficBucket>,
}

/// Query of `GET /api/v1/gateways/traffic`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrafficParams {
    /// From (RFC 3339; default `to` − 24 h).
    pub from: Option<DateTime<Utc>>,
    /// To (RFC 3339; default now).
    pub to: Option<DateTime<Utc>>,
    /// Bucket width: `minute`, `5m`, `15m`, `hour` (default), `6h` or
    /// `day`; at most 3,660 buckets per window.
    pub bucket: Option<String>,
}

/// A gateway as listed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Gateway {
    /// `gw_…` id assigned at first registration; kept when the same name
    /// registers again.
    pub id: String,
    /// Instance name the gateway registered with, unique (1..253 characters).
    pub name: String,
    /// Host name the gateway reported at registration.
    pub hostname: Option<String>,
    /// Address the gateway reported as reachable, e.g. `10.0.0.5:8443`.
    pub address: Option<String>,
    /// Software version the gateway reported, at registration or in a
    /// later heartbeat.
    pub software_version: Option<String>,
    /// Last applied config revision.
    pub config_revision_seen: i64,
    /// Current control-plane revision (to compare).
    pub config_revision_current: i64,
    /// Listener key-exchange policy the gateway reported at registration (`PQC_PREFERRED` when
    /// it sent none).
    pub tls_policy: String,
    /// Free string labels given at registration, as a JSON object.
    pub labels: serde_json::Value,
    /// First registration.
    pub registered_at: DateTime<Utc>,
    /// When the gateway last registered or sent a heartbeat; `liveness` follows from its age.
    pub last_heartbeat_at: Option<DateTime<Utc>>,
    /// `online` (heartbeat < 30 s old), `offline`, or `unknown` (never).
    pub liveness: String,
    /// Last reported target health: `[{upstream_id, target, healthy}]`.
    pub upstream_health: serde_json::Value,
    /// Certificates served, from the last heartbeat ([`ServedCertificate`]s).
    pub served_certificates: serde_json::Value,
    /// Starts at 1 and grows by one each time the gateway registers again.
    pub version: i64,
    /// When the gateway first registered.
    pub created_at: DateTime<Utc>,
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register_gateway))
        .routes(routes!(heartbeat))
        .routes(routes!(gateway_traffic))
        .routes(routes!(list_gateways))
        .routes(routes!(get_gateway))
}

fn opt_text(e: &mut Errors, field: &str, v: Option<&str>, max: usize) {
    if let Some(v) = v {
        e.text(field, v, 1, max);
    }
}

/// Register (or re-register) a gateway.
#[utoipa::path(post, path = "/api/v1/gateways/register", tag = "gateways", request_body = RegisterGateway,
    security(("api_key" = [])),
    responses((status = 200, body = Gateway), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(name = %body.name))]
pub async fn register_gateway(
    role: RequireRole<Service>,
    State(state): State<AppState>,
    meta: Meta,
    AppJson(body): AppJson<RegisterGateway>,
) -> Result<Response, ApiError> {
    let principal = role.0;
    let mut e = Errors::default();
    e.text("name", &body.name, 1, 253);
    opt_text(&mut e, "hostname", body.hostname.as_deref(), 253);
    opt_text(&mut e, "address", body.address.as_deref(), 300);
    opt_text(
        &mut e,
        "software_version",
        body.software_version.as_deref(),
        100,
    );
    if body.labels.as_ref().is_some_and(|l| l.len() > 64) {
        e.add("labels", "at most 64 labels");
    }
    e.finish()?;
    let labels =
        serde_json::to_value(body.labels.unwrap_or_default()).map_err(Problem::internal)?;
    let mut tx = state.pool.begin().await?;
    let new_id = GatewayId::new();
    let id = repo::gateways::upsert(
        &mut tx,
        &repo::gateways::Registration {
            new_id: new_id.as_str(),
            name: &body.name,
            hostname: body.hostname.as_deref(),
            address: body.address.as_deref(),
            software_version: body.software_version.as_deref(),
            tls_policy: body.tls_policy.unwrap_or(TlsPolicy::PqcPreferred).as_str(),
            labels: &labels,
        },
    )
    .await?;
    let gw = repo::gateways::get(&mut tx, &id)
        .await?
        .ok_or_else(|| Problem::internal("registered gateway vanished"))?;
    Mutation::new(
        tx,
        &state,
        &principal,
        &meta,
        Entry {
            action: "gateway.register",
            resource_type: "gateway",
            resource_id: Some(&id),
            before: None,
            after: serde_json::to_value(&gw).ok(),
            success: true,
        },
    )
    .committed()
    .await?;
    Ok((StatusCode::OK, AppJson(gw)).into_response())
}

/// Heartbeat: the gateway is alive and has applied `config_revision_seen`.
/// Not audited: it is telemetry, every few seconds per gateway.
#[utoipa::path(post, path = "/api/v1/gateways/{id}/heartbeat", tag = "gateways", request_body = Heartbeat,
    params(("id" = String, Path, description = "gw_…")),
    security(("api_key" = [])),
    responses((status = 200, body = Gateway), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(id = %id, revision = body.config_revision_seen))]
pub async fn heartbeat(
    _: RequireRole<Service>,
    State(state): State<AppState>,
    Path(id): Path<String>,
    AppJson(body): AppJson<Heartbeat>,
) -> Result<AppJson<Gateway>, ApiError> {
    let id = super::path_id(&id, GatewayId::parse)?;
    let mut e = Errors::default();
    if body.config_revision_seen < 0 {
        e.add("config_revision_seen", "must be at least 0");
    }
    opt_text(
        &mut e,
        "software_version",
        body.software_version.as_deref(),
        100,
    );
    if let Some(targets) = &body.upstream_health {
        if targets.len() > MAX_TARGETS {
            e.add("upstream_health", format!("at most {MAX_TARGETS} targets"));
        }
        for (i, t) in targets.iter().enumerate().take(MAX_TARGETS) {
            if shared::ids::UpstreamId::parse(&t.upstream_id).is_err() {
                e.add(
                    format!("upstream_health[{i}].upstream_id"),
                    "must be an ups_ id",
                );
            }
            e.text(&format!("upstream_health[{i}].target"), &t.target, 1, 300);
            if let Some(tls) = &t.tls {
                for (name, v) in [
                    ("protocol", &tls.protocol),
                    ("kx_group", &tls.kx_group),
                    ("cert_algorithm", &tls.cert_algorithm),
                ] {
                    e.text(&format!("upstream_health[{i}].tls.{name}"), v, 1, 64);
                }
            }
        }
    }
    let requests = body.requests.unwrap_or(0);
    let errors = body.errors.unwrap_or(0);
    if requests < 0 {
        e.add("requests", "must be at least 0");
    }
    if errors < 0 || errors > requests {
        e.add("errors", "must be between 0 and requests");
    }
    let by_group = body.traffic_by_group.as_deref().unwrap_or_default();
    check_group_traffic(&mut e, by_group);
    if let Some(certs) = &body.served_certificates {
        check_certificates(&mut e, certs);
    }
    e.finish()?;
    let health = body
        .upstream_health
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(Problem::internal)?;
    let certificates = body
        .served_certificates
        .as_ref()
        .map(serde_json::to_value)
        .transpose()
        .map_err(Problem::internal)?;
    let mut tx = state.pool.begin().await?;
    let known = repo::gateways::heartbeat(
        &mut tx,
        id.as_str(),
        repo::gateways::Beat {
            config_revision_seen: body.config_revision_seen,
            software_version: body.software_version.as_deref(),
            upstream_health: health,
            served_certificates: certificates,
        },
    )
    .await?;
    if !known {
        return Err(Problem::not_found("no such gateway; register first").into());
    }
    if requests > 0 {
        repo::gateways::add_traffic(&mut tx, id.as_str(), requests, errors).await?;
    }
    if !by_group.is_empty() {
        repo::gateways::add_route_traffic(&mut tx, id.as_str(), by_group).await?;
    }
    tx.commit().await?;
    let gw = repo::gateways::get(&mut *state.pool.acquire().await?, id.as_str())
        .await?
        .ok_or_else(|| Problem::not_found("no such gateway; register first"))?;
    Ok(AppJson(gw))
}

/// List gateways, newest first, with liveness.
#[utoipa::path(get, path = "/api/v1/gateways", tag = "gateways", params(PageParams),
    security(("bearer" = [])),
    responses((status = 200, body = Page<Gateway>)))]
#[tracing::instrument(skip_all, fields(limit = page.limit))]
pub async fn list_gateways(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(page): AppQuery<PageParams>,
) -> Result<AppJson<Page<Gateway>>, ApiError> {
    let (keyset, limit) = Keyset::from_page(&page)?;
    let rows = repo::gateways::list(&state.pool, &keyset).await?;
    Ok(AppJson(Page::from_overfetch(rows, limit, |g| {
        (g.created_at, g.id.clone())
    })))
}

/// Read a gateway.
#[utoipa::path(get, path = "/api/v1/gateways/{id}", tag = "gateways",
    params(("id" = String, Path, description = "gw_…")),
    security(("bearer" = [])),
    responses((status = 200, body = Gateway), (status = 404, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(id = %id))]
pub async fn get_gateway(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<AppJson<Gateway>, ApiError> {
    let id = super::path_id(&id, GatewayId::parse)?;
    Ok(
        repo::gateways::get(&mut *state.pool.acquire().await?, id.as_str())
            .await?
            .map(AppJson)
            .ok_or_else(|| Problem::not_found("no such gateway"))?,
    )
}

/// Requests over time, summed over gateways from their heartbeats.
#[utoipa::path(get, path = "/api/v1/gateways/traffic", tag = "gateways", params(TrafficParams),
    security(("bearer" = [])),
    responses((status = 200, body = Traffic), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(bucket = p.bucket.as_deref()))]
pub async fn gateway_traffic(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<TrafficParams>,
) -> Result<AppJson<Traffic>, ApiError> {
    let w = super::stats_window(p.from, p.to, p.bucket.as_deref())?;
    let rows = repo::gateways::traffic(&state.pool, w.from, w.to, w.bucket.seconds()).await?;
    let buckets = w.fill(
        rows,
        |b| b.start,
        |start| TrafficBucket {
            start,
            requests: 0,
            errors: 0,
        },
    );
    Ok(AppJson(Traffic {
        from: w.from,
        to: w.to,
        requests: buckets.iter().map(|b| b.requests).sum(),
        errors: buckets.iter().map(|b| b.errors).sum(),
        bucket: w.bucket.as_str().to_owned(),
        bucket_seconds: w.bucket.seconds(),
        buckets,
    }))
}
