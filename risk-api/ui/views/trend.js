// An organization's trend over its completed assessments (risk score,
// quantum-safe share of public-key assets, open findings) and the diff of
// two assessments (new / fixed / unchanged findings).
import { html, useEffect, useState } from '../lib.js';
import * as api from '../api.js';
import {
  ChartCanvas, Empty, ErrorBox, Link, Loading, SeverityBadge, fmtDate, fmtNum, navigate, useLoad,
} from '../components.js';

const share = (p) => (p.quantum_safe_share_pct === null || p.quantum_safe_share_pct === undefined
  ? '–'
  : `${fmtNum(p.quantum_safe_share_pct)} %`);

export function TrendPage({ me, params }) {
  const [org, setOrg] = useState(params.get('organization_id') || me.organization_id || '');
  const [system, setSystem] = useState(params.get('system') || '');
  const [systemInput, setSystemInput] = useState(params.get('system') || '');
  const orgs = useLoad(
    () => (me.organization_id ? Promise.resolve({ items: [] }) : api.get('/api/v1/organizations', { limit: 500 })),
    [me.organization_id],
  );
  const trend = useLoad(
    () => (org ? api.get(`/api/v1/organizations/${encodeURIComponent(org)}/trend`, { system }) : Promise.resolve(null)),
    [org, system],
  );
  const points = (trend.data && trend.data.points) || [];
  const labels = points.map((p, i) => `${i + 1}. ${p.name}`);
  return html`<section>
    <h1>Trend</h1>
    <form class="filters" aria-label="Choose the trend" onSubmit=${(e) => { e.preventDefault(); setSystem(systemInput.trim()); }}>
      ${!me.organization_id
        ? html`<label>Organization
            <select id="trend-org" value=${org} onChange=${(e) => setOrg(e.currentTarget.value)}>
              <option value="">choose…</option>
              ${((orgs.data && orgs.data.items) || []).map((o) => html`<option value=${o.id}>${o.name}</option>`)}
            </select></label>`
        : null}
      <label>System (assessment name)
        <input id="trend-system" value=${systemInput} placeholder="all systems" onInput=${(e) => setSystemInput(e.currentTarget.value)} /></label>
      <button type="submit">Show</button>
    </form>
    <${ErrorBox} error=${trend.error || orgs.error} onRetry=${trend.reload} />
    ${!org ? html`<${Empty}>Choose an organization.<//>` : null}
    ${org && trend.loading && !trend.data ? html`<${Loading} what="the trend" />` : null}
    ${org && trend.data && !points.length ? html`<${Empty}>No completed assessment${system ? ` of “${system}”` : ''} yet.<//>` : null}
    ${points.length
      ? html`<div class="cards two">
          <div class="card">
            <h2>Risk score and quantum-safe share</h2>
            <${ChartCanvas} label=${`Over ${points.length} assessments: ${points.map((p, i) => `${labels[i]}: risk ${fmtNum(p.overall_risk_score)}, quantum-safe ${share(p)}`).join('; ')}`}
              config=${{
                type: 'line',
                data: {
                  labels,
                  datasets: [
                    { label: 'Overall risk score', data: points.map((p) => p.overall_risk_score), borderColor: '#8b0000', backgroundColor: '#8b0000' },
                    { label: 'Quantum-safe share %', data: points.map((p) => p.quantum_safe_share_pct), borderColor: '#1f7a35', backgroundColor: '#1f7a35' },
                  ],
                },
                options: { responsive: true, maintainAspectRatio: false, animation: false, scales: { y: { min: 0, max: 100 } } },
              }} />
          </div>
          <div class="card">
            <h2>Findings needing action</h2>
            <${ChartCanvas} label=${`Findings: ${points.map((p, i) => `${labels[i]}: ${p.findings}, ${p.open_findings} open`).join('; ')}`}
              config=${{
                type: 'bar',
                data: {
                  labels,
                  datasets: [
                    { label: 'Open or in progress', data: points.map((p) => p.open_findings), backgroundColor: '#c2410c' },
                    { label: 'Handled', data: points.map((p) => p.findings - p.open_findings), backgroundColor: '#5c7cfa' },
                  ],
                },
                options: {
                  responsive: true, maintainAspectRatio: false, animation: false,
                  scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
                },
              }} />
          </div>
        </div>
        <div class="card">
          <h2 id="trend-title">Assessments, oldest first</h2>
          <div class="table-wrap"><table class="data" id="trend-table" aria-labelledby="trend-title">
            <thead><tr>
              <th scope="col">Assessment</th><th scope="col">Completed</th><th scope="col" class="num">Risk score</th>
              <th scope="col" class="num">Quantum-safe share</th><th scope="col" class="num">Hash / symmetric</th>
              <th scope="col" class="num">Findings</th><th scope="col" class="num">Open</th><th scope="col">Changes</th>
            </tr></thead>
            <tbody>${points.map((p, i) => html`<tr data-assessment=${p.assessment_id}>
              <td><${Link} to=${`/assessments/${encodeURIComponent(p.assessment_id)}`}>${p.name}<//></td>
              <td>${fmtDate(p.completed_at)}</td>
              <td class="num">${fmtNum(p.overall_risk_score)}</td>
              <td class="num share">${share(p)}<br /><small class="muted">${p.quantum_safe_assets ?? '–'} of ${p.asymmetric_assets ?? '–'} asymmetric</small></td>
              <td class="num">${p.hash_assets ?? '–'} / ${p.symmetric_assets ?? '–'}</td>
              <td class="num findings">${p.findings}</td>
              <td class="num open">${p.open_findings}</td>
              <td>${i > 0
                ? html`<${Link} to=${`/assessments/${encodeURIComponent(p.assessment_id)}/diff?base=${encodeURIComponent(points[i - 1].assessment_id)}`}
                    aria-label=${`since previous: changes from ${points[i - 1].name} to ${p.name}`}>since previous<//>`
                : '–'}</td>
            </tr>`)}</tbody>
          </table></div>
          <p class="muted">The quantum-safe share counts asymmetric (public-key) assets only; hash and symmetric assets are shown apart.
            Open counts today’s triage states (an expired risk acceptance is open again).</p>
        </div>`
      : null}
  </section>`;
}

function DiffTable({ id, title, rows, total, empty }) {
  return html`<div class="card">
    <h2 id=${`${id}-title`}>${title} (${total})</h2>
    ${!rows.length
      ? html`<p class="muted">${empty}</p>`
      : html`<div class="table-wrap"><table class="data" id=${id} aria-labelledby=${`${id}-title`}>
          <thead><tr><th scope="col">Asset</th><th scope="col">Algorithm</th><th scope="col">Severity</th><th scope="col" class="num">Score</th></tr></thead>
          <tbody>${rows.map((r) => html`<tr data-key=${r.finding_key}>
            <td>${r.asset_name}</td><td><code>${r.algorithm}</code></td>
            <td><${SeverityBadge} severity=${r.severity} />${r.base_severity && r.base_severity !== r.severity ? html` <small class="muted">was ${r.base_severity}</small>` : null}</td>
            <td class="num">${fmtNum(r.risk_score, 2)}${r.base_risk_score !== null && r.base_risk_score !== undefined && r.base_risk_score !== r.risk_score ? html` <small class="muted">was ${fmtNum(r.base_risk_score, 2)}</small>` : null}</td>
          </tr>`)}</tbody>
        </table></div>
        ${total > rows.length ? html`<p class="muted">and ${total - rows.length} more</p>` : null}`}
  </div>`;
}

export function DiffPage({ id, params }) {
  const base = params.get('base') || '';
  const target = useLoad(() => api.get(`/api/v1/assessments/${encodeURIComponent(id)}`), [id]);
  const others = useLoad(async () => {
    const t = await api.get(`/api/v1/assessments/${encodeURIComponent(id)}`);
    const page = await api.get('/api/v1/assessments', { organization_id: t.organization_id, status: 'completed', limit: 200 });
    return page.items.filter((a) => a.id !== id);
  }, [id]);
  const diff = useLoad(
    () => (base ? api.get(`/api/v1/assessments/${encodeURIComponent(id)}/diff`, { base }) : Promise.resolve(null)),
    [id, base],
  );
  // Without a base: the latest earlier assessment of the same system, else
  // of the organization.
  useEffect(() => {
    if (base || !target.data || !others.data) return;
    const t = target.data;
    const at = (a) => (a.completed_at ? new Date(a.completed_at).getTime() : NaN);
    const earlier = others.data.filter((a) => at(a) < at(t)).sort((x, y) => at(y) - at(x));
    const norm = (n) => n.trim().toLowerCase().replace(/\s+/g, ' ');
    const pick = earlier.find((a) => norm(a.name) === norm(t.name)) || earlier[0];
    if (pick) navigate(`/assessments/${encodeURIComponent(id)}/diff?base=${encodeURIComponent(pick.id)}`);
  }, [base, target.data, others.data]);
  const d = diff.data;
  return html`<section>
    <p class="crumbs"><${Link} to="/assessments">Assessments<//> ›
      ${target.data ? html`<${Link} to=${`/assessments/${encodeURIComponent(id)}`}>${target.data.name}<//> ›` : null}</p>
    <h1>Changes since an earlier assessment</h1>
    <form class="filters" aria-label="Choose the assessment to compare with" onSubmit=${(e) => e.preventDefault()}>
      <label>Compare with
        <select id="diff-base" value=${base} onChange=${(e) => navigate(`/assessments/${encodeURIComponent(id)}/diff?base=${encodeURIComponent(e.currentTarget.value)}`)}>
          <option value="">choose…</option>
          ${(others.data || []).map((a) => html`<option value=${a.id}>${a.name} (${fmtDate(a.completed_at)})</option>`)}
        </select></label>
    </form>
    <${ErrorBox} error=${target.error || others.error || diff.error} onRetry=${diff.reload} />
    ${others.data && !others.data.length ? html`<${Empty}>No other completed assessment in this organization to compare with.<//>` : null}
    ${base && diff.loading && !d ? html`<${Loading} what="the changes" />` : null}
    ${d
      ? html`<p id="diff-summary">From <${Link} to=${`/assessments/${encodeURIComponent(d.base.id)}`}>${d.base.name}<//> (${fmtDate(d.base.completed_at)}, risk ${fmtNum(d.base.overall_risk_score)})
          to <strong>${d.target.name}</strong> (${fmtDate(d.target.completed_at)}, risk ${fmtNum(d.target.overall_risk_score)}):
          <strong data-count="new">${d.counts.new}</strong> new, <strong data-count="fixed">${d.counts.fixed}</strong> fixed,
          <strong data-count="unchanged">${d.counts.unchanged}</strong> unchanged findings needing action.</p>
        <${DiffTable} id="diff-new" title="New" rows=${d.new} total=${d.counts.new} empty="No new finding." />
        <${DiffTable} id="diff-fixed" title="Fixed" rows=${d.fixed} total=${d.counts.fixed} empty="Nothing fixed." />
        <${DiffTable} id="diff-unchanged" title="Unchanged" rows=${d.unchanged} total=${d.counts.unchanged} empty="Nothing unchanged." />
        <p class="muted">Findings are matched on their key: the CBOM bom-ref and algorithm, or an inventory asset's name, type, algorithm, parameter and usage. Safe assets are no findings.</p>`
      : null}
  </section>`;
}
