// The dashboard shell: sign-in, navigation by the URL fragment (#/stations, #/station/<mac>, …),
// and a status light from /v1/health. Each view module renders into <main> from the API.
import { api, token, ApiError } from './api.js';
import { h } from './dom.js';
import { stationsView } from './views/stations.js';
import { stationView } from './views/station.js';
import { apsView } from './views/aps.js';
import { graphView } from './views/graph.js';
import { roamsView } from './views/roams.js';
import { healthView } from './views/health.js';

const $ = (id) => document.getElementById(id);
const routes = { stations: stationsView, station: stationView, aps: apsView, graph: graphView, roams: roamsView, health: healthView };
let cleanup = null;

function showLogin(message = '') {
  $('app').hidden = true;
  $('login').hidden = false;
  $('login-error').textContent = message;
  $('token').value = '';
  $('token').focus();
}

async function signIn(candidate) {
  try {
    await api('/v1/health', { bearer: candidate });
  } catch (e) {
    showLogin(
      e instanceof ApiError && e.status === 401 ? 'Token rejected: it does not match api.token.' : `Cannot reach kmsd: ${e.message}`,
    );
    return;
  }
  token.set(candidate);
  $('login').hidden = true;
  $('app').hidden = false;
  if (!location.hash) location.hash = '#/stations';
  else route();
  refreshStatus();
}

async function refreshStatus() {
  try {
    const hlt = await api('/v1/health');
    $('status-dot').className = `dot ${hlt.status === 'ok' ? 'ok' : 'bad'}`;
    $('status-text').textContent = `${hlt.status} · ${hlt.stations} station${hlt.stations === 1 ? '' : 's'} · v${hlt.version}`;
  } catch {
    $('status-dot').className = 'dot bad';
    $('status-text').textContent = 'kmsd not answering';
  }
}

async function route() {
  if (!token.get()) return showLogin();
  const [name, ...args] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const view = routes[name] ?? stationsView;
  for (const a of document.querySelectorAll('#nav a'))
    a.classList.toggle('active', a.dataset.view === (name === 'station' ? 'stations' : name));
  cleanup?.();
  cleanup = null;
  const main = $('view');
  main.replaceChildren(h('p', { class: 'loading' }, 'Loading…'));
  try {
    const out = await view(args);
    main.replaceChildren(out.node ?? out);
    cleanup = out.cleanup ?? null;
  } catch (e) {
    main.replaceChildren(h('section', { class: 'card' }, h('h2', {}, 'Cannot show this view'), h('p', { class: 'error' }, e.message)));
  }
}

$('login-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  void signIn($('token').value.trim());
});
$('logout').addEventListener('click', () => {
  token.clear();
  showLogin('Signed out.');
});
window.addEventListener('hashchange', () => void route());
window.addEventListener('kms-unauthorized', () => {
  token.clear();
  showLogin('The token is no longer accepted; sign in again.');
});
setInterval(() => token.get() && void refreshStatus(), 15000);

if (token.get()) void signIn(token.get());
else showLogin();
