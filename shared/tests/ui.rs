//! `shared::ui`: an embedded app served under a prefix through the common
//! stack on a real server (port 0): files, vendored libraries, config.json,
//! client-route fallback, 404s, content types, caching and CSP.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::Router;
use reqwest::header;
use reqwest::StatusCode;
use shared::http::{apply_stack, StackOptions};
use shared::test_util::TestServer;
use shared::ui::{self, RustEmbed, UiOptions};

#[derive(RustEmbed)]
#[folder = "tests/ui-fixture/"]
struct Fixture;

async fn server(opts: UiOptions) -> TestServer {
    let router: Router = ui::router::<Fixture>(opts);
    TestServer::spawn(apply_stack(router, &StackOptions::default())).await
}

fn get_header(r: &reqwest::Response, name: header::HeaderName) -> String {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn index_is_served_with_prefixed_asset_urls_no_cache_and_strict_csp() {
    let s = server(UiOptions::new("/admin/")).await;
    let r = s.client().get(s.url("/admin/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        get_header(&r, header::CONTENT_TYPE),
        "text/html; charset=utf-8"
    );
    assert_eq!(get_header(&r, header::CACHE_CONTROL), "no-cache");
    let csp = get_header(&r, header::CONTENT_SECURITY_POLICY);
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let body = r.text().await.unwrap();
    assert!(body.contains(r#"src="/admin/js/app.js""#), "{body}");
    assert!(body.contains(r#"href="/admin/style.css""#), "{body}");

    // Without the slash: redirected to the prefix.
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c.get(s.url("/admin")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(get_header(&r, header::LOCATION), "/admin/");
}

#[tokio::test]
async fn client_routes_fall_back_to_index_but_missing_files_are_404() {
    let s = server(UiOptions::new("/admin/")).await;
    let r = s
        .client()
        .get(s.url("/admin/routes/rt_123"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains(r#"<main id="app">"#));

    let r = s
        .client()
        .get(s.url("/admin/js/missing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        get_header(&r, header::CONTENT_TYPE),
        "application/problem+json"
    );
    let r = s
        .client()
        .get(s.url("/admin/vendor/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Outside the prefix: not the app's business.
    let r = s.client().get(s.url("/other")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn files_have_their_content_type_and_etag_revalidates() {
    let s = server(UiOptions::new("/admin/")).await;
    let r = s
        .client()
        .get(s.url("/admin/js/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        get_header(&r, header::CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(get_header(&r, header::CACHE_CONTROL), "no-cache");
    let etag = get_header(&r, header::ETAG);
    assert!(etag.starts_with('"') && etag.len() == 66, "{etag}");
    assert_eq!(r.text().await.unwrap().trim(), "export const answer = 42;");

    let r = s
        .client()
        .get(s.url("/admin/js/app.js"))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    assert!(r.bytes().await.unwrap().is_empty());

    let r = s
        .client()
        .get(s.url("/admin/style.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        get_header(&r, header::CONTENT_TYPE),
        "text/css; charset=utf-8"
    );
}

#[tokio::test]
async fn vendored_libraries_are_served_under_the_prefix() {
    let s = server(UiOptions::new("/app/")).await;
    let r = s
        .client()
        .get(s.url("/app/vendor/htm/preact-standalone.module.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        get_header(&r, header::CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    assert_eq!(
        get_header(&r, header::CACHE_CONTROL),
        "public, max-age=86400"
    );
    assert!(r.text().await.unwrap().contains("useState"));

    let r = s
        .client()
        .get(s.url("/app/vendor/chart.js/chart.umd.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Chart.js v4"));
    let r = s
        .client()
        .get(s.url("/app/vendor/chart.js/LICENSE.md"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn config_json_gives_the_api_base_and_csp_allows_its_origin() {
    let s = server(
        UiOptions::new("/admin/")
            .api_base("https://api.example.com:8085/")
            .extra(serde_json::json!({"product": "qsgw"})),
    )
    .await;
    let r = s
        .client()
        .get(s.url("/admin/config.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(get_header(&r, header::CACHE_CONTROL), "no-cache");
    let csp = get_header(&r, header::CONTENT_SECURITY_POLICY);
    assert!(
        csp.contains("connect-src 'self' https://api.example.com:8085;"),
        "{csp}"
    );
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["api_base"], "https://api.example.com:8085");
    assert_eq!(v["prefix"], "/admin/");
    assert_eq!(v["product"], "qsgw");

    // Same origin by default.
    let s = server(UiOptions::new("/")).await;
    let v: serde_json::Value = s
        .client()
        .get(s.url("/config.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["api_base"], "");
    let r = s.client().get(s.url("/")).send().await.unwrap();
    assert!(r.text().await.unwrap().contains(r#"src="/js/app.js""#));
}
