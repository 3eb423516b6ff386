// The PQC posture panel of the overview: the post-quantum share of
// established sessions with its volume against the operator's target, the
// clients still on classical key exchange (address prefix, SNI, client
// family, offered groups), the share per route and per SNI, and whom each
// policy refused. Every figure links to the TLS sessions it counts.
import { html, useState } from '../lib.js';
import { Badge, fmtNum, fmtPct, fmtTime, Link, ErrorBox, Field, toast } from '../lib.js';
import * as api from '../api.js';

/** The TLS sessions list filtered by `filters` (empty values left out). */
export function sessionsLink(filters) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `tls?${s}` : 'tls';
}

function ShareBar({ share, target }) {
  const pct = share === null || share === undefined ? 0 : Math.round(share * 1000) / 10;
  return html`<div class="sharebar" role="img" aria-label=${`PQC share ${share === null ? 'unknown' : `${pct} %`}${target != null ? `, target ${Math.round(target * 1000) / 10} %` : ''}`}>
    <div class="sharebar-fill" style=${{ width: `${pct}%` }}></div>
    ${target != null ? html`<div class="sharebar-target" style=${{ left: `${target * 100}%` }} title=${`target ${fmtPct(target)}`}></div>` : null}
  </div>`;
}

function TargetForm({ target, onSaved }) {
  const [value, setValue] = useState(target == null ? '' : String(Math.round(target * 1000) / 10));
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const save = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const v = value.trim() === '' ? null : Number(value) / 100;
      await api.request('PUT', '/api/v1/posture/settings', { pqc_share_target: v });
      toast(v === null ? 'PQC share target cleared' : `PQC share target set to ${fmtPct(v)}`);
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const fe = error?.fields?.pqc_share_target;
  return html`<form class="inline-form" onSubmit=${save} aria-label="PQC share target" noValidate>
    <${Field} inline id="pqc-target" name="pqc_share_target" label="Target PQC share (%)" type="number" min="0" max="100" step="0.1"
      value=${value} error=${fe} onInput=${setValue} />
    <button type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Save target'}</button>
    ${!fe && error ? html`<${ErrorBox} error=${error} />` : null}
  </form>`;
}

/**
 * The panel for the overview's range (`from`, `to`: ISO strings). `data` is
 * the posture the overview loaded with its other figures (one load, so the
 * page does not shift when the panel fills in); `onChange` reloads it.
 */
