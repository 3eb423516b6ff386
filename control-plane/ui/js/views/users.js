// Users (admins only): list, create, change role, disable/enable, delete,
// each change after a confirm step that keeps the API's refusal (the last
// enabled admin, your own account, a concurrent edit) in the dialog. Edits
// carry If-Match; conflicts are explained; successes are toasted.
import { html, useState } from '../lib.js';
import { useAsync, AsyncView, ErrorBox, Field, Confirm, Badge, fmtTime, CopyId, toast } from '../lib.js';
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

/** What the confirm dialog is about to do. */
function describe(p) {
  const who = p.user.display_name || p.user.email;
  if (p.kind === 'role') return { title: `Change the role of ${who} from ${p.user.role} to ${p.role}?`, label: 'Change role', body: p.role === 'admin' ? 'Admins manage users and every setting.' : 'Their current sessions end; they sign in again with the new rights.' };
  if (p.kind === 'disable') return { title: `Disable ${who}?`, label: 'Disable', body: 'Their tokens stop working at once; enabling restores the account.' };
  if (p.kind === 'enable') return { title: `Enable ${who}?`, label: 'Enable', body: 'They can sign in again with their password.' };
  return { title: `Delete user ${p.user.email}?`, label: 'Delete', body: 'Their tokens stop working at once. This cannot be undone; disabling keeps the account for later.' };
}

export function Users({ session }) {
  const list = useAsync(() => api.getAll('/api/v1/users'), []);
  const [creating, setCreating] = useState(false);
  // { kind: 'role' | 'disable' | 'enable' | 'delete', user, role? }
  const [pending, setPending] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  // Runs the confirmed change; on a refusal (409 last admin, 412 changed
  // meanwhile) the dialog stays open with the reason and the focus on Cancel.
  const run = async () => {
    const p = pending;
    const who = p.user.display_name || p.user.email;
    setBusy(true);
    setError(null);
    try {
      const ifMatch = `"${p.user.version}"`;
      if (p.kind === 'delete') {
        await api.request('DELETE', `/api/v1/users/${p.user.id}`, undefined, { ifMatch });
        toast(`Deleted ${who}`);
      } else {
        const body = p.kind === 'role' ? { role: p.role } : { disabled: p.kind === 'disable' };
        await api.request('PATCH', `/api/v1/users/${p.user.id}`, body, { ifMatch });
        toast(p.kind === 'role' ? `${who} is now ${p.role}` : `${who} ${p.kind === 'disable' ? 'disabled' : 'enabled'}`);
      }
      setPending(null);
    } catch (err) {
      setError(explain(err));
    }
    setBusy(false);
    list.reload();
  };
  const cancel = () => { setPending(null); setError(null); };
  const d = pending ? describe(pending) : null;
  return html`<section aria-labelledby="page-title">
    <div class="toolbar"><h1 id="page-title">Users</h1>
      <button type="button" class="primary" onClick=${() => setCreating(true)}>New user</button></div>
    ${creating ? html`<${CreateUser} onDone=${() => { setCreating(false); toast('User created'); list.reload(); }} onCancel=${() => setCreating(false)} />` : null}
    <${AsyncView} state=${list} empty="No users.">${(users) => html`
      <div class="table-scroll" role="region" aria-label="Users (scrollable)" tabindex="0"><table class="data" aria-label="Users">
        <thead><tr><th scope="col">User</th><th scope="col">Role</th><th scope="col">Status</th><th scope="col">Last login</th><th scope="col">Created</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
        <tbody>${users.map((u) => {
          const self = u.id === session.user_id;
          return html`<tr data-id=${u.id}>
            <td><strong>${u.display_name || u.email}</strong>${self ? html` <span class="muted">(you)</span>` : null}<br /><small>${u.email}</small><br /><${CopyId} id=${u.id} label=${u.email} /></td>
            <td><label class="sr-only" for=${`role-${u.id}`}>Role of ${u.email}</label>
              <select id=${`role-${u.id}`} value=${u.role} disabled=${busy}
                onChange=${(e) => { const role = e.target.value; e.target.value = u.role; if (role !== u.role) setPending({ kind: 'role', user: u, role }); }}>
                ${ROLES.map((r) => html`<option value=${r}>${r}</option>`)}</select></td>
            <td>${u.disabled ? html`<${Badge} kind="off">disabled</${Badge}>` : html`<${Badge} kind="ok">active</${Badge}>`}</td>
            <td>${fmtTime(u.last_login_at)}</td>
            <td>${fmtTime(u.created_at)}</td>
            <td class="row-actions">${self ? html`<span class="muted">you</span>` : html`
              <button type="button" disabled=${busy} onClick=${() => setPending({ kind: u.disabled ? 'enable' : 'disable', user: u })} aria-label=${`${u.disabled ? 'Enable' : 'Disable'} user ${u.email}`}>${u.disabled ? 'Enable' : 'Disable'}</button>
              <button type="button" class="danger" disabled=${busy} onClick=${() => setPending({ kind: 'delete', user: u })} aria-label=${`Delete user ${u.email}`}>Delete</button>`}</td>
          </tr>`;
        })}</tbody>
      </table></div>`}
    </${AsyncView}>
    ${pending ? html`<${Confirm} title=${d.title} confirmLabel=${d.label} onConfirm=${run} onCancel=${cancel} busy=${busy} error=${error}>
      <p>${d.body}</p></${Confirm}>` : null}
  </section>`;
}
