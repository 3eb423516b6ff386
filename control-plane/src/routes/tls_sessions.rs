//! TLS sessions (viewer): list/filter with the number matching, grouped by
//! client, key-exchange group or SNI, exported as CSV, and PQC statistics
//! over time. The list, groups and export share one validated filter
//! ([`Selection`]), so an export holds exactly the rows the list shows.

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::Response;
use chrono::{DateTime, Utc};
use futures::StreamExt as _;
use serde::{Deserialize, Serialize};
use shared::auth::{RequireRole, Viewer};
use shared::error::Problem;
use shared::ids::GatewayId;
use shared::json::{AppJson, AppQuery};
use shared::pagination::{decode_cursor, CountedPage, Page, PageParams};
use tokio::sync::mpsc;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::repo::{
    self,
    tls_sessions::{GroupBy, Selection},
};
use crate::routes::threats::parse_cidr;
use crate::state::AppState;
use shared::error::ApiError;

/// A stored TLS session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TlsSession {
    /// `tls_…` id chosen by the reporting gateway, or generated at ingest when
    /// it sent none.
    pub id: String,
    /// Gateway (`gw_…`) that reported the handshake; null when the report
    /// named none.
    pub gateway_id: Option<String>,
    /// Address of the client that made the handshake (IPv4 or IPv6, without prefix length).
    pub client_ip: String,
    /// Server name the client sent (SNI, at most 253 characters); null when it sent none.
    pub sni: Option<String>,
    /// Protocol version (absent for a failed handshake).
    pub protocol_version: Option<String>,
    /// Cipher suite (absent for a failed handshake).
    pub cipher_suite: Option<String>,
    /// Negotiated key-exchange group, e.g. `X25519MLKEM768`; null when unknown (e.g. TLS 1.2
    /// resumption).
    pub kx_group: Option<String>,
    /// Whether the key exchange was post-quantum or hybrid.
    pub pqc: bool,
    /// Whether the client resumed an earlier TLS session instead of a full handshake.
    pub resumed: bool,
    /// Application protocol agreed by ALPN, e.g. `h2` or `http/1.1`; null when none was.
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
    /// Signature schemes the client offered (IANA names; null: not recorded).
    pub offered_sig_algs: Option<Vec<String>>,
    /// Public-key algorithm of the certificate served (`ECDSA-P256`, …).
    pub cert_algorithm: Option<String>,
}

/// Declares a query struct with the session filters every TLS-session
/// endpoint shares (list, groups, CSV export) followed by its own
/// parameters. One struct per endpoint, not `#[serde(flatten)]`: flattening
/// breaks typed query values (`pqc=true`) in `serde_urlencoded`, and each
/// endpoint still refuses parameters it does not know.
macro_rules! session_query {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Default, Deserialize, IntoParams)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// Only sessions this gateway (`gw_…`) reported.
            pub gateway_id: Option<String>,
            /// IP or CIDR.
            pub client_ip: Option<String>,
            /// Exact negotiated key-exchange group, e.g. `X25519MLKEM768` (at most 100 characters).
            pub kx_group: Option<String>,
            /// PQC only / classical only.
            pub pqc: Option<bool>,
            /// Protocol version, e.g. `TLSv1.3`.
            pub protocol_version: Option<String>,
            /// Cipher suite, e.g. `TLS13_AES_128_GCM_SHA256`.
            pub cipher_suite: Option<String>,
            /// Server name the client asked for (exact).
            pub sni: Option<String>,
            /// From (RFC 3339).
            pub from: Option<DateTime<Utc>>,
            /// To (RFC 3339).
            pub to: Option<DateTime<Utc>>,
            /// `established` or `failed`.
            pub outcome: Option<String>,
            /// Text the failure reason contains (case-insensitive).
            pub failure_reason: Option<String>,
            /// Route of the connection's first request (`rt_…`).
            pub route_id: Option<String>,
            /// Listener policy applied to the handshake.
            pub policy: Option<String>,
            /// Client family, e.g. `curl`, `Chrome 131`.
            pub client_family: Option<String>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            /// The validated session filter.
            fn selection(&self) -> Result<Selection, Problem> {
                Selection::parse(Filter {
                    gateway_id: self.gateway_id.as_deref(),
                    client_ip: self.client_ip.as_deref(),
                    kx_group: self.kx_group.as_deref(),
                    pqc: self.pqc,
                    protocol_version: self.protocol_version.as_deref(),
                    cipher_suite: self.cipher_suite.as_deref(),
                    sni: self.sni.as_deref(),
                    from: self.from,
                    to: self.to,
                    outcome: self.outcome.as_deref(),
                    failure_reason: self.failure_reason.as_deref(),
                    route_id: self.route_id.as_deref(),
                    policy: self.policy.as_deref(),
                    client_family: self.client_family.as_deref(),
                })
            }
        }
    };
}

