//! Start-up configuration errors, checked on the real binary: one line on
//! stderr naming the variable, exit code 2.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

use shared::test_util::{assert_config_error, assert_help_lists, run_bin};

const BIN: &str = env!("CARGO_BIN_EXE_control-plane");
const SECRET: &str = "0123456789abcdef0123456789abcdef-jwt";

fn run(env: &[(&str, &str)]) -> Output {
    run_bin(BIN, &[], env)
}

#[test]
fn missing_jwt_secret_exits_2_naming_it() {
    let out = run(&[("QSGW_DATABASE_URL", "postgres://qsgw@127.0.0.1:1/qsgw")]);
    assert_config_error(&out, "QSGW_JWT_SECRET");
}

#[test]
fn short_jwt_secret_is_refused() {
    let out = run(&[
        ("QSGW_DATABASE_URL", "postgres://qsgw@127.0.0.1:1/qsgw"),
        ("QSGW_JWT_SECRET", "too-short"),
    ]);
    assert_config_error(&out, "QSGW_JWT_SECRET");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("too-short"),
        "secret not echoed"
    );
}

#[test]
fn missing_database_url_exits_2() {
    let out = run(&[("QSGW_JWT_SECRET", SECRET)]);
    assert_config_error(&out, "QSGW_DATABASE_URL");
}

#[test]
fn bad_database_url_is_named_without_echoing_it() {
    let out = run(&[
        ("QSGW_DATABASE_URL", "mysql://u:pw-s3cret@h/db"),
        ("QSGW_JWT_SECRET", SECRET),
    ]);
    assert_config_error(&out, "QSGW_DATABASE_URL");
    assert!(!String::from_utf8_lossy(&out.stderr).contains("pw-s3cret"));
}

#[test]
fn bad_port_exits_2() {
    for port in ["http", "0", "70000", "-1"] {
        let out = run(&[
            ("QSGW_DATABASE_URL", "postgres://qsgw@127.0.0.1:1/qsgw"),
            ("QSGW_JWT_SECRET", SECRET),
            ("QSGW_CP_PORT", port),
        ]);
        assert_config_error(&out, "QSGW_CP_PORT");
    }
}

#[test]
fn bad_values_name_their_variable() {
    let base = [
        ("QSGW_DATABASE_URL", "postgres://qsgw@127.0.0.1:1/qsgw"),
        ("QSGW_JWT_SECRET", SECRET),
    ];
    for (var, value) in [
        ("QSGW_LOG_LEVEL", "loud"),
        ("QSGW_DATABASE_MAX_CONNS", "many"),
        ("QSGW_WEBHOOK_MIN_SEVERITY", "SEVERE"),
        ("QSGW_ETCD_ENDPOINTS", "etcd:2379"),
        ("QSGW_API_KEY", "short"),
    ] {
        let mut env = base.to_vec();
        env.push((var, value));
        assert_config_error(&run(&env), var);
    }
    // A webhook URL without its secret names the secret.
    let mut env = base.to_vec();
    env.push(("QSGW_WEBHOOK_URL", "https://hooks.example/qsgw"));
    assert_config_error(&run(&env), "QSGW_WEBHOOK_SECRET");
}

#[test]
fn help_lists_every_setting_with_its_variable() {
    assert_help_lists(
        BIN,
        &[
            "QSGW_CP_HOST",
            "QSGW_CP_PORT",
            "QSGW_DATABASE_URL",
            "QSGW_DATABASE_MAX_CONNS",
            "QSGW_DATABASE_MIN_CONNS",
            "QSGW_JWT_SECRET",
            "QSGW_API_KEY",
            "QSGW_ETCD_ENDPOINTS",
            "QSGW_WEBHOOK_URL",
            "QSGW_WEBHOOK_SECRET",
            "QSGW_WEBHOOK_MIN_SEVERITY",
            "QSGW_LOG_LEVEL",
            "QSGW_ADMIN_EMAIL",
            "QSGW_ADMIN_PASSWORD",
            "QSGW_ETCD_CA_PATH",
            "QSGW_ETCD_CERT_PATH",
            "QSGW_ETCD_KEY_PATH",
            "QSGW_ETCD_USERNAME",
            "QSGW_ETCD_PASSWORD",
            "QSGW_ALLOW_INSECURE_ETCD",
        ],
    );
}

#[test]
fn help_never_shows_secret_values() {
    let out = Command::new(BIN)
        .arg("--help")
        .env("QSGW_JWT_SECRET", "visible-jwt-secret-value-0123456789")
        .env("QSGW_DATABASE_URL", "postgres://u:visible-db-password@h/db")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(!help.contains("visible-jwt-secret-value") && !help.contains("visible-db-password"));
}
