//! `GET /api/v1/exposure`: the harvest-now-decrypt-later (HNDL) exposure of
//! every route over a window — how much of its traffic crossed only
//! classical key exchange, and whether a cryptographically relevant quantum
//! computer (CRQC) may arrive while that traffic must still stay secret.
//!
//! The traffic figures come from `route_traffic` (what the gateways count
//! per route, negotiated group and client family and report with their
//! heartbeats), joined to `routes` for the operator's declaration
//! (`data_shelf_life_years`, `data_class`); routes deleted since are shown
//! by id. Traffic that matched no route (`route_id` '') is summed apart.
//!
//! The Mosca figures come from QRAP's ML engine (`POST /api/v1/score` at
//! `QSGW_ML_ENGINE_URL`), never from a copy of its model here: one asset
//! per distinct (classical group, declared shelf life) — the route's
//! classical group with the most bytes, usage `key_exchange` — and the
//! engine answers, per CRQC band, z (years to the band's median), P(CRQC
//! within the horizon) and the slack z − H. A route without a declaration
//! is scored with the engine's default shelf life and flagged
//! `shelf_life_declared: false`.
//!
//! The horizon. Mosca's inequality x + y > z asks when a migration must
//! start so that data protected *from now on* stays safe: y is the time the
//! migration takes, during which new traffic is still captured. The traffic
//! this endpoint counts is already recorded: no migration can protect it
//! any more, it stays readable to whoever captured it as soon as a CRQC
//! exists, for as long as it must stay secret. Its honest horizon is
//! therefore H = x alone, so every asset is sent with
//! `migration_time_years: 0` (the engine accepts 0..=100) and the engine's
//! confidentiality horizon x + y becomes x. The route is exposed under a
//! band iff H > z (the engine's slack z − H is negative).
//!
//! Ranking: classical bytes × P(CRQC within H) under the engine's default
//! band — the expected volume of harvested traffic that becomes readable
//! while it still matters. Without the engine (unreachable, or refusing),
//! the endpoint still answers every traffic figure with `mosca: null`, a
//! `mosca_error` saying why, and ranks by classical bytes (`ranked_by`).

use std::collections::HashMap;

use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use shared::auth::{RequireRole, Viewer};
use shared::error::Problem;
use shared::json::{AppJson, AppQuery};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Bucket, StatsWindow};
use crate::domain::route::DataClass;
use crate::repo;
use crate::state::AppState;
use shared::error::ApiError;

/// Routes drawn in the trend (the top of the ranking).
pub const TREND_ROUTES: usize = 5;
/// The ML engine's batch limit (`ml-engine` `MAX_BATCH`).
const ML_BATCH: usize = 10_000;
/// What a bad `window` is told.
const WINDOW_VALUES: &str = "must be 24h, 7d, 30d or 90d";

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(exposure))
}

/// Query of `GET /api/v1/exposure`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExposureParams {
    /// The last `24h`, `7d` (default), `30d` or `90d`; or give `from`/`to`.
    pub window: Option<String>,
    /// Window start (RFC 3339), instead of `window`.
    pub from: Option<DateTime<Utc>>,
    /// Window end (RFC 3339; default now), instead of `window`.
    pub to: Option<DateTime<Utc>>,
    /// Trend bucket width: `minute`, `5m`, `15m`, `hour`, `6h` or `day`
    /// (default by window: `hour` for 24 h, `6h` for 7 days, else `day`).
    pub bucket: Option<String>,
}

/// Requests and bytes, and the part of them under classical key exchange.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct TrafficFigures {
    /// Requests answered, as the gateways' heartbeats reported them.
    pub requests: i64,
    /// Bytes read from and written to clients (TLS application data).
    pub bytes: i64,
    /// Requests over connections that negotiated a classical group.
    pub classical_requests: i64,
    /// Bytes over those connections.
    pub classical_bytes: i64,
}

impl TrafficFigures {
    /// classical_requests / requests (null: no request).
    pub fn classical_share_requests(&self) -> Option<f64> {
        share(self.classical_requests, self.requests)
    }

