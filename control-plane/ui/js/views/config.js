// Routes and upstreams: list + search, create/edit forms showing the API's
// field errors beside the fields, a confirm step for deletes, and
// optimistic-concurrency (If-Match) conflicts explained.
import { html, useState, useMemo, useEffect } from '../lib.js';
import { useAsync, useQuery, AsyncView, ErrorBox, Field, Confirm, Badge, fmtTime, fmtPct, Loading, CopyId, toast } from '../lib.js';
import * as api from '../api.js';

const LB = ['round_robin', 'least_conn', 'weighted'];
const TLS = ['', 'CNSA2', 'PQC_ONLY', 'PQC_PREFERRED', 'CLASSICAL_ALLOWED'];
const INSPECTION = ['async', 'sync', 'off'];
// The route's bot policy (shared::qsgw::BotPolicy).
const BOTS = {
  flag: 'flag (the AI engine\u2019s verdict)',
  block_all: 'block all bots',
  allow_verified: 'allow DNS-verified search crawlers',
};
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
// The operator's declaration of what a route carries (for its
// harvest-now-decrypt-later exposure; control-plane metadata only).
const DATA_CLASSES = ['', 'public', 'internal', 'confidential', 'restricted'];

/** A sentence for a failed save or delete, explaining 409/412. */
function conflictText(err, kind) {
  if (!err) return null;
  if (err.status === 412) {
    return `This ${kind} was changed by someone else after you opened it, so your change was not applied (optimistic concurrency: the version you edited is no longer the current one). Reload it to see the current values, then apply your change again.`;
  }
  if (err.status === 409) {
    return `${err.message} — the ${kind} is still in use or conflicts with another; resolve that first.`;
  }
  return null;
}

function SaveError({ error, kind, onReload }) {
  if (!error) return null;
  const text = conflictText(error, kind);
  if (text) {
    return html`<div class="state error conflict" role="alert">
      <strong>${error.status === 412 ? 'Edit conflict' : 'Conflict'}</strong> <span>${text}</span>
      ${error.status === 412 && onReload ? html` <button type="button" class="link" onClick=${onReload}>Reload</button>` : null}
    </div>`;
  }
  const fields = Object.keys(error.fields || {});
  if (fields.length) {
    return html`<div class="state error" role="alert"><strong>Please fix the marked fields.</strong> <span>${fields.length} field${fields.length > 1 ? 's' : ''} rejected by the API.</span></div>`;
  }
  return html`<${ErrorBox} error=${error} />`;
}

function Toolbar({ title, search, setSearch, onNew, canEdit, newLabel }) {
  return html`<div class="toolbar">
    <h1>${title}</h1>
    <div class="field inline">
      <label for="search">Search</label>
      <input id="search" type="search" value=${search} onInput=${(e) => setSearch(e.target.value)} placeholder="name, host, path, id…" />
    </div>
    ${canEdit ? html`<button type="button" class="primary" onClick=${onNew}>${newLabel}</button>` : null}
  </div>`;
}

function matches(obj, q) {
  if (!q) return true;
  return JSON.stringify(obj).toLowerCase().includes(q.toLowerCase());
}

// ------------------------------------------------------------- upstreams

function emptyUpstream() {
  return { name: '', description: '', lb_policy: 'round_robin', targets: [{ host: '', port: '', weight: '' }], hc_enabled: true, hc_path: '/health', ...tlsToForm(null) };
}

/** The upstream's TLS block as form fields (all strings/booleans). */
function tlsToForm(t) {
  return {
    tls_enabled: !!t && t.enabled !== false,
    tls_sni: t?.sni || '',
    tls_ca: t?.ca || '',
    tls_verify: t ? t.verify !== false : true,
    tls_policy: t?.policy || '',
    tls_client_cert_path: t?.client_cert_path || '',
    tls_client_key_path: t?.client_key_path || '',
  };
}

