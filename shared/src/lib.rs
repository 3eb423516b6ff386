//! # shared — the plumbing every Quantun service uses
//!
//! This crate knows no table, model or route of any service. It holds what
//! all five binaries do the same way, and the wire types two services
//! exchange. Start with [`service::build_router`] (how a service's HTTP
//! surface is assembled) and [`config`] (how settings are read).
//!
//! | module | concern |
//! |---|---|
//! | [`config`] | env vars + `--config` TOML, one-line errors, exit code 2, [`config::Secret`] |
//! | [`telemetry`] | JSON log lines on stdout |
//! | [`http`] | the common tower stack (request id, trace, limits, headers, CORS, compression, problem+json) |
//! | [`error`] | RFC 9457 [`error::Problem`] |
//! | [`json`] | strict JSON/query extractors (unknown fields → 422) |
//! | [`pagination`] | `?limit=&cursor=` → `{items, next_cursor}` |
//! | [`ids`] | prefixed ids (`rt_…`) |
//! | [`ratelimit`] | per-IP token bucket → 429 |
//! | [`qsgw`] | QSGW config contract (etcd keys, route/upstream JSON, snapshot) and the gateway → control-plane messages (registration, heartbeat, ingest) |
//! | [`qrap`] | QRAP scoring contract: risk-api → ML engine score request, the answer's envelope |
//! | [`edge`] | QSGW edge contract: host patterns, canonical paths, internal target addresses |
//! | [`auth`] | HS256 JWT, API keys, [`auth::RequireRole`] |
//! | [`health`] | `/health`, `/health/ready` |
//! | [`metrics`] | Prometheus recorder and `/metrics` |
//! | [`server`] | binding, graceful shutdown, runtime, crypto provider |
//! | [`db`] | Postgres pool, migrations, probe |
//! | [`etcd`] | connect with retry, prefix get, resuming watch |
//! | [`guard`] | production guards: dev values (SHA-256 digests), short secrets, plaintext etcd/Postgres → exit 2 |
//! | [`features`] | request features the gateway extracts and the AI engine scores (wire type and bounds) |
//! | [`user_agent`] | reading a user agent: tokens, claimed engine, the client family sessions are grouped by |
//! | [`http_client`] | outgoing calls with timeouts and request id |
//! | [`netguard`] | the one classification of target addresses (IANA special-purpose ranges), per-caller policies (upstreams, production webhooks) and a DNS resolver applying them |
//! | [`openapi`] | `/api/v1/openapi.json` and `/api/v1/docs` |
//! | [`validation`] | text reaching Postgres: NUL refused everywhere, C0 controls in names |
//! | [`ui`] | browser apps embedded in the binary, served under a prefix with `config.json`, vendored libraries, CSP |

pub mod auth;
pub mod client_ip;
pub mod config;
pub mod db;
pub mod edge;
pub mod error;
pub mod etcd;
pub mod features;
pub mod guard;
pub mod health;
pub mod http;
pub mod http_client;
pub mod ids;
pub mod json;
pub mod metrics;
pub mod netguard;
pub mod openapi;
pub mod pagination;
pub mod qrap;
pub mod qsgw;
pub mod ratelimit;
pub mod request_id;
pub mod server;
pub mod service;
pub mod telemetry;
pub mod ui;
pub mod user_agent;
pub mod validation;

#[cfg(feature = "test-util")]
pub mod test_util;

pub use error::{FieldError, Problem};
