//! TLS sessions: list/filter and PQC statistics (viewer).

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::auth::{RequireRole, Viewer};
use shared::error::Problem;
use shared::ids::GatewayId;
use shared::json::{AppJson, AppQuery};
use shared::pagination::{decode_cursor, Page, PageParams};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::routes::threats::parse_cidr;
use crate::state::AppState;

/// A stored TLS session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct TlsSession {
    /// Id.
    pub id: String,
    /// Gateway.
    pub gateway_id: Option<String>,
    /// Client IP.
    pub client_ip: String,
    /// SNI.
    pub sni: Option<String>,
    /// Protocol version (absent for a failed handshake).
    pub protocol_version: Option<String>,
    /// Cipher suite (absent for a failed handshake).
    pub cipher_suite: Option<String>,
    /// Key-exchange group.
    pub kx_group: Option<String>,
    /// PQC key exchange.
    pub pqc: bool,
    /// Resumed.
    pub resumed: bool,
    /// ALPN.
    pub alpn: Option<String>,
    /// Handshake duration (µs).
    pub handshake_duration_us: Option<i64>,
    /// Handshake time (or time of the failed attempt).
    pub established_at: DateTime<Utc>,
    /// `established` or `failed`.
    pub outcome: String,
    /// Why a failed handshake failed.
    pub failure_reason: Option<String>,
    /// Key-exchange groups the client offered (null: not recorded).
    pub offered_groups: Option<Vec<String>>,
    /// Listener policy applied to the handshake.
    pub policy: Option<String>,
    /// Route of the connection's first request.
    pub route_id: Option<String>,
    /// Coarse client family of the first request (`curl`, `Chrome 131`, …).
    pub client_family: Option<String>,
}

/// Filters of `GET /api/v1/tls-sessions`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TlsFilter {
    /// Gateway id.
    pub gateway_id: Option<String>,
    /// IP or CIDR.
    pub client_ip: Option<String>,
    /// Key-exchange group.
    pub kx_group: Option<String>,
    /// PQC only / classical only.
    pub pqc: Option<bool>,
    /// Protocol version, e.g. `TLSv1.3`.
    pub protocol_version: Option<String>,
    /// Cipher suite, e.g. `TLS13_AES_128_GCM_SHA256`.
    pub cipher_suite: Option<String>,
    /// From (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// To (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// `established` or `failed`.
    pub outcome: Option<String>,
    /// SNI the client sent (`-` for none).
    pub sni: Option<String>,
    /// Route of the connection's first request (`rt_…`).
    pub route_id: Option<String>,
    /// Listener policy applied to the handshake.
    pub policy: Option<String>,
    /// Client family, e.g. `curl`, `Chrome 131`.
    pub client_family: Option<String>,
    /// Page size.
    pub limit: Option<u32>,
    /// Cursor.
    pub cursor: Option<String>,
}

/// Parameters of `GET /api/v1/tls-sessions/stats`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// Window start (default: 24 h before `to`).
    pub from: Option<DateTime<Utc>>,
    /// Window end (default: now).
    pub to: Option<DateTime<Utc>>,
    /// Bucket size: minute, hour (default) or day.
    pub bucket: Option<String>,
}

/// Handshakes of one key-exchange group.
#[derive(Debug, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct GroupStat {
    /// Group (null = unknown).
    pub kx_group: Option<String>,
    /// Handshakes.
    pub handshakes: i64,
    /// Of which PQC.
    pub pqc: i64,
}

/// One time bucket.
#[derive(Debug, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct BucketStat {
    /// Bucket start.
    pub start: DateTime<Utc>,
    /// Handshakes.
    pub handshakes: i64,
    /// Of which PQC.
    pub pqc: i64,
}

