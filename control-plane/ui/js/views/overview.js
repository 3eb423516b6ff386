// Overview: KPI cards, gateways online and the config revision each serves,
// requests, TLS handshakes, PQC share and threats over time (one small
// chart per unit on a shared time axis, never a second y-axis), handshakes
// by key-exchange group, threats by severity, live upstream target health.
//
// The time range (a preset or a custom from/to) and the auto-refresh
// interval live in the URL (?range=6h&refresh=1m, or
// ?range=custom&from=…&to=…), so a reload or a shared link shows the same
// charts. Panels are plain components composed in Overview() in page order.
import { html, useState } from '../lib.js';
import {
  useAsync, useQuery, AsyncView, ChartView, TimeSeriesChart, Badge, fmtNum, fmtPct, fmtTime, fmtTimeText, PALETTE, Link,
  ErrorBox, Field, Loading, toLocalInput, fromLocalInput, CopyId,
} from '../lib.js';
import * as api from '../api.js';
import { PosturePanel } from './posture.js';

/** Relative ranges offered by the picker (ms back from now). */
const PRESETS = [
  { key: '15m', label: 'Last 15 minutes', ms: 15 * 60e3 },
  { key: '1h', label: 'Last hour', ms: 3600e3 },
  { key: '6h', label: 'Last 6 hours', ms: 6 * 3600e3 },
  { key: '24h', label: 'Last 24 hours', ms: 24 * 3600e3 },
  { key: '7d', label: 'Last 7 days', ms: 7 * 86400e3 },
  { key: '30d', label: 'Last 30 days', ms: 30 * 86400e3 },
];
const DEFAULT_RANGE = '24h';

/** Bucket widths of the stats API, narrowest first (name, ms). */
const BUCKETS = [['minute', 60e3], ['5m', 300e3], ['15m', 900e3], ['hour', 3600e3], ['6h', 21600e3], ['day', 86400e3]];

/**
 * The narrowest bucket giving at most 240 points: enough to see a burst,
 * few enough that a bar stays a few pixels wide on a laptop screen
 * (1 h → minutes, 6 h → 5 min, 24 h → 15 min, 7 d → hours, 30 d → 6 h).
 */
export function bucketFor(spanMs) {
  return BUCKETS.find(([, ms]) => spanMs / ms <= 240) || BUCKETS[BUCKETS.length - 1];
}

const REFRESH = { off: 0, '15s': 15e3, '1m': 60e3, '5m': 300e3 };
const DEFAULT_REFRESH = '15s';

/**
 * A share computed from fewer established handshakes than this is not
 * drawn on the PQC-share line: with 2 handshakes a bucket reads 0, 50 or
 * 100 % and one client swings it by 50 points. Such buckets are drawn as
 * hollow grey points apart from the line, their tooltips say how many
 * handshakes they hold, and the handshake volume chart sits right below.
 * At 20, one handshake moves the share by at most 5 points.
 */
export const MIN_SHARE_HANDSHAKES = 20;

/** The range in the URL, resolved: { key, from, to (Dates), custom, refresh }. */
function rangeOf(q) {
  const refresh = q.refresh in REFRESH ? q.refresh : DEFAULT_REFRESH;
  if (q.range === 'custom') {
    const from = new Date(q.from || '');
    const to = new Date(q.to || '');
    if (!Number.isNaN(from.getTime()) && !Number.isNaN(to.getTime())) {
      return { key: 'custom', from, to, custom: true, refresh: 'off' };
    }
  }
  const p = PRESETS.find((x) => x.key === q.range) || PRESETS.find((x) => x.key === DEFAULT_RANGE);
  const to = new Date();
  return { key: p.key, from: new Date(to.getTime() - p.ms), to, custom: false, refresh };
}

/** "in the last hour" or "between <from> and <to>". */
function rangeLabel(r) {
  if (!r.custom) return `in the ${PRESETS.find((p) => p.key === r.key).label.toLowerCase()}`;
  return `between ${fmtTimeText(r.from)} and ${fmtTimeText(r.to)}`;
}

