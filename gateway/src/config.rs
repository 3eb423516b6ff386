//! Settings of the gateway (the seed's `QSGW_*` gateway table plus the admin
//! listener and TLS policy).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser};
use shared::config::{parse_base_url, parse_port, ConfigError, LogLevel, Secret};
pub use shared::qsgw::TlsPolicy;

/// Command line.
#[derive(Debug, Parser)]
#[command(
    name = "gateway",
    version,
    about = "QSGW gateway: post-quantum TLS-terminating reverse proxy"
)]
pub struct Cli {
    /// Settings file (TOML, keys are the variable names); environment variables win over it.
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    /// Every setting, as a flag or its `QSGW_…` environment variable.
    #[command(flatten)]
    pub settings: Settings,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// One-shot subcommands; without one the gateway serves.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Write a development certificate chain (a root CA and a leaf it signs for --name, both with --alg) to --out-dir, then exit; add it with QSGW_TLS_EXTRA_CERTS, QSGW_TLS_SNI_CERTS (or QSGW_TLS_CERT_PATH/KEY_PATH) and trust the root in the client.
    GenCert {
        /// Signature algorithm of root and leaf.
        #[arg(long, value_enum)]
        alg: crate::tls::CertAlg,
        /// Names (DNS names or IP addresses) the leaf is for; repeat for several.
        #[arg(long = "name", default_values = ["localhost", "127.0.0.1", "::1"])]
        names: Vec<String>,
        /// Directory to write `<alg>-root.crt`, `<alg>.crt` (leaf + root) and `<alg>.key` (mode 0600) to.
        #[arg(long = "out-dir", default_value = "certs")]
        out_dir: PathBuf,
    },
}

