// TLS sessions: handshakes reported by the gateways, refused ones with the
// reason the gateway gave, filterable by key-exchange group, PQC or
// classical, outcome, protocol, cipher suite, SNI, client IP/CIDR, gateway
// and time; grouped by client, key-exchange group or SNI (counted by the
// API over every matching session, not the page on screen); exported as CSV
// with the same filter. Filters, grouping and page live in the URL
// (?outcome=failed&group=sni&pages=…), so a reload or a shared link shows
// the same list.
import { html, useState, useEffect } from '../lib.js';
import {
  useAsync, useQuery, AsyncView, Badge, fmtTime, fmtNum, fmtPct, Field, ErrorBox, toLocalInput, fromLocalInput, saveBlob,
} from '../lib.js';
import * as api from '../api.js';

/** The filters, as the API names them (and the URL keeps them). */
const FILTERS = ['kx_group', 'pqc', 'protocol_version', 'cipher_suite', 'sni', 'client_ip', 'gateway_id', 'outcome', 'failure_reason', 'route_id', 'policy', 'client_family', 'from', 'to'];

/** Grouping keys of GET /api/v1/tls-sessions/groups: [column title, name in a sentence]. */
const GROUPS = { client_ip: ['Client', 'client'], kx_group: ['Key-exchange group', 'key-exchange group'], sni: ['SNI', 'SNI'] };

/** Rows of one CSV export (MAX_EXPORT_ROWS in control-plane/src/routes/tls_sessions.rs). */
const MAX_EXPORT_ROWS = 100_000;

const PAGE_SIZE = 50;

/** The applied filter from the URL (from/to as ISO times). */
function appliedOf(q) {
  return Object.fromEntries(FILTERS.map((k) => [k, q[k] || '']));
}

/** The form's draft of a filter (from/to as datetime-local values). */
function draftOf(applied) {
  return { ...applied, from: toLocalInput(applied.from), to: toLocalInput(applied.to) };
}

/** The API query of a filter: trimmed, empty ones left out by api.get. */
function apiQuery(applied) {
  return Object.fromEntries(FILTERS.map((k) => [k, applied[k].trim()]));
}

/** The groups answer (its own `by`, so a table never mixes keys while the next grouping loads). */
function Groups({ data, onPick }) {
  const by = data.by;
  const [title, name] = GROUPS[by];
  return html`<div class="table-scroll" role="region" aria-label=${`Sessions by ${name} (scrollable)`} tabindex="0">
    <table class="data" aria-label=${`TLS sessions by ${name}`}>
      <thead><tr><th scope="col">${title}</th><th scope="col">Sessions</th><th scope="col">Established</th><th scope="col">Post-quantum</th><th scope="col">Refused</th><th scope="col">PQC share</th><th scope="col">Last seen</th></tr></thead>
      <tbody>${data.groups.map((g) => html`<tr data-key=${g.key ?? ''}>
        <th scope="row" class="mono">${g.key === null
          ? html`<span class="muted">${by === 'kx_group' ? 'none (refused before key exchange)' : 'none sent'}</span>`
          : html`<button type="button" class="link" aria-label=${`Show the sessions of ${g.key}`} onClick=${() => onPick(g.key)}>${g.key}</button>`}</th>
        <td>${fmtNum(g.sessions)}</td>
        <td>${fmtNum(g.established)}</td>
        <td>${fmtNum(g.pqc)}</td>
        <td>${fmtNum(g.failed)}</td>
        <td>${g.established ? html`${fmtPct(g.pqc / g.established)} <small class="muted">of ${fmtNum(g.established)}</small>` : '—'}</td>
        <td>${fmtTime(g.last_seen)}</td>
      </tr>`)}</tbody>
    </table>
  </div>
  ${data.total_groups > data.groups.length ? html`<p class="muted"><small>The ${data.groups.length} ${name} values with the most sessions of ${fmtNum(data.total_groups)}; narrow the filter to see the others.</small></p>` : null}`;
}

