//! The common HTTP stack driven through a real server on port 0: problem+json
//! for every error class, auth and roles, request ids, limits, shutdown.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::Value;
use shared::auth::{ApiKeys, Authenticator, Operator, Principal, RequireRole, Role, Service};
use shared::config::Secret;
use shared::http::{apply_stack, StackOptions};
use shared::http_client::{ClientSettings, HttpClient};
use shared::json::AppJson;
use shared::ratelimit::RateLimit;
use shared::request_id::RequestId;
use shared::test_util::{jwt_keys, TestServer};
use shared::Problem;

const API_KEY: &str = "svc-key-0123456789abcdef";

#[derive(Clone)]
struct St {
    auth: Arc<Authenticator>,
}

impl FromRef<St> for Arc<Authenticator> {
    fn from_ref(s: &St) -> Self {
        s.auth.clone()
    }
}

#[derive(Debug, Deserialize)]
struct CreateThing {
    name: String,
    #[allow(dead_code)]
    size: u32,
}

async fn create(_: RequireRole<Operator>, AppJson(body): AppJson<CreateThing>) -> Json<Value> {
    Json(serde_json::json!({ "created": body.name }))
}

async fn whoami(p: Principal) -> Json<Value> {
    Json(serde_json::json!({ "sub": p.subject, "role": p.role.as_str() }))
}

async fn ingest(_: RequireRole<Service>) -> StatusCode {
    StatusCode::ACCEPTED
}

async fn boom() -> &'static str {
    panic!("handler bug")
}

async fn fail_internal() -> Result<(), Problem> {
    Err(Problem::internal("database exploded: password=hunter2"))
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(800)).await;
    "done"
}

fn auth() -> Arc<Authenticator> {
    Arc::new(Authenticator {
        jwt: jwt_keys("unit", "unit-api"),
        api_keys: ApiKeys::single("K", &Secret::new(API_KEY), "gateway").unwrap(),
    })
}

fn app(opts: &StackOptions) -> Router {
    let st = St { auth: auth() };
    let router = Router::new()
        .route("/things", post(create))
        .route("/whoami", get(whoami))
        .route("/ingest", post(ingest))
        .route("/boom", get(boom))
        .route("/fail", get(fail_internal))
        .route("/slow", get(slow))
        .with_state(st);
    apply_stack(router, opts)
}

fn token(role: Role) -> String {
    jwt_keys("unit", "unit-api")
        .issue("usr_test", role, None)
        .unwrap()
        .0
}

async fn problem(resp: reqwest::Response, status: u16) -> Value {
    assert_eq!(resp.status().as_u16(), status);
    assert_eq!(
        resp.headers()["content-type"],
        "application/problem+json",
        "status {status} must be problem+json"
    );
    let rid = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["status"], status);
    assert!(v["type"]
        .as_str()
        .unwrap()
        .starts_with("https://quantun.dev/problems/"));
    assert!(v["title"].is_string() && v["detail"].is_string());
    assert_eq!(
        v["request_id"], rid,
        "body and header carry the same request id"
    );
    v
}

