// A real browser through the gateway (issue 22 item 5), and real HTTP
// clients beside it, against the gateway binary that scripts/test-ui.sh
// started (real TLS, X25519MLKEM768 offered; routes from etcd; verdicts
// from the ai-engine).
//
// External truth: what each client sends is its own real behaviour, not
// something typed here. Debian's Chromium (its own TLS stack, header set and
// page loads; only its User-Agent is set to what a normal, non-headless
// Chrome of the same major version sends), the real `curl` binary, Debian's
// python3-requests and Go's net/http client (stdlib, built here with `go
// build`) each call the same two routes, one with `inspection: async` and one
// with `inspection: sync`. The expectations are the ones a gateway in front
// of a website must meet: the browser gets its pages and no threat event;
// the HTTP libraries and a headless Chromium (its default agent, which says
// HeadlessChrome) are flagged or blocked.
//
// Verdicts are cached per client IP (gateway/src/inspect.rs), and every
// client here connects from 127.0.0.1, so test-ui.sh makes 127.0.0.1 a
// trusted proxy (QSGW_TRUSTED_PROXIES) and each client names its own
// address in X-Forwarded-For: the gateway then keys on that address
// (shared/src/client_ip.rs: the right-most untrusted hop). The upstream
// checks it: the X-Forwarded-For the gateway sends on starts with the
// client it resolved.
//
// Chromium accepts the gateway's throwaway self-signed certificate through
// --ignore-certificate-errors-spki-list (that key only, nothing else); the
// other clients trust the certificate file as their CA.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { CHROMIUM, after, api, config, uiTest, unique } from './lib.mjs';

const run = promisify(execFile);

/** The client addresses each client names in X-Forwarded-For. */
const IP = {
  browser: '198.51.100.11',
  curl: '198.51.100.12',
  python: '198.51.100.13',
  go: '198.51.100.14',
  headless: '198.51.100.15',
};
/**
 * How long a request's verdict takes to show in the threats API at most:
 * the async batch or sync call to the ai-engine (milliseconds), then the
 * gateway's report flush (every second, gateway/src/report.rs FLUSH_EVERY)
 * and the control plane's insert. The bots' events must arrive within it
 * (asserted below), and the browser must have none after it: so "no event"
 * means the pipeline had the time to record one.
 */
const EVENT_WAIT_MS = 8_000;

/** Chromium's major version, from the browser itself. */
const chromiumMajor = (() => {
  const out = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const m = /(\d+)\.\d+\.\d+\.\d+/.exec(out);
  if (!m) throw new Error(`no version in "${out.trim()}"`);
  return m[1];
})();
/** What a normal (non-headless) Chrome of that version on Linux sends. */
const DESKTOP_UA = `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chromiumMajor}.0.0.0 Safari/537.36`;

const since = new Date().toISOString();

// ------------------------------------------------------------------ setup

