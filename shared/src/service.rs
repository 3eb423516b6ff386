//! Assembling a service's HTTP surface: its documented API routes, plus
//! health, metrics, the OpenAPI document and docs page, all behind the
//! common stack.

use std::sync::Arc;

use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::health::{self, Readiness};
use crate::http::{self, StackOptions};
use crate::{metrics, openapi};

/// Identity of a service, used in docs, health and logs.
#[derive(Debug, Clone, Copy)]
pub struct ServiceInfo {
    /// Binary name, e.g. `control-plane`.
    pub name: &'static str,
    /// Human title for the docs page.
    pub title: &'static str,
    /// One-line description for the OpenAPI document.
    pub description: &'static str,
    /// Version (the crate version).
    pub version: &'static str,
}

/// Everything [`build_router`] needs besides the API routes.
#[derive(Debug, Clone)]
pub struct Surface {
    /// Service identity.
    pub info: ServiceInfo,
    /// Readiness checks.
    pub readiness: Arc<Readiness>,
    /// Metrics handle.
    pub metrics: PrometheusHandle,
    /// Stack options.
    pub stack: StackOptions,
}

/// Merges `api` with the operational routes, publishes the OpenAPI
/// document, and applies the common stack. Returns the router and the
/// document (tests inspect it).
pub fn build_router(api: OpenApiRouter, surface: &Surface) -> (Router, OpenApi) {
    let (router, mut doc) = api
        .merge(health::router(
            surface.readiness.clone(),
            surface.info.name,
            surface.info.version,
        ))
        .merge(metrics::router(surface.metrics.clone()))
        .split_for_parts();
    doc.info.title = surface.info.title.to_owned();
    doc.info.version = surface.info.version.to_owned();
    doc.info.description = Some(surface.info.description.to_owned());
    // utoipa defaults these to its own package metadata.
    doc.info.contact = None;
    doc.info.license = Some(utoipa::openapi::License::new("Apache-2.0"));
    openapi::add_security_schemes(&mut doc);
    let router = router
        .merge(openapi::docs_router(doc.clone()))
        .fallback(http::not_found);
    (http::apply_stack(router, &surface.stack), doc)
}
