// QRAP's own pieces (badges, Chart.js canvas, polling, data loading,
// formats) beside what both apps share: states, fields, ids, times and
// toasts (./common/ui.js) and the routing (./common/router.js).
import { html, useEffect, useRef, useState } from './lib.js';
export { CopyId, When, Toasts, toast, Loading, Empty, ErrorBox, Field } from './common/ui.js';
export { Link, navigate, setBase, useRoute, useQuerySync } from './common/router.js';

export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];
export const SEVERITY_COLORS = {
  CRITICAL: '#8b0000',
  HIGH: '#c2410c',
  MEDIUM: '#e0a800',
  LOW: '#2b8a3e',
  INFO: '#5c7cfa',
};

export function StatusBadge({ status }) {
  return html`<span class=${`badge status-${status}`}>${status}</span>`;
}

export function SeverityBadge({ severity }) {
  return html`<span class=${`badge sev-${String(severity).toLowerCase()}`}>${severity}</span>`;
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

/** "12 findings match" over every page of a list (its API's `total`). */
export function Total({ n, noun, plural }) {
  if (n === undefined || n === null) return null;
  return html`<p class="total muted" role="status" data-total=${n}><strong>${n.toLocaleString()}</strong> ${n === 1 ? noun : (plural || `${noun}s`)} match${n === 1 ? 'es' : ''}</p>`;
}
