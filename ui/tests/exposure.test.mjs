// The Exposure view (issue 24 item 2) with real clients through the
// gateway that scripts/test-ui.sh started (real TLS, X25519MLKEM768 offered
// first) and QRAP's real ML engine behind the control plane
// (QSGW_ML_ENGINE_URL).
//
// External truth: each client's key exchange is its own. Debian 12's curl
// (7.88.1 on OpenSSL 3.0, which has no ML-KEM) can only offer classical
// groups; Debian's Chromium offers X25519MLKEM768 by default and reports
// the group it negotiated through the DevTools protocol. So on route A
// (Chromium and curl) the classical requests are exactly curl's, and on
// route B (curl only) every request is classical.
//
// The figures come from the gateway's per-route counters reported with its
// heartbeats (route_traffic), not from a shortcut: the test waits for the
// heartbeat that carries them.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CHROMIUM, REPO_ROOT, after, api, config, expectNoAxeViolations, uiTest, unique } from './lib.mjs';

const run = promisify(execFile);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
  res.end('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>exposure</title><link rel="icon" href="data:,"></head><body><h1>exposure</h1></body></html>');
});
upstream.unref();
after(() => new Promise((resolve) => upstream.close(() => resolve())));

/** GET `path` on the gateway with curl; the HTTP status. */
async function curlGet(path) {
  const { stdout } = await run('curl', [
    '-sS', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '10',
    '--cacert', config.gatewayCa, `${config.gatewayUrl}${path}/`,
  ]).catch((e) => ({ stdout: String(e.stdout || '0') }));
  return Number(stdout.trim());
}

/** A route to the upstream, waited for at the gateway (one curl request served). */
async function makeRoute(token, upstreamId, prefix) {
  const name = unique(prefix);
  const path = `/${name}`;
  const r = await api('POST', `${config.qsgwUrl}/api/v1/routes`, {
    token, body: { name, path, methods: ['GET'], upstream_id: upstreamId, inspection: 'off' },
  });
  const deadline = Date.now() + 30_000;
  let status;
  while ((status = await curlGet(path)) !== 200) {
    if (Date.now() > deadline) throw new Error(`route ${path} not served by the gateway after 30 s (last status ${status})`);
    await sleep(250);
  }
  return { id: r.data.id, name, path };
}

/** The exposure of the last 24 h once `ok(answer)` holds (heartbeats every few seconds). */
async function exposureWhen(token, ok, what) {
  const deadline = Date.now() + 45_000;
  let last;
  for (;;) {
    last = (await api('GET', `${config.qsgwUrl}/api/v1/exposure?window=24h`, { token })).data;
    if (ok(last)) return last;
    if (Date.now() > deadline) throw new Error(`no heartbeat reported ${what} within 45 s: ${JSON.stringify(last.routes)}`);
    await sleep(1000);
  }
}

const rowOf = (e, id) => e.routes.find((r) => r.route_id === id);
const pct = (x) => `${(x * 100).toFixed(1)} %`;

