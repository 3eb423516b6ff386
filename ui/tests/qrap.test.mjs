// Browser tests of the QRAP web app (/app/ on the risk API): sign in with
// a token, upload a real CBOM, watch it complete, read the findings in
// priority order, download the CSV, export the CBOM (CycloneDX 1.7);
// organizations with field errors; the audit log with its chain check; a
// viewer sees no create controls.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, api, config, uiTest, unique } from './lib.mjs';

/** An HS256 token as `risk-api token` mints it (issuer qrap, audience qrap-api). */
function mintToken(role, org) {
  const b64 = (v) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const claims = { sub: `ui-test-${role}`, role, iss: 'qrap', aud: 'qrap-api', iat: now, exp: now + 3600, jti: randomUUID() };
  if (org) claims.org = org;
  const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  const sig = createHmac('sha256', config.qrapJwtSecret).update(head).digest('base64url');
  return `${head}.${sig}`;
}

/** The public CBOM fixtures, vendored in testdata/cbom (see its SOURCES.md). */
function fixture(name) {
  const path = join(REPO_ROOT, 'testdata', 'cbom', name);
  assert.ok(existsSync(path), `CBOM fixture ${path} not found`);
  return path;
}

async function createOrg(name) {
  const r = await api('POST', `${config.qrapUrl}/api/v1/organizations`, {
    token: mintToken('admin'),
    body: { name },
    expect: [201],
  });
  return r.data.id;
}

