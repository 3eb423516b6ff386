//! Settings of the control plane: the seed's variables plus the first-admin
//! bootstrap. Parsed once at start; tests build [`Config`] directly.

use std::str::FromStr;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use shared::auth::{ApiKeys, JwtKeys};
use shared::config::{
    parse_base_url, parse_list, parse_port, require_secret, ConfigError, LogLevel, Secret,
};
use shared::db::PoolSettings;
use shared::etcd::EtcdSettings;
use sqlx::postgres::PgConnectOptions;

/// Issuer of QSGW access tokens.
pub const JWT_ISSUER: &str = "qsgw";
/// Audience of QSGW access tokens.
pub const JWT_AUDIENCE: &str = "qsgw-control-plane";
/// Audience of QSGW refresh tokens: never accepted as an access token.
pub const REFRESH_AUDIENCE: &str = "qsgw-control-plane-refresh";

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "control-plane",
    version,
    about = "QSGW control plane: admin REST API, audit log and etcd config publishing"
)]
pub struct Cli {
    /// Settings file (TOML, keys are the variable names); environment variables win over it.
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<std::path::PathBuf>,
    /// Every setting, as a flag or its `QSGW_…` environment variable.
    #[command(flatten)]
    pub settings: Settings,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// One-shot administration subcommands, and the stand-alone console;
/// without one the control plane serves.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Create an admin user from QSGW_ADMIN_EMAIL and QSGW_ADMIN_PASSWORD (applies migrations first), then exit.
    CreateAdmin,
    /// Apply the database migrations (needs only QSGW_DATABASE_URL), then exit: for release migration jobs.
    Migrate,
    /// Set the password of the user QSGW_ADMIN_EMAIL to QSGW_ADMIN_PASSWORD (ends its sessions), then exit: the way back in when nobody can sign in.
    ResetPassword {
        /// Also enable the account if it is disabled.
        #[arg(long)]
        enable: bool,
    },
    /// Serve only the QSGW console, calling the API at QSGW_CONSOLE_API_URL
    ///
    /// For hosting the console apart from the API (add the console's origin to the API's
    /// QSGW_CORS_ORIGINS). The control plane itself also serves it at /admin/.
    #[command(next_line_help = true)]
    Console(ConsoleArgs),
}

/// Settings of `control-plane console`.
#[derive(Debug, Clone, Args)]
pub struct ConsoleArgs {
    /// Bind address of the stand-alone console.
    #[arg(
        long = "console-host",
        env = "QSGW_CONSOLE_HOST",
        default_value = "0.0.0.0"
    )]
    pub host: String,
    /// Listen port of the stand-alone console.
    #[arg(long = "console-port", env = "QSGW_CONSOLE_PORT", default_value = "3003", value_parser = parse_port)]
    pub port: u16,
    /// Base URL of the control-plane API the console calls, e.g. `https://qsgw-api.example.com` (required).
    #[arg(long = "api-url", env = "QSGW_CONSOLE_API_URL", value_parser = shared::config::parse_base_url)]
    pub api_url: String,
}

