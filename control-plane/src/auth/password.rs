//! argon2id password hashing. Hashing is CPU-heavy (~20 MiB, 2 passes), so
//! callers run it on the blocking pool.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use shared::error::Problem;

/// Shortest accepted password.
pub const MIN_PASSWORD_LEN: usize = 12;
/// Longest accepted password (argon2 accepts more; bounded to cap CPU per request).
pub const MAX_PASSWORD_LEN: usize = 1024;

/// Hashes `password` into a PHC string (`$argon2id$v=19$...`).
pub fn hash(password: &str) -> Result<String, Problem> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Problem::internal(anyhow::anyhow!("argon2 hash failed: {e}")))
}

/// Whether `password` matches `phc`; a malformed stored hash never matches.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// [`hash`] on the blocking pool.
pub async fn hash_blocking(password: String) -> Result<String, Problem> {
    shared::telemetry::spawn_blocking_in_span(move || hash(&password))
        .await
        .map_err(Problem::internal)?
}

/// [`verify`] on the blocking pool.
pub async fn verify_blocking(password: String, phc: String) -> Result<bool, Problem> {
    shared::telemetry::spawn_blocking_in_span(move || verify(&password, &phc))
        .await
        .map_err(Problem::internal)
}

/// Checks the length rules, naming `field` on failure.
pub fn check_policy(field: &str, password: &str) -> Result<(), Problem> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_LEN {
        return Err(Problem::invalid_field(
            field,
            format!("must be at least {MIN_PASSWORD_LEN} characters"),
        ));
    }
    if password.len() > MAX_PASSWORD_LEN {
        return Err(Problem::invalid_field(
            field,
            format!("must be at most {MAX_PASSWORD_LEN} bytes"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_round_trips_and_is_argon2id() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &h));
        assert!(!verify("wrong horse battery", &h));
        assert!(!verify("anything", "not-a-phc-string"));
    }
}
