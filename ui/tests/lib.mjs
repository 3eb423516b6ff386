// Shared helpers of the browser tests (make test-ui): Debian's Chromium
// driven by playwright-core, the URLs and credentials of the services that
// scripts/test-ui.sh started, and a screenshot under target/ui-screenshots/
// when a test fails.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as nodeTest, before, after } from 'node:test';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = join(here, '..', '..');
export const SCREENSHOT_DIR = join(REPO_ROOT, 'target', 'ui-screenshots');

/** An environment variable the test script must set. */
export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the browser tests with make test-ui`);
  return v;
}

/** Base URLs and credentials (set by scripts/test-ui.sh). */
export const config = {
  get qsgwUrl() { return env('QSGW_URL'); },             // control plane, e.g. http://127.0.0.1:PORT
  get qrapUrl() { return env('QRAP_URL'); },             // risk API
  get adminEmail() { return env('QSGW_ADMIN_EMAIL'); },
  get adminPassword() { return env('QSGW_ADMIN_PASSWORD'); },
  get qsgwApiKey() { return env('QSGW_API_KEY'); },      // service key (ingest)
  get qsgwViewerApiKey() { return env('QSGW_VIEWER_API_KEY'); }, // read-only key (QRAP imports the runtime CBOM)
  get qrapApiKey() { return env('QRAP_API_KEY'); },      // risk API service key
  get qrapJwtSecret() { return env('QUANTUN_JWT_SECRET'); },
  get gatewayUrl() { return env('QSGW_GATEWAY_URL'); },   // gateway TLS listener, https://localhost:PORT
  get gatewaySpki() { return env('QSGW_GATEWAY_SPKI'); }, // base64 SHA-256 of its certificate's key
  get gatewayCa() { return env('QSGW_GATEWAY_CA'); },     // its self-signed certificate (PEM file)
};

/** The Chromium executable the tests drive. */
export const CHROMIUM = process.env.QUANTUN_CHROMIUM || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * Launches Debian's Chromium with a fresh user-data dir; close with close().
 * `args` are added to CHROMIUM_ARGS; `userAgent` and `extraHTTPHeaders`
 * (every request's extra headers) go to the context when given.
 */
export async function launch({ args = [], userAgent, extraHTTPHeaders } = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'quantun-ui-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS, ...args],
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
    ...(userAgent ? { userAgent } : {}),
    ...(extraHTTPHeaders ? { extraHTTPHeaders } : {}),
  });
  context.setDefaultTimeout(15_000);
  const close = async () => {
    await context.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
  };
  return { context, close };
}

/**
 * Declares a test that gets a fresh page (own browser context with a fresh
 * profile) and saves a full-page screenshot to target/ui-screenshots/<name>.png
 * when it fails. Console errors and failed page requests are collected in
 * `page.problems` and printed on failure. `opts.launch` goes to launch().
 */
export function uiTest(name, fn, opts = {}) {
  return nodeTest(name, { timeout: opts.timeout ?? 90_000 }, async (t) => {
    const { context, close } = await launch(opts.launch);
    const page = await context.newPage();
    const problems = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.problems = problems;
    try {
      await fn(page, t, context);
    } catch (err) {
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      const file = join(SCREENSHOT_DIR, `${name.replace(/[^a-zA-Z0-9_-]+/g, '_')}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => {});
      if (problems.length) console.error(`browser problems in "${name}":\n  ${problems.join('\n  ')}`);
      console.error(`screenshot: ${file}`);
      throw err;
    } finally {
      await close();
    }
  });
}

/** JSON request to an API, throwing with the body on an unexpected status. */
export async function api(method, url, { token, apiKey, body, expect = [200, 201, 202, 204], headers = {} } = {}) {
  const h = { Accept: 'application/json', ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (apiKey) h['X-API-Key'] = apiKey;
  if (body !== undefined && !h['Content-Type']) h['Content-Type'] = 'application/json';
  const r = await fetch(url, {
    method,
    headers: h,
    body: body === undefined ? undefined : (typeof body === 'string' ? body : JSON.stringify(body)),
  });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!expect.includes(r.status)) {
    throw new Error(`${method} ${url}: expected ${expect.join('/')}, got ${r.status}: ${text}`);
  }
  return { status: r.status, data, headers: r.headers };
}

/** A unique suffix for names created by one test run. */
export function unique(prefix = 't') {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export { before, after };

/** axe-core's source (npm axe-core, MPL-2.0), injected into pages under test. */
let axeSource;

/**
 * Runs axe-core (Deque's accessibility engine, the checker behind Lighthouse
 * and Chrome DevTools' audits) on the page against the WCAG 2.0/2.1/2.2 A
 * and AA rules, in the light and then the dark colour scheme (both apps
 * follow the OS setting, emulated here with prefers-color-scheme), and
 * throws listing every violation with its nodes. Injected with
 * page.evaluate (CDP Runtime.evaluate), which the apps' Content Security
 * Policy does not govern, so the pages run unchanged. The emulation is
 * reset afterwards. `label` names the view in the failure message.
 */
export async function expectNoAxeViolations(page, label) {
  if (!axeSource) {
    const { readFileSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  }
  const failures = [];
  try {
    for (const colorScheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme });
      await page.evaluate(axeSource);
      const result = await page.evaluate(() => globalThis.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
        resultTypes: ['violations'],
      }));
      for (const v of result.violations) {
        failures.push(`[${colorScheme}] ${v.id} (${v.impact}): ${v.help} — ${v.helpUrl}`,
          ...v.nodes.slice(0, 5).map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.split('\n').join(' ')}`));
      }
    }
  } finally {
    await page.emulateMedia({ colorScheme: null });
  }
  if (failures.length) {
    throw new Error(`axe-core: WCAG A/AA violations on ${label}:\n  ${failures.join('\n  ')}`);
  }
}
