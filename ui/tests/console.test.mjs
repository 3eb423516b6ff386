// The QSGW console's design system and ergonomics (issue 21 items 1 and 6)
// in Debian's Chromium: every view passes axe-core's WCAG 2.x A/AA rules in
// the light and the dark theme (the dark one follows the OS setting,
// emulated here with prefers-color-scheme) and has no horizontal page
// overflow at a 390 px phone width; the lock-out guard's refusal is shown
// in the confirm dialog, which keeps the focus; role changes ask first and
// end with a toast; ids copy to the clipboard; a module that fails to load
// shows an error with Retry instead of "Loading…" forever.
import assert from 'node:assert/strict';
import { api, config, expectNoAxeViolations, uiTest, unique } from './lib.mjs';

const admin = () => `${config.qsgwUrl}/admin/`;

async function login(page) {
  await page.goto(admin());
  await page.getByLabel('Email').fill(config.adminEmail);
  await page.getByLabel('Password').fill(config.adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

async function adminToken() {
  const r = await api('POST', `${config.qsgwUrl}/api/v1/auth/login`, {
    body: { email: config.adminEmail, password: config.adminPassword },
  });
  return r.data.access_token;
}

/** The console's views: path under /admin/ and the heading each shows. */
const VIEWS = [
  ['', 'Overview'], ['routes', 'Routes'], ['upstreams', 'Upstreams'], ['threats', 'Threats'],
  ['tls', 'TLS sessions'], ['exposure', 'Exposure'], ['audit', 'Audit log'], ['users', 'Users'],
];

/** Waits until a view has settled (no "Loading" status left). */
async function settled(page, heading) {
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  await page.waitForFunction(() => !document.querySelector('.state.loading, .loading'));
}

uiTest('console: every view passes axe-core WCAG A/AA in the light and the dark theme', async (page) => {
  // Something in every list: a route with its upstream, a user.
  const token = await adminToken();
  const ups = await api('POST', `${config.qsgwUrl}/api/v1/upstreams`, {
    token, body: { name: unique('a11y-up-'), targets: [{ host: '127.0.0.1', port: 9 }] },
  });
  await api('POST', `${config.qsgwUrl}/api/v1/routes`, {
    token, body: { name: unique('a11y-route-'), path: `/${unique('a11y')}`, upstream_id: ups.data.id },
  });
  await login(page);
  for (const [path, heading] of VIEWS) {
    await page.goto(`${admin()}${path}`);
    await settled(page, heading);
    await expectNoAxeViolations(page, heading); // light and dark
  }
  await page.emulateMedia({ colorScheme: 'dark' });
  // The dark theme really is dark (the OS setting is followed, not ignored):
  // the page background's relative luminance is below 0.05.
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = bg.match(/\d+/g).map(Number).map((c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4; // WCAG 2.2 relative luminance
  });
  assert.ok(0.2126 * r + 0.7152 * g + 0.0722 * b < 0.05, `dark background expected, got ${bg}`);
}, { timeout: 180_000 });

uiTest('console: no view overflows a 390 px wide phone screen', async (page) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await login(page);
  for (const [path, heading] of VIEWS) {
    await page.goto(`${admin()}${path}`);
    await settled(page, heading);
    const { scroll, client, wide } = await page.evaluate(() => {
      const client = document.documentElement.clientWidth;
      // The outermost elements sticking out, to say what overflows.
      const wide = [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > client + 1 && !(e.parentElement && e.parentElement.getBoundingClientRect().right > client + 1))
        .slice(0, 5).map((e) => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)} px)`);
      return { scroll: document.documentElement.scrollWidth, client, wide };
    });
    assert.ok(scroll <= client, `${heading}: page is ${scroll} px wide on a ${client} px screen: ${wide.join(', ')}`);
  }
});

uiTest('console: the lock-out guard refuses in the dialog, which keeps the focus; a role change asks first and is toasted', async (page) => {
  const token = await adminToken();
  const email = `${unique('role')}@ui-test.local`;
  await api('POST', `${config.qsgwUrl}/api/v1/users`, {
    token, body: { email, password: 'Viewer-password-123', role: 'viewer' },
  });
  await login(page);
  await page.goto(`${admin()}users`);
  await page.getByRole('table', { name: 'Users' }).waitFor();

  // The signed-in admin tries to make itself a viewer: asked first, then
  // refused by the API (409) with the reason shown in the dialog.
  await page.getByLabel(`Role of ${config.adminEmail}`).selectOption('viewer');
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('heading', { name: /Change the role of .* from admin to viewer\?/ }).waitFor();
  await dialog.getByRole('button', { name: 'Change role' }).click();
  await dialog.getByRole('alert').filter({ hasText: /cannot demote or disable your own account/ }).waitFor();
  // The focus is back on the safe choice, so Esc still closes the dialog.
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.getByLabel(`Role of ${config.adminEmail}`).inputValue(), 'admin');
  const users = (await api('GET', `${config.qsgwUrl}/api/v1/users?limit=100`, { token })).data.items;
  assert.equal(users.find((u) => u.email === config.adminEmail).role, 'admin', 'still admin in the API');

  // Another user's role: asked, done, toasted, listed.
  await page.getByLabel(`Role of ${email}`).selectOption('operator');
  await dialog.getByRole('button', { name: 'Change role' }).click();
  await page.getByRole('status').filter({ hasText: `${email} is now operator` }).waitFor();
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.getByLabel(`Role of ${email}`).inputValue(), 'operator');
});

uiTest('console: an id copies to the clipboard; times are relative with the exact time on hover', async (page, t, context) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(config.qsgwUrl).origin });
  await login(page);
  await page.goto(`${admin()}users`);
  const row = page.locator('tr', { hasText: config.adminEmail }).first();
  await row.waitFor();
  const id = await row.getAttribute('data-id');
  await row.getByRole('button', { name: `Copy id of ${config.adminEmail}` }).click();
  await page.getByRole('status').filter({ hasText: `Copied ${id}` }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), id);
  // The created time: relative text, ISO datetime, exact time as title.
  const time = row.locator('time').last();
  const iso = await time.getAttribute('datetime');
  assert.ok(!Number.isNaN(Date.parse(iso)), iso);
  assert.match(await time.innerText(), /ago|just now|yesterday|today/);
  assert.ok((await time.getAttribute('title')).length > 0);
});

uiTest('console: a module that fails to load shows an error with Retry, and Retry loads the console', async (page) => {
  await page.route('**/admin/js/views/threats.js', (route) => route.abort('failed'));
  await page.goto(admin());
  const alert = page.getByRole('alert').filter({ hasText: 'The app could not load' });
  await alert.waitFor();
  assert.equal(await page.getByText('Loading the QSGW console…').count(), 0, 'no endless Loading');
  await page.unroute('**/admin/js/views/threats.js');
  await alert.getByRole('button', { name: 'Retry' }).click();
  await page.getByLabel('Email').waitFor();
});

uiTest('console: threat and audit filters live in the URL with the total of every page', async (page) => {
  const token = await adminToken();
  const kind = unique('scan');
  const at = new Date().toISOString();
  const records = [1, 2, 3].map((i) => ({ client_ip: `198.18.7.${i}`, threat_type: kind, severity: 'LOW', action_taken: 'flagged', reasons: [], detected_at: at }));
  await api('POST', `${config.qsgwUrl}/api/v1/ingest/threats`, { apiKey: config.qsgwApiKey, body: { records } });
  await login(page);

  // Threats: filter by type, the URL carries it, the total counts all three.
  await page.goto(`${admin()}threats`);
  await page.getByLabel('Type').fill(kind);
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.locator(`p.total[data-total="3"]`).waitFor();
  assert.equal(new URL(page.url()).searchParams.get('threat_type'), kind);
  await page.reload();
  await page.locator(`p.total[data-total="3"]`).waitFor();
  assert.equal(await page.getByLabel('Type').inputValue(), kind, 'the form follows the URL');

  // Audit log: filter by action, total shown, kept over a reload.
  await page.goto(`${admin()}audit`);
  await page.getByLabel('Action').fill('user.create');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await page.waitForURL(/action=user.create/);
  const total = page.locator('p.total');
  await total.waitFor();
  // The filtered answer is on screen (until it lands, the unfiltered rows
  // and their total are still shown).
  await page.waitForFunction(() => [...document.querySelectorAll('table[aria-label="Audit entries"] tbody tr td:nth-child(3)')]
    .every((td) => td.textContent === 'user.create'));
  const rows = await page.getByRole('table', { name: 'Audit entries' }).locator('tbody tr').count();
  assert.ok(Number(await total.getAttribute('data-total')) >= rows, 'the total covers at least the rows shown');
  await page.reload();
  await page.locator('p.total').waitFor();
  assert.equal(await page.getByLabel('Action').inputValue(), 'user.create');
});
