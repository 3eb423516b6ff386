// The finding drawer: why a finding scores what it does (factors, horizon,
// Mosca under each CRQC band), what to do, where it is (CBOM bom-ref,
// paths, file:line occurrences), and its triage (state, form, history).
// A modal <dialog>: focus moves in, Esc closes it, focus returns to the
// button that opened it.
import { html, useEffect, useRef, useState } from '../lib.js';
import * as api from '../api.js';
import { ErrorBox, Field, Loading, SeverityBadge, fmtDate, fmtNum, toast } from '../components.js';

export const TRIAGE_STATES = ['open', 'in_progress', 'accepted_risk', 'false_positive', 'fixed'];
export const TRIAGE_LABELS = {
  open: 'Open',
  in_progress: 'In progress',
  accepted_risk: 'Accepted risk',
  false_positive: 'False positive',
  fixed: 'Fixed',
};

/** The effective triage state as a badge (an expired acceptance reads open). */
export function TriageBadge({ triage }) {
  const t = triage || { state: 'open' };
  const note = t.expired ? ' (acceptance expired)' : t.reopened ? ' (found again)' : '';
  return html`<span class=${`badge triage-${t.state}`} data-triage=${t.state}>${TRIAGE_LABELS[t.state] || t.state}${note}</span>`;
}

/**
 * An accepted risk's expiry in words. A date given in the form is stored
 * as the next midnight UTC (it lasts through that day): shown as that day.
 */
export function expiryText(iso) {
  if (!iso) return '–';
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  if (t.getUTCHours() === 0 && t.getUTCMinutes() === 0 && t.getUTCSeconds() === 0 && t.getUTCMilliseconds() === 0) {
    return `${new Date(t.getTime() - 1).toISOString().slice(0, 10)} (through that day, UTC)`;
  }
  return fmtDate(iso);
}

/** The form's date for a stored expiry (the day it lasts through, UTC). */
function expiryDate(iso) {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? '' : new Date(t.getTime() - 1).toISOString().slice(0, 10);
}

const pct = (p) => (p === null || p === undefined ? '–' : `${fmtNum(p * 100, 0)} %`);

function Factors({ f }) {
  const factors = (f.factors || []).filter((x) => x.factor);
  const checks = f.checks || [];
  return html`<section aria-labelledby="d-factors">
    <h3 id="d-factors">Score factors</h3>
    <p>Risk score <strong>${fmtNum(f.risk_score, 2)}</strong> / 100${f.quantum_score !== null && f.quantum_score !== undefined ? `: quantum lane ${fmtNum(f.quantum_score, 2)}` : ''}${f.hygiene_score !== null && f.hygiene_score !== undefined ? `, hygiene lane ${fmtNum(f.hygiene_score, 2)}` : ''}.</p>
    ${factors.length
      ? html`<div class="table-wrap"><table class="data" id="drawer-factors" aria-labelledby="d-factors">
          <thead><tr><th scope="col">Factor</th><th scope="col" class="num">Points</th><th scope="col">Why</th></tr></thead>
          <tbody>${factors.map((x) => html`<tr><td><code>${x.factor}</code></td><td class="num">${fmtNum(x.points, 2)}</td><td>${x.detail}</td></tr>`)}</tbody>
        </table></div>`
      : html`<p class="muted">The engine gave no factors.</p>`}
    ${checks.length
      ? html`<ul class="checks">${checks.map((c) => html`<li data-check=${c.code}>${c.message} <small class="muted">${c.reference}</small></li>`)}</ul>`
      : null}
  </section>`;
}