    /// classical_bytes / bytes (null: no byte).
    pub fn classical_share_bytes(&self) -> Option<f64> {
        share(self.classical_bytes, self.bytes)
    }
}

use super::ratio as share;

/// Traffic figures with their classical shares.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrafficShare {
    /// The counts.
    #[serde(flatten)]
    pub figures: TrafficFigures,
    /// Classical share of requests (null: none).
    pub classical_share_requests: Option<f64>,
    /// Classical share of bytes (null: none).
    pub classical_share_bytes: Option<f64>,
}

impl From<TrafficFigures> for TrafficShare {
    fn from(figures: TrafficFigures) -> Self {
        Self {
            classical_share_requests: figures.classical_share_requests(),
            classical_share_bytes: figures.classical_share_bytes(),
            figures,
        }
    }
}

/// Mosca under one CRQC band, as the ML engine computed it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BandExposure {
    /// Band id (`optimistic`, `central`, `pessimistic`).
    pub band: String,
    /// The band's median CRQC year.
    pub median_year: f64,
    /// z: years from the as-of year to that median.
    pub years_to_crqc: f64,
    /// P(a CRQC exists within the horizon H).
    pub p_within_horizon: f64,
    /// z − H (negative: exposed at the median).
    pub slack_years: f64,
    /// H > z: the traffic must stay secret past the band's median CRQC year.
    pub exposed: bool,
}

/// A route's harvest-now-decrypt-later exposure, from the ML engine.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RouteMosca {
    /// The classical group scored (the route's with the most bytes).
    pub algorithm: String,
    /// x: the shelf life used (the route's declaration, else the engine's default).
    pub shelf_life_years: f64,
    /// Whether x is the route's declaration.
    pub shelf_life_declared: bool,
    /// y: 0, the traffic is already captured (see the module doc).
    pub migration_years: f64,
    /// H = x.
    pub horizon_years: f64,
    /// The engine's default band, which the ranking uses.
    pub band: String,
    /// P(CRQC within H) under that band.
    pub p_within_horizon: f64,
    /// H > z under that band.
    pub exposed: bool,
    /// Every band, the default first.
    pub bands: Vec<BandExposure>,
}

/// One route's exposure over the window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RouteExposure {
    /// `rt_…`.
    pub route_id: String,
    /// Name (null: the route was deleted since).
    pub name: Option<String>,
    /// The route no longer exists.
    pub deleted: bool,
    /// The route's key-exchange policy now (null: the gateway's default).
    pub tls_policy: Option<String>,
    /// Declared shelf life in years (null: not declared).
    pub data_shelf_life_years: Option<f64>,
    /// Declared data class (null: not declared).
    pub data_class: Option<DataClass>,
    /// Whether a shelf life is declared (else the engine's default is used).
    pub shelf_life_declared: bool,
    /// Traffic and classical shares.
    #[serde(flatten)]
    pub traffic: TrafficShare,
    /// Classical groups negotiated, most bytes first.
    pub classical_groups: Vec<String>,
    /// Mosca (null: no classical traffic, or the engine could not score it;
    /// see `mosca_error`).
    pub mosca: Option<RouteMosca>,
    /// Why `mosca` is null although classical traffic was seen.
    pub mosca_error: Option<String>,
    /// Ranking figure: classical bytes × P(CRQC within H) under the default
    /// band (0 without classical traffic; null without the engine's answer).
    pub exposure_score: Option<f64>,
}

/// The ML engine's model as it answered.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ModelUsed {
    /// The year "now" of the engine's figures.
    pub as_of_year: i32,
    /// Default CRQC band (the ranking's).
    pub default_band: String,
    /// CRQC timeline data version.
    pub crqc_timelines_version: Option<String>,
}

/// One bucket of a trend series.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrendPoint {
    /// Bucket start (epoch-aligned).
    pub start: DateTime<Utc>,
    /// Counts (zero when nothing was seen).
    #[serde(flatten)]
    pub traffic: TrafficShare,
}

