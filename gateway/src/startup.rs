//! Wiring: live config (file, cache, etcd), certificates, the TLS listener
//! and the admin listener.
//!
//! In detail: wiring; the admin listener (`QSGW_GATEWAY_ADMIN_HOST`, default
//! `127.0.0.1`; containers bind the pod address explicitly) serves `/health`,
//! `/health/ready` and `/metrics` openly and `GET /config` (every upstream's
//! hosts and ports) only with the service key in `X-API-Key`; it stays up
//! until the TLS drain ends while readiness answers 503 from SIGTERM on; the
//! `TargetGuard` also refuses the deployment's etcd, control plane and AI
//! engine addresses; without `QSGW_API_KEY` reporting and inspection are off
//! (one warning at start).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arc_swap::ArcSwap;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;
use shared::health::Readiness;
use shared::http::StackOptions;
use shared::qsgw::ConfigSnapshot;
use shared::server::{HttpServer, Shutdown};
use shared::service::{build_router, ServiceInfo, Surface};
use shared::Problem;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::config::Config;
use crate::inspect::{InspectSettings, Inspector};
use crate::listener::{ListenerOptions, TlsListener};
use crate::live::{self, LiveConfig};
use crate::proxy::{EdgeSettings, Proxy};
use crate::report::{ReportSettings, Reporter};
use crate::tls;
use crate::tls::reload::spawn_cert_reloader;
use shared::auth::ApiKeys;
use shared::edge::TargetGuard;

/// Identity in docs, logs and health.
pub const INFO: ServiceInfo = ServiceInfo {
    name: "gateway",
    title: "QSGW gateway admin API",
    description: "Admin listener of the post-quantum gateway: health, readiness, metrics and the config in force.",
    version: env!("CARGO_PKG_VERSION"),
};

/// A built, bound, not yet serving gateway.
#[derive(Debug)]
pub struct Application {
    admin: HttpServer,
    tls: TlsListener,
    admin_port: u16,
    tls_port: u16,
    shutdown: Shutdown,
    grace: Duration,
    live: Arc<LiveConfig>,
    reporter: Reporter,
}

