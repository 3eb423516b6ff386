//! Findings with their triage, and triage changes (see
//! `crate::routes::triage` for what a finding key, a system and the
//! effective state are).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use super::Finding;

/// The triage of a finding.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Triage {
    /// Effective state: open, in_progress, accepted_risk, false_positive or
    /// fixed. `open` when never triaged, when an accepted risk has expired
    /// (`expired`), or when a finding marked fixed was found again by a run
    /// completed after it was marked (`reopened`).
    pub state: String,
    /// The state as last recorded; null when never triaged.
    pub recorded_state: Option<String>,
    /// Why (required for accepted_risk).
    pub reason: Option<String>,
    /// accepted_risk only: when the acceptance ends and the finding counts
    /// as open again.
    pub expires_at: Option<DateTime<Utc>>,
    /// An accepted risk past its expiry.
    pub expired: bool,
    /// Marked fixed, but found again by a later run.
    pub reopened: bool,
    /// Who recorded it.
    pub updated_by: Option<String>,
    /// When the state was last recorded; null when never triaged.
    pub updated_at: Option<DateTime<Utc>>,
    /// Changes so far (1 after the first).
    pub version: Option<i64>,
}

/// A finding with its identity across assessments and its triage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FindingView {
    /// The stored finding; its fields are flattened into this object.
    #[serde(flatten)]
    pub finding: Finding,
    /// Identity across assessments (`fk_` + SHA-256 hex): bom-ref +
    /// algorithm, or name + type + algorithm + parameter + usage.
    pub finding_key: String,
    /// The system the triage is kept for (the assessment name, normalised).
    pub system_key: String,
    /// The assessment's name.
    pub assessment_name: String,
    /// The triage recorded for this finding key in this system, so a decision made on an earlier
    /// assessment of the same system applies here too.
    pub triage: Triage,
}

/// `query!` over `$head (…) v $tail`, where `v` is every finding row with
/// its assessment's name and system and its triage row, and
/// `v."triage_state!"` its effective state: the one copy of that
/// definition for the list, its total and the detail. The planner flattens
/// the subquery, so conditions on `v` reach the findings indexes.
macro_rules! triaged_query {
    ($head:literal, $($tail:literal),+ ; $($arg:expr),* $(,)?) => {
        sqlx::query!(
            $head
                + r#"(SELECT f.id, f.assessment_id, f.organization_id, f.asset_name, f.asset_ref,
                         f.asset_type, f.algorithm, f.parameter, f.usage, f.quantum_threat,
                         f.risk_score::float8 AS "risk_score!", f.severity, f.nist_deprecated_year,
                         f.nist_disallowed_year, f.policy_status, f.mosca_exposed,
                         f.mosca_margin_years::float8 AS mosca_margin_years, f.recommendation,
                         f.priority, f.factors, f.document_disagreement, f.paths, f.occurrences,
                         f.checks, f.valid_until, f.oid, f.locations, f.nist_quantum_level,
                         f.classical_level, f.crypto_functions, f.policy_verdict, f.lane, f.horizon,
                         f.mosca, f.quantum_score::float8 AS quantum_score,
                         f.hygiene_score::float8 AS hygiene_score, f.rank_holds_across_bands,
                         f.created_at, f.finding_key AS "finding_key!", a.system_key AS "system_key!",
                         a.name AS assessment_name, t.state AS "t_state?", t.reason AS "t_reason?",
                         t.expires_at AS "t_expires_at?", t.updated_by AS "t_updated_by?",
                         t.updated_at AS "t_updated_at?", t.version AS "t_version?",
                         coalesce(t.state = 'accepted_risk' AND t.expires_at <= now(), false) AS "t_expired!",
                         coalesce(t.state = 'fixed' AND a.completed_at > t.updated_at, false) AS "t_reopened!",
                         qrap_triage_effective_state(t.state, t.expires_at, t.updated_at, a.completed_at) AS "triage_state!"
                  FROM findings f
                  JOIN assessments a ON a.id = f.assessment_id
                  LEFT JOIN finding_triage t ON t.organization_id = f.organization_id
                       AND t.system_key = a.system_key AND t.finding_key = f.finding_key) v "#
                $(+ $tail)+
            $(, $arg)*
        )
    };
}

