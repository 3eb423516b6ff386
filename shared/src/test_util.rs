//! Test support (feature `test-util`): a server on port 0, token minting,
//! and control of private Postgres/etcd processes for tests that must stop
//! and restart them. The processes are managed by the same scripts as
//! `make run` and `make test` (`scripts/pg.sh`, `scripts/etcd.sh`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use axum::Router;

use crate::auth::JwtKeys;
use crate::config::Secret;
use crate::server::{HttpServer, Shutdown};

/// Signing secret used by tests (never by a deployment).
pub const TEST_JWT_SECRET: &str = "test-secret-0123456789abcdef-0123456789";

/// JWT keys over [`TEST_JWT_SECRET`].
pub fn jwt_keys(issuer: &str, audience: &str) -> JwtKeys {
    JwtKeys::new(
        "TEST_JWT_SECRET",
        &Secret::new(TEST_JWT_SECRET),
        issuer,
        audience,
        Duration::from_secs(900),
    )
    .expect("test secret is long enough")
}

/// The workspace checkout: the parent of `shared/` (from `CARGO_MANIFEST_DIR`
/// at compile time), where tests find `scripts/`, `testdata/` and `k8s/`.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("shared/ has a parent")
        .to_path_buf()
}

/// The public test data copied into the repository (`testdata/`: CBOMs and
/// the CycloneDX reference files, with their licences and sources). Tests
/// read only this folder, never anything beside the clone, so a fresh clone
/// passes on its own.
pub fn testdata() -> PathBuf {
    repo_root().join("testdata")
}

/// The server URL `make test` provides (`DATABASE_URL`).
pub fn database_url() -> String {
    std::env::var("DATABASE_URL")
        .expect("DATABASE_URL is not set: run the tests with `make test`, which starts a throwaway PostgreSQL")
}

/// The etcd endpoint `make test` provides.
pub fn etcd_endpoints() -> Vec<String> {
    let v = std::env::var("QUANTUN_TEST_ETCD_ENDPOINTS").expect(
        "QUANTUN_TEST_ETCD_ENDPOINTS is not set: run the tests with `make test`, which starts a throwaway etcd",
    );
    crate::config::parse_list(&v)
}

/// A free TCP port on 127.0.0.1 (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A router served on 127.0.0.1:0 in the background.
#[derive(Debug)]
pub struct TestServer {
    /// Bound address.
    pub addr: SocketAddr,
    shutdown: Shutdown,
    handle: tokio::task::JoinHandle<std::io::Result<()>>,
    client: reqwest::Client,
}

impl TestServer {
    /// Serves `router` with a 30 s drain grace.
    pub async fn spawn(router: Router) -> Self {
        Self::spawn_with_grace(router, Duration::from_secs(30)).await
    }

