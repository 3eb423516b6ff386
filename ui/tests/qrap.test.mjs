// Browser tests of the QRAP web app (/app/ on the risk API): sign in with
// a token, upload a real CBOM, watch it complete, read the findings in
// priority order, download the CSV, export the CBOM (CycloneDX 1.7);
// organizations with field errors; the audit log with its chain check; a
// viewer sees no create controls. Issue 21 item 5: the finding drawer
// (factors, Mosca per CRQC band, CBOM path), triage carried over a re-run,
// the trend and diff views; every QRAP view passes axe-core and has no
// horizontal page overflow at 390 px.
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, api, config, expectNoAxeViolations, uiTest, unique } from './lib.mjs';

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
  await page.getByLabel('Name', { exact: true }).waitFor();
  await expectNoAxeViolations(page, 'the organizations');
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
  await expectNoAxeViolations(page, 'the audit log');
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
  // The drawer shows a viewer the triage, not the form to change it.
  await page.locator('#findings-table button.open-finding').first().click();
  await page.locator('#drawer-triage-state').waitFor();
  assert.equal(await page.locator('#triage-form').count(), 0);
});

uiTest('qrap: a JSON inventory with a bad asset shows the field error; a good one completes with its NIST timeline', async (page) => {
  const org = await createOrg(unique('inventory-org-'));
  await signIn(page, mintToken('operator', org));
  await page.getByRole('link', { name: 'New assessment' }).click();
  await page.getByLabel('JSON inventory').check();
  await expectNoAxeViolations(page, 'the new assessment form');
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
  // The quantum-safe share counts public-key assets only: NIST IR 8547
  // (ipd, 2024) section 4 transitions RSA/ECC; AES stays approved, so the
  // AES key is shown apart as symmetric and the RSA one is not
  // post-quantum: 0 of 1, 0 %.
  assert.match(await page.locator('#pqc-readiness').innerText(), /^0\.0/);
  assert.match(await page.locator('#quantum-safe-of').innerText(), /^0 of 1 asymmetric \(public-key\) asset already post-quantum/);
  assert.equal(await page.locator('#hash-symmetric [data-count="symmetric"]').innerText(), '1');
  assert.equal(await page.locator('#hash-symmetric [data-count="hash"]').innerText(), '0');
  assert.match(await page.locator('#hash-symmetric').innerText(), /strength\): 0 hash and 1 symmetric asset\.$/);
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

/**
 * Fails when the page is wider than a 390 px phone screen. Charts resize on
 * a ResizeObserver after the viewport changes, so the page has 3 s to
 * settle before its width is taken.
 */
async function expectNoOverflowAt390(page, label) {
  await page.waitForFunction(() => document.documentElement.scrollWidth <= 390, null, { timeout: 3000 }).catch(() => {});
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `${label}: page is ${width} px wide at a 390 px viewport`);
}

// A CBOM written for this test: an RSA-2048 key transport found at two
// places in the code (evidence occurrences, CycloneDX 1.6
// component.evidence.occurrences[].location/line), reached from an
// application, and an ML-KEM-768 replacement (FIPS 203).
function drawerCbom() {
  return {
    bomFormat: 'CycloneDX', specVersion: '1.6', version: 1,
    metadata: { component: { type: 'application', name: 'payments', 'bom-ref': 'app-payments' } },
    components: [
      {
        type: 'cryptographic-asset', 'bom-ref': 'crypto/rsa-2048', name: 'RSA-2048',
        cryptoProperties: { assetType: 'algorithm', algorithmProperties: { primitive: 'pke', parameterSetIdentifier: '2048', cryptoFunctions: ['encapsulate'] } },
        evidence: { occurrences: [{ location: 'src/tls/handshake.rs', line: 42 }, { location: 'src/vpn/tunnel.rs', line: 7 }] },
      },
      {
        type: 'cryptographic-asset', 'bom-ref': 'crypto/ml-kem-768', name: 'ML-KEM-768',
        cryptoProperties: { assetType: 'algorithm', algorithmProperties: { primitive: 'kem', parameterSetIdentifier: '768', cryptoFunctions: ['encapsulate'] } },
      },
    ],
    dependencies: [{ ref: 'app-payments', dependsOn: ['crypto/rsa-2048', 'crypto/ml-kem-768'] }],
  };
}

async function uploadCbom(token, name, doc) {
  const r = await api('POST', `${config.qrapUrl}/api/v1/assessments?name=${encodeURIComponent(name)}&data_shelf_life_years=10&migration_time_years=3`, {
    token,
    body: JSON.stringify(doc),
    headers: { 'Content-Type': 'application/vnd.cyclonedx+json' },
    expect: [202],
  });
  return r.data.id;
}

