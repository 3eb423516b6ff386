//! Pulling the runtime CBOM of a QSGW control plane (`GET
//! {url}/api/v1/cbom`, issue 24 item 5): what the gateway fleet actually
//! negotiated, imported exactly as an uploaded CBOM is
//! ([`crate::routes::assessments`] has the one import path).
//!
//! The URL comes from a caller, so the fetch is guarded like every other
//! outgoing URL an outsider chooses (`shared::netguard`): only globally
//! reachable addresses, checked on the literal before connecting and on
//! every address a name resolves to at connect time (DNS rebinding), unless
//! `QRAP_QSGW_ALLOWED_TARGETS` covers the address; `https://` only, except
//! `http://` to a loopback host with the development setting
//! `QRAP_QSGW_ALLOW_HTTP_LOOPBACK`; no redirect followed; the answer read
//! up to the CBOM upload limit (`QRAP_CBOM_MAX_BODY_SIZE`) and within
//! `QRAP_QSGW_TIMEOUT_SECS`. The API key goes into the `X-API-Key` header
//! and nowhere else: not into logs, errors, the stored assessment, its
//! audit entry or its job row.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer};
use shared::config::Secret;
use shared::edge::IpNet;
use shared::error::Problem;
use shared::netguard::{classify, is_localhost, normalise_host, AddressPolicy, InternalAddress};
use utoipa::ToSchema;

/// `source_format` of an assessment imported from a control plane.
pub const SOURCE_FORMAT: &str = "qsgw-runtime-cbom";

/// The field a refused URL is reported under.
pub const URL_FIELD: &str = "source.qsgw.url";

/// How QRAP reaches control planes (`QRAP_QSGW_*`).
#[derive(Debug, Clone)]
pub struct QsgwSettings {
    /// `QRAP_QSGW_ALLOWED_TARGETS`: addresses allowed although not globally
    /// reachable (a control plane on a private network, loopback in `make run`).
    pub allowed: Vec<IpNet>,
    /// `QRAP_QSGW_ALLOW_HTTP_LOOPBACK`: plaintext `http://` to a loopback
    /// host (development only; refused in production).
    pub allow_http_loopback: bool,
    /// Whole-request timeout (`QRAP_QSGW_TIMEOUT_SECS`).
    pub timeout: Duration,
    /// Largest answer read (`QRAP_CBOM_MAX_BODY_SIZE`, as uploads).
    pub max_bytes: usize,
}

/// `source` of `POST /api/v1/assessments`: where the assets come from when
/// no `inventory` is given.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssessmentSource {
    /// A QSGW control plane: its runtime CBOM of the window.
    pub qsgw: Option<QsgwSource>,
}

/// A QSGW control plane to import the runtime CBOM of.
#[derive(Debug, Deserialize, ToSchema)]
pub struct QsgwSource {
    /// Base URL of the control plane API, e.g. `https://cp.example:8082`
    /// (https; a path prefix is kept, no query, fragment or credentials).
    #[schema(example = "https://qsgw-cp.example:8085")]
    pub url: String,
    /// A read-only control-plane key (`QSGW_VIEWER_API_KEYS`), sent as
    /// `X-API-Key`; never stored, logged or echoed.
    #[serde(deserialize_with = "secret")]
    #[schema(value_type = String, format = Password)]
    pub api_key: Secret,
    /// 24h, 7d (default), 30d or 90d before now.
    #[serde(default)]
    pub window: Option<String>,
}

/// The key as a [`Secret`]; anything but a string is refused with a fixed
/// message (serde's own would quote a numeric key back).
fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(Secret::new(s)),
        _ => Err(serde::de::Error::custom("must be a string")),
    }
}

/// The windows a control plane is asked for.
pub const WINDOWS: &[(&str, i64)] = &[("24h", 1), ("7d", 7), ("30d", 30), ("90d", 90)];

