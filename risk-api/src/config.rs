//! Settings of the risk API (the seed's `QRAP_*` and `QUANTUN_*` variables).

use std::time::Duration;

use clap::{Args, Parser};
use shared::auth::{ApiKeys, JwtKeys};
use shared::config::{
    parse_base_url, parse_list, parse_port, require_secret, ConfigError, LogLevel, Secret,
};
use shared::db::PoolSettings;
use sqlx::postgres::{PgConnectOptions, PgSslMode};

/// Audience of QRAP access tokens.
pub const JWT_AUDIENCE: &str = "qrap-api";

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "risk-api",
    version,
    about = "QRAP risk API: organizations, assessments, findings, reports and audit log"
)]
pub struct Cli {
    /// Settings file (TOML, keys are the variable names); environment variables win over it.
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<std::path::PathBuf>,
    /// Every setting, as a flag or its environment variable (`QRAP_…` or
    /// `QUANTUN_…`).
    #[command(flatten)]
    pub settings: Settings,
    /// Subcommand (none = serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands besides serving.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Mints an access token for an organization and role (prints it on stdout).
    /// Needs only QUANTUN_JWT_SECRET (and QUANTUN_JWT_ISSUER, QUANTUN_JWT_TTL_SECS).
    Token {
        /// Organization id (org_…); required for every role but admin.
        #[arg(long)]
        org: Option<String>,
        /// admin, operator, viewer or service.
        #[arg(long, default_value = "viewer")]
        role: String,
        /// Subject (user id or e-mail) the token names.
        #[arg(long, default_value = "cli-user")]
        subject: String,
    },
    /// Apply the database migrations (needs only the QRAP_DB_* settings), then exit: for release migration jobs.
    Migrate,
    /// Serve only the QRAP web app (the files embedded in this binary) calling the API at
    /// QRAP_WEB_API_URL: for hosting the app apart from the API (add its origin to the API's
    /// QRAP_CORS_ORIGINS). The risk API itself also serves it at /app/.
    Web(WebArgs),
    /// Create an assessment from the runtime CBOM of a QSGW control plane (what its gateways
    /// negotiated), written to this risk API's database (QRAP_DB_*) like `POST
    /// /api/v1/assessments` with `source.qsgw`; a running risk API's workers score it. The
    /// control plane's read-only key comes from QRAP_QSGW_API_KEY or --api-key-file, never a
    /// flag value. Prints the assessment id.
    #[command(name = "import-qsgw")]
    ImportQsgw(ImportQsgwArgs),
}

/// Arguments of `risk-api import-qsgw`.
#[derive(Debug, Clone, Args)]
pub struct ImportQsgwArgs {
    /// Base URL of the control plane API, e.g. `https://qsgw-cp.example:8085`.
    #[arg(long)]
    pub url: String,
    /// Organization the assessment belongs to (org_…).
    #[arg(long)]
    pub org: String,
    /// Window before now: 24h, 7d, 30d or 90d.
    #[arg(long, default_value = "7d")]
    pub window: String,
    /// Assessment name (default: `QSGW live traffic (<window>)`).
    #[arg(long)]
    pub name: Option<String>,
    /// File holding the control plane's read-only API key (instead of QRAP_QSGW_API_KEY).
    #[arg(long, value_name = "PATH")]
    pub api_key_file: Option<std::path::PathBuf>,
}

/// Settings of `risk-api web`.
#[derive(Debug, Clone, Args)]
pub struct WebArgs {
    /// Bind address of the stand-alone web app.
    #[arg(long = "web-host", env = "QRAP_WEB_HOST", default_value = "0.0.0.0")]
    pub host: String,
    /// Listen port of the stand-alone web app (the seed's web dashboard port).
    #[arg(long = "web-port", env = "QRAP_WEB_PORT", default_value = "3002", value_parser = parse_port)]
    pub port: u16,
    /// Base URL of the risk API the app calls, e.g. `https://qrap-api.example.com` (required;
    /// the seed's VITE_QRAP_API_URL).
    #[arg(long = "api-url", env = "QRAP_WEB_API_URL", value_parser = parse_base_url)]
    pub api_url: String,
}

