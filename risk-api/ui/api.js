// QRAP's credential on top of the shared API client (./common/api.js:
// base URL from config.json, problem+json errors as ApiError): a token or
// an API key, kept in memory and mirrored to sessionStorage so a reload
// keeps the tab signed in (never localStorage, never a URL).
import * as client from './common/api.js';

export { ApiError, loadConfig, get, post, postRaw, del } from './common/api.js';

const KEY = 'qrap.credential';
let credential = null;
try {
  credential = sessionStorage.getItem(KEY);
} catch {
  credential = null;
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

let onUnauthorized = () => {};
/** Called when the API answers 401 (expired or revoked credential). */
export function setUnauthorizedHandler(fn) {
  onUnauthorized = fn;
}

client.setAuth({
  // A JWT has three dot-separated parts; anything else is sent as an API key.
  async headers() {
    if (!credential) return {};
    if (credential.split('.').length === 3) return { Authorization: `Bearer ${credential}` };
    return { 'X-API-Key': credential };
  },
  // Nothing renews a QRAP credential: the session has ended (except while
  // signing in, where /me's 401 means "not a valid token").
  async unauthorized(path) {
    if (path !== '/api/v1/me') onUnauthorized();
    return false;
  },
});

/** Downloads a file with the credential in a header, never in the URL; returns its name. */
export async function download(path, query, fallbackName) {
  const { blob, filename } = await client.download(path, query);
  const name = filename || fallbackName;
  client.saveBlob(blob, name);
  return name;
}
