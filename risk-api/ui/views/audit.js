// The audit log (newest first, filterable) and the hash-chain check.
import { html, useEffect, useState } from '../lib.js';
import * as api from '../api.js';
import { Empty, ErrorBox, Link, Loading, When, useQuerySync, Total } from '../components.js';

function Verify({ me }) {
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function run() {
    setBusy(true);
    setError(null);
    try {
      setResult(await api.get('/api/v1/audit/verify'));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  useEffect(() => {
    if (me.is_admin) run();
  }, []);
  if (!me.is_admin) {
    return html`<div class="card"><h2>Chain verification</h2>
      <p class="muted">Recomputing the hash chain over every organization's rows needs an admin token.</p></div>`;
  }
  return html`<div class="card" id="chain-verify">
    <h2>Chain verification</h2>
    <div role="status" aria-live="polite">
      ${busy ? html`<${Loading} what="the chain check" />` : null}
      ${result && result.intact
        ? html`<p class="ok"><strong>Intact.</strong> All ${result.rows} rows recomputed; every hash and link matches.</p>`
        : null}
      ${result && !result.intact
        ? html`<div class="state error"><strong>Broken</strong> at row ${result.first_broken_id} (${result.rows} rows checked):
            <ul>${result.problems.map((p) => html`<li>row ${p.id}: ${p.problem.replace(/_/g, ' ')}</li>`)}</ul></div>`
        : null}
    </div>
    <${ErrorBox} error=${error} />
    <button type="button" onClick=${run} disabled=${busy}>Verify again</button>
  </div>`;
}

export function AuditLog({ me, params }) {
  // The applied filter comes from, and goes to, the URL's query.
  const [action, setAction] = useState(params?.get('action') || '');
  const [resourceType, setResourceType] = useState(params?.get('resource_type') || '');
  const [applied, setApplied] = useState({ action: params?.get('action') || '', resource_type: params?.get('resource_type') || '' });
  const [total, setTotal] = useState(null);
  useQuerySync(applied);
  const [items, setItems] = useState(null);
  const [next, setNext] = useState(null);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(true);
  async function load(cursor) {
    setLoading(true);
    try {
      const page = await api.get('/api/v1/audit-log', { ...applied, cursor, limit: 50 });
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
  }, [applied.action, applied.resource_type]);
  return html`<section>
    <h1>Audit log</h1>
    <${Verify} me=${me} />
    <form class="filters" aria-label="Filter the audit log" onSubmit=${(e) => {
      e.preventDefault();
      setApplied({ action: action.trim(), resource_type: resourceType.trim() });
    }}>
      <label>Action <input value=${action} placeholder="assessment.create" onInput=${(e) => setAction(e.currentTarget.value)} /></label>
      <label>Resource type <select value=${resourceType} onChange=${(e) => setResourceType(e.currentTarget.value)}>
        <option value="">any</option>
        <option value="organization">organization</option>
        <option value="assessment">assessment</option>
      </select></label>
      <button type="submit">Apply</button>
    </form>
    <${Total} n=${total} noun="audit row" />
    <${ErrorBox} error=${error} onRetry=${() => load(null)} />
    ${loading && !items ? html`<${Loading} what="the audit log" />` : null}
    ${items && !items.length ? html`<${Empty}>No audit rows match.<//>` : null}
    ${items && items.length
      ? html`<div class="table-wrap"><table class="data" id="audit-table">
          <caption class="sr-only">Audit log, newest first</caption>
          <thead><tr><th scope="col">#</th><th scope="col">When</th><th scope="col">Actor</th><th scope="col">Action</th>
            <th scope="col">Resource</th><th scope="col">Details</th><th scope="col">Row hash</th></tr></thead>
          <tbody>
            ${items.map((r) => html`<tr key=${r.id}>
              <td class="num">${r.id}</td>
              <td><${When} t=${r.occurred_at} /></td>
              <td>${r.actor}${r.actor_role ? html` <span class="badge">${r.actor_role}</span>` : null}</td>
              <td><code>${r.action}</code></td>
              <td>${r.resource_type || ''} ${r.resource_type === 'assessment'
                ? html`<${Link} to=${`/assessments/${r.resource_id}`}><code>${r.resource_id}</code><//>`
                : html`<code>${r.resource_id || ''}</code>`}</td>
              <td><code class="details">${r.details ? JSON.stringify(r.details) : ''}</code></td>
              <td><code title=${`row ${r.row_hash}\nprevious ${r.prev_hash}`}>${r.row_hash.slice(0, 12)}…</code></td>
            </tr>`)}
          </tbody>
        </table></div>
        ${next ? html`<button type="button" onClick=${() => load(next)} disabled=${loading}>Load more</button>` : null}`
      : null}
  </section>`;
}
