//! Harvest-now-decrypt-later exposure: sums of the gateways' sensor
//! aggregates (`route_traffic`) over a window, per route (joined to the
//! operator's declaration on `routes`) and per time bucket. Every sum is
//! split into all traffic and the part under a classical key exchange
//! (`NOT pqc`); `route_id` '' is traffic no route matched.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::routes::exposure::TrafficFigures;

/// Traffic in `[from, to)`: all of it, or (`unrouted`) only what matched
/// no route.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn totals(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    unrouted: bool,
) -> Result<TrafficFigures, sqlx::Error> {
    if unrouted {
        sqlx::query_as!(
            TrafficFigures,
            r#"SELECT COALESCE(sum(t.requests), 0)::int8 AS "requests!",
                COALESCE(sum(t.bytes_in + t.bytes_out), 0)::int8 AS "bytes!",
                COALESCE(sum(t.requests) FILTER (WHERE NOT t.pqc), 0)::int8 AS "classical_requests!",
                COALESCE(sum(t.bytes_in + t.bytes_out) FILTER (WHERE NOT t.pqc), 0)::int8 AS "classical_bytes!"
             FROM route_traffic t
             WHERE t.minute >= $1 AND t.minute < $2 AND t.route_id = ''"#,
            from,
            to
        )
        .fetch_one(pool)
        .await
    } else {
        sqlx::query_as!(
            TrafficFigures,
            r#"SELECT COALESCE(sum(t.requests), 0)::int8 AS "requests!",
                COALESCE(sum(t.bytes_in + t.bytes_out), 0)::int8 AS "bytes!",
                COALESCE(sum(t.requests) FILTER (WHERE NOT t.pqc), 0)::int8 AS "classical_requests!",
                COALESCE(sum(t.bytes_in + t.bytes_out) FILTER (WHERE NOT t.pqc), 0)::int8 AS "classical_bytes!"
             FROM route_traffic t WHERE t.minute >= $1 AND t.minute < $2"#,
            from,
            to
        )
        .fetch_one(pool)
        .await
    }
}

/// One route's traffic in the window, with what the operator declared
/// (null name: the route was deleted since).
#[derive(Debug)]
pub struct RouteTraffic {
    /// `rt_…` id the gateways counted the traffic under (never '': unrouted traffic is summed
    /// apart).
    pub route_id: String,
    /// Its name, if it still exists.
    pub name: Option<String>,
    /// The route's key-exchange policy override now (`CNSA2`, `PQC_ONLY`, `PQC_PREFERRED` or
    /// `CLASSICAL_ALLOWED`); null when it uses the listener's or no longer exists.
    pub tls_policy: Option<String>,
    /// Years the operator declared the route's data must stay confidential (Mosca's x); null:
    /// not declared.
    pub data_shelf_life_years: Option<f64>,
    /// Classification the operator declared (`public`, `internal`, `confidential` or
    /// `restricted`); null: not declared.
    pub data_class: Option<String>,
    /// Requests the gateways counted on the route in the window (`route_traffic.requests`).
    pub requests: i64,
    /// Bytes in and out.
    pub bytes: i64,
    /// Requests under a classical group.
    pub classical_requests: i64,
    /// Bytes under a classical group.
    pub classical_bytes: i64,
}

impl RouteTraffic {
    /// The traffic sums alone.
    pub fn figures(&self) -> TrafficFigures {
        TrafficFigures {
            requests: self.requests,
            bytes: self.bytes,
            classical_requests: self.classical_requests,
            classical_bytes: self.classical_bytes,
        }
    }
}