/// The classical share over time of one route (or, with `route_id` null,
/// of all traffic).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TrendSeries {
    /// Route (null: all traffic, routed or not).
    pub route_id: Option<String>,
    /// Its name (null: deleted, or all traffic).
    pub name: Option<String>,
    /// Every bucket of the window, oldest first, zero-filled.
    pub points: Vec<TrendPoint>,
}

/// Response of `GET /api/v1/exposure`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Exposure {
    /// Window start.
    pub from: DateTime<Utc>,
    /// Window end.
    pub to: DateTime<Utc>,
    /// The named window (null: `from`/`to` given).
    pub window: Option<String>,
    /// Trend bucket width.
    pub bucket: String,
    /// Trend bucket width in seconds.
    pub bucket_seconds: i64,
    /// All traffic in the window, routed or not.
    pub totals: TrafficShare,
    /// Traffic that matched no route (404s, refusals before routing).
    pub unrouted: TrafficShare,
    /// The engine's model (null: no answer from it).
    pub model: Option<ModelUsed>,
    /// Why the engine gave no answer (null: it answered, or nothing needed it).
    pub mosca_error: Option<String>,
    /// `exposure` (classical bytes × P) or `classical_bytes` (no engine answer).
    pub ranked_by: String,
    /// Routes with traffic in the window, most exposed first.
    pub routes: Vec<RouteExposure>,
    /// Classical share per bucket: all traffic first, then the top
    /// routes of the ranking (at most 5).
    pub trend: Vec<TrendSeries>,
}

/// The window a request names: `window` or `from`/`to`, never both.
fn window_of(p: &ExposureParams, now: DateTime<Utc>) -> Result<StatsWindow, Problem> {
    let (from, to, default_bucket) = match p.window.as_deref() {
        Some(w) => {
            if p.from.is_some() || p.to.is_some() {
                return Err(Problem::invalid_field(
                    "window",
                    "give window or from/to, not both",
                ));
            }
            let (span, bucket) = match w {
                "24h" => (chrono::Duration::hours(24), Bucket::Hour),
                "7d" => (chrono::Duration::days(7), Bucket::SixHours),
                "30d" => (chrono::Duration::days(30), Bucket::Day),
                "90d" => (chrono::Duration::days(90), Bucket::Day),
                _ => return Err(Problem::invalid_field("window", WINDOW_VALUES)),
            };
            (now - span, now, bucket)
        }
        None => {
            let to = p.to.unwrap_or(now);
            let from = p.from.unwrap_or(to - chrono::Duration::days(7));
            let span = to - from;
            let bucket = if span <= chrono::Duration::days(2) {
                Bucket::Hour
            } else if span <= chrono::Duration::days(14) {
                Bucket::SixHours
            } else {
                Bucket::Day
            };
            (from, to, bucket)
        }
    };
    super::stats_window(
        Some(from),
        Some(to),
        Some(p.bucket.as_deref().unwrap_or(default_bucket.as_str())),
    )
}

/// HNDL exposure per route: classical traffic and Mosca through the ML engine.
#[utoipa::path(get, path = "/api/v1/exposure", tag = "tls-sessions", params(ExposureParams),
    security(("bearer" = [])),
    responses((status = 200, body = Exposure), (status = 422, description = "Bad window, from/to or bucket", body = Problem, content_type = "application/problem+json")))]
