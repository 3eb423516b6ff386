//! # control-plane — the QSGW admin API
//!
//! Owns the QSGW database (`migrations/qsgw`, applied at start), serves the
//! admin REST API under `/api/v1`, and is the only writer of gateway
//! configuration to etcd. Start with [`startup::Application::build`].
//!
//! Layout: [`config`] (settings), [`startup`] (wiring and serving),
//! [`state`] (what handlers share), [`routes`] (handlers, one module per
//! resource, calling [`repo`]), [`repo`] (every SQL statement, one module
//! per resource), [`domain`] (validated resource types, no I/O), [`publish`] (etcd writer and reconciler),
//! [`audit`], [`mutation`] (the end of every mutation: idempotency, audit,
//! commit, publish, ETag), [`http`] (If-Match, Idempotency-Key, request context, database
//! errors as problems), [`auth`] (token revocation, argon2id passwords,
//! login throttling), [`bootstrap`] (first admin), [`retention`] (pruning),
//! [`webhook`] (signed outbox worker).

pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod config;
pub mod domain;
pub mod http;
pub mod mutation;
pub mod publish;
pub mod repo;
pub mod retention;
pub mod routes;
pub mod startup;
pub mod state;
pub mod webhook;

/// The QSGW schema, embedded from `migrations/qsgw`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/qsgw");
