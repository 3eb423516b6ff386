//! Postgres: pool construction, start-up connection with retry, embedded
//! migrations, and the readiness probe.

use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

/// Default longest wait for a pooled connection (`*_DATABASE_ACQUIRE_TIMEOUT_MS`).
/// Short on purpose: when the database is down or every connection is
/// busy, a client is better served by a quick 503 it can retry than by a
/// request held for seconds (see [`problem`]).
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_millis(1000);

/// `Retry-After` (seconds) of the 503 a database outage answers.
pub const RETRY_AFTER_SECS: u64 = 2;

/// Pool settings (from `*_MAX_CONNS`/`*_MIN_CONNS`).
#[derive(Debug, Clone)]
pub struct PoolSettings {
    /// Most connections.
    pub max_conns: u32,
    /// Connections kept open when idle.
    pub min_conns: u32,
    /// Longest wait for a free connection before a request fails.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_conns: 25,
            min_conns: 5,
            acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
        }
    }
}

/// A lazily connecting pool: nothing is dialled until first use, so a
/// database outage later on surfaces as failing queries (and readiness 503),
/// not as a crash.
pub fn pool(options: PgConnectOptions, settings: &PoolSettings) -> PgPool {
    PgPoolOptions::new()
        .max_connections(settings.max_conns.max(1))
        .min_connections(settings.min_conns.min(settings.max_conns))
        .acquire_timeout(settings.acquire_timeout)
        .idle_timeout(Some(Duration::from_secs(300)))
        .test_before_acquire(true)
        .connect_lazy_with(options)
}

/// Waits until the database answers `SELECT 1`, retrying with backoff for at
/// most `within`. Used at start-up so that a database that comes up a few
/// seconds after the service does not fail the start.
pub async fn wait_until_reachable(pool: &PgPool, within: Duration) -> Result<(), sqlx::Error> {
    let deadline = tokio::time::Instant::now() + within;
    let mut delay = Duration::from_millis(100);
    loop {
        match ping(pool).await {
            Ok(()) => return Ok(()),
            Err(e) if tokio::time::Instant::now() + delay < deadline => {
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "database not reachable yet");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(2));
            }
            Err(e) => return Err(e),
        }
    }
}

/// `SELECT 1`.
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(pool)
        .await
        .map(|_| ())
}

/// Applies the embedded migrations (sqlx takes an advisory lock, so
/// replicas starting together apply them once).
pub async fn migrate(
    pool: &PgPool,
    migrator: &Migrator,
) -> Result<(), sqlx::migrate::MigrateError> {
    let before = std::time::Instant::now();
    migrator.run(pool).await?;
    tracing::info!(
        migrations = migrator.iter().count(),
        elapsed_ms = before.elapsed().as_millis() as u64,
        "database schema up to date"
    );
    Ok(())
}

/// A readiness probe for [`crate::health::Readiness::with_check`].
pub fn probe(
    pool: PgPool,
) -> impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send>>
       + Send
       + Sync
       + 'static {
    move || {
        let pool = pool.clone();
        Box::pin(async move { ping(&pool).await.map_err(|e| describe(&e)) })
    }
}

/// A short, secret-free description of a database error for health output.
pub fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::PoolTimedOut => "no connection available (database unreachable?)".to_owned(),
        sqlx::Error::Io(io) => format!("connection failed: {}", io.kind()),
        sqlx::Error::Tls(_) => "TLS negotiation with the database failed".to_owned(),
        sqlx::Error::Database(db) => format!("database error {}", db.code().unwrap_or_default()),
        sqlx::Error::PoolClosed => "pool closed".to_owned(),
        _ => "database unavailable".to_owned(),
    }
}

/// Whether an error means the database is unreachable or saturated (→ 503
/// with `Retry-After`), as opposed to a query problem (→ 500): no free
/// connection within the acquire timeout, a dropped or refused connection,
/// TLS failure, or a server that says it is shutting down, starting up or
/// out of connections (SQLSTATE class 08, 57P01-57P03, 53300).
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::Io(_)
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

/// The one mapping of a database error to a response every service uses:
/// unavailable (see [`is_unavailable`]) → 503 problem+json with
/// `Retry-After: 2`, anything else → a logged, opaque 500.
/// [`crate::error::Problem::internal`] applies the same rule when handed a `sqlx::Error`,
/// so handlers that wrote `.map_err(Problem::internal)` degrade the same way.
pub fn problem(e: sqlx::Error) -> crate::error::Problem {
    if is_unavailable(&e) {
        unavailable(&e)
    } else {
        crate::error::Problem::internal(e)
    }
}

/// Postgres SQLSTATE of an error, if it came from the server.
pub fn sqlstate(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()),
        _ => None,
    }
}

/// Name of the violated constraint, if any.
pub fn constraint(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) => d.constraint().map(str::to_owned),
        _ => None,
    }
}

/// A write's database error, where a constraint the application could not
/// pre-check (a race) is the client's conflict, not a fault: unique → 409,
/// foreign key → 409, check → 422 naming the constraint; anything else as
/// [`problem`] says (503 when unavailable, else a logged 500). The one copy
/// both services' `ApiError`s map with.
pub fn constraint_problem(e: sqlx::Error) -> crate::error::Problem {
    use crate::error::Problem;
    match sqlstate(&e).as_deref() {
        Some("23505") => Problem::conflict(format!(
            "conflicts with an existing resource ({})",
            constraint(&e).unwrap_or_default()
        )),
        Some("23503") => Problem::conflict("the resource is referenced by another resource"),
        Some("23514") => Problem::invalid_field(
            constraint(&e).unwrap_or_else(|| "body".to_owned()),
            "violates a database constraint",
        ),
        _ => problem(e),
    }
}

/// The 503 for an unavailable database (the cause is logged at warn, the
/// body says only that the database is unavailable).
pub fn unavailable(e: &sqlx::Error) -> crate::error::Problem {
    tracing::warn!(error = %describe(e), "database unavailable, answering 503");
    let mut p = crate::error::Problem::unavailable("the database is unavailable; retry shortly");
    p.retry_after = Some(RETRY_AFTER_SECS);
    p
}

/// The body of a service's `migrate` subcommand: waits for the database (at
/// most `within`), applies the embedded migrations and exits — 0 when the
/// schema is up to date, 1 otherwise. Used by deployment migration Jobs so a
/// release is gated on its schema before any pod rolls.
pub fn migrate_main(
    service: &'static str,
    log_level: crate::config::LogLevel,
    options: sqlx::postgres::PgConnectOptions,
    migrator: &'static Migrator,
    within: Duration,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    crate::telemetry::init(service, log_level);
    crate::server::install_crypto_provider();
    let rt = match crate::server::runtime(Some(1), None) {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let settings = PoolSettings {
            max_conns: 1,
            min_conns: 0,
            ..PoolSettings::default()
        };
        let pool = pool(options, &settings);
        if let Err(e) = wait_until_reachable(&pool, within).await {
            tracing::error!(error = %describe(&e), "database not reachable");
            return ExitCode::FAILURE;
        }
        match migrate(&pool, migrator).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                tracing::error!(error = %e, "migration failed");
                ExitCode::FAILURE
            }
        }
    })
}