#[tracing::instrument(skip_all, fields(window = p.window.as_deref(), bucket = p.bucket.as_deref()))]
pub async fn exposure(
    _: RequireRole<Viewer>,
    State(state): State<AppState>,
    AppQuery(p): AppQuery<ExposureParams>,
) -> Result<AppJson<Exposure>, ApiError> {
    let w = window_of(&p, Utc::now())?;
    let pool = &state.pool;
    let totals = repo::exposure::totals(pool, w.from, w.to, false).await?;
    let unrouted = repo::exposure::totals(pool, w.from, w.to, true).await?;
    let rows = repo::exposure::by_route(pool, w.from, w.to).await?;
    let groups = repo::exposure::classical_groups(pool, w.from, w.to).await?;
    let mut groups_of: HashMap<String, Vec<String>> = HashMap::new();
    for (route, group) in groups {
        groups_of.entry(route).or_default().push(group);
    }

    let mut routes: Vec<RouteExposure> = rows
        .into_iter()
        .map(|r| RouteExposure {
            traffic: r.figures().into(),
            classical_groups: groups_of.remove(&r.route_id).unwrap_or_default(),
            deleted: r.name.is_none(),
            name: r.name,
            tls_policy: r.tls_policy,
            shelf_life_declared: r.data_shelf_life_years.is_some(),
            data_shelf_life_years: r.data_shelf_life_years,
            data_class: r.data_class.as_deref().and_then(DataClass::parse),
            route_id: r.route_id,
            mosca: None,
            mosca_error: None,
            exposure_score: None,
        })
        .collect();

    // One asset per distinct (dominant classical group, declared x).
    let mut assets: Vec<(String, Option<f64>)> = Vec::new();
    let mut asset_of: Vec<Option<usize>> = Vec::with_capacity(routes.len());
    for r in &routes {
        let key = r
            .classical_groups
            .first()
            .filter(|_| {
                r.traffic.figures.classical_bytes > 0 || r.traffic.figures.classical_requests > 0
            })
            .map(|g| (g.clone(), r.data_shelf_life_years));
        asset_of.push(key.map(|k| {
            assets.iter().position(|a| a == &k).unwrap_or_else(|| {
                assets.push(k);
                assets.len() - 1
            })
        }));
    }
    let (model, mosca_error) = if assets.is_empty() {
        (None, None)
    } else {
        match score(&state, &assets).await {
            Ok((model, scored)) => {
                for (r, a) in routes.iter_mut().zip(&asset_of) {
                    let Some(i) = *a else { continue };
                    match scored.get(i).cloned().flatten() {
                        Some(m) => {
                            #[allow(clippy::cast_precision_loss)] // bytes far below 2^52
                            let bytes = r.traffic.figures.classical_bytes as f64;
                            r.exposure_score = Some(bytes * m.p_within_horizon);
                            r.mosca = Some(m);
                        }
                        None => {
                            r.mosca_error = Some(format!(
                                "the ML engine gives no quantum horizon for group {}",
                                assets[i].0
                            ));
                        }
                    }
                }
                (Some(model), None)
            }
            Err(reason) => {
                tracing::warn!(%reason, "exposure without Mosca: the ML engine gave no answer");
                for (r, a) in routes.iter_mut().zip(&asset_of) {
                    if a.is_some() {
                        r.mosca_error = Some(reason.clone());
                    }
                }
                (None, Some(reason))
            }
        }
    };
    // Nothing classical, nothing to harvest: 0 whatever the engine says
    // (only when it answered, so one ranking never mixes two figures).
    if model.is_some() || assets.is_empty() {
        for r in routes
            .iter_mut()
            .filter(|r| r.mosca.is_none() && r.mosca_error.is_none())
        {
            r.exposure_score = Some(0.0);
        }
    }
    let ranked_by = if mosca_error.is_some() {
        "classical_bytes"
    } else {
        "exposure"
    };
    routes.sort_by(|a, b| {
        let score = |r: &RouteExposure| r.exposure_score.unwrap_or(-1.0);
        score(b)
            .total_cmp(&score(a))
            .then(
                b.traffic
                    .figures
                    .classical_bytes
                    .cmp(&a.traffic.figures.classical_bytes),
            )
            .then(b.traffic.figures.requests.cmp(&a.traffic.figures.requests))
            .then(a.route_id.cmp(&b.route_id))
    });

    let top: Vec<(String, Option<String>)> = routes
        .iter()
        .take(TREND_ROUTES)
        .map(|r| (r.route_id.clone(), r.name.clone()))
        .collect();
    let trend = trend(&state, &w, &top).await?;
    Ok(AppJson(Exposure {
        from: w.from,
        to: w.to,
        window: p.window,
        bucket: w.bucket.as_str().to_owned(),
        bucket_seconds: w.bucket.seconds(),
        totals: totals.into(),
        unrouted: unrouted.into(),
        model,
        mosca_error,
        ranked_by: ranked_by.to_owned(),
        routes,
        trend,
    }))
}