/** The upstream: a page for any path; it records who the gateway says asked. */
const seen = [];
const upstream = createServer((req, res) => {
  const forwarded = String(req.headers['x-forwarded-for'] ?? '').split(',')[0].trim();
  seen.push({ path: req.url, client: forwarded, ua: req.headers['user-agent'] ?? null });
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Through the gateway</title>
<link rel="icon" href="data:,"></head>
<body><h1>Through the gateway</h1><p id="path">${req.url.replace(/[<>&"]/g, '')}</p></body></html>
`);
});
upstream.unref();
after(() => new Promise((resolve) => upstream.close(() => resolve())));

let setupPromise = null;
/** Upstream server, upstream and routes (async, sync), served by the gateway. */
function setup() {
  setupPromise ??= (async () => {
    await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = upstream.address().port;
    const login = await api('POST', `${config.qsgwUrl}/api/v1/auth/login`, {
      body: { email: config.adminEmail, password: config.adminPassword },
    });
    const token = login.data.access_token;
    const ups = await api('POST', `${config.qsgwUrl}/api/v1/upstreams`, {
      token, body: { name: unique('gw-page-'), targets: [{ host: '127.0.0.1', port }] },
    });
    const base = unique('gw');
    const paths = { async: `/${base}-async`, sync: `/${base}-sync` };
    const routes = {};
    for (const mode of ['async', 'sync']) {
      const r = await api('POST', `${config.qsgwUrl}/api/v1/routes`, {
        token,
        body: { name: `${base}-${mode}`, path: paths[mode], methods: ['GET'], upstream_id: ups.data.id, inspection: mode },
      });
      assert.equal(r.data.inspection, mode);
      routes[mode] = r.data.id;
    }
    // The gateway learns the routes from etcd: wait until both answer. The
    // probe has no user agent (Node's https), so it may be blocked: a 403
    // from threat inspection also proves that the route is served.
    const deadline = Date.now() + 30_000;
    for (const mode of ['async', 'sync']) {
      for (let i = 0; ; i++) {
        const r = await probe(`${config.gatewayUrl}${paths[mode]}/ready`, `192.0.2.${(i % 250) + 1}`).catch((e) => ({ status: 0, body: String(e) }));
        if (r.status === 200 && r.body.includes('Through the gateway')) break;
        if (r.status === 403 && r.body.includes('threat inspection')) break;
        if (Date.now() > deadline) throw new Error(`route ${paths[mode]} not served by the gateway after 30 s: ${r.status} ${r.body}`);
        await sleep(250);
      }
    }
    return { token, paths, routes };
  })();
  return setupPromise;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** GET through the gateway with Node's https (readiness probe only). */
function probe(url, forwardedFor) {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, {
      ca: readFileSync(config.gatewayCa), headers: { 'X-Forwarded-For': forwardedFor }, timeout: 5000,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Threat events recorded for `ip` since this file started. */
async function threatsFor(token, ip) {
  const q = new URLSearchParams({ client_ip: ip, from: since, limit: '100' });
  const r = await api('GET', `${config.qsgwUrl}/api/v1/threats?${q}`, { token });
  return r.data.items;
}

/** Polls until `ip` has a flagged/blocked event, or EVENT_WAIT_MS passed. */
async function waitForEvent(token, ip, t0) {
  while (true) {
    const items = await threatsFor(token, ip);
    const hit = items.filter((e) => e.action_taken === 'flagged' || e.action_taken === 'blocked');
    if (hit.length || Date.now() - t0 > EVENT_WAIT_MS) return { events: items, hit, after: Date.now() - t0 };
    await sleep(250);
  }
}

/** Asserts a bot was caught: a flagged/blocked event for it, or a 403. */
async function assertCaught(t, token, name, ip, statuses, t0) {
  const { events, hit, after: ms } = await waitForEvent(token, ip, t0);
  const summary = hit.map((e) => `${e.action_taken} ${e.threat_type} ${e.severity} bot=${e.bot_score} anomaly=${e.anomaly_score} [${e.reasons.join('; ')}] ua=${e.user_agent}`);
  t.diagnostic(`${name} (${ip}): statuses ${statuses.join(',')}; events after ${ms} ms: ${summary.join(' | ') || 'none'}`);
  assert.ok(hit.length > 0 || statuses.includes(403),
    `${name} (${ip}) was neither flagged nor blocked: statuses ${statuses.join(',')}, events ${JSON.stringify(events)}`);
  return hit;
}

/** The two routes in the order every client calls them, and the async one again. */
const urls = (paths) => [paths.async, paths.sync, paths.async].map((p) => `${config.gatewayUrl}${p}/`);

// ------------------------------------------------------------------ clients

async function curlGet(url, ip) {
  const { stdout } = await run('curl', [
    '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10',
    '--cacert', config.gatewayCa, '-H', `X-Forwarded-For: ${ip}`, url,
  ]);
  return Number(stdout.trim());
}

/** Debian's python3-requests (the system interpreter, not a virtualenv's). */
const PYTHON = process.env.QUANTUN_PYTHON || '/usr/bin/python3';
const PY_CLIENT = `
import sys, requests
ca, ip = sys.argv[1], sys.argv[2]
for url in sys.argv[3:]:
    r = requests.get(url, headers={"X-Forwarded-For": ip}, verify=ca, timeout=10)
    print(r.status_code)
`;

/** Go's net/http with its default transport (HTTP/2 over TLS), trusting the CA. */
const GO_CLIENT = `package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	pem, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		panic("no certificate in " + os.Args[1])
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	client := &http.Client{Transport: tr}
	for _, url := range os.Args[3:] {
		req, err := http.NewRequest("GET", url, nil)
		if err != nil {
			panic(err)
		}
		req.Header.Set("X-Forwarded-For", os.Args[2])
		resp, err := client.Do(req)
		if err != nil {
			panic(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
}
`;

let goDir = null;
after(() => { if (goDir) rmSync(goDir, { recursive: true, force: true }); });

/** Builds the Go client in a temporary GOPATH/GOCACHE; returns its path. */
async function buildGoClient() {
  goDir = mkdtempSync(join(tmpdir(), 'quantun-ui-go-'));
  writeFileSync(join(goDir, 'main.go'), GO_CLIENT);
  const bin = join(goDir, 'client');
  await run('go', ['build', '-o', bin, 'main.go'], {
    cwd: goDir,
    env: {
      ...process.env, GOPATH: join(goDir, 'gopath'), GOCACHE: join(goDir, 'cache'),
      GOFLAGS: '', GO111MODULE: 'off', GOTOOLCHAIN: 'local', CGO_ENABLED: '0',
    },
    timeout: 240_000,
  });
  return bin;
}

// ------------------------------------------------------------------- tests

uiTest('gateway: Chromium with a normal Chrome agent loads async and sync routes, no threat event', async (page, t, context) => {
  const { token, paths } = await setup();
  // The context really sends the desktop agent and the client address.
  assert.equal(await page.evaluate(() => navigator.userAgent), DESKTOP_UA);
  // The key exchange as the browser itself reports it (DevTools protocol).
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const groups = [];
  const sigSchemes = [];
  cdp.on('Network.responseReceived', (e) => {
    if (e.type === 'Document') {
      groups.push(e.response.securityDetails?.keyExchangeGroup ?? 'none');
      sigSchemes.push(e.response.securityDetails?.serverSignatureAlgorithm ?? 'none');
    }
  });
  const browserStart = new Date().toISOString();
  const statuses = [];
  for (const url of urls(paths)) {
    const resp = await page.goto(url);
    statuses.push(resp.status());
    await page.getByRole('heading', { name: 'Through the gateway' }).waitFor();
  }
  const t0 = Date.now();
  assert.deepEqual(statuses, [200, 200, 200], `browser statuses ${statuses}`);
  assert.deepEqual(groups, ['X25519MLKEM768', 'X25519MLKEM768', 'X25519MLKEM768'], 'the browser negotiated the hybrid group');
  // The gateway holds an ECDSA P-256 and an ML-DSA-65 chain
  // (scripts/test-ui.sh); Chromium offers mldsa65 in signature_algorithms,
  // so it got the ML-DSA-65 chain and verified the handshake signed with
  // mldsa65 (0x0905 in IANA's TLS SignatureScheme registry,
  // draft-ietf-tls-mldsa), as the browser itself reports it.
  assert.deepEqual(sigSchemes, [0x0905, 0x0905, 0x0905], 'the browser was served the ML-DSA-65 chain');
  // The gateway resolved the browser's own address (not 127.0.0.1).
  const mine = seen.filter((s) => s.ua === DESKTOP_UA);
  assert.ok(mine.length >= 3, JSON.stringify(seen));
  assert.ok(mine.every((s) => s.client === IP.browser), JSON.stringify(mine));

  // Give inspection the time to report (see EVENT_WAIT_MS), then: none.
  await sleep(EVENT_WAIT_MS - (Date.now() - t0));
  const events = await threatsFor(token, IP.browser);
  t.diagnostic(`browser (${IP.browser}, Chrome/${chromiumMajor}): statuses ${statuses.join(',')}; events ${events.length}`);
  assert.deepEqual(events.map((e) => `${e.action_taken} ${e.threat_type} [${e.reasons.join('; ')}]`), [],
    'the browser got a threat event');
  // The gateway recorded that handshake as post-quantum too (only the
  // browser connected since browserStart: the tests run one at a time).
  const q = new URLSearchParams({ kx_group: 'X25519MLKEM768', from: browserStart, limit: '100' });
  const sessions = (await api('GET', `${config.qsgwUrl}/api/v1/tls-sessions?${q}`, { token })).data.items;
  assert.ok(sessions.length >= 1 && sessions.every((s) => s.pqc && s.outcome === 'established'), JSON.stringify(sessions));
  assert.ok(sessions.every((s) => s.cert_algorithm === 'ML-DSA-65'), JSON.stringify(sessions));
  // Still served after the verdicts came back (a cached verdict would answer now).
  assert.equal((await page.goto(urls(paths)[1])).status(), 200);
  assert.equal((await page.goto(urls(paths)[0])).status(), 200);
}, {
  timeout: 120_000,
  launch: {
    args: [`--ignore-certificate-errors-spki-list=${config.gatewaySpki}`],
    userAgent: DESKTOP_UA,
    extraHTTPHeaders: { 'X-Forwarded-For': IP.browser },
  },
});

test('gateway: curl, python-requests and Go net/http are flagged or blocked', { timeout: 300_000 }, async (t) => {
  const [{ token, paths }, goBin] = await Promise.all([setup(), buildGoClient()]);
  const u = urls(paths);
  const results = {};
  const t0 = Date.now();

  results.curl = [];
  for (const url of u) results.curl.push(await curlGet(url, IP.curl));

  const py = await run(PYTHON, ['-c', PY_CLIENT, config.gatewayCa, IP.python, ...u], { timeout: 60_000 });
  results.python = py.stdout.trim().split('\n').map(Number);
  const pyVersion = (await run(PYTHON, ['-c', 'import requests; print(requests.__version__, requests.__file__)'])).stdout.trim();

  const go = await run(goBin, [config.gatewayCa, IP.go, ...u], { timeout: 60_000 });
  results.go = go.stdout.trim().split('\n').map(Number);
  const goVersion = (await run('go', ['version'])).stdout.trim();
  t.diagnostic(`requests ${pyVersion}; ${goVersion}`);

  // Every client reached the routes (a 403 is inspection's answer).
  for (const [name, st] of Object.entries(results)) {
    assert.equal(st.length, 3, `${name}: ${st}`);
    assert.ok(st.every((s) => s === 200 || s === 403), `${name}: ${st}`);
  }
  const failures = [];
  for (const name of ['curl', 'python', 'go']) {
    try {
      await assertCaught(t, token, name, IP[name], results[name], t0);
    } catch (e) {
      failures.push(e.message);
    }
  }
  assert.deepEqual(failures, []);
});

uiTest('gateway: headless Chromium (HeadlessChrome agent) is flagged or blocked', async (page, t) => {
  const { token, paths } = await setup();
  const ua = await page.evaluate(() => navigator.userAgent);
  assert.match(ua, /HeadlessChrome\//, 'the default headless agent');
  const statuses = [];
  const t0 = Date.now();
  for (const url of urls(paths)) {
    const resp = await page.goto(url);
    statuses.push(resp.status());
  }
  assert.ok(statuses.every((s) => s === 200 || s === 403), `headless: ${statuses}`);
  const hit = await assertCaught(t, token, 'headless Chromium', IP.headless, statuses, t0);
  if (hit.length) assert.match(hit[0].user_agent ?? '', /HeadlessChrome/);
}, {
  timeout: 120_000,
  launch: {
    args: [`--ignore-certificate-errors-spki-list=${config.gatewaySpki}`],
    extraHTTPHeaders: { 'X-Forwarded-For': IP.headless },
  },
});
