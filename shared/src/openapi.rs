//! OpenAPI publication: `/api/v1/openapi.json` (utoipa, OpenAPI 3.1) and a
//! browsable page at `/api/v1/docs`.
//!
//! The docs page is a small self-contained viewer (HTML + one script + one
//! stylesheet embedded in the binary): no CDN, no inline script, so it works
//! offline and under the strict CSP of [`crate::http::CSP`].

use axum::http::header;
use axum::response::Html;
use axum::routing::get;
use axum::Router;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi;

const DOCS_HTML: &str = include_str!("../assets/docs/index.html");
const DOCS_JS: &str = include_str!("../assets/docs/docs.js");
const DOCS_CSS: &str = include_str!("../assets/docs/docs.css");

/// Name of the bearer-token security scheme in the documents.
pub const BEARER: &str = "bearer";
/// Name of the API-key security scheme in the documents.
pub const API_KEY: &str = "api_key";

/// Adds the two security schemes (JWT bearer, `X-API-Key`).
pub fn add_security_schemes(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        BEARER,
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("JWT")
                .description(Some("HS256 access token"))
                .build(),
        ),
    );
    components.add_security_scheme(
        API_KEY,
        SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
            "X-API-Key",
            "service API key",
        ))),
    );
}

/// Routes serving `doc` and the docs page.
pub fn docs_router(doc: OpenApi) -> Router {
    let json = match doc.to_json() {
        Ok(j) => j,
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise the OpenAPI document");
            "{}".to_owned()
        }
    };
    let title = doc.info.title.clone();
    let html = DOCS_HTML.replace("{{title}}", &html_escape(&title));
    Router::new()
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let json = json.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], json) }
            }),
        )
        .route(
            "/api/v1/docs",
            get(move || {
                let html = html.clone();
                async move { Html(html) }
            }),
        )
        .route(
            "/api/v1/docs/docs.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    DOCS_JS,
                )
            }),
        )
        .route(
            "/api/v1/docs/docs.css",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
                    DOCS_CSS,
                )
            }),
        )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Serialises a document (for tests and tooling).
pub fn to_value(doc: &OpenApi) -> serde_json::Value {
    serde_json::to_value(doc).unwrap_or_default()
}