    /// Serves `router` with the given drain grace.
    pub async fn spawn_with_grace(router: Router, grace: Duration) -> Self {
        let server = HttpServer::bind("127.0.0.1", 0, router)
            .await
            .expect("bind");
        let addr = server.local_addr().expect("addr");
        let shutdown = Shutdown::new();
        let handle = tokio::spawn(server.serve(shutdown.clone(), grace));
        crate::server::install_crypto_provider();
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client");
        Self {
            addr,
            shutdown,
            handle,
            client,
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// A reqwest client with a 30 s whole-request timeout and no default
    /// headers, shared by the test's calls.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// A clone of the server's [`Shutdown`], so a test can trigger the drain
    /// while still using the server ([`TestServer::stop`] also waits for it).
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }

    /// Triggers shutdown and waits for the server to finish draining.
    pub async fn stop(self) -> std::io::Result<()> {
        self.shutdown.trigger();
        self.handle.await.expect("server task")
    }
}

fn run_script(script: &str, args: &[&str]) {
    run_script_env(script, args, &[]);
}

fn run_script_env(script: &str, args: &[&str], env: &[(&str, &str)]) {
    let path = repo_root().join("scripts").join(script);
    let out = Command::new("bash")
        .arg(&path)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
    assert!(
        out.status.success(),
        "{} {:?} failed: {}\n{}",
        script,
        args,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A private PostgreSQL a test can stop and restart.
#[derive(Debug)]
pub struct PgInstance {
    dir: tempfile::TempDir,
    port: u16,
    tls: bool,
}

impl PgInstance {
    /// Initialises and starts a fresh cluster on a free port.
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// Like [`PgInstance::start`], serving TLS only (`PG_TLS_DIR` of
    /// `scripts/pg.sh`) with a throwaway PKI from `scripts/etcd-certs.sh`
    /// in [`PgInstance::pki`]: `ca.crt` signs the server certificate
    /// (127.0.0.1, localhost), `other-ca.crt` is an unrelated CA.
    pub fn start_tls() -> Self {
        Self::start_with(true)
    }

    fn start_with(tls: bool) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("quantun-pg-")
            .tempdir()
            .expect("tempdir");
        let me = Self {
            dir,
            port: free_port(),
            tls,
        };
        if tls {
            run_script("etcd-certs.sh", &[me.pki().to_str().expect("utf-8 path")]);
        }
        me.resume();
        me
    }

    /// The throwaway PKI of [`PgInstance::start_tls`].
    pub fn pki(&self) -> PathBuf {
        self.dir.path().join("pki")
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts it again after [`PgInstance::stop`].
    pub fn resume(&self) {
        let port = self.port.to_string();
        let pki = self.pki();
        let env: &[(&str, &str)] = if self.tls {
            &[("PG_TLS_DIR", pki.to_str().expect("utf-8 path"))]
        } else {
            &[]
        };
        run_script_env(
            "pg.sh",
            &[
                "start",
                self.dir.path().to_str().expect("utf-8 path"),
                &port,
            ],
            env,
        );
    }

    /// Stops the server (fast shutdown).
    pub fn stop(&self) {
        let port = self.port.to_string();
        run_script(
            "pg.sh",
            &["stop", self.dir.path().to_str().expect("utf-8 path"), &port],
        );
    }

    /// Superuser URL of the `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PgInstance {
    fn drop(&mut self) {
        let port = self.port.to_string();
        let _ = Command::new("bash")
            .arg(repo_root().join("scripts/pg.sh"))
            .args(["stop", self.dir.path().to_str().unwrap_or_default(), &port])
            .output();
    }
}

/// A private etcd a test can kill and restart on the same data.
#[derive(Debug)]
pub struct EtcdInstance {
    dir: tempfile::TempDir,
    client_port: u16,
    peer_port: u16,
}

impl EtcdInstance {
    /// Starts a fresh single-node etcd on free ports.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("quantun-etcd-")
            .tempdir()
            .expect("tempdir");
        let me = Self {
            dir,
            client_port: free_port(),
            peer_port: free_port(),
        };
        me.resume();
        me
    }

    fn args(&self, verb: &'static str) -> Vec<String> {
        vec![
            verb.to_owned(),
            self.dir.path().to_string_lossy().into_owned(),
            self.client_port.to_string(),
            self.peer_port.to_string(),
        ]
    }

    /// Starts it again (same data) after [`EtcdInstance::stop`].
    pub fn resume(&self) {
        let a = self.args("start");
        run_script("etcd.sh", &a.iter().map(String::as_str).collect::<Vec<_>>());
    }

    /// Stops the process.
    pub fn stop(&self) {
        let a = self.args("stop");
        run_script("etcd.sh", &a.iter().map(String::as_str).collect::<Vec<_>>());
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.client_port)
    }
}

impl Drop for EtcdInstance {
    fn drop(&mut self) {
        let a = self.args("stop");
        let _ = Command::new("bash")
            .arg(repo_root().join("scripts/etcd.sh"))
            .args(&a)
            .output();
    }
}

/// A private etcd serving TLS only, with client-certificate
/// authentication and QSGW's roles, started by the project's scripts:
/// `etcd-certs.sh` (a throwaway PKI in [`TlsEtcdInstance::pki`]), `etcd.sh`
/// with `ETCD_TLS_DIR`, and `etcd-rbac.sh` (qsgw-control-plane read-write
/// on `/qsgw/v1/`, qsgw-gateway and qsgw-ai-engine read-only, auth on).
/// The PKI holds `ca.crt` and `<user>.crt`/`<user>.key` per user, plus
/// `intruder.crt` signed by an unrelated CA.
#[derive(Debug)]
pub struct TlsEtcdInstance {
    dir: tempfile::TempDir,
    client_port: u16,
    peer_port: u16,
}

impl TlsEtcdInstance {
    /// Creates the PKI, starts etcd on free ports and applies the roles.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("quantun-etcd-tls-")
            .tempdir()
            .expect("tempdir");
        let me = Self {
            dir,
            client_port: free_port(),
            peer_port: free_port(),
        };
        let pki = me.pki();
        let pki = pki.to_str().expect("utf-8 path");
        run_script("etcd-certs.sh", &[pki]);
        let a = me.args("start");
        run_script_env(
            "etcd.sh",
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
            &[("ETCD_TLS_DIR", pki)],
        );
        run_script(
            "etcd-rbac.sh",
            &[
                &me.endpoint(),
                &format!("{pki}/ca.crt"),
                &format!("{pki}/root.crt"),
                &format!("{pki}/root.key"),
            ],
        );
        me
    }

    fn args(&self, verb: &'static str) -> Vec<String> {
        vec![
            verb.to_owned(),
            self.dir.path().join("etcd").to_string_lossy().into_owned(),
            self.client_port.to_string(),
            self.peer_port.to_string(),
        ]
    }

