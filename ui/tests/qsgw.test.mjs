// Browser tests of the QSGW console (control plane /admin/).
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

uiTest('qsgw: log in and see the overview; a wrong password is refused', async (page) => {
  await page.goto(admin());
  await page.getByLabel('Email').fill(config.adminEmail);
  await page.getByLabel('Password').fill('definitely-wrong');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'invalid email or password' }).waitFor();

  await login(page);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  // The token is kept for the tab only: never in localStorage or the URL.
  const local = await page.evaluate(() => JSON.stringify(localStorage));
  assert.equal(local, '{}');
  assert.ok(!page.url().includes('eyJ'), page.url());
  assert.deepEqual(page.problems.filter((p) => p.startsWith('pageerror')), []);
});

export { login, adminToken, unique };
