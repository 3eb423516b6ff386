// The console's building blocks: the vendored view library, the routing,
// components and API helpers both apps share (ui/common/, served at
// ../common/), and the console's own data hook, formats and charts.
export { html, render, useState, useEffect, useRef, useMemo, useCallback, useContext, createContext } from '../vendor/htm/preact-standalone.module.js';
import { html, useState, useEffect, useRef, useCallback } from '../vendor/htm/preact-standalone.module.js';
import { When, Loading, ErrorBox, Empty } from '../common/ui.js';
export { CopyId, When, Toasts, toast, relativeTime, Loading, ErrorBox, Empty, Field, Confirm } from '../common/ui.js';
export { setBase, base, href, navigate, useRoute, Link, useQuery } from '../common/router.js';
export { saveBlob } from '../common/api.js';

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

/** loading / error / empty / content in one place. */
export function AsyncView({ state, empty, isEmpty, children }) {
  if (state.loading && !state.data) return html`<${Loading} />`;
  if (state.error && !state.data) return html`<${ErrorBox} error=${state.error} onRetry=${state.reload} />`;
  const d = state.data;
  const none = isEmpty ? isEmpty(d) : Array.isArray(d) ? d.length === 0 : Array.isArray(d?.items) && d.items.length === 0;
  if (none) return html`<${Empty}>${empty || 'Nothing here yet.'}</${Empty}>`;
  return children(d);
}

// ------------------------------------------------------------- format

/** A time as the lists show it: relative, the exact time on hover. */
export function fmtTime(t) {
  return html`<${When} t=${t} />`;
}

