//! HTTP handlers, one module per resource, each with `#[utoipa::path]`.

pub mod audit_log;
pub mod auth;
pub mod config;
pub mod gateways;
pub mod ingest;
pub mod routing;
pub mod threats;
pub mod tls_sessions;
pub mod upstreams;
pub mod users;
pub mod webhooks;

use shared::error::Problem;

/// Parses a path id, answering 404 for anything that is not one (so
/// hostile path segments never reach SQL as anything but a bound string).
pub fn path_id<T>(
    raw: &str,
    parse: impl Fn(&str) -> Result<T, shared::ids::InvalidId>,
) -> Result<T, Problem> {
    parse(raw).map_err(|_| Problem::not_found("no such resource"))
}

/// Ends every upstream/route mutation the same way: bumps the config
/// revision and writes the audit row in `tx`, commits, then publishes
/// `change` to etcd (after commit, so etcd never shows an uncommitted state).
pub(crate) async fn commit_config_change(
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    state: &crate::state::AppState,
    principal: &shared::auth::Principal,
    meta: &crate::ctx::Meta,
    entry: crate::audit::Entry<'_>,
    change: crate::publish::Change,
) -> Result<(), Problem> {
    crate::db::bump_revision(&mut tx).await?;
    crate::audit::record(
        &mut tx,
        &crate::ctx::Actor::from_principal(principal),
        meta,
        entry,
    )
    .await
    .map_err(Problem::internal)?;
    tx.commit().await.map_err(Problem::internal)?;
    state.publisher.publish(&[change]).await;
    Ok(())
}
