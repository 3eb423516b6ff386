//! Findings: written in bulk by a run, streamed by the reports and the
//! CBOM export. (Findings with their triage are read in [`super::triage`].)

use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use crate::domain::summary::NewFinding;

/// One scored cryptographic asset of an assessment (a `findings` row, written by the
/// assessment's run): what was found, how the ML engine rated it, and what to do.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Finding {
    /// `fnd_` followed by 32 hex digits, assigned when the run stores the finding.
    pub id: String,
    /// Id (`asmnt_…`) of the assessment whose run produced the finding.
    pub assessment_id: String,
    /// Id (`org_…`) of the organization that owns the assessment.
    pub organization_id: String,
    /// Where the algorithm is used: the inventory asset's `name`, or the CBOM component's name
    /// (1..1000 characters).
    pub asset_name: String,
    /// CycloneDX bom-ref.
    pub asset_ref: Option<String>,
    /// Kind of asset: the CBOM component's `assetType` (e.g. `algorithm`, `certificate`,
    /// `protocol`) or the inventory's free-form `asset_type`; at most 64 characters.
    pub asset_type: Option<String>,
    /// Algorithm (canonical when known).
    pub algorithm: String,
    /// Key size, curve or parameter set as the document gave it, e.g. `2048`, `P-256`, `ML-KEM-768`.
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
    /// `acceptable`, `deprecated`, `disallowed` or `unknown` today under the selected policy: the
    /// four-value projection of `policy_verdict`.
    pub policy_status: String,
    /// Mosca's inequality under the chosen CRQC band: true when the horizon H (shelf life +
    /// migration time; for signatures migration time + validity) exceeds the years to a CRQC.
    /// Null when the engine gave no Mosca.
    pub mosca_exposed: Option<bool>,
    /// Mosca's slack in years under the chosen band: years to a CRQC minus the horizon H;
    /// negative means exposed. Null when the engine gave no Mosca.
    pub mosca_margin_years: Option<f64>,
    /// The ML engine's remediation advice for the asset.
    pub recommendation: Option<String>,
    /// 1 = fix first.
    pub priority: i32,
    /// JSON array of the factors behind the score (`factor`, `points`, `detail`), as the ML engine
    /// sent them.
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
    /// Score 0..100 in the quantum lane (exposure to a CRQC); null when the engine sent none or a
    /// value outside that range.
    pub quantum_score: Option<f64>,
    /// Score 0..100 in the hygiene lane (weak today); null when the engine sent none or a value
    /// outside that range.
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

/// An assessment's findings in priority order, read from a database
/// cursor as the consumer asks for them (a report's memory does not grow
/// with the assessment); at most `limit` rows when given.
#[tracing::instrument(level = "debug", skip(pool))]
pub fn stream<'a>(
    pool: &'a PgPool,
    assessment_id: &'a str,
    limit: Option<i64>,
) -> BoxStream<'a, Result<Finding, sqlx::Error>> {
    finding_query!(
        "WHERE assessment_id = $1 ORDER BY priority ASC, id ASC LIMIT $2",
        assessment_id,
        limit
    )
    .fetch(pool)
}

/// Deletes an assessment's findings: a new run replaces them whole, in
/// the transaction that writes the new ones (or re-queues the assessment).
#[tracing::instrument(level = "debug", skip(conn), err(level = "debug"))]
pub async fn delete_for_assessment(
    conn: &mut PgConnection,
    assessment_id: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM findings WHERE assessment_id = $1",
        assessment_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Rows per INSERT: one statement per chunk of column arrays keeps the
/// bind count fixed (37) and the statement size bounded.
const CHUNK: usize = 2_000;

/// Inserts findings in batches (UNNEST over column arrays). Values the
/// table would refuse (an unknown lane or verdict, a lane score outside
/// 0..100, an out-of-range level) are stored as NULL instead, so one odd
/// answer of the ML engine cannot fail a whole run.
#[tracing::instrument(level = "debug", skip(conn, findings), err(level = "debug"),
    fields(findings = findings.len()))]
pub async fn insert(
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
        sqlx::query!(
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
            &ids,
            assessment_id,
            org,
            &names,
            &refs[..] as &[Option<String>],
            &types[..] as &[Option<String>],
            &algs,
            &params[..] as &[Option<String>],
            &usages[..] as &[Option<String>],
            &threats,
            &scores,
            &sevs,
            &dep[..] as &[Option<i32>],
            &dis[..] as &[Option<i32>],
            &pol,
            &exposed[..] as &[Option<bool>],
            &margin[..] as &[Option<f64>],
            &recs,
            &prio,
            &factors,
            &disagree[..] as &[Option<String>],
            &paths,
            &occ,
            &checks,
            &until[..] as &[Option<String>],
            &oids[..] as &[Option<String>],
            &locs,
            &nql[..] as &[Option<i32>],
            &cl[..] as &[Option<i32>],
            &funcs,
            &verdicts[..] as &[Option<String>],
            &lanes[..] as &[Option<String>],
            &horizons[..] as &[Option<String>],
            &moscas[..] as &[Option<String>],
            &qs[..] as &[Option<f64>],
            &hs[..] as &[Option<f64>],
            &holds[..] as &[Option<bool>],
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
