// One assessment: progress while it runs; then the overall score, the
// severity breakdown, the quantum-safe share of the public-key assets
// (hash and symmetric assets counted apart), the NIST deadline timeline,
// the findings (sortable, filterable, with their triage state and a detail
// drawer) and the reports.
import { html, useEffect, useState } from '../lib.js';
import * as api from '../api.js';
import {
  ChartCanvas, Empty, ErrorBox, Loading, SEVERITIES, SEVERITY_COLORS, SeverityBadge, StatusBadge,
  fmtDate, fmtNum, usePoll, CopyId, toast, useQuerySync, Total, sourceLabel, Link,
} from '../components.js';
import { FindingDrawer, TRIAGE_LABELS, TRIAGE_STATES, TriageBadge } from './finding.js';

const THREATS = ['shor', 'grover', 'none', 'classically_weak', 'unknown'];
const THREAT_COLORS = {
  shor: '#8b0000', grover: '#e0a800', classically_weak: '#d9480f', none: '#2b8a3e', unknown: '#868e96',
};
const POLICIES = ['acceptable', 'deprecated', 'disallowed', 'unknown'];
const STEPS = ['pending', 'running', 'completed'];

function Progress({ a }) {
  const [now, setNow] = useState(Date.now());
  usePoll(() => setNow(Date.now()), 1000, true);
  const since = new Date(a.started_at || a.created_at).getTime();
  const secs = Math.max(0, Math.round((now - since) / 1000));
  const step = STEPS.indexOf(a.status);
  return html`<div class="card progress" role="status" aria-live="polite">
    <h2>${a.status === 'pending' ? 'Queued for scoring' : 'Scoring'} ${a.asset_count} assets…</h2>
    <ol class="steps">
      ${['Received', 'Scoring with the ML engine', 'Findings stored'].map((label, i) => html`<li
        class=${i < step ? 'done' : i === step ? 'current' : ''}>${label}</li>`)}
    </ol>
    ${a.status === 'running' && a.asset_count > 0
      ? html`<progress aria-label="Assessment progress" max=${a.asset_count} value=${a.assets_scored || 0}></progress>
        <p id="assessment-progress">${a.assets_scored || 0} of ${a.asset_count} assets scored</p>`
      : html`<progress aria-label="Assessment progress"></progress>`}
    <p class="muted">${secs} s ${a.status === 'pending' ? 'waiting' : 'running'}; this page updates by itself.</p>
  </div>`;
}

// Where a CBOM finding came from: the bom-ref paths that reach it (the
// first shown, the rest behind a disclosure) and how many uses in all.
function Paths({ f }) {
  const paths = f.paths || [];
  if (!paths.length || (paths.length === 1 && paths[0].length === 1 && f.occurrences <= 1)) return null;
  const show = (p) => html`<li><code>${p.join(' › ')}</code></li>`;
  return html`<details class="paths" data-occurrences=${f.occurrences}>
    <summary><small>${f.occurrences === 1 ? 'used in 1 place' : `used in ${f.occurrences} places`}</small></summary>
    <ol>${paths.map(show)}</ol>
    ${f.occurrences > paths.length ? html`<small class="muted">and ${f.occurrences - paths.length} more</small>` : null}
  </details>`;
}

