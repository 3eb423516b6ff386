//! Authentication and roles.
//!
//! - JWT: HS256 only. `none`, every other algorithm, a bad signature, a
//!   missing or expired `exp`, the wrong `iss` or `aud` are all 401.
//! - API keys (`X-API-Key`): compared in constant time against SHA-256
//!   digests of the configured keys; the presented key is never logged.
//! - Roles: `admin` ⊇ `operator` ⊇ `viewer`; `service` is separate
//!   (ingest/registration), and `admin` may do what `service` does.
//!
//! Handlers state what they need with [`RequireRole`]:
//! `async fn create(_: RequireRole<Operator>, ...)`.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderName};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::{ConfigError, Secret};
use crate::error::Problem;

/// Shortest accepted signing secret, in bytes.
pub const MIN_SECRET_LEN: usize = 32;
/// Clock skew tolerated on `exp`/`iat`, in seconds.
pub const LEEWAY_SECS: u64 = 30;
/// The API key header.
pub static X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");

/// A caller's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Every operation, including user management (QSGW) and every organization (QRAP).
    Admin,
    /// Writes configuration, handles threats.
    Operator,
    /// Reads only.
    Viewer,
    /// Automation: ingest and registration.
    Service,
}

impl Role {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Viewer => "viewer",
            Role::Service => "service",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Role::Admin),
            "operator" => Ok(Role::Operator),
            "viewer" => Ok(Role::Viewer),
            "service" => Ok(Role::Service),
            _ => Err(format!(
                "unknown role '{s}' (expected admin, operator, viewer or service)"
            )),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Token claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Subject: a user id, or a service name.
    pub sub: String,
    /// Role granted.
    pub role: Role,
    /// Issuer (`qsgw` for the control plane, `qrap` by default for the risk
    /// API); must match the verifier's.
    pub iss: String,
    /// Service the token is for (`qsgw-control-plane`, `qrap-api`); must match the verifier's.
    pub aud: String,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Expiry (unix seconds).
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
    /// Organization (QRAP tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// The subject's token version when the token was issued (QSGW user
    /// tokens): a token whose `ver` is older than the user's current one
    /// was revoked (password or role change, disable, logout). Absent = 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ver: Option<i64>,
}

/// Why a token or key was refused (all map to 401).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No credentials were presented.
    #[error("missing credentials: send Authorization: Bearer <token> or X-API-Key")]
    Missing,
    /// The Authorization header is not `Bearer <token>`.
    #[error("malformed Authorization header, expected 'Bearer <token>'")]
    Malformed,
    /// The token failed validation.
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
    /// The API key is unknown.
    #[error("invalid API key")]
    InvalidApiKey,
}

impl From<AuthError> for Problem {
    fn from(e: AuthError) -> Self {
        let mut p = Problem::unauthorized(e.to_string());
        if matches!(e, AuthError::InvalidToken(_)) {
            p.www_authenticate = Some("Bearer error=\"invalid_token\"".to_owned());
        }
        p
    }
}

/// HS256 signing and strict validation.
#[derive(Clone)]
pub struct JwtKeys {
    enc: EncodingKey,
    dec: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKeys")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl JwtKeys {
    /// Builds keys from `secret` (named `var` in errors); refuses secrets
    /// shorter than [`MIN_SECRET_LEN`] bytes.
    pub fn new(
        var: &str,
        secret: &Secret,
        issuer: &str,
        audience: &str,
        ttl: Duration,
    ) -> Result<Self, ConfigError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(ConfigError::new(
                var,
                format!(
                    "must be at least {MIN_SECRET_LEN} bytes long (got {})",
                    secret.len()
                ),
            ));
        }
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        Ok(Self {
            enc: EncodingKey::from_secret(secret.expose().as_bytes()),
            dec: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl,
        })
    }

    /// Issuer set on issued tokens.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Token lifetime.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issues a token for `sub` with `role` (and `org` for QRAP).
    pub fn issue(
        &self,
        sub: &str,
        role: Role,
        org: Option<&str>,
    ) -> Result<(String, Claims), Problem> {
        self.issue_with(sub, role, org, None, self.ttl)
    }

    /// Issues a token carrying the subject's token version `ver` and
    /// living `ttl` (QSGW access and refresh tokens).
    pub fn issue_with(
        &self,
        sub: &str,
        role: Role,
        org: Option<&str>,
        ver: Option<i64>,
        ttl: Duration,
    ) -> Result<(String, Claims), Problem> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: sub.to_owned(),
            role,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + i64::try_from(ttl.as_secs()).unwrap_or(3600),
            jti: uuid::Uuid::new_v4().simple().to_string(),
            org: org.map(str::to_owned),
            ver,
        };
        let token = self.sign(&claims)?;
        Ok((token, claims))
    }

    /// Signs arbitrary claims (tests use this to craft expired tokens).
    pub fn sign(&self, claims: &Claims) -> Result<String, Problem> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.enc)
            .map_err(Problem::internal)
    }

    /// Validates a token and returns its claims.
    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        use jsonwebtoken::errors::ErrorKind as K;
        // Checked before jsonwebtoken so "alg":"none" gets a precise message.
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| AuthError::InvalidToken("malformed token"))?;
        if header.alg != Algorithm::HS256 {
            return Err(AuthError::InvalidToken("algorithm not allowed"));
        }
        jsonwebtoken::decode::<Claims>(token, &self.dec, &self.validation)
            .map(|d| d.claims)
            .map_err(|e| {
                AuthError::InvalidToken(match e.kind() {
                    K::ExpiredSignature => "token expired",
                    K::InvalidIssuer => "wrong issuer",
                    K::InvalidAudience => "wrong audience",
                    K::InvalidSignature => "bad signature",
                    K::ImmatureSignature => "token not yet valid",
                    K::InvalidAlgorithm => "algorithm not allowed",
                    K::MissingRequiredClaim(_) => "missing required claim",
                    _ => "malformed token",
                })
            })
    }
}

