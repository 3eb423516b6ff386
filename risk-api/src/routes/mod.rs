//! HTTP handlers and what they share: role requirements that admit API-key
//! service clients, the tenancy scope of a caller, and the audit actor.

pub mod assessments;
pub mod audit;
pub mod export;
pub mod findings;
pub mod me;
pub mod organizations;
pub mod reports;
pub mod tokens;
pub mod trends;
pub mod triage;

use shared::auth::{Principal, Role, RoleRequirement};
use shared::error::Problem;

use crate::repo::Actor;

/// Any caller: viewer, operator, admin, or an API-key service client.
#[derive(Debug)]
pub struct Reader;
impl RoleRequirement for Reader {
    const NAME: &'static str = "viewer";
    fn allows(_role: Role) -> bool {
        true
    }
}

/// Callers that may create and re-run assessments: operator, admin, service.
#[derive(Debug)]
pub struct Writer;
impl RoleRequirement for Writer {
    const NAME: &'static str = "operator";
    fn allows(role: Role) -> bool {
        matches!(role, Role::Admin | Role::Operator | Role::Service)
    }
}

/// The organization a caller is confined to. Tenant scope is a property of
/// the credential, not of the role: any token or API key carrying `org` is
/// confined to that organization whatever its role (an `admin` with `org`
/// administers one tenant). Only a credential without `org` and role
/// `admin` — a platform admin — crosses organizations (`None`); any other
/// credential without `org` sees nothing (403).
pub fn scope(p: &Principal) -> Result<Option<String>, Problem> {
    match (&p.org, p.role) {
        (Some(o), _) => shared::ids::OrgId::parse(o)
            .map(|_| Some(o.clone()))
            .map_err(|_| Problem::forbidden("the token's organization (org claim) is malformed")),
        (None, Role::Admin) => Ok(None),
        (None, _) => Err(Problem::forbidden(
            "the credential carries no organization (org claim, or key:name@org_… for API keys)",
        )),
    }
}

/// Refuses anyone but a platform admin (role `admin`, no `org`): creating
/// and deleting organizations and verifying the whole audit chain act
/// across tenants.
pub fn platform_admin(p: &Principal) -> Result<(), Problem> {
    if p.role == Role::Admin && p.org.is_none() {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "this operation requires a platform admin token (role admin without an organization)",
        ))
    }
}

/// The audit actor for a request. The request id is the one the shared
/// middleware accepted or generated and echoed to the client (never the raw
/// `X-Request-Id` header, which may be malformed, oversized or absent), so
/// an audit row names the id the caller saw, as the control plane's do.
pub fn actor(p: &Principal) -> Actor {
    Actor {
        subject: p.subject.chars().take(320).collect(),
        role: Some(p.role.as_str()),
        request_id: shared::request_id::current().map(|id| id.as_str().to_owned()),
    }
}

/// An id path segment; a malformed one is as absent as another org's (404
/// "`what` not found", through [`shared::ids::path_id`], the copy the
/// control plane uses too).
pub fn parse_id<T>(
    raw: &str,
    parse: fn(&str) -> Result<T, shared::ids::InvalidId>,
    what: &str,
) -> Result<T, Problem> {
    shared::ids::path_id(raw, parse, format!("{what} not found"))
}

/// Offset cursors: result sets here are per-assessment or per-tenant and
/// sorted by several keys, so an offset is simple and stable enough.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct OffsetCursor {
    /// Rows to skip.
    pub o: i64,
}

/// Decodes a page request into (limit, offset).
pub fn page(limit: Option<u32>, cursor: Option<String>) -> Result<(u32, i64), Problem> {
    let p = shared::pagination::PageParams { limit, cursor };
    let l = p.limit()?;
    let o = p.cursor::<OffsetCursor>()?.map_or(0, |c| c.o.max(0));
    Ok((l, o))
}

/// [`page_of`] with the total of every page (what the web app's lists show
/// as "N match"; issue 21 item 6). Counted exactly (these lists are bounded
/// by tenant and assessment), so `total_capped` stays false.
pub fn counted_page<T>(
    rows: Vec<T>,
    limit: u32,
    offset: i64,
    total: i64,
) -> shared::pagination::CountedPage<T> {
    page_of(rows, limit, offset).with_total(total, i64::MAX)
}

/// Builds a page from `limit + 1` rows fetched at `offset`.
pub fn page_of<T>(rows: Vec<T>, limit: u32, offset: i64) -> shared::pagination::Page<T> {
    let n = i64::from(limit);
    shared::pagination::Page::from_overfetch(rows, limit, |_| OffsetCursor { o: offset + n })
}
