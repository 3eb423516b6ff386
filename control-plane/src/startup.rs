//! Wiring: database (wait, migrate), readiness checks, router, listener.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use shared::auth::Authenticator;
use shared::etcd::LazyClient;
use shared::health::Readiness;
use shared::http::StackOptions;
use shared::server::{HttpServer, Shutdown};
use shared::service::{build_router, ServiceInfo, Surface};
use utoipa_axum::router::OpenApiRouter;

use crate::auth::login_limits::LoginLimits;
use crate::bootstrap;
use crate::config::Config;
use crate::publish::Publisher;
use crate::routes;
use crate::state::AppState;

/// Identity in docs, logs and health.
pub const INFO: ServiceInfo = ServiceInfo {
    name: "control-plane",
    title: "QSGW control plane API",
    description: "Admin API of the quantum-safe gateway: upstreams, routes, gateways, TLS sessions, threats, users and audit log.",
    version: env!("CARGO_PKG_VERSION"),
};

/// A built, bound, not yet serving control plane.
#[derive(Debug)]
pub struct Application {
    server: HttpServer,
    port: u16,
    shutdown: Shutdown,
    grace: Duration,
}

impl Application {
    /// Connects to the database (waiting up to `startup_timeout`), applies
    /// migrations and binds the listener.
    pub async fn build(config: Config, shutdown: Shutdown) -> anyhow::Result<Self> {
        let pool = shared::db::pool(config.database.clone(), &config.pool);
        shared::db::wait_until_reachable(&pool, config.startup_timeout)
            .await
            .context("database (QSGW_DATABASE_URL) is not reachable")?;
        shared::db::migrate(&pool, &crate::MIGRATOR)
            .await
            .context("applying migrations/qsgw failed")?;

        let etcd = Arc::new(LazyClient::new(config.etcd.clone()));
        let publisher = Arc::new(Publisher::new(pool.clone(), etcd.clone()));
        let probe_etcd = etcd.clone();
        let probe_publisher = publisher.clone();
        let readiness = Readiness::new(shutdown.token())
            .with_check("database", true, shared::db::probe(pool.clone()))
            // etcd down degrades (config changes wait) but the API still answers.
            .with_check("etcd", false, move || {
                let etcd = probe_etcd.clone();
                async move { etcd.ping().await }
            })
            // etcd may answer while the last change is still unpublished
            // (the reconciler is catching up): say so, without failing readiness.
            .with_check("etcd_sync", false, move || {
                let p = probe_publisher.clone();
                async move {
                    if p.is_dirty() {
                        Err("config changes not yet published to etcd".to_owned())
                    } else {
                        Ok(())
                    }
                }
            });

        if let Some((email, password)) = &config.bootstrap_admin {
            match bootstrap::create_admin(&pool, email, password, true)
                .await
                .context("creating the first admin (QSGW_ADMIN_EMAIL)")?
            {
                bootstrap::Outcome::Created(id) => {
                    tracing::info!(user_id = %id, "created the first admin from QSGW_ADMIN_EMAIL");
                }
                bootstrap::Outcome::UsersExist | bootstrap::Outcome::EmailTaken => {
                    // Said with whether that login works, so an operator
                    // whose printed login fails knows why (issue 21: the
                    // login `make run` printed could simply be wrong).
                    match bootstrap::check_login(&pool, email, password).await {
                        Ok(bootstrap::LoginCheck::Works) => tracing::info!("users exist: the first-admin bootstrap was skipped; the QSGW_ADMIN_EMAIL login signs in"),
                        Ok(check) => tracing::warn!(?check, "users exist: the first-admin bootstrap was skipped and the QSGW_ADMIN_EMAIL/QSGW_ADMIN_PASSWORD login does NOT sign in; set it with `control-plane reset-password` (same variables; --enable re-enables a disabled account)"),
                        Err(e) => tracing::warn!(error = %e, "users exist: could not check the QSGW_ADMIN_EMAIL login"),
                    }
                }
            }
        }

        // Republishes everything at start (etcd may have been wiped), then
        // whenever a publish failed; never blocks start-up on etcd.
        publisher.clone().spawn_reconciler(shutdown.token());

        spawn_idempotency_cleanup(pool.clone(), shutdown.token());
        crate::retention::spawn(pool.clone(), config.retention, shutdown.token());
        let webhook_wake = Arc::new(tokio::sync::Notify::new());
        if let Some((url, secret)) = &config.webhook {
            crate::webhook::spawn(
                pool.clone(),
                crate::webhook::WebhookSettings {
                    url: url.clone(),
                    secret: secret.clone(),
                    backoff_base: config.webhook_backoff_base,
                    poll: config.webhook_poll,
                    timeout: Duration::from_secs(10),
                    block_private_targets: config.production,
                },
                webhook_wake.clone(),
                shutdown.token(),
            );
        }

        let state = AppState {
            pool,
            auth: Arc::new(Authenticator {
                jwt: config.jwt.clone(),
                api_keys: config.api_keys.clone(),
            }),
            refresh_jwt: Arc::new(config.refresh_jwt.clone()),
            etcd,
            publisher,
            login_limits: Arc::new(LoginLimits::new(config.login_limits)),
            dummy_hash: dummy_hash().await?,
            webhooks_enabled: config.webhook.is_some(),
            webhook_min_severity: config.webhook_min_severity.clone(),
            webhook_wake,
            target_guard: Arc::new(config.target_guard.clone()),
            http: shared::http_client::HttpClient::new(&shared::http_client::ClientSettings {
                // The exposure view waits on the engine: an answer or a
                // `mosca_error` within seconds, never a hung page.
                timeout: Duration::from_secs(5),
                ..shared::http_client::ClientSettings::new(concat!(
                    "quantun-control-plane/",
                    env!("CARGO_PKG_VERSION")
                ))
            })
            .context("building the HTTP client")?,
            ml_engine_url: config.ml_engine_url.as_str().into(),
        };
        let surface = Surface {
            info: INFO,
            readiness: Arc::new(readiness),
            metrics: shared::metrics::install(INFO.name),
            stack: StackOptions {
                cors_origins: config.cors_origins.clone(),
                // An ingest batch of 1,000 threat events with user agents
                // and reasons can pass 1 MiB; 4 MiB still stops abuse.
                body_limit: 4 * 1024 * 1024,
                trusted_proxies: config.trusted_proxies.clone(),
                rate_limit: config.rate_limit,
                rate_limit_auth: Some(state.auth.clone()),
                rate_limit_services: false,
                // Probes, scrapes and the console's static files.
                rate_limit_exempt: vec!["/health", "/metrics", CONSOLE_PREFIX],
                ..StackOptions::default()
            },
        };
        let (router, _doc) = build_router(api_and_console(state), &surface);
        let server = HttpServer::bind(&config.host, config.port, router)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}:{} (QSGW_CP_HOST/QSGW_CP_PORT)",
                    config.host, config.port
                )
            })?
            .with_limits(config.server_limits);
        let port = server.local_addr()?.port();
        Ok(Self {
            server,
            port,
            shutdown,
            grace: config.shutdown_grace,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until shutdown, then drains.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.serve(self.shutdown, self.grace).await
    }
}