/// PQC statistics over a window.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "bucket": "hour", "handshakes": 1200, "pqc": 1100, "failed": 3, "pqc_share": 0.9167, "by_group": [{"kx_group": "X25519MLKEM768", "handshakes": 1100, "pqc": 1100}], "buckets": [{"start": "2026-01-01T00:00:00Z", "handshakes": 50, "pqc": 45}]}))]
pub struct TlsStats {
    /// Window start.
    pub from: DateTime<Utc>,
    /// Window end.
    pub to: DateTime<Utc>,
    /// Bucket size.
    pub bucket: String,
    /// Handshakes in the window.
    pub handshakes: i64,
    /// PQC handshakes.
    pub pqc: i64,
    /// Failed handshakes in the window (not counted in `handshakes`).
    pub failed: i64,
    /// pqc / handshakes (0 when none).
    pub pqc_share: f64,
    /// Per key-exchange group.
    pub by_group: Vec<GroupStat>,
    /// Per bucket (only non-empty buckets).
    pub buckets: Vec<BucketStat>,
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tls_sessions))
        .routes(routes!(tls_stats))
}

/// List TLS sessions, newest first, filtered.
#[utoipa::path(get, path = "/api/v1/tls-sessions", tag = "tls-sessions", params(TlsFilter),
    security(("bearer" = [])),
    responses((status = 200, body = Page<TlsSession>), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn list_tls_sessions(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(f): AppQuery<TlsFilter>,
) -> Result<AppJson<Page<TlsSession>>, Problem> {
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
    if f.gateway_id
        .as_deref()
        .is_some_and(|g| GatewayId::parse(g).is_err())
    {
        return Err(Problem::invalid_field("gateway_id", "must be a gw_ id"));
    }
    if f.kx_group.as_deref().is_some_and(|k| k.len() > 100) {
        return Err(Problem::invalid_field(
            "kx_group",
            "must be at most 100 characters",
        ));
    }
    if f.outcome
        .as_deref()
        .is_some_and(|o| o != "established" && o != "failed")
    {
        return Err(Problem::invalid_field(
            "outcome",
            "must be established or failed",
        ));
    }
    for (field, value) in [
        ("protocol_version", &f.protocol_version),
        ("cipher_suite", &f.cipher_suite),
    ] {
        if value
            .as_deref()
            .is_some_and(|v| v.is_empty() || v.len() > 100)
        {
            return Err(Problem::invalid_field(field, "must be 1 to 100 characters"));
        }
    }
    if f.route_id
        .as_deref()
        .is_some_and(|r| shared::ids::RouteId::parse(r).is_err())
    {
        return Err(Problem::invalid_field("route_id", "must be an rt_ id"));
    }
    if f.policy
        .as_deref()
        .is_some_and(|p| !matches!(p, "PQC_ONLY" | "PQC_PREFERRED" | "CLASSICAL_ALLOWED"))
    {
        return Err(Problem::invalid_field(
            "policy",
            "must be PQC_ONLY, PQC_PREFERRED or CLASSICAL_ALLOWED",
        ));
    }
    for (field, value, max) in [
        ("sni", &f.sni, 253),
        ("client_family", &f.client_family, 64),
    ] {
        if value
            .as_deref()
            .is_some_and(|v| v.is_empty() || v.len() > max)
        {
            return Err(Problem::invalid_field(
                field,
                format!("must be 1 to {max} characters"),
            ));
        }
    }
    let cidr = f
        .client_ip
        .as_deref()
        .map(|c| parse_cidr("client_ip", c))
        .transpose()?;
    let (at, id) = cursor.unzip();
    let rows: Vec<TlsSession> = sqlx::query_as(
        "SELECT id, gateway_id, host(client_ip) AS client_ip, sni, protocol_version, cipher_suite,
            kx_group, pqc, resumed, alpn, handshake_duration_us, established_at, outcome, failure_reason,
            offered_groups, policy, route_id, client_family
         FROM tls_sessions
         WHERE ($1::text IS NULL OR gateway_id = $1)
           AND ($2::cidr IS NULL OR client_ip <<= $2::cidr)
           AND ($3::text IS NULL OR kx_group = $3)
           AND ($4::bool IS NULL OR pqc = $4)
           AND ($5::timestamptz IS NULL OR established_at >= $5)
           AND ($6::timestamptz IS NULL OR established_at < $6)
           AND ($7::timestamptz IS NULL OR (established_at, id) < ($7, $8))
           AND ($10::text IS NULL OR protocol_version = $10)
           AND ($11::text IS NULL OR cipher_suite = $11)
           AND ($12::text IS NULL OR outcome = $12)
           AND ($13::text IS NULL OR sni IS NOT DISTINCT FROM NULLIF($13, '-'))
           AND ($14::text IS NULL OR route_id = $14)
           AND ($15::text IS NULL OR policy = $15)
           AND ($16::text IS NULL OR client_family = $16)
         ORDER BY established_at DESC, id DESC LIMIT $9",
    )
    .bind(&f.gateway_id)
    .bind(cidr)
    .bind(&f.kx_group)
    .bind(f.pqc)
    .bind(f.from)
    .bind(f.to)
    .bind(at)
    .bind(id)
    .bind(i64::from(limit) + 1)
    .bind(&f.protocol_version)
    .bind(&f.cipher_suite)
    .bind(&f.outcome)
    .bind(&f.sni)
    .bind(&f.route_id)
    .bind(&f.policy)
    .bind(&f.client_family)
    .fetch_all(&state.pool)
    .await
    .map_err(Problem::internal)?;
    Ok(AppJson(Page::from_overfetch(rows, limit, |t| {
        (t.established_at, t.id.clone())
    })))
}

/// Handshakes and PQC share by key-exchange group and over time.
#[utoipa::path(get, path = "/api/v1/tls-sessions/stats", tag = "tls-sessions", params(StatsParams),
    security(("bearer" = [])),
    responses((status = 200, body = TlsStats), (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn tls_stats(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<StatsParams>,
) -> Result<AppJson<TlsStats>, Problem> {
    let (from, to, bucket) = super::stats_window(p.from, p.to, p.bucket)?;
    let by_group: Vec<GroupStat> = sqlx::query_as(
        "SELECT kx_group, count(*) AS handshakes, count(*) FILTER (WHERE pqc) AS pqc
         FROM tls_sessions WHERE established_at >= $1 AND established_at < $2 AND outcome = 'established'
         GROUP BY kx_group ORDER BY handshakes DESC, kx_group",
    )
    .bind(from)
    .bind(to)
    .fetch_all(&state.pool)
    .await
    .map_err(Problem::internal)?;
    let buckets: Vec<BucketStat> = sqlx::query_as(
        "SELECT date_trunc($3, established_at, 'UTC') AS start, count(*) AS handshakes,
                count(*) FILTER (WHERE pqc) AS pqc
         FROM tls_sessions WHERE established_at >= $1 AND established_at < $2 AND outcome = 'established'
         GROUP BY 1 ORDER BY 1",
    )
    .bind(from)
    .bind(to)
    .bind(&bucket)
    .fetch_all(&state.pool)
    .await
    .map_err(Problem::internal)?;
    let failed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM tls_sessions
         WHERE established_at >= $1 AND established_at < $2 AND outcome = 'failed'",
    )
    .bind(from)
    .bind(to)
    .fetch_one(&state.pool)
    .await
    .map_err(Problem::internal)?;
    let handshakes: i64 = by_group.iter().map(|g| g.handshakes).sum();
    let pqc: i64 = by_group.iter().map(|g| g.pqc).sum();
    #[allow(clippy::cast_precision_loss)]
    let pqc_share = if handshakes == 0 {
        0.0
    } else {
        pqc as f64 / handshakes as f64
    };
    Ok(AppJson(TlsStats {
        from,
        to,
        bucket,
        handshakes,
        pqc,
        failed,
        pqc_share,
        by_group,
        buckets,
    }))
}
