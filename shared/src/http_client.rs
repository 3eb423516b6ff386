//! The outgoing HTTP client: connect and total timeouts on every call, and
//! the current request id forwarded as `X-Request-Id`.

use std::time::Duration;

use reqwest::{Method, RequestBuilder};

use crate::request_id::{self, RequestId, X_REQUEST_ID};

/// Timeouts and `User-Agent` of an [`HttpClient`]; [`ClientSettings::new`]
/// gives 2 s to connect and 10 s for the whole call.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    /// TCP/TLS connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout (headers and body).
    pub timeout: Duration,
    /// `User-Agent`, e.g. `quantun-gateway/0.1.0`.
    pub user_agent: String,
}

impl ClientSettings {
    /// Defaults: 2 s connect, 10 s total.
    pub fn new(user_agent: impl Into<String>) -> Self {
        Self {
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(10),
            user_agent: user_agent.into(),
        }
    }
}

/// A cheap-to-clone client for calls between services.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
}

impl HttpClient {
    /// Builds a client. TLS uses the process-wide rustls provider, installed
    /// here if nothing installed one yet (reqwest would panic otherwise).
    pub fn new(settings: &ClientSettings) -> Result<Self, reqwest::Error> {
        crate::server::install_crypto_provider();
        let inner = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .user_agent(settings.user_agent.clone())
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        Ok(Self { inner })
    }

    /// Starts a request carrying the current request id (or a fresh one when
    /// called outside a request, so the callee's logs still correlate).
    pub fn request(&self, method: Method, url: &str) -> RequestBuilder {
        let id = request_id::current().unwrap_or_else(RequestId::generate);
        self.inner
            .request(method, url)
            .header(X_REQUEST_ID.as_str(), id.as_str())
    }

    /// `GET url`.
    pub fn get(&self, url: &str) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    /// `POST url`.
    pub fn post(&self, url: &str) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    /// The underlying client.
    pub fn inner(&self) -> &reqwest::Client {
        &self.inner
    }
}
