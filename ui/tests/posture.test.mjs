// The overview's PQC posture panel (issue 21 item 2) with real clients
// through the gateway that scripts/test-ui.sh started (real TLS, listener
// policy PQC_PREFERRED, X25519MLKEM768 offered first).
//
// External truth: each client's key exchange is its own. Debian 12's curl
// (7.88.1 on OpenSSL 3.0, which has no ML-KEM) can only offer classical
// groups; Debian's Chromium offers X25519MLKEM768 by default (Chrome 131 and
// later) and reports the group it negotiated through the DevTools protocol.
// So the panel must list the curl client as classical-only and must not
// list the browser.
//
// Both connect from 127.0.0.1; test-ui.sh makes it a trusted proxy, so each
// names its own address in X-Forwarded-For and the gateway records that
// one (the posture groups clients by /24).
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CHROMIUM, REPO_ROOT, after, api, config, expectNoAxeViolations, uiTest, unique } from './lib.mjs';

const run = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const CURL_IP = '203.0.113.45';      // → 203.0.113.0/24
const BROWSER_IP = '100.64.7.9';     // → 100.64.7.0/24

const chromiumMajor = (() => {
  const out = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return /(\d+)\.\d+\.\d+\.\d+/.exec(out)[1];
})();
/** A normal desktop Chrome agent of the same version (not HeadlessChrome). */
const DESKTOP_UA = `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${chromiumMajor}.0.0.0 Safari/537.36`;

async function adminToken() {
  const r = await api('POST', `${config.qsgwUrl}/api/v1/auth/login`, {
    body: { email: config.adminEmail, password: config.adminPassword },
  });
  return r.data.access_token;
}

/** The upstream: a small page on any path. */
const upstream = createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>posture</title><link rel="icon" href="data:,"></head><body><h1>posture</h1></body></html>');
});
upstream.unref();
after(() => new Promise((resolve) => upstream.close(() => resolve())));

let routePath = null;

/** A route to the upstream above, waited for at the gateway. */
async function makeRoute(token) {
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const ups = await api('POST', `${config.qsgwUrl}/api/v1/upstreams`, {
    token, body: { name: unique('posture-up-'), targets: [{ host: '127.0.0.1', port: upstream.address().port }] },
  });
  const name = unique('posture-');
  routePath = `/${name}`;
  const r = await api('POST', `${config.qsgwUrl}/api/v1/routes`, {
    token, body: { name, path: routePath, methods: ['GET'], upstream_id: ups.data.id, inspection: 'off' },
  });
  const deadline = Date.now() + 30_000;
  let status;
  while ((status = await curlGet('192.0.2.250')) !== 200) {
    if (Date.now() > deadline) throw new Error(`route ${routePath} not served by the gateway after 30 s (last status ${status})`);
    await sleep(250);
  }
  return { id: r.data.id, name };
}

async function curlGet(ip) {
  const { stdout } = await run('curl', [
    '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10',
    '--cacert', config.gatewayCa, '-H', `X-Forwarded-For: ${ip}`, `${config.gatewayUrl}${routePath}/`,
  ]).catch((e) => ({ stdout: String(e.stdout || '0') }));
  return Number(stdout.trim());
}

/** TLS sessions of `ip` (polled until `ok(items)` or 10 s). */
async function sessionsOf(token, ip, ok) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const q = new URLSearchParams({ client_ip: ip, limit: '50' });
    const items = (await api('GET', `${config.qsgwUrl}/api/v1/tls-sessions?${q}`, { token })).data.items;
    if (ok(items) || Date.now() > deadline) return items;
    await sleep(250);
  }
}