/** The form's TLS fields as the API's block (null: plain HTTP). */
function formToTls(f) {
  if (!f.tls_enabled) return null;
  const opt = (v) => (v && v.trim() ? v.trim() : null);
  return {
    enabled: true,
    sni: opt(f.tls_sni),
    ca: f.tls_ca && f.tls_ca.trim() ? f.tls_ca : null,
    verify: f.tls_verify,
    policy: opt(f.tls_policy),
    client_cert_path: opt(f.tls_client_cert_path),
    client_key_path: opt(f.tls_client_key_path),
  };
}

function upstreamToForm(u) {
  return {
    name: u.name,
    description: u.description || '',
    lb_policy: u.lb_policy,
    targets: (u.targets || []).map((t) => ({ host: t.host, port: String(t.port), weight: t.weight == null ? '' : String(t.weight) })),
    hc_enabled: u.health_check?.enabled ?? true,
    hc_path: u.health_check?.path || '/health',
    ...tlsToForm(u.tls),
    // Settings the form does not show are sent back as they were, so
    // saving never resets them.
    keep: { pool_size: u.pool_size ?? null, connect_timeout_ms: u.connect_timeout_ms, request_timeout_ms: u.request_timeout_ms ?? null, ejection: u.ejection },
    keep_hc: u.health_check ? { interval_ms: u.health_check.interval_ms, timeout_ms: u.health_check.timeout_ms, expected_status: u.health_check.expected_status, healthy_threshold: u.health_check.healthy_threshold, unhealthy_threshold: u.health_check.unhealthy_threshold } : {},
  };
}

function formToUpstream(f) {
  const num = (v) => (v === '' || v === null || v === undefined ? undefined : Number(v));
  return {
    name: f.name,
    description: f.description || null,
    lb_policy: f.lb_policy,
    targets: f.targets.map((t) => ({ host: t.host, port: num(t.port) ?? 0, ...(t.weight !== '' ? { weight: num(t.weight) } : {}) })),
    health_check: { ...(f.keep_hc || {}), enabled: f.hc_enabled, path: f.hc_path },
    ...(f.keep ? Object.fromEntries(Object.entries(f.keep).filter(([, v]) => v !== undefined)) : {}),
    tls: formToTls(f),
  };
}