/// A bucket's figures (`route_id` '' for all traffic).
#[derive(Debug)]
struct BucketRow {
    start: DateTime<Utc>,
    route_id: String,
    traffic: TrafficFigures,
}

/// All traffic, then each of `top`, per bucket of `w`, zero-filled.
#[tracing::instrument(skip_all, fields(routes = top.len()))]
async fn trend(
    state: &AppState,
    w: &StatsWindow,
    top: &[(String, Option<String>)],
) -> Result<Vec<TrendSeries>, ApiError> {
    let ids: Vec<&str> = top.iter().map(|(id, _)| id.as_str()).collect();
    let rows = repo::exposure::trend(&state.pool, w.from, w.to, w.bucket.seconds(), &ids).await?;
    let rows = rows.into_iter().map(|r| BucketRow {
        traffic: r.figures(),
        start: r.start,
        route_id: r.route_id,
    });
    let mut by_route: HashMap<String, Vec<BucketRow>> = HashMap::new();
    for r in rows {
        by_route.entry(r.route_id.clone()).or_default().push(r);
    }
    let series = |key: &str, route_id: Option<String>, name: Option<String>, rows| TrendSeries {
        route_id,
        name,
        points: w
            .fill(
                rows,
                |r: &BucketRow| r.start,
                |start| BucketRow {
                    start,
                    route_id: key.to_owned(),
                    traffic: TrafficFigures::default(),
                },
            )
            .into_iter()
            .map(|r| TrendPoint {
                start: r.start,
                traffic: r.traffic.into(),
            })
            .collect(),
    };
    let mut out = vec![series(
        "",
        None,
        None,
        by_route.remove("").unwrap_or_default(),
    )];
    for (id, name) in top {
        let rows = by_route.remove(id).unwrap_or_default();
        out.push(series(id, Some(id.clone()), name.clone(), rows));
    }
    Ok(out)
}

/// What the engine answers that this endpoint reads (everything else in
/// its response is ignored).
#[derive(Debug, Deserialize)]
struct ScoreAnswer {
    options: AnswerOptions,
    #[serde(default)]
    crqc_timelines_version: Option<String>,
    results: Vec<AnswerResult>,
}

#[derive(Debug, Deserialize)]
struct AnswerOptions {
    as_of_year: i32,
    crqc_timeline: String,
}

#[derive(Debug, Deserialize)]
struct AnswerResult {
    #[serde(default)]
    mosca: Option<AnswerMosca>,
}

#[derive(Debug, Deserialize)]
struct AnswerMosca {
    shelf_life_years: f64,
    migration_years: f64,
    horizon_years: f64,
    band: String,
    bands: Vec<AnswerBand>,
}

#[derive(Debug, Deserialize)]
struct AnswerBand {
    band: String,
    median_year: f64,
    years_to_crqc: f64,
    p_within_horizon: f64,
    slack_years: f64,
}

