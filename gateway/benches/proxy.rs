//! Gateway vs nginx vs HAProxy, side by side in one run (`make bench-gateway`).
//!
//! On 127.0.0.1, every proxy is started by this bench with a generated config
//! in a temporary directory, on free ports, with the same ECDSA P-256
//! certificate, TLS 1.3 only, no session resumption, keep-alive to the same
//! tiny upstream (a minimal HTTP/1.1 responder in this process answering 13
//! bytes), and one worker (gateway `QSGW_WORKER_THREADS=1`, nginx
//! `worker_processes 1`, HAProxy `nbthread 1`), each pinned with
//! `taskset -c 1` to CPU 1 while this process (load client and upstream) is
//! pinned to CPU 0. Figures:
//!
//! 1. requests/s and p50/p99 latency, HTTP/1.1 keep-alive over TLS,
//!    `CONCURRENCY` connections (this process's client: tokio-rustls with
//!    requests written and responses parsed with httparse on the stream, so
//!    that CPU 0 keeps headroom and the proxy's core is what saturates), in
//!    short rounds interleaved between the peers; figures pooled over the
//!    rounds, plus each round's own and the gateway/nginx ratios round by
//!    round (a target is met only if it holds pooled and in the median
//!    round);
//! 2. full TLS handshakes/s (no resumption): gateway X25519MLKEM768 vs
//!    X25519, nginx and HAProxy X25519 (Debian 12's OpenSSL 3.0 has no
//!    ML-KEM); and two more gateways: one under `CNSA2` (SecP384r1MLKEM1024
//!    and MLKEM1024 alone), one serving an ML-DSA-65 chain beside its ECDSA
//!    one to a client that offers ML-DSA (each checked on one handshake
//!    first: group, and the ML-DSA-65 leaf);
//! 3. RSS (`VmRSS` of the process and its children) with 10,000 idle TLS
//!    connections;
//! 4. route created in the control plane → served by the gateway (real
//!    PostgreSQL from `DATABASE_URL`, a private etcd, the control plane
//!    in-process, the gateway process watching etcd), p50/p99 over samples;
//! 5. requests/s with TLS 1.3 to the upstream: the gateway (upstream `tls`
//!    block, CA verified, `PQC_PREFERRED`: X25519MLKEM768) against nginx
//!    (`proxy_pass https://`, `proxy_ssl_verify on`, sessions reused:
//!    X25519), each to its own rustls upstream that counts the groups its
//!    handshakes negotiated; client side as in 1, half the rounds.
//!
//! A peer whose binary is missing is skipped with a message. With
//! `QSGW_BENCH_PERF=DIR` each peer is profiled with `perf record` during its
//! first throughput and handshake rounds. Development knobs (the figures in
//! BENCHMARKS.md use none of them): `QSGW_BENCH_ONLY=load,tls,idle,route,upstream-tls`
//! runs only the listed parts, `QSGW_BENCH_ROUNDS=N` sets the interleaved
//! rounds of the throughput run (default 40), and `QSGW_BENCH_GATEWAY_B=PATH` adds a second gateway
//! binary as the peer `gateway-b`, measured interleaved with the others (an
//! A/B comparison of two builds under the same machine load). Every process
//! started here is stopped on drop (SIGTERM, then SIGKILL), also on panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::Request;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::Resumption;
use rustls::crypto::aws_lc_rs::{self, kx_group};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use shared::ids::{RouteId, UpstreamId};
use shared::qsgw::*;
use tokio::net::TcpStream;

const GATEWAY_BIN: &str = env!("CARGO_BIN_EXE_gateway");

/// Keep-alive connections of the throughput run.
const CONCURRENCY: usize = 64;
/// Interleaved rounds of the throughput run (default).
/// Many short rounds rather than a few long ones: this VM's speed drifts
/// by ±10 % (at times ±30 %) within seconds, and the finer the
/// interleaving, the more alike every peer's share of slow and fast periods.
const ROUNDS: usize = 40;
/// Requests before this are not counted (first round of each peer; the
/// connections stay open for the later rounds).
const WARMUP: Duration = Duration::from_millis(500);
/// Measured window of one throughput round.
const MEASURE: Duration = Duration::from_millis(500);
/// Interleaved rounds of the handshake run.
const HS_ROUNDS: usize = 10;
/// Concurrent handshaking clients.
const HS_CONCURRENCY: usize = 32;
/// Measured window of one handshake round.
const HS_MEASURE: Duration = Duration::from_secs(1);
/// Idle TLS connections held for the memory figure.
const IDLE_CONNECTIONS: usize = 10_000;
/// Route-change samples.
const ROUTE_SAMPLES: usize = 60;
/// The upstream's answer.
const BODY: &[u8] = b"hello, world\n";

fn main() {
    // `cargo bench` passes `--bench`; a filter argument of `cargo bench -- x` is ignored.
    raise_nofile();
    pin_self_to_cpu0();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run());
}