session_query! {
    /// Filters of `GET /api/v1/tls-sessions`.
    pub struct TlsFilter {
        /// Page size.
        pub limit: Option<u32>,
        /// `next_cursor` of the previous page (absent: the first page).
        pub cursor: Option<String>,
    }
}

session_query! {
    /// Parameters of `GET /api/v1/tls-sessions/groups`: the list's filters,
    /// the grouping key and how many groups to answer.
    pub struct GroupParams {
        /// `client_ip`, `kx_group` or `sni`.
        pub by: Option<String>,
        /// Groups answered, most sessions first (1..=500, default 50).
        pub limit: Option<u32>,
    }
}

session_query! {
    /// Parameters of `GET /api/v1/tls-sessions/export.csv`: the same
    /// filters as the list.
    pub struct ExportParams {}
}

/// The raw session filter of a query, before validation.
#[derive(Debug, Clone, Copy)]
struct Filter<'a> {
    gateway_id: Option<&'a str>,
    client_ip: Option<&'a str>,
    kx_group: Option<&'a str>,
    pqc: Option<bool>,
    protocol_version: Option<&'a str>,
    cipher_suite: Option<&'a str>,
    sni: Option<&'a str>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    outcome: Option<&'a str>,
    failure_reason: Option<&'a str>,
    route_id: Option<&'a str>,
    policy: Option<&'a str>,
    client_family: Option<&'a str>,
}

/// Validates a query's session filter (the list, groups and export all
/// select with it).
impl Selection {
    fn parse(f: Filter<'_>) -> Result<Self, Problem> {
        if f.gateway_id.is_some_and(|g| GatewayId::parse(g).is_err()) {
            return Err(Problem::invalid_field("gateway_id", "must be a gw_ id"));
        }
        if f.kx_group.is_some_and(|k| k.len() > 100) {
            return Err(Problem::invalid_field(
                "kx_group",
                "must be at most 100 characters",
            ));
        }
        if f.outcome
            .is_some_and(|o| o != "established" && o != "failed")
        {
            return Err(Problem::invalid_field(
                "outcome",
                "must be established or failed",
            ));
        }
        for (field, value) in [
            ("protocol_version", f.protocol_version),
            ("cipher_suite", f.cipher_suite),
        ] {
            if value.is_some_and(|v| v.is_empty() || v.len() > 100) {
                return Err(Problem::invalid_field(field, "must be 1 to 100 characters"));
            }
        }
        if f.failure_reason
            .is_some_and(|v| v.is_empty() || v.len() > 200)
        {
            return Err(Problem::invalid_field(
                "failure_reason",
                "must be 1 to 200 characters",
            ));
        }
        if f.sni.is_some_and(|v| v.is_empty() || v.len() > 253) {
            return Err(Problem::invalid_field("sni", "must be 1 to 253 characters"));
        }
        if f.route_id
            .is_some_and(|r| shared::ids::RouteId::parse(r).is_err())
        {
            return Err(Problem::invalid_field("route_id", "must be an rt_ id"));
        }
        if f.policy.is_some_and(|p| {
            !matches!(
                p,
                "CNSA2" | "PQC_ONLY" | "PQC_PREFERRED" | "CLASSICAL_ALLOWED"
            )
        }) {
            return Err(Problem::invalid_field(
                "policy",
                "must be CNSA2, PQC_ONLY, PQC_PREFERRED or CLASSICAL_ALLOWED",
            ));
        }
        if f.client_family
            .is_some_and(|v| v.is_empty() || v.len() > 64)
        {
            return Err(Problem::invalid_field(
                "client_family",
                "must be 1 to 64 characters",
            ));
        }
        if let (Some(from), Some(to)) = (f.from, f.to) {
            if from >= to {
                return Err(Problem::invalid_field("from", "must be before to"));
            }
        }
        let client_cidr = f
            .client_ip
            .map(|c| parse_cidr("client_ip", c))
            .transpose()?;
        Ok(Self {
            gateway_id: f.gateway_id.map(str::to_owned),
            client_cidr,
            kx_group: f.kx_group.map(str::to_owned),
            pqc: f.pqc,
            from: f.from,
            to: f.to,
            protocol_version: f.protocol_version.map(str::to_owned),
            cipher_suite: f.cipher_suite.map(str::to_owned),
            outcome: f.outcome.map(str::to_owned),
            sni: f.sni.map(str::to_owned),
            failure_reason: f.failure_reason.map(str::to_owned),
            route_id: f.route_id.map(str::to_owned),
            policy: f.policy.map(str::to_owned),
            client_family: f.client_family.map(str::to_owned),
        })
    }
}

