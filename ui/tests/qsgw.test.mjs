// Browser tests of the QSGW console (control plane /admin/) against the
// real control plane started by scripts/test-ui.sh.
import assert from 'node:assert/strict';
import { uiTest, config, api, unique } from './lib.mjs';

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