function Mosca({ f }) {
  const m = f.mosca;
  const h = f.horizon;
  return html`<section aria-labelledby="d-mosca">
    <h3 id="d-mosca">Horizon and Mosca</h3>
    ${h ? html`<p id="drawer-horizon"><strong>${h.kind}</strong> horizon ${fmtNum(h.years, 1)} years: ${h.why}</p>` : null}
    ${m
      ? html`<dl class="facts" id="drawer-mosca">
          <dt>Data shelf life (x)</dt><dd>${fmtNum(m.shelf_life_years, 1)} y</dd>
          <dt>Migration time (y)</dt><dd>${fmtNum(m.migration_years, 1)} y</dd>
          ${m.validity_years !== null && m.validity_years !== undefined ? html`<dt>Signature validity</dt><dd>${fmtNum(m.validity_years, 1)} y</dd>` : null}
          <dt>Horizon (H)</dt><dd>${fmtNum(m.horizon_years, 1)} y</dd>
          <dt>CRQC band</dt><dd data-band=${m.band}>${m.band}</dd>
          <dt>Years to a CRQC (band median)</dt><dd>${fmtNum(m.years_to_crqc, 1)} y</dd>
          <dt>P(CRQC within H)</dt><dd>${pct(m.crqc_probability)}</dd>
          <dt>Slack (z − H)</dt><dd>${fmtNum(m.margin_years, 1)} y${m.exposed ? ' (exposed)' : ''}</dd>
          <dt>Start migrating by</dt><dd><strong>${m.latest_start_year}</strong> (${pct(m.confidence)} confidence)</dd>
        </dl>
        <div class="table-wrap"><table class="data" id="drawer-bands">
          <caption>Mosca under each CRQC timeline band</caption>
          <thead><tr><th scope="col">Band</th><th scope="col" class="num">Median year</th><th scope="col" class="num">P(within H)</th>
            <th scope="col" class="num">Slack</th><th scope="col" class="num">Start by</th></tr></thead>
          <tbody>${(m.bands || []).map((b) => html`<tr data-band=${b.band} class=${b.band === m.band ? 'chosen' : ''}>
            <th scope="row">${b.band}${b.band === m.band ? ' (used)' : ''}</th>
            <td class="num">${fmtNum(b.median_year, 0)}</td><td class="num">${pct(b.p_within_horizon)}</td>
            <td class="num">${fmtNum(b.slack_years, 1)} y</td><td class="num">${b.latest_start_year}</td></tr>`)}</tbody>
        </table></div>`
      : html`<p class="muted">No Mosca figures: ${f.quantum_threat === 'none' ? 'already post-quantum' : 'not a quantum finding'}.</p>`}
  </section>`;
}

function Where({ f }) {
  const paths = f.paths || [];
  const locations = f.locations || [];
  return html`<section aria-labelledby="d-where">
    <h3 id="d-where">Where it is</h3>
    ${f.asset_ref
      ? html`<p>bom-ref <code class="wrap" id="drawer-bomref">${f.asset_ref}</code>${f.oid ? html`, OID <code>${f.oid}</code>` : null}</p>
        ${paths.length ? html`<p>Reached by ${f.occurrences === 1 ? '1 path' : `${f.occurrences} paths`}:</p>
          <ol class="paths" id="drawer-paths">${paths.map((p) => html`<li><code class="wrap">${p.join(' › ')}</code></li>`)}</ol>
          ${f.occurrences > paths.length ? html`<p class="muted">and ${f.occurrences - paths.length} more</p>` : null}` : null}`
      : html`<p>${f.asset_name}${f.usage ? ` (${f.usage})` : ''}: from a JSON inventory, no CBOM path.</p>`}
    ${locations.length
      ? html`<p>${locations.some((l) => l.startsWith('qsgw '))
          ? 'Negotiated at the QSGW gateways on these routes (live TLS traffic, most sessions first):'
          : 'Occurrences in the code:'}</p>
        <ul id="drawer-locations">${locations.map((l) => html`<li><code class="wrap">${l}</code></li>`)}</ul>`
      : f.asset_ref ? html`<p class="muted">The CBOM names no occurrence (file:line or route).</p>` : null}
  </section>`;
}

