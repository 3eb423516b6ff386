//! # gateway — the QSGW post-quantum TLS reverse proxy
//!
//! Terminates TLS with hybrid post-quantum key exchange and proxies to
//! upstreams by routes it receives from the control plane through etcd.
//! Its admin listener (plain HTTP, internal) serves health, readiness,
//! metrics and the OpenAPI document. Start with
//! [`startup::Application::build`].

pub mod config;
pub mod crawlers;
pub mod health;
pub mod inspect;
pub mod listener;
pub mod live;
pub mod policy;
pub mod proxy;
pub mod proxy_protocol;
pub mod report;
pub mod routing;
pub mod sensor;
pub mod startup;
pub mod target;
pub mod throttle;
pub mod tls;
pub mod tunnel;
pub mod upstream;
