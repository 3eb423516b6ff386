// Exposure: the harvest-now-decrypt-later exposure of every route
// (GET /api/v1/exposure). Routes ranked by classical bytes × P(CRQC within
// the data's shelf life), with their classical share, volume, the
// operator's declaration (shelf life, data class; a link to edit it), the
// Mosca verdict per CRQC band as QRAP's ML engine computed it, links to the
// route's classical TLS sessions and to its PQC_ONLY dry run (in the route
// form); and the classical share over time of the top routes. The window
// lives in the URL (?window=7d), like the other views' filters.
import { html } from '../lib.js';
import { useAsync, useQuery, AsyncView, Badge, ErrorBox, Link, TimeSeriesChart, PALETTE, fmtNum, fmtPct, fmtTimeText } from '../lib.js';
import * as api from '../api.js';
import { sessionsLink } from './posture.js';

const WINDOWS = [['24h', 'Last 24 hours'], ['7d', 'Last 7 days'], ['30d', 'Last 30 days'], ['90d', 'Last 90 days']];
const DEFAULT_WINDOW = '7d';

/** 1,234,567 bytes → "1.2 MB" (decimal units, as network volumes are counted). */
export function fmtBytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = Number(n);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i += 1; }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

/** The route's declaration, or what the engine assumed instead. */
function Declaration({ r }) {
  const x = r.mosca?.shelf_life_years;
  return html`<div data-declaration>
    ${r.shelf_life_declared
      ? html`<span>${fmtNum(r.data_shelf_life_years)} years</span>`
      : html`<span class="muted">not declared${x != null ? ` (engine default ${fmtNum(x)} years)` : ''}</span>`}
    <br /><small>${r.data_class ? `data class: ${r.data_class}` : html`<span class="muted">no data class</span>`}</small>
  </div>`;
}

/** Mosca per band: exposed iff the horizon H (= shelf life x) passes z. */
function Verdict({ r }) {
  if (!r.mosca) {
    if (!r.classical_bytes && !r.classical_requests) return html`<span class="muted">no classical traffic: nothing to harvest</span>`;
    return html`<span class="muted">${r.mosca_error || 'not scored'}</span>`;
  }
  const m = r.mosca;
  return html`<ul class="plain verdicts" aria-label=${`Mosca verdict per CRQC band for ${r.name || r.route_id}`}>
    ${m.bands.map((b) => html`<li data-band=${b.band}>
      <${Badge} kind=${b.exposed ? 'high' : 'ok'}>${b.exposed ? 'exposed' : 'not exposed'}</${Badge}>${' '}
      <strong>${b.band}</strong>${b.band === m.band ? ' (default)' : ''}:${' '}
      <small>${`P(CRQC within ${fmtNum(m.horizon_years)} y) ${fmtPct(b.p_within_horizon)}; median ${b.median_year.toFixed(0)}, z ${b.years_to_crqc.toFixed(1)} y, slack ${b.slack_years.toFixed(1)} y`}</small>
    </li>`)}
  </ul>`;
}