function UpstreamForm({ initial, etag, id, onDone, onCancel, onReload }) {
  const [f, setF] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const fe = error?.fields || {};
  const set = (k) => (v) => setF({ ...f, [k]: v });
  const setTarget = (i, k) => (v) => setF({ ...f, targets: f.targets.map((t, j) => (j === i ? { ...t, [k]: v } : t)) });
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = formToUpstream(f);
      if (id) await api.request('PUT', `/api/v1/upstreams/${id}`, body, { ifMatch: etag });
      else await api.request('POST', '/api/v1/upstreams', body);
      toast(`Upstream ${body.name} ${id ? 'saved' : 'created'}`);
      onDone();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return html`<form class="card form" onSubmit=${submit} aria-labelledby="ups-form-title" novalidate>
    <h2 id="ups-form-title">${id ? `Edit upstream ${initial.name}` : 'New upstream'}</h2>
    <div class="grid2">
      <${Field} label="Name" name="name" required value=${f.name} onInput=${set('name')} error=${fe.name} />
      <${Field} label="Load balancing" name="lb_policy" error=${fe.lb_policy}>${(a) => html`
        <select ...${a} value=${f.lb_policy} onChange=${(e) => set('lb_policy')(e.target.value)}>
          ${LB.map((p) => html`<option value=${p}>${p}</option>`)}</select>`}</${Field}>
    </div>
    <${Field} label="Description" name="description" value=${f.description} onInput=${set('description')} error=${fe.description} />
    <fieldset>
      <legend>Targets</legend>
      ${fe.targets ? html`<span class="field-error" role="alert">${fe.targets}</span>` : null}
      ${f.targets.map((t, i) => html`<div class="target-row">
        <${Field} label=${`Host ${i + 1}`} name=${`targets[${i}].host`} required value=${t.host} onInput=${setTarget(i, 'host')} error=${fe[`targets[${i}].host`]} />
        <${Field} label=${`Port ${i + 1}`} name=${`targets[${i}].port`} type="number" required value=${t.port} onInput=${setTarget(i, 'port')} error=${fe[`targets[${i}].port`]} />
        <${Field} label=${`Weight ${i + 1}`} name=${`targets[${i}].weight`} type="number" value=${t.weight} onInput=${setTarget(i, 'weight')} error=${fe[`targets[${i}].weight`]} />
        <button type="button" class="link" aria-label=${`Remove target ${i + 1}`} disabled=${f.targets.length < 2}
          onClick=${() => setF({ ...f, targets: f.targets.filter((_, j) => j !== i) })}>Remove</button>
      </div>`)}
      <button type="button" onClick=${() => setF({ ...f, targets: [...f.targets, { host: '', port: '', weight: '' }] })}>Add target</button>
    </fieldset>
    <div class="grid2">
      <${Field} label="Active health check" name="health_check.enabled" type="checkbox" checked=${f.hc_enabled} onInput=${set('hc_enabled')} error=${fe['health_check.enabled']} />
      <${Field} label="Health check path" name="health_check.path" value=${f.hc_path} onInput=${set('hc_path')} error=${fe['health_check.path']} />
    </div>
    <fieldset>
      <legend>TLS to the targets</legend>
      <${Field} label="Connect to the targets over TLS" name="tls.enabled" type="checkbox" checked=${f.tls_enabled} onInput=${set('tls_enabled')} error=${fe['tls.enabled']} />
      ${f.tls_enabled ? html`<div class="grid2">
        <${Field} label="Server name (SNI)" name="tls.sni" value=${f.tls_sni} onInput=${set('tls_sni')} error=${fe['tls.sni']} hint="Sent and verified; empty: each target's host." />
        <${Field} label="Key-exchange policy" name="tls.policy" error=${fe['tls.policy']}>${(a) => html`
          <select ...${a} value=${f.tls_policy} onChange=${(e) => set('tls_policy')(e.target.value)}>
            ${TLS.map((p) => html`<option value=${p}>${p || 'PQC_PREFERRED (default)'}</option>`)}</select>`}</${Field}>
        <${Field} label="Verify the targets' certificates" name="tls.verify" type="checkbox" checked=${f.tls_verify} onInput=${set('tls_verify')} error=${fe['tls.verify']} hint="Off only for testing: the upstream leg is then not authenticated." />
        <${Field} label="Client certificate file (mTLS)" name="tls.client_cert_path" value=${f.tls_client_cert_path} onInput=${set('tls_client_cert_path')} error=${fe['tls.client_cert_path']} hint="A PEM file on the gateway hosts." />
        <${Field} label="Client key file (mTLS)" name="tls.client_key_path" value=${f.tls_client_key_path} onInput=${set('tls_client_key_path')} error=${fe['tls.client_key_path']} hint="Never sent through the control plane." />
      </div>
      <${Field} label="Trusted CA certificates (PEM)" name="tls.ca" error=${fe['tls.ca']} hint="Empty: Mozilla's root program.">${(a) => html`
        <textarea ...${a} rows="4" value=${f.tls_ca} onInput=${(e) => set('tls_ca')(e.target.value)} placeholder="-----BEGIN CERTIFICATE-----"></textarea>`}</${Field}>` : null}
    </fieldset>
    <${SaveError} error=${error} kind="upstream" onReload=${onReload} />
    <div class="actions">
      <button type="button" onClick=${onCancel} disabled=${busy}>Cancel</button>
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Saving…' : id ? 'Save changes' : 'Create upstream'}</button>
    </div>
  </form>`;
}

async function openForEdit(kind, id) {
  const { data, etag } = await api.request('GET', `/api/v1/${kind}/${id}`, undefined, { raw: true });
  return { data, etag: etag || `"${data.version}"` };
}

