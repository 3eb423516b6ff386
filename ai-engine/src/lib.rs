//! # ai-engine — QSGW's traffic scoring service
//!
//! Scores gateway requests for anomalies and bots and answers a verdict
//! (`allow`, `flag`, `block`) by the configured thresholds. Start with
//! [`startup::Application::build`]; thresholds live in [`model::Thresholds`].
//!
//! | module | concern |
//! |---|---|
//! | [`agent`] | agent-string knowledge from public pattern lists, the second evidence channel |
//! | [`model`] | pure ML: sliding window, feature vector, scoring, training (linfa), evaluation |
//! | [`engine`] | model + live thresholds + windows; rayon batch scoring |
//! | [`sim`] | seeded simulator of human sessions and bot families |
//! | [`routes`] | `/api/v1/analyze`, `/api/v1/analyze/batch`, `/api/v1/models` |
//! | [`live`] | thresholds watched live in etcd |
//! | [`cli`] | `generate`, `train`, `evaluate` |

pub mod agent;
pub mod cli;
pub mod config;
pub mod engine;
pub mod live;
pub mod model;
pub mod routes;
pub mod sim;
pub mod startup;
