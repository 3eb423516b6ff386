//! The first admin: created at start from `QSGW_ADMIN_EMAIL` /
//! `QSGW_ADMIN_PASSWORD` when no user exists yet, or on demand by the
//! `control-plane create-admin` subcommand.

use shared::auth::Role;
use shared::config::Secret;
use sqlx::PgPool;

use crate::audit::{self, Entry};
use crate::ctx::{Actor, Meta};

/// Serializes bootstrap between replicas starting together.
const BOOTSTRAP_LOCK: i64 = 0x5153_4757_0002;

/// What [`create_admin`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Created, with its id.
    Created(String),
    /// Skipped: users already exist (bootstrap only).
    UsersExist,
}

/// Creates an admin. With `only_if_empty` (start-up bootstrap) nothing
/// happens once any user exists; otherwise an existing email is an error.
pub async fn create_admin(
    pool: &PgPool,
    email: &str,
    password: &Secret,
    only_if_empty: bool,
) -> anyhow::Result<Outcome> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(BOOTSTRAP_LOCK)
        .execute(&mut *tx)
        .await?;
    if only_if_empty {
        let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users)")
            .fetch_one(&mut *tx)
            .await?;
        if any {
            return Ok(Outcome::UsersExist);
        }
    }
    let taken: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1))")
            .bind(email)
            .fetch_one(&mut *tx)
            .await?;
    if taken {
        anyhow::bail!("a user with email {email} already exists");
    }
    let hash = crate::password::hash_blocking(password.expose().to_owned())
        .await
        .map_err(|p| anyhow::anyhow!(p.detail))?;
    let user = crate::routes::users::insert_user(&mut tx, email, &hash, Role::Admin, None).await?;
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
