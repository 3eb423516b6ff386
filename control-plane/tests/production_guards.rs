//! Issue 16 item 6: with QSGW_ENVIRONMENT=production the real binary
//! refuses the repository's dev values (k8s/qsgw/overlays/dev), secrets
//! shorter than 32 bytes, plaintext etcd and an unverified database
//! connection, each as one line naming the variable and exit 2, before
//! touching the network.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use shared::test_util::{assert_config_error, run_bin};

const BIN: &str = env!("CARGO_BIN_EXE_control-plane");

/// The values of `k8s/qsgw/overlays/dev/kustomization.yaml`, read from the
/// file itself.
fn dev_value(var: &str) -> String {
    let text = std::fs::read_to_string(
        shared::test_util::repo_root().join("k8s/qsgw/overlays/dev/kustomization.yaml"),
    )
    .unwrap();
    text.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("- {var}=")))
        .unwrap_or_else(|| panic!("{var} not in the dev overlay"))
        .to_owned()
}

const SENTINEL: &str = "QSGW_ADMIN_EMAIL";
const GOOD_SECRET: &str = "a-production-jwt-secret-0123456789abcdef-xyz";
const GOOD_KEY: &str = "a-production-api-key-0123456789abcdef-xyz";
const GOOD_DB: &str = "postgres://qsgw:pr0d-db-passw0rd@db.internal/qsgw?sslmode=verify-full";

/// A CA file for the https:// etcd endpoint (read, not dialled: the run
/// stops at the sentinel before any connection).
fn etcd_ca() -> String {
    let path = std::env::temp_dir().join(format!("qsgw-guard-ca-{}.pem", std::process::id()));
    std::fs::write(
        &path,
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    path.to_string_lossy().into_owned()
}

fn run(overrides: &[(&str, &str)]) -> std::process::Output {
    let ca = etcd_ca();
    let mut env: Vec<(&str, &str)> = vec![
        ("QSGW_ETCD_CA_PATH", &ca),
        ("QSGW_ENVIRONMENT", "production"),
        ("QSGW_DATABASE_URL", GOOD_DB),
        ("QSGW_JWT_SECRET", GOOD_SECRET),
        ("QSGW_API_KEY", GOOD_KEY),
        ("QSGW_ETCD_ENDPOINTS", "https://etcd.internal:2379"),
        // The last check of the config: a bad value here is the sentinel
        // that every guard before it passed (and nothing was dialled).
        ("QSGW_ADMIN_EMAIL", "no-at-sign"),
        ("QSGW_ADMIN_PASSWORD", "a-fine-admin-password-123"),
    ];
    for (k, v) in overrides {
        env.retain(|(e, _)| e != k);
        env.push((k, v));
    }
    run_bin(BIN, &[], &env)
}

#[test]
fn production_refuses_dev_values_short_secrets_and_plaintext() {
    // Baseline: the guards pass, and the error is the sentinel (so the
    // cases below fail because of their one change).
    assert_config_error(&run(&[]), SENTINEL);

    let dev_url = dev_value("QSGW_DATABASE_URL").replace("sslmode=disable", "sslmode=verify-full");
    for (var, value) in [
        ("QSGW_JWT_SECRET", dev_value("QSGW_JWT_SECRET")),
        ("QSGW_API_KEY", dev_value("QSGW_API_KEY")),
        ("QSGW_DATABASE_URL", dev_url),
        ("QSGW_JWT_SECRET", "CHANGE_ME".to_owned()),
        // Long enough for development (16), too short for production (32).
        ("QSGW_API_KEY", "sixteen-bytes-key-x".to_owned()),
        (
            "QSGW_ETCD_ENDPOINTS",
            "http://etcd.internal:2379".to_owned(),
        ),
        (
            "QSGW_DATABASE_URL",
            "postgres://qsgw:pr0d-db-passw0rd@db.internal/qsgw?sslmode=require".to_owned(),
        ),
    ] {
        assert_config_error(&run(&[(var, &value)]), var);
    }
    // Admin password and webhook secret from the dev overlay.
    assert_config_error(
        &run(&[
            ("QSGW_ADMIN_EMAIL", "admin@example.com"),
            ("QSGW_ADMIN_PASSWORD", &dev_value("QSGW_ADMIN_PASSWORD")),
        ]),
        "QSGW_ADMIN_PASSWORD",
    );
    assert_config_error(
        &run(&[
            ("QSGW_WEBHOOK_URL", "https://hooks.example.com"),
            ("QSGW_WEBHOOK_SECRET", &dev_value("QSGW_WEBHOOK_SECRET")),
        ]),
        "QSGW_WEBHOOK_SECRET",
    );
    // Webhooks: https only, and no private address, in production.
    for url in [
        "http://hooks.example.com",
        "https://10.0.0.5",
        "https://169.254.169.254",
    ] {
        assert_config_error(
            &run(&[
                ("QSGW_WEBHOOK_URL", url),
                (
                    "QSGW_WEBHOOK_SECRET",
                    "a-production-webhook-secret-0123456789",
                ),
            ]),
            "QSGW_WEBHOOK_URL",
        );
    }
    // The explicit switches accept plaintext transports.
    assert_config_error(
        &run(&[
            ("QSGW_ETCD_ENDPOINTS", "http://etcd.internal:2379"),
            ("QSGW_ALLOW_INSECURE_ETCD", "true"),
            (
                "QSGW_DATABASE_URL",
                "postgres://qsgw:pr0d-db-passw0rd@db.internal/qsgw?sslmode=disable",
            ),
            ("QSGW_ALLOW_INSECURE_DATABASE", "true"),
        ]),
        SENTINEL,
    );
    // Development accepts the dev values (make run, the dev overlay).
    assert_config_error(
        &run(&[
            ("QSGW_ENVIRONMENT", "development"),
            ("QSGW_JWT_SECRET", &dev_value("QSGW_JWT_SECRET")),
            ("QSGW_ETCD_ENDPOINTS", "http://127.0.0.1:2379"),
        ]),
        SENTINEL,
    );
}