/// Rounds of the throughput run (`QSGW_BENCH_ROUNDS`).
fn rounds() -> usize {
    std::env::var("QSGW_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(ROUNDS)
}

/// Whether a part of the bench runs (`QSGW_BENCH_ONLY`, default all).
fn part(name: &str) -> bool {
    std::env::var("QSGW_BENCH_ONLY").map_or(true, |only| only.split(',').any(|p| p.trim() == name))
}

async fn run() {
    shared::server::install_crypto_provider();
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("qsgw-bench-")
        .tempdir()
        .expect("tempdir");
    let cert = write_cert(dir.path());
    let upstream = spawn_upstream().await;
    println!("== gateway benchmark (gateway vs nginx vs HAProxy) ==");
    println!("machine: {}", machine());
    println!(
        "setup: 127.0.0.1, upstream {upstream} (minimal HTTP/1.1, {} byte body), TLS 1.3, ECDSA P-256 cert, \
         proxies on CPU 1 with 1 worker, client+upstream on CPU 0, {CONCURRENCY} keep-alive connections",
        BODY.len()
    );

    let mut peers: Vec<Peer> = Vec::new();
    match Peer::gateway(dir.path(), &cert, upstream, "gateway", GATEWAY_BIN).await {
        Ok(p) => peers.push(p),
        Err(e) => panic!("the gateway did not start: {e:#}"),
    }
    if let Ok(b) = std::env::var("QSGW_BENCH_GATEWAY_B") {
        match Peer::gateway(dir.path(), &cert, upstream, "gateway-b", &b).await {
            Ok(p) => peers.push(p),
            Err(e) => panic!("the gateway B ({b}) did not start: {e:#}"),
        }
    }
    for started in [
        Peer::nginx(dir.path(), &cert, upstream).await,
        Peer::haproxy(dir.path(), &cert, upstream).await,
    ] {
        match started {
            Ok(p) => peers.push(p),
            Err(e) => println!("SKIP: {e:#}"),
        }
    }

    // 1. Throughput and latency: ROUNDS short runs per peer, interleaved
    // (order rotated each round) so a change in the machine's load hits
    // every peer alike; latencies are pooled over the rounds.
    // Each peer's connections stay open from round to round (a round
    // after the first needs no warm-up), so rounds can be short and the
    // peers' windows close together in time.
    let cfg = client_config(vec![kx_group::X25519]);
    let mut raw: Vec<LoadRaw> = peers.iter().map(|_| LoadRaw::default()).collect();
    let mut conns: Vec<Vec<Option<LoadConn>>> = peers
        .iter()
        .map(|_| (0..CONCURRENCY).map(|_| None).collect())
        .collect();
    let rounds = rounds();
    for round in 0..rounds * usize::from(part("load")) {
        for k in 0..peers.len() {
            let i = (k + round) % peers.len();
            let perf = (round == 0)
                .then(|| perf_start(&peers[i], "load"))
                .flatten();
            let warmup = if round == 0 { WARMUP } else { Duration::ZERO };
            raw[i].add(load_run(&peers[i], &cfg, &mut conns[i], warmup, perf.is_some()).await);
            perf_stop(perf);
        }
    }
    drop(conns);
    let mut load = Vec::new();
    for (p, r) in peers.iter().zip(raw).filter(|_| part("load")) {
        let r = r.finish();
        println!(
            "load   {:<8} {:>9.0} req/s  p50 {:>7.3} ms  p99 {:>7.3} ms  errors {}  server CPU {:>5.1}%  ({:.0} req per server CPU-second)  client CPU {:>5.1}%",
            p.name, r.rps, r.p50_ms, r.p99_ms, r.errors, r.cpu_pct, r.per_cpu_sec, r.client_cpu_pct
        );
        load.push((p.name, r));
    }
    print_rounds(&load);

    // 2. Full handshakes, interleaved the same way; two more gateways for
    // the post-quantum-only cases: one under CNSA2 (ML-KEM-1024 alone and
    // the SecP384r1MLKEM1024 hybrid, with ordinary client key shares), one
    // serving an ML-DSA-65 chain beside its ECDSA one to the client that
    // offers ML-DSA (as rustls does).
    let main_peers = peers.len();
    if part("tls") {
        let ml = gateway::tls::generate_chain(
            gateway::tls::CertAlg::MlDsa65,
            &dir.path().join("ml-dsa"),
            &["localhost".to_owned()],
        )
        .expect("ML-DSA chain");
        let extra = format!("{}:{}", ml.chain.display(), ml.key.display());
        for (name, env) in [
            ("gw-cnsa2", vec![("QSGW_TLS_POLICY", "CNSA2".to_owned())]),
            ("gw-mldsa", vec![("QSGW_TLS_EXTRA_CERTS", extra)]),
        ] {
            let p = Peer::gateway_with(
                dir.path(),
                &cert,
                name,
                GATEWAY_BIN,
                |id| upstream_config(id, upstream),
                &env,
            )
            .await
            .unwrap_or_else(|e| panic!("{name} did not start: {e:#}"));
            peers.push(p);
        }
    }
    let mut cases: Vec<(usize, &str, Arc<rustls::ClientConfig>)> = Vec::new();
    for (i, p) in peers.iter().enumerate() {
        match p.name {
            "gw-cnsa2" => {
                cases.push((
                    i,
                    "SecP384r1MLKEM1024",
                    client_config(vec![gateway::tls::kx::SECP384R1MLKEM1024]),
                ));
                cases.push((i, "MLKEM1024", client_config(vec![kx_group::MLKEM1024])));
                continue;
            }
            "gw-mldsa" => {
                cases.push((
                    i,
                    "X25519MLKEM768 ML-DSA-65",
                    client_config(vec![reused::x25519_mlkem768()]),
                ));
                continue;
            }
            _ => {}
        }
        if p.name.starts_with("gateway") {
            cases.push((
                i,
                "X25519MLKEM768",
                client_config(vec![reused::x25519_mlkem768()]),
            ));
        }
        cases.push((i, "X25519", client_config(vec![reused::x25519()])));
    }
    if !part("tls") {
        cases.clear();
    }
    // Each case gets what it is named for (group, and certificate for the
    // ML-DSA one), checked on one handshake before the rounds.
    for (i, name, cfg) in &cases {
        let tls = connect(peers[*i].addr, cfg)
            .await
            .unwrap_or_else(|e| panic!("{} {name}: {e}", peers[*i].name));
        let conn = tls.get_ref().1;
        let group = conn
            .negotiated_key_exchange_group()
            .map(|g| gateway::tls::group_name(g.name()));
        assert_eq!(group, name.split(' ').next(), "{} {name}", peers[*i].name);
        if name.ends_with("ML-DSA-65") {
            let leaf = &conn.peer_certificates().expect("certificate")[0];
            assert_eq!(gateway::tls::cert_algorithm(leaf), "ML-DSA-65");
        }
    }
    let mut hraw: Vec<HsRaw> = cases.iter().map(|_| HsRaw::default()).collect();
    for round in 0..HS_ROUNDS {
        for k in 0..cases.len() {
            let c = (k + round) % cases.len();
            let (i, _, cfg) = &cases[c];
            let perf = (round == 0)
                .then(|| perf_start(&peers[*i], &format!("tls-{}", cases[c].1)))
                .flatten();
            hraw[c].add(handshake_run(&peers[*i], cfg.clone()).await);
            perf_stop(perf);
        }
    }
    let mut hs = Vec::new();
    for ((i, gname, _), r) in cases.iter().zip(hraw) {
        let r = r.finish();
        let name = peers[*i].name;
        println!(
            "tls    {:<8} {:<15} {:>8.0} handshakes/s  errors {}  server CPU {:>5.1}%  ({:.0} per server CPU-second)  client CPU {:>5.1}%",
            name, gname, r.rate, r.errors, r.cpu_pct, r.per_cpu_sec, r.client_cpu_pct
        );
        hs.push((name, *gname, r));
    }
    peers.truncate(main_peers);

    // 3. Memory with idle connections.
    let mut mem = Vec::new();
    for p in peers.iter().filter(|_| part("idle")) {
        let r = idle_run(p).await;
        println!(
            "idle   {:<8} {} connections open (server fds {}): RSS {:.1} MiB (before {:.1} MiB, {:.1} KiB per connection)",
            p.name,
            r.open,
            r.fds,
            mib(r.rss_kib),
            mib(r.rss_before_kib),
            r.rss_kib.saturating_sub(r.rss_before_kib) as f64 / r.open.max(1) as f64
        );
        mem.push((p.name, r));
    }
    drop(peers);

    // 4. Route change → served.
    let rc = if part("route") {
        route_change_run(dir.path(), &cert, upstream).await
    } else {
        None
    };

    // 5. Post-quantum TLS to the upstream.
    let up_tls = if part("upstream-tls") {
        upstream_tls_run(dir.path(), &cert).await
    } else {
        Vec::new()
    };

    // Summary with ratios and targets.
    println!("\n== summary (markdown) ==\n");
    println!("{}", summary(&load, &hs, &mem, rc.as_ref(), &up_tls));
    println!("total bench time {:.0} s", started.elapsed().as_secs_f64());
}

// ---------------------------------------------------------------- processes

/// A process started by the bench; SIGTERM then SIGKILL on drop.
struct Proc {
    child: Child,
}

impl Proc {
    fn spawn(mut cmd: Command, log: &Path) -> anyhow::Result<Self> {
        let out = std::fs::File::create(log)?;
        let err = out.try_clone()?;
        let child = cmd.stdin(Stdio::null()).stdout(out).stderr(err).spawn()?;
        Ok(Self { child })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Pins a command to CPU 1 when `taskset` exists.
fn pinned(bin: &str) -> Command {
    if which("taskset").is_some() {
        let mut c = Command::new("taskset");
        c.args(["-c", "1", bin]);
        c
    } else {
        Command::new(bin)
    }
}

fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path
        .split(':')
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"])
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file());
    found
}

fn free_port() -> u16 {
    shared::test_util::free_port()
}

struct Peer {
    name: &'static str,
    addr: SocketAddr,
    proc: Proc,
}

impl Peer {
    async fn gateway(
        dir: &Path,
        cert: &CertFiles,
        upstream: SocketAddr,
        name: &'static str,
        bin: &str,
    ) -> anyhow::Result<Self> {
        Self::gateway_with(
            dir,
            cert,
            name,
            bin,
            |id| upstream_config(id, upstream),
            &[],
        )
        .await
    }

    /// A gateway whose one upstream is `upstream(id)`, with `env` set
    /// after the bench's defaults.
    async fn gateway_with(
        dir: &Path,
        cert: &CertFiles,
        name: &'static str,
        bin: &str,
        upstream: impl FnOnce(&UpstreamId) -> UpstreamConfig,
        env: &[(&str, String)],
    ) -> anyhow::Result<Self> {
        let up = UpstreamId::new();
        let snapshot = ConfigSnapshot {
            revision: 1,
            routes: vec![route("/", &up)],
            upstreams: vec![upstream(&up)],
        };
        let file = dir.join(format!("{name}-routes.json"));
        std::fs::write(&file, serde_json::to_vec(&snapshot)?)?;
        let (port, admin) = (free_port(), free_port());
        let mut cmd = pinned(bin);
        gateway_env(&mut cmd, cert, port, admin);
        cmd.env("QSGW_CONFIG_FILE", &file)
            .env("QSGW_CONFIG_CACHE_PATH", "")
            .env("QSGW_ETCD_ENDPOINTS", "http://127.0.0.1:1")
            .env("QSGW_CONTROL_PLANE_URL", "http://127.0.0.1:1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let proc = Proc::spawn(cmd, &dir.join(format!("{name}.log")))?;
        wait_ready(&format!("http://127.0.0.1:{admin}/health/ready"), name).await?;
        Ok(Self {
            name,
            addr: ([127, 0, 0, 1], port).into(),
            proc,
        })
    }

    async fn nginx(dir: &Path, cert: &CertFiles, upstream: SocketAddr) -> anyhow::Result<Self> {
        Self::nginx_with(dir, cert, upstream, None).await
    }

    /// nginx proxying to `upstream`, over TLS when `tls_ca` (the CA that
    /// signs the upstream's `localhost` certificate) is given: verified,
    /// sessions reused, kept alive (nginx-tls).
    async fn nginx_with(
        dir: &Path,
        cert: &CertFiles,
        upstream: SocketAddr,
        tls_ca: Option<&Path>,
    ) -> anyhow::Result<Self> {
        let bin = which("nginx").ok_or_else(|| {
            anyhow::anyhow!(
                "nginx not installed (apt-get install nginx, or make setup): nginx column skipped"
            )
        })?;
        let name = if tls_ca.is_some() {
            "nginx-tls"
        } else {
            "nginx"
        };
        let d = dir.join(name);
        std::fs::create_dir_all(&d)?;
        let port = free_port();
        let conf = format!(
            r#"worker_processes 1;
worker_rlimit_nofile 20000;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 20000; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    keepalive_requests 10000000;
    keepalive_timeout 300s;
    client_header_timeout 300s;
    upstream up {{
        server {upstream};
        keepalive 128;
        keepalive_requests 10000000;
    }}
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols TLSv1.3;
        ssl_session_tickets off;
        ssl_session_cache off;
        location / {{
            proxy_pass {scheme}://up;{upstream_tls}
            proxy_http_version 1.1;
            proxy_buffering off;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $host;
            proxy_set_header X-Request-Id $request_id;
        }}
    }}
}}
"#,
            d = d.display(),
            cert = cert.cert.display(),
            key = cert.key.display(),
            scheme = if tls_ca.is_some() { "https" } else { "http" },
            upstream_tls = tls_ca.map_or(String::new(), |ca| format!(
                "
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate {};
            proxy_ssl_name localhost;
            proxy_ssl_server_name on;
            proxy_ssl_protocols TLSv1.3;
            proxy_ssl_session_reuse on;",
                ca.display()
            )),
        );
        let conf_path = d.join("nginx.conf");
        std::fs::write(&conf_path, conf)?;
        let mut cmd = pinned(bin.to_str().unwrap_or("nginx"));
        cmd.arg("-p")
            .arg(&d)
            .arg("-e")
            .arg(d.join("error.log"))
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off; master_process on;"]);
        let proc = Proc::spawn(cmd, &d.join("stdout.log"))?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        wait_port(addr, "nginx", &d.join("error.log")).await?;
        Ok(Self { name, addr, proc })
    }

    async fn haproxy(dir: &Path, cert: &CertFiles, upstream: SocketAddr) -> anyhow::Result<Self> {
        let bin = which("haproxy").ok_or_else(|| {
            anyhow::anyhow!("haproxy not installed (apt-get install haproxy, or make setup): HAProxy column skipped")
        })?;
        let d = dir.join("haproxy");
        std::fs::create_dir_all(&d)?;
        let port = free_port();
        let conf = format!(
            r#"global
    nbthread 1
    maxconn 10100
    ulimit-n 20000
    no strict-limits
    tune.ssl.cachesize 0
    ssl-default-bind-options ssl-min-ver TLSv1.3 no-tls-tickets
defaults
    mode http
    maxconn 10100
    timeout connect 5s
    timeout client 300s
    timeout server 30s
    timeout http-request 300s
    timeout http-keep-alive 300s
    option forwardfor
    http-reuse always
frontend fe
    bind 127.0.0.1:{port} ssl crt {pem} alpn http/1.1
    http-request set-header X-Forwarded-Proto https
    http-request set-header X-Forwarded-Host %[req.hdr(host)]
    http-request set-header X-Request-Id %[uuid]
    default_backend be
backend be
    server up {upstream}
"#,
            pem = cert.combined.display(),
        );
        let conf_path = d.join("haproxy.cfg");
        std::fs::write(&conf_path, conf)?;
        let mut cmd = pinned(bin.to_str().unwrap_or("haproxy"));
        cmd.arg("-db").arg("-f").arg(&conf_path);
        let log = d.join("haproxy.log");
        let proc = Proc::spawn(cmd, &log)?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        wait_port(addr, "haproxy", &log).await?;
        Ok(Self {
            name: "haproxy",
            addr,
            proc,
        })
    }

    /// VmRSS of the process and its children (nginx workers), KiB.
    fn rss_kib(&self) -> u64 {
        family(self.proc.pid())
            .into_iter()
            .map(|p| {
                std::fs::read_to_string(format!("/proc/{p}/status"))
                    .ok()
                    .and_then(|s| {
                        s.lines()
                            .find(|l| l.starts_with("VmRSS:"))
                            .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                    })
                    .unwrap_or(0)
            })
            .sum()
    }

    fn fds(&self) -> usize {
        family(self.proc.pid())
            .into_iter()
            .map(|p| {
                std::fs::read_dir(format!("/proc/{p}/fd"))
                    .map(|d| d.count())
                    .unwrap_or(0)
            })
            .sum()
    }
}