function ScoreCards({ s }) {
  const score = s.overall_risk_score;
  const ready = s.pqc_readiness_pct;
  const level = score === null || score === undefined ? 'none' : score >= 75 ? 'critical' : score >= 50 ? 'high' : score >= 25 ? 'medium' : 'low';
  return html`<div class="cards">
    <div class="card stat">
      <h2>Overall risk score</h2>
      <p class=${`big score-${level}`} id="overall-score">${fmtNum(score)}<span class="muted"> / 100</span></p>
      <meter min="0" max="100" low="25" high="75" optimum="0" value=${score || 0} aria-label="Overall risk score"></meter>
    </div>
    <div class="card stat" id="quantum-safe">
      <h2>Quantum-safe share</h2>
      <p class="big" id="pqc-readiness">${ready === null || ready === undefined ? '–' : fmtNum(ready)}<span class="muted"> %</span></p>
      <meter min="0" max="100" low="50" high="90" optimum="100" value=${ready || 0} aria-label="Share of asymmetric (public-key) assets already post-quantum"></meter>
      <p class="muted" id="quantum-safe-of">${s.pqc_relevant_assets
        ? `${s.quantum_safe_assets ?? '–'} of ${s.pqc_relevant_assets} asymmetric (public-key) asset${s.pqc_relevant_assets === 1 ? '' : 's'} already post-quantum.`
        : 'No asymmetric (public-key) asset: nothing to migrate to post-quantum cryptography.'}</p>
      <p class="muted" id="hash-symmetric">${'Not in the share (Grover only halves their strength): '}<strong data-count="hash">${s.hash_assets ?? '–'}</strong>${' hash and '}<strong data-count="symmetric">${s.symmetric_assets ?? '–'}</strong>${` symmetric asset${s.symmetric_assets === 1 ? '' : 's'}.`}</p>
    </div>
    <div class="card stat">
      <h2>Earliest NIST deadline</h2>
      <p class="big">${s.earliest_deadline_year || '–'}</p>
      <p class="muted">${s.disagreements ? `${s.disagreements} CBOM claims disagree with the knowledge base.` : 'NIST IR 8547 transition year hit first.'}</p>
    </div>
  </div>`;
}

const LANES = {
  quantum: ['Quantum exposure', 'harvest now / decrypt later, forgeries after a CRQC'],
  hygiene: ['Classical hygiene', 'weak or disallowed today, whatever quantum computers do'],
  identify: ['Identify', 'names the knowledge base does not know: resolve them first'],
  safe: ['Safe', 'nothing to do'],
};

/** The defaults the assessment was scored with, in words. */
function defaultsText(d) {
  const parts = [];
  if (!d) return '';
  if (d.data_shelf_life_years !== undefined) parts.push(`data shelf life ${d.data_shelf_life_years} y`);
  if (d.migration_time_years !== undefined) parts.push(`migration ${d.migration_time_years} y`);
  if (d.validity_years !== undefined) parts.push(`signature validity ${d.validity_years} y`);
  if (d.exposure) parts.push(`${d.exposure} exposure`);
  if (d.criticality) parts.push(`${d.criticality} criticality`);
  if (d.crqc_timeline) parts.push(`${d.crqc_timeline} CRQC timeline`);
  if (d.cnsa2_category) parts.push(`CNSA 2.0 category ${d.cnsa2_category}`);
  return parts.join(', ');
}

function Lanes({ s }) {
  const lanes = s.lanes || {};
  return html`<div class="card" id="lanes">
    <h2>Distinct assets by lane</h2>
    <ul class="lanes">
      ${Object.entries(LANES).map(([k, [title, what]]) => html`<li data-lane=${k}>
        <strong>${lanes[k] || 0}</strong> ${title} <small class="muted">(${what})</small></li>`)}
    </ul>
    <p class="muted">${s.distinct_asset_count ?? '–'} distinct assets in ${s.asset_count} rows.
      Scored with ${defaultsText(s.defaults) || 'the ML engine’s defaults'}${s.crqc_timelines_version ? ` (CRQC timelines ${s.crqc_timelines_version})` : ''}.${' '}
      ${s.rank_depends_on_band ? `${s.rank_depends_on_band} finding${s.rank_depends_on_band === 1 ? '' : 's'} would rank differently under another CRQC timeline band.` : 'Every priority rank holds under all CRQC timeline bands.'}</p>
  </div>`;
}

/** Why a finding scores what it does: the horizon, Mosca per band and the
 * engine's factors, as the API returns them. */
