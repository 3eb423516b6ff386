//! The `users` table: the admin API's users, the login and session checks,
//! and the first-admin / password-reset commands. Password hashes are read
//! only by the login checks and written only by create, update and reset;
//! no function returns one beside a user's API form.

use shared::auth::Role;
use shared::ids::UserId;
use sqlx::{PgConnection, PgPool};

use super::Keyset;
use crate::routes::users::User;

/// Inserts a user with a fresh id (the admin API, the bootstrap admin and
/// `create-admin`).
#[tracing::instrument(level = "debug", skip(conn, password_hash), fields(role = role.as_str()), err)]
pub async fn insert(
    conn: &mut PgConnection,
    email: &str,
    password_hash: &str,
    role: Role,
    display_name: Option<&str>,
) -> Result<User, sqlx::Error> {
    let id = UserId::new();
    sqlx::query_as!(
        User,
        "INSERT INTO users (id, email, password_hash, role, display_name)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING id, email, display_name, role, disabled, last_login_at, version, created_at,
            updated_at",
        id.as_str(),
        email,
        password_hash,
        role.as_str(),
        display_name
    )
    .fetch_one(conn)
    .await
}

/// One user; `None` when there is none.
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn get(conn: &mut PgConnection, id: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "SELECT id, email, display_name, role, disabled, last_login_at, version, created_at,
            updated_at
         FROM users WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await
}

/// One user, locked until the transaction ends, for an update or delete
/// that must see the version and role it checks.
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn get_for_update(
    conn: &mut PgConnection,
    id: &str,
) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "SELECT id, email, display_name, role, disabled, last_login_at, version, created_at,
            updated_at
         FROM users WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await
}

/// A page of users, newest first.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn list(pool: &PgPool, page: &Keyset) -> Result<Vec<User>, sqlx::Error> {
    sqlx::query_as!(
        User,
        "SELECT id, email, display_name, role, disabled, last_login_at, version, created_at,
            updated_at
         FROM users
         WHERE ($1::timestamptz IS NULL OR (created_at, id) < ($1, $2))
         ORDER BY created_at DESC, id DESC LIMIT $3",
        page.at,
        page.id.as_deref(),
        page.fetch
    )
    .fetch_all(pool)
    .await
}

/// What a `PATCH /users/{id}` changes; `None` keeps the stored value.
#[derive(Debug, Default)]
pub struct Changes<'a> {
    /// New display name.
    pub display_name: Option<&'a str>,
    /// New role.
    pub role: Option<Role>,
    /// New disabled flag.
    pub disabled: Option<bool>,
    /// New argon2id hash (never logged).
    pub password_hash: Option<&'a str>,
}

/// Applies `c` to user `id`, moving its version on by one (a role,
/// password or disabled change also moves its token version: migration
/// 0010's trigger ends its sessions).
#[tracing::instrument(level = "debug", skip(conn, c),
    fields(role = c.role.map(Role::as_str), disabled = c.disabled, password = c.password_hash.is_some()), err)]
pub async fn update(
    conn: &mut PgConnection,
    id: &str,
    c: Changes<'_>,
) -> Result<User, sqlx::Error> {
    sqlx::query_as!(
        User,
        "UPDATE users SET display_name = coalesce($2, display_name), role = coalesce($3, role),
            disabled = coalesce($4, disabled), password_hash = coalesce($5, password_hash),
            version = version + 1, updated_at = now()
         WHERE id = $1
         RETURNING id, email, display_name, role, disabled, last_login_at, version, created_at,
            updated_at",
        id,
        c.display_name,
        c.role.map(Role::as_str),
        c.disabled,
        c.password_hash
    )
    .fetch_one(conn)
    .await
}