function DeleteConfirm({ kind, item, onDone, onCancel }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.request('DELETE', `/api/v1/${kind}s/${item.id}`, undefined, { ifMatch: `"${item.version}"` });
      toast(`Deleted ${kind} ${item.name}`);
      onDone();
    } catch (err) {
      const text = conflictText(err, kind);
      setError(text ? Object.assign(new Error(text), { status: err.status, problem: err.problem }) : err);
      setBusy(false);
    }
  };
  return html`<${Confirm} title=${`Delete ${kind} ${item.name}?`} onConfirm=${go} onCancel=${onCancel} busy=${busy} error=${error}>
    <p>${kind === 'upstream' ? 'Gateways stop sending traffic to its targets once the change is published. An upstream still used by a route cannot be deleted.' : 'Gateways stop matching this route once the change is published.'} This cannot be undone.</p>
  </${Confirm}>`;
}

export function Upstreams({ canEdit }) {
  const list = useAsync(() => api.getAll('/api/v1/upstreams'), []);
  const [search, setSearch] = useState('');
  const [editing, setEditing] = useState(null); // { initial, etag, id } | 'new'
  const [deleting, setDeleting] = useState(null);
  const [opening, setOpening] = useState(null);
  const done = () => { setEditing(null); setDeleting(null); list.reload(); };
  const edit = async (u) => {
    setOpening(null);
    try {
      const { data, etag } = await openForEdit('upstreams', u.id);
      setEditing({ initial: upstreamToForm(data), etag, id: u.id });
    } catch (err) { setOpening(err); }
  };
  return html`<section aria-labelledby="page-title">
    <${Toolbar} title=${html`<span id="page-title">Upstreams</span>`} search=${search} setSearch=${setSearch} canEdit=${canEdit}
      newLabel="New upstream" onNew=${() => setEditing({ initial: emptyUpstream() })} />
    ${editing ? html`<${UpstreamForm} key=${editing.id ? editing.id + editing.etag : 'new'} ...${editing} onDone=${done} onCancel=${() => setEditing(null)}
      onReload=${() => { list.reload(); edit({ id: editing.id }); }} />` : null}
    <${ErrorBox} error=${opening} />
    <${AsyncView} state=${list} empty=${canEdit ? 'No upstreams yet. Create one to route traffic to your services.' : 'No upstreams yet.'}>${(items) => {
      const shown = items.filter((u) => matches(u, search));
      return html`<div class="table-scroll" role="region" aria-label="Upstreams (scrollable)" tabindex="0"><table class="data" aria-label="Upstreams">
        <thead><tr><th scope="col">Name</th><th scope="col">Targets</th><th scope="col">Policy</th><th scope="col">TLS</th><th scope="col">Health check</th><th scope="col">Version</th><th scope="col">Updated</th>${canEdit ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : null}</tr></thead>
        <tbody>${shown.map((u) => html`<tr data-id=${u.id}>
          <td><strong>${u.name}</strong><br /><${CopyId} id=${u.id} label=${`upstream ${u.name}`} /></td>
          <td>${(u.targets || []).map((t) => html`<div class="mono">${t.host}:${t.port}${t.weight != null ? ` ×${t.weight}` : ''}</div>`)}</td>
          <td>${u.lb_policy}</td>
          <td class="tls">${u.tls && u.tls.enabled !== false
            ? html`<${Badge} kind=${u.tls.verify === false ? 'medium' : 'ok'}>TLS ${u.tls.policy || 'PQC_PREFERRED'}</${Badge}>${u.tls.verify === false ? html` <small>not verified</small>` : null}${u.tls.client_cert_path ? html` <small>mTLS</small>` : null}`
            : html`<span class="muted">plain HTTP</span>`}</td>
          <td>${u.health_check?.enabled ? u.health_check.path : 'off'}</td>
          <td>${u.version}</td>
          <td>${fmtTime(u.updated_at)}</td>
          ${canEdit ? html`<td class="row-actions">
            <button type="button" onClick=${() => edit(u)} aria-label=${`Edit upstream ${u.name}`}>Edit</button>
            <button type="button" class="danger" onClick=${() => setDeleting(u)} aria-label=${`Delete upstream ${u.name}`}>Delete</button></td>` : null}
        </tr>`)}
        ${shown.length === 0 ? html`<tr><td colspan="8" class="empty">No upstream matches “${search}”.</td></tr>` : null}
        </tbody></table></div>`;
    }}</${AsyncView}>
    ${deleting ? html`<${DeleteConfirm} kind="upstream" item=${deleting} onDone=${done} onCancel=${() => setDeleting(null)} />` : null}
  </section>`;
}

