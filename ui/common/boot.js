// Boot loader shared by both apps: index.html loads this file only, with
// the app's entry module in data-app. It has no static import, so when any
// module of the app fails to load (a network error, a deploy in progress,
// a proxy stripping files) the page says so and offers Retry, instead of
// showing "Loading…" forever.
const script = document.querySelector('script[data-app]');
const root = document.getElementById('app');

function showError(err) {
  if (!root) return;
  root.textContent = '';
  const box = document.createElement('div');
  box.className = 'state error boot-error';
  box.setAttribute('role', 'alert');
  const h = document.createElement('h1');
  h.textContent = 'The app could not load';
  const p = document.createElement('p');
  p.textContent = `A part of it failed to download (${err && err.message ? err.message : err}). Check the connection and retry.`;
  const retry = document.createElement('button');
  retry.type = 'button';
  retry.className = 'primary';
  retry.textContent = 'Retry';
  retry.addEventListener('click', () => window.location.reload());
  box.append(h, p, retry);
  root.append(box);
  retry.focus();
}

(async () => {
  try {
    const app = await import(script.dataset.app);
    await app.start();
  } catch (err) {
    console.error('app failed to load', err);
    showError(err);
  }
})();
