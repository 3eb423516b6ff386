//! Upstreams and routes through the real API: CRUD, field-level
//! validation, 409 on an upstream in use, If-Match, Idempotency-Key, the
//! audit row of every mutation (and none when it fails), the config
//! revision, and hostile input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{assert_field_error, route_body, upstream_body};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

async fn revision(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT revision FROM config_revision")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn upstream_and_route_crud_with_audit_and_revision(pool: PgPool) {
    let app = common::spawn(pool).await;
    let rev0 = revision(&app.pool).await;
    let ups = app.create_upstream("orders").await;
    let ups_id = ups["id"].as_str().unwrap();
    assert!(ups_id.starts_with("ups_"));
    assert_eq!(ups["version"], 1);
    assert_eq!(ups["targets"][1]["weight"], 1, "default weight");
    assert_eq!(ups["health_check"]["path"], "/healthz");

    let route = app.create_route(&route_body(ups_id, "/orders")).await;
    let rt_id = route["id"].as_str().unwrap();
    assert_eq!(route["host"], "api.example.com", "host is lower-cased");
    assert_eq!(route["methods"], json!(["GET", "POST"]), "methods sorted");
    assert_eq!(route["rate_limit"], json!({"rps": 50, "burst": 100}));
    assert_eq!(route["tls_policy"], "PQC_ONLY");

    // read back, with ETag
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/routes/{rt_id}"),
            Some(&app.viewer),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"1\"");

    // update with the right If-Match
    let mut body = route_body(ups_id, "/orders");
    body["enabled"] = json!(false);
    let r = app
        .client
        .put(app.url(&format!("/api/v1/routes/{rt_id}")))
        .bearer_auth(&app.operator)
        .header("if-match", "\"1\"")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();
    assert_eq!(updated["version"], 2);
    assert_eq!(updated["enabled"], false);

    // lists
    let r = app
        .call(
            Method::GET,
            "/api/v1/routes?limit=1",
            Some(&app.viewer),
            None,
        )
        .await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let r = app
        .call(Method::GET, "/api/v1/upstreams", Some(&app.viewer), None)
        .await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"][0]["id"], ups_id);

    // delete upstream in use → 409, nothing changes
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/upstreams/{ups_id}"),
            Some(&app.operator),
            None,
        )
        .await;
    assert_eq!(r.status(), 409);
    let p: Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains(rt_id), "{p}");

    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/routes/{rt_id}"),
            Some(&app.operator),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .call(
            Method::DELETE,
            &format!("/api/v1/upstreams/{ups_id}"),
            Some(&app.operator),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app
        .call(
            Method::GET,
            &format!("/api/v1/upstreams/{ups_id}"),
            Some(&app.viewer),
            None,
        )
        .await;
    assert_eq!(r.status(), 404);

    // one audit row per mutation (after the bootstrap admin), in order
    let actions: Vec<String> = app.audit().await.into_iter().map(|(a, _)| a).collect();
    assert_eq!(
        actions,
        [
            "user.bootstrap_admin",
            "upstream.create",
            "route.create",
            "route.update",
            "route.delete",
            "upstream.delete"
        ]
    );
    let (before, after, actor, role, request_id): (Option<Value>, Option<Value>, String, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT before, after, actor, actor_role, request_id FROM qsgw_audit_log WHERE action = 'route.update'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(before.unwrap()["enabled"], true);
    assert_eq!(after.unwrap()["enabled"], false);
    assert_eq!(actor, app.subject(&app.operator));
    assert_eq!(role.as_deref(), Some("operator"));
    assert!(request_id.unwrap().starts_with("req_"));
    let ip: Option<String> = sqlx::query_scalar(
        "SELECT host(client_ip) FROM qsgw_audit_log WHERE action = 'route.update'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    // five config mutations, five revisions
    assert_eq!(revision(&app.pool).await, rev0 + 5);
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn validation_names_the_field(pool: PgPool) {
    let app = common::spawn(pool).await;
    let ups = app.create_upstream("pool-a").await;
    let ups_id = ups["id"].as_str().unwrap().to_owned();
    let audit_before = app.audit().await.len();

    let post_ups = |body: Value| {
        let app = &app;
        async move {
            app.call(
                Method::POST,
                "/api/v1/upstreams",
                Some(&app.operator),
                Some(&body),
            )
            .await
        }
    };
    let mut b = upstream_body("x");
    b["targets"][0]["host"] = json!("exa mple.com");
    assert_field_error(post_ups(b).await, "targets[0].host").await;
    let mut b = upstream_body("x");
    b["targets"][1]["port"] = json!(70000);
    assert_field_error(post_ups(b).await, "targets[1].port").await;
    let mut b = upstream_body("x");
    b["targets"][0]["port"] = json!(0);
    assert_field_error(post_ups(b).await, "targets[0].port").await;
    let mut b = upstream_body("x");
    b["targets"][0]["host"] = json!("10.0.0.1:8080");
    assert_field_error(post_ups(b).await, "targets[0].host").await;
    let mut b = upstream_body("x");
    b["targets"][0]["weight"] = json!(10001);
    assert_field_error(post_ups(b).await, "targets[0].weight").await;
    let mut b = upstream_body("x");
    b["targets"] = json!([]);
    assert_field_error(post_ups(b).await, "targets").await;
    let mut b = upstream_body("x");
    b["connect_timeout_ms"] = json!(0);
    assert_field_error(post_ups(b).await, "connect_timeout_ms").await;
    let mut b = upstream_body("x");
    b["health_check"]["timeout_ms"] = json!(6000);
    assert_field_error(post_ups(b).await, "health_check.timeout_ms").await;
    let mut b = upstream_body("x");
    b["lb_policy"] = json!("random");
    assert_field_error(post_ups(b).await, "lb_policy").await;
    let mut b = upstream_body("x");
    b["surprise"] = json!(1);
    assert_field_error(post_ups(b).await, "surprise").await;
    // duplicate name
    assert_field_error(post_ups(upstream_body("pool-a")).await, "name").await;

    let post_rt = |body: Value| {
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
    // unknown upstream (well-formed id)
    let unknown = shared::ids::UpstreamId::new().to_string();
    assert_field_error(post_rt(route_body(&unknown, "/a")).await, "upstream_id").await;
    assert_field_error(post_rt(route_body("not-an-id", "/a")).await, "upstream_id").await;
    let mut b = route_body(&ups_id, "/a");
    b["timeout_ms"] = json!(0);
    assert_field_error(post_rt(b).await, "timeout_ms").await;
    let mut b = route_body(&ups_id, "/a");
    b["retries"] = json!(11);
    assert_field_error(post_rt(b).await, "retries").await;
    let mut b = route_body(&ups_id, "/a");
    b["rate_limit"]["rps"] = json!(0);
    assert_field_error(post_rt(b).await, "rate_limit.rps").await;
    let mut b = route_body(&ups_id, "/a");
    b["methods"] = json!(["GET", "FETCH"]);
    assert_field_error(post_rt(b).await, "methods[1]").await;
    let mut b = route_body(&ups_id, "/a");
    b["host"] = json!("api.example.com:443");
    assert_field_error(post_rt(b).await, "host").await;
    assert_field_error(post_rt(route_body(&ups_id, "no-slash")).await, "path").await;

    // duplicate and overlapping routes
    app.create_route(&route_body(&ups_id, "/orders")).await;
    assert_field_error(post_rt(route_body(&ups_id, "/orders")).await, "path").await;
    let mut b = route_body(&ups_id, "/orders");
    b["methods"] = json!(["POST", "DELETE"]);
    let p = assert_field_error(post_rt(b).await, "path").await;
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("overlaps"),
        "{p}"
    );
    let mut b = route_body(&ups_id, "/orders");
    b["methods"] = json!([]);
    assert_field_error(post_rt(b).await, "path").await;
    // disjoint methods on the same path, another host, or exact match: fine
    let mut b = route_body(&ups_id, "/orders");
    b["methods"] = json!(["DELETE"]);
    app.create_route(&b).await;
    let mut b = route_body(&ups_id, "/orders");
    b["host"] = json!("other.example.com");
    app.create_route(&b).await;
    let mut b = route_body(&ups_id, "/orders");
    b["path_match"] = json!("exact");
    app.create_route(&b).await;

    // only the four successful route creates were audited
    assert_eq!(app.audit().await.len(), audit_before + 4);
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn stale_if_match_is_412_and_changes_nothing(pool: PgPool) {
    let app = common::spawn(pool).await;
    let ups = app.create_upstream("v").await;
    let id = ups["id"].as_str().unwrap();
    let put = |etag: &'static str, name: &'static str| {
        let app = &app;
        let url = app.url(&format!("/api/v1/upstreams/{id}"));
        async move {
            app.client
                .put(url)
                .bearer_auth(&app.operator)
                .header("if-match", etag)
                .json(&upstream_body(name))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(put("\"1\"", "v2").await.status(), 200);
    let audit_len = app.audit().await.len();
    let r = put("\"1\"", "v3").await;
    assert_eq!(r.status(), 412);
    let p: Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("version 2"), "{p}");
    assert_eq!(
        app.audit().await.len(),
        audit_len,
        "no audit row for a failed update"
    );
    let name: String = sqlx::query_scalar("SELECT name FROM upstreams")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(name, "v2");
    // stale delete too; malformed If-Match is a 400
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/upstreams/{id}")))
        .bearer_auth(&app.operator)
        .header("if-match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    assert_eq!(put("'; DROP TABLE upstreams;--", "v4").await.status(), 400);
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn repeated_idempotency_key_creates_one_row(pool: PgPool) {
    let app = common::spawn(pool).await;
    let ups = app.create_upstream("idem").await;
    let body = route_body(ups["id"].as_str().unwrap(), "/once");
    let post = |key: &'static str, body: Value| {
        let app = &app;
        async move {
            app.client
                .post(app.url("/api/v1/routes"))
                .bearer_auth(&app.operator)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let a = post("key-1", body.clone()).await;
    assert_eq!(a.status(), 201);
    let a: Value = a.json().await.unwrap();
    let b = post("key-1", body.clone()).await;
    assert_eq!(b.status(), 201);
    assert_eq!(b.headers()["idempotent-replayed"], "true");
    let b: Value = b.json().await.unwrap();
    assert_eq!(a["id"], b["id"]);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM routes")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let audits = app
        .audit()
        .await
        .iter()
        .filter(|(a, _)| a == "route.create")
        .count();
    assert_eq!(audits, 1);
    // the same key with another body is refused
    let mut other = body.clone();
    other["path"] = json!("/twice");
    assert_eq!(post("key-1", other).await.status(), 422);
    // a bad key is a 400
    let r = app
        .client
        .post(app.url("/api/v1/routes"))
        .bearer_auth(&app.operator)
        .header("idempotency-key", "a".repeat(256))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn role_matrix_for_config_endpoints(pool: PgPool) {
    let app = common::spawn(pool).await;
    let ups = app.create_upstream("roles").await;
    let ups_id = ups["id"].as_str().unwrap().to_owned();
    let rt = app.create_route(&route_body(&ups_id, "/r")).await;
    let rt_id = rt["id"].as_str().unwrap().to_owned();

    let reads = [
        "/api/v1/upstreams".to_owned(),
        format!("/api/v1/upstreams/{ups_id}"),
        "/api/v1/routes".to_owned(),
        format!("/api/v1/routes/{rt_id}"),
    ];
    for path in &reads {
        for t in [&app.viewer, &app.operator, &app.admin] {
            assert_eq!(
                app.call(Method::GET, path, Some(t), None).await.status(),
                200,
                "{path}"
            );
        }
        assert_eq!(
            app.call(Method::GET, path, None, None).await.status(),
            401,
            "{path}"
        );
        assert_eq!(
            app.call_service(Method::GET, path, None).await.status(),
            403,
            "{path}"
        );
    }
    let writes = [
        (
            Method::POST,
            "/api/v1/upstreams".to_owned(),
            Some(upstream_body("new")),
        ),
        (
            Method::PUT,
            format!("/api/v1/upstreams/{ups_id}"),
            Some(upstream_body("roles")),
        ),
        (
            Method::POST,
            "/api/v1/routes".to_owned(),
            Some(route_body(&ups_id, "/other")),
        ),
        (
            Method::PUT,
            format!("/api/v1/routes/{rt_id}"),
            Some(route_body(&ups_id, "/r")),
        ),
        (Method::DELETE, format!("/api/v1/routes/{rt_id}"), None),
    ];
    for (m, path, body) in &writes {
        let r = app
            .call(m.clone(), path, Some(&app.viewer), body.as_ref())
            .await;
        assert_eq!(r.status(), 403, "viewer {m} {path}");
        let r = app.call_service(m.clone(), path, body.as_ref()).await;
        assert_eq!(r.status(), 403, "service {m} {path}");
        let r = app.call(m.clone(), path, None, body.as_ref()).await;
        assert_eq!(r.status(), 401, "anonymous {m} {path}");
    }
    for (m, path, body) in &writes {
        let r = app
            .call(m.clone(), path, Some(&app.operator), body.as_ref())
            .await;
        assert!(
            r.status().is_success(),
            "operator {m} {path}: {}",
            r.status()
        );
    }
    // the snapshot: every role, service included; not anonymous
    for t in [&app.viewer, &app.operator, &app.admin] {
        assert_eq!(
            app.call(Method::GET, "/api/v1/config/snapshot", Some(t), None)
                .await
                .status(),
            200
        );
    }
    let r = app
        .call_service(Method::GET, "/api/v1/config/snapshot", None)
        .await;
    assert_eq!(r.status(), 200);
    let snap: Value = r.json().await.unwrap();
    assert_eq!(snap["upstreams"].as_array().unwrap().len(), 2);
    assert_eq!(snap["routes"].as_array().unwrap().len(), 1);
    assert!(snap["revision"].as_i64().unwrap() >= 6);
    assert_eq!(
        app.call(Method::GET, "/api/v1/config/snapshot", None, None)
            .await
            .status(),
        401
    );
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn hostile_input_is_4xx_never_5xx(pool: PgPool) {
    let app = common::spawn(pool).await;
    let ups = app.create_upstream("hostile").await;
    let ups_id = ups["id"].as_str().unwrap().to_owned();

    // SQL metacharacters in names are stored as text
    let mut b = upstream_body("x'; DROP TABLE upstreams; --");
    b["description"] = json!("\" OR 1=1 --");
    let r = app
        .call(
            Method::POST,
            "/api/v1/upstreams",
            Some(&app.operator),
            Some(&b),
        )
        .await;
    assert_eq!(r.status(), 201);
    // ... and in path ids and query parameters
    for path in [
        "/api/v1/routes/rt_'%20OR%20'1'='1",
        "/api/v1/upstreams/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/upstreams?limit=1;DROP%20TABLE%20upstreams",
        "/api/v1/upstreams?cursor='%20OR%201=1--",
        "/api/v1/upstreams?limit=100000",
        "/api/v1/routes?evil=1",
    ] {
        let r = app.call(Method::GET, path, Some(&app.viewer), None).await;
        assert!(r.status().is_client_error(), "{path}: {}", r.status());
    }
    // 10 MB body
    let big = format!("{{\"name\":\"{}\"}}", "a".repeat(10 * 1024 * 1024));
    let r = app
        .client
        .post(app.url("/api/v1/upstreams"))
        .bearer_auth(&app.operator)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    // deeply nested JSON
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let r = app
        .client
        .post(app.url("/api/v1/routes"))
        .bearer_auth(&app.operator)
        .header("content-type", "application/json")
        .body(nested)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    // invalid UTF-8
    let mut bytes = br#"{"name":""#.to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe, 0xfd]);
    bytes.extend_from_slice(br#"","targets":[]}"#);
    let r = app
        .client
        .post(app.url("/api/v1/upstreams"))
        .bearer_auth(&app.operator)
        .header("content-type", "application/json")
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // wrong types, huge numbers, nulls
    for body in [
        json!({"name": 1, "path": "/", "upstream_id": ups_id}),
        json!({"name": "n", "path": "/", "upstream_id": ups_id, "timeout_ms": 1e300}),
        json!({"name": "n", "path": "/", "upstream_id": ups_id, "retries": -1}),
        json!({"name": "n", "path": "/\u{0000}", "upstream_id": ups_id}),
        json!({"name": "n", "path": "/", "upstream_id": null}),
        json!([1, 2, 3]),
    ] {
        let r = app
            .call(
                Method::POST,
                "/api/v1/routes",
                Some(&app.operator),
                Some(&body),
            )
            .await;
        assert!(r.status().is_client_error(), "{body}: {}", r.status());
    }
    // still healthy and consistent
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM upstreams")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 2);
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn internal_targets_are_refused_unless_allowed(pool: PgPool) {
    // The attack: an operator (or a stolen operator token) points a public
    // route at etcd on loopback, the cloud metadata address, or the
    // database. Special-purpose addresses per the IANA registries (RFC 6890).
    let mut c = common::config(&pool, "http://etcd.internal:2379");
    let app = common::spawn_with(pool.clone(), c.clone()).await;
    let post = |host: &str, port: u16| {
        let mut b = upstream_body(&format!("internal-{host}-{port}"));
        b["targets"] = json!([{"host": host, "port": port}]);
        let app = &app;
        async move {
            app.call(
                Method::POST,
                "/api/v1/upstreams",
                Some(&app.operator),
                Some(&b),
            )
            .await
        }
    };
    for (host, port) in [
        ("127.0.0.1", 2379),
        ("localhost", 5432),
        ("::1", 8085),
        ("169.254.169.254", 80),
        ("fe80::1", 80),
        ("0.0.0.0", 80),
        ("etcd.internal", 2379),
    ] {
        let p = assert_field_error(post(host, port).await, "targets[0].host").await;
        assert!(
            p["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("QSGW_ALLOWED_PRIVATE_TARGETS"),
            "{host}: {p}"
        );
    }
    assert_eq!(post("10.0.0.5", 2379).await.status(), 201);
    assert_eq!(post("etcd.internal", 8080).await.status(), 201);
    app.stop().await;

    // Allowed explicitly (as `make run` does for loopback).
    c.target_guard.allowed = shared::edge::parse_cidrs("127.0.0.0/8").unwrap();
    let app = common::spawn_with(pool, c).await;
    let mut b = upstream_body("dev");
    b["targets"] = json!([{"host": "127.0.0.1", "port": 2379}]);
    let r = app
        .call(
            Method::POST,
            "/api/v1/upstreams",
            Some(&app.operator),
            Some(&b),
        )
        .await;
    assert_eq!(r.status(), 201);
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn wildcard_hosts_follow_the_gateways_grammar(pool: PgPool) {
    let app = common::spawn(pool).await;
    let ups = app.create_upstream("w").await;
    let ups_id = ups["id"].as_str().unwrap();
    let mut b = route_body(ups_id, "/w");
    b["host"] = json!("*.Example.com");
    let r = app.create_route(&b).await;
    assert_eq!(r["host"], "*.example.com");
    for bad in ["*.com", "a.*.example.com", "f*.example.com", "*"] {
        let mut b = route_body(ups_id, "/w2");
        b["host"] = json!(bad);
        let r = app
            .call(
                Method::POST,
                "/api/v1/routes",
                Some(&app.operator),
                Some(&b),
            )
            .await;
        assert_field_error(r, "host").await;
    }
    app.stop().await;
}

/// The gateway matches routes against the canonical request path (RFC 3986
/// §6.2.2 normalisation, dot segments removed per §5.2.4, `//` merged as
/// nginx's `merge_slashes` does); a route spelled otherwise could never
/// match, so the control plane refuses it with the canonical spelling.
#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn route_paths_a_gateway_could_never_match_are_refused(pool: PgPool) {
    let app = common::spawn(pool).await;
    let ups = app.create_upstream("canon").await;
    let ups_id = ups["id"].as_str().unwrap();
    for (bad, canonical) in [
        ("/api//orders", "/api/orders"),
        ("/api/./orders", "/api/orders"),
        ("/api/v0/../v1", "/api/v1"),
        ("/%7Eteam", "/~team"),
    ] {
        let r = app
            .call(
                Method::POST,
                "/api/v1/routes",
                Some(&app.operator),
                Some(&route_body(ups_id, bad)),
            )
            .await;
        let p = assert_field_error(r, "path").await;
        // The message names the spelling requests are matched in.
        assert!(p.to_string().contains(canonical), "{bad}: {p}");
    }
    for bad in ["/a%2Fb", "/..", "/a\\b"] {
        let r = app
            .call(
                Method::POST,
                "/api/v1/routes",
                Some(&app.operator),
                Some(&route_body(ups_id, bad)),
            )
            .await;
        assert_field_error(r, "path").await;
    }
    let ok = app.create_route(&route_body(ups_id, "/api/orders/")).await;
    assert_eq!(ok["path"], "/api/orders/");
    app.stop().await;
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn route_bot_policy_defaults_to_flag_round_trips_and_rejects_unknown_values(pool: PgPool) {
    let app = common::spawn(pool).await;
    let ups = app.create_upstream("crawlers").await;
    let ups_id = ups["id"].as_str().unwrap();
    let route = app.create_route(&route_body(ups_id, "/a")).await;
    assert_eq!(
        route["bots"], "flag",
        "absent = the engine's verdict as it is"
    );
    let mut body = route_body(ups_id, "/b");
    body["bots"] = json!("allow_verified");
    let route = app.create_route(&body).await;
    assert_eq!(route["bots"], "allow_verified");
    let stored: String = sqlx::query_scalar("SELECT bots FROM routes WHERE id = $1")
        .bind(route["id"].as_str().unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, "allow_verified");
    for bad in [
        json!("allow_all"),
        json!("ALLOW_VERIFIED"),
        json!(""),
        json!(true),
        json!(1),
    ] {
        let mut body = route_body(ups_id, "/c");
        body["bots"] = bad.clone();
        let r = app
            .client
            .post(app.url("/api/v1/routes"))
            .bearer_auth(&app.operator)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{bad}");
        let p: Value = r.json().await.unwrap();
        assert!(p.to_string().contains("bots"), "{bad}: {p}");
    }
}