// ---------------------------------------------------------------- routes

function emptyRoute(upstreams) {
  return {
    name: '', host: '', path: '/', path_match: 'prefix', methods: [], upstream_id: upstreams[0]?.id || '',
    strip_prefix: false, timeout_ms: '', retries: '1', tls_policy: '', inspection: 'async', bots: 'flag', client_cert_required: false, enabled: true, rps: '', burst: '',
    shelf_life: '', data_class: '',
  };
}

function routeToForm(r) {
  return {
    name: r.name, host: r.host || '', path: r.path, path_match: r.path_match, methods: r.methods || [],
    upstream_id: r.upstream_id, strip_prefix: !!r.strip_prefix, timeout_ms: r.timeout_ms == null ? '' : String(r.timeout_ms),
    retries: String(r.retries ?? 1), tls_policy: r.tls_policy || '', inspection: r.inspection || 'async', bots: r.bots || 'flag', client_cert_required: !!r.client_cert_required, enabled: r.enabled !== false,
    rps: r.rate_limit ? String(r.rate_limit.rps) : '', burst: r.rate_limit ? String(r.rate_limit.burst) : '',
    shelf_life: r.data_shelf_life_years == null ? '' : String(r.data_shelf_life_years), data_class: r.data_class || '',
  };
}

function formToRoute(f) {
  const num = (v) => (v === '' ? undefined : Number(v));
  const body = {
    name: f.name, host: f.host.trim() || null, path: f.path, path_match: f.path_match, methods: f.methods,
    upstream_id: f.upstream_id, strip_prefix: f.strip_prefix, retries: num(f.retries), inspection: f.inspection, bots: f.bots, client_cert_required: !!f.client_cert_required, enabled: f.enabled,
  };
  if (f.timeout_ms !== '') body.timeout_ms = num(f.timeout_ms);
  if (f.tls_policy) body.tls_policy = f.tls_policy;
  if (f.rps !== '' || f.burst !== '') body.rate_limit = { rps: num(f.rps) ?? 0, burst: num(f.burst) ?? 0 };
  // Sent as typed so the API names a bad value (a non-number stays text).
  const shelf = f.shelf_life.trim();
  body.data_shelf_life_years = shelf === '' ? null : (Number.isNaN(Number(shelf)) ? shelf : Number(shelf));
  body.data_class = f.data_class || null;
  return body;
}

/**
 * The PQC_ONLY (and CNSA 2.0) dry run beside a route's policy control:
 * from the ClientHellos the gateways recorded for this route over the last
 * 7 days, how many sessions and clients offered no acceptable group and
 * would be refused, and which client families they are.
 */
