// The risk API client: the base URL from config.json, the credential in
// memory (mirrored to sessionStorage so a reload keeps the tab signed in;
// never localStorage, never a URL), problem+json errors as ApiError.

const KEY = 'qrap.credential';
let apiBase = '';
let credential = null;
try {
  credential = sessionStorage.getItem(KEY);
} catch {
  credential = null;
}

/** An HTTP error with the API's problem+json body (detail, field errors). */
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }

  /** Field errors as { field: message }. */
  fields() {
    const out = {};
    for (const e of this.problem.errors || []) {
      out[e.field] = out[e.field] ? `${out[e.field]}; ${e.message}` : e.message;
    }
    return out;
  }
}

/** Reads `config.json` next to this module (API base URL, prefix). */
export async function loadConfig() {
  try {
    const r = await fetch(new URL('config.json', import.meta.url), { cache: 'no-cache' });
    if (r.ok) {
      const c = await r.json();
      apiBase = String(c.api_base || '').replace(/\/$/, '');
    }
  } catch {
    apiBase = '';
  }
}

export function hasCredential() {
  return !!credential;
}

export function setCredential(value) {
  credential = value || null;
  try {
    if (credential) sessionStorage.setItem(KEY, credential);
    else sessionStorage.removeItem(KEY);
  } catch {
    // storage disabled: memory only
  }
}

/** A JWT has three dot-separated parts; anything else is sent as an API key. */
function authHeaders() {
  if (!credential) return {};
  if (credential.split('.').length === 3) return { Authorization: `Bearer ${credential}` };
  return { 'X-API-Key': credential };
}

function url(path, query) {
  const u = new URL(apiBase + path, window.location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  }
  return u.toString();
}

let onUnauthorized = () => {};
/** Called when the API answers 401 (expired or revoked credential). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

async function send(method, path, { query, json, body, contentType } = {}) {
  const headers = { Accept: 'application/json', ...authHeaders() };
  let payload = body;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(json);
  } else if (contentType) {
    headers['Content-Type'] = contentType;
  }
  let r;
  try {
    r = await fetch(url(path, query), { method, headers, body: payload, credentials: 'omit' });
  } catch (e) {
    throw new ApiError(0, { detail: `The risk API cannot be reached (${e.message}).` });
  }
  if (!r.ok) {
    let problem = null;
    try {
      problem = await r.json();
    } catch {
      problem = { detail: `HTTP ${r.status} ${r.statusText}` };
    }
    if (r.status === 401 && path !== '/api/v1/me') onUnauthorized();
    throw new ApiError(r.status, problem);
  }
  return r;
}

export async function get(path, query) {
  const r = await send('GET', path, { query });
  return r.json();
}

export async function post(path, json, query) {
  const r = await send('POST', path, { json, query });
  return r.status === 204 ? null : r.json();
}

/** POSTs a raw body (a CBOM file) with its content type. */
export async function postRaw(path, body, contentType, query) {
  const r = await send('POST', path, { body, contentType, query });
  return r.json();
}

export async function del(path) {
  await send('DELETE', path);
}

/** Downloads with the credential in a header, never in the URL: fetch, Blob, object URL. */
export async function download(path, query, fallbackName) {
  const r = await send('GET', path, { query });
  const blob = await r.blob();
  const cd = r.headers.get('content-disposition') || '';
  const m = /filename="?([^";]+)"?/.exec(cd);
  const name = m ? m[1] : fallbackName;
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10000);
  return name;
}
