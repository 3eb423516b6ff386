//! PROXY protocol version 2 (the binary header a load balancer sends
//! before the TLS handshake to say whom the connection is from), as
//! specified in HAProxy's `proxy-protocol.txt` §2.2. With
//! `QSGW_PROXY_PROTOCOL=v2` every connection must start with it, and it is
//! believed only from `QSGW_TRUSTED_PROXIES`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use tokio::io::{AsyncRead, AsyncReadExt};

/// The 12-byte signature opening every v2 header (§2.2).
pub const SIGNATURE: [u8; 12] = [
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
];

/// Longest address block accepted (addresses plus TLVs); the protocol
/// allows 65,535, no load balancer sends more than a few hundred.
pub const MAX_LEN: usize = 2048;

/// Why a connection's PROXY header was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// Not the v2 signature.
    Signature,
    /// Version other than 2, or an unknown command.
    Version,
    /// An address block shorter than its family needs, or too long.
    Length,
    /// The connection closed or failed mid-header.
    Io,
}

impl HeaderError {
    /// Metric label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Signature => "signature",
            Self::Version => "version",
            Self::Length => "length",
            Self::Io => "io",
        }
    }
}

/// Reads one v2 header, exactly (nothing after it is consumed). Returns
/// the source address of a `PROXY` command over TCP/IPv4 or IPv6; `None`
/// for `LOCAL` (the balancer's own health check) or an unspecified family,
/// where the TCP peer stands.
pub async fn read_v2<R: AsyncRead + Unpin>(r: &mut R) -> Result<Option<SocketAddr>, HeaderError> {
    let mut head = [0u8; 16];
    r.read_exact(&mut head).await.map_err(|_| HeaderError::Io)?;
    if head[..12] != SIGNATURE {
        return Err(HeaderError::Signature);
    }
    let version = head[12] >> 4;
    let command = head[12] & 0x0F;
    if version != 2 || command > 1 {
        return Err(HeaderError::Version);
    }
    let len = usize::from(u16::from_be_bytes([head[14], head[15]]));
    if len > MAX_LEN {
        return Err(HeaderError::Length);
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).await.map_err(|_| HeaderError::Io)?;
    if command == 0 {
        return Ok(None);
    }
    let family = head[13] >> 4;
    let transport = head[13] & 0x0F;
    if transport != 1 {
        // Only TCP (STREAM) carries a client address we can use.
        return Ok(None);
    }
    match family {
        1 => {
            let a = body.get(..12).ok_or(HeaderError::Length)?;
            let ip = Ipv4Addr::new(a[0], a[1], a[2], a[3]);
            let port = u16::from_be_bytes([a[8], a[9]]);
            Ok(Some(SocketAddr::new(IpAddr::V4(ip), port)))
        }
        2 => {
            let a = body.get(..36).ok_or(HeaderError::Length)?;
            let mut octets = [0u8; 16];
            octets.copy_from_slice(&a[..16]);
            let port = u16::from_be_bytes([a[32], a[33]]);
            Ok(Some(SocketAddr::new(
                IpAddr::V6(Ipv6Addr::from(octets)),
                port,
            )))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header built field by field from proxy-protocol.txt §2.2.
    fn header(ver_cmd: u8, fam: u8, addr: &[u8]) -> Vec<u8> {
        let mut h = SIGNATURE.to_vec();
        h.push(ver_cmd);
        h.push(fam);
        h.extend_from_slice(&u16::try_from(addr.len()).unwrap().to_be_bytes());
        h.extend_from_slice(addr);
        h
    }

    #[tokio::test]
    async fn reads_tcp4_tcp6_and_local_and_nothing_more() {
        // \x21 = version 2, PROXY; \x11 = AF_INET, STREAM; 203.0.113.7:51000
        // → 198.51.100.1:443.
        let mut addr = vec![203, 0, 113, 7, 198, 51, 100, 1];
        addr.extend_from_slice(&51000u16.to_be_bytes());
        addr.extend_from_slice(&443u16.to_be_bytes());
        let mut bytes = header(0x21, 0x11, &addr);
        bytes.extend_from_slice(b"\x16\x03\x01");
        let mut r = &bytes[..];
        assert_eq!(
            read_v2(&mut r).await,
            Ok(Some("203.0.113.7:51000".parse().unwrap()))
        );
        assert_eq!(r, b"\x16\x03\x01", "the TLS bytes after it are untouched");
        // \x21\x21: AF_INET6, STREAM, with a TLV after the addresses.
        let src: Ipv6Addr = "2001:db8::7".parse().unwrap();
        let mut addr6 = src.octets().to_vec();
        addr6.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        addr6.extend_from_slice(&4000u16.to_be_bytes());
        addr6.extend_from_slice(&443u16.to_be_bytes());
        addr6.extend_from_slice(&[0x04, 0x00, 0x01, 0x00]); // PP2_TYPE_NOOP
        let bytes = header(0x21, 0x21, &addr6);
        assert_eq!(
            read_v2(&mut &bytes[..]).await,
            Ok(Some("[2001:db8::7]:4000".parse().unwrap()))
        );
        // \x20 = LOCAL: the peer stands.
        let bytes = header(0x20, 0x00, &[]);
        assert_eq!(read_v2(&mut &bytes[..]).await, Ok(None));
    }

    #[tokio::test]
    async fn malformed_headers_are_refused() {
        assert_eq!(
            read_v2(&mut &b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"[..]).await,
            Err(HeaderError::Signature),
            "v1 text is not v2"
        );
        let bytes = header(0x11, 0x11, &[0; 12]);
        assert_eq!(read_v2(&mut &bytes[..]).await, Err(HeaderError::Version));
        let bytes = header(0x21, 0x11, &[0; 4]);
        assert_eq!(read_v2(&mut &bytes[..]).await, Err(HeaderError::Length));
        let bytes = header(0x21, 0x11, &[0; 12]);
        assert_eq!(
            read_v2(&mut &bytes[..10]).await,
            Err(HeaderError::Io),
            "cut short"
        );
    }
}