/** The picker: presets and custom from/to, auto-refresh, refresh now. */
function RangePicker({ query, setQuery, range, error, onRefresh }) {
  const [draft, setDraft] = useState(null); // { from, to } in datetime-local form while editing
  const d = draft || { from: toLocalInput(range.from.toISOString()), to: toLocalInput(range.to.toISOString()) };
  const fe = error?.fields || {};
  const choose = (key) => {
    setDraft(null);
    if (key === 'custom') {
      // Start from the window on screen, fixed.
      setQuery({ range: 'custom', from: range.from.toISOString(), to: range.to.toISOString() });
    } else {
      setQuery({ range: key, from: '', to: '' });
    }
  };
  const apply = (e) => {
    e.preventDefault();
    setQuery({ range: 'custom', from: fromLocalInput(d.from), to: fromLocalInput(d.to) });
    setDraft(null);
  };
  return html`<form class="range" aria-label="Chart range and refresh" onSubmit=${apply}>
    <div class="field inline">
      <label for="range">Time range</label>
      <select id="range" value=${range.key} onChange=${(e) => choose(e.target.value)}>
        ${PRESETS.map((p) => html`<option value=${p.key}>${p.label}</option>`)}
        <option value="custom">Custom range…</option>
      </select>
    </div>
    ${range.custom ? html`
      <${Field} inline id="range-from" name="from" label="From" type="datetime-local" value=${d.from} error=${fe.from}
        onInput=${(v) => setDraft({ ...d, from: v })} />
      <${Field} inline id="range-to" name="to" label="To" type="datetime-local" value=${d.to} error=${fe.to}
        onInput=${(v) => setDraft({ ...d, to: v })} />
      <button type="submit">Apply range</button>` : null}
    <div class="field inline">
      <label for="refresh">Auto-refresh</label>
      <select id="refresh" value=${range.custom ? 'off' : range.refresh} disabled=${range.custom}
        aria-describedby=${range.custom ? 'refresh-hint' : undefined}
        onChange=${(e) => setQuery({ refresh: e.target.value === DEFAULT_REFRESH ? '' : e.target.value })}>
        <option value="off">off</option><option value="15s">every 15 s</option><option value="1m">every minute</option><option value="5m">every 5 minutes</option>
      </select>
      ${range.custom ? html`<small id="refresh-hint" class="hint">a fixed range does not change</small>` : null}
    </div>
    <button type="button" onClick=${onRefresh}>Refresh now</button>
  </form>`;
}

function KpiCards({ d, label }) {
  const online = d.gateways.filter((g) => g.liveness === 'online').length;
  return html`<div class="kpis">
    <div class="card"><div class="muted">Gateways online</div><div class="stat" data-kpi="gateways-online">${online} / ${d.gateways.length}</div></div>
    <div class="card"><div class="muted">Requests (${label})</div><div class="stat" data-kpi="requests">${fmtNum(d.traffic.requests)}</div>
      <div class="sub">${fmtNum(d.traffic.errors)} answered 5xx</div></div>
    <div class="card"><div class="muted">TLS handshakes (${label})</div><div class="stat" data-kpi="handshakes">${fmtNum(d.tls.handshakes)}</div>
      <div class="sub">${fmtNum(d.tls.failed)} refused or failed</div></div>
    <div class="card"><div class="muted">PQC share (${label})</div><div class="stat" data-kpi="pqc-share">${d.tls.handshakes ? fmtPct(d.tls.pqc_share) : '—'}</div>
      <div class="sub">${fmtNum(d.tls.pqc)} of ${fmtNum(d.tls.handshakes)} handshakes${d.tls.handshakes && d.tls.handshakes < MIN_SHARE_HANDSHAKES ? ': too few to read as a share' : ''}</div></div>
    <div class="card"><div class="muted">Threats (${label})</div><div class="stat">${fmtNum(d.threats.total)}</div></div>
    <div class="card"><div class="muted">Open threats</div><div class="stat"><${Link} to="threats">${d.openThreats}${d.openMore ? '+' : ''}</${Link}></div></div>
  </div>`;
}