/// Deletes user `id`.
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn delete(conn: &mut PgConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM users WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Serialises the changes that can remove an admin (demote, disable,
/// delete) across requests and replicas until the transaction ends; taken
/// before any row lock so two such changes cannot deadlock or both see
/// another admin left.
#[tracing::instrument(level = "debug", skip_all, err)]
pub async fn lock_admins(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('qsgw.users.last-admin'))")
        .execute(conn)
        .await?;
    Ok(())
}

/// Enabled admins other than `id`: zero means `id` is the last one.
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn other_enabled_admins(conn: &mut PgConnection, id: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM users WHERE role = 'admin' AND NOT disabled AND id <> $1"#,
        id
    )
    .fetch_one(conn)
    .await
}

/// What a login needs of an account.
#[derive(Debug)]
pub struct Credentials {
    /// User id.
    pub id: String,
    /// Stored argon2id hash (never logged).
    pub password_hash: String,
    /// Role as stored.
    pub role: String,
    /// Disabled accounts cannot log in.
    pub disabled: bool,
}

/// The account of `email` (already lower-cased), for a login.
#[tracing::instrument(level = "debug", skip_all, err)]
pub async fn credentials(pool: &PgPool, email: &str) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query_as!(
        Credentials,
        "SELECT id, password_hash, role, disabled FROM users WHERE lower(email) = $1",
        email
    )
    .fetch_optional(pool)
    .await
}

/// Records a successful login (in the login's transaction).
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn touch_last_login(conn: &mut PgConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE users SET last_login_at = now() WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Ends every session of user `id` (logout): tokens carry the token
/// version they were issued at, and stop working once it moves.
#[tracing::instrument(level = "debug", skip(conn), err)]
pub async fn bump_token_version(conn: &mut PgConnection, id: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET token_version = token_version + 1 WHERE id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What decides whether a user's token is still a live session.
#[derive(Debug)]
pub struct Session {
    /// Current role.
    pub role: String,
    /// Disabled users have no live session.
    pub disabled: bool,
    /// Current token version.
    pub token_version: i64,
}

/// The session state of user `id` (one indexed lookup per request).
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn session(pool: &PgPool, id: &str) -> Result<Option<Session>, sqlx::Error> {
    sqlx::query_as!(
        Session,
        "SELECT role, disabled, token_version FROM users WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await
}

/// Advisory lock key serializing first-admin creation ("QSGW" + 2).
const BOOTSTRAP_LOCK: i64 = 0x5153_4757_0002;

/// Serializes first-admin creation across replicas until the transaction
/// ends, so two starts cannot both find no user.
#[tracing::instrument(level = "debug", skip_all, err)]
pub async fn lock_bootstrap(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_advisory_xact_lock($1)", BOOTSTRAP_LOCK)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether any user exists.
#[tracing::instrument(level = "debug", skip_all, err)]
pub async fn any(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM users) AS "any!""#)
        .fetch_one(conn)
        .await
}

/// Whether `email` is taken (case-insensitively).
#[tracing::instrument(level = "debug", skip_all, err)]
pub async fn email_taken(conn: &mut PgConnection, email: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1)) AS "taken!""#,
        email
    )
    .fetch_one(conn)
    .await
}

/// The stored hash and disabled flag of `email` (the `check-login`
/// command).
#[tracing::instrument(level = "debug", skip_all, err)]
pub async fn hash_by_email(
    pool: &PgPool,
    email: &str,
) -> Result<Option<(String, bool)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT password_hash, disabled FROM users WHERE lower(email) = lower($1)",
        email
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| (r.password_hash, r.disabled)))
}

/// Sets `email`'s password hash (re-enabling the account with `enable`);
/// the id and disabled flag after, `None` when there is no such user.
#[tracing::instrument(level = "debug", skip(conn, password_hash, email), err)]
pub async fn reset_password(
    conn: &mut PgConnection,
    email: &str,
    password_hash: &str,
    enable: bool,
) -> Result<Option<(String, bool)>, sqlx::Error> {
    let row = sqlx::query!(
        "UPDATE users SET password_hash = $2, disabled = CASE WHEN $3 THEN false ELSE disabled END,
            version = version + 1, updated_at = now()
         WHERE lower(email) = lower($1) RETURNING id, disabled",
        email,
        password_hash,
        enable
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.id, r.disabled)))
}