    /// The throwaway PKI (CA, server and per-user client certificates).
    pub fn pki(&self) -> PathBuf {
        self.dir.path().join("pki")
    }

    /// `https://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("https://127.0.0.1:{}", self.client_port)
    }

    /// Settings dialling it as `user` (its client certificate; `None`: no
    /// certificate), trusting the CA file `ca` of the PKI.
    pub fn settings(&self, user: Option<&str>, ca: &str) -> crate::etcd::EtcdSettings {
        let pki = self.pki();
        let mut s = crate::etcd::EtcdSettings::new(vec![self.endpoint()]);
        s.connect_timeout = Duration::from_secs(2);
        s.request_timeout = Duration::from_secs(3);
        let cert = user.map(|u| (pki.join(format!("{u}.crt")), pki.join(format!("{u}.key"))));
        s.tls = Some(
            crate::etcd::EtcdTls::from_files(
                &pki.join(ca),
                cert.as_ref().map(|(c, k)| (c.as_path(), k.as_path())),
                ["CA", "CERT", "KEY"],
            )
            .expect("PKI files"),
        );
        s
    }
}

impl Drop for TlsEtcdInstance {
    fn drop(&mut self) {
        let a = self.args("stop");
        let _ = Command::new("bash")
            .arg(repo_root().join("scripts/etcd.sh"))
            .args(&a)
            .env("ETCD_TLS_DIR", self.pki())
            .output();
    }
}

/// A reqwest client for tests (installs the crypto provider first, as
/// reqwest panics without one when two are compiled in).
pub fn client() -> reqwest::Client {
    crate::server::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// Runs a service binary to completion with only `env` (plus `PATH`) set.
/// A binary still running after 15 s (e.g. it accepted a bad value and
/// started serving) is killed and the test fails.
pub fn run_bin(bin: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    use std::process::Stdio;
    let mut child = Command::new(bin)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {bin}: {e}"));
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "{bin} {args:?} with {env:?} did not exit (it started serving?); stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

/// Asserts a start-up configuration error: exit code 2, exactly one line on
/// stderr of the form `error: <VAR>: …`, nothing on stdout.
pub fn assert_config_error(out: &std::process::Output, var: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "exit code 2 for {var}; stderr: {stderr}"
    );
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "exactly one line for {var}: {stderr:?}");
    assert!(
        lines[0].starts_with(&format!("error: {var}:")),
        "names {var}: {stderr:?}"
    );
    assert!(out.stdout.is_empty(), "nothing on stdout for {var}");
}

/// Asserts `--help` of `bin` lists each variable in `vars`.
pub fn assert_help_lists(bin: &str, vars: &[&str]) {
    let out = run_bin(bin, &["--help"], &[]);
    assert_eq!(out.status.code(), Some(0));
    // Normalise clap's line wrapping.
    let help = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for var in vars {
        assert!(
            help.contains(&format!("[env: {var}")),
            "--help of {bin} lists {var}"
        );
    }
}

/// A service binary running as a child process.
#[derive(Debug)]
pub struct ChildService {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>` of the listener that was probed.
    pub base: String,
}

impl ChildService {
    /// Starts `bin` with `env` (plus `PATH`) and waits until
    /// `http://127.0.0.1:<port>/health` answers 200.
    pub async fn spawn(bin: &str, env: &[(&str, &str)], port: u16) -> Self {
        Self::spawn_with_args(bin, &[], env, port).await
    }

    /// Like [`ChildService::spawn`] with command-line arguments.
    pub async fn spawn_with_args(
        bin: &str,
        args: &[&str],
        env: &[(&str, &str)],
        port: u16,
    ) -> Self {
        Self::start(bin, args, env, port, std::process::Stdio::null()).await
    }

    /// Like [`ChildService::spawn`], writing the service's stdout (its log
    /// lines) to `log`.
    pub async fn spawn_logged(bin: &str, env: &[(&str, &str)], port: u16, log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("log file");
        Self::start(bin, &[], env, port, std::process::Stdio::from(file)).await
    }

    async fn start(
        bin: &str,
        args: &[&str],
        env: &[(&str, &str)],
        port: u16,
        stdout: std::process::Stdio,
    ) -> Self {
        let child = Command::new(bin)
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env.iter().copied())
            .stdout(stdout)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        let me = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let c = client();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(r) = c.get(format!("{}/health", me.base)).send().await {
                if r.status() == 200 {
                    return me;
                }
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{bin} did not answer /health on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Sends SIGTERM and waits (at most 30 s) for the exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(ok.success());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "did not exit after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ChildService {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Asserts the OpenAPI 3.1 rule for path parameters (OpenAPI 3.1.0,
/// §4.8.12.1 Parameter Object: "If in is "path", the name field MUST
/// correspond to a template expression occurring within the path field"),
/// and that every template expression is documented as a path parameter.
/// Query parameters documented as `in: path` (utoipa's default for
/// `IntoParams` without `parameter_in = Query`) break this.
pub fn assert_openapi_path_params(doc: &serde_json::Value) {
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        let template: Vec<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|s| s.split('}').next())
            .collect();
        for (method, op) in item.as_object().expect("path item") {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let in_path: Vec<&str> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .filter_map(|p| p["name"].as_str())
                .collect();
            for name in &in_path {
                assert!(
                    template.contains(name),
                    "{method} {path}: parameter '{name}' is documented as in: path but is not in the template"
                );
            }
            for name in &template {
                assert!(
                    in_path.contains(name),
                    "{method} {path}: template parameter '{name}' is not documented"
                );
            }
        }
    }
}

