// Re-exports of the vendored view library and small shared UI helpers.
export { html, render, useState, useEffect, useRef, useMemo, useCallback, useContext, createContext } from '../vendor/htm/preact-standalone.module.js';
import { html, useState, useEffect, useRef, useCallback } from '../vendor/htm/preact-standalone.module.js';
import { When } from '../common/ui.js';
// The components both apps share (ids, times, toasts): ui/common/ui.js.
export { CopyId, When, Toasts, toast, relativeTime } from '../common/ui.js';

// ------------------------------------------------------------- routing

let basePath = '/';
const routeListeners = new Set();

export function setBase(p) { basePath = p.endsWith('/') ? p : `${p}/`; }
export function base() { return basePath; }

/** The app-relative path ('' for the overview, 'routes', 'threats/thr_…'). */
export function currentPath() {
  const p = window.location.pathname;
  return p.startsWith(basePath) ? decodeURIComponent(p.slice(basePath.length)).replace(/\/$/, '') : '';
}

export function navigate(to, { replace = false } = {}) {
  const url = basePath + to.replace(/^\//, '');
  if (replace) history.replaceState(null, '', url); else history.pushState(null, '', url);
  for (const f of routeListeners) f(currentPath());
}

export function useRoute() {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const f = (p) => setPath(p);
    const pop = () => setPath(currentPath());
    routeListeners.add(f);
    window.addEventListener('popstate', pop);
    return () => { routeListeners.delete(f); window.removeEventListener('popstate', pop); };
  }, []);
  return path;
}

