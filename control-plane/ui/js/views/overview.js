// Overview: gateways online and the config revision each serves, requests
// (from gateway heartbeats) and threats over time, PQC share over time and by
// key-exchange group, live upstream target health as the gateways report it.
// Refreshes every 15 s.
import { html, useState } from '../lib.js';
import { useAsync, AsyncView, ChartView, Badge, fmtNum, fmtPct, fmtTime, PALETTE, Link, ErrorBox, Loading, CopyId } from '../lib.js';
import * as api from '../api.js';
import { PosturePanel } from './posture.js';

const WINDOWS = {
  '1h': { hours: 1, bucket: 'minute' },
  '24h': { hours: 24, bucket: 'hour' },
  '7d': { hours: 24 * 7, bucket: 'hour' },
  '30d': { hours: 24 * 30, bucket: 'day' },
};

function labelFor(t, bucket) {
  const d = new Date(t);
  if (bucket === 'day') return d.toLocaleDateString();
  return d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

/** Merges bucket lists on their start time into aligned arrays. */
function align(tls, threats, traffic) {
  const keys = new Set([...tls.buckets.map((b) => b.start), ...threats.buckets.map((b) => b.start),
    ...traffic.buckets.map((b) => b.start)]);
  const starts = [...keys].sort();
  const t = Object.fromEntries(tls.buckets.map((b) => [b.start, b]));
  const h = Object.fromEntries(threats.buckets.map((b) => [b.start, b]));
  const r = Object.fromEntries(traffic.buckets.map((b) => [b.start, b]));
  return {
    labels: starts.map((s) => labelFor(s, tls.bucket)),
    requests: starts.map((s) => r[s]?.requests || 0),
    errors: starts.map((s) => r[s]?.errors || 0),
    handshakes: starts.map((s) => t[s]?.handshakes || 0),
    pqcShare: starts.map((s) => (t[s]?.handshakes ? Math.round((t[s].pqc / t[s].handshakes) * 1000) / 10 : null)),
    threats: starts.map((s) => h[s]?.total || 0),
    high: starts.map((s) => (h[s]?.high || 0) + (h[s]?.critical || 0)),
  };
}

function Gateways({ gateways, revision }) {
  if (!gateways.length) {
    return html`<p class="state empty">No gateway has registered yet. Gateways register at start with the control plane's service key.</p>`;
  }
  return html`<div class="table-scroll"><table class="data" aria-label="Gateways">
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

/** Target health reports for upstream `id` from the online gateways. */
function targetHealth(gateways, id) {
  return gateways
    .filter((g) => g.liveness === 'online')
    .flatMap((g) => (g.upstream_health || [])
      .filter((t) => t.upstream_id === id)
      .map((t) => ({ ...t, gateway: g.name })));
}

export function Overview({ session }) {
  const [win, setWin] = useState('24h');
  const state = useAsync(async () => {
    const w = WINDOWS[win];
    const to = new Date();
    const from = new Date(to.getTime() - w.hours * 3600 * 1000);
    const q = { from: from.toISOString(), to: to.toISOString(), bucket: w.bucket };
    const [gateways, tls, threats, upstreams, open, traffic] = await Promise.all([
      api.getAll('/api/v1/gateways'),
      api.get('/api/v1/tls-sessions/stats', q),
      api.get('/api/v1/threats/stats', q),
      api.getAll('/api/v1/upstreams'),
      api.get('/api/v1/threats', { status: 'open', limit: 500 }),
      api.get('/api/v1/gateways/traffic', q),
    ]);
    return { gateways, tls, threats, upstreams, traffic, openThreats: open.items.length, openMore: !!open.next_cursor, range: { from: q.from, to: q.to } };
  }, [win], { poll: 15000 });

  return html`<section aria-labelledby="page-title">
    <div class="toolbar">
      <h1 id="page-title">Overview</h1>
      <div class="field inline">
        <label for="window">Time window</label>
        <select id="window" value=${win} onChange=${(e) => setWin(e.target.value)}>
          ${Object.keys(WINDOWS).map((k) => html`<option value=${k}>last ${k}</option>`)}
        </select>
      </div>
    </div>
    <${AsyncView} state=${state} isEmpty=${() => false}>${(d) => {
      const online = d.gateways.filter((g) => g.liveness === 'online').length;
      const revision = d.gateways.reduce((m, g) => Math.max(m, g.config_revision_current || 0), 0);
      const series = align(d.tls, d.threats, d.traffic);
      const groups = d.tls.by_group;
      return html`
        ${state.error ? html`<${ErrorBox} error=${state.error} retry=${state.reload} />` : null}
        <div class="kpis">
          <div class="card"><div class="muted">Gateways online</div><div class="stat" data-kpi="gateways-online">${online} / ${d.gateways.length}</div></div>
          <div class="card"><div class="muted">Requests (${win})</div><div class="stat" data-kpi="requests">${fmtNum(d.traffic.requests)}</div></div>
          <div class="card"><div class="muted">TLS handshakes (${win})</div><div class="stat">${fmtNum(d.tls.handshakes)}</div></div>
          <div class="card"><div class="muted">PQC share (${win})</div><div class="stat">${d.tls.handshakes ? fmtPct(d.tls.pqc_share) : '—'}</div></div>
          <div class="card"><div class="muted">Threats (${win})</div><div class="stat">${fmtNum(d.threats.total)}</div></div>
          <div class="card"><div class="muted">Open threats</div><div class="stat"><${Link} to="threats">${d.openThreats}${d.openMore ? '+' : ''}</${Link}></div></div>
        </div>
        <${PosturePanel} from=${d.range.from} to=${d.range.to} label=${`last ${win}`} isAdmin=${session?.role === 'admin'} />
        <div class="card"><h2>Gateways and the config revision they serve</h2><${Gateways} gateways=${d.gateways} revision=${revision} /></div>
        <div class="cards">
          <div class="card"><h2>Traffic and threats over time</h2>
            ${series.labels.length ? html`<${ChartView} label=${`Requests, 5xx answers, TLS handshakes and threats per ${d.tls.bucket}, last ${win}`} config=${{
              type: 'line',
              data: { labels: series.labels, datasets: [
                { label: 'Requests', data: series.requests, borderColor: PALETTE[3], backgroundColor: PALETTE[3], yAxisID: 'y' },
                { label: '5xx answers', data: series.errors, borderColor: '#b91c1c', backgroundColor: '#b91c1c', borderDash: [2, 2], yAxisID: 'y' },
                { label: 'TLS handshakes (connections)', data: series.handshakes, borderColor: PALETTE[0], backgroundColor: PALETTE[0], yAxisID: 'y' },
                { label: 'Threats', data: series.threats, borderColor: PALETTE[1], backgroundColor: PALETTE[1], yAxisID: 'y1' },
                { label: 'High + critical threats', data: series.high, borderColor: '#7f1d1d', backgroundColor: '#7f1d1d', borderDash: [4, 3], yAxisID: 'y1' },
              ] },
              options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'requests, handshakes' } }, y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false }, title: { display: true, text: 'threats' } } } },
            }} />` : html`<p class="state empty">No traffic or threats reported in the last ${win}.</p>`}
            <p class="muted"><small>Requests come from gateway heartbeats (every few seconds); per-route detail stays on each gateway's /metrics.</small></p>
          </div>
          <div class="card"><h2>PQC share of handshakes over time</h2>
            ${d.tls.buckets.length ? html`<${ChartView} label=${`Percentage of TLS handshakes using post-quantum key exchange per ${d.tls.bucket}`} config=${{
              type: 'line',
              data: { labels: series.labels, datasets: [{ label: 'PQC share (%)', data: series.pqcShare, borderColor: PALETTE[2], backgroundColor: PALETTE[2], spanGaps: true }] },
              options: { scales: { y: { min: 0, max: 100, title: { display: true, text: '%' } } } },
            }} />` : html`<p class="state empty">No TLS handshakes reported in the last ${win}.</p>`}
          </div>
          <div class="card"><h2>Handshakes by key-exchange group</h2>
            ${groups.length ? html`<${ChartView} label="Handshakes per key-exchange group, PQC and classical" config=${{
              type: 'bar',
              data: { labels: groups.map((g) => g.kx_group || 'unknown'), datasets: [
                { label: 'PQC', data: groups.map((g) => g.pqc), backgroundColor: PALETTE[2] },
                { label: 'Classical', data: groups.map((g) => g.handshakes - g.pqc), backgroundColor: PALETTE[7] },
              ] },
              options: { indexAxis: 'y', scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } } },
            }} />
            <div class="table-scroll"><table class="data" aria-label="Handshakes by key-exchange group"><thead><tr><th scope="col">Group</th><th scope="col">Handshakes</th><th scope="col">PQC</th></tr></thead>
              <tbody>${groups.map((g) => html`<tr><td class="mono">${g.kx_group || 'unknown'}</td><td>${fmtNum(g.handshakes)}</td><td>${g.pqc ? 'yes' : 'no'}</td></tr>`)}</tbody></table></div>`
              : html`<p class="state empty">No TLS handshakes reported in the last ${win}.</p>`}
          </div>
          <div class="card"><h2>Threats by severity</h2>
            ${d.threats.by_severity.length ? html`<${ChartView} label="Threat events per severity" config=${{
              type: 'doughnut',
              data: { labels: d.threats.by_severity.map((c) => c.label), datasets: [{ data: d.threats.by_severity.map((c) => c.count),
                backgroundColor: d.threats.by_severity.map((c) => ({ CRITICAL: '#7f1d1d', HIGH: '#dc2626', MEDIUM: '#d97706', LOW: '#0891b2' }[c.label] || '#6b7280')) }] },
            }} />` : html`<p class="state empty">No threats detected in the last ${win}.</p>`}
          </div>
        </div>
        <div class="card"><h2>Upstream health</h2>
          ${d.upstreams.length ? html`<div class="table-scroll"><table class="data" aria-label="Upstream health">
            <thead><tr><th scope="col">Upstream</th><th scope="col">Targets healthy</th><th scope="col">Unhealthy targets (as reported by)</th><th scope="col">Active health check</th><th scope="col">Passive ejection</th></tr></thead>
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
                <td>${u.health_check?.enabled ? html`<${Badge} kind="ok">on</${Badge}> <span class="mono">GET ${u.health_check.path}</span> every ${u.health_check.interval_ms} ms` : html`<${Badge} kind="off">off</${Badge}>`}</td>
                <td>after ${u.ejection?.after_failures ?? '—'} failures for ${u.ejection?.duration_ms ?? '—'} ms</td>
              </tr>`;
            })}</tbody></table></div>
            <p class="muted"><small>Live state from the gateways' heartbeats: a target counts as healthy when every online gateway that reports it sees it passing its checks and not ejected.</small></p>`
            : html`<p class="state empty">No upstreams configured. <${Link} to="upstreams">Create one</${Link}>.</p>`}
        </div>`;
    }}</${AsyncView}>
  </section>`;
}

export { Loading };
