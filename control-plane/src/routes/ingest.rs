//! Batched ingest from gateways (service key): TLS sessions and threat
//! events. A batch holds at most [`MAX_BATCH`] records; each record is
//! validated on its own, bad ones are reported back by index and the good
//! ones are stored with one INSERT per batch (ids supplied by gateways make
//! re-sent batches idempotent: `ON CONFLICT (id) DO NOTHING`). Threat
//! events at or above `QSGW_WEBHOOK_MIN_SEVERITY` enqueue their webhook
//! delivery in the same statement, so the outbox never misses one.

use std::collections::HashSet;
use std::net::IpAddr;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use shared::auth::{RequireRole, Service};
use shared::error::{ApiError, FieldError, Problem};
use shared::ids::{GatewayId, RouteId, ThreatId, TlsSessionId};
use shared::json::AppJson;
use shared::qsgw::IngestBatch;
pub use shared::qsgw::{IngestResult, Rejected, ThreatRecord, TlsSessionRecord};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::domain::validate::Errors;
use crate::repo;
use crate::state::AppState;

/// Most records in one batch.
pub const MAX_BATCH: usize = 1000;
/// Severities in increasing order.
pub const SEVERITIES: [&str; 4] = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];

/// What the handlers read: the shared [`IngestBatch`] with each record
/// kept as JSON until it is checked on its own, so one bad record is
/// rejected by index without refusing the batch (the OpenAPI document shows
/// the typed batch the gateway sends).
pub type Batch = IngestBatch<serde_json::Value>;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(ingest_tls_sessions))
        .routes(routes!(ingest_threats))
}

fn check_size(batch: &Batch) -> Result<(), Problem> {
    if batch.records.len() > MAX_BATCH {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch-too-large",
            format!(
                "a batch holds at most {MAX_BATCH} records (got {}); split it",
                batch.records.len()
            ),
        ));
    }
    Ok(())
}

/// Parses one record, reporting the failing field's path.
fn parse_record<T: DeserializeOwned>(v: serde_json::Value) -> Result<T, Vec<FieldError>> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            "record".to_owned()
        } else {
            path
        };
        let msg = e.inner().to_string();
        vec![FieldError::new(field, msg)]
    })
}

fn check_ip(e: &mut Errors, ip: &str) {
    if ip.parse::<IpAddr>().is_err() {
        e.add("client_ip", "must be an IP address");
    }
}

fn opt_len(e: &mut Errors, field: &str, v: Option<&str>, min: usize, max: usize) {
    if let Some(v) = v {
        if v.len() < min || v.len() > max {
            e.add(field, format!("must be {min} to {max} bytes"));
        } else if v.chars().any(char::is_control) {
            e.add(field, "must not contain control characters");
        }
    }
}

fn check_time(e: &mut Errors, field: &str, t: DateTime<Utc>) {
    if t > Utc::now() + chrono::Duration::days(1) {
        e.add(field, "must not be in the future");
    }
}

/// Ids of the registered gateways among `ids`.
async fn known_gateways(state: &AppState, ids: Vec<String>) -> Result<HashSet<String>, ApiError> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let rows = repo::ingest::known_gateways(&state.pool, &ids).await?;
    Ok(rows.into_iter().collect())
}

/// Moves the records naming a gateway that is not registered from `good`
/// to `rejected` (field `gateway_id`), then orders `rejected` by index.
async fn reject_unknown_gateways<T>(
    state: &AppState,
    good: &mut Vec<(usize, T)>,
    rejected: &mut Vec<Rejected>,
    gateway_of: impl Fn(&T) -> Option<&String>,
) -> Result<(), ApiError> {
    let ids: Vec<String> = good
        .iter()
        .filter_map(|(_, r)| gateway_of(r).cloned())
        .collect();
    let known = known_gateways(state, ids).await?;
    good.retain(|(index, r)| match gateway_of(r) {
        Some(g) if !known.contains(g) => {
            rejected.push(Rejected {
                index: *index,
                errors: vec![FieldError::new(
                    "gateway_id",
                    "no such gateway; register first",
                )],
            });
            false
        }
        _ => true,
    });
    rejected.sort_by_key(|r| r.index);
    Ok(())
}

