// Organizations: everyone sees the ones they may see; admins create them.
import { html, useState } from '../lib.js';
import * as api from '../api.js';
import { Empty, ErrorBox, Field, Link, Loading, useLoad, CopyId, When, toast, Total } from '../components.js';

function CreateOrganization({ onCreated }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [errors, setErrors] = useState({});
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(e) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setError(null);
    try {
      const org = await api.post('/api/v1/organizations', {
        name,
        description: description.trim() ? description : undefined,
      });
      setName('');
      setDescription('');
      toast(`Organization ${org.name} created`);
      onCreated(org);
    } catch (err) {
      const f = err.fields || {};
      setErrors(f);
      if (!Object.keys(f).length) setError(err);
    } finally {
      setBusy(false);
    }
  }
  return html`<form class="card" onSubmit=${submit} aria-labelledby="new-org-title">
    <h2 id="new-org-title">New organization</h2>
    <${ErrorBox} error=${error} />
    <${Field} id="org-name" label="Name" error=${errors.name}>${(a) => html`
      <input ...${a} value=${name} onInput=${(e) => setName(e.currentTarget.value)} maxlength="200" required />`}
    <//>
    <${Field} id="org-description" label="Description (optional)" error=${errors.description}>${(a) => html`
      <textarea ...${a} rows="2" value=${description} onInput=${(e) => setDescription(e.currentTarget.value)}></textarea>`}
    <//>
    <button type="submit" disabled=${busy}>${busy ? 'Creating…' : 'Create organization'}</button>
  </form>`;
}

export function Organizations({ me }) {
  const [cursor, setCursor] = useState(null);
  const list = useLoad(() => api.get('/api/v1/organizations', { limit: 100, cursor }), [cursor]);
  return html`<section>
    <h1>Organizations</h1>
    ${me.is_admin ? html`<${CreateOrganization} onCreated=${() => list.reload()} />` : null}
    ${list.loading ? html`<${Loading} what="organizations" />` : null}
    <${ErrorBox} error=${list.error} onRetry=${list.reload} />
    <${Total} n=${list.data?.total} noun="organization" />
    ${list.data && !list.data.items.length
      ? html`<${Empty}>No organizations yet.${me.is_admin ? ' Create the first one above.' : ''}<//>`
      : null}
    ${list.data && list.data.items.length
      ? html`<table class="data">
          <caption class="sr-only">Organizations</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Id</th><th scope="col">Description</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>
            ${list.data.items.map((o) => html`<tr key=${o.id}>
              <td>${o.name}</td>
              <td><${CopyId} id=${o.id} label=${`organization ${o.name}`} /></td>
              <td>${o.description || ''}</td>
              <td><${When} t=${o.created_at} /></td>
              <td><${Link} to=${`/assessments?organization_id=${encodeURIComponent(o.id)}`}>Assessments<//></td>
            </tr>`)}
          </tbody>
        </table>
        <div class="pager">
          ${cursor ? html`<button type="button" onClick=${() => setCursor(null)}>First page</button>` : null}
          ${list.data.next_cursor ? html`<button type="button" onClick=${() => setCursor(list.data.next_cursor)}>Next page</button>` : null}
        </div>`
      : null}
  </section>`;
}