/** A time as plain text (local date and time), for sentences and labels. */
export function fmtTimeText(t) {
  if (!t) return '—';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toLocaleString();
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

// --------------------------------------------------- date inputs

/** 'YYYY-MM-DDTHH:mm' in local time (a datetime-local value) of an ISO time. */
export function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The ISO (UTC) time of a datetime-local value; '' when empty or invalid. */
export function fromLocalInput(local) {
  if (!local) return '';
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

// ------------------------------------------------------------- charts

/**
 * A Chart.js chart (window.Chart from vendor/chart.js/chart.umd.js).
 * config: a Chart.js config; label: accessible description. A new config
 * updates the chart in place (no flicker on auto-refresh); the chart is
 * rebuilt only when its type changes.
 */
export function ChartView({ config, label, height = 220 }) {
  const ref = useRef(null);
  const chart = useRef(null);
  useEffect(() => {
    const Chart = window.Chart;
    if (!Chart || !ref.current) return;
    const options = { responsive: true, maintainAspectRatio: false, animation: false, ...(config.options || {}) };
    if (chart.current && chart.current.config.type === config.type) {
      chart.current.data = config.data;
      chart.current.options = options;
      chart.current.update('none');
    } else {
      chart.current?.destroy();
      chart.current = new Chart(ref.current, { ...config, options });
    }
  }, [JSON.stringify(config)]);
  useEffect(() => () => { chart.current?.destroy(); chart.current = null; }, []);
  return html`<div class="chart" style=${{ height: `${height}px` }}>
    <canvas ref=${ref} role="img" aria-label=${label}></canvas>
  </div>`;
}

export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

const dayFmt = new Intl.DateTimeFormat([], { year: 'numeric', month: 'short', day: 'numeric' });
const minuteFmt = new Intl.DateTimeFormat([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const clockFmt = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });

/** "Jan 5, 10:05 – 10:06" (or the day alone for day buckets): a bucket's span. */
export function bucketSpan(startMs, stepMs) {
  if (stepMs >= 86_400_000) return dayFmt.format(startMs);
  const end = startMs + stepMs;
  const sameDay = new Date(startMs).toDateString() === new Date(end).toDateString();
  return `${minuteFmt.format(startMs)} – ${sameDay ? clockFmt.format(end) : minuteFmt.format(end)}`;
}

const MINUTE = 60e3;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Tick spacings a reader counts in: every 1, 5, 10, 15, 30 minutes, 1, 2, 3, 6, 12 hours, 1, 2, 7 days. */
const TICK_STEPS = [MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY];

/**
 * Tick times on round local clock values (10:00, 10:10, …; midnights for
 * days) between `from` and `to`, at most about `max` of them. Chart.js's own
 * time ticks start at the first data point and skip every nth, which gave
 * 05:20, 05:27, 05:34.
 */
export function timeTicks(from, to, max = 8) {
  const step = TICK_STEPS.find((s) => (to - from) / s <= max) || 7 * DAY;
  const d = new Date(from);
  d.setHours(0, 0, 0, 0); // local midnight: every step divides a day or is whole days
  const out = [];
  for (let t = d.getTime(); t <= to; t += step) {
    if (step >= DAY) { const x = new Date(t); x.setHours(0, 0, 0, 0); t = x.getTime(); } // across DST
    if (t >= from) out.push(t);
  }
  return { step, ticks: out };
}

const tickClock = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
const tickDay = new Intl.DateTimeFormat([], { month: 'short', day: 'numeric' });

/** A tick's label: the clock, or the date at midnight and for day steps. */
function tickLabel(t, step) {
  const d = new Date(t);
  return step >= DAY || (d.getHours() === 0 && d.getMinutes() === 0) ? tickDay.format(d) : tickClock.format(d);
}

/** "handshakes", or "handshake" for exactly one. */
function unitOf(n, unit = '') {
  return n === 1 && unit.endsWith('s') ? unit.slice(0, -1) : unit;
}

/**
 * A chart over time. The x axis is Chart.js's time scale (the vendored
 * date-fns adapter) from `from` to `to` (ms): one point per bucket of
 * `step` ms, zero-filled by the API, so empty periods show as zero instead
 * of disappearing. Tooltips name the bucket's span and each value with its
 * unit; the legend is HTML below the plot, one toggle button per series
 * (keyboard and screen-reader usable, unlike a canvas legend).
 *
 * series: [{ label, color, data: [{ x, y, … }], unit, type: 'bar'|'line',
 *   stack, dash, hollow, total }]; `tooltip(ctx)` may replace the default
 * "<label>: <value> <unit>" line. `id` goes to data-chart (tests read the
 * Chart.js instance through it).
 */
export function TimeSeriesChart({ id, label, series, from, to, step, height = 240, yTitle, yMax, stacked = false, tooltip }) {
  const [hidden, setHidden] = useState(() => new Set());
  const datasets = series.map((s) => ({
    type: s.type || 'bar',
    label: s.label,
    unit: s.unit,
    data: s.data,
    hidden: hidden.has(s.label),
    borderColor: s.color,
    backgroundColor: s.hollow ? '#ffffff' : s.color,
    borderWidth: s.type === 'line' ? 2 : 0,
    borderDash: s.dash,
    pointRadius: s.type === 'line' ? (s.hollow ? 4 : 2) : undefined,
    pointBorderWidth: s.hollow ? 2 : undefined,
    showLine: s.showLine ?? true,
    spanGaps: false,
    stack: s.stack,
    barPercentage: 1,
    categoryPercentage: 0.9,
  }));
  const { step: tickStep, ticks } = timeTicks(from, to);
  const config = {
    type: 'bar',
    data: { datasets },
    options: {
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: {
          // Empty buckets of a line (null) have nothing to say.
          filter: (item) => item.parsed.y !== null && !Number.isNaN(item.parsed.y),
          callbacks: {
            title: (items) => (items.length ? bucketSpan(items[0].parsed.x, step) : ''),
            label: tooltip || ((ctx) => `${ctx.dataset.label}: ${fmtNum(ctx.parsed.y)} ${unitOf(ctx.parsed.y, ctx.dataset.unit)}`.trim()),
          },
        },
      },
      scales: {
        x: {
          type: 'time',
          min: from,
          max: to,
          offset: true,
          stacked,
          time: { unit: tickStep < HOUR ? 'minute' : tickStep < DAY ? 'hour' : 'day' },
          ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12, callback: (v) => tickLabel(v, tickStep) },
          // Round local times (timeTicks), thinned by autoSkip on a narrow screen.
          afterBuildTicks: (scale) => { scale.ticks = ticks.map((value) => ({ value })); },
        },
        y: {
          beginAtZero: true,
          stacked,
          max: yMax,
          title: { display: !!yTitle, text: yTitle },
          ticks: { precision: 0 },
        },
      },
    },
  };
  const toggle = (name) => {
    const n = new Set(hidden);
    if (n.has(name)) n.delete(name); else n.add(name);
    setHidden(n);
  };
  return html`<figure class="ts" data-chart=${id}>
    <${ChartView} config=${config} label=${label} height=${height} />
    <ul class="legend" aria-label=${`Series of: ${label}`}>
      ${series.map((s) => html`<li><button type="button" aria-pressed=${hidden.has(s.label) ? 'false' : 'true'} onClick=${() => toggle(s.label)}>
        <span class=${`swatch${s.hollow ? ' hollow' : ''}`} style=${{ borderColor: s.color, backgroundColor: s.hollow ? 'transparent' : s.color }} aria-hidden="true"></span>
        ${s.label}${s.total !== undefined ? html` <span class="legend-total">${s.total}</span>` : null}
      </button></li>`)}
    </ul>
  </figure>`;
}