/// A set of API keys, each with a name for audit.
#[derive(Clone, Default)]
pub struct ApiKeys {
    keys: Vec<ApiKeyEntry>,
}

/// One configured key: its name, the SHA-256 of its value, the
/// organization it is confined to (QRAP's `key:name@org_…`) and the role it
/// grants (`service` unless [`ApiKeys::with_role`] says otherwise: QSGW's
/// read-only keys for machine readers such as QRAP are `viewer`).
#[derive(Clone)]
struct ApiKeyEntry {
    name: String,
    digest: [u8; 32],
    org: Option<String>,
    role: Role,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.keys.iter().map(|k| k.name.as_str()).collect();
        f.debug_struct("ApiKeys").field("names", &names).finish()
    }
}

impl ApiKeys {
    /// Shortest accepted key.
    pub const MIN_LEN: usize = 16;

    /// Parses `key[:name[@org]],key2[:name2]` (named `var` in errors).
    /// Unnamed keys are called `key1`, `key2`, …; `@org_…` confines the key
    /// to one organization (QRAP tenancy).
    pub fn parse(var: &str, spec: &Secret) -> Result<Self, ConfigError> {
        let mut keys = Vec::new();
        for (i, item) in spec.expose().split(',').map(str::trim).enumerate() {
            if item.is_empty() {
                continue;
            }
            let (key, label) = match item.rsplit_once(':') {
                Some((k, n)) if !n.is_empty() && !k.is_empty() => (k, n),
                _ => (item, ""),
            };
            let (name, org) = match label.split_once('@') {
                Some((n, o)) => {
                    if crate::ids::OrgId::parse(o).is_err() {
                        return Err(ConfigError::new(
                            var,
                            format!("key '{n}': '@{o}' is not an organization id (org_ + 32 hex)"),
                        ));
                    }
                    (n.to_owned(), Some(o.to_owned()))
                }
                None => (label.to_owned(), None),
            };
            let name = if name.is_empty() {
                format!("key{}", i + 1)
            } else {
                name
            };
            if key.len() < Self::MIN_LEN {
                return Err(ConfigError::new(
                    var,
                    format!("key '{name}' is shorter than {} bytes", Self::MIN_LEN),
                ));
            }
            keys.push(ApiKeyEntry {
                name,
                digest: digest(key),
                org,
                role: Role::Service,
            });
        }
        Ok(Self { keys })
    }

    /// A single unnamed key (QSGW's `QSGW_API_KEY`), called `name`.
    pub fn single(var: &str, key: &Secret, name: &str) -> Result<Self, ConfigError> {
        if key.len() < Self::MIN_LEN {
            return Err(ConfigError::new(
                var,
                format!("must be at least {} bytes long", Self::MIN_LEN),
            ));
        }
        Ok(Self {
            keys: vec![ApiKeyEntry {
                name: name.to_owned(),
                digest: digest(key.expose()),
                org: None,
                role: Role::Service,
            }],
        })
    }

    /// The same keys granting `role` instead of `service` (QSGW's
    /// `QSGW_VIEWER_API_KEYS`: read-only keys that cannot ingest or write).
    #[must_use]
    pub fn with_role(mut self, role: Role) -> Self {
        for k in &mut self.keys {
            k.role = role;
        }
        self
    }

