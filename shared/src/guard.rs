//! Production guards: what a service refuses to start with when its
//! `*_ENVIRONMENT` is `production` (issue 16 item 6).
//!
//! - any value committed in the repository's development files (the dev
//!   overlays' secrets, the `CHANGE_ME` placeholders), recognised by its
//!   SHA-256 digest in [`DEV_VALUE_DIGESTS`] so the values themselves are
//!   not repeated here;
//! - machine secrets (signing secrets, API keys, webhook and etcd
//!   secrets) shorter than [`MIN_PRODUCTION_SECRET_LEN`] bytes;
//! - plaintext etcd or Postgres unless the service's explicit
//!   `*_ALLOW_INSECURE_*` switch is set.
//!
//! Each failure is a [`ConfigError`] naming the variable: one line, exit 2.

use sha2::{Digest, Sha256};

use crate::config::ConfigError;

/// Shortest machine secret accepted in production, in bytes.
pub const MIN_PRODUCTION_SECRET_LEN: usize = 32;

/// SHA-256 (hex) of every secret value committed in the repository's
/// development files: `k8s/qsgw/overlays/dev/kustomization.yaml`,
/// `k8s/qrap/overlays/dev/kustomization.yaml` and the `CHANGE_ME`
/// placeholders of `compose/.env.example` and the production overlays.
/// `dev_files_are_covered` (test) re-reads those files, so a new dev value
/// that is not listed here fails the build's tests.
pub const DEV_VALUE_DIGESTS: &[&str] = &[
    // qrap-dev-password
    "f7fb535a03e0a98c4f6d4c2271e31d8e8fd51f6a1747cc3f75238f2f2dd6232d",
    // qsgw-dev-password
    "72a331d4f09a851e30fd67ed7ca1f6512e4ad95b34337472ad2b9b34a3b3fbb4",
    // the dev overlays' JWT secret (both products)
    "1004c1b3082cef2a775dc550a821224ebee8ae720de3c27603af3ca273e22948",
    // the dev overlays' API key (both products)
    "697283f09eb76880949a98773af5de4885d827d0f25f553607268ec8f1593df2",
    // the dev overlay's admin password
    "2227c82936e0de877a146e096c759b50bf199fa809e98fd270a9977b950c7d45",
    // the dev overlay's webhook secret
    "69e450dde8a59e7fced9a2e3ccecf80914b069a5c55f07668e9342c9d4de7edb",
    // CHANGE_ME
    "442cbf3fdf0f24777036e660c32d6e4b5f7621231bff2754673c5a188a2f614a",
];

/// Whether `value` is one of the repository's development values.
pub fn is_dev_value(value: &str) -> bool {
    let d = hex(&Sha256::digest(value.as_bytes()));
    DEV_VALUE_DIGESTS.iter().any(|k| *k == d)
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The deployment environment (`*_ENVIRONMENT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Environment {
    /// Local runs and tests: no guard.
    #[default]
    Development,
    /// Every guard of this module.
    Production,
}

impl std::str::FromStr for Environment {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "production" => Ok(Self::Production),
            "development" => Ok(Self::Development),
            _ => Err(format!(
                "unknown environment '{s}' (expected production or development)"
            )),
        }
    }
}

/// The guards of one service start-up: does nothing outside production.
#[derive(Debug, Clone, Copy)]
pub struct Guard {
    env: Environment,
}

impl Guard {
    /// Guards for `env`.
    pub fn new(env: Environment) -> Self {
        Self { env }
    }

    /// Whether the guards apply.
    pub fn production(&self) -> bool {
        self.env == Environment::Production
    }

    /// A value that must not be a repository dev value (passwords).
    pub fn not_dev(&self, var: &str, value: &str) -> Result<(), ConfigError> {
        if self.production() && is_dev_value(value) {
            return Err(ConfigError::new(
                var,
                "is a development value committed in the repository; set a secret of your own in production",
            ));
        }
        Ok(())
    }

    /// A machine secret: not a dev value and at least
    /// [`MIN_PRODUCTION_SECRET_LEN`] bytes.
    pub fn secret(&self, var: &str, value: &str) -> Result<(), ConfigError> {
        self.not_dev(var, value)?;
        if self.production() && value.len() < MIN_PRODUCTION_SECRET_LEN {
            return Err(ConfigError::new(
                var,
                format!(
                    "must be at least {MIN_PRODUCTION_SECRET_LEN} bytes in production (got {})",
                    value.len()
                ),
            ));
        }
        Ok(())
    }

    /// A plaintext connection (`what`, set by `var`) is refused in
    /// production unless `allow_var` is true.
    pub fn transport(
        &self,
        var: &str,
        plaintext: bool,
        what: &str,
        allow_var: &str,
        allowed: bool,
    ) -> Result<(), ConfigError> {
        if self.production() && plaintext && !allowed {
            return Err(ConfigError::new(
                var,
                format!("{what} in production; use TLS, or set {allow_var}=true to accept it"),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_only_in_production() {
        let dev = Guard::new(Environment::Development);
        assert!(dev.secret("X", "CHANGE_ME").is_ok());
        let prod = Guard::new(Environment::Production);
        assert_eq!(prod.secret("X", "CHANGE_ME").unwrap_err().var, "X");
        assert!(prod.secret("X", "short-but-not-dev").is_err());
        assert!(prod
            .secret("X", "a-production-secret-of-40-bytes-0123456789")
            .is_ok());
        assert!(prod
            .transport("E", true, "plaintext etcd", "A", false)
            .is_err());
        assert!(prod
            .transport("E", true, "plaintext etcd", "A", true)
            .is_ok());
        assert!(prod
            .transport("E", false, "plaintext etcd", "A", false)
            .is_ok());
    }

    /// Every secret value in the repository's dev files is recognised (the
    /// files are the reference: a new dev value must be listed).
    #[test]
    fn dev_files_are_covered() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut checked = 0;
        for file in [
            "k8s/qsgw/overlays/dev/kustomization.yaml",
            "k8s/qrap/overlays/dev/kustomization.yaml",
            "k8s/qsgw/overlays/production/secrets.env",
            "k8s/qrap/overlays/production/secrets.env",
        ] {
            let text = std::fs::read_to_string(root.join(file)).unwrap();
            for line in text.lines() {
                let line = line.trim().trim_start_matches("- ");
                let Some((var, value)) = line.split_once('=') else {
                    continue;
                };
                if line.starts_with('#') || value.is_empty() {
                    continue;
                }
                let values: Vec<String> = if var.ends_with("DATABASE_URL") {
                    // postgres://user:PASSWORD@host/...
                    value
                        .split_once("://")
                        .and_then(|(_, rest)| rest.split_once('@'))
                        .and_then(|(cred, _)| cred.split_once(':'))
                        .map(|(_, pw)| vec![pw.to_owned()])
                        .unwrap_or_else(|| vec![value.to_owned()])
                } else if var.ends_with("API_KEYS") {
                    value
                        .split(',')
                        .map(|k| k.rsplit_once(':').map_or(k, |(k, _)| k).to_owned())
                        .collect()
                } else if ["SECRET", "PASSWORD", "API_KEY"]
                    .iter()
                    .any(|s| var.ends_with(s))
                {
                    vec![value.to_owned()]
                } else {
                    continue;
                };
                for v in values {
                    assert!(
                        is_dev_value(&v),
                        "{file}: {var}'s value is not in DEV_VALUE_DIGESTS"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked >= 12, "only {checked} values found");
    }
}
