import { api, ApiError } from '../api.js';
import { h, time, badge, table, card } from '../dom.js';

const METHOD_KIND = {
  'ft-over-air': 'ok',
  'ft-over-ds': 'ok',
  okc: 'ok',
  'pmksa-cache': 'ok',
  'full-eap': 'warn',
  sae: 'info',
  initial: 'muted',
  failed: 'bad',
};
export const ROAM_HEAD = ['Time', 'Station', 'From → to', 'Method', 'Duration', 'EAP frames', 'EAPOL-Key', 'Frames', 'Note'];

export function roamRow(r, maxMs) {
  const w = Math.max(2, Math.round((r.durationMs / maxMs) * 100)); // linear: the longest roam shown is the full bar
  return h(
    'tr',
    { class: r.slow ? 'slow' : '' },
    h('td', { class: 'nowrap' }, time(r.endTs)),
    h('td', {}, h('a', { href: `#/station/${encodeURIComponent(r.sta)}`, class: 'mono' }, r.sta)),
    h('td', { class: 'mono small' }, `${r.fromBssid ?? '(new)'} → ${r.toBssid}`),
    h(
      'td',
      { class: 'nowrap' },
      badge(r.method, METHOD_KIND[r.method] ?? ''),
      r.slow ? [' ', badge('slow', 'bad')] : null,
      r.trigger ? h('span', { class: 'muted' }, ' BSS-TM') : null,
    ),
    h(
      'td',
      { class: 'nowrap' },
      h(
        'div',
        { class: 'bar-wrap' },
        h('div', { class: 'bar-track' }, h('div', { class: `bar ${r.slow ? 'bar-slow' : ''}`, 'data-w': w })),
        h('span', {}, `${r.durationMs.toFixed(1)} ms`),
      ),
    ),
    h('td', {}, String(r.eapFrames)),
    h('td', {}, String(r.eapolKeyFrames)),
    h('td', { class: 'small muted' }, `${r.startFrame} → ${r.endFrame}`),
    h('td', { class: 'small' }, r.reason ?? ''),
  );
}

/** Bar widths go in as a class-free property after insertion: the CSP forbids inline style attributes. */
export function sizeBars(root) {
  for (const b of root.querySelectorAll('.bar[data-w]')) b.style.width = `${b.dataset.w}%`;
}

export async function roamsView() {
  let data;
  try {
    data = await api('/v1/roams?limit=500');
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return card('Roams', h('p', { class: 'empty' }, e.message));
    throw e;
  }
  const roams = data.roams.slice().reverse();
  const maxMs = Math.max(1, ...roams.map((r) => r.durationMs));
  const filter = h(
    'select',
    { id: 'roam-filter' },
    h('option', { value: '' }, 'All methods'),
    h('option', { value: 'slow' }, 'Slow only'),
    [...new Set(roams.map((r) => r.method))].sort().map((m) => h('option', { value: m }, m)),
  );
  const body = h('div');
  const render = () => {
    const f = filter.value;
    body.replaceChildren(
      table(
        ROAM_HEAD,
        roams.filter((r) => !f || (f === 'slow' ? r.slow : r.method === f)).map((r) => roamRow(r, maxMs)),
        'no roams seen yet',
      ),
    );
    sizeBars(body);
  };
  filter.addEventListener('change', render);
  render();
  const by = Object.entries(data.stats.byMethod).map(([m, n]) => h('span', { class: 'stat' }, badge(m, METHOD_KIND[m] ?? ''), ` ${n}`));
  return card(
    null,
    h(
      'div',
      { class: 'toolbar' },
      h('h2', {}, 'Roam timeline'),
      filter,
      h('span', { class: 'muted' }, `newest first · ${data.stats.slow} slow since start-up`),
    ),
    h('div', { class: 'stats' }, by),
    body,
  );
}
