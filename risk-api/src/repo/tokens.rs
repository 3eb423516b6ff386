//! Revoked token ids (`revoked_tokens`), checked on every request.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

/// Deletes the entries whose token has expired anyway: run before each
/// revocation, so the list never outgrows one token lifetime.
#[tracing::instrument(level = "debug", skip(conn), err(level = "debug"))]
pub async fn purge_expired(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM revoked_tokens WHERE expires_at <= now()")
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a revocation until the token's own expiry; revoking an id
/// twice keeps the first entry.
#[tracing::instrument(level = "debug", skip(conn, jti), err(level = "debug"))]
pub async fn revoke(
    conn: &mut PgConnection,
    jti: &str,
    expires_at: DateTime<Utc>,
    org: Option<&str>,
    revoked_by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO revoked_tokens (jti, expires_at, organization_id, revoked_by)
         VALUES ($1, $2, $3, $4) ON CONFLICT (jti) DO NOTHING",
        jti,
        expires_at,
        org,
        revoked_by
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether a token id is revoked (and its entry still in force). Token
/// ids are not secrets, but they are not logged either.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn is_revoked(pool: &PgPool, jti: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1 AND expires_at > now()) AS "revoked!""#,
        jti
    )
    .fetch_one(pool)
    .await
}
