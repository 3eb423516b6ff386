//! `gateway` binary: settings → application → serve until SIGTERM.

use gateway::config::{Cli, Config};
use gateway::startup::Application;
use shared::server::{run_main, MainOptions};

fn main() -> std::process::ExitCode {
    let cli: Cli = shared::config::load();
    if let Some(gateway::config::Command::GenCert {
        alg,
        names,
        out_dir,
    }) = &cli.command
    {
        return match gateway::tls::generate_chain(*alg, out_dir, names) {
            Ok(c) => {
                println!("root (trust it in the client): {}", c.root.display());
                println!("chain: {}", c.chain.display());
                println!("key:   {}", c.key.display());
                println!(
                    "spki sha256 (Chromium --ignore-certificate-errors-spki-list): {}",
                    c.spki_sha256
                );
                println!(
                    "serve it beside the main certificate: QSGW_TLS_EXTRA_CERTS={}:{}",
                    c.chain.display(),
                    c.key.display()
                );
                std::process::ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let config =
        Config::from_settings(cli.settings).unwrap_or_else(|e| shared::config::exit_with(&e));
    let opts = MainOptions {
        name: "gateway",
        log_level: config.log_level,
        workers: config.worker_threads,
        blocking: Some(config.blocking_threads),
    };
    run_main(opts, |shutdown| async move {
        let app = Application::build(config, shutdown).await?;
        Ok(app.run_until_stopped())
    })
}
