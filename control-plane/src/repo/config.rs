//! The global config revision: one row, bumped by every gateway
//! configuration change, that gateways report back as the revision they
//! applied and etcd carries beside the snapshot; and the snapshot itself.

use shared::error::Problem;
use sqlx::PgConnection;

use crate::domain::route::RouteRow;
use crate::domain::upstream::UpstreamRow;

/// Bumps the revision inside the mutation's transaction, so the new number
/// is visible exactly when the change is.
#[tracing::instrument(level = "debug", skip_all, err)]
pub async fn bump_revision(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE config_revision SET revision = revision + 1, updated_at = now() RETURNING revision"
    )
    .fetch_one(conn)
    .await
}

/// The current revision (read in the caller's transaction, so it matches
/// the rows read beside it).
#[tracing::instrument(level = "debug", skip_all, err)]
pub async fn revision(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!("SELECT revision FROM config_revision")
        .fetch_one(conn)
        .await
}

/// Makes the caller's fresh transaction a consistent read-only view
/// (REPEATABLE READ), so a snapshot's routes, upstreams and revision all
/// belong to the same moment. Must be the transaction's first statement.
#[tracing::instrument(level = "debug", skip_all, err)]
pub async fn read_consistently(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(conn)
        .await?;
    Ok(())
}

/// Every route and upstream at one consistent point (REPEATABLE READ), with
/// the revision that state corresponds to: what `GET /api/v1/config`
/// answers and a full etcd republish writes.
#[tracing::instrument(level = "debug", skip_all, err)]
pub async fn snapshot(pool: &sqlx::PgPool) -> Result<shared::qsgw::ConfigSnapshot, Problem> {
    let mut tx = pool.begin().await?;
    read_consistently(&mut tx).await?;
    let revision = revision(&mut tx).await?;
    let upstreams = super::upstreams::all(&mut tx).await?;
    let routes = super::routes::all(&mut tx).await?;
    tx.commit().await?;
    Ok(shared::qsgw::ConfigSnapshot {
        revision,
        routes: routes
            .iter()
            .map(RouteRow::to_config)
            .collect::<Result<_, _>>()?,
        upstreams: upstreams
            .iter()
            .map(UpstreamRow::to_config)
            .collect::<Result<_, _>>()?,
    })
}
