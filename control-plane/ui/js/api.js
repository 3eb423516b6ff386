// The console's session on top of the shared API client (../common/api.js:
// base URL from config.json, problem+json errors as ApiError): the session
// token in memory, mirrored to sessionStorage so a reload in the same tab
// stays logged in (never in localStorage or a URL), renewed with its
// refresh token.
import * as client from '../common/api.js';

export { ApiError, loadConfig, request, get, download, getAll } from '../common/api.js';

// { token, role, user_id, email, expires_at, refresh_token, refresh_expires_at }
// The access token is short (15 min); the refresh token renews it until
// logout, a password or role change (the server then refuses it).
let session = null;
let refreshing = null; // the in-flight refresh, shared by concurrent requests
const KEY = 'qsgw.session';
const listeners = new Set();

export function getSession() {
  if (session) return session;
  try {
    const raw = sessionStorage.getItem(KEY);
    if (raw) {
      const s = JSON.parse(raw);
      if ((s.refresh_expires_at || s.expires_at) > Date.now()) session = s;
      else sessionStorage.removeItem(KEY);
    }
  } catch (_) { session = null; }
  return session;
}

function setSession(s) {
  session = s;
  try {
    if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
    else sessionStorage.removeItem(KEY);
  } catch (_) { /* memory only */ }
  for (const f of listeners) f(s);
}

export function onSession(f) { listeners.add(f); return () => listeners.delete(f); }

function sessionFrom(r, email) {
  return {
    token: r.access_token,
    role: r.role,
    user_id: r.user_id,
    email,
    expires_at: Date.now() + (r.expires_in || 900) * 1000,
    refresh_token: r.refresh_token,
    refresh_expires_at: Date.now() + (r.refresh_expires_in || 0) * 1000,
  };
}

export async function login(email, password) {
  const r = await client.request('POST', '/api/v1/auth/login', { email, password }, { auth: false });
  setSession(sessionFrom(r, email));
  return session;
}

// Renews the access token with the refresh token (once for concurrent
// callers); false when the session has ended.
async function refresh() {
  const s = getSession();
  if (!s || !s.refresh_token) return false;
  if (!refreshing) {
    refreshing = client.request('POST', '/api/v1/auth/refresh', { refresh_token: s.refresh_token }, { auth: false })
      .then((r) => { setSession(sessionFrom(r, s.email)); return true; })
      .catch(() => { setSession(null); return false; })
      .finally(() => { refreshing = null; });
  }
  return refreshing;
}

// Ends every session of this user on the server, then forgets it here.
export async function logout() {
  const s = getSession();
  if (s) {
    try { await client.request('POST', '/api/v1/auth/logout', undefined, { noRetry: true }); } catch (_) { /* ended anyway */ }
  }
  setSession(null);
}

client.setAuth({
  // The session's bearer token, renewed first when about to expire.
  async headers() {
    let s = getSession();
    if (s && s.refresh_token && s.expires_at - Date.now() < 60_000) {
      await refresh();
      s = getSession();
    }
    return s ? { Authorization: `Bearer ${s.token}` } : {};
  },
  // A 401: the access token may have expired while the refresh token
  // lives; renew once and retry, else the session has ended.
  async unauthorized(_path, mayRetry) {
    const s = getSession();
    if (mayRetry && s && s.refresh_token && await refresh()) return true;
    setSession(null);
    return false;
  },
});
