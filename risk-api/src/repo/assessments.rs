//! Assessments: the uploaded source and its run's result figures.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

/// An assessment (without its source document).
#[derive(Debug, Clone, Serialize, ToSchema)]
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

/// One assessment, `None` when missing or outside `scope` (tenancy: a
/// tenant cannot tell another tenant's assessment from a missing one).
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn get(
    pool: &PgPool,
    id: &str,
    scope: Option<&str>,
) -> Result<Option<Assessment>, sqlx::Error> {
    assessment_query!(
        "SELECT ",
        "FROM assessments WHERE id = $1 AND ($2::text IS NULL OR organization_id = $2)";
        id,
        scope
    )
    .fetch_optional(pool)
    .await
}

/// A new pending assessment's row. The source document is stored as
/// received (for re-runs) and never logged.
#[derive(Debug)]
pub struct NewRow<'a> {
    /// `asmnt_…`.
    pub id: &'a str,
    /// Owner.
    pub organization_id: &'a str,
    /// Trimmed name.
    pub name: &'a str,
    /// Free text.
    pub description: Option<&'a str>,
    /// `inventory`, `cyclonedx` or `qsgw-runtime-cbom`.
    pub source_format: &'a str,
    /// CycloneDX specVersion.
    pub spec_version: Option<&'a str>,
    /// The source document.
    pub document: &'a Value,
    /// Assets to score.
    pub asset_count: i32,
    /// The uploader's subject.
    pub created_by: &'a str,
    /// Schema violations skipped.
    pub import_skipped: Option<&'a Value>,
    /// Scoring defaults.
    pub defaults: &'a Value,
    /// The QSGW control plane pulled from.
    pub source_url: Option<&'a str>,
}

/// Inserts a pending assessment (in the caller's transaction, with its
/// audit row); a worker leases it from there.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"),
    fields(assessment = n.id, org = n.organization_id, format = n.source_format, assets = n.asset_count))]
pub async fn insert(conn: &mut PgConnection, n: &NewRow<'_>) -> Result<Assessment, sqlx::Error> {
    assessment_query!(
        "INSERT INTO assessments (id, organization_id, name, description, source_format,
             source_spec_version, source_document, asset_count, created_by, import_skipped,
             defaults, source_url)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ",
        "";
        n.id,
        n.organization_id,
        n.name,
        n.description,
        n.source_format,
        n.spec_version,
        n.document,
        n.asset_count,
        n.created_by,
        n.import_skipped,
        n.defaults,
        n.source_url,
    )
    .fetch_one(conn)
    .await
}

/// Orders of the assessment list (`sort`); each has `id` as the
/// tie-breaker, so pages are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssessmentSort {
    /// `created_at`: oldest first.
    CreatedAsc,
    /// `-created_at`: newest first (the default).
    CreatedDesc,
    /// `name`: by name, A to Z, case-insensitive.
    NameAsc,
    /// `-name`: by name, Z to A, case-insensitive.
    NameDesc,
    /// `risk_score`: lowest overall risk score first, unscored last.
    RiskAsc,
    /// `-risk_score`: highest overall risk score first, unscored last.
    RiskDesc,
}

impl AssessmentSort {
    /// The `sort` parameter's value, `None` when it is not one.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created_at" => Self::CreatedAsc,
            "-created_at" => Self::CreatedDesc,
            "name" => Self::NameAsc,
            "-name" => Self::NameDesc,
            "risk_score" => Self::RiskAsc,
            "-risk_score" => Self::RiskDesc,
            _ => return None,
        })
    }
}

/// What the assessment list is narrowed to; `None` matches everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct AssessmentFilter<'a> {
    /// The caller's organization (tenants).
    pub scope: Option<&'a str>,
    /// The `organization_id` asked for (a tenant naming another
    /// organization matches nothing).
    pub organization_id: Option<&'a str>,
    /// pending, running, completed or failed.
    pub status: Option<&'a str>,
}

/// Splices the assessment list's condition (binds `$1..$3` from an
/// [`AssessmentFilter`]) into a query macro call after its head: the one
/// copy shared by the page and its total.
macro_rules! assessment_filter {
    ($($m:ident)::+, ($($pre:tt)*) $($post:tt)*) => {
        $($m)::+!(
            $($pre)*
            "FROM assessments
             WHERE ($1::text IS NULL OR organization_id = $1) AND ($2::text IS NULL OR organization_id = $2)
               AND ($3::text IS NULL OR status = $3) "
            $($post)*
        )
    };
}

/// One page of the list in the order `sort`: one static statement per
/// order (so each keeps its index plan), from one definition.
macro_rules! assessment_page {
    ($order:literal, $f:expr, $limit:expr, $offset:expr) => {
        assessment_filter!(
            assessment_query,
            ("SELECT ",),
            "ORDER BY ",
            $order,
            " LIMIT $4 OFFSET $5";
            $f.scope,
            $f.organization_id,
            $f.status,
            $limit,
            $offset
        )
    };
}

