import { html } from '../lib.js';

export function Overview() {
  return html`<section aria-labelledby="page-title"><h1 id="page-title">Overview</h1><p class="state empty">Coming next.</p></section>`;
}