uiTest('qrap: the finding drawer shows factors, Mosca per CRQC band and the CBOM path; triage carries over a re-run; axe and 390 px', async (page) => {
  const org = await createOrg(unique('drawer-org-'));
  const operator = mintToken('operator', org);
  const name = unique('payments-');
  const id = await uploadCbom(operator, name, drawerCbom());
  await signIn(page, operator);

  // The list.
  const listRow = page.locator('#assessments-table tbody tr', { hasText: name });
  await listRow.locator('text=completed').waitFor({ timeout: 60_000 });
  await expectNoAxeViolations(page, 'the assessment list');

  // The assessment.
  await page.getByRole('link', { name }).click();
  await page.locator('#assessment-status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
  const table = page.locator('#findings-table');
  await table.waitFor();
  // One public-key asset of two is post-quantum (ML-KEM-768, FIPS 203): 50 %.
  assert.match(await page.locator('#quantum-safe-of').innerText(), /^1 of 2 asymmetric/);
  assert.match(await page.locator('#pqc-readiness').innerText(), /^50\.0/);
  await expectNoAxeViolations(page, 'the assessment');

  // The drawer: a modal dialog that takes the focus.
  const rsaRow = table.locator('tbody tr', { hasText: 'RSA-2048' });
  const opener = rsaRow.locator('button.open-finding');
  await opener.click();
  const drawer = page.getByRole('dialog', { name: 'RSA-2048' });
  await drawer.waitFor();
  await drawer.locator('#drawer-factors').waitFor();
  assert.ok(await page.evaluate(() => document.getElementById('finding-drawer').contains(document.activeElement)), 'focus moved into the drawer');
  // Factors as the API returns them; Mosca (2015) with the data shelf
  // life x = 10 and migration time y = 3 given at upload: H = x + y = 13.
  assert.ok(await drawer.locator('#drawer-factors tbody tr').count() >= 1);
  const mosca = await drawer.locator('#drawer-mosca').innerText();
  assert.match(mosca, /Data shelf life \(x\)\s+10\.0 y/);
  assert.match(mosca, /Migration time \(y\)\s+3\.0 y/);
  assert.match(mosca, /Horizon \(H\)\s+13\.0 y/);
  assert.match(mosca, /CRQC band\s+\w+/);
  assert.match(mosca, /Start migrating by\s+\d{4}/);
  // One row per band of the engine's CRQC timeline data, the band used marked.
  assert.equal(await drawer.locator('#drawer-bands tbody tr').count(), 3);
  assert.equal(await drawer.locator('#drawer-bands tbody tr.chosen').count(), 1);
  assert.ok((await drawer.locator('#drawer-recommendation').innerText()).trim().length > 10);
  // The CBOM path: bom-ref, the path from the application, file:line.
  assert.equal(await drawer.locator('#drawer-bomref').innerText(), 'crypto/rsa-2048');
  assert.deepEqual(await drawer.locator('#drawer-locations li').allInnerTexts(), ['src/tls/handshake.rs:42', 'src/vpn/tunnel.rs:7']);
  assert.match(await drawer.locator('#drawer-paths').innerText(), /app-payments › crypto\/rsa-2048/);
  await expectNoAxeViolations(page, 'the finding drawer');

  // Triage: accepted risk needs a reason and an expiry; the API's field
  // error shows at the field.
  await drawer.getByLabel('State').selectOption('accepted_risk');
  await drawer.getByRole('button', { name: 'Save triage' }).click();
  await drawer.locator('#triage-expires-error').waitFor();
  assert.equal(await drawer.getByLabel(/^Accepted until/).getAttribute('aria-invalid'), 'true');
  await drawer.getByLabel(/^Reason/).fill('Vendor appliance; replaced in the Q3 refresh');
  await drawer.getByLabel(/^Accepted until/).fill('2099-06-30');
  await drawer.getByRole('button', { name: 'Save triage' }).click();
  await drawer.locator('#drawer-triage-state [data-triage="accepted_risk"]').waitFor();
  await drawer.locator('#drawer-history li').first().waitFor();
  assert.match(await drawer.locator('#drawer-history li').first().innerText(), /Open → Accepted risk by ui-test-operator \(operator\): Vendor appliance/);
  // A date is kept through that day (UTC) and shown so.
  assert.match(await drawer.locator('#drawer-triage').innerText(), /Accepted through 2099-06-30 \(through that day, UTC\)/);
  assert.equal(await drawer.getByLabel(/^Accepted until/).inputValue(), '2099-06-30');
  // The drawer from its top for the docs (README, QRAP section).
  await page.evaluate(() => document.getElementById('finding-drawer').scrollTo(0, 0));
  mkdirSync(join(REPO_ROOT, 'docs', 'screenshots'), { recursive: true });
  await page.screenshot({ path: join(REPO_ROOT, 'docs', 'screenshots', 'qrap-finding-drawer.png') });

  // At 390 px the drawer fills the screen and nothing overflows.
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoOverflowAt390(page, 'the finding drawer');
  await page.setViewportSize({ width: 1280, height: 900 });

  // Esc closes it and the focus goes back to the button that opened it.
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('open-finding') && document.activeElement.closest('tr').textContent.includes('RSA-2048')), true, 'focus back on the opener');
  await rsaRow.locator('[data-triage="accepted_risk"]').waitFor();

  // Re-run (same organization, same CBOM): new finding rows, same triage.
  const before = await api('GET', `${config.qrapUrl}/api/v1/assessments/${id}/findings`, { token: operator });
  await page.getByRole('button', { name: 'Re-run the assessment' }).click();
  await page.locator('#assessment-status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
  await table.waitFor();
  const after = await api('GET', `${config.qrapUrl}/api/v1/assessments/${id}/findings`, { token: operator });
  const rsaId = (p) => p.data.items.find((f) => f.algorithm.startsWith('RSA')).id;
  assert.notEqual(rsaId(after), rsaId(before), 'the re-run wrote new finding rows');
  await table.locator('tbody tr', { hasText: 'RSA-2048' }).locator('[data-triage="accepted_risk"]').waitFor();
  await page.locator('#f-triage').selectOption('accepted_risk');
  await page.waitForFunction(() => document.querySelectorAll('#findings-table tbody tr').length === 1);

  // The list and the assessment at 390 px.
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoOverflowAt390(page, 'the assessment');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Assessments' }).click();
  await page.locator('#assessments-table').waitFor();
  await expectNoOverflowAt390(page, 'the assessment list');
});