    /// Adds `other`'s keys (each keeps its role). A name given twice is
    /// refused, so the audit log's `service:<name>` names one key.
    pub fn merge(mut self, var: &str, other: Self) -> Result<Self, ConfigError> {
        for k in other.keys {
            if self.keys.iter().any(|e| e.name == k.name) {
                return Err(ConfigError::new(
                    var,
                    format!("key name '{}' is already used by another key", k.name),
                ));
            }
            if self.keys.iter().any(|e| e.digest == k.digest) {
                return Err(ConfigError::new(
                    var,
                    format!("key '{}' has the value of another configured key", k.name),
                ));
            }
            self.keys.push(k);
        }
        Ok(self)
    }

    /// Whether no key is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The name of the matching key. Every configured key is compared (no
    /// early exit) and each comparison is constant time.
    pub fn verify(&self, presented: &str) -> Option<&str> {
        self.verify_scoped(presented).map(|(name, _)| name)
    }

    /// The name and organization of the matching key (see [`Self::verify`]).
    pub fn verify_scoped(&self, presented: &str) -> Option<(&str, Option<&str>)> {
        self.verify_entry(presented)
            .map(|(name, org, _)| (name, org))
    }

    /// The name, organization and role of the matching key (see
    /// [`Self::verify`]).
    pub fn verify_entry(&self, presented: &str) -> Option<(&str, Option<&str>, Role)> {
        let d = digest(presented);
        let mut found = None;
        for k in &self.keys {
            if bool::from(k.digest.ct_eq(&d)) {
                found = Some((k.name.as_str(), k.org.as_deref(), k.role));
            }
        }
        found
    }
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

/// How a principal authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// A bearer token, with its `jti`.
    Jwt {
        /// Token id.
        jti: String,
    },
    /// An API key, with its configured name.
    ApiKey {
        /// Key name.
        name: String,
    },
}

/// The authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// User id or `service:<key name>`.
    pub subject: String,
    /// Granted role.
    pub role: Role,
    /// Organization (QRAP).
    pub org: Option<String>,
    /// Credential used.
    pub method: AuthMethod,
    /// Token version (`ver` claim) of a JWT; 0 when absent or for API keys.
    pub token_version: i64,
    /// Expiry (unix seconds) of a JWT; `None` for API keys.
    pub expires_at: Option<i64>,
}

/// Everything needed to authenticate a request; put it in the router state
/// behind an `Arc` and implement `FromRef`.
#[derive(Debug, Clone)]
pub struct Authenticator {
    /// Token keys.
    pub jwt: JwtKeys,
    /// Accepted API keys (role `service`, or the role each key was given
    /// with [`ApiKeys::with_role`]).
    pub api_keys: ApiKeys,
}

impl Authenticator {
    /// The principal of `req`: the one an earlier layer already
    /// authenticated (kept in its extensions), else authenticated now and
    /// kept there, so the rate limit, the revocation layers and the
    /// extractors verify a credential once per request.
    pub fn authenticate_request(
        &self,
        req: &mut axum::extract::Request,
    ) -> Result<Principal, AuthError> {
        if let Some(p) = req.extensions().get::<Principal>() {
            return Ok(p.clone());
        }
        let principal = self.authenticate(req.headers())?;
        tracing::Span::current().record("actor", principal.subject.as_str());
        req.extensions_mut().insert(principal.clone());
        Ok(principal)
    }

    /// Authenticates from request headers.
    pub fn authenticate(&self, headers: &axum::http::HeaderMap) -> Result<Principal, AuthError> {
        if let Some(value) = headers.get(header::AUTHORIZATION) {
            let text = value.to_str().map_err(|_| AuthError::Malformed)?;
            let token = text
                .strip_prefix("Bearer ")
                .or_else(|| text.strip_prefix("bearer "))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or(AuthError::Malformed)?;
            let claims = self.jwt.verify(token)?;
            return Ok(Principal {
                subject: claims.sub,
                role: claims.role,
                org: claims.org,
                method: AuthMethod::Jwt { jti: claims.jti },
                token_version: claims.ver.unwrap_or(0),
                expires_at: Some(claims.exp),
            });
        }
        if let Some(value) = headers.get(&X_API_KEY) {
            let key = value.to_str().map_err(|_| AuthError::InvalidApiKey)?;
            let (name, org, role) = self
                .api_keys
                .verify_entry(key)
                .ok_or(AuthError::InvalidApiKey)?;
            return Ok(Principal {
                subject: format!("service:{name}"),
                role,
                org: org.map(str::to_owned),
                method: AuthMethod::ApiKey {
                    name: name.to_owned(),
                },
                token_version: 0,
                expires_at: None,
            });
        }
        Err(AuthError::Missing)
    }
}