function Gateways({ gateways, revision }) {
  if (!gateways.length) {
    return html`<p class="state empty">No gateway has registered yet. Gateways register at start with the control plane's service key.</p>`;
  }
  return html`<div class="table-scroll" role="region" aria-label="Gateways (scrollable)" tabindex="0"><table class="data" aria-label="Gateways">
    <thead><tr><th scope="col">Gateway</th><th scope="col">Status</th><th scope="col">Config revision served</th><th scope="col">TLS policy</th><th scope="col">Last heartbeat</th></tr></thead>
    <tbody>${gateways.map((g) => {
      const behind = (g.config_revision_current ?? revision) - g.config_revision_seen;
      return html`<tr>
        <td><strong>${g.name}</strong><br /><small class="mono">${g.address || g.hostname || ''}</small> <${CopyId} id=${g.id} label=${`gateway ${g.name}`} /></td>
        <td><${Badge} kind=${g.liveness}>${g.liveness}</${Badge}></td>
        <td>${g.config_revision_seen} ${behind > 0 ? html`<${Badge} kind="medium">${behind} behind</${Badge}>` : html`<${Badge} kind="ok">current</${Badge}>`}</td>
        <td>${g.tls_policy}</td>
        <td>${fmtTime(g.last_heartbeat_at)}</td>
      </tr>`;
    })}</tbody></table></div>`;
}

/** Chart series from the three stats answers (same window and buckets). */
export function seriesOf(d) {
  const x = (b) => Date.parse(b.start);
  const tls = d.tls.buckets;
  const share = (b) => (b.handshakes ? Math.round((b.pqc / b.handshakes) * 1000) / 10 : null);
  return {
    requestsOk: d.traffic.buckets.map((b) => ({ x: x(b), y: b.requests - b.errors })),
    requests5xx: d.traffic.buckets.map((b) => ({ x: x(b), y: b.errors })),
    pqc: tls.map((b) => ({ x: x(b), y: b.pqc })),
    classical: tls.map((b) => ({ x: x(b), y: b.handshakes - b.pqc })),
    refused: tls.map((b) => ({ x: x(b), y: b.failed })),
    share: tls.map((b) => ({ x: x(b), y: b.handshakes >= MIN_SHARE_HANDSHAKES ? share(b) : null, n: b.handshakes, pqc: b.pqc })),
    shareLow: tls.map((b) => ({ x: x(b), y: b.handshakes > 0 && b.handshakes < MIN_SHARE_HANDSHAKES ? share(b) : null, n: b.handshakes, pqc: b.pqc })),
    threats: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'].map((sev) => ({
      sev, data: d.threats.buckets.map((b) => ({ x: x(b), y: b[sev.toLowerCase()] })),
    })),
  };
}

const SEVERITY_COLOR = { CRITICAL: '#7f1d1d', HIGH: '#dc2626', MEDIUM: '#d97706', LOW: '#0891b2' };

function shareTooltip(ctx) {
  const p = ctx.raw;
  if (p.y === null || p.y === undefined) return null;
  const low = p.n < MIN_SHARE_HANDSHAKES ? `, fewer than ${MIN_SHARE_HANDSHAKES}: not representative` : '';
  return `PQC share: ${p.y.toFixed(1)} % (${fmtNum(p.pqc)} of ${fmtNum(p.n)} handshakes${low})`;
}

