//! etcd plumbing: connect with retry, read a prefix, and a prefix watch that
//! survives disconnects.
//!
//! [`watch_prefix`] runs in a background task and delivers [`WatchEvent`]s on
//! a channel. After a disconnect it reconnects with backoff and resumes from
//! the revision after the last one it delivered, so no change is lost; if
//! that revision has been compacted away it re-lists the prefix and sends a
//! [`WatchEvent::Resync`] with the full state instead.

use std::time::Duration;

pub use etcd_client;
use etcd_client::{Client, ConnectOptions, EventType, GetOptions, WatchOptions};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// How a service reaches etcd: endpoints, timeouts, TLS and credentials
/// (built by [`EtcdSettings::new`], then filled from the `QSGW_ETCD_*` settings).
#[derive(Debug, Clone)]
pub struct EtcdSettings {
    /// `http://host:port` endpoints.
    pub endpoints: Vec<String>,
    /// Longest wait for one dial to an endpoint (2 s from [`EtcdSettings::new`]).
    pub connect_timeout: Duration,
    /// Deadline of each etcd call, e.g. a get or a transaction (5 s from
    /// [`EtcdSettings::new`]).
    pub request_timeout: Duration,
    /// TLS for `https://` endpoints: CA and optional client certificate.
    pub tls: Option<EtcdTls>,
    /// etcd user name and password (with client certificates the
    /// certificate's CN is the user and this stays `None`).
    pub credentials: Option<(String, crate::config::Secret)>,
}

/// TLS material for etcd, read at start-up (`QSGW_ETCD_CA_PATH`,
/// `QSGW_ETCD_CERT_PATH`, `QSGW_ETCD_KEY_PATH`).
#[derive(Clone)]
pub struct EtcdTls {
    /// PEM of the CA that signs etcd's server certificate.
    pub ca_pem: Vec<u8>,
    /// PEM client certificate and key (client-certificate authentication).
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
}

impl std::fmt::Debug for EtcdTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdTls")
            .field("client_certificate", &self.identity.is_some())
            .finish_non_exhaustive()
    }
}

impl EtcdTls {
    /// Reads the files; errors name the variable (`vars` = CA, cert, key).
    pub fn from_files(
        ca: &std::path::Path,
        cert_key: Option<(&std::path::Path, &std::path::Path)>,
        vars: [&str; 3],
    ) -> Result<Self, crate::config::ConfigError> {
        let read = |p: &std::path::Path, var: &str| {
            std::fs::read(p).map_err(|e| {
                crate::config::ConfigError::new(var, format!("cannot read {}: {e}", p.display()))
            })
        };
        let ca_pem = read(ca, vars[0])?;
        let identity = match cert_key {
            Some((c, k)) => Some((read(c, vars[1])?, read(k, vars[2])?)),
            None => None,
        };
        Ok(Self { ca_pem, identity })
    }
}

impl EtcdSettings {
    /// Settings with default timeouts (2 s dial, 5 s request).
    pub fn new(endpoints: Vec<String>) -> Self {
        Self {
            endpoints,
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
            tls: None,
            credentials: None,
        }
    }

    fn options(&self) -> ConnectOptions {
        let mut o = ConnectOptions::new()
            .with_connect_timeout(self.connect_timeout)
            .with_timeout(self.request_timeout)
            .with_keep_alive(Duration::from_secs(5), Duration::from_secs(3))
            .with_keep_alive_while_idle(true);
        if let Some(tls) = &self.tls {
            use etcd_client::{Certificate, Identity, TlsOptions};
            let mut t = TlsOptions::new().ca_certificate(Certificate::from_pem(&tls.ca_pem));
            if let Some((cert, key)) = &tls.identity {
                t = t.identity(Identity::from_pem(cert, key));
            }
            o = o.with_tls(t);
        }
        if let Some((user, password)) = &self.credentials {
            o = o.with_user(user.clone(), password.expose().to_owned());
        }
        o
    }
}

/// One key and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kv {
    /// Full key, e.g. `/qsgw/v1/routes/rt_…` (read as UTF-8, lossily).
    pub key: String,
    /// Raw value.
    pub value: Vec<u8>,
    /// Revision of its last modification.
    pub mod_revision: i64,
}

