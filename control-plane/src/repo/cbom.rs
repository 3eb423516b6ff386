//! What the runtime CBOM is built from: the sessions established in a
//! window per (protocol, suite, group, route), and what the gateways that
//! heartbeated in it reported (served certificates, upstream TLS legs).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;

/// Established sessions of one protocol, suite, group and route; the
/// route's host and path as they are now (`None` once it was deleted:
/// sessions are history, routes are not).
#[derive(Debug)]
pub struct SessionTally {
    /// Negotiated protocol version, e.g. `TLSv1.3`.
    pub protocol: String,
    /// Negotiated cipher suite.
    pub suite: String,
    /// Negotiated key-exchange group; `None` when not recorded (e.g. TLS 1.2 resumption).
    pub group: Option<String>,
    /// Route of the first request.
    pub route_id: Option<String>,
    /// The route's host now.
    pub host: Option<String>,
    /// The route's path now.
    pub path: Option<String>,
    /// Established sessions in the window with this protocol, suite, group and route.
    pub sessions: i64,
}

/// Sessions established in `[from, to)` per protocol, suite, group and
/// route: newest protocol first, then most sessions.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn session_tallies(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<SessionTally>, sqlx::Error> {
    sqlx::query_as!(
        SessionTally,
        r#"SELECT s.protocol_version AS "protocol!", s.cipher_suite AS "suite!",
            s.kx_group AS "group?", s.route_id AS "route_id?", r.host AS "host?",
            r.path AS "path?", count(*) AS "sessions!"
         FROM tls_sessions s LEFT JOIN routes r ON r.id = s.route_id
         WHERE s.established_at >= $1 AND s.established_at < $2 AND s.outcome = 'established'
           AND s.protocol_version IS NOT NULL AND s.cipher_suite IS NOT NULL
         GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1 DESC, 7 DESC, 2, 3, 4"#,
        from,
        to
    )
    .fetch_all(pool)
    .await
}

/// What one gateway last reported, as stored from its heartbeat.
#[derive(Debug)]
pub struct GatewayReport {
    /// Gateway name.
    pub name: String,
    /// Served certificates (JSON array).
    pub served_certificates: Value,
    /// Target health with the upstream TLS legs (JSON array).
    pub upstream_health: Value,
}

/// The reports of the gateways that heartbeated since `since`, by name.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn gateway_reports(
    pool: &PgPool,
    since: DateTime<Utc>,
) -> Result<Vec<GatewayReport>, sqlx::Error> {
    sqlx::query_as!(
        GatewayReport,
        "SELECT name, served_certificates, upstream_health FROM gateways
         WHERE last_heartbeat_at >= $1 ORDER BY name",
        since
    )
    .fetch_all(pool)
    .await
}

/// Every upstream's `(id, name)`, to name the upstream TLS legs.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn upstream_names(pool: &PgPool) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query!("SELECT id, name FROM upstreams")
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}