function Why({ f }) {
  const m = f.mosca;
  const h = f.horizon;
  if (!m && !h && !(f.factors || []).length) return null;
  const pct = (p) => `${fmtNum(p * 100, 0)} %`;
  return html`<details class="why">
    <summary><small>${h ? `${h.kind} horizon ${fmtNum(h.years, 1)} y` : 'why'}</small></summary>
    ${h ? html`<p>${h.why}</p>` : null}
    ${m ? html`<p>Mosca: x ${fmtNum(m.shelf_life_years, 1)} + y ${fmtNum(m.migration_years, 1)}${m.validity_years !== null && m.validity_years !== undefined ? `, validity ${fmtNum(m.validity_years, 1)}` : ''}
        → H ${fmtNum(m.horizon_years, 1)} y. ${m.band} band: P(CRQC within H) ${pct(m.crqc_probability)}, slack ${fmtNum(m.margin_years, 1)} y;
        start migrating by <strong>${m.latest_start_year}</strong> (${pct(m.confidence)} confidence).</p>
      <ul class="bands" aria-label="Mosca under each CRQC timeline band">
        ${(m.bands || []).map((b) => html`<li data-band=${b.band}><strong>${b.band}</strong> (median ${fmtNum(b.median_year, 0)}):
          P(within H) ${pct(b.p_within_horizon)}, slack ${fmtNum(b.slack_years, 1)} y, start by ${b.latest_start_year}</li>`)}
      </ul>`
      : null}
    ${f.rank_holds_across_bands === false ? html`<p><small>Its priority rank changes with the CRQC timeline band.</small></p>` : null}
    <ul class="factors">${(f.factors || []).filter((x) => x.factor).map((x) => html`<li><code>${x.factor}</code> ${fmtNum(x.points, 2)}: ${x.detail}</li>`)}</ul>
  </details>`;
}

function SeverityChart({ s }) {
  const counts = SEVERITIES.map((k) => (s.counts && s.counts[k]) || 0);
  const total = counts.reduce((a, b) => a + b, 0);
  return html`<div class="card">
    <h2>Findings by severity</h2>
    ${total === 0 ? html`<${Empty}>No findings.<//>` : html`<${ChartCanvas} label=${`Findings by severity: ${SEVERITIES.map((k, i) => `${k} ${counts[i]}`).join(', ')}`}
      config=${{
        type: 'bar',
        data: {
          labels: SEVERITIES,
          datasets: [{ label: 'Findings', data: counts, backgroundColor: SEVERITIES.map((k) => SEVERITY_COLORS[k]) }],
        },
        options: {
          indexAxis: 'y', responsive: true, maintainAspectRatio: false, animation: false,
          plugins: { legend: { display: false } },
          scales: { x: { beginAtZero: true, ticks: { precision: 0 } } },
        },
      }} />`}
    <ul class="legend-list">
      ${SEVERITIES.map((k, i) => html`<li><${SeverityBadge} severity=${k} /> ${counts[i]}</li>`)}
    </ul>
  </div>`;
}

