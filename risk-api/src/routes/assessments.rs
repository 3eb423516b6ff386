//! Assessments: create from a JSON inventory, a CycloneDX CBOM or the
//! runtime CBOM of a QSGW control plane, list, get, summary, re-run, delete.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use shared::auth::{Admin, Principal, RequireRole};
use shared::error::{FieldError, Problem};
use shared::ids::{AssessmentId, OrgId};
use shared::json::{parse_json, parse_query, AppJson, AppQuery};
use utoipa::{IntoParams, ToSchema};

use super::{actor, counted_page, page, parse_id, scope, Reader, Writer};
use crate::domain::inputs::Defaults;
use crate::domain::inventory::{from_inventory, InventoryAsset};
use crate::domain::{cbom, json_limits, schema};
use crate::qsgw::{AssessmentSource, QsgwSettings, QsgwSource};
use shared::pagination::CountedPage;

/// Schema violations reported (or skipped) per upload.
const MAX_SCHEMA_ISSUES: usize = 100;
pub use crate::repo::assessments::DeadlineYear;
use crate::repo::assessments::{self, AssessmentFilter, AssessmentSort};
use crate::repo::{audit, organizations, Actor, Assessment};
use crate::state::AppState;
use shared::error::ApiError;

/// Media type of CycloneDX JSON.
pub const CYCLONEDX_JSON: &str = "application/vnd.cyclonedx+json";

/// Body of a JSON assessment: an `inventory`, or a `source` to pull the
/// assets from (exactly one of the two).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateAssessment {
    /// Organization; defaults to the token's. Admins and service clients must give it.
    #[serde(default)]
    pub organization_id: Option<String>,
    /// 1..200 characters.
    pub name: String,
    /// Up to 4000 characters.
    #[serde(default)]
    pub description: Option<String>,
    /// The assets (1..100,000); or give `source` instead.
    #[serde(default)]
    pub inventory: Option<Vec<InventoryAsset>>,
    /// Where to pull the assets from instead of `inventory`: `{"qsgw":
    /// {"url", "api_key", "window"}}` imports the runtime CBOM of a QSGW
    /// control plane (what its gateways negotiated in the window: 24h, 7d,
    /// 30d or 90d), with a read-only control-plane key (never stored).
    #[serde(default)]
    pub source: Option<AssessmentSource>,
    /// Scoring defaults for assets that do not say (an asset's own value
    /// wins), the CRQC timeline band and the CNSA 2.0 category.
    #[serde(default)]
    pub defaults: Defaults,
}

/// Query of a CBOM upload (the body is the CBOM itself).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CbomQuery {
    /// Assessment name (default: the CBOM's metadata component name, or "CBOM import").
    pub name: Option<String>,
    /// Organization; defaults to the token's.
    pub organization_id: Option<String>,
    /// Free text stored with the assessment, up to 4000 characters.
    pub description: Option<String>,
    /// Default Mosca x for components without `quantun:data_shelf_life_years` (0..=100).
    pub data_shelf_life_years: Option<f64>,
    /// Default Mosca y for components without `quantun:migration_time_years` (0..=100).
    pub migration_time_years: Option<f64>,
    /// Default years a signature must stay trusted (0..=100).
    pub validity_years: Option<f64>,
    /// Default exposure: internet, internal or isolated.
    pub exposure: Option<String>,
    /// Default criticality: low, medium, high or critical.
    pub criticality: Option<String>,
    /// CRQC timeline band (see `GET /api/v1/scoring-options`).
    pub crqc_timeline: Option<String>,
    /// CNSA 2.0 system category (see `GET /api/v1/scoring-options`).
    pub cnsa2_category: Option<String>,
    /// true (default): a CBOM that violates the CycloneDX 1.6/1.7 JSON schema is refused (422
    /// naming each JSON pointer). false: the top-level components and dependency entries with
    /// violations are skipped, the rest imported, and the skipped ones listed in
    /// `import_skipped`.
    pub strict: Option<bool>,
}

