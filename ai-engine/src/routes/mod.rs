//! HTTP resources.

pub mod analyze;
