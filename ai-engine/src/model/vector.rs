//! The numeric feature vector: one request plus its client's window, as the
//! models see it. The names and their order are the model file's schema.

use shared::features::RequestFeatures;
use shared::user_agent::UaTokens;

use super::request_shape::{BrowserClaim, HeaderFacts, PathShape};
use super::window::{client_key, path_hash, Observation, WindowStats};

/// Bumped whenever a feature is added, removed, reordered or redefined.
///
/// Version 2 added the browser-consistency features (client hints missing
/// from a Chromium agent, header profile contradicting the agent's engine)
/// and the window's asset and referer shares. Version 3 removed what is
/// only known once a request has been answered (`status_error`,
/// `latency_log`, the window's `error_ratio`): a sync route asks before
/// forwarding, and a feature that is absent there but present on an async
/// route made the same request score differently on the two (a browser's
/// first request was flagged on `latency_log` in sync mode).
pub const SCHEMA_VERSION: u32 = 3;

/// Length of the feature vector, one per [`FEATURE_NAMES`] entry; a model
/// file listing another number or order of features is refused.
pub const N_FEATURES: usize = 36;

/// Feature names in vector order (the model file stores and checks them).
pub const FEATURE_NAMES: [&str; N_FEATURES] = [
    "rate_per_minute_log",
    "baseline_ratio_log",
    "interarrival_cv",
    "path_diversity",
    "login_ratio",
    "short_history",
    "path_depth",
    "path_escapes_log",
    "path_traversal",
    "path_sqli",
    "path_xss",
    "path_probed",
    "path_static_asset",
    "query_len_log",
    "header_count",
    "has_accept",
    "has_accept_language",
    "has_accept_encoding",
    "sec_fetch_headers",
    "has_cookie",
    "has_referer",
    "browser_header_order",
    "user_agent_len_log",
    "user_agent_missing",
    "ua_automation",
    "ua_library",
    "ua_crawler",
    "ua_headless",
    "ua_browser_like",
    "tls",
    "method_unusual",
    "path_double_encoded",
    "ua_client_hints_missing",
    "ua_header_profile_mismatch",
    "window_asset_share",
    "window_referer_share",
];

/// A feature vector (on the stack: scoring allocates nothing for it).
pub type Vector = [f64; N_FEATURES];

fn b(x: bool) -> f64 {
    if x {
        1.0
    } else {
        0.0
    }
}

/// What the client's window records of a request: only what is known when
/// it arrives (see [`super::window`]).
pub fn observation(req: &RequestFeatures, path: &PathShape) -> Observation {
    Observation {
        client: client_key(&req.client_ip, req.user_agent.as_deref()),
        t_ms: req.timestamp_ms,
        path_hash: path_hash(&req.path),
        login: path.login,
        static_asset: path.static_asset,
        referer: HeaderFacts::of(&req.header_names).referer,
    }
}

/// Builds the vector of one request. Its status and latency, when sent,
/// are not read (see [`SCHEMA_VERSION`]).
pub fn vectorize(req: &RequestFeatures, path: &PathShape, w: &WindowStats) -> Vector {
    let ua = UaTokens::of(req.user_agent.as_deref());
    let h = HeaderFacts::of(&req.header_names);
    let claim = BrowserClaim::of(
        req.user_agent.as_deref(),
        &req.header_names,
        req.tls_protocol.is_some(),
    );
    let method_unusual = !matches!(req.method.as_str(), "GET" | "HEAD" | "POST");
    [
        w.rate_per_min.max(0.0).ln_1p(),
        w.baseline_ratio.clamp(1e-3, 1e6).ln(),
        w.interarrival_cv.clamp(0.0, 5.0),
        w.path_diversity,
        w.login_ratio,
        b(w.samples < 4),
        f64::from(path.depth.min(16)),
        f64::from(path.percent_escapes).ln_1p(),
        b(path.traversal),
        b(path.sqli),
        b(path.xss),
        b(path.probed),
        b(path.static_asset),
        f64::from(req.query_len).ln_1p(),
        f64::from(h.count.min(64)),
        b(h.accept),
        b(h.accept_language),
        b(h.accept_encoding),
        f64::from(h.sec_fetch.min(4)) / 4.0,
        b(h.cookie),
        b(h.referer),
        b(h.browser_order),
        f64::from(ua.len).ln_1p(),
        b(ua.missing),
        b(ua.automation),
        b(ua.library),
        b(ua.crawler),
        b(ua.headless),
        b(ua.browser_like),
        b(req.tls_protocol.is_some()),
        b(method_unusual),
        b(path.double_encoded),
        b(claim.hints_missing),
        b(claim.profile_mismatch),
        w.asset_share,
        w.referer_share,
    ]
}
