//! SQL. Runtime queries with binds; NUMERIC read as `::float8`. Every
//! mutation takes the caller's transaction so the audit row lands with it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use crate::domain::summary::{NewFinding, Summary};

/// Who did something, for the audit log.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Subject (`service:<name>` for API keys, `system:risk-api` for the runner).
    pub subject: String,
    /// Role, when a caller.
    pub role: Option<&'static str>,
    /// Request id, when from a request.
    pub request_id: Option<String>,
}

impl Actor {
    /// The background assessment runner.
    pub fn system() -> Self {
        Self {
            subject: "system:risk-api".into(),
            role: None,
            request_id: None,
        }
    }
}

/// Appends an audit row (the chain trigger fills id and hashes).
pub async fn audit(
    conn: &mut PgConnection,
    actor: &Actor,
    org: Option<&str>,
    action: &str,
    resource_type: &str,
    resource_id: &str,
    details: Value,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO qrap_audit_log (organization_id, actor, actor_role, action, resource_type, resource_id, details, request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(org)
    .bind(&actor.subject)
    .bind(actor.role)
    .bind(action)
    .bind(resource_type)
    .bind(resource_id)
    .bind(details)
    .bind(actor.request_id.as_deref().map(|r| r.chars().take(255).collect::<String>()))
    .execute(conn)
    .await?;
    Ok(())
}

/// An organization.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Organization {
    /// `org_` followed by 32 hex digits, assigned at creation.
    pub id: String,
    /// Name (unique, case-insensitive).
    pub name: String,
    /// Free text, at most 2000 characters.
    pub description: Option<String>,
    /// Starts at 1 and grows by one at each update.
    pub version: i64,
    /// When the organization was created.
    pub created_at: DateTime<Utc>,
    /// When the organization was last changed.
    pub updated_at: DateTime<Utc>,
}

/// An assessment (without its source document).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Assessment {
    /// `asmnt_` followed by 32 hex digits, assigned at upload.
    pub id: String,
    /// Id (`org_…`) of the organization that owns the assessment.
    pub organization_id: String,
    /// Name given at upload, 1..200 characters.
    pub name: String,
    /// Free text given at upload, at most 4000 characters.
    pub description: Option<String>,
    /// pending | running | completed | failed.
    pub status: String,
    /// inventory | cyclonedx | qsgw-runtime-cbom (pulled from a QSGW control plane).
    pub source_format: String,
    /// The QSGW control plane a `qsgw-runtime-cbom` was pulled from (never its key).
    pub source_url: Option<String>,
    /// CycloneDX specVersion.
    pub source_spec_version: Option<String>,
    /// Assets to score.
    pub asset_count: i32,
    /// Progress of a running assessment: assets scored so far (equal to
    /// `asset_count` once completed).
    pub assets_scored: i32,
    /// 0..100 once completed.
    pub overall_risk_score: Option<f64>,
    /// CRITICAL findings.
    pub critical_count: i32,
    /// HIGH findings.
    pub high_count: i32,
    /// MEDIUM findings.
    pub medium_count: i32,
    /// LOW findings.
    pub low_count: i32,
    /// INFO findings.
    pub info_count: i32,
    /// Share of quantum-safe assets.
    pub pqc_readiness_pct: Option<f64>,
    /// Earliest IR 8547 deadline among findings.
    pub earliest_deadline_year: Option<i32>,
    /// Why it failed.
    pub failure_reason: Option<String>,
    /// CBOM uploaded with `strict=false`: the schema violations whose
    /// components/dependency entries were skipped (`[{pointer, message}]`).
    pub import_skipped: Option<Value>,
    /// Scoring defaults given at upload (an asset's own value wins):
    /// `data_shelf_life_years`, `migration_time_years`, `validity_years`,
    /// `exposure`, `criticality`, `crqc_timeline`, `cnsa2_category`.
    #[schema(value_type = crate::domain::inputs::Defaults)]
    pub defaults: Value,
    /// Distinct assets (a CBOM bom-ref, or an inventory's name + algorithm
    /// + parameter + usage): what the overall score and readiness count.
    pub distinct_asset_count: Option<i32>,
    /// Distinct public-key assets (the readiness denominator).
    pub pqc_relevant_assets: Option<i32>,
    /// Distinct public-key assets already post-quantum (the readiness
    /// numerator); null for runs stored before it was kept.
    pub quantum_safe_assets: Option<i32>,
    /// Distinct hash/XOF assets: outside the quantum-safe share, shown apart.
    pub hash_assets: Option<i32>,
    /// Distinct symmetric assets (ciphers, AEAD, MAC, KDF, key wrap,
    /// DRBG): outside the quantum-safe share, shown apart.
    pub symmetric_assets: Option<i32>,
    /// Distinct assets per lane: quantum, hygiene, identify, safe.
    pub lane_counts: Option<Value>,
    /// The ML engine's CRQC timeline data version of the last run.
    pub crqc_timelines_version: Option<String>,
    /// Runs started (a run interrupted by a crash or deploy is taken over
    /// by another worker: one more attempt).
    pub attempts: i32,
    /// Subject of the caller who uploaded it (`service:<name>` for an API key).
    pub created_by: Option<String>,
    /// Scoring started.
    pub started_at: Option<DateTime<Utc>>,
    /// Scoring finished.
    pub completed_at: Option<DateTime<Utc>>,
    /// Starts at 1 and grows by one at each change (run progress, completion, rerun).
    pub version: i64,
    /// When the assessment was uploaded.
    pub created_at: DateTime<Utc>,
    /// When the assessment last changed.
    pub updated_at: DateTime<Utc>,
}