function DeadlineTimeline({ s }) {
  const rows = s.deadlines || [];
  const thisYear = new Date().getFullYear();
  return html`<div class="card">
    <h2>NIST IR 8547 deadlines hit</h2>
    ${rows.length === 0
      ? html`<${Empty}>No finding hits a NIST transition deadline.<//>`
      : html`<${ChartCanvas} label=${`Findings by NIST deadline year: ${rows.map((r) => `${r.year}: ${r.deprecated} deprecated, ${r.disallowed} disallowed`).join('; ')}`}
          config=${{
            type: 'bar',
            data: {
              labels: rows.map((r) => String(r.year)),
              datasets: [
                { label: 'Deprecated after', data: rows.map((r) => r.deprecated), backgroundColor: '#e0a800' },
                { label: 'Disallowed after', data: rows.map((r) => r.disallowed), backgroundColor: '#8b0000' },
              ],
            },
            options: {
              responsive: true, maintainAspectRatio: false, animation: false,
              scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
            },
          }} />
        <ol class="timeline" aria-label="Deadline timeline">
          ${rows.map((r) => html`<li class=${r.year <= thisYear ? 'past' : ''}>
            <strong>${r.year}</strong>${r.year <= thisYear ? ' (passed)' : ` (in ${r.year - thisYear} years)`}:
            ${r.deprecated ? ` ${r.deprecated} finding${r.deprecated === 1 ? '' : 's'} deprecated after it` : ''}${r.deprecated && r.disallowed ? ';' : ''}
            ${r.disallowed ? ` ${r.disallowed} finding${r.disallowed === 1 ? '' : 's'} disallowed after it` : ''}
          </li>`)}
        </ol>`}
  </div>`;
}

function ThreatChart({ s }) {
  const entries = Object.entries(s.by_threat || {});
  if (!entries.length) return null;
  return html`<div class="card">
    <h2>Findings by quantum threat</h2>
    <${ChartCanvas} label=${`Findings by threat: ${entries.map(([k, v]) => `${k} ${v}`).join(', ')}`}
      config=${{
        type: 'doughnut',
        data: {
          labels: entries.map(([k]) => k),
          datasets: [{ data: entries.map(([, v]) => v), backgroundColor: entries.map(([k]) => THREAT_COLORS[k] || '#868e96') }],
        },
        options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { position: 'right' } } },
      }} />
  </div>`;
}

const SORTS = {
  priority: 'Priority',
  '-risk_score': 'Risk score (highest first)',
  risk_score: 'Risk score (lowest first)',
  algorithm: 'Algorithm',
};

/** A sortable column header: `orders` are [sort value, aria-sort direction]
 * pairs the button cycles through. */
function SortHeader({ label, orders, sort, setSort }) {
  const at = orders.findIndex(([v]) => v === sort);
  const next = orders[(at + 1) % orders.length][0];
  const dir = at < 0 ? 'none' : orders[at][1];
  return html`<th scope="col" aria-sort=${dir}>
    <button type="button" class="sort" onClick=${() => setSort(next)}>
      ${label}${dir === 'descending' ? ' ▼' : dir === 'ascending' ? ' ▲' : ''}
    </button>
  </th>`;
}

function Findings({ id, me, params }) {
  // Filters and sort come from, and go to, the URL's query.
  const [filters, setFilters] = useState(() => Object.fromEntries(
    ['severity', 'threat', 'policy_status', 'algorithm', 'triage_state'].map((k) => [k, params?.get(k) || ''])));
  const [open, setOpen] = useState(null);
  const [algorithmInput, setAlgorithmInput] = useState(params?.get('algorithm') || '');
  const [sort, setSort] = useState(params?.get('sort') || 'priority');
  const [total, setTotal] = useState(null);
  useQuerySync({ ...filters, sort: sort === 'priority' ? '' : sort });
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(true);

  async function load(cursor) {
    setLoading(true);
    try {
      const page = await api.get(`/api/v1/assessments/${encodeURIComponent(id)}/findings`, { ...filters, sort, cursor, limit: 100 });
      setItems((prev) => (cursor && prev ? [...prev, ...page.items] : page.items));
      setNext(page.next_cursor);
      setTotal(page.total);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => {
    load(null);
  }, [id, sort, filters.severity, filters.threat, filters.policy_status, filters.algorithm, filters.triage_state]);

  const set = (k) => (e) => setFilters({ ...filters, [k]: e.currentTarget.value });
  return html`<div class="card">
    <h2 id="findings-title">Findings</h2>
    <form class="filters" aria-label="Filter findings" onSubmit=${(e) => {
      e.preventDefault();
      setFilters({ ...filters, algorithm: algorithmInput.trim() });
    }}>
      <label>Severity <select id="f-severity" value=${filters.severity} onChange=${set('severity')}>
        <option value="">any</option>${SEVERITIES.map((v) => html`<option value=${v}>${v}</option>`)}
      </select></label>
      <label>Threat <select id="f-threat" value=${filters.threat} onChange=${set('threat')}>
        <option value="">any</option>${THREATS.map((v) => html`<option value=${v}>${v}</option>`)}
      </select></label>
      <label>Policy <select id="f-policy" value=${filters.policy_status} onChange=${set('policy_status')}>
        <option value="">any</option>${POLICIES.map((v) => html`<option value=${v}>${v}</option>`)}
      </select></label>
      <label>Triage <select id="f-triage" value=${filters.triage_state} onChange=${set('triage_state')}>
        <option value="">any</option>${TRIAGE_STATES.map((v) => html`<option value=${v}>${TRIAGE_LABELS[v]}</option>`)}
      </select></label>
      <label>Algorithm <input id="f-algorithm" value=${algorithmInput} placeholder="e.g. RSA-2048"
        onInput=${(e) => setAlgorithmInput(e.currentTarget.value)} /></label>
      <button type="submit">Apply</button>
      <label>Sort by <select id="f-sort" value=${sort} onChange=${(e) => setSort(e.currentTarget.value)}>
        ${Object.entries(SORTS).map(([v, l]) => html`<option value=${v}>${l}</option>`)}
      </select></label>
    </form>
    <${Total} n=${total} noun="finding" />
    <${ErrorBox} error=${error} onRetry=${() => load(null)} />
    ${loading && !items ? html`<${Loading} what="findings" />` : null}
    ${items && !items.length ? html`<${Empty}>No finding matches these filters.<//>` : null}
    ${items && items.length
      ? html`<div class="table-wrap"><table class="data findings" id="findings-table" aria-labelledby="findings-title" aria-busy=${loading ? 'true' : 'false'}>
          <thead><tr>
            <${SortHeader} label="#" orders=${[['priority', 'ascending']]} sort=${sort} setSort=${setSort} />
            <th scope="col">Severity</th>
            <${SortHeader} label="Score" orders=${[['-risk_score', 'descending'], ['risk_score', 'ascending']]} sort=${sort} setSort=${setSort} />
            <th scope="col">Asset</th>
            <${SortHeader} label="Algorithm" orders=${[['algorithm', 'ascending']]} sort=${sort} setSort=${setSort} />
            <th scope="col">Triage</th><th scope="col">Threat</th><th scope="col">Lane / horizon</th><th scope="col">Policy</th><th scope="col">NIST deprecated / disallowed after</th>
            <th scope="col">Recommendation</th>
          </tr></thead>
          <tbody>
            ${items.map((f) => html`<tr key=${f.id}>
              <td class="num priority">${f.priority}</td>
              <td><${SeverityBadge} severity=${f.severity} /></td>
              <td class="num">${fmtNum(f.risk_score, 2)}</td>
              <td class="asset"><button type="button" class="link open-finding" aria-haspopup="dialog" onClick=${() => setOpen(f.id)}
                  aria-label=${`Details of ${f.asset_name} (${f.algorithm})`}>${f.asset_name}</button>${f.usage ? html`<br /><small class="muted">${f.usage}</small>` : null}
                <${Paths} f=${f} /></td>
              <td><code>${f.algorithm}</code>${f.parameter ? html`<br /><small class="muted">${f.parameter}</small>` : null}</td>
              <td class="triage"><${TriageBadge} triage=${f.triage} /></td>
              <td>${f.quantum_threat}</td>
              <td class="lane" data-lane=${f.lane || ''}>${f.lane || '–'}<${Why} f=${f} /></td>
              <td>${f.policy_status}${f.policy_verdict === 'legacy_use' ? html`<br /><small class="muted verdict">legacy use</small>` : f.policy_verdict === 'not_approved' ? html`<br /><small class="muted verdict">not approved</small>` : null}</td>
              <td>${f.nist_deprecated_year || '–'} / ${f.nist_disallowed_year || '–'}</td>
              <td class="recommendation">${f.recommendation || ''}${(f.checks || []).map((c) => html`<br /><small class="check" data-check=${c.code} title=${c.reference}>${c.message}</small>`)}</td>
            </tr>`)}
          </tbody>
        </table></div>
        ${next ? html`<button type="button" onClick=${() => load(next)} disabled=${loading}>Load more findings</button>` : null}`
      : null}
    ${open ? html`<${FindingDrawer} id=${open} me=${me} onClose=${() => setOpen(null)} onChanged=${() => load(null)} />` : null}
  </div>`;
}

function Reports({ a }) {
  const [busy, setBusy] = useState('');
  const [error, setError] = useState(null);
  const [done, setDone] = useState('');
  // format: csv or html (the report), or cbom (the CycloneDX 1.7 export).
  async function get(format) {
    setBusy(format);
    setError(null);
    const base = `/api/v1/assessments/${encodeURIComponent(a.id)}`;
    try {
      const name = format === 'cbom'
        ? await api.download(`${base}/cbom`, undefined, `${a.id}-cbom.json`)
        : await api.download(`${base}/report`, { format }, `${a.id}-report.${format}`);
      setDone(`Downloaded ${name}.`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy('');
    }
  }
  return html`<div class="reports">
    <button type="button" id="download-csv" onClick=${() => get('csv')} disabled=${!!busy}>${busy === 'csv' ? 'Preparing…' : 'Download CSV'}</button>
    <button type="button" id="download-html" onClick=${() => get('html')} disabled=${!!busy}>${busy === 'html' ? 'Preparing…' : 'Download HTML report'}</button>
    <button type="button" id="export-cbom" title="CycloneDX 1.7 CBOM of this assessment" onClick=${() => get('cbom')} disabled=${!!busy}>${busy === 'cbom' ? 'Preparing…' : 'Export CBOM'}</button>
    <span class="muted" role="status">${done}</span>
    <${ErrorBox} error=${error} />
  </div>`;
}

export function AssessmentPage({ me, id, params }) {
  const [a, setA] = useState(null);
  const [summary, setSummary] = useState(null);
  const [error, setError] = useState(null);
  const [rerunError, setRerunError] = useState(null);

  async function load() {
    try {
      const got = await api.get(`/api/v1/assessments/${encodeURIComponent(id)}`);
      setA(got);
      setError(null);
      if (got.status === 'completed') setSummary(await api.get(`/api/v1/assessments/${encodeURIComponent(id)}/summary`));
    } catch (e) {
      setError(e);
    }
  }
  useEffect(() => {
    setA(null);
    setSummary(null);
    load();
  }, [id]);
  const running = !!a && (a.status === 'pending' || a.status === 'running');
  usePoll(load, 1500, running);

  async function rerun() {
    setRerunError(null);
    try {
      setSummary(null);
      setA(await api.post(`/api/v1/assessments/${encodeURIComponent(id)}/rerun`));
      toast('Re-run started');
    } catch (e) {
      setRerunError(e);
    }
  }

  if (error && !a) {
    return html`<section><h1>Assessment</h1><${ErrorBox} error=${error} onRetry=${load} />
      <p><${Link} to="/assessments">Back to the assessments<//></p></section>`;
  }
  // The organization's name (ids stay available with a copy button).
  const [org, setOrg] = useState(null);
  useEffect(() => {
    if (!a?.organization_id) return;
    api.get(`/api/v1/organizations/${encodeURIComponent(a.organization_id)}`).then(setOrg, () => setOrg(null));
  }, [a?.organization_id]);
  if (!a) return html`<${Loading} what="the assessment" />`;
  return html`<section>
    <p class="crumbs"><${Link} to="/assessments">Assessments<//> ›</p>
    <div class="title-row">
      <h1>${a.name}</h1>
      <span id="assessment-status"><${StatusBadge} status=${a.status} /></span>
    </div>
    <p class="muted">${[
      sourceLabel(a),
      `${a.asset_count} assets`,
      `organization ${org?.name || a.organization_id}`,
      `created ${fmtDate(a.created_at)}`,
      a.completed_at ? `completed ${fmtDate(a.completed_at)}` : null,
      `attempt ${a.attempts}`,
    ].filter(Boolean).join(' · ')}</p>
    <p class="muted"><small>assessment <${CopyId} id=${a.id} label="assessment" /> · organization <${CopyId} id=${a.organization_id} label="organization" /></small></p>
    ${a.description ? html`<p>${a.description}</p>` : null}
    <${ErrorBox} error=${error} />
    ${running ? html`<${Progress} a=${a} />` : null}
    ${a.status === 'failed'
      ? html`<div class="state error" role="alert"><strong>Scoring failed:</strong> ${a.failure_reason || 'no reason recorded'}</div>`
      : null}
    ${me.can_write && (a.status === 'failed' || a.status === 'completed')
      ? html`<p><button type="button" class="secondary" onClick=${rerun}>Re-run the assessment</button></p>
        <${ErrorBox} error=${rerunError} />`
      : null}
    ${a.status === 'completed' && !summary ? html`<${Loading} what="the summary" />` : null}
    ${a.status === 'completed' && summary
      ? html`<${Reports} a=${a} />
        <${ScoreCards} s=${summary} />
        <div class="cards two">
          <${SeverityChart} s=${summary} />
          <${DeadlineTimeline} s=${summary} />
        </div>
        <div class="cards two">
          <${Lanes} s=${summary} />
          <${ThreatChart} s=${summary} />
        </div>
        <p class="links"><${Link} to=${`/assessments/${encodeURIComponent(a.id)}/diff`} id="compare-link">Compare with an earlier assessment<//>${' · '}<${Link} to=${`/trend?organization_id=${encodeURIComponent(a.organization_id)}`}>Trend of the organization<//></p>
        <${Findings} id=${a.id} me=${me} params=${params} />`
      : null}
  </section>`;
}