/// Totals count at most this many sessions: counting every match of a
/// filter over a table that grows by every handshake would make each page
/// as slow as a full scan. Beyond it, `total_capped` is set.
pub const TOTAL_CAP: i64 = 100_000;

/// Most rows one CSV export holds (the newest that match); the response
/// says `X-Export-Truncated: true` when more matched. About 20 MB of CSV.
pub const MAX_EXPORT_ROWS: i64 = 100_000;

/// Rows read per query while exporting: each chunk takes a pooled
/// connection only for its own query, so a slow download holds none.
const EXPORT_CHUNK_ROWS: i64 = 5_000;

/// Sessions sharing one value of the grouping key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TlsGroup {
    /// The client IP, key-exchange group or SNI (null: none recorded, e.g.
    /// the group of a refused handshake or a client that sent no SNI).
    pub key: Option<String>,
    /// Sessions (established and refused).
    pub sessions: i64,
    /// Of which established.
    pub established: i64,
    /// Of the established, with a post-quantum key exchange.
    pub pqc: i64,
    /// Of which refused or failed.
    pub failed: i64,
    /// Newest session of the group.
    pub last_seen: DateTime<Utc>,
}

/// TLS sessions grouped by client, key-exchange group or SNI.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"by": "sni", "total_sessions": 12, "total_groups": 2, "groups": [
    {"key": "api.example.com", "sessions": 10, "established": 9, "pqc": 8, "failed": 1, "last_seen": "2026-01-01T12:00:00Z"},
    {"key": null, "sessions": 2, "established": 2, "pqc": 0, "failed": 0, "last_seen": "2026-01-01T11:00:00Z"}]}))]
pub struct TlsGroups {
    /// The grouping key.
    pub by: String,
    /// Sessions matching the filter, in all groups.
    pub total_sessions: i64,
    /// Groups in all (`groups` holds the first `limit`).
    pub total_groups: i64,
    /// Groups, most sessions first, then by key (null last).
    pub groups: Vec<TlsGroup>,
}

/// The grouping key named by `by`.
fn group_by(s: &str) -> Option<GroupBy> {
    match s {
        "client_ip" => Some(GroupBy::ClientIp),
        "kx_group" => Some(GroupBy::KxGroup),
        "sni" => Some(GroupBy::Sni),
        _ => None,
    }
}

/// The name of a grouping key, as answered.
fn group_by_name(by: GroupBy) -> &'static str {
    match by {
        GroupBy::ClientIp => "client_ip",
        GroupBy::KxGroup => "kx_group",
        GroupBy::Sni => "sni",
    }
}

/// Parameters of `GET /api/v1/tls-sessions/stats`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsParams {
    /// Window start (default: 24 h before `to`).
    pub from: Option<DateTime<Utc>>,
    /// Window end (default: now).
    pub to: Option<DateTime<Utc>>,
    /// Bucket width: `minute`, `5m`, `15m`, `hour` (default), `6h` or
    /// `day`; at most 3,660 buckets per window.
    pub bucket: Option<String>,
}

/// Handshakes of one key-exchange group.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GroupStat {
    /// Group (null = unknown).
    pub kx_group: Option<String>,
    /// Established handshakes in the window that used this group.
    pub handshakes: i64,
    /// Of which PQC.
    pub pqc: i64,
}

/// One time bucket.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BucketStat {
    /// Bucket start.
    pub start: DateTime<Utc>,
    /// Established handshakes.
    pub handshakes: i64,
    /// Of which PQC.
    pub pqc: i64,
    /// Refused or failed handshakes (not counted in `handshakes`).
    pub failed: i64,
}

/// PQC statistics over a window.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z", "bucket": "hour", "bucket_seconds": 3600, "handshakes": 1200, "pqc": 1100, "failed": 3, "pqc_share": 0.9167, "by_group": [{"kx_group": "X25519MLKEM768", "handshakes": 1100, "pqc": 1100}], "buckets": [{"start": "2026-01-01T00:00:00Z", "handshakes": 50, "pqc": 45, "failed": 0}]}))]
pub struct TlsStats {
    /// Window start.
    pub from: DateTime<Utc>,
    /// Window end.
    pub to: DateTime<Utc>,
    /// Bucket width.
    pub bucket: String,
    /// Bucket width in seconds.
    pub bucket_seconds: i64,
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
    /// Every bucket of the window, oldest first, empty ones with zero
    /// counts (the first and last may be partial).
    pub buckets: Vec<BucketStat>,
}

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tls_sessions))
        .routes(routes!(tls_stats))
        .routes(routes!(tls_session_groups))
        .routes(routes!(export_tls_sessions))
}