uiTest('qrap: trend over two assessments of a system and the diff of the two; axe and 390 px', async (page) => {
  const org = await createOrg(unique('trend-org-'));
  const operator = mintToken('operator', org);
  // Scan one: RSA-2048 (Shor) and ML-DSA-65 (FIPS 204) are the public-key
  // assets, 1 of 2 post-quantum = 50.0 %; AES-256-GCM symmetric and
  // SHA-256 hash apart; 3DES (disallowed, SP 800-131A Rev. 2) needs action.
  // Scan two: the VPN moved to ML-KEM-768 (FIPS 203), an ECDSA P-256
  // partner API appeared: 2 of 3 = 66.7 %. Diff: RSA fixed, ECDSA new,
  // 3DES unchanged.
  const one = [
    { name: 'vpn', algorithm: 'RSA', parameter: '2048', usage: 'key_exchange' },
    { name: 'code signing', algorithm: 'ML-DSA-65', usage: 'signature' },
    { name: 'disk', algorithm: 'AES-256-GCM', usage: 'encryption' },
    { name: 'checksums', algorithm: 'SHA-256', usage: 'hash' },
    { name: 'legacy link', algorithm: '3DES', usage: 'encryption' },
  ];
  const two = [
    { name: 'vpn', algorithm: 'ML-KEM-768', usage: 'key_exchange' },
    ...one.slice(1),
    { name: 'partner api', algorithm: 'ECDSA', parameter: 'P-256', usage: 'signature' },
  ];
  const create = async (inventory) => {
    const r = await api('POST', `${config.qrapUrl}/api/v1/assessments`, { token: operator, body: { name: 'Payments', inventory }, expect: [202] });
    for (let i = 0; i < 600; i += 1) {
      const a = await api('GET', `${config.qrapUrl}/api/v1/assessments/${r.data.id}`, { token: operator });
      if (a.data.status === 'completed') return r.data.id;
      assert.notEqual(a.data.status, 'failed', JSON.stringify(a.data));
      await new Promise((res) => { setTimeout(res, 100); });
    }
    throw new Error('assessment did not complete');
  };
  const first = await create(one);
  const second = await create(two);
  await signIn(page, operator);

  await page.getByRole('link', { name: 'Trend' }).click();
  const trend = page.locator('#trend-table');
  await trend.waitFor();
  const rows = trend.locator('tbody tr');
  assert.equal(await rows.count(), 2);
  assert.equal(await rows.nth(0).getAttribute('data-assessment'), first);
  assert.equal(await rows.nth(1).getAttribute('data-assessment'), second);
  assert.match(await rows.nth(0).locator('td.share').innerText(), /^50\.0 %\s+1 of 2 asymmetric/);
  assert.match(await rows.nth(1).locator('td.share').innerText(), /^66\.7 %\s+2 of 3 asymmetric/);
  assert.deepEqual(await trend.locator('tbody td.findings').allInnerTexts(), ['2', '2']);
  await expectNoAxeViolations(page, 'the trend');
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoOverflowAt390(page, 'the trend');
  await page.setViewportSize({ width: 1280, height: 900 });

  await rows.nth(1).getByRole('link', { name: /^since previous: changes from/ }).click();
  const summary = page.locator('#diff-summary');
  await summary.waitFor();
  assert.equal(await summary.locator('[data-count="new"]').innerText(), '1');
  assert.equal(await summary.locator('[data-count="fixed"]').innerText(), '1');
  assert.equal(await summary.locator('[data-count="unchanged"]').innerText(), '1');
  assert.match(await page.locator('#diff-new tbody tr').innerText(), /partner api\s+ECDSA/);
  assert.match(await page.locator('#diff-fixed tbody tr').innerText(), /vpn\s+RSA/);
  assert.match(await page.locator('#diff-unchanged tbody tr').innerText(), /legacy link\s+3DES/);
  await expectNoAxeViolations(page, 'the diff');
  await page.setViewportSize({ width: 390, height: 844 });
  await expectNoOverflowAt390(page, 'the diff');
  await page.setViewportSize({ width: 1280, height: 900 });

  // From the assessment page, the comparison picks the latest earlier
  // assessment of the same system by itself.
  await page.goto(`${config.qrapUrl}/app/assessments/${second}`);
  await page.locator('#compare-link').click();
  await page.waitForFunction((b) => window.location.search.endsWith(`base=${b}`), first);
  await page.locator('#diff-summary').waitFor();
  assert.equal(await page.locator('#diff-base').inputValue(), first);
  assert.equal(await page.locator('#diff-summary [data-count="fixed"]').innerText(), '1');
});