/// List parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListAssessments {
    /// pending, running, completed or failed.
    pub status: Option<String>,
    /// Only this organization (admins and service clients).
    pub organization_id: Option<String>,
    /// created_at, -created_at (default), name, -name, risk_score, -risk_score.
    pub sort: Option<String>,
    /// Page size 1..500.
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page (absent: the first page).
    pub cursor: Option<String>,
}

/// Summary of an assessment.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentSummary {
    /// The assessment's id (`asmnt_…`).
    pub assessment_id: String,
    /// pending, running, completed or failed; the figures are final once completed.
    pub status: String,
    /// 0..100.
    pub overall_risk_score: Option<f64>,
    /// Counts by severity.
    pub counts: Value,
    /// Total assets.
    pub asset_count: i32,
    /// Share of the distinct public-key assets already post-quantum
    /// (symmetric ciphers, hashes and unidentified names are not counted);
    /// null when there is no public-key asset.
    pub pqc_readiness_pct: Option<f64>,
    /// Distinct assets (what the overall score and readiness count).
    pub distinct_asset_count: Option<i32>,
    /// Distinct public-key assets (the readiness denominator).
    pub pqc_relevant_assets: Option<i32>,
    /// Of those, already post-quantum: the quantum-safe share is
    /// `quantum_safe_assets / pqc_relevant_assets` (`pqc_readiness_pct`).
    pub quantum_safe_assets: Option<i32>,
    /// Distinct hash/XOF assets, outside the share.
    pub hash_assets: Option<i32>,
    /// Distinct symmetric assets (ciphers, AEAD, MAC, KDF, key wrap, DRBG), outside the share.
    pub symmetric_assets: Option<i32>,
    /// Distinct assets per lane: quantum (exposure to a CRQC), hygiene
    /// (weak today), identify (unknown names to resolve), safe.
    pub lanes: Value,
    /// Finding rows per lane.
    pub findings_by_lane: Value,
    /// Findings whose priority rank changes with the CRQC timeline band.
    pub rank_depends_on_band: i64,
    /// The defaults the assessment was scored with.
    pub defaults: Value,
    /// CRQC timeline data version used.
    pub crqc_timelines_version: Option<String>,
    /// Earliest IR 8547 deprecation/disallowance year hit.
    pub earliest_deadline_year: Option<i32>,
    /// Findings by threat class.
    pub by_threat: Value,
    /// CBOM claims that disagree with the knowledge base.
    pub disagreements: i64,
    /// The NIST IR 8547 deadlines the findings hit, by year (ascending):
    /// how many findings are deprecated after and disallowed after it.
    pub deadlines: Vec<DeadlineYear>,
}

/// Resolves the organization an assessment is created in.
async fn target_org(
    state: &AppState,
    p: &Principal,
    given: Option<&str>,
) -> Result<String, ApiError> {
    let own = scope(p)?;
    let org = match (own, given) {
        (Some(own), None) => own,
        (Some(own), Some(g)) if g == own => own,
        (Some(_), Some(_)) => return Err(Problem::not_found("organization not found").into()),
        (None, Some(g)) => g.to_owned(),
        (None, None) => {
            return Err(Problem::invalid_field(
                "organization_id",
                "required for admin and service callers",
            )
            .into())
        }
    };
    let org = parse_id(&org, OrgId::parse, "organization")?;
    if organizations::exists(&state.pool, org.as_str()).await? {
        Ok(org.as_str().to_owned())
    } else {
        Err(Problem::not_found("organization not found").into())
    }
}

impl CbomQuery {
    /// The scoring defaults given as query parameters.
    fn defaults(&self) -> Defaults {
        Defaults {
            data_shelf_life_years: self.data_shelf_life_years,
            migration_time_years: self.migration_time_years,
            validity_years: self.validity_years,
            exposure: self.exposure.clone(),
            criticality: self.criticality.clone(),
            crqc_timeline: self.crqc_timeline.clone(),
            cnsa2_category: self.cnsa2_category.clone(),
        }
    }
}

