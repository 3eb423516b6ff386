//! Bounded memory, measured on the real binary: the peak resident set
//! (`VmHWM` of `/proc/<pid>/status`) of a risk-api child process while it
//! refuses an amplifying CBOM and while it streams a 100,000-finding report.
//! The 256 MiB ceiling is the one issue 15 sets; the figures are printed so
//! a run shows how far below it they are.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use shared::auth::{JwtKeys, Role};
use sqlx::PgPool;

const CDX: &str = "application/vnd.cyclonedx+json";
const CEILING: u64 = 256 * 1024 * 1024;

fn token(role: Role, org: Option<&str>) -> String {
    let jwt = JwtKeys::new(
        "QUANTUN_JWT_SECRET",
        &shared::config::Secret::new(SECRET.to_owned()),
        "qrap",
        risk_api::config::JWT_AUDIENCE,
        std::time::Duration::from_secs(600),
    )
    .unwrap();
    jwt.issue("tester@example.com", role, org).unwrap().0
}

/// One protocol whose single cipher suite names one algorithm 200,000
/// times: ~2 MB of text that the old importer expanded into one record per
/// reference (~750 MB) before its limit check.
fn amplifying_cbom() -> Vec<u8> {
    let mut refs = String::with_capacity(200_000 * 6);
    for i in 0..200_000 {
        if i > 0 {
            refs.push(',');
        }
        refs.push_str("\"alg\"");
    }
    format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","components":[
        {{"type":"cryptographic-asset","bom-ref":"alg","name":"AES-128-GCM","cryptoProperties":{{"assetType":"algorithm","algorithmProperties":{{"primitive":"ae"}}}}}},
        {{"type":"cryptographic-asset","bom-ref":"tls","name":"TLS","cryptoProperties":{{"assetType":"protocol","protocolProperties":{{"type":"tls","version":"1.3",
          "cipherSuites":[{{"name":"TLS_AES_128_GCM_SHA256","algorithms":[{refs}]}}]}}}}}}]}}"#
    )
    .into_bytes()
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn amplifying_cbom_is_refused_with_bounded_memory(pool: PgPool) {
    let api = ChildApi::start(&pool, "http://127.0.0.1:9", &[]).await;
    let org: String = sqlx::query_scalar(
        "INSERT INTO organizations (id, name) VALUES ('org_' || md5('amp'), 'Amp') RETURNING id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let op = token(Role::Operator, Some(&org));
    let r = shared::test_util::client()
        .post(api.url("/api/v1/assessments"))
        .bearer_auth(&op)
        .header("content-type", CDX)
        .body(amplifying_cbom())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["errors"][0]["field"], "components", "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("more than 100000"),
        "{v}"
    );
    let peak = api.peak_rss();
    eprintln!("amplifying CBOM: peak RSS {} MiB", peak / (1024 * 1024));
    assert!(peak < CEILING, "peak RSS {peak} bytes");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM assessments")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

/// A completed assessment with `n` findings written straight into the
/// database (the report is under test, not the scoring), with factors and
/// recommendations the size the ML engine writes.
async fn big_assessment(pool: &PgPool, n: i64) -> (String, String) {
    let org: String = sqlx::query_scalar(
        "INSERT INTO organizations (id, name) VALUES ('org_' || md5('big'), 'Big') RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let id: String = sqlx::query_scalar(
        "INSERT INTO assessments (id, organization_id, name, status, source_format, asset_count, completed_at)
         VALUES ('asmnt_' || md5('big'), $1, 'big', 'completed', 'inventory', $2, now()) RETURNING id",
    )
    .bind(&org)
    .bind(i32::try_from(n).unwrap())
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query(
        r#"INSERT INTO findings (id, assessment_id, organization_id, asset_name, asset_ref, algorithm, parameter, usage,
               quantum_threat, risk_score, severity, nist_deprecated_year, nist_disallowed_year, policy_status,
               recommendation, priority, factors)
           SELECT 'fnd_' || md5(i::text), $1, $2, 'service ' || i || ' TLS key exchange', 'crypto/' || i, 'RSA-2048', '2048',
                  'key_exchange', 'shor', 80.5, 'HIGH', 2030, 2035, 'deprecated',
                  'Migrate to ML-KEM-768 (FIPS 203) or a hybrid such as X25519MLKEM768 before 2030.', i,
                  '[{"name":"quantum_threat","value":"shor","weight":0.4},{"name":"exposure","value":"internet","weight":0.2},{"name":"policy","value":"deprecated after 2030","weight":0.2}]'::jsonb
           FROM generate_series(1, $3) AS i"#,
    )
    .bind(&id)
    .bind(&org)
    .bind(i32::try_from(n).unwrap())
    .execute(pool)
    .await
    .unwrap();
    (org, id)
}

#[sqlx::test(migrator = "risk_api::MIGRATOR")]
async fn a_100k_finding_csv_report_streams_with_bounded_memory(pool: PgPool) {
    let (org, id) = big_assessment(&pool, 100_000).await;
    let api = ChildApi::start(
        &pool,
        "http://127.0.0.1:9",
        &[("QRAP_REPORT_CONCURRENCY", "1")],
    )
    .await;
    let viewer = token(Role::Viewer, Some(&org));
    let c = shared::test_util::client();
    let url = api.url(&format!("/api/v1/assessments/{id}/report?format=csv"));

    api.reset_peak_rss();
    let r = c.get(&url).bearer_auth(&viewer).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    // While this report is being produced (we read nothing yet), the one
    // slot of QRAP_REPORT_CONCURRENCY=1 is taken: 429 with Retry-After.
    let busy = c.get(&url).bearer_auth(&viewer).send().await.unwrap();
    assert_eq!(busy.status(), 429);
    assert!(busy.headers().contains_key("retry-after"));

    let mut r = r;
    let (mut bytes, mut lines) = (0_usize, 0_usize);
    let mut first = Vec::new();
    while let Some(chunk) = r.chunk().await.unwrap() {
        if first.len() < 200 {
            first.extend_from_slice(&chunk[..chunk.len().min(200)]);
        }
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    assert_eq!(lines, 100_001, "a header line and one line per finding");
    assert!(String::from_utf8_lossy(&first).starts_with("priority,severity,risk_score"));
    let peak = api.peak_rss();
    eprintln!(
        "100,000-finding CSV report ({} MiB): peak RSS {} MiB",
        bytes / (1024 * 1024),
        peak / (1024 * 1024)
    );
    assert!(peak < CEILING, "peak RSS {peak} bytes");
    // The body was larger than the peak could hold many copies of.
    assert!(bytes > 10 * 1024 * 1024);

    // The slot is free again once the report is sent.
    let mut ok = false;
    for _ in 0..50 {
        let r = c.get(&url).bearer_auth(&viewer).send().await.unwrap();
        if r.status() == 200 {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ok, "the report slot was never released");
}
