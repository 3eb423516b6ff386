//! The harvest-now-decrypt-later exposure per route (issue 24 item 2)
//! through the real API, with a real ML engine on port 0 for the Mosca part.
//!
//! Traffic figures are written out by hand from the rows the gateways
//! reported. The Mosca figures are checked against the data the engine
//! publishes (`GET /api/v1/models`: each CRQC band's log-logistic
//! parameters, fitted to the Global Risk Institute's Quantum Threat
//! Timeline surveys, and the engine's default shelf life): the horizon H is
//! the declared shelf life x (already captured traffic: no migration term),
//! z = the band's median year (base_year + scale_years) − the as-of year,
//! P(CRQC within H) = 1 / (1 + ((as_of + H − base_year) / scale)^−shape)
//! as the band data's own description states it, and a route is exposed
//! under a band iff H > z (Mosca's inequality with y = 0).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use clap::Parser;
use common::assert_field_error;
use reqwest::Method;
use serde_json::{json, Value};
use shared::server::Shutdown;
use sqlx::PgPool;

/// The as-of year the engine is started with (reproducible figures).
const AS_OF: f64 = 2026.0;

/// A real ML engine on port 0, as its own tests start it; ready when its
/// models are loaded.
async fn ml_engine() -> (String, Shutdown) {
    let cli = ml_engine::config::Cli::try_parse_from([
        "ml-engine",
        "--host",
        "127.0.0.1",
        "--as-of-year",
        "2026",
    ])
    .unwrap();
    let mut config = ml_engine::config::Config::from_settings(cli.settings).unwrap();
    config.port = 0;
    let shutdown = Shutdown::new();
    let app = ml_engine::startup::Application::build(config, shutdown.clone())
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = shared::test_util::client();
    for _ in 0..300 {
        let r = client.get(format!("{base}/health/ready")).send().await;
        if r.is_ok_and(|r| r.status() == 200) {
            return (base, shutdown);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("ml-engine never became ready");
}

/// The control plane scoring through `ml_url`.
async fn spawn(pool: PgPool, ml_url: &str) -> common::TestApp {
    let mut c = common::config(&pool, common::NO_ETCD);
    c.ml_engine_url = ml_url.to_owned();
    common::spawn_with(pool, c).await
}

async fn register(app: &common::TestApp, name: &str) -> String {
    let r = app
        .call_service(
            Method::POST,
            "/api/v1/gateways/register",
            Some(&json!({"name": name, "address": "10.0.0.5:8443", "software_version": "0.1.0"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A route on `path` with the given declaration; returns its id.
async fn route(app: &common::TestApp, up: &str, path: &str, declaration: Value) -> String {
    let mut body = common::route_body(up, path);
    body["name"] = json!(format!("route{}", path.replace('/', "-")));
    for (k, v) in declaration.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.create_route(&body).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// One heartbeat of gateway `gw` carrying `traffic_by_group` (the
/// gateway's aggregates since its last heartbeat), summed by the control
/// plane into the minute it arrives.
async fn beat(app: &common::TestApp, gw: &str, traffic: Value) {
    let r = app
        .call_service(
            Method::POST,
            &format!("/api/v1/gateways/{gw}/heartbeat"),
            Some(&json!({"config_revision_seen": 0, "traffic_by_group": traffic})),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

/// One aggregate of a heartbeat.
fn agg(
    route: Option<&str>,
    group: &str,
    pqc: bool,
    family: &str,
    requests: i64,
    bytes_in: i64,
    bytes_out: i64,
) -> Value {
    json!({"route_id": route, "kx_group": group, "pqc": pqc, "client_family": family,
           "sessions": 1, "requests": requests, "bytes_in": bytes_in, "bytes_out": bytes_out})
}

/// One `route_traffic` row at a chosen `minute` of the past, as a
/// heartbeat then would have written it: a heartbeat sums into the minute
/// it arrives, so the window boundaries need rows written directly.
#[allow(clippy::too_many_arguments)]
async fn traffic(
    pool: &PgPool,
    gw: &str,
    minute: chrono::DateTime<chrono::Utc>,
    route: &str,
    group: &str,
    pqc: bool,
    family: &str,
    requests: i64,
    bytes_in: i64,
    bytes_out: i64,
) {
    sqlx::query(
        "INSERT INTO route_traffic (gateway_id, minute, route_id, kx_group, pqc, client_family,
            sessions, requests, bytes_in, bytes_out)
         VALUES ($1, date_trunc('minute', $2::timestamptz), $3, $4, $5, $6, 1, $7, $8, $9)
         ON CONFLICT (gateway_id, minute, route_id, kx_group, client_family) DO UPDATE
            SET requests = route_traffic.requests + EXCLUDED.requests,
                bytes_in = route_traffic.bytes_in + EXCLUDED.bytes_in,
                bytes_out = route_traffic.bytes_out + EXCLUDED.bytes_out",
    )
    .bind(gw)
    .bind(minute)
    .bind(route)
    .bind(group)
    .bind(pqc)
    .bind(family)
    .bind(requests)
    .bind(bytes_in)
    .bind(bytes_out)
    .execute(pool)
    .await
    .unwrap();
}

async fn get(app: &common::TestApp, query: &str, token: Option<&str>) -> reqwest::Response {
    app.call(
        Method::GET,
        &format!("/api/v1/exposure{query}"),
        token,
        None,
    )
    .await
}

async fn exposure(app: &common::TestApp, query: &str) -> Value {
    let r = get(app, query, Some(&app.viewer)).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn row<'a>(e: &'a Value, route: &str) -> &'a Value {
    e["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["route_id"] == route)
        .unwrap_or_else(|| panic!("route {route} not in {e}"))
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// A CRQC band as `GET /api/v1/models` publishes it.
struct Band {
    id: String,
    base: f64,
    scale: f64,
    shape: f64,
}

impl Band {
    fn median(&self) -> f64 {
        self.base + self.scale
    }

    /// The band data's stated model: P(CRQC by year) = 1 / (1 + ((year −
    /// base_year) / scale)^−shape).
    fn p_by(&self, year: f64) -> f64 {
        1.0 / (1.0 + ((year - self.base) / self.scale).powf(-self.shape))
    }
}

/// The engine's published bands (default first) and default shelf life.
async fn published(ml: &str) -> (Vec<Band>, f64) {
    let m: Value = shared::test_util::client()
        .get(format!("{ml}/api/v1/models"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let t = &m["crqc_timelines"];
    let mut bands: Vec<Band> = t["bands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| Band {
            id: b["id"].as_str().unwrap().to_owned(),
            base: f(&b["base_year"]),
            scale: f(&b["scale_years"]),
            shape: f(&b["shape"]),
        })
        .collect();
    let default = t["default_band"].as_str().unwrap();
    bands.sort_by_key(|b| b.id != default);
    (bands, f(&m["asset_defaults"]["data_shelf_life_years"]))
}

/// Checks a route's Mosca against the published bands for horizon `h`.
fn check_mosca(m: &Value, bands: &[Band], h: f64, declared: bool) {
    assert_eq!(f(&m["shelf_life_years"]), h, "x = {h}: {m}");
    assert_eq!(m["shelf_life_declared"], declared, "{m}");
    assert_eq!(f(&m["migration_years"]), 0.0, "captured traffic: y = 0");
    assert_eq!(f(&m["horizon_years"]), h, "H = x");
    assert_eq!(m["band"], bands[0].id.as_str(), "the engine's default band");
    let got = m["bands"].as_array().unwrap();
    assert_eq!(got.len(), bands.len());
    for b in bands {
        let g = got
            .iter()
            .find(|g| g["band"] == b.id.as_str())
            .unwrap_or_else(|| panic!("band {} missing in {m}", b.id));
        let z = b.median() - AS_OF;
        assert!(
            (f(&g["years_to_crqc"]) - z).abs() < 0.01,
            "{}: z {z} vs {g}",
            b.id
        );
        assert!(
            (f(&g["slack_years"]) - (z - h)).abs() < 0.01,
            "{}: {g}",
            b.id
        );
        let p = b.p_by(AS_OF + h);
        assert!(
            (f(&g["p_within_horizon"]) - p).abs() < 1e-4,
            "{}: P {p} vs {g}",
            b.id
        );
        assert_eq!(g["exposed"], h > z, "{}: exposed iff H {h} > z {z}", b.id);
    }
    assert_eq!(m["exposed"], h > bands[0].median() - AS_OF);
    assert!((f(&m["p_within_horizon"]) - bands[0].p_by(AS_OF + h)).abs() < 1e-4);
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn classical_share_and_mosca_per_route_through_the_ml_engine(pool: PgPool) {
    let (ml, ml_stop) = ml_engine().await;
    let (bands, default_x) = published(&ml).await;
    let app = spawn(pool, &ml).await;
    let gw = register(&app, "gw-exposure").await;
    let up = app.create_upstream("exposure-backend").await;
    let up = up["id"].as_str().unwrap();
    let a = route(
        &app,
        up,
        "/a",
        json!({"data_shelf_life_years": 10, "data_class": "confidential"}),
    )
    .await;
    let c = route(
        &app,
        up,
        "/c",
        json!({"data_shelf_life_years": 25, "data_class": "restricted"}),
    )
    .await;
    let b = route(&app, up, "/b", json!({})).await;
    // Route A, three heartbeats: 300 + 300 requests / 3,000,000 +
    // 3,000,000 bytes under X25519MLKEM768 (Chrome), 400 requests /
    // 4,000,000 bytes under X25519 (curl).
    let chrome = agg(
        Some(&a),
        "X25519MLKEM768",
        true,
        "Chrome 131",
        300,
        100_000,
        2_900_000,
    );
    beat(&app, &gw, json!([chrome])).await;
    beat(&app, &gw, json!([chrome])).await;
    beat(
        &app,
        &gw,
        json!([
            agg(Some(&a), "X25519", false, "curl", 400, 400_000, 3_600_000),
            // Route C: 50 requests / 500,000 bytes, all X25519.
            agg(Some(&c), "X25519", false, "curl", 50, 50_000, 450_000),
            // Route B (no declaration, deleted below): 100 requests /
            // 1,000,000 bytes under secp256r1.
            agg(Some(&b), "secp256r1", false, "Go", 100, 100_000, 900_000),
            // No route matched: 10 requests / 5,000 bytes under X25519.
            agg(None, "X25519", false, "curl", 10, 1_000, 4_000),
        ]),
    )
    .await;
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/routes/{b}"),
            Some(&app.operator),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);

    let e = exposure(&app, "?window=24h").await;
    assert_eq!(e["window"], "24h");
    assert_eq!(e["bucket"], "hour");
    assert_eq!(e["mosca_error"], Value::Null, "{e}");
    assert_eq!(e["ranked_by"], "exposure");
    assert_eq!(e["model"]["as_of_year"], 2026);
    assert_eq!(e["model"]["default_band"], bands[0].id.as_str());

    // A: 1,000 requests, 10,000,000 bytes; classical 400 / 4,000,000:
    // share 400/1,000 = 0.4 by requests, 4,000,000/10,000,000 = 0.4 by bytes.
    let ra = row(&e, &a);
    assert_eq!(ra["requests"], 1000);
    assert_eq!(ra["bytes"], 10_000_000);
    assert_eq!(ra["classical_requests"], 400);
    assert_eq!(ra["classical_bytes"], 4_000_000);
    assert_eq!(f(&ra["classical_share_requests"]), 0.4);
    assert_eq!(f(&ra["classical_share_bytes"]), 0.4);
    assert_eq!(ra["classical_groups"], json!(["X25519"]));
    assert_eq!(f(&ra["data_shelf_life_years"]), 10.0);
    assert_eq!(ra["data_class"], "confidential");
    assert_eq!(ra["shelf_life_declared"], true);
    assert_eq!(ra["deleted"], false);
    assert_eq!(ra["name"], "route-a");
    assert_eq!(ra["mosca"]["algorithm"], "X25519");
    check_mosca(&ra["mosca"], &bands, 10.0, true);

    // C: everything classical (share 1), x = 25.
    let rc = row(&e, &c);
    assert_eq!(rc["requests"], 50);
    assert_eq!(rc["classical_bytes"], 500_000);
    assert_eq!(f(&rc["classical_share_requests"]), 1.0);
    assert_eq!(f(&rc["classical_share_bytes"]), 1.0);
    check_mosca(&rc["mosca"], &bands, 25.0, true);

    // B: deleted, shown by id; no declaration → the engine's default x.
    let rb = row(&e, &b);
    assert_eq!(rb["deleted"], true);
    assert_eq!(rb["name"], Value::Null);
    assert_eq!(rb["shelf_life_declared"], false);
    assert_eq!(rb["data_shelf_life_years"], Value::Null);
    assert_eq!(rb["classical_bytes"], 1_000_000);
    assert_eq!(rb["mosca"]["algorithm"], "secp256r1");
    check_mosca(&rb["mosca"], &bands, default_x, false);

    // Ranking: classical bytes × P(CRQC within H) under the default band.
    let expected = [
        (&a, 4_000_000.0 * bands[0].p_by(AS_OF + 10.0)),
        (&c, 500_000.0 * bands[0].p_by(AS_OF + 25.0)),
        (&b, 1_000_000.0 * bands[0].p_by(AS_OF + default_x)),
    ];
    for (id, score) in &expected {
        let got = f(&row(&e, id)["exposure_score"]);
        assert!((got - score).abs() / score < 1e-3, "{id}: {got} vs {score}");
    }
    let mut order = expected.to_vec();
    order.sort_by(|x, y| y.1.total_cmp(&x.1));
    let ids: Vec<&str> = e["routes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["route_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        order.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>()
    );

    // Totals: 1,000 + 50 + 100 + 10 = 1,160 requests; classical 400 + 50 +
    // 100 + 10 = 560. Unrouted: the 10 / 5,000 with no route.
    assert_eq!(e["totals"]["requests"], 1160);
    assert_eq!(e["totals"]["classical_requests"], 560);
    assert_eq!(
        e["totals"]["bytes"],
        10_000_000 + 500_000 + 1_000_000 + 5_000
    );
    assert_eq!(e["unrouted"]["requests"], 10);
    assert_eq!(e["unrouted"]["bytes"], 5_000);
    assert_eq!(f(&e["unrouted"]["classical_share_bytes"]), 1.0);

    // Trend: all traffic first, then the ranking's routes; every hour of
    // the window, epoch-aligned, zero-filled; the counts add up.
    let trend = e["trend"].as_array().unwrap();
    assert_eq!(trend[0]["route_id"], Value::Null);
    let series: Vec<&Value> = trend[1..].iter().map(|s| &s["route_id"]).collect();
    assert_eq!(
        series,
        ids.iter()
            .map(|i| &row(&e, i)["route_id"])
            .collect::<Vec<_>>()
    );
    for s in trend {
        let points = s["points"].as_array().unwrap();
        // 24 h by hour from an unaligned start: 25 buckets (first and last partial).
        assert_eq!(points.len(), 25, "{s}");
        for p in points {
            let t = chrono::DateTime::parse_from_rfc3339(p["start"].as_str().unwrap()).unwrap();
            assert_eq!(t.timestamp() % 3600, 0);
        }
        let sum = |k: &str| points.iter().map(|p| p[k].as_i64().unwrap()).sum::<i64>();
        let whole = match s["route_id"].as_str() {
            None => &e["totals"],
            Some(id) => row(&e, id),
        };
        assert_eq!(sum("requests"), whole["requests"].as_i64().unwrap());
        assert_eq!(
            sum("classical_bytes"),
            whole["classical_bytes"].as_i64().unwrap()
        );
        // The heartbeats came within a minute or two: at most two buckets
        // hold it all, the others are zero.
        let empty = points.iter().filter(|p| p["requests"] == 0).count();
        assert!(empty >= 23, "zero-filled buckets: {s}");
        for p in points.iter().filter(|p| p["requests"] == 0) {
            assert_eq!(
                p["classical_share_bytes"],
                Value::Null,
                "no share without traffic"
            );
        }
    }
    app.stop().await;
    ml_stop.trigger();
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn rows_outside_the_window_are_not_counted(pool: PgPool) {
    // Traffic figures only: no engine needed.
    let app = spawn(pool.clone(), "http://127.0.0.1:1").await;
    let gw = register(&app, "gw-window").await;
    let up = app.create_upstream("window-backend").await;
    let a = route(&app, up["id"].as_str().unwrap(), "/w", json!({})).await;
    let at = |h: u32, m: u32| {
        chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 1, 5, h, m, 0).unwrap()
    };
    // Window [10:00, 11:00): 09:59 is before it, 10:00 is its first
    // minute, 10:59 its last, 11:00 after it.
    traffic(&pool, &gw, at(9, 59), &a, "X25519", false, "curl", 1, 0, 1).await;
    traffic(
        &pool,
        &gw,
        at(10, 0),
        &a,
        "X25519",
        false,
        "curl",
        20,
        0,
        200,
    )
    .await;
    traffic(
        &pool,
        &gw,
        at(10, 59),
        &a,
        "X25519MLKEM768",
        true,
        "Chrome 131",
        30,
        0,
        300,
    )
    .await;
    traffic(
        &pool,
        &gw,
        at(11, 0),
        &a,
        "X25519",
        false,
        "curl",
        4000,
        0,
        40_000,
    )
    .await;
    let e = exposure(
        &app,
        "?from=2026-01-05T10:00:00Z&to=2026-01-05T11:00:00Z&bucket=15m",
    )
    .await;
    assert_eq!(e["window"], Value::Null);
    let r = row(&e, &a);
    // 20 + 30 = 50 requests, 200 + 300 = 500 bytes; classical 20 / 200.
    assert_eq!(r["requests"], 50);
    assert_eq!(r["bytes"], 500);
    assert_eq!(r["classical_requests"], 20);
    assert_eq!(f(&r["classical_share_requests"]), 0.4);
    assert_eq!(f(&r["classical_share_bytes"]), 0.4);
    // 15-minute buckets of the hour: 10:00 holds the 20, 10:45 the 30.
    let points = e["trend"][1]["points"].as_array().unwrap();
    let counts: Vec<i64> = points
        .iter()
        .map(|p| p["requests"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, [20, 0, 0, 30]);
    assert_eq!(points[0]["start"], "2026-01-05T10:00:00Z");
    // A window with nothing in it: no routes, zero totals.
    let e = exposure(&app, "?from=2026-01-04T10:00:00Z&to=2026-01-04T11:00:00Z").await;
    assert_eq!(e["routes"], json!([]));
    assert_eq!(e["totals"]["requests"], 0);
    assert_eq!(e["totals"]["classical_share_requests"], Value::Null);
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn without_the_ml_engine_the_traffic_figures_still_answer(pool: PgPool) {
    // Nothing listens on port 1.
    let app = spawn(pool, "http://127.0.0.1:1").await;
    let gw = register(&app, "gw-no-ml").await;
    let up = app.create_upstream("no-ml-backend").await;
    let up = up["id"].as_str().unwrap();
    let a = route(&app, up, "/small", json!({"data_shelf_life_years": 30})).await;
    let b = route(&app, up, "/big", json!({})).await;
    beat(
        &app,
        &gw,
        json!([
            agg(Some(&a), "X25519", false, "curl", 10, 0, 1_000),
            agg(Some(&b), "X25519", false, "curl", 10, 0, 9_000),
        ]),
    )
    .await;
    let e = exposure(&app, "").await;
    assert_eq!(e["window"], Value::Null);
    assert_eq!(e["bucket"], "6h", "7 days by 6 hours by default");
    assert_eq!(e["model"], Value::Null);
    let reason = e["mosca_error"].as_str().unwrap();
    assert!(
        reason.contains("ML engine") && reason.contains("unreachable"),
        "{reason}"
    );
    assert_eq!(e["ranked_by"], "classical_bytes");
    for id in [&a, &b] {
        let r = row(&e, id);
        assert_eq!(r["mosca"], Value::Null);
        assert_eq!(r["mosca_error"], reason);
        assert_eq!(r["exposure_score"], Value::Null);
        assert_eq!(f(&r["classical_share_bytes"]), 1.0);
    }
    // Ranked by classical bytes: 9,000 before 1,000.
    assert_eq!(e["routes"][0]["route_id"], b.as_str());
    assert_eq!(e["routes"][1]["route_id"], a.as_str());
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn bad_queries_are_refused_by_name_and_viewers_may_read(pool: PgPool) {
    let app = spawn(pool, "http://127.0.0.1:1").await;
    assert_field_error(get(&app, "?window=5y", Some(&app.viewer)).await, "window").await;
    assert_field_error(
        get(
            &app,
            "?window=7d&from=2026-01-01T00:00:00Z",
            Some(&app.viewer),
        )
        .await,
        "window",
    )
    .await;
    assert_field_error(get(&app, "?bucket=week", Some(&app.viewer)).await, "bucket").await;
    assert_field_error(
        get(
            &app,
            "?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z",
            Some(&app.viewer),
        )
        .await,
        "from",
    )
    .await;
    assert_field_error(
        get(&app, "?window=90d&bucket=minute", Some(&app.viewer)).await,
        "from",
    )
    .await;
    assert_field_error(
        get(&app, "?from=yesterday", Some(&app.viewer)).await,
        "from",
    )
    .await;
    let r = get(&app, "", None).await;
    assert_eq!(r.status(), 401);
    // Empty state: no traffic, nothing to score, no engine needed.
    let e = exposure(&app, "?window=30d").await;
    assert_eq!(e["routes"], json!([]));
    assert_eq!(e["mosca_error"], Value::Null);
    assert_eq!(e["bucket"], "day");
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn routes_carry_the_declaration_validated_and_not_published(pool: PgPool) {
    let app = common::spawn(pool).await;
    let up = app.create_upstream("decl-backend").await;
    let up = up["id"].as_str().unwrap();
    let post = |body: Value| {
        let app = &app;
        async move {
            app.call(
                Method::POST,
                "/api/v1/routes",
                Some(&app.operator),
                Some(&body),
            )
            .await
        }
    };
    let with = |k: &str, v: Value| {
        let mut b = common::route_body(up, "/decl");
        b[k] = v;
        b
    };
    for bad in [json!(-1), json!(101), json!("x"), json!(100.5)] {
        assert_field_error(
            post(with("data_shelf_life_years", bad)).await,
            "data_shelf_life_years",
        )
        .await;
    }
    for bad in [json!("secret"), json!("CONFIDENTIAL"), json!(3)] {
        assert_field_error(post(with("data_class", bad)).await, "data_class").await;
    }
    // Bounds are inclusive: 0 (public data) and 100 years.
    for ok in [0, 100] {
        let mut b = with("data_shelf_life_years", json!(ok));
        b["path"] = json!(format!("/bound{ok}"));
        let r = post(b).await;
        assert_eq!(r.status(), 201);
    }
    let mut body = with("data_shelf_life_years", json!(12.5));
    body["data_class"] = json!("restricted");
    let created = app.create_route(&body).await;
    assert_eq!(created["data_shelf_life_years"], 12.5);
    assert_eq!(created["data_class"], "restricted");
    let id = created["id"].as_str().unwrap();
    let got: Value = app
        .call(
            Method::GET,
            &format!("/api/v1/routes/{id}"),
            Some(&app.viewer),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["data_shelf_life_years"], 12.5);
    assert_eq!(got["data_class"], "restricted");
    let list: Value = app
        .call(Method::GET, "/api/v1/routes", Some(&app.viewer), None)
        .await
        .json()
        .await
        .unwrap();
    let listed = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap();
    assert_eq!(listed["data_class"], "restricted");
    // Metadata of the control plane: the gateways' config does not carry it.
    let snap: Value = app
        .call(
            Method::GET,
            "/api/v1/config/snapshot",
            Some(&app.viewer),
            None,
        )
        .await
        .json()
        .await
        .unwrap();
    let published = snap["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap();
    assert!(
        published.get("data_shelf_life_years").is_none(),
        "{published}"
    );
    assert!(published.get("data_class").is_none(), "{published}");
    // Documented in the OpenAPI schema of the body and of the answer.
    let doc: Value = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json()
        .await
        .unwrap();
    let props = &doc["components"]["schemas"]["RouteInput"]["properties"];
    assert!(props["data_shelf_life_years"].is_object(), "{props}");
    assert!(props["data_class"].is_object(), "{props}");
    // The answer flattens the gateway's RouteConfig (allOf): the two
    // fields are in its own part.
    let route = doc["components"]["schemas"]["Route"].to_string();
    assert!(
        route.contains("data_shelf_life_years") && route.contains("data_class"),
        "{route}"
    );
    // PUT replaces: bad values refused by name, absent clears.
    let put = |body: Value| {
        let app = &app;
        async move {
            app.call(
                Method::PUT,
                &format!("/api/v1/routes/{id}"),
                Some(&app.operator),
                Some(&body),
            )
            .await
        }
    };
    let mut bad = body.clone();
    bad["data_shelf_life_years"] = json!(101);
    assert_field_error(put(bad).await, "data_shelf_life_years").await;
    let mut cleared = body.clone();
    cleared
        .as_object_mut()
        .unwrap()
        .remove("data_shelf_life_years");
    cleared["data_class"] = Value::Null;
    let r = put(cleared).await;
    assert_eq!(r.status(), 200);
    let r: Value = r.json().await.unwrap();
    assert_eq!(r["data_shelf_life_years"], Value::Null);
    assert_eq!(r["data_class"], Value::Null);
    app.stop().await;
}