function TriageForm({ f, onSaved }) {
  const current = f.triage.recorded_state || 'open';
  const [state, setState] = useState(current);
  const [reason, setReason] = useState(f.triage.reason || '');
  const [expires, setExpires] = useState(f.triage.expires_at && !f.triage.expired ? expiryDate(f.triage.expires_at) : '');
  const [errors, setErrors] = useState({});
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState('');
  const accepted = state === 'accepted_risk';
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setError(null);
    setDone('');
    const body = { state };
    if (reason.trim()) body.reason = reason;
    if (accepted && expires) body.expires_at = expires;
    try {
      await api.post(`/api/v1/findings/${encodeURIComponent(f.id)}/triage`, body);
      setDone(`Saved: ${TRIAGE_LABELS[state]}.`);
      toast(`Triage saved: ${TRIAGE_LABELS[state]}`);
      onSaved();
    } catch (err) {
      if (err.status === 422) setErrors(err.fields);
      else setError(err);
    } finally {
      setBusy(false);
    }
  }
  return html`<form id="triage-form" onSubmit=${submit} novalidate aria-labelledby="d-triage-form">
    <h4 id="d-triage-form">Change the triage</h4>
    <${Field} id="triage-state" label="State" error=${errors.state}>${(a) => html`
      <select ...${a} value=${state} onChange=${(e) => setState(e.currentTarget.value)}>
        ${TRIAGE_STATES.map((s) => html`<option value=${s}>${TRIAGE_LABELS[s]}</option>`)}
      </select>`}
    <//>
    <${Field} id="triage-reason" label=${`Reason${accepted ? ' (required)' : ''}`} error=${errors.reason}>${(a) => html`
      <textarea ...${a} rows="3" maxlength="2000" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)}></textarea>`}
    <//>
    ${accepted
      ? html`<${Field} id="triage-expires" label="Accepted until (required)" error=${errors.expires_at}
          hint="Through that day (UTC); afterwards the finding counts as open again.">${(a) => html`
          <input ...${a} type="date" value=${expires} onInput=${(e) => setExpires(e.currentTarget.value)} />`}
        <//>`
      : null}
    <button type="submit" disabled=${busy}>${busy ? 'Saving…' : 'Save triage'}</button>
    <span class="ok" role="status">${done}</span>
    <${ErrorBox} error=${error} />
  </form>`;
}

function Triage({ f, me, onSaved }) {
  const t = f.triage;
  return html`<section aria-labelledby="d-triage" id="drawer-triage">
    <h3 id="d-triage">Triage</h3>
    <p id="drawer-triage-state"><${TriageBadge} triage=${t} />
      ${t.recorded_state && t.updated_by ? html` <small class="muted">set by ${t.updated_by} ${fmtDate(t.updated_at)}</small>` : null}</p>
    ${t.reason ? html`<p>Reason: ${t.reason}</p>` : null}
    ${t.expires_at ? html`<p>${t.expired ? 'Acceptance expired: it ran' : 'Accepted'} through ${expiryText(t.expires_at)}.</p>` : null}
    ${t.reopened ? html`<p>Marked fixed, but this run found it again.</p>` : null}
    <p class="muted">Kept for this finding in the system “${f.system_key}”: the next assessment of it shows the same state.</p>
    ${me.can_write ? html`<${TriageForm} key=${`${t.version || 0}`} f=${f} onSaved=${onSaved} />` : null}
    <h4>History</h4>
    ${(f.history || []).length
      ? html`<ol class="history" id="drawer-history">${f.history.map((e) => html`<li>
          ${fmtDate(e.at)}: ${TRIAGE_LABELS[e.from] || e.from || '–'} → <strong>${TRIAGE_LABELS[e.to] || e.to}</strong>${` by ${e.actor}`}${e.actor_role ? ` (${e.actor_role})` : ''}${e.reason ? `: ${e.reason}` : ''}${e.expires_at ? `, through ${expiryText(e.expires_at)}` : ''}</li>`)}</ol>`
      : html`<p class="muted">Never triaged.</p>`}
  </section>`;
}

/**
 * The drawer for finding `id`; `onClose` is called on Esc, the close
 * button or a click on the backdrop; `onChanged` after a triage was saved.
 */
export function FindingDrawer({ id, me, onClose, onChanged }) {
  const dialog = useRef(null);
  const closeButton = useRef(null);
  const [f, setF] = useState(null);
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const d = dialog.current;
    const opener = document.activeElement;
    if (d && !d.open) d.showModal();
    if (closeButton.current) closeButton.current.focus();
    const onCancel = (e) => {
      e.preventDefault();
      onClose();
    };
    d.addEventListener('cancel', onCancel);
    return () => {
      d.removeEventListener('cancel', onCancel);
      if (d.open) d.close();
      if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
    };
  }, []);

  useEffect(() => {
    let live = true;
    api.get(`/api/v1/findings/${encodeURIComponent(id)}`).then(
      (got) => live && (setF(got), setError(null)),
      (e) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [id, tick]);

  return html`<dialog ref=${dialog} class="drawer" id="finding-drawer" aria-labelledby="drawer-title"
    onClick=${(e) => { if (e.target === dialog.current) onClose(); }}>
    <div class="drawer-body">
      <div class="drawer-head">
        <h2 id="drawer-title">${f ? f.asset_name : 'Finding'}</h2>
        <button type="button" class="secondary" ref=${closeButton} onClick=${onClose} aria-label="Close the finding details">Close</button>
      </div>
      <${ErrorBox} error=${error} />
      ${!f && !error ? html`<${Loading} what="the finding" />` : null}
      ${f
        ? html`<p><${SeverityBadge} severity=${f.severity} /> <code>${f.algorithm}</code>${`${f.parameter ? ` (${f.parameter})` : ''} · priority ${f.priority} · ${f.quantum_threat} · lane ${f.lane || '–'} · policy ${f.policy_status}`}</p>
          <section aria-labelledby="d-rec">
            <h3 id="d-rec">Recommendation</h3>
            <p id="drawer-recommendation">${f.recommendation || 'None given.'}</p>
            ${f.nist_deprecated_year || f.nist_disallowed_year
              ? html`<p class="muted">NIST IR 8547: deprecated after ${f.nist_deprecated_year || '–'}, disallowed after ${f.nist_disallowed_year || '–'}.</p>`
              : null}
          </section>
          <${Factors} f=${f} />
          <${Mosca} f=${f} />
          <${Where} f=${f} />
          <${Triage} f=${f} me=${me} onSaved=${() => { setTick((t) => t + 1); onChanged(); }} />`
        : null}
    </div>
  </dialog>`;
}
