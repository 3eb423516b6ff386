//! Request context every mutation records in its audit row: who (the
//! authenticated principal), from where (the client address), and which
//! request.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use shared::auth::{Principal, Role};
use shared::client_ip::ClientIp;
use shared::request_id::RequestId;

/// Request id and client address of the current request.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The request id (always present: the stack generates one).
    pub request_id: String,
    /// The client ([`shared::client_ip`]: the TCP peer, or the client a
    /// trusted proxy names); `None` when the router is driven without
    /// a socket.
    pub client_ip: Option<IpAddr>,
}

impl<S: Send + Sync> FromRequestParts<S> for Meta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let request_id = RequestId::from_request_parts(parts, state).await?;
        let client_ip = parts.extensions.get::<ClientIp>().map(|c| c.0).or_else(|| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
        });
        Ok(Self {
            request_id: request_id.as_str().to_owned(),
            client_ip,
        })
    }
}

/// Who performed an action, as written to `qsgw_audit_log`.
#[derive(Debug, Clone)]
pub struct Actor {
    /// User id, email (failed logins) or `service:<name>`.
    pub name: String,
    /// Role, when known.
    pub role: Option<Role>,
}

impl Actor {
    /// The actor for an authenticated principal.
    pub fn from_principal(p: &Principal) -> Self {
        Self {
            name: p.subject.clone(),
            role: Some(p.role),
        }
    }
}
