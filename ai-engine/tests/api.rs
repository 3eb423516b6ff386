//! The analysis API through the real application on port 0: auth,
//! validation (malformed, oversized, hostile), verdicts, models, metrics.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use serde_json::{json, Value};

fn field_of(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn api_key_is_required() {
    let app = App::spawn(config()).await;
    let url = format!("{}/api/v1/analyze", app.base);
    let body = browser("198.51.100.1", "/", T0);
    let r = app.client.post(&url).json(&body).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = app
        .client
        .post(&url)
        .header("x-api-key", "wrong-key-0123456789abc")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .post(&url)
        .header("authorization", "Bearer abc.def.ghi")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    for path in ["/api/v1/analyze/batch"] {
        let r = app
            .client
            .post(format!("{}{path}", app.base))
            .json(&json!({"items": [body]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = app
        .client
        .get(format!("{}/api/v1/models", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let (status, _) = app.post("/api/v1/analyze", &body).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn browsers_are_allowed_and_known_bad_traffic_is_blocked() {
    let app = App::spawn(config()).await;
    // An ordinary session: a few pages seconds apart, each followed by its
    // assets; after the landing page the browser sends its cookie and the
    // Referer of the link followed.
    let mut t = T0;
    for (i, p) in ["/", "/products", "/products/42", "/cart"]
        .iter()
        .enumerate()
    {
        let page = if i == 0 {
            browser("198.51.100.7", p, t)
        } else {
            browser_in_session("198.51.100.7", p, t, true)
        };
        let mut session = vec![page];
        for (k, a) in ["/static/app.js", "/static/site.css"].iter().enumerate() {
            session.push(browser_in_session(
                "198.51.100.7",
                a,
                t + 80 * (k as u64 + 1),
                true,
            ));
        }
        for req in &session {
            let (s, b) = app.post("/api/v1/analyze", req).await;
            assert_eq!(s, 200, "{b}");
            assert_eq!(b["verdict"], "allow", "{req} {b}");
            assert!(b["bot_score"].as_f64().unwrap() < 0.5, "{b}");
        }
        t += 9_000;
    }
    // A scanner: the probe itself is enough.
    let (s, b) = app
        .post("/api/v1/analyze", &scanner("192.0.2.9", "/.env", T0))
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["verdict"], "block", "{b}");
    assert!(
        matches!(b["severity"].as_str(), Some("high" | "critical")),
        "{b}"
    );
    let reasons = b["reasons"].as_array().unwrap();
    assert!(!reasons.is_empty() && reasons.len() <= 3, "{b}");
    assert!(
        reasons[0]["feature"].is_string() && reasons[0]["contribution"].as_f64().unwrap() > 0.0
    );
    let (_, b) = app
        .post(
            "/api/v1/analyze",
            &scanner("192.0.2.9", "/static/..%2f..%2f..%2fetc%2fpasswd", T0 + 200),
        )
        .await;
    assert_eq!(b["verdict"], "block", "{b}");
    // A credential-stuffing burst: 60 attempts 100 ms apart, in one batch.
    let items: Vec<Value> = (0..60)
        .map(|i| stuffing("203.0.113.50", T0 + i * 100))
        .collect();
    let (s, b) = app
        .post("/api/v1/analyze/batch", &json!({ "items": items }))
        .await;
    assert_eq!(s, 200, "{b}");
    let results = b["results"].as_array().unwrap();
    assert_eq!(results.len(), 60);
    assert!(results.iter().all(|r| r["verdict"] == "block"), "{b}");
    // Past the rate threshold (600/min > 300) the rate rule is named.
    let last = &results[59];
    assert!(
        last["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["source"] == "rule"),
        "{last}"
    );
}

#[tokio::test]
async fn malformed_hostile_and_oversized_input_is_refused_with_the_field() {
    let app = App::spawn(config()).await;
    let ok = browser("198.51.100.1", "/", T0);
    let with = |k: &str, v: Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    let cases: Vec<(Value, &str)> = vec![
        (with("client_ip", json!("not-an-ip")), "client_ip"),
        (with("status", json!(99_999)), "status"),
        (with("status", json!(42)), "status"),
        (with("latency_ms", json!(-1.0)), "latency_ms"),
        (with("latency_ms", json!(1e300)), "latency_ms"),
        (with("timestamp_ms", json!(0)), "timestamp_ms"),
        (with("timestamp_ms", json!(-5)), "timestamp_ms"),
        (with("method", json!("G E T")), "method"),
        (with("path", json!("no-slash")), "path"),
        (
            with("path", json!(format!("/{}", "a".repeat(9000)))),
            "path",
        ),
        (with("user_agent", json!("x".repeat(5000))), "user_agent"),
        (with("header_names", json!(vec!["x"; 300])), "header_names"),
        (with("query_len", json!(u64::MAX)), "query_len"),
        (with("surprise", json!(1)), "surprise"),
    ];
    for (body, field) in cases {
        let (s, b) = app.post("/api/v1/analyze", &body).await;
        assert_eq!(s, 422, "{field}: {b}");
        assert!(field_of(&b).iter().any(|f| f == field), "{field}: {b}");
    }
    let mut missing = ok.clone();
    missing.as_object_mut().unwrap().remove("path");
    let (s, b) = app.post("/api/v1/analyze", &missing).await;
    assert_eq!(s, 422);
    assert!(b["detail"].as_str().unwrap().contains("path"), "{b}");
    // NaN is not JSON: malformed → 400, never a 500.
    let r = app
        .client
        .post(format!("{}/api/v1/analyze", app.base))
        .header("x-api-key", KEY)
        .header("content-type", "application/json")
        .body(r#"{"client_ip":"1.2.3.4","method":"GET","path":"/","latency_ms":NaN,"timestamp_ms":1763900000000}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Batch: 1,001 items, 0 items, a bad item names its index.
    let items: Vec<Value> = (0..1001)
        .map(|i| browser("198.51.100.2", "/", T0 + i))
        .collect();
    let (s, b) = app
        .post("/api/v1/analyze/batch", &json!({ "items": items }))
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(field_of(&b), ["items"]);
    let (s, _) = app
        .post("/api/v1/analyze/batch", &json!({ "items": [] }))
        .await;
    assert_eq!(s, 422);
    let items = vec![ok.clone(), with("latency_ms", json!(-3)), ok.clone()];
    let (s, b) = app
        .post("/api/v1/analyze/batch", &json!({ "items": items }))
        .await;
    assert_eq!(s, 422);
    assert_eq!(field_of(&b), ["items[1].latency_ms"]);
    // Over the body limit → 413.
    let huge = format!(r#"{{"items":["{}"]}}"#, "a".repeat(5 * 1024 * 1024));
    let r = app
        .client
        .post(format!("{}/api/v1/analyze/batch", app.base))
        .header("x-api-key", KEY)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // A full batch of 1,000 is fine.
    let items: Vec<Value> = (0..1000)
        .map(|i| browser(&format!("10.9.{}.{}", i / 250, i % 250), "/", T0 + i))
        .collect();
    let (s, b) = app
        .post("/api/v1/analyze/batch", &json!({ "items": items }))
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["results"].as_array().unwrap().len(), 1000);
}

#[tokio::test]
async fn models_and_metrics_report_the_model() {
    let app = App::spawn(config()).await;
    let (s, b) = app.get("/api/v1/models").await;
    assert_eq!(s, 200, "{b}");
    let m = &b["items"][0];
    assert!(m["version"].as_str().is_some_and(|v| !v.is_empty()));
    assert!(m["trained_at"].is_string());
    assert_eq!(m["thresholds"]["bot_block"], 0.9);
    assert!(m["metrics"]["bot"]["f1"].as_f64().is_some(), "{m}");
    app.post("/api/v1/analyze", &browser("198.51.100.3", "/", T0))
        .await;
    let text = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "ai_analyses_total",
        "ai_scoring_duration_seconds",
        "ai_model_version",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics");
    }
    let doc: Value = app
        .client
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in ["/api/v1/analyze", "/api/v1/analyze/batch", "/api/v1/models"] {
        assert!(doc["paths"][p].is_object(), "{p} undocumented");
    }
}
