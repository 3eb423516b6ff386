// Browser tests of the QSGW console (control plane /admin/) against the
// real control plane started by scripts/test-ui.sh.
import assert from 'node:assert/strict';
import { uiTest, config, api, unique, expectNoAxeViolations } from './lib.mjs';

const admin = () => `${config.qsgwUrl}/admin/`;

/** Logs in through the form and waits for the shell. */
async function login(page, email = config.adminEmail, password = config.adminPassword) {
  await page.goto(admin());
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

async function adminToken() {
  const r = await api('POST', `${config.qsgwUrl}/api/v1/auth/login`, {
    body: { email: config.adminEmail, password: config.adminPassword },
  });
  return r.data.access_token;
}

async function goTo(page, label) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

const pageErrors = (page) => page.problems.filter((p) => p.startsWith('pageerror'));

uiTest('qsgw: log in and see the overview; a wrong password is refused', async (page) => {
  await page.goto(admin());
  await page.getByLabel('Email').fill(config.adminEmail);
  await page.getByLabel('Password').fill('definitely-wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'invalid email or password' }).waitFor();

  await login(page);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByRole('heading', { name: 'Gateways and the config revision they serve' }).waitFor();
  // The token is kept for the tab only: never in localStorage or the URL.
  assert.equal(await page.evaluate(() => JSON.stringify(localStorage)), '{}');
  assert.ok(!page.url().includes('eyJ'), page.url());
  // A deep link reloads into the same view (index.html fallback, session kept in the tab).
  await goTo(page, 'Routes');
  await page.reload();
  await page.getByRole('heading', { level: 1, name: 'Routes' }).waitFor();
  assert.deepEqual(pageErrors(page), []);
});

uiTest('qsgw: create an upstream and a route and see them listed', async (page) => {
  const ups = unique('ups-');
  const route = unique('rt-');
  await login(page);

  await goTo(page, 'Upstreams');
  await page.getByRole('button', { name: 'New upstream' }).click();
  const form = page.getByRole('form', { name: 'New upstream' });
  await form.getByLabel('Name').fill(ups);
  await form.getByLabel('Host 1').fill('127.0.0.1');
  await form.getByLabel('Port 1').fill('9000');
  await form.getByRole('button', { name: 'Create upstream' }).click();
  await form.waitFor({ state: 'detached' });
  const upsRow = page.getByRole('table', { name: 'Upstreams' }).getByRole('row').filter({ hasText: ups });
  await upsRow.waitFor();
  assert.match(await upsRow.innerText(), /127\.0\.0\.1:9000/);

  await goTo(page, 'Routes');
  await page.getByRole('button', { name: 'New route' }).click();
  const rform = page.getByRole('form', { name: 'New route' });
  await rform.getByLabel('Name').fill(route);
  await rform.getByLabel('Upstream', { exact: true }).selectOption({ label: ups });
  await rform.getByLabel('Path', { exact: true }).fill(`/${route}`);
  await rform.getByLabel('GET').check();
  await rform.getByRole('button', { name: 'Create route' }).click();
  await rform.waitFor({ state: 'detached' });
  const row = page.getByRole('table', { name: 'Routes' }).getByRole('row').filter({ hasText: route });
  await row.waitFor();
  const text = await row.innerText();
  assert.match(text, new RegExp(`/${route}`));
  assert.match(text, new RegExp(ups));

  // Search narrows the list.
  await page.getByLabel('Search').fill(route);
  assert.equal(await page.getByRole('table', { name: 'Routes' }).locator('tbody tr').count(), 1);
  await page.getByLabel('Search').fill('no-such-route-anywhere');
  await page.getByText('No route matches').waitFor();

  // The API agrees.
  const token = await adminToken();
  const list = await api('GET', `${config.qsgwUrl}/api/v1/routes?limit=500`, { token });
  assert.ok(list.data.items.some((r) => r.name === route && r.path === `/${route}`));
  assert.deepEqual(pageErrors(page), []);
});

uiTest('qsgw: an invalid route shows the API field error beside the field', async (page) => {
  const token = await adminToken();
  const ups = unique('ups-');
  await api('POST', `${config.qsgwUrl}/api/v1/upstreams`, {
    token, body: { name: ups, targets: [{ host: '127.0.0.1', port: 9001 }] },
  });
  await login(page);
  await goTo(page, 'Routes');
  await page.getByRole('button', { name: 'New route' }).click();
  const form = page.getByRole('form', { name: 'New route' });
  await form.getByLabel('Name').fill(unique('bad-'));
  await form.getByLabel('Upstream', { exact: true }).selectOption({ label: ups });
  await form.getByLabel('Path', { exact: true }).fill('no-leading-slash');
  await form.getByRole('button', { name: 'Create route' }).click();

  const field = form.locator('[data-field="path"]');
  const err = field.locator('.field-error');
  await err.waitFor();
  assert.match(await err.innerText(), /\//); // the API's message about the leading '/'
  assert.equal(await form.getByLabel('Path', { exact: true }).getAttribute('aria-invalid'), 'true');
  // The message is tied to the input for assistive technology.
  const describedBy = await form.getByLabel('Path', { exact: true }).getAttribute('aria-describedby');
  assert.ok(describedBy && describedBy.includes(await err.getAttribute('id')), describedBy);
  // Other fields carry no error, and the form stays open for correction.
  assert.equal(await form.locator('[data-field="name"] .field-error').count(), 0);
  await form.getByLabel('Path', { exact: true }).fill('/fixed-now');
  await form.getByRole('button', { name: 'Create route' }).click();
  await form.waitFor({ state: 'detached' });
});

uiTest('qsgw: a viewer sees no edit controls', async (page) => {
  const token = await adminToken();
  const email = `${unique('viewer-')}@ui-test.local`;
  const password = 'Viewer-password-123';
  await api('POST', `${config.qsgwUrl}/api/v1/users`, { token, body: { email, password, role: 'viewer' } });
  const ups = unique('ups-');
  const u = await api('POST', `${config.qsgwUrl}/api/v1/upstreams`, {
    token, body: { name: ups, targets: [{ host: '127.0.0.1', port: 9002 }] },
  });
  await api('POST', `${config.qsgwUrl}/api/v1/routes`, {
    token, body: { name: unique('rt-'), path: `/${unique('v')}`, upstream_id: u.data.id },
  });

  await login(page, email, password);
  const nav = page.getByRole('navigation', { name: 'Main' });
  assert.equal(await nav.getByRole('link', { name: 'Users' }).count(), 0);
  assert.equal(await nav.getByRole('link', { name: 'Audit log' }).count(), 0);

  await goTo(page, 'Upstreams');
  await page.getByRole('table', { name: 'Upstreams' }).getByRole('row').filter({ hasText: ups }).waitFor();
  await goTo(page, 'Routes');
  await page.getByRole('table', { name: 'Routes' }).waitFor();
  for (const name of ['New route', 'New upstream', 'Edit', 'Delete', 'Acknowledge', 'Resolve']) {
    assert.equal(await page.getByRole('button', { name }).count(), 0, `viewer sees "${name}" on routes`);
  }
  await goTo(page, 'Upstreams');
  await page.getByRole('table', { name: 'Upstreams' }).waitFor();
  assert.equal(await page.getByRole('button', { name: /^(New upstream|Edit|Delete)/ }).count(), 0);
  // Admin-only pages are not reachable by URL either.
  await page.goto(`${admin()}users`);
  await page.getByRole('heading', { name: 'Not found' }).waitFor();
  assert.deepEqual(pageErrors(page), []);
});

uiTest('qsgw: a threat ingested through the API appears in the live threats view', async (page) => {
  await login(page);
  await goTo(page, 'Threats');
  const ip = `198.51.100.${Math.floor(Math.random() * 200) + 20}`;
  const type = unique('probe_');
  // Ingested after the page is open: the live list must pick it up by itself.
  const r = await api('POST', `${config.qsgwUrl}/api/v1/ingest/threats`, {
    apiKey: config.qsgwApiKey,
    body: { records: [{
      client_ip: ip, threat_type: type, severity: 'HIGH', anomaly_score: 0.93, bot_score: 0.71,
      reasons: ['burst of failed logins', 'headless user agent'], action_taken: 'blocked',
      method: 'POST', path: '/login', detected_at: new Date().toISOString(),
    }] },
  });
  assert.equal(r.data.accepted, 1, JSON.stringify(r.data));
  const row = page.getByRole('table', { name: 'Threat events' }).getByRole('row').filter({ hasText: type });
  await row.waitFor({ timeout: 20_000 });
  assert.match(await row.innerText(), new RegExp(ip.replace(/\./g, '\\.')));

  // Filtering by severity keeps it; by another severity hides it.
  await page.getByLabel('Severity').selectOption('LOW');
  await row.waitFor({ state: 'detached' });
  await page.getByLabel('Severity').selectOption('HIGH');
  await row.waitFor();

  // Detail with scores and reasons; acknowledge then resolve.
  await row.click();
  const detail = page.getByRole('complementary');
  await detail.getByText('headless user agent').waitFor();
  assert.match(await detail.innerText(), /0\.93/);
  await detail.getByRole('button', { name: 'Acknowledge' }).click();
  await detail.getByText('Acknowledged.').waitFor();
  await detail.getByRole('button', { name: 'Resolve' }).click();
  await detail.getByText('Resolved.').waitFor();
  await row.filter({ hasText: 'resolved' }).waitFor({ timeout: 10_000 });
  assert.deepEqual(pageErrors(page), []);
});

uiTest('qsgw: an edit conflict is explained, a delete asks first, the audit log shows the diff', async (page) => {
  const token = await adminToken();
  const ups = unique('ups-');
  const name = unique('rt-');
  const u = await api('POST', `${config.qsgwUrl}/api/v1/upstreams`, {
    token, body: { name: ups, targets: [{ host: '127.0.0.1', port: 9003 }] },
  });
  const r = await api('POST', `${config.qsgwUrl}/api/v1/routes`, {
    token, body: { name, path: `/${name}`, upstream_id: u.data.id },
  });
  await login(page);
  await goTo(page, 'Routes');
  await page.getByRole('button', { name: `Edit route ${name}` }).click();
  const form = page.getByRole('form', { name: `Edit route ${name}` });
  await form.getByLabel('Retries').fill('3');
  // Someone else saves first.
  await api('PUT', `${config.qsgwUrl}/api/v1/routes/${r.data.id}`, {
    token, body: { name, path: `/${name}`, upstream_id: u.data.id, retries: 2 },
  });
  await form.getByRole('button', { name: 'Save changes' }).click();
  const conflict = form.getByRole('alert').filter({ hasText: 'Edit conflict' });
  await conflict.waitFor();
  assert.match(await conflict.innerText(), /changed by someone else/);
  // Reload shows the current values; re-apply and save.
  await conflict.getByRole('button', { name: 'Reload' }).click();
  const again = page.getByRole('form', { name: `Edit route ${name}` });
  await page.waitForFunction(() => document.querySelector('[data-field="retries"] input')?.value === '2');
  assert.equal(await again.getByRole('alert').count(), 0);
  await again.getByLabel('Retries').fill('3');
  await again.getByRole('button', { name: 'Save changes' }).click();
  await again.waitFor({ state: 'detached' });

  // Delete asks first; Cancel keeps the route, Delete removes it.
  const row = page.getByRole('table', { name: 'Routes' }).getByRole('row').filter({ hasText: name });
  await page.getByRole('button', { name: `Delete route ${name}` }).click();
  const dialog = page.getByRole('dialog', { name: `Delete route ${name}?` });
  await dialog.waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  await row.waitFor();
  await page.getByRole('button', { name: `Delete route ${name}` }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await row.waitFor({ state: 'detached' });

  // The audit log shows what the update changed.
  await goTo(page, 'Audit log');
  await page.getByLabel('Resource id').fill(r.data.id);
  await page.getByLabel('Action').fill('route.update');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  const entries = page.getByRole('table', { name: 'Audit entries' }).locator('tbody tr[data-id]');
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Audit entries"] tbody tr[data-id]').length === 2);
  await entries.last().getByRole('button', { name: 'Diff' }).click();
  const changes = page.getByRole('table', { name: 'Changes' });
  const retries = changes.getByRole('row').filter({ hasText: 'retries' });
  await retries.waitFor();
  assert.match(await retries.innerText(), /retries\s+1\s+2/);
  assert.deepEqual(pageErrors(page), []);
});

uiTest('qsgw: TLS sessions show group, protocol and cipher and filter by them', async (page) => {
  const sni = `${unique('tls')}.example.com`;
  const rec = (ip, protocol_version, cipher_suite, kx_group, pqc) => ({
    client_ip: ip, sni, protocol_version, cipher_suite, kx_group, pqc,
    handshake_duration_us: 1800, established_at: new Date().toISOString(),
  });
  await api('POST', `${config.qsgwUrl}/api/v1/ingest/tls-sessions`, {
    apiKey: config.qsgwApiKey,
    body: { records: [
      rec('192.0.2.10', 'TLSv1.3', 'TLS13_AES_256_GCM_SHA384', 'X25519MLKEM768', true),
      rec('192.0.2.11', 'TLSv1.2', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'secp256r1', false),
    ] },
  });
  await login(page);
  await goTo(page, 'TLS sessions');
  const table = page.getByRole('table', { name: 'TLS sessions' });
  const rows = table.getByRole('row').filter({ hasText: sni });
  await rows.first().waitFor();
  assert.equal(await rows.count(), 2);
  const pqcRow = await rows.filter({ hasText: '192.0.2.10' }).innerText();
  assert.match(pqcRow, /TLSv1\.3/);
  assert.match(pqcRow, /TLS13_AES_256_GCM_SHA384/);
  assert.match(pqcRow, /X25519MLKEM768/);
  assert.match(pqcRow, /PQC/);

  await page.getByLabel('Protocol').selectOption('TLSv1.2');
  await rows.filter({ hasText: '192.0.2.10' }).waitFor({ state: 'detached' });
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().innerText(), /classical/);
  await page.getByLabel('Protocol').selectOption('');
  await page.getByLabel('Key exchange').selectOption('true');
  await rows.filter({ hasText: '192.0.2.11' }).waitFor({ state: 'detached' });
  await rows.filter({ hasText: '192.0.2.10' }).waitFor();
  assert.deepEqual(pageErrors(page), []);
});

// A refused handshake as the gateway reports it (outcome failed, the
// reason it gave; ingest contract in control-plane/src/routes/ingest.rs):
// shown as refused with its reason, not as a blank "classical" row, and
// the outcome filter separates it from established sessions.
uiTest('qsgw: TLS sessions show a refused handshake with its reason and filter by outcome', async (page) => {
  const sni = `${unique('refused')}.example.com`;
  const reason = 'client offered groups [X25519, secp256r1] (none post-quantum); route requires PQC_ONLY';
  await api('POST', `${config.qsgwUrl}/api/v1/ingest/tls-sessions`, {
    apiKey: config.qsgwApiKey,
    body: { records: [
      { client_ip: '192.0.2.20', sni, outcome: 'failed', failure_reason: reason, pqc: false,
        established_at: new Date().toISOString() },
      { client_ip: '192.0.2.21', sni, protocol_version: 'TLSv1.3', cipher_suite: 'TLS13_AES_128_GCM_SHA256',
        kx_group: 'X25519MLKEM768', pqc: true, handshake_duration_us: 900, established_at: new Date().toISOString() },
    ] },
  });
  await login(page);
  await goTo(page, 'TLS sessions');
  const table = page.getByRole('table', { name: 'TLS sessions' });
  const rows = table.getByRole('row').filter({ hasText: sni });
  await rows.first().waitFor();
  assert.equal(await rows.count(), 2);
  const refused = rows.filter({ hasText: '192.0.2.20' });
  assert.equal(await refused.locator('td.outcome').getAttribute('data-outcome'), 'failed');
  const text = await refused.innerText();
  assert.match(text, /refused/);
  assert.ok(text.includes('none post-quantum'), text);
  assert.doesNotMatch(text, /classical/);
  await page.getByLabel('Outcome').selectOption('failed');
  await rows.filter({ hasText: '192.0.2.21' }).waitFor({ state: 'detached' });
  assert.equal(await rows.count(), 1);
  await page.getByLabel('Outcome').selectOption('established');
  await rows.filter({ hasText: '192.0.2.20' }).waitFor({ state: 'detached' });
  await rows.filter({ hasText: '192.0.2.21' }).waitFor();
  assert.deepEqual(pageErrors(page), []);
});

uiTest('qsgw: the overview shows a gateway\'s heartbeat: revision, requests and live target health', async (page) => {
  const token = await adminToken();
  const ups = await api('POST', `${config.qsgwUrl}/api/v1/upstreams`, {
    token,
    body: { name: unique('health-'), targets: [{ host: '127.0.0.1', port: 9 }, { host: '127.0.0.1', port: 10 }] },
  });
  const upsId = ups.data.id;
  const gw = await api('POST', `${config.qsgwUrl}/api/v1/gateways/register`, {
    apiKey: config.qsgwApiKey,
    body: { name: unique('edge-') },
  });
  await api('POST', `${config.qsgwUrl}/api/v1/gateways/${gw.data.id}/heartbeat`, {
    apiKey: config.qsgwApiKey,
    body: {
      config_revision_seen: 1, requests: 42, errors: 2,
      upstream_health: [
        { upstream_id: upsId, target: '127.0.0.1:9', healthy: true },
        { upstream_id: upsId, target: '127.0.0.1:10', healthy: false },
      ],
    },
  });

  await login(page);
  await page.getByRole('heading', { name: 'Upstream health' }).waitFor();
  const cell = page.locator(`[data-health="${upsId}"]`);
  await cell.waitFor();
  assert.equal((await cell.innerText()).trim(), '1 / 2');
  const row = page.getByRole('table', { name: 'Upstream health' }).getByRole('row').filter({ has: cell });
  assert.match(await row.innerText(), /127\.0\.0\.1:10/);
  const requests = Number((await page.locator('[data-kpi="requests"]').innerText()).replace(/\D/g, ''));
  assert.ok(requests >= 42, `requests KPI ${requests}`);
  const gwRow = page.getByRole('table', { name: 'Gateways' }).getByRole('row').filter({ hasText: gw.data.name });
  await gwRow.waitFor();
  assert.match(await gwRow.innerText(), /online/);
  assert.deepEqual(pageErrors(page), []);
});

uiTest('qsgw: the overview shows each TLS upstream leg: its group (classical flagged) and its certificate expiry (soon flagged)', async (page) => {
  const token = await adminToken();
  const ups = await api('POST', `${config.qsgwUrl}/api/v1/upstreams`, {
    token,
    body: { name: unique('tls-legs-'), targets: [{ host: '127.0.0.1', port: 9443 }, { host: '127.0.0.1', port: 9444 }], tls: { policy: 'PQC_PREFERRED' } },
  });
  assert.equal(ups.status, 201, JSON.stringify(ups.data));
  const upsId = ups.data.id;
  const gw = await api('POST', `${config.qsgwUrl}/api/v1/gateways/register`, { apiKey: config.qsgwApiKey, body: { name: unique('edge-') } });
  const inDays = (d) => new Date(Date.now() + d * 86400e3).toISOString();
  await api('POST', `${config.qsgwUrl}/api/v1/gateways/${gw.data.id}/heartbeat`, {
    apiKey: config.qsgwApiKey,
    body: {
      config_revision_seen: 1,
      upstream_health: [
        { upstream_id: upsId, target: '127.0.0.1:9443', healthy: true, tls: { protocol: 'TLSv1.3', kx_group: 'X25519MLKEM768', pqc: true, cert_algorithm: 'ECDSA-P256', cert_not_after: inDays(200) } },
        { upstream_id: upsId, target: '127.0.0.1:9444', healthy: true, tls: { protocol: 'TLSv1.3', kx_group: 'X25519', pqc: false, cert_algorithm: 'RSA-2048', cert_not_after: inDays(5) } },
      ],
    },
  });
  await login(page);
  const cell = page.locator(`[data-upstream-tls="${upsId}"]`);
  await cell.waitFor();
  const text = await cell.innerText();
  assert.match(text, /127\.0\.0\.1:9443: X25519MLKEM768/);
  assert.match(text, /127\.0\.0\.1:9444: X25519 \(classical\)/);
  const lines = text.split('\n');
  assert.ok(lines.some((l) => l.includes('9444') && /soon/.test(l)) || /RSA-2048, expires \S+ soon/.test(text), text);
  assert.doesNotMatch(text.split('9444')[0], /soon/, 'the PQ leg expires in 200 days');
  assert.deepEqual(pageErrors(page), []);
});

// ---------------------------------------------------------------- issue 21: time series, TLS sessions

/** Reads a chart's Chart.js instance (found by its data-chart id) as plain data. */
async function chartData(page, id) {
  // The Chart.js instance is made in an effect after the canvas renders.
  await page.waitForFunction((id) => window.Chart.getChart(document.querySelector(`[data-chart="${id}"] canvas`)), id);
  return page.evaluate((id) => {
    const c = window.Chart.getChart(document.querySelector(`[data-chart="${id}"] canvas`));
    return {
      xType: c.options.scales.x.type,
      datasets: c.data.datasets.map((d, i) => ({
        label: d.label, hidden: !c.isDatasetVisible(i), x: d.data.map((p) => p.x), y: d.data.map((p) => p.y),
      })),
    };
  }, id);
}

/** Moves the mouse over bucket `index` of a chart and reads its tooltip ({ title, body lines }). */
async function hoverTooltip(page, id, index) {
  const canvas = page.locator(`[data-chart="${id}"] canvas`);
  await canvas.scrollIntoViewIfNeeded(); // the mouse only reaches what is on screen
  const box = await canvas.boundingBox();
  const x = await page.evaluate(({ id, index }) => {
    const c = window.Chart.getChart(document.querySelector(`[data-chart="${id}"] canvas`));
    return c.scales.x.getPixelForValue(c.data.datasets[0].data[index].x);
  }, { id, index });
  await page.mouse.move(box.x + x, box.y + box.height / 2);
  // Chart.js handles pointer events on the next animation frame.
  await page.waitForFunction(({ id, index }) => {
    const c = window.Chart.getChart(document.querySelector(`[data-chart="${id}"] canvas`));
    return c.tooltip.opacity > 0 && c.tooltip.dataPoints?.[0]?.dataIndex === index;
  }, { id, index });
  return page.evaluate((id) => {
    const c = window.Chart.getChart(document.querySelector(`[data-chart="${id}"] canvas`));
    return { title: c.tooltip.title.join(' '), body: c.tooltip.body.flatMap((b) => b.lines) };
  }, id);
}

/** A 'YYYY-MM-DDTHH:mm' datetime-local value, in this machine's zone (the browser's), of an ISO time. */
function localInput(iso) {
  const d = new Date(iso);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** An array of n zeros with the given { index: value } set. */
function zerosWith(n, values) {
  return Array.from({ length: n }, (_, i) => values[i] ?? 0);
}

const tlsRecord = (at, ip, sni, kx, pqc) => ({
  client_ip: ip, sni, protocol_version: 'TLSv1.3', cipher_suite: 'TLS13_AES_128_GCM_SHA256',
  kx_group: kx, pqc, handshake_duration_us: 1200, established_at: at,
});

async function ingestTls(records) {
  const r = await api('POST', `${config.qsgwUrl}/api/v1/ingest/tls-sessions`, { apiKey: config.qsgwApiKey, body: { records } });
  assert.equal(r.data.accepted, records.length, JSON.stringify(r.data));
}

// Issue 21 item 3. Sessions at known minutes of a past hour no other test
// uses (the database is fresh per run), with gaps between them: the chart
// must have one point per minute, evenly spaced on a time axis, zero where
// nothing happened. Expected counts are written out from the records.
uiTest('qsgw: overview charts have a time axis with empty minutes as zero; the range lives in the URL', async (page) => {
  const hour = '2025-05-20T10:00:00.000Z';
  const t0 = Date.parse(hour);
  const at = (min, sec = 0) => new Date(t0 + min * 60e3 + sec * 1e3).toISOString();
  const sni = `${unique('chart')}.example.com`;
  const records = [
    tlsRecord(at(5, 10), '192.0.2.30', sni, 'X25519MLKEM768', true),
    tlsRecord(at(5, 20), '192.0.2.30', sni, 'X25519MLKEM768', true),
    tlsRecord(at(5, 40), '192.0.2.31', sni, 'X25519', false),
    { client_ip: '192.0.2.32', sni, outcome: 'failed', failure_reason: 'no post-quantum group offered', pqc: false, established_at: at(6, 20) },
    tlsRecord(at(20), '192.0.2.30', sni, 'X25519MLKEM768', true),
    // minute 30: 20 PQC + 5 classical = 25 handshakes, enough for a share
    ...Array.from({ length: 20 }, (_, i) => tlsRecord(at(30, i), '192.0.2.33', sni, 'X25519MLKEM768', true)),
    ...Array.from({ length: 5 }, (_, i) => tlsRecord(at(30, 30 + i), '192.0.2.34', sni, 'X25519', false)),
    // now, so that a relative range has a handshake to chart
    tlsRecord(new Date().toISOString(), '192.0.2.35', sni, 'X25519MLKEM768', true),
  ];
  await ingestTls(records);
  await api('POST', `${config.qsgwUrl}/api/v1/ingest/threats`, {
    apiKey: config.qsgwApiKey,
    body: { records: [{ client_ip: '192.0.2.36', threat_type: unique('burst_'), severity: 'HIGH', reasons: ['burst'], action_taken: 'blocked', detected_at: at(7, 30) }] },
  });

  await login(page);
  await page.goto(`${admin()}?range=custom&from=${encodeURIComponent(hour)}&to=${encodeURIComponent(at(60))}`);
  const tls = await chartData(page, 'tls-handshakes');
  assert.equal(tls.xType, 'time');
  // 60 one-minute buckets, 10:00 … 10:59, as epoch milliseconds.
  const minutes = Array.from({ length: 60 }, (_, i) => t0 + i * 60e3);
  const byLabel = Object.fromEntries(tls.datasets.map((d) => [d.label, d]));
  for (const d of tls.datasets) assert.deepEqual(d.x, minutes, `${d.label} x values`);
  assert.deepEqual(byLabel['Post-quantum'].y, zerosWith(60, { 5: 2, 20: 1, 30: 20 }));
  assert.deepEqual(byLabel.Classical.y, zerosWith(60, { 5: 1, 30: 5 }));
  assert.deepEqual(byLabel.Refused.y, zerosWith(60, { 6: 1 }));

  // The share line holds only buckets with at least 20 handshakes (minute
  // 30: 20 of 25 = 80 %); 2 of 3 and 1 of 1 are drawn apart as low volume.
  const share = await chartData(page, 'pqc-share');
  const [line, low] = share.datasets;
  assert.equal(line.label, 'PQC share');
  assert.deepEqual(line.y, Array.from({ length: 60 }, (_, i) => (i === 30 ? 80 : null)));
  assert.deepEqual(low.y, Array.from({ length: 60 }, (_, i) => ({ 5: 66.7, 20: 100 }[i] ?? null)));

  // Tooltips (hovering the bucket of 10:05) name each value with its unit,
  // and the share with the handshakes it comes from.
  assert.deepEqual((await hoverTooltip(page, 'tls-handshakes', 5)).body,
    ['Post-quantum: 2 handshakes', 'Classical: 1 handshake', 'Refused: 0 handshakes']);
  const tip = await hoverTooltip(page, 'pqc-share', 5);
  assert.deepEqual(tip.body, ['PQC share: 66.7 % (2 of 3 handshakes, fewer than 20: not representative)']);
  assert.match(tip.title, /–/); // the bucket's span, e.g. "May 20, 10:05 AM – 10:06 AM"

  const threats = await chartData(page, 'threats');
  assert.deepEqual(threats.datasets.find((d) => d.label === 'HIGH').y, zerosWith(60, { 7: 1 }));
  assert.equal(await page.getByLabel('Time range').inputValue(), 'custom');
  assert.equal(await page.getByLabel('From', { exact: true }).inputValue(), localInput(hour));

  // The legend toggles a series.
  const classical = page.locator('[data-chart="tls-handshakes"]').getByRole('button', { name: /^Classical/ });
  await classical.click();
  assert.equal(await classical.getAttribute('aria-pressed'), 'false');
  // (the chart follows in an effect after the render)
  await page.waitForFunction(() => !window.Chart.getChart(document.querySelector('[data-chart="tls-handshakes"] canvas')).isDatasetVisible(1));
  assert.deepEqual((await chartData(page, 'tls-handshakes')).datasets.map((d) => d.hidden), [false, true, false]);

  // A preset and the auto-refresh choice go to the URL and survive a reload.
  await page.getByLabel('Time range').selectOption('6h');
  await page.getByLabel('Auto-refresh').selectOption('off');
  await page.waitForFunction(() => location.search.includes('range=6h') && location.search.includes('refresh=off'));
  assert.ok(!page.url().includes('from='), page.url());
  await page.reload();
  await page.getByRole('heading', { name: 'Post-quantum key exchange' }).waitFor();
  assert.equal(await page.getByLabel('Time range').inputValue(), '6h');
  assert.equal(await page.getByLabel('Auto-refresh').inputValue(), 'off');
  // 6 hours by 5-minute buckets: 72 or 73 evenly spaced points.
  const six = await chartData(page, 'tls-handshakes');
  const xs = six.datasets[0].x;
  assert.ok(xs.length >= 72 && xs.length <= 73, `${xs.length} buckets`);
  assert.ok(xs.every((x, i) => i === 0 || x - xs[i - 1] === 300e3), 'evenly spaced by 5 minutes');
  assert.equal(xs[0] % 300e3, 0, 'on a 5-minute boundary');

  // A custom range typed into the picker: 10:00–10:30 is 30 minutes.
  await page.getByLabel('Time range').selectOption('custom');
  await page.getByLabel('From', { exact: true }).fill(localInput(hour));
  await page.getByLabel('To', { exact: true }).fill(localInput(at(30)));
  await page.getByRole('button', { name: 'Apply range' }).click();
  await page.waitForFunction(({ from, to }) => {
    const q = new URLSearchParams(location.search);
    return q.get('range') === 'custom' && q.get('from') === from && q.get('to') === to;
  }, { from: hour, to: at(30) });
  await page.waitForFunction(() => window.Chart.getChart(document.querySelector('[data-chart="tls-handshakes"] canvas'))
    ?.data.datasets[0].data.length === 30);
  assert.deepEqual((await chartData(page, 'tls-handshakes')).datasets[0].y, zerosWith(30, { 5: 2, 20: 1 }));
  assert.equal(await page.getByLabel('Auto-refresh').isDisabled(), true); // a fixed range does not move
  assert.deepEqual(pageErrors(page), []);
});

// Issue 21 item 4 (and item 6 for this view). Known sessions in a past
// hour; the expected group counts are written out from them.
uiTest('qsgw: TLS sessions group by client, group and SNI, export CSV, and keep filters and page in the URL', async (page) => {
  const u = unique('g');
  const a = `a.${u}.example`;
  const b = `b.${u}.example`;
  const from = '2025-05-21T08:00:00.000Z';
  const to = '2025-05-21T09:00:00.000Z';
  const at = (min) => new Date(Date.parse(from) + min * 60e3).toISOString();
  // A reason with a comma and a double quote: RFC 4180 quoting in the CSV.
  const reason = 'client offered "X25519, secp256r1" only; route requires PQC_ONLY';
  await ingestTls([
    tlsRecord(at(1), '198.51.100.1', a, 'X25519MLKEM768', true),
    tlsRecord(at(2), '198.51.100.1', a, 'X25519MLKEM768', true),
    tlsRecord(at(3), '198.51.100.1', b, 'X25519', false),
    { client_ip: '198.51.100.2', sni: a, outcome: 'failed', failure_reason: reason, pqc: false, established_at: at(4) },
    { ...tlsRecord(at(5), '198.51.100.3', null, 'X25519MLKEM768', true), sni: undefined },
  ]);
  await login(page);
  await goTo(page, 'TLS sessions');
  await page.getByLabel('From', { exact: true }).fill(localInput(from));
  await page.getByLabel('To', { exact: true }).fill(localInput(to));
  await page.getByRole('button', { name: 'Apply filters' }).click();
  const total = page.locator('[data-total]');
  await page.waitForFunction(() => document.querySelector('[data-total]')?.dataset.total === '5');
  assert.match(await total.innerText(), /^5 sessions match/);

  /** The group table as [key, sessions, established, PQC, refused] rows. */
  const groupRows = async (name) => {
    const table = page.getByRole('table', { name });
    await table.waitFor();
    return table.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [
      r.dataset.key, ...[...r.querySelectorAll('td')].slice(0, 4).map((td) => Number(td.textContent.replace(/\D/g, ''))),
    ]));
  };
  await page.getByLabel('Group by').selectOption('client_ip');
  assert.deepEqual(await groupRows('TLS sessions by client'), [
    ['198.51.100.1', 3, 3, 2, 0],
    ['198.51.100.2', 1, 0, 0, 1],
    ['198.51.100.3', 1, 1, 1, 0],
  ]);
  await page.getByLabel('Group by').selectOption('kx_group');
  assert.deepEqual(await groupRows('TLS sessions by key-exchange group'), [
    ['X25519MLKEM768', 3, 3, 3, 0],
    ['X25519', 1, 1, 0, 0],
    ['', 1, 0, 0, 1], // the refused handshake negotiated no group
  ]);
  await page.getByLabel('Group by').selectOption('sni');
  assert.deepEqual(await groupRows('TLS sessions by SNI'), [
    [a, 3, 2, 2, 1],
    [b, 1, 1, 0, 0],
    ['', 1, 1, 1, 0], // no SNI sent
  ]);

  // Filters and grouping survive a reload (they are in the URL).
  await page.reload();
  assert.deepEqual((await groupRows('TLS sessions by SNI')).length, 3);
  assert.equal(await page.getByLabel('Group by').inputValue(), 'sni');
  assert.equal(await page.getByLabel('From', { exact: true }).inputValue(), localInput(from));

  // A group drills down to its sessions.
  await page.getByRole('button', { name: `Show the sessions of ${a}` }).click();
  const rows = page.getByRole('table', { name: 'TLS sessions' }).locator('tbody tr');
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="TLS sessions"] tbody tr').length === 3);
  assert.equal(await page.getByLabel('SNI', { exact: true }).inputValue(), a);
  await page.getByLabel('Outcome').selectOption('failed');
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="TLS sessions"] tbody tr').length === 1);
  await page.reload();
  await page.getByRole('table', { name: 'TLS sessions' }).waitFor();
  assert.equal(await rows.count(), 1);
  assert.equal(await page.getByLabel('Outcome').inputValue(), 'failed');
  assert.equal(await page.getByLabel('SNI', { exact: true }).inputValue(), a);
  // The reason has its own column, and a filter on text inside it.
  assert.equal(await rows.first().locator('td.reason').innerText(), reason);
  await page.getByLabel('Failure reason contains').fill('pqc_only');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForFunction(() => new URLSearchParams(location.search).get('failure_reason') === 'pqc_only');
  await page.waitForFunction(() => document.querySelector('[data-total]')?.dataset.total === '1');

  // CSV export of what the filter selects: the header and the refused row,
  // its reason quoted per RFC 4180 (section 2, rules 6 and 7: a field with
  // a comma or a quote is enclosed in quotes, an inner quote doubled).
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^tls-sessions-\d{8}T\d{6}Z\.csv$/);
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(await download.path(), 'utf8');
  const lines = text.split('\r\n');
  assert.equal(lines.length, 3, JSON.stringify(text)); // header, one row, '' after the last CRLF
  assert.equal(lines[0], 'established_at,outcome,failure_reason,client_ip,sni,protocol_version,cipher_suite,kx_group,pqc,resumed,alpn,handshake_duration_us,gateway_id,id');
  assert.ok(lines[1].startsWith(`2025-05-21T08:04:00.000000Z,failed,"client offered ""X25519, secp256r1"" only; route requires PQC_ONLY",198.51.100.2,${a},`), lines[1]);
  assert.equal(lines[2], '');

  // Pages are in the URL too: 55 sessions, 50 a page.
  const bulk = `bulk.${u}.example`;
  await ingestTls(Array.from({ length: 55 }, (_, i) => tlsRecord(new Date(Date.parse('2025-05-21T10:00:00Z') + i * 1e3).toISOString(), '198.51.100.9', bulk, 'X25519MLKEM768', true)));
  await page.goto(`${admin()}tls?sni=${bulk}`);
  await page.waitForFunction(() => document.querySelector('[data-total]')?.dataset.total === '55');
  assert.equal(await rows.count(), 50);
  await page.getByRole('button', { name: 'Older' }).click();
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="TLS sessions"] tbody tr').length === 5);
  assert.ok(page.url().includes('pages='), page.url());
  await page.reload();
  await page.getByRole('table', { name: 'TLS sessions' }).waitFor();
  assert.equal(await rows.count(), 5);
  await page.getByText('Page 2 of 2').waitFor();
  await page.getByRole('button', { name: 'Newer' }).click();
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="TLS sessions"] tbody tr').length === 50);
  assert.deepEqual(pageErrors(page), []);
});

