// Audit log (admins): filter by actor, action, resource and time; each row
// opens a before/after diff of the resource.
import { html, useState, useEffect } from '../lib.js';
import { useAsync, useQuery, AsyncView, Badge, fmtTime, fmtNum, Field, toLocalInput, fromLocalInput } from '../lib.js';
import * as api from '../api.js';

/** Flattens JSON into { 'a.b[0]': value } for a field-by-field diff. */
function flatten(v, prefix = '', out = {}) {
  if (v && typeof v === 'object') {
    const entries = Array.isArray(v) ? v.map((x, i) => [`[${i}]`, x]) : Object.entries(v).map(([k, x]) => [prefix ? `.${k}` : k, x]);
    if (!entries.length) out[prefix] = Array.isArray(v) ? '[]' : '{}';
    for (const [k, x] of entries) flatten(x, prefix + k, out);
  } else {
    out[prefix] = v === undefined ? '' : JSON.stringify(v);
  }
  return out;
}

export function Diff({ before, after }) {
  const b = before ? flatten(before) : {};
  const a = after ? flatten(after) : {};
  const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])].sort();
  const changed = keys.filter((k) => b[k] !== a[k]);
  if (!before && !after) return html`<p class="muted">No before/after state recorded for this action.</p>`;
  return html`<div>
    <p class="muted">${changed.length} field${changed.length === 1 ? '' : 's'} changed${!before ? ' (created)' : !after ? ' (deleted)' : ''}.</p>
    <table class="data diff-table" aria-label="Changes">
      <thead><tr><th scope="col">Field</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
      <tbody>${changed.map((k) => html`<tr>
        <td class="mono">${k || '(value)'}</td>
        <td class="mono before">${k in b ? b[k] : html`<span class="muted">—</span>`}</td>
        <td class="mono after">${k in a ? a[k] : html`<span class="muted">—</span>`}</td></tr>`)}
      ${changed.length === 0 ? html`<tr><td colspan="3" class="empty">No field changed.</td></tr>` : null}</tbody>
    </table>
    <details><summary>Full before / after JSON</summary>
      <div class="diff"><pre aria-label="Before">${before ? JSON.stringify(before, null, 2) : '—'}</pre><pre aria-label="After">${after ? JSON.stringify(after, null, 2) : '—'}</pre></div>
    </details>
  </div>`;
}

/** The filters, as the API and the URL name them. */
const AUDIT_FILTERS = ['actor', 'action', 'resource_type', 'resource_id', 'from', 'to'];

export function AuditLog() {
  // Filters and page live in the URL (?action=route.create&pages=c1,c2):
  // a reload or a shared link shows the same rows.
  const [query, setQuery] = useQuery();
  const applied = Object.fromEntries(AUDIT_FILTERS.map((k) => [k, query[k] || '']));
  const appliedKey = JSON.stringify(applied);
  const draftOf = (a) => ({ ...a, from: toLocalInput(a.from), to: toLocalInput(a.to) });
  const [f, setF] = useState(() => draftOf(applied));
  useEffect(() => { setF(draftOf(applied)); }, [appliedKey]);
  const cursors = [undefined, ...(query.pages || '').split(',').filter(Boolean)];
  const setCursors = (cs) => setQuery({ pages: cs.filter(Boolean).join(',') });
  const setApplied = (n) => {
    const patch = { ...n, from: fromLocalInput(n.from), to: fromLocalInput(n.to), pages: '' };
    for (const k of ['actor', 'action', 'resource_type', 'resource_id']) patch[k] = (patch[k] || '').trim();
    setQuery(patch);
  };
  const [open, setOpen] = useState(null);
  const cursor = cursors[cursors.length - 1];
  const list = useAsync(() => api.get('/api/v1/audit-log', { ...applied, limit: 50, cursor }), [appliedKey, cursor]);
  const set = (k) => (v) => setF({ ...f, [k]: v });
  const fe = list.error?.fields || {};
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title">Audit log</h1>
    <form class="filters" aria-label="Audit log filters" onSubmit=${(e) => { e.preventDefault(); setApplied(f); setCursors([undefined]); }}>
      <${Field} label="Actor" name="actor" value=${f.actor} onInput=${set('actor')} error=${fe.actor} placeholder="usr_… or email" />
      <${Field} label="Action" name="action" value=${f.action} onInput=${set('action')} error=${fe.action} placeholder="route.create" />
      <${Field} label="Resource type" name="resource_type" value=${f.resource_type} onInput=${set('resource_type')} error=${fe.resource_type} placeholder="route" />
      <${Field} label="Resource id" name="resource_id" value=${f.resource_id} onInput=${set('resource_id')} error=${fe.resource_id} />
      <${Field} label="From" name="from" type="datetime-local" value=${f.from} onInput=${set('from')} error=${fe.from} />
      <${Field} label="To" name="to" type="datetime-local" value=${f.to} onInput=${set('to')} error=${fe.to} />
      <button type="submit">Apply filters</button>
    </form>
    ${Object.keys(fe).length ? html`<p class="state error" role="alert">Fix the marked filter.</p>` : null}
    ${list.data && list.data.total != null ? html`<p class="total" role="status" data-total=${list.data.total}><strong>${fmtNum(list.data.total)}${list.data.total_capped ? '+' : ''}</strong> entr${list.data.total === 1 ? 'y matches' : 'ies match'}</p>` : null}
    <${AsyncView} state=${Object.keys(fe).length ? { ...list, error: null, data: { items: [] } } : list} empty="No audit entries match.">${(page) => html`
      <div class="table-scroll" role="region" aria-label="Audit entries (scrollable)" tabindex="0"><table class="data" aria-label="Audit entries">
        <thead><tr><th scope="col">Time</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Resource</th><th scope="col">Outcome</th><th scope="col">Client IP</th><th scope="col"><span class="sr-only">Changes</span></th></tr></thead>
        <tbody>${page.items.map((r) => html`
          <tr data-id=${r.id}>
            <td>${fmtTime(r.occurred_at)}</td>
            <td>${r.actor}${r.actor_role ? html` <${Badge}>${r.actor_role}</${Badge}>` : null}</td>
            <td class="mono">${r.action}</td>
            <td class="mono">${r.resource_type || ''} ${r.resource_id || ''}</td>
            <td><${Badge} kind=${r.outcome === 'success' ? 'ok' : 'off'}>${r.outcome}</${Badge}></td>
            <td class="mono">${r.client_ip || '—'}</td>
            <td><button type="button" aria-expanded=${open === r.id} onClick=${() => setOpen(open === r.id ? null : r.id)}>${open === r.id ? 'Hide' : 'Diff'}</button></td>
          </tr>
          ${open === r.id ? html`<tr><td colspan="7"><${Diff} before=${r.before} after=${r.after} />
            <small class="muted">request ${r.request_id || '—'}</small></td></tr>` : null}`)}
        </tbody>
      </table></div>
      <div class="pager">
        <button type="button" disabled=${cursors.length < 2} onClick=${() => setCursors(cursors.slice(0, -1))}>Newer</button>
        <button type="button" disabled=${!page.next_cursor} onClick=${() => setCursors([...cursors, page.next_cursor])}>Older</button>
      </div>`}
    </${AsyncView}>
  </section>`;
}