async function signIn(page, token) {
  await page.goto(`${config.qrapUrl}/app/`);
  await page.getByLabel('Access token or API key').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

uiTest('qrap: upload a CBOM, wait for completion, findings by priority, CSV download, CBOM export', async (page) => {
  const org = await createOrg(unique('cbom-org-'));
  await signIn(page, mintToken('operator', org));
  await page.getByRole('link', { name: 'New assessment' }).click();
  const name = unique('keycloak-');
  await page.getByLabel('CBOM file', { exact: true }).setInputFiles(fixture('keycloak-cbom.json'));
  await page.getByLabel(/^Name/).fill(name);
  await page.getByRole('button', { name: 'Start assessment' }).click();

  // The assessment page shows the status until scoring completes.
  await page.getByRole('heading', { name }).waitFor();
  await page.locator('#assessment-status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
  const table = page.locator('#findings-table');
  await table.waitFor();
  assert.match(await page.locator('#overall-score').innerText(), /^\d+\.\d/);

  // Findings sorted by priority: 1, 2, 3, … and the worst severity first.
  const priorities = (await table.locator('tbody td.priority').allInnerTexts()).map(Number);
  assert.ok(priorities.length >= 10, `findings shown: ${priorities.length}`);
  assert.deepEqual(priorities, priorities.map((_, i) => i + 1));
  const severities = await table.locator('tbody tr td:nth-child(2)').allInnerTexts();
  const rank = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];
  const ranks = severities.map((s) => rank.indexOf(s.trim()));
  // The first row carries the worst severity present (which one depends on
  // the ML engine's published thresholds, not on this test).
  assert.equal(ranks[0], Math.min(...ranks), `worst severity first: ${severities}`);
  assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), `severities in priority order: ${severities}`);
  // WCAG 2.2 SC 1.4.3 (contrast minimum, AA): text in a severity badge
  // needs 4.5:1 against its background; relative luminance and ratio as
  // WCAG 2.2 defines them, on the colours the browser computed.
  const ratios = await page.evaluate(() => {
    const rgb = (c) => c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map((v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    }).reduce((acc, v, i) => acc + v * [0.2126, 0.7152, 0.0722][i], 0);
    return [...document.querySelectorAll('#findings-table .badge')].map((b) => {
      const st = getComputedStyle(b);
      const [l1, l2] = [lum(rgb(st.color)), lum(rgb(st.backgroundColor))].sort((x, y) => y - x);
      return [b.textContent.trim(), (l1 + 0.05) / (l2 + 0.05)];
    });
  });
  assert.ok(ratios.length > 0);
  for (const [label, ratio] of ratios) assert.ok(ratio >= 4.5, `${label} badge contrast ${ratio.toFixed(2)}:1`);
  const recommendations = await table.locator('tbody td.recommendation').allInnerTexts();
  assert.ok(recommendations.every((r) => r.trim().length > 0), 'each finding has its recommendation');
  const firstAlgorithm = (await table.locator('tbody tr').first().locator('td').nth(4).locator('code').innerText()).trim();

  // Filter: only CRITICAL.
  const worst = severities[0].trim();
  await page.locator('#f-severity').selectOption(worst);
  await page.waitForFunction((w) => [...document.querySelectorAll('#findings-table tbody tr td:nth-child(2)')]
    .every((td) => td.textContent.trim() === w), worst);

  // CSV: downloaded through fetch + Blob (the token never appears in a URL).
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^asmnt_[0-9a-f]{32}-report\.csv$/);
  const csv = readFileSync(await download.path(), 'utf8').trim().split(/\r?\n/);
  assert.equal(csv[0].split(',').slice(0, 3).join(','), 'priority,severity,risk_score');
  assert.equal(csv.length - 1, priorities.length, 'one CSV row per finding');
  const first = csv[1].split(',');
  assert.equal(first[0], '1');
  assert.equal(first[1], worst);
  assert.equal(first[5], firstAlgorithm);
  assert.deepEqual(csv.slice(1).map((l) => Number(l.split(',')[0])), priorities);

  // CBOM export: a CycloneDX 1.7 document. bomFormat and specVersion as
  // bom-1.7.schema.json requires them (bomFormat enum ["CycloneDX"];
  // specVersion "1.7" for this schema version); one component per finding,
  // each carrying its finding id (quantun:finding_id).
  const [cbom] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Export CBOM' }).click(),
  ]);
  assert.match(cbom.suggestedFilename(), /^asmnt_[0-9a-f]{32}-cbom\.json$/);
  const doc = JSON.parse(readFileSync(await cbom.path(), 'utf8'));
  assert.equal(doc.bomFormat, 'CycloneDX');
  assert.equal(doc.specVersion, '1.7');
  const exported = doc.components.filter((c) => (c.properties || []).some((p) => p.name === 'quantun:finding_id'));
  assert.equal(exported.length, priorities.length, 'one exported component per finding');
  assert.ok(requests.every((u) => !u.includes('eyJ')), 'no token in any URL');
  assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');

  // Sortable: the score header sorts by risk score, highest first.
  await page.locator('#f-severity').selectOption('');
  await page.getByRole('button', { name: /^Score/ }).click();
  await page.locator('th[aria-sort="descending"]', { hasText: 'Score' }).waitFor();
  await page.waitForFunction(() => {
    const s = [...document.querySelectorAll('#findings-table tbody tr td:nth-child(3)')].map((td) => Number(td.textContent));
    return s.length > 1 && s.every((v, i) => i === 0 || s[i - 1] >= v) && s[0] > s[s.length - 1];
  });
});