/// Columns of [`Assessment`].
pub const ASSESSMENT_COLS: &str = "id, organization_id, name, description, status, source_format, source_url, source_spec_version, asset_count, assets_scored, overall_risk_score::float8 AS overall_risk_score, critical_count, high_count, medium_count, low_count, info_count, pqc_readiness_pct::float8 AS pqc_readiness_pct, earliest_deadline_year, failure_reason, import_skipped, defaults, distinct_asset_count, pqc_relevant_assets, quantum_safe_assets, hash_assets, symmetric_assets, lane_counts, crqc_timelines_version, attempts, created_by, started_at, completed_at, version, created_at, updated_at";

/// A finding.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Finding {
    /// `fnd_` followed by 32 hex digits, assigned when the run stores the finding.
    pub id: String,
    /// Id (`asmnt_…`) of the assessment whose run produced the finding.
    pub assessment_id: String,
    /// Id (`org_…`) of the organization that owns the assessment.
    pub organization_id: String,
    /// Asset name.
    pub asset_name: String,
    /// CycloneDX bom-ref.
    pub asset_ref: Option<String>,
    /// Asset type.
    pub asset_type: Option<String>,
    /// Algorithm (canonical when known).
    pub algorithm: String,
    /// Parameter as found.
    pub parameter: Option<String>,
    /// What the asset is used for: `key_exchange`, `signature`, `encryption`,
    /// `hash`, `mac`, `kdf`, `certificate`, `protocol` or `other`; null when
    /// not stated.
    pub usage: Option<String>,
    /// shor | grover | none | classically_weak | unknown.
    pub quantum_threat: String,
    /// 0..100.
    pub risk_score: f64,
    /// `CRITICAL`, `HIGH`, `MEDIUM`, `LOW` or `INFO`: the ML engine's band for
    /// the score, raised by the structural checks.
    pub severity: String,
    /// IR 8547 deprecated after.
    pub nist_deprecated_year: Option<i32>,
    /// IR 8547 disallowed after.
    pub nist_disallowed_year: Option<i32>,
    /// Status today.
    pub policy_status: String,
    /// Mosca exposed.
    pub mosca_exposed: Option<bool>,
    /// Mosca margin.
    pub mosca_margin_years: Option<f64>,
    /// What to do.
    pub recommendation: Option<String>,
    /// 1 = fix first.
    pub priority: i32,
    /// Explaining factors.
    pub factors: Value,
    /// CBOM claims that differ from ours.
    pub document_disagreement: Option<Value>,
    /// CBOM: paths of bom-refs reaching the asset (up to 16).
    pub paths: Value,
    /// CBOM: number of paths reaching the asset (1 for inventories).
    pub occurrences: i32,
    /// Structural checks applied to the score.
    pub checks: Value,
    /// CBOM: certificate notValidAfter / key expirationDate.
    pub valid_until: Option<String>,
    /// CBOM: the component's oid.
    pub oid: Option<String>,
    /// CBOM: the algorithm's `cryptoFunctions` (`[]` when not given).
    pub crypto_functions: Value,
    /// The ML engine's status today under the selected pack, in its six
    /// values (`legacy_use`: verify- or decrypt-only use; `not_approved`),
    /// raised by the checks; `policy_status` is its four-value projection.
    pub policy_verdict: Option<String>,
    /// CBOM: evidence locations.
    pub locations: Value,
    /// Which lane ranks it: quantum (exposure to a CRQC), hygiene (weak
    /// today), identify (unknown name) or safe.
    pub lane: Option<String>,
    /// The horizon of its quantum finding: `{kind, years, why}`
    /// (confidentiality: x + y; authenticity: y + validity; symmetric).
    pub horizon: Option<Value>,
    /// Mosca made explicit: `shelf_life_years` (x), `migration_years` (y),
    /// `validity_years`, `horizon_years`, the chosen `band`, its
    /// `crqc_probability` and `margin_years`, `latest_start_year`, and
    /// `bands[]` with the same per band.
    pub mosca: Option<Value>,
    /// Quantum lane score.
    pub quantum_score: Option<f64>,
    /// Hygiene lane score.
    pub hygiene_score: Option<f64>,
    /// Whether its rank holds under every CRQC timeline band.
    pub rank_holds_across_bands: Option<bool>,
    /// Computed NIST PQ security category, when known.
    pub nist_quantum_level: Option<i32>,
    /// Computed classical strength in bits, when known.
    pub classical_level: Option<i32>,
    /// When the run stored the finding.
    pub created_at: DateTime<Utc>,
}

