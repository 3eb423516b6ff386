//! The control plane's SQL, one module per resource. Handlers, the
//! publisher and the background workers call these functions and never
//! write SQL themselves, so every statement of the service is in this
//! directory, checked at compile time against `migrations/qsgw` by the
//! `sqlx::query!` macros (offline data in the workspace `.sqlx/`,
//! `scripts/sqlx.sh prepare` regenerates it, `make lint` fails when stale).
//!
//! Functions that take part in a mutation take `&mut PgConnection` (pass
//! the mutation's transaction, so the change commits or rolls back with its
//! audit row); reads outside a mutation take `&PgPool`. Errors are
//! `sqlx::Error`, mapped to a problem once by [`shared::error::ApiError`].
//!
//! No statement is built at run time: an optional filter is a static
//! `($n::text IS NULL OR column = $n)` condition, a bucket width a bound
//! parameter of `date_bin`, and a choice among columns (a grouping key, a
//! label) one static statement per choice behind an enum. The one piece of
//! SQL outside this directory is the embedded migrator
//! ([`crate::MIGRATOR`]).

pub mod audit_log;
pub mod cbom;
pub mod config;
pub mod exposure;
pub mod gateways;
pub mod idempotency;
pub mod ingest;
pub mod posture;
pub mod retention;
pub mod routes;
pub mod threats;
pub mod tls_sessions;
pub mod upstreams;
pub mod users;
pub mod webhooks;

use chrono::{DateTime, Utc};
use shared::error::Problem;
use shared::pagination::PageParams;

/// Where a newest-first list resumes: after the row `(created_at, id)` of
/// the previous page's last item (none: from the top), and how many rows to
/// read — one more than the page holds, so `Page::from_overfetch` knows
/// whether another page follows. Every `created_at DESC, id DESC` list
/// (routes, upstreams, users, gateways) pages with it, so the cursor format
/// and the `(created_at, id) < ($1, $2)` condition are the same everywhere.
#[derive(Debug, Clone)]
pub struct Keyset {
    /// `created_at` of the last row already returned.
    pub at: Option<DateTime<Utc>>,
    /// `id` of that row (ties on `created_at` are broken by id).
    pub id: Option<String>,
    /// Rows to fetch: the page size plus one.
    pub fetch: i64,
}

impl Keyset {
    /// The keyset of a request's `limit` and `cursor`, with the page size
    /// (`limit` is checked first, as every list always did).
    pub fn from_page(page: &PageParams) -> Result<(Self, u32), Problem> {
        let limit = page.limit()?;
        let cursor: Option<(DateTime<Utc>, String)> = page.cursor()?;
        let (at, id) = cursor.unzip();
        Ok((
            Self {
                at,
                id,
                fetch: i64::from(limit) + 1,
            },
            limit,
        ))
    }
}