/// Raw settings.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Bind address.
    #[arg(long = "host", env = "QRAP_API_HOST", default_value = "0.0.0.0")]
    pub host: String,
    /// Listen port.
    #[arg(long = "port", env = "QRAP_API_PORT", default_value = "8083", value_parser = parse_port)]
    pub port: u16,
    /// PostgreSQL host.
    #[arg(long = "db-host", env = "QRAP_DB_HOST", default_value = "localhost")]
    pub db_host: String,
    /// PostgreSQL port.
    #[arg(long = "db-port", env = "QRAP_DB_PORT", default_value = "5432", value_parser = parse_port)]
    pub db_port: u16,
    /// Database name.
    #[arg(long = "db-name", env = "QRAP_DB_NAME", default_value = "qrap")]
    pub db_name: String,
    /// Database user.
    #[arg(long = "db-user", env = "QRAP_DB_USER", default_value = "qrap")]
    pub db_user: String,
    /// Database password (required).
    #[arg(long = "db-password", env = "QRAP_DB_PASSWORD", hide_env_values = true)]
    pub db_password: Option<Secret>,
    /// PostgreSQL SSL mode: disable, allow, prefer, require, verify-ca or verify-full (default: verify-full in production, require otherwise).
    #[arg(long = "db-sslmode", env = "QRAP_DB_SSLMODE", value_parser = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"])]
    pub db_sslmode: Option<String>,
    /// CA certificate (PEM) that signs the database server's certificate (for verify-ca/verify-full).
    #[arg(long = "db-sslrootcert", env = "QRAP_DB_SSLROOTCERT")]
    pub db_sslrootcert: Option<std::path::PathBuf>,
    /// Deployment environment: production refuses the repository's dev secrets, short secrets and a database without verified TLS (one of: production, development).
    #[arg(long = "environment", env = "QRAP_ENVIRONMENT", default_value = "development", value_parser = ["production", "development"])]
    pub environment: String,
    /// Accept a database connection without verified TLS (sslmode other than verify-ca/verify-full) in production.
    #[arg(long = "allow-insecure-database", env = "QRAP_ALLOW_INSECURE_DATABASE", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub allow_insecure_database: bool,
    /// Seconds a client may take to send a request's headers before the connection is closed.
    #[arg(long = "header-timeout-secs", env = "QRAP_HEADER_TIMEOUT_SECS", default_value = "10", value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_timeout_secs: u64,
    /// Most client connections served at once.
    #[arg(long = "max-connections", env = "QRAP_MAX_CONNECTIONS", default_value = "10000", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,
    /// Maximum connection pool size.
    #[arg(long = "db-max-conns", env = "QRAP_DB_MAX_CONNS", default_value = "25", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub db_max_conns: u32,
    /// Minimum connection pool size.
    #[arg(long = "db-min-conns", env = "QRAP_DB_MIN_CONNS", default_value = "5", value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub db_min_conns: u32,
    /// Longest wait in milliseconds for a pooled database connection; past it a request answers 503 with Retry-After.
    #[arg(long = "db-acquire-timeout-ms", env = "QRAP_DB_ACQUIRE_TIMEOUT_MS", default_value = "1000", value_parser = clap::value_parser!(u64).range(50..=60_000))]
    pub db_acquire_timeout_ms: u64,
    /// ML engine base URL.
    #[arg(long = "ml-url", env = "QRAP_ML_URL", default_value = "http://localhost:8084", value_parser = parse_base_url)]
    pub ml_url: String,
    /// Log level: trace, debug, info, warn or error.
    #[arg(long = "log-level", env = "QRAP_LOG_LEVEL", default_value = "info")]
    pub log_level: LogLevel,
    /// Requests per minute per client IP.
    #[arg(long = "rate-limit", env = "QRAP_RATE_LIMIT", default_value = "100", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub rate_limit: u32,
    /// Maximum request body size in bytes.
    #[arg(long = "max-body-size", env = "QRAP_MAX_BODY_SIZE", default_value = "1048576", value_parser = clap::value_parser!(u64).range(1024..=268_435_456))]
    pub max_body_size: u64,
    /// HMAC-SHA256 signing secret for JWTs, at least 32 bytes (required).
    #[arg(
        long = "jwt-secret",
        env = "QUANTUN_JWT_SECRET",
        hide_env_values = true
    )]
    pub jwt_secret: Option<Secret>,
    /// JWT issuer claim.
    #[arg(
        long = "jwt-issuer",
        env = "QUANTUN_JWT_ISSUER",
        default_value = "qrap"
    )]
    pub jwt_issuer: String,
    /// Access-token lifetime in seconds.
    #[arg(long = "jwt-ttl-secs", env = "QUANTUN_JWT_TTL_SECS", default_value = "3600", value_parser = clap::value_parser!(u64).range(60..=86_400))]
    pub jwt_ttl_secs: u64,
    /// Comma-separated API keys, each optionally `key:name`, or `key:name@org_…` to confine the key to one organization (required).
    #[arg(long = "api-keys", env = "QUANTUN_API_KEYS", hide_env_values = true)]
    pub api_keys: Option<Secret>,
    /// Browser origins allowed to call the API (CORS), comma separated; empty = same origin only.
    #[arg(long = "cors-origins", env = "QRAP_CORS_ORIGINS", default_value = "")]
    pub cors_origins: String,
    /// Proxies in front of this API whose X-Forwarded-For names the client (CIDRs or addresses, comma separated); the right-most hop that is not one of them is the client for rate limits, login throttling and the audit log. Empty: the TCP peer is the client.
    #[arg(
        long = "trusted-proxies",
        env = "QUANTUN_TRUSTED_PROXIES",
        default_value = ""
    )]
    pub trusted_proxies: String,
    /// Maximum body size in bytes of a CycloneDX CBOM upload (POST /api/v1/assessments);
    /// CBOMs of large estates are far bigger than ordinary requests (QRAP_MAX_BODY_SIZE).
    #[arg(long = "cbom-max-body-size", env = "QRAP_CBOM_MAX_BODY_SIZE", default_value = "33554432", value_parser = clap::value_parser!(u64).range(1024..=1_073_741_824))]
    pub cbom_max_body_size: u64,
    /// Seconds to wait for the ML engine to score a batch before the assessment fails.
    #[arg(long = "ml-timeout-secs", env = "QRAP_ML_TIMEOUT_SECS", default_value = "30", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub ml_timeout_secs: u64,
    /// Reports (GET /api/v1/assessments/{id}/report) generated at once by this replica; more
    /// concurrent requests answer 429 with Retry-After. Each streams from its own database connection.
    #[arg(long = "report-concurrency", env = "QRAP_REPORT_CONCURRENCY", default_value = "4", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub report_concurrency: u32,
    /// Assessment workers in this replica (0: serve the API only; the assessments wait for
    /// a replica with workers).
    #[arg(long = "workers", env = "QRAP_WORKERS", default_value = "2", value_parser = clap::value_parser!(u32).range(0..=64))]
    pub workers: u32,
    /// Seconds an assessment run is leased for; the worker renews it while alive, and once it
    /// expires (process killed) another worker takes the run over.
    #[arg(long = "lease-secs", env = "QRAP_LEASE_SECS", default_value = "60", value_parser = clap::value_parser!(u64).range(2..=3600))]
    pub lease_secs: u64,
    /// Runs an assessment may start (first run plus take-overs after interruptions) before it fails.
    #[arg(long = "max-attempts", env = "QRAP_MAX_ATTEMPTS", default_value = "3", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,
    /// Milliseconds between an idle worker's looks for work queued by other replicas.
    #[arg(long = "worker-poll-ms", env = "QRAP_WORKER_POLL_MS", default_value = "1000", value_parser = clap::value_parser!(u64).range(50..=60_000))]
    pub worker_poll_ms: u64,
    /// Control-plane addresses allowed for imports from QSGW (`source.qsgw.url`, `import-qsgw`) although not globally reachable (private networks, loopback, link-local): CIDRs or addresses, comma separated. Empty: only public addresses.
    #[arg(
        long = "qsgw-allowed-targets",
        env = "QRAP_QSGW_ALLOWED_TARGETS",
        default_value = ""
    )]
    pub qsgw_allowed_targets: String,
    /// Development only (refused in production): allow plain http:// control-plane URLs when the host is loopback (still subject to QRAP_QSGW_ALLOWED_TARGETS).
    #[arg(long = "qsgw-allow-http-loopback", env = "QRAP_QSGW_ALLOW_HTTP_LOOPBACK", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub qsgw_allow_http_loopback: bool,
    /// Seconds an import from a QSGW control plane may take (connect, answer and body).
    #[arg(long = "qsgw-timeout-secs", env = "QRAP_QSGW_TIMEOUT_SECS", default_value = "30", value_parser = clap::value_parser!(u64).range(1..=300))]
    pub qsgw_timeout_secs: u64,
    /// Seconds to drain in-flight requests on SIGTERM.
    #[arg(long = "shutdown-grace-secs", env = "QRAP_SHUTDOWN_GRACE_SECS", default_value = "30", value_parser = clap::value_parser!(u64).range(0..=600))]
    pub shutdown_grace_secs: u64,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address the API listens on (`QRAP_API_HOST`).
    pub host: String,
    /// Listen port (0 in tests).
    pub port: u16,
    /// Where and how to reach PostgreSQL, built from the `QRAP_DB_*` settings (TLS mode and
    /// CA included).
    pub database: PgConnectOptions,
    /// Connection pool bounds and acquire timeout (`QRAP_DB_MAX_CONNS`, `QRAP_DB_MIN_CONNS`,
    /// `QRAP_DB_ACQUIRE_TIMEOUT_MS`).
    pub pool: PoolSettings,
    /// Base URL of the ML engine that scores assessments (`QRAP_ML_URL`, no trailing slash).
    pub ml_url: String,
    /// Lowest level of log event written (`QRAP_LOG_LEVEL`): trace, debug, info, warn or error.
    pub log_level: LogLevel,
    /// Requests per minute per IP.
    pub rate_limit_per_minute: u32,
    /// Body limit in bytes.
    pub max_body_size: usize,
    /// Body limit in bytes of CBOM uploads (`QRAP_CBOM_MAX_BODY_SIZE`, raised to `max_body_size`
    /// when smaller).
    pub cbom_max_body_size: usize,
    /// How long the ML engine may take to score a batch before the assessment fails
    /// (`QRAP_ML_TIMEOUT_SECS`).
    pub ml_timeout: Duration,
    /// Access-token keys: HMAC secret `QUANTUN_JWT_SECRET`, issuer
    /// `QUANTUN_JWT_ISSUER`, audience [`JWT_AUDIENCE`], lifetime `QUANTUN_JWT_TTL_SECS`.
    pub jwt: JwtKeys,
    /// The keys of `QUANTUN_API_KEYS` (at least one), each optionally confined to one organization.
    pub api_keys: ApiKeys,
    /// Browser origins allowed to call the API (`QRAP_CORS_ORIGINS` split on commas, empty items
    /// dropped); empty: no CORS layer, so same origin only.
    pub cors_origins: Vec<String>,
    /// `QUANTUN_TRUSTED_PROXIES`.
    pub trusted_proxies: shared::client_ip::TrustedProxies,
    /// Reports this replica generates at once (`QRAP_REPORT_CONCURRENCY`); more answer 429.
    pub report_concurrency: usize,
    /// Assessment worker pool.
    pub workers: crate::runner::WorkerSettings,
    /// How long in-flight requests may finish after SIGTERM (`QRAP_SHUTDOWN_GRACE_SECS`).
    pub shutdown_grace: Duration,
    /// How long start-up waits for the database.
    pub startup_timeout: Duration,
    /// Header-read timeout and connection cap of the listener.
    pub server_limits: shared::server::ServerLimits,
    /// Imports from QSGW control planes (`QRAP_QSGW_*`).
    pub qsgw: crate::qsgw::QsgwSettings,
}

