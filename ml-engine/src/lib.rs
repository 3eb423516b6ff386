//! # ml-engine — QRAP's scoring service
//!
//! Scores the quantum risk of cryptographic assets for the risk API. It
//! holds no state besides its knowledge base and model, so it scales by
//! replicas. Start with [`startup::Application::build`].

pub mod config;
pub mod startup;
