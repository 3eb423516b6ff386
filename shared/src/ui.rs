//! Browser apps embedded in a service's binary and served under a prefix
//! (`/admin/` on the control plane, `/app/` on the risk API).
//!
//! A service derives [`RustEmbed`] on a unit struct pointing at its app's
//! folder and merges [`router`] into its HTTP surface:
//!
//! ```ignore
//! #[derive(shared::ui::RustEmbed)]
//! #[folder = "ui/"]
//! struct Console;
//!
//! let ui = shared::ui::router::<Console>(shared::ui::UiOptions::new("/admin/"));
//! ```
//!
//! What the router answers, for a prefix `P` (`/admin/`):
//!
//! | path | answer |
//! |---|---|
//! | `P` without its slash (`/admin`) | 308 to `P` |
//! | `P`, `P` + `index.html` | the app's `index.html`, with every `="./` rewritten to `="P` so that it also works as the fallback below |
//! | `P` + `config.json` | `{"api_base": …, …}`: the API base URL the app calls (`""` = same origin), plus [`UiOptions::extra`] |
//! | `P` + `vendor/…` | the shared vendored libraries (`ui/vendor/` at the repository root: Preact + htm, Chart.js) |
//! | `P` + `common/…` | what both apps share (`ui/common/`: theme, boot loader, API client, router, components) |
//! | `P` + a file of the app | that file, content type from its extension |
//! | `P` + anything else without a file extension | `index.html` (client-side routes such as `/admin/routes/rt_…`: both apps route with the History API, `ui/common/router.js`) |
//! | `P` + a missing file with an extension | 404 problem+json |
//!
//! Headers: `Content-Type` (with `charset=utf-8` for text), a strong
//! `ETag` (the file's sha256) honoured by `If-None-Match` (304),
//! `Cache-Control: no-cache` for `index.html`, `config.json` and the app's
//! own files (they are not fingerprinted; revalidation is one 304),
//! `public, max-age=86400` for `vendor/` (renamed only with a version bump;
//! `common/` is `no-cache` like the apps' own files),
//! and a strict Content-Security-Policy ([`csp`]): scripts, styles, images,
//! fonts from the same origin only, no inline script or style, no framing;
//! `connect-src` adds the API origin when the app calls another origin.
//!
//! Served on its own (another host, or a static server), the same files
//! work unchanged: `index.html` references everything relatively and the
//! app reads the API base from `config.json` next to it.

use axum::body::Body;
use axum::extract::{Path, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use rust_embed::EmbeddedFile;
pub use rust_embed::RustEmbed;

use crate::error::Problem;

/// The vendored browser libraries shared by every app (`ui/vendor/`).
#[derive(Debug, RustEmbed)]
#[folder = "../ui/vendor/"]
struct Vendor;

/// What every app shares (`ui/common/`: theme, boot loader, API client,
/// router, components).
#[derive(Debug, RustEmbed)]
#[folder = "../ui/common/"]
struct Common;

/// How an app is served.
#[derive(Debug, Clone)]
pub struct UiOptions {
    /// Mount point, starting and ending with `/` (`/admin/`; `/` when the
    /// app is served on its own).
    pub prefix: String,
    /// Base URL of the API the app calls, without a trailing slash; empty
    /// means the origin that served the app.
    pub api_base: String,
    /// More keys for `config.json` (must be a JSON object to be merged).
    pub extra: serde_json::Value,
}

impl UiOptions {
    /// Options for an app at `prefix` calling the API of the same origin.
    pub fn new(prefix: &str) -> Self {
        let trimmed = prefix.trim_matches('/');
        let prefix = if trimmed.is_empty() {
            "/".to_owned()
        } else {
            format!("/{trimmed}/")
        };
        Self {
            prefix,
            api_base: String::new(),
            extra: serde_json::Value::Null,
        }
    }

    /// Sets the API base URL (trailing `/` dropped).
    #[must_use]
    pub fn api_base(mut self, url: &str) -> Self {
        url.trim_end_matches('/').clone_into(&mut self.api_base);
        self
    }

    /// Adds keys to `config.json`.
    #[must_use]
    pub fn extra(mut self, extra: serde_json::Value) -> Self {
        self.extra = extra;
        self
    }

    fn config_json(&self) -> Vec<u8> {
        let mut obj = serde_json::Map::new();
        obj.insert(
            "api_base".to_owned(),
            serde_json::Value::String(self.api_base.clone()),
        );
        obj.insert(
            "prefix".to_owned(),
            serde_json::Value::String(self.prefix.clone()),
        );
        if let serde_json::Value::Object(extra) = &self.extra {
            for (k, v) in extra {
                obj.insert(k.clone(), v.clone());
            }
        }
        serde_json::to_vec_pretty(&serde_json::Value::Object(obj)).unwrap_or_default()
    }
}

/// The Content-Security-Policy of app responses: same-origin everything,
/// no inline script or style, no framing; `connect-src` also allows the
/// origin of `api_base` when it is absolute.
pub fn csp(api_base: &str) -> String {
    let connect = match origin_of(api_base) {
        Some(o) => format!("'self' {o}"),
        None => "'self'".to_owned(),
    };
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src {connect}; font-src 'self'; object-src 'none'; frame-ancestors 'none'; \
         base-uri 'none'; form-action 'self'"
    )
}

/// `scheme://host[:port]` of an absolute http(s) URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // Only characters an origin can hold go into the header.
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
    {
        return None;
    }
    Some(format!("{scheme}://{host}"))
}

