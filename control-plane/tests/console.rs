//! The QSGW console embedded in the control plane: served at /admin/ by
//! the real application, and alone by `control-plane console` with a
//! configured API URL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use reqwest::header;
use serde_json::Value;
use sqlx::PgPool;

fn h(r: &reqwest::Response, name: header::HeaderName) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[sqlx::test(migrator = "control_plane::MIGRATOR")]
async fn console_is_served_at_admin_with_its_modules_vendor_files_and_strict_csp(pool: PgPool) {
    let app = common::spawn(pool).await;
    let r = app.client.get(app.url("/admin/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(h(&r, header::CACHE_CONTROL), "no-cache");
    let csp = h(&r, header::CONTENT_SECURITY_POLICY);
    assert!(
        csp.contains("script-src 'self';") && !csp.contains("unsafe"),
        "{csp}"
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains(
            r#"<script type="module" src="/admin/common/boot.js" data-app="/admin/js/main.js">"#
        ),
        "{html}"
    );
    assert!(
        html.contains(r#"src="/admin/vendor/chart.js/chart.umd.js""#),
        "{html}"
    );
    // CSP-compatible: no inline script or style in the page.
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "{html}"
    );

    // Every module the entry point imports is served as JavaScript.
    for path in [
        "/admin/js/main.js",
        "/admin/js/api.js",
        "/admin/js/lib.js",
        "/admin/js/views/config.js",
        "/admin/js/views/overview.js",
        "/admin/js/views/threats.js",
        "/admin/js/views/tls.js",
        "/admin/js/views/audit.js",
        "/admin/js/views/users.js",
        "/admin/js/views/posture.js",
        "/admin/common/boot.js",
        "/admin/common/ui.js",
        "/admin/vendor/htm/preact-standalone.module.js",
        "/admin/vendor/chart.js/chart.umd.js",
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            h(&r, header::CONTENT_TYPE),
            "text/javascript; charset=utf-8",
            "{path}"
        );
    }
    // The shared design system, next to the vendored libraries.
    let r = app
        .client
        .get(app.url("/admin/common/theme.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(h(&r, header::CONTENT_TYPE), "text/css; charset=utf-8");
    let r = app
        .client
        .get(app.url("/admin/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(h(&r, header::CONTENT_TYPE), "text/css; charset=utf-8");

    // Same-origin API: config.json names no base.
    let c: Value = app
        .client
        .get(app.url("/admin/config.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(c["api_base"], "");
    assert_eq!(c["prefix"], "/admin/");
    assert_eq!(c["product"], "qsgw");

    // Client-side routes load the app; the API is untouched by the mount.
    let r = app
        .client
        .get(app.url("/admin/threats/thr_0123"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("/admin/js/main.js"));
    let r = app
        .client
        .get(app.url("/admin/js/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .get(app.url("/api/v1/routes"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn standalone_console_calls_the_configured_api_url() {
    let router = control_plane::startup::console_router("https://qsgw-api.example.com:8443/");
    let s = shared::test_util::TestServer::spawn(router).await;
    let r = s.client().get(s.url("/config.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = h(&r, header::CONTENT_SECURITY_POLICY);
    assert!(
        csp.contains("connect-src 'self' https://qsgw-api.example.com:8443;"),
        "{csp}"
    );
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["api_base"], "https://qsgw-api.example.com:8443");
    assert_eq!(c["prefix"], "/");
    let r = s.client().get(s.url("/")).send().await.unwrap();
    assert!(r
        .text()
        .await
        .unwrap()
        .contains(r#"src="/common/boot.js" data-app="/js/main.js""#));
    let r = s.client().get(s.url("/routes")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = s.client().get(s.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
