//! Field checks shared by the resources, collecting every error at once.

use std::net::IpAddr;

use shared::error::{FieldError, Problem};

/// Accumulates field errors.
#[derive(Debug, Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    /// Adds an error on `field`.
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    /// Checks `value` is within `min..=max`, returning it (clamped only on error paths).
    pub fn range(&mut self, field: &str, value: i64, min: i64, max: i64) -> i32 {
        if value < min || value > max {
            self.add(field, format!("must be between {min} and {max}"));
        }
        i32::try_from(value.clamp(min, max)).unwrap_or(0)
    }

    /// Checks a text length in characters and rejects control characters.
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min || n > max {
            if min == 1 && n == 0 {
                self.add(field, "must not be empty");
            } else {
                self.add(field, format!("must be {min} to {max} characters long"));
            }
        } else if value.chars().any(char::is_control) {
            self.add(field, "must not contain control characters");
        }
    }

    /// `Ok` when no error was recorded, else the 422.
    pub fn finish(self) -> Result<(), Problem> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(Problem::validation(self.0))
        }
    }
}

/// A TLS name as gateways report it (a group, a signature scheme: `X25519MLKEM768`,
/// `ecdsa_secp256r1_sha256`, `0x11ed`): 1 to 64 characters from
/// `A-Z a-z 0-9 _ -`, so lists of them can travel comma-joined.
pub fn is_tls_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Whether `s` is a DNS host name (letters, digits, hyphens; labels of 1-63).
pub fn is_hostname(s: &str) -> bool {
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    let s = s.strip_suffix('.').unwrap_or(s);
    s.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

/// Whether `s` is a host name or an IP address (IPv6 with or without brackets).
pub fn is_host(s: &str) -> bool {
    let bare = s
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    bare.parse::<IpAddr>().is_ok() || is_hostname(s)
}

/// Checks a URL path: starts with `/`, no whitespace, query or fragment.
pub fn check_path(errors: &mut Errors, field: &str, path: &str) {
    if !path.starts_with('/') {
        errors.add(field, "must start with '/'");
    } else if path.len() > 2048 {
        errors.add(field, "must be at most 2048 bytes");
    } else if path
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || c == '?' || c == '#')
    {
        errors.add(
            field,
            "must not contain whitespace, control characters, '?' or '#'",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        assert!(is_host("example.com"));
        assert!(is_host("10.0.0.1"));
        assert!(is_host("::1"));
        assert!(is_host("[::1]"));
        assert!(is_host("backend-1"));
        assert!(!is_host("exa mple.com"));
        assert!(!is_host("-bad.com"));
        assert!(!is_host("a..b"));
        assert!(!is_host("host:80"));
        assert!(!is_host("'; DROP TABLE routes;--"));
        assert!(!is_host(""));
    }
}