/// One page of assessments (`limit + 1` rows from `offset`) and the total
/// the filter matches.
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn page(
    pool: &PgPool,
    f: AssessmentFilter<'_>,
    sort: AssessmentSort,
    limit: u32,
    offset: i64,
) -> Result<(Vec<Assessment>, i64), sqlx::Error> {
    let n = i64::from(limit) + 1;
    let rows = match sort {
        AssessmentSort::CreatedAsc => {
            assessment_page!("created_at ASC, id ASC", f, n, offset)
                .fetch_all(pool)
                .await?
        }
        AssessmentSort::CreatedDesc => {
            assessment_page!("created_at DESC, id DESC", f, n, offset)
                .fetch_all(pool)
                .await?
        }
        AssessmentSort::NameAsc => {
            assessment_page!("lower(name) ASC, id ASC", f, n, offset)
                .fetch_all(pool)
                .await?
        }
        AssessmentSort::NameDesc => {
            assessment_page!("lower(name) DESC, id DESC", f, n, offset)
                .fetch_all(pool)
                .await?
        }
        AssessmentSort::RiskAsc => {
            assessment_page!("overall_risk_score ASC NULLS LAST, id ASC", f, n, offset)
                .fetch_all(pool)
                .await?
        }
        AssessmentSort::RiskDesc => {
            assessment_page!("overall_risk_score DESC NULLS LAST, id DESC", f, n, offset)
                .fetch_all(pool)
                .await?
        }
    };
    let total = assessment_filter!(
        sqlx::query_scalar,
        (r#"SELECT count(*) AS "n!" "# +),
        f.scope,
        f.organization_id,
        f.status
    )
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}

/// Findings hitting a NIST IR 8547 transition year.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeadlineYear {
    /// The year (e.g. 2030, 2035).
    pub year: i32,
    /// Findings deprecated after this year.
    pub deprecated: i64,
    /// Findings disallowed after this year.
    pub disallowed: i64,
}

/// The figures of an assessment's summary that are counted over its
/// findings (the rest is stored on the assessment by the run).
#[derive(Debug, Default)]
pub struct FindingFigures {
    /// Findings per quantum threat, by threat name.
    pub by_threat: Vec<(String, i64)>,
    /// Finding rows per lane (`unknown` for rows without one).
    pub by_lane: Vec<(String, i64)>,
    /// Findings whose CBOM claims disagree with the knowledge base.
    pub disagreements: i64,
    /// Findings whose rank changes with the CRQC timeline band.
    pub band_dependent: i64,
    /// IR 8547 years hit, ascending.
    pub deadlines: Vec<DeadlineYear>,
}

/// Counts an assessment's findings for its summary.
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn finding_figures(pool: &PgPool, id: &str) -> Result<FindingFigures, sqlx::Error> {
    let by_threat = sqlx::query!(
        r#"SELECT quantum_threat AS "k!", count(*) AS "n!" FROM findings
           WHERE assessment_id = $1 GROUP BY 1 ORDER BY 1"#,
        id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.k, r.n))
    .collect();
    let by_lane = sqlx::query!(
        r#"SELECT coalesce(lane, 'unknown') AS "k!", count(*) AS "n!" FROM findings
           WHERE assessment_id = $1 GROUP BY 1 ORDER BY 1"#,
        id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.k, r.n))
    .collect();
    let flags = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE document_disagreement IS NOT NULL) AS "disagreements!",
                  count(*) FILTER (WHERE rank_holds_across_bands = false) AS "band_dependent!"
           FROM findings WHERE assessment_id = $1"#,
        id
    )
    .fetch_one(pool)
    .await?;
    let deadlines = sqlx::query_as!(
        DeadlineYear,
        r#"SELECT year AS "year!", count(*) FILTER (WHERE kind = 'deprecated') AS "deprecated!",
                  count(*) FILTER (WHERE kind = 'disallowed') AS "disallowed!"
           FROM (SELECT nist_deprecated_year AS year, 'deprecated' AS kind FROM findings
                   WHERE assessment_id = $1 AND nist_deprecated_year IS NOT NULL
                 UNION ALL
                 SELECT nist_disallowed_year, 'disallowed' FROM findings
                   WHERE assessment_id = $1 AND nist_disallowed_year IS NOT NULL) d
           GROUP BY year ORDER BY year"#,
        id
    )
    .fetch_all(pool)
    .await?;
    Ok(FindingFigures {
        by_threat,
        by_lane,
        disagreements: flags.disagreements,
        band_dependent: flags.band_dependent,
        deadlines,
    })
}

/// Queues a failed or completed assessment again: its result figures are
/// cleared and the run counter reset. `None` when it is pending or
/// running (nothing is changed then). The caller deletes the old findings
/// in the same transaction.
#[tracing::instrument(level = "debug", skip(conn), err(level = "debug"))]
pub async fn requeue(conn: &mut PgConnection, id: &str) -> Result<Option<Assessment>, sqlx::Error> {
    assessment_query!(
        "UPDATE assessments SET status = 'pending', failure_reason = NULL, completed_at = NULL, started_at = NULL,
             run_attempts = 0, assets_scored = 0,
             overall_risk_score = NULL, critical_count = 0, high_count = 0, medium_count = 0, low_count = 0,
             info_count = 0, pqc_readiness_pct = NULL, earliest_deadline_year = NULL,
             distinct_asset_count = NULL, pqc_relevant_assets = NULL, lane_counts = NULL,
             quantum_safe_assets = NULL, hash_assets = NULL, symmetric_assets = NULL,
             version = version + 1, updated_at = now()
         WHERE id = $1 AND status IN ('failed', 'completed') RETURNING ",
        "";
        id
    )
    .fetch_optional(conn)
    .await
}

/// Deletes an assessment; its findings go with it (ON DELETE CASCADE).
#[tracing::instrument(level = "debug", skip(conn), err(level = "debug"))]
pub async fn delete(conn: &mut PgConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM assessments WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}
