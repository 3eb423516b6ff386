//! `tls_sessions` as operators see them: one validated filter
//! ([`Selection`]) shared by the list, its total, the groups and the CSV
//! export (so an export holds exactly the rows the list shows), and the
//! PQC statistics over a window. Gateways insert the records through
//! [`super::ingest`].

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use crate::routes::tls_sessions::{BucketStat, GroupStat, TlsSession};

/// A validated session filter; `None` matches anything. An `sni` of `-`
/// selects sessions without SNI; the failure reason is matched with
/// `strpos` on lower-cased text, so `%` and `_` in the input are plain
/// characters (no LIKE escaping to get wrong).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Reporting gateway.
    pub gateway_id: Option<String>,
    /// Client address within this CIDR block (normalized text).
    pub client_cidr: Option<String>,
    /// Exact negotiated key-exchange group, e.g. `X25519MLKEM768`.
    pub kx_group: Option<String>,
    /// Post-quantum or classical only.
    pub pqc: Option<bool>,
    /// At or after.
    pub from: Option<DateTime<Utc>>,
    /// Before.
    pub to: Option<DateTime<Utc>>,
    /// Exact protocol version, e.g. `TLSv1.3`.
    pub protocol_version: Option<String>,
    /// Exact cipher suite, e.g. `TLS13_AES_128_GCM_SHA256`.
    pub cipher_suite: Option<String>,
    /// `established` or `failed`.
    pub outcome: Option<String>,
    /// SNI (`-`: none).
    pub sni: Option<String>,
    /// Text the failure reason contains (case-insensitive).
    pub failure_reason: Option<String>,
    /// Route of the first request.
    pub route_id: Option<String>,
    /// Exact listener key-exchange policy applied to the handshake, e.g. `PQC_ONLY`.
    pub policy: Option<String>,
    /// Exact client family, e.g. `curl` or `Chrome 131`.
    pub client_family: Option<String>,
}

/// A compile-checked `sqlx::$kind!` over the sessions a [`Selection`]
/// matches: the `head` literals (up to `FROM tls_sessions`), then `WHERE`
/// and the one copy of the selection's conditions (`$1`..`$14`, bound from
/// `$s`), then the `tail` literals, whose own parameters (`$15` on) are the
/// `$extra` arguments. The sqlx macros accept literals joined with `+`, so
/// the statement is still one string checked against the schema.
macro_rules! selected {
    ($kind:ident($($row:path)?), [$($head:literal),+], [$($tail:literal),+], $s:expr $(, $extra:expr)* $(,)?) => {
        sqlx::$kind!(
            $($row,)?
            $($head +)+ r#" WHERE
           ($1::text IS NULL OR gateway_id = $1)
           AND ($2::text IS NULL OR client_ip <<= $2::text::cidr)
           AND ($3::text IS NULL OR kx_group = $3)
           AND ($4::bool IS NULL OR pqc = $4)
           AND ($5::timestamptz IS NULL OR established_at >= $5)
           AND ($6::timestamptz IS NULL OR established_at < $6)
           AND ($7::text IS NULL OR protocol_version = $7)
           AND ($8::text IS NULL OR cipher_suite = $8)
           AND ($9::text IS NULL OR outcome = $9)
           AND ($10::text IS NULL OR sni IS NOT DISTINCT FROM NULLIF($10, '-'))
           AND ($11::text IS NULL OR strpos(lower(failure_reason), lower($11)) > 0)
           AND ($12::text IS NULL OR route_id = $12)
           AND ($13::text IS NULL OR policy = $13)
           AND ($14::text IS NULL OR client_family = $14)
           "# $(+ $tail)+,
            $s.gateway_id.as_deref(),
            $s.client_cidr.as_deref(),
            $s.kx_group.as_deref(),
            $s.pqc,
            $s.from,
            $s.to,
            $s.protocol_version.as_deref(),
            $s.cipher_suite.as_deref(),
            $s.outcome.as_deref(),
            $s.sni.as_deref(),
            $s.failure_reason.as_deref(),
            $s.route_id.as_deref(),
            $s.policy.as_deref(),
            $s.client_family.as_deref()
            $(, $extra)*
        )
    };
}

/// Up to `fetch` sessions of `s` after the `(established_at, id)` cursor
/// `after`, newest first (a list page, or a chunk of an export).
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn list(
    pool: &PgPool,
    s: &Selection,
    after: Option<&(DateTime<Utc>, String)>,
    fetch: i64,
) -> Result<Vec<TlsSession>, sqlx::Error> {
    selected!(
        query_as(TlsSession),
        [
            r#"SELECT id, gateway_id, host(client_ip) AS "client_ip!", sni, protocol_version,
            cipher_suite, kx_group, pqc, resumed, alpn, handshake_duration_us, established_at,
            outcome, failure_reason, offered_groups, policy, route_id, client_family,
            offered_sig_algs, cert_algorithm
         FROM tls_sessions"#
        ],
        [
            r#"AND ($15::timestamptz IS NULL OR (established_at, id) < ($15, $16))
         ORDER BY established_at DESC, id DESC LIMIT $17"#
        ],
        s,
        after.map(|a| a.0),
        after.map(|a| a.1.as_str()),
        fetch
    )
    .fetch_all(pool)
    .await
}