function Sessions({ page }) {
  return html`<div class="table-scroll" role="region" aria-label="TLS session list (scrollable)" tabindex="0">
    <table class="data" aria-label="TLS sessions">
      <thead><tr><th scope="col">Established</th><th scope="col">Client</th><th scope="col">SNI</th><th scope="col">Protocol</th><th scope="col">Cipher suite</th><th scope="col">Group</th><th scope="col">PQC</th><th scope="col">Certificate</th><th scope="col">Outcome</th><th scope="col">Failure reason</th><th scope="col">Resumed</th><th scope="col">Handshake</th></tr></thead>
      <tbody>${page.items.map((s) => html`<tr>
        <td class="nowrap">${fmtTime(s.established_at)}</td>
        <td class="mono">${s.client_ip}</td>
        <td class="mono">${s.sni || '—'}</td>
        <td>${s.protocol_version || '—'}</td>
        <td class="mono">${s.cipher_suite || '—'}</td>
        <td class="mono">${s.kx_group || '—'}</td>
        <td>${s.outcome === 'failed' ? '—' : s.pqc ? html`<${Badge} kind="ok">PQC</${Badge}>` : html`<${Badge} kind="medium">classical</${Badge}>`}</td>
        <td class="mono cert" title=${s.offered_sig_algs ? `client offered: ${s.offered_sig_algs.join(', ')}` : ''}>${s.cert_algorithm || '—'}</td>
        <td class="outcome" data-outcome=${s.outcome}>${s.outcome === 'failed' ? html`<${Badge} kind="off">refused</${Badge}>` : 'established'}</td>
        <td class="reason">${s.outcome === 'failed' ? (s.failure_reason || html`<span class="muted">none recorded</span>`) : '—'}</td>
        <td>${s.resumed ? 'yes' : 'no'}</td>
        <td>${s.handshake_duration_us != null ? `${(s.handshake_duration_us / 1000).toFixed(1)} ms` : '—'}</td>
      </tr>`)}</tbody>
    </table>
  </div>`;
}