/** An in-app link. */
export function Link({ to, children, onClick: extra, ...rest }) {
  const onClick = (e) => {
    if (extra) extra(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return html`<a href=${basePath + to} ...${rest} onClick=${onClick}>${children}</a>`;
}

// -------------------------------------------------------------- data

/**
 * useAsync(fn, deps, { poll }) -> { data, error, loading, reload }.
 * With poll (ms) it refreshes in the background, keeping the old data.
 */
export function useAsync(fn, deps = [], opts = {}) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const load = useCallback(async (background = false) => {
    const n = ++seq.current;
    if (!background) setState((s) => ({ ...s, loading: true, error: null }));
    try {
      const data = await fn();
      if (n === seq.current) setState({ data, error: null, loading: false });
    } catch (error) {
      if (n === seq.current) setState((s) => ({ data: background ? s.data : null, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    load();
    if (!opts.poll) return undefined;
    const t = setInterval(() => { if (!document.hidden) load(true); }, opts.poll);
    return () => clearInterval(t);
  }, [load, opts.poll]);
  return { ...state, reload: () => load(), refresh: () => load(true) };
}

// ------------------------------------------------------------ states

export function Loading({ what = 'Loading' }) {
  return html`<p class="state loading" role="status" aria-live="polite">${what}…</p>`;
}

export function ErrorBox({ error, retry }) {
  if (!error) return null;
  const detail = error.message || String(error);
  const rid = error.problem?.request_id;
  return html`<div class="state error" role="alert">
    <strong>${error.status === 0 ? 'Cannot reach the API' : error.status === 403 ? 'Not allowed' : 'Something went wrong'}</strong>
    <span> ${detail}</span>${rid ? html` <small>(request ${rid})</small>` : null}
    ${retry ? html` <button type="button" class="link" onClick=${retry}>Retry</button>` : null}
  </div>`;
}

export function Empty({ children }) {
  return html`<p class="state empty">${children}</p>`;
}

/** loading / error / empty / content in one place. */
export function AsyncView({ state, empty, isEmpty, children }) {
  if (state.loading && !state.data) return html`<${Loading} />`;
  if (state.error && !state.data) return html`<${ErrorBox} error=${state.error} retry=${state.reload} />`;
  const d = state.data;
  const none = isEmpty ? isEmpty(d) : Array.isArray(d) ? d.length === 0 : Array.isArray(d?.items) && d.items.length === 0;
  if (none) return html`<${Empty}>${empty || 'Nothing here yet.'}</${Empty}>`;
  return children(d);
}

// ------------------------------------------------------------- forms

let fieldSeq = 0;
/** A labelled input with its field error (from a 422) beside it. */
export function Field({ label, name, error, hint, children, type = 'text', value, onInput, required, ...rest }) {
  const [id] = useState(() => `f${++fieldSeq}`);
  const errId = `${id}-err`;
  const hintId = `${id}-hint`;
  const described = [error ? errId : null, hint ? hintId : null].filter(Boolean).join(' ') || undefined;
  const control = children
    ? children({ id, 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': described, 'aria-required': required ? 'true' : undefined, name })
    : html`<input id=${id} name=${name} type=${type} value=${value ?? ''} required=${required}
        aria-invalid=${error ? 'true' : undefined} aria-describedby=${described}
        onInput=${(e) => onInput(type === 'checkbox' ? e.target.checked : e.target.value)} ...${rest} />`;
  return html`<div class=${`field${error ? ' has-error' : ''}`} data-field=${name}>
    <label for=${id}>${label}</label>
    ${control}
    ${hint ? html`<small id=${hintId} class="hint">${hint}</small>` : null}
    ${error ? html`<span id=${errId} class="field-error" role="alert">${error}</span>` : null}
  </div>`;
}

/** Field errors of an ApiError for names starting with `prefix`. */
export function fieldErrors(err) {
  return err?.fields || {};
}

// ------------------------------------------------------------- format

/** A time as the lists show it: relative, the exact time on hover. */
export function fmtTime(t) {
  return html`<${When} t=${t} />`;
}

export function fmtNum(n) {
  return n === null || n === undefined ? '—' : Number(n).toLocaleString();
}

export function fmtPct(x) {
  return x === null || x === undefined || Number.isNaN(x) ? '—' : `${(x * 100).toFixed(1)} %`;
}

export function Badge({ kind, children }) {
  return html`<span class=${`badge badge-${String(kind || children).toLowerCase()}`}>${children}</span>`;
}

// ------------------------------------------------------------- dialog

/** A modal confirm step (role=dialog, focus on the safe choice, Esc cancels). */
export function Confirm({ title, children, confirmLabel = 'Delete', onConfirm, onCancel, busy, error }) {
  const cancelRef = useRef(null);
  // Focus the safe choice on open, and again after an error: the confirm
  // button was disabled while busy, which drops the focus to <body> (and
  // with it the Esc handler below) unless it is put back.
  useEffect(() => { cancelRef.current?.focus(); }, [error]);
  const onKey = (e) => {
    if (e.key === 'Escape') { onCancel(); return; }
    if (e.key !== 'Tab') return;
    // Keep the focus inside the dialog while it is open.
    const f = [...e.currentTarget.querySelectorAll('button:not([disabled])')];
    if (!f.length) return;
    const i = f.indexOf(document.activeElement);
    if (e.shiftKey && i <= 0) { e.preventDefault(); f[f.length - 1].focus(); }
    else if (!e.shiftKey && i === f.length - 1) { e.preventDefault(); f[0].focus(); }
  };
  return html`<div class="modal-backdrop" onKeyDown=${onKey}>
    <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
      <h2 id="confirm-title">${title}</h2>
      <div>${children}</div>
      <${ErrorBox} error=${error} />
      <div class="actions">
        <button type="button" ref=${cancelRef} onClick=${onCancel} disabled=${busy}>Cancel</button>
        <button type="button" class="danger" onClick=${onConfirm} disabled=${busy}>${busy ? 'Working…' : confirmLabel}</button>
      </div>
    </div>
  </div>`;
}

// ------------------------------------------------------------- charts

/**
 * A Chart.js chart (window.Chart from vendor/chart.js/chart.umd.js).
 * config: a Chart.js config; label: accessible description.
 */
export function ChartView({ config, label, height = 220 }) {
  const ref = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    const Chart = window.Chart;
    if (!Chart || !ref.current) return undefined;
    chart.current = new Chart(ref.current, {
      ...config,
      options: { responsive: true, maintainAspectRatio: false, animation: false, ...(config.options || {}) },
    });
    return () => { chart.current?.destroy(); chart.current = null; };
  }, [JSON.stringify(config)]);
  return html`<div class="chart" style=${{ height: `${height}px` }}>
    <canvas ref=${ref} role="img" aria-label=${label}></canvas>
  </div>`;
}

export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];