/** Requests, TLS handshakes with the PQC share, and threats over time. */
function TimeSeries({ d, range }) {
  const s = seriesOf(d);
  const step = d.tls.bucket_seconds * 1000;
  const starts = d.tls.buckets.map((b) => Date.parse(b.start));
  const from = starts[0];
  const to = starts[starts.length - 1];
  const per = { minute: 'minute', '5m': '5 minutes', '15m': '15 minutes', hour: 'hour', '6h': '6 hours', day: 'day' }[d.tls.bucket] || d.tls.bucket;
  const when = rangeLabel(range);
  const common = { from, to, step };
  const sum = (pts) => pts.reduce((a, p) => a + (p.y || 0), 0);
  const lowBuckets = s.shareLow.filter((p) => p.y !== null).length;
  return html`<div class="charts">
    <div class="card"><h2>Requests</h2>
      ${d.traffic.requests ? html`<${TimeSeriesChart} id="requests" ...${common} stacked=${true} yTitle=${`requests per ${per}`}
        label=${`Requests per ${per}, ${when}: ${fmtNum(d.traffic.requests)} requests, ${fmtNum(d.traffic.errors)} answered 5xx`}
        series=${[
          { label: 'Answered (not 5xx)', color: PALETTE[0], data: s.requestsOk, unit: 'requests', stack: 'r', total: fmtNum(sum(s.requestsOk)) },
          { label: '5xx answers', color: '#b91c1c', data: s.requests5xx, unit: 'requests', stack: 'r', total: fmtNum(sum(s.requests5xx)) },
        ]} />` : html`<p class="state empty">No requests reported ${when}.</p>`}
      <p class="muted"><small>From gateway heartbeats (every few seconds); per-route detail stays on each gateway's /metrics.</small></p>
    </div>
    <div class="card tall"><h2>Post-quantum key exchange</h2>
      ${d.tls.handshakes || d.tls.failed ? html`
        <${TimeSeriesChart} id="pqc-share" ...${common} height=${200} yTitle="% of handshakes" yMax=${100} tooltip=${shareTooltip}
          label=${`Percentage of established TLS handshakes with a post-quantum key exchange per ${per}, ${when}; buckets with fewer than ${MIN_SHARE_HANDSHAKES} handshakes drawn apart`}
          series=${[
            { label: 'PQC share', type: 'line', color: PALETTE[2], data: s.share, unit: '%' },
            { label: `PQC share of fewer than ${MIN_SHARE_HANDSHAKES} handshakes`, type: 'line', showLine: false, hollow: true, color: '#6b7280', data: s.shareLow, unit: '%' },
          ]} />
        <${TimeSeriesChart} id="tls-handshakes" ...${common} height=${180} stacked=${true} yTitle=${`handshakes per ${per}`}
          label=${`TLS handshakes per ${per}, ${when}: ${fmtNum(d.tls.pqc)} post-quantum, ${fmtNum(d.tls.handshakes - d.tls.pqc)} classical, ${fmtNum(d.tls.failed)} refused`}
          series=${[
            { label: 'Post-quantum', color: PALETTE[2], data: s.pqc, unit: 'handshakes', stack: 'h', total: fmtNum(d.tls.pqc) },
            { label: 'Classical', color: PALETTE[7], data: s.classical, unit: 'handshakes', stack: 'h', total: fmtNum(d.tls.handshakes - d.tls.pqc) },
            { label: 'Refused', color: '#b91c1c', data: s.refused, unit: 'handshakes', stack: 'h', total: fmtNum(d.tls.failed) },
          ]} />
        <p class="muted"><small>The share is of established handshakes; refused ones are counted apart.
          ${lowBuckets ? ` ${lowBuckets} bucket${lowBuckets > 1 ? 's' : ''} with fewer than ${MIN_SHARE_HANDSHAKES} handshakes ${lowBuckets > 1 ? 'are' : 'is'} drawn as hollow grey points off the line: too few to read as a share.` : ''}</small></p>`
        : html`<p class="state empty">No TLS handshakes reported ${when}.</p>`}
    </div>
    <div class="card"><h2>Threats</h2>
      ${d.threats.total ? html`<${TimeSeriesChart} id="threats" ...${common} stacked=${true} yTitle=${`events per ${per}`}
        label=${`Threat events per ${per} by severity, ${when}: ${fmtNum(d.threats.total)} in all`}
        series=${s.threats.map((t) => ({ label: t.sev, color: SEVERITY_COLOR[t.sev], data: t.data, unit: 'events', stack: 't', total: fmtNum(sum(t.data)) }))} />`
        : html`<p class="state empty">No threats detected ${when}.</p>`}
    </div>
  </div>
  <p class="muted"><small>Times in your time zone (${Intl.DateTimeFormat().resolvedOptions().timeZone}); one bar or point per ${per}, empty ${per === 'minute' ? 'minutes' : 'periods'} shown as zero.</small></p>`;
}

