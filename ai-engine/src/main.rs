//! `ai-engine` binary: settings → application → serve until SIGTERM, or run
//! an offline tool (`generate`, `train`, `evaluate`).

use ai_engine::config::{Cli, Config};
use ai_engine::startup::Application;
use shared::server::{run_main, MainOptions};

fn main() -> std::process::ExitCode {
    let cli: Cli = shared::config::load();
    if let Some(cmd) = cli.command {
        return match ai_engine::cli::run(cmd, &cli.settings) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ai-engine: {e:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let config =
        Config::from_settings(cli.settings).unwrap_or_else(|e| shared::config::exit_with(&e));
    let opts = MainOptions {
        name: "ai-engine",
        log_level: config.log_level,
        workers: Some(config.workers),
        blocking: None,
    };
    run_main(opts, |shutdown| async move {
        let app = Application::build(config, shutdown).await?;
        Ok(app.run_until_stopped())
    })
}
