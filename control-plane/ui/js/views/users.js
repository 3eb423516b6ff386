// Users (admins only): list, create, change role, disable/enable, delete
// (with a confirm step). Edits carry If-Match; conflicts are explained.
import { html, useState } from '../lib.js';
import { useAsync, AsyncView, ErrorBox, Field, Confirm, Badge, fmtTime } from '../lib.js';
import * as api from '../api.js';

const ROLES = ['viewer', 'operator', 'admin'];

function explain(err) {
  if (err?.status === 412) {
    err.message = 'This user was changed by someone else meanwhile; the list was reloaded, check and try again.';
  }
  return err;
}

function CreateUser({ onDone, onCancel }) {
  const [f, setF] = useState({ email: '', display_name: '', role: 'viewer', password: '' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const fe = error?.fields || {};
  const set = (k) => (v) => setF({ ...f, [k]: v });
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.request('POST', '/api/v1/users', { ...f, display_name: f.display_name || null });
      onDone();
    } catch (err) { setError(err); setBusy(false); }
  };
  return html`<form class="card form" onSubmit=${submit} aria-labelledby="user-form-title" novalidate>
    <h2 id="user-form-title">New user</h2>
    <div class="grid2">
      <${Field} label="Email" name="email" type="email" required value=${f.email} onInput=${set('email')} error=${fe.email} />
      <${Field} label="Display name" name="display_name" value=${f.display_name} onInput=${set('display_name')} error=${fe.display_name} />
      <${Field} label="Role" name="role" error=${fe.role}>${(a) => html`<select ...${a} value=${f.role} onChange=${(e) => set('role')(e.target.value)}>
        ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}</select>`}</${Field}>
      <${Field} label="Initial password" name="password" type="password" autocomplete="new-password" required value=${f.password} onInput=${set('password')} error=${fe.password} />
    </div>
    ${error && !Object.keys(fe).length ? html`<${ErrorBox} error=${error} />` : null}
    <div class="actions">
      <button type="button" onClick=${onCancel} disabled=${busy}>Cancel</button>
      <button type="submit" class="primary" disabled=${busy}>${busy ? 'Creating…' : 'Create user'}</button>
    </div>
  </form>`;
}

export function Users({ session }) {
  const list = useAsync(() => api.getAll('/api/v1/users'), []);
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const patch = async (u, body) => {
    setBusy(true);
    setError(null);
    try {
      await api.request('PATCH', `/api/v1/users/${u.id}`, body, { ifMatch: `"${u.version}"` });
    } catch (err) { setError(explain(err)); }
    setBusy(false);
    list.reload();
  };
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.request('DELETE', `/api/v1/users/${deleting.id}`, undefined, { ifMatch: `"${deleting.version}"` });
      setDeleting(null);
    } catch (err) { setError(explain(err)); setDeleting(null); }
    setBusy(false);
    list.reload();
  };
  return html`<section aria-labelledby="page-title">
    <div class="toolbar"><h1 id="page-title">Users</h1>
      <button type="button" class="primary" onClick=${() => setCreating(true)}>New user</button></div>
    ${creating ? html`<${CreateUser} onDone=${() => { setCreating(false); list.reload(); }} onCancel=${() => setCreating(false)} />` : null}
    <${ErrorBox} error=${error} />
    <${AsyncView} state=${list} empty="No users.">${(users) => html`
      <table class="data" aria-label="Users">
        <thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Last login</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${users.map((u) => {
          const self = u.id === session.user_id;
          return html`<tr data-id=${u.id}>
            <td><strong>${u.display_name || u.email}</strong><br /><small>${u.email}</small></td>
            <td><label class="sr-only" for=${`role-${u.id}`}>Role of ${u.email}</label>
              <select id=${`role-${u.id}`} value=${u.role} disabled=${busy || self} onChange=${(e) => patch(u, { role: e.target.value })}>
                ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}</select></td>
            <td>${u.disabled ? html`<${Badge} kind="off">disabled</${Badge}>` : html`<${Badge} kind="ok">active</${Badge}>`}</td>
            <td>${fmtTime(u.last_login_at)}</td>
            <td>${fmtTime(u.created_at)}</td>
            <td class="row-actions">${self ? html`<span class="muted">you</span>` : html`
              <button type="button" disabled=${busy} onClick=${() => patch(u, { disabled: !u.disabled })}>${u.disabled ? 'Enable' : 'Disable'}</button>
              <button type="button" class="danger" disabled=${busy} onClick=${() => setDeleting(u)} aria-label=${`Delete user ${u.email}`}>Delete</button>`}</td>
          </tr>`;
        })}</tbody>
      </table>`}
    </${AsyncView}>
    ${deleting ? html`<${Confirm} title=${`Delete user ${deleting.email}?`} onConfirm=${remove} onCancel=${() => setDeleting(null)} busy=${busy}>
      <p>Their tokens stop working at once. This cannot be undone; disabling keeps the account for later.</p></${Confirm}>` : null}
  </section>`;
}