uiTest('qrap: a module that fails to load shows an error with Retry; the dark theme follows the OS', async (page) => {
  await page.route('**/app/views/trend.js', (route) => route.abort('failed'));
  await page.goto(`${config.qrapUrl}/app/`);
  const alert = page.getByRole('alert').filter({ hasText: 'The app could not load' });
  await alert.waitFor();
  assert.equal(await page.getByText('Loading the QRAP web app…').count(), 0, 'no endless Loading');
  await page.unroute('**/app/views/trend.js');
  await alert.getByRole('button', { name: 'Retry' }).click();
  await page.getByLabel('Access token or API key').waitFor();
  // The shared theme's dark tokens apply when the OS asks for dark: the
  // page background's WCAG relative luminance is below 0.05.
  await page.emulateMedia({ colorScheme: 'dark' });
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = bg.match(/\d+/g).map(Number).map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  assert.ok(0.2126 * r + 0.7152 * g + 0.0722 * b < 0.05, `dark background expected, got ${bg}`);
  await expectNoAxeViolations(page, 'the sign-in page');
});

uiTest('qrap: lists show the total of every page, and the findings filter lives in the URL', async (page) => {
  const org = await createOrg(unique('Totals '));
  const op = mintToken('operator', org);
  // Six assets written here, one of them 3DES (so: six findings, one 3DES).
  const inventory = [
    { name: 'gw', algorithm: 'RSA', parameter: '2048', usage: 'key_exchange' },
    { name: 'vpn', algorithm: '3DES', usage: 'encryption' },
    { name: 'sign', algorithm: 'ECDSA', parameter: 'P-256', usage: 'signature' },
    { name: 'kem', algorithm: 'ML-KEM-768', usage: 'key_exchange' },
    { name: 'disk', algorithm: 'AES-256-GCM', usage: 'encryption' },
    { name: 'hash', algorithm: 'SHA-256', usage: 'hash' },
  ];
  const created = await api('POST', `${config.qrapUrl}/api/v1/assessments`, {
    token: op, body: { name: unique('totals-'), inventory }, expect: [202],
  });
  const id = created.data.id;
  for (let i = 0; i < 100; i++) {
    const a = await api('GET', `${config.qrapUrl}/api/v1/assessments/${id}`, { token: op });
    if (a.data.status === 'completed') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  await signIn(page, op);
  await page.goto(`${config.qrapUrl}/app/assessments/${id}`);
  await page.locator('p.total[data-total="6"]').waitFor();
  // A filtered link (as a shared URL would be) shows the filtered total and fills the form.
  await page.goto(`${config.qrapUrl}/app/assessments/${id}?algorithm=3DES`);
  await page.reload();
  await page.locator('p.total[data-total="1"]').waitFor();
  assert.equal(await page.locator('#f-algorithm').inputValue(), '3DES');
  // Changing a filter writes it to the URL.
  await page.locator('#f-algorithm').fill('');
  await page.getByRole('button', { name: 'Apply' }).first().click();
  await page.locator('#f-severity').selectOption('INFO');
  await page.waitForFunction(() => window.location.search.includes('severity=INFO'));
  // The assessments list of the organization says one.
  await page.goto(`${config.qrapUrl}/app/assessments`);
  await page.locator('p.total[data-total="1"]').waitFor();
});

// Issue 24 item 5: an assessment of the live traffic of the QSGW control
// plane (its runtime CBOM, pulled with the read-only key
// QSGW_VIEWER_API_KEYS), listed as such; the finding drawer of the
// classical X25519 group names the route that negotiated it. The sessions
// are ingested here through the control plane's ingest API with the
// gateways' service key (40 X25519 handshakes on a route of this test, so
// it ranks first among the routes other tests' traffic may add).
uiTest('qrap: live QSGW traffic imported as an assessment; the finding drawer names the route; axe', async (page) => {
  const login = await api('POST', `${config.qsgwUrl}/api/v1/auth/login`, {
    body: { email: config.adminEmail, password: config.adminPassword },
  });
  const qsgw = login.data.access_token;
  const up = await api('POST', `${config.qsgwUrl}/api/v1/upstreams`, {
    token: qsgw, body: { name: unique('live-up-'), targets: [{ host: '10.0.0.5', port: 8080 }] }, expect: [201],
  });
  const path = `/${unique('legacy-')}`;
  const route = await api('POST', `${config.qsgwUrl}/api/v1/routes`, {
    token: qsgw, body: { name: unique('live-route-'), host: 'shop.example.com', path, upstream_id: up.data.id }, expect: [201],
  });
  const gw = await api('POST', `${config.qsgwUrl}/api/v1/gateways/register`, {
    apiKey: config.qsgwApiKey, body: { name: unique('live-gw-'), address: '10.0.0.9:8443', software_version: '0.1.0' },
  });
  const now = new Date().toISOString();
  const records = Array.from({ length: 40 }, (_, i) => ({
    gateway_id: gw.data.id, client_ip: `198.51.100.${i + 1}`, sni: 'shop.example.com', protocol_version: 'TLSv1.3',
    cipher_suite: 'TLS13_AES_128_GCM_SHA256', kx_group: 'X25519', pqc: false, route_id: route.data.id, established_at: now,
  }));
  await api('POST', `${config.qsgwUrl}/api/v1/ingest/tls-sessions`, { apiKey: config.qsgwApiKey, body: { records } });

  const org = await createOrg(unique('live-org-'));
  const operator = mintToken('operator', org);
  const name = unique('live-traffic-');
  const created = await api('POST', `${config.qrapUrl}/api/v1/assessments`, {
    token: operator,
    body: { name, organization_id: org, source: { qsgw: { url: config.qsgwUrl, api_key: config.qsgwViewerApiKey, window: '24h' } } },
    expect: [202],
  });
  assert.equal(created.data.source_format, 'qsgw-runtime-cbom');
  assert.ok(!JSON.stringify(created.data).includes(config.qsgwViewerApiKey), 'the key is not echoed');

  await signIn(page, operator);
  const row = page.locator('#assessments-table tbody tr', { hasText: name });
  await row.locator('text=completed').waitFor({ timeout: 60_000 });
  assert.match(await row.innerText(), /QSGW live traffic/);
  await expectNoAxeViolations(page, 'the assessment list with a live-traffic assessment');

  await page.getByRole('link', { name }).click();
  await page.locator('#assessment-status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
  assert.ok((await page.locator('main').innerText()).includes(`QSGW live traffic from ${config.qsgwUrl}`));
  await expectNoAxeViolations(page, 'a live-traffic assessment');

  await page.getByRole('button', { name: /^Details of X25519 \(/ }).click();
  const drawer = page.getByRole('dialog', { name: 'X25519' });
  await drawer.locator('#drawer-locations').waitFor();
  assert.match(await drawer.innerText(), /Negotiated at the QSGW gateways on these routes/);
  const locations = await drawer.locator('#drawer-locations li').allInnerTexts();
  assert.equal(locations[0], `qsgw route ${route.data.id} (shop.example.com${path})`);
  await expectNoAxeViolations(page, 'the finding drawer of a live-traffic finding');
});
