//! Facts about an established TLS connection: protocol, suite, group,
//! ALPN, SNI and the verified client certificate, read once after the
//! handshake and carried by the connection.

use rustls::server::ServerConnection;

use super::certs::CertInfo;
use super::names::{group_name, is_post_quantum};

/// Facts about an established TLS connection. Static names (no heap) for
/// everything but the SNI: it lives as long as the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFacts {
    /// `TLSv1.3` or `TLSv1.2`.
    pub protocol: &'static str,
    /// Cipher suite name.
    pub cipher_suite: &'static str,
    /// Key-exchange group name.
    pub kx_group: &'static str,
    /// Whether the group is post-quantum.
    pub pqc: bool,
    /// Negotiated ALPN protocol (`h2` or `http/1.1`, the two offered).
    pub alpn: Option<&'static str>,
    /// SNI sent by the client, lowercase.
    pub sni: Option<String>,
    /// The verified client certificate (mutual TLS at the edge): its
    /// subject DN and public-key algorithm, forwarded to upstreams.
    pub client_cert: Option<ClientCert>,
}

/// A client certificate the listener verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCert {
    /// Subject DN (RFC 4514 string), as an `X-Client-Cert-Subject` value.
    pub subject: http::HeaderValue,
    /// Public-key algorithm ([`super::certs::cert_algorithm`]).
    pub algorithm: &'static str,
}

impl TlsFacts {
    /// Reads the facts from a finished handshake.
    pub fn of(conn: &ServerConnection) -> Self {
        let group = conn.negotiated_key_exchange_group().map(|g| g.name());
        Self {
            protocol: match conn.protocol_version() {
                Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
                Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
                _ => "unknown",
            },
            cipher_suite: conn
                .negotiated_cipher_suite()
                .and_then(|s| s.suite().as_str())
                .unwrap_or("unknown"),
            kx_group: group.map_or("unknown", group_name),
            pqc: group.is_some_and(is_post_quantum),
            alpn: match conn.alpn_protocol() {
                Some(b"h2") => Some("h2"),
                Some(b"http/1.1") => Some("http/1.1"),
                _ => None,
            },
            sni: conn.server_name().map(str::to_ascii_lowercase),
            client_cert: conn
                .peer_certificates()
                .and_then(|c| c.first())
                .and_then(|leaf| {
                    let info = CertInfo::of(leaf)?;
                    // A DN with bytes a header cannot carry is replaced,
                    // never passed through.
                    let subject = http::HeaderValue::from_str(&info.subject)
                        .unwrap_or_else(|_| http::HeaderValue::from_static("(unrepresentable)"));
                    Some(ClientCert {
                        subject,
                        algorithm: info.public_key_algorithm,
                    })
                }),
        }
    }
}
