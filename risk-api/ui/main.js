// QRAP web app: sign-in, navigation and the view of the current path
// (./common/router.js: history API under the mount prefix, e.g.
// /app/assessments/asmnt_…).
import { html, render, useEffect, useState } from './lib.js';
import * as api from './api.js';
import { ErrorBox, Field, Link, Loading, Toasts, setBase, useRoute } from './components.js';
import { Organizations } from './views/organizations.js';
import { Assessments, NewAssessment } from './views/assessments.js';
import { AssessmentPage } from './views/assessment.js';
import { AuditLog } from './views/audit.js';
import { DiffPage, TrendPage } from './views/trend.js';

function SignIn({ onSignedIn, notice }) {
  const [value, setValue] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    const v = value.trim();
    if (!v) {
      setError('Paste a token or an API key.');
      return;
    }
    setBusy(true);
    setError(null);
    api.setCredential(v);
    try {
      const me = await api.get('/api/v1/me');
      onSignedIn(me);
    } catch (err) {
      api.setCredential(null);
      setError(err.status === 401 ? 'This token or key is not valid (expired, or signed with another secret).' : err.message);
    } finally {
      setBusy(false);
    }
  }
  return html`<main id="main" class="signin">
    <h1>QRAP</h1>
    <p>Quantum risk assessment of your cryptographic inventory.</p>
    ${notice ? html`<p class="notice" role="status">${notice}</p>` : null}
    <form onSubmit=${submit} novalidate>
      <${Field} id="credential" name="credential" label="Access token or API key" error=${error}
        hint=${html`Mint a token with <code>risk-api token --role admin</code> (or
          <code>--org ORG --role operator|viewer</code>). It stays in this tab only and is never put in a URL.`}>
        ${(a) => html`<input ...${a} type="password" autocomplete="off" spellcheck="false"
          value=${value} onInput=${(e) => setValue(e.currentTarget.value)} required />`}
      <//>
      <button type="submit" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  </main>`;
}

const NAV = [
  ['/assessments', 'Assessments'],
  ['/trend', 'Trend'],
  ['/organizations', 'Organizations'],
  ['/audit', 'Audit log'],
];

function Shell({ me, path, params, onSignOut }) {
  let view;
  const m = /^\/assessments\/([^/]+)$/.exec(path);
  const diff = /^\/assessments\/([^/]+)\/diff$/.exec(path);
  if (path === '/assessments/new') view = html`<${NewAssessment} me=${me} params=${params} />`;
  else if (diff) view = html`<${DiffPage} me=${me} id=${diff[1]} params=${params} />`;
  else if (path === '/trend') view = html`<${TrendPage} me=${me} params=${params} />`;
  else if (m) view = html`<${AssessmentPage} me=${me} id=${m[1]} params=${params} />`;
  else if (path === '/assessments') view = html`<${Assessments} me=${me} params=${params} />`;
  else if (path === '/organizations') view = html`<${Organizations} me=${me} />`;
  else if (path === '/audit') view = html`<${AuditLog} me=${me} params=${params} />`;
  else view = html`<h1>Not found</h1><p>No page at ${path}. <${Link} to="/assessments">Assessments<//></p>`;
  return html`<header class="top">
      <${Link} class="brand" to="/assessments">QRAP<//>
      <nav aria-label="Main">
        <ul>
          ${NAV.map(([to, label]) => html`<li>
            <${Link} to=${to} aria-current=${path.startsWith(to) ? 'page' : undefined}>${label}<//>
          </li>`)}
        </ul>
      </nav>
      <div class="who">
        <span title=${me.subject}>${me.subject}</span>
        <span class="badge">${me.role}</span>
        ${me.organization_id ? html`<span class="muted">${me.organization_id}</span>` : null}
        <button type="button" class="link" onClick=${onSignOut}>Sign out</button>
      </div>
    </header>
    <${Toasts} />
    <main id="main" tabindex="-1">${view}</main>`;
}

function App() {
  const [me, setMe] = useState(null);
  const [checking, setChecking] = useState(api.hasCredential());
  const [notice, setNotice] = useState(null);
  const [error, setError] = useState(null);
  const route = useRoute();
  // The app's root shows the assessments.
  const path = `/${route.path || 'assessments'}`;

  useEffect(() => {
    api.setUnauthorizedHandler(() => {
      api.setCredential(null);
      setMe(null);
      setNotice('Your session ended (the token expired or was refused). Sign in again.');
    });
    if (api.hasCredential()) {
      api.get('/api/v1/me').then(
        (m) => {
          setMe(m);
          setChecking(false);
        },
        (e) => {
          if (e.status === 401) api.setCredential(null);
          else setError(e);
          setChecking(false);
        },
      );
    }
  }, []);

  useEffect(() => {
    const main = document.getElementById('main');
    if (main && me) main.focus({ preventScroll: true });
  }, [path]);

  if (checking) return html`<${Loading} what="your session" />`;
  if (error) return html`<${ErrorBox} error=${error} onRetry=${() => window.location.reload()} />`;
  if (!me) {
    return html`<${SignIn} notice=${notice} onSignedIn=${(m) => {
      setNotice(null);
      setMe(m);
    }} />`;
  }
  return html`<${Shell} me=${me} path=${path} params=${route.query} onSignOut=${() => {
    api.setCredential(null);
    setMe(null);
    setNotice('Signed out.');
  }} />`;
}

/** Called by ./common/boot.js, which shows an error with Retry if this fails. */
export async function start() {
  const cfg = await api.loadConfig();
  setBase(cfg.prefix);
  const root = document.getElementById('app');
  root.textContent = '';
  render(html`<${App} />`, root);
}
