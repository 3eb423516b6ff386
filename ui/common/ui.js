// Components both apps share (served at <app>/common/ui.js next to the
// vendored libraries at <app>/vendor/): the states of a view (loading,
// empty, error), form fields with their errors, the confirm dialog, ids
// shown with a copy button, relative times with the exact time on hover,
// and success toasts. Styles: common/theme.css.
import { html, useState, useEffect, useRef } from '../vendor/htm/preact-standalone.module.js';

// ------------------------------------------------------------- states

/** "Loading…" or "Loading <what>…", announced politely. */
export function Loading({ what }) {
  return html`<p class="state loading" role="status" aria-live="polite">Loading${what ? ` ${what}` : ''}…</p>`;
}

/** Nothing to show (yet), and what to do about it. */
export function Empty({ children }) {
  return html`<p class="state empty" role="status">${children}</p>`;
}

/**
 * An error (an ApiError, or any Error) with the API's request id when it
 * has one, and a Retry button when `onRetry` is given. Nothing without an
 * error.
 */
export function ErrorBox({ error, onRetry }) {
  if (!error) return null;
  const detail = error.message || String(error);
  const rid = error.problem?.request_id;
  return html`<div class="state error" role="alert">
    <strong>${error.status === 0 ? 'Cannot reach the API' : error.status === 403 ? 'Not allowed' : 'Something went wrong'}</strong>
    <span> ${detail}</span>${rid ? html` <small>(request ${rid})</small>` : null}
    ${onRetry ? html` <button type="button" class="link" onClick=${onRetry}>Retry</button>` : null}
  </div>`;
}

// ------------------------------------------------------------- forms

let fieldSeq = 0;

/**
 * A labelled form control with its hint and its error (e.g. an ApiError's
 * `fields[name]`) beside it, tied to it by aria-describedby. The control
 * is an <input> made from `type`, `value`, `onInput` and the other props,
 * or the `children` function's result, called with the attributes the
 * control needs ({ id, name, aria-invalid, aria-describedby,
 * aria-required }). The error's element is `<id>-error`, the hint's
 * `<id>-hint`; `id` defaults to a generated one. `inline` lays label and
 * control out on one line (toolbars, one-field forms).
 */
