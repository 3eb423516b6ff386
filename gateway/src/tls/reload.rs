//! The listener's TLS configs and their reload: one profile per distinct
//! (chains, client-certificate demand) among the listener's default and its
//! per-host overrides (`QSGW_TLS_SNI_CERTS`, `QSGW_TLS_SNI_CLIENT_AUTH`),
//! each with a rustls config per policy, picked by SNI at each handshake;
//! rebuilt from the files when one changes or on SIGHUP.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use arc_swap::ArcSwap;
use rustls::ServerConfig;
use shared::edge::HostPattern;
use shared::qsgw::TlsPolicy;
use tokio_util::sync::CancellationToken;

use crate::policy::HostMap;
use crate::tls::{self, CertKey, ClientAuth, ClientVerifiers};

/// The listener's TLS configs: one profile per distinct (chains, client
/// certificate demand) among the listener's default and its per-host
/// overrides, each with a config per policy; rebuilt when a
/// certificate changes.
#[derive(Debug)]
pub struct TlsConfigs {
    /// `profiles[0]` is the listener's own (no SNI, or a host without an
    /// override).
    profiles: Vec<Profile>,
    /// Index into `profiles` by SNI.
    by_host: HostMap<usize>,
}

/// The configs of one set of chains and one client-certificate mode.
#[derive(Debug)]
pub struct Profile {
    by_policy: HashMap<TlsPolicy, Arc<ServerConfig>>,
    /// The chains served (the handshake's pick is recorded with every
    /// session, all of them reported to the control plane).
    chains: Arc<tls::ChainSet>,
    client_auth: ClientAuth,
}

impl TlsConfigs {
    /// Builds the profiles from the listener's chains (`cert` and `extra`),
    /// the per-host chains (`sni`) and client-certificate modes
    /// (`client_auth`), all resuming sessions from `sessions`.
    pub fn build(
        cert: &CertKey,
        extra: &[CertKey],
        sni: &[(HostPattern, CertKey)],
        client_auth: &HostMap<ClientAuth>,
        verifiers: &ClientVerifiers,
        sessions: &tls::SessionCache,
    ) -> anyhow::Result<Self> {
        let mut chains = HostMap::new(Arc::new(tls::ChainSet::new(cert, extra)?));
        let mut grouped: Vec<(&HostPattern, Vec<CertKey>)> = Vec::new();
        for (host, ck) in sni {
            match grouped.iter_mut().find(|(h, _)| *h == host) {
                Some((_, v)) => v.push(ck.clone()),
                None => grouped.push((host, vec![ck.clone()])),
            }
        }
        for (host, cks) in grouped {
            let set = tls::ChainSet::new(&cks[0], &cks[1..])
                .with_context(|| format!("QSGW_TLS_SNI_CERTS for {}", host.as_string()))?;
            chains.insert(host, Arc::new(set));
        }
        let mut profiles: Vec<Profile> = Vec::new();
        let mut profile_of = |set: &Arc<tls::ChainSet>, mode: ClientAuth| {
            if let Some(i) = profiles
                .iter()
                .position(|p| Arc::ptr_eq(&p.chains, set) && p.client_auth == mode)
            {
                return Ok::<_, anyhow::Error>(i);
            }
            let mut by_policy = HashMap::new();
            for p in [
                TlsPolicy::Cnsa2,
                TlsPolicy::PqcOnly,
                TlsPolicy::PqcPreferred,
                TlsPolicy::ClassicalAllowed,
            ] {
                by_policy.insert(
                    p,
                    tls::server_config(p, set, verifiers.get(mode), sessions)?,
                );
            }
            profiles.push(Profile {
                by_policy,
                chains: set.clone(),
                client_auth: mode,
            });
            Ok(profiles.len() - 1)
        };
        let mut by_host = HostMap::new(profile_of(
            chains.default_value(),
            *client_auth.default_value(),
        )?);
        let hosts: std::collections::HashSet<HostPattern> =
            chains.patterns().chain(client_auth.patterns()).collect();
        for host in hosts {
            let i = profile_of(chains.of_pattern(&host), *client_auth.of_pattern(&host))?;
            by_host.insert(&host, i);
        }
        Ok(Self { profiles, by_host })
    }