uiTest('qsgw: the overview and TLS views pass axe-core and fit a 390 px wide screen', async (page) => {
  const sni = `${unique('axe')}.example.com`;
  await ingestTls([
    tlsRecord(new Date().toISOString(), '192.0.2.40', sni, 'X25519MLKEM768', true),
    { client_ip: '192.0.2.41', sni, outcome: 'failed', failure_reason: 'no shared group', pqc: false, established_at: new Date().toISOString() },
  ]);
  await api('POST', `${config.qsgwUrl}/api/v1/ingest/threats`, {
    apiKey: config.qsgwApiKey,
    body: { records: [{ client_ip: '192.0.2.42', threat_type: unique('scan_'), severity: 'LOW', reasons: ['scan'], action_taken: 'flagged', detected_at: new Date().toISOString() }] },
  });
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  await login(page);
  for (const width of [1280, 390]) {
    await page.setViewportSize({ width, height: 900 });
    await page.goto(admin());
    await page.locator('[data-chart="tls-handshakes"] canvas').waitFor();
    await page.locator('[data-chart="requests"], [data-chart="threats"]').first().waitFor();
    await expectNoAxeViolations(page, `the overview at ${width} px`);
    assert.equal(await overflow(), 0, `overview overflows sideways at ${width} px`);
    await page.getByLabel('Time range').selectOption('custom');
    await page.getByRole('button', { name: 'Apply range' }).waitFor();
    await expectNoAxeViolations(page, `the overview with a custom range at ${width} px`);
    assert.equal(await overflow(), 0, `overview with a custom range overflows at ${width} px`);

    await page.goto(`${admin()}tls`);
    await page.getByRole('table', { name: 'TLS sessions' }).waitFor();
    await expectNoAxeViolations(page, `TLS sessions at ${width} px`);
    assert.equal(await overflow(), 0, `TLS sessions overflow sideways at ${width} px`);
    await page.getByLabel('Group by').selectOption('sni');
    await page.getByRole('table', { name: 'TLS sessions by SNI' }).waitFor();
    await expectNoAxeViolations(page, `TLS sessions grouped at ${width} px`);
    assert.equal(await overflow(), 0, `grouped TLS sessions overflow sideways at ${width} px`);
  }
  assert.deepEqual(pageErrors(page), []);
});