/// Every key under a prefix at one revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// Every key under the prefix with its value, as of `revision`.
    pub kvs: Vec<Kv>,
    /// The store revision the snapshot was read at.
    pub revision: i64,
}

/// A change seen by [`watch_prefix`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// A key was created or updated.
    Put(Kv),
    /// A key was deleted.
    Delete {
        /// Full key that was removed (same form as [`Kv::key`]); readers drop
        /// what they held for it.
        key: String,
        /// Revision of the deletion.
        mod_revision: i64,
    },
    /// History was compacted past our position: here is the full state;
    /// replace everything known under the prefix.
    Resync(Snapshot),
}

/// Dials once.
pub async fn connect(settings: &EtcdSettings) -> Result<Client, etcd_client::Error> {
    Client::connect(&settings.endpoints, Some(settings.options())).await
}

/// Dials until it succeeds or `cancel` fires (then `None`), backing off from
/// 100 ms to 5 s.
pub async fn connect_with_retry(
    settings: &EtcdSettings,
    cancel: &CancellationToken,
) -> Option<Client> {
    let mut delay = Duration::from_millis(100);
    loop {
        match connect(settings).await {
            Ok(c) => return Some(c),
            Err(e) => {
                tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "etcd not reachable");
            }
        }
        tokio::select! {
            () = cancel.cancelled() => return None,
            () = tokio::time::sleep(delay) => {}
        }
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

/// Reads every key under `prefix`.
pub async fn get_prefix(client: &mut Client, prefix: &str) -> Result<Snapshot, etcd_client::Error> {
    let resp = client
        .get(prefix, Some(GetOptions::new().with_prefix()))
        .await?;
    let revision = resp.header().map_or(0, |h| h.revision());
    let kvs = resp
        .kvs()
        .iter()
        .map(|kv| Kv {
            key: String::from_utf8_lossy(kv.key()).into_owned(),
            value: kv.value().to_vec(),
            mod_revision: kv.mod_revision(),
        })
        .collect();
    Ok(Snapshot { kvs, revision })
}

/// A readiness probe: the cluster answers a status request.
pub async fn ping(client: &mut Client) -> Result<(), String> {
    client
        .status()
        .await
        .map(|_| ())
        .map_err(|e| format!("etcd unreachable: {e}"))
}

/// Watches `prefix` from `start_revision` (use the snapshot revision + 1)
/// until `cancel` fires. The channel closes when the watcher stops.
pub fn watch_prefix(
    settings: EtcdSettings,
    prefix: String,
    start_revision: i64,
    cancel: CancellationToken,
) -> mpsc::Receiver<WatchEvent> {
    let (tx, rx) = mpsc::channel(1024);
    tokio::spawn(async move {
        let mut next = start_revision.max(1);
        let mut delay = Duration::from_millis(100);
        let mut client: Option<Client> = None;
        while !cancel.is_cancelled() {
            if client.is_none() {
                client = connect_with_retry(&settings, &cancel).await;
            }
            let Some(c) = client.as_mut() else { break };
            match watch_once(c, &prefix, &mut next, &tx, &cancel).await {
                Ok(Flow::Stop) => break,
                Ok(Flow::Rewatch) => {
                    delay = Duration::from_millis(100);
                    continue;
                }
                Err(e) => {
                    tracing::warn!(error = %e, prefix = %prefix, resume_from = next, "etcd watch interrupted, reconnecting");
                    // Drop the client: a fresh dial avoids a half-dead channel.
                    client = None;
                }
            }
            tokio::select! {
                () = cancel.cancelled() => break,
                () = tokio::time::sleep(delay) => {}
            }
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    });
    rx
}

enum Flow {
    Stop,
    Rewatch,
}

async fn watch_once(
    client: &mut Client,
    prefix: &str,
    next: &mut i64,
    tx: &mpsc::Sender<WatchEvent>,
    cancel: &CancellationToken,
) -> Result<Flow, etcd_client::Error> {
    let opts = WatchOptions::new().with_prefix().with_start_revision(*next);
    let (mut watcher, mut stream) = client.watch(prefix, Some(opts)).await?;
    tracing::info!(prefix, from_revision = *next, "etcd watch established");
    loop {
        let msg = tokio::select! {
            () = cancel.cancelled() => {
                let _ = watcher.cancel().await;
                return Ok(Flow::Stop);
            }
            m = stream.message() => m?,
        };
        let Some(resp) = msg else {
            return Err(etcd_client::Error::WatchError(
                "watch stream ended".to_owned(),
            ));
        };
        if resp.compact_revision() > 0 {
            // Our start revision was compacted: re-list and start over.
            let snapshot = get_prefix(client, prefix).await?;
            tracing::warn!(
                prefix,
                compacted = resp.compact_revision(),
                resync_at = snapshot.revision,
                "etcd history compacted, resyncing"
            );
            *next = snapshot.revision + 1;
            if tx.send(WatchEvent::Resync(snapshot)).await.is_err() {
                return Ok(Flow::Stop);
            }
            return Ok(Flow::Rewatch);
        }
        if resp.canceled() {
            return Err(etcd_client::Error::WatchError(format!(
                "watch canceled by server: {}",
                resp.cancel_reason()
            )));
        }
        for ev in resp.events() {
            let Some(kv) = ev.kv() else { continue };
            let key = String::from_utf8_lossy(kv.key()).into_owned();
            let rev = kv.mod_revision();
            let event = match ev.event_type() {
                EventType::Put => WatchEvent::Put(Kv {
                    key,
                    value: kv.value().to_vec(),
                    mod_revision: rev,
                }),
                EventType::Delete => WatchEvent::Delete {
                    key,
                    mod_revision: rev,
                },
            };
            if tx.send(event).await.is_err() {
                return Ok(Flow::Stop);
            }
            *next = (*next).max(rev + 1);
        }
    }
}

/// A client dialled on first use and re-dialled after a failure; used by
/// readiness probes and publishers that must not block start-up on etcd.
pub struct LazyClient {
    settings: EtcdSettings,
    client: tokio::sync::Mutex<Option<Client>>,
}

impl std::fmt::Debug for LazyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyClient")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl LazyClient {
    /// No connection is made until [`LazyClient::get`].
    pub fn new(settings: EtcdSettings) -> Self {
        Self {
            settings,
            client: tokio::sync::Mutex::new(None),
        }
    }

    /// Endpoints, timeouts and credentials every (re)dial of this client uses.
    pub fn settings(&self) -> &EtcdSettings {
        &self.settings
    }

    /// A connected client (cheap clone of the shared channel).
    pub async fn get(&self) -> Result<Client, etcd_client::Error> {
        let mut guard = self.client.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        let c = connect(&self.settings).await?;
        *guard = Some(c.clone());
        Ok(c)
    }

    /// Forgets the connection so the next [`LazyClient::get`] dials again.
    pub async fn reset(&self) {
        *self.client.lock().await = None;
    }

    /// Readiness probe: status request on a (re)dialled client.
    pub async fn ping(&self) -> Result<(), String> {
        let mut c = self
            .get()
            .await
            .map_err(|e| format!("etcd unreachable: {e}"))?;
        let r = ping(&mut c).await;
        if r.is_err() {
            self.reset().await;
        }
        r
    }
}

/// The etcd client settings of every QSGW service that uses etcd (control
/// plane, gateway, AI engine), flattened into each binary's settings so the
/// variables, their help and their validation are the same everywhere.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EtcdClientArgs {
    /// CA certificate (PEM) of the etcd cluster, for https:// endpoints.
    #[arg(long = "etcd-ca-path", env = "QSGW_ETCD_CA_PATH")]
    pub etcd_ca_path: Option<std::path::PathBuf>,
    /// Client certificate (PEM) for etcd client-certificate authentication (its CN is the etcd user).
    #[arg(long = "etcd-cert-path", env = "QSGW_ETCD_CERT_PATH")]
    pub etcd_cert_path: Option<std::path::PathBuf>,
    /// Private key (PEM) of QSGW_ETCD_CERT_PATH.
    #[arg(long = "etcd-key-path", env = "QSGW_ETCD_KEY_PATH")]
    pub etcd_key_path: Option<std::path::PathBuf>,
    /// etcd user name (password authentication; not needed with a client certificate).
    #[arg(long = "etcd-username", env = "QSGW_ETCD_USERNAME")]
    pub etcd_username: Option<String>,
    /// etcd password of QSGW_ETCD_USERNAME.
    #[arg(
        long = "etcd-password",
        env = "QSGW_ETCD_PASSWORD",
        hide_env_values = true
    )]
    pub etcd_password: Option<crate::config::Secret>,
}