impl Application {
    /// Loads config and certificates and binds both listeners.
    pub async fn build(config: Config, shutdown: Shutdown) -> anyhow::Result<Self> {
        shared::server::install_crypto_provider();
        // First: routing tables register their metric handles when built.
        let metrics = shared::metrics::install(INFO.name);
        // The deployment's own services are never upstream targets (with
        // the loopback and link-local addresses, unless allowed).
        let internal = config
            .etcd
            .endpoints
            .iter()
            .chain([&config.control_plane_url, &config.ai_engine_url])
            .filter_map(|u| shared::edge::url_host_port(u))
            .collect();
        let targets = TargetGuard::new(config.allowed_private_targets.clone(), internal);
        let live = Arc::new(LiveConfig::new(
            shutdown.token(),
            config.upstream_pool_size as usize,
            targets.clone(),
        ));
        live.spawn_pool_sweeper();
        if let Some(file) = &config.config_file {
            let snap = live::read_snapshot(file).context("QSGW_CONFIG_FILE")?;
            live.install(snap);
            live.set_source(live::ConfigSource::File);
            tracing::info!(file = %file.display(), "standalone mode: serving routes from the file, etcd not used");
        } else {
            if let Some(cache) = config.config_cache_path.as_deref().filter(|p| p.exists()) {
                match live::read_snapshot(cache) {
                    Ok(snap) => {
                        tracing::info!(
                            revision = snap.revision,
                            "serving the cached config until etcd answers"
                        );
                        live.install(snap);
                        live.set_source(live::ConfigSource::Cache);
                    }
                    Err(e) => tracing::warn!(error = format!("{e:#}"), "ignoring the config cache"),
                }
            }
            live::spawn_etcd_source(
                config.etcd.clone(),
                live.clone(),
                config.config_cache_path.clone(),
                shutdown.token(),
            );
        }

        let (cert, key) = (&config.tls_cert_path, &config.tls_key_path);
        if !cert.exists() && !key.exists() {
            if config.production {
                anyhow::bail!(
                    "no TLS certificate at {} (QSGW_TLS_CERT_PATH); provide one, or set QSGW_ENVIRONMENT=development to generate a self-signed certificate",
                    cert.display()
                );
            }
            tls::generate_dev_cert(cert, key)?;
            tracing::warn!(cert = %cert.display(), "generated a self-signed development certificate");
        }
        let files = crate::tls::reload::CertFiles {
            cert: cert.clone(),
            key: key.clone(),
            extra: config.tls_extra_certs.clone(),
            sni: config.tls_sni_certs.clone(),
            client_auth: config.tls_client_auth.clone(),
            verifiers: tls::ClientVerifiers::new(config.tls_client_ca_path.as_deref())?,
        };
        let sessions = tls::SessionCache::new(config.tls_session_cache);
        let configs = Arc::new(ArcSwap::from_pointee(files.load(&sessions)?));
        spawn_cert_reloader(
            files,
            configs.clone(),
            sessions,
            Duration::from_secs(2),
            shutdown.token(),
        );

        let limit = crate::routing::rate(config.rate_limit_rps, config.rate_limit_burst)
            .context("QSGW_RATE_LIMIT_RPS/QSGW_RATE_LIMIT_BURST must be positive")?;
        let traffic = Arc::new(crate::report::Traffic::default());
        let (reporter, inspector) = match &config.api_key {
            Some(key) => {
                let reporter = Reporter::spawn(
                    ReportSettings {
                        control_plane_url: config.control_plane_url.clone(),
                        api_key: key.clone(),
                        name: config.gateway_name.clone(),
                        hostname: config.hostname.clone(),
                        address: config
                            .gateway_address
                            .clone()
                            .unwrap_or_else(|| format!("{}:{}", config.hostname, config.port)),
                        tls_policy: config.tls_policy,
                        heartbeat_every: config.heartbeat_interval,
                        buffer: config.report_buffer_size,
                        client_prefix_only: config.record_client_prefix,
                        traffic: traffic.clone(),
                        certificates: {
                            let configs = configs.clone();
                            Arc::new(move || configs.load().cert_infos())
                        },
                    },
                    live.clone(),
                    shutdown.token(),
                )
                .context("starting the control plane reporter")?;
                let inspector = Inspector::spawn(
                    InspectSettings {
                        ai_engine_url: config.ai_engine_url.clone(),
                        api_key: key.clone(),
                        timeout: config.ai_timeout,
                        verdict_ttl: config.ai_verdict_ttl,
                        queue: config.ai_queue_size,
                        cache_capacity: config.ai_cache_clients,
                    },
                    reporter.clone(),
                    shutdown.token(),
                )
                .context("starting threat inspection")?;
                (reporter, inspector)
            }
            None => {
                tracing::warn!("QSGW_API_KEY is not set: no registration with the control plane, no TLS session or threat reporting, no AI inspection");
                (Reporter::disabled(), Inspector::disabled())
            }
        };
        live.health().report_events_to(reporter.clone());
        let edge = EdgeSettings {
            policies: config.host_policies.clone(),
            client_auth: config.tls_client_auth.clone(),
            trusted_proxies: config.trusted_proxies.clone(),
            pass_forwarded_headers: config.pass_forwarded_headers,
            targets: targets.clone(),
            tunnel_idle: config.idle_timeout,
            reporter: reporter.clone(),
            crawlers: match crate::crawlers::Verifier::new(&config.crawler_dns) {
                Ok(v) => Some(v),
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "no crawler verification: routes with bots: allow_verified judge claimed crawlers like any client");
                    None
                }
            },
            draining: shutdown.token(),
        };
        let proxy = Proxy::new(
            live.clone(),
            config.upstream_timeout,
            limit,
            inspector,
            traffic,
            edge,
        );
        let opts = ListenerOptions {
            policies: config.host_policies.clone(),
            max_connections_per_ip: config.max_connections_per_ip,
            proxy_protocol: config.proxy_protocol,
            max_connection_age: config.max_connection_age,
            close_timeout: config.close_timeout,
            h2: config.h2,
            max_connections: config.max_connections as usize,
            max_header_count: config.max_header_count,
            max_header_bytes: config.max_header_bytes,
            reporter: reporter.clone(),
            idle_timeout: config.idle_timeout,
            header_timeout: config.header_timeout,
        };
        let tls = TlsListener::bind(&config.host, config.port, configs, opts, proxy)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}:{} (QSGW_GATEWAY_HOST/QSGW_GATEWAY_PORT)",
                    config.host, config.port
                )
            })?;
        let tls_port = tls.local_addr()?.port();

        let probe_live = live.clone();
        let source_live = live.clone();
        let readiness = Readiness::new(shutdown.token())
            .with_check("config", true, move || {
                let loaded = probe_live.is_loaded();
                async move {
                    if loaded {
                        Ok(())
                    } else {
                        Err(
                            "no route configuration loaded yet (etcd unreachable and no cache)"
                                .to_owned(),
                        )
                    }
                }
            })
            // Not critical (the cached routes serve), but visible: the
            // status turns `degraded` while the config may be stale.
            .with_check("config_source", false, move || {
                let source = source_live.source();
                let revision = source_live.table().revision();
                async move {
                    match source {
                        live::ConfigSource::Cache => Err(format!(
                            "serving the cached config (revision {revision}); etcd not reached since start"
                        )),
                        _ => Ok(()),
                    }
                }
            });
        let surface = Surface {
            info: INFO,
            readiness: Arc::new(readiness),
            metrics,
            stack: StackOptions::default(),
        };
        let admin_keys = match &config.api_key {
            Some(k) => Some(Arc::new(
                ApiKeys::single("QSGW_API_KEY", k, "gateway").context("QSGW_API_KEY")?,
            )),
            None => None,
        };
        let (router, _doc) = build_router(api(live.clone(), admin_keys), &surface);
        let admin = HttpServer::bind(&config.admin_host, config.admin_port, router)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}:{} (QSGW_GATEWAY_ADMIN_HOST/QSGW_GATEWAY_ADMIN_PORT)",
                    config.admin_host, config.admin_port
                )
            })?;
        let admin_port = admin.local_addr()?.port();
        Ok(Self {
            admin,
            tls,
            admin_port,
            tls_port,
            shutdown,
            grace: config.shutdown_grace,
            live,
            reporter,
        })
    }

    /// Port the admin listener is bound to, as the OS reported it (tests
    /// configure 0 and read the chosen port here).
    pub fn port(&self) -> u16 {
        self.admin_port
    }

    /// Port the TLS listener is bound to, as the OS reported it (tests
    /// configure 0 and read the chosen port here).
    pub fn tls_port(&self) -> u16 {
        self.tls_port
    }

    /// The live config (tests inspect it).
    pub fn live(&self) -> Arc<LiveConfig> {
        self.live.clone()
    }

    /// The control plane reporter (tests inspect registration).
    pub fn reporter(&self) -> Reporter {
        self.reporter.clone()
    }

    /// Serves both listeners until shutdown, then drains. Readiness turns
    /// 503 at once, but the admin listener stays up until the TLS drain
    /// ends, so probes and scrapes see the drain instead of having their
    /// connections refused.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let token = self.shutdown.token();
        let admin_stop = Shutdown::new();
        let tls = self.tls;
        let grace = self.grace;
        let admin_done = admin_stop.clone();
        let tls_then_admin = async move {
            tls.serve(token, grace).await;
            admin_done.trigger();
        };
        let (admin, ()) = tokio::join!(self.admin.serve(admin_stop, grace), tls_then_admin);
        admin
    }
}

