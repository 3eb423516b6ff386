//! HTTP resources.
