//! Organizations (tenants).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

/// A tenant (`organizations` row): assessments and their findings belong to one, and a token
/// or API key confined to it sees nothing of the others.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organization {
    /// `org_` followed by 32 hex digits, assigned at creation.
    pub id: String,
    /// Name (unique, case-insensitive).
    pub name: String,
    /// Free text, at most 2000 characters.
    pub description: Option<String>,
    /// Starts at 1 and grows by one at each update.
    pub version: i64,
    /// When the organization was created.
    pub created_at: DateTime<Utc>,
    /// When the organization was last changed.
    pub updated_at: DateTime<Utc>,
}

/// Inserts an organization. A name taken case-insensitively fails with
/// the unique violation of `organizations_name_lower_key` (23505), which
/// the caller answers as a conflict.
#[tracing::instrument(level = "debug", skip(conn, name, description), err(level = "debug"))]
pub async fn create(
    conn: &mut PgConnection,
    id: &str,
    name: &str,
    description: Option<&str>,
) -> Result<Organization, sqlx::Error> {
    sqlx::query_as!(
        Organization,
        "INSERT INTO organizations (id, name, description) VALUES ($1, $2, $3)
         RETURNING id, name, description, version, created_at, updated_at",
        id,
        name,
        description
    )
    .fetch_one(conn)
    .await
}

/// One page of organizations, newest first (`limit + 1` rows from
/// `offset`), confined to `scope` when given, and the total.
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn page(
    pool: &PgPool,
    scope: Option<&str>,
    limit: u32,
    offset: i64,
) -> Result<(Vec<Organization>, i64), sqlx::Error> {
    let rows = sqlx::query_as!(
        Organization,
        "SELECT id, name, description, version, created_at, updated_at
         FROM organizations WHERE ($1::text IS NULL OR id = $1)
         ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
        scope,
        i64::from(limit) + 1,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM organizations WHERE ($1::text IS NULL OR id = $1)"#,
        scope
    )
    .fetch_one(pool)
    .await?;
    Ok((rows, total))
}

/// One organization, `None` when missing or outside `scope` (a tenant
/// cannot tell another tenant's organization from a missing one).
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn get(
    pool: &PgPool,
    id: &str,
    scope: Option<&str>,
) -> Result<Option<Organization>, sqlx::Error> {
    sqlx::query_as!(
        Organization,
        "SELECT id, name, description, version, created_at, updated_at
         FROM organizations WHERE id = $1 AND ($2::text IS NULL OR id = $2)",
        id,
        scope
    )
    .fetch_optional(pool)
    .await
}

/// Whether the organization exists: the check before anything is created
/// in it (the foreign keys would refuse it later, less clearly).
#[tracing::instrument(level = "debug", skip(pool), err(level = "debug"))]
pub async fn exists(pool: &PgPool, id: &str) -> Result<bool, sqlx::Error> {
    let found = sqlx::query_scalar!("SELECT id FROM organizations WHERE id = $1", id)
        .fetch_optional(pool)
        .await?;
    Ok(found.is_some())
}

/// Renames and/or re-describes an organization (`None` leaves a field as
/// it is) and bumps its version; `None` when it does not exist. A taken
/// name fails with 23505 as in [`create`].
#[tracing::instrument(level = "debug", skip(conn, name, description), err(level = "debug"))]
pub async fn update(
    conn: &mut PgConnection,
    id: &str,
    name: Option<&str>,
    description: Option<&str>,
) -> Result<Option<Organization>, sqlx::Error> {
    sqlx::query_as!(
        Organization,
        "UPDATE organizations SET name = COALESCE($2, name), description = COALESCE($3, description),
             version = version + 1, updated_at = now()
         WHERE id = $1 RETURNING id, name, description, version, created_at, updated_at",
        id,
        name,
        description
    )
    .fetch_optional(conn)
    .await
}

/// Deletes an organization; its assessments, findings and triage go with
/// it (ON DELETE CASCADE), its audit rows stay. Whether it existed.
#[tracing::instrument(level = "debug", skip(conn), err(level = "debug"))]
pub async fn delete(conn: &mut PgConnection, id: &str) -> Result<bool, sqlx::Error> {
    let r = sqlx::query!("DELETE FROM organizations WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(r.rows_affected() > 0)
}
