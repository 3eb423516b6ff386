//! HTTP handlers, one module per resource, each with `#[utoipa::path]`.

pub mod audit_log;
pub mod auth;
pub mod config;
pub mod gateways;
pub mod ingest;
pub mod posture;
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

/// The window and bucket unit of a stats request (threats, TLS sessions,
/// gateway traffic), validated: default the last 24 h by hour; the span is
/// bounded per unit so a request cannot ask for unbounded buckets.
pub fn stats_window(
    from: Option<chrono::DateTime<chrono::Utc>>,
    to: Option<chrono::DateTime<chrono::Utc>>,
    bucket: Option<String>,
) -> Result<
    (
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
        String,
    ),
    Problem,
> {
    let to = to.unwrap_or_else(chrono::Utc::now);
    let from = from.unwrap_or(to - chrono::Duration::hours(24));
    if from >= to {
        return Err(Problem::invalid_field("from", "must be before to"));
    }
    let bucket = bucket.unwrap_or_else(|| "hour".to_owned());
    let max_span = match bucket.as_str() {
        "minute" => chrono::Duration::days(2),
        "hour" => chrono::Duration::days(93),
        "day" => chrono::Duration::days(3660),
        _ => {
            return Err(Problem::invalid_field(
                "bucket",
                "must be minute, hour or day",
            ))
        }
    };
    if to - from > max_span {
        return Err(Problem::invalid_field(
            "from",
            format!("the window is too long for {bucket} buckets"),
        ));
    }
    Ok((from, to, bucket))
}