/// Forged and broken bearer tokens an outsider would try against an API
/// whose tokens are HS256 with `secret`, issuer `valid.iss` and audience
/// `valid.aud` (RFC 8725, JSON Web Token Best Current Practices, §2.1
/// "Weak Signatures and Insufficient Signature Validation", §2.2 algorithm
/// confusion, §3.1/3.8/3.9 validate algorithm, issuer, audience; RFC 7519
/// §4.1.4 `exp`). Each must be refused with 401; `valid` itself must work.
pub fn jwt_attacks(secret: &str, valid: &crate::auth::Claims) -> Vec<(&'static str, String)> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    let key = EncodingKey::from_secret(secret.as_bytes());
    let b64 = |v: &[u8]| URL_SAFE_NO_PAD.encode(v);
    let body = |c: &crate::auth::Claims| b64(&serde_json::to_vec(c).expect("claims"));
    let hs256 = |c: &crate::auth::Claims| {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), c, &key).expect("sign")
    };
    // Header `alg` of our choice, signed with HMAC-SHA256 under the secret
    // (the key-confusion forgery: an RS256 verifier fed the HMAC secret).
    let with_alg = |alg: &str, c: &crate::auth::Claims| {
        let msg = format!(
            "{}.{}",
            b64(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#).as_bytes()),
            body(c)
        );
        let sig = jsonwebtoken::crypto::sign(msg.as_bytes(), &key, Algorithm::HS256).expect("sign");
        format!("{msg}.{sig}")
    };
    let now = chrono::Utc::now().timestamp();
    let mut out = Vec::new();
    let none_header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    out.push(("alg none", format!("{none_header}.{}.", body(valid))));
    out.push((
        "alg none, no signature part",
        format!("{none_header}.{}", body(valid)),
    ));
    out.push((
        "alg NoNe",
        format!("{}.{}.", b64(br#"{"alg":"NoNe"}"#), body(valid)),
    ));
    for alg in [Algorithm::HS384, Algorithm::HS512] {
        let t = jsonwebtoken::encode(&Header::new(alg), valid, &key).expect("sign");
        out.push((
            if alg == Algorithm::HS384 {
                "HS384 same secret"
            } else {
                "HS512 same secret"
            },
            t,
        ));
    }
    out.push((
        "RS256 header, HMAC with the secret",
        with_alg("RS256", valid),
    ));
    out.push((
        "ES256 header, HMAC with the secret",
        with_alg("ES256", valid),
    ));
    let mut c = valid.clone();
    c.exp = now - 3600;
    c.iat = now - 7200;
    out.push(("expired", hs256(&c)));
    let mut c = valid.clone();
    c.aud = format!("{}-other", valid.aud);
    out.push(("wrong aud", hs256(&c)));
    let mut c = valid.clone();
    c.iss = format!("{}-other", valid.iss);
    out.push(("wrong iss", hs256(&c)));
    // Tampered payload: role raised, original signature kept.
    let t = hs256(valid);
    let parts: Vec<&str> = t.split('.').collect();
    let mut c = valid.clone();
    c.role = crate::auth::Role::Admin;
    c.sub = format!("{}x", valid.sub);
    out.push((
        "tampered payload",
        format!("{}.{}.{}", parts[0], body(&c), parts[2]),
    ));
    // Signed with another secret.
    let other = EncodingKey::from_secret(b"another-secret-of-the-same-length-000000");
    out.push((
        "other secret",
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), valid, &other).expect("sign"),
    ));
    // Missing sub: the claims re-encoded without it.
    let mut v = serde_json::to_value(valid).expect("claims");
    if let Some(m) = v.as_object_mut() {
        m.remove("sub");
    }
    out.push((
        "missing sub",
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &v, &key).expect("sign"),
    ));
    let mut v = serde_json::to_value(valid).expect("claims");
    if let Some(m) = v.as_object_mut() {
        m.remove("exp");
    }
    out.push((
        "missing exp",
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &v, &key).expect("sign"),
    ));
    out.push(("garbage", "not.a.jwt".to_owned()));
    out
}