/// The settings of imports from QSGW control planes (`QRAP_QSGW_*`, and
/// `QRAP_CBOM_MAX_BODY_SIZE` as the largest answer read).
pub fn qsgw_settings(s: &Settings) -> Result<crate::qsgw::QsgwSettings, ConfigError> {
    let guard = guard(s)?;
    if s.qsgw_allow_http_loopback && guard.production() {
        return Err(ConfigError::new(
            "QRAP_QSGW_ALLOW_HTTP_LOOPBACK",
            "is a development setting, refused in production (control planes are reached over https)",
        ));
    }
    Ok(crate::qsgw::QsgwSettings {
        allowed: shared::edge::parse_cidrs(&s.qsgw_allowed_targets)
            .map_err(|e| ConfigError::new("QRAP_QSGW_ALLOWED_TARGETS", e))?,
        allow_http_loopback: s.qsgw_allow_http_loopback,
        timeout: Duration::from_secs(s.qsgw_timeout_secs),
        max_bytes: usize::try_from(s.cbom_max_body_size.max(s.max_body_size)).unwrap_or(usize::MAX),
    })
}

/// The database connection from the `QRAP_DB_*` settings (all the
/// `migrate` subcommand needs).
pub fn database_options(s: &Settings) -> Result<PgConnectOptions, ConfigError> {
    let password = require_secret("QRAP_DB_PASSWORD", s.db_password.clone(), 1)?;
    let guard = guard(s)?;
    let mode = s.db_sslmode.as_deref().unwrap_or(if guard.production() {
        "verify-full"
    } else {
        "require"
    });
    let ssl: PgSslMode = mode
        .parse()
        .map_err(|_| ConfigError::new("QRAP_DB_SSLMODE", "unknown SSL mode"))?;
    guard.not_dev("QRAP_DB_PASSWORD", password.expose())?;
    guard.transport(
        "QRAP_DB_SSLMODE",
        !matches!(ssl, PgSslMode::VerifyCa | PgSslMode::VerifyFull),
        "a database connection without verified TLS",
        "QRAP_ALLOW_INSECURE_DATABASE",
        s.allow_insecure_database,
    )?;
    if s.db_host.trim().is_empty() {
        return Err(ConfigError::missing("QRAP_DB_HOST"));
    }
    let mut options = PgConnectOptions::new()
        .host(&s.db_host)
        .port(s.db_port)
        .database(&s.db_name)
        .username(&s.db_user)
        .password(password.expose())
        .ssl_mode(ssl);
    if let Some(ca) = &s.db_sslrootcert {
        if !ca.is_file() {
            return Err(ConfigError::new(
                "QRAP_DB_SSLROOTCERT",
                format!("{} is not a readable file", ca.display()),
            ));
        }
        options = options.ssl_root_cert(ca);
    }
    Ok(options)
}