/// What the admin resources need.
#[derive(Debug, Clone)]
struct AdminState {
    live: Arc<LiveConfig>,
    /// The service key `/config` requires (none configured: always 401).
    keys: Option<Arc<ApiKeys>>,
}

/// The configuration in force: revision, routes and upstreams (every
/// upstream's hosts, ports and health paths, so it needs the service key
/// in `X-API-Key`; `/health*` and `/metrics` stay open).
#[utoipa::path(get, path = "/config", tag = "operations",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The snapshot the gateway serves", body = ConfigSnapshot),
        (status = 401, description = "No or wrong X-API-Key (QSGW_API_KEY)", body = Problem),
        (status = 503, description = "No configuration loaded yet", body = Problem)))]
#[tracing::instrument(name = "admin_config", skip_all)]
async fn current_config(
    State(s): State<AdminState>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    let presented = headers.get("x-api-key").and_then(|v| v.to_str().ok());
    let ok = match (&s.keys, presented) {
        (Some(keys), Some(k)) => keys.verify(k).is_some(),
        _ => false,
    };
    if !ok {
        return Problem::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "unauthorized",
            "GET /config needs the service key (QSGW_API_KEY) in X-API-Key",
        )
        .into_response();
    }
    match s.live.snapshot() {
        Some(s) => Json(s).into_response(),
        None => Problem::unavailable("no configuration loaded yet").into_response(),
    }
}

/// The admin resources.
pub fn api(live: Arc<LiveConfig>, keys: Option<Arc<ApiKeys>>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(current_config))
        .with_state(AdminState { live, keys })
}
