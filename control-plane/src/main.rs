//! `control-plane` binary: settings → application → serve until SIGTERM,
//! or `create-admin` → one admin user → exit, or `reset-password` → the
//! password of `QSGW_ADMIN_EMAIL` set → exit, or `migrate` → schema → exit,
//! or `console` → the console alone, calling a configured API URL.

use control_plane::config::{Cli, Command, Config};
use control_plane::startup::{self, Application};
use shared::server::{run_main, MainOptions};

fn main() -> std::process::ExitCode {
    let cli: Cli = shared::config::load();
    if let Some(Command::Migrate) = cli.command {
        let options = control_plane::config::database_options(&cli.settings)
            .unwrap_or_else(|e| shared::config::exit_with(&e));
        return shared::db::migrate_main(
            "control-plane",
            cli.settings.log_level,
            options,
            &control_plane::MIGRATOR,
            std::time::Duration::from_secs(60),
        );
    }
    if let Some(Command::Console(args)) = cli.command {
        return startup::console_command(args, cli.settings.log_level);
    }
    let config =
        Config::from_settings(cli.settings).unwrap_or_else(|e| shared::config::exit_with(&e));
    if let Some(Command::CreateAdmin) = cli.command {
        return startup::create_admin_command(config);
    }
    if let Some(Command::ResetPassword { enable }) = cli.command {
        return startup::reset_password_command(config, enable);
    }
    let opts = MainOptions {
        name: "control-plane",
        log_level: config.log_level,
        workers: None,
        blocking: None,
    };
    run_main(opts, |shutdown| async move {
        let app = Application::build(config, shutdown).await?;
        Ok(app.run_until_stopped())
    })
}
