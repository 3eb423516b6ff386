import { html } from '../lib.js';

export function Threats() {
  return html`<section aria-labelledby="page-title"><h1 id="page-title">Threats</h1><p class="state empty">Coming next.</p></section>`;
}
