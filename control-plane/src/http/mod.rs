//! HTTP mechanics every handler shares: conditional requests and create
//! idempotency ([`conditional`]: `If-Match`/`ETag`, `Idempotency-Key`) and
//! the request context recorded with each mutation ([`context`]). Database
//! errors become problems in `shared::db::constraint_problem`, through
//! `shared::error::ApiError`.

pub mod conditional;
pub mod context;