/// The band and category of `d` checked against the ML engine's lists
/// (the engine is their one home). When the engine cannot be asked, they
/// pass here and a run with an unknown one fails naming it.
async fn check_with_engine(state: &AppState, d: &Defaults, prefix: &str) -> Vec<FieldError> {
    if d.crqc_timeline.is_none() && d.cnsa2_category.is_none() {
        return Vec::new();
    }
    match crate::ml::options(&state.http, &state.ml_url).await {
        Ok(o) => o.check(d, prefix),
        Err(e) => {
            tracing::warn!(error = %e, "cannot check crqc_timeline/cnsa2_category with the ML engine; the run will");
            Vec::new()
        }
    }
}

/// The organization of a JSON-inventory upload: the body's
/// `organization_id`, or the query's when the body has none. Both given and
/// different is a 422, never silently resolved one way; `name` and
/// `description` belong in the body.
fn json_body_org(q: CbomQuery, body: Option<String>) -> Result<Option<String>, Problem> {
    let mut errors = Vec::new();
    for (field, given) in [("name", &q.name), ("description", &q.description)] {
        if given.is_some() {
            errors.push(FieldError::new(
                field,
                "is a query parameter of CBOM uploads only; give it in the JSON body",
            ));
        }
    }
    let d = serde_json::to_value(q.defaults()).unwrap_or(Value::Null);
    for field in d.as_object().into_iter().flat_map(|o| o.keys()) {
        errors.push(FieldError::new(
            field.clone(),
            "is a query parameter of CBOM uploads only; give it in the JSON body's defaults",
        ));
    }
    let org = match (q.organization_id, body) {
        (Some(query), Some(body)) if query != body => {
            errors.push(FieldError::new(
                "organization_id",
                "the query parameter and the body name different organizations",
            ));
            None
        }
        (query, body) => body.or(query),
    };
    if errors.is_empty() {
        Ok(org)
    } else {
        Err(Problem::validation(errors))
    }
}

fn check_text(field: &str, v: Option<&str>, max: usize, required: bool) -> Option<FieldError> {
    match v {
        None if required => Some(FieldError::new(field, "is required")),
        Some(t)
            if (required && t.trim().is_empty())
                || t.chars().count() > max
                || t.chars().any(|c| c.is_control() && c != '\n') =>
        {
            Some(FieldError::new(
                field,
                format!("must be 1..{max} printable characters"),
            ))
        }
        _ => None,
    }
}

/// A CBOM's bytes imported: bounded before anything is built from them,
/// parsed, checked against the CycloneDX 1.6/1.7 schema (refused, or with
/// `strict = false` the offending components skipped), its assets counted
/// and its `quantun:` scoring inputs read. The one CBOM import path: uploads
/// and the runtime CBOM pulled from a QSGW control plane both go through it.
#[derive(Debug)]
pub struct CbomImport {
    /// The document as stored (without the skipped parts).
    pub doc: Value,
    /// The document's CycloneDX `specVersion` (1.6 or 1.7), stored with the assessment.
    pub spec: String,
    /// Assets to score.
    pub count: usize,
    /// Schema violations skipped (`strict = false`).
    pub skipped: Option<Value>,
    /// Scoring defaults the document declares.
    pub from_doc: Defaults,
    /// Bad scoring inputs in the document (reported with the caller's own).
    pub input_errors: Vec<FieldError>,
}

/// Imports a CBOM (see [`CbomImport`]).
pub fn import_cbom(body: &[u8], strict: bool) -> Result<CbomImport, Problem> {
    json_limits::check(body, json_limits::CBOM)?;
    let mut doc: Value = parse_json(body)?;
    let spec = cbom::spec_version(&doc)?;
    let issues = schema::validate(&spec, &doc, MAX_SCHEMA_ISSUES).map_err(Problem::internal)?;
    let mut skipped = None;
    if !issues.is_empty() {
        if strict {
            return Err(Problem::validation(
                issues
                    .into_iter()
                    .map(|i| {
                        FieldError::new(
                            i.pointer,
                            format!("CycloneDX {spec} schema: {}", i.message),
                        )
                    })
                    .collect(),
            ));
        }
        schema::drop_invalid(&mut doc, &issues);
        skipped = Some(json!(issues));
    }
    let parsed = cbom::parse(&doc)?;
    let (from_doc, input_errors) = cbom::inputs(&doc);
    Ok(CbomImport {
        count: parsed.assets.len(),
        spec: parsed.spec_version,
        doc,
        skipped,
        from_doc,
        input_errors,
    })
}

