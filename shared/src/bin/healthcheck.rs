//! `healthcheck <url>`: the container health probe.
//!
//! The runtime images carry no shell, curl or wget, so Docker's
//! `HEALTHCHECK` and compose's `healthcheck:` run this binary instead:
//! one `GET` with a 3 s timeout, exit 0 on a 2xx answer, 1 on anything else
//! (non-2xx, connection refused, timeout), 2 on a usage error. It prints one
//! line on failure so `docker inspect` shows why the probe failed.

use std::process::ExitCode;
use std::time::Duration;

/// Total time budget for connecting and reading the answer.
const TIMEOUT: Duration = Duration::from_secs(3);

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(url), None) = (args.next(), args.next()) else {
        eprintln!("usage: healthcheck <url>");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("healthcheck: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(probe(&url)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("healthcheck: {url}: {reason}");
            ExitCode::from(1)
        }
    }
}

/// One GET; `Err` names why the target is not healthy.
async fn probe(url: &str) -> Result<(), String> {
    // reqwest is built without a bundled rustls provider (the workspace
    // picks aws-lc-rs explicitly), so install it before building a client.
    shared::server::install_crypto_provider();
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .user_agent("quantun-healthcheck")
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("status {status}"))
    }
}