/// A [`FindingView`] from a record of [`triaged_query!`] (each call site
/// has its own record type, with the same fields).
macro_rules! view_of {
    ($r:expr) => {{
        let r = $r;
        FindingView {
            finding: Finding {
                id: r.id,
                assessment_id: r.assessment_id,
                organization_id: r.organization_id,
                asset_name: r.asset_name,
                asset_ref: r.asset_ref,
                asset_type: r.asset_type,
                algorithm: r.algorithm,
                parameter: r.parameter,
                usage: r.usage,
                quantum_threat: r.quantum_threat,
                risk_score: r.risk_score,
                severity: r.severity,
                nist_deprecated_year: r.nist_deprecated_year,
                nist_disallowed_year: r.nist_disallowed_year,
                policy_status: r.policy_status,
                mosca_exposed: r.mosca_exposed,
                mosca_margin_years: r.mosca_margin_years,
                recommendation: r.recommendation,
                priority: r.priority,
                factors: r.factors,
                document_disagreement: r.document_disagreement,
                paths: r.paths,
                occurrences: r.occurrences,
                checks: r.checks,
                valid_until: r.valid_until,
                oid: r.oid,
                locations: r.locations,
                nist_quantum_level: r.nist_quantum_level,
                classical_level: r.classical_level,
                crypto_functions: r.crypto_functions,
                policy_verdict: r.policy_verdict,
                lane: r.lane,
                horizon: r.horizon,
                mosca: r.mosca,
                quantum_score: r.quantum_score,
                hygiene_score: r.hygiene_score,
                rank_holds_across_bands: r.rank_holds_across_bands,
                created_at: r.created_at,
            },
            finding_key: r.finding_key,
            system_key: r.system_key,
            assessment_name: r.assessment_name,
            triage: Triage {
                state: r.triage_state,
                recorded_state: r.t_state,
                reason: r.t_reason,
                expires_at: r.t_expires_at,
                expired: r.t_expired,
                reopened: r.t_reopened,
                updated_by: r.t_updated_by,
                updated_at: r.t_updated_at,
                version: r.t_version,
            },
        }
    }};
}

/// One finding with its triage, `None` when missing or outside `scope`.
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn load(
    pool: &PgPool,
    id: &str,
    scope: Option<&str>,
) -> Result<Option<FindingView>, sqlx::Error> {
    let row = triaged_query!(
        "SELECT * FROM ",
        "WHERE v.id = $1 AND ($2::text IS NULL OR v.organization_id = $2)";
        id,
        scope
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| view_of!(r)))
}

/// Filters of an assessment's findings list; `None` matches everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct FindingFilter<'a> {
    /// Severity band.
    pub severity: Option<&'a str>,
    /// Quantum threat.
    pub threat: Option<&'a str>,
    /// Algorithm, compared case-insensitively.
    pub algorithm: Option<&'a str>,
    /// Policy status today.
    pub policy_status: Option<&'a str>,
    /// Effective triage state.
    pub triage_state: Option<&'a str>,
}

/// Orders of the findings list; each ends on the id, so pages are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FindingSort {
    /// `priority` (the default): fix first on top.
    Priority,
    /// `-risk_score`, then priority.
    RiskDesc,
    /// `risk_score`, then reverse priority.
    RiskAsc,
    /// `algorithm`, then priority.
    Algorithm,
}

impl FindingSort {
    /// The `sort` parameter's value, `None` when it is not one.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "priority" => Self::Priority,
            "-risk_score" => Self::RiskDesc,
            "risk_score" => Self::RiskAsc,
            "algorithm" => Self::Algorithm,
            _ => return None,
        })
    }
}