function PqcImpact({ routeId }) {
  const q = useAsync(() => Promise.all(['PQC_ONLY', 'CNSA2'].map((mode) => api.get(`/api/v1/routes/${routeId}/pqc-only-impact`, { mode }))), [routeId]);
  if (q.error) return html`<${ErrorBox} error=${q.error} onRetry=${q.reload} />`;
  if (!q.data) return html`<p class="muted"><small>Dry run: loading…</small></p>`;
  const line = (d, what) => (d.sessions
    ? html`<li data-impact=${d.mode}><strong>${what}</strong> would refuse ${d.would_refuse_sessions} of ${d.sessions} sessions (${fmtPct(d.session_share)}) from ${d.would_refuse_clients} of ${d.clients} clients${d.requests ? `, carrying ${d.would_refuse_requests} of ${d.requests} requests (${fmtPct(d.request_share)})` : ''}${d.by_client_family.length ? html`: ${d.by_client_family.slice(0, 3).map((r) => `${r.client_family || 'no request'} (${r.sessions})`).join(', ')}` : ''}.</li>`
    : html`<li data-impact=${d.mode}><strong>${what}</strong>: no recorded sessions on this route yet.</li>`);
  return html`<div class="dry-run" aria-label="PQC-only dry run">
    <p class="muted"><small>Dry run over the last 7 days of recorded handshakes:</small></p>
    <ul class="plain">${line(q.data[0], 'PQC_ONLY')}${line(q.data[1], 'CNSA 2.0 (ML-KEM-1024)')}</ul>
  </div>`;
}