    /// The certificates served (every chain once), as reported with
    /// each heartbeat.
    pub fn cert_infos(&self) -> Vec<Arc<tls::CertInfo>> {
        let mut seen: Vec<&Arc<tls::ChainSet>> = Vec::new();
        let mut out = Vec::new();
        for p in &self.profiles {
            if !seen.iter().any(|s| Arc::ptr_eq(s, &p.chains)) {
                seen.push(&p.chains);
                out.extend(p.chains.infos());
            }
        }
        out
    }

    /// The profile a handshake naming `sni` gets.
    pub fn profile(&self, sni: Option<&str>) -> &Profile {
        &self.profiles[*self.by_host.of(sni)]
    }
}

impl Profile {
    /// The rustls config for `policy`.
    pub fn config(&self, policy: TlsPolicy) -> Option<Arc<ServerConfig>> {
        self.by_policy.get(&policy).cloned()
    }

    /// The chains this profile serves.
    pub fn chains(&self) -> &tls::ChainSet {
        &self.chains
    }
}

/// What the listener's TLS configs are built from, at start and again on
/// a reload.
#[derive(Debug, Clone)]
pub struct CertFiles {
    /// `QSGW_TLS_CERT_PATH`.
    pub cert: PathBuf,
    /// `QSGW_TLS_KEY_PATH`.
    pub key: PathBuf,
    /// `QSGW_TLS_EXTRA_CERTS`.
    pub extra: Vec<(PathBuf, PathBuf)>,
    /// `QSGW_TLS_SNI_CERTS`.
    pub sni: Vec<(HostPattern, PathBuf, PathBuf)>,
    /// `QSGW_TLS_CLIENT_AUTH` and `QSGW_TLS_SNI_CLIENT_AUTH`.
    pub client_auth: HostMap<ClientAuth>,
    /// Built once from `QSGW_TLS_CLIENT_CA_PATH`, kept across reloads.
    pub verifiers: ClientVerifiers,
}

impl CertFiles {
    /// Reads every certificate and key and builds the configs; an error
    /// names the variable of the file that failed.
    pub fn load(&self, sessions: &tls::SessionCache) -> anyhow::Result<TlsConfigs> {
        let cert = tls::load_cert_key(&self.cert, &self.key)?;
        let extra = self
            .extra
            .iter()
            .map(|(c, k)| tls::load_cert_key(c, k).context("QSGW_TLS_EXTRA_CERTS"))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let sni = self
            .sni
            .iter()
            .map(|(h, c, k)| {
                Ok((
                    h.clone(),
                    tls::load_cert_key(c, k).context("QSGW_TLS_SNI_CERTS")?,
                ))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        TlsConfigs::build(
            &cert,
            &extra,
            &sni,
            &self.client_auth,
            &self.verifiers,
            sessions,
        )
    }

    /// Modification times of every file, to notice a change.
    fn stamps(&self) -> Vec<Option<SystemTime>> {
        let stamp = |p: &PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        [&self.cert, &self.key]
            .into_iter()
            .chain(self.extra.iter().flat_map(|(c, k)| [c, k]))
            .chain(self.sni.iter().flat_map(|(_, c, k)| [c, k]))
            .map(stamp)
            .collect()
    }
}

/// Reloads the certificates when any file changes (checked every
/// `every`) or on SIGHUP; new handshakes use the new certificate, open
/// connections keep theirs.
pub fn spawn_cert_reloader(
    files: CertFiles,
    configs: Arc<ArcSwap<TlsConfigs>>,
    sessions: tls::SessionCache,
    every: Duration,
    cancel: CancellationToken,
) {
    tokio::spawn(async move {
        let mut last = files.stamps();
        #[cfg(unix)]
        let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
        loop {
            #[cfg(unix)]
            let hup_fut = async {
                match hup.as_mut() {
                    Some(h) => {
                        h.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            #[cfg(not(unix))]
            let hup_fut = std::future::pending::<()>();
            let forced = tokio::select! {
                () = cancel.cancelled() => return,
                () = tokio::time::sleep(every) => false,
                () = hup_fut => true,
            };
            let now = files.stamps();
            if !forced && now == last {
                continue;
            }
            last = now;
            match files.load(&sessions) {
                Ok(c) => {
                    configs.store(Arc::new(c));
                    tracing::info!(cert = %files.cert.display(), "TLS certificate reloaded");
                }
                Err(e) => tracing::error!(
                    error = format!("{e:#}"),
                    "TLS certificate reload failed, keeping the previous one"
                ),
            }
        }
    });
}