/// The `/api/v1` resources.
pub fn api(state: AppState) -> OpenApiRouter {
    OpenApiRouter::<AppState>::new()
        .merge(routes::auth::router())
        .merge(routes::users::router())
        .merge(routes::upstreams::router())
        .merge(routes::routes::router())
        .merge(routes::config::router())
        .merge(routes::gateways::router())
        .merge(routes::ingest::router())
        .merge(routes::tls_sessions::router())
        .merge(routes::posture::router())
        .merge(routes::cbom::router())
        .merge(routes::exposure::router())
        .merge(routes::threats::router())
        .merge(routes::audit_log::router())
        .merge(routes::webhooks::router())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::revocation::check_user,
        ))
        .with_state(state)
}

/// The QSGW console (`control-plane/ui/`), embedded in the binary.
#[derive(Debug, shared::ui::RustEmbed)]
#[folder = "ui/"]
pub struct Console;

/// Where the console is mounted.
pub const CONSOLE_PREFIX: &str = "/admin/";

/// [`api`] plus the console at [`CONSOLE_PREFIX`] (same origin, so its
/// `config.json` names no API base).
pub fn api_and_console(state: AppState) -> OpenApiRouter {
    let console = shared::ui::router::<Console>(
        shared::ui::UiOptions::new(CONSOLE_PREFIX)
            .extra(serde_json::json!({ "product": "qsgw", "version": INFO.version })),
    );
    api(state).merge(OpenApiRouter::from(console))
}

/// `control-plane console`: serves only the console at `/`, its
/// `config.json` naming `args.api_url` (and the CSP allowing that origin),
/// with `/health`; until SIGTERM/SIGINT.
pub fn console_command(
    args: crate::config::ConsoleArgs,
    log_level: shared::config::LogLevel,
) -> std::process::ExitCode {
    let opts = shared::server::MainOptions {
        name: "control-plane-console",
        log_level,
        workers: Some(1),
        blocking: None,
    };
    shared::server::run_main(opts, |shutdown| async move {
        let router = console_router(&args.api_url);
        let server = HttpServer::bind(&args.host, args.port, router)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on {}:{} (QSGW_CONSOLE_HOST/QSGW_CONSOLE_PORT)",
                    args.host, args.port
                )
            })?;
        tracing::info!(port = args.port, api = %args.api_url, "serving the QSGW console");
        Ok(server.serve(shutdown, Duration::from_secs(5)))
    })
}

/// The stand-alone console's router (see [`console_command`]).
pub fn console_router(api_url: &str) -> Router {
    let ui = shared::ui::router::<Console>(
        shared::ui::UiOptions::new("/")
            .api_base(api_url)
            .extra(serde_json::json!({ "product": "qsgw", "version": INFO.version })),
    )
    .route("/health", axum::routing::get(|| async { "ok" }));
    shared::http::apply_stack(ui, &StackOptions::default())
}

/// How long an Idempotency-Key is remembered.
pub const IDEMPOTENCY_TTL_HOURS: i32 = 24;