function RouteForm({ initial, etag, id, upstreams, onDone, onCancel, onReload }) {
  const [f, setF] = useState(initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const fe = error?.fields || {};
  const set = (k) => (v) => setF({ ...f, [k]: v });
  const toggleMethod = (m) => setF({ ...f, methods: f.methods.includes(m) ? f.methods.filter((x) => x !== m) : [...f.methods, m] });
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = formToRoute(f);
      if (id) await api.request('PUT', `/api/v1/routes/${id}`, body, { ifMatch: etag });
      else await api.request('POST', '/api/v1/routes', body);
      toast(`Route ${body.name} ${id ? 'saved' : 'created'}`);
      onDone();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  const methodErr = Object.entries(fe).find(([k]) => k.startsWith('methods'));
  return html`<form class="card form" onSubmit=${submit} aria-labelledby="route-form-title" novalidate>
    <h2 id="route-form-title">${id ? `Edit route ${initial.name}` : 'New route'}</h2>
    <div class="grid2">
      <${Field} label="Name" name="name" required value=${f.name} onInput=${set('name')} error=${fe.name} />
      <${Field} label="Upstream" name="upstream_id" required error=${fe.upstream_id}>${(a) => html`
        <select ...${a} value=${f.upstream_id} onChange=${(e) => set('upstream_id')(e.target.value)}>
          <option value="">— choose —</option>
          ${upstreams.map((u) => html`<option value=${u.id}>${u.name}</option>`)}</select>`}</${Field}>
      <${Field} label="Host" name="host" value=${f.host} onInput=${set('host')} error=${fe.host} hint="Empty matches any host; *.example.com allowed." />
      <${Field} label="Path" name="path" required value=${f.path} onInput=${set('path')} error=${fe.path} hint="Starts with /." />
      <${Field} label="Path match" name="path_match" error=${fe.path_match}>${(a) => html`
        <select ...${a} value=${f.path_match} onChange=${(e) => set('path_match')(e.target.value)}>
          <option value="prefix">prefix</option><option value="exact">exact</option></select>`}</${Field}>
      <${Field} label="TLS policy" name="tls_policy" error=${fe.tls_policy}>${(a) => html`
        <select ...${a} value=${f.tls_policy} onChange=${(e) => set('tls_policy')(e.target.value)}>
          ${TLS.map((p) => html`<option value=${p}>${p || 'gateway default'}</option>`)}</select>`}</${Field}>
      ${id ? html`<${PqcImpact} routeId=${id} />` : null}
      <${Field} label="Inspection" name="inspection" error=${fe.inspection}>${(a) => html`
        <select ...${a} value=${f.inspection} onChange=${(e) => set('inspection')(e.target.value)}>
          ${INSPECTION.map((p) => html`<option value=${p}>${p}</option>`)}</select>`}</${Field}>
      <${Field} label="Bots" name="bots" error=${fe.bots}>${(a) => html`
        <select ...${a} value=${f.bots} onChange=${(e) => set('bots')(e.target.value)}>
          ${Object.entries(BOTS).map(([v, l]) => html`<option value=${v}>${l}</option>`)}</select>`}</${Field}>
      <${Field} label="Require a client certificate (mTLS)" name="client_cert_required" type="checkbox" checked=${f.client_cert_required} onInput=${set('client_cert_required')} error=${fe.client_cert_required} hint="The gateway must ask for one: QSGW_TLS_CLIENT_AUTH=optional or required." />
      <${Field} label="Timeout (ms)" name="timeout_ms" type="number" value=${f.timeout_ms} onInput=${set('timeout_ms')} error=${fe.timeout_ms} />
      <${Field} label="Retries" name="retries" type="number" value=${f.retries} onInput=${set('retries')} error=${fe.retries} />
      <${Field} label="Rate limit (requests/s)" name="rate_limit.rps" type="number" value=${f.rps} onInput=${set('rps')} error=${fe['rate_limit.rps'] || fe.rate_limit} />
      <${Field} label="Rate limit burst" name="rate_limit.burst" type="number" value=${f.burst} onInput=${set('burst')} error=${fe['rate_limit.burst']} />
    </div>
    <fieldset class=${methodErr ? 'has-error' : ''} data-field="methods">
      <legend>Methods (none = any)</legend>
      ${METHODS.map((m) => html`<label class="check"><input type="checkbox" checked=${f.methods.includes(m)} onChange=${() => toggleMethod(m)} /> ${m}</label>`)}
      ${methodErr ? html`<span class="field-error" role="alert">${methodErr[1]}</span>` : null}
    </fieldset>
    <fieldset data-field="declaration">
      <legend>Data carried (for the quantum exposure)</legend>
      <div class="grid2">
        <${Field} label="Data shelf life (years)" name="data_shelf_life_years" type="number" min="0" max="100" step="any" value=${f.shelf_life}
          onInput=${set('shelf_life')} error=${fe.data_shelf_life_years} hint="How long this traffic must stay confidential, 0 to 100 years; empty: not declared (the ML engine's default is used)." />
        <${Field} label="Data class" name="data_class" error=${fe.data_class}>${(a) => html`
          <select ...${a} value=${f.data_class} onChange=${(e) => set('data_class')(e.target.value)}>
            ${DATA_CLASSES.map((c) => html`<option value=${c}>${c || 'not declared'}</option>`)}</select>`}</${Field}>
      </div>
    </fieldset>
    <div class="grid2">
      <${Field} label="Strip matched prefix" name="strip_prefix" type="checkbox" checked=${f.strip_prefix} onInput=${set('strip_prefix')} error=${fe.strip_prefix} />
      <${Field} label="Enabled" name="enabled" type="checkbox" checked=${f.enabled} onInput=${set('enabled')} error=${fe.enabled} />
    </div>
    <${SaveError} error=${error} kind="route" onReload=${onReload} />
    <div class="actions">
      <button type="button" onClick=${onCancel} disabled=${busy}>Cancel</button>
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Saving…' : id ? 'Save changes' : 'Create route'}</button>
    </div>
  </form>`;
}

export function Routes({ canEdit }) {
  const list = useAsync(async () => {
    const [routes, upstreams] = await Promise.all([api.getAll('/api/v1/routes'), api.getAll('/api/v1/upstreams')]);
    return { routes, upstreams };
  }, []);
  const [search, setSearch] = useState('');
  const [editing, setEditing] = useState(null);
  const [deleting, setDeleting] = useState(null);
  const [opening, setOpening] = useState(null);
  const [query, setQuery] = useQuery();
  const upstreams = list.data?.upstreams || [];
  const byId = useMemo(() => Object.fromEntries(upstreams.map((u) => [u.id, u])), [upstreams]);
  // ?edit=rt_… (the Exposure view's links) opens that route's form.
  const closeEdit = () => { setEditing(null); if (query.edit) setQuery({ edit: '' }, { replace: true }); };
  const done = () => { closeEdit(); setDeleting(null); list.reload(); };
  const edit = async (r) => {
    setOpening(null);
    try {
      const { data, etag } = await openForEdit('routes', r.id);
      setEditing({ initial: routeToForm(data), etag, id: r.id });
    } catch (err) { setOpening(err); }
  };
  useEffect(() => {
    if (canEdit && query.edit && list.data && editing?.id !== query.edit) edit({ id: query.edit });
  }, [query.edit, !!list.data]);
  return html`<section aria-labelledby="page-title">
    <${Toolbar} title=${html`<span id="page-title">Routes</span>`} search=${search} setSearch=${setSearch} canEdit=${canEdit}
      newLabel="New route" onNew=${() => setEditing({ initial: emptyRoute(upstreams) })} />
    ${editing ? html`<${RouteForm} key=${editing.id ? editing.id + editing.etag : 'new'} ...${editing} upstreams=${upstreams} onDone=${done} onCancel=${closeEdit}
      onReload=${() => { list.reload(); edit({ id: editing.id }); }} />` : null}
    <${ErrorBox} error=${opening} />
    <${AsyncView} state=${list} isEmpty=${(d) => d.routes.length === 0}
      empty=${canEdit ? (upstreams.length ? 'No routes yet. Create one to publish a path on the gateways.' : 'No routes yet. Create an upstream first, then a route to it.') : 'No routes yet.'}>${(d) => {
      const shown = d.routes.filter((r) => matches({ ...r, upstream: byId[r.upstream_id]?.name }, search));
      return html`<div class="table-scroll" role="region" aria-label="Routes (scrollable)" tabindex="0"><table class="data" aria-label="Routes">
        <thead><tr><th scope="col">Name</th><th scope="col">Match</th><th scope="col">Upstream</th><th scope="col">TLS policy</th><th scope="col">Data (shelf life, class)</th><th scope="col">Status</th><th scope="col">Version</th>${canEdit ? html`<th scope="col"><span class="sr-only">Actions</span></th>` : null}</tr></thead>
        <tbody>${shown.map((r) => html`<tr data-id=${r.id}>
          <td><strong>${r.name}</strong><br /><${CopyId} id=${r.id} label=${`route ${r.name}`} /></td>
          <td class="mono">${r.methods?.length ? r.methods.join(',') : 'ANY'} ${r.host || '*'}${r.path}${r.path_match === 'prefix' ? '…' : ''}</td>
          <td>${byId[r.upstream_id]?.name || html`<span class="mono">${r.upstream_id}</span>`}</td>
          <td>${r.tls_policy || 'default'}</td>
          <td data-declaration>${r.data_shelf_life_years == null ? html`<span class="muted">not declared</span>` : `${r.data_shelf_life_years} years`}${r.data_class ? html`<br /><small>${r.data_class}</small>` : null}</td>
          <td>${r.enabled ? html`<${Badge} kind="ok">enabled</${Badge}>` : html`<${Badge} kind="off">disabled</${Badge}>`}</td>
          <td>${r.version}</td>
          ${canEdit ? html`<td class="row-actions">
            <button type="button" onClick=${() => edit(r)} aria-label=${`Edit route ${r.name}`}>Edit</button>
            <button type="button" class="danger" onClick=${() => setDeleting(r)} aria-label=${`Delete route ${r.name}`}>Delete</button></td>` : null}
        </tr>`)}
        ${shown.length === 0 ? html`<tr><td colspan="8" class="empty">No route matches “${search}”.</td></tr>` : null}
        </tbody></table></div>`;
    }}</${AsyncView}>
    ${deleting ? html`<${DeleteConfirm} kind="route" item=${deleting} onDone=${done} onCancel=${() => setDeleting(null)} />` : null}
  </section>`;
}

export { Loading };
