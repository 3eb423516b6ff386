//! # ml-engine — QRAP's scoring service
//!
//! Scores the quantum risk of cryptographic assets for the risk API. It
//! holds no state besides its knowledge base (`data/knowledge_base.json`),
//! its policy packs (`data/policy_packs.json`) and its CRQC timeline bands
//! (`data/crqc_timelines.json`), so it scales by replicas. Start with [`startup::Application::build`]; the pure
//! logic is in [`model`], the HTTP surface in [`routes`].

pub mod config;
pub mod model;
pub mod routes;
pub mod startup;
pub mod state;
