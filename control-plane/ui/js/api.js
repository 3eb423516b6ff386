// The API client: base URL from config.json, the session token in memory
// (mirrored to sessionStorage so a reload in the same tab stays logged in;
// never in localStorage or a URL), problem+json errors as ApiError.

let base = '';
// { token, role, user_id, email, expires_at, refresh_token, refresh_expires_at }
// The access token is short (15 min); the refresh token renews it until
// logout, a password or role change (the server then refuses it).
let session = null;
let refreshing = null; // the in-flight refresh, shared by concurrent requests
const KEY = 'qsgw.session';
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.code = this.problem.code || '';
    // { field: message } from a 422's errors[]
    this.fields = {};
    for (const e of this.problem.errors || []) {
      if (e && e.field) this.fields[e.field] = e.message;
    }
  }
}

export async function loadConfig(appUrl) {
  try {
    const r = await fetch(new URL('config.json', appUrl), { cache: 'no-cache' });
    if (r.ok) {
      const c = await r.json();
      base = (c.api_base || '').replace(/\/$/, '');
      return c;
    }
  } catch (_) { /* same origin */ }
  return { api_base: '' };
}

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
  const r = await request('POST', '/api/v1/auth/login', { email, password }, { auth: false });
  setSession(sessionFrom(r, email));
  return session;
}

// Renews the access token with the refresh token (once for concurrent
// callers); false when the session has ended.
async function refresh() {
  const s = getSession();
  if (!s || !s.refresh_token) return false;
  if (!refreshing) {
    refreshing = request('POST', '/api/v1/auth/refresh', { refresh_token: s.refresh_token }, { auth: false })
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
    try { await request('POST', '/api/v1/auth/logout', undefined, { noRetry: true }); } catch (_) { /* ended anyway */ }
  }
  setSession(null);
}

// request(method, path, body?, { auth, ifMatch, query, raw, blob }) -> parsed
// JSON (or { data, etag } with raw: true, or { blob, headers } with blob:
// true, for a file such as a CSV export).
export async function request(method, path, body, opts = {}) {
  const headers = { Accept: opts.blob ? '*/*' : 'application/json' };
  let s = getSession();
  // Renew an access token about to expire before using it.
  if (opts.auth !== false && s && s.refresh_token && s.expires_at - Date.now() < 60_000) {
    await refresh();
    s = getSession();
  }
  if (opts.auth !== false && s) headers.Authorization = `Bearer ${s.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (opts.ifMatch) headers['If-Match'] = opts.ifMatch;
  let url = base + path;
  if (opts.query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, v);
    }
    const qs = q.toString();
    if (qs) url += (url.includes('?') ? '&' : '?') + qs;
  }
  let r;
  try {
    r = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, { title: 'Network error', detail: `cannot reach the API (${e.message})` });
  }
  if (opts.blob && r.ok) return { blob: await r.blob(), headers: r.headers };
  const text = await r.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (_) { data = { detail: text }; }
  }
  if (!r.ok) {
    if (r.status === 401 && opts.auth !== false) {
      // Once: the access token may have expired while the refresh token lives.
      if (!opts.noRetry && s && s.refresh_token && await refresh()) {
        return request(method, path, body, { ...opts, noRetry: true });
      }
      setSession(null);
    }
    throw new ApiError(r.status, data);
  }
  if (opts.raw) return { data, etag: r.headers.get('ETag') };
  return data;
}

export const get = (path, query) => request('GET', path, undefined, { query });

/** GET of a file (e.g. a CSV export) with the session's token: { blob, headers }. */
export const download = (path, query) => request('GET', path, undefined, { query, blob: true });

// Every page of a list endpoint ({items, next_cursor}), up to max items.
export async function getAll(path, query = {}, max = 1000) {
  const out = [];
  let cursor;
  do {
    const page = await get(path, { ...query, limit: 100, cursor });
    out.push(...(page.items || []));
    cursor = page.next_cursor;
  } while (cursor && out.length < max);
  return out;
}