/// Checks the fields the posture panel reads: offered groups, policy,
/// route and client family.
fn check_posture_fields(e: &mut Errors, rec: &TlsSessionRecord) {
    check_names(e, "offered_groups", rec.offered_groups.as_deref());
    check_names(e, "offered_sig_algs", rec.offered_sig_algs.as_deref());
    opt_len(e, "cert_algorithm", rec.cert_algorithm.as_deref(), 1, 64);
    if rec.policy.as_deref().is_some_and(|p| {
        !matches!(
            p,
            "CNSA2" | "PQC_ONLY" | "PQC_PREFERRED" | "CLASSICAL_ALLOWED"
        )
    }) {
        e.add(
            "policy",
            "must be CNSA2, PQC_ONLY, PQC_PREFERRED or CLASSICAL_ALLOWED",
        );
    }
    if rec
        .route_id
        .as_deref()
        .is_some_and(|id| shared::ids::RouteId::parse(id).is_err())
    {
        e.add("route_id", "must be an rt_ id");
    }
    opt_len(e, "client_family", rec.client_family.as_deref(), 1, 64);
}

/// A bounded list of ClientHello names (groups, signature schemes): at
/// most 32, each 1 to 64 characters from `A-Z a-z 0-9 _ -` (so a list can
/// travel comma-joined).
fn check_names(e: &mut Errors, field: &str, names: Option<&[String]>) {
    let Some(names) = names else { return };
    if names.len() > 32 {
        e.add(field, "at most 32 names");
    }
    if !names
        .iter()
        .all(|g| crate::domain::validate::is_tls_name(g))
    {
        e.add(
            field,
            "each name is 1 to 64 characters from A-Z a-z 0-9 _ -",
        );
    }
}

/// Ingest TLS session records.
#[utoipa::path(post, path = "/api/v1/ingest/tls-sessions", tag = "ingest", request_body(content = IngestBatch<TlsSessionRecord>, description = "At most 1000 records; each is checked on its own and a bad one is rejected by index"),
    security(("api_key" = [])),
    responses((status = 200, body = IngestResult), (status = 413, description = "More than 1000 records", body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(records = batch.records.len()))]