/// The production guards of `QRAP_ENVIRONMENT`.
fn guard(s: &Settings) -> Result<shared::guard::Guard, ConfigError> {
    s.environment
        .parse()
        .map(shared::guard::Guard::new)
        .map_err(|e: String| ConfigError::new("QRAP_ENVIRONMENT", e))
}

impl Config {
    /// Validates raw settings.
    pub fn from_settings(s: Settings) -> Result<Self, ConfigError> {
        if s.db_min_conns > s.db_max_conns {
            return Err(ConfigError::new(
                "QRAP_DB_MIN_CONNS",
                format!("must not exceed QRAP_DB_MAX_CONNS ({})", s.db_max_conns),
            ));
        }
        let database = database_options(&s)?;
        let guard = guard(&s)?;
        let qsgw = qsgw_settings(&s)?;
        let secret = require_secret(
            "QUANTUN_JWT_SECRET",
            s.jwt_secret,
            shared::auth::MIN_SECRET_LEN,
        )?;
        if s.jwt_issuer.trim().is_empty() {
            return Err(ConfigError::new("QUANTUN_JWT_ISSUER", "must not be empty"));
        }
        guard.secret("QUANTUN_JWT_SECRET", secret.expose())?;
        let jwt = JwtKeys::new(
            "QUANTUN_JWT_SECRET",
            &secret,
            &s.jwt_issuer,
            JWT_AUDIENCE,
            Duration::from_secs(s.jwt_ttl_secs),
        )?;
        let keys = require_secret("QUANTUN_API_KEYS", s.api_keys, 1)?;
        for key in keys
            .expose()
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
        {
            let value = key.rsplit_once(':').map_or(key, |(k, _)| k);
            guard.secret("QUANTUN_API_KEYS", value)?;
        }
        let api_keys = ApiKeys::parse("QUANTUN_API_KEYS", &keys)?;
        if api_keys.is_empty() {
            return Err(ConfigError::missing("QUANTUN_API_KEYS"));
        }
        Ok(Self {
            host: s.host,
            port: s.port,
            database,
            pool: PoolSettings {
                max_conns: s.db_max_conns,
                min_conns: s.db_min_conns,
                acquire_timeout: Duration::from_millis(s.db_acquire_timeout_ms),
            },
            ml_url: s.ml_url,
            log_level: s.log_level,
            rate_limit_per_minute: s.rate_limit,
            max_body_size: usize::try_from(s.max_body_size).unwrap_or(usize::MAX),
            cbom_max_body_size: usize::try_from(s.cbom_max_body_size.max(s.max_body_size))
                .unwrap_or(usize::MAX),
            ml_timeout: Duration::from_secs(s.ml_timeout_secs),
            jwt,
            api_keys,
            cors_origins: parse_list(&s.cors_origins),
            trusted_proxies: shared::client_ip::TrustedProxies::new(
                shared::edge::parse_cidrs(&s.trusted_proxies)
                    .map_err(|e| ConfigError::new("QUANTUN_TRUSTED_PROXIES", e))?,
            ),
            report_concurrency: usize::try_from(s.report_concurrency).unwrap_or(1),
            workers: crate::runner::WorkerSettings {
                workers: usize::try_from(s.workers).unwrap_or(0),
                lease: Duration::from_secs(s.lease_secs),
                max_attempts: i32::try_from(s.max_attempts).unwrap_or(3),
                poll: Duration::from_millis(s.worker_poll_ms),
            },
            shutdown_grace: Duration::from_secs(s.shutdown_grace_secs),
            startup_timeout: Duration::from_secs(30),
            server_limits: shared::server::ServerLimits {
                header_timeout: Duration::from_secs(s.header_timeout_secs),
                max_connections: s.max_connections as usize,
            },
            qsgw,
        })
    }
}