uiTest('qsgw: an upstream with TLS to its targets; saving the form keeps what it does not show; bad TLS fields are named', async (page) => {
  const token = await adminToken();
  const ups = unique('tls-ups-');
  const created = await api('POST', `${config.qsgwUrl}/api/v1/upstreams`, {
    token,
    body: {
      name: ups, targets: [{ host: '127.0.0.1', port: 9443 }], pool_size: 7, connect_timeout_ms: 1234,
      health_check: { enabled: true, path: '/healthz', interval_ms: 7000 },
      tls: { sni: 'orders.internal', policy: 'PQC_ONLY', client_cert_path: '/etc/qsgw/up/client.crt', client_key_path: '/etc/qsgw/up/client.key' },
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.data));
  await login(page);
  await goTo(page, 'Upstreams');
  const row = page.getByRole('table', { name: 'Upstreams' }).getByRole('row').filter({ hasText: ups });
  await row.waitFor();
  const tlsCell = await row.locator('td.tls').innerText();
  assert.match(tlsCell, /TLS PQC_ONLY/);
  assert.match(tlsCell, /mTLS/);

  // Edit only the description: the TLS block and the settings the form
  // does not show (pool size, connect timeout, check interval) stay.
  await row.getByRole('button', { name: `Edit upstream ${ups}` }).click();
  const form = page.getByRole('form', { name: `Edit upstream ${ups}` });
  assert.equal(await form.getByLabel('Connect to the targets over TLS').isChecked(), true);
  assert.equal(await form.getByLabel('Server name (SNI)').inputValue(), 'orders.internal');
  await expectNoAxeViolations(page, 'upstream form with TLS');
  await form.getByLabel('Description').fill('edited in the console');
  await form.getByRole('button', { name: 'Save changes' }).click();
  await form.waitFor({ state: 'detached' });
  const after = await api('GET', `${config.qsgwUrl}/api/v1/upstreams/${created.data.id}`, { token });
  assert.equal(after.data.description, 'edited in the console');
  assert.deepEqual(after.data.tls, created.data.tls);
  assert.equal(after.data.pool_size, 7);
  assert.equal(after.data.connect_timeout_ms, 1234);
  assert.equal(after.data.health_check.interval_ms, 7000);

  // A wildcard SNI is refused by the API, shown beside its field.
  await row.getByRole('button', { name: `Edit upstream ${ups}` }).click();
  const form2 = page.getByRole('form', { name: `Edit upstream ${ups}` });
  await form2.getByLabel('Server name (SNI)').fill('*.internal');
  await form2.getByRole('button', { name: 'Save changes' }).click();
  await form2.getByText('must be a host name (no wildcard)').waitFor();
  await form2.getByRole('button', { name: 'Cancel' }).click();
  assert.deepEqual(pageErrors(page), []);
});