export function PosturePanel({ data, from, to, label, isAdmin, onChange }) {
  const state = { data, reload: onChange };
  const range = { from, to };
  const p = state.data;
  const below = p.target != null && p.pqc_share != null && p.pqc_share < p.target;
  return html`<section class="card posture" aria-labelledby="posture-title" data-posture>
    <h2 id="posture-title">Post-quantum posture (${label})</h2>
    <div class="posture-head">
      <div>
        <div class="muted">PQC share of established sessions</div>
        <div class="stat" data-posture-share>${p.pqc_share == null ? '—' : fmtPct(p.pqc_share)}</div>
        <div class="muted"><small>${fmtNum(p.pqc)} of ${fmtNum(p.handshakes)} sessions post-quantum;${' '}
          <${Link} to=${sessionsLink({ ...range, outcome: 'failed' })}>${fmtNum(p.refused)} refused</${Link}></small></div>
      </div>
      <div class="posture-bar">
        <${ShareBar} share=${p.pqc_share} target=${p.target} />
        <div class="muted"><small>${p.target == null ? 'No target set.' : html`Target ${fmtPct(p.target)} ${below ? html`<${Badge} kind="medium">below target</${Badge}>` : p.pqc_share != null ? html`<${Badge} kind="ok">met</${Badge}>` : null}`}</small></div>
        ${isAdmin ? html`<${TargetForm} target=${p.target} onSaved=${state.reload} />` : null}
      </div>
    </div>

    <h3>Clients still on classical key exchange</h3>
    ${p.classical_clients.length ? html`<div class="table-scroll" role="region" aria-label="Classical-only clients (scrollable)" tabindex="0"><table class="data" aria-label="Classical-only clients" data-classical-clients>
      <thead><tr><th scope="col">Client prefix</th><th scope="col">SNI</th><th scope="col">Client</th><th scope="col">Offered groups</th><th scope="col">Established</th><th scope="col">Refused</th><th scope="col">Last seen</th></tr></thead>
      <tbody>${p.classical_clients.map((c) => html`<tr data-client=${c.client_prefix}>
        <td class="mono"><${Link} to=${sessionsLink({ ...range, client_ip: c.client_prefix, sni: c.sni || '-', pqc: 'false' })}>${c.client_prefix}</${Link}></td>
        <td class="mono">${c.sni || '—'}</td>
        <td>${c.client_family || html`<span class="muted">no request</span>`}</td>
        <td class="mono">${c.offered_groups ? (c.offered_groups.length ? c.offered_groups.join(', ') : 'none') : '—'}
          ${c.offers_pq ? html` <${Badge} kind="info">offers PQ</${Badge}>` : null}</td>
        <td>${fmtNum(c.established)}</td>
        <td>${fmtNum(c.refused)}</td>
        <td>${fmtTime(c.last_seen)}</td>
      </tr>`)}</tbody></table></div>
      <p class="muted"><small>Grouped by /24 (IPv4) or /48 (IPv6) prefix, SNI, client family (from the first request's User-Agent) and the groups offered. "Offers PQ" marks a client that could have used a post-quantum group.</small></p>`
      : html`<p class="state empty">No classical sessions in this range.</p>`}

    <div class="cards">
      <div>
        <h3>PQC share per route</h3>
        ${p.by_route.length ? html`<div class="table-scroll" role="region" aria-label="PQC share per route (scrollable)" tabindex="0"><table class="data" aria-label="PQC share per route">
          <thead><tr><th scope="col">Route</th><th scope="col">Sessions</th><th scope="col">PQC share</th></tr></thead>
          <tbody>${p.by_route.map((r) => html`<tr>
            <td><${Link} to=${sessionsLink({ ...range, route_id: r.key })}>${r.name || r.key}</${Link}></td>
            <td>${fmtNum(r.handshakes)}</td>
            <td>${fmtPct(r.handshakes ? r.pqc / r.handshakes : null)} <small class="muted">(${fmtNum(r.pqc)})</small></td>
          </tr>`)}</tbody></table></div>` : html`<p class="state empty">No routed requests in this range.</p>`}
      </div>
      <div>
        <h3>PQC share per SNI</h3>
        ${p.by_sni.length ? html`<div class="table-scroll" role="region" aria-label="PQC share per SNI (scrollable)" tabindex="0"><table class="data" aria-label="PQC share per SNI">
          <thead><tr><th scope="col">SNI</th><th scope="col">Sessions</th><th scope="col">PQC share</th><th scope="col">Refused</th></tr></thead>
          <tbody>${p.by_sni.map((r) => html`<tr>
            <td class="mono"><${Link} to=${sessionsLink({ ...range, sni: r.key || '-' })}>${r.key || '(no SNI)'}</${Link}></td>
            <td>${fmtNum(r.handshakes)}</td>
            <td>${fmtPct(r.handshakes ? r.pqc / r.handshakes : null)} <small class="muted">(${fmtNum(r.pqc)})</small></td>
            <td>${fmtNum(r.refused)}</td>
          </tr>`)}</tbody></table></div>` : html`<p class="state empty">No sessions in this range.</p>`}
      </div>
      <div>
        <h3>Refusals by policy</h3>
        ${p.refusals_by_policy.length || p.refusals_by_route.length ? html`<ul class="plain" aria-label="Refusals by policy">
          ${p.refusals_by_policy.map((r) => html`<li>Handshakes refused under <strong>${r.policy || 'unrecorded policy'}</strong>:
            <${Link} to=${sessionsLink({ ...range, outcome: 'failed', policy: r.policy || undefined })}>${fmtNum(r.refused)}</${Link}></li>`)}
          ${p.refusals_by_route.map((r) => html`<li>Requests refused by route <strong>${r.name || r.route_id}</strong>${r.policy ? ` (${r.policy})` : ''}:
            <${Link} to=${`threats?threat_type=tls_policy_violation${r.route_id ? `&route_id=${encodeURIComponent(r.route_id)}` : ''}`}>${fmtNum(r.refused)}</${Link}></li>`)}
        </ul>` : html`<p class="state empty">Nothing refused in this range.</p>`}
      </div>
    </div>
  </section>`;
}
