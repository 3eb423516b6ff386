// Components both apps share (served at <app>/common/ui.js next to the
// vendored libraries at <app>/vendor/): ids shown with a copy button,
// relative times with the exact time on hover, and success toasts.
import { html, useState, useEffect } from '../vendor/htm/preact-standalone.module.js';

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