function RouteTable({ e, canEdit }) {
  const range = { from: e.from, to: e.to };
  return html`<div class="table-scroll" role="region" aria-label="Routes by exposure (scrollable)" tabindex="0">
    <table class="data" aria-label="Routes by exposure" data-exposure-routes>
      <thead><tr>
        <th scope="col">#</th><th scope="col">Route</th><th scope="col">Classical share</th><th scope="col">Classical bytes</th>
        <th scope="col">Requests</th><th scope="col">Shelf life / data class</th><th scope="col">Mosca (H = shelf life)</th><th scope="col">Exposure score</th><th scope="col">Links</th>
      </tr></thead>
      <tbody>${e.routes.map((r, i) => html`<tr data-route=${r.route_id}>
        <td>${i + 1}</td>
        <th scope="row">${r.name ? html`<strong>${r.name}</strong>` : html`<span class="mono">${r.route_id}</span> <${Badge} kind="off">deleted</${Badge}>`}
          ${r.classical_groups.length ? html`<br /><small class="mono">${r.classical_groups.join(', ')}</small>` : null}</th>
        <td data-share>${fmtPct(r.classical_share_bytes)} <small class="muted">of bytes</small><br /><small>${fmtPct(r.classical_share_requests)} of requests</small></td>
        <td>${fmtBytes(r.classical_bytes)} <small class="muted">of ${fmtBytes(r.bytes)}</small></td>
        <td>${fmtNum(r.classical_requests)} <small class="muted">of ${fmtNum(r.requests)}</small></td>
        <td><${Declaration} r=${r} />
          ${canEdit && !r.deleted ? html`<${Link} to=${`routes?edit=${encodeURIComponent(r.route_id)}`} aria-label=${`Edit declaration of route ${r.name}`}>Edit declaration</${Link}>` : null}</td>
        <td><${Verdict} r=${r} /></td>
        <td>${r.exposure_score == null ? '—' : `${fmtBytes(Math.round(r.exposure_score))} expected`}</td>
        <td><ul class="plain">
          <li><${Link} to=${sessionsLink({ ...range, route_id: r.route_id, pqc: 'false' })} aria-label=${`Classical sessions of route ${r.name || r.route_id}`}>Classical sessions</${Link}></li>
          ${canEdit && !r.deleted ? html`<li><${Link} to=${`routes?edit=${encodeURIComponent(r.route_id)}`} aria-label=${`PQC_ONLY dry run of route ${r.name}`}>PQC_ONLY dry run</${Link}></li>` : null}
        </ul></td>
      </tr>`)}</tbody>
    </table>
  </div>`;
}

const PER = { minute: 'minute', '5m': '5 minutes', '15m': '15 minutes', hour: 'hour', '6h': '6 hours', day: 'day' };

/** The classical share by bytes per bucket, all traffic and the top routes. */
function Trend({ e }) {
  const step = e.bucket_seconds * 1000;
  const starts = e.trend[0].points.map((p) => Date.parse(p.start));
  const per = PER[e.bucket] || e.bucket;
  const series = e.trend.map((s, i) => ({
    label: s.route_id ? (s.name || `${s.route_id} (deleted)`) : 'All traffic',
    type: 'line',
    color: s.route_id ? PALETTE[i % PALETTE.length] : PALETTE[7],
    dash: s.route_id ? undefined : [6, 4],
    unit: '%',
    data: s.points.map((p) => ({
      x: Date.parse(p.start),
      y: p.classical_share_bytes == null ? null : Math.round(p.classical_share_bytes * 1000) / 10,
      bytes: p.bytes,
      classical: p.classical_bytes,
    })),
  }));
  const tooltip = (ctx) => {
    const p = ctx.raw;
    if (p.y === null || p.y === undefined) return null;
    return `${ctx.dataset.label}: ${p.y.toFixed(1)} % classical (${fmtBytes(p.classical)} of ${fmtBytes(p.bytes)})`;
  };
  return html`<${TimeSeriesChart} id="exposure-trend" from=${starts[0]} to=${starts[starts.length - 1]} step=${step} height=${240}
    yTitle="% of bytes classical" yMax=${100} tooltip=${tooltip} series=${series}
    label=${`Share of bytes under classical key exchange per ${per}, all traffic and the ${e.trend.length - 1} most exposed routes`} />
  <p class="muted"><small>One point per ${per}, aligned to UTC; a gap is a period without traffic (no share to speak of).</small></p>`;
}

/** What the ranking means, which engine answered, and the window: one sentence each. */
function footnote(e) {
  return [
    e.ranked_by === 'exposure'
      ? `Exposure score = classical bytes × P(CRQC within the shelf life) under the ${e.model?.default_band} band: the expected volume of harvested traffic readable while it still matters.`
      : 'Ranked by classical bytes (no Mosca figures).',
    e.model ? `ML engine as of ${e.model.as_of_year}${e.model.crqc_timelines_version ? `, CRQC timelines ${e.model.crqc_timelines_version}` : ''}.` : '',
    e.unrouted.requests ? `${fmtNum(e.unrouted.requests)} requests matched no route (${fmtPct(e.unrouted.classical_share_bytes)} of their bytes classical).` : '',
    `Window ${fmtTimeText(e.from)} – ${fmtTimeText(e.to)}.`,
  ].filter(Boolean).join(' ');
}