/// An assessment ready to be stored, whatever its source.
#[derive(Debug)]
pub struct NewAssessment {
    /// 1..200 characters.
    pub name: String,
    /// Up to 4000 characters.
    pub description: Option<String>,
    /// `inventory`, `cyclonedx` or `qsgw-runtime-cbom`.
    pub format: &'static str,
    /// CycloneDX specVersion.
    pub spec: Option<String>,
    /// The source document as stored.
    pub doc: Value,
    /// Assets to score.
    pub count: usize,
    /// Schema violations skipped.
    pub skipped: Option<Value>,
    /// Scoring defaults.
    pub defaults: Defaults,
    /// The control plane it was pulled from (never its key).
    pub source_url: Option<String>,
    /// The window pulled (`7d`, …).
    pub window: Option<String>,
}

/// Stores a new pending assessment and its audit entry in one transaction
/// (the API and `risk-api import-qsgw` alike); a worker scores it.
#[tracing::instrument(skip_all, err(level = "debug", Debug),
    fields(org = org, format = n.format, assets = n.count, assessment))]
pub async fn store(
    pool: &sqlx::PgPool,
    actor: &Actor,
    org: &str,
    n: NewAssessment,
) -> Result<Assessment, ApiError> {
    let id = AssessmentId::new();
    tracing::Span::current().record("assessment", id.as_str());
    let defaults = serde_json::to_value(&n.defaults).map_err(Problem::internal)?;
    let created_by: String = actor.subject.chars().take(320).collect();
    let mut tx = pool.begin().await?;
    let a = assessments::insert(
        &mut tx,
        &assessments::NewRow {
            id: id.as_str(),
            organization_id: org,
            name: n.name.trim(),
            description: n.description.as_deref(),
            source_format: n.format,
            spec_version: n.spec.as_deref(),
            document: &n.doc,
            asset_count: i32::try_from(n.count).unwrap_or(i32::MAX),
            created_by: &created_by,
            import_skipped: n.skipped.as_ref(),
            defaults: &defaults,
            source_url: n.source_url.as_deref(),
        },
    )
    .await?;
    let mut details = json!({"format": n.format, "assets": n.count, "defaults": n.defaults});
    if let Some(url) = &n.source_url {
        details["source_url"] = json!(url);
        details["window"] = json!(n.window);
    }
    audit::append(
        &mut tx,
        actor,
        Some(org),
        "assessment.create",
        "assessment",
        &a.id,
        details,
    )
    .await?;
    tx.commit().await?;
    Ok(a)
}

/// A `source.qsgw` checked before anything is fetched.
#[derive(Debug)]
pub struct QsgwPull {
    url: reqwest::Url,
    api_key: shared::config::Secret,
    window: String,
}