impl<S> FromRequestParts<S> for Principal
where
    Arc<Authenticator>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(p) = parts.extensions.get::<Principal>() {
            return Ok(p.clone());
        }
        let auth = Arc::<Authenticator>::from_ref(state);
        let principal = auth.authenticate(&parts.headers)?;
        tracing::Span::current().record("actor", principal.subject.as_str());
        parts.extensions.insert(principal.clone());
        Ok(principal)
    }
}

/// A role requirement, used as `RequireRole<Operator>`.
pub trait RoleRequirement: Send + Sync + 'static {
    /// Name shown in 403 messages.
    const NAME: &'static str;
    /// Whether `role` satisfies the requirement.
    fn allows(role: Role) -> bool;
}

/// Only `admin`.
#[derive(Debug)]
pub struct Admin;
/// `operator` or `admin`.
#[derive(Debug)]
pub struct Operator;
/// Any human role: `viewer`, `operator`, `admin`.
#[derive(Debug)]
pub struct Viewer;
/// `service` or `admin`.
#[derive(Debug)]
pub struct Service;

impl RoleRequirement for Admin {
    const NAME: &'static str = "admin";
    fn allows(role: Role) -> bool {
        role == Role::Admin
    }
}
impl RoleRequirement for Operator {
    const NAME: &'static str = "operator";
    fn allows(role: Role) -> bool {
        matches!(role, Role::Admin | Role::Operator)
    }
}
impl RoleRequirement for Viewer {
    const NAME: &'static str = "viewer";
    fn allows(role: Role) -> bool {
        matches!(role, Role::Admin | Role::Operator | Role::Viewer)
    }
}
impl RoleRequirement for Service {
    const NAME: &'static str = "service";
    fn allows(role: Role) -> bool {
        matches!(role, Role::Admin | Role::Service)
    }
}

/// Extractor: an authenticated principal whose role satisfies `R`
/// (401 when unauthenticated, 403 when the role is insufficient).
#[derive(Debug)]
pub struct RequireRole<R: RoleRequirement>(pub Principal, PhantomData<R>);

impl<R: RoleRequirement> RequireRole<R> {
    /// The authenticated caller (user or service key) whose role passed
    /// `R`'s check.
    pub fn principal(&self) -> &Principal {
        &self.0
    }
}

