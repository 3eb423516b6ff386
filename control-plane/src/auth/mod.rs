//! Who may call the API: token revocation ([`revocation`]: every bearer
//! token checked against the user's current role and token version),
//! password hashing ([`password`]: argon2id) and login throttling
//! ([`login_limits`]). The role extractors themselves live in
//! `shared::auth`, shared with the other services.

pub mod login_limits;
pub mod password;
pub mod revocation;