impl QsgwPull {
    /// Checks the URL (422 naming `source.qsgw.url`), the key and the
    /// window; nothing is sent yet.
    pub fn check(settings: &QsgwSettings, src: QsgwSource) -> Result<Self, Problem> {
        let mut errors = Vec::new();
        let window = src.window.unwrap_or_else(|| "7d".to_owned());
        if crate::qsgw::window(&window, chrono::Utc::now()).is_none() {
            errors.push(FieldError::new(
                "source.qsgw.window",
                "must be 24h, 7d, 30d or 90d",
            ));
        }
        let key = src.api_key.expose();
        if key.len() < 16 || key.len() > 1024 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            // Never echoed: only what is wrong with it.
            errors.push(FieldError::new(
                "source.qsgw.api_key",
                "must be a control-plane API key (16..1024 printable ASCII characters)",
            ));
        }
        let url = match settings.check_url(&src.url) {
            Ok(u) => Some(u),
            Err(p) => {
                errors.extend(p.errors);
                None
            }
        };
        match url {
            Some(url) if errors.is_empty() => Ok(Self {
                url,
                api_key: src.api_key,
                window,
            }),
            _ => Err(Problem::validation(errors)),
        }
    }

    /// The control plane's URL as stored and shown (no credentials: the
    /// check refuses them).
    pub fn url(&self) -> String {
        self.url.as_str().trim_end_matches('/').to_owned()
    }

    /// Pulls the runtime CBOM and imports it through [`import_cbom`]; a
    /// document that does not import is the control plane's fault (502).
    pub async fn pull(
        self,
        settings: &QsgwSettings,
        name: String,
        description: Option<String>,
        defaults: Defaults,
    ) -> Result<NewAssessment, Problem> {
        settings.resolve(&self.url).await?;
        let now = chrono::Utc::now();
        let (from, to) = crate::qsgw::window(&self.window, now).unwrap_or((now, now));
        let body = settings.fetch(&self.url, &self.api_key, from, to).await?;
        let origin = self.url.origin().ascii_serialization();
        let imported = import_cbom(&body, true).map_err(|p| crate::qsgw::unusable(&origin, &p))?;
        if !imported.input_errors.is_empty() {
            return Err(crate::qsgw::unusable(
                &origin,
                &Problem::validation(imported.input_errors),
            ));
        }
        let url = self.url();
        let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        let description = description.or_else(|| {
            Some(format!(
                "Live TLS traffic: what the QSGW gateways negotiated from {} to {} (window {}), pulled from the control plane at {url}. Findings name the routes that negotiated each algorithm.",
                fmt(from),
                fmt(to),
                self.window
            ))
        });
        Ok(NewAssessment {
            name,
            description,
            format: crate::qsgw::SOURCE_FORMAT,
            spec: Some(imported.spec),
            doc: imported.doc,
            count: imported.count,
            skipped: None,
            defaults: defaults.or(imported.from_doc),
            source_url: Some(url),
            window: Some(self.window),
        })
    }
}

/// What a request asks to create, before the organization is resolved.
enum Pending {
    /// An upload, imported.
    Ready(NewAssessment),
    /// A QSGW pull, checked; fetched once the caller's rights are known.
    Qsgw {
        pull: QsgwPull,
        name: String,
        description: Option<String>,
        defaults: Defaults,
    },
}

/// Creates an assessment and starts scoring it. `Content-Type:
/// application/json` takes a JSON inventory (limit `QRAP_MAX_BODY_SIZE`), or
/// instead of `inventory` a `source.qsgw` naming a QSGW control plane whose
/// runtime CBOM (what its gateways negotiated in the window) is pulled with
/// the given read-only key and imported as an uploaded CBOM is;
/// `application/vnd.cyclonedx+json` takes a CycloneDX 1.6/1.7 CBOM (limit
/// `QRAP_CBOM_MAX_BODY_SIZE`, default 32 MiB). Answers 202 with the
/// pending assessment; a worker of any replica runs it. Poll it until
/// `completed` or `failed` (`assets_scored` shows progress while running).
#[utoipa::path(post, path = "/api/v1/assessments", tag = "assessments",
    params(CbomQuery),
    request_body(content(
        (CreateAssessment = "application/json"),
        (Value = "application/vnd.cyclonedx+json"))),
    responses(
        (status = 202, description = "Accepted; scoring runs in the background", body = Assessment),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 413, description = "Body too large", body = Problem),
        (status = 415, description = "Unsupported content type", body = Problem),
        (status = 422, description = "Not a valid inventory or CBOM, or a refused `source.qsgw.url`", body = Problem),
        (status = 502, description = "The QSGW control plane of `source.qsgw` cannot be reached, refused the key, or answered something that is not an importable CBOM", body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug),
    fields(caller = %p.subject, bytes = body.len()))]
