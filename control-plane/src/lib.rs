//! # control-plane — the QSGW admin API
//!
//! Owns the QSGW database (`migrations/qsgw`, applied at start), serves the
//! admin REST API under `/api/v1`, and is the only writer of gateway
//! configuration to etcd. Start with [`startup::Application::build`].
//!
//! Layout: [`config`] (settings), [`startup`] (wiring and serving),
//! [`state`] (what handlers share).

pub mod config;
pub mod startup;
pub mod state;

/// The QSGW schema, embedded from `migrations/qsgw`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/qsgw");