/// Mints a token from the JWT settings only (the `token` subcommand).
pub fn mint_token(
    s: &Settings,
    org: Option<&str>,
    role: &str,
    subject: &str,
) -> Result<String, ConfigError> {
    let secret = require_secret(
        "QUANTUN_JWT_SECRET",
        s.jwt_secret.clone(),
        shared::auth::MIN_SECRET_LEN,
    )?;
    let jwt = JwtKeys::new(
        "QUANTUN_JWT_SECRET",
        &secret,
        &s.jwt_issuer,
        JWT_AUDIENCE,
        Duration::from_secs(s.jwt_ttl_secs),
    )?;
    let role: shared::auth::Role = role
        .parse()
        .map_err(|_| ConfigError::new("--role", "must be admin, operator, viewer or service"))?;
    if let Some(o) = org {
        if shared::ids::OrgId::parse(o).is_err() {
            return Err(ConfigError::new(
                "--org",
                "must be an organization id (org_ + 32 hex)",
            ));
        }
    } else if role != shared::auth::Role::Admin {
        return Err(ConfigError::new(
            "--org",
            "required for every role but admin",
        ));
    }
    if subject.trim().is_empty() || subject.len() > 320 {
        return Err(ConfigError::new("--subject", "must be 1..320 characters"));
    }
    jwt.issue(subject, role, org)
        .map(|(t, _)| t)
        .map_err(|_| ConfigError::new("QUANTUN_JWT_SECRET", "cannot sign a token"))
}