function EmptyState({ canEdit }) {
  return html`<div class="state empty" data-exposure-empty>
    <p><strong>No traffic recorded in this window.</strong></p>
    <p>The gateways count requests and bytes per route and negotiated key-exchange group and report them with every heartbeat.
      Send traffic through a gateway (a browser offers a post-quantum group such as X25519MLKEM768; an older client such as curl on OpenSSL 3.0 only classical ones),
      then reload this page.</p>
    <p>Declare how long each route's data must stay confidential (its shelf life) and its data class${canEdit ? html` on the <${Link} to="routes">Routes</${Link}> page (Edit)` : ' in the route settings (an operator can)'}:
      the exposure then uses your horizon instead of the ML engine's default.</p>
  </div>`;
}

export function Exposure({ canEdit }) {
  const [query, setQuery] = useQuery();
  const win = WINDOWS.some(([k]) => k === query.window) ? query.window : DEFAULT_WINDOW;
  const state = useAsync(() => api.get('/api/v1/exposure', { window: win }), [win]);
  return html`<section aria-labelledby="page-title">
    <div class="toolbar">
      <h1 id="page-title">Exposure</h1>
      <div class="field inline">
        <label for="exposure-window">Window</label>
        <select id="exposure-window" value=${win} onChange=${(ev) => setQuery({ window: ev.target.value === DEFAULT_WINDOW ? '' : ev.target.value })}>
          ${WINDOWS.map(([k, l]) => html`<option value=${k}>${l}</option>`)}
        </select>
      </div>
      <button type="button" onClick=${state.refresh}>Refresh</button>
    </div>
    <p class="muted intro">Harvest now, decrypt later: traffic that crossed a classical key exchange can be recorded today and read once a
      cryptographically relevant quantum computer (CRQC) exists. Recorded traffic can no longer be migrated, so its horizon is the data's
      shelf life alone (Mosca's x, with no migration term): a route is <em>exposed</em> under a CRQC band when that horizon reaches past the
      band's median CRQC year. The bands and probabilities come from QRAP's ML engine.</p>
    <${AsyncView} state=${state} isEmpty=${() => false}>${(e) => html`
      ${state.error ? html`<${ErrorBox} error=${state.error} onRetry=${state.reload} />` : null}
      ${e.mosca_error ? html`<div class="state error" role="status" data-mosca-error>
        <strong>Mosca figures unavailable.</strong> <span>${e.mosca_error}. The traffic figures below are complete; routes are ranked by classical bytes until the ML engine answers.</span>
      </div>` : null}
      <div class="kpis">
        <div class="card"><div class="muted">Classical share of bytes</div><div class="stat" data-kpi="classical-share">${fmtPct(e.totals.classical_share_bytes)}</div>
          <div class="sub">${fmtBytes(e.totals.classical_bytes)} of ${fmtBytes(e.totals.bytes)}</div></div>
        <div class="card"><div class="muted">Classical share of requests</div><div class="stat">${fmtPct(e.totals.classical_share_requests)}</div>
          <div class="sub">${fmtNum(e.totals.classical_requests)} of ${fmtNum(e.totals.requests)}</div></div>
        <div class="card"><div class="muted">Routes exposed (${e.model?.default_band || 'default'} band)</div>
          <div class="stat" data-kpi="exposed">${e.model ? e.routes.filter((r) => r.mosca?.exposed).length : '—'} / ${e.routes.length}</div></div>
        <div class="card"><div class="muted">Without a declared shelf life</div><div class="stat" data-kpi="undeclared">${e.routes.filter((r) => !r.shelf_life_declared && !r.deleted).length}</div></div>
      </div>
      ${e.routes.length === 0 && e.totals.requests === 0 ? html`<${EmptyState} canEdit=${canEdit} />` : html`
        <div class="card"><h2>Routes ranked by exposure</h2>
          ${e.routes.length ? html`<${RouteTable} e=${e} canEdit=${canEdit} />` : html`<p class="state empty">No routed traffic in this window.</p>`}
          <p class="muted"><small>${footnote(e)}</small></p>
        </div>
        <div class="card"><h2>Classical share over time</h2><${Trend} e=${e} /></div>`}
    `}</${AsyncView}>
  </section>`;
}