/// Scores `assets` (classical group, declared shelf life) with the ML
/// engine: per asset its Mosca (`None`: the engine gives the group no
/// quantum horizon). The error is a short reason for the operator, naming
/// the setting, never the address.
#[tracing::instrument(skip_all, fields(assets = assets.len()))]
async fn score(
    state: &AppState,
    assets: &[(String, Option<f64>)],
) -> Result<(ModelUsed, Vec<Option<RouteMosca>>), String> {
    let url = format!("{}/api/v1/score", state.ml_engine_url);
    let mut out = Vec::with_capacity(assets.len());
    let mut model = None;
    for chunk in assets.chunks(ML_BATCH) {
        let body = json!({
            "assets": chunk.iter().map(|(group, x)| {
                let mut a = json!({
                    "algorithm": group,
                    "usage": "key_exchange",
                    // Already captured: migrating now protects none of it.
                    "migration_time_years": 0,
                    // Traffic through the gateway's listener crosses networks
                    // where it can be recorded (the engine's capture factor;
                    // P, z and slack do not depend on it).
                    "exposure": "internet",
                });
                if let Some(x) = x {
                    a["data_shelf_life_years"] = json!(x);
                }
                a
            }).collect::<Vec<Value>>(),
        });
        let resp = state
            .http
            .post(&url)
            .json(&body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    "the ML engine (QSGW_ML_ENGINE_URL) did not answer in time".to_owned()
                } else {
                    "the ML engine (QSGW_ML_ENGINE_URL) is unreachable".to_owned()
                }
            })?;
        let status = resp.status();
        if !status.is_success() {
            // A 422 names the refused fields: say which.
            let p: Value = resp.json().await.unwrap_or(Value::Null);
            let fields: Vec<String> = p["errors"]
                .as_array()
                .into_iter()
                .flatten()
                .take(3)
                .filter_map(|e| {
                    Some(format!(
                        "{}: {}",
                        e["field"].as_str()?,
                        e["message"].as_str()?
                    ))
                })
                .collect();
            let mut reason = format!("the ML engine answered HTTP {}", status.as_u16());
            if !fields.is_empty() {
                reason = format!("{reason} ({})", fields.join("; "));
            }
            return Err(reason.chars().take(500).collect());
        }
        let answer: ScoreAnswer = resp
            .json()
            .await
            .map_err(|_| "the ML engine sent an unreadable answer".to_owned())?;
        if answer.results.len() != chunk.len() {
            return Err("the ML engine answered with a different number of results".to_owned());
        }
        for ((group, declared), r) in chunk.iter().zip(answer.results) {
            out.push(r.mosca.map(|m| {
                let bands: Vec<BandExposure> = m
                    .bands
                    .into_iter()
                    .map(|b| BandExposure {
                        exposed: b.slack_years < 0.0,
                        band: b.band,
                        median_year: b.median_year,
                        years_to_crqc: b.years_to_crqc,
                        p_within_horizon: b.p_within_horizon,
                        slack_years: b.slack_years,
                    })
                    .collect();
                let chosen = bands.iter().find(|b| b.band == m.band);
                RouteMosca {
                    algorithm: group.clone(),
                    shelf_life_years: m.shelf_life_years,
                    shelf_life_declared: declared.is_some(),
                    migration_years: m.migration_years,
                    horizon_years: m.horizon_years,
                    p_within_horizon: chosen.map_or(0.0, |b| b.p_within_horizon),
                    exposed: chosen.is_some_and(|b| b.exposed),
                    band: m.band,
                    bands,
                }
            }));
        }
        model = Some(ModelUsed {
            as_of_year: answer.options.as_of_year,
            default_band: answer.options.crqc_timeline,
            crqc_timelines_version: answer
                .crqc_timelines_version
                .map(|v| v.chars().take(64).collect()),
        });
    }
    let model = model.ok_or_else(|| "the ML engine was given nothing to score".to_owned())?;
    Ok((model, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn params(window: Option<&str>, bucket: Option<&str>) -> ExposureParams {
        ExposureParams {
            window: window.map(str::to_owned),
            bucket: bucket.map(str::to_owned),
            ..ExposureParams::default()
        }
    }

    #[test]
    fn named_windows_end_now_with_their_bucket() {
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).unwrap();
        let w = window_of(&params(Some("24h"), None), now).unwrap();
        assert_eq!(
            (w.to - w.from, w.bucket),
            (chrono::Duration::hours(24), Bucket::Hour)
        );
        let w = window_of(&params(None, None), now).unwrap();
        assert_eq!(
            (w.to - w.from, w.bucket),
            (chrono::Duration::days(7), Bucket::SixHours)
        );
        let w = window_of(&params(Some("90d"), Some("hour")), now).unwrap();
        assert_eq!(w.bucket, Bucket::Hour);
    }

    #[test]
    fn bad_windows_name_the_field() {
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 10, 0, 0).unwrap();
        let field = |p: ExposureParams| window_of(&p, now).unwrap_err().errors[0].field.clone();
        assert_eq!(field(params(Some("5y"), None)), "window");
        assert_eq!(field(params(Some("7d"), Some("week"))), "bucket");
        let mut both = params(Some("7d"), None);
        both.from = Some(now - chrono::Duration::hours(1));
        assert_eq!(field(both), "window");
    }
}
