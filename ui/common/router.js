// Client-side routing both apps use (served at <app>/common/router.js):
// the History API under the app's mount prefix (/admin/ on the control
// plane, /app/ on the risk API, / when an app is served alone). Every view
// has a real URL (/admin/threats/thr_…, /app/assessments/asmnt_…?severity=HIGH)
// that a reload, Back/Forward and a shared link keep: the server answers
// any path under the prefix without a file extension with index.html
// (shared/src/ui.rs), whose references are absolute. View state (filters,
// ranges, pages) lives in the query string.
import { html, useState, useEffect, useCallback } from '../vendor/htm/preact-standalone.module.js';

let basePath = '/';
const listeners = new Set();

function changed() {
  for (const f of listeners) f();
}

/**
 * Sets the mount prefix (config.json's `prefix`). A link of the former
 * hash routing (prefix#/path?query) is moved to its path.
 */
export function setBase(prefix) {
  basePath = prefix.endsWith('/') ? prefix : `${prefix}/`;
  const h = window.location.hash;
  if (h.startsWith('#/')) history.replaceState(null, '', basePath + h.slice(2));
}

/** The mount prefix, ending with '/'. */
export function base() { return basePath; }

/** The app-relative path without outer slashes ('' at the root, 'routes', 'assessments/asmnt_…'). */
export function currentPath() {
  const p = window.location.pathname;
  return p.startsWith(basePath) ? decodeURIComponent(p.slice(basePath.length)).replace(/\/$/, '') : '';
}

/** The URL of an app-relative location ('threats?severity=HIGH' or '/threats?severity=HIGH'). */
export function href(to) {
  return basePath + String(to).replace(/^\//, '');
}

/** Goes to an app-relative location: a new history entry, or the current one replaced. */
export function navigate(to, { replace = false } = {}) {
  const url = href(to);
  if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  changed();
}

/**
 * The current location as { path, query } (path as currentPath(), query a
 * URLSearchParams); the component renders again on every navigation
 * (navigate, Link, Back/Forward, a query set by useQuery).
 */
export function useRoute() {
  const [, setTick] = useState(0);
  useEffect(() => {
    const f = () => setTick((n) => n + 1);
    listeners.add(f);
    window.addEventListener('popstate', f);
    return () => { listeners.delete(f); window.removeEventListener('popstate', f); };
  }, []);
  return { path: currentPath(), query: new URLSearchParams(window.location.search) };
}

/** An in-app link: a real href (open in a new tab works), navigate() on a plain click. */
export function Link({ to, children, onClick: extra, ...rest }) {
  const onClick = (e) => {
    if (extra) extra(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return html`<a href=${href(to)} ...${rest} onClick=${onClick}>${children}</a>`;
}

function readQuery() {
  return Object.fromEntries(new URLSearchParams(window.location.search));
}

function writeQuery(patch, replace, notify = true) {
  const p = new URLSearchParams(window.location.search);
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined || v === null || v === '') p.delete(k); else p.set(k, String(v));
  }
  const qs = p.toString();
  const url = window.location.pathname + (qs ? `?${qs}` : '');
  if (url !== window.location.pathname + window.location.search) {
    if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  }
  if (notify) changed();
}

/**
 * useQuery() -> [query, setQuery]: view state kept in the URL's query
 * string, so a reload or a shared link shows the same range, filters and
 * page. setQuery(patch, { replace }) sets (or, for '', null or undefined,
 * removes) the given keys and keeps the others; a new history entry unless
 * `replace`, so Back undoes a filter.
 */
export function useQuery() {
  const [query, setQuery] = useState(readQuery);
  useEffect(() => {
    const f = () => setQuery(readQuery());
    listeners.add(f);
    window.addEventListener('popstate', f);
    return () => { listeners.delete(f); window.removeEventListener('popstate', f); };
  }, []);
  const set = useCallback((patch, { replace = false } = {}) => writeQuery(patch, replace), []);
  return [query, set];
}

/**
 * Mirrors a view's state (an object of strings) into the query string
 * whenever it changes, replacing the history entry and rendering nothing
 * again: for views that keep their filters in component state and read
 * them from the query once, when they open.
 */
export function useQuerySync(values) {
  const key = JSON.stringify(values);
  useEffect(() => { writeQuery(values, true, false); }, [key]);
}