// A CBOM written for this test: AES-256-GCM used by two applications (one
// finding, two bom-ref paths) and a SHA-1 RSA signature only used to verify
// (NIST SP 800-131A Rev. 2 Table 8: SHA-1 signature verification is legacy
// use, generation disallowed).
uiTest('qrap: a CBOM finding shows where it is used and a verify-only SHA-1 signature shows legacy use', async (page) => {
  const org = await createOrg(unique('paths-org-'));
  await signIn(page, mintToken('operator', org));
  const alg = (ref, name, props) => ({
    type: 'cryptographic-asset', 'bom-ref': ref, name,
    cryptoProperties: { assetType: 'algorithm', algorithmProperties: props },
  });
  const doc = {
    bomFormat: 'CycloneDX', specVersion: '1.7', version: 1,
    components: [
      alg('aes', 'AES-256-GCM', { primitive: 'ae', cryptoFunctions: ['encrypt', 'decrypt'] }),
      alg('sha1-verify', 'sha1WithRSAEncryption', { primitive: 'signature', parameterSetIdentifier: '2048', cryptoFunctions: ['verify'] }),
    ],
    dependencies: [{ ref: 'app-a', dependsOn: ['aes'] }, { ref: 'app-b', dependsOn: ['aes'] }],
  };
  await page.getByRole('link', { name: 'New assessment' }).click();
  const name = unique('paths-');
  await page.getByLabel('CBOM file', { exact: true }).setInputFiles({
    name: 'paths.cdx.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(doc)),
  });
  await page.getByLabel(/^Name/).fill(name);
  await page.getByRole('button', { name: 'Start assessment' }).click();
  await page.locator('#assessment-status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
  const table = page.locator('#findings-table');
  await table.waitFor();

  const aes = table.locator('tbody tr', { hasText: 'AES-256-GCM' });
  assert.equal(await aes.count(), 1, 'one finding for AES-256-GCM');
  const paths = aes.locator('details.paths');
  assert.equal(await paths.getAttribute('data-occurrences'), '2');
  assert.match(await paths.locator('summary').innerText(), /used in 2 places/);
  await paths.locator('summary').click();
  const shown = (await paths.locator('li').allInnerTexts()).map((t) => t.trim()).sort();
  assert.deepEqual(shown, ['app-a › aes', 'app-b › aes']);

  const sha1 = table.locator('tbody tr', { hasText: 'sha1WithRSAEncryption' });
  assert.equal((await sha1.locator('small.verdict').innerText()).trim(), 'legacy use');
});

uiTest('qrap: admin creates an organization (field error first), audit log shows it with an intact chain', async (page) => {
  await signIn(page, mintToken('admin'));
  await page.getByRole('link', { name: 'Organizations' }).click();
  // A blank name: the API's field error appears beside the field.
  await page.getByLabel('Name', { exact: true }).fill('   ');
  await page.getByRole('button', { name: 'Create organization' }).click();
  const error = page.locator('#org-name-error');
  await error.waitFor();
  assert.match(await error.innerText(), /1\.\.200/);
  assert.equal(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid'), 'true');

  const name = unique('Org ');
  await page.getByLabel('Name', { exact: true }).fill(name);
  await page.getByRole('button', { name: 'Create organization' }).click();
  await page.getByRole('cell', { name, exact: true }).waitFor();

  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.locator('#chain-verify', { hasText: 'Intact.' }).waitFor();
  const row = page.locator('#audit-table tbody tr', { hasText: name });
  await row.waitFor();
  assert.match(await row.innerText(), /organization\.create/);
});

uiTest('qrap: a viewer sees assessments but no create or re-run controls', async (page) => {
  const org = await createOrg(unique('viewer-org-'));
  const operator = mintToken('operator', org);
  const inventory = [{ name: 'vpn', algorithm: 'RSA', parameter: '2048', usage: 'key_exchange' }];
  const created = await api('POST', `${config.qrapUrl}/api/v1/assessments`, {
    token: operator,
    body: { name: 'viewer check', inventory },
    expect: [202],
  });
  await signIn(page, mintToken('viewer', org));
  await page.locator('#assessments-table', { hasText: 'viewer check' }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'New assessment' }).count(), 0);
  await page.getByRole('link', { name: 'viewer check' }).click();
  await page.locator('#assessment-status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
  await page.locator('#findings-table').waitFor();
  assert.equal(await page.getByRole('button', { name: /Re-run/ }).count(), 0);
  assert.ok(page.url().includes(created.data.id));
});

uiTest('qrap: a JSON inventory with a bad asset shows the field error; a good one completes with its NIST timeline', async (page) => {
  const org = await createOrg(unique('inventory-org-'));
  await signIn(page, mintToken('operator', org));
  await page.getByRole('link', { name: 'New assessment' }).click();
  await page.getByLabel('JSON inventory').check();
  await page.getByLabel(/^Name/).fill('inventory check');
  const inventory = page.getByLabel('Inventory (JSON array of assets)');
  await inventory.fill('[{"name": "vpn"}]');
  await page.getByRole('button', { name: 'Start assessment' }).click();
  const error = page.locator('#asm-inventory-error');
  await error.waitFor();
  assert.match(await error.innerText(), /inventory\[0\].*algorithm/);
  assert.equal(await inventory.getAttribute('aria-invalid'), 'true');

  await inventory.fill(JSON.stringify([
    { name: 'vpn', algorithm: 'RSA', parameter: '2048', usage: 'key_exchange' },
    { name: 'disk', algorithm: 'AES-256-GCM', usage: 'encryption' },
  ]));
  await page.getByRole('button', { name: 'Start assessment' }).click();
  await page.locator('#assessment-status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
  // RSA-2048: deprecated after 2030, disallowed after 2035.
  const timeline = page.getByRole('list', { name: 'Deadline timeline' });
  await timeline.waitFor();
  const items = await timeline.locator('li').allInnerTexts();
  assert.equal(items.length, 2, items.join(' | '));
  assert.match(items[0], /^2030\b.*1 finding deprecated after it/);
  assert.match(items[1], /^2035\b.*1 finding disallowed after it/);
  // Readiness counts public-key assets only: NIST IR 8547 (ipd, 2024)
  // section 4 transitions RSA/ECC; AES stays approved, so the AES key is no
  // "ready" asset and the RSA one is not post-quantum: 0 %.
  assert.match(await page.locator('#pqc-readiness').innerText(), /^0\.0/);
});

// Issue 19: the form's scoring defaults reach the engine, and the finding
// explains its horizon as Mosca (2015) writes it: H = x + y for key
// exchange (harvest now, decrypt later).
uiTest('qrap: scoring defaults from the form; a finding explains its horizon, Mosca per CRQC band and start year', async (page) => {
  const org = await createOrg(unique('defaults-org-'));
  await signIn(page, mintToken('operator', org));
  await page.getByRole('link', { name: 'New assessment' }).click();
  await page.getByLabel('JSON inventory').check();
  await page.getByLabel(/^Name/).fill('defaults check');
  await page.getByLabel('Inventory (JSON array of assets)').fill(JSON.stringify([
    { name: 'vpn', algorithm: 'RSA', parameter: '2048', usage: 'key_exchange' },
  ]));
  // The band list comes from the ML engine (GET /api/v1/scoring-options).
  const band = page.getByLabel('CRQC timeline band');
  await band.locator('option[value="pessimistic"]').waitFor({ state: 'attached' });
  await page.getByLabel(/^Data shelf life/).fill('10');
  await page.getByLabel(/^Migration time/).fill('3');
  await band.selectOption('pessimistic');
  // A bad value is named at its input.
  await page.getByLabel(/^Signature validity/).fill('1000000000');
  await page.getByRole('button', { name: 'Start assessment' }).click();
  const err = page.locator('#asm-d-validity_years-error');
  await err.waitFor();
  assert.match(await err.innerText(), /0\.\.=100/);
  await page.getByLabel(/^Signature validity/).fill('');
  await page.getByRole('button', { name: 'Start assessment' }).click();
  await page.locator('#assessment-status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });

  const lanes = page.locator('#lanes');
  await lanes.waitFor();
  assert.match(await lanes.innerText(), /pessimistic CRQC timeline/);
  assert.equal((await lanes.locator('[data-lane="quantum"] strong').innerText()).trim(), '1');
  const row = page.locator('#findings-table tbody tr').first();
  assert.equal((await row.locator('td.lane').getAttribute('data-lane')), 'quantum');
  await row.locator('details.why summary').click();
  const why = await row.locator('details.why').innerText();
  assert.match(why, /confidentiality horizon 13\.0 y/, why);
  assert.match(why, /x 10\.0 \+ y 3\.0/, why);
  assert.match(why, /pessimistic band: P\(CRQC within H\)/, why);
  assert.match(why, /start migrating by \d{4}/, why);
  // One row per band of the engine's timeline data.
  assert.equal(await row.locator('ul.bands li').count(), 3);
});