/// With `QSGW_BENCH_PERF=DIR`, records a `perf` profile of the peer's
/// processes during one run into `DIR/<peer>-<what>.data`
/// (`perf report -i … --no-children`); `QSGW_BENCH_PERF_CALLGRAPH=dwarf`
/// unwinds with DWARF (callers of frame-pointer-less code such as libc).
fn perf_start(p: &Peer, what: &str) -> Option<Child> {
    let dir = std::env::var_os("QSGW_BENCH_PERF")?;
    let pids: Vec<String> = family(p.proc.pid()).iter().map(u32::to_string).collect();
    let out = Path::new(&dir).join(format!("{}-{what}.data", p.name));
    let graph = std::env::var("QSGW_BENCH_PERF_CALLGRAPH").unwrap_or_else(|_| "fp".to_owned());
    Command::new("perf")
        .args(["record", "-F", "1999", "--call-graph", &graph, "-o"])
        .arg(out)
        .args(["-p", &pids.join(",")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| println!("perf not started: {e}"))
        .ok()
}

/// `perf stat` of the peer's syscalls and context switches over the
/// measured window (with `QSGW_BENCH_PERF`).
fn syscall_watch(
    p: &Peer,
    from: Instant,
    to: Instant,
) -> tokio::task::JoinHandle<Option<(u64, u64)>> {
    let pids: Vec<String> = family(p.proc.pid()).iter().map(u32::to_string).collect();
    tokio::spawn(async move {
        tokio::time::sleep_until(from.into()).await;
        let child = Command::new("perf")
            .args([
                "stat",
                "-x",
                ",",
                "-e",
                "raw_syscalls:sys_enter,context-switches",
                "-p",
            ])
            .arg(pids.join(","))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .ok()?;
        tokio::time::sleep_until(to.into()).await;
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let out = child.wait_with_output().ok()?;
        let text = String::from_utf8_lossy(&out.stderr);
        let count = |ev: &str| {
            text.lines()
                .find(|l| l.contains(ev))
                .and_then(|l| l.split(',').next()?.trim().parse::<u64>().ok())
        };
        Some((count("raw_syscalls:sys_enter")?, count("context-switches")?))
    })
}

fn perf_stop(perf: Option<Child>) {
    if let Some(mut c) = perf {
        let _ = Command::new("kill")
            .args(["-INT", &c.id().to_string()])
            .status();
        let _ = c.wait();
    }
}

fn gateway_env(cmd: &mut Command, cert: &CertFiles, port: u16, admin: u16) {
    cmd.env("QSGW_GATEWAY_HOST", "127.0.0.1")
        .env("QSGW_GATEWAY_PORT", port.to_string())
        .env("QSGW_GATEWAY_ADMIN_HOST", "127.0.0.1")
        .env("QSGW_GATEWAY_ADMIN_PORT", admin.to_string())
        .env("QSGW_TLS_CERT_PATH", &cert.cert)
        .env("QSGW_TLS_KEY_PATH", &cert.key)
        .env("QSGW_TLS_POLICY", "PQC_PREFERRED")
        .env("QSGW_ENVIRONMENT", "production")
        .env("QSGW_WORKER_THREADS", "1")
        .env("QSGW_MAX_CONNECTIONS", "20000")
        // Every bench client connects from 127.0.0.1, to upstreams there.
        .env("QSGW_MAX_CONNECTIONS_PER_IP", "20000")
        .env("QSGW_ALLOWED_PRIVATE_TARGETS", "127.0.0.0/8")
        .env("QSGW_RATE_LIMIT_RPS", "10000000")
        .env("QSGW_RATE_LIMIT_BURST", "10000000")
        // Full handshakes only, as nginx and HAProxy are configured here.
        .env("QSGW_TLS_SESSION_CACHE", "0")
        .env("QSGW_AI_ENGINE_URL", "http://127.0.0.1:1")
        .env("QSGW_LOG_LEVEL", "warn");
}

/// The pid, plus the processes whose parent it is (taskset execs in place).
fn family(root: u32) -> Vec<u32> {
    let mut out = vec![root];
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let ppid = proc_stat(&pid.to_string()).and_then(|f| f.get(1)?.parse::<u32>().ok());
            if ppid == Some(root) {
                out.push(pid);
            }
        }
    }
    out
}

