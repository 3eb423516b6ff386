import { html } from '../lib.js';

export function AuditLog() {
  return html`<section aria-labelledby="page-title"><h1 id="page-title">Audit log</h1><p class="state empty">Coming next.</p></section>`;
}
