//! `GET /api/v1/assessments/{id}/cbom`: the assessment as a CycloneDX 1.7
//! CBOM. Every finding is a `cryptographic-asset` component with the
//! quantum levels we computed (`nistQuantumSecurityLevel`,
//! `classicalSecurityLevel`) and the finding itself as `quantun:`
//! properties; the bom-ref paths become `dependencies`, so the document
//! re-imports to the same findings. Streamed like the reports (one
//! component per row from a database cursor), under the same concurrency
//! limit.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue};
use axum::response::Response;
use futures::{StreamExt, TryStreamExt};
use serde_json::{json, Map, Value};
use shared::auth::RequireRole;
use shared::error::Problem;
use tokio::sync::mpsc;

use super::assessments::visible;
use super::Reader;
use crate::repo::{findings, Assessment, Finding};
use crate::state::AppState;
use shared::error::ApiError;

/// Media type of the answer.
const CDX_17: &str = "application/vnd.cyclonedx+json; version=1.7";
/// Components per chunk sent.
const PER_CHUNK: usize = 500;

/// Path elements that are edge labels, not bom-refs (see `domain::cbom`).
fn is_label(s: &str) -> bool {
    s == "provides" || s == "securedBy" || s.starts_with("cipherSuite:") || s.starts_with("ikev2:")
}

/// The assessment as a CycloneDX 1.7 CBOM (completed assessments).
#[utoipa::path(get, path = "/api/v1/assessments/{id}/cbom", tag = "reports",
    params(("id" = String, Path, description = "Assessment id")),
    responses(
        (status = 200, description = "CycloneDX 1.7 CBOM (application/vnd.cyclonedx+json)"),
        (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 429, description = "Too many exports being generated", body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject, assessment = %id))]
pub async fn export_cbom(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Reader>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let a = visible(&state, &p, &id).await?;
    if a.status != "completed" {
        return Err(Problem::conflict(format!(
            "the assessment is {}; its CBOM exists once it is completed",
            a.status
        ))
        .into());
    }
    let permit = state
        .reports
        .clone()
        .try_acquire_owned()
        .map_err(|_| Problem::too_many_requests(5))?;
    let (tx, rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let _permit = permit;
        if let Err(e) = produce(&state, &a, &tx).await {
            tracing::error!(assessment = %a.id, error = %e, "CBOM export failed mid-stream");
            let _ = tx
                .send(Err(std::io::Error::other("CBOM export failed")))
                .await;
        }
    });
    // Fused like the reports' body (762ace1): the HTTP layer may poll the
    // stream once more after its end, and a bare `unfold` panics then.
    let body = Body::from_stream(
        futures::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        })
        .fuse(),
    );
    let mut resp = Response::new(body);
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CDX_17));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{id}-cbom.json\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

async fn produce(
    state: &AppState,
    a: &Assessment,
    tx: &mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), String> {
    let send = |buf: &mut Vec<u8>| {
        let chunk = Bytes::from(std::mem::take(buf));
        async move {
            tx.send(Ok(chunk))
                .await
                .map_err(|_| "client went away".to_owned())
        }
    };
    let head = header_json(a);
    let head = serde_json::to_string(&head).map_err(|e| e.to_string())?;
    let mut buf = Vec::with_capacity(64 * 1024);
    buf.extend(
        head.as_bytes()
            .strip_suffix(b"}")
            .unwrap_or(head.as_bytes()),
    );
    buf.extend(b",\"components\":[");
    let mut rows = findings::stream(&state.pool, &a.id, None);
    // Edges (from → to) and the path nodes that are not findings.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut refs: BTreeSet<String> = BTreeSet::new();
    let mut n = 0_usize;
    while let Some(f) = rows.try_next().await.map_err(|e| e.to_string())? {
        let me = bom_ref(&f);
        for path in f.paths.as_array().into_iter().flatten() {
            path_edges(path, &me, &mut edges);
        }
        if n > 0 {
            buf.push(b',');
        }
        serde_json::to_writer(&mut buf, &component(&f, &me)).map_err(|e| e.to_string())?;
        refs.insert(me);
        n += 1;
        if n % PER_CHUNK == 0 {
            send(&mut buf).await?;
        }
    }
    // Path nodes that are not findings (a library, the application): plain
    // components, so every dependency names an element of this BOM.
    let others: BTreeSet<&String> = edges
        .iter()
        .flat_map(|(from, to)| std::iter::once(from).chain(to.iter()))
        .filter(|r| !refs.contains(*r))
        .collect();
    for r in others {
        if n > 0 {
            buf.push(b',');
        }
        n += 1;
        serde_json::to_writer(
            &mut buf,
            &json!({"type": "library", "bom-ref": r, "name": r}),
        )
        .map_err(|e| e.to_string())?;
    }
    buf.extend(b"],\"dependencies\":[");
    for (i, (from, to)) in edges.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        serde_json::to_writer(&mut buf, &json!({"ref": from, "dependsOn": to}))
            .map_err(|e| e.to_string())?;
        if i % PER_CHUNK == PER_CHUNK - 1 {
            send(&mut buf).await?;
        }
    }
    buf.extend(b"]}");
    send(&mut buf).await
}