impl<S, R> FromRequestParts<S> for RequireRole<R>
where
    R: RoleRequirement,
    Arc<Authenticator>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let principal = Principal::from_request_parts(parts, state).await?;
        if R::allows(principal.role) {
            Ok(RequireRole(principal, PhantomData))
        } else {
            Err(Problem::forbidden(format!(
                "this operation requires the {} role",
                R::NAME
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    const SECRET: &str = "0123456789abcdef0123456789abcdef-unit";

    fn keys() -> JwtKeys {
        JwtKeys::new(
            "T_SECRET",
            &Secret::new(SECRET),
            "qsgw",
            "qsgw-api",
            Duration::from_secs(600),
        )
        .unwrap()
    }

    fn claims(k: &JwtKeys) -> Claims {
        k.issue("usr_1", Role::Operator, None).unwrap().1
    }

    #[test]
    fn valid_token_round_trips() {
        let k = keys();
        let (token, c) = k.issue("usr_1", Role::Viewer, Some("org_1")).unwrap();
        assert_eq!(k.verify(&token).unwrap(), c);
    }

    #[test]
    fn short_secret_refused() {
        let e = JwtKeys::new(
            "T_SECRET",
            &Secret::new("short"),
            "i",
            "a",
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert_eq!(e.var, "T_SECRET");
    }

    #[test]
    fn alg_none_rejected() {
        let k = keys();
        let c = claims(&k);
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&c).unwrap());
        for token in [format!("{header}.{body}."), format!("{header}.{body}")] {
            assert!(
                matches!(k.verify(&token), Err(AuthError::InvalidToken(_))),
                "{token}"
            );
        }
    }

    #[test]
    fn other_algorithms_rejected() {
        let k = keys();
        let c = claims(&k);
        for alg in [Algorithm::HS384, Algorithm::HS512] {
            let t = jsonwebtoken::encode(
                &Header::new(alg),
                &c,
                &EncodingKey::from_secret(SECRET.as_bytes()),
            )
            .unwrap();
            assert_eq!(
                k.verify(&t),
                Err(AuthError::InvalidToken("algorithm not allowed"))
            );
        }
    }

    #[test]
    fn expired_wrong_iss_aud_and_tampered_rejected() {
        let k = keys();
        let mut c = claims(&k);
        c.exp = chrono::Utc::now().timestamp() - 120;
        assert_eq!(
            k.verify(&k.sign(&c).unwrap()),
            Err(AuthError::InvalidToken("token expired"))
        );

        let mut c = claims(&k);
        c.iss = "someone-else".into();
        assert_eq!(
            k.verify(&k.sign(&c).unwrap()),
            Err(AuthError::InvalidToken("wrong issuer"))
        );

        let mut c = claims(&k);
        c.aud = "other-api".into();
        assert_eq!(
            k.verify(&k.sign(&c).unwrap()),
            Err(AuthError::InvalidToken("wrong audience"))
        );

        // Tamper: swap the role in the payload, keep the signature.
        let c = claims(&k);
        let token = k.sign(&c).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let mut forged = c.clone();
        forged.role = Role::Admin;
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        let tampered = format!("{}.{}.{}", parts[0], body, parts[2]);
        assert_eq!(
            k.verify(&tampered),
            Err(AuthError::InvalidToken("bad signature"))
        );

        // Signed with another secret.
        let other = JwtKeys::new(
            "X",
            &Secret::new("another-secret-that-is-long-enough!!"),
            "qsgw",
            "qsgw-api",
            Duration::from_secs(60),
        )
        .unwrap();
        assert_eq!(
            k.verify(&other.sign(&c).unwrap()),
            Err(AuthError::InvalidToken("bad signature"))
        );
        assert!(k.verify("garbage").is_err());
    }

    #[test]
    fn api_keys_match_by_name() {
        let keys =
            ApiKeys::parse("K", &Secret::new("aaaaaaaaaaaaaaaa1:ci, bbbbbbbbbbbbbbbb2")).unwrap();
        assert_eq!(keys.verify("aaaaaaaaaaaaaaaa1"), Some("ci"));
        assert_eq!(keys.verify("bbbbbbbbbbbbbbbb2"), Some("key2"));
        assert_eq!(keys.verify("aaaaaaaaaaaaaaaa"), None);
        assert_eq!(keys.verify(""), None);
        assert!(ApiKeys::parse("K", &Secret::new("short")).is_err());
    }

    #[test]
    fn api_keys_bound_to_an_organization() {
        let org = crate::ids::OrgId::new();
        let spec = format!(
            "aaaaaaaaaaaaaaaa1:ci@{},bbbbbbbbbbbbbbbb2:all",
            org.as_str()
        );
        let keys = ApiKeys::parse("K", &Secret::new(spec)).unwrap();
        assert_eq!(
            keys.verify_scoped("aaaaaaaaaaaaaaaa1"),
            Some(("ci", Some(org.as_str())))
        );
        assert_eq!(keys.verify_scoped("bbbbbbbbbbbbbbbb2"), Some(("all", None)));
        let e = ApiKeys::parse("K", &Secret::new("aaaaaaaaaaaaaaaa1:ci@acme")).unwrap_err();
        assert_eq!(e.var, "K");
    }

    #[test]
    fn api_keys_carry_their_role() {
        let service = ApiKeys::single("S", &Secret::new("ssssssssssssssss1"), "gateway").unwrap();
        let viewers = ApiKeys::parse("V", &Secret::new("vvvvvvvvvvvvvvvv1:qrap"))
            .unwrap()
            .with_role(Role::Viewer);
        let keys = service.merge("V", viewers).unwrap();
        assert_eq!(
            keys.verify_entry("ssssssssssssssss1"),
            Some(("gateway", None, Role::Service))
        );
        assert_eq!(
            keys.verify_entry("vvvvvvvvvvvvvvvv1"),
            Some(("qrap", None, Role::Viewer))
        );
        // The same name or the same value twice is refused.
        let dup = ApiKeys::parse("V", &Secret::new("wwwwwwwwwwwwwwww1:gateway")).unwrap();
        assert_eq!(keys.clone().merge("V", dup).unwrap_err().var, "V");
        let same = ApiKeys::parse("V", &Secret::new("ssssssssssssssss1:other")).unwrap();
        assert_eq!(keys.merge("V", same).unwrap_err().var, "V");
    }

    #[test]
    fn role_hierarchy() {
        assert!(Operator::allows(Role::Admin) && Operator::allows(Role::Operator));
        assert!(!Operator::allows(Role::Viewer) && !Operator::allows(Role::Service));
        assert!(Viewer::allows(Role::Viewer) && !Viewer::allows(Role::Service));
        assert!(Service::allows(Role::Service) && Service::allows(Role::Admin));
        assert!(!Service::allows(Role::Operator));
        assert!(!Admin::allows(Role::Operator));
    }
}