async fn wait_ready(url: &str, what: &str) -> anyhow::Result<()> {
    let c = shared::test_util::client();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = c.get(url).send().await {
            if r.status() == 200 {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("{what} not ready at {url} within 30 s")
}

async fn wait_port(addr: SocketAddr, what: &str, log: &Path) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!(
        "{what} did not listen on {addr}: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    )
}

// ---------------------------------------------------------------- setup

struct CertFiles {
    cert: PathBuf,
    key: PathBuf,
    combined: PathBuf,
}

fn write_cert(dir: &Path) -> CertFiles {
    let c = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let files = CertFiles {
        cert: dir.join("server.crt"),
        key: dir.join("server.key"),
        combined: dir.join("server.pem"),
    };
    let (cert, key) = (c.cert.pem(), c.signing_key.serialize_pem());
    std::fs::write(&files.cert, &cert).expect("write cert");
    std::fs::write(&files.key, &key).expect("write key");
    std::fs::write(&files.combined, format!("{cert}{key}")).expect("write pem");
    files
}

fn route(path: &str, up: &UpstreamId) -> RouteConfig {
    RouteConfig {
        id: RouteId::new(),
        name: format!("bench {path}"),
        host: None,
        path: shared::edge::RoutePath::parse(path).expect("a canonical bench path"),
        path_match: PathMatch::Prefix,
        methods: vec![],
        upstream_id: up.clone(),
        strip_prefix: false,
        timeout_ms: None,
        retries: 0,
        rate_limit: None,
        tls_policy: None,
        inspection: InspectionMode::Off,
        bots: shared::qsgw::BotPolicy::Flag,
        client_cert_required: false,
        enabled: true,
        version: 1,
    }
}

fn upstream_config(id: &UpstreamId, addr: SocketAddr) -> UpstreamConfig {
    UpstreamConfig {
        id: id.clone(),
        name: "bench".into(),
        targets: vec![Target {
            host: addr.ip().to_string(),
            port: addr.port(),
            weight: 1,
        }],
        lb_policy: LbPolicy::RoundRobin,
        health_check: HealthCheck {
            enabled: false,
            path: "/health".into(),
            interval_ms: 1000,
            timeout_ms: 500,
            expected_status: 200,
            healthy_threshold: 1,
            unhealthy_threshold: 1,
        },
        ejection: PassiveEjection {
            after_failures: 0,
            duration_ms: 1000,
        },
        pool_size: None,
        connect_timeout_ms: 1000,
        request_timeout_ms: None,
        tls: None,
        version: 1,
    }
}

/// The tiny keep-alive upstream every proxy forwards to: answers every
/// request head with the same 13-byte response, written straight to the
/// socket (requests carry no body here). Hand-written rather than a hyper
/// server so the upstream's share of CPU 0, which it shares with the load
/// client, stays small, as nginx's `return 200` would.
async fn spawn_upstream() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind upstream");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(serve_upstream(stream));
        }
    });
    addr
}

/// The same upstream over TLS 1.3 (rustls, aws-lc-rs: X25519MLKEM768
/// first, then X25519; sessions resumable), with the `localhost` leaf of
/// `chain`. Counts its handshakes per negotiated group, to show which
/// group each proxy's upstream leg used.
async fn spawn_tls_upstream(
    chain: &gateway::tls::GeneratedChain,
) -> (
    SocketAddr,
    Arc<std::sync::Mutex<std::collections::BTreeMap<String, u64>>>,
) {
    use rustls::pki_types::pem::PemObject;
    let certs = CertificateDer::pem_file_iter(&chain.chain)
        .expect("chain")
        .collect::<Result<Vec<_>, _>>()
        .expect("chain");
    let key = rustls::pki_types::PrivateKeyDer::from_pem_file(&chain.key).expect("key");
    let provider = CryptoProvider {
        kx_groups: vec![kx_group::X25519MLKEM768, kx_group::X25519],
        ..aws_lc_rs::default_provider()
    };
    let mut cfg = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("upstream cert");
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let groups = Arc::new(std::sync::Mutex::new(std::collections::BTreeMap::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind TLS upstream");
    let addr = listener.local_addr().expect("addr");
    let seen = groups.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let (acceptor, seen) = (acceptor.clone(), seen.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let group = tls
                    .get_ref()
                    .1
                    .negotiated_key_exchange_group()
                    .map_or_else(|| "none".to_owned(), |g| format!("{:?}", g.name()));
                *seen.lock().unwrap().entry(group).or_insert(0) += 1;
                serve_upstream(tls).await;
            });
        }
    });
    (addr, groups)
}

/// The upstream's answer, whole.
const UPSTREAM_RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 13\r\n\r\nhello, world\n";

async fn serve_upstream<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(mut stream: S) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut out: Vec<u8> = Vec::new();
    loop {
        match stream.read_buf(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut used = 0;
        let mut answers = 0;
        loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut req = httparse::Request::new(&mut headers);
            match req.parse(&buf[used..]) {
                Ok(httparse::Status::Complete(n)) => {
                    used += n;
                    answers += 1;
                }
                Ok(httparse::Status::Partial) => break,
                Err(_) => return,
            }
        }
        buf.drain(..used);
        let written = if answers == 1 {
            stream.write_all(UPSTREAM_RESPONSE).await
        } else {
            out.clear();
            for _ in 0..answers {
                out.extend_from_slice(UPSTREAM_RESPONSE);
            }
            stream.write_all(&out).await
        };
        if written.is_err() {
            return;
        }
    }
}

/// Raises the soft open-files limit to the hard one (children inherit it).
fn raise_nofile() {
    let hard = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(4).map(str::to_owned))
        })
        .unwrap_or_else(|| "20000".into());
    // As root the hard limit can be raised too (HAProxy wants 2 fds per
    // connection for its maxconn); otherwise the soft limit goes up to it.
    let pid = std::process::id().to_string();
    let set = |v: &str| {
        Command::new("prlimit")
            .args(["--pid", &pid, &format!("--nofile={v}:{v}")])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let got = ["65536", hard.as_str()].into_iter().find(|v| set(v));
    println!(
        "open-files limit: {}",
        got.map_or("unchanged (prlimit failed)".to_owned(), |v| format!(
            "raised to {v}"
        ))
    );
}

/// Pins every thread of this process to CPU 0 (new threads inherit it).
fn pin_self_to_cpu0() {
    let _ = Command::new("taskset")
        .args(["-a", "-p", "-c", "0", &std::process::id().to_string()])
        .stdout(Stdio::null())
        .status();
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':').map(|(_, v)| v.trim().to_owned()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let version = |bin: &str, arg: &str| {
        which(bin)
            .and_then(|b| Command::new(b).arg(arg).output().ok())
            .map(|o| {
                let s = format!(
                    "{}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                );
                s.lines().next().unwrap_or("").trim().to_owned()
            })
            .unwrap_or_else(|| format!("{bin}: not installed"))
    };
    format!(
        "{} CPUs, {cpu}; loadavg {}; {}; {}",
        std::fs::read_to_string("/proc/cpuinfo")
            .map(|s| s.lines().filter(|l| l.starts_with("processor")).count())
            .unwrap_or(0),
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
        version("nginx", "-v"),
        version("haproxy", "-v"),
    )
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn clk_tck() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(100.0)
}

// ---------------------------------------------------------------- client

/// Accepts any certificate: the load client must not spend its CPU on
/// verification (the servers still sign every handshake).
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// TLS 1.3 only, offering only `groups`, no resumption, ALPN http/1.1.
fn client_config(groups: Vec<&'static dyn SupportedKxGroup>) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(CryptoProvider {
        kx_groups: groups,
        ..aws_lc_rs::default_provider()
    });
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .expect("TLS 1.3")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    cfg.resumption = Resumption::disabled();
    Arc::new(cfg)
}

/// Handshake load-client key exchange with one key pair per group, made
/// once and reused for every handshake: the client then spends its CPU on
/// decapsulation and X25519 only, not on key generation, so one client
/// core outpaces one server core and the handshake rates measure the
/// servers. Every server still generates fresh keys (and encapsulates, and
/// signs) for each handshake; only the load client cuts this corner, which
/// no real client may do.
mod reused {
    use std::sync::Arc;

    use aws_lc_rs::agreement::{self, PrivateKey, UnparsedPublicKey};
    use aws_lc_rs::kem::{Ciphertext, DecapsulationKey, ML_KEM_768};
    use rustls::crypto::{ActiveKeyExchange, SharedSecret, SupportedKxGroup};
    use rustls::NamedGroup;

    /// ML-KEM-768 ciphertext length (the server's share before its X25519 key).
    const MLKEM768_CIPHERTEXT: usize = 1088;

    #[derive(Debug)]
    struct Keys {
        group: NamedGroup,
        x25519: PrivateKey,
        mlkem: Option<DecapsulationKey<aws_lc_rs::kem::AlgorithmId>>,
        /// What the client sends: ML-KEM encapsulation key ‖ X25519 key
        /// (X25519MLKEM768), or the X25519 key alone.
        share: Vec<u8>,
    }

    #[derive(Debug)]
    struct Group(Arc<Keys>);

    struct Active(Arc<Keys>);

