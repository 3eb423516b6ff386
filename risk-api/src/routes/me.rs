//! `GET /api/v1/me`: who the credential belongs to. The web app calls it
//! when a person signs in with a token, to check the token and to show
//! only what the role may do.

use serde::Serialize;
use shared::auth::{Admin, AuthMethod, RequireRole, RoleRequirement};
use shared::error::{ApiError, Problem};
use shared::json::AppJson;
use utoipa::ToSchema;

use super::Reader;

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// Token subject, or `service:<key name>` for an API key.
    pub subject: String,
    /// admin, operator, viewer or service.
    pub role: String,
    /// The organization the caller is confined to; `null` for admins and
    /// service clients, who see every organization.
    pub organization_id: Option<String>,
    /// May create and re-run assessments.
    pub can_write: bool,
    /// May manage organizations and verify the audit chain.
    pub is_admin: bool,
    /// jwt or api_key.
    pub method: String,
}

/// Describes the authenticated caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, body = Me), (status = 401, body = Problem)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, fields(caller = %p.subject))]
pub async fn me(RequireRole { 0: p, .. }: RequireRole<Reader>) -> Result<AppJson<Me>, ApiError> {
    Ok(AppJson(Me {
        organization_id: super::scope(&p).ok().flatten(),
        subject: p.subject,
        role: p.role.as_str().to_owned(),
        can_write: super::Writer::allows(p.role),
        is_admin: Admin::allows(p.role),
        method: match p.method {
            AuthMethod::Jwt { .. } => "jwt",
            AuthMethod::ApiKey { .. } => "api_key",
        }
        .to_owned(),
    }))
}