/// List TLS sessions, newest first, filtered, with the number matching.
#[utoipa::path(get, path = "/api/v1/tls-sessions", tag = "tls-sessions", params(TlsFilter),
    security(("bearer" = [])),
    responses((status = 200, body = CountedPage<TlsSession>), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(limit = f.limit))]
pub async fn list_tls_sessions(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(f): AppQuery<TlsFilter>,
) -> Result<AppJson<CountedPage<TlsSession>>, ApiError> {
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
    let sel = f.selection()?;
    let rows =
        repo::tls_sessions::list(&state.pool, &sel, cursor.as_ref(), i64::from(limit) + 1).await?;
    let counted = count(&state, &sel).await?;
    Ok(AppJson(
        Page::from_overfetch(rows, limit, |t| (t.established_at, t.id.clone()))
            .with_total(counted, TOTAL_CAP),
    ))
}

/// Sessions matching `sel`, counted up to `TOTAL_CAP + 1`.
async fn count(state: &AppState, sel: &Selection) -> Result<i64, ApiError> {
    Ok(repo::tls_sessions::count(&state.pool, sel, TOTAL_CAP + 1).await?)
}

/// TLS sessions grouped by client IP, key-exchange group or SNI, with the
/// list's filters: grouped by the database, so the counts cover every
/// matching session, not the page a browser happens to hold.
#[utoipa::path(get, path = "/api/v1/tls-sessions/groups", tag = "tls-sessions", params(GroupParams),
    security(("bearer" = [])),
    responses((status = 200, body = TlsGroups), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(by = p.by.as_deref(), limit = p.limit))]
pub async fn tls_session_groups(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<GroupParams>,
) -> Result<AppJson<TlsGroups>, ApiError> {
    let by = match p.by.as_deref() {
        None => {
            return Err(
                Problem::invalid_field("by", "is required: client_ip, kx_group or sni").into(),
            )
        }
        Some(b) => group_by(b)
            .ok_or_else(|| Problem::invalid_field("by", "must be client_ip, kx_group or sni"))?,
    };
    let limit = PageParams {
        limit: p.limit,
        cursor: None,
    }
    .limit()?;
    let sel = p.selection()?;
    let rows = repo::tls_sessions::groups(&state.pool, &sel, by, i64::from(limit)).await?;
    let (total_groups, total_sessions) = rows
        .first()
        .map_or((0, 0), |r| (r.total_groups, r.total_sessions));
    Ok(AppJson(TlsGroups {
        by: group_by_name(by).to_owned(),
        total_sessions,
        total_groups,
        groups: rows
            .into_iter()
            .map(|r| TlsGroup {
                key: r.key,
                sessions: r.sessions,
                established: r.established,
                pqc: r.pqc,
                failed: r.failed,
                last_seen: r.last_seen,
            })
            .collect(),
    }))
}

/// The CSV header: the columns of [`TlsSession`] in a reading order.
pub const CSV_HEADER: [&str; 14] = [
    "established_at",
    "outcome",
    "failure_reason",
    "client_ip",
    "sni",
    "protocol_version",
    "cipher_suite",
    "kx_group",
    "pqc",
    "resumed",
    "alpn",
    "handshake_duration_us",
    "gateway_id",
    "id",
];

/// A cell as written: text a spreadsheet would run as a formula (`=`, `+`,
/// `-`, `@`, tab or CR first: OWASP "CSV Injection") gets a leading `'`.
/// The SNI is chosen by the client and the reasons quote it, so both
/// are untrusted.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn csv_row(t: &TlsSession) -> [String; 14] {
    let opt = |v: &Option<String>| v.as_deref().map(cell).unwrap_or_default();
    [
        t.established_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        t.outcome.clone(),
        opt(&t.failure_reason),
        t.client_ip.clone(),
        opt(&t.sni),
        opt(&t.protocol_version),
        opt(&t.cipher_suite),
        opt(&t.kx_group),
        t.pqc.to_string(),
        t.resumed.to_string(),
        opt(&t.alpn),
        t.handshake_duration_us
            .map(|d| d.to_string())
            .unwrap_or_default(),
        opt(&t.gateway_id),
        t.id.clone(),
    ]
}

