//! # risk-api — the QRAP API
//!
//! Owns the QRAP database (`migrations/qrap`, applied at start) and serves
//! organizations, assessments, findings, reports and the hash-chained audit
//! log under `/api/v1`; scoring is delegated to the ML engine over HTTP.
//! Start with [`startup::Application::build`].

pub mod config;
pub mod domain;
pub mod ml;
pub mod qsgw;
pub mod repo;
pub mod routes;
pub mod runner;
pub mod startup;
pub mod state;

/// The QRAP schema, embedded from `migrations/qrap`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/qrap");
