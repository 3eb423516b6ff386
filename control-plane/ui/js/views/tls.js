import { html } from '../lib.js';

export function TlsSessions() {
  return html`<section aria-labelledby="page-title"><h1 id="page-title">TLS sessions</h1><p class="state empty">Coming next.</p></section>`;
}
