// TLS sessions: handshakes reported by the gateways, refused ones with the
// reason the gateway gave, filterable by key-exchange group, PQC or
// classical, outcome, protocol, cipher suite, client IP/CIDR, gateway and
// time.
import { html, useState } from '../lib.js';
import { useAsync, AsyncView, Badge, fmtTime, Field, ErrorBox } from '../lib.js';
import * as api from '../api.js';

function toIso(local) {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

export function TlsSessions() {
  const blank = { kx_group: '', pqc: '', protocol_version: '', cipher_suite: '', client_ip: '', gateway_id: '', outcome: '', from: '', to: '' };
  const [f, setF] = useState(blank);
  const [applied, setApplied] = useState(blank);
  const [cursors, setCursors] = useState([undefined]); // page stack
  const cursor = cursors[cursors.length - 1];
  const groups = useAsync(() => api.get('/api/v1/tls-sessions/stats', { bucket: 'day', from: new Date(Date.now() - 30 * 86400e3).toISOString() }), []);
  const list = useAsync(() => api.get('/api/v1/tls-sessions', {
    kx_group: applied.kx_group.trim(), pqc: applied.pqc, protocol_version: applied.protocol_version,
    cipher_suite: applied.cipher_suite.trim(), client_ip: applied.client_ip.trim(), gateway_id: applied.gateway_id.trim(),
    outcome: applied.outcome, from: toIso(applied.from), to: toIso(applied.to), limit: 50, cursor,
  }), [JSON.stringify(applied), cursor]);
  const set = (k) => (v) => setF({ ...f, [k]: v });
  const apply = (n) => { setApplied(n); setCursors([undefined]); };
  const fe = list.error?.fields || {};
  const knownGroups = (groups.data?.by_group || []).map((g) => g.kx_group).filter(Boolean);
  return html`<section aria-labelledby="page-title">
    <h1 id="page-title">TLS sessions</h1>
    <form class="filters" aria-label="TLS session filters" onSubmit=${(e) => { e.preventDefault(); apply(f); }}>
      <${Field} label="Key-exchange group" name="kx_group" value=${f.kx_group} onInput=${set('kx_group')} error=${fe.kx_group} list="kx-groups" placeholder="X25519MLKEM768" />
      <datalist id="kx-groups">${knownGroups.map((g) => html`<option value=${g}></option>`)}</datalist>
      <${Field} label="Key exchange" name="pqc">${(a) => html`<select ...${a} value=${f.pqc} onChange=${(e) => { const n = { ...f, pqc: e.target.value }; setF(n); apply(n); }}>
        <option value="">any</option><option value="true">post-quantum</option><option value="false">classical</option></select>`}</${Field}>
      <${Field} label="Protocol" name="protocol_version" error=${fe.protocol_version}>${(a) => html`<select ...${a} value=${f.protocol_version} onChange=${(e) => { const n = { ...f, protocol_version: e.target.value }; setF(n); apply(n); }}>
        <option value="">any</option><option value="TLSv1.3">TLSv1.3</option><option value="TLSv1.2">TLSv1.2</option></select>`}</${Field}>
      <${Field} label="Outcome" name="outcome" error=${fe.outcome}>${(a) => html`<select ...${a} value=${f.outcome} onChange=${(e) => { const n = { ...f, outcome: e.target.value }; setF(n); apply(n); }}>
        <option value="">any</option><option value="established">established</option><option value="failed">refused or failed</option></select>`}</${Field}>
      <${Field} label="Cipher suite" name="cipher_suite" value=${f.cipher_suite} onInput=${set('cipher_suite')} error=${fe.cipher_suite} list="ciphers" placeholder="TLS13_AES_128_GCM_SHA256" />
      <datalist id="ciphers">${['TLS13_AES_128_GCM_SHA256', 'TLS13_AES_256_GCM_SHA384', 'TLS13_CHACHA20_POLY1305_SHA256'].map((c) => html`<option value=${c}></option>`)}</datalist>
      <${Field} label="Client IP or CIDR" name="client_ip" value=${f.client_ip} onInput=${set('client_ip')} error=${fe.client_ip} />
      <${Field} label="Gateway id" name="gateway_id" value=${f.gateway_id} onInput=${set('gateway_id')} error=${fe.gateway_id} placeholder="gw_…" />
      <${Field} label="From" name="from" type="datetime-local" value=${f.from} onInput=${set('from')} error=${fe.from} />
      <${Field} label="To" name="to" type="datetime-local" value=${f.to} onInput=${set('to')} error=${fe.to} />
      <button type="submit">Apply filters</button>
    </form>
    ${Object.keys(fe).length ? html`<p class="state error" role="alert">Fix the marked filter.</p>` : null}
    <${AsyncView} state=${Object.keys(fe).length ? { ...list, error: null, data: { items: [] } } : list}
      empty="No TLS sessions match. Gateways report every handshake in batches.">${(page) => html`
      <table class="data" aria-label="TLS sessions">
        <thead><tr><th scope="col">Established</th><th scope="col">Client</th><th scope="col">SNI</th><th scope="col">Protocol</th><th scope="col">Cipher suite</th><th scope="col">Group</th><th scope="col">PQC</th><th scope="col">Outcome</th><th scope="col">Resumed</th><th scope="col">Handshake</th></tr></thead>
        <tbody>${page.items.map((s) => html`<tr>
          <td>${fmtTime(s.established_at)}</td>
          <td class="mono">${s.client_ip}</td>
          <td class="mono">${s.sni || '—'}</td>
          <td>${s.protocol_version || '—'}</td>
          <td class="mono">${s.cipher_suite || '—'}</td>
          <td class="mono">${s.kx_group || '—'}</td>
          <td>${s.outcome === 'failed' ? '—' : s.pqc ? html`<${Badge} kind="ok">PQC</${Badge}>` : html`<${Badge} kind="medium">classical</${Badge}>`}</td>
          <td class="outcome" data-outcome=${s.outcome}>${s.outcome === 'failed'
            ? html`<${Badge} kind="off">refused</${Badge}> <small>${s.failure_reason || 'no reason recorded'}</small>`
            : 'established'}</td>
          <td>${s.resumed ? 'yes' : 'no'}</td>
          <td>${s.handshake_duration_us != null ? `${(s.handshake_duration_us / 1000).toFixed(1)} ms` : '—'}</td>
        </tr>`)}</tbody>
      </table>
      <div class="pager">
        <button type="button" disabled=${cursors.length < 2} onClick=${() => setCursors(cursors.slice(0, -1))}>Newer</button>
        <button type="button" disabled=${!page.next_cursor} onClick=${() => setCursors([...cursors, page.next_cursor])}>Older</button>
      </div>`}
    </${AsyncView}>
    ${list.error && list.data ? html`<${ErrorBox} error=${list.error} />` : null}
  </section>`;
}