/// Forgets idempotency keys older than [`IDEMPOTENCY_TTL_HOURS`], hourly.
fn spawn_idempotency_cleanup(pool: sqlx::PgPool, cancel: tokio_util::sync::CancellationToken) {
    tokio::spawn(async move {
        loop {
            let r = crate::repo::idempotency::delete_older_than(&pool, IDEMPOTENCY_TTL_HOURS).await;
            if let Err(e) = r {
                tracing::warn!(error = %e, "idempotency key cleanup failed");
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(Duration::from_secs(3600)) => {}
            }
        }
    });
}

/// An argon2id hash of a random password, verified against when a login
/// names an unknown email so that the answer takes as long as for a
/// real account.
pub async fn dummy_hash() -> anyhow::Result<Arc<str>> {
    let random = uuid::Uuid::new_v4().simple().to_string();
    let hash = crate::auth::password::hash_blocking(random)
        .await
        .map_err(|p| anyhow::anyhow!(p.detail))?;
    Ok(Arc::from(hash))
}

/// `control-plane create-admin`: migrates, creates an admin from
/// `QSGW_ADMIN_EMAIL` / `QSGW_ADMIN_PASSWORD`, prints its id. Exit 2 when
/// the variables are missing, 1 when the database or the insert fails.
pub fn create_admin_command(config: Config) -> std::process::ExitCode {
    use std::process::ExitCode;
    let Some((email, password)) = config.bootstrap_admin.clone() else {
        shared::config::exit_with(&shared::config::ConfigError::new(
            "QSGW_ADMIN_EMAIL",
            "is required by create-admin (with QSGW_ADMIN_PASSWORD)",
        ));
    };
    let (e, pw) = (&email, &password);
    let result = on_migrated_database(&config, |pool| async move {
        let outcome = bootstrap::create_admin(&pool, e, pw, false).await?;
        let check = bootstrap::check_login(&pool, e, pw).await?;
        anyhow::Ok((outcome, check))
    });
    match result {
        Ok((bootstrap::Outcome::Created(id), _)) => {
            println!("created admin {id} ({email}); it signs in at the console (/admin/)");
            ExitCode::SUCCESS
        }
        Ok((_, check)) => {
            eprintln!(
                "error: a user with email {email} already exists (nothing created); {}",
                login_advice(check)
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `work` on the migrated database of `config` in a one-thread
/// runtime: what the one-shot admin subcommands share.
fn on_migrated_database<T, F, Fut>(config: &Config, work: F) -> anyhow::Result<T>
where
    F: FnOnce(sqlx::PgPool) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    shared::server::install_crypto_provider();
    let rt = shared::server::runtime(Some(1), None).context("cannot start the async runtime")?;
    rt.block_on(async {
        let pool = shared::db::pool(config.database.clone(), &config.pool);
        shared::db::wait_until_reachable(&pool, config.startup_timeout)
            .await
            .context("database (QSGW_DATABASE_URL) is not reachable")?;
        shared::db::migrate(&pool, &crate::MIGRATOR)
            .await
            .context("applying migrations/qsgw failed")?;
        work(pool).await
    })
}

/// What an operator is told about a login that was not created now.
fn login_advice(check: bootstrap::LoginCheck) -> &'static str {
    match check {
        bootstrap::LoginCheck::Works => "this email and password sign in",
        bootstrap::LoginCheck::NoSuchUser => "no user has this email",
        bootstrap::LoginCheck::WrongPassword => {
            "this password does NOT sign in: set it with `control-plane reset-password`"
        }
        bootstrap::LoginCheck::Disabled => {
            "the account is disabled: `control-plane reset-password --enable` sets the password and enables it"
        }
    }
}

/// `control-plane reset-password [--enable]`: sets the password of
/// `QSGW_ADMIN_EMAIL` to `QSGW_ADMIN_PASSWORD` (every session of the
/// account ends), re-enabling the account with `--enable`; the way back in
/// when nobody can sign in. Exit 2 when the variables are missing, 1 when
/// the user does not exist, the password breaks the policy or the
/// database fails.
pub fn reset_password_command(config: Config, enable: bool) -> std::process::ExitCode {
    use std::process::ExitCode;
    let Some((email, password)) = config.bootstrap_admin.clone() else {
        shared::config::exit_with(&shared::config::ConfigError::new(
            "QSGW_ADMIN_EMAIL",
            "is required by reset-password (with QSGW_ADMIN_PASSWORD)",
        ));
    };
    let (e, pw) = (&email, &password);
    let result = on_migrated_database(&config, |pool| async move {
        let (id, disabled) = bootstrap::reset_password(&pool, e, pw, enable).await?;
        let check = bootstrap::check_login(&pool, e, pw).await?;
        anyhow::Ok((id, disabled, check))
    });
    match result {
        Ok((id, disabled, check)) => {
            println!(
                "password of {id} ({email}) set; {}{}",
                login_advice(check),
                if disabled {
                    " (run again with --enable to enable it)"
                } else {
                    ""
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The full router for `state` (tests use it without binding).
pub fn router(state: AppState, surface: &Surface) -> Router {
    build_router(api_and_console(state), surface).0
}