pub async fn ingest_tls_sessions(
    _: RequireRole<Service>,
    State(state): State<AppState>,
    AppJson(batch): AppJson<Batch>,
) -> Result<AppJson<IngestResult>, ApiError> {
    check_size(&batch)?;
    let received = batch.records.len();
    let mut rejected = Vec::new();
    let mut good: Vec<(usize, TlsSessionRecord)> = Vec::new();
    for (index, v) in batch.records.into_iter().enumerate() {
        let rec: TlsSessionRecord = match parse_record(v) {
            Ok(r) => r,
            Err(errors) => {
                rejected.push(Rejected { index, errors });
                continue;
            }
        };
        let mut e = Errors::default();
        if rec
            .id
            .as_deref()
            .is_some_and(|id| TlsSessionId::parse(id).is_err())
        {
            e.add("id", "must be a tls_ id");
        }
        if rec
            .gateway_id
            .as_deref()
            .is_some_and(|id| GatewayId::parse(id).is_err())
        {
            e.add("gateway_id", "must be a gw_ id");
        }
        check_ip(&mut e, &rec.client_ip);
        opt_len(&mut e, "sni", rec.sni.as_deref(), 1, 253);
        let failed = match rec.outcome.as_deref() {
            None | Some("established") => false,
            Some("failed") => true,
            Some(_) => {
                e.add("outcome", "must be established or failed");
                false
            }
        };
        match rec.protocol_version.as_deref() {
            Some("TLSv1.0" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3") => {}
            None if failed => {}
            None => e.add("protocol_version", "required for an established session"),
            Some(_) => e.add("protocol_version", "must be TLSv1.0 to TLSv1.3"),
        }
        if rec.cipher_suite.is_none() && !failed {
            e.add("cipher_suite", "required for an established session");
        }
        opt_len(&mut e, "cipher_suite", rec.cipher_suite.as_deref(), 1, 100);
        opt_len(
            &mut e,
            "failure_reason",
            rec.failure_reason.as_deref(),
            1,
            500,
        );
        if rec.failure_reason.is_some() && !failed {
            e.add(
                "failure_reason",
                "only a failed session has a failure reason",
            );
        }
        opt_len(&mut e, "kx_group", rec.kx_group.as_deref(), 1, 100);
        opt_len(&mut e, "alpn", rec.alpn.as_deref(), 0, 255);
        if rec.handshake_duration_us.is_some_and(|d| d < 0) {
            e.add("handshake_duration_us", "must be at least 0");
        }
        check_time(&mut e, "established_at", rec.established_at);
        check_posture_fields(&mut e, &rec);
        if e.0.is_empty() {
            good.push((index, rec));
        } else {
            rejected.push(Rejected { index, errors: e.0 });
        }
    }
    reject_unknown_gateways(&state, &mut good, &mut rejected, |r| r.gateway_id.as_ref()).await?;
    let accepted = good.len();
    let mut inserted = 0;
    if !good.is_empty() {
        let recs: Vec<TlsSessionRecord> = good.into_iter().map(|(_, r)| r).collect();
        let n = repo::ingest::insert_tls_sessions(&state.pool, &recs).await?;
        inserted = i64::try_from(n).unwrap_or(i64::MAX);
    }
    Ok(AppJson(IngestResult {
        received,
        accepted,
        inserted,
        rejected,
    }))
}

/// Ingest threat events (and enqueue their webhooks).
#[utoipa::path(post, path = "/api/v1/ingest/threats", tag = "ingest", request_body(content = IngestBatch<ThreatRecord>, description = "At most 1000 records; each is checked on its own and a bad one is rejected by index"),
    security(("api_key" = [])),
    responses((status = 200, body = IngestResult), (status = 413, description = "More than 1000 records", body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(records = batch.records.len()))]
pub async fn ingest_threats(
    _: RequireRole<Service>,
    State(state): State<AppState>,
    AppJson(batch): AppJson<Batch>,
) -> Result<AppJson<IngestResult>, ApiError> {
    check_size(&batch)?;
    let received = batch.records.len();
    let mut rejected = Vec::new();
    let mut good: Vec<(usize, ThreatRecord)> = Vec::new();
    for (index, v) in batch.records.into_iter().enumerate() {
        let rec: ThreatRecord = match parse_record(v) {
            Ok(r) => r,
            Err(errors) => {
                rejected.push(Rejected { index, errors });
                continue;
            }
        };
        let mut e = Errors::default();
        if rec
            .id
            .as_deref()
            .is_some_and(|id| ThreatId::parse(id).is_err())
        {
            e.add("id", "must be a thr_ id");
        }
        if rec
            .gateway_id
            .as_deref()
            .is_some_and(|id| GatewayId::parse(id).is_err())
        {
            e.add("gateway_id", "must be a gw_ id");
        }
        if rec
            .route_id
            .as_deref()
            .is_some_and(|id| RouteId::parse(id).is_err())
        {
            e.add("route_id", "must be an rt_ id");
        }
        check_ip(&mut e, &rec.client_ip);
        opt_len(&mut e, "user_agent", rec.user_agent.as_deref(), 0, 1024);
        opt_len(&mut e, "method", rec.method.as_deref(), 1, 32);
        opt_len(&mut e, "path", rec.path.as_deref(), 0, 2048);
        let t = &rec.threat_type;
        if t.is_empty()
            || t.len() > 64
            || !t.starts_with(|c: char| c.is_ascii_lowercase())
            || !t
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            e.add(
                "threat_type",
                "must be lower_snake_case, at most 64 characters",
            );
        }
        if !SEVERITIES.contains(&&*rec.severity) {
            e.add("severity", "must be LOW, MEDIUM, HIGH or CRITICAL");
        }
        for (field, s) in [
            ("anomaly_score", rec.anomaly_score),
            ("bot_score", rec.bot_score),
        ] {
            if s.is_some_and(|s| !(0.0..=1.0).contains(&s)) {
                e.add(field, "must be between 0 and 1");
            }
        }
        if rec.reasons.len() > 32 || rec.reasons.iter().any(|r| r.len() > 1024) {
            e.add("reasons", "at most 32 reasons of at most 1024 bytes");
        }
        if !matches!(&*rec.action_taken, "allowed" | "flagged" | "blocked") {
            e.add("action_taken", "must be allowed, flagged or blocked");
        }
        check_time(&mut e, "detected_at", rec.detected_at);
        if e.0.is_empty() {
            good.push((index, rec));
        } else {
            rejected.push(Rejected { index, errors: e.0 });
        }
    }
    reject_unknown_gateways(&state, &mut good, &mut rejected, |r| r.gateway_id.as_ref()).await?;
    let accepted = good.len();
    let mut inserted = 0;
    if !good.is_empty() {
        let recs: Vec<ThreatRecord> = good.into_iter().map(|(_, r)| r).collect();
        let (n, enqueued) = repo::ingest::insert_threats(
            &state.pool,
            &recs,
            state.webhooks_enabled,
            &state.webhook_min_severity,
        )
        .await?;
        inserted = n;
        if enqueued > 0 {
            state.webhook_wake.notify_one();
        }
    }
    Ok(AppJson(IngestResult {
        received,
        accepted,
        inserted,
        rejected,
    }))
}