function Breakdown({ d, when }) {
  const groups = d.tls.by_group;
  return html`<div class="cards">
    <div class="card"><h2>Handshakes by key-exchange group</h2>
      ${groups.length ? html`<${ChartView} label="Handshakes per key-exchange group, PQC and classical" config=${{
        type: 'bar',
        data: { labels: groups.map((g) => g.kx_group || 'unknown'), datasets: [
          { label: 'PQC', data: groups.map((g) => g.pqc), backgroundColor: PALETTE[2] },
          { label: 'Classical', data: groups.map((g) => g.handshakes - g.pqc), backgroundColor: PALETTE[7] },
        ] },
        options: { indexAxis: 'y', plugins: { legend: { position: 'bottom' } }, scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } } },
      }} />
      <div class="table-scroll" role="region" aria-label="Handshakes by key-exchange group (scrollable)" tabindex="0"><table class="data" aria-label="Handshakes by key-exchange group"><thead><tr><th scope="col">Group</th><th scope="col">Handshakes</th><th scope="col">PQC</th></tr></thead>
        <tbody>${groups.map((g) => html`<tr><td class="mono">${g.kx_group || 'unknown'}</td><td>${fmtNum(g.handshakes)}</td><td>${g.pqc ? 'yes' : 'no'}</td></tr>`)}</tbody></table></div>`
        : html`<p class="state empty">No TLS handshakes reported ${when}.</p>`}
    </div>
    <div class="card"><h2>Threats by severity</h2>
      ${d.threats.by_severity.length ? html`<${ChartView} label="Threat events per severity" config=${{
        type: 'doughnut',
        data: { labels: d.threats.by_severity.map((c) => c.label), datasets: [{ data: d.threats.by_severity.map((c) => c.count),
          backgroundColor: d.threats.by_severity.map((c) => SEVERITY_COLOR[c.label] || '#6b7280') }] },
        options: { plugins: { legend: { position: 'bottom' } } },
      }} />` : html`<p class="state empty">No threats detected ${when}.</p>`}
    </div>
  </div>`;
}

/** Target health reports for upstream `id` from the online gateways. */
function targetHealth(gateways, id) {
  return gateways
    .filter((g) => g.liveness === 'online')
    .flatMap((g) => (g.upstream_health || [])
      .filter((t) => t.upstream_id === id)
      .map((t) => ({ ...t, gateway: g.name })));
}

/**
 * The upstream leg's TLS as the gateways last saw it: per target the
 * negotiated group (classical ones flagged), the certificate's algorithm
 * and expiry (within 14 days flagged, as the gateway's posture events).
 */
function upstreamTls(u, seen) {
  if (!u.tls || u.tls.enabled === false) return html`<span class="muted">plain HTTP</span>`;
  const legs = seen.filter((t) => t.tls);
  if (!legs.length) return html`<span class="muted">TLS ${u.tls.policy || 'PQC_PREFERRED'}, no handshake reported yet</span>`;
  const soon = Date.now() + 14 * 86400e3;
  return legs.map((t) => {
    const exp = t.tls.cert_not_after ? new Date(t.tls.cert_not_after) : null;
    return html`<div class="mono">${t.target}: ${t.tls.pqc ? html`<${Badge} kind="ok">${t.tls.kx_group}</${Badge}>` : html`<${Badge} kind="medium">${t.tls.kx_group} (classical)</${Badge}>`}
      <small>${t.tls.cert_algorithm}${exp ? html`, expires ${exp.toISOString().slice(0, 10)}${exp.getTime() < soon ? html` <${Badge} kind="high">soon</${Badge}>` : null}` : null}</small></div>`;
  });
}

