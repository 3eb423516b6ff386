//! `risk-api` binary: settings → application → serve until SIGTERM.

use risk_api::config::{mint_token, Cli, Command, Config};
use risk_api::startup::Application;
use shared::server::{run_main, MainOptions};

fn main() -> std::process::ExitCode {
    let cli: Cli = shared::config::load();
    if let Some(Command::Token { org, role, subject }) = &cli.command {
        match mint_token(&cli.settings, org.as_deref(), role, subject) {
            Ok(token) => {
                println!("{token}");
                return std::process::ExitCode::SUCCESS;
            }
            Err(e) => shared::config::exit_with(&e),
        }
    }
    if let Some(Command::Web(args)) = &cli.command {
        return risk_api::startup::web_command(args.clone(), cli.settings.log_level);
    }
    if let Some(Command::ImportQsgw(args)) = &cli.command {
        return risk_api::qsgw::import_command(&cli.settings, args);
    }
    if let Some(Command::Migrate) = &cli.command {
        let options = risk_api::config::database_options(&cli.settings)
            .unwrap_or_else(|e| shared::config::exit_with(&e));
        return shared::db::migrate_main(
            "risk-api",
            cli.settings.log_level,
            options,
            &risk_api::MIGRATOR,
            std::time::Duration::from_secs(60),
        );
    }
    let config =
        Config::from_settings(cli.settings).unwrap_or_else(|e| shared::config::exit_with(&e));
    let opts = MainOptions {
        name: "risk-api",
        log_level: config.log_level,
        workers: None,
        blocking: None,
    };
    run_main(opts, |shutdown| async move {
        let app = Application::build(config, shutdown).await?;
        Ok(app.run_until_stopped())
    })
}