    fn keys(group: NamedGroup, with_mlkem: bool) -> Keys {
        let x25519 = PrivateKey::generate(&agreement::X25519).expect("x25519 key");
        let x_pub = x25519.compute_public_key().expect("x25519 public key");
        let mlkem =
            with_mlkem.then(|| DecapsulationKey::generate(&ML_KEM_768).expect("ML-KEM key"));
        let mut share = Vec::new();
        if let Some(dk) = &mlkem {
            let ek = dk.encapsulation_key().expect("encapsulation key");
            share.extend_from_slice(ek.key_bytes().expect("key bytes").as_ref());
        }
        share.extend_from_slice(x_pub.as_ref());
        Keys {
            group,
            x25519,
            mlkem,
            share,
        }
    }

    /// X25519 with a reused client key.
    pub fn x25519() -> &'static dyn SupportedKxGroup {
        Box::leak(Box::new(Group(Arc::new(keys(NamedGroup::X25519, false)))))
    }

    /// X25519MLKEM768 with a reused client key pair.
    pub fn x25519_mlkem768() -> &'static dyn SupportedKxGroup {
        Box::leak(Box::new(Group(Arc::new(keys(
            NamedGroup::X25519MLKEM768,
            true,
        )))))
    }

    impl SupportedKxGroup for Group {
        fn start(&self) -> Result<Box<dyn ActiveKeyExchange>, rustls::Error> {
            Ok(Box::new(Active(self.0.clone())))
        }

        fn name(&self) -> NamedGroup {
            self.0.group
        }
    }

    impl ActiveKeyExchange for Active {
        fn complete(self: Box<Self>, peer: &[u8]) -> Result<SharedSecret, rustls::Error> {
            let bad = || rustls::Error::from(rustls::PeerMisbehaved::InvalidKeyShare);
            let (ct, x_peer) = match &self.0.mlkem {
                Some(_) if peer.len() == MLKEM768_CIPHERTEXT + 32 => {
                    let (ct, x) = peer.split_at(MLKEM768_CIPHERTEXT);
                    (Some(ct), x)
                }
                Some(_) => return Err(bad()),
                None => (None, peer),
            };
            // Hybrid secret: ML-KEM shared secret ‖ X25519 shared secret.
            let mut secret = Vec::with_capacity(64);
            if let (Some(dk), Some(ct)) = (&self.0.mlkem, ct) {
                let ss = dk.decapsulate(Ciphertext::from(ct)).map_err(|_| bad())?;
                secret.extend_from_slice(ss.as_ref());
            }
            agreement::agree(
                &self.0.x25519,
                UnparsedPublicKey::new(&agreement::X25519, x_peer),
                bad(),
                |ss| {
                    secret.extend_from_slice(ss);
                    Ok(())
                },
            )?;
            Ok(SharedSecret::from(secret))
        }

        fn pub_key(&self) -> &[u8] {
            &self.0.share
        }

        fn group(&self) -> NamedGroup {
            self.0.group
        }
    }
}

type Tls = tokio_rustls::client::TlsStream<TcpStream>;

async fn connect(addr: SocketAddr, cfg: &Arc<rustls::ClientConfig>) -> std::io::Result<Tls> {
    let tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    tokio_rustls::TlsConnector::from(cfg.clone())
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
}

/// A keep-alive HTTP/1.1 connection of the load client: one GET at a
/// time, written and read on the TLS stream directly (no hyper dispatch
/// task and channel per connection), so the client's core, which also runs
/// the upstream, is not what limits the figure.
struct LoadConn {
    tls: Tls,
    buf: Vec<u8>,
}

/// The load client's request.
const LOAD_REQUEST: &[u8] = b"GET /bench HTTP/1.1\r\nhost: localhost\r\n\r\n";

impl LoadConn {
    async fn open(addr: SocketAddr, cfg: &Arc<rustls::ClientConfig>) -> std::io::Result<Self> {
        Ok(Self {
            tls: connect(addr, cfg).await?,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends `GET /bench` and reads the whole response; its status.
    async fn get(&mut self) -> anyhow::Result<u16> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        self.tls.write_all(LOAD_REQUEST).await?;
        self.tls.flush().await?;
        self.buf.clear();
        loop {
            if self.tls.read_buf(&mut self.buf).await? == 0 {
                anyhow::bail!("connection closed mid-response");
            }
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut resp = httparse::Response::new(&mut headers);
            let httparse::Status::Complete(head) = resp.parse(&self.buf)? else {
                continue;
            };
            let length = resp
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| {
                    std::str::from_utf8(h.value)
                        .ok()?
                        .trim()
                        .parse::<usize>()
                        .ok()
                })
                .ok_or_else(|| anyhow::anyhow!("response without content-length"))?;
            let status = resp.code.unwrap_or(0);
            if self.buf.len() >= head + length {
                return Ok(status);
            }
        }
    }
}

type Sender = hyper::client::conn::http1::SendRequest<Empty<Bytes>>;

async fn http_conn(addr: SocketAddr, cfg: &Arc<rustls::ClientConfig>) -> anyhow::Result<Sender> {
    let tls = connect(addr, cfg).await?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await?;
    tokio::spawn(conn);
    Ok(sender)
}

async fn get(sender: &mut Sender, path: &str) -> anyhow::Result<u16> {
    sender.ready().await?;
    let req = Request::get(path)
        .header("host", "localhost")
        .body(Empty::<Bytes>::new())?;
    let resp = sender.send_request(req).await?;
    let status = resp.status().as_u16();
    resp.into_body().collect().await?;
    Ok(status)
}

// ---------------------------------------------------------------- runs

struct LoadResult {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
    cpu_pct: f64,
    per_cpu_sec: f64,
    /// The load client's (and upstream's) own CPU over the window.
    client_cpu_pct: f64,
    /// Requests/s and p99 (ms) of each round.
    rounds: Vec<(f64, f64)>,
}

/// One throughput round: latencies (µs), errors, and the server's and
/// client's CPU seconds.
struct LoadRound {
    lat_us: Vec<u32>,
    errors: u64,
    cpu_secs: f64,
    client_cpu_secs: f64,
}

/// Rounds pooled.
#[derive(Default)]
struct LoadRaw {
    lat_us: Vec<u32>,
    errors: u64,
    cpu_secs: f64,
    client_cpu_secs: f64,
    secs: f64,
    /// Each round's own requests/s and p99 (ms), in order.
    rounds: Vec<(f64, f64)>,
}

impl LoadRaw {
    fn add(&mut self, r: LoadRound) {
        let mut sorted = r.lat_us.clone();
        sorted.sort_unstable();
        self.rounds.push((
            sorted.len() as f64 / MEASURE.as_secs_f64(),
            pct(&sorted, 0.99),
        ));
        self.lat_us.extend(r.lat_us);
        self.errors += r.errors;
        self.cpu_secs += r.cpu_secs;
        self.client_cpu_secs += r.client_cpu_secs;
        self.secs += MEASURE.as_secs_f64();
    }

    fn finish(mut self) -> LoadResult {
        self.lat_us.sort_unstable();
        let n = self.lat_us.len() as f64;
        LoadResult {
            rounds: self.rounds,
            rps: n / self.secs,
            p50_ms: pct(&self.lat_us, 0.50),
            p99_ms: pct(&self.lat_us, 0.99),
            errors: self.errors,
            cpu_pct: 100.0 * self.cpu_secs / self.secs,
            client_cpu_pct: 100.0 * self.client_cpu_secs / self.secs,
            per_cpu_sec: if self.cpu_secs > 0.0 {
                n / self.cpu_secs
            } else {
                0.0
            },
        }
    }
}

/// CPU seconds used between `from` and `to` by the process `root` and its
/// children (a peer), or by this process (the load client and upstream)
/// when `root` is `None`.
fn cpu_watch(root: Option<u32>, from: Instant, to: Instant) -> tokio::task::JoinHandle<f64> {
    fn ticks(root: Option<u32>) -> u64 {
        match root {
            Some(pid) => family(pid)
                .into_iter()
                .map(|p| cpu_ticks(&p.to_string()))
                .sum(),
            None => cpu_ticks("self"),
        }
    }
    tokio::spawn(async move {
        tokio::time::sleep_until(from.into()).await;
        let a = ticks(root);
        tokio::time::sleep_until(to.into()).await;
        (ticks(root).saturating_sub(a)) as f64 / clk_tck()
    })
}

/// The fields of `/proc/<pid>/stat` after the command name (0 state,
/// 1 ppid, 11 utime, 12 stime).
fn proc_stat(pid: &str) -> Option<Vec<String>> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(
        s.rsplit_once(')')?
            .1
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
    )
}

/// User + system CPU ticks of `pid` ("self" for this process).
fn cpu_ticks(pid: &str) -> u64 {
    proc_stat(pid)
        .and_then(|f| Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?))
        .unwrap_or(0)
}

