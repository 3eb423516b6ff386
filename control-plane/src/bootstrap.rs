//! The first admin: created at start from `QSGW_ADMIN_EMAIL` /
//! `QSGW_ADMIN_PASSWORD` when no user exists yet, or on demand by the
//! `control-plane create-admin` subcommand; `control-plane reset-password`
//! sets an account's password (and can re-enable it) when nobody can sign
//! in any more; [`check_login`] says whether a login an operator was given
//! actually works, so `make run` and `create-admin` never print a login
//! that silently does not.

use shared::auth::Role;
use shared::config::Secret;
use sqlx::PgPool;

use crate::audit::{self, Entry};
use crate::http::context::{Actor, Meta};
use crate::repo;

/// What [`create_admin`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Created, with its id.
    Created(String),
    /// Skipped: users already exist (bootstrap only).
    UsersExist,
    /// Skipped: a user with this email exists (its password unchanged).
    EmailTaken,
}

/// Creates an admin. With `only_if_empty` (start-up bootstrap) nothing
/// happens once any user exists; otherwise an existing email is an error.
#[tracing::instrument(skip(pool, password), fields(email = %email), err)]
pub async fn create_admin(
    pool: &PgPool,
    email: &str,
    password: &Secret,
    only_if_empty: bool,
) -> anyhow::Result<Outcome> {
    let mut tx = pool.begin().await?;
    repo::users::lock_bootstrap(&mut tx).await?;
    if only_if_empty && repo::users::any(&mut tx).await? {
        return Ok(Outcome::UsersExist);
    }
    if repo::users::email_taken(&mut tx, email).await? {
        return Ok(Outcome::EmailTaken);
    }
    let hash = crate::auth::password::hash_blocking(password.expose().to_owned())
        .await
        .map_err(|p| anyhow::anyhow!(p.detail))?;
    let user = repo::users::insert(&mut tx, email, &hash, Role::Admin, None).await?;
    audit::record(
        &mut tx,
        &Actor {
            name: "system".to_owned(),
            role: None,
        },
        &Meta {
            request_id: "bootstrap".to_owned(),
            client_ip: None,
        },
        Entry {
            action: "user.bootstrap_admin",
            resource_type: "user",
            resource_id: Some(&user.id),
            before: None,
            after: serde_json::to_value(&user).ok(),
            success: true,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Outcome::Created(user.id))
}

/// Whether an email and password sign in, as the login endpoint would
/// decide (same user lookup, argon2 verification and disabled check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginCheck {
    /// The login works.
    Works,
    /// No user has this email.
    NoSuchUser,
    /// The user exists; the password is not theirs.
    WrongPassword,
    /// The password is right; the account is disabled.
    Disabled,
}

/// Checks `email` / `password` against the users table.
#[tracing::instrument(skip(pool, password), err)]
pub async fn check_login(
    pool: &PgPool,
    email: &str,
    password: &Secret,
) -> anyhow::Result<LoginCheck> {
    let Some((hash, disabled)) = repo::users::hash_by_email(pool, email).await? else {
        return Ok(LoginCheck::NoSuchUser);
    };
    let ok = crate::auth::password::verify_blocking(password.expose().to_owned(), hash)
        .await
        .map_err(|p| anyhow::anyhow!(p.detail))?;
    Ok(match (ok, disabled) {
        (false, _) => LoginCheck::WrongPassword,
        (true, true) => LoginCheck::Disabled,
        (true, false) => LoginCheck::Works,
    })
}

/// Sets `email`'s password (the password policy applies; every session of
/// the account ends, the token version moving with the hash), re-enables
/// the account with `enable`, and audits it as `user.reset_password` by
/// `system`. Returns the user's id and whether it is (still) disabled.
#[tracing::instrument(skip(pool, password), err)]
pub async fn reset_password(
    pool: &PgPool,
    email: &str,
    password: &Secret,
    enable: bool,
) -> anyhow::Result<(String, bool)> {
    crate::auth::password::check_policy("QSGW_ADMIN_PASSWORD", password.expose()).map_err(|p| {
        let why = p
            .errors
            .first()
            .map_or(p.detail.clone(), |e| e.message.clone());
        anyhow::anyhow!("QSGW_ADMIN_PASSWORD {why}")
    })?;
    let hash = crate::auth::password::hash_blocking(password.expose().to_owned())
        .await
        .map_err(|p| anyhow::anyhow!(p.detail))?;
    let mut tx = pool.begin().await?;
    let Some((id, disabled)) = repo::users::reset_password(&mut tx, email, &hash, enable).await?
    else {
        anyhow::bail!("no user with email {email} (create one with `control-plane create-admin`)");
    };
    audit::record(
        &mut tx,
        &Actor {
            name: "system".to_owned(),
            role: None,
        },
        &Meta {
            request_id: "reset-password".to_owned(),
            client_ip: None,
        },
        Entry {
            action: "user.reset_password",
            resource_type: "user",
            resource_id: Some(&id),
            before: None,
            after: Some(serde_json::json!({"enabled_again": enable, "disabled": disabled})),
            success: true,
        },
    )
    .await?;
    tx.commit().await?;
    Ok((id, disabled))
}