uiTest('posture: curl (classical) is listed with its offered groups, Chromium (X25519MLKEM768) is not; links filter the TLS list', async (page, t, context) => {
  const token = await adminToken();
  const route = await makeRoute(token);

  // The classical client: three requests, three connections.
  for (let i = 0; i < 3; i++) assert.equal(await curlGet(CURL_IP), 200);
  const curlVersion = (await run('curl', ['--version'])).stdout.split('\n')[0];
  t.diagnostic(curlVersion);

  // The PQ client: Chromium loading the same route.
  const pqPage = await context.newPage();
  const cdp = await context.newCDPSession(pqPage);
  await cdp.send('Network.enable');
  const groups = [];
  cdp.on('Network.responseReceived', (e) => {
    if (e.type === 'Document') groups.push(e.response.securityDetails?.keyExchangeGroup ?? 'none');
  });
  await pqPage.setExtraHTTPHeaders({ 'X-Forwarded-For': BROWSER_IP });
  const resp = await pqPage.goto(`${config.gatewayUrl}${routePath}/`);
  assert.equal(resp.status(), 200);
  assert.deepEqual(groups, ['X25519MLKEM768'], 'Chromium negotiated the hybrid group');
  await pqPage.close();

  // What the gateway recorded, through the API: curl's sessions classical,
  // with its offered groups, route and family; the browser's PQ.
  const curlSessions = await sessionsOf(token, CURL_IP, (s) => s.length >= 3);
  assert.ok(curlSessions.length >= 3, JSON.stringify(curlSessions));
  for (const s of curlSessions) {
    assert.equal(s.pqc, false, JSON.stringify(s));
    assert.equal(s.client_family, 'curl');
    assert.equal(s.route_id, route.id);
    assert.ok(s.offered_groups.length > 0 && !s.offered_groups.some((g) => /MLKEM/i.test(g)), JSON.stringify(s.offered_groups));
  }
  const browserSessions = await sessionsOf(token, BROWSER_IP, (s) => s.length >= 1);
  assert.ok(browserSessions.length >= 1, 'the browser session was recorded');
  for (const s of browserSessions) {
    assert.equal(s.pqc, true);
    assert.equal(s.kx_group, 'X25519MLKEM768');
    assert.equal(s.client_family, `Chrome ${chromiumMajor}`);
    assert.ok(s.offered_groups.includes('X25519MLKEM768'), JSON.stringify(s.offered_groups));
  }

  // The panel, as an admin sees it.
  await page.goto(`${config.qsgwUrl}/admin/`);
  await page.getByLabel('Email').fill(config.adminEmail);
  await page.getByLabel('Password').fill(config.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const panel = page.locator('[data-posture]');
  await panel.waitFor();
  const row = panel.locator('tr[data-client="203.0.113.0/24"]');
  await row.waitFor();
  const cells = await row.locator('td').allInnerTexts();
  assert.equal(cells[2], 'curl', cells.join(' | '));
  assert.match(cells[3], /X25519/, cells.join(' | '));
  assert.doesNotMatch(cells[3], /MLKEM/);
  assert.ok(Number(cells[4].replace(/\D/g, '')) >= 3, `established ${cells[4]}`);
  assert.equal(await panel.locator('tr[data-client="100.64.7.0/24"]').count(), 0, 'the PQ browser is not listed');
  // The route's share is shown beside its volume.
  const routeRow = panel.getByRole('table', { name: 'PQC share per route' }).getByRole('row').filter({ hasText: route.name });
  await routeRow.waitFor();

  // The operator's target: set, drawn, validated.
  await page.getByLabel('Target PQC share (%)').fill('150');
  await page.getByRole('button', { name: 'Save target' }).click();
  await panel.getByText('must be a share from 0 to 1').waitFor();
  await page.getByLabel('Target PQC share (%)').fill('95');
  await page.getByRole('button', { name: 'Save target' }).click();
  await panel.getByText('Target 95.0 %').waitFor();
  await panel.locator('.sharebar-target').waitFor();

  await expectNoAxeViolations(page, 'overview with the posture panel');
  // The overview as README and docs/ show it (taken here, with real data).
  mkdirSync(join(REPO_ROOT, 'docs', 'screenshots'), { recursive: true });
  await page.screenshot({ path: join(REPO_ROOT, 'docs', 'screenshots', 'qsgw-overview.png'), fullPage: true });

  // The client's link opens the TLS sessions list filtered to it.
  await row.getByRole('link', { name: '203.0.113.0/24' }).click();
  await page.getByRole('heading', { level: 1, name: 'TLS sessions' }).waitFor();
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('client_ip'), '203.0.113.0/24');
  assert.equal(url.searchParams.get('pqc'), 'false');

  // The route's PQC_ONLY dry run, beside its policy control (issue 24 item
  // 3): curl offered no post-quantum group, so its sessions would be
  // refused; Chromium offered X25519MLKEM768, so it would not. Under CNSA
  // 2.0 (ML-KEM-1024 only) neither passes: Chromium does not offer
  // ML-KEM-1024 by default.
  await page.goto(`${config.qsgwUrl}/admin/routes`);
  await page.getByRole('button', { name: `Edit route ${route.name}` }).click();
  const pqcLine = page.locator('[data-impact="PQC_ONLY"]');
  await pqcLine.waitFor();
  const m = /would refuse (\d+) of (\d+) sessions/.exec(await pqcLine.innerText());
  assert.ok(m, await pqcLine.innerText());
  const [refused, total] = [Number(m[1]), Number(m[2])];
  assert.ok(refused >= 3 && total > refused, `PQC_ONLY: ${refused} of ${total}`);
  assert.match(await pqcLine.innerText(), /curl/);
  const cnsa = /would refuse (\d+) of (\d+) sessions/.exec(await page.locator('[data-impact="CNSA2"]').innerText());
  assert.ok(cnsa && cnsa[1] === cnsa[2], `CNSA 2.0 refuses every session here: ${cnsa}`);

  // Reset the target so other tests see the default.
  await api('PUT', `${config.qsgwUrl}/api/v1/posture/settings`, { token, body: { pqc_share_target: null } });
}, {
  timeout: 120_000,
  launch: {
    args: [`--ignore-certificate-errors-spki-list=${config.gatewaySpki}`],
    userAgent: DESKTOP_UA,
  },
});