/// Raw settings as read from flags, environment and file.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Bind address.
    #[arg(long = "host", env = "QSGW_CP_HOST", default_value = "0.0.0.0")]
    pub host: String,
    /// Listen port.
    #[arg(long = "port", env = "QSGW_CP_PORT", default_value = "8085", value_parser = parse_port)]
    pub port: u16,
    /// PostgreSQL connection string (required).
    #[arg(
        long = "database-url",
        env = "QSGW_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<Secret>,
    /// Most connections this replica's database pool opens, 1..1000 and at least QSGW_DATABASE_MIN_CONNS; times the replica count, keep it under PostgreSQL's max_connections.
    #[arg(long = "database-max-conns", env = "QSGW_DATABASE_MAX_CONNS", default_value = "25", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub database_max_conns: u32,
    /// Minimum idle database connections.
    #[arg(long = "database-min-conns", env = "QSGW_DATABASE_MIN_CONNS", default_value = "5", value_parser = clap::value_parser!(u32).range(0..=1000))]
    pub database_min_conns: u32,
    /// Longest wait in milliseconds for a pooled database connection; past it a request answers 503 with Retry-After.
    #[arg(long = "database-acquire-timeout-ms", env = "QSGW_DATABASE_ACQUIRE_TIMEOUT_MS", default_value = "1000", value_parser = clap::value_parser!(u64).range(50..=60_000))]
    pub database_acquire_timeout_ms: u64,
    /// JWT signing secret, at least 32 bytes (required).
    #[arg(long = "jwt-secret", env = "QSGW_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,
    /// Access-token lifetime in seconds (short: the console renews it with its refresh token).
    #[arg(long = "jwt-ttl-secs", env = "QSGW_JWT_TTL_SECS", default_value = "900", value_parser = clap::value_parser!(u64).range(60..=86_400))]
    pub jwt_ttl_secs: u64,
    /// Refresh-token lifetime in seconds: how long a console session lasts without a new login.
    #[arg(long = "refresh-ttl-secs", env = "QSGW_REFRESH_TTL_SECS", default_value = "43200", value_parser = clap::value_parser!(u64).range(300..=2_592_000))]
    pub refresh_ttl_secs: u64,
    /// API key for service authentication (gateways), at least 16 bytes.
    #[arg(long = "api-key", env = "QSGW_API_KEY", hide_env_values = true)]
    pub api_key: Option<Secret>,
    /// Read-only API keys for machine readers such as QRAP (`GET /api/v1/cbom`): comma-separated `key[:name]`, each at least 16 bytes; role viewer (they read what a viewer reads, cannot write, ingest or heartbeat).
    #[arg(
        long = "viewer-api-keys",
        env = "QSGW_VIEWER_API_KEYS",
        hide_env_values = true
    )]
    pub viewer_api_keys: Option<Secret>,
    /// etcd endpoints, comma separated.
    #[arg(
        long = "etcd-endpoints",
        env = "QSGW_ETCD_ENDPOINTS",
        default_value = "http://localhost:2379"
    )]
    pub etcd_endpoints: String,
    /// etcd TLS and authentication.
    #[command(flatten)]
    pub etcd: shared::etcd::EtcdClientArgs,
    /// Webhook endpoint for threat alerts.
    #[arg(long = "webhook-url", env = "QSGW_WEBHOOK_URL")]
    pub webhook_url: Option<String>,
    /// HMAC-SHA256 secret for webhook signatures (required with a webhook URL).
    #[arg(
        long = "webhook-secret",
        env = "QSGW_WEBHOOK_SECRET",
        hide_env_values = true
    )]
    pub webhook_secret: Option<Secret>,
    /// Minimum severity sent to the webhook: LOW, MEDIUM, HIGH or CRITICAL.
    #[arg(long = "webhook-min-severity", env = "QSGW_WEBHOOK_MIN_SEVERITY", default_value = "MEDIUM", value_parser = ["LOW", "MEDIUM", "HIGH", "CRITICAL"])]
    pub webhook_min_severity: String,
    /// Log level: trace, debug, info, warn or error.
    #[arg(long = "log-level", env = "QSGW_LOG_LEVEL", default_value = "info")]
    pub log_level: LogLevel,
    /// Email of the first admin, created at first start when no user exists.
    #[arg(long = "admin-email", env = "QSGW_ADMIN_EMAIL")]
    pub admin_email: Option<String>,
    /// Password of the first admin (at least 12 characters).
    #[arg(
        long = "admin-password",
        env = "QSGW_ADMIN_PASSWORD",
        hide_env_values = true
    )]
    pub admin_password: Option<Secret>,
    /// Browser origins allowed to call the API (CORS), comma separated; empty = same origin only.
    #[arg(long = "cors-origins", env = "QSGW_CORS_ORIGINS", default_value = "")]
    pub cors_origins: String,
    /// Proxies in front of this API whose X-Forwarded-For names the client (CIDRs or addresses, comma separated); the right-most hop that is not one of them is the client for rate limits, login throttling and the audit log. Empty: the TCP peer is the client.
    #[arg(
        long = "trusted-proxies",
        env = "QUANTUN_TRUSTED_PROXIES",
        default_value = ""
    )]
    pub trusted_proxies: String,
    /// Deployment environment: production refuses the repository's dev secrets, short secrets and plaintext etcd/Postgres (one of: production, development).
    #[arg(long = "environment", env = "QSGW_ENVIRONMENT", default_value = "development", value_parser = ["production", "development"])]
    pub environment: String,
    /// Accept plaintext (http://) etcd endpoints in production.
    #[arg(long = "allow-insecure-etcd", env = "QSGW_ALLOW_INSECURE_ETCD", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub allow_insecure_etcd: bool,
    /// Accept a database connection without verified TLS (sslmode other than verify-ca/verify-full) in production.
    #[arg(long = "allow-insecure-database", env = "QSGW_ALLOW_INSECURE_DATABASE", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub allow_insecure_database: bool,
    /// CA certificate (PEM) that signs the database server's certificate, for sslmode=verify-full/verify-ca.
    #[arg(long = "database-ca-path", env = "QSGW_DATABASE_CA_PATH")]
    pub database_ca_path: Option<std::path::PathBuf>,
    /// Seconds a client may take to send a request's headers before the connection is closed.
    #[arg(long = "header-timeout-secs", env = "QSGW_CP_HEADER_TIMEOUT_SECS", default_value = "10", value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_timeout_secs: u64,
    /// API requests per minute per user (per client address before authentication; 0 = off). The gateways' API key is not limited: one key serves the whole fleet's heartbeats and ingest.
    #[arg(long = "rate-limit", env = "QSGW_CP_RATE_LIMIT", default_value = "1200", value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub rate_limit: u32,
    /// Most client connections served at once.
    #[arg(long = "max-connections", env = "QSGW_CP_MAX_CONNECTIONS", default_value = "10000", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_connections: u32,
    /// Upstream targets allowed although loopback, link-local or one of this deployment's services (etcd, the database, this control plane): CIDRs, comma separated. `make run` allows loopback.
    #[arg(
        long = "allowed-private-targets",
        env = "QSGW_ALLOWED_PRIVATE_TARGETS",
        default_value = ""
    )]
    pub allowed_private_targets: String,
    /// Base URL of QRAP's ML engine, which scores the harvest-now-decrypt-later exposure of GET /api/v1/exposure (its horizon model is not copied here). Unreachable: the exposure answers its traffic figures without the Mosca part.
    #[arg(long = "ml-engine-url", env = "QSGW_ML_ENGINE_URL", default_value = "http://localhost:8084", value_parser = parse_base_url)]
    pub ml_engine_url: String,
    /// Seconds to drain in-flight requests on SIGTERM.
    #[arg(long = "shutdown-grace-secs", env = "QSGW_SHUTDOWN_GRACE_SECS", default_value = "30", value_parser = clap::value_parser!(u64).range(0..=600))]
    pub shutdown_grace_secs: u64,
    /// Days TLS session records (per handshake, with client addresses) are kept before they are deleted.
    #[arg(long = "tls-session-retention-days", env = "QSGW_TLS_SESSION_RETENTION_DAYS", default_value = "90", value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub tls_session_retention_days: u32,
    /// Days the per-minute traffic aggregates (requests per gateway; the sensor's sessions, requests and bytes per route, key-exchange group and client family) are kept.
    #[arg(long = "traffic-retention-days", env = "QSGW_TRAFFIC_RETENTION_DAYS", default_value = "400", value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub traffic_retention_days: u32,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address the API listens on (`QSGW_CP_HOST`).
    pub host: String,
    /// Listen port (0 in tests).
    pub port: u16,
    /// Where and how to reach PostgreSQL: `QSGW_DATABASE_URL`, with `QSGW_DATABASE_CA_PATH` as
    /// the root certificate when given.
    pub database: PgConnectOptions,
    /// Connection pool bounds and acquire timeout (`QSGW_DATABASE_MAX_CONNS`,
    /// `QSGW_DATABASE_MIN_CONNS`, `QSGW_DATABASE_ACQUIRE_TIMEOUT_MS`).
    pub pool: PoolSettings,
    /// Mints and verifies access tokens: HMAC secret `QSGW_JWT_SECRET`, issuer [`JWT_ISSUER`],
    /// audience [`JWT_AUDIENCE`], lifetime `QSGW_JWT_TTL_SECS`.
    pub jwt: JwtKeys,
    /// Refresh-token keys (same secret, audience [`REFRESH_AUDIENCE`]).
    pub refresh_jwt: JwtKeys,
    /// `QSGW_API_KEY` (role service) and `QSGW_VIEWER_API_KEYS` (role viewer).
    pub api_keys: ApiKeys,
    /// etcd endpoints (`QSGW_ETCD_ENDPOINTS`), TLS and credentials: where the
    /// configuration is published.
    pub etcd: EtcdSettings,
    /// Webhook target and secret.
    pub webhook: Option<(String, Secret)>,
    /// Least severe threat event that queues a webhook delivery (`QSGW_WEBHOOK_MIN_SEVERITY`:
    /// LOW, MEDIUM, HIGH or CRITICAL).
    pub webhook_min_severity: String,
    /// Lowest level of log event written (`QSGW_LOG_LEVEL`): trace, debug, info, warn or error.
    pub log_level: LogLevel,
    /// First admin (email, password).
    pub bootstrap_admin: Option<(String, Secret)>,
    /// Browser origins allowed to call the API (`QSGW_CORS_ORIGINS` split on commas, empty items
    /// dropped); empty: no CORS layer, so same origin only.
    pub cors_origins: Vec<String>,
    /// `QUANTUN_TRUSTED_PROXIES`.
    pub trusted_proxies: shared::client_ip::TrustedProxies,
    /// How long in-flight requests may finish after SIGTERM (`QSGW_SHUTDOWN_GRACE_SECS`).
    pub shutdown_grace: Duration,
    /// How long start-up waits for the database.
    pub startup_timeout: Duration,
    /// First webhook retry delay (doubles per attempt).
    pub webhook_backoff_base: Duration,
    /// Webhook worker poll interval when idle.
    pub webhook_poll: Duration,
    /// Login throttling.
    pub login_limits: crate::auth::login_limits::LoginLimitSettings,
    /// Header-read timeout and connection cap of the listener.
    pub server_limits: shared::server::ServerLimits,
    /// `QSGW_CP_RATE_LIMIT` (`None`: off).
    pub rate_limit: Option<shared::ratelimit::RateLimit>,
    /// `QSGW_ENVIRONMENT=production` (webhooks refuse private targets).
    pub production: bool,
    /// How long recorded traffic is kept.
    pub retention: crate::retention::Retention,
    /// Which upstream target addresses are refused.
    pub target_guard: shared::edge::TargetGuard,
    /// `QSGW_ML_ENGINE_URL` (no trailing slash).
    pub ml_engine_url: String,
}

