// Threats: a live list (polled every 5 s) filtered by severity, type,
// status, client IP/CIDR and time; a detail panel with scores and reasons;
// acknowledge / resolve (operators and admins).
import { html, useState, useEffect } from '../lib.js';
import { useAsync, useQuery, AsyncView, ErrorBox, Badge, fmtTime, fmtNum, navigate, Field, Link, CopyId, toast, toLocalInput, fromLocalInput } from '../lib.js';
import * as api from '../api.js';

const SEVERITIES = ['', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'];
const STATUSES = ['', 'open', 'acknowledged', 'resolved'];
const POLL_MS = 5000;

function score(x) {
  if (x === null || x === undefined) return '—';
  return html`<span class="score"><meter min="0" max="1" value=${x} aria-hidden="true"></meter> ${Number(x).toFixed(2)}</span>`;
}

function Detail({ id, canEdit, onChanged }) {
  const t = useAsync(() => api.request('GET', `/api/v1/threats/${id}`, undefined, { raw: true }), [id]);
  // Names for the route and gateway ids (ids stay, with a copy button).
  const names = useAsync(async () => {
    const [routes, gateways] = await Promise.all([api.getAll('/api/v1/routes'), api.getAll('/api/v1/gateways')]);
    return Object.fromEntries([...routes, ...gateways].map((x) => [x.id, x.name]));
  }, []);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [done, setDone] = useState('');
  useEffect(() => { setNote(''); setError(null); setDone(''); }, [id]);
  const act = async (action) => {
    setBusy(true);
    setError(null);
    try {
      const etag = t.data.etag || `"${t.data.data.version}"`;
      await api.request('POST', `/api/v1/threats/${id}/${action}`, { note: note || null }, { ifMatch: etag });
      setDone(action === 'acknowledge' ? 'Acknowledged.' : 'Resolved.');
      toast(action === 'acknowledge' ? 'Threat acknowledged' : 'Threat resolved');
      setNote('');
      t.reload();
      onChanged();
    } catch (err) {
      if (err.status === 412) err.message = 'Someone else changed this threat while you were looking at it; it was reloaded, check its status and try again.';
      setError(err);
      t.reload();
    }
    setBusy(false);
  };
  return html`<aside class="card" aria-labelledby="threat-title">
    <${AsyncView} state=${t} isEmpty=${() => false}>${({ data: d }) => html`
      <div class="toolbar"><h2 id="threat-title">${d.threat_type} <${Badge} kind=${d.severity}>${d.severity}</${Badge}></h2>
        <button type="button" class="link" onClick=${() => navigate(`threats${window.location.search}`)}>Close</button></div>
      <dl class="kv">
        <dt>Status</dt><dd><${Badge} kind=${d.status}>${d.status}</${Badge}></dd>
        <dt>Detected</dt><dd>${fmtTime(d.detected_at)}</dd>
        <dt>Client IP</dt><dd class="mono">${d.client_ip}</dd>
        <dt>Request</dt><dd class="mono">${d.method || ''} ${d.path || '—'}</dd>
        <dt>User agent</dt><dd class="mono">${d.user_agent || '—'}</dd>
        <dt>Anomaly score</dt><dd>${score(d.anomaly_score)}</dd>
        <dt>Bot score</dt><dd>${score(d.bot_score)}</dd>
        <dt>Action taken</dt><dd>${d.action_taken}</dd>
        <dt>Route</dt><dd>${d.route_id ? html`${names.data?.[d.route_id] || html`<span class="muted">deleted route</span>`} <${CopyId} id=${d.route_id} label="route" />` : '—'}</dd>
        <dt>Gateway</dt><dd>${d.gateway_id ? html`${names.data?.[d.gateway_id] || html`<span class="muted">unknown gateway</span>`} <${CopyId} id=${d.gateway_id} label="gateway" />` : '—'}</dd>
        ${d.acknowledged_at ? html`<dt>Acknowledged</dt><dd>${fmtTime(d.acknowledged_at)} by ${d.acknowledged_by}</dd>` : null}
        ${d.resolved_at ? html`<dt>Resolved</dt><dd>${fmtTime(d.resolved_at)} by ${d.resolved_by}</dd>` : null}
        ${d.note ? html`<dt>Note</dt><dd>${d.note}</dd>` : null}
        <dt>Id</dt><dd><${CopyId} id=${d.id} label="threat" /></dd>
      </dl>
      <h3>Reasons</h3>
      ${Array.isArray(d.reasons) && d.reasons.length
        ? html`<ul class="reasons">${d.reasons.map((r) => html`<li>${typeof r === 'string' ? r : JSON.stringify(r)}</li>`)}</ul>`
        : html`<p class="muted">${d.reasons && !Array.isArray(d.reasons) ? JSON.stringify(d.reasons) : 'No reasons given.'}</p>`}
      ${canEdit && d.status !== 'resolved' ? html`<form onSubmit=${(e) => e.preventDefault()} aria-label="Triage">
        <${Field} label="Note (optional)" name="note" value=${note} onInput=${setNote} error=${error?.fields?.note} />
        <div class="actions">
          ${d.status === 'open' ? html`<button type="button" disabled=${busy} onClick=${() => act('acknowledge')}>Acknowledge</button>` : null}
          <button type="button" class="primary" disabled=${busy} onClick=${() => act('resolve')}>Resolve</button>
        </div>
      </form>` : null}
      ${done ? html`<p class="state ok" role="status">${done}</p>` : null}
      <${ErrorBox} error=${error && !error.fields?.note ? error : null} />
    `}</${AsyncView}>
  </aside>`;
}

/** The list's filters, as the API and the URL name them. */
const THREAT_FILTERS = ['severity', 'threat_type', 'status', 'client_ip', 'route_id', 'from', 'to'];

export function Threats({ path, canEdit }) {
  const selected = path.split('/')[1] || null;
  // The applied filters live in the URL (reload, back/forward and links
  // from the overview's posture panel keep them); the form is a draft.
  const [query, setQuery] = useQuery();
  const applied = Object.fromEntries(THREAT_FILTERS.map((k) => [k, query[k] || '']));
  const appliedKey = JSON.stringify(applied);
  const draftOf = (a) => ({ ...a, from: toLocalInput(a.from), to: toLocalInput(a.to) });
  const [f, setF] = useState(() => draftOf(applied));
  useEffect(() => { setF(draftOf(applied)); }, [appliedKey]);
  const setApplied = (n) => setQuery({ ...n, threat_type: n.threat_type.trim(), client_ip: n.client_ip.trim(), from: fromLocalInput(n.from), to: fromLocalInput(n.to) });
  const [live, setLive] = useState(true);
  const list = useAsync(() => api.get('/api/v1/threats', { ...applied, limit: 100 }), [appliedKey], { poll: live ? POLL_MS : 0 });
  const set = (k) => (v) => setF({ ...f, [k]: v });
  const submit = (e) => { e.preventDefault(); setApplied(f); };
  const fe = list.error?.fields || {};
  const select = (k, options) => (a) => html`<select ...${a} value=${f[k]} onChange=${(e) => { const n = { ...f, [k]: e.target.value }; setF(n); setApplied(n); }}>
    ${options.map((o) => html`<option value=${o}>${o || 'any'}</option>`)}</select>`;
  return html`<section aria-labelledby="page-title">
    <div class="toolbar"><h1 id="page-title">Threats</h1>
      <label class="check"><input type="checkbox" checked=${live} onChange=${(e) => setLive(e.target.checked)} /> Live (every ${POLL_MS / 1000} s)</label></div>
    <form class="filters" onSubmit=${submit} aria-label="Threat filters">
      <${Field} label="Severity" name="severity">${select('severity', SEVERITIES)}</${Field}>
      <${Field} label="Status" name="status">${select('status', STATUSES)}</${Field}>
      <${Field} label="Type" name="threat_type" value=${f.threat_type} onInput=${set('threat_type')} error=${fe.threat_type} placeholder="e.g. scanner" />
      <${Field} label="Client IP or CIDR" name="client_ip" value=${f.client_ip} onInput=${set('client_ip')} error=${fe.client_ip} placeholder="10.0.0.0/8" />
      <${Field} label="From" name="from" type="datetime-local" value=${f.from} onInput=${set('from')} error=${fe.from} />
      <${Field} label="To" name="to" type="datetime-local" value=${f.to} onInput=${set('to')} error=${fe.to} />
      <button type="submit">Apply filters</button>
    </form>
    ${list.error && Object.keys(fe).length ? html`<p class="state error" role="alert">Fix the marked filter.</p>` : null}
    ${list.data && list.data.total != null ? html`<p class="total" role="status" data-total=${list.data.total}><strong>${fmtNum(list.data.total)}${list.data.total_capped ? '+' : ''}</strong> threat event${list.data.total === 1 ? '' : 's'} match${list.data.total === 1 ? 'es' : ''}${applied.route_id ? html` (route <${CopyId} id=${applied.route_id} label="route filter" />)` : ''}</p>` : null}
    <div class=${selected ? 'split' : ''}>
      <div>
        ${list.error && list.data ? html`<${ErrorBox} error=${list.error} />` : null}
        <${AsyncView} state=${Object.keys(fe).length ? { ...list, error: null, data: list.data || { items: [] } } : list}
          empty="No threats match these filters. New ones appear here within seconds of a gateway reporting them.">${(page) => html`
          <div class="table-scroll" role="region" aria-label="Threat events (scrollable)" tabindex="0"><table class="data" aria-label="Threat events">
            <thead><tr><th scope="col">Detected</th><th scope="col">Severity</th><th scope="col">Type</th><th scope="col">Client IP</th><th scope="col">Request</th><th scope="col">Status</th></tr></thead>
            <tbody>${page.items.map((t) => html`<tr class=${`clickable${t.id === selected ? ' selected' : ''}`} data-id=${t.id}
                onClick=${() => navigate(`threats/${t.id}${window.location.search}`)}>
              <td><${Link} to=${`threats/${t.id}${window.location.search}`} onClick=${(e) => e.stopPropagation()}>${fmtTime(t.detected_at)}</${Link}></td>
              <td><${Badge} kind=${t.severity}>${t.severity}</${Badge}></td>
              <td>${t.threat_type}</td>
              <td class="mono">${t.client_ip}</td>
              <td class="mono">${t.method || ''} ${t.path || ''}</td>
              <td><${Badge} kind=${t.status}>${t.status}</${Badge}></td>
            </tr>`)}</tbody>
          </table></div>
          ${page.next_cursor ? html`<p class="muted">Showing the newest 100; narrow the filters to see older ones.</p>` : null}`}
        </${AsyncView}>
      </div>
      ${selected ? html`<${Detail} id=${selected} canEdit=${canEdit} onChanged=${list.refresh} />` : null}
    </div>
  </section>`;
}
