//! Mapping database errors to problems: constraint violations the
//! application could not pre-check (races) become 4xx, everything else a
//! logged 500.

use shared::error::Problem;

/// Postgres SQLSTATE of an error, if it came from the server.
pub fn code(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()),
        _ => None,
    }
}

/// Name of the violated constraint, if any.
pub fn constraint(e: &sqlx::Error) -> Option<String> {
    match e {
        sqlx::Error::Database(d) => d.constraint().map(str::to_owned),
        _ => None,
    }
}

/// Default mapping: unique → 409, FK → 409, check → 422, else 500.
pub fn map(e: sqlx::Error) -> Problem {
    match code(&e).as_deref() {
        Some("23505") => Problem::conflict(format!(
            "conflicts with an existing resource ({})",
            constraint(&e).unwrap_or_default()
        )),
        Some("23503") => Problem::conflict("the resource is referenced by another resource"),
        Some("23514") => Problem::invalid_field(
            constraint(&e).unwrap_or_else(|| "body".to_owned()),
            "violates a database constraint",
        ),
        _ => Problem::internal(e),
    }
}
