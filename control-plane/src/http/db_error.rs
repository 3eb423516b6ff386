//! Mapping database errors to problems: constraint violations the
//! application could not pre-check (races) become 4xx, everything else a
//! logged 500. The one copy lives in [`shared::db`] (risk-api maps with it
//! too); these names stay so handlers that pick a field-specific answer for
//! one constraint (`code(&e) == Some("23505")`) read as before.

pub use shared::db::{constraint, constraint_problem as map, sqlstate as code};