/// One measured window on `p` with `conns` (opened as needed, kept open
/// for the next round), after `warmup`.
async fn load_run(
    p: &Peer,
    cfg: &Arc<rustls::ClientConfig>,
    conns: &mut [Option<LoadConn>],
    warmup: Duration,
    count_syscalls: bool,
) -> LoadRound {
    let start = Instant::now() + warmup;
    let end = start + MEASURE;
    let cpu = cpu_watch(Some(p.proc.pid()), start, end);
    let client_cpu = cpu_watch(None, start, end);
    let stat = count_syscalls.then(|| syscall_watch(p, start, end));
    let mut tasks = Vec::new();
    for slot in conns.iter_mut() {
        let cfg = cfg.clone();
        let addr = p.addr;
        let mut sender = slot.take();
        tasks.push(tokio::spawn(async move {
            let mut lat: Vec<u32> = Vec::with_capacity(100_000);
            let mut errors = 0u64;
            while Instant::now() < end {
                if sender.is_none() {
                    match LoadConn::open(addr, &cfg).await {
                        Ok(s) => sender = Some(s),
                        Err(_) => {
                            errors += 1;
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    }
                }
                let Some(s) = sender.as_mut() else { continue };
                let t0 = Instant::now();
                match s.get().await {
                    Ok(200) => {
                        if t0 >= start && Instant::now() <= end {
                            lat.push(u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX));
                        }
                    }
                    Ok(_) | Err(_) => {
                        errors += 1;
                        sender = None;
                    }
                }
            }
            (lat, errors, sender)
        }));
    }
    let mut lat_us = Vec::new();
    let mut errors = 0;
    for (t, slot) in tasks.into_iter().zip(conns.iter_mut()) {
        let (l, e, sender) = t.await.expect("load task");
        lat_us.extend(l);
        errors += e;
        *slot = sender;
    }
    if let Some(stat) = stat {
        if let Ok(Some((syscalls, switches))) = stat.await {
            let n = lat_us.len().max(1) as f64;
            println!(
                "perf   {:<8} measured window: {syscalls} syscalls, {switches} context switches = {:.1} syscalls and {:.2} switches per request",
                p.name,
                syscalls as f64 / n,
                switches as f64 / n
            );
        }
    }
    LoadRound {
        lat_us,
        errors,
        cpu_secs: cpu.await.expect("cpu watch"),
        client_cpu_secs: client_cpu.await.expect("cpu watch"),
    }
}

/// Each round's figures, and the gateway against nginx round by round
/// (rounds are interleaved, so a pair ran under the same machine load).
fn print_rounds(load: &[(&str, LoadResult)]) {
    let n = load.iter().map(|(_, r)| r.rounds.len()).max().unwrap_or(0);
    for k in 0..n {
        let mut line = format!("round  {:>2}", k + 1);
        for (name, r) in load {
            if let Some((rps, p99)) = r.rounds.get(k) {
                let _ = write!(line, "  {name} {rps:>6.0} req/s p99 {p99:>6.3} ms");
            }
        }
        println!("{line}");
    }
    if let Some(p) = Paired::of(load) {
        println!(
            "rounds gateway/nginx: req/s ratio median {:.2}× (≥ 1.0 in {}/{} rounds), p99 ratio median {:.2}× (≤ 1.0 in {}/{} rounds)",
            p.rps_median, p.rps_wins, p.rounds, p.p99_median, p.p99_wins, p.rounds,
        );
    }
}

/// The gateway against nginx round by round: medians of the per-round
/// ratios, and how many rounds each part of the target held in.
struct Paired {
    rounds: usize,
    rps_median: f64,
    rps_wins: usize,
    p99_median: f64,
    p99_wins: usize,
}

impl Paired {
    fn of(load: &[(&str, LoadResult)]) -> Option<Self> {
        let get = |name: &str| load.iter().find(|(n, _)| *n == name).map(|(_, r)| r);
        let (g, ng) = (get("gateway")?, get("nginx")?);
        let pairs: Vec<_> = g.rounds.iter().zip(&ng.rounds).collect();
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
        };
        Some(Self {
            rounds: pairs.len(),
            rps_median: median(pairs.iter().map(|(a, b)| a.0 / b.0).collect()),
            rps_wins: pairs.iter().filter(|(a, b)| a.0 >= b.0).count(),
            p99_median: median(pairs.iter().map(|(a, b)| a.1 / b.1).collect()),
            p99_wins: pairs.iter().filter(|(a, b)| a.1 <= b.1).count(),
        })
    }
}

fn pct(sorted_us: &[u32], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted_us.len() as f64 - 1.0) * q).round() as usize;
    f64::from(sorted_us[i]) / 1000.0
}

struct HsResult {
    rate: f64,
    errors: u64,
    cpu_pct: f64,
    per_cpu_sec: f64,
    /// The load client's own CPU over the window (near 100 %: the client,
    /// not the server, set the rate).
    client_cpu_pct: f64,
}

/// Handshake rounds pooled: completed, failed, server CPU seconds, seconds.
#[derive(Default)]
struct HsRaw {
    ok: u64,
    errors: u64,
    cpu_secs: f64,
    client_cpu_secs: f64,
    secs: f64,
}

impl HsRaw {
    fn add(&mut self, r: HsRaw) {
        self.ok += r.ok;
        self.errors += r.errors;
        self.cpu_secs += r.cpu_secs;
        self.client_cpu_secs += r.client_cpu_secs;
        self.secs += r.secs;
    }

    fn finish(self) -> HsResult {
        HsResult {
            rate: self.ok as f64 / self.secs,
            errors: self.errors,
            cpu_pct: 100.0 * self.cpu_secs / self.secs,
            client_cpu_pct: 100.0 * self.client_cpu_secs / self.secs,
            per_cpu_sec: if self.cpu_secs > 0.0 {
                self.ok as f64 / self.cpu_secs
            } else {
                0.0
            },
        }
    }
}

async fn handshake_run(p: &Peer, cfg: Arc<rustls::ClientConfig>) -> HsRaw {
    let start = Instant::now() + Duration::from_millis(300);
    let end = start + HS_MEASURE;
    let cpu = cpu_watch(Some(p.proc.pid()), start, end);
    let client_cpu = cpu_watch(None, start, end);
    let mut tasks = Vec::new();
    for _ in 0..HS_CONCURRENCY {
        let cfg = cfg.clone();
        let addr = p.addr;
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut errors) = (0u64, 0u64);
            while Instant::now() < end {
                let t0 = Instant::now();
                match connect(addr, &cfg).await {
                    Ok(s) => {
                        if t0 >= start && Instant::now() <= end {
                            ok += 1;
                        }
                        drop(s);
                    }
                    Err(_) => errors += 1,
                }
            }
            (ok, errors)
        }));
    }
    let (mut ok, mut errors) = (0, 0);
    for t in tasks {
        let (o, e) = t.await.expect("handshake task");
        ok += o;
        errors += e;
    }
    HsRaw {
        ok,
        errors,
        cpu_secs: cpu.await.expect("cpu watch"),
        client_cpu_secs: client_cpu.await.expect("cpu watch"),
        secs: HS_MEASURE.as_secs_f64(),
    }
}

struct IdleResult {
    open: usize,
    fds: usize,
    rss_kib: u64,
    rss_before_kib: u64,
}