export function TlsSessions() {
  const [query, setQuery] = useQuery();
  const applied = appliedOf(query);
  const appliedKey = JSON.stringify(applied);
  const group = GROUPS[query.group] ? query.group : '';
  // Cursors of the pages after the first, oldest last: Newer drops one.
  const cursors = (query.pages || '').split(',').filter(Boolean);
  const cursor = cursors[cursors.length - 1];
  const [f, setF] = useState(() => draftOf(applied));
  // Back/forward or a link changes the URL: the form follows.
  useEffect(() => { setF(draftOf(applied)); }, [appliedKey]);
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState(null);

  const known = useAsync(() => api.get('/api/v1/tls-sessions/stats', { bucket: 'day', from: new Date(Date.now() - 30 * 86400e3).toISOString() }), []);
  const list = useAsync(() => (group ? Promise.resolve(null)
    : api.get('/api/v1/tls-sessions', { ...apiQuery(applied), limit: PAGE_SIZE, cursor })), [appliedKey, cursor, group]);
  const grouped = useAsync(() => (group ? api.get('/api/v1/tls-sessions/groups', { ...apiQuery(applied), by: group, limit: 100 })
    : Promise.resolve(null)), [appliedKey, group]);
  const current = group ? grouped : list;

  /** Applies a filter: into the URL, back to the first page. */
  const apply = (draft) => {
    const patch = { ...draft, from: fromLocalInput(draft.from), to: fromLocalInput(draft.to), pages: '' };
    for (const k of ['kx_group', 'cipher_suite', 'sni', 'client_ip', 'gateway_id', 'failure_reason', 'route_id', 'client_family']) patch[k] = (patch[k] || '').trim();
    setQuery(patch);
  };
  const set = (k) => (v) => setF({ ...f, [k]: v });
  const pick = (k) => (e) => { const n = { ...f, [k]: e.target.value }; setF(n); apply(n); };
  const clear = () => { const n = draftOf(appliedOf({})); setF(n); apply(n); };
  const fe = current.error?.fields || {};
  const knownGroups = (known.data?.by_group || []).map((g) => g.kx_group).filter(Boolean);
  const total = group ? grouped.data?.total_sessions : list.data?.total;
  const capped = !group && list.data?.total_capped;

  const exportCsv = async () => {
    setExporting(true);
    setExportError(null);
    try {
      const { blob } = await api.download('/api/v1/tls-sessions/export.csv', apiQuery(applied));
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
      saveBlob(blob, `tls-sessions-${stamp}.csv`);
    } catch (err) {
      setExportError(err);
    } finally {
      setExporting(false);
    }
  };

  return html`<section aria-labelledby="page-title">
    <h1 id="page-title">TLS sessions</h1>
    <form class="filters" aria-label="TLS session filters" onSubmit=${(e) => { e.preventDefault(); apply(f); }}>
      <${Field} label="Key-exchange group" name="kx_group" value=${f.kx_group} onInput=${set('kx_group')} error=${fe.kx_group} list="kx-groups" placeholder="X25519MLKEM768" />
      <datalist id="kx-groups">${knownGroups.map((g) => html`<option value=${g}></option>`)}</datalist>
      <${Field} label="Key exchange" name="pqc" error=${fe.pqc}>${(a) => html`<select ...${a} value=${f.pqc} onChange=${pick('pqc')}>
        <option value="">any</option><option value="true">post-quantum</option><option value="false">classical</option></select>`}</${Field}>
      <${Field} label="Protocol" name="protocol_version" error=${fe.protocol_version}>${(a) => html`<select ...${a} value=${f.protocol_version} onChange=${pick('protocol_version')}>
        <option value="">any</option><option value="TLSv1.3">TLSv1.3</option><option value="TLSv1.2">TLSv1.2</option></select>`}</${Field}>
      <${Field} label="Outcome" name="outcome" error=${fe.outcome}>${(a) => html`<select ...${a} value=${f.outcome} onChange=${pick('outcome')}>
        <option value="">any</option><option value="established">established</option><option value="failed">refused or failed</option></select>`}</${Field}>
      <${Field} label="Cipher suite" name="cipher_suite" value=${f.cipher_suite} onInput=${set('cipher_suite')} error=${fe.cipher_suite} list="ciphers" placeholder="TLS13_AES_128_GCM_SHA256" />
      <datalist id="ciphers">${['TLS13_AES_128_GCM_SHA256', 'TLS13_AES_256_GCM_SHA384', 'TLS13_CHACHA20_POLY1305_SHA256'].map((c) => html`<option value=${c}></option>`)}</datalist>
      <${Field} label="Failure reason contains" name="failure_reason" value=${f.failure_reason} onInput=${set('failure_reason')} error=${fe.failure_reason} placeholder="PQC_ONLY" />
      <${Field} label="SNI" name="sni" value=${f.sni} onInput=${set('sni')} error=${fe.sni} placeholder="api.example.com" />
      <${Field} label="Client IP or CIDR" name="client_ip" value=${f.client_ip} onInput=${set('client_ip')} error=${fe.client_ip} />
      <${Field} label="Gateway id" name="gateway_id" value=${f.gateway_id} onInput=${set('gateway_id')} error=${fe.gateway_id} placeholder="gw_…" />
      <${Field} label="Route id" name="route_id" value=${f.route_id} onInput=${set('route_id')} error=${fe.route_id} placeholder="rt_…" />
      <${Field} label="Listener policy" name="policy" error=${fe.policy}>${(a) => html`<select ...${a} value=${f.policy} onChange=${pick('policy')}>
        <option value="">any</option><option value="CNSA2">CNSA2</option><option value="PQC_ONLY">PQC_ONLY</option><option value="PQC_PREFERRED">PQC_PREFERRED</option><option value="CLASSICAL_ALLOWED">CLASSICAL_ALLOWED</option></select>`}</${Field}>
      <${Field} label="Client family" name="client_family" value=${f.client_family} onInput=${set('client_family')} error=${fe.client_family} placeholder="curl, Chrome 131" />
      <${Field} label="From" name="from" type="datetime-local" value=${f.from} onInput=${set('from')} error=${fe.from} />
      <${Field} label="To" name="to" type="datetime-local" value=${f.to} onInput=${set('to')} error=${fe.to} />
      <button type="submit">Apply filters</button>
      <button type="button" onClick=${clear}>Clear</button>
    </form>
    ${Object.keys(fe).length ? html`<p class="state error" role="alert">Fix the marked filter.</p>` : null}
    <div class="toolbar list-bar">
      <p class="total" role="status" data-total=${total ?? ''}>${total === undefined || total === null ? '' : html`<strong>${fmtNum(total)}${capped ? '+' : ''}</strong> session${total === 1 ? '' : 's'} match${total === 1 ? 'es' : ''}`}</p>
      <div class="field inline">
        <label for="group-by">Group by</label>
        <select id="group-by" value=${group} onChange=${(e) => setQuery({ group: e.target.value, pages: '' })}>
          <option value="">none (list sessions)</option>
          <option value="client_ip">client</option><option value="kx_group">key-exchange group</option><option value="sni">SNI</option>
        </select>
      </div>
      <button type="button" onClick=${exportCsv} disabled=${exporting} aria-describedby="export-hint">${exporting ? 'Exporting…' : 'Download CSV'}</button>
      <small id="export-hint" class="hint">CSV of every session the filter selects${total > MAX_EXPORT_ROWS || capped ? `: the newest ${fmtNum(MAX_EXPORT_ROWS)} only` : ''}</small>
    </div>
    <${ErrorBox} error=${exportError} />
    <${AsyncView} state=${Object.keys(fe).length ? { ...current, error: null, data: group ? { groups: [] } : { items: [] } } : current}
      isEmpty=${(d) => !d || (group ? d.groups.length === 0 : d.items.length === 0)}
      empty="No TLS sessions match. Gateways report every handshake in batches.">${(d) => (group
        ? html`<${Groups} data=${d} onPick=${(key) => setQuery({ [d.by]: key, group: '', pages: '' })} />`
        : html`<${Sessions} page=${d} />
          <div class="pager">
            <span class="muted">Page ${cursors.length + 1}${total ? ` of ${capped ? 'more than ' : ''}${fmtNum(Math.ceil(total / PAGE_SIZE))}` : ''}</span>
            <button type="button" disabled=${cursors.length < 1} onClick=${() => setQuery({ pages: cursors.slice(0, -1).join(',') })}>Newer</button>
            <button type="button" disabled=${!d.next_cursor} onClick=${() => setQuery({ pages: [...cursors, d.next_cursor].join(',') })}>Older</button>
          </div>`)}
    </${AsyncView}>
    ${current.error && current.data ? html`<${ErrorBox} error=${current.error} />` : null}
  </section>`;
}