#[derive(Clone)]
struct Served {
    prefix: String,
    index: Option<Vec<u8>>,
    index_etag: String,
    config: Vec<u8>,
    config_etag: String,
    csp: HeaderValue,
    get: fn(&str) -> Option<EmbeddedFile>,
}

/// The router serving app `A` as described in the module docs. Merge it
/// into the service's router (inside the common stack).
pub fn router<A: RustEmbed>(opts: UiOptions) -> Router {
    let index = A::get("index.html").map(|f| {
        String::from_utf8_lossy(&f.data)
            .replace("=\"./", &format!("=\"{}", opts.prefix))
            .into_bytes()
    });
    let config = opts.config_json();
    let served = Served {
        prefix: opts.prefix.clone(),
        index_etag: index.as_deref().map(etag_of).unwrap_or_default(),
        index,
        config_etag: etag_of(&config),
        config,
        csp: HeaderValue::from_str(&csp(&opts.api_base))
            .unwrap_or_else(|_| HeaderValue::from_static(crate::http::CSP)),
        get: A::get,
    };
    let root = {
        let s = served.clone();
        move |req: Request| {
            let s = s.clone();
            async move { s.index_response(req.headers()) }
        }
    };
    let file = {
        let s = served.clone();
        move |Path(path): Path<String>, req: Request| {
            let s = s.clone();
            async move { s.file(&path, req.headers()) }
        }
    };
    let mut router = Router::new()
        .route(&opts.prefix, get(root))
        .route(&format!("{}{{*path}}", opts.prefix), get(file));
    let bare = opts.prefix.trim_end_matches('/');
    if !bare.is_empty() {
        let to = opts.prefix.clone();
        router = router.route(bare, get(move || async move { Redirect::permanent(&to) }));
    }
    router
}

impl Served {
    fn file(&self, path: &str, headers: &HeaderMap) -> Response {
        if path == "index.html" {
            return self.index_response(headers);
        }
        if path == "config.json" {
            return respond(
                headers,
                &self.config,
                &self.config_etag,
                "application/json",
                "no-cache",
                &self.csp,
            );
        }
        if let Some(rest) = path.strip_prefix("vendor/") {
            return match Vendor::get(rest) {
                Some(f) => self.embedded(headers, path, &f, "public, max-age=86400"),
                None => not_found(),
            };
        }
        if let Some(rest) = path.strip_prefix("common/") {
            return match Common::get(rest) {
                Some(f) => self.embedded(headers, path, &f, "no-cache"),
                None => not_found(),
            };
        }
        if let Some(f) = (self.get)(path) {
            return self.embedded(headers, path, &f, "no-cache");
        }
        let last = path.rsplit('/').next().unwrap_or_default();
        if last.contains('.') {
            not_found()
        } else {
            self.index_response(headers)
        }
    }

    fn index_response(&self, headers: &HeaderMap) -> Response {
        match &self.index {
            Some(body) => respond(
                headers,
                body,
                &self.index_etag,
                "text/html; charset=utf-8",
                "no-cache",
                &self.csp,
            ),
            None => Problem::not_found(format!("no app at {}", self.prefix)).into_response(),
        }
    }

    fn embedded(
        &self,
        headers: &HeaderMap,
        path: &str,
        f: &EmbeddedFile,
        cache: &'static str,
    ) -> Response {
        let etag = format!("\"{}\"", hex_lower(&f.metadata.sha256_hash()));
        respond(
            headers,
            &f.data,
            &etag,
            &content_type(path, f.metadata.mimetype()),
            cache,
            &self.csp,
        )
    }
}

fn respond(
    req: &HeaderMap,
    body: &[u8],
    etag: &str,
    content_type: &str,
    cache: &'static str,
    csp: &HeaderValue,
) -> Response {
    let fresh = req
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = Response::new(Body::from(body.to_vec()));
        if let Ok(v) = HeaderValue::from_str(content_type) {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        r
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
    resp
}

fn not_found() -> Response {
    Problem::not_found("no such file").into_response()
}

/// The content type for `path`: text types get `charset=utf-8`, and
/// JavaScript is always `text/javascript` (module scripts need a
/// JavaScript MIME type).
fn content_type(path: &str, guessed: &str) -> String {
    let ext = path.rsplit('.').next().unwrap_or_default();
    let base = match ext {
        "js" | "mjs" => "text/javascript",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        _ => guessed,
    };
    if base.starts_with("text/") || base == "application/json" || base == "image/svg+xml" {
        format!("{base}; charset=utf-8")
    } else {
        base.to_owned()
    }
}

fn etag_of(body: &[u8]) -> String {
    use sha2::Digest;
    format!("\"{}\"", hex_lower(&sha2::Sha256::digest(body)))
}

fn hex_lower(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_normalised() {
        assert_eq!(UiOptions::new("admin").prefix, "/admin/");
        assert_eq!(UiOptions::new("/admin/").prefix, "/admin/");
        assert_eq!(UiOptions::new("/").prefix, "/");
    }

    #[test]
    fn csp_adds_only_a_clean_api_origin() {
        assert!(csp("").contains("connect-src 'self';"));
        assert!(csp("https://api.example.com:8085/x")
            .contains("connect-src 'self' https://api.example.com:8085;"));
        assert!(csp("javascript:alert(1)").contains("connect-src 'self';"));
        assert!(csp("http://a b;c").contains("connect-src 'self';"));
        assert!(!csp("").contains("unsafe-inline"));
    }

    #[test]
    fn javascript_and_text_get_utf8_types() {
        assert_eq!(
            content_type("a/app.js", "application/javascript"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("s.css", "text/css"), "text/css; charset=utf-8");
        assert_eq!(content_type("i.png", "image/png"), "image/png");
    }
}
