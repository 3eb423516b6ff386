//! SQL shared by several handlers: loading resources, the config revision,
//! and the whole effective config (snapshot and full etcd republish).

use shared::error::Problem;
use shared::qsgw::ConfigSnapshot;
use sqlx::{PgConnection, PgPool};

use crate::domain::route::{self, RouteRow};
use crate::domain::upstream::{self, UpstreamRow};

/// Bumps the global config revision (inside the mutation's transaction).
pub async fn bump_revision(conn: &mut PgConnection) -> Result<i64, Problem> {
    sqlx::query_scalar(
        "UPDATE config_revision SET revision = revision + 1, updated_at = now() RETURNING revision",
    )
    .fetch_one(conn)
    .await
    .map_err(Problem::internal)
}

/// The current config revision.
pub async fn revision(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT revision FROM config_revision")
        .fetch_one(conn)
        .await
}

/// One upstream, optionally locked for update.
pub async fn upstream(
    conn: &mut PgConnection,
    id: &str,
    lock: bool,
) -> Result<Option<UpstreamRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM upstreams WHERE id = $1{}",
        upstream::COLUMNS,
        if lock { " FOR UPDATE" } else { "" }
    );
    sqlx::query_as(&sql).bind(id).fetch_optional(conn).await
}

/// One route, optionally locked for update.
pub async fn route(
    conn: &mut PgConnection,
    id: &str,
    lock: bool,
) -> Result<Option<RouteRow>, sqlx::Error> {
    let sql = format!(
        "SELECT {} FROM routes WHERE id = $1{}",
        route::COLUMNS,
        if lock { " FOR UPDATE" } else { "" }
    );
    sqlx::query_as(&sql).bind(id).fetch_optional(conn).await
}

/// Every route and upstream at one consistent point (REPEATABLE READ), with
/// the revision that state corresponds to.
pub async fn snapshot(pool: &PgPool) -> Result<ConfigSnapshot, Problem> {
    let mut tx = pool.begin().await.map_err(Problem::internal)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(Problem::internal)?;
    let revision = revision(&mut tx).await.map_err(Problem::internal)?;
    let ups: Vec<UpstreamRow> = sqlx::query_as(&format!(
        "SELECT {} FROM upstreams ORDER BY id",
        upstream::COLUMNS
    ))
    .fetch_all(&mut *tx)
    .await
    .map_err(Problem::internal)?;
    let routes: Vec<RouteRow> = sqlx::query_as(&format!(
        "SELECT {} FROM routes ORDER BY id",
        route::COLUMNS
    ))
    .fetch_all(&mut *tx)
    .await
    .map_err(Problem::internal)?;
    tx.commit().await.map_err(Problem::internal)?;
    Ok(ConfigSnapshot {
        revision,
        routes: routes
            .iter()
            .map(RouteRow::to_config)
            .collect::<Result<_, _>>()?,
        upstreams: ups
            .iter()
            .map(UpstreamRow::to_config)
            .collect::<Result<_, _>>()?,
    })
}