async fn idle_run(p: &Peer) -> IdleResult {
    let cfg = client_config(vec![kx_group::X25519MLKEM768, kx_group::X25519]);
    let rss_before_kib = p.rss_kib();
    let sem = Arc::new(tokio::sync::Semaphore::new(HS_CONCURRENCY));
    let mut tasks = Vec::with_capacity(IDLE_CONNECTIONS);
    for _ in 0..IDLE_CONNECTIONS {
        let permit = sem.clone().acquire_owned().await.expect("semaphore");
        let cfg = cfg.clone();
        let addr = p.addr;
        tasks.push(tokio::spawn(async move {
            let r = connect(addr, &cfg).await.ok();
            drop(permit);
            r
        }));
    }
    let mut conns = Vec::with_capacity(IDLE_CONNECTIONS);
    for t in tasks {
        if let Ok(Some(c)) = t.await {
            conns.push(c);
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let r = IdleResult {
        open: conns.len(),
        fds: p.fds(),
        rss_kib: p.rss_kib(),
        rss_before_kib,
    };
    drop(conns);
    // Let the server notice the closes before the next peer runs.
    tokio::time::sleep(Duration::from_secs(1)).await;
    r
}

struct RouteChange {
    samples_ms: Vec<f64>,
    post_ms: Vec<f64>,
}

/// Route created through the control plane API → first 200 through the gateway.
async fn route_change_run(
    dir: &Path,
    cert: &CertFiles,
    upstream: SocketAddr,
) -> Option<RouteChange> {
    let Ok(db) = std::env::var("DATABASE_URL") else {
        println!(
            "SKIP route change: DATABASE_URL not set (run through make bench / make bench-gateway)"
        );
        return None;
    };
    if which("etcd").is_none() {
        println!("SKIP route change: etcd not installed (make setup)");
        return None;
    }
    let etcd = shared::test_util::EtcdInstance::start();
    // A fresh database on the bench's server.
    let admin = sqlx::PgPool::connect(&db).await.expect("DATABASE_URL");
    let name = format!("gwbench_{}", std::process::id());
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&admin)
        .await;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create database");
    let (server, _) = db.rsplit_once('/').expect("DATABASE_URL has a path");
    let db_url = format!("{server}/{name}");

    const API_KEY: &str = "bench-service-key-0123456789";
    let cli = <control_plane::config::Cli as clap::Parser>::try_parse_from([
        "control-plane",
        "--database-url",
        &db_url,
        "--jwt-secret",
        shared::test_util::TEST_JWT_SECRET,
        "--api-key",
        API_KEY,
        "--etcd-endpoints",
        &etcd.endpoint(),
        // The bench upstreams listen on loopback.
        "--allowed-private-targets",
        "127.0.0.0/8",
    ])
    .expect("control plane flags");
    let mut cfg = control_plane::config::Config::from_settings(cli.settings).expect("cp config");
    cfg.host = "127.0.0.1".into();
    cfg.port = 0;
    let shutdown = shared::server::Shutdown::new();
    let app = control_plane::startup::Application::build(cfg.clone(), shutdown.clone())
        .await
        .expect("control plane starts");
    let cp = format!("http://127.0.0.1:{}", app.port());
    let cp_task = tokio::spawn(app.run_until_stopped());
    // Control-plane tokens must name a real user (issue 16).
    let bench_pool = sqlx::PgPool::connect(&db_url)
        .await
        .expect("bench database");
    let user = shared::ids::UserId::new();
    sqlx::query("INSERT INTO users (id, email, password_hash, role) VALUES ($1, 'bench@test.example', '$argon2id$unusable', 'operator')")
        .bind(user.as_str())
        .execute(&bench_pool)
        .await
        .expect("bench user");
    let token = control_plane::auth::revocation::issue_for_user(
        &bench_pool,
        &cfg.jwt,
        user.as_str(),
        cfg.jwt.ttl(),
    )
    .await
    .expect("token")
    .expect("user exists")
    .0;

    let (port, admin_port) = (free_port(), free_port());
    let mut cmd = pinned(GATEWAY_BIN);
    gateway_env(&mut cmd, cert, port, admin_port);
    cmd.env("QSGW_ETCD_ENDPOINTS", etcd.endpoint())
        // The bench's private etcd is plaintext on loopback.
        .env("QSGW_ALLOW_INSECURE_ETCD", "true")
        .env("QSGW_CONFIG_CACHE_PATH", dir.join("rc-cache.json"))
        .env("QSGW_CONTROL_PLANE_URL", &cp)
        .env("QSGW_API_KEY", API_KEY);
    let gw = Proc::spawn(cmd, &dir.join("gateway-rc.log")).expect("gateway starts");
    wait_ready(
        &format!("http://127.0.0.1:{admin_port}/health/ready"),
        "gateway (etcd)",
    )
    .await
    .expect("gateway ready");

    let c = shared::test_util::client();
    let r = c
        .post(format!("{cp}/api/v1/upstreams"))
        .bearer_auth(&token)
        .json(&serde_json::json!({
            "name": "bench",
            "targets": [{"host": upstream.ip().to_string(), "port": upstream.port()}],
            "health_check": {"enabled": false}
        }))
        .send()
        .await
        .expect("create upstream");
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let up: serde_json::Value = r.json().await.expect("upstream json");
    let up_id = up["id"].as_str().expect("upstream id").to_owned();

    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let tls = client_config(vec![kx_group::X25519MLKEM768, kx_group::X25519]);
    let mut sender = http_conn(addr, &tls).await.expect("gateway connection");
    let mut samples_ms = Vec::new();
    let mut post_ms = Vec::new();
    for i in 0..ROUTE_SAMPLES {
        let path = format!("/rc/{i}");
        let t0 = Instant::now();
        let r = c
            .post(format!("{cp}/api/v1/routes"))
            .bearer_auth(&token)
            .json(
                &serde_json::json!({"name": format!("rc {i}"), "path": path, "upstream_id": up_id}),
            )
            .send()
            .await
            .expect("create route");
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
        post_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
        let deadline = t0 + Duration::from_secs(5);
        loop {
            match get(&mut sender, &path).await {
                Ok(200) => break,
                Ok(_) => {}
                Err(_) => sender = http_conn(addr, &tls).await.expect("reconnect"),
            }
            assert!(
                Instant::now() < deadline,
                "route {path} not served within 5 s"
            );
            tokio::time::sleep(Duration::from_micros(500)).await;
        }
        samples_ms.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    drop(gw);
    shutdown.trigger();
    let _ = cp_task.await;
    drop(etcd);
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin)
        .await;
    let mut sorted = samples_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let mut psorted = post_ms.clone();
    psorted.sort_by(f64::total_cmp);
    println!(
        "route  {} samples: created → served p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms (of which the POST itself p50 {:.1} ms)",
        sorted.len(),
        fpct(&sorted, 0.5),
        fpct(&sorted, 0.99),
        sorted.last().copied().unwrap_or(f64::NAN),
        fpct(&psorted, 0.5),
    );
    Some(RouteChange {
        samples_ms: sorted,
        post_ms: psorted,
    })
}

fn fpct(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 - 1.0) * q).round() as usize]
}

// ---------------------------------------------------------------- report

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**not met**"
    }
}

/// One proxy's figures with TLS to the upstream.
struct UpTls {
    load: LoadResult,
    /// The upstream leg's negotiated groups, as the upstream counted them.
    groups: String,
}

/// Part 5: the gateway and nginx, each proxying to its own TLS 1.3
/// upstream (same certificate, signed by a CA both trust and verify): the
/// gateway's leg under its default `PQC_PREFERRED` (X25519MLKEM768), nginx's
/// with Debian 12's OpenSSL 3.0 (X25519: it has no ML-KEM). Client side as
/// in part 1 (X25519, keep-alive); half as many interleaved rounds.
async fn upstream_tls_run(dir: &Path, cert: &CertFiles) -> Vec<UpTls> {
    let chain = gateway::tls::generate_chain(
        gateway::tls::CertAlg::EcdsaP256,
        &dir.join("upstream-ca"),
        &["localhost".to_owned()],
    )
    .expect("upstream chain");
    let ca = std::fs::read_to_string(&chain.root).expect("upstream CA");
    let (gw_up, gw_groups) = spawn_tls_upstream(&chain).await;
    let (ng_up, ng_groups) = spawn_tls_upstream(&chain).await;
    let mut peers = vec![Peer::gateway_with(
        dir,
        cert,
        "gateway-tls",
        GATEWAY_BIN,
        |id| {
            let mut u = upstream_config(id, gw_up);
            u.tls = Some(UpstreamTls {
                enabled: true,
                sni: Some("localhost".into()),
                ca: Some(ca),
                verify: true,
                client_cert_path: None,
                client_key_path: None,
                policy: Some(TlsPolicy::PqcPreferred),
            });
            u
        },
        &[],
    )
    .await
    .expect("gateway with a TLS upstream")];
    let mut groups = vec![gw_groups];
    match Peer::nginx_with(dir, cert, ng_up, Some(&chain.root)).await {
        Ok(p) => {
            peers.push(p);
            groups.push(ng_groups);
        }
        Err(e) => println!("SKIP: {e:#}"),
    }
    let cfg = client_config(vec![kx_group::X25519]);
    let mut raw: Vec<LoadRaw> = peers.iter().map(|_| LoadRaw::default()).collect();
    let mut conns: Vec<Vec<Option<LoadConn>>> = peers
        .iter()
        .map(|_| (0..CONCURRENCY).map(|_| None).collect())
        .collect();
    for round in 0..rounds().div_ceil(2) {
        for k in 0..peers.len() {
            let i = (k + round) % peers.len();
            let warmup = if round == 0 { WARMUP } else { Duration::ZERO };
            raw[i].add(load_run(&peers[i], &cfg, &mut conns[i], warmup, false).await);
        }
    }
    drop(conns);
    peers
        .iter()
        .zip(raw)
        .zip(groups)
        .map(|((p, r), g)| {
            let r = r.finish();
            let groups = g
                .lock()
                .unwrap()
                .iter()
                .map(|(k, v)| format!("{k} ×{v}"))
                .collect::<Vec<_>>()
                .join(", ");
            println!(
                "uptls  {:<11} {:>9.0} req/s  p50 {:>7.3} ms  p99 {:>7.3} ms  errors {}  server CPU {:>5.1}%  upstream leg: {groups}",
                p.name, r.rps, r.p50_ms, r.p99_ms, r.errors, r.cpu_pct
            );
            UpTls { load: r, groups }
        })
        .collect()
}