/// Raw settings.
#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// TLS listener bind address.
    #[arg(long = "host", env = "QSGW_GATEWAY_HOST", default_value = "0.0.0.0")]
    pub host: String,
    /// TLS listener port.
    #[arg(long = "port", env = "QSGW_GATEWAY_PORT", default_value = "8443", value_parser = parse_port)]
    pub port: u16,
    /// Admin listener bind address (plain HTTP: /health, /health/ready and /metrics open, /config needs the service key). Loopback by default; containers bind their pod/network address explicitly.
    #[arg(
        long = "admin-host",
        env = "QSGW_GATEWAY_ADMIN_HOST",
        default_value = "127.0.0.1"
    )]
    pub admin_host: String,
    /// Admin listener port.
    #[arg(long = "admin-port", env = "QSGW_GATEWAY_ADMIN_PORT", default_value = "9901", value_parser = parse_port)]
    pub admin_port: u16,
    /// The listener's default certificate chain (PEM), reloaded when the file changes; in development a self-signed one is generated here when neither it nor the key exists.
    #[arg(
        long = "tls-cert-path",
        env = "QSGW_TLS_CERT_PATH",
        default_value = "/etc/qsgw/certs/server.crt"
    )]
    pub tls_cert_path: PathBuf,
    /// Private key (PEM) of QSGW_TLS_CERT_PATH's chain, reloaded with it.
    #[arg(
        long = "tls-key-path",
        env = "QSGW_TLS_KEY_PATH",
        default_value = "/etc/qsgw/certs/server.key"
    )]
    pub tls_key_path: PathBuf,
    /// More certificate chains for the listener, as `cert.pem:key.pem` pairs, comma separated (e.g. an ML-DSA-65 chain beside an ECDSA one); each handshake gets the strongest chain the client's signature_algorithms accept (ML-DSA first, then ECDSA, Ed25519, RSA), else QSGW_TLS_CERT_PATH. `gateway gen-cert --alg ml-dsa-65` writes one to try.
    #[arg(
        long = "tls-extra-certs",
        env = "QSGW_TLS_EXTRA_CERTS",
        default_value = ""
    )]
    pub tls_extra_certs: String,
    /// Mutual TLS at the listener: none, optional (asked for; a client without one is served, a wrong one refused) or required (the handshake fails without a certificate QSGW_TLS_CLIENT_CA_PATH signed). The verified certificate's subject and key algorithm go to upstreams in X-Client-Cert-Subject and X-Client-Cert-Algorithm (client-sent copies removed).
    #[arg(
        long = "tls-client-auth",
        env = "QSGW_TLS_CLIENT_AUTH",
        default_value = "none",
        value_enum
    )]
    pub tls_client_auth: crate::tls::ClientAuth,
    /// CA certificates (PEM) that sign accepted client certificates (QSGW_TLS_CLIENT_AUTH or QSGW_TLS_SNI_CLIENT_AUTH optional or required).
    #[arg(long = "tls-client-ca-path", env = "QSGW_TLS_CLIENT_CA_PATH")]
    pub tls_client_ca_path: Option<PathBuf>,
    /// Per-host client-certificate demand over QSGW_TLS_CLIENT_AUTH (exact names or `*.domain`), applied to the handshake by SNI and to every request by its Host (a request for a `required` host on a connection without a certificate gets 421 when SNI named another host), e.g. `admin.example.com=required,www.example.com=none`.
    #[arg(
        long = "tls-sni-client-auth",
        env = "QSGW_TLS_SNI_CLIENT_AUTH",
        default_value = ""
    )]
    pub tls_sni_client_auth: String,
    /// Per-host certificate chains, as `host=cert.pem:key.pem` items, comma separated; a host may be named several times (e.g. an ML-DSA-65 and an ECDSA chain) and the handshake picks among its chains by the client's signature_algorithms, as for QSGW_TLS_EXTRA_CERTS. Hosts not named get the listener's chains.
    #[arg(long = "tls-sni-certs", env = "QSGW_TLS_SNI_CERTS", default_value = "")]
    pub tls_sni_certs: String,
    /// Key-exchange policy: PQC_PREFERRED, PQC_ONLY, CNSA2 (ML-KEM-1024 and SecP384r1MLKEM1024 only, AES-256-GCM) or CLASSICAL_ALLOWED.
    #[arg(
        long = "tls-policy",
        env = "QSGW_TLS_POLICY",
        default_value = "PQC_PREFERRED",
        value_enum
    )]
    pub tls_policy: TlsPolicy,
    /// Control plane base URL: registration, heartbeats and the TLS-session and threat reports (only with QSGW_API_KEY); its host is never accepted as an upstream target.
    #[arg(long = "control-plane-url", env = "QSGW_CONTROL_PLANE_URL", default_value = "http://localhost:8085", value_parser = parse_base_url)]
    pub control_plane_url: String,
    /// AI engine base URL asked for verdicts on routes with inspection (only with QSGW_API_KEY); its host is never accepted as an upstream target.
    #[arg(long = "ai-engine-url", env = "QSGW_AI_ENGINE_URL", default_value = "http://localhost:8086", value_parser = parse_base_url)]
    pub ai_engine_url: String,
    /// Service API key presented to the control plane and the AI engine.
    #[arg(long = "api-key", env = "QSGW_API_KEY", hide_env_values = true)]
    pub api_key: Option<Secret>,
    /// etcd endpoints, comma separated.
    #[arg(
        long = "etcd-endpoints",
        env = "QSGW_ETCD_ENDPOINTS",
        default_value = "http://localhost:2379"
    )]
    pub etcd_endpoints: String,
    /// etcd TLS and authentication (the gateway's etcd user is read-only on /qsgw/v1/).
    #[command(flatten)]
    pub etcd: shared::etcd::EtcdClientArgs,
    /// Accept plaintext (http://) etcd endpoints in production.
    #[arg(long = "allow-insecure-etcd", env = "QSGW_ALLOW_INSECURE_ETCD", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub allow_insecure_etcd: bool,
    /// Maximum concurrent client connections; a connection beyond it is closed at once (qsgw_connections_total counts it as refused).
    #[arg(long = "max-connections", env = "QSGW_MAX_CONNECTIONS", default_value = "10000", value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub max_connections: u32,
    /// Tokio worker threads (default: one per CPU core).
    #[arg(long = "worker-threads", env = "QSGW_WORKER_THREADS", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub worker_threads: Option<u16>,
    /// Most threads the runtime may start for blocking work kept off the async workers.
    #[arg(long = "blocking-threads", env = "QSGW_BLOCKING_THREADS", default_value = "512", value_parser = clap::value_parser!(u16).range(1..=10_000))]
    pub blocking_threads: u16,
    /// Idle keep-alive connections kept per upstream target (an upstream's own pool_size overrides it); busier moments open more, closed again when idle.
    #[arg(long = "upstream-pool-size", env = "QSGW_UPSTREAM_POOL_SIZE", default_value = "100", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub upstream_pool_size: u32,
    /// Seconds a proxied request may take upstream when neither its route's timeout_ms nor its upstream's request_timeout_ms is set.
    #[arg(long = "upstream-timeout-secs", env = "QSGW_UPSTREAM_TIMEOUT_SECS", default_value = "30", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub upstream_timeout_secs: u64,
    /// Requests per second each client IP may make on routes without their own rate_limit; beyond it 429.
    #[arg(long = "rate-limit-rps", env = "QSGW_RATE_LIMIT_RPS", default_value = "100", value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub rate_limit_rps: u32,
    /// Requests a client IP may make at once before QSGW_RATE_LIMIT_RPS paces it (token-bucket size, not below the rate).
    #[arg(long = "rate-limit-burst", env = "QSGW_RATE_LIMIT_BURST", default_value = "200", value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub rate_limit_burst: u32,
    /// Log level: trace, debug, info, warn or error.
    #[arg(long = "log-level", env = "QSGW_LOG_LEVEL", default_value = "info")]
    pub log_level: LogLevel,
    /// Deployment environment: production or development (development generates a self-signed certificate when none exists; production refuses plaintext etcd).
    #[arg(long = "environment", env = "QSGW_ENVIRONMENT", default_value = "production", value_parser = ["production", "development"])]
    pub environment: String,
    /// Per-host key-exchange policy overrides (exact names or `*.domain`), applied to the handshake by SNI and to every request by its Host, e.g. `legacy.example.com=CLASSICAL_ALLOWED,pq.example.com=PQC_ONLY`.
    #[arg(
        long = "tls-sni-policies",
        env = "QSGW_TLS_SNI_POLICIES",
        default_value = ""
    )]
    pub tls_sni_policies: String,
    /// Standalone mode: serve the routes of this snapshot file (JSON, as GET /api/v1/config/snapshot) without etcd.
    #[arg(long = "config-file", env = "QSGW_CONFIG_FILE")]
    pub config_file: Option<PathBuf>,
    /// Where the last good config from etcd is saved, so a restart while etcd is down still serves it (empty disables).
    #[arg(
        long = "config-cache-path",
        env = "QSGW_CONFIG_CACHE_PATH",
        default_value = "/var/lib/qsgw/config-cache.json"
    )]
    pub config_cache_path: String,
    /// Name this gateway registers under with the control plane (default: the host name).
    #[arg(long = "gateway-name", env = "QSGW_GATEWAY_NAME")]
    pub gateway_name: Option<String>,
    /// Address clients reach this gateway at, reported at registration (default: host name and TLS port).
    #[arg(long = "gateway-address", env = "QSGW_GATEWAY_ADDRESS")]
    pub gateway_address: Option<String>,
    /// Seconds between heartbeats to the control plane (it marks a gateway offline after 30 s).
    #[arg(long = "heartbeat-interval-secs", env = "QSGW_HEARTBEAT_INTERVAL_SECS", default_value = "10", value_parser = clap::value_parser!(u64).range(1..=25))]
    pub heartbeat_interval_secs: u64,
    /// Budget in milliseconds a route with `inspection: sync` waits for the AI engine's verdict before letting the request through.
    #[arg(long = "ai-timeout-ms", env = "QSGW_AI_TIMEOUT_MS", default_value = "25", value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub ai_timeout_ms: u64,
    /// Seconds a client IP's verdict is reused; a cached block answers 403 for that long, whatever user agent the client sends.
    #[arg(long = "ai-verdict-ttl-secs", env = "QSGW_AI_VERDICT_TTL_SECS", default_value = "60", value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub ai_verdict_ttl_secs: u64,
    /// Requests waiting for analysis; beyond it requests pass uninspected (counted in qsgw_ai_dropped_total).
    #[arg(long = "ai-queue-size", env = "QSGW_AI_QUEUE_SIZE", default_value = "10000", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub ai_queue_size: u32,
    /// Most clients whose AI verdict is kept for reuse (each for QSGW_AI_VERDICT_TTL_SECS); beyond it entries are evicted.
    #[arg(long = "ai-cache-clients", env = "QSGW_AI_CACHE_CLIENTS", default_value = "100000", value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub ai_cache_clients: u32,
    /// Name servers (comma-separated `ip:port`) asked to verify search-engine crawlers on routes with `bots: allow_verified` (reverse, then forward DNS); empty: the system's (/etc/resolv.conf).
    #[arg(
        long = "bot-dns-servers",
        env = "QSGW_BOT_DNS_SERVERS",
        default_value = ""
    )]
    pub bot_dns_servers: String,
    /// Budget in milliseconds of one DNS lookup verifying a crawler (off the request path).
    #[arg(long = "bot-dns-timeout-ms", env = "QSGW_BOT_DNS_TIMEOUT_MS", default_value = "2000", value_parser = clap::value_parser!(u64).range(1..=30_000))]
    pub bot_dns_timeout_ms: u64,
    /// TLS session records and threat events each held while the control plane is unreachable; beyond it the oldest are dropped (qsgw_report_dropped_total).
    #[arg(long = "report-buffer-size", env = "QSGW_REPORT_BUFFER_SIZE", default_value = "10000", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub report_buffer_size: u32,
    /// What a TLS session record says of the client's address: `full`, or `prefix` (its /24 or /48 network address, for deployments that must not keep client addresses; distinct-client counts then count networks).
    #[arg(long = "record-client-ip", env = "QSGW_RECORD_CLIENT_IP", default_value = "full", value_parser = ["full", "prefix"])]
    pub record_client_ip: String,
    /// Seconds a client connection may stay silent (no byte either way, no request in flight) before it is closed.
    #[arg(long = "idle-timeout-secs", env = "QSGW_IDLE_TIMEOUT_SECS", default_value = "60", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout_secs: u64,
    /// Seconds an HTTP/1.1 client may take to send a request head once its first byte arrived (slowloris); the connection is then dropped. Idle keep-alive time between requests is governed by QSGW_IDLE_TIMEOUT_SECS.
    #[arg(long = "header-timeout-secs", env = "QSGW_HEADER_TIMEOUT_SECS", default_value = "10", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout_secs: u64,
    /// TLS sessions kept server-side for resumption (TLS 1.3, one ticket per handshake naming a cached session; stateless tickets are never issued, so a stolen ticket key cannot decrypt past traffic); 0 turns resumption off.
    #[arg(long = "tls-session-cache", env = "QSGW_TLS_SESSION_CACHE", default_value = "10000", value_parser = clap::value_parser!(u32).range(0..=10_000_000))]
    pub tls_session_cache: u32,
    /// Most header fields in an HTTP/1.1 request (more → 431).
    #[arg(long = "max-header-count", env = "QSGW_MAX_HEADER_COUNT", default_value = "100", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub max_header_count: u32,
    /// Largest request head (request line and headers) in bytes (more → 431).
    #[arg(long = "max-header-bytes", env = "QSGW_MAX_HEADER_BYTES", default_value = "65536", value_parser = clap::value_parser!(u32).range(8_192..=1_048_576))]
    pub max_header_bytes: u32,
    /// Load balancers and proxies (CIDRs, comma separated) whose X-Forwarded-For and PROXY protocol headers are believed; the client is the right-most address not in this list.
    #[arg(
        long = "trusted-proxies",
        env = "QSGW_TRUSTED_PROXIES",
        default_value = ""
    )]
    pub trusted_proxies: String,
    /// PROXY protocol on the TLS listener: `off`, or `v2` (every connection must start with a v2 header, accepted only from QSGW_TRUSTED_PROXIES).
    #[arg(long = "proxy-protocol", env = "QSGW_PROXY_PROTOCOL", default_value = "off", value_parser = ["off", "v2"])]
    pub proxy_protocol: String,
    /// Pass clients' own `Forwarded` and `X-Real-IP` headers upstream (by default they are removed: only X-Forwarded-* set by the gateway reach upstreams).
    #[arg(long = "pass-forwarded-headers", env = "QSGW_PASS_FORWARDED_HEADERS", default_value = "false", action = clap::ArgAction::Set)]
    pub pass_forwarded_headers: bool,
    /// Most concurrent connections from one client IP (trusted proxies without PROXY protocol are exempt).
    #[arg(long = "max-connections-per-ip", env = "QSGW_MAX_CONNECTIONS_PER_IP", default_value = "1000", value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub max_connections_per_ip: u32,
    /// Seconds after which a client connection is asked to close (HTTP/2 GOAWAY, HTTP/1.1 `Connection: close`), so long-lived connections rebalance and pick up new certificates.
    #[arg(long = "max-connection-age-secs", env = "QSGW_MAX_CONNECTION_AGE_SECS", default_value = "3600", value_parser = clap::value_parser!(u64).range(1..=604_800))]
    pub max_connection_age_secs: u64,
    /// Seconds a connection asked to close (idle, max age) may take to finish; then it is dropped, answered or not.
    #[arg(long = "close-timeout-secs", env = "QSGW_CLOSE_TIMEOUT_SECS", default_value = "30", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub close_timeout_secs: u64,
    /// HTTP/2: most concurrent streams per connection.
    #[arg(long = "h2-max-concurrent-streams", env = "QSGW_H2_MAX_CONCURRENT_STREAMS", default_value = "100", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub h2_max_concurrent_streams: u32,
    /// HTTP/2: initial flow-control window of a stream, bytes.
    #[arg(long = "h2-stream-window-bytes", env = "QSGW_H2_STREAM_WINDOW_BYTES", default_value = "1048576", value_parser = clap::value_parser!(u32).range(65_535..=2_147_483_647))]
    pub h2_stream_window_bytes: u32,
    /// HTTP/2: initial flow-control window of a connection, bytes.
    #[arg(long = "h2-connection-window-bytes", env = "QSGW_H2_CONNECTION_WINDOW_BYTES", default_value = "2097152", value_parser = clap::value_parser!(u32).range(65_535..=2_147_483_647))]
    pub h2_connection_window_bytes: u32,
    /// HTTP/2: streams a client may reset before the server has answered them, per connection, before the connection is closed (rapid reset, CVE-2023-44487).
    #[arg(long = "h2-max-pending-resets", env = "QSGW_H2_MAX_PENDING_RESETS", default_value = "20", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub h2_max_pending_resets: u32,
    /// Upstream targets allowed although loopback, link-local or an internal service (CIDRs, comma separated); checked on the resolved address at every connect.
    #[arg(
        long = "allowed-private-targets",
        env = "QSGW_ALLOWED_PRIVATE_TARGETS",
        default_value = ""
    )]
    pub allowed_private_targets: String,
    /// Seconds to drain in-flight requests on SIGTERM.
    #[arg(long = "shutdown-grace-secs", env = "QSGW_SHUTDOWN_GRACE_SECS", default_value = "30", value_parser = clap::value_parser!(u64).range(0..=600))]
    pub shutdown_grace_secs: u64,
}

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Bind address of the TLS listener (QSGW_GATEWAY_HOST, default 0.0.0.0).
    pub host: String,
    /// TLS listener port (QSGW_GATEWAY_PORT, default 8443; 0 in tests).
    pub port: u16,
    /// Bind address of the plain-HTTP admin listener: health, metrics and
    /// `/config` (QSGW_GATEWAY_ADMIN_HOST, default 127.0.0.1).
    pub admin_host: String,
    /// Admin listener port (0 in tests).
    pub admin_port: u16,
    /// The listener's default certificate chain, PEM (QSGW_TLS_CERT_PATH);
    /// reloaded when it changes, generated self-signed in development when
    /// neither it nor the key exists.
    pub tls_cert_path: PathBuf,
    /// Private key of `tls_cert_path`'s chain, PEM (QSGW_TLS_KEY_PATH).
    pub tls_key_path: PathBuf,
    /// More chains (certificate and key paths).
    pub tls_extra_certs: Vec<(PathBuf, PathBuf)>,
    /// Mutual TLS: the listener's mode, and overrides per host (SNI and
    /// `Host`).
    pub tls_client_auth: crate::policy::HostMap<crate::tls::ClientAuth>,
    /// CA certificates (PEM) that sign accepted client certificates
    /// (QSGW_TLS_CLIENT_CA_PATH); required when any host asks for one.
    pub tls_client_ca_path: Option<PathBuf>,
    /// Per-host chains (`QSGW_TLS_SNI_CERTS`): host, certificate, key.
    pub tls_sni_certs: Vec<(shared::edge::HostPattern, PathBuf, PathBuf)>,
    /// The listener's default key-exchange policy (QSGW_TLS_POLICY, default
    /// PQC_PREFERRED); `host_policies` holds it with the per-host overrides.
    pub tls_policy: TlsPolicy,
    /// Control plane base URL (QSGW_CONTROL_PLANE_URL): registration,
    /// heartbeats and reports; never accepted as an upstream target.
    pub control_plane_url: String,
    /// AI engine base URL (QSGW_AI_ENGINE_URL) asked for traffic verdicts;
    /// never accepted as an upstream target.
    pub ai_engine_url: String,
    /// Key sent as `X-API-Key` to the control plane and the AI engine
    /// (QSGW_API_KEY, 16+ bytes); `None` turns reporting and inspection off.
    pub api_key: Option<Secret>,
    /// etcd connection: endpoints, TLS and credentials (not used in
    /// standalone mode).
    pub etcd: shared::etcd::EtcdSettings,
    /// Most concurrent client connections (QSGW_MAX_CONNECTIONS, default
    /// 10000); new ones beyond it are closed at once.
    pub max_connections: u32,
    /// Tokio worker threads (QSGW_WORKER_THREADS; `None`: one per core).
    pub worker_threads: Option<usize>,
    /// Cap on tokio's blocking-thread pool (QSGW_BLOCKING_THREADS, default 512).
    pub blocking_threads: usize,
    /// Idle keep-alive connections kept per upstream target unless the
    /// upstream sets `pool_size` (QSGW_UPSTREAM_POOL_SIZE, default 100).
    pub upstream_pool_size: u32,
    /// Upstream timeout of a request whose route and upstream set none
    /// (QSGW_UPSTREAM_TIMEOUT_SECS, default 30 s).
    pub upstream_timeout: Duration,
    /// Requests per second per client IP on routes without their own limit
    /// (QSGW_RATE_LIMIT_RPS, default 100).
    pub rate_limit_rps: u32,
    /// Token-bucket size of that limit: requests a client IP may make at once
    /// (QSGW_RATE_LIMIT_BURST, default 200, never below the rate).
    pub rate_limit_burst: u32,
    /// Minimum level of the JSON log lines (QSGW_LOG_LEVEL, default info);
    /// `RUST_LOG` is not read.
    pub log_level: LogLevel,
    /// Whether this is a production deployment.
    pub production: bool,
    /// Listener policy and per-host (SNI and `Host`) overrides.
    pub host_policies: crate::policy::HostPolicies,
    /// Snapshot file served instead of etcd in standalone mode
    /// (QSGW_CONFIG_FILE; `None`: watch etcd).
    pub config_file: Option<PathBuf>,
    /// Where the last good config from etcd is saved for a restart while
    /// etcd is down (QSGW_CONFIG_CACHE_PATH; `None` when set empty).
    pub config_cache_path: Option<PathBuf>,
    /// How long in-flight requests may finish after SIGTERM
    /// (QSGW_SHUTDOWN_GRACE_SECS, default 30 s).
    pub shutdown_grace: Duration,
    /// Name registered with the control plane (QSGW_GATEWAY_NAME, default
    /// `hostname`; at most 253 characters).
    pub gateway_name: String,
    /// Address clients reach this gateway at, as registered
    /// (QSGW_GATEWAY_ADDRESS; `None`: `hostname` and the TLS port).
    pub gateway_address: Option<String>,
    /// This machine's host name (`HOSTNAME`, else the kernel's, else
    /// `gateway`): registered, and the default name and address.
    pub hostname: String,
    /// Time between heartbeats to the control plane
    /// (QSGW_HEARTBEAT_INTERVAL_SECS, default 10 s; it marks a gateway offline after 30 s).
    pub heartbeat_interval: Duration,
    /// How long a route with `inspection: sync` waits for the AI engine's
    /// verdict before letting the request through (QSGW_AI_TIMEOUT_MS, default 25 ms).
    pub ai_timeout: Duration,
    /// How long a client IP's verdict is reused, a block included
    /// (QSGW_AI_VERDICT_TTL_SECS, default 60 s).
    pub ai_verdict_ttl: Duration,
    /// Requests waiting for analysis; beyond it requests pass uninspected
    /// (QSGW_AI_QUEUE_SIZE, default 10000).
    pub ai_queue_size: usize,
    /// Most clients whose verdict is cached (QSGW_AI_CACHE_CLIENTS, default 100000).
    pub ai_cache_clients: u64,
    /// TLS session records and threat events each held while the control
    /// plane is unreachable, oldest dropped beyond it (QSGW_REPORT_BUFFER_SIZE, default 10000).
    pub report_buffer_size: usize,
    /// Session records carry the client's /24 or /48 network, not its address.
    pub record_client_prefix: bool,
    /// Name servers and lookup budget for verifying claimed crawlers on
    /// `bots: allow_verified` routes (QSGW_BOT_DNS_SERVERS, QSGW_BOT_DNS_TIMEOUT_MS).
    pub crawler_dns: crate::crawlers::VerifierSettings,
    /// How long a client connection may stay silent with no request in
    /// flight before it is closed (QSGW_IDLE_TIMEOUT_SECS, default 60 s).
    pub idle_timeout: Duration,
    /// Longest wait for the rest of an HTTP/1.1 request head.
    pub header_timeout: Duration,
    /// TLS sessions cached for resumption (0: none).
    pub tls_session_cache: usize,
    /// Most header fields in an HTTP/1.1 request, more → 431
    /// (QSGW_MAX_HEADER_COUNT, default 100).
    pub max_header_count: usize,
    /// Largest request head in bytes, more → 431 (QSGW_MAX_HEADER_BYTES,
    /// default 65536).
    pub max_header_bytes: usize,
    /// Networks whose `X-Forwarded-For` and PROXY protocol headers are
    /// believed (QSGW_TRUSTED_PROXIES; empty: none, the peer is the client).
    pub trusted_proxies: Vec<shared::edge::IpNet>,
    /// PROXY protocol v2 required on the TLS listener.
    pub proxy_protocol: bool,
    /// Pass clients' own `Forwarded`/`X-Real-IP` upstream instead of
    /// removing them (QSGW_PASS_FORWARDED_HEADERS, default false).
    pub pass_forwarded_headers: bool,
    /// Most concurrent connections from one client IP; trusted proxies
    /// without PROXY protocol are exempt (QSGW_MAX_CONNECTIONS_PER_IP, default 1000).
    pub max_connections_per_ip: u32,
    /// Connection age after which it is asked to close.
    pub max_connection_age: Duration,
    /// How long a connection asked to close (idle, max age) may take to
    /// finish before it is dropped (QSGW_CLOSE_TIMEOUT_SECS, default 30 s).
    pub close_timeout: Duration,
    /// Stream and flow-control limits of client HTTP/2 connections
    /// (`QSGW_H2_*`).
    pub h2: H2Limits,
    /// Networks upstream targets may resolve to although loopback, link-local
    /// or an internal service (QSGW_ALLOWED_PRIVATE_TARGETS; empty: none).
    pub allowed_private_targets: Vec<shared::edge::IpNet>,
}