pub async fn create_assessment(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Writer>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    body: Bytes,
) -> Result<(StatusCode, AppJson<Assessment>), ApiError> {
    let (org_given, pending) = decode_upload(&state, &headers, &uri, &body).await?;
    // The organization (and so the caller's right to it) before anything
    // is fetched on the caller's behalf.
    let org = target_org(&state, &p, org_given.as_deref()).await?;
    let new = match pending {
        Pending::Ready(n) => n,
        Pending::Qsgw {
            pull,
            name,
            description,
            defaults,
        } => pull.pull(&state.qsgw, name, description, defaults).await?,
    };
    let a = store(&state.pool, &actor(&p), &org, new).await?;
    crate::runner::wake(&state);
    Ok((StatusCode::ACCEPTED, AppJson(a)))
}

/// An upload decoded and checked, before any database access or fetch:
/// the organization it names (if any) and what to create. Every 4xx of a
/// malformed request comes from here.
async fn decode_upload(
    state: &AppState,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
    body: &Bytes,
) -> Result<(Option<String>, Pending), Problem> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let (org_given, pending) = if ct == CYCLONEDX_JSON {
        let q: CbomQuery = parse_query(uri.query().unwrap_or(""))?;
        let imported = import_cbom(body, q.strict.unwrap_or(true))?;
        let mut errors = imported.input_errors;
        errors.extend(q.defaults().validate(""));
        if !errors.is_empty() {
            return Err(Problem::validation(errors));
        }
        let name = q.name.clone().unwrap_or_else(|| {
            imported
                .doc
                .pointer("/metadata/component/name")
                .and_then(Value::as_str)
                .map_or_else(
                    || "CBOM import".to_owned(),
                    |n| n.chars().take(200).collect(),
                )
        });
        (
            q.organization_id.clone(),
            Pending::Ready(NewAssessment {
                name,
                description: q.description.clone(),
                format: "cyclonedx",
                spec: Some(imported.spec),
                count: imported.count,
                doc: imported.doc,
                skipped: imported.skipped,
                defaults: q.defaults().or(imported.from_doc),
                source_url: None,
                window: None,
            }),
        )
    } else if ct == "application/json" {
        if body.len() > state.max_body_size {
            return Err(Problem::payload_too_large(state.max_body_size));
        }
        let req: CreateAssessment = parse_json(body)?;
        let q: CbomQuery = parse_query(uri.query().unwrap_or(""))?;
        let org = json_body_org(q, req.organization_id.clone())?;
        let errors = req.defaults.validate("defaults.");
        if !errors.is_empty() {
            return Err(Problem::validation(errors));
        }
        let pending = match (req.inventory, req.source) {
            (Some(_), Some(_)) => {
                return Err(Problem::invalid_field(
                    "source",
                    "give either inventory (the assets) or source (where to pull them from), not both",
                ))
            }
            (None, None) => {
                return Err(Problem::invalid_field(
                    "inventory",
                    "is required (or, instead, source.qsgw to import the live traffic of a QSGW control plane)",
                ))
            }
            (Some(inventory), None) => {
                let assets = from_inventory(&inventory)?;
                Pending::Ready(NewAssessment {
                    name: req.name,
                    description: req.description,
                    format: "inventory",
                    spec: None,
                    count: assets.len(),
                    doc: json!({ "inventory": inventory }),
                    skipped: None,
                    defaults: req.defaults,
                    source_url: None,
                    window: None,
                })
            }
            (None, Some(AssessmentSource { qsgw: None })) => {
                return Err(Problem::invalid_field(
                    "source.qsgw",
                    "is required: {\"url\", \"api_key\", \"window\"} of a QSGW control plane",
                ))
            }
            (None, Some(AssessmentSource { qsgw: Some(src) })) => Pending::Qsgw {
                pull: QsgwPull::check(&state.qsgw, src)?,
                name: req.name,
                description: req.description,
                defaults: req.defaults,
            },
        };
        (org, pending)
    } else {
        return Err(Problem::unsupported_media_type(format!(
            "expected Content-Type application/json (inventory or source) or {CYCLONEDX_JSON} (CBOM)"
        )));
    };
    let (name, description, defaults, prefix) = match &pending {
        Pending::Ready(n) => (
            &n.name,
            &n.description,
            &n.defaults,
            if n.format == "inventory" {
                "defaults."
            } else {
                ""
            },
        ),
        Pending::Qsgw {
            name,
            description,
            defaults,
            ..
        } => (name, description, defaults, "defaults."),
    };
    let mut errors: Vec<FieldError> = [
        check_text("name", Some(name), 200, true),
        check_text("description", description.as_deref(), 4000, false),
    ]
    .into_iter()
    .flatten()
    .collect();
    errors.extend(check_with_engine(state, defaults, prefix).await);
    if !errors.is_empty() {
        return Err(Problem::validation(errors));
    }
    Ok((org_given, pending))
}

