//! HTTP mechanics every handler shares: conditional requests and create
//! idempotency ([`conditional`]: `If-Match`/`ETag`, `Idempotency-Key`),
//! the request context recorded with each mutation ([`context`]) and the
//! mapping of database errors to problems ([`db_error`]).

pub mod conditional;
pub mod context;
pub mod db_error;