/// `(from, to)` of a window name ending now; `None` for an unknown name.
pub fn window(name: &str, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    WINDOWS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, days)| (now - chrono::Duration::days(*days), now))
}

fn refused(message: impl Into<String>) -> Problem {
    Problem::invalid_field(URL_FIELD, message)
}

fn bad_gateway(detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::BAD_GATEWAY, "bad-gateway", detail)
}

impl QsgwSettings {
    fn allows(&self, ip: IpAddr) -> bool {
        self.allowed.iter().any(|n| n.contains(&ip))
    }

    /// Whether `ip` may be connected to: globally reachable, or allowed.
    fn check_ip(&self, ip: IpAddr) -> Result<(), InternalAddress> {
        if self.allows(ip) {
            Ok(())
        } else {
            AddressPolicy::GlobalOnly.check(ip)
        }
    }

    /// The base URL of a control plane, checked before anything is sent:
    /// scheme, shape, and the host's address when it is a literal or
    /// `localhost` (names are checked as they resolve: [`Self::resolve`]
    /// and the client's resolver). 422 naming `source.qsgw.url`.
    pub fn check_url(&self, raw: &str) -> Result<reqwest::Url, Problem> {
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > 2048 {
            return Err(refused(
                "must be an https:// URL of at most 2048 characters",
            ));
        }
        let url = reqwest::Url::parse(raw)
            .map_err(|_| refused("is not a URL (e.g. https://qsgw-cp.example:8085)"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refused(
                "must not carry credentials; give the key in source.qsgw.api_key",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(refused("must not have a query or fragment"));
        }
        let Some(host) = url.host_str().map(normalise_host) else {
            return Err(refused("has no host"));
        };
        let ip = match host.parse::<IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) if is_localhost(&host) => Some(IpAddr::from([127, 0, 0, 1])),
            Err(_) => None,
        };
        let loopback = ip.is_some_and(|ip| classify(ip) == Some(InternalAddress::Loopback));
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http_loopback && loopback => {}
            "http" => {
                return Err(refused(
                    "must be https:// (plain http only to a loopback host with QRAP_QSGW_ALLOW_HTTP_LOOPBACK, for development)",
                ))
            }
            _ => return Err(refused("must be an https:// URL")),
        }
        if let Some(ip) = ip {
            self.check_ip(ip).map_err(|class| {
                refused(format!(
                    "names {}, refused (allow it with QRAP_QSGW_ALLOWED_TARGETS)",
                    class.describe()
                ))
            })?;
        }
        Ok(url)
    }

    /// Resolves the URL's host now and refuses it when an address it
    /// resolves to is not allowed (422 with the reason): a clear answer
    /// for the caller; the client's resolver checks again at connect time.
    pub async fn resolve(&self, url: &reqwest::Url) -> Result<(), Problem> {
        let Some(host) = url.host_str().map(normalise_host) else {
            return Err(refused("has no host"));
        };
        if host.parse::<IpAddr>().is_ok() || is_localhost(&host) {
            return Ok(());
        }
        let port = url.port_or_known_default().unwrap_or(443);
        let addrs: Vec<SocketAddr> = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::lookup_host((host.as_str(), port)),
        )
        .await
        .map_err(|_| bad_gateway(format!("resolving {host} took longer than 5 s")))?
        .map_err(|_| refused(format!("{host} does not resolve")))?
        .collect();
        for a in &addrs {
            self.check_ip(a.ip()).map_err(|class| {
                refused(format!(
                    "{host} resolves to {}, refused (allow it with QRAP_QSGW_ALLOWED_TARGETS)",
                    class.describe()
                ))
            })?;
        }
        Ok(())
    }

    /// The client: no redirects, bounded connect and total time, and a
    /// resolver that drops every address `check_ip` refuses.
    pub fn client(&self) -> Result<reqwest::Client, Problem> {
        shared::server::install_crypto_provider();
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5).min(self.timeout))
            .timeout(self.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("quantun-risk-api/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(Resolver {
                settings: Arc::new(self.clone()),
            }))
            .build()
            .map_err(Problem::internal)
    }

    /// `GET {base}/api/v1/cbom?from=&to=` with the key: the answer's bytes
    /// (at most `max_bytes`), or a 502 saying what the control plane did.
    pub async fn fetch(
        &self,
        base: &reqwest::Url,
        api_key: &Secret,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<u8>, Problem> {
        let mut url = base.clone();
        let path = format!("{}/api/v1/cbom", base.path().trim_end_matches('/'));
        url.set_path(&path);
        // Microseconds, as stored: whole seconds would cut off the
        // sessions of the current second.
        let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        url.query_pairs_mut()
            .append_pair("from", &stamp(from))
            .append_pair("to", &stamp(to));
        let origin = base.origin().ascii_serialization();
        let key = reqwest::header::HeaderValue::from_str(api_key.expose())
            .map_err(|_| Problem::invalid_field("source.qsgw.api_key", "must be printable ASCII"))
            .map(|mut v| {
                v.set_sensitive(true);
                v
            })?;
        let r = self
            .client()?
            .get(url)
            .header("x-api-key", key)
            .header(reqwest::header::ACCEPT, "application/vnd.cyclonedx+json")
            .send()
            .await
            .map_err(|e| {
                // reqwest's own message names the URL (no key in it) and
                // the cause; said in our words, without the chain.
                let why = if e.is_timeout() {
                    format!("no answer within {} s", self.timeout.as_secs())
                } else if e.is_connect() {
                    "connection failed (refused, unreachable, TLS, or an address QRAP_QSGW_ALLOWED_TARGETS does not allow)".to_owned()
                } else {
                    "the request failed".to_owned()
                };
                tracing::warn!(control_plane = %origin, reason = %why, "QSGW import failed");
                bad_gateway(format!("the QSGW control plane at {origin} cannot be reached: {why}"))
            })?;
        let status = r.status();
        if status.is_redirection() {
            return Err(bad_gateway(format!(
                "the QSGW control plane at {origin} answered {status} (a redirect, not followed): give the API's own URL"
            )));
        }
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(bad_gateway(format!(
                "the QSGW control plane at {origin} answered {status} to GET /api/v1/cbom: the API key is wrong or lacks the viewer role (give a QSGW_VIEWER_API_KEYS key)"
            )));
        }
        if !status.is_success() {
            return Err(bad_gateway(format!(
                "the QSGW control plane at {origin} answered {status} to GET /api/v1/cbom"
            )));
        }
        if r.content_length()
            .is_some_and(|n| n > self.max_bytes as u64)
        {
            return Err(too_big(&origin, self.max_bytes));
        }
        let mut body = Vec::new();
        let mut r = r;
        loop {
            let chunk = r.chunk().await.map_err(|e| {
                bad_gateway(format!(
                    "the QSGW control plane at {origin} broke off its answer{}",
                    if e.is_timeout() { " (timeout)" } else { "" }
                ))
            })?;
            let Some(chunk) = chunk else { break };
            if body.len() + chunk.len() > self.max_bytes {
                return Err(too_big(&origin, self.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn too_big(origin: &str, max: usize) -> Problem {
    bad_gateway(format!(
        "the QSGW control plane at {origin} answered more than {max} bytes (QRAP_CBOM_MAX_BODY_SIZE)"
    ))
}

/// Maps an import error of the fetched document (schema, shape, no
/// assets) to a 502: the control plane's answer is at fault, not the
/// caller's request.
pub fn unusable(origin: &str, p: &Problem) -> Problem {
    let mut detail = format!(
        "the QSGW control plane at {origin} answered a document QRAP cannot import as a CycloneDX CBOM: {}",
        p.detail
    );
    for e in p.errors.iter().take(5) {
        let item = format!("{}: {}", e.field, e.message);
        if !detail.contains(&item) {
            detail.push_str("; ");
            detail.push_str(&item);
        }
    }
    bad_gateway(detail)
}

/// The reqwest resolver of [`QsgwSettings::client`].
#[derive(Debug)]
struct Resolver {
    settings: Arc<QsgwSettings>,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let settings = self.settings.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| settings.check_ip(a.ip()).is_ok())
                .collect();
            if addrs.is_empty() {
                return Err(format!(
                    "{host} resolves only to addresses QRAP_QSGW_ALLOWED_TARGETS does not allow"
                )
                .into());
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// `risk-api import-qsgw`: the same pull and import as `POST
/// /api/v1/assessments` with `source.qsgw`, written straight to the
/// database of `settings` (QRAP_DB_*; migrated first, as a new replica
/// would) with the audit actor `cli:import-qsgw`; the running risk API's
/// workers pick the pending assessment up within `QRAP_WORKER_POLL_MS`.
/// The key is read from `QRAP_QSGW_API_KEY` or `--api-key-file` (never a
/// flag value: argv is visible to every user of the host). Prints the
/// assessment id; problems go to stderr (exit 1; 2 for a bad setting).
pub fn import_command(
    settings: &crate::config::Settings,
    args: &crate::config::ImportQsgwArgs,
) -> std::process::ExitCode {
    use std::process::ExitCode;
    let database =
        crate::config::database_options(settings).unwrap_or_else(|e| shared::config::exit_with(&e));
    let qsgw =
        crate::config::qsgw_settings(settings).unwrap_or_else(|e| shared::config::exit_with(&e));
    let key = match &args.api_key_file {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(k) => k.trim().to_owned(),
            Err(e) => shared::config::exit_with(&shared::config::ConfigError::new(
                "--api-key-file",
                format!("cannot read {}: {e}", path.display()),
            )),
        },
        None => std::env::var("QRAP_QSGW_API_KEY").unwrap_or_default(),
    };
    if key.is_empty() {
        shared::config::exit_with(&shared::config::ConfigError::missing("QRAP_QSGW_API_KEY"));
    }
    if shared::ids::OrgId::parse(&args.org).is_err() {
        shared::config::exit_with(&shared::config::ConfigError::new(
            "--org",
            "must be an organization id (org_ + 32 hex)",
        ));
    }
    shared::telemetry::init("risk-api", settings.log_level);
    shared::server::install_crypto_provider();
    let rt = match shared::server::runtime(Some(1), None) {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let source = QsgwSource {
        url: args.url.clone(),
        api_key: Secret::new(key),
        window: Some(args.window.clone()),
    };
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("QSGW live traffic ({})", args.window));
    let org = args.org.clone();
    let result: Result<String, Problem> = rt.block_on(async move {
        use crate::routes::assessments::{store, QsgwPull};
        let pull = QsgwPull::check(&qsgw, source)?;
        let pool = shared::db::pool(
            database,
            &shared::db::PoolSettings {
                max_conns: 1,
                min_conns: 0,
                ..shared::db::PoolSettings::default()
            },
        );
        shared::db::wait_until_reachable(&pool, Duration::from_secs(30))
            .await
            .map_err(|e| Problem::unavailable(format!("database not reachable: {e}")))?;
        shared::db::migrate(&pool, &crate::MIGRATOR)
            .await
            .map_err(|e| Problem::unavailable(format!("migrating the database failed: {e}")))?;
        if !crate::repo::organizations::exists(&pool, &org)
            .await
            .map_err(Problem::from)?
        {
            return Err(Problem::invalid_field("--org", "no such organization"));
        }
        let new = pull
            .pull(
                &qsgw,
                name,
                None,
                crate::domain::inputs::Defaults::default(),
            )
            .await?;
        let actor = crate::repo::Actor {
            subject: "cli:import-qsgw".to_owned(),
            role: None,
            request_id: None,
        };
        store(&pool, &actor, &org, new)
            .await
            .map(|a| a.id)
            .map_err(Problem::from)
    });
    match result {
        Ok(id) => {
            println!("{id}");
            ExitCode::SUCCESS
        }
        Err(p) => {
            eprintln!("error: {} ({})", p.detail, p.status);
            for e in &p.errors {
                let field = e
                    .field
                    .strip_prefix("source.qsgw.")
                    .map_or(e.field.as_str(), |f| f);
                eprintln!("  {field}: {}", e.message);
            }
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn settings(allowed: &str, http: bool) -> QsgwSettings {
        QsgwSettings {
            allowed: shared::edge::parse_cidrs(allowed).unwrap(),
            allow_http_loopback: http,
            timeout: Duration::from_secs(5),
            max_bytes: 1024,
        }
    }

    fn field(p: &Problem) -> &str {
        p.errors.first().map_or("", |e| e.field.as_str())
    }

    /// Cloud metadata (169.254.169.254, RFC 3927 link-local), loopback in
    /// the WHATWG URL parser's spellings, RFC 1918 and IPv4-mapped IPv6 are
    /// refused without the allow list; https is required.
    #[test]
    fn internal_and_plaintext_urls_are_refused() {
        let s = settings("", false);
        for url in [
            "https://169.254.169.254/",
            "https://127.0.0.1:8085",
            "https://2130706433/",
            "https://0x7f.0.0.1/",
            "https://localhost:8085",
            "https://10.0.0.5",
            "https://[::ffff:169.254.169.254]/",
            "https://[::1]:8085",
            "http://cp.example.com",
            "ftp://cp.example.com",
            "https://user:pw@cp.example.com",
            "https://cp.example.com/?a=1",
            "not a url",
        ] {
            let p = s.check_url(url).unwrap_err();
            assert_eq!((p.status, field(&p)), (422, URL_FIELD), "{url}");
        }
        assert!(s.check_url("https://cp.example.com:8085/qsgw").is_ok());
        assert!(s.check_url("https://93.184.215.14").is_ok());
    }

    #[test]
    fn the_allow_list_and_the_dev_setting_open_loopback_only() {
        let s = settings("127.0.0.0/8", true);
        assert!(s.check_url("http://127.0.0.1:8085").is_ok());
        assert!(s.check_url("http://localhost:8085").is_ok());
        // http stays refused off loopback, and the allow list is per address.
        assert_eq!(
            field(&s.check_url("http://cp.example.com").unwrap_err()),
            URL_FIELD
        );
        assert_eq!(
            field(&s.check_url("https://169.254.169.254").unwrap_err()),
            URL_FIELD
        );
        // Without the allow list, the dev setting alone does not open loopback.
        let s = settings("", true);
        assert_eq!(
            field(&s.check_url("http://127.0.0.1:8085").unwrap_err()),
            URL_FIELD
        );
    }

    /// A key of the wrong type is refused without quoting it back.
    #[test]
    fn a_non_string_key_is_not_echoed() {
        let body = br#"{"url": "https://cp.example.com", "api_key": 123456789012345678}"#;
        let p = shared::json::parse_json::<QsgwSource>(body).unwrap_err();
        assert_eq!(p.status, 422);
        assert!(!format!("{p:?}").contains("123456789012345678"), "{p:?}");
    }

    #[test]
    fn windows_end_now() {
        let now = DateTime::parse_from_rfc3339("2026-03-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let (from, to) = window("7d", now).unwrap();
        assert_eq!(from.to_rfc3339(), "2026-03-03T12:00:00+00:00");
        assert_eq!(to, now);
        assert_eq!(
            window("24h", now).unwrap().0.to_rfc3339(),
            "2026-03-09T12:00:00+00:00"
        );
        assert!(window("1y", now).is_none());
    }
}
