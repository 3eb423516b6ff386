//! Batched inserts of what gateways report: TLS session records and
//! threat events, one statement per batch (UNNEST over column arrays).
//! Ids come from the gateways, so a re-sent batch inserts nothing twice
//! (`ON CONFLICT (id) DO NOTHING`).

use sqlx::PgPool;

use shared::ids::{ThreatId, TlsSessionId};
use shared::qsgw::{ThreatRecord, TlsSessionRecord};

/// Which of `ids` name registered gateways.
#[tracing::instrument(level = "debug", skip(pool, ids), fields(ids = ids.len()), err)]
pub async fn known_gateways(pool: &PgPool, ids: &[String]) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!("SELECT id FROM gateways WHERE id = ANY($1::text[])", ids)
        .fetch_all(pool)
        .await
}

/// Inserts validated TLS session records; how many were new.
#[tracing::instrument(level = "debug", skip_all, fields(records = recs.len()), err)]
pub async fn insert_tls_sessions(
    pool: &PgPool,
    recs: &[TlsSessionRecord],
) -> Result<u64, sqlx::Error> {
    let text = |f: fn(&TlsSessionRecord) -> Option<String>| recs.iter().map(f).collect::<Vec<_>>();
    let done = sqlx::query!(
        "INSERT INTO tls_sessions (id, gateway_id, client_ip, sni, protocol_version, cipher_suite,
            kx_group, pqc, resumed, alpn, handshake_duration_us, established_at, outcome, failure_reason,
            offered_groups, policy, route_id, client_family, offered_sig_algs, cert_algorithm)
         SELECT id, gw, ip::inet, sni, pv, cs, kx, pqc, resumed, alpn, dur, est, outcome, reason,
                CASE WHEN og IS NULL THEN NULL WHEN og = '' THEN '{}'::text[] ELSE string_to_array(og, ',') END,
                pol, rt, fam,
                CASE WHEN sa IS NULL THEN NULL WHEN sa = '' THEN '{}'::text[] ELSE string_to_array(sa, ',') END,
                cert
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::text[], $8::bool[], $9::bool[], $10::text[], $11::int8[], $12::timestamptz[],
                     $13::text[], $14::text[], $15::text[], $16::text[], $17::text[], $18::text[],
                     $19::text[], $20::text[])
              AS t(id, gw, ip, sni, pv, cs, kx, pqc, resumed, alpn, dur, est, outcome, reason, og, pol, rt, fam, sa, cert)
         ON CONFLICT (id) DO NOTHING",
        &recs
            .iter()
            .map(|r| r.id.clone().unwrap_or_else(|| TlsSessionId::new().to_string()))
            .collect::<Vec<_>>(),
        &text(|r| r.gateway_id.clone()) as &[Option<String>],
        &recs.iter().map(|r| r.client_ip.clone()).collect::<Vec<_>>(),
        &text(|r| r.sni.clone()) as &[Option<String>],
        &text(|r| r.protocol_version.clone()) as &[Option<String>],
        &text(|r| r.cipher_suite.clone()) as &[Option<String>],
        &text(|r| r.kx_group.clone()) as &[Option<String>],
        &recs.iter().map(|r| r.pqc).collect::<Vec<_>>(),
        &recs.iter().map(|r| r.resumed).collect::<Vec<_>>(),
        &text(|r| r.alpn.clone()) as &[Option<String>],
        &recs.iter().map(|r| r.handshake_duration_us).collect::<Vec<_>>() as &[Option<i64>],
        &recs.iter().map(|r| r.established_at).collect::<Vec<_>>(),
        &recs
            .iter()
            .map(|r| r.outcome.as_deref().unwrap_or("established").to_owned())
            .collect::<Vec<_>>(),
        &text(|r| r.failure_reason.clone()) as &[Option<String>],
        // Comma-joined: UNNEST cannot take a ragged text[][]; names were
        // checked by the handler to hold no comma.
        &text(|r| r.offered_groups.as_ref().map(|g| g.join(","))) as &[Option<String>],
        &text(|r| r.policy.as_deref().map(str::to_owned)) as &[Option<String>],
        &text(|r| r.route_id.clone()) as &[Option<String>],
        &text(|r| r.client_family.clone()) as &[Option<String>],
        &text(|r| r.offered_sig_algs.as_ref().map(|g| g.join(","))) as &[Option<String>],
        &text(|r| r.cert_algorithm.as_deref().map(str::to_owned)) as &[Option<String>]
    )
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// Inserts validated threat events and, when `webhooks` is on, queues a
/// `threat.detected` delivery for each new one at or above `min_severity`
/// in the same statement (so the outbox never misses one); how many events
/// were new and how many deliveries were queued.
#[tracing::instrument(level = "debug", skip_all, fields(records = recs.len(), webhooks), err)]
pub async fn insert_threats(
    pool: &PgPool,
    recs: &[ThreatRecord],
    webhooks: bool,
    min_severity: &str,
) -> Result<(i64, i64), sqlx::Error> {
    let text = |f: fn(&ThreatRecord) -> Option<String>| recs.iter().map(f).collect::<Vec<_>>();
    let name = |f: fn(&ThreatRecord) -> String| recs.iter().map(f).collect::<Vec<_>>();
    let score = |f: fn(&ThreatRecord) -> Option<f64>| {
        // The columns are float4, as the scores were always stored.
        #[allow(clippy::cast_possible_truncation)]
        recs.iter()
            .map(|r| f(r).map(|s| s as f32))
            .collect::<Vec<_>>()
    };
    let row = sqlx::query!(
        r#"WITH ins AS (
            INSERT INTO threat_events (id, gateway_id, client_ip, user_agent, route_id, method, path,
                threat_type, severity, anomaly_score, bot_score, reasons, action_taken, detected_at)
            SELECT id, gw, ip::inet, ua, rt, m, p, tt, sev, an, bo, rs, act, det
            FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                        $7::text[], $8::text[], $9::text[], $10::float4[], $11::float4[],
                        $12::jsonb[], $13::text[], $14::timestamptz[])
                 AS t(id, gw, ip, ua, rt, m, p, tt, sev, an, bo, rs, act, det)
            ON CONFLICT (id) DO NOTHING
            RETURNING *
         ), wh AS (
            INSERT INTO webhook_deliveries (id, threat_event_id, event_type, payload)
            SELECT 'whd_' || replace(gen_random_uuid()::text, '-', ''), ins.id, 'threat.detected',
                   jsonb_build_object('type', 'threat.detected', 'threat', jsonb_build_object(
                     'id', ins.id, 'gateway_id', ins.gateway_id, 'client_ip', host(ins.client_ip),
                     'user_agent', ins.user_agent, 'route_id', ins.route_id, 'method', ins.method,
                     'path', ins.path, 'threat_type', ins.threat_type, 'severity', ins.severity,
                     'anomaly_score', ins.anomaly_score, 'bot_score', ins.bot_score,
                     'reasons', ins.reasons, 'action_taken', ins.action_taken,
                     'detected_at', ins.detected_at))
            FROM ins
            WHERE $15::bool
              AND array_position(ARRAY['LOW','MEDIUM','HIGH','CRITICAL'], ins.severity)
                  >= array_position(ARRAY['LOW','MEDIUM','HIGH','CRITICAL'], $16::text)
            RETURNING 1
         )
         SELECT (SELECT count(*) FROM ins) AS "inserted!", (SELECT count(*) FROM wh) AS "queued!""#,
        &recs
            .iter()
            .map(|r| r.id.clone().unwrap_or_else(|| ThreatId::new().to_string()))
            .collect::<Vec<_>>(),
        &text(|r| r.gateway_id.clone()) as &[Option<String>],
        &name(|r| r.client_ip.clone()),
        &text(|r| r.user_agent.clone()) as &[Option<String>],
        &text(|r| r.route_id.clone()) as &[Option<String>],
        &text(|r| r.method.clone()) as &[Option<String>],
        &text(|r| r.path.clone()) as &[Option<String>],
        &name(|r| r.threat_type.to_string()),
        &name(|r| r.severity.to_string()),
        &score(|r| r.anomaly_score) as &[Option<f32>],
        &score(|r| r.bot_score) as &[Option<f32>],
        &recs
            .iter()
            .map(|r| serde_json::json!(r.reasons))
            .collect::<Vec<_>>(),
        &name(|r| r.action_taken.to_string()),
        &recs.iter().map(|r| r.detected_at).collect::<Vec<_>>(),
        webhooks,
        min_severity
    )
    .fetch_one(pool)
    .await?;
    Ok((row.inserted, row.queued))
}