/// Columns of [`Finding`].
pub const FINDING_COLS: &str = "id, assessment_id, organization_id, asset_name, asset_ref, asset_type, algorithm, parameter, usage, quantum_threat, risk_score::float8 AS risk_score, severity, nist_deprecated_year, nist_disallowed_year, policy_status, mosca_exposed, mosca_margin_years::float8 AS mosca_margin_years, recommendation, priority, factors, document_disagreement, paths, occurrences, checks, valid_until, oid, locations, nist_quantum_level, classical_level, crypto_functions, policy_verdict, lane, horizon, mosca, quantum_score::float8 AS quantum_score, hygiene_score::float8 AS hygiene_score, rank_holds_across_bands, created_at";

/// One assessment, restricted to `org` when given (tenancy).
pub async fn get_assessment(
    pool: &PgPool,
    id: &str,
    org: Option<&str>,
) -> Result<Option<Assessment>, sqlx::Error> {
    sqlx::query_as::<_, Assessment>(&format!(
        "SELECT {ASSESSMENT_COLS} FROM assessments WHERE id = $1 AND ($2::text IS NULL OR organization_id = $2)"
    ))
    .bind(id)
    .bind(org)
    .fetch_optional(pool)
    .await
}

const CHUNK: usize = 2_000;

/// Inserts findings in batches (UNNEST over column arrays).
pub async fn insert_findings(
    conn: &mut PgConnection,
    assessment_id: &str,
    org: &str,
    findings: &[NewFinding],
) -> Result<(), sqlx::Error> {
    for chunk in findings.chunks(CHUNK) {
        let mut ids = Vec::with_capacity(chunk.len());
        let (mut names, mut refs, mut types, mut algs, mut params, mut usages) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        let (mut threats, mut scores, mut sevs, mut dep, mut dis, mut pol) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        let (mut exposed, mut margin, mut recs, mut prio, mut factors, mut disagree) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        let (mut paths, mut occ, mut checks, mut until, mut oids, mut locs) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        let (mut nql, mut cl, mut funcs, mut verdicts) = (vec![], vec![], vec![], vec![]);
        let (mut lanes, mut horizons, mut moscas, mut qs, mut hs, mut holds) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for f in chunk {
            ids.push(shared::ids::FindingId::new().as_str().to_owned());
            names.push(f.asset.name.clone());
            refs.push(f.asset.asset_ref.clone());
            types.push(f.asset.asset_type.clone());
            algs.push(f.ml.algorithm.chars().take(200).collect::<String>());
            params.push(f.asset.parameter.clone());
            usages.push(f.asset.usage.clone());
            threats.push(f.ml.quantum_threat.clone());
            scores.push(f.ml.risk_score);
            sevs.push(f.ml.severity.clone());
            dep.push(f.ml.deprecated_after);
            dis.push(f.ml.disallowed_after);
            pol.push(f.ml.policy_status.clone());
            exposed.push(f.ml.mosca_exposed());
            margin.push(f.ml.mosca_margin_years());
            lanes.push(
                f.ml.lane
                    .clone()
                    .filter(|l| matches!(l.as_str(), "quantum" | "hygiene" | "identify" | "safe")),
            );
            horizons.push(
                f.ml.horizon
                    .as_ref()
                    .filter(|h| h.is_object())
                    .map(Value::to_string),
            );
            moscas.push(
                f.ml.mosca
                    .as_ref()
                    .filter(|m| m.is_object())
                    .map(Value::to_string),
            );
            let lane_score = |v: Option<f64>| v.filter(|v| (0.0..=100.0).contains(v));
            qs.push(lane_score(f.ml.quantum_score));
            hs.push(lane_score(f.ml.hygiene_score));
            holds.push(f.ml.rank_holds_across_bands);
            recs.push(f.ml.recommendation.clone());
            prio.push(f.priority);
            factors.push(f.ml.factors.to_string());
            disagree.push(f.disagreement.as_ref().map(Value::to_string));
            paths.push(serde_json::to_string(&f.asset.paths).unwrap_or_else(|_| "[]".into()));
            occ.push(i32::try_from(f.asset.occurrences).unwrap_or(i32::MAX));
            checks.push(serde_json::to_string(&f.asset.checks).unwrap_or_else(|_| "[]".into()));
            until.push(f.asset.valid_until.clone());
            oids.push(f.asset.oid.clone());
            locs.push(serde_json::to_string(&f.asset.locations).unwrap_or_else(|_| "[]".into()));
            funcs.push(
                serde_json::to_string(&f.asset.crypto_functions).unwrap_or_else(|_| "[]".into()),
            );
            verdicts.push(
                f.ml.status
                    .clone()
                    .filter(|v| crate::domain::summary::VERDICTS.contains(&v.as_str())),
            );
            nql.push(
                f.ml.nist_pq_category
                    .and_then(|v| i32::try_from(v).ok())
                    .filter(|v| (0..=6).contains(v)),
            );
            cl.push(
                f.ml.classical_bits
                    .and_then(|v| i32::try_from(v).ok())
                    .filter(|v| *v >= 0),
            );
        }
        sqlx::query(
            "INSERT INTO findings (id, assessment_id, organization_id, asset_name, asset_ref, asset_type, algorithm, parameter, usage,
                 quantum_threat, risk_score, severity, nist_deprecated_year, nist_disallowed_year, policy_status,
                 mosca_exposed, mosca_margin_years, recommendation, priority, factors, document_disagreement,
                 paths, occurrences, checks, valid_until, oid, locations, nist_quantum_level, classical_level,
                 crypto_functions, policy_verdict, lane, horizon, mosca, quantum_score, hygiene_score,
                 rank_holds_across_bands)
             SELECT t.id, $2, $3, t.name, t.ref, t.typ, t.alg, t.param, t.usage, t.threat, t.score, t.sev, t.dep, t.dis, t.pol,
                    t.exposed, t.margin, t.rec, t.prio, t.factors::jsonb, t.disagree::jsonb,
                    t.paths::jsonb, t.occ, t.checks::jsonb, t.until, t.oid, t.locs::jsonb, t.nql, t.cl,
                    t.funcs::jsonb, t.verdict, t.lane, t.horizon::jsonb, t.mosca::jsonb, t.qs, t.hs, t.holds
             FROM UNNEST($1::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                         $11::float8[], $12::text[], $13::int4[], $14::int4[], $15::text[], $16::bool[], $17::float8[],
                         $18::text[], $19::int4[], $20::text[], $21::text[],
                         $22::text[], $23::int4[], $24::text[], $25::text[], $26::text[], $27::text[],
                         $28::int4[], $29::int4[], $30::text[], $31::text[],
                         $32::text[], $33::text[], $34::text[], $35::float8[], $36::float8[], $37::bool[])
                  AS t(id, name, ref, typ, alg, param, usage, threat, score, sev, dep, dis, pol, exposed, margin, rec, prio, factors, disagree,
                       paths, occ, checks, until, oid, locs, nql, cl, funcs, verdict, lane, horizon, mosca, qs, hs, holds)",
        )
        .bind(&ids)
        .bind(assessment_id)
        .bind(org)
        .bind(&names)
        .bind(&refs)
        .bind(&types)
        .bind(&algs)
        .bind(&params)
        .bind(&usages)
        .bind(&threats)
        .bind(&scores)
        .bind(&sevs)
        .bind(&dep)
        .bind(&dis)
        .bind(&pol)
        .bind(&exposed)
        .bind(&margin)
        .bind(&recs)
        .bind(&prio)
        .bind(&factors)
        .bind(&disagree)
        .bind(&paths)
        .bind(&occ)
        .bind(&checks)
        .bind(&until)
        .bind(&oids)
        .bind(&locs)
        .bind(&nql)
        .bind(&cl)
        .bind(&funcs)
        .bind(&verdicts)
        .bind(&lanes)
        .bind(&horizons)
        .bind(&moscas)
        .bind(&qs)
        .bind(&hs)
        .bind(&holds)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Marks an assessment completed with its summary.
pub async fn complete(
    conn: &mut PgConnection,
    id: &str,
    asset_count: usize,
    s: &Summary,
    crqc_timelines_version: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE assessments SET status = 'completed', asset_count = $2, overall_risk_score = $3, critical_count = $4,
             high_count = $5, medium_count = $6, low_count = $7, info_count = $8, pqc_readiness_pct = $9,
             earliest_deadline_year = $10, distinct_asset_count = $11, pqc_relevant_assets = $12,
             lane_counts = $13, crqc_timelines_version = $14,
             quantum_safe_assets = $15, hash_assets = $16, symmetric_assets = $17,
             failure_reason = NULL, completed_at = now(), updated_at = now(),
             lease_owner = NULL, lease_expires_at = NULL, assets_scored = $2, version = version + 1
         WHERE id = $1",
    )
    .bind(id)
    .bind(i32::try_from(asset_count).unwrap_or(i32::MAX))
    .bind(s.overall_risk_score)
    .bind(s.critical)
    .bind(s.high)
    .bind(s.medium)
    .bind(s.low)
    .bind(s.info)
    .bind(s.pqc_readiness_pct)
    .bind(s.earliest_deadline_year)
    .bind(s.distinct_assets)
    .bind(s.pqc_relevant_assets)
    .bind(serde_json::to_value(&s.lanes).unwrap_or(Value::Null))
    .bind(crqc_timelines_version)
    .bind(s.quantum_safe_assets)
    .bind(s.hash_assets)
    .bind(s.symmetric_assets)
    .execute(conn)
    .await?;
    Ok(())
}
