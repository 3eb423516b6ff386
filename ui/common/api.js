// The API client both apps use (served at <app>/common/api.js): the API
// base URL from the app's config.json, JSON in and out, problem+json
// answers as one ApiError. How a request authenticates is the app's own
// business, plugged in with setAuth (the console: a session with refresh
// tokens, js/api.js; QRAP: a token or API key, api.js).

let apiBase = '';
let auth = {
  headers: async () => ({}),
  unauthorized: async () => false,
};

/**
 * An HTTP error with the API's problem+json body: `status` (0 when the API
 * could not be reached), `problem` (the body), `code` (its stable error
 * code) and `fields`, the field errors of a 422 as { field: message } (a
 * field's several messages joined by "; ").
 */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.code = this.problem.code || '';
    this.fields = {};
    for (const e of this.problem.errors || []) {
      if (!e || !e.field) continue;
      this.fields[e.field] = this.fields[e.field] ? `${this.fields[e.field]}; ${e.message}` : e.message;
    }
  }
}

/**
 * Reads the app's config.json (at the app root, one level above common/):
 * sets the API base URL and returns the config ({ api_base, prefix, … };
 * without a config.json the API is the same origin and the prefix is the
 * app root's path).
 */
export async function loadConfig() {
  const root = new URL('..', import.meta.url);
  let cfg = {};
  try {
    const r = await fetch(new URL('config.json', root), { cache: 'no-cache' });
    if (r.ok) cfg = await r.json();
  } catch (_) { /* served without one: same origin */ }
  apiBase = String(cfg.api_base || '').replace(/\/$/, '');
  return { ...cfg, api_base: apiBase, prefix: cfg.prefix || root.pathname };
}

/**
 * How requests authenticate. `headers()` returns the credential's headers
 * (it may renew the credential first); `unauthorized(path, mayRetry)` is
 * called when the API answers 401 and returns true to send the request
 * once more (with a renewed credential).
 */
export function setAuth(hooks) {
  auth = { ...auth, ...hooks };
}

/** The URL of an API path with the non-empty values of `query`. */
export function apiUrl(path, query) {
  let url = apiBase + path;
  if (query) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') q.set(k, v);
    }
    const qs = q.toString();
    if (qs) url += (url.includes('?') ? '&' : '?') + qs;
  }
  return url;
}

function filenameOf(headers) {
  const m = /filename="?([^";]+)"?/.exec(headers.get('Content-Disposition') || '');
  return m ? m[1] : '';
}

/**
 * request(method, path, body?, { query, auth, ifMatch, contentType, raw,
 * blob }) -> the parsed JSON answer (null when empty). `body` is sent as
 * JSON, or as is with `contentType`; `auth: false` sends no credential;
 * `raw: true` returns { data, etag }; `blob: true` returns { blob, headers,
 * filename } (a file such as a CSV export). Throws ApiError.
 */
export async function request(method, path, body, opts = {}) {
  const withAuth = opts.auth !== false;
  const headers = { Accept: opts.blob ? '*/*' : 'application/json', ...(withAuth ? await auth.headers() : {}) };
  let payload;
  if (opts.contentType) {
    headers['Content-Type'] = opts.contentType;
    payload = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  if (opts.ifMatch) headers['If-Match'] = opts.ifMatch;
  let r;
  try {
    // Credentials travel in headers only: no cookies, ever.
    r = await fetch(apiUrl(path, opts.query), { method, headers, body: payload, credentials: 'omit' });
  } catch (e) {
    throw new ApiError(0, { title: 'Network error', detail: `The API cannot be reached (${e.message}).` });
  }
  if (opts.blob && r.ok) return { blob: await r.blob(), headers: r.headers, filename: filenameOf(r.headers) };
  const text = await r.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (_) { data = { detail: text }; }
  }
  if (!r.ok) {
    if (r.status === 401 && withAuth && await auth.unauthorized(path, !opts.noRetry)) {
      return request(method, path, body, { ...opts, noRetry: true });
    }
    throw new ApiError(r.status, data);
  }
  if (opts.raw) return { data, etag: r.headers.get('ETag') };
  return data;
}

export const get = (path, query) => request('GET', path, undefined, { query });
export const post = (path, body, query) => request('POST', path, body, { query });
/** POSTs a body as is (e.g. a CBOM file) with its content type. */
export const postRaw = (path, body, contentType, query) => request('POST', path, body, { query, contentType });
export const del = (path, opts = {}) => request('DELETE', path, undefined, opts);

/** GET of a file with the credential in a header (never in a URL): { blob, headers, filename }. */
export const download = (path, query) => request('GET', path, undefined, { query, blob: true });

/** Every page of a list endpoint ({ items, next_cursor }), up to `max` items. */
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

/** Offers `blob` as a file download named `filename`. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
