// QSGW console: entry point. Loads config.json, then renders the shell:
// the login form without a session, else the navigation and the view of the
// current path (../common/router.js: history API under the mount prefix,
// e.g. /admin/threats).
import { html, render, useState, useEffect, useRef } from './lib.js';
import { setBase, useRoute, navigate, Link, Field, ErrorBox, Toasts } from './lib.js';
import * as api from './api.js';
import { Overview } from './views/overview.js';
import { Routes, Upstreams } from './views/config.js';
import { Threats } from './views/threats.js';
import { TlsSessions } from './views/tls.js';
import { Exposure } from './views/exposure.js';
import { AuditLog } from './views/audit.js';
import { Users } from './views/users.js';

const NAV = [
  { path: '', label: 'Overview', view: Overview },
  { path: 'routes', label: 'Routes', view: Routes },
  { path: 'upstreams', label: 'Upstreams', view: Upstreams },
  { path: 'threats', label: 'Threats', view: Threats },
  { path: 'tls', label: 'TLS sessions', view: TlsSessions },
  { path: 'exposure', label: 'Exposure', view: Exposure },
  { path: 'audit', label: 'Audit log', view: AuditLog, admin: true },
  { path: 'users', label: 'Users', view: Users, admin: true },
];

/** Can this role change configuration (routes, upstreams, threats)? */
export function canEdit(role) { return role === 'admin' || role === 'operator'; }

function Login() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login(email.trim(), password);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const fe = error?.fields || {};
  return html`<main class="login" id="main">
    <form onSubmit=${submit} aria-labelledby="login-title" novalidate>
      <h1 id="login-title">QSGW console</h1>
      <p class="muted">Sign in with your control-plane account.</p>
      <${Field} label="Email" name="email" type="email" autocomplete="username" required
        value=${email} onInput=${setEmail} error=${fe.email} />
      <${Field} label="Password" name="password" type="password" autocomplete="current-password" required
        value=${password} onInput=${setPassword} error=${fe.password} />
      ${error && !Object.keys(fe).length ? html`<${ErrorBox} error=${error} />` : null}
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Signing in…' : 'Sign in'}</button>
    </form>
  </main>`;
}

function Shell({ session }) {
  const { path } = useRoute();
  const top = path.split('/')[0];
  const items = NAV.filter((n) => !n.admin || session.role === 'admin');
  const current = items.find((n) => n.path === top);
  useEffect(() => {
    document.title = `${current ? current.label : 'Not found'} · QSGW console`;
  }, [current]);
  // After in-app navigation, move focus to the new page (screen readers
  // announce it; keyboard users continue from its top).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) { first.current = false; return; }
    document.getElementById('main')?.focus();
  }, [top]);
  const View = current?.view;
  return html`<div class="shell" data-role=${session.role}>
    <a class="skip" href="#main">Skip to content</a>
    <header class="top">
      <span class="brand">QSGW console</span>
      <nav aria-label="Main">
        <ul>${items.map((n) => html`<li><${Link} to=${n.path} aria-current=${n.path === top ? 'page' : undefined}>${n.label}</${Link}></li>`)}</ul>
      </nav>
      <span class="who">${session.email} <span class="badge">${session.role}</span>
        <button type="button" class="link" onClick=${async () => { await api.logout(); navigate('', { replace: true }); }}>Sign out</button></span>
    </header>
    <${Toasts} />
    <main id="main" tabindex="-1">
      ${View ? html`<${View} session=${session} path=${path} canEdit=${canEdit(session.role)} />`
        : html`<section><h1>Not found</h1><p>No page at this address. <${Link} to="">Back to the overview</${Link}>.</p></section>`}
    </main>
  </div>`;
}

function App() {
  const [session, setSession] = useState(api.getSession());
  useEffect(() => api.onSession(setSession), []);
  return session ? html`<${Shell} session=${session} />` : html`<${Login} />`;
}

/** Called by ../common/boot.js, which shows an error with Retry if this fails. */
export async function start() {
  const cfg = await api.loadConfig();
  setBase(cfg.prefix);
  const root = document.getElementById('app');
  root.textContent = ''; // drop the static "Loading…" placeholder
  render(html`<${App} />`, root);
}