fn summary(
    load: &[(&str, LoadResult)],
    hs: &[(&str, &str, HsResult)],
    mem: &[(&str, IdleResult)],
    rc: Option<&RouteChange>,
    up_tls: &[UpTls],
) -> String {
    let mut s = String::new();
    let gw = load.iter().find(|(n, _)| *n == "gateway").map(|(_, r)| r);
    let _ = writeln!(
        s,
        "| figure | gateway | nginx | HAProxy | ratio gateway/nginx | ratio gateway/HAProxy | target | result |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|");
    let col = |name: &str, f: &dyn Fn(&LoadResult) -> f64| {
        load.iter().find(|(n, _)| *n == name).map(|(_, r)| f(r))
    };
    let fmt = |v: Option<f64>, d: usize| v.map_or("skipped".to_owned(), |v| format!("{v:.d$}"));
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
        _ => "–".to_owned(),
    };
    if let Some(g) = gw {
        let rps = |n: &str| col(n, &|r| r.rps);
        let p50 = |n: &str| col(n, &|r| r.p50_ms);
        let p99 = |n: &str| col(n, &|r| r.p99_ms);
        let eff = |n: &str| col(n, &|r| r.per_cpu_sec);
        let ng = rps("nginx");
        // A target holds when it holds pooled over the rounds and in the
        // median round (pooled figures alone can hinge on one slow round).
        let paired = Paired::of(load);
        let _ = writeln!(
            s,
            "| requests/s ({CONCURRENCY} conns, {} rounds × {} s) | {:.0} | {} | {} | {} | {} | ≥ 1.0× nginx | {} |",
            rounds(),
            MEASURE.as_secs_f64(),
            g.rps,
            fmt(ng, 0),
            fmt(rps("haproxy"), 0),
            ratio(Some(g.rps), ng),
            ratio(Some(g.rps), rps("haproxy")),
            ng.zip(paired.as_ref()).map_or("nginx skipped", |(n, p)| verdict(
                g.rps >= n && p.rps_median >= 1.0
            ))
        );
        if let Some(p) = &paired {
            let _ = writeln!(
                s,
                "| round by round vs nginx (median ratio; rounds at target) | req/s {:.2}× ({}/{}); p99 {:.2}× ({}/{}) | – | – | – | – | – | – |",
                p.rps_median, p.rps_wins, p.rounds, p.p99_median, p.p99_wins, p.rounds
            );
        }
        let _ = writeln!(
            s,
            "| p50 latency (ms) | {:.3} | {} | {} | {} | {} | – | – |",
            g.p50_ms,
            fmt(p50("nginx"), 3),
            fmt(p50("haproxy"), 3),
            ratio(Some(g.p50_ms), p50("nginx")),
            ratio(Some(g.p50_ms), p50("haproxy")),
        );
        let np99 = p99("nginx");
        let _ = writeln!(
            s,
            "| p99 latency (ms) | {:.3} | {} | {} | {} | {} | ≤ nginx | {} |",
            g.p99_ms,
            fmt(np99, 3),
            fmt(p99("haproxy"), 3),
            ratio(Some(g.p99_ms), np99),
            ratio(Some(g.p99_ms), p99("haproxy")),
            np99.zip(paired.as_ref())
                .map_or("nginx skipped", |(n, p)| verdict(
                    g.p99_ms <= n && p.p99_median <= 1.0
                ))
        );
        let _ = writeln!(
            s,
            "| requests per server CPU-second | {:.0} | {} | {} | {} | {} | – | – |",
            g.per_cpu_sec,
            fmt(eff("nginx"), 0),
            fmt(eff("haproxy"), 0),
            ratio(Some(g.per_cpu_sec), eff("nginx")),
            ratio(Some(g.per_cpu_sec), eff("haproxy")),
        );
    }
    let h = |peer: &str, group: &str| {
        hs.iter()
            .find(|(p, g, _)| *p == peer && *g == group)
            .map(|(_, _, r)| r)
    };
    let hrate = |peer: &str, group: &str| h(peer, group).map(|r| r.rate);
    if let (Some(pq), Some(cl)) = (h("gateway", "X25519MLKEM768"), h("gateway", "X25519")) {
        let _ = writeln!(
            s,
            "| handshakes/s X25519MLKEM768 | {:.0} | – | – | {:.2}× gateway X25519 | – | ≥ 0.8× own X25519 | {} |",
            pq.rate,
            pq.rate / cl.rate,
            verdict(pq.rate >= 0.8 * cl.rate)
        );
        let _ = writeln!(
            s,
            "| handshakes/s X25519 | {:.0} | {} | {} | {} | {} | – | – |",
            cl.rate,
            fmt(hrate("nginx", "X25519"), 0),
            fmt(hrate("haproxy", "X25519"), 0),
            ratio(Some(cl.rate), hrate("nginx", "X25519")),
            ratio(Some(cl.rate), hrate("haproxy", "X25519")),
        );
        let _ = writeln!(
            s,
            "| X25519MLKEM768 handshakes/s vs peers' X25519 | {:.0} | {} | {} | {} | {} | – | – |",
            pq.rate,
            fmt(hrate("nginx", "X25519"), 0),
            fmt(hrate("haproxy", "X25519"), 0),
            ratio(Some(pq.rate), hrate("nginx", "X25519")),
            ratio(Some(pq.rate), hrate("haproxy", "X25519")),
        );
        let hcpu = |peer: &str| h(peer, "X25519").map(|r| r.per_cpu_sec);
        let _ = writeln!(
            s,
            "| X25519 handshakes per server CPU-second | {:.0} (PQ: {:.0}) | {} | {} | {} | {} | – | – |",
            cl.per_cpu_sec,
            pq.per_cpu_sec,
            fmt(hcpu("nginx"), 0),
            fmt(hcpu("haproxy"), 0),
            ratio(Some(cl.per_cpu_sec), hcpu("nginx")),
            ratio(Some(cl.per_cpu_sec), hcpu("haproxy")),
        );
    }
    if let Some(base) = h("gateway", "X25519MLKEM768") {
        for (peer, case) in [
            ("gw-cnsa2", "SecP384r1MLKEM1024"),
            ("gw-cnsa2", "MLKEM1024"),
            ("gw-mldsa", "X25519MLKEM768 ML-DSA-65"),
        ] {
            if let Some(r) = h(peer, case) {
                let _ = writeln!(
                    s,
                    "| handshakes/s {case}{} | {:.0} (client CPU {:.0}%) | – | – | {:.2}× gateway X25519MLKEM768 (ECDSA P-256) | – | – | – |",
                    if peer == "gw-cnsa2" { " (CNSA2)" } else { "" },
                    r.rate,
                    r.client_cpu_pct,
                    r.rate / base.rate,
                );
            }
        }
    }
    if let [gw, rest @ ..] = up_tls {
        let ng = rest.first();
        let plain = load
            .iter()
            .find(|(n, _)| *n == "gateway")
            .map(|(_, r)| r.rps);
        let _ = writeln!(
            s,
            "| requests/s with TLS 1.3 to the upstream (upstream leg: gateway {}, nginx {}) | {:.0} (p99 {:.3} ms; {} of its plaintext-upstream req/s) | {} | – | {} | – | – | – |",
            gw.groups,
            ng.map_or("skipped".to_owned(), |n| n.groups.clone()),
            gw.load.rps,
            gw.load.p99_ms,
            ratio(Some(gw.load.rps), plain),
            fmt(ng.map(|n| n.load.rps), 0),
            ratio(Some(gw.load.rps), ng.map(|n| n.load.rps)),
        );
    }
    let m = |peer: &str| mem.iter().find(|(p, _)| *p == peer).map(|(_, r)| r);
    if let Some(g) = m("gateway") {
        let rss = |peer: &str| m(peer).map(|r| mib(r.rss_kib));
        let _ = writeln!(
            s,
            "| RSS with {} idle TLS conns (MiB) | {:.1} ({} open) | {} | {} | {} | {} | ≤ 150 MiB | {} |",
            IDLE_CONNECTIONS,
            mib(g.rss_kib),
            g.open,
            fmt(rss("nginx"), 1),
            fmt(rss("haproxy"), 1),
            ratio(Some(mib(g.rss_kib)), rss("nginx")),
            ratio(Some(mib(g.rss_kib)), rss("haproxy")),
            verdict(mib(g.rss_kib) <= 150.0 && g.open == IDLE_CONNECTIONS)
        );
    }
    match rc {
        Some(rc) => {
            let p99 = fpct(&rc.samples_ms, 0.99);
            let _ = writeln!(
                s,
                "| route created in the control plane → served, {} samples (ms) | p50 {:.1}, p99 {:.1} (POST alone p50 {:.1}) | – | – | – | – | ≤ 100 ms p99 | {} |",
                rc.samples_ms.len(),
                fpct(&rc.samples_ms, 0.5),
                p99,
                fpct(&rc.post_ms, 0.5),
                verdict(p99 <= 100.0)
            );
        }
        None => {
            let _ = writeln!(
                s,
                "| route change → served | skipped | – | – | – | – | ≤ 100 ms p99 | not measured |"
            );
        }
    }
    s
}
