// Small shared pieces: states (loading, empty, error), badges, fields,
// Chart.js canvas, polling, hash links.
import { html, useEffect, useRef, useState } from './lib.js';
// The components both apps share (ids with copy, relative times, toasts).
export { CopyId, When, Toasts, toast } from './common/ui.js';

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];
export const SEVERITY_COLORS = {
  CRITICAL: '#8b0000',
  HIGH: '#c2410c',
  MEDIUM: '#e0a800',
  LOW: '#2b8a3e',
  INFO: '#5c7cfa',
};

export function Loading({ what }) {
  return html`<p class="loading" role="status">Loading ${what || ''}…</p>`;
}

export function Empty({ children }) {
  return html`<div class="empty" role="status">${children}</div>`;
}

export function ErrorBox({ error, onRetry }) {
  if (!error) return null;
  const status = error.status ? ` (HTTP ${error.status})` : '';
  return html`<div class="error" role="alert">
    <strong>Something went wrong${status}:</strong> ${error.message}
    ${error.problem && error.problem.request_id
      ? html` <span class="muted">request ${error.problem.request_id}</span>`
      : null}
    ${onRetry ? html` <button type="button" onClick=${onRetry}>Retry</button>` : null}
  </div>`;
}

export function StatusBadge({ status }) {
  return html`<span class=${`badge status-${status}`}>${status}</span>`;
}

export function SeverityBadge({ severity }) {
  return html`<span class=${`badge sev-${String(severity).toLowerCase()}`}>${severity}</span>`;
}

/** A labelled form field with its error beside it (aria-describedby). */
export function Field({ id, label, error, hint, children }) {
  return html`<div class=${`field${error ? ' invalid' : ''}`}>
    <label for=${id}>${label}</label>
    ${children}
    ${hint ? html`<small id=${`${id}-hint`} class="hint">${hint}</small>` : null}
    ${error ? html`<small id=${`${id}-error`} class="field-error" role="alert">${error}</small>` : null}
  </div>`;
}

/** aria attributes for an input inside <Field>. */
export function described(id, error, hint) {
  const ids = [];
  if (hint) ids.push(`${id}-hint`);
  if (error) ids.push(`${id}-error`);
  return { 'aria-describedby': ids.join(' ') || undefined, 'aria-invalid': error ? 'true' : undefined };
}

/** A Chart.js chart; `label` is the canvas's accessible name. */
export function ChartCanvas({ config, label, height }) {
  const canvas = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    const Chart = globalThis.Chart;
    if (!Chart || !canvas.current) return undefined;
    chart.current = new Chart(canvas.current, config);
    return () => {
      chart.current.destroy();
      chart.current = null;
    };
  }, [JSON.stringify(config.data), config.type]);
  return html`<div class="chart" style=${{ height: `${height || 220}px` }}>
    <canvas ref=${canvas} role="img" aria-label=${label}></canvas>
  </div>`;
}

/** Calls `fn` now and every `ms` while `active` is true. */
export function usePoll(fn, ms, active) {
  const saved = useRef(fn);
  saved.current = fn;
  useEffect(() => {
    if (!active) return undefined;
    const t = setInterval(() => saved.current(), ms);
    return () => clearInterval(t);
  }, [active, ms]);
}

/** Runs an async loader; returns { data, error, loading, reload }. */
export function useLoad(loader, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true, error: null }));
    loader().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

// Where an assessment's assets came from: a CBOM upload, a JSON inventory,
// or the live TLS traffic of a QSGW control plane (its runtime CBOM).
export function sourceLabel(a, short = false) {
  if (a.source_format === 'qsgw-runtime-cbom') {
    return short || !a.source_url ? 'QSGW live traffic' : `QSGW live traffic from ${a.source_url}`;
  }
  if (a.source_format === 'cyclonedx') {
    return short ? `CBOM ${a.source_spec_version || ''}` : `CycloneDX CBOM ${a.source_spec_version || ''}`;
  }
  return short ? 'inventory' : 'JSON inventory';
}

export function fmtDate(s) {
  if (!s) return '–';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toLocaleString();
}

export function fmtNum(v, digits = 1) {
  return v === null || v === undefined ? '–' : Number(v).toFixed(digits);
}

/** Reads `#/path?query` into { path, params }. */
export function parseHash(hash) {
  const raw = (hash || '').replace(/^#/, '') || '/assessments';
  const [path, q] = raw.split('?');
  return { path, params: new URLSearchParams(q || '') };
}

/**
 * Mirrors a view's filters into the query of the hash (replaceState: no
 * navigation, no hashchange), so a reload or a shared link shows the same
 * rows. Empty values are left out.
 */
export function useHashParams(values) {
  useEffect(() => {
    const { path } = parseHash(window.location.hash);
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(values)) if (v) q.set(k, v);
    const s = q.toString();
    const url = `#${path}${s ? `?${s}` : ''}`;
    if (url !== window.location.hash) history.replaceState(null, '', url);
  }, [JSON.stringify(values)]);
}

/** "12 findings match" over every page of a list (its API's `total`). */
export function Total({ n, noun, plural }) {
  if (n === undefined || n === null) return null;
  return html`<p class="total muted" role="status" data-total=${n}><strong>${n.toLocaleString()}</strong> ${n === 1 ? noun : (plural || `${noun}s`)} match${n === 1 ? 'es' : ''}</p>`;
}

export function go(path) {
  window.location.hash = `#${path}`;
}