impl EtcdClientArgs {
    /// etcd connection settings: TLS (`QSGW_ETCD_CA_PATH`, client
    /// certificate `QSGW_ETCD_CERT_PATH`/`QSGW_ETCD_KEY_PATH`) and password
    /// authentication (`QSGW_ETCD_USERNAME`/`QSGW_ETCD_PASSWORD`). A
    /// certificate without its key (or the reverse), https:// or a client
    /// certificate without a CA, and a user without a password (or the
    /// reverse) are errors naming the missing variable; the files are read
    /// here, so an unreadable one stops start-up too.
    pub fn settings(
        self,
        endpoints: Vec<String>,
        guard: &crate::guard::Guard,
    ) -> Result<EtcdSettings, crate::config::ConfigError> {
        use crate::config::ConfigError;
        let https = endpoints.iter().any(|e| e.starts_with("https://"));
        let mut settings = EtcdSettings::new(endpoints);
        let cert_key = match (
            self.etcd_cert_path.as_deref(),
            self.etcd_key_path.as_deref(),
        ) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            (Some(_), None) => return Err(ConfigError::missing("QSGW_ETCD_KEY_PATH")),
            (None, Some(_)) => return Err(ConfigError::missing("QSGW_ETCD_CERT_PATH")),
        };
        match self.etcd_ca_path.as_deref() {
            Some(ca) => {
                settings.tls = Some(EtcdTls::from_files(
                    ca,
                    cert_key,
                    [
                        "QSGW_ETCD_CA_PATH",
                        "QSGW_ETCD_CERT_PATH",
                        "QSGW_ETCD_KEY_PATH",
                    ],
                )?);
            }
            None if https || cert_key.is_some() => {
                return Err(ConfigError::new(
                    "QSGW_ETCD_CA_PATH",
                    "is required for https:// etcd endpoints and client certificates",
                ))
            }
            None => {}
        }
        match (
            self.etcd_username.filter(|u| !u.is_empty()),
            self.etcd_password,
        ) {
            (Some(u), Some(p)) => {
                guard.secret("QSGW_ETCD_PASSWORD", p.expose())?;
                settings.credentials = Some((u, p));
            }
            (Some(_), None) => return Err(ConfigError::missing("QSGW_ETCD_PASSWORD")),
            (None, Some(_)) => return Err(ConfigError::missing("QSGW_ETCD_USERNAME")),
            (None, None) => {}
        }
        Ok(settings)
    }
}

/// The production guard on etcd's transport: plaintext (`http://`)
/// endpoints are refused in production unless `QSGW_ALLOW_INSECURE_ETCD`
/// is set (one line naming `QSGW_ETCD_ENDPOINTS`).
pub fn refuse_plaintext(
    endpoints: &[String],
    guard: &crate::guard::Guard,
    allow_insecure: bool,
) -> Result<(), crate::config::ConfigError> {
    guard.transport(
        "QSGW_ETCD_ENDPOINTS",
        endpoints.iter().any(|e| e.starts_with("http://")),
        "plaintext etcd (http://)",
        "QSGW_ALLOW_INSECURE_ETCD",
        allow_insecure,
    )
}

/// Parses `QSGW_ETCD_ENDPOINTS`-style lists (comma separated `http://h:p`).
pub fn parse_endpoints(s: &str) -> Result<Vec<String>, String> {
    let list = crate::config::parse_list(s);
    if list.is_empty() {
        return Err("expected at least one endpoint such as http://localhost:2379".to_owned());
    }
    list.iter()
        .map(|e| crate::config::parse_base_url(e))
        .collect()
}