/// Lists assessments (non-admins: their organization's).
#[utoipa::path(get, path = "/api/v1/assessments", tag = "assessments",
    params(ListAssessments),
    responses((status = 200, body = CountedPage<Assessment>), (status = 422, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject))]
pub async fn list_assessments(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Reader>,
    AppQuery(q): AppQuery<ListAssessments>,
) -> Result<AppJson<CountedPage<Assessment>>, ApiError> {
    let own = scope(&p)?;
    let (limit, offset) = page(q.limit, q.cursor)?;
    if let Some(s) = &q.status {
        if !["pending", "running", "completed", "failed"].contains(&s.as_str()) {
            return Err(Problem::invalid_field(
                "status",
                "must be pending, running, completed or failed",
            )
            .into());
        }
    }
    let sort =
        AssessmentSort::parse(q.sort.as_deref().unwrap_or("-created_at")).ok_or_else(|| {
            Problem::invalid_field(
                "sort",
                "must be created_at, -created_at, name, -name, risk_score or -risk_score",
            )
        })?;
    // A tenant's filter on another organization simply matches nothing.
    let filter = AssessmentFilter {
        scope: own.as_deref(),
        organization_id: q.organization_id.as_deref(),
        status: q.status.as_deref(),
    };
    let (rows, total) = assessments::page(&state.pool, filter, sort, limit, offset).await?;
    Ok(AppJson(counted_page(rows, limit, offset, total)))
}

/// Loads an assessment the caller may see, else 404.
pub async fn visible(
    state: &AppState,
    p: &Principal,
    raw_id: &str,
) -> Result<Assessment, ApiError> {
    let own = scope(p)?;
    let id = parse_id(raw_id, AssessmentId::parse, "assessment")?;
    Ok(assessments::get(&state.pool, id.as_str(), own.as_deref())
        .await?
        .ok_or_else(|| Problem::not_found("assessment not found"))?)
}

/// One assessment.
#[utoipa::path(get, path = "/api/v1/assessments/{id}", tag = "assessments",
    params(("id" = String, Path, description = "Assessment id")),
    responses((status = 200, body = Assessment), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject, assessment = %id))]
pub async fn get_assessment(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Reader>,
    Path(id): Path<String>,
) -> Result<AppJson<Assessment>, ApiError> {
    visible(&state, &p, &id).await.map(AppJson)
}

/// Summary: overall score, counts by severity and threat, PQC readiness,
/// earliest policy deadline.
#[utoipa::path(get, path = "/api/v1/assessments/{id}/summary", tag = "assessments",
    params(("id" = String, Path, description = "Assessment id")),
    responses((status = 200, body = AssessmentSummary), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject, assessment = %id))]
pub async fn assessment_summary(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Reader>,
    Path(id): Path<String>,
) -> Result<AppJson<AssessmentSummary>, ApiError> {
    let a = visible(&state, &p, &id).await?;
    summary_of(&state, &a).await.map(AppJson)
}