#[tokio::test]
async fn every_error_class_is_problem_json() {
    let srv = TestServer::spawn(app(&StackOptions {
        body_limit: 1024,
        ..Default::default()
    }))
    .await;
    let c = srv.client();
    let op = token(Role::Operator);

    // 400 malformed JSON
    let r = c
        .post(srv.url("/things"))
        .bearer_auth(&op)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    problem(r, 400).await;
    // 401 no credentials
    let r = c
        .post(srv.url("/things"))
        .json(&serde_json::json!({"name":"a","size":1}))
        .send()
        .await
        .unwrap();
    assert!(r.headers().contains_key("www-authenticate"));
    problem(r, 401).await;
    // 403 viewer may not write
    let r = c
        .post(srv.url("/things"))
        .bearer_auth(token(Role::Viewer))
        .json(&serde_json::json!({"name":"a","size":1}))
        .send()
        .await
        .unwrap();
    problem(r, 403).await;
    // 404 unknown path
    problem(c.get(srv.url("/nope")).send().await.unwrap(), 404).await;
    // 405 wrong method keeps Allow
    let r = c.delete(srv.url("/things")).send().await.unwrap();
    assert!(r.headers().contains_key("allow"));
    problem(r, 405).await;
    // 413 body over the limit
    let big = serde_json::json!({"name": "x".repeat(4096), "size": 1});
    problem(
        c.post(srv.url("/things"))
            .bearer_auth(&op)
            .json(&big)
            .send()
            .await
            .unwrap(),
        413,
    )
    .await;
    // 415 wrong content type
    problem(
        c.post(srv.url("/things"))
            .bearer_auth(&op)
            .body("name=a")
            .send()
            .await
            .unwrap(),
        415,
    )
    .await;
    // 422 unknown field, named
    let r = c
        .post(srv.url("/things"))
        .bearer_auth(&op)
        .json(&serde_json::json!({"name":"a","size":1,"colour":"red"}))
        .send()
        .await
        .unwrap();
    let v = problem(r, 422).await;
    assert_eq!(v["errors"][0]["field"], "colour");
    // 422 wrong type, named
    let r = c
        .post(srv.url("/things"))
        .bearer_auth(&op)
        .json(&serde_json::json!({"name":"a","size":-1}))
        .send()
        .await
        .unwrap();
    let v = problem(r, 422).await;
    assert_eq!(v["errors"][0]["field"], "size");
    // 500 from a panic and from an internal error: no internals leak
    let v = problem(c.get(srv.url("/boom")).send().await.unwrap(), 500).await;
    assert_eq!(v["detail"], "internal error");
    let r = c.get(srv.url("/fail")).send().await.unwrap();
    let v = problem(r, 500).await;
    assert!(!v.to_string().contains("hunter2"));
    // success path still works
    let r = c
        .post(srv.url("/things"))
        .bearer_auth(&op)
        .json(&serde_json::json!({"name":"a","size":1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    srv.stop().await.unwrap();
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let opts = StackOptions {
        rate_limit: RateLimit::per_minute(3),
        ..Default::default()
    };
    let srv = TestServer::spawn(app(&opts)).await;
    let c = srv.client();
    for _ in 0..3 {
        assert_eq!(
            c.get(srv.url("/whoami")).send().await.unwrap().status(),
            401
        );
    }
    let r = c.get(srv.url("/whoami")).send().await.unwrap();
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "retry-after {retry}");
    problem(r, 429).await;
    // Exempt prefixes (probes, scrapes, dashboard files) are never counted
    // nor refused: the budget is spent, yet they still reach the router.
    for path in ["/health", "/metrics", "/health/ready"] {
        let status = c.get(srv.url(path)).send().await.unwrap().status();
        assert_ne!(status, 429, "{path} is exempt from the per-IP limit");
    }
    srv.stop().await.unwrap();
}

#[tokio::test]
async fn api_keys_and_roles() {
    let srv = TestServer::spawn(app(&StackOptions::default())).await;
    let c = srv.client();
    // service key → role service, may ingest, may not write config
    let r = c
        .post(srv.url("/ingest"))
        .header("x-api-key", API_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let r = c
        .get(srv.url("/whoami"))
        .header("x-api-key", API_KEY)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["sub"].as_str(), v["role"].as_str()),
        (Some("service:gateway"), Some("service"))
    );
    let r = c
        .post(srv.url("/things"))
        .header("x-api-key", API_KEY)
        .json(&serde_json::json!({"name":"a","size":1}))
        .send()
        .await
        .unwrap();
    problem(r, 403).await;
    // wrong or missing key → 401
    problem(
        c.post(srv.url("/ingest"))
            .header("x-api-key", "wrong-key-0123456789")
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    problem(
        c.post(srv.url("/ingest"))
            .header("x-api-key", "")
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    problem(c.post(srv.url("/ingest")).send().await.unwrap(), 401).await;
    // operator token cannot ingest; admin can
    problem(
        c.post(srv.url("/ingest"))
            .bearer_auth(token(Role::Operator))
            .send()
            .await
            .unwrap(),
        403,
    )
    .await;
    assert_eq!(
        c.post(srv.url("/ingest"))
            .bearer_auth(token(Role::Admin))
            .send()
            .await
            .unwrap()
            .status(),
        202
    );
    // malformed Authorization and a bad token → 401, never 400
    problem(
        c.get(srv.url("/whoami"))
            .header("authorization", "Basic abc")
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    problem(
        c.get(srv.url("/whoami"))
            .bearer_auth("a.b.c")
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    let other = shared::auth::JwtKeys::new(
        "X",
        &Secret::new("a-different-secret-of-sufficient-length"),
        "unit",
        "unit-api",
        Duration::from_secs(60),
    )
    .unwrap();
    let forged = other.issue("usr_x", Role::Admin, None).unwrap().0;
    problem(
        c.get(srv.url("/whoami"))
            .bearer_auth(forged)
            .send()
            .await
            .unwrap(),
        401,
    )
    .await;
    srv.stop().await.unwrap();
}

#[tokio::test]
async fn request_id_generated_echoed_and_forwarded() {
    // Downstream records the id it received.
    let downstream = Router::new().route(
        "/echo",
        get(
            |rid: RequestId, headers: axum::http::HeaderMap| async move {
                Json(serde_json::json!({
                    "header": headers.get("x-request-id").and_then(|v| v.to_str().ok()),
                    "extracted": rid.as_str(),
                }))
            },
        ),
    );
    let down = TestServer::spawn(apply_stack(downstream, &StackOptions::default())).await;
    let down_url = down.url("/echo");
    let client = HttpClient::new(&ClientSettings::new("test")).unwrap();
    // Upstream calls downstream with the shared client inside a request.
    let upstream = Router::new().route(
        "/call",
        get(move |rid: RequestId| {
            let client = client.clone();
            let url = down_url.clone();
            async move {
                let seen: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
                Json(serde_json::json!({ "mine": rid.as_str(), "downstream": seen }))
            }
        }),
    );
    let up = TestServer::spawn(apply_stack(upstream, &StackOptions::default())).await;
    let c = up.client();

    // Given: echoed and forwarded unchanged.
    let r = c
        .get(up.url("/call"))
        .header("x-request-id", "trace-abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-abc-123");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["mine"], "trace-abc-123");
    assert_eq!(v["downstream"]["header"], "trace-abc-123");
    assert_eq!(v["downstream"]["extracted"], "trace-abc-123");

    // Absent: generated, echoed, forwarded.
    let r = c.get(up.url("/call")).send().await.unwrap();
    let generated = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(generated.starts_with("req_"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["downstream"]["header"], generated.as_str());

    // Hostile: replaced, not echoed.
    let r = c
        .get(up.url("/call"))
        .header("x-request-id", "x".repeat(500))
        .send()
        .await
        .unwrap();
    assert!(r.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .starts_with("req_"));
    up.stop().await.unwrap();
    down.stop().await.unwrap();
}

#[tokio::test]
async fn security_headers_on_every_response() {
    let srv = TestServer::spawn(app(&StackOptions::default())).await;
    for path in ["/whoami", "/nope"] {
        let r = srv.client().get(srv.url(path)).send().await.unwrap();
        let h = r.headers();
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin");
        assert!(h["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age="));
        assert!(h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'"));
    }
    srv.stop().await.unwrap();
}

#[tokio::test]
async fn cors_only_for_configured_origins() {
    let opts = StackOptions {
        cors_origins: vec!["http://localhost:3003".into()],
        ..Default::default()
    };
    let srv = TestServer::spawn(app(&opts)).await;
    let c = srv.client();
    let pre = |origin: &'static str| {
        c.request(reqwest::Method::OPTIONS, srv.url("/things"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .send()
    };
    let ok = pre("http://localhost:3003").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "http://localhost:3003"
    );
    let evil = pre("https://evil.example").await.unwrap();
    assert!(!evil.headers().contains_key("access-control-allow-origin"));
    srv.stop().await.unwrap();
}

#[tokio::test]
async fn handler_timeout_is_503_problem() {
    let opts = StackOptions {
        request_timeout: Duration::from_millis(100),
        ..Default::default()
    };
    let srv = TestServer::spawn(app(&opts)).await;
    let v = problem(
        srv.client().get(srv.url("/slow")).send().await.unwrap(),
        503,
    )
    .await;
    assert_eq!(v["code"], "timeout");
    srv.stop().await.unwrap();
}

#[tokio::test]
async fn graceful_shutdown_completes_in_flight_request() {
    let srv = TestServer::spawn(app(&StackOptions::default())).await;
    let url = srv.url("/slow");
    let client = srv.client().clone();
    let in_flight = tokio::spawn(async move { client.get(url).send().await });
    // Let the request reach the handler, then shut down while it sleeps.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let addr = srv.addr;
    let started = std::time::Instant::now();
    srv.stop().await.unwrap();
    let resp = in_flight
        .await
        .unwrap()
        .expect("in-flight request completes");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "done");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "stop waited for the request"
    );
    // The listener is closed after the drain.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn drain_is_bounded_by_the_grace_period() {
    let srv =
        TestServer::spawn_with_grace(app(&StackOptions::default()), Duration::from_millis(100))
            .await;
    let url = srv.url("/slow");
    let client = srv.client().clone();
    let _in_flight = tokio::spawn(async move { client.get(url).send().await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    // serve() returns after the grace period even though a handler is still
    // running; in a binary, main then returns and the process exits.
    srv.stop().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(600),
        "stop did not wait for the 800 ms handler"
    );
}

/// Captures what a subscriber writes (the log lines of one test).
#[derive(Clone, Default)]
struct LogBuf(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuf {
    type Writer = LogBuf;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Container health checks and Prometheus poll every few seconds: at the
/// default level (info) their requests leave no line, ordinary requests do.
#[tokio::test]
async fn probes_and_scrapes_are_not_logged_at_info() {
    let logs = LogBuf::default();
    let sub = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(logs.clone())
        .finish();
    // The test runtime is single-threaded: the server's tasks log here too.
    let _guard = tracing::subscriber::set_default(sub);
    let router = Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/health/ready", get(|| async { "ok" }))
        .route("/metrics", get(|| async { "" }))
        .route("/things", get(|| async { "[]" }));
    let srv = TestServer::spawn(apply_stack(router, &StackOptions::default())).await;
    for path in ["/health", "/health/ready", "/metrics", "/things"] {
        let r = srv.client().get(srv.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
    }
    srv.stop().await.unwrap();
    let out = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let completed: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("request completed"))
        .collect();
    assert_eq!(completed.len(), 1, "{out}");
    assert!(completed[0].contains("path=/things"), "{out}");
}