/// Sessions of `s`, counted up to `cap` (a filter over a table that grows
/// by every handshake must not cost a full scan per page).
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn count(pool: &PgPool, s: &Selection, cap: i64) -> Result<i64, sqlx::Error> {
    selected!(
        query_scalar(),
        [r#"SELECT count(*) AS "n!" FROM (SELECT 1 FROM tls_sessions"#],
        ["LIMIT $15) s"],
        s,
        cap
    )
    .fetch_one(pool)
    .await
}

/// A grouping key of the groups endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// The client address.
    ClientIp,
    /// The key-exchange group.
    KxGroup,
    /// The server name the client sent (SNI); sessions without one form the null group.
    Sni,
}

/// One group, with the totals over all groups repeated on every row.
#[derive(Debug)]
pub struct GroupRow {
    /// The key as text (null: none recorded).
    pub key: Option<String>,
    /// Sessions of the group that match the filter, whatever their outcome.
    pub sessions: i64,
    /// Of which established.
    pub established: i64,
    /// Of the established, post-quantum.
    pub pqc: i64,
    /// Of which refused or failed.
    pub failed: i64,
    /// Newest session.
    pub last_seen: DateTime<Utc>,
    /// Groups in all.
    pub total_groups: i64,
    /// Sessions in all groups.
    pub total_sessions: i64,
}

/// The `limit` largest groups of `s` by `by` (most sessions first, then by
/// key, null last), grouped by the database so the counts cover every
/// matching session.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn groups(
    pool: &PgPool,
    s: &Selection,
    by: GroupBy,
    limit: i64,
) -> Result<Vec<GroupRow>, sqlx::Error> {
    // The key column is spliced into one statement per key (a literal
    // each, as the macros need); ties sort by the column's own order
    // (addresses as inet, not as text).
    macro_rules! grouped {
        ($key:literal, $column:literal) => {
            selected!(
                query_as(GroupRow),
                [
                    "SELECT ",
                    $key,
                    r#" AS "key?", count(*) AS "sessions!",
                    count(*) FILTER (WHERE outcome = 'established') AS "established!",
                    count(*) FILTER (WHERE outcome = 'established' AND pqc) AS "pqc!",
                    count(*) FILTER (WHERE outcome = 'failed') AS "failed!",
                    max(established_at) AS "last_seen!",
                    count(*) OVER () AS "total_groups!",
                    (sum(count(*)) OVER ())::int8 AS "total_sessions!"
                 FROM tls_sessions"#
                ],
                [
                    "GROUP BY ",
                    $column,
                    " ORDER BY 2 DESC, ",
                    $column,
                    " NULLS LAST LIMIT $15"
                ],
                s,
                limit
            )
            .fetch_all(pool)
            .await
        };
    }
    match by {
        GroupBy::ClientIp => grouped!("host(client_ip)", "client_ip"),
        GroupBy::KxGroup => grouped!("kx_group", "kx_group"),
        GroupBy::Sni => grouped!("sni", "sni"),
    }
}

/// Established handshakes in `[from, to)` per key-exchange group, most
/// first.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn stats_by_group(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<GroupStat>, sqlx::Error> {
    sqlx::query_as!(
        GroupStat,
        r#"SELECT kx_group, count(*) AS "handshakes!", count(*) FILTER (WHERE pqc) AS "pqc!"
         FROM tls_sessions
         WHERE established_at >= $1 AND established_at < $2 AND outcome = 'established'
         GROUP BY kx_group ORDER BY 2 DESC, kx_group"#,
        from,
        to
    )
    .fetch_all(pool)
    .await
}

/// Handshakes per bucket of `bucket_secs` (aligned to the Unix epoch) in
/// `[from, to)`; empty buckets are absent.
#[tracing::instrument(level = "debug", skip(pool), err)]
pub async fn stats_buckets(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket_secs: i64,
) -> Result<Vec<BucketStat>, sqlx::Error> {
    sqlx::query_as!(
        BucketStat,
        r#"SELECT date_bin(make_interval(secs => $3::int8::float8), established_at,
                TIMESTAMPTZ '1970-01-01 00:00:00+00') AS "start!",
                count(*) FILTER (WHERE outcome = 'established') AS "handshakes!",
                count(*) FILTER (WHERE outcome = 'established' AND pqc) AS "pqc!",
                count(*) FILTER (WHERE outcome = 'failed') AS "failed!"
         FROM tls_sessions WHERE established_at >= $1 AND established_at < $2
         GROUP BY 1"#,
        from,
        to,
        bucket_secs
    )
    .fetch_all(pool)
    .await
}