function UpstreamHealth({ d }) {
  return html`<div class="card"><h2>Upstream health</h2>
    ${d.upstreams.length ? html`<div class="table-scroll" role="region" aria-label="Upstream health (scrollable)" tabindex="0"><table class="data" aria-label="Upstream health">
      <thead><tr><th scope="col">Upstream</th><th scope="col">Targets healthy</th><th scope="col">Unhealthy targets (as reported by)</th><th scope="col">Upstream TLS</th><th scope="col">Active health check</th><th scope="col">Passive ejection</th></tr></thead>
      <tbody>${d.upstreams.map((u) => {
        const seen = targetHealth(d.gateways, u.id);
        const total = (u.targets || []).length;
        const bad = seen.filter((t) => !t.healthy);
        const healthy = (u.targets || []).filter((t) => {
          const key = `${t.host}:${t.port}`;
          const reports = seen.filter((s) => s.target === key);
          return reports.length && reports.every((s) => s.healthy);
        }).length;
        return html`<tr>
          <td><strong>${u.name}</strong></td>
          <td data-health=${u.id}>${seen.length ? html`<${Badge} kind=${healthy === total ? 'ok' : healthy ? 'medium' : 'high'}>${healthy} / ${total}</${Badge}>` : html`<span class="muted">no report yet</span>`}</td>
          <td>${bad.length ? bad.map((t) => html`<div class="mono">${t.target} <small class="muted">(${t.gateway})</small></div>`) : '—'}</td>
          <td class="upstream-tls" data-upstream-tls=${u.id}>${upstreamTls(u, seen)}</td>
          <td>${u.health_check?.enabled ? html`<${Badge} kind="ok">on</${Badge}> <span class="mono">GET ${u.health_check.path}</span> every ${u.health_check.interval_ms} ms` : html`<${Badge} kind="off">off</${Badge}>`}</td>
          <td>after ${u.ejection?.after_failures ?? '—'} failures for ${u.ejection?.duration_ms ?? '—'} ms</td>
        </tr>`;
      })}</tbody></table></div>
      <p class="muted"><small>Live state from the gateways' heartbeats: a target counts as healthy when every online gateway that reports it sees it passing its checks and not ejected.</small></p>`
      : html`<p class="state empty">No upstreams configured. <${Link} to="upstreams">Create one</${Link}>.</p>`}
  </div>`;
}

export function Overview({ session }) {
  const [query, setQuery] = useQuery();
  const rangeKey = JSON.stringify([query.range, query.from, query.to]);
  const refresh = rangeOf(query).refresh;
  const state = useAsync(async () => {
    // Resolved at each load: a relative range moves with the clock.
    const r = rangeOf(query);
    const [bucket] = bucketFor(r.to - r.from);
    const q = { from: r.from.toISOString(), to: r.to.toISOString(), bucket };
    const [gateways, tls, threats, upstreams, open, traffic, posture] = await Promise.all([
      api.getAll('/api/v1/gateways'),
      api.get('/api/v1/tls-sessions/stats', q),
      api.get('/api/v1/threats/stats', q),
      api.getAll('/api/v1/upstreams'),
      api.get('/api/v1/threats', { status: 'open', limit: 500 }),
      api.get('/api/v1/gateways/traffic', q),
      api.get('/api/v1/tls-sessions/posture', { from: q.from, to: q.to }),
    ]);
    return { range: r, gateways, tls, threats, upstreams, traffic, posture, openThreats: open.items.length, openMore: !!open.next_cursor };
  }, [rangeKey], { poll: REFRESH[refresh] || 0 });
  const shown = state.data?.range || rangeOf(query);

  return html`<section aria-labelledby="page-title">
    <div class="toolbar">
      <h1 id="page-title">Overview</h1>
      <${RangePicker} query=${query} setQuery=${setQuery} range=${rangeOf(query)} error=${state.error} onRefresh=${state.refresh} />
    </div>
    <${AsyncView} state=${state} isEmpty=${() => false}>${(d) => {
      const revision = d.gateways.reduce((m, g) => Math.max(m, g.config_revision_current || 0), 0);
      const label = shown.custom ? 'range' : shown.key;
      return html`
        ${state.error ? html`<${ErrorBox} error=${state.error} onRetry=${state.reload} />` : null}
        <${KpiCards} d=${d} label=${label} />
        <${PosturePanel} data=${d.posture} from=${d.range.from.toISOString()} to=${d.range.to.toISOString()} label=${shown.custom ? 'custom range' : `last ${shown.key}`} isAdmin=${session?.role === 'admin'} onChange=${state.reload} />
        <div class="card"><h2>Gateways and the config revision they serve</h2><${Gateways} gateways=${d.gateways} revision=${revision} /></div>
        <${TimeSeries} d=${d} range=${d.range} />
        <${Breakdown} d=${d} when=${rangeLabel(d.range)} />
        <${UpstreamHealth} d=${d} />`;
    }}</${AsyncView}>
  </section>`;
}

export { Loading };