/// The database connection alone (the `migrate` subcommand needs nothing else).
pub fn database_options(s: &Settings) -> Result<PgConnectOptions, ConfigError> {
    let url = require_secret("QSGW_DATABASE_URL", s.database_url.clone(), 1)?;
    // The URL holds a password: never echo it.
    let invalid = || {
        ConfigError::new(
            "QSGW_DATABASE_URL",
            "is not a valid postgres:// connection string",
        )
    };
    let text = url.expose();
    if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
        return Err(invalid());
    }
    PgConnectOptions::from_str(text).map_err(|_| invalid())
}

impl Config {
    /// Validates raw settings.
    pub fn from_settings(s: Settings) -> Result<Self, ConfigError> {
        let url = require_secret("QSGW_DATABASE_URL", s.database_url, 1)?;
        // The URL holds a password: never echo it.
        let invalid = || {
            ConfigError::new(
                "QSGW_DATABASE_URL",
                "is not a valid postgres:// connection string",
            )
        };
        let text = url.expose();
        if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
            return Err(invalid());
        }
        let mut database = PgConnectOptions::from_str(text).map_err(|_| invalid())?;
        if let Some(ca) = &s.database_ca_path {
            if !ca.is_file() {
                return Err(ConfigError::new(
                    "QSGW_DATABASE_CA_PATH",
                    format!("{} is not a readable file", ca.display()),
                ));
            }
            database = database.ssl_root_cert(ca);
        }
        let guard = shared::guard::Guard::new(
            s.environment
                .parse()
                .map_err(|e: String| ConfigError::new("QSGW_ENVIRONMENT", e))?,
        );
        if let Some(pw) = database_password(text) {
            guard.not_dev("QSGW_DATABASE_URL", &pw)?;
        }
        guard.transport(
            "QSGW_DATABASE_URL",
            !matches!(
                database.get_ssl_mode(),
                sqlx::postgres::PgSslMode::VerifyCa | sqlx::postgres::PgSslMode::VerifyFull
            ),
            "a database connection without verified TLS (sslmode=verify-full with QSGW_DATABASE_CA_PATH)",
            "QSGW_ALLOW_INSECURE_DATABASE",
            s.allow_insecure_database,
        )?;
        if s.database_min_conns > s.database_max_conns {
            return Err(ConfigError::new(
                "QSGW_DATABASE_MIN_CONNS",
                format!(
                    "must not exceed QSGW_DATABASE_MAX_CONNS ({})",
                    s.database_max_conns
                ),
            ));
        }
        let secret = require_secret(
            "QSGW_JWT_SECRET",
            s.jwt_secret,
            shared::auth::MIN_SECRET_LEN,
        )?;
        guard.secret("QSGW_JWT_SECRET", secret.expose())?;
        let jwt = JwtKeys::new(
            "QSGW_JWT_SECRET",
            &secret,
            JWT_ISSUER,
            JWT_AUDIENCE,
            Duration::from_secs(s.jwt_ttl_secs),
        )?;
        let refresh_jwt = JwtKeys::new(
            "QSGW_JWT_SECRET",
            &secret,
            JWT_ISSUER,
            REFRESH_AUDIENCE,
            Duration::from_secs(s.refresh_ttl_secs.max(s.jwt_ttl_secs)),
        )?;
        let api_keys = match s.api_key.filter(|k| !k.is_empty()) {
            Some(k) => {
                guard.secret("QSGW_API_KEY", k.expose())?;
                ApiKeys::single("QSGW_API_KEY", &k, "gateway")?
            }
            None => ApiKeys::default(),
        };
        // Read-only keys: role viewer, so the role extractors keep them out
        // of every write, the ingest and the heartbeat (those need
        // operator, admin or service).
        let api_keys = match s.viewer_api_keys.filter(|k| !k.is_empty()) {
            Some(spec) => {
                for item in spec.expose().split(',').map(str::trim) {
                    let value = item.rsplit_once(':').map_or(item, |(k, _)| k);
                    if !value.is_empty() {
                        guard.secret("QSGW_VIEWER_API_KEYS", value)?;
                    }
                }
                let viewers = ApiKeys::parse("QSGW_VIEWER_API_KEYS", &spec)?;
                if viewers.is_empty() {
                    return Err(ConfigError::new(
                        "QSGW_VIEWER_API_KEYS",
                        "names no key (give key[:name],… or leave it unset)",
                    ));
                }
                api_keys.merge(
                    "QSGW_VIEWER_API_KEYS",
                    viewers.with_role(shared::auth::Role::Viewer),
                )?
            }
            None => api_keys,
        };
        let endpoints = shared::etcd::parse_endpoints(&s.etcd_endpoints)
            .map_err(|e| ConfigError::new("QSGW_ETCD_ENDPOINTS", e))?;
        shared::etcd::refuse_plaintext(&endpoints, &guard, s.allow_insecure_etcd)?;
        let allowed = shared::edge::parse_cidrs(&s.allowed_private_targets)
            .map_err(|e| ConfigError::new("QSGW_ALLOWED_PRIVATE_TARGETS", e))?;
        // This deployment's own services: never an upstream target.
        let mut internal: Vec<(String, u16)> = endpoints
            .iter()
            .filter_map(|u| shared::edge::url_host_port(u))
            .collect();
        internal.push((
            database.get_host().to_ascii_lowercase(),
            database.get_port(),
        ));
        internal.push((s.host.to_ascii_lowercase(), s.port));
        let target_guard = shared::edge::TargetGuard::new(allowed, internal);
        let webhook = match s.webhook_url.filter(|u| !u.trim().is_empty()) {
            Some(url) => {
                let url =
                    parse_base_url(&url).map_err(|e| ConfigError::new("QSGW_WEBHOOK_URL", e))?;
                if guard.production() && !url.starts_with("https://") {
                    return Err(ConfigError::new(
                        "QSGW_WEBHOOK_URL",
                        "must be https:// in production (signed alerts leave the cluster)",
                    ));
                }
                if guard.production()
                    && shared::netguard::AddressPolicy::GlobalOnly
                        .check_url(&url)
                        .is_err()
                {
                    return Err(ConfigError::new(
                        "QSGW_WEBHOOK_URL",
                        "names a private or local address, refused in production",
                    ));
                }
                let secret = require_secret("QSGW_WEBHOOK_SECRET", s.webhook_secret, 16)?;
                guard.secret("QSGW_WEBHOOK_SECRET", secret.expose())?;
                Some((url, secret))
            }
            None => None,
        };
        let bootstrap_admin = match (
            s.admin_email.filter(|e| !e.trim().is_empty()),
            s.admin_password,
        ) {
            (None, None) => None,
            (Some(email), pw) => {
                if !email.contains('@') {
                    return Err(ConfigError::new(
                        "QSGW_ADMIN_EMAIL",
                        "is not an email address",
                    ));
                }
                let pw = require_secret("QSGW_ADMIN_PASSWORD", pw, 12)?;
                guard.not_dev("QSGW_ADMIN_PASSWORD", pw.expose())?;
                Some((email.trim().to_owned(), pw))
            }
            (None, Some(_)) => {
                return Err(ConfigError::new(
                    "QSGW_ADMIN_EMAIL",
                    "is required when QSGW_ADMIN_PASSWORD is set",
                ))
            }
        };
        Ok(Self {
            host: s.host,
            port: s.port,
            database,
            pool: PoolSettings {
                max_conns: s.database_max_conns,
                min_conns: s.database_min_conns,
                acquire_timeout: Duration::from_millis(s.database_acquire_timeout_ms),
            },
            jwt,
            refresh_jwt,
            api_keys,
            etcd: s.etcd.settings(endpoints, &guard)?,
            webhook,
            webhook_min_severity: s.webhook_min_severity,
            log_level: s.log_level,
            bootstrap_admin,
            cors_origins: parse_list(&s.cors_origins),
            trusted_proxies: shared::client_ip::TrustedProxies::new(
                shared::edge::parse_cidrs(&s.trusted_proxies)
                    .map_err(|e| ConfigError::new("QUANTUN_TRUSTED_PROXIES", e))?,
            ),
            shutdown_grace: Duration::from_secs(s.shutdown_grace_secs),
            startup_timeout: Duration::from_secs(30),
            webhook_backoff_base: Duration::from_secs(1),
            webhook_poll: Duration::from_secs(1),
            login_limits: crate::auth::login_limits::LoginLimitSettings::default(),
            production: guard.production(),
            retention: crate::retention::Retention {
                tls_session_days: s.tls_session_retention_days,
                traffic_days: s.traffic_retention_days,
            },
            rate_limit: shared::ratelimit::RateLimit::per_minute(s.rate_limit),
            server_limits: shared::server::ServerLimits {
                header_timeout: Duration::from_secs(s.header_timeout_secs),
                max_connections: s.max_connections as usize,
            },
            target_guard,
            ml_engine_url: s.ml_engine_url,
        })
    }
}

/// The password of a `postgres://user:password@host/…` URL, if any
/// (checked against the repository's dev values in production).
fn database_password(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let (cred, _) = rest.rsplit_once('@')?;
    let (_, pw) = cred.split_once(':')?;
    Some(pw.to_owned())
}
