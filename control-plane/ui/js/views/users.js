import { html } from '../lib.js';

export function Users() {
  return html`<section aria-labelledby="page-title"><h1 id="page-title">Users</h1><p class="state empty">Coming next.</p></section>`;
}
