//! # ai-engine — QSGW's traffic scoring service
//!
//! Scores gateway requests for anomalies and bots and answers a verdict
//! (`allow`, `flag`, `block`) by the configured thresholds. Start with
//! [`startup::Application::build`]; thresholds live in [`config::Thresholds`].

pub mod config;
pub mod startup;