/// Splices the findings list's condition on `v` (binds `$1` assessment,
/// `$2..$6` a [`FindingFilter`]) into a [`triaged_query!`] call after its
/// head: the one copy shared by the page and its total.
macro_rules! finding_filter {
    ($m:ident!($($pre:tt)*) $($post:tt)*) => {
        $m!(
            $($pre)*
            "WHERE v.assessment_id = $1 AND ($2::text IS NULL OR v.severity = $2)
               AND ($3::text IS NULL OR v.quantum_threat = $3)
               AND ($4::text IS NULL OR lower(v.algorithm) = lower($4))
               AND ($5::text IS NULL OR v.policy_status = $5)
               AND ($6::text IS NULL OR v.\"triage_state!\" = $6) "
            $($post)*
        )
    };
}

/// One page of the list in one order, as views: a static statement per
/// order, from one definition.
macro_rules! findings_page {
    ($pool:expr, $order:literal, $id:expr, $f:expr, $limit:expr, $offset:expr) => {
        finding_filter!(
            triaged_query!("SELECT * FROM ",),
            "ORDER BY ",
            $order,
            " LIMIT $7 OFFSET $8";
            $id,
            $f.severity,
            $f.threat,
            $f.algorithm,
            $f.policy_status,
            $f.triage_state,
            $limit,
            $offset
        )
        .fetch_all($pool)
        .await?
        .into_iter()
        .map(|r| view_of!(r))
        .collect()
    };
}

/// One page of an assessment's findings with their triage (`limit + 1`
/// rows from `offset`) and the total the filter matches.
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn page(
    pool: &PgPool,
    assessment_id: &str,
    f: FindingFilter<'_>,
    sort: FindingSort,
    limit: u32,
    offset: i64,
) -> Result<(Vec<FindingView>, i64), sqlx::Error> {
    let n = i64::from(limit) + 1;
    let id = assessment_id;
    let rows: Vec<FindingView> = match sort {
        FindingSort::Priority => {
            findings_page!(pool, r#"v.priority ASC, v.id ASC"#, id, f, n, offset)
        }
        FindingSort::RiskDesc => findings_page!(
            pool,
            r#"v."risk_score!" DESC, v.priority ASC, v.id ASC"#,
            id,
            f,
            n,
            offset
        ),
        FindingSort::RiskAsc => findings_page!(
            pool,
            r#"v."risk_score!" ASC, v.priority DESC, v.id ASC"#,
            id,
            f,
            n,
            offset
        ),
        FindingSort::Algorithm => findings_page!(
            pool,
            r#"v.algorithm ASC, v.priority ASC, v.id ASC"#,
            id,
            f,
            n,
            offset
        ),
    };
    let total = finding_filter!(
        triaged_query!(r#"SELECT count(*) AS "n!" FROM "#,);
        id,
        f.severity,
        f.threat,
        f.algorithm,
        f.policy_status,
        f.triage_state
    )
    .fetch_one(pool)
    .await?
    .n;
    Ok((rows, total))
}

/// Serialises the triage changes of one finding key in one system until
/// the caller's transaction ends (a transaction-scoped advisory lock), so
/// the state read next is the one the change replaces and the audit rows
/// of a key chain: each one's `from` is the previous `to`.
#[tracing::instrument(level = "debug", skip(conn), err(level = "debug"))]
pub async fn lock_key(
    conn: &mut PgConnection,
    org: &str,
    system_key: &str,
    finding_key: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended($1 || '/' || $2 || '/' || $3, 0))",
        org,
        system_key,
        finding_key
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The effective state of a finding key in an assessment's system (the
/// same `qrap_triage_effective_state` as the views of [`load`] and
/// [`page`], migration 0010), read under [`lock_key`].
#[tracing::instrument(level = "debug", skip(conn), err(level = "debug"))]
pub async fn effective_state(
    conn: &mut PgConnection,
    assessment_id: &str,
    finding_key: &str,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT qrap_triage_effective_state(t.state, t.expires_at, t.updated_at, a.completed_at) AS "state!"
           FROM assessments a
           LEFT JOIN finding_triage t ON t.organization_id = a.organization_id
                AND t.system_key = a.system_key AND t.finding_key = $2
           WHERE a.id = $1"#,
        assessment_id,
        finding_key
    )
    .fetch_one(conn)
    .await
}

/// A triage state to record for a finding key in a system.
#[derive(Debug)]
pub struct TriageWrite<'a> {
    /// Organization (`org_…`) of the assessment; with `system_key` and `finding_key` it keys the
    /// `finding_triage` row.
    pub organization_id: &'a str,
    /// System (normalised assessment name).
    pub system_key: &'a str,
    /// `fk_…` identity of the finding across assessments (see [`FindingView::finding_key`]).
    pub finding_key: &'a str,
    /// open, in_progress, accepted_risk, false_positive or fixed.
    pub state: &'a str,
    /// The operator's reason (at most 2000 characters; required for accepted_risk).
    pub reason: Option<&'a str>,
    /// accepted_risk: when it ends.
    pub expires_at: Option<DateTime<Utc>>,
    /// Who (subject, at most 320 characters).
    pub updated_by: &'a str,
}

/// Records a triage state (insert, or replace and bump the version).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"),
    fields(org = w.organization_id, finding_key = w.finding_key, state = w.state))]
pub async fn upsert(conn: &mut PgConnection, w: &TriageWrite<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO finding_triage (organization_id, system_key, finding_key, state, reason, expires_at, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (organization_id, system_key, finding_key) DO UPDATE
         SET state = EXCLUDED.state, reason = EXCLUDED.reason, expires_at = EXCLUDED.expires_at,
             updated_by = EXCLUDED.updated_by, version = finding_triage.version + 1, updated_at = now()",
        w.organization_id,
        w.system_key,
        w.finding_key,
        w.state,
        w.reason,
        w.expires_at,
        w.updated_by
    )
    .execute(conn)
    .await?;
    Ok(())
}