export function Field({ id: given, label, name, error, hint, children, type = 'text', value, onInput, required, inline, ...rest }) {
  const [auto] = useState(() => `f${++fieldSeq}`);
  const id = given || auto;
  const errId = `${id}-error`;
  const hintId = `${id}-hint`;
  const described = [hint ? hintId : null, error ? errId : null].filter(Boolean).join(' ') || undefined;
  const attrs = { id, name, 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': described, 'aria-required': required ? 'true' : undefined };
  const render = [].concat(children).find((c) => typeof c === 'function');
  const control = render
    ? render(attrs)
    : html`<input id=${id} name=${name} type=${type} value=${value ?? ''} required=${required}
        aria-invalid=${attrs['aria-invalid']} aria-describedby=${described}
        onInput=${(e) => onInput(type === 'checkbox' ? e.target.checked : e.target.value)} ...${rest} />`;
  return html`<div class=${`field${inline ? ' inline' : ''}${error ? ' has-error' : ''}`} data-field=${name}>
    <label for=${id}>${label}</label>
    ${control}
    ${hint ? html`<small id=${hintId} class="hint">${hint}</small>` : null}
    ${error ? html`<small id=${errId} class="field-error" role="alert">${error}</small>` : null}
  </div>`;
}

// ------------------------------------------------------------- dialog

/** A modal confirm step (role=dialog, focus on the safe choice, Esc cancels). */
export function Confirm({ title, children, confirmLabel = 'Delete', onConfirm, onCancel, busy, error }) {
  const cancelRef = useRef(null);
  // Focus the safe choice on open, and again after an error: the confirm
  // button was disabled while busy, which drops the focus to <body> (and
  // with it the Esc handler below) unless it is put back.
  useEffect(() => { cancelRef.current?.focus(); }, [error]);
  const onKey = (e) => {
    if (e.key === 'Escape') { onCancel(); return; }
    if (e.key !== 'Tab') return;
    // Keep the focus inside the dialog while it is open.
    const f = [...e.currentTarget.querySelectorAll('button:not([disabled])')];
    if (!f.length) return;
    const i = f.indexOf(document.activeElement);
    if (e.shiftKey && i <= 0) { e.preventDefault(); f[f.length - 1].focus(); }
    else if (!e.shiftKey && i === f.length - 1) { e.preventDefault(); f[0].focus(); }
  };
  return html`<div class="modal-backdrop" onKeyDown=${onKey}>
    <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title">
      <h2 id="confirm-title">${title}</h2>
      <div>${children}</div>
      <${ErrorBox} error=${error} />
      <div class="actions">
        <button type="button" ref=${cancelRef} onClick=${onCancel} disabled=${busy}>Cancel</button>
        <button type="button" class="danger" onClick=${onConfirm} disabled=${busy}>${busy ? 'Working…' : confirmLabel}</button>
      </div>
    </div>
  </div>`;
}

// ------------------------------------------------------------- toasts

const toastListeners = new Set();
let toastSeq = 0;

/** Shows a short success message (announced politely, gone after 5 s). */
export function toast(message) {
  const t = { id: ++toastSeq, message };
  for (const f of toastListeners) f(t);
}

/** The toast region; render once per app shell. */
export function Toasts() {
  const [items, setItems] = useState([]);
  useEffect(() => {
    const add = (t) => {
      setItems((xs) => [...xs.slice(-3), t]);
      setTimeout(() => setItems((xs) => xs.filter((x) => x.id !== t.id)), 5000);
    };
    toastListeners.add(add);
    return () => toastListeners.delete(add);
  }, []);
  return html`<div class="toasts" role="status" aria-live="polite">
    ${items.map((t) => html`<div class="toast" key=${t.id}>${t.message}</div>`)}
  </div>`;
}

// ---------------------------------------------------------------- ids

/**
 * An id (`usr_…`, `rt_…`) shown small next to the name it belongs to, with
 * a button that copies it (ids are what the API and logs speak; names are
 * what people read).
 */
export function CopyId({ id, label }) {
  if (!id) return null;
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(id);
      toast(`Copied ${id}`);
    } catch (_) {
      // No clipboard (insecure origin, permission): select the text instead.
      const sel = window.getSelection();
      const node = document.querySelector(`code[data-copy-id="${CSS.escape(id)}"]`);
      if (sel && node) { sel.selectAllChildren(node); }
    }
  };
  return html`<span class="copy-id"><code data-copy-id=${id} title=${id}>${id}</code><button type="button" onClick=${copy} aria-label=${`Copy id ${label ? `of ${label}` : id}`}>copy</button></span>`;
}

// -------------------------------------------------------------- times

const UNITS = [
  ['year', 365 * 86400], ['month', 30 * 86400], ['week', 7 * 86400], ['day', 86400],
  ['hour', 3600], ['minute', 60], ['second', 1],
];

/** "3 minutes ago" / "in 2 days" for an ISO time (null: '—'). */
export function relativeTime(t, now = Date.now()) {
  if (!t) return '—';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  const secs = Math.round((d.getTime() - now) / 1000);
  if (Math.abs(secs) < 45) return 'just now';
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const [unit, s] of UNITS) {
    if (Math.abs(secs) >= s) return rtf.format(Math.round(secs / s), unit);
  }
  return 'just now';
}

/** A <time> showing the relative time, the exact local time on hover. */
export function When({ t }) {
  if (!t) return '—';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return String(t);
  return html`<time class="relative" datetime=${d.toISOString()} title=${d.toLocaleString()}>${relativeTime(t)}</time>`;
}
