//! HTTP handlers, one module per resource, each with `#[utoipa::path]`.

pub mod audit_log;
pub mod auth;
pub mod config;
pub mod gateways;
pub mod ingest;
pub mod routing;
pub mod threats;
pub mod tls_sessions;
pub mod upstreams;
pub mod users;
pub mod webhooks;

use shared::error::Problem;

/// Parses a path id, answering 404 for anything that is not one (so
/// hostile path segments never reach SQL as anything but a bound string).
pub fn path_id<T>(
    raw: &str,
    parse: impl Fn(&str) -> Result<T, shared::ids::InvalidId>,
) -> Result<T, Problem> {
    parse(raw).map_err(|_| Problem::not_found("no such resource"))
}