/// The dependencies a path gives: consecutive bom-refs, except across a
/// `securedBy` label (a key's protection is not what the key uses, and a
/// `dependsOn` would make it the key's algorithm on re-import). A path's
/// last element is the finding itself (a hybrid's paths end at its halves,
/// which are not exported).
fn path_edges(path: &Value, me: &str, edges: &mut BTreeMap<String, BTreeSet<String>>) {
    let items: Vec<&str> = path
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let last = items.iter().rposition(|s| !is_label(s));
    let mut prev: Option<&str> = None;
    let mut skip = false;
    for (i, item) in items.iter().enumerate() {
        if is_label(item) {
            skip |= *item == "securedBy";
            continue;
        }
        let item = if Some(i) == last { me } else { item };
        if let Some(p) = prev {
            if !skip && p != item {
                edges
                    .entry(p.to_owned())
                    .or_default()
                    .insert(item.to_owned());
            }
        }
        prev = Some(item);
        skip = false;
    }
}

fn bom_ref(f: &Finding) -> String {
    f.asset_ref
        .clone()
        .unwrap_or_else(|| format!("finding:{}", f.id))
}

/// The document without components and dependencies.
fn header_json(a: &Assessment) -> Value {
    // The assessment id's 32 hex digits are a UUIDv7: the serial number.
    let hex = a.id.trim_start_matches("asmnt_");
    let serial = if hex.len() == 32 {
        format!(
            "urn:uuid:{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        )
    } else {
        String::new()
    };
    let mut props = vec![
        prop("quantun:assessment_id", &a.id),
        prop("quantun:organization_id", &a.organization_id),
    ];
    if let Some(s) = a.overall_risk_score {
        props.push(prop("quantun:overall_risk_score", &format!("{s:.2}")));
    }
    if let Some(p) = a.pqc_readiness_pct {
        props.push(prop("quantun:pqc_readiness_pct", &format!("{p:.2}")));
    }
    // The scoring defaults, under the names an upload reads back from
    // `metadata.properties` (a re-import scores with the same inputs).
    for (k, v) in a.defaults.as_object().into_iter().flatten() {
        let text = match v {
            Value::String(t) => t.clone(),
            other => other.to_string(),
        };
        props.push(prop(&format!("quantun:{k}"), &text));
    }
    let mut doc = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.7",
        "version": 1,
        "metadata": {
            "tools": {"components": [{"type": "application", "name": "quantun risk-api", "version": env!("CARGO_PKG_VERSION")}]},
            "component": {"type": "application", "bom-ref": format!("assessment:{}", a.id), "name": a.name},
            "properties": props,
        },
    });
    if !serial.is_empty() {
        doc["serialNumber"] = Value::from(serial);
    }
    if let Some(t) = a.completed_at {
        doc["metadata"]["timestamp"] =
            Value::from(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    }
    doc
}

fn prop(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

/// CycloneDX `primitive` for our usage (the inverse of the import's map).
fn primitive(usage: Option<&str>) -> Option<&'static str> {
    Some(match usage? {
        "key_exchange" => "key-agree",
        "signature" => "signature",
        "encryption" => "block-cipher",
        "hash" => "hash",
        "mac" => "mac",
        "kdf" => "kdf",
        "other" => "other",
        _ => return None,
    })
}

/// An RFC 3339 time as the schema's `date-time` wants it, or nothing.
fn date_time(s: Option<&str>) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(s?)
        .ok()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// One finding as a component.