/// Traffic per route in `[from, to)` (routed traffic only).
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn by_route(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<RouteTraffic>, sqlx::Error> {
    sqlx::query_as!(
        RouteTraffic,
        r#"SELECT t.route_id, r.name AS "name?", r.tls_policy AS "tls_policy?",
            r.data_shelf_life_years AS "data_shelf_life_years?", r.data_class AS "data_class?",
            COALESCE(sum(t.requests), 0)::int8 AS "requests!",
            COALESCE(sum(t.bytes_in + t.bytes_out), 0)::int8 AS "bytes!",
            COALESCE(sum(t.requests) FILTER (WHERE NOT t.pqc), 0)::int8 AS "classical_requests!",
            COALESCE(sum(t.bytes_in + t.bytes_out) FILTER (WHERE NOT t.pqc), 0)::int8 AS "classical_bytes!"
         FROM route_traffic t LEFT JOIN routes r ON r.id = t.route_id
         WHERE t.minute >= $1 AND t.minute < $2 AND t.route_id <> ''
         GROUP BY t.route_id, r.id"#,
        from,
        to
    )
    .fetch_all(pool)
    .await
}

/// The classical groups each route's traffic used in `[from, to)`, as
/// `(route, group)` ordered by route, then most bytes and requests first.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn classical_groups(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(String, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT route_id, kx_group FROM route_traffic
         WHERE minute >= $1 AND minute < $2 AND route_id <> '' AND NOT pqc
         GROUP BY route_id, kx_group
         ORDER BY route_id, sum(bytes_in + bytes_out) DESC, sum(requests) DESC, kx_group",
        from,
        to
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.route_id, r.kx_group)).collect())
}

/// One bucket's traffic of one route (`route_id` '': all traffic).
#[derive(Debug)]
pub struct BucketTraffic {
    /// Bucket start.
    pub start: DateTime<Utc>,
    /// Route id, or '' for all traffic.
    pub route_id: String,
    /// Requests the gateways counted in the bucket (`route_traffic.requests`).
    pub requests: i64,
    /// Bytes in and out.
    pub bytes: i64,
    /// Requests under a classical group.
    pub classical_requests: i64,
    /// Bytes under a classical group.
    pub classical_bytes: i64,
}

impl BucketTraffic {
    /// The traffic sums alone.
    pub fn figures(&self) -> TrafficFigures {
        TrafficFigures {
            requests: self.requests,
            bytes: self.bytes,
            classical_requests: self.classical_requests,
            classical_bytes: self.classical_bytes,
        }
    }
}

/// Traffic per bucket of `bucket_secs` (aligned to the Unix epoch) in
/// `[from, to)`: each route of `route_ids`, and all traffic (route '');
/// empty buckets are absent.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn trend(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket_secs: i64,
    route_ids: &[&str],
) -> Result<Vec<BucketTraffic>, sqlx::Error> {
    sqlx::query_as!(
        BucketTraffic,
        r#"SELECT date_bin(make_interval(secs => $3::int8::float8), t.minute,
                TIMESTAMPTZ '1970-01-01 00:00:00+00') AS "start!", t.route_id AS "route_id!",
            COALESCE(sum(t.requests), 0)::int8 AS "requests!",
            COALESCE(sum(t.bytes_in + t.bytes_out), 0)::int8 AS "bytes!",
            COALESCE(sum(t.requests) FILTER (WHERE NOT t.pqc), 0)::int8 AS "classical_requests!",
            COALESCE(sum(t.bytes_in + t.bytes_out) FILTER (WHERE NOT t.pqc), 0)::int8 AS "classical_bytes!"
         FROM route_traffic t
         WHERE t.minute >= $1 AND t.minute < $2 AND t.route_id = ANY($4::text[])
         GROUP BY 1, 2
         UNION ALL
         SELECT date_bin(make_interval(secs => $3::int8::float8), t.minute,
                TIMESTAMPTZ '1970-01-01 00:00:00+00') AS start, '' AS route_id,
            COALESCE(sum(t.requests), 0)::int8 AS requests,
            COALESCE(sum(t.bytes_in + t.bytes_out), 0)::int8 AS bytes,
            COALESCE(sum(t.requests) FILTER (WHERE NOT t.pqc), 0)::int8 AS classical_requests,
            COALESCE(sum(t.bytes_in + t.bytes_out) FILTER (WHERE NOT t.pqc), 0)::int8 AS classical_bytes
         FROM route_traffic t
         WHERE t.minute >= $1 AND t.minute < $2
         GROUP BY 1"#,
        from,
        to,
        bucket_secs,
        route_ids as &[&str]
    )
    .fetch_all(pool)
    .await
}
