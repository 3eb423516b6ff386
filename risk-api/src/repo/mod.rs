//! The QRAP database, one module per resource: every SQL statement of the
//! risk API lives here, the handlers and the runner call these functions.
//!
//! Statements are compile-checked `sqlx::query!` / `query_as!` /
//! `query_scalar!` macros, verified against `migrations/qrap` through the
//! offline data in the workspace `.sqlx/` (`scripts/sqlx.sh prepare` regenerates
//! it, `make lint` fails when it is stale). NUMERIC columns are read as
//! `::float8`; generated and computed columns carry `"col!"` / `"col?"`
//! nullability overrides.
//!
//! Functions that write take the caller's `&mut PgConnection` (a
//! transaction) whenever the write goes with an audit row, so the audit
//! entry ([`audit::append`]) commits or rolls back with it; reads take the
//! pool. Errors are plain `sqlx::Error`: the handlers turn them into
//! problems once, through `shared::error::ApiError`.

/// `query_as!` with the select list of [`Assessment`] between `$head` and
/// `$tail` (the one copy of it: a `SELECT … FROM assessments`, or an
/// `INSERT`/`UPDATE … RETURNING`). The literals are joined with `+`, which
/// the sqlx macros accept, so the statement stays compile-checked.
macro_rules! assessment_query {
    ($head:literal, $($tail:literal),+ ; $($arg:expr),* $(,)?) => {
        sqlx::query_as!(
            $crate::repo::assessments::Assessment,
            $head
                + r#"id, organization_id, name, description, status, source_format, source_url,
                    source_spec_version, asset_count, assets_scored,
                    overall_risk_score::float8 AS overall_risk_score, critical_count, high_count,
                    medium_count, low_count, info_count, pqc_readiness_pct::float8 AS pqc_readiness_pct,
                    earliest_deadline_year, failure_reason, import_skipped, defaults,
                    distinct_asset_count, pqc_relevant_assets, quantum_safe_assets, hash_assets,
                    symmetric_assets, lane_counts, crqc_timelines_version, attempts, created_by,
                    started_at, completed_at, version, created_at, updated_at "#
                $(+ $tail)+
            $(, $arg)*
        )
    };
}

/// `query_as!` reading whole [`Finding`] rows of one assessment:
/// `$tail` follows `FROM findings` (the one copy of the finding select
/// list for plain reads; the triaged reads in [`triage`] add their joins).
macro_rules! finding_query {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            $crate::repo::findings::Finding,
            r#"SELECT id, assessment_id, organization_id, asset_name, asset_ref, asset_type,
                   algorithm, parameter, usage, quantum_threat, risk_score::float8 AS "risk_score!",
                   severity, nist_deprecated_year, nist_disallowed_year, policy_status,
                   mosca_exposed, mosca_margin_years::float8 AS mosca_margin_years,
                   recommendation, priority, factors, document_disagreement, paths, occurrences,
                   checks, valid_until, oid, locations, nist_quantum_level, classical_level,
                   crypto_functions, policy_verdict, lane, horizon, mosca,
                   quantum_score::float8 AS quantum_score, hygiene_score::float8 AS hygiene_score,
                   rank_holds_across_bands, created_at
               FROM findings "#
                + $tail
            $(, $arg)*
        )
    };
}

pub mod assessments;
pub mod audit;
pub mod findings;
pub mod jobs;
pub mod organizations;
pub mod tokens;
pub mod trends;
pub mod triage;

pub use assessments::Assessment;
pub use findings::Finding;
pub use organizations::Organization;

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