/// Export the sessions the list filter selects as CSV (RFC 4180: CRLF line
/// ends, fields with a comma, quote or line break quoted, quotes doubled),
/// newest first, at most 100,000 rows. Cells that would start a spreadsheet
/// formula are prefixed with `'`.
#[utoipa::path(get, path = "/api/v1/tls-sessions/export.csv", tag = "tls-sessions", params(ExportParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "text/csv: a header row, then one row per session, newest first; at most 100,000 rows, with `X-Export-Truncated: true` when more matched", content_type = "text/csv",
            headers(("X-Export-Truncated" = String, description = "true when more than 100,000 sessions matched and only the newest are exported"))),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all)]
pub async fn export_tls_sessions(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<ExportParams>,
) -> Result<Response, ApiError> {
    let sel = p.selection()?;
    let truncated = count(&state, &sel).await? > MAX_EXPORT_ROWS;
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(2);
    let pool = state.pool.clone();
    tokio::spawn(async move {
        if let Err(e) = produce_csv(&pool, &sel, &tx).await {
            tracing::error!(error = %e, "TLS session export failed mid-stream");
            // The client sees a truncated body, never a complete-looking one.
            let _ = tx.send(Err(std::io::Error::other("export failed"))).await;
        }
    });
    // Fused: the HTTP layer may poll the body again after its end.
    let body = Body::from_stream(
        futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
        .fuse(),
    );
    let filename = format!(
        "attachment; filename=\"tls-sessions-{}.csv\"",
        Utc::now().format("%Y%m%dT%H%M%SZ")
    );
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&filename) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        "x-export-truncated",
        HeaderValue::from_static(if truncated { "true" } else { "false" }),
    );
    Ok(resp)
}

/// Writes the export in chunks of [`EXPORT_CHUNK_ROWS`], each read with its
/// own keyset query after the last row sent.
#[tracing::instrument(skip_all, err)]
async fn produce_csv(
    pool: &sqlx::PgPool,
    sel: &Selection,
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), String> {
    let mut after: Option<(DateTime<Utc>, String)> = None;
    let mut sent: i64 = 0;
    let mut header = true;
    while sent < MAX_EXPORT_ROWS {
        let n = EXPORT_CHUNK_ROWS.min(MAX_EXPORT_ROWS - sent);
        let rows = repo::tls_sessions::list(pool, sel, after.as_ref(), n)
            .await
            .map_err(|e| format!("database: {e}"))?;
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        if header {
            w.write_record(CSV_HEADER).map_err(|e| e.to_string())?;
            header = false;
        }
        for t in &rows {
            w.write_record(csv_row(t)).map_err(|e| e.to_string())?;
        }
        let buf = w.into_inner().map_err(|e| e.error().to_string())?;
        if tx.send(Ok(Bytes::from(buf))).await.is_err() {
            return Ok(()); // the client went away
        }
        sent += i64::try_from(rows.len()).unwrap_or(i64::MAX);
        match rows.last() {
            Some(last) if i64::try_from(rows.len()).unwrap_or(0) == n => {
                after = Some((last.established_at, last.id.clone()));
            }
            _ => break,
        }
    }
    Ok(())
}

/// Handshakes and PQC share by key-exchange group and over time.
#[utoipa::path(get, path = "/api/v1/tls-sessions/stats", tag = "tls-sessions", params(StatsParams),
    security(("bearer" = [])),
    responses((status = 200, body = TlsStats), (status = 422, body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(bucket = p.bucket.as_deref()))]
pub async fn tls_stats(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<StatsParams>,
) -> Result<AppJson<TlsStats>, ApiError> {
    let w = super::stats_window(p.from, p.to, p.bucket.as_deref())?;
    let (from, to) = (w.from, w.to);
    let by_group = repo::tls_sessions::stats_by_group(&state.pool, from, to).await?;
    let rows = repo::tls_sessions::stats_buckets(&state.pool, from, to, w.bucket.seconds()).await?;
    let buckets = w.fill(
        rows,
        |b| b.start,
        |start| BucketStat {
            start,
            handshakes: 0,
            pqc: 0,
            failed: 0,
        },
    );
    let failed = buckets.iter().map(|b| b.failed).sum();
    let handshakes: i64 = by_group.iter().map(|g| g.handshakes).sum();
    let pqc: i64 = by_group.iter().map(|g| g.pqc).sum();
    let pqc_share = super::ratio(pqc, handshakes).unwrap_or(0.0);
    Ok(AppJson(TlsStats {
        from,
        to,
        bucket: w.bucket.as_str().to_owned(),
        bucket_seconds: w.bucket.seconds(),
        handshakes,
        pqc,
        failed,
        pqc_share,
        by_group,
        buckets,
    }))
}