/// HTTP/2 limits of client connections.
#[derive(Debug, Clone, Copy)]
pub struct H2Limits {
    /// Most concurrent streams per connection, advertised in SETTINGS
    /// (QSGW_H2_MAX_CONCURRENT_STREAMS, default 100).
    pub max_concurrent_streams: u32,
    /// Initial flow-control window of a stream, in bytes
    /// (QSGW_H2_STREAM_WINDOW_BYTES, default 1 MiB).
    pub stream_window: u32,
    /// Initial flow-control window of a whole connection, in bytes
    /// (QSGW_H2_CONNECTION_WINDOW_BYTES, default 2 MiB).
    pub connection_window: u32,
    /// Streams a client may reset before they are answered before the
    /// connection is closed (rapid reset, CVE-2023-44487; QSGW_H2_MAX_PENDING_RESETS, default 20).
    pub max_pending_resets: usize,
}

impl Config {
    /// Validates raw settings.
    pub fn from_settings(s: Settings) -> Result<Self, ConfigError> {
        let etcd_endpoints = shared::etcd::parse_endpoints(&s.etcd_endpoints)
            .map_err(|e| ConfigError::new("QSGW_ETCD_ENDPOINTS", e))?;
        if s.rate_limit_burst < s.rate_limit_rps {
            return Err(ConfigError::new(
                "QSGW_RATE_LIMIT_BURST",
                format!(
                    "must not be below QSGW_RATE_LIMIT_RPS ({})",
                    s.rate_limit_rps
                ),
            ));
        }
        let api_key = s.api_key.filter(|k| !k.is_empty());
        if let Some(k) = &api_key {
            if k.len() < shared::auth::ApiKeys::MIN_LEN {
                return Err(ConfigError::new(
                    "QSGW_API_KEY",
                    "must be at least 16 bytes long",
                ));
            }
        }
        let mut host_policies = crate::policy::HostPolicies::new(s.tls_policy);
        for (host, policy) in host_items("QSGW_TLS_SNI_POLICIES", "POLICY", &s.tls_sni_policies)? {
            let policy = <TlsPolicy as clap::ValueEnum>::from_str(&policy, false).map_err(|_| {
                ConfigError::new(
                    "QSGW_TLS_SNI_POLICIES",
                    format!("unknown policy '{policy}' (expected CNSA2, PQC_ONLY, PQC_PREFERRED or CLASSICAL_ALLOWED)"),
                )
            })?;
            host_policies.insert(&host, policy);
        }
        let mut tls_client_auth = crate::policy::HostMap::new(s.tls_client_auth);
        for (host, mode) in host_items("QSGW_TLS_SNI_CLIENT_AUTH", "MODE", &s.tls_sni_client_auth)?
        {
            let mode = <crate::tls::ClientAuth as clap::ValueEnum>::from_str(&mode, false)
                .map_err(|_| {
                    ConfigError::new(
                        "QSGW_TLS_SNI_CLIENT_AUTH",
                        format!("unknown mode '{mode}' (expected none, optional or required)"),
                    )
                })?;
            tls_client_auth.insert(&host, mode);
        }
        if s.tls_client_ca_path.is_none()
            && (tls_client_auth.default_value() != &crate::tls::ClientAuth::None
                || tls_client_auth
                    .patterns()
                    .any(|p| tls_client_auth.of_pattern(&p) != &crate::tls::ClientAuth::None))
        {
            return Err(ConfigError::new(
                "QSGW_TLS_CLIENT_CA_PATH",
                "is required when QSGW_TLS_CLIENT_AUTH or QSGW_TLS_SNI_CLIENT_AUTH asks for client certificates",
            ));
        }
        let tls_sni_certs = host_items("QSGW_TLS_SNI_CERTS", "cert.pem:key.pem", &s.tls_sni_certs)?
            .into_iter()
            .map(|(host, pair)| {
                cert_key_pair("QSGW_TLS_SNI_CERTS", &pair).map(|(c, k)| (host, c, k))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let trusted_proxies = shared::edge::parse_cidrs(&s.trusted_proxies)
            .map_err(|e| ConfigError::new("QSGW_TRUSTED_PROXIES", e))?;
        let allowed_private_targets = shared::edge::parse_cidrs(&s.allowed_private_targets)
            .map_err(|e| ConfigError::new("QSGW_ALLOWED_PRIVATE_TARGETS", e))?;
        let proxy_protocol = s.proxy_protocol == "v2";
        if proxy_protocol && trusted_proxies.is_empty() {
            return Err(ConfigError::new(
                "QSGW_PROXY_PROTOCOL",
                "v2 needs QSGW_TRUSTED_PROXIES (the load balancers allowed to send the header)",
            ));
        }
        // The one read of HOSTNAME (the container's or pod's name).
        let hostname = hostname();
        let gateway_name = s
            .gateway_name
            .map(|n| n.trim().to_owned())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| hostname.clone());
        if gateway_name.len() > 253 || gateway_name.chars().any(char::is_control) {
            return Err(ConfigError::new(
                "QSGW_GATEWAY_NAME",
                "must be 1 to 253 characters without control characters",
            ));
        }
        let gateway_address = s
            .gateway_address
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty());
        if gateway_address
            .as_deref()
            .is_some_and(|a| a.len() > 300 || a.chars().any(char::is_control))
        {
            return Err(ConfigError::new(
                "QSGW_GATEWAY_ADDRESS",
                "must be at most 300 characters without control characters",
            ));
        }
        // Last, so an error above is reported as before. Standalone mode
        // (QSGW_CONFIG_FILE) never dials etcd: no guard on its transport.
        let guard = shared::guard::Guard::new(if s.environment == "production" {
            shared::guard::Environment::Production
        } else {
            shared::guard::Environment::Development
        });
        if s.config_file.is_none() {
            shared::etcd::refuse_plaintext(&etcd_endpoints, &guard, s.allow_insecure_etcd)?;
        }
        let etcd = s.etcd.settings(etcd_endpoints, &guard)?;
        let crawler_dns = crate::crawlers::VerifierSettings {
            dns_servers: s
                .bot_dns_servers
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(|v| {
                    v.parse::<std::net::SocketAddr>().map_err(|_| {
                        ConfigError::new(
                            "QSGW_BOT_DNS_SERVERS",
                            format!("{v:?} is not an ip:port address (e.g. 127.0.0.53:53)"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?,
            dns_timeout: Duration::from_millis(s.bot_dns_timeout_ms),
        };
        Ok(Self {
            trusted_proxies,
            proxy_protocol,
            allowed_private_targets,
            pass_forwarded_headers: s.pass_forwarded_headers,
            max_connections_per_ip: s.max_connections_per_ip,
            max_connection_age: Duration::from_secs(s.max_connection_age_secs),
            close_timeout: Duration::from_secs(s.close_timeout_secs),
            h2: H2Limits {
                max_concurrent_streams: s.h2_max_concurrent_streams,
                stream_window: s.h2_stream_window_bytes,
                connection_window: s.h2_connection_window_bytes,
                max_pending_resets: s.h2_max_pending_resets as usize,
            },
            gateway_name,
            gateway_address,
            hostname,
            heartbeat_interval: Duration::from_secs(s.heartbeat_interval_secs),
            ai_timeout: Duration::from_millis(s.ai_timeout_ms),
            ai_verdict_ttl: Duration::from_secs(s.ai_verdict_ttl_secs),
            ai_queue_size: s.ai_queue_size as usize,
            ai_cache_clients: u64::from(s.ai_cache_clients),
            report_buffer_size: s.report_buffer_size as usize,
            record_client_prefix: s.record_client_ip == "prefix",
            crawler_dns,
            idle_timeout: Duration::from_secs(s.idle_timeout_secs),
            header_timeout: Duration::from_secs(s.header_timeout_secs),
            tls_session_cache: s.tls_session_cache as usize,
            max_header_count: s.max_header_count as usize,
            max_header_bytes: s.max_header_bytes as usize,
            production: s.environment == "production",
            host_policies,
            config_file: s.config_file,
            config_cache_path: Some(PathBuf::from(s.config_cache_path))
                .filter(|p| !p.as_os_str().is_empty()),
            host: s.host,
            port: s.port,
            admin_host: s.admin_host,
            admin_port: s.admin_port,
            tls_cert_path: s.tls_cert_path,
            tls_key_path: s.tls_key_path,
            tls_client_auth,
            tls_client_ca_path: s.tls_client_ca_path,
            tls_extra_certs: shared::config::parse_list(&s.tls_extra_certs)
                .iter()
                .map(|pair| cert_key_pair("QSGW_TLS_EXTRA_CERTS", pair))
                .collect::<Result<_, _>>()?,
            tls_sni_certs,
            tls_policy: s.tls_policy,
            control_plane_url: s.control_plane_url,
            ai_engine_url: s.ai_engine_url,
            api_key,
            etcd,
            max_connections: s.max_connections,
            worker_threads: s.worker_threads.map(usize::from),
            blocking_threads: usize::from(s.blocking_threads),
            upstream_pool_size: s.upstream_pool_size,
            upstream_timeout: Duration::from_secs(s.upstream_timeout_secs),
            rate_limit_rps: s.rate_limit_rps,
            rate_limit_burst: s.rate_limit_burst,
            log_level: s.log_level,
            shutdown_grace: Duration::from_secs(s.shutdown_grace_secs),
        })
    }
}

/// This machine's host name (`HOSTNAME`, else the kernel's, else `gateway`).
fn hostname() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "gateway".to_owned())
}

/// The `host=value` items of a per-host setting (`var`), each host parsed
/// as a name or `*.domain`; `what` names the value in the error.
fn host_items(
    var: &'static str,
    what: &str,
    raw: &str,
) -> Result<Vec<(shared::edge::HostPattern, String)>, ConfigError> {
    shared::config::parse_list(raw)
        .into_iter()
        .map(|item| {
            let (host, value) = item
                .split_once('=')
                .ok_or_else(|| ConfigError::new(var, format!("'{item}' is not host={what}")))?;
            let host = shared::edge::HostPattern::parse(host)
                .map_err(|e| ConfigError::new(var, format!("'{host}': {e}")))?;
            Ok((host, value.trim().to_owned()))
        })
        .collect()
}

/// A `cert.pem:key.pem` pair of `var`.
fn cert_key_pair(var: &'static str, pair: &str) -> Result<(PathBuf, PathBuf), ConfigError> {
    pair.split_once(':')
        .map(|(c, k)| (c.trim(), k.trim()))
        .filter(|(c, k)| !c.is_empty() && !k.is_empty())
        .map(|(c, k)| (PathBuf::from(c), PathBuf::from(k)))
        .ok_or_else(|| ConfigError::new(var, format!("'{pair}' is not cert.pem:key.pem")))
}
