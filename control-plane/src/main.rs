//! `control-plane` binary: settings → application → serve until SIGTERM,
//! or `create-admin` → one admin user → exit.

use control_plane::config::{Cli, Command, Config};
use control_plane::startup::{self, Application};
use shared::server::{run_main, MainOptions};

fn main() -> std::process::ExitCode {
    let cli: Cli = shared::config::load();
    let config =
        Config::from_settings(cli.settings).unwrap_or_else(|e| shared::config::exit_with(&e));
    if let Some(Command::CreateAdmin) = cli.command {
        return startup::create_admin_command(config);
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