/// Builds the summary of a visible assessment: the run's stored figures
/// and the counts over its findings.
pub async fn summary_of(state: &AppState, a: &Assessment) -> Result<AssessmentSummary, ApiError> {
    let figures = assessments::finding_figures(&state.pool, &a.id).await?;
    let object = |pairs: Vec<(String, i64)>| {
        Value::Object(pairs.into_iter().map(|(k, v)| (k, json!(v))).collect())
    };
    Ok(AssessmentSummary {
        deadlines: figures.deadlines,
        assessment_id: a.id.clone(),
        status: a.status.clone(),
        overall_risk_score: a.overall_risk_score,
        counts: json!({"CRITICAL": a.critical_count, "HIGH": a.high_count, "MEDIUM": a.medium_count, "LOW": a.low_count, "INFO": a.info_count}),
        asset_count: a.asset_count,
        pqc_readiness_pct: a.pqc_readiness_pct,
        distinct_asset_count: a.distinct_asset_count,
        pqc_relevant_assets: a.pqc_relevant_assets,
        quantum_safe_assets: a.quantum_safe_assets,
        hash_assets: a.hash_assets,
        symmetric_assets: a.symmetric_assets,
        lanes: a.lane_counts.clone().unwrap_or_else(|| json!({})),
        findings_by_lane: object(figures.by_lane),
        rank_depends_on_band: figures.band_dependent,
        defaults: a.defaults.clone(),
        crqc_timelines_version: a.crqc_timelines_version.clone(),
        earliest_deadline_year: a.earliest_deadline_year,
        by_threat: object(figures.by_threat),
        disagreements: figures.disagreements,
    })
}

/// Re-runs a failed or completed assessment from its stored document.
#[utoipa::path(post, path = "/api/v1/assessments/{id}/rerun", tag = "assessments",
    params(("id" = String, Path, description = "Assessment id")),
    responses((status = 202, body = Assessment), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject, assessment = %id))]
pub async fn rerun_assessment(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Writer>,
    Path(id): Path<String>,
) -> Result<(StatusCode, AppJson<Assessment>), ApiError> {
    let a = visible(&state, &p, &id).await?;
    let mut tx = state.pool.begin().await?;
    let Some(row) = assessments::requeue(&mut tx, &a.id).await? else {
        return Err(Problem::conflict(format!(
            "the assessment is {}; only failed or completed assessments can be re-run",
            a.status
        ))
        .into());
    };
    // Old findings go with the old result, in the same transaction.
    crate::repo::findings::delete_for_assessment(&mut tx, &a.id).await?;
    audit::append(
        &mut tx,
        &actor(&p),
        Some(&a.organization_id),
        "assessment.rerun",
        "assessment",
        &a.id,
        json!({"previous_status": a.status}),
    )
    .await?;
    tx.commit().await?;
    crate::runner::wake(&state);
    Ok((StatusCode::ACCEPTED, AppJson(row)))
}

/// Deletes an assessment and its findings (admin).
#[utoipa::path(delete, path = "/api/v1/assessments/{id}", tag = "assessments",
    params(("id" = String, Path, description = "Assessment id")),
    responses((status = 204), (status = 404, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug), fields(caller = %p.subject, assessment = %id))]
pub async fn delete_assessment(
    State(state): State<AppState>,
    RequireRole { 0: p, .. }: RequireRole<Admin>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let a = visible(&state, &p, &id).await?;
    let mut tx = state.pool.begin().await?;
    assessments::delete(&mut tx, &a.id).await?;
    audit::append(
        &mut tx,
        &actor(&p),
        Some(&a.organization_id),
        "assessment.delete",
        "assessment",
        &a.id,
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The choices for an assessment's defaults, from the ML engine: CRQC
/// timeline bands (with the surveys they are fitted to), CNSA 2.0 system
/// categories, exposure and criticality values, and what the engine
/// assumes when neither the asset nor the assessment says.
#[utoipa::path(get, path = "/api/v1/scoring-options", tag = "assessments",
    responses(
        (status = 200, body = crate::ml::ScoringOptions),
        (status = 503, description = "The ML engine cannot be asked", body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, err(level = "debug", Debug))]
pub async fn scoring_options(
    State(state): State<AppState>,
    RequireRole { .. }: RequireRole<Reader>,
) -> Result<AppJson<crate::ml::ScoringOptions>, ApiError> {
    Ok(crate::ml::options(&state.http, &state.ml_url)
        .await
        .map(AppJson)
        .map_err(Problem::unavailable)?)
}