fn component(f: &Finding, me: &str) -> Value {
    let mut c = Map::new();
    c.insert("type".into(), "cryptographic-asset".into());
    c.insert("bom-ref".into(), me.into());
    let mut cp = Map::new();
    let (asset_type, name) = match f.asset_type.as_deref() {
        Some("key") => {
            let mut k = Map::new();
            k.insert("type".into(), "key".into());
            if let Some(size) = f.parameter.as_deref().and_then(|p| p.parse::<u64>().ok()) {
                k.insert("size".into(), size.into());
            }
            if let Some(t) = date_time(f.valid_until.as_deref()) {
                k.insert("expirationDate".into(), t.into());
            }
            cp.insert("relatedCryptoMaterialProperties".into(), k.into());
            ("related-crypto-material", f.algorithm.clone())
        }
        Some("certificate") => {
            let mut k = Map::new();
            if let Some(t) = date_time(f.valid_until.as_deref()) {
                k.insert("notValidAfter".into(), t.into());
            }
            cp.insert("certificateProperties".into(), k.into());
            ("certificate", f.asset_name.clone())
        }
        Some("protocol") => {
            let mut word = f.algorithm.split_whitespace();
            let ptype = word.next().unwrap_or("").to_ascii_lowercase();
            let known = [
                "tls",
                "ssh",
                "ipsec",
                "ike",
                "sstp",
                "wpa",
                "dtls",
                "quic",
                "eap-aka",
                "eap-aka-prime",
                "prins",
                "5g-aka",
                "unknown",
            ];
            let mut k = Map::new();
            k.insert(
                "type".into(),
                if known.contains(&ptype.as_str()) {
                    ptype
                } else {
                    "other".into()
                }
                .into(),
            );
            if let Some(v) = &f.parameter {
                k.insert("version".into(), v.clone().into());
            }
            cp.insert("protocolProperties".into(), k.into());
            ("protocol", f.asset_name.clone())
        }
        _ => {
            let mut k = Map::new();
            if let Some(pr) = primitive(f.usage.as_deref()) {
                k.insert("primitive".into(), pr.into());
            }
            if let Some(p) = &f.parameter {
                k.insert("parameterSetIdentifier".into(), p.clone().into());
            }
            let broken = matches!(f.quantum_threat.as_str(), "shor" | "classically_weak");
            match (broken, f.nist_quantum_level) {
                (true, _) => {
                    k.insert("nistQuantumSecurityLevel".into(), 0.into());
                }
                (false, Some(l)) if (0..=6).contains(&l) => {
                    k.insert("nistQuantumSecurityLevel".into(), l.into());
                }
                _ => {}
            }
            if let Some(bits) = f.classical_level.filter(|b| *b >= 0) {
                k.insert("classicalSecurityLevel".into(), bits.into());
            }
            // As imported (CycloneDX enum values only): a verify-only
            // algorithm re-imports as legacy use.
            if f.crypto_functions.as_array().is_some_and(|a| !a.is_empty()) {
                k.insert("cryptoFunctions".into(), f.crypto_functions.clone());
            }
            cp.insert("algorithmProperties".into(), k.into());
            // An algorithm component keeps the name its document gave it:
            // the parameter beside it was read together with that name
            // (`RSA-PKCS1-1.5-SHA512` + `512` is SHA-512's digest length,
            // `RSA` + `512` would be a 512-bit modulus). Our canonical name
            // is in `quantun:algorithm`. Suites, groups and hybrids have no
            // such component name and keep the canonical one.
            let name = if f.asset_type.as_deref() == Some("algorithm") {
                f.asset_name.clone()
            } else {
                f.algorithm.clone()
            };
            ("algorithm", name)
        }
    };
    cp.insert("assetType".into(), asset_type.into());
    if let Some(o) = &f.oid {
        cp.insert("oid".into(), o.clone().into());
    }
    c.insert("name".into(), name.into());
    c.insert("cryptoProperties".into(), cp.into());
    let mut props = vec![
        prop("quantun:finding_id", &f.id),
        prop("quantun:asset_type", f.asset_type.as_deref().unwrap_or("")),
        prop("quantun:usage", f.usage.as_deref().unwrap_or("")),
        prop("quantun:algorithm", &f.algorithm),
        prop("quantun:quantum_threat", &f.quantum_threat),
        prop("quantun:severity", &f.severity),
        prop("quantun:risk_score", &format!("{:.2}", f.risk_score)),
        prop("quantun:policy_status", &f.policy_status),
        prop("quantun:priority", &f.priority.to_string()),
        prop("quantun:occurrences", &f.occurrences.to_string()),
    ];
    for (k, v) in [
        ("quantun:nist_deprecated_after", f.nist_deprecated_year),
        ("quantun:nist_disallowed_after", f.nist_disallowed_year),
    ] {
        if let Some(y) = v {
            props.push(prop(k, &y.to_string()));
        }
    }
    if let Some(v) = &f.policy_verdict {
        props.push(prop("quantun:policy_verdict", v));
    }
    if let Some(l) = &f.lane {
        props.push(prop("quantun:lane", l));
    }
    if let Some(k) = f.horizon.as_ref().and_then(|h| h.get("kind")?.as_str()) {
        props.push(prop("quantun:horizon", k));
    }
    if let Some(y) = f
        .mosca
        .as_ref()
        .and_then(|m| m.get("latest_start_year")?.as_i64())
    {
        props.push(prop("quantun:latest_start_year", &y.to_string()));
    }
    if let Some(r) = &f.recommendation {
        props.push(prop("quantun:recommendation", r));
    }
    for check in f.checks.as_array().into_iter().flatten() {
        if let Some(code) = check.get("code").and_then(Value::as_str) {
            props.push(prop("quantun:check", code));
        }
    }
    c.insert("properties".into(), props.into());
    Value::Object(c)
}
