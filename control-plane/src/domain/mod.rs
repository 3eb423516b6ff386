//! Parsed configuration resources: API input is validated here into types
//! the database layer trusts. Pure code, no I/O. Every failure names the
//! field (JSON path) at fault so the API can answer a field-level 422.

pub mod route;
pub mod upstream;
pub mod validate;
