// Assessments: the list (status, polling while any runs) and the create
// form (CBOM file upload or JSON inventory).
import { html, useEffect, useState } from '../lib.js';
import * as api from '../api.js';
import {
  Empty, ErrorBox, Field, Link, Loading, StatusBadge, fmtNum, navigate, useLoad, usePoll, When, toast, useQuerySync, Total,
  sourceLabel,
} from '../components.js';

const STATUSES = ['pending', 'running', 'completed', 'failed'];

/** Organizations for a select (admins pick one; others have theirs). */
function useOrganizations(me) {
  return useLoad(
    () => (me.organization_id ? Promise.resolve({ items: [] }) : api.get('/api/v1/organizations', { limit: 500 })),
    [me.organization_id],
  );
}

export function Assessments({ me, params }) {
  const [status, setStatus] = useState(params.get('status') || '');
  const [org, setOrg] = useState(params.get('organization_id') || '');
  const [cursor, setCursor] = useState(null);
  useQuerySync({ status, organization_id: org });
  const orgs = useOrganizations(me);
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [loading, setLoading] = useState(true);

  async function load() {
    try {
      const page = await api.get('/api/v1/assessments', { status, organization_id: org, cursor, limit: 50 });
      setData(page);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }
  useEffect(() => {
    setLoading(true);
    load();
  }, [status, org, cursor]);
  const active = !!data && data.items.some((a) => a.status === 'pending' || a.status === 'running');
  usePoll(load, 2000, active);

  const orgName = Object.fromEntries(((orgs.data && orgs.data.items) || []).map((o) => [o.id, o.name]));
  return html`<section>
    <div class="title-row">
      <h1>Assessments</h1>
      ${me.can_write ? html`<${Link} class="button" to="/assessments/new">New assessment<//>` : null}
    </div>
    <form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Filter assessments">
      <label>Status
        <select value=${status} onChange=${(e) => { setCursor(null); setStatus(e.currentTarget.value); }}>
          <option value="">any</option>
          ${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
        </select>
      </label>
      ${!me.organization_id
        ? html`<label>Organization
            <select value=${org} onChange=${(e) => { setCursor(null); setOrg(e.currentTarget.value); }}>
              <option value="">all</option>
              ${((orgs.data && orgs.data.items) || []).map((o) => html`<option value=${o.id}>${o.name}</option>`)}
            </select>
          </label>`
        : null}
    </form>
    <${Total} n=${data?.total} noun="assessment" />
    ${loading && !data ? html`<${Loading} what="assessments" />` : null}
    <${ErrorBox} error=${error} onRetry=${load} />
    ${data && !data.items.length
      ? html`<${Empty}>No assessments${status ? ` with status ${status}` : ''} yet.
          ${me.can_write ? html` <${Link} to="/assessments/new">Create one<//> from a CBOM file or a JSON inventory.` : null}<//>`
      : null}
    ${data && data.items.length
      ? html`<div class="table-wrap"><table class="data" id="assessments-table">
          <caption class="sr-only">Assessments</caption>
          <thead><tr>
            <th scope="col">Name</th><th scope="col">Organization</th><th scope="col">Status</th>
            <th scope="col">Source</th><th scope="col" class="num">Assets</th><th scope="col" class="num">Risk score</th>
            <th scope="col" class="num">Critical / High</th><th scope="col">Created</th>
          </tr></thead>
          <tbody>
            ${data.items.map((a) => html`<tr key=${a.id} data-status=${a.status}>
              <td><${Link} to=${`/assessments/${a.id}`}>${a.name}<//></td>
              <td>${orgName[a.organization_id] || html`<code>${a.organization_id}</code>`}</td>
              <td><${StatusBadge} status=${a.status} />${a.status === 'running' || a.status === 'pending'
                ? html` <progress aria-label=${`${a.name} is ${a.status}`}></progress>` : null}</td>
              <td>${sourceLabel(a, true)}</td>
              <td class="num">${a.asset_count}</td>
              <td class="num">${fmtNum(a.overall_risk_score)}</td>
              <td class="num">${a.status === 'completed' ? `${a.critical_count} / ${a.high_count}` : '–'}</td>
              <td><${When} t=${a.created_at} /></td>
            </tr>`)}
          </tbody>
        </table></div>
        <div class="pager">
          ${cursor ? html`<button type="button" onClick=${() => setCursor(null)}>First page</button>` : null}
          ${data.next_cursor ? html`<button type="button" onClick=${() => setCursor(data.next_cursor)}>Next page</button>` : null}
        </div>`
      : null}
  </section>`;
}

const EXAMPLE = JSON.stringify([
  { name: 'api gateway TLS', algorithm: 'RSA', parameter: '2048', usage: 'key_exchange', exposure: 'internet', data_shelf_life_years: 10 },
  { name: 'code signing', algorithm: 'ECDSA', parameter: 'P-256', usage: 'signature' },
  { name: 'disk encryption', algorithm: 'AES-256-GCM', usage: 'encryption' },
], null, 2);

/** The scoring defaults' inputs: [field, label, kind]. */
const DEFAULT_FIELDS = [
  ['data_shelf_life_years', 'Data shelf life (years the data must stay confidential)', 'years'],
  ['migration_time_years', 'Migration time (years a migration would take)', 'years'],
  ['validity_years', 'Signature validity (years a signature must stay trusted)', 'years'],
  ['exposure', 'Exposure', 'exposures'],
  ['criticality', 'Criticality', 'criticalities'],
];

const DEFAULT_KEYS = [...DEFAULT_FIELDS.map(([k]) => k), 'crqc_timeline', 'cnsa2_category'];

/** Scoring defaults for assets that do not say, the CRQC timeline band and
 * the CNSA 2.0 category; the choices come from the ML engine through
 * GET /api/v1/scoring-options. */
function Defaults({ value, onChange, errors }) {
  const opts = useLoad(() => api.get('/api/v1/scoring-options'), []);
  const o = opts.data || {};
  const eng = o.engine_defaults || {};
  const set = (k) => (e) => {
    const v = e.currentTarget.value;
    onChange({ ...value, [k]: v });
  };
  const id = (k) => `asm-d-${k}`;
  return html`<fieldset id="asm-defaults">
    <legend>Scoring defaults (an asset's own value wins)</legend>
    ${DEFAULT_FIELDS.map(([k, label, kind]) => html`<${Field} id=${id(k)} label=${label} error=${errors[k]}
        hint=${eng[k] !== undefined ? `The engine assumes ${eng[k]} when neither says.` : undefined}>
        ${(a) => (kind === 'years'
          ? html`<input ...${a} type="number" min="0" max="100" step="any" value=${value[k] || ''} onInput=${set(k)} />`
          : html`<select ...${a} value=${value[k] || ''} onChange=${set(k)}>
              <option value="">engine default</option>
              ${(o[kind] || []).map((v) => html`<option value=${v}>${v}</option>`)}
            </select>`)}
      <//>`)}
    <${Field} id=${id('crqc_timeline')} label="CRQC timeline band" error=${errors.crqc_timeline}
      hint=${o.crqc_timelines_description ? `Fitted to the Global Risk Institute expert surveys; default ${o.default_crqc_timeline}.` : undefined}>
      ${(a) => html`<select ...${a} value=${value.crqc_timeline || ''} onChange=${set('crqc_timeline')}>
        <option value="">engine default${o.default_crqc_timeline ? ` (${o.default_crqc_timeline})` : ''}</option>
        ${(o.crqc_timelines || []).map((b) => html`<option value=${b.id} title=${b.title}>${b.id}</option>`)}
      </select>`}
    <//>
    <${Field} id=${id('cnsa2_category')} label="CNSA 2.0 system category" error=${errors.cnsa2_category}>
      ${(a) => html`<select ...${a} value=${value.cnsa2_category || ''} onChange=${set('cnsa2_category')}>
        <option value="">none (NSM-10: 2035)</option>
        ${(o.cnsa2_categories || []).map((c) => html`<option value=${c.id}>${c.id.replaceAll('_', ' ')} (exclusive by ${c.exclusive_by})</option>`)}
      </select>`}
    <//>
    ${opts.error ? html`<p class="muted">The choices could not be loaded (${opts.error.message}); the engine's defaults apply.</p>` : null}
  </fieldset>`;
}

/** The filled-in defaults, numbers as numbers; empty ones left out. */
function cleanDefaults(d) {
  const out = {};
  for (const [k, v] of Object.entries(d)) {
    if (v === '' || v === undefined || v === null) continue;
    out[k] = DEFAULT_FIELDS.some(([f, , kind]) => f === k && kind === 'years') ? Number(v) : v;
  }
  return out;
}

export function NewAssessment({ me, params }) {
  const orgs = useOrganizations(me);
  const [defaults, setDefaults] = useState({});
  const [source, setSource] = useState('cbom');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [org, setOrg] = useState(params.get('organization_id') || '');
  const [file, setFile] = useState(null);
  const [inventory, setInventory] = useState(EXAMPLE);
  const [errors, setErrors] = useState({});
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  if (!me.can_write) {
    return html`<section><h1>New assessment</h1><p>Your role (${me.role}) can read assessments but not create them.</p></section>`;
  }

  async function submit(e) {
    e.preventDefault();
    setErrors({});
    setError(null);
    const local = {};
    const organization_id = me.organization_id ? undefined : org || undefined;
    if (!me.organization_id && !org) local.organization_id = 'Choose an organization.';
    let items;
    if (source === 'cbom') {
      if (!file) local.file = 'Choose a CycloneDX CBOM file (JSON).';
    } else {
      if (!name.trim()) local.name = 'A name is required for an inventory.';
      try {
        const parsed = JSON.parse(inventory);
        items = Array.isArray(parsed) ? parsed : parsed.inventory;
        if (!Array.isArray(items)) local.inventory = 'Expected a JSON array of assets (or an object with "inventory").';
      } catch (err) {
        local.inventory = `Not valid JSON: ${err.message}`;
      }
    }
    if (Object.keys(local).length) {
      setErrors(local);
      return;
    }
    setBusy(true);
    try {
      let created;
      if (source === 'cbom') {
        const text = await file.text();
        created = await api.postRaw('/api/v1/assessments', text, 'application/vnd.cyclonedx+json', {
          name: name.trim() || undefined,
          description: description.trim() || undefined,
          organization_id,
          ...cleanDefaults(defaults),
        });
      } else {
        created = await api.post('/api/v1/assessments', {
          name,
          description: description.trim() || undefined,
          organization_id,
          inventory: items,
          defaults: cleanDefaults(defaults),
        });
      }
      toast(`Assessment ${created.name} created`);
      navigate(`/assessments/${created.id}`);
    } catch (err) {
      const f = err.fields || {};
      const mapped = {};
      for (const [k, v] of Object.entries(f)) {
        const d = k.replace(/^defaults\./, '');
        if (k === 'name' || k === 'description' || k === 'organization_id') mapped[k] = v;
        else if (DEFAULT_KEYS.includes(d)) mapped[d] = v;
        else if (source === 'inventory') mapped.inventory = mapped.inventory ? `${mapped.inventory}; ${k}: ${v}` : `${k}: ${v}`;
        else mapped.file = mapped.file ? `${mapped.file}; ${k}: ${v}` : `${k}: ${v}`;
      }
      setErrors(mapped);
      if (!Object.keys(mapped).length || err.status === 404) setError(err);
    } finally {
      setBusy(false);
    }
  }

  return html`<section>
    <h1>New assessment</h1>
    <form class="card" onSubmit=${submit} novalidate aria-label="New assessment">
      <${ErrorBox} error=${error} />
      <fieldset>
        <legend>Source</legend>
        <label class="inline"><input type="radio" name="source" value="cbom" checked=${source === 'cbom'}
          onChange=${() => setSource('cbom')} /> Upload a CycloneDX CBOM file</label>
        <label class="inline"><input type="radio" name="source" value="inventory" checked=${source === 'inventory'}
          onChange=${() => setSource('inventory')} /> JSON inventory</label>
      </fieldset>
      ${!me.organization_id
        ? html`<${Field} id="asm-org" label="Organization" error=${errors.organization_id}>${(a) => html`
            <select ...${a} value=${org} onChange=${(e) => setOrg(e.currentTarget.value)} required>
              <option value="">Choose…</option>
              ${((orgs.data && orgs.data.items) || []).map((o) => html`<option value=${o.id}>${o.name}</option>`)}
            </select>`}
          <//>`
        : null}
      <${Field} id="asm-name" label=${source === 'cbom' ? 'Name (optional: defaults to the CBOM\u2019s component name)' : 'Name'}
        error=${errors.name}>${(a) => html`
        <input ...${a} value=${name} maxlength="200" onInput=${(e) => setName(e.currentTarget.value)} />`}
      <//>
      <${Field} id="asm-description" label="Description (optional)" error=${errors.description}>${(a) => html`
        <input ...${a} value=${description} onInput=${(e) => setDescription(e.currentTarget.value)} />`}
      <//>
      ${source === 'cbom'
        ? html`<${Field} id="asm-file" label="CBOM file" error=${errors.file}
            hint="CycloneDX 1.6 or 1.7 JSON with cryptographic assets (e.g. a CBOMkit scan).">${(a) => html`
            <input ...${a} type="file" accept=".json,.cdx,.cdx.json,application/json,application/vnd.cyclonedx+json"
              onChange=${(e) => setFile(e.currentTarget.files[0] || null)} />`}
          <//>`
        : html`<${Field} id="asm-inventory" label="Inventory (JSON array of assets)" error=${errors.inventory}
            hint="Each asset: name, algorithm, and optionally parameter, usage, exposure, criticality, data_shelf_life_years, migration_time_years, valid_until or validity_years.">${(a) => html`
            <textarea ...${a} rows="12" class="mono" value=${inventory}
              onInput=${(e) => setInventory(e.currentTarget.value)}></textarea>`}
          <//>`}
      <${Defaults} value=${defaults} onChange=${setDefaults} errors=${errors} />
      <button type="submit" disabled=${busy}>${busy ? 'Uploading…' : 'Start assessment'}</button>
      <${Link} to="/assessments" class="cancel">Cancel<//>
    </form>
  </section>`;
}