uiTest('exposure: routes ranked with curl\'s classical share, a shelf life declared in the form, Mosca per band, links, trend; axe and 390 px', async (page, t, context) => {
  const token = await adminToken();
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const ups = await api('POST', `${config.qsgwUrl}/api/v1/upstreams`, {
    token, body: { name: unique('exposure-up-'), targets: [{ host: '127.0.0.1', port: upstream.address().port }] },
  });
  const a = await makeRoute(token, ups.data.id, 'exposure-a-');
  const b = await makeRoute(token, ups.data.id, 'exposure-b-');
  // Curl so far: the one request that found each route served.
  const curl = { [a.id]: 1, [b.id]: 1 };

  // Classical: curl twice more on A, three more times on B.
  for (let i = 0; i < 2; i++) { assert.equal(await curlGet(a.path), 200); curl[a.id] += 1; }
  for (let i = 0; i < 3; i++) { assert.equal(await curlGet(b.path), 200); curl[b.id] += 1; }
  // Post-quantum: Chromium loads A four times (fresh connection each: a new page).
  const groups = [];
  for (let i = 0; i < 4; i++) {
    const pq = await context.newPage();
    const cdp = await context.newCDPSession(pq);
    await cdp.send('Network.enable');
    cdp.on('Network.responseReceived', (e) => {
      if (e.response.url.startsWith(config.gatewayUrl)) groups.push(e.response.securityDetails?.keyExchangeGroup ?? 'none');
    });
    const resp = await pq.goto(`${config.gatewayUrl}${a.path}/`);
    assert.equal(resp.status(), 200);
    await pq.close();
  }
  assert.deepEqual(groups, ['X25519MLKEM768', 'X25519MLKEM768', 'X25519MLKEM768', 'X25519MLKEM768'], 'Chromium negotiated the hybrid group');
  const chromium = groups.length;

  // The gateways' counters, through the API, once a heartbeat carried them.
  const e = await exposureWhen(token, (x) => rowOf(x, a.id)?.requests >= curl[a.id] + chromium && rowOf(x, b.id)?.requests >= curl[b.id],
    'the traffic of both routes');
  const ra = rowOf(e, a.id);
  const rb = rowOf(e, b.id);
  assert.equal(ra.requests, curl[a.id] + chromium, JSON.stringify(ra));
  assert.equal(ra.classical_requests, curl[a.id], 'the classical requests on A are curl\'s');
  assert.deepEqual(ra.classical_groups, ['X25519'], 'curl on OpenSSL 3.0 negotiates X25519 first');
  assert.equal(rb.requests, curl[b.id]);
  assert.equal(rb.classical_requests, curl[b.id]);
  assert.equal(rb.classical_share_requests, 1);
  assert.equal(e.mosca_error, null, 'the ML engine answered');

  // The console: declare a shelf life on A in the route form.
  await page.goto(`${config.qsgwUrl}/admin/`);
  await page.getByLabel('Email').fill(config.adminEmail);
  await page.getByLabel('Password').fill(config.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: 'Routes' }).click();
  await page.getByRole('button', { name: `Edit route ${a.name}` }).click();
  // A bad value is refused by the API and shown beside its field.
  await page.getByLabel('Data shelf life (years)').fill('101');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.locator('[data-field="data_shelf_life_years"] .field-error').filter({ hasText: 'from 0 to 100' }).waitFor();
  await page.getByLabel('Data shelf life (years)').fill('12');
  await page.getByLabel('Data class').selectOption('confidential');
  await expectNoAxeViolations(page, 'the route form with the data declaration');
  await page.getByRole('button', { name: 'Save changes' }).click();
  const listed = page.locator(`tr[data-id="${a.id}"] [data-declaration]`);
  await listed.filter({ hasText: '12 years' }).waitFor();
  assert.match(await listed.innerText(), /confidential/);

  // The Exposure view.
  await page.getByRole('link', { name: 'Exposure' }).click();
  await page.getByRole('heading', { level: 1, name: 'Exposure' }).waitFor();
  const table = page.locator('[data-exposure-routes]');
  await table.waitFor();
  const rowA = table.locator(`tr[data-route="${a.id}"]`);
  const rowB = table.locator(`tr[data-route="${b.id}"]`);
  await rowA.locator('[data-declaration]').filter({ hasText: '12 years' }).waitFor();
  // The ranking on screen is the API's (classical bytes × P(CRQC within x)).
  const now = (await api('GET', `${config.qsgwUrl}/api/v1/exposure`, { token })).data;
  const shown = await table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.route));
  assert.deepEqual(shown, now.routes.map((r) => r.route_id));
  const scores = now.routes.map((r) => r.exposure_score);
  assert.deepEqual(scores, [...scores].sort((x, y) => y - x), 'ranked by exposure score');
  // Curl's share on screen: A's classical requests are curl's of all; B is all curl.
  assert.match(await rowA.locator('[data-share]').innerText(), new RegExp(`${pct(curl[a.id] / (curl[a.id] + chromium)).replace('.', '\\.')} of requests`));
  assert.match(await rowB.locator('[data-share]').innerText(), /100\.0 % of bytes/);
  assert.match(await rowB.locator('[data-share]').innerText(), /100\.0 % of requests/);
  // A's declaration and its horizon H = 12 years, one verdict per band; B
  // undeclared, scored with the engine's default.
  assert.match(await rowA.locator('[data-declaration]').innerText(), /confidential/);
  assert.equal(await rowA.locator('li[data-band]').count(), now.routes.find((r) => r.route_id === a.id).mosca.bands.length);
  assert.ok(await rowA.locator('li[data-band]').count() >= 3, 'optimistic, central and pessimistic bands');
  assert.match(await rowA.locator('li[data-band]').first().innerText(), /P\(CRQC within 12 y\)/);
  assert.match(await rowB.locator('[data-declaration]').innerText(), /not declared \(engine default \d+ years\)/);

  // The trend: all traffic and the top routes, one zero-filled point per bucket.
  await page.waitForFunction(() => window.Chart.getChart(document.querySelector('[data-chart="exposure-trend"] canvas')));
  const chart = await page.evaluate(() => {
    const c = window.Chart.getChart(document.querySelector('[data-chart="exposure-trend"] canvas'));
    return c.data.datasets.map((d) => ({ label: d.label, n: d.data.length }));
  });
  assert.equal(chart[0].label, 'All traffic');
  assert.ok(chart.some((d) => d.label === a.name) && chart.some((d) => d.label === b.name), JSON.stringify(chart));
  for (const d of chart) assert.equal(d.n, now.trend[0].points.length, 'one point per bucket of the window');

  await expectNoAxeViolations(page, 'the Exposure view');
  // The view as README shows it (taken here, with real data), once the
  // "saved" toast is gone.
  await page.locator('.toast').waitFor({ state: 'detached', timeout: 10_000 });
  mkdirSync(join(REPO_ROOT, 'docs', 'screenshots'), { recursive: true });
  await page.screenshot({ path: join(REPO_ROOT, 'docs', 'screenshots', 'qsgw-exposure.png'), fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForFunction(() => document.documentElement.scrollWidth <= 390, null, { timeout: 3000 }).catch(() => {});
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the Exposure view is ${width} px wide at a 390 px viewport`);
  await page.setViewportSize({ width: 1280, height: 900 });

  // The window lives in the URL.
  await page.getByLabel('Window').selectOption('24h');
  await page.waitForURL(/[?&]window=24h/);

  // Links: A's classical sessions (the TLS list filtered), its dry run (the route form).
  await rowA.getByRole('link', { name: `Classical sessions of route ${a.name}` }).click();
  await page.getByRole('heading', { level: 1, name: 'TLS sessions' }).waitFor();
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('route_id'), a.id);
  assert.equal(url.searchParams.get('pqc'), 'false');
  await page.goBack();
  await page.getByRole('link', { name: `PQC_ONLY dry run of route ${a.name}` }).click();
  await page.getByRole('heading', { name: `Edit route ${a.name}` }).waitFor();
  await page.locator('[data-impact="PQC_ONLY"]').waitFor();
  assert.equal(await page.getByLabel('Data shelf life (years)').inputValue(), '12');
}, {
  timeout: 150_000,
  launch: {
    args: [`--ignore-certificate-errors-spki-list=${config.gatewaySpki}`],
    userAgent: DESKTOP_UA,
  },
});
